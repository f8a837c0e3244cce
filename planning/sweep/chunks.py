"""Evaluating one chunk of variants (runs in worker processes / dask workers) into arrow tables.

Part of :mod:`planning.sweep`.
"""

from __future__ import annotations

import signal
import time
import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from planning.errors import PlanningError, require_columns
from planning.sweep.spec import METRIC_COLUMNS


# ------------------------------------------------------------------------------------------------
# evaluation of one chunk (runs in worker processes / dask workers)
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Selection:
    """What to keep of each variant's metrics (None: everything)."""

    years: tuple[int, ...] | None
    metrics: tuple[str, ...] | None
    municipalities: tuple[str, ...] | None


@dataclass(frozen=True)
class ChunkJob:
    """Variants for one worker: (index, id, overrides) each. Either a run of consecutive
    variants evaluated one at a time, or (``batch``) the variants of one batch group
    (:mod:`planning.sweep.batch`), evaluated together through ``engine.evaluate_batch``."""

    engine: Any
    base: Any
    variants: tuple[tuple[int, str, dict[str, Any]], ...]
    selection: Selection
    batch: bool = False


@dataclass
class ChunkResult:
    """Metrics rows of a chunk (variant, variant_index, municipality_code, year, metric, value
    [, run]) and one record per variant: id, index, status ('ok'/'error'), error, traceback."""

    table: pa.Table
    records: list[dict[str, Any]]
    seconds: float  # wall time in the worker
    cpu_seconds: float  # CPU time of the worker process
    batched: int = 0  # variants evaluated in one batched pass (the others one at a time)


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    msg = text[0] if text else ""
    return f"{type(e).__name__}: {msg}" if not isinstance(e, PlanningError) else msg


def _select(df: pd.DataFrame, sel: Selection) -> pd.DataFrame:
    require_columns(df, METRIC_COLUMNS, "metrics")
    cols = list(METRIC_COLUMNS) + (["run"] if "run" in df.columns else [])
    mask = np.ones(len(df), dtype=bool)
    if sel.years is not None:
        mask &= df["year"].isin(sel.years).to_numpy()
    if sel.metrics is not None:
        mask &= df["metric"].isin(sel.metrics).to_numpy()
    if sel.municipalities is not None:
        mask &= df["municipality_code"].isin(sel.municipalities).to_numpy()
    return df.loc[mask, cols]


def _metrics_table(df: pd.DataFrame, vid: str, index: int) -> pa.Table:
    n = len(df)
    cols: dict[str, Any] = {
        "variant": pa.array([vid] * n, pa.string()),
        "variant_index": pa.array(np.full(n, index, dtype=np.int64)),
        "municipality_code": pa.array(df["municipality_code"].astype(str).tolist(), pa.string()),
        "year": pa.array(df["year"].to_numpy(dtype=np.int64)),
        "metric": pa.array(df["metric"].astype(str).tolist(), pa.string()),
        "value": pa.array(df["value"].to_numpy(dtype=np.float64)),
    }
    if "run" in df.columns:
        cols["run"] = pa.array(df["run"].to_numpy(dtype=np.int64))
    return pa.table(cols)


def _error_record(vid: str, index: int, e: BaseException) -> dict[str, Any]:
    return {
        "variant": vid,
        "variant_index": index,
        "status": "error",
        "error": _one_line(e),
        "error_type": type(e).__name__,
        "traceback": "".join(traceback.format_exception(e)[-6:]),
    }


def _batched(job: ChunkJob) -> list[pd.DataFrame | Exception] | None:
    """The batch's frames (or errors) per variant, or None: evaluate one at a time instead (no
    batch, an engine without ``evaluate_batch``, a group it cannot batch, or a batched pass that
    raised: then every variant runs alone and records its own error)."""
    fn = getattr(job.engine, "evaluate_batch", None)
    if not job.batch or fn is None or len(job.variants) < 2:
        return None
    try:
        frames = fn(job.base, [ov for _, _, ov in job.variants])
    except Exception:  # noqa: BLE001 - the one-at-a-time path then says which variant fails
        return None
    if frames is None or len(frames) != len(job.variants):
        return None
    return frames


def evaluate_chunk(job: ChunkJob) -> ChunkResult:
    """Evaluate the variants of ``job`` (together when it is a batch the engine can batch,
    otherwise one after the other); a variant that raises is recorded with its error and the
    chunk goes on. Pure apart from what the engine reads."""
    t0, c0 = time.perf_counter(), time.process_time()
    tables: list[pa.Table] = []
    records: list[dict[str, Any]] = []
    frames = _batched(job)
    for k, (index, vid, overrides) in enumerate(job.variants):
        try:
            if frames is None:
                df = job.engine.evaluate(job.base, overrides)
            elif isinstance(frames[k], Exception):
                raise frames[k]  # type: ignore[misc]
            else:
                df = frames[k]
            df = _select(df, job.selection)
            tables.append(_metrics_table(df, vid, index))
            records.append({"variant": vid, "variant_index": index, "status": "ok"})
        except Exception as e:  # noqa: BLE001 - any failure of one variant is recorded
            records.append(_error_record(vid, index, e))
    table = _concat_metric_tables(tables)
    batched = 0 if frames is None else len(job.variants)
    return ChunkResult(table, records, time.perf_counter() - t0, time.process_time() - c0, batched)


def _concat_metric_tables(tables: list[pa.Table]) -> pa.Table:
    if not tables:
        return _empty_metrics(False)
    if any("run" in t.column_names for t in tables):
        tables = [t if "run" in t.column_names else _add_run(t) for t in tables]
    return pa.concat_tables(tables)


def _add_run(t: pa.Table) -> pa.Table:
    """Deterministic variants are run 0 (the central run) when other variants have draws."""
    return t.append_column("run", pa.array(np.zeros(t.num_rows, dtype=np.int64)))


def _empty_metrics(with_run: bool) -> pa.Table:
    fields = [
        ("variant", pa.string()),
        ("variant_index", pa.int64()),
        ("municipality_code", pa.string()),
        ("year", pa.int64()),
        ("metric", pa.string()),
        ("value", pa.float64()),
    ] + ([("run", pa.int64())] if with_run else [])
    return pa.schema(fields).empty_table()


def _worker_init() -> None:
    """Worker processes leave Ctrl-C to the driver (which stops the sweep cleanly)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
