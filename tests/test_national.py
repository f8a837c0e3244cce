"""Every municipality in one run: the national table and its consistency with separate runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from planning import data, scenarios

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.xdist_group("national")  # one worker holds the national caches


@pytest.fixture(scope="module")
def national():
    scn = scenarios.apply_overrides(scenarios.load_scenario("today"), {"region": "norway"})
    return scenarios.run(scn)


def _population(res) -> pd.Series:
    m = res.metrics()
    m = m[(m["metric"] == "population") & (m["municipality_code"] != "region")]
    return m.set_index(["municipality_code", "year"])["value"].sort_index()


def test_national_population_equals_the_sum_of_separate_runs(national):
    nat = _population(national)
    assert nat.index.get_level_values(0).nunique() == 357
    parts = []
    for county in data.region_names(kind="county"):
        scn = scenarios.apply_overrides(scenarios.load_scenario("today"), {"region": county})
        parts.append(_population(scenarios.run(scn)))
    sep = pd.concat(parts).sort_index()
    assert sep.index.equals(nat.index)
    assert (sep - nat).abs().max() < 1e-6  # each municipality as in its county's run
    m = national.metrics()
    region = m[(m["metric"] == "population") & (m["municipality_code"] == "region")]
    by_year = sep.groupby(level="year").sum()
    assert (region.set_index("year")["value"] - by_year).abs().max() < 1e-3
    # and as in a run of that municipality alone
    for code in ("0301", "4218", "5033"):
        one = scenarios.run(
            scenarios.apply_overrides(scenarios.load_scenario("today"), {"municipalities": [code]})
        )
        assert (_population(one).loc[code] - nat.loc[code]).abs().max() < 1e-6


def test_national_table_per_municipality_and_year(national):
    t = scenarios.municipality_year_table(national)
    munis = t[t["municipality_code"] != "region"]
    assert munis["municipality_code"].nunique() == 357
    assert set(t["year"]) == set(range(2026, 2051))
    assert len(t) == 358 * 25
    for col in ("population", "fte", "cost_nok", "users_hjemmetjenester", "beds"):
        assert col in t.columns and t[col].notna().all() and (t[col] >= 0).all(), col
    # the region rows are the sums of the municipality rows (additive columns)
    region = t[t["municipality_code"] == "region"].set_index("year")
    sums = munis.groupby("year")[["population", "fte", "cost_nok", "users_hjemmetjenester"]].sum()
    assert ((region[sums.columns] - sums).abs() / sums).max().max() < 1e-9
    assert region["municipality_name"].iloc[0] == "Norge"
    assert t.loc[t["municipality_code"] == "0301", "municipality_name"].iloc[0].startswith("Oslo")


def test_run_table_cli_writes_the_table(tmp_path):
    out = tmp_path / "ks.csv"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "planning",
            "run",
            "today",
            "--region",
            "knutepunkt_sorlandet",
            "--table",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr
    t = pd.read_csv(out, dtype={"municipality_code": str})
    assert set(t["municipality_code"]) == {"4204", "4223", "4215", "4216", "4218", "region"}
    r = subprocess.run(
        [sys.executable, "-m", "planning", "run", "today", "--table", str(tmp_path / "x.txt")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 2 and "--table" in r.stderr and "Traceback" not in r.stderr
