"""Batched sweeps (planning.sweep.batch): variants that differ only in parameter values are
evaluated together and give the same flat records as one at a time (rtol 1e-9).

The one-at-a-time reference is the real ``ScenarioEngine`` with batching turned off
(``batch=False``). Everything runs the real scenario model on the shipped data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from planning import sweep as sw
from planning.sweep import batch
from planning.sweep.chunks import ChunkJob, Selection, evaluate_chunk

ROOT = Path(__file__).resolve().parent.parent
ONE_AT_A_TIME = sw.ScenarioEngine(batch=False)  # every variant through the full chain alone


@dataclass(frozen=True)
class BatchRaises(sw.ScenarioEngine):
    """A batched pass that fails as a whole (every variant must then run alone)."""

    def evaluate_batch(self, base: Any, overrides_list: Any) -> Any:
        raise RuntimeError("batched pass failed")


def _run(spec: Any, out: Path, engine: Any = None, **kw: Any) -> sw.SweepOutcome:
    kw.setdefault("workers", 1)
    return sw.run_sweep(spec, out, progress=False, engine=engine, **kw)


def _read(path: Path) -> pd.DataFrame:
    """results.parquet, which must be ordered by variant_index whatever chunks produced it."""
    df = pd.read_parquet(path)
    assert df["variant_index"].is_monotonic_increasing
    return df


def assert_same_records(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Same rows (every key column equal), values equal to rtol 1e-9."""
    assert len(a) == len(b) > 0
    keys = [c for c in a.columns if c != "value"]
    pd.testing.assert_frame_equal(a[keys], b[keys])
    np.testing.assert_allclose(a["value"].to_numpy(), b["value"].to_numpy(), rtol=1e-9, atol=0)


def _shipped(name: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / "scenarios" / "sweeps" / f"{name}.yaml").read_text("utf-8"))


DMS_FOUR = [
    {"name": "Værnesregionen DMS, KAD-senger", "members": ["5035", "5034", "5032", "5033"]},
    {
        "name": "Værnesregionen DMS, intermediære senger",
        "members": ["5035", "5034", "5032", "5033"],
    },
]
NO_DMS = [
    {"name": "Værnesregionen DMS, KAD-senger", "remove": True},
    {"name": "Værnesregionen DMS, intermediære senger", "remove": True},
]


def synthetic_spec(**extra: Any) -> dict[str, Any]:
    """Three organisations x two demographic variants x 6 samples over four parameter paths
    (levers, catalogue values of two services, real pay growth): 36 variants in 6 groups."""
    spec: dict[str, Any] = {
        "name": "batch_test",
        "base": "today",
        "seed": 7,
        "grid": {
            "organisation": {
                "today": {"status_quo": True, "units": []},
                "dms_all_four": {"status_quo": True, "units": DMS_FOUR},
                "no_shared_dms": {"status_quo": True, "units": NO_DMS},
            },
            "demography.variant": ["MMM", "MMH"],
        },
        "samples": {
            "method": "lhs",
            "n": 6,
            "ranges": {
                "levers.max_refusal": {"low": 0.01, "high": 0.1, "log": True},
                "levers.healthy_ageing": {"low": 0.0, "high": 1.0},
                "services.kad.fte_per_bed": {"low": 0.8, "high": 2.0},
                "services.intermediaer.fte_per_bed": {"low": 0.8, "high": 1.6},
                "prices.real_pay_growth": {"low": -0.01, "high": 0.02},
            },
        },
        "output": {"years": "all"},
    }
    spec.update(extra)
    return spec


def test_a_shipped_sweep_batched_equals_one_at_a_time(tmp_path):
    spec = _shipped("dms_refusal_migration")  # 48 variants: 12 groups of 4 refusal targets
    batched = _run(spec, tmp_path / "batched")
    alone = _run(spec, tmp_path / "alone", engine=ONE_AT_A_TIME)
    assert batched.info["batched_this_call"] == 48
    assert alone.info["batched_this_call"] == 0
    assert batched.failed == alone.failed == 0
    assert_same_records(_read(batched.results), _read(alone.results))
    pd.testing.assert_frame_equal(batched.summary, alone.summary, rtol=1e-9)


def test_several_parameter_axes_and_organisations_batched_equal_one_at_a_time(
    tmp_path, monkeypatch
):
    from planning.sweep import assembly

    spec = synthetic_spec()
    # parts hold variants that are not consecutive: assemble in small windows (many of them)
    monkeypatch.setattr(assembly, "WINDOW_ROWS", 5_000)
    batched = _run(spec, tmp_path / "batched", workers=2)  # groups split over two processes
    alone = _run(spec, tmp_path / "alone", engine=ONE_AT_A_TIME)
    assert batched.total == 36 and batched.info["batched_this_call"] == 36
    a, b = _read(batched.results), _read(alone.results)
    assert_same_records(a, b)
    assert {"one_off_cost_nok", "one_off_total_nok", "cost_nok", "beds"} <= set(a["metric"])
    # the parameters matter: the records are not the same in every variant
    beds = a[(a["metric"] == "beds_kad") & (a["municipality_code"] == "region")]
    assert beds.groupby("year")["value"].nunique().max() > 1


def test_a_parameter_the_vectorised_path_does_not_take_runs_one_at_a_time(tmp_path):
    # an estimation input (acts through the coverage estimation from KOSTRA): structural
    path = "services.coverage.estimation.damping"
    assert batch.value_path(path) is None
    spec = synthetic_spec()
    spec["grid"] = {"organisation": spec["grid"]["organisation"]}
    spec["samples"]["n"] = 2
    spec["samples"]["ranges"] = {
        "levers.max_refusal": {"low": 0.01, "high": 0.1},
        path: {"low": 0.3, "high": 0.7},
    }
    fallback = _run(spec, tmp_path / "f")
    alone = _run(spec, tmp_path / "a", engine=ONE_AT_A_TIME)
    assert fallback.info["batched_this_call"] == 0 and fallback.failed == 0
    assert_same_records(_read(fallback.results), _read(alone.results))


