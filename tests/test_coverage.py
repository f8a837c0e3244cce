"""Coverage trends (planning.coverage) and demand backtests (planning.backtest.demand_backtest)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning import backtest, coverage, data
from planning.errors import InputError
from planning.parameters import AGE_GROUPS, load_catalogue

SIX = ["5031", "5032", "5033", "5034", "5035", "5036"]


@pytest.fixture(scope="module")
def kostra():
    return data.load_kostra()


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


# ------------------------------------------------------------------------------------------------
# the model
# ------------------------------------------------------------------------------------------------
def test_rows_after_the_base_year_change_nothing(kostra):
    """Leakage: a panel cut at the base year gives the identical model."""
    full = coverage.fit_coverage(kostra, 2016, municipalities=SIX)
    cut = coverage.fit_coverage(kostra[kostra.year <= 2016], 2016, municipalities=SIX)
    pd.testing.assert_frame_equal(full, cut)


def test_demand_backtest_identical_when_later_rows_are_removed():
    """Leakage at the API the issue names: KOSTRA rows after the base year removed."""
    k = data.load_kostra()
    a = backtest.demand_backtest(SIX, 2016, 2025, population="observed")
    b = backtest.demand_backtest(SIX, 2016, 2025, population="observed", kostra=k[k.year <= 2016])
    pd.testing.assert_series_equal(a["projected"], b["projected"])
    pd.testing.assert_series_equal(a["reference"], b["reference"])


def test_heldogn_split_conserves_the_total(kostra):
    model = coverage.fit_coverage(kostra, 2025, municipalities=SIX)
    r = coverage.coverage_rates(model, [2025, 2040, 2100], damping=0.5)
    wide = r.pivot_table(
        index=["municipality_code", "year", "age_group"], columns="service", values="rate"
    )
    held = model[model.service == "heldogn"].set_index(["municipality_code", "age_group"])
    for (code, year, g), row in wide.iterrows():
        expect = coverage.expit(
            coverage.projected_logit(held.loc[[(code, g)]], year - 2025, 0.5)[0, 0]
        )
        assert row["langtidsopphold"] + row["heldogn_bolig"] == pytest.approx(expect, rel=1e-12)


def test_constant_method_reproduces_the_held_rates(kostra):
    """The constant-rate reference: the pooled rate of the three years up to the base year,
    the same in every year."""
    model = coverage.fit_coverage(kostra, 2016, method="constant", municipalities=["5035"])
    r = coverage.coverage_rates(model, [2016, 2030, 2090], damping=0.5)
    k = kostra[(kostra.municipality_code == "5035") & kostra.year.between(2014, 2016)]
    users = k[k.indicator == "home_service_users"].groupby("age_group").value.sum()
    pop = k[k.indicator == "population"].groupby("age_group").value.sum()
    home = r[r.service == "hjemmetjenester"]
    for g in ("0-66", "80+"):  # published every year (67-79 is derived)
        held = home[home.age_group == g].rate.to_numpy()
        np.testing.assert_allclose(held, users[g] / pop[g], rtol=1e-12)
    assert (model.trend == 0).all()


@settings(max_examples=200, deadline=None)
@given(
    level=st.floats(-12.0, 5.0),
    trend=st.floats(-2.0, 2.0),
    damping=st.floats(0.0, 0.99),
    years=st.integers(0, 2100 - 2025),
    anchor=st.floats(-5.0, 5.0),
    persistence=st.floats(0.0, 1.0),
)
def test_damped_rates_stay_inside_0_1(level, trend, damping, years, anchor, persistence):
    model = pd.DataFrame(
        {
            "municipality_code": "5035",
            "service": ["hjemmetjenester", "heldogn", "heldogn_split"],
            "age_group": ["80+", "80+", "total"],
            "level": level,
            "trend": trend,
            "sd_level": 0.0,
            "sd_trend": 0.0,
            "sd_noise": 0.0,
            "sd_drift": 0.0,
            "anchor": anchor,
            "persistence": persistence,
            "base_year": 2025,
            "method": "trend",
            "source": "own",
        }
    )
    r = coverage.coverage_rates(model, [2025 + years], damping)
    assert ((r.rate >= 0) & (r.rate <= 1)).all()
    # the anchor fades: never more than at the base year
    z = coverage.projected_logit(model, [0, years], damping)
    assert (
        abs(z[0, 1] - level - trend * coverage.damped_horizon(years, damping)) <= abs(anchor) + 1e-9
    )
    # the trend's effect is bounded by φ / (1 − φ) years of trend
    assert coverage.damped_horizon(years, damping) <= damping / (1 - damping) + 1e-9


def test_the_base_year_reproduces_the_last_count_and_the_anchor_fades(kostra):
    """The first year starts from what was last counted: at the base year the model's rate is
    KOSTRA's count (Tydal's 13 home-service users aged 80+ in 2025, though its window averaged
    about 20); after that the deviation from the pooled level fades by ρ a year, so the long run
    is the pooled level and trend."""
    m = coverage.fit_coverage(kostra, 2025, municipalities=["5033", "5035"])
    row = m[(m.service == "hjemmetjenester") & (m.age_group == "80+")].set_index(
        "municipality_code"
    )
    k = kostra[(kostra.municipality_code == "5033") & (kostra.year == 2025)]
    k = k[k.age_group == "80+"].set_index("indicator").value
    r0 = coverage.expit(coverage.projected_logit(row.loc[["5033"]], 0, 0.5))[0, 0]
    assert r0 == pytest.approx((k["home_service_users"] + 0.5) / (k["population"] + 1.0))
    assert row.loc["5033", "anchor"] < 0  # 2025 lay below the window's level
    rho = row.loc["5033", "persistence"]
    assert 0.0 < rho < 1.0 and (m.persistence.between(0.0, 1.0)).all()
    z = coverage.projected_logit(row.loc[["5033"]], np.arange(0, 40), 0.5)[0]
    smooth = row.loc["5033", "level"] + row.loc["5033", "trend"] * coverage.damped_horizon(
        np.arange(0, 40), 0.5
    )
    dev = np.abs(z - smooth)
    assert (np.diff(dev) <= 1e-12).all() and dev[-1] < 1e-3


def test_persistence_uses_no_data_after_the_base_year(kostra):
    """ρ is estimated from the model's own one-year-ahead errors inside the data."""
    full = coverage.fit_coverage(kostra, 2020, municipalities=SIX)
    cut = coverage.fit_coverage(kostra[kostra.year <= 2020], 2020, municipalities=SIX)
    pd.testing.assert_series_equal(full.persistence, cut.persistence)
    assert (full.persistence > 0).any()


