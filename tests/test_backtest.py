"""Backtests of the projection against the observed population (SSB 07459): accuracy targets,
regression snapshot of every figure in docs/demography.md, CLI."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planning import backtest, cli
from planning.errors import InputError

SNAPSHOT = Path(__file__).parent / "snapshots" / "backtest.csv"
WINDOWS = ((2011, 2021), (2016, 2026))


@pytest.fixture(scope="module")
def results() -> pd.DataFrame:
    return pd.concat(
        [backtest.backtest("vaernesregionen", b, e) for b, e in WINDOWS], ignore_index=True
    )


def test_snapshot(results):
    """Every backtest figure is pinned; regenerate with UPDATE_SNAPSHOTS=1 after a deliberate
    change of method or data (and update docs/demography.md with `planning backtest --markdown`)."""
    cols = ["base_year", "end_year", "municipality_code", "method", "age_group"]
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        results.to_csv(SNAPSHOT, index=False, float_format="%.6f")
    snap = pd.read_csv(SNAPSHOT, dtype={"municipality_code": str})
    got = results.set_index(cols).sort_index()
    want = snap.set_index(cols).sort_index()
    assert list(got.index) == list(want.index)
    for col in ("observed", "projected", "pe", "mape", "malpe"):
        np.testing.assert_allclose(
            got[col].to_numpy(), want[col].to_numpy(), rtol=1e-6, atol=1e-4, err_msg=col
        )


def test_shape_and_observed_values(results):
    assert set(results["municipality_code"]) == {"5031", "5032", "5033", "5034", "5035", "5036"}
    assert set(results["age_group"]) == set(backtest.GROUPS)
    row = results[
        (results["base_year"] == 2016)
        & (results["municipality_code"] == "5035")
        & (results["age_group"] == "total")
    ]
    assert (row["observed"] == 25_108).all()  # Stjørdal, 1 January 2026
    pe = 100 * (row["projected"] - row["observed"]) / row["observed"]
    np.testing.assert_allclose(pe, row["pe"])


def test_default_method_beats_reference_for_80_plus(results):
    """Issue 3 targets that the default method meets: 80+ MAPE below Hamilton-Perry's in both
    backtests and below 4 % for 2016-2026 (the total target is not met; see docs/demography.md)."""
    s = backtest.summarise(results).set_index(["base_year", "method", "age_group"])["mape"]
    for base, _ in WINDOWS:
        assert s[(base, "cohort-component", "80+")] < s[(base, "hamilton-perry", "80+")]
    assert s[(2016, "cohort-component", "80+")] < 4.0


@pytest.mark.slow
@pytest.mark.parametrize(("base", "end"), WINDOWS)
def test_default_method_beats_reference_across_norway(base, end):
    """Beyond the six: over all Norwegian municipalities with unchanged borders the default method
    beats Hamilton-Perry for the total and for 80+ in both backtests (figures in
    docs/demography.md)."""
    res = backtest.backtest("norway", base, end, groups=("total", "80+"))
    s = backtest.summarise(res).set_index(["method", "age_group"])
    assert s["n"].min() > 340
    for group in ("total", "80+"):
        cc, hp = s.loc[("cohort-component", group)], s.loc[("hamilton-perry", group)]
        assert cc["mape"] < hp["mape"] and cc["medape"] < hp["medape"], group


def test_boundary_changes_are_detected():
    """Aure (with Tustna, 2006) and Vindafjord (with Ølen, 2006) in the 2011 window; Ålesund and
    Haram (split 2024) in 2016-2026; the Værnes municipalities are unchanged."""
    assert {"1576", "1160"} <= set(backtest.boundary_changes(["1576", "1160", "5033"], 2011, 2021))
    changed = backtest.boundary_changes(["1508", "1580", "5031", "5033", "5035"], 2016, 2026)
    assert changed == ["1508", "1580"]


def test_summary_leaves_out_boundary_changes():
    res = backtest.backtest(["1576", "5033", "5035"], 2011, 2021, groups=("total",))
    s = backtest.summarise(res)
    assert (s["n"] == 2).all()
    kept = res[~res["boundary_change"]]
    want = kept.groupby("method")["pe"].apply(lambda x: np.mean(np.abs(x)))
    got = s.set_index("method")["mape"]
    np.testing.assert_allclose(got.sort_index(), want.sort_index())


def test_errors_are_bounded(results):
    """Ten-year errors of totals stay within ±15 % for every municipality and method."""
    tot = results[results["age_group"] == "total"]
    assert (tot["pe"].abs() < 15).all()


def test_bad_end_year():
    with pytest.raises(InputError, match="end year"):
        backtest.backtest("vaernes", 2016, 2030)
    with pytest.raises(InputError, match="end year"):
        backtest.backtest("vaernes", 2016, 2016)


def test_base_year_outside_data_names_the_base_year():
    with pytest.raises(InputError, match="key 'base_year'.*2000.*2005..2025"):
        backtest.backtest("vaernes", 2000, 2010)


def test_cli_markdown_and_errors(capsys):
    assert (
        cli.main(
            [
                "backtest",
                "--base-year",
                "2016",
                "--end-year",
                "2026",
                "--region",
                "vaernes",
                "--markdown",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "| **MAPE** (4 municipalities) | cohort-component |" in out
    assert (
        cli.main(
            [
                "backtest",
                "--base-year",
                "2011",
                "--end-year",
                "2021",
                "--municipalities",
                "1576",
                "5033",
                "--summary-only",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "left out" in out and "1576" in out and "5033" not in out.split("left out")[1]
    assert "5033" not in out.split("across")[0]  # no per-municipality table
    assert cli.main(["backtest", "--base-year", "2016", "--end-year", "2031"]) == 2
    assert "error:" in capsys.readouterr().err


def test_cli_project_writes_csv(tmp_path, capsys):
    out = tmp_path / "pop.csv"
    rc = cli.main(
        [
            "project",
            "--municipalities",
            "5033",
            "--end-year",
            "2030",
            "--runs",
            "3",
            "--seed",
            "1",
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    text = capsys.readouterr().out
    assert "5033 Tydal" in text and "P10 / P50 / P90" in text
    df = pd.read_csv(out, dtype={"municipality_code": str})
    assert len(df) == 4 * 5 * 2 * 106 and set(df["run"]) == {0, 1, 2, 3}
    assert cli.main(["project", "--municipalities", "5033", "--end-year", "2020"]) == 2
    assert cli.main(["project", "--region", "vaernes", "--out", str(tmp_path / "x.xlsx")]) == 2


def test_band_coverage():
    """The Monte Carlo band from 2016 is ordered, holds its own central projection's
    neighbourhood, and 'inside' says whether the 2026 observation is within it."""
    band = backtest.band_coverage("vaernes", 2016, 2026, runs=50, seed=2)
    assert len(band) == 4 * 2 and set(band["age_group"]) == {"total", "80+"}
    assert (band["p10"] < band["p90"]).all()
    inside = (band["observed"] >= band["p10"]) & (band["observed"] <= band["p90"])
    assert (band["inside"] == inside).all()
    tot = band[(band["municipality_code"] == "5035") & (band["age_group"] == "total")]
    assert (tot["observed"] == 25_108).all()
    again = backtest.band_coverage("vaernes", 2016, 2026, runs=50, seed=2)
    pd.testing.assert_frame_equal(band, again)  # one seed, one answer
    with pytest.raises(InputError, match="key 'runs'.*>= 10"):
        backtest.band_coverage("vaernes", 2016, 2026, runs=3)


def test_cli_bands(capsys):
    args = ["backtest", "--region", "vaernes", "--summary-only", "--bands", "20"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "P10-P90 band from 2016 (20 runs, seed 1)" in out and "of 4 municipalities" in out
