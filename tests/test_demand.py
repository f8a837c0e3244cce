"""Coverage-rate estimation and demand projection (planning.demand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.demand import (
    AGES,
    bed_rates_by_age,
    estimate_coverage_rates,
    project_demand,
    shifted_rates,
)
from planning.errors import InputError
from planning.parameters import Levers, load_catalogue


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_real_kostra_rates_are_plausible(catalogue):
    from planning.coverage import coverage_rates
    from planning.data import load_kostra

    codes = ["5031", "5032", "5033", "5034", "5035", "5036"]
    model = estimate_coverage_rates(load_kostra(), catalogue, codes)
    assert set(model.municipality_code) == set(codes)
    rates = coverage_rates(model, [2025, 2050], catalogue.coverage.estimation.damping.value)
    assert (rates.rate > 0).all() and (rates.rate < 1).all()
    h = rates[(rates.service == "hjemmetjenester") & (rates.year == 2025)].pivot(
        index="municipality_code", columns="age_group", values="rate"
    )
    # use rises with age in every municipality
    assert ((h["0-66"] < h["67-79"]) & (h["67-79"] < h["80+"])).all()
    # the 80+ home-service share sits around the national 26 % (SSB KOSTRA 2025)
    assert h["80+"].between(0.15, 0.4).all()


# ------------------------------------------------------------------------------------------------
# projection
# ------------------------------------------------------------------------------------------------
def _population(
    per_age: np.ndarray, years=(2025, 2030, 2035), code="5035", run=None
) -> pd.DataFrame:
    parts = []
    for y in years:
        for sex in ("female", "male"):
            parts.append(
                pd.DataFrame(
                    {
                        "municipality_code": code,
                        "year": y,
                        "sex": sex,
                        "age": AGES,
                        "population": per_age / 2,
                    }
                )
            )
    pop = pd.concat(parts, ignore_index=True)
    if run is not None:
        pop["run"] = run
    return pop


FLAT = np.full(AGES.size, 100.0)
NO_LEVERS = Levers(healthy_ageing=0.0, fte_per_user_growth=0.0, institution_to_home_shift=0.0)


def _value(d: pd.DataFrame, service: str, measure: str, year: int) -> float:
    sel = d[(d.service == service) & (d.measure == measure) & (d.year == year)]
    assert len(sel) == 1
    return float(sel.value.iloc[0])


def test_users_are_population_times_rates(catalogue):
    d = project_demand(_population(FLAT), catalogue, NO_LEVERS)
    fb = catalogue.coverage.hjemmetjenester.fallback_rates
    expected = 100.0 * (67 * fb["0-66"].value + 13 * fb["67-79"].value + 26 * fb["80+"].value)
    for y in (2025, 2035):
        assert _value(d, "hjemmetjenester", "users", y) == pytest.approx(expected)
    assert _value(d, "legevakt", "population", 2030) == pytest.approx(100.0 * AGES.size)
    assert _value(d, "jordmor", "births", 2030) == pytest.approx(100.0)
    assert _value(d, "helsestasjon", "children_0_5", 2030) == pytest.approx(600.0)
    assert _value(d, "skolehelsetjeneste", "pupils_barneskole", 2030) == pytest.approx(700.0)
    assert _value(d, "skolehelsetjeneste", "pupils_ungdomsskole", 2030) == pytest.approx(300.0)


def test_national_kad_rates_reproduce_the_national_totals(catalogue):
    # the per-band rates are built so Norway's 2022 population gives 6.2 admissions and
    # 22.2 bed-days per 1 000 inhabitants (Helsedirektoratet ØHD 2022)
    from planning.data import load_population_norway

    nor = load_population_norway(2022).assign(municipality_code="0000")
    d = project_demand(nor, catalogue, NO_LEVERS)
    total = nor.population.sum()
    assert _value(d, "kad", "admissions", 2022) / total * 1000 == pytest.approx(6.2, rel=2e-4)
    assert _value(d, "kad", "bed_days", 2022) / total * 1000 == pytest.approx(22.2, rel=2e-4)
    # 72 % of admissions are of patients aged 67+
    adm, _ = bed_rates_by_age(catalogue.kad)
    by_age = nor.groupby("age").population.sum().reindex(AGES, fill_value=0).to_numpy()
    old = (adm * by_age)[67:].sum() / (adm * by_age).sum()
    assert old == pytest.approx(0.72, rel=1e-3)


def test_healthy_ageing_lowers_demand_for_the_same_population(catalogue):
    old_heavy = np.linspace(10, 300, AGES.size)
    pop = _population(old_heavy)
    base = project_demand(pop, catalogue, NO_LEVERS)
    healthy = project_demand(pop, catalogue, NO_LEVERS.model_copy(update={"healthy_ageing": 1.0}))
    for s, m in (
        ("hjemmetjenester", "users"),
        ("langtidsopphold", "users"),
        ("kad", "bed_days"),
        ("intermediaer", "bed_days"),
    ):
        assert _value(healthy, s, m, 2025) == pytest.approx(
            _value(base, s, m, 2025)
        )  # base year: no shift
        assert _value(healthy, s, m, 2035) < _value(base, s, m, 2035)
        assert _value(healthy, s, m, 2030) > _value(
            healthy, s, m, 2035
        )  # the shift grows with time
    # age-independent demand is unaffected
    assert _value(healthy, "jordmor", "births", 2035) == _value(base, "jordmor", "births", 2035)


@settings(max_examples=40, deadline=None)
@given(s1=st.floats(0.0, 5.0), ds=st.floats(0.0, 5.0))
def test_shifted_rates_fall_with_larger_shift_for_rising_rates(s1, ds):
    rate = np.linspace(0.0, 1.0, AGES.size) ** 2  # rising with age
    r = shifted_rates(rate, np.array([s1, s1 + ds]))
    assert (r[1] <= r[0] + 1e-12).all()
    assert shifted_rates(rate, np.array([0.0]))[0] == pytest.approx(rate)


def test_fte_per_user_growth_compounds_from_the_base_year(catalogue):
    d = project_demand(
        _population(FLAT), catalogue, NO_LEVERS.model_copy(update={"fte_per_user_growth": 0.005})
    )
    f = catalogue.coverage.hjemmetjenester.fte_per_user.value
    for y in (2025, 2035):
        users = _value(d, "hjemmetjenester", "users", y)
        assert _value(d, "hjemmetjenester", "fte", y) == pytest.approx(
            users * f * 1.005 ** (y - 2025)
        )


def test_institution_to_home_shift_conserves_users_and_staffs_the_destination(catalogue):
    base = project_demand(_population(FLAT), catalogue, NO_LEVERS)
    lv = NO_LEVERS.model_copy(
        update={
            "institution_to_home_shift": 0.3,
            "institution_to_home_years": 10.0,
            "institution_to_housing_share": 0.6,
        }
    )
    shifted = project_demand(_population(FLAT), catalogue, lv)
    cov = catalogue.coverage
    services = ("hjemmetjenester", "langtidsopphold", "heldogn_bolig")
    for y, ramp in ((2025, 0.0), (2030, 0.5), (2035, 1.0)):
        u0 = {s: _value(base, s, "users", y) for s in services}
        u1 = {s: _value(shifted, s, "users", y) for s in services}
        assert sum(u1.values()) == pytest.approx(sum(u0.values()))
        moved = u0["langtidsopphold"] * 0.3 * ramp
        assert u1["langtidsopphold"] == pytest.approx(u0["langtidsopphold"] - moved)
        assert u1["heldogn_bolig"] == pytest.approx(u0["heldogn_bolig"] + 0.6 * moved)
        assert u1["hjemmetjenester"] == pytest.approx(u0["hjemmetjenester"] + 0.4 * moved)
        # each mover is staffed as the form it moves to, not at an average home user's FTE
        f0 = {s: _value(base, s, "fte", y) for s in services}
        f1 = {s: _value(shifted, s, "fte", y) for s in services}
        assert f1["heldogn_bolig"] - f0["heldogn_bolig"] == pytest.approx(
            0.6 * moved * cov.heldogn_bolig.fte_per_user.value
        )
        assert f1["hjemmetjenester"] - f0["hjemmetjenester"] == pytest.approx(
            0.4 * moved * cov.hjemmetjenester.fte_per_former_resident.value
        )
        if ramp > 0:
            assert cov.hjemmetjenester.fte_per_former_resident.value > (
                cov.hjemmetjenester.fte_per_user.value
            )


def test_levers_do_not_act_before_the_base_year(catalogue):
    pop = _population(np.linspace(10, 300, AGES.size), years=(2020, 2024))
    a = project_demand(pop, catalogue, NO_LEVERS)
    b = project_demand(
        pop,
        catalogue,
        Levers(healthy_ageing=1.0, fte_per_user_growth=0.05, institution_to_home_shift=1.0),
    )
    pd.testing.assert_frame_equal(a, b)


def test_runs_are_kept_and_scale(catalogue):
    pop = pd.concat([_population(FLAT, run=0), _population(2 * FLAT, run=1)], ignore_index=True)
    d = project_demand(pop, catalogue)
    assert set(d.run) == {0, 1}
    a = d[d.run == 0].set_index(["municipality_code", "year", "service", "measure"]).value
    b = d[d.run == 1].set_index(["municipality_code", "year", "service", "measure"]).value
    np.testing.assert_allclose(b.to_numpy(), 2 * a.to_numpy())


def test_demand_frame_contract(catalogue):
    d = project_demand(_population(FLAT), catalogue)
    assert list(d.columns) == ["municipality_code", "year", "service", "measure", "value"]
    assert not d.duplicated(["municipality_code", "year", "service", "measure"]).any()
    assert (d.value >= 0).all()


def test_bad_inputs_raise(catalogue):
    with pytest.raises(InputError, match="lacks columns"):
        project_demand(pd.DataFrame({"year": [2025]}), catalogue)
    pop = _population(FLAT)
    pop.loc[0, "population"] = -1.0
    with pytest.raises(InputError, match="negative"):
        project_demand(pop, catalogue)
    from planning.demand import fallback_coverage_rates

    rates = fallback_coverage_rates(catalogue, ["5035"])
    with pytest.raises(InputError, match="5034"):
        project_demand(_population(FLAT, code="5034"), catalogue, coverage_rates=rates)
    with pytest.raises(InputError, match="KOSTRA"):
        estimate_coverage_rates(pd.DataFrame({"x": [1]}), catalogue)


@settings(max_examples=60, deadline=None)
@given(
    shift=st.lists(st.floats(0.0, 30.0), min_size=1, max_size=5),
    bounds=st.lists(st.floats(1.0, 110.0), min_size=1, max_size=3, unique=True),
    seed=st.integers(0, 1000),
)
def test_banded_rates_on_tail_sums_equal_shifted_rates(shift, bounds, seed):
    """The array path counts persons at or above an age from tail sums
    (demand._ShiftedAges); it equals summing P(a) x a shifted step rate (shifted_rates)."""
    from planning.demand import _ShiftedAges

    rng = np.random.default_rng(seed)
    P = rng.uniform(0, 100, (len(shift), AGES.size))
    s = np.array(shift)
    b = [0.0, *sorted(bounds)]
    levels = rng.uniform(0, 1, len(b))
    rate = levels[np.searchsorted(np.array(b), AGES, side="right") - 1]
    rate = np.where(AGES >= np.ceil(b[-1]), levels[-1], rate)
    for g in range(1, len(b)):  # steps at ceil(bound), as np.where(AGES >= bound) has them
        rate = np.where((AGES >= np.ceil(b[g - 1])) & (AGES < np.ceil(b[g])), levels[g - 1], rate)
    want = (P * shifted_rates(rate, s)).sum(axis=1)
    got = _ShiftedAges(P, s).banded(b, list(levels))
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-9)


def test_demand_arrays_equal_the_frame_path_with_runs_and_draws():
    """demand_arrays on a Population (runs, parameter arrays over runs) gives the frame of
    project_demand on the population's tidy frame, row for row."""
    from planning import scenarios, uncertainty
    from planning.demand import demand_arrays
    from planning.demography import project_population

    scn = scenarios.load_scenario("shared_dms")
    sj = scenarios._freeze(scn.services)
    cat = scenarios._catalogue_for(sj)
    lv = scn.levers.with_defaults(cat)
    codes = scn.municipality_codes()
    pop = project_population(list(codes), 2026, 2035, runs=8, seed=2)
    draws = uncertainty.draw(cat, lv, scenarios._base_catalogue(), 8, 2)
    cat, lv = uncertainty.with_values(cat, lv, draws)
    cov = scenarios._coverage_rates(codes, sj)
    keys = ["run", "municipality_code", "year", "service", "measure"]
    a = demand_arrays(pop, cat, lv, coverage_rates=cov).frame().sort_values(keys)
    b = project_demand(pop.frame(), cat, lv, coverage_rates=cov).sort_values(keys)
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), rtol=1e-12)
