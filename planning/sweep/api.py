"""Convenience API: ``sweep`` (the results table), ``read_sweep``, ``describe``.

Part of :mod:`planning.sweep`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from planning.errors import InputError
from planning.sweep.assembly import SweepOutcome
from planning.sweep.driver import _short, run_sweep
from planning.sweep.engine import Engine
from planning.sweep.spec import SweepSpec, SweepWarning
from planning.sweep.variants import Variant


# ------------------------------------------------------------------------------------------------
# convenience API
# ------------------------------------------------------------------------------------------------
def read_sweep(out: str | Path) -> SweepOutcome:
    """Read a finished sweep folder back (results path, variants, errors, summary)."""
    root = Path(out)
    marker = root / "sweep.json"
    results = root / "results.parquet"
    if not marker.is_file() or not results.is_file():
        raise InputError(
            "not a finished sweep folder (sweep.json / results.parquet missing)", file=root
        )
    info = json.loads(marker.read_text(encoding="utf-8"))
    variants = pd.read_csv(root / "variants.csv", keep_default_na=False)
    errors = variants[variants["status"] == "error"].reset_index(drop=True)
    summary = pd.read_csv(root / "summary.csv", dtype={"municipality_code": str})
    rows = pq.read_metadata(results).num_rows
    return SweepOutcome(
        root.resolve(),
        results,
        variants,
        errors,
        summary,
        len(variants),
        0,
        len(variants),
        len(errors),
        rows,
        0.0,
        "read",
        info,
    )


def sweep(
    spec: str | Path | Mapping[str, Any] | SweepSpec,
    *,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: Any = None,
    resume: bool = False,
    progress: bool = True,
    chunk_size: int | None = None,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Run a sweep and return its tidy results table: variant, variant_index, one column per
    axis, municipality_code, year, metric, value [, run].

    Same arguments as :func:`run_sweep`; without ``out`` the files go to a temporary folder that
    is removed afterwards. Failed variants have no rows; they raise a :class:`SweepWarning` that
    names the first error (``run_sweep`` returns them as a frame)."""
    tmp = None
    if out is None:
        tmp = tempfile.mkdtemp(prefix="sweep-")
        out = tmp
    try:
        outcome = run_sweep(
            spec,
            out,
            workers=workers,
            scheduler=scheduler,
            resume=resume,
            progress=progress,
            chunk_size=chunk_size,
            engine=engine,
        )
        table = pd.read_parquet(outcome.results)
        if outcome.failed:
            first = outcome.errors.iloc[0]
            warnings.warn(
                f"{outcome.failed} of {outcome.total} variants failed; first: variant "
                f"{first['variant_index']}: {first['error']}",
                SweepWarning,
                stacklevel=2,
            )
        return table
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def describe(variants: Iterable[Variant]) -> str:
    """One line per variant: index, id and its labels (for ``--dry-run``)."""
    return "\n".join(
        f"{v.index:>6}  {v.id}  " + ", ".join(f"{k}={_short(x, 40)}" for k, x in v.labels.items())
        for v in variants
    )
