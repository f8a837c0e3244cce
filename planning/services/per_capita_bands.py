"""Kind ``per_capita_bands``: psykisk helse og rus (pilot sub-project 5), each municipality's
own work with FTE from adults and children and young people at national rates per 10 000
(Helsedirektoratet IS-24/8), and its ambulant ACT/FACT team with the DPS, planned as the shareable
service ``psykisk_helse_team`` (a unit of the organisation, with travel and a municipal cost
share) (docs/prevention.md).

Demand (per row): ``adults`` (ages >= ``adult_age``), ``young`` (below). Capacity: adults,
young, users with substance problems, staffed housing places, FTE at the national rate, whether
a team serves the municipality; the team's catchment, FTE and travel; KAD's bed-days for mental
health and substance use (``kad``/``bed_days_psykisk_helse_rus``).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from planning.services.base import DemandContext, Measure, PlanContext, ServiceSpec
from planning.services.coverage_rate import own_staff
from planning.services.per_capita_norm import positions, staff_travel
from planning.sourced import Fraction, Model, NonNegative, Positive, Profession

KIND = "per_capita_bands"
PLAN_ORDER = 4  # after the user office, before the services each municipality runs alone
DERIVED = True  # demand after the primary services (in catalogue order, as before the kinds)
TEAM = "psykisk_helse_team"
MEASURE_UNITS = {
    "adults": Measure("inhabitants aged adult_age or more", "population"),
    "young": Measure("inhabitants below adult_age", "population"),
    "users_substance": Measure("users"),
    "housing_places": Measure("places", "resource"),
    "fte_at_national_rate": Measure("FTE", "resource"),
    "served_by_team": Measure("share", "other"),
    "catchment_population": Measure("inhabitants", "population"),
    "runs_team": Measure("share", "other"),
    "added_travel_minutes": Measure("minutes one way (population-weighted)", "other"),
}


class AmbulantTeam(Model):
    """An ACT/FACT team run by the municipalities together with the DPS (``psykisk_helse_team``).

    Workload FTE per 10 000 adults; the municipalities pay ``municipal_cost_share`` of the team
    (the DPS the rest). A catchment below ``min_catchment`` inhabitants cannot run a team: its
    users are followed by the ordinary services (no team, no travel)."""

    kind: Literal["ambulant_team"] = "ambulant_team"
    label: str
    fte_per_10000_adults: Positive
    municipal_cost_share: Fraction
    min_catchment: NonNegative
    min_fte: NonNegative
    fte_step: Positive
    profession: Profession
    onsite_share: Fraction


class PsykiskHelseRus(ServiceSpec):
    """Kommunalt psykisk helse- og rusarbeid (see the module docstring)."""

    #: each municipality runs its own; its ambulant team (``psykisk_helse_team``) is shareable
    SHAREABLE = False

    MEASURES = MEASURE_UNITS
    kind: Literal["per_capita_bands"] = "per_capita_bands"
    label: str
    adult_age: int = Field(ge=1, le=105)  # the age at which IS-24/8's 'voksne' begin
    fte_per_10000_adults: Positive
    fte_per_10000_young: NonNegative
    users_per_1000_adults: NonNegative  # users with substance problems (BrukerPlan)
    housing_places_per_10000_adults: NonNegative  # staffed housing places
    acute_share_of_kad: Fraction  # share of KAD/ØHD bed-days for mental health and substance use
    profession_mix: dict[Profession, Fraction]
    team: AmbulantTeam

    def professions(self) -> list[str]:
        return [*self.profession_mix, self.team.profession]

    def shared_services(self, name: str) -> list[str]:
        return [TEAM]

    def demand_measures(self) -> list[str]:
        return ["adults", "young"]

    @model_validator(mode="after")
    def _mix(self) -> PsykiskHelseRus:
        total = sum(s.value for s in self.profession_mix.values())
        if not self.profession_mix or abs(total - 1.0) > 1e-6:
            raise ValueError(f"profession_mix shares must sum to 1 (they sum to {total:.4f})")
        return self


Spec = PsykiskHelseRus


def band_population(P: np.ndarray, adult_age: int) -> tuple[np.ndarray, np.ndarray]:
    """(adults, young) from population by single age ``P`` (..., 106): ages ≥ adult_age, below."""
    P = np.asarray(P, dtype=float)
    return P[..., adult_age:].sum(axis=-1), P[..., :adult_age].sum(axis=-1)


def mental_health_fte(adults: Any, young: Any, rate_adults: Any, rate_young: Any) -> np.ndarray:
    """FTE of psykisk helse og rus: adults × rate + young × rate (rates per 10 000). Rises with
    either population; never negative for non-negative inputs."""
    a, y = np.asarray(adults, dtype=float), np.asarray(young, dtype=float)
    return (a * np.asarray(rate_adults) + y * np.asarray(rate_young)) / 10_000.0


def team_fte(
    adults: Any, catchment: Any, travel_fte: Any, team: AmbulantTeam
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(workload, fte, runs_team) of ambulant teams by unit: workload = adults × rate / 10 000;
    fte = :func:`~planning.services.per_capita_norm.positions` of workload + travel where the
    catchment reaches ``min_catchment``, else 0 (no team)."""
    a = np.asarray(adults, dtype=float)
    runs = (np.asarray(catchment, dtype=float) >= team.min_catchment.value).astype(float)
    workload = a * team.fte_per_10000_adults.value / 10_000.0
    fte = positions(
        workload + np.asarray(travel_fte, dtype=float), team.min_fte.value, team.fte_step.value
    )
    return workload * runs, fte * runs, runs * np.ones_like(workload)


