"""Kind ``list_norm``: a capacity count from the population and a list size, with no municipal
staff or cost in the model (fastlegelister: the GPs are self-employed).

Demand (per row): ``population``. Capacity per municipality: ``lists`` = population /
``list_size``. Not shareable (each municipality contracts its own lists).
"""

from __future__ import annotations

from typing import Literal

from planning.services.base import DemandContext, Measure, PlanContext, ServiceSpec
from planning.sourced import Positive

KIND = "list_norm"
PLAN_ORDER = 6
MEASURE_UNITS = {
    "population": Measure("inhabitants", "population"),
    "lists": Measure("lists", "resource"),
}


class Fastlege(ServiceSpec):
    SHAREABLE = False

    MEASURES = MEASURE_UNITS
    kind: Literal["list_norm"]
    list_size: Positive  # patients per list

    def demand_measures(self) -> list[str]:
        return ["population"]


Spec = Fastlege


def demand(ctx: DemandContext, services: dict[str, Fastlege]) -> None:
    for s in services:
        ctx.out[(s, "population")] = ctx.population()


def plan(ctx: PlanContext, s: str, spec: Fastlege) -> None:
    ctx.cap(s, ctx.codes, "lists", ctx.demand(s, "population") / spec.list_size.value)
