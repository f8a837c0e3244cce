"""Kind ``coverage_rate``: care services whose users are a share of the population by KOSTRA age
group (hjemmetjenester and the two forms of heldøgnsomsorg, langtidsopphold and heldogn_bolig),
each municipality running its own.

Demand (per row): ``users`` = population by single age × the coverage rate of its age group
(from the KOSTRA model of :mod:`planning.coverage`, shifted to higher ages by healthy ageing);
the lever ``institution_to_home_shift`` moves long-term residents to housing with 24-hour staff
and to home services; ``fte`` = users × ``fte_per_user`` × (1 + FTE-per-user growth) ^ years
(home care: each former resident staffed as ``fte_per_former_resident``); ``places`` = users /
``occupancy`` for the heldøgn forms. Staff per municipality: FTE by ``profession_mix`` (the nurse
share from each municipality's KOSTRA figures when calibrated; home care's FTE scaled to its own
hours per user). Cost: FTE × pay in the municipality.

These services are tied to their KOSTRA series (``indicator``): a new coverage-rate service needs
its series in :mod:`planning.coverage` as well as an entry in ``data/services.yaml``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import model_validator

from planning.errors import InputError
from planning.services.base import DemandContext, Measure, PlanContext, ServiceSpec
from planning.sourced import (
    AGE_GROUP_BOUNDS,
    AGE_GROUPS,
    AgeGroup,
    Fraction,
    NonNegative,
    Occupancy,
    OpenFraction,
    Profession,
    check_mix,
)

KIND = "coverage_rate"
PLAN_ORDER = 5
MEASURE_UNITS = {
    "users": Measure("persons"),
    "fte": Measure("FTE", "resource"),
    "places": Measure("places (residents / occupancy)", "resource"),
    # home care less what the scenario's prevention units avoid (planning.services.mitigation)
    "users_avoided": Measure("persons avoided by prevention", "other"),
    "fte_avoided": Measure("FTE avoided by prevention", "resource"),
}


class CoverageService(ServiceSpec):
    """A service whose users are a share of the population by KOSTRA age group."""

    SHAREABLE = False

    MEASURES = MEASURE_UNITS
    kind: Literal["coverage_rate"] = "coverage_rate"
    indicator: Literal["home_service_users", "long_term_residents", "residents_24h_housing"]
    fallback_rates: dict[AgeGroup, Fraction]  # users per inhabitant when no KOSTRA estimate
    fte_per_user: NonNegative  # FTE per user per year at the base year (see below)
    # home care: fte_per_user is computed from these and staffing.hours_per_fte when the
    # catalogue is read (ServiceCatalogue._derive), so a change of either reaches the FTE
    hours_per_week_per_user: NonNegative | None = None  # allocated hours per week per user
    direct_time_share: OpenFraction | None = None  # share of paid hours spent with users
    profession_mix: dict[Profession, Fraction]  # shares of the FTE by profession (sum 1)
    cases_per_user: NonNegative  # user-office cases (applications + reviews) per user per year
    occupancy: Occupancy | None = None  # residents per place (heldøgn forms): places = users / it
    fte_per_former_resident: NonNegative | None = None  # FTE per user moved in from an institution

    @model_validator(mode="after")
    def _complete(self) -> CoverageService:
        missing = [g for g in AGE_GROUPS if g not in self.fallback_rates]
        if missing:
            raise ValueError(f"fallback_rates lacks age groups {missing}")
        check_mix(self.profession_mix)
        return self

    def professions(self) -> list[str]:
        return list(self.profession_mix)

    def demand_measures(self) -> list[str]:
        return ["users", "fte"] + (["places"] if self.occupancy is not None else [])


Spec = CoverageService
#: the services of this kind, as the coverage model and the institution-to-home lever name them
HOME, INSTITUTION, HOUSING = "hjemmetjenester", "langtidsopphold", "heldogn_bolig"


def demand(ctx: DemandContext, services: dict[str, CoverageService]) -> None:
    if set(services) != {HOME, INSTITUTION, HOUSING}:
        raise InputError(
            f"coverage-rate services {sorted(services)} are not the KOSTRA series the coverage "
            "model estimates",
            key="coverage",
            allowed=[HOME, INSTITUTION, HOUSING],
        )
    lv = ctx.levers
    bounds = list(AGE_GROUP_BOUNDS)
    users = {
        s: ctx.ages.banded(bounds, [ctx.group_rates[s][..., g] for g in range(len(AGE_GROUPS))])
        for s in services
    }
    # institution_to_home_shift: residents moved out of institutions, to housing with 24-hour
    # staff and to home services, each staffed as the form it moves to
    ramp = np.clip(ctx.since / np.asarray(lv.institution_to_home_years, dtype=float), 0.0, 1.0)
    moved = users[INSTITUTION] * ramp * np.asarray(lv.institution_to_home_shift, dtype=float)
    to_housing = moved * np.asarray(lv.institution_to_housing_share, dtype=float)
    to_home = moved - to_housing
    users[INSTITUTION] = users[INSTITUTION] - moved
    users[HOUSING] = users[HOUSING] + to_housing
    users[HOME] = users[HOME] + to_home
    growth = (1.0 + np.asarray(lv.fte_per_user_growth, dtype=float)) ** ctx.since
    home = services[HOME]
    extra_fte = {
        HOME: to_home
        * (
            (home.fte_per_former_resident or services[HOUSING].fte_per_user).value
            - home.fte_per_user.value
        )
    }
    for s, spec in services.items():
        ctx.out[(s, "users")] = users[s]
        fte = users[s] * spec.fte_per_user.value + extra_fte.get(s, 0.0)
        ctx.out[(s, "fte")] = fte * growth
        if spec.occupancy is not None:
            ctx.out[(s, "places")] = users[s] / spec.occupancy.value


def profession_shares(mix: dict[str, Any], nurse_share: np.ndarray | None) -> dict[str, Any]:
    """Shares of FTE by profession: the catalogue's, or with the nurse share of each municipality
    and the other professions scaled to fill the rest in their catalogue proportions."""
    shares = {p: np.asarray(s.value, dtype=float) for p, s in mix.items()}
    if nurse_share is None or "sykepleier" not in shares:
        return shares
    rest = 1.0 - shares["sykepleier"]
    out: dict[str, Any] = {"sykepleier": nurse_share}
    for p, v in shares.items():
        if p != "sykepleier":
            part = np.divide(v, rest, out=np.zeros_like(v * rest), where=rest > 0)
            out[p] = (1.0 - nurse_share) * part
    return out


def plan(ctx: PlanContext, s: str, spec: CoverageService) -> None:
    codes = ctx.codes
    users, fte_total = ctx.demand(s, "users"), ctx.demand(s, "fte")
    if s == HOME:
        fte_total = fte_total * ctx.home_factor  # each municipality's own hours per user
        users, fte_total = _prevented(ctx, s, users, fte_total)
    ctx.cap(s, codes, "users", users)
    if spec.occupancy is not None:
        ctx.cap(s, codes, "places", ctx.demand(s, "places"))
    own_staff(ctx, s, spec.profession_mix, fte_total)


def own_staff(ctx: PlanContext, s: str, mix: dict[str, Any], fte_total: np.ndarray) -> None:
    """Staff rows of each profession of ``mix`` (:func:`profession_shares`) for the FTE
    ``fte_total`` (R, M, Y) each municipality employs itself (no travel), and their cost, which
    each municipality pays (``ctx.own``)."""
    codes = ctx.codes
    nok = np.zeros_like(fte_total)
    for prof, share in profession_shares(mix, ctx.nurse_share).items():
        f = fte_total * share
        ctx.staff_rows(s, codes, prof, f, np.zeros_like(f), f)
        nok = nok + f * ctx.own_cost(prof)
    ctx.own.append((s, "staff", nok))


def _prevented(ctx: PlanContext, s: str, users: Any, fte_total: Any) -> tuple[Any, Any]:
    """Users and FTE less what the prevention units the scenario adds avoid (the catalogue's
    ``mitigation:`` section, :mod:`planning.services.mitigation`), ramping in from the first year of the
    evaluation (today's observed year); unchanged without such units."""
    from planning.services import mitigation as mitigators

    cat = ctx.catalogue
    if ctx.organisation is None or ctx.years is None:
        return users, fte_total
    reach = {
        n: spec.reach_share.value
        for n, spec in cat.services_of("prevention_unit").items()
        if spec.reach_share is not None
    }
    years = ctx.years
    red = mitigators.reductions_for(
        cat.mitigation, ctx.organisation, ctx.codes, years, int(years.min()), s, reach
    )
    if red:
        users, users_avoided = mitigators.apply(users, red.get("users", []))
        fte_total, fte_avoided = mitigators.apply(
            fte_total, red.get("users", []) + red.get("fte", [])
        )
        ctx.cap(s, ctx.codes, "users_avoided", users_avoided)
        ctx.cap(s, ctx.codes, "fte_avoided", fte_avoided)
    return users, fte_total
