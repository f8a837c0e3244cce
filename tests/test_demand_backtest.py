"""Demand backtests across Norway and the Værnes six: regression snapshot of the published
tables (docs/demand.md, README), the targets that are met, and the default levers tested
against the backtests (healthy ageing, FTE per user growth)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planning import backtest
from planning.parameters import Levers

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demand_backtest")]

SNAPSHOT = Path(__file__).parent / "snapshots" / "demand_backtest.csv"
SNAPSHOT_SIX = Path(__file__).parent / "snapshots" / "demand_backtest_six.csv"
WINDOWS = ((2012, 2021), (2016, 2025))
SIX = ["5031", "5032", "5033", "5034", "5035", "5036"]


@pytest.fixture(scope="module")
def national() -> pd.DataFrame:
    return pd.concat(
        [
            backtest.demand_backtest("norway", b, e, population=pop)
            for b, e in WINDOWS
            for pop in ("projected", "observed")
        ],
        ignore_index=True,
    )


@pytest.fixture(scope="module")
def six() -> pd.DataFrame:
    return pd.concat(
        [
            backtest.demand_backtest("vaernesregionen", b, e, population=pop)
            for b, e in WINDOWS
            for pop in ("projected", "observed")
        ],
        ignore_index=True,
    )


def _summary(national: pd.DataFrame, six: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(
        [
            backtest.summarise_demand(national).assign(area="norway"),
            backtest.summarise_demand(six).assign(area="vaernesregionen"),
        ],
        ignore_index=True,
    )


def test_snapshot(national, six):
    """Every published demand-backtest figure is pinned; regenerate with UPDATE_SNAPSHOTS=1
    after a deliberate change (and the tables in docs/demand.md and the README with
    `planning backtest --demand --markdown`)."""
    keys = ["area", "base_year", "end_year", "population", "service", "method"]
    got = _summary(national, six)
    per_keys = ["base_year", "end_year", "population", "municipality_code", "service"]
    per = six[[*per_keys, "observed", "projected", "reference"]]
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        got.to_csv(SNAPSHOT, index=False, float_format="%.6f")
        per.to_csv(SNAPSHOT_SIX, index=False, float_format="%.6f")
    for frame, path, k, cols in (
        (got, SNAPSHOT, keys, ("mape", "malpe", "medape", "n", "total_pe")),
        (per, SNAPSHOT_SIX, per_keys, ("observed", "projected", "reference")),
    ):
        want = pd.read_csv(path, dtype={"municipality_code": str})
        g = frame.set_index(k).sort_index()
        w = want.set_index(k).sort_index()
        assert list(g.index) == list(w.index)
        for col in cols:
            np.testing.assert_allclose(
                g[col].to_numpy(dtype=float),
                w[col].to_numpy(dtype=float),
                rtol=1e-6,
                atol=1e-4,
                err_msg=f"{path.name}: {col}",
            )


def test_targets_that_are_met(national):
    """Across Norway the default beats the constant-rate reference on median APE for long-term
    residents and heldøgn in both backtests and both population modes, and its national total
    of home-service users is within ±5 % (the targets not met are in docs/demand.md)."""
    s = backtest.summarise_demand(national).set_index(
        ["base_year", "population", "service", "method"]
    )
    for b, _ in WINDOWS:
        for pop in ("projected", "observed"):
            for service in ("langtidsopphold", "heldogn"):
                model = s.loc[(b, pop, service, "model"), "medape"]
                ref = s.loc[(b, pop, service, "constant-rate"), "medape"]
                assert model < ref, (b, pop, service)
            assert abs(s.loc[(b, pop, "hjemmetjenester", "model"), "total_pe"]) <= 5.0
    assert abs(s.loc[(2012, "observed", "heldogn", "model"), "total_pe"]) <= 5.0


def test_first_year_beats_constant_rates_and_starts_from_the_last_count():
    """One year ahead (2024 → 2025, observed population, all Norway): the first year starts
    from the last count, so the model misses home-service users and heldøgn in total less than
    constant rates (MAPE and median APE; measured 8.9 vs 11.8 and 13.8 vs 18.1 MAPE)."""
    bt = backtest.demand_backtest("norway", 2024, 2025, population="observed")
    s = backtest.summarise_demand(bt).set_index(["service", "method"])
    for service in ("hjemmetjenester", "langtidsopphold", "heldogn"):
        for col in ("mape", "medape"):
            assert s.loc[(service, "model"), col] < s.loc[(service, "constant-rate"), col], (
                service,
                col,
            )


def test_six_heldogn_no_worse_than_constant_rates(six):
    s = backtest.summarise_demand(six).set_index(["base_year", "population", "service", "method"])
    for b, _ in WINDOWS:
        for pop in ("projected", "observed"):
            model = s.loc[(b, pop, "heldogn", "model"), "mape"]
            assert model <= s.loc[(b, pop, "heldogn", "constant-rate"), "mape"]


def test_default_healthy_ageing_does_not_make_the_backtests_worse(national):
    """The default healthy_ageing (0.5) against none: MAPE across Norway no worse for any service
    in either backtest (observed population, so only the demand model differs)."""
    obs = national[national["population"] == "observed"]
    s = backtest.summarise_demand(obs).query("method == 'model'")
    s = s.set_index(["base_year", "service"])["mape"]
    for b, e in WINDOWS:
        none = backtest.demand_backtest(
            "norway", b, e, population="observed", levers=Levers(healthy_ageing=0.0)
        )
        s0 = backtest.summarise_demand(none).query("method == 'model'")
        s0 = s0.set_index("service")["mape"]
        for service in backtest.DEMAND_SERVICES:
            assert s.loc[(b, service)] <= s0.loc[service] + 0.05, (b, service)


def test_default_fte_per_user_growth_is_not_worse_than_none():
    """Allocated home-care hours per user (KOSTRA, user-weighted across Norway) grew; the default
    growth of FTE per user misses them less than holding them constant, in both backtests."""
    for b, e in WINDOWS:
        r = backtest.hours_per_user_backtest(b, e)
        assert abs(r["pe_default"]) <= abs(r["pe_constant"]), r
