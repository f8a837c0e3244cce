"""Kind ``school_health``: skolehelsetjeneste, helsesykepleier FTE from pupils by school level
(IS-1736 norms), staffed like a per-capita norm (:func:`per_capita_norm.staff_unit`).

Demand (per row): ``pupils_barneskole``, ``pupils_ungdomsskole``, ``pupils_vgs`` = inhabitants
of the level's ages (all children are assumed to attend school where they live). Workload =
Σ pupils of a level / pupils per FTE of that level.
"""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator

from planning.services.base import AgeRange, DemandContext, Measure, PlanContext, check_ages
from planning.services.per_capita_norm import NormStaffing, staff_unit
from planning.sourced import Positive

KIND = "school_health"
PLAN_ORDER = 2
LEVELS = ("barneskole", "ungdomsskole", "vgs")
MEASURE_UNITS = {
    **{f"pupils_{level}": Measure("pupils") for level in LEVELS},
    "added_travel_minutes": Measure("minutes one way (population-weighted)", "other"),
}


class SchoolHealth(NormStaffing):
    """Skolehelsetjeneste: helsesykepleier FTE from pupils by school level (IS-1736 norms)."""

    MEASURES = MEASURE_UNITS
    kind: Literal["school_health"]
    barneskole_ages: AgeRange
    ungdomsskole_ages: AgeRange
    vgs_ages: AgeRange
    pupils_per_fte_barneskole: Positive
    pupils_per_fte_ungdomsskole: Positive
    pupils_per_fte_vgs: Positive

    @field_validator("barneskole_ages", "ungdomsskole_ages", "vgs_ages")
    @classmethod
    def _ages(cls, v: AgeRange) -> AgeRange:
        return check_ages(v, "school ages")

    def demand_measures(self) -> list[str]:
        return [f"pupils_{level}" for level in LEVELS]


Spec = SchoolHealth


def demand(ctx: DemandContext, services: dict[str, SchoolHealth]) -> None:
    for s, spec in services.items():
        for level in LEVELS:
            ctx.out[(s, f"pupils_{level}")] = ctx.population(getattr(spec, f"{level}_ages"))


def plan(ctx: PlanContext, s: str, spec: SchoolHealth) -> None:
    workload = (
        ctx.demand(s, "pupils_barneskole") / spec.pupils_per_fte_barneskole.value
        + ctx.demand(s, "pupils_ungdomsskole") / spec.pupils_per_fte_ungdomsskole.value
        + ctx.demand(s, "pupils_vgs") / spec.pupils_per_fte_vgs.value
    )
    staff_unit(ctx, s, spec, workload)
