"""Kind ``case_office``: brukerkontor / tildelingskontor, case workers for the applications and
reviews of the users of the care services.

Demand (per row, after mitigators): ``cases`` = Σ over the coverage-rate services of users ×
their ``cases_per_user``. Staff per provider: case workers = cases / ``cases_per_fte``, travel
for assessment visits in the users' homes, and management (``management_fte_per_caseworker`` of
the office, at most ``management_fte``; or ``management_fte`` per office). Cost: FTE × pay at the
host, plus km driven × km rate.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from planning.services.base import DemandContext, Measure, PlanContext, ServiceSpec
from planning.sourced import NonNegative, Positive, Profession

KIND = "case_office"
PLAN_ORDER = 3
#: demand from other services' demand: computed after the mitigators have acted
DERIVED = True
MEASURE_UNITS = {
    "cases": Measure("cases per year"),
    "added_travel_minutes": Measure("minutes one way (population-weighted)", "other"),
}


class UserOffice(ServiceSpec):
    """Brukerkontor / tildelingskontor: cases from users, case-worker FTE, fixed management."""

    MEASURES = MEASURE_UNITS
    kind: Literal["case_office"]
    cases_per_fte: Positive
    management_fte: NonNegative  # per office, at most
    management_fte_per_caseworker: NonNegative | None = None  # None: management_fte per office
    visits_per_case: NonNegative  # assessment visits in the user's home per case
    profession: Profession

    def demand_measures(self) -> list[str]:
        return ["cases"]


Spec = UserOffice


def demand(ctx: DemandContext, services: dict[str, UserOffice]) -> None:
    cov = ctx.catalogue.coverage
    for s in services:
        ctx.out[(s, "cases")] = sum(
            ctx.out[(c, "users")] * spec.cases_per_user.value for c, spec in cov.services().items()
        )


def plan(ctx: PlanContext, s: str, bk: UserOffice) -> None:
    p = ctx.providers[s]
    hours_fte = ctx.hours_per_fte
    cases_m = ctx.demand(s, "cases")
    cases = p.agg(cases_m)
    t_min, t_km = ctx.to_host(p)
    visits_m = cases_m * bk.visits_per_case.value
    travel_fte = p.agg(visits_m * 2 * t_min / 60.0) / hours_fte
    km_nok = p.agg(visits_m * 2 * t_km) * ctx.catalogue.travel.km_rate.value
    workload = cases / bk.cases_per_fte.value
    if bk.management_fte_per_caseworker is not None:  # management grows with the office
        management = np.minimum(
            (workload + travel_fte) * bk.management_fte_per_caseworker.value,
            bk.management_fte.value,
        )
    else:
        management = np.zeros_like(workload) + bk.management_fte.value
    ctx.staff(s, p.names, bk.profession, "fte_management", management)
    fte = workload + travel_fte + management
    ctx.cap(s, p.names, "cases", cases)
    ctx.cap(s, p.names, "added_travel_minutes", ctx.added_minutes(p))
    ctx.staff_rows(s, p.names, bk.profession, workload, travel_fte, fte)
    ctx.unit_cost[s] = {"staff": fte * ctx.host_cost(p, bk.profession), "travel": km_nok}
    ctx.use[s] = cases_m
