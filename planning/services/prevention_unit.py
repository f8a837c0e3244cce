"""Kind ``prevention_unit``: a prevention unit sized by a per-capita norm with its reach
(participants a year), a minimum position and travel (pilot sub-project 7: frisklivssentral,
innsatsteam / hverdagsrehabilitering, ernæringsfysiolog; docs/prevention.md). Shareable; a
municipality in no unit runs its own only when ``alone`` is true. What a unit avoids in home
care is the catalogue's ``mitigation:`` section (:mod:`planning.services.mitigation`).

Demand (per row): ``driver``: inhabitants, inhabitants 18+, or new home-care users (home-care
users × ``mitigation.new_user_share``). Capacity per provider: driver, participants, runs_unit,
added_travel_minutes; staff and cost with travel.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from planning.services.base import DemandContext, Measure, PlanContext, ServiceSpec
from planning.services.per_capita_bands import band_population
from planning.services.per_capita_norm import positions, staff_travel
from planning.sourced import Fraction, NonNegative, Positive, Profession

KIND = "prevention_unit"
PLAN_ORDER = 4  # after the user office, before the services each municipality runs alone
DERIVED = True  # its driver may be new home-care users: demand after the primary services
#: what a unit's ``driver`` counts, by the entry's ``driver`` (its demand measure ``driver``):
#: the base its norm applies to, never its own users (those are its ``participants``, counted
#: where a unit runs), so the driver has no panel in the demand chart
DRIVERS: dict[str, Measure] = {
    "population": Measure("inhabitants", "population", label="population"),
    "adults": Measure("inhabitants aged 18 or more", "population", label="adults"),
    "new_home_care_users": Measure(
        "new home-care users a year", "base", label="new_home_care_users"
    ),
}
MEASURE_UNITS = {
    "driver": Measure("inhabitants, inhabitants 18+ or new home-care users (DRIVERS)"),
    "participants": Measure("participants"),
    "runs_unit": Measure("share", "other"),
    "added_travel_minutes": Measure("minutes", "other"),
}


class PreventionUnit(ServiceSpec):
    """A prevention unit sized by a per-capita norm, with its reach (participants a year).

    FTE = max(min_fte, ceil((driver × reach_share / per_fte + travel) / fte_step) × fte_step);
    participants = FTE workload × participants_per_fte. ``alone``: a municipality in no unit of
    this service runs its own (True) or has none in the model (False: today's care figures hold
    whatever it does today)."""

    MEASURES = MEASURE_UNITS
    kind: Literal["prevention_unit"] = "prevention_unit"
    label: str
    driver: Literal["population", "adults", "new_home_care_users"]
    reach_share: Fraction | None = None  # share of the driver reached (None: all of it)
    per_fte: Positive  # driver units (reached) per FTE
    participants_per_fte: Positive  # participants a year per FTE of workload
    min_fte: NonNegative
    fte_step: Positive
    profession: Profession
    onsite_share: Fraction
    alone: bool

    def demand_measures(self) -> list[str]:
        return ["driver"]

    def measure(self, name: str) -> Measure:
        """``driver`` counts what the entry's ``driver`` names (:data:`DRIVERS`): inhabitants
        (a population) or new home-care users a year (a base the unit reaches a share of)."""
        return DRIVERS[self.driver] if name == "driver" else super().measure(name)


Spec = PreventionUnit


def prevention_fte(
    driver: Any, travel_fte: Any, spec: PreventionUnit, runs: Any = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(workload, fte, participants) of prevention units: workload = driver × reach / per_fte;
    fte = :func:`~planning.services.per_capita_norm.positions` of workload + travel;
    participants = workload × participants_per_fte. ``runs`` (0/1 per unit) switches units off."""
    reach = spec.reach_share.value if spec.reach_share is not None else 1.0
    workload = np.asarray(driver, dtype=float) * reach / spec.per_fte.value
    need = workload + np.asarray(travel_fte, dtype=float)
    fte = positions(need, spec.min_fte.value, spec.fte_step.value)
    on = np.asarray(runs, dtype=float)
    return workload * on, fte * on, workload * spec.participants_per_fte.value * on


def demand(ctx: DemandContext, services: dict[str, PreventionUnit]) -> None:
    for s, spec in services.items():
        if spec.driver == "population":
            d = np.asarray(ctx.P, dtype=float).sum(axis=-1)
        elif spec.driver == "adults":
            d = band_population(ctx.P, 18)[0]
        else:
            d = np.asarray(ctx.out[("hjemmetjenester", "users")], dtype=float) * np.asarray(
                ctx.catalogue.mitigation.new_user_share.value, dtype=float
            )
        ctx.out[(s, "driver")] = d


def plan(ctx: PlanContext, s: str, spec: PreventionUnit) -> None:
    """Each provider's driver, participants, whether it runs (a municipality in no unit only
    when ``alone``), travel, staff and cost."""
    if not ctx.has(s, "driver"):
        return
    p = ctx.providers[s]
    driver_m = ctx.demand(s, "driver")
    alone = np.array([k == "own" for k in p.keys])[None, :, None]
    on = np.where(alone, 1.0 if spec.alone else 0.0, 1.0)
    reach = spec.reach_share.value if spec.reach_share is not None else 1.0
    w_m = driver_m * reach / spec.per_fte.value * p.back(on)
    travel_fte, km_nok = staff_travel(ctx, p, w_m, spec.onsite_share.value)
    workload, fte, participants = prevention_fte(p.agg(driver_m), travel_fte, spec, runs=on)
    ctx.cap(s, p.names, "driver", p.agg(driver_m))
    ctx.cap(s, p.names, "participants", participants)
    ctx.cap(s, p.names, "runs_unit", on * np.ones_like(workload))
    ctx.cap(s, p.names, "added_travel_minutes", ctx.added_minutes(p) * on)
    ctx.staff_rows(s, p.names, spec.profession, workload, travel_fte * on, fte)
    ctx.unit_cost[s] = {"staff": fte * ctx.host_cost(p, spec.profession), "travel": km_nok * on}
    ctx.use[s] = w_m
