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
    """A run of consecutive variants for one worker: (index, id, overrides) each."""

    engine: Any
    base: Any
    variants: tuple[tuple[int, str, dict[str, Any]], ...]
    selection: Selection


@dataclass
class ChunkResult:
    """Metrics rows of a chunk (variant, variant_index, municipality_code, year, metric, value
    [, run]) and one record per variant: id, index, status ('ok'/'error'), error, traceback."""

    table: pa.Table
    records: list[dict[str, Any]]
    seconds: float  # wall time in the worker
    cpu_seconds: float  # CPU time of the worker process


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


def evaluate_chunk(job: ChunkJob) -> ChunkResult:
    """Evaluate the variants of ``job`` one after the other; a variant that raises is recorded
    with its error and the chunk goes on. Pure apart from what the engine reads."""
    t0, c0 = time.perf_counter(), time.process_time()
    tables: list[pa.Table] = []
    records: list[dict[str, Any]] = []
    for index, vid, overrides in job.variants:
        try:
            df = _select(job.engine.evaluate(job.base, overrides), job.selection)
            tables.append(_metrics_table(df, vid, index))
            records.append({"variant": vid, "variant_index": index, "status": "ok"})
        except Exception as e:  # noqa: BLE001 - any failure of one variant is recorded
            records.append(
                {
                    "variant": vid,
                    "variant_index": index,
                    "status": "error",
                    "error": _one_line(e),
                    "error_type": type(e).__name__,
                    "traceback": "".join(traceback.format_exception(e)[-6:]),
                }
            )
    table = _concat_metric_tables(tables)
    return ChunkResult(table, records, time.perf_counter() - t0, time.process_time() - c0)


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