def demand(ctx: DemandContext, services: dict[str, PsykiskHelseRus]) -> None:
    for s, spec in services.items():
        adults, young = band_population(ctx.P, spec.adult_age)
        ctx.out[(s, "adults")] = adults
        ctx.out[(s, "young")] = young


def plan(ctx: PlanContext, s: str, spec: PsykiskHelseRus) -> None:
    """Each municipality's own work (FTE at the national rates less the municipal part of a
    team's workload where a team serves it; users with substance problems; staffed housing
    places), its ambulant team (:data:`TEAM`, per provider: catchment, whether a team runs,
    travel, FTE; the municipalities pay ``municipal_cost_share`` of it), and its acute places
    as a share of KAD's bed-days, pooled in KAD's beds (``kad``/``bed_days_psykisk_helse_rus``)."""
    if not ctx.has(s, "adults"):
        return
    adults, young = ctx.demand(s, "adults"), ctx.demand(s, "young")
    total = mental_health_fte(
        adults, young, spec.fte_per_10000_adults.value, spec.fte_per_10000_young.value
    )
    # the ambulant team (with the DPS)
    tm = spec.team
    p = ctx.providers[TEAM]
    catchment = p.agg(ctx.inhabitants)
    w_m = adults * tm.fte_per_10000_adults.value / 1e4
    travel_fte, km_nok = staff_travel(ctx, p, w_m, tm.onsite_share.value)
    workload, fte, runs_team = team_fte(p.agg(adults), catchment, travel_fte, tm)
    travel_fte, km_nok = travel_fte * runs_team, km_nok * runs_team
    share = np.asarray(tm.municipal_cost_share.value)
    ctx.cap(TEAM, p.names, "catchment_population", catchment)
    ctx.cap(TEAM, p.names, "runs_team", runs_team)
    ctx.cap(TEAM, p.names, "added_travel_minutes", ctx.added_minutes(p) * runs_team)
    ctx.staff_rows(TEAM, p.names, tm.profession, workload, travel_fte, fte)
    ctx.unit_cost[TEAM] = {
        "staff": fte * ctx.host_cost(p, tm.profession) * share,
        "travel": km_nok * share,
    }
    ctx.use[TEAM] = w_m
    # each municipality's own work: the municipal part of the team's workload moves to the team
    served = p.back(runs_team)
    own_fte = np.maximum(total - served * w_m * share, 0.0)
    codes = ctx.codes
    ctx.cap(s, codes, "adults", adults)
    ctx.cap(s, codes, "young", young)
    ctx.cap(s, codes, "users_substance", adults * spec.users_per_1000_adults.value / 1e3)
    ctx.cap(s, codes, "housing_places", adults * spec.housing_places_per_10000_adults.value / 1e4)
    ctx.cap(s, codes, "fte_at_national_rate", total)
    ctx.cap(s, codes, "served_by_team", served)
    own_staff(ctx, s, spec.profession_mix, own_fte)
    # acute places: its share of KAD's bed-days, pooled in KAD's beds
    if ctx.has("kad", "bed_days"):
        pk = ctx.providers["kad"]
        acute = pk.agg(ctx.demand("kad", "bed_days")) * spec.acute_share_of_kad.value
        ctx.cap("kad", pk.names, "bed_days_psykisk_helse_rus", acute)
