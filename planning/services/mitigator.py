"""Kind ``mitigator``: a service that reaches some inhabitants and reduces the demand of named
target services by a share (prevention: frisklivssentral, innsatsteam, ernæringsfysiolog), in
the manner of the NHP model's activity mitigators.

Demand (per row): ``participants`` = inhabitants in ``reach_ages`` × ``participants_per_1000`` /
1000 per year. Effect: for each target service in ``effects``, each listed demand measure is
multiplied by (1 − ``share``) — on all of it (``applies_to: all``) or on its growth since the
first projected year of each municipality (``applies_to: growth``: value − share × max(value −
first-year value, 0)). A share lies in [0, 1], so demand never falls below zero (and with
``growth`` never below its first-year level). Every share is a sourced value with its status;
an uncertain one with a range in ``data/ranges.yaml`` is drawn in the Monte Carlo runs like
every other assumption. Mitigators act after the primary demand of every service and before
demand derived from it (the user office's cases follow the users that remain).
Staff per provider as a per-capita norm: participants / ``participants_per_fte``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, field_validator

from planning.services.base import AgeRange, DemandContext, Measure, PlanContext, check_ages
from planning.services.per_capita_norm import NormStaffing, staff_unit
from planning.sourced import Fraction, Model, NonNegative, Positive

KIND = "mitigator"
PLAN_ORDER = 2
MEASURE_UNITS = {
    "participants": Measure("participants per year"),
    "added_travel_minutes": Measure("minutes one way (population-weighted)", "other"),
}


class Effect(Model):
    """The share of a target service's demand a mitigator avoids."""

    share: Fraction  # share of the target's demand (or of its growth) avoided
    measures: list[str] = Field(min_length=1)  # demand measures of the target it acts on
    applies_to: Literal["growth", "all"] = "growth"


class Mitigator(NormStaffing):
    """A preventive service with reach, staff and cost that reduces other services' demand."""

    MEASURES = MEASURE_UNITS
    kind: Literal["mitigator"]
    reach_ages: AgeRange  # ages of the inhabitants it reaches
    participants_per_1000: NonNegative  # participants per 1 000 inhabitants of reach_ages a year
    participants_per_fte: Positive  # participants a year per FTE
    effects: dict[str, Effect] = Field(min_length=1)  # target service -> effect

    @field_validator("reach_ages")
    @classmethod
    def _ages(cls, v: AgeRange) -> AgeRange:
        return check_ages(v, "reach_ages")

    def demand_measures(self) -> list[str]:
        return ["participants"]

    def targets(self) -> list[str]:
        return list(self.effects)


Spec = Mitigator


def demand(ctx: DemandContext, services: dict[str, Mitigator]) -> None:
    for s, spec in services.items():
        ctx.out[(s, "participants")] = (
            ctx.population(spec.reach_ages) * spec.participants_per_1000.value / 1000.0
        )


def mitigate(ctx: DemandContext, services: dict[str, Mitigator]) -> None:
    """Apply the effects of ``services`` to the demand already in ``ctx.out`` (in place)."""
    for spec in services.values():
        for target, eff in spec.effects.items():
            share = np.asarray(eff.share.value, dtype=float)
            for measure in eff.measures:
                v = ctx.out[(target, measure)]
                if eff.applies_to == "all":
                    ctx.out[(target, measure)] = v * (1.0 - share)
                else:
                    v0 = ctx.first_year(v)
                    ctx.out[(target, measure)] = v - share * np.maximum(v - v0, 0.0)


def plan(ctx: PlanContext, s: str, spec: Mitigator) -> None:
    staff_unit(ctx, s, spec, ctx.demand(s, "participants") / spec.participants_per_fte.value)