def test_pooling_pulls_small_municipalities_more(kostra):
    m = coverage.fit_coverage(kostra, 2025)
    home80 = m[(m.service == "hjemmetjenester") & (m.age_group == "80+")].set_index(
        "municipality_code"
    )
    # Tydal (about 770 inhabitants) has a wider level uncertainty than Stjørdal
    assert home80.loc["5033", "sd_level"] > home80.loc["5035", "sd_level"]
    assert (m.sd_level >= 0).all() and (m.sd_trend >= 0).all() and (m.sd_drift >= 0).all()


def test_every_municipality_of_norway_gets_rates(kostra, catalogue):
    from planning.demand import estimate_coverage_rates

    codes = data.region("norway")
    m = estimate_coverage_rates(kostra, catalogue, codes)
    assert set(m.municipality_code) == set(codes)
    assert np.isfinite(m[["level", "trend"]].to_numpy()).all()
    assert set(m.service) == {"hjemmetjenester", "heldogn", "heldogn_split"}
    assert set(m[m.service != "heldogn_split"].age_group) == set(AGE_GROUPS)


def test_load_kostra_any_municipality():
    k = data.load_kostra(["Oslo", "5035"], years=[2025])
    assert set(k.municipality_code) == {"0301", "5035"}
    assert set(k.year) == {2025}
    with pytest.raises(InputError, match="years"):
        data.load_kostra("5035", years=[1990])
    with pytest.raises(InputError, match="9999"):
        data.load_kostra(["9999"])


# ------------------------------------------------------------------------------------------------
# demand backtests
# ------------------------------------------------------------------------------------------------
def test_demand_backtest_contract():
    res = backtest.demand_backtest("vaernes", 2016, 2025, population="projected")
    for col in ("municipality_code", "service", "observed", "projected", "reference"):
        assert col in res.columns
    assert set(res.service) == {"hjemmetjenester", "langtidsopphold", "heldogn_bolig", "heldogn"}
    assert set(res.municipality_code) == {"5035", "5034", "5032", "5033"}
    w = res.pivot(index="municipality_code", columns="service", values="projected")
    np.testing.assert_allclose(w.heldogn, w.langtidsopphold + w.heldogn_bolig)
    obs = res.pivot(index="municipality_code", columns="service", values="observed")
    k = data.load_kostra(["5035"], [2025])
    home = k[(k.indicator == "home_service_users") & (k.age_group == "total")].value.iloc[0]
    assert obs.loc["5035", "hjemmetjenester"] == home


def test_demand_backtest_bad_input_is_one_clear_error():
    with pytest.raises(InputError, match="base year 2005 has no KOSTRA"):
        backtest.demand_backtest(SIX, 2005, 2020)
    with pytest.raises(InputError, match="end year 2030"):
        backtest.demand_backtest(SIX, 2016, 2030)
    with pytest.raises(InputError, match="end year 2016"):
        backtest.demand_backtest(SIX, 2016, 2016)
    with pytest.raises(InputError, match="population mode"):
        backtest.demand_backtest(SIX, 2016, 2025, population="guessed")
    with pytest.raises(InputError, match="9999"):
        backtest.demand_backtest(["9999"], 2016, 2025)


def test_municipality_without_kostra_data_is_a_clear_error(monkeypatch):
    k = data.load_kostra()
    thin = k[~((k.municipality_code == "5033") & (k.indicator != "population"))]
    monkeypatch.setattr(data, "load_kostra", lambda *a, **kw: _filter(thin, *a, **kw))
    with pytest.raises(InputError, match="5033.*no KOSTRA care data"):
        backtest.demand_backtest(["5035", "5033"], 2016, 2025, population="observed")


def _filter(k, municipalities=None, years=None):
    if municipalities is not None:
        k = k[k.municipality_code.isin(data.resolve_municipalities(municipalities))]
    if years is not None:
        k = k[k.year.isin(list(years))]
    return k.reset_index(drop=True)


def test_band_holds_most_outcomes_and_is_seeded():
    a = backtest.demand_band_coverage(SIX, 2016, 2025, runs=50, seed=3)
    b = backtest.demand_band_coverage(SIX, 2016, 2025, runs=50, seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert (a.p10 <= a.p90).all()
    share = backtest.band_share(a)
    assert set(share.service) == {"hjemmetjenester", "langtidsopphold", "heldogn_bolig", "heldogn"}
    with pytest.raises(InputError, match="runs"):
        backtest.demand_band_coverage(SIX, 2016, 2025, runs=3)
