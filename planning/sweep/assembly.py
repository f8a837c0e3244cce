"""Assembling the results table from the parts by streaming, and its summary.

Part of :mod:`planning.sweep`.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from planning.errors import InputError
from planning.sweep.chunks import _add_run
from planning.sweep.outdir import OutDir, _scan_parts
from planning.sweep.spec import SweepSpec
from planning.sweep.variants import Variant, _variants_table


# ------------------------------------------------------------------------------------------------
# assembly
# ------------------------------------------------------------------------------------------------
@dataclass
class SweepOutcome:
    """What a sweep produced. ``results`` is the path of the tidy table (parquet)."""

    out: Path
    results: Path
    variants: pd.DataFrame  # variant, variant_index, axes..., status, error
    errors: pd.DataFrame  # failed variants: variant, variant_index, axes..., error, error_type
    summary: (
        pd.DataFrame
    )  # municipality_code, year, metric, variants, mean, min, p10, p50, p90, max
    total: int
    ran: int  # evaluated in this call
    skipped: int  # already on disk (resume)
    failed: int
    rows: int
    seconds: float
    backend: str
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def cpu_seconds(self) -> float:
        """CPU time the workers spent evaluating the variants of this call (seconds)."""
        return float(self.info.get("cpu_seconds_this_call", 0.0))

    @property
    def rate(self) -> float:
        """Variants evaluated per second in this call."""
        return self.ran / self.seconds if self.seconds > 0 else float("nan")


def _assemble(
    spec: SweepSpec,
    variants: list[Variant],
    out: OutDir,
    ran: int,
    skipped: int,
    t0: float,
    backend: str,
    info: dict[str, Any],
) -> SweepOutcome:
    """Stream the parts (in variant order) into ``results.parquet`` and write the tables."""
    done = _scan_parts(out)
    missing = [v.index for v in variants if v.id not in done]
    if missing:
        raise InputError(
            f"{len(missing)} variants have no results (first: {missing[0]}); re-run with --resume",
            file=out.root,
        )
    vtable = _variants_table(spec, variants)
    records = [done[v.id][1] for v in variants]
    status = pd.DataFrame(
        {
            "status": [r["status"] for r in records],
            "error": [r.get("error", "") for r in records],
            "error_type": [r.get("error_type", "") for r in records],
        }
    )
    vframe = pd.concat([vtable.to_pandas(), status], axis=1)
    axis_arrays = {a: vtable.column(a).combine_chunks() for a in spec.axes}

    owned: dict[Path, list[int]] = {}
    for v in variants:  # each variant's rows from the part that finished it first
        owned.setdefault(done[v.id][0], []).append(v.index)
    parts = sorted(owned, key=lambda p: p.name)
    with_run = any("run" in pq.read_schema(p).names for p in parts)
    schema = _results_schema(spec, axis_arrays, with_run)
    target = out.path("results.parquet")
    tmp = target.with_name(f".tmp-{uuid.uuid4().hex}-results.parquet")
    try:
        rows = _stream_parts({p: owned[p] for p in parts}, tmp, schema, spec, axis_arrays, with_run)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as e:
        from planning.io import os_error

        raise os_error(e, file=target) from None
    finally:
        tmp.unlink(missing_ok=True)
    return _finish(
        spec, out, target, vframe, with_run, ran, skipped, t0, backend, info, rows, variants
    )


#: Rows written per window of variants when assembling ``results.parquet`` (bounds memory).
WINDOW_ROWS = 500_000


def _read_part(part: Path) -> pa.Table:
    try:
        return pq.read_table(part)
    except (OSError, pa.ArrowException) as e:
        first = str(e).strip().splitlines()
        raise InputError(
            f"part file is damaged ({first[0][:120] if first else type(e).__name__}); "
            "delete it and re-run with --resume (its variants run again)",
            file=part,
        ) from None


def _stream_parts(owned, tmp, schema, spec, axis_arrays, with_run) -> int:
    """Write the parts' rows into ``tmp`` in variant order; returns the rows.

    ``owned``: part file → the variant indices whose rows it holds (the first copy of a variant
    written twice). A batched chunk holds variants that are not consecutive, so the table is
    written a window of variant indices at a time (about :data:`WINDOW_ROWS` rows): every part
    that holds a variant of the window is read and filtered, and the window's rows are ordered
    by ``variant_index`` (stable: a variant's rows keep their order). Memory stays bounded by
    the window; a part is read once for each window it overlaps."""
    owned = {p: np.sort(np.asarray(ix, dtype=np.int64)) for p, ix in owned.items() if len(ix)}
    if not owned:
        with pq.ParquetWriter(tmp, schema, compression="zstd"):
            return 0
    try:
        total = sum(pq.read_metadata(p).num_rows for p in owned)
    except (OSError, pa.ArrowException):
        total = 0  # a damaged part is named when it is read below
    indices = np.sort(np.concatenate(list(owned.values())))
    per_variant = max(1, total // len(indices))
    window = max(1, WINDOW_ROWS // per_variant)
    rows = 0
    with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        for start in range(0, len(indices), window):
            lo, hi = indices[start], indices[min(start + window, len(indices)) - 1]
            pieces: list[pa.Table] = []
            for part, mine in owned.items():
                keep = mine[(mine >= lo) & (mine <= hi)]
                if not len(keep):
                    continue
                t = _read_part(part)
                idx = t.column("variant_index").to_numpy()
                t = t.filter(pa.array(np.isin(idx, keep)))
                if t.num_rows == 0:
                    continue
                if "run" not in t.column_names and with_run:
                    t = _add_run(t)
                idx = t.column("variant_index").to_numpy()
                cols = [t.column("variant"), t.column("variant_index")]
                cols += [axis_arrays[a].take(pa.array(idx)) for a in spec.axes]
                cols += [t.column(c) for c in ("municipality_code", "year", "metric", "value")]
                if with_run:
                    cols.append(t.column("run"))
                pieces.append(pa.Table.from_arrays(cols, schema=schema))
            if not pieces:
                continue
            t = pa.concat_tables(pieces)
            order = np.argsort(t.column("variant_index").to_numpy(), kind="stable")
            writer.write_table(t.take(pa.array(order)))
            rows += t.num_rows
    return rows


def _finish(spec, out, target, vframe, with_run, ran, skipped, t0, backend, info, rows, variants):
    summary = _summary(target, with_run)
    errors = vframe[vframe["status"] == "error"].reset_index(drop=True)
    out.write_text_atomic(["variants.csv"], vframe.to_csv(index=False))
    out.write_text_atomic(["errors.csv"], errors.to_csv(index=False))
    out.write_text_atomic(["summary.csv"], summary.to_csv(index=False))
    seconds = time.perf_counter() - t0
    info = {
        **info,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "failed": int(len(errors)),
        "rows": rows,
    }
    out.write_text_atomic(["sweep.json"], json.dumps(info, indent=2, default=str))
    return SweepOutcome(
        out.root,
        target,
        vframe,
        errors,
        summary,
        len(variants),
        ran,
        skipped,
        len(errors),
        rows,
        seconds,
        backend,
        info,
    )


def _results_schema(spec: SweepSpec, axis_arrays: Mapping[str, pa.Array], with_run: bool):
    fields = [pa.field("variant", pa.string()), pa.field("variant_index", pa.int64())]
    fields += [pa.field(a, axis_arrays[a].type) for a in spec.axes]
    fields += [
        pa.field("municipality_code", pa.string()),
        pa.field("year", pa.int64()),
        pa.field("metric", pa.string()),
        pa.field("value", pa.float64()),
    ]
    if with_run:
        fields.append(pa.field("run", pa.int64()))
    return pa.schema(fields)


SUMMARY_COLUMNS = [
    "municipality_code",
    "year",
    "metric",
    "variants",
    "mean",
    "min",
    "p10",
    "p50",
    "p90",
    "max",
]


def _summary(results: Path, with_run: bool) -> pd.DataFrame:
    """Distribution of each metric across variants (run 0 only), streamed with pyarrow Acero:
    count, mean, min, max exact; p10/p50/p90 from a t-digest (memory bounded per group)."""
    import pyarrow.acero as ac
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    keys = ["municipality_code", "year", "metric"]
    dataset = ds.dataset(results, format="parquet")
    decls = [
        ac.Declaration(
            "scan",
            ac.ScanNodeOptions(dataset, columns=[*keys, "value", *(["run"] if with_run else [])]),
        )
    ]
    if with_run:
        decls.append(ac.Declaration("filter", ac.FilterNodeOptions(pc.field("run") == 0)))
    aggs = [
        ("value", "hash_count", pc.CountOptions(mode="only_valid"), "variants"),
        ("value", "hash_mean", None, "mean"),
        ("value", "hash_min", None, "min"),
        ("value", "hash_tdigest", pc.TDigestOptions(q=[0.1, 0.5, 0.9]), "q"),
        ("value", "hash_max", None, "max"),
    ]
    decls.append(ac.Declaration("aggregate", ac.AggregateNodeOptions(aggs, keys=keys)))
    table = ac.Declaration.from_sequence(decls).to_table(use_threads=False)
    df = table.to_pandas()
    if df.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    q = np.vstack([np.asarray(x, dtype=float) for x in df.pop("q")])
    df["p10"], df["p50"], df["p90"] = q[:, 0], q[:, 1], q[:, 2]
    df["variants"] = df["variants"].astype("int64")
    return df[SUMMARY_COLUMNS].sort_values(keys, ignore_index=True)
