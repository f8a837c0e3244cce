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


def _kostra(rows: list[tuple[str, int, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["municipality_code", "year", "indicator", "age_group", "value"]
    )


def _panel(
    users: dict[str, dict[str, float]], pops: dict[str, dict[str, float]], years=(2021, 2022)
) -> pd.DataFrame:
    """KOSTRA-like panel, identical every year; groups missing from ``users`` are suppressed."""
    rows = []
    for code in pops:
        for y in years:
            for g, v in pops[code].items():
                rows.append((code, y, "population", g, v))
            rows.append((code, y, "population", "total", sum(pops[code].values())))
            for g, v in users[code].items():
                rows.append((code, y, "home_service_users", g, v))
                rows.append((code, y, "long_term_residents", g, v / 10))
    return _kostra(rows)


BIG = {"0-66": 20000.0, "67-79": 3000.0, "80+": 1200.0}
SMALL = {"0-66": 560.0, "67-79": 130.0, "80+": 80.0}


def test_shrinkage_pulls_small_municipalities_toward_the_region(catalogue):
    users = {
        "5035": {"0-66": 600.0, "67-79": 210.0, "80+": 360.0, "total": 1170.0},
        "5033": {"0-66": 28.0, "67-79": 26.0, "80+": 40.0, "total": 94.0},
    }
    k = _panel(users, {"5035": BIG, "5033": SMALL})
    rates = estimate_coverage_rates(k, catalogue).set_index(
        ["municipality_code", "service", "age_group"]
    )
    for g in ("0-66", "67-79", "80+"):
        row_s = rates.loc[("5033", "hjemmetjenester", g)]
        row_b = rates.loc[("5035", "hjemmetjenester", g)]
        raw_s = users["5033"][g] / SMALL[g]
        raw_b = users["5035"][g] / BIG[g]
        regional = (users["5033"][g] + users["5035"][g]) / (SMALL[g] + BIG[g])
        assert row_s.regional_rate == pytest.approx(regional)
        # shrunk estimate lies between the raw rate and the regional rate
        assert min(raw_s, regional) - 1e-12 <= row_s.rate <= max(raw_s, regional) + 1e-12
        # the big municipality moves less (relative to its gap) than the small one
        gap_b = abs(row_b.rate - raw_b) / abs(regional - raw_b)
        gap_s = abs(row_s.rate - raw_s) / abs(regional - raw_s)
        assert gap_b < gap_s
        assert row_s.method == "kostra"


def test_no_shrinkage_gives_the_raw_pooled_rate(catalogue):
    cat = catalogue.model_copy(
        update={
            "coverage": catalogue.coverage.model_copy(
                update={
                    "estimation": catalogue.coverage.estimation.model_copy(
                        update={
                            "prior_users": catalogue.coverage.estimation.prior_users.model_copy(
                                update={"value": 0.0}
                            )
                        }
                    )
                }
            )
        }
    )
    users = {"5035": {"0-66": 600.0, "67-79": 210.0, "80+": 360.0, "total": 1170.0}}
    rates = estimate_coverage_rates(_panel(users, {"5035": BIG}), cat)
    r = rates[rates.service == "hjemmetjenester"].set_index("age_group").rate
    for g in ("0-66", "67-79", "80+"):
        assert r[g] == pytest.approx(users["5035"][g] / BIG[g])


def test_single_suppressed_group_is_derived_by_difference(catalogue):
    users = {"5035": {"0-66": 600.0, "80+": 360.0, "total": 1170.0}}  # 67-79 suppressed
    rates = estimate_coverage_rates(_panel(users, {"5035": BIG}), catalogue)
    row = rates[(rates.service == "hjemmetjenester") & (rates.age_group == "67-79")].iloc[0]
    assert row.users == pytest.approx(2 * 210.0)  # two years pooled
    assert row.method == "kostra"


def test_totals_only_use_indirect_standardisation_and_unknowns_fall_back(catalogue):
    users = {
        "5035": {"0-66": 600.0, "67-79": 210.0, "80+": 360.0, "total": 1170.0},
        "5033": {"total": 94.0},  # every age group suppressed
    }
    k = _panel(users, {"5035": BIG, "5033": SMALL})
    rates = estimate_coverage_rates(k, catalogue, municipalities=["5035", "5033", "5036"])
    small = rates[
        (rates.municipality_code == "5033") & (rates.service == "hjemmetjenester")
    ].set_index("age_group")
    assert (small.method == "kostra_indirect").all()
    # the same standardised ratio applies to every age group
    ratio = small.rate / small.regional_rate
    assert ratio.nunique() == 1 or np.ptp(ratio.to_numpy()) < 1e-12
    expected = sum(SMALL[g] * small.regional_rate[g] for g in SMALL) * 2
    assert ratio.iloc[0] == pytest.approx((2 * 94.0 + 10) / (expected + 10))
    unknown = rates[rates.municipality_code == "5036"]
    assert (unknown.method == "fallback").all()
    fb = catalogue.coverage.hjemmetjenester.fallback_rates["80+"].value
    assert (
        unknown[(unknown.service == "hjemmetjenester") & (unknown.age_group == "80+")].rate.iloc[0]
        == fb
    )


def test_real_kostra_rates_are_plausible(catalogue):
    from planning.data import load_kostra

    rates = estimate_coverage_rates(load_kostra(), catalogue)
    assert set(rates.municipality_code) == {"5031", "5032", "5033", "5034", "5035", "5036"}
    assert (rates.rate >= 0).all() and (rates.rate < 1).all()
    h = rates[rates.service == "hjemmetjenester"].pivot(
        index="municipality_code", columns="age_group", values="rate"
    )
    # use rises with age in every municipality
    assert ((h["0-66"] < h["67-79"]) & (h["67-79"] < h["80+"])).all()
    # the 80+ home-service share sits around the national 26.9 % (SSB 2023)
    assert h["80+"].between(0.2, 0.4).all()
    # catalogue fallbacks for 0-66 and 67-79 are the regional pooled rates shown in services.yaml
    reg = rates[rates.service == "hjemmetjenester"].groupby("age_group").regional_rate.first()
    fb = catalogue.coverage.hjemmetjenester.fallback_rates
    assert reg["0-66"] == pytest.approx(fb["0-66"].value, abs=5e-5)
    assert reg["67-79"] == pytest.approx(fb["67-79"].value, abs=5e-5)


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


def test_institution_to_home_shift_conserves_users(catalogue):
    base = project_demand(_population(FLAT), catalogue, NO_LEVERS)
    lv = NO_LEVERS.model_copy(
        update={"institution_to_home_shift": 0.3, "institution_to_home_years": 10.0}
    )
    shifted = project_demand(_population(FLAT), catalogue, lv)
    for y, ramp in ((2025, 0.0), (2030, 0.5), (2035, 1.0)):
        h0, l0 = (
            _value(base, "hjemmetjenester", "users", y),
            _value(base, "langtidsopphold", "users", y),
        )
        h1, l1 = (
            _value(shifted, "hjemmetjenester", "users", y),
            _value(shifted, "langtidsopphold", "users", y),
        )
        assert h1 + l1 == pytest.approx(h0 + l0)
        assert l1 == pytest.approx(l0 * (1 - 0.3 * ramp))


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
    rates = estimate_coverage_rates(
        _panel({"5035": {"0-66": 1.0, "67-79": 1.0, "80+": 1.0, "total": 3.0}}, {"5035": BIG}),
        catalogue,
    )
    with pytest.raises(InputError, match="5034"):
        project_demand(_population(FLAT, code="5034"), catalogue, coverage_rates=rates)
    with pytest.raises(InputError, match="KOSTRA"):
        estimate_coverage_rates(pd.DataFrame({"x": [1]}), catalogue)
