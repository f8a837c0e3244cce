"""Erlang B bed sizing, staff indivisibilities, travel and cost sharing (planning.capacity)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import poisson

from planning.capacity import (
    beds_for_blocking,
    beds_for_occupancy,
    compare_pooling,
    erlang_b,
    evaluate,
    municipality_travel,
)
from planning.demand import AGES, project_demand
from planning.errors import InputError
from planning.parameters import Levers, Organisation, Unit, load_catalogue

CODES = ["5035", "5034", "5032", "5033"]


# ------------------------------------------------------------------------------------------------
# Erlang B
# ------------------------------------------------------------------------------------------------
def test_erlang_b_published_values():
    # standard Erlang B table values
    assert erlang_b(5, 3.0) == pytest.approx(0.1101, abs=5e-5)
    assert erlang_b(10, 5.0) == pytest.approx(0.0184, abs=5e-5)
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_b(0, 2.0) == 1.0
    assert erlang_b(3, 0.0) == 0.0


def _erlang_b_poisson(c: int, a: float) -> float:
    """Independent formula: B(c, a) = P(N = c) / P(N <= c) for N ~ Poisson(a)."""
    return float(poisson.pmf(c, a) / poisson.cdf(c, a))


@settings(max_examples=60, deadline=None)
@given(c=st.integers(0, 200), a=st.floats(0.01, 150.0))
def test_erlang_b_matches_truncated_poisson(c, a):
    assert erlang_b(c, a) == pytest.approx(_erlang_b_poisson(c, a), rel=1e-8, abs=1e-300)


def test_erlang_b_large_c_stable():
    b = erlang_b(1000, 1000.0)
    assert b == pytest.approx(_erlang_b_poisson(1000, 1000.0), rel=1e-9)
    assert b == pytest.approx(0.0248, abs=5e-4)
    # heavy overload: direct formula would underflow; recursion gives ~ 1 - c/a
    b = erlang_b(5000, 50000.0)
    assert 0.0 < b <= 1.0 and b == pytest.approx(1 - 5000 / 50000, abs=2e-3)
    assert np.isfinite(erlang_b(20000, 100.0)) and erlang_b(20000, 100.0) < 1e-300


def test_erlang_b_vectorised_broadcast():
    c = np.array([1, 5, 10])
    a = np.array([[1.0], [3.0], [5.0]])
    out = erlang_b(c, a)
    assert out.shape == (3, 3)
    assert out[1, 1] == pytest.approx(erlang_b(5, 3.0))
    assert out[2, 2] == pytest.approx(erlang_b(10, 5.0))


@settings(max_examples=60, deadline=None)
@given(c=st.integers(0, 60), a=st.floats(0.01, 60.0), da=st.floats(0.01, 10.0))
def test_erlang_b_monotone(c, a, da):
    assert erlang_b(c + 1, a) < erlang_b(c, a)  # more beds, less blocking
    assert erlang_b(c, a + da) >= erlang_b(c, a)  # more load, more blocking


def test_erlang_b_rejects_bad_input():
    with pytest.raises(InputError):
        erlang_b(-1, 1.0)
    with pytest.raises(InputError):
        erlang_b(2.5, 1.0)
    with pytest.raises(InputError):
        erlang_b(2, -1.0)
    with pytest.raises(InputError):
        erlang_b(2, float("nan"))


@settings(max_examples=60, deadline=None)
@given(a=st.floats(0.001, 80.0), target=st.floats(0.001, 0.5))
def test_beds_for_blocking_is_the_fewest(a, target):
    c = beds_for_blocking(a, target)
    assert erlang_b(c, a) <= target
    assert c == 0 or erlang_b(c - 1, a) > target


@settings(max_examples=60, deadline=None)
@given(a=st.floats(0.0, 50.0), da=st.floats(0.0, 20.0), target=st.floats(0.005, 0.3))
def test_more_load_more_beds(a, da, target):
    assert beds_for_blocking(a + da, target) >= beds_for_blocking(a, target)
    assert beds_for_blocking(a, target / 2) >= beds_for_blocking(a, target)


@settings(max_examples=80, deadline=None)
@given(
    loads=st.lists(st.floats(0.0, 20.0), min_size=1, max_size=8),
    target=st.floats(0.005, 0.5),
)
def test_pooled_never_needs_more_beds(loads, target):
    separate = int(np.sum(beds_for_blocking(np.array(loads), target)))
    pooled = beds_for_blocking(float(np.sum(loads)), target)
    assert pooled <= separate


def test_vaernes_kad_pooling_illustration():
    # national ØHD 2022: 22.2 bed-days per 1 000 inhabitants; populations 2024 (SSB 07459)
    pops = np.array([24717, 4216, 2454, 773])
    loads = 22.2 * pops / 1000 / 365
    separate = beds_for_blocking(loads, 0.05)
    assert separate.tolist() == [4, 2, 2, 1] and separate.sum() == 9
    pooled = beds_for_blocking(loads.sum(), 0.05)
    assert pooled == 5
    occupancy = loads.sum() * (1 - erlang_b(pooled, loads.sum())) / pooled
    assert occupancy == pytest.approx(0.38, abs=0.01)


def test_compare_pooling_table():
    pops = {"Stjørdal": 24717, "Selbu": 4216, "Meråker": 2454, "Tydal": 773}
    t = compare_pooling({k: 22.2 * v / 1000 / 365 for k, v in pops.items()}, 0.05, 0.85).set_index(
        "unit"
    )
    assert t.loc["separate_total", "beds"] == 9 and t.loc["pooled", "beds"] == 5
    assert t.loc["pooled", "offered_load"] == pytest.approx(t.loc["separate_total", "offered_load"])
    assert t.loc["pooled", "occupancy"] > t.loc["separate_total", "occupancy"]
    assert (t.refusal_probability <= 0.05).all()
    # occupancy sizing gives fewer beds but refuses more than the Erlang target in small units
    assert t.loc["Tydal", "beds_at_occupancy_target"] == 1
    with pytest.raises(InputError):
        compare_pooling({}, 0.05)


def test_beds_for_blocking_zero_and_bad_target():
    assert beds_for_blocking(0.0, 0.05) == 0
    for bad in (0.0, 1.0, -0.1, 1.5):
        with pytest.raises(InputError):
            beds_for_blocking(1.0, bad)


def test_beds_for_occupancy():
    assert beds_for_occupancy(1.96, 0.85) == 3
    assert beds_for_occupancy(8.5, 0.85) == 10  # exactly at target
    assert beds_for_occupancy(0.0, 0.85) == 0
    np.testing.assert_array_equal(beds_for_occupancy(np.array([0.5, 4.0]), 1.0), [1, 4])
    with pytest.raises(InputError):
        beds_for_occupancy(1.0, 0.0)
    # small units sized by occupancy refuse far more than the Erlang target
    a = 0.3
    assert erlang_b(beds_for_occupancy(a, 0.85), a) > 0.2


# ------------------------------------------------------------------------------------------------
# evaluate on synthetic inputs
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def _population(
    sizes: dict[str, float], years=(2025, 2026, 2027), runs: int | None = None
) -> pd.DataFrame:
    """Synthetic population: flat age profile, half women, ``sizes`` inhabitants each."""
    rows = []
    for code, size in sizes.items():
        for y in years:
            for sex in ("female", "male"):
                per_age = size / 2 / AGES.size
                rows.append(
                    pd.DataFrame(
                        {
                            "municipality_code": code,
                            "year": y,
                            "sex": sex,
                            "age": AGES,
                            "population": per_age,
                        }
                    )
                )
    pop = pd.concat(rows, ignore_index=True)
    if runs:
        parts = []
        for r in range(runs):
            p = pop.copy()
            p["population"] *= 1.0 + 0.1 * r
            p["run"] = r
            parts.append(p)
        pop = pd.concat(parts, ignore_index=True)
    return pop


def _travel(codes, minutes=40.0, km=45.0) -> pd.DataFrame:
    rows = [(a, b, minutes, km) for a in codes for b in codes if a != b]
    return pd.DataFrame(rows, columns=["from_code", "to_code", "minutes", "distance_km"])


SIZES = {"5035": 25000.0, "5034": 2500.0, "5032": 4200.0, "5033": 800.0}


def _plan(catalogue, organisation, sizes=SIZES, runs=None, travel=True, levers=None, minutes=40.0):
    pop = _population(sizes, runs=runs)
    demand = project_demand(pop, catalogue, levers)
    tr = _travel(list(sizes), minutes=minutes, km=minutes) if travel else None
    return evaluate(pop, demand, catalogue, organisation, levers, travel=tr)


def _shared(service: str, key: str = "population", fixed: float | None = None) -> Organisation:
    return Organisation(
        units=[
            Unit(
                service=service,
                name=f"felles {service}",
                host="5035",
                members=CODES,
                cost_key=key,
                fixed_share=fixed,
            )
        ]
    )


def test_pooled_kad_unit_needs_fewer_beds(catalogue):
    alone = _plan(catalogue, Organisation())
    pooled = _plan(catalogue, _shared("kad"))

    def beds(plan):
        c = plan.capacity
        return c[(c.service == "kad") & (c.measure == "beds")].groupby("year").value.sum()

    assert (beds(pooled) < beds(alone)).all()
    c = pooled.capacity
    refusal = c[(c.service == "kad") & (c.measure == "refusal_probability")].value
    assert (refusal <= 0.05).all()

    # the KAD staff cost falls with the beds; the shared unit's overhead (leadership,
    # administration, IT, coordination: planning.overhead) comes on top and may eat the saving
    def k(p, items=None):
        c = p.costs[p.costs.service == "kad"]
        return c[c.item.isin(items)].nok.sum() if items else c.nok.sum()

    assert k(pooled, ["staff"]) < k(alone, ["staff"])
    overhead = pooled.costs[pooled.costs.item.str.startswith("overhead_")]
    assert (overhead.nok >= 0).all() and overhead[overhead.service == "kad"].nok.sum() > 0
    assert k(pooled) - k(pooled, ["staff", "travel"]) == pytest.approx(
        overhead[overhead.service == "kad"].nok.sum()
    )
    assert not alone.costs.item.str.startswith("overhead_").any()  # nothing shared, no overhead


def test_sharing_adds_travel_and_removes_indivisibilities(catalogue):
    alone = _plan(catalogue, Organisation())
    pooled = _plan(catalogue, _shared("kommuneoverlege"))
    s_alone = alone.staff[(alone.staff.service == "kommuneoverlege")]
    s_pool = pooled.staff[(pooled.staff.service == "kommuneoverlege")]
    fte = lambda s, m: s[s.measure == m].groupby("year").value.sum()  # noqa: E731
    # each small municipality alone holds at least the 50 % minimum position (SFS 2305)
    small = s_alone[(s_alone.measure == "fte") & (s_alone.unit == "5033")].value
    assert (small >= 0.5).all()
    assert (fte(s_alone, "fte_travel") == 0).all()
    assert (fte(s_pool, "fte_travel") > 0).all()
    assert (fte(s_pool, "fte") < fte(s_alone, "fte")).all()
    # workload from the norm is the same however the service is organised
    np.testing.assert_allclose(fte(s_pool, "fte_workload"), fte(s_alone, "fte_workload"))
    assert (
        pooled.costs[
            (pooled.costs.service == "kommuneoverlege") & (pooled.costs.item == "travel")
        ].nok.sum()
        > 0
    )


def _check_shares(plan):
    sh = plan.cost_shares
    sums = sh.groupby(["service", "unit", "year"]).share.sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-12)
    # every NOK in the shares appears in what the municipalities pay
    # (staff, travel and the running overhead of shared units: planning.overhead)
    items = plan.costs.item
    paid = plan.costs[items.isin(["staff", "travel"]) | items.str.startswith("overhead_")]
    paid = paid.groupby(["service"]).nok.sum()
    shared = sh.groupby("service").nok.sum()
    pd.testing.assert_series_equal(
        paid.sort_index(), shared.sort_index(), check_names=False, rtol=1e-12
    )


@pytest.mark.parametrize(
    ("key", "fixed"),
    [("population", None), ("use", None), ("fixed_plus_use", 0.4), ("fixed_plus_use", 1.0)],
)
def test_cost_shares_sum_to_the_total(catalogue, key, fixed):
    org = Organisation(
        units=[
            Unit(
                service=s,
                name=f"felles {s}",
                host="5035",
                members=CODES,
                cost_key=key,
                fixed_share=fixed,
            )
            for s in ("legevakt", "kad", "jordmor", "brukerkontor")
        ]
    )
    plan = _plan(catalogue, org)
    _check_shares(plan)
    sh = plan.cost_shares[(plan.cost_shares.service == "legevakt")]
    unit_total = sh.groupby("year").nok.sum()
    assert (unit_total > 0).all()
    if key == "fixed_plus_use" and fixed == 1.0:
        np.testing.assert_allclose(sh.share, 0.25)  # all fixed: equal split
    if key == "population":
        y = sh[sh.year == 2026].set_index("municipality_code").share
        assert y["5035"] == pytest.approx(25000 / sum(SIZES.values()))


def test_use_key_follows_use(catalogue):
    # the same flat age profile: bed-day use is proportional to inhabitants, so use = population
    by_use = _plan(catalogue, _shared("kad", "use")).cost_shares
    by_pop = _plan(catalogue, _shared("kad", "population")).cost_shares
    a = by_use[by_use.service == "kad"].sort_values(["municipality_code", "year"]).share.to_numpy()
    b = by_pop[by_pop.service == "kad"].sort_values(["municipality_code", "year"]).share.to_numpy()
    np.testing.assert_allclose(a, b, rtol=1e-9)


def test_host_employs_staff_at_its_employer_contribution(catalogue):
    # Tydal (zone III, 6.4 %) hosting a shared unit pays less employer's contribution than
    # Stjørdal (14.1 %) for the same staff (no travel, so the FTE are equal)
    org_stj = _shared("jordmor")
    org_tyd = Organisation(
        units=[Unit(service="jordmor", name="felles jordmor", host="5033", members=CODES)]
    )
    p1 = _plan(catalogue, org_stj, minutes=0.0)
    p2 = _plan(catalogue, org_tyd, minutes=0.0)
    f = lambda p: p.staff[(p.staff.service == "jordmor") & (p.staff.measure == "fte")].value.sum()  # noqa: E731
    assert f(p1) == pytest.approx(f(p2))
    s1 = p1.costs[(p1.costs.service == "jordmor") & (p1.costs.item == "staff")].nok.sum()
    s2 = p2.costs[(p2.costs.service == "jordmor") & (p2.costs.item == "staff")].nok.sum()
    assert s2 / s1 == pytest.approx(1.064 / 1.141, rel=1e-9)


def test_runs_are_computed_together(catalogue):
    org = _shared("legevakt")
    multi = _plan(catalogue, org, runs=3)
    assert set(multi.capacity.run) == {0, 1, 2}
    for r in (0, 2):
        sizes = {k: v * (1 + 0.1 * r) for k, v in SIZES.items()}
        single = _plan(catalogue, org, sizes=sizes)
        a = multi.costs[multi.costs.run == r].drop(columns="run").reset_index(drop=True)
        pd.testing.assert_frame_equal(a, single.costs.reset_index(drop=True), rtol=1e-10)
        b = multi.capacity[multi.capacity.run == r].drop(columns="run").reset_index(drop=True)
        pd.testing.assert_frame_equal(b, single.capacity.reset_index(drop=True), rtol=1e-10)


def test_overlier_cost_is_refused_bed_days_times_day_rate(catalogue):
    plan = _plan(catalogue, Organisation())
    cap, costs = plan.capacity, plan.costs
    refused = cap[(cap.service == "intermediaer") & (cap.measure == "refused_bed_days")].value.sum()
    paid = costs[(costs.service == "intermediaer") & (costs.item == "overliggedogn")].nok.sum()
    assert paid == pytest.approx(refused * catalogue.intermediaer.overlier_day_rate.value, rel=1e-9)


def test_stricter_refusal_target_needs_more_beds(catalogue):
    loose = _plan(catalogue, Organisation(), levers=Levers(max_refusal=0.2)).capacity
    strict = _plan(catalogue, Organisation(), levers=Levers(max_refusal=0.01)).capacity
    beds = lambda c: c[(c.measure == "beds")].value.sum()  # noqa: E731
    assert beds(strict) > beds(loose)


def test_frames_follow_the_contracts(catalogue):
    plan = _plan(catalogue, _shared("legevakt"))
    assert list(plan.capacity.columns) == ["unit", "year", "service", "measure", "value"]
    assert list(plan.staff.columns) == ["unit", "year", "service", "profession", "measure", "value"]
    assert list(plan.costs.columns) == [
        "municipality_code",
        "year",
        "service",
        "item",
        "nok",
        "price_year",
    ]
    assert list(plan.cost_shares.columns) == [
        "municipality_code",
        "year",
        "service",
        "unit",
        "key",
        "share",
        "nok",
    ]
    assert (plan.costs.price_year == catalogue.price_year).all()
    assert np.isfinite(plan.costs.nok).all() and (plan.costs.nok >= 0).all()
    assert np.isfinite(plan.capacity.value).all()
    fte = plan.staff[plan.staff.measure == "fte"].value
    assert (fte >= 0).all()
    u = plan.units[plan.units.unit == "felles legevakt"]
    assert sorted(u.municipality_code) == sorted(CODES) and (u.host == "5035").all()


def test_missing_travel_for_a_shared_unit_is_an_error(catalogue):
    with pytest.raises(InputError, match="travel"):
        _plan(catalogue, _shared("jordmor"), travel=False)
    # nothing shared: no travel needed
    _plan(catalogue, Organisation(), travel=False)


def test_unit_member_outside_the_demand_is_an_error(catalogue):
    org = Organisation(units=[Unit(service="kad", name="x", host="5035", members=["5035", "5036"])])
    with pytest.raises(InputError, match="5036"):
        _plan(catalogue, org)


def test_demand_missing_a_measure_is_an_error(catalogue):
    pop = _population(SIZES)
    demand = project_demand(pop, catalogue)
    bad = demand[~((demand.service == "kad") & (demand.measure == "bed_days"))]
    with pytest.raises(InputError, match="kad/bed_days"):
        evaluate(pop, bad, catalogue, Organisation())


def test_municipality_travel_from_places():
    places = pd.DataFrame(
        {
            "place_id": ["a", "b", "h"],
            "municipality_code": ["5035", "5034", "5037"],
            "role": ["municipality_centre;dms", "municipality_centre", "hospital"],
        }
    )
    travel = pd.DataFrame(
        {
            "from_id": ["a", "b", "a"],
            "to_id": ["b", "a", "h"],
            "minutes": [37.0, 37.0, 40.0],
            "distance_km": [43.0, 43.0, 47.0],
        }
    )
    out = municipality_travel(travel, places)
    assert len(out) == 2
    assert set(zip(out.from_code, out.to_code, strict=True)) == {("5035", "5034"), ("5034", "5035")}
    with pytest.raises(InputError):
        municipality_travel(travel)


def test_travel_by_municipality_in_any_form_gives_the_same_plan(catalogue):
    """evaluate reads a frame already by municipality with text codes as it is (the pipeline's,
    pandas 'string' codes, or plain str objects) and converts any other (integer codes): the
    plan of a shared unit, with its added travel, is the same for all."""
    pop = _population(SIZES)
    demand = project_demand(pop, catalogue)
    org = _shared("kad")
    text = _travel(list(SIZES), minutes=55.0, km=60.0)
    forms = {
        "object": text,
        "string": text.astype({"from_code": "string", "to_code": "string"}),
        "integer": text.astype({"from_code": int, "to_code": int}),
    }
    plans = {k: evaluate(pop, demand, catalogue, org, travel=tr) for k, tr in forms.items()}
    c = plans["object"].capacity
    assert (c[c.measure == "added_travel_minutes"].value > 0).any()
    for k in ("string", "integer"):
        for name in ("capacity", "staff", "costs"):
            pd.testing.assert_frame_equal(getattr(plans[k], name), getattr(plans["object"], name))
    assert forms["integer"]["from_code"].dtype == np.int64  # the caller's frame is not changed
