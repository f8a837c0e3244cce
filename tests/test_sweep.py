"""Scenario sweeps (planning.sweep): variants, ids, sampling, backends, resume, errors, CLI.

Most tests use ``ToyEngine``, a small synthetic engine (fixture numbers, not data) so that the
sweep machinery is tested fast and on its own; ``test_real_*`` run the real scenario model.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning import sweep as sw
from planning.errors import InputError, ScenarioError

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

# ------------------------------------------------------------------------------------------------
# a synthetic engine (fixture: invented loads, not data)
# ------------------------------------------------------------------------------------------------
TOY_LOAD = {"5035": 1.5, "5034": 0.15}  # offered bed load (Erlang) at the base year, synthetic
TOY_BASE = {
    "levers": {"max_refusal": 0.05, "growth": 0.02},
    "demography": {"variant": "MMM"},
    "organisation": {"pooled": False},
    "horizon": {"base_year": 2026, "end_year": 2032},
}
VARIANT_FACTOR = {"LML": 0.9, "MMM": 1.0, "HHH": 1.1}


def erlang_b(load: float, servers: int) -> float:
    """Blocking probability of M/M/c/c (recursive Erlang B)."""
    b = 1.0
    for c in range(1, servers + 1):
        b = load * b / (c + load * b)
    return b


def beds_for(load: float, max_refusal: float) -> int:
    c = 0
    while erlang_b(load, c) > max_refusal:
        c += 1
    return c


@dataclass(frozen=True)
class ToyEngine:
    """Synthetic engine: loads grow by ``levers.growth``; beds by Erlang B at max_refusal.
    ``levers.max_refusal == 0.5`` raises (a variant that fails); ``delay`` seconds per variant."""

    delay: float = 0.0

    def load_base(self, ref: str) -> Any:
        if ref != "toy":
            raise ScenarioError(f"unknown scenario '{ref}'", key="base", allowed="toy")
        return copy.deepcopy(TOY_BASE)

    def check_axis(self, base: Any, path: str, value: Any) -> None:
        node = base
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                raise ScenarioError(
                    "unknown key",
                    key=path,
                    allowed=sorted(node) if isinstance(node, dict) else None,
                )
            node = node[part]
        if path == "levers.max_refusal" and not 0 < value < 1:
            raise ScenarioError(f"{value} outside (0, 1)", key=path)
        if path == "demography.variant" and value not in VARIANT_FACTOR:
            raise ScenarioError(f"'{value}' is not allowed", key=path, allowed=list(VARIANT_FACTOR))

    def evaluate(self, base: Any, overrides: Any) -> pd.DataFrame:
        if self.delay:
            time.sleep(self.delay)
        doc = copy.deepcopy(base)
        for path, value in overrides.items():
            *head, last = path.split(".")
            node = doc
            for part in head:
                node = node[part]
            node[last] = value
        lv = doc["levers"]
        if lv["max_refusal"] == 0.5:
            raise RuntimeError("toy failure at max_refusal 0.5")
        b0, b1 = doc["horizon"]["base_year"], doc["horizon"]["end_year"]
        rows = []
        for year in range(b0, b1 + 1):
            f = VARIANT_FACTOR[doc["demography"]["variant"]] * (1 + lv["growth"]) ** (year - b0)
            loads = {c: a * f for c, a in TOY_LOAD.items()}
            beds = {c: beds_for(a, lv["max_refusal"]) for c, a in loads.items()}
            total = sum(loads.values())
            beds["region"] = (
                beds_for(total, lv["max_refusal"])
                if doc["organisation"]["pooled"]
                else sum(beds.values())
            )
            loads["region"] = total
            for c in ("5035", "5034", "region"):
                rows.append((c, year, "load", loads[c]))
                rows.append((c, year, "beds", float(beds[c])))
        return pd.DataFrame(rows, columns=["municipality_code", "year", "metric", "value"])

    def default_years(self, base: Any) -> list[int]:
        return [base["horizon"]["base_year"], base["horizon"]["end_year"]]

    def fingerprint(self, base: Any) -> str:
        return hashlib.sha256(json.dumps(base, sort_keys=True).encode()).hexdigest()


def toy_spec(**extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "base": "toy",
        "seed": 7,
        "grid": {"levers.max_refusal": [0.01, 0.05, 0.1], "organisation.pooled": [False, True]},
        "output": {"years": "all"},
    }
    spec.update(extra)
    return spec


def run_toy(tmp_path: Path, name: str, spec: dict | None = None, **kw: Any) -> sw.SweepOutcome:
    kw.setdefault("workers", 1)
    kw.setdefault("progress", False)
    engine = kw.pop("engine", ToyEngine())
    return sw.run_sweep(spec or toy_spec(), tmp_path / name, engine=engine, **kw)


# ------------------------------------------------------------------------------------------------
# variants, ids, sampling
# ------------------------------------------------------------------------------------------------
def test_grid_is_cartesian_product_in_file_order():
    spec = sw.load_sweep(
        {"base": "toy", "grid": {"a.x": [1, 2, 3], "b.y": {"first": {"k": 1}, "second": {"k": 2}}}}
    )
    vs = sw.variants_of(spec)
    assert len(vs) == 6
    assert [v.index for v in vs] == list(range(6))
    assert [(v.labels["a.x"], v.labels["b.y"]) for v in vs] == [
        (1, "first"),
        (1, "second"),
        (2, "first"),
        (2, "second"),
        (3, "first"),
        (3, "second"),
    ]
    # named alternatives: the override is the content, the label is the name
    assert vs[1].overrides == {"a.x": 1, "b.y": {"k": 2}}


def test_variant_id_is_hash_of_canonical_overrides():
    expected = hashlib.sha256(b'{"a.x":1,"b.y":"z"}').hexdigest()[:16]
    assert sw.variant_id({"b.y": "z", "a.x": 1}) == expected
    assert sw.variant_id({"a.x": 1, "b.y": "z"}) == expected
    assert sw.variant_id({"a.x": 2, "b.y": "z"}) != expected
    # ids do not depend on the index: a variant moved in the file keeps its id
    s1 = sw.variants_of(sw.load_sweep({"grid": {"a.x": [1, 2]}}))
    s2 = sw.variants_of(sw.load_sweep({"grid": {"a.x": [2, 1]}}))
    assert s1[0].id == s2[1].id and s1[1].id == s2[0].id


@pytest.mark.parametrize("n", [1, 7, 40])
def test_lhs_puts_one_point_in_every_stratum(n):
    spec = sw.load_sweep(
        {
            "seed": 3,
            "samples": {
                "method": "lhs",
                "n": n,
                "ranges": {"a.x": {"low": 2.0, "high": 4.0}, "a.y": {"low": -1.0, "high": 0.0}},
            },
        }
    )
    vs = sw.variants_of(spec)
    assert len(vs) == n
    for path, (lo, hi) in {"a.x": (2.0, 4.0), "a.y": (-1.0, 0.0)}.items():
        x = np.array([v.labels[path] for v in vs])
        assert ((x >= lo) & (x < hi)).all()
        strata = np.floor((x - lo) / (hi - lo) * n).astype(int)
        assert sorted(strata) == list(range(n))  # Latin: each of n bins holds exactly one point


def test_samples_repeat_with_seed_and_change_without():
    def draw(seed: int, method: str) -> list[float]:
        spec = sw.load_sweep(
            {
                "seed": seed,
                "samples": {"method": method, "n": 5, "ranges": {"a.x": {"low": 0, "high": 1}}},
            }
        )
        return [v.labels["a.x"] for v in sw.variants_of(spec)]

    for method in ("lhs", "random"):
        assert draw(11, method) == draw(11, method)
        assert draw(11, method) != draw(12, method)
    # random draws are numpy default_rng(seed).random((n, d))
    np.testing.assert_allclose(draw(11, "random"), np.random.default_rng(11).random((5, 1))[:, 0])


def test_log_integer_and_choice_ranges():
    spec = sw.load_sweep(
        {
            "seed": 1,
            "samples": {
                "n": 30,
                "ranges": {
                    "a.log": {"low": 0.001, "high": 0.1, "log": True},
                    "a.int": {"low": 0.5, "high": 4.5, "integer": True},
                    "a.pick": {"choices": ["LML", "MMM", "HHH"]},
                },
            },
        }
    )
    vs = sw.variants_of(spec)
    logs = np.array([v.labels["a.log"] for v in vs])
    assert ((logs >= 0.001) & (logs <= 0.1)).all()
    # log-uniform LHS: one point per decile of log10(x)
    strata = np.floor((np.log10(logs) + 3) / 2 * 30).astype(int)
    assert sorted(strata) == list(range(30))
    ints = [v.labels["a.int"] for v in vs]
    assert all(isinstance(i, int) for i in ints) and set(ints) == {1, 2, 3, 4}
    picks = pd.Series([v.labels["a.pick"] for v in vs]).value_counts()
    assert picks.to_dict() == {"LML": 10, "MMM": 10, "HHH": 10}  # LHS: equal strata


def test_grid_times_samples_share_the_same_draws():
    spec = sw.load_sweep(
        {
            "seed": 5,
            "grid": {"a.g": [1, 2]},
            "samples": {"n": 3, "ranges": {"a.x": {"low": 0, "high": 1}}},
        }
    )
    vs = sw.variants_of(spec)
    assert len(vs) == 6
    first = [v.labels["a.x"] for v in vs[:3]]
    assert first == [v.labels["a.x"] for v in vs[3:]]
    assert [v.labels["a.g"] for v in vs] == [1, 1, 1, 2, 2, 2]


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 4), min_size=0, max_size=3),
    n=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
)
def test_variant_count_and_ids_hold_for_any_grid(sizes, n, seed):
    grid = {f"g.a{i}": list(range(k)) for i, k in enumerate(sizes)}
    spec = sw.load_sweep(
        {"seed": seed, "grid": grid, "samples": {"n": n, "ranges": {"s.x": {"low": 0, "high": 1}}}}
    )
    vs = sw.variants_of(spec)
    assert len(vs) == math.prod(sizes) * n
    assert len({v.id for v in vs}) == len(vs)
    assert all(v.id == sw.variant_id(v.overrides) for v in vs)
    assert [v.index for v in vs] == list(range(len(vs)))


def test_plan_variants_columns_and_types():
    df = sw.plan_variants(
        {"grid": {"a.f": [0.1, 1], "a.s": ["x", "y"], "a.l": [[1, 2], [3]], "a.b": [True, False]}}
    )
    assert list(df.columns) == ["variant", "variant_index", "a.f", "a.s", "a.l", "a.b"]
    assert len(df) == 16 and df["variant"].is_unique
    assert df["a.f"].dtype == np.float64 and df["a.b"].dtype == bool
    assert set(df["a.l"]) == {"[1,2]", "[3]"}  # list values shown as JSON text


# ------------------------------------------------------------------------------------------------
# sweep file errors
# ------------------------------------------------------------------------------------------------
def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ("base: toy\ngridd: {}\n", "gridd", "allowed: name, title"),
        ("samples: {n: 3, ranges: {a.x: {low: 0, high: 1}}}\n", None, "samples need a seed"),
        (
            "seed: 1\nsamples: {n: 3, ranges: {a.x: {low: 1, high: 1}}}\n",
            "samples.ranges.a.x",
            "low < high",
        ),
        ("grid: {a.x: [1, 1]}\n", "grid", "same value twice"),
        (
            "seed: 1\nsamples: {n: 2, ranges: {a.x: {low: 1, high: 9, log: true, integer: true}}}\n",
            "samples.ranges.a.x",
            "cannot be combined",
        ),
        ("grid: {a: [1], a.x: [2]}\n", None, "overlap"),
        ("grid: {a.x: []}\n", "grid", "no values"),
        ("grid: {year: [1]}\n", "grid", "clashes"),
        ("grid: {'a..x': [1]}\n", "grid", "not a dotted path"),
        (
            "seed: 1\nsamples: {n: 3, method: sobol, ranges: {a.x: {low: 0, high: 1}}}\n",
            "samples.method",
            "lhs",
        ),
        ("output: {years: [2030], colour: red}\n", "output.colour", "allowed: years, metrics"),
    ],
)
def test_bad_sweep_file_names_file_and_key(tmp_path, text, key, fragment):
    p = write(tmp_path, text)
    with pytest.raises(ScenarioError) as e:
        sw.load_sweep(p)
    msg = str(e.value)
    assert str(p) in msg and fragment in msg and "\n" not in msg
    if key:
        assert f"key '{key}" in msg


def test_axis_paths_are_checked_before_anything_runs(tmp_path):
    spec = toy_spec(grid={"levers.max_refusl": [0.1]})
    with pytest.raises(ScenarioError) as e:
        run_toy(tmp_path, "out", spec)
    assert "grid.levers.max_refusl" in str(e.value) and "max_refusal" in str(e.value)
    assert not (tmp_path / "out").exists()  # nothing was written
    spec = toy_spec(grid={"demography.variant": ["MMM", "XYZ"]})
    with pytest.raises(ScenarioError, match="allowed: LML, MMM, HHH"):
        run_toy(tmp_path, "out", spec)
    spec = toy_spec(
        grid={}, samples={"n": 2, "ranges": {"levers.max_refusal": {"low": 0.1, "high": 1.5}}}
    )
    with pytest.raises(ScenarioError, match=r"samples\.ranges\.levers\.max_refusal"):
        run_toy(tmp_path, "out", spec)


def test_output_selection_is_checked(tmp_path):
    with pytest.raises(ScenarioError, match=r"output\.years.*allowed: 2026\.\.2032"):
        run_toy(tmp_path, "o1", toy_spec(output={"years": [2099]}))
    with pytest.raises(ScenarioError, match=r"unknown metric 'bed'\. Did you mean beds"):
        run_toy(tmp_path, "o2", toy_spec(output={"metrics": ["bed"]}))


# ------------------------------------------------------------------------------------------------
# running: results, conservation, summary
# ------------------------------------------------------------------------------------------------
def test_results_table_matches_direct_evaluation(tmp_path):
    out = run_toy(tmp_path, "out", toy_spec(output={"years": [2026, 2032], "metrics": ["beds"]}))
    df = pd.read_parquet(out.results)
    assert list(df.columns) == [
        "variant",
        "variant_index",
        "levers.max_refusal",
        "organisation.pooled",
        "municipality_code",
        "year",
        "metric",
        "value",
    ]
    assert out.total == 6 and out.failed == 0 and out.rows == len(df) == 6 * 2 * 3
    assert not df.duplicated(["variant", "municipality_code", "year", "metric"]).any()
    eng = ToyEngine()
    for v in sw.variants_of(sw.load_sweep(toy_spec())):
        direct = eng.evaluate(TOY_BASE, v.overrides)
        direct = direct[direct["year"].isin([2026, 2032]) & (direct["metric"] == "beds")]
        got = df[df["variant"] == v.id]
        np.testing.assert_array_equal(got["value"].to_numpy(), direct["value"].to_numpy())
        assert (got["variant_index"] == v.index).all()
        assert (got["levers.max_refusal"] == v.labels["levers.max_refusal"]).all()
    # direction: a lower refusal target never needs fewer beds
    wide = df.pivot_table(
        index=["organisation.pooled", "municipality_code", "year"],
        columns="levers.max_refusal",
        values="value",
    )
    assert (wide[0.01] >= wide[0.05]).all() and (wide[0.05] >= wide[0.1]).all()


def test_summary_across_variants(tmp_path):
    out = run_toy(tmp_path, "out", toy_spec())
    df = pd.read_parquet(out.results)
    s = out.summary.set_index(["municipality_code", "year", "metric"])
    exact = df.groupby(["municipality_code", "year", "metric"])["value"].agg(
        ["count", "mean", "min", "max"]
    )
    assert (s["variants"] == 6).all()
    np.testing.assert_allclose(s.loc[exact.index, "mean"], exact["mean"])
    np.testing.assert_allclose(s.loc[exact.index, "min"], exact["min"])
    np.testing.assert_allclose(s.loc[exact.index, "max"], exact["max"])
    assert (
        (s["min"] <= s["p10"])
        & (s["p10"] <= s["p50"])
        & (s["p50"] <= s["p90"])
        & (s["p90"] <= s["max"])
    ).all()
    back = sw.read_sweep(out.out)
    pd.testing.assert_frame_equal(back.summary, out.summary, check_dtype=False)
    assert back.rows == out.rows and back.total == 6


def test_default_years_are_milestones():
    assert sw._milestones(2026, 2050) == [2026, 2030, 2040, 2050]
    assert sw._milestones(2024, 2029) == [2024, 2029]


def test_failing_variant_is_recorded_and_sweep_goes_on(tmp_path):
    spec = toy_spec(grid={"levers.max_refusal": [0.05, 0.5, 0.1]})
    out = run_toy(tmp_path, "out", spec)
    assert out.failed == 1 and out.total == 3
    err = out.errors.iloc[0]
    assert err["variant_index"] == 1 and err["levers.max_refusal"] == 0.5
    assert err["error"] == "RuntimeError: toy failure at max_refusal 0.5"
    df = pd.read_parquet(out.results)
    assert sorted(df["variant_index"].unique()) == [0, 2]
    csv = pd.read_csv(out.out / "errors.csv")
    assert list(csv["variant"]) == [err["variant"]]
    with pytest.warns(sw.SweepWarning, match="1 of 3 variants failed"):
        table = sw.sweep(spec, engine=ToyEngine(), workers=1, progress=False)
    pd.testing.assert_frame_equal(table, df)


# ------------------------------------------------------------------------------------------------
# backends: identical results
# ------------------------------------------------------------------------------------------------
def test_process_pool_and_dask_equal_inline(tmp_path):
    spec = toy_spec(samples={"n": 4, "ranges": {"levers.growth": {"low": 0.0, "high": 0.03}}})
    inline = pd.read_parquet(run_toy(tmp_path, "inline", spec, workers=1).results)
    pool = pd.read_parquet(run_toy(tmp_path, "pool", spec, workers=2, chunk_size=3).results)
    pd.testing.assert_frame_equal(inline, pool)
    assert len(inline) == 24 * 7 * 6

    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        out = run_toy(tmp_path, "dask", spec, scheduler=client, chunk_size=5)
    assert out.backend == "dask"
    pd.testing.assert_frame_equal(inline, pd.read_parquet(out.results))


def test_unknown_scheduler_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="allowed: tcp://HOST:PORT, local"):
        run_toy(tmp_path, "out", scheduler="somewhere")


# ------------------------------------------------------------------------------------------------
# resume and safety
# ------------------------------------------------------------------------------------------------
def test_resume_after_partial_run_gives_the_full_table(tmp_path):
    spec = toy_spec(
        grid={
            "levers.max_refusal": [0.01, 0.02, 0.05, 0.1, 0.2],
            "organisation.pooled": [False, True],
        }
    )
    full = pd.read_parquet(run_toy(tmp_path, "full", spec).results)
    part = run_toy(tmp_path, "part", spec, limit=4, chunk_size=3)
    assert part.ran == 4 and not part.results.exists()
    with pytest.raises(InputError, match="--resume"):
        run_toy(tmp_path, "part", spec)
    done = run_toy(tmp_path, "part", spec, resume=True, chunk_size=4)
    assert (done.skipped, done.ran) == (4, 6)
    pd.testing.assert_frame_equal(full, pd.read_parquet(done.results))
    again = run_toy(tmp_path, "part", spec, resume=True)  # nothing left: same table
    assert (again.skipped, again.ran) == (10, 0)
    pd.testing.assert_frame_equal(full, pd.read_parquet(again.results))


def test_resume_refuses_a_different_sweep(tmp_path):
    # a folder with sweep.json but no finished variant (e.g. the scheduler was unreachable)
    # holds nothing to protect: any sweep may start there
    run_toy(tmp_path, "empty", toy_spec(), limit=0)
    assert (tmp_path / "empty" / "sweep.json").exists()
    assert run_toy(tmp_path, "empty", toy_spec(grid={"levers.max_refusal": [0.02]})).total == 1
    run_toy(tmp_path, "out", toy_spec(), limit=2)
    other = toy_spec(grid={"levers.max_refusal": [0.02]})
    with pytest.raises(InputError, match="different sweep"):
        run_toy(tmp_path, "out", other, resume=True)


def test_leftover_temp_files_and_duplicate_parts_are_harmless(tmp_path):
    spec = toy_spec()
    full = run_toy(tmp_path, "full", spec)
    parts = sorted((full.out / "parts").glob("part-*.parquet"))
    # a copy of a finished part under another name (as if written twice) and a torn temp file
    (full.out / "parts" / "part-999999999-copy.parquet").write_bytes(parts[0].read_bytes())
    (full.out / "parts" / ".tmp-deadbeef.parquet").write_bytes(b"PAR1 torn")
    again = run_toy(tmp_path, "full", spec, resume=True)
    assert again.ran == 0
    pd.testing.assert_frame_equal(pd.read_parquet(full.results), pd.read_parquet(again.results))
    assert not list((full.out / "parts").glob(".tmp-*"))


def test_out_dir_refuses_to_write_outside(tmp_path):
    out = sw.OutDir(tmp_path / "out")
    with pytest.raises(InputError, match="outside the output folder"):
        out.path("..", "escape.parquet")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        sw.OutDir(tmp_path / "afile")
    os.symlink(tmp_path, tmp_path / "out" / "link")
    with pytest.raises(InputError, match="outside the output folder"):
        out.path("link", "x.parquet")


KILL_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from planning import sweep as sw
from test_sweep import ToyEngine, toy_spec
spec = toy_spec(grid={{"levers.max_refusal": [0.01, 0.02, 0.05, 0.1, 0.2, 0.3],
                      "organisation.pooled": [False, True]}})
sw.run_sweep(spec, {out!r}, engine=ToyEngine(delay=0.15), workers=2, chunk_size=1,
             progress=False, resume=True)
"""


