"""Kind ``rota``: a round-the-clock station whose rota is fixed whatever the catchment size
(legevakt).

Demand (per row): ``population``. Capacity per provider: catchment population, doctor hours
(weekday and weekend rota), nurses on duty (one more per ``population_per_extra_nurse``).
Cost: doctor hours × the SFS 2305 hourly rate of the district size × the rate index × (1 +
employer's contribution of the host) + nurse FTE × pay. A district below
``on_call_max_population`` has one doctor on call from home (standby pay for every
out-of-hours hour, active hours at the legevakt rate), no nurse station and a bought
legevaktsentral.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from planning.services.base import (
    DAYS_PER_YEAR,
    HOURS_PER_YEAR,
    DemandContext,
    Measure,
    PlanContext,
    ServiceSpec,
    per_unit,
    value,
)
from planning.sourced import Model, NonNegative, Positive, Profession

KIND = "rota"
PLAN_ORDER = 1
MEASURE_UNITS = {
    "population": Measure("inhabitants", "population"),
    "catchment_population": Measure("inhabitants", "population"),
    "doctor_hours": Measure("hours per year", "resource"),
    "nurses_on_duty": Measure("nurses on duty round the clock", "resource"),
    "on_call_from_home": Measure("1 if the district has a doctor on call from home", "other"),
    "added_travel_minutes": Measure("minutes one way (population-weighted)", "other"),
}


class RateBracket(Model):
    """SFS 2305 legevakt hourly pay for districts up to ``max_population`` inhabitants."""

    max_population: Positive | None = None  # None: no upper bound
    weekday: NonNegative  # NOK per hour
    weekend: NonNegative  # NOK per hour


class Legevakt(ServiceSpec):
    """Legevakt: a round-the-clock station whose rota is fixed, whatever the catchment size."""

    MEASURES = MEASURE_UNITS
    kind: Literal["rota"]
    doctor_hours_weekday: NonNegative  # doctor on duty per weekday (hours)
    doctor_hours_weekend: NonNegative  # doctor on duty per weekend/holiday day (hours)
    weekend_days: NonNegative  # weekend and holiday days per year
    doctor_rates: list[RateBracket] = Field(min_length=1)  # ascending district size
    doctor_rate_index: Positive  # factor from the rates' year to the catalogue price year
    nurses_on_duty: NonNegative  # nurses on duty round the clock per station
    population_per_extra_nurse: Positive  # one more nurse on duty per this many inhabitants
    profession: Profession
    doctor_profession: Profession = "lege"
    on_call_max_population: NonNegative | None = None  # None: every district runs a station
    on_call_standby_weekday: NonNegative | None = None  # NOK per hour on call
    on_call_standby_weekend: NonNegative | None = None
    on_call_active_hours_per_1000: NonNegative | None = None  # per 1 000 inhabitants per year
    on_call_sentral_nok_per_inhabitant: NonNegative | None = None

    @model_validator(mode="after")
    def _brackets(self) -> Legevakt:
        bounds = [b.max_population.value for b in self.doctor_rates if b.max_population is not None]
        if bounds != sorted(bounds):
            raise ValueError("doctor_rates must be in ascending order of max_population")
        return self

    def professions(self) -> list[str]:
        return [self.profession]

    def demand_measures(self) -> list[str]:
        return ["population"]


Spec = Legevakt


def demand(ctx: DemandContext, services: dict[str, Legevakt]) -> None:
    for s in services:
        ctx.out[(s, "population")] = ctx.population()


def rates(lg: Any, catchment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SFS 2305 weekday and weekend hourly rates for each catchment size (NOK per hour)."""
    bounds = np.array(
        [br.max_population.value if br.max_population else np.inf for br in lg.doctor_rates]
    )
    wd = np.array([br.weekday.value for br in lg.doctor_rates])
    we = np.array([br.weekend.value for br in lg.doctor_rates])
    i = np.minimum(np.searchsorted(bounds, catchment, side="left"), len(bounds) - 1)
    return wd[i], we[i]


def plan(ctx: PlanContext, s: str, lg: Legevakt) -> None:
    st = ctx.catalogue.staffing
    hours_fte = ctx.hours_per_fte
    p = ctx.providers[s]
    catchment = p.agg(ctx.inhabitants)
    weekdays = DAYS_PER_YEAR - lg.weekend_days.value
    hours_wd = lg.doctor_hours_weekday.value * weekdays
    hours_we = lg.doctor_hours_weekend.value * lg.weekend_days.value
    rate_wd, rate_we = rates(lg, catchment)
    aga_host = per_unit([st.aga_rate(ctx.codes[h]) for h in p.hosts])
    doctor_nok = (
        (hours_wd * rate_wd + hours_we * rate_we) * lg.doctor_rate_index.value * (1 + aga_host)
    )
    nurses = lg.nurses_on_duty.value + np.floor(catchment / lg.population_per_extra_nurse.value)
    doctor_hours = np.full_like(catchment, hours_wd + hours_we)
    sentral_nok = np.zeros_like(catchment)
    if lg.on_call_max_population is not None:
        on_call = catchment < lg.on_call_max_population.value
        active = np.minimum(
            catchment / 1000.0 * value(lg.on_call_active_hours_per_1000), hours_wd + hours_we
        )
        standby = (
            hours_wd * value(lg.on_call_standby_weekday)
            + hours_we * value(lg.on_call_standby_weekend)
        ) * lg.doctor_rate_index.value
        rate_mean = (hours_wd * rate_wd + hours_we * rate_we) / (hours_wd + hours_we)
        on_call_nok = (standby + active * rate_mean * lg.doctor_rate_index.value) * (1 + aga_host)
        doctor_nok = np.where(on_call, on_call_nok, doctor_nok)
        doctor_hours = np.where(on_call, active, doctor_hours)
        nurses = np.where(on_call, 0.0, nurses)
        sentral_nok = np.where(
            on_call, catchment * value(lg.on_call_sentral_nok_per_inhabitant), 0.0
        )
        ctx.cap(s, p.names, "on_call_from_home", on_call.astype(float))
    nurse_fte = nurses * HOURS_PER_YEAR / hours_fte
    doctor_fte = doctor_hours / hours_fte
    ctx.cap(s, p.names, "catchment_population", catchment)
    ctx.cap(s, p.names, "doctor_hours", doctor_hours)
    ctx.cap(s, p.names, "nurses_on_duty", nurses)
    ctx.cap(s, p.names, "added_travel_minutes", ctx.added_minutes(p))
    for prof, f in ((lg.doctor_profession, doctor_fte), (lg.profession, nurse_fte)):
        ctx.staff_rows(s, p.names, prof, f, np.zeros_like(f), f)
    ctx.unit_cost[s] = {
        "staff": doctor_nok + nurse_fte * ctx.host_cost(p, lg.profession),
        "travel": np.zeros_like(catchment),
    }
    if lg.on_call_max_population is not None:
        ctx.unit_cost[s]["legevaktsentral"] = sentral_nok
    ctx.use[s] = ctx.inhabitants  # no contact rates seen: use = inhabitants
