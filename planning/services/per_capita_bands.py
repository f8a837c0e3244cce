"""Kind ``per_capita_bands``: psykisk helse og rus (pilot sub-project 5), each municipality's
own work with FTE from adults and children and young people at national rates per 10 000
(Helsedirektoratet IS-24/8), and its ambulant ACT/FACT team with the DPS, planned as the shareable
service ``psykisk_helse_team`` (a unit of the organisation, with travel and a municipal cost
share). The formulas are in :mod:`planning.services.community` and
:mod:`planning.services.community_plan`
(docs/prevention.md).

Demand (per row): ``adults`` (ages >= ``adult_age``), ``young`` (below). Capacity: adults,
young, users with substance problems, staffed housing places, FTE at the national rate, whether
a team serves the municipality; the team's catchment, FTE and travel; KAD's bed-days for mental
health and substance use (``kad``/``bed_days_psykisk_helse_rus``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from planning.services.base import DemandContext, Measure, PlanContext, ServiceSpec
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
    "bed_days_psykisk_helse_rus": Measure("bed-days"),
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


def demand(ctx: DemandContext, services: dict[str, PsykiskHelseRus]) -> None:
    from planning.services.community import band_population

    for s, spec in services.items():
        adults, young = band_population(ctx.P, spec.adult_age)
        ctx.out[(s, "adults")] = adults
        ctx.out[(s, "young")] = young


def plan(ctx: PlanContext, s: str, spec: PsykiskHelseRus) -> None:
    from planning.services.community_plan import from_plan, mental_health

    if ctx.has(s, "adults"):
        mental_health(from_plan(ctx), spec)