def test_a_value_the_batched_pass_cannot_take_falls_back_to_one_at_a_time(tmp_path):
    # a service's age_split: the catalogue derives its age shares from it, so the vectorised
    # pass refuses the group, which then runs one variant at a time
    path = "services.kad.age_split"
    assert batch.value_path(path) is not None  # grouped, but the batched pass raises
    spec = synthetic_spec()
    spec["grid"] = {"organisation": spec["grid"]["organisation"]}
    spec["samples"]["n"] = 3
    spec["samples"]["ranges"] = {path: {"low": 60, "high": 75, "integer": True}}
    spec["output"] = {"years": [2026, 2050]}
    fallback = _run(spec, tmp_path / "f")
    alone = _run(spec, tmp_path / "a", engine=ONE_AT_A_TIME)
    assert fallback.info["batched_this_call"] == 0 and fallback.failed == 0
    a = _read(fallback.results)
    assert_same_records(a, _read(alone.results))
    kad = a[(a["metric"] == "beds_kad") & (a["municipality_code"] == "region")]
    assert kad.groupby("year")["value"].nunique().max() > 1  # the value reached the model


def test_uncertainty_runs_in_the_base_are_not_batched(tmp_path):
    spec = synthetic_spec()
    spec["grid"] = {"demography.runs": [2]}  # runs over uncertainty take the run axis
    spec["samples"]["n"] = 2
    spec["output"] = {"years": [2026, 2040], "metrics": ["beds", "cost_nok"]}
    out = _run(spec, tmp_path / "r")
    alone = _run(spec, tmp_path / "a", engine=ONE_AT_A_TIME)
    assert out.info["batched_this_call"] == 0
    a, b = _read(out.results), _read(alone.results)
    assert set(a["run"]) == {0, 1, 2}
    assert_same_records(a, b)


def test_a_refused_value_is_that_variants_error_and_the_others_are_evaluated():
    eng = sw.ScenarioEngine()
    base = eng.load_base("today")
    ovs = [{"levers.max_refusal": v} for v in (0.02, -0.5, 0.08)]
    frames = batch.evaluate_batch(base, ovs)
    assert frames is not None and isinstance(frames[1], Exception)
    with pytest.raises(Exception) as alone:
        eng.evaluate(base, ovs[1])
    assert str(frames[1]) == str(alone.value)
    for k in (0, 2):
        want = eng.evaluate(base, ovs[k])
        pd.testing.assert_frame_equal(frames[k][list(want.columns)], want, rtol=1e-9)


def _job(engine: Any, ovs: list[dict[str, Any]]) -> ChunkJob:
    base = engine.load_base("today")
    sel = Selection((2026, 2050), ("beds", "cost_nok"), None)
    return ChunkJob(engine, base, tuple((i, f"v{i}", o) for i, o in enumerate(ovs)), sel, True)


def test_a_batch_that_fails_as_a_whole_is_evaluated_one_at_a_time():
    ovs = [{"levers.max_refusal": v} for v in (0.01, 0.03, 0.09)]
    fell_back = evaluate_chunk(_job(BatchRaises(), ovs))
    batched = evaluate_chunk(_job(sw.ScenarioEngine(), ovs))
    assert (fell_back.batched, batched.batched) == (0, 3)
    assert [r["status"] for r in fell_back.records] == ["ok"] * 3
    a, b = fell_back.table.to_pandas(), batched.table.to_pandas()
    assert_same_records(a, b)


def test_groups_never_mix_structural_differences():
    spec = sw.load_sweep(synthetic_spec())
    variants = sw.variants_of(spec)
    chunks = batch.plan_chunks(variants, batch.batch_key, size=50, slots=2)
    assert sorted(v.index for c, _ in chunks for v in c) == [v.index for v in variants]
    for chunk, is_batch in chunks:
        assert is_batch
        rest = {
            batch._canonical({k: x for k, x in v.overrides.items() if batch.value_path(k) is None})
            for v in chunk
        }
        assert len(rest) == 1 and len(chunk) >= 2
    assert len(chunks) == 12  # 6 groups of 6, each split over the two slots


def test_resume_after_a_partial_batched_run_gives_the_full_table(tmp_path):
    spec = synthetic_spec()
    spec["grid"] = {"organisation": spec["grid"]["organisation"]}
    spec["output"] = {"years": [2026, 2050]}
    full = _read(_run(spec, tmp_path / "full").results)
    part = _run(spec, tmp_path / "part", limit=7)
    assert part.ran == 7 and not part.results.exists()
    done = _run(spec, tmp_path / "part", resume=True)
    assert (done.skipped, done.ran) == (7, 11)
    assert_same_records(full, _read(done.results))


def test_dask_runs_a_group_as_a_task(tmp_path):
    from distributed import Client, LocalCluster

    spec = synthetic_spec()
    spec["grid"] = {"organisation": spec["grid"]["organisation"]}
    spec["output"] = {"years": [2026, 2050], "metrics": ["beds", "fte", "cost_nok"]}
    local = _read(_run(spec, tmp_path / "local").results)
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        out = _run(spec, tmp_path / "dask", scheduler=client, workers=None)
    assert out.backend == "dask" and out.info["batched_this_call"] == 18
    assert_same_records(local, _read(out.results))