def test_sigkill_mid_sweep_then_resume_gives_the_full_table(tmp_path):
    spec = toy_spec(
        grid={
            "levers.max_refusal": [0.01, 0.02, 0.05, 0.1, 0.2, 0.3],
            "organisation.pooled": [False, True],
        }
    )
    full = pd.read_parquet(run_toy(tmp_path, "full", spec).results)
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT.format(tests=str(TESTS), out=str(out))],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if len(list((out / "parts").glob("part-*.parquet"))) >= 3 or proc.poll() is not None:
                break
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its worker processes
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()[-2000:]
    n_parts = len(list((out / "parts").glob("part-*.parquet")))
    assert 3 <= n_parts < 12
    assert not (out / "results.parquet").exists()
    done = run_toy(tmp_path, "killed", spec, resume=True)
    assert done.skipped >= 3 and done.skipped + done.ran == 12
    got = pd.read_parquet(done.results)
    pd.testing.assert_frame_equal(full, got)
    assert not got.duplicated(["variant", "municipality_code", "year", "metric"]).any()


# ------------------------------------------------------------------------------------------------
# CLI
# ------------------------------------------------------------------------------------------------
def test_cli_bad_file_prints_one_line_and_exits_2(tmp_path, capsys):
    from planning.cli import main

    p = write(tmp_path, "grid: {levers.max_refusal: [0.1, 0.1]}\n")
    assert main(["sweep", str(p), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and str(p) in err and len(err.splitlines()) == 1


# ------------------------------------------------------------------------------------------------
# the real scenario model
# ------------------------------------------------------------------------------------------------
#: The organisation axis of the real-model sweeps below: each municipality alone, or one KAD
#: unit of the four hosted by Stjørdal.
ALONE_OR_KAD_FOR_ALL_FOUR = """\
  organisation:
    alone: {units: []}
    dms_all_four:
      units:
        - {name: dms_kad, service: kad, host: "5035", members: ["5035", "5034", "5032", "5033"]}
"""

REAL_SWEEP = f"""
base: alone
grid:
  levers.max_refusal: [0.01, 0.1]
{ALONE_OR_KAD_FOR_ALL_FOUR}output:
  years: [2026, 2050]
  metrics: [population, beds_kad, cost_nok]
"""


def test_real_sweep_through_the_cli(tmp_path, capsys):
    from planning import scenarios
    from planning.cli import main

    p = write(tmp_path, REAL_SWEEP)
    assert (
        main(["sweep", str(p), "--out", str(tmp_path / "o"), "--workers", "1", "--no-progress"])
        == 0
    )
    assert "4 variants (4 run now, 0 already done, 0 failed)" in capsys.readouterr().out
    df = pd.read_parquet(tmp_path / "o" / "results.parquet")
    assert sorted(df["municipality_code"].unique()) == ["5032", "5033", "5034", "5035", "region"]
    assert sorted(df["year"].unique()) == [2026, 2050]
    # same numbers as running the variant directly
    v = df[(df["levers.max_refusal"] == 0.01) & (df["organisation"] == "dms_all_four")]
    base = scenarios.load_scenario("alone")
    units = [
        {
            "name": "dms_kad",
            "service": "kad",
            "host": "5035",
            "members": ["5035", "5034", "5032", "5033"],
        }
    ]
    direct = scenarios.run(
        scenarios.apply_overrides(
            base, {"levers.max_refusal": 0.01, "organisation": {"units": units}}
        )
    ).metrics()
    merged = v.merge(direct, on=["municipality_code", "year", "metric"], suffixes=("", "_direct"))
    assert len(merged) == len(v) == 5 * 2 * 3
    np.testing.assert_allclose(merged["value"], merged["value_direct"])

    kad = df[(df["metric"] == "beds_kad") & (df["municipality_code"] == "region")]
    kad = kad.set_index(["levers.max_refusal", "organisation", "year"])["value"]
    for org in ("alone", "dms_all_four"):
        for year in (2026, 2050):
            # a stricter refusal target never needs fewer beds
            assert kad[(0.01, org, year)] >= kad[(0.1, org, year)]
    for r in (0.01, 0.1):
        # pooling four bed units into one (Erlang B) never needs more beds for the region
        assert kad[(r, "dms_all_four", 2050)] <= kad[(r, "alone", 2050)]
    assert kad[(0.01, "dms_all_four", 2050)] < kad[(0.01, "alone", 2050)]
    # the levers do not touch the population projection: identical in every variant
    pop = df[df["metric"] == "population"].pivot_table(
        index=["municipality_code", "year"], columns="variant", values="value"
    )
    assert np.allclose(pop.to_numpy(), pop.to_numpy()[:, :1])


def test_cli_dry_run_lists_variants(tmp_path, capsys):
    from planning.cli import main

    path = ROOT / "scenarios" / "sweeps" / "dms_refusal_migration.yaml"
    assert main(["sweep", str(path), "--out", str(tmp_path / "unused"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("48 variants; axes: levers.max_refusal, demography.variant, organisation")
    assert "... and 28 more" in out
    assert not (tmp_path / "unused").exists()


@pytest.mark.parametrize(
    "name", sorted(p.name for p in (ROOT / "scenarios" / "sweeps").glob("*.yaml"))
)
def test_shipped_sweeps_are_valid(name):
    spec = sw.load_sweep(ROOT / "scenarios" / "sweeps" / name)
    eng = sw.ScenarioEngine()
    sw.check_axes(spec, eng, eng.load_base(spec.base))
    variants = sw.variants_of(spec)
    assert len(variants) >= 20 and spec.title is not None


def test_real_axis_errors_name_the_sweep_file_and_allowed_keys(tmp_path):
    p = write(tmp_path, "base: alone\ngrid: {levers.max_refusl: [0.1]}\n")
    with pytest.raises(ScenarioError) as e:
        sw.run_sweep(p, tmp_path / "o", workers=1, progress=False)
    msg = str(e.value)
    assert str(p) in msg and "grid.levers.max_refusl" in msg and "max_refusal" in msg
    p = write(tmp_path, "base: alone\ngrid: {levers.max_refusal: [0.05, 1.5]}\n")
    with pytest.raises(ScenarioError, match=r"levers\.max_refusal = 1\.5"):
        sw.run_sweep(p, tmp_path / "o", workers=1, progress=False)
    p = write(tmp_path, "base: nosuch\n")
    with pytest.raises(ScenarioError, match="unknown scenario 'nosuch'") as e:
        sw.run_sweep(p, tmp_path / "o", workers=1, progress=False)
    assert str(p) in str(e.value) and "key 'base'" in str(e.value)


ONE_OFF_SWEEP = f"""
base: alone
grid:
{ALONE_OR_KAD_FOR_ALL_FOUR}output:
  years: all
  metrics: [cost_nok, one_off_cost_nok, one_off_total_nok]
"""


def test_one_off_costs_are_metrics_of_the_sweep_records(tmp_path):
    """The one-off costs of setting up and leaving shared units (planning.overhead) reach
    `planning sweep` as two metrics of the flat records: known values from the catalogue's
    set-up and exit costs and today's units; spread over annualise_years; inside cost_nok."""
    from planning.parameters import load_catalogue, load_organisation

    oh = load_catalogue().overhead
    setup, leave = oh.setup_nok.value, oh.exit_nok_per_member.value
    today = [u for u in load_organisation().units if len(u.members) > 1]
    four = {"5035", "5034", "5032", "5033"}
    exits = sum(len(set(u.members) & four) for u in today)  # 'alone': every member leaves
    kad = [u for u in today if u.service == "kad"]
    stay = sum(len(set(u.members) & four) for u in kad)  # today's KAD members in the new unit
    assert exits > 0 and stay > 0

    out = sw.run_sweep(write(tmp_path, ONE_OFF_SWEEP), tmp_path / "o", workers=1, progress=False)
    df = pd.read_parquet(out.results)
    assert {"one_off_cost_nok", "one_off_total_nok"} <= set(df["metric"])
    wide = df.pivot_table(
        index=["organisation", "municipality_code", "year"], columns="metric", values="value"
    )
    region = wide.xs("region", level="municipality_code")
    total = region["one_off_total_nok"].groupby(level="organisation").agg(["min", "max"])
    assert total.loc["alone", "min"] == total.loc["alone", "max"] == pytest.approx(exits * leave)
    want = (exits - stay) * leave + setup  # the others leave; a new unit of four is set up
    assert total.loc["dms_all_four", "max"] == pytest.approx(want)
    # spread over the first annualise_years, summing to the whole; inside cost_nok
    yearly = region["one_off_cost_nok"].unstack("organisation")
    assert yearly.sum().to_dict() == pytest.approx(total["max"].to_dict())
    n = int(oh.annualise_years.value)
    assert (yearly.iloc[:n] > 0).all().all() and (yearly.iloc[n:] == 0).all().all()
    assert (wide["cost_nok"] >= wide["one_off_cost_nok"]).all()
    # municipalities add up to the region; Selbu pays its quarter of the new unit's set-up
    munis = wide.drop(index="region", level="municipality_code")
    by_year = munis.groupby(level=["organisation", "year"])["one_off_cost_nok"].sum()
    np.testing.assert_allclose(by_year.to_numpy(), wide.xs("region", level=1)["one_off_cost_nok"])
    selbu = wide.loc[("dms_all_four", "5032"), "one_off_total_nok"].iloc[0]
    selbu_exits = sum("5032" in u.members for u in today if u.service != "kad")
    assert selbu == pytest.approx(selbu_exits * leave + setup / 4)


@pytest.mark.slow
def test_the_cost_key_sweep_compares_against_today(tmp_path):
    """The shipped cost-key sweep starts from today's organisation: its 'today' alternative is
    scenarios.run('today') (same refusal target), and a DMS for all four changes only the DMS
    (Selbu joins: fewer beds for the region than today's three-member DMS plus Selbu's own)."""
    from planning import scenarios

    res = sw.run_sweep(
        ROOT / "scenarios" / "sweeps" / "dms_cost_key.yaml",
        tmp_path / "o",
        workers=1,
        progress=False,
    )
    assert res.failed == 0
    t = pd.read_parquet(res.results)
    t = t[
        (t["year"] == 2050)
        & (t["levers.max_refusal"] == 0.05)
        & (t["municipality_code"] == "region")
    ]
    today = scenarios.apply_overrides(
        scenarios.load_scenario("today"), {"levers.max_refusal": 0.05}
    )
    want = scenarios.run(today).metrics()
    want = want[(want["year"] == 2050) & (want["municipality_code"] == "region")]
    for metric in ("beds", "cost_nok"):
        got = t[(t["organisation"] == "today") & (t["metric"] == metric)]["value"]
        exp = want[want["metric"] == metric]["value"]
        assert len(got) == len(exp) == 1, metric
        np.testing.assert_allclose(got.iloc[0], exp.iloc[0], rtol=1e-9, err_msg=metric)
    beds = t[t["metric"] == "beds"].set_index("organisation")["value"]
    assert set(beds.index) == {
        "today",
        "by_population",
        "by_use",
        "fixed_25_then_use",
        "fixed_50_then_use",
    }
    assert (beds.drop("today") < beds["today"]).all()


def _shipped_sweep(name: str) -> dict[str, Any]:
    from planning.io import load_yaml

    return load_yaml(ROOT / "scenarios" / "sweeps" / name)


@pytest.mark.parametrize(
    "name", sorted(p.name for p in (ROOT / "scenarios" / "sweeps").glob("*.yaml"))
)
def test_shipped_sweeps_are_changes_from_today(name):
    """Today is the reference: every shipped sweep starts from `today`, every organisation
    alternative keeps today's units (status_quo) and changes them by name, and one alternative
    named 'today' changes nothing."""
    raw = _shipped_sweep(name)
    assert raw["base"] == "today"
    orgs = raw.get("grid", {}).get("organisation")
    if orgs is None:
        return
    assert orgs["today"] == {"status_quo": True, "units": []}
    assert all(alt["status_quo"] is True for alt in orgs.values())


@pytest.mark.slow
def test_the_dms_membership_sweep_compares_against_today(tmp_path):
    """The shipped DMS-membership sweep (two refusal targets, MMM): its 'today' alternative is
    scenarios.run('today') (every metric, municipality and year, rtol 1e-9); without a shared
    DMS each municipality has the KAD and intermediate beds it has in `alone`; pooling needs
    fewer beds: a DMS for all four < today < Stjørdal and Meråker only <= no shared DMS."""
    import yaml

    from planning import scenarios

    raw = _shipped_sweep("dms_refusal_migration.yaml")
    assert set(raw["grid"]["organisation"]) == {
        "today",
        "dms_all_four",
        "dms_stjordal_meraker",
        "no_shared_dms",
    }
    raw["grid"]["levers.max_refusal"] = [0.01, 0.05]
    raw["grid"]["demography.variant"] = ["MMM"]
    p = write(tmp_path, yaml.safe_dump(raw, allow_unicode=True, sort_keys=False))
    res = sw.run_sweep(p, tmp_path / "o", workers=1, progress=False)
    assert res.failed == 0 and res.total == 8
    t = pd.read_parquet(res.results)
    key = ["municipality_code", "year", "metric"]
    for refusal in (0.01, 0.05):
        mine = t[t["levers.max_refusal"] == refusal]
        for ref, alt, metrics in (
            ("today", "today", list(raw["output"]["metrics"])),
            ("alone", "no_shared_dms", ["beds_kad", "beds_intermediaer"]),
        ):
            base = scenarios.apply_overrides(
                scenarios.load_scenario(ref), {"levers.max_refusal": refusal}
            )
            want = scenarios.run(base).metrics()
            want = want[want["year"].isin(raw["output"]["years"]) & want["metric"].isin(metrics)]
            got = mine[(mine["organisation"] == alt) & mine["metric"].isin(metrics)]
            both = got.merge(want, on=key, suffixes=("", "_ref"))
            assert len(both) == len(got) == len(want) == 5 * 4 * len(metrics), alt
            np.testing.assert_allclose(both["value"], both["value_ref"], rtol=1e-9, err_msg=alt)
    beds = t[(t["metric"] == "beds") & (t["municipality_code"] == "region")]
    beds = beds.pivot_table(
        index=["levers.max_refusal", "year"], columns="organisation", values="value"
    )
    assert (beds["dms_all_four"] < beds["today"]).all()
    assert (beds["today"] < beds["dms_stjordal_meraker"]).all()
    assert (beds["dms_stjordal_meraker"] <= beds["no_shared_dms"]).all()
    assert (beds["today"] < beds["no_shared_dms"]).all()


def test_removing_an_unknown_unit_in_a_sweep_is_one_line_before_anything_runs(tmp_path, capsys):
    """A misspelt unit name to remove in the shipped sweep: `planning sweep` exits 2 with one
    line naming the file, the key and the names of today's units in the base's region (not
    other regions'), and writes nothing."""
    from planning.cli import main
    from planning.parameters import load_organisation

    text = (ROOT / "scenarios" / "sweeps" / "dms_refusal_migration.yaml").read_text("utf-8")
    wrong = '{name: "Værnesregionen DMS, intermediære senger", remove: true}'
    assert text.count(wrong) == 1
    p = write(tmp_path, text.replace(wrong, wrong.replace("intermediære", "intermediere")))
    out = tmp_path / "o"
    assert main(["sweep", str(p), "--out", str(out), "--workers", "1", "--no-progress"]) == 2
    got = capsys.readouterr()
    err = got.err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err and not got.out
    assert err.startswith(f"error: {p} key 'grid.organisation.no_shared_dms'")
    assert "no unit 'Værnesregionen DMS, intermediere senger' in today's organisation" in err
    assert "Did you mean Værnesregionen DMS, intermediære senger" in err
    allowed = err.split("(allowed: ", 1)[1]
    vaernes = {"5035", "5034", "5032", "5033"}  # the base's region: only its units are listed
    here = [u.name for u in load_organisation().units if vaernes & set(u.members)]
    others = [u.name for u in load_organisation().units if u.name not in here]
    assert here and all(name in allowed for name in here)
    assert others and not [name for name in others if name in allowed]
    assert not out.exists()
