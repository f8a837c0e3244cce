"""Quantile reduction of Monte Carlo runs: the one place where P10/P50/P90 are computed."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from planning.errors import InputError


def quantile_label(q: float) -> str:
    """Column name for quantile ``q``: 0.1 → 'p10', 0.5 → 'p50', 0.025 → 'p2.5'."""
    pct = round(float(q) * 100, 6)
    return f"p{int(pct)}" if pct == int(pct) else f"p{pct:g}"


def quantiles_over_runs(values: np.ndarray, q: Sequence[float], axis: int = 0) -> np.ndarray:
    """Quantiles over the runs axis of an array (the drawn runs only: leave run 0 out before
    calling), linear interpolation between order statistics as :func:`quantiles` takes them;
    blank values are skipped as there (all blank gives blank). Returns an array with the
    quantiles as the first axis. Raises InputError for q outside 0..1."""
    qs = [float(x) for x in q]
    if not qs or any(not 0.0 <= x <= 1.0 for x in qs):
        raise InputError(f"quantiles must be between 0 and 1, got {qs}", key="q", allowed="0..1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-blank slices give blank
        return np.nanquantile(np.asarray(values, dtype=float), qs, axis=axis)


def quantiles(
    frame: pd.DataFrame,
    by: Sequence[str] | str,
    value: str = "value",
    q: Sequence[float] = (0.1, 0.5, 0.9),
    *,
    include_central: bool = False,
) -> pd.DataFrame:
    """Quantiles of ``value`` over Monte Carlo runs, per group of ``by`` columns.

    When ``frame`` has a ``run`` column with runs > 0, run 0 (the central deterministic run) is
    left out unless ``include_central``: the quantiles describe the random draws only. Returns
    one row per group with the ``by`` columns and one column per quantile (``p10``, ``p50``,
    ``p90`` ...), linear interpolation between order statistics (numpy's default).
    """
    by = [by] if isinstance(by, str) else list(by)
    qs = [float(x) for x in q]
    if not qs or any(not 0.0 <= x <= 1.0 for x in qs):
        raise InputError(f"quantiles must be between 0 and 1, got {qs}", key="q", allowed="0..1")
    missing = [c for c in [*by, value] if c not in frame.columns]
    if missing:
        raise InputError(
            f"columns {missing} not in the frame",
            key="by",
            allowed=", ".join(map(str, frame.columns)),
        )
    if "run" in by:
        raise InputError(
            "'run' cannot be a grouping column: quantiles are taken over runs", key="by"
        )
    df = frame
    if "run" in df.columns and not include_central and (df["run"] > 0).any():
        df = df[df["run"] > 0]
    if df.empty:
        return pd.DataFrame(columns=[*by, *map(quantile_label, qs)])
    if not by:
        vals = np.quantile(df[value].to_numpy(dtype=float), qs)
        return pd.DataFrame([dict(zip(map(quantile_label, qs), vals, strict=True))])
    out = df.groupby(by, sort=True, observed=True)[value].quantile(qs).unstack(-1)
    out.columns = [quantile_label(x) for x in out.columns]
    return out.reset_index()
