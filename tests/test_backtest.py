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
