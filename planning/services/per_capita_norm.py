"""Kind ``per_capita_norm``: staff from a count of people divided by a norm (helsestasjon,
jordmor, kommuneoverlege), bought in steps above a smallest position, with travel for work done
in the member municipalities of a shared unit.

Demand (per row): each of ``measures`` = inhabitants in its age range (``births`` is
approximated by the population aged 0 on 1 January); ``driver`` names the measure the norm
divides. Staff per provider: workload = driver / ``per_fte``; travel FTE = on-site days × trips
× 2 × minutes to the host; FTE = max(``min_fte``, workload + travel rounded up to ``fte_step``);
optional clerical staff per FTE. Cost: FTE × pay at the host, plus km driven × km rate.
:func:`staff_unit` is shared with the other norm-staffed kinds (school health, mitigators).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from planning.services.base import (
    AgeRange,
    DemandContext,
    Measure,
    PlanContext,
    ServiceSpec,
    check_ages,
)
from planning.sourced import Fraction, NonNegative, Positive, Profession

KIND = "per_capita_norm"
PLAN_ORDER = 2
#: the entry's ``measures`` (inhabitants of age ranges) are ``served`` (births, children at the
#: helsestasjon) unless the entry lists them in ``population_measures`` (kommuneoverlege: the
#: whole population): :meth:`PerCapitaNorm.measure`
MEASURE_UNITS = {
    "added_travel_minutes": Measure("minutes one way (population-weighted)", "other"),
}


class NormStaffing(ServiceSpec):
    """Positions of a norm-staffed service: smallest position, step, profession, on-site share."""

    min_fte: NonNegative  # smallest position a unit can hold
    fte_step: Positive  # positions are bought in steps of this size
    profession: Profession
    onsite_share: Fraction  # share of work done in the member municipality (drives staff travel)
    clerical_per_fte: NonNegative | None = None  # clerical FTE per FTE of the profession
    clerical_profession: Profession = "kontormedarbeider"

    def professions(self) -> list[str]:
        out = [self.profession]
        if self.clerical_per_fte is not None:
            out.append(self.clerical_profession)
        return out


class PerCapitaNorm(NormStaffing):
    """Staff from a driver count divided by a norm, with a minimum position size per unit."""

    MEASURES = MEASURE_UNITS
    kind: Literal["per_capita_norm"]
    #: demand measures: inhabitants in an age range (inclusive), e.g. {births: [0, 0]}
    measures: dict[str, AgeRange] = Field(min_length=1)
    driver: str  # the measure divided by per_fte
    per_fte: Positive  # driver units (births, pupils, inhabitants) per FTE
    #: measures that are a population the norm applies to (inhabitants, not people served:
    #: kommuneoverlege's ``population``); the others count people served (births, children)
    population_measures: list[str] = Field(default_factory=list)

    @field_validator("measures")
    @classmethod
    def _ages(cls, v: dict[str, AgeRange]) -> dict[str, AgeRange]:
        for name, ages in v.items():
            check_ages(ages, f"measures.{name}")
        return v

    @model_validator(mode="after")
    def _driver_known(self) -> PerCapitaNorm:
        if self.driver not in self.measures:
            raise ValueError(
                f"driver '{self.driver}' is not one of its measures {sorted(self.measures)}"
            )
        unknown = sorted(set(self.population_measures) - set(self.measures))
        if unknown:
            raise ValueError(
                f"population_measures {unknown} are not among its measures {sorted(self.measures)}"
            )
        return self

    def demand_measures(self) -> list[str]:
        return list(self.measures)

    def measure(self, name: str) -> Measure:
        """An entry's measure counts inhabitants aged ``measures[name]``: a population when the
        entry lists it in ``population_measures``, else people served."""
        if name in self.measures:
            lo, hi = self.measures[name]
            counts = "population" if name in self.population_measures else "served"
            return Measure(f"inhabitants aged {lo}-{hi}", counts)
        return super().measure(name)


Spec = PerCapitaNorm


def demand(ctx: DemandContext, services: dict[str, PerCapitaNorm]) -> None:
    for s, spec in services.items():
        for measure, ages in spec.measures.items():
            ctx.out[(s, measure)] = ctx.population(ages)


def positions(need_fte: Any, min_fte: Any, fte_step: Any) -> np.ndarray:
    """FTE staffed for a need: positions bought in steps of ``fte_step``, at least ``min_fte``:
    max(min_fte, ceil(need / step) × step) (a need within 1e-9 steps of a step is that step)."""
    step = fte_step
    return np.maximum(min_fte, np.ceil(np.asarray(need_fte, dtype=float) / step - 1e-9) * step)


def staff_travel(
    ctx: PlanContext, p: Any, workload_m: np.ndarray, onsite_share: Any
) -> tuple[np.ndarray, np.ndarray]:
    """(travel FTE, km NOK) of each provider (R, P, Y) whose staff, employed by the host, do
    ``onsite_share`` of each member's workload ``workload_m`` (FTE, (R, M, Y)) in the member
    municipality: trips = on-site days × ``travel.trips_per_day``, each there and back at the
    minutes and km between the centres; km priced at ``travel.km_rate``."""
    cat = ctx.catalogue
    hours_fte = ctx.hours_per_fte
    days_per_fte = hours_fte / cat.staffing.hours_per_day.value
    t_min, t_km = ctx.to_host(p)
    trips_m = workload_m * np.asarray(onsite_share) * days_per_fte * cat.travel.trips_per_day.value
    travel_fte = p.agg(trips_m * 2 * t_min / 60.0) / hours_fte
    km_nok = p.agg(trips_m * 2 * t_km) * cat.travel.km_rate.value
    return travel_fte, km_nok


def staff_unit(ctx: PlanContext, s: str, spec: NormStaffing, workload_m: np.ndarray) -> None:
    """Staff, travel and cost of the providers of norm-staffed service ``s`` from each
    municipality's workload in FTE (R, M, Y)."""
    p = ctx.providers[s]
    workload = p.agg(workload_m)
    travel_fte, km_nok = staff_travel(ctx, p, workload_m, spec.onsite_share.value)
    fte = positions(workload + travel_fte, spec.min_fte.value, spec.fte_step.value)
    ctx.staff_rows(s, p.names, spec.profession, workload, travel_fte, fte)
    staff_nok = fte * ctx.host_cost(p, spec.profession)
    if spec.clerical_per_fte is not None:
        clerical = fte * spec.clerical_per_fte.value
        prof = spec.clerical_profession
        ctx.staff_rows(s, p.names, prof, clerical, np.zeros_like(clerical), clerical)
        staff_nok = staff_nok + clerical * ctx.host_cost(p, prof)
    ctx.cap(s, p.names, "added_travel_minutes", ctx.added_minutes(p))
    ctx.unit_cost[s] = {"staff": staff_nok, "travel": km_nok}
    ctx.use[s] = workload_m


def plan(ctx: PlanContext, s: str, spec: PerCapitaNorm) -> None:
    staff_unit(ctx, s, spec, ctx.demand(s, spec.driver) / spec.per_fte.value)
