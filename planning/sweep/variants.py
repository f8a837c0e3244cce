"""Variants of a sweep: stable ids, grid points, Latin hypercube / random samples, the variants table.

Part of :mod:`planning.sweep`.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from planning.errors import ScenarioError
from planning.sweep.spec import Samples, SweepSpec, _canonical, _spec_file, load_sweep


# ------------------------------------------------------------------------------------------------
# variants
# ------------------------------------------------------------------------------------------------
def variant_id(overrides: Mapping[str, Any]) -> str:
    """Stable id of a variant: the first 16 hex digits of SHA-256 of its canonical overrides."""
    return hashlib.sha256(_canonical(dict(overrides)).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Variant:
    """One point of a sweep: ``overrides`` go to ``apply_overrides``; ``labels`` are the values
    shown in the results (the alternative's name for named alternatives)."""

    index: int
    id: str
    overrides: dict[str, Any]
    labels: dict[str, Any]


def _grid_points(grid: Mapping[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    axes: list[list[tuple[Any, Any]]] = []
    for values in grid.values():
        if isinstance(values, dict):  # named alternatives: label = name
            axes.append([(name, v) for name, v in values.items()])
        else:
            axes.append([(v, v) for v in values])
    paths = list(grid)
    points = []
    for combo in itertools.product(*axes):
        points.append(
            (
                {p: value for p, (_, value) in zip(paths, combo, strict=True)},
                {p: label for p, (label, _) in zip(paths, combo, strict=True)},
            )
        )
    return points


def sample_unit(method: str, n: int, d: int, seed: int) -> np.ndarray:
    """``n`` x ``d`` draws in [0, 1): Latin hypercube (scipy.stats.qmc, scrambled) or uniform
    random (numpy default_rng), both from ``seed``."""
    if method == "lhs":
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(n)
    return np.random.default_rng(seed).random((n, d))


def _sample_points(
    samples: Samples, u: np.ndarray, block: int = 10_000
) -> Iterator[dict[str, Any]]:
    """The sample points of unit draws ``u`` (n x d), one at a time (scaled a block at a time,
    so a sweep of millions of samples never holds them all as Python objects)."""
    for start in range(0, len(u), block):
        part = u[start : start + block]
        columns = {p: r.scale(part[:, j]) for j, (p, r) in enumerate(samples.ranges.items())}
        for i in range(len(part)):
            yield {p: columns[p][i] for p in columns}


def iter_variants(spec: SweepSpec) -> Iterator[Variant]:
    """Every variant of the sweep in order: grid points (file order) x samples; built one at a
    time (the sample draws are made once and shared by every grid point)."""
    grid = _grid_points(spec.grid)
    u = None
    if spec.samples is not None:
        seed = spec.samples.seed if spec.samples.seed is not None else spec.seed
        assert seed is not None
        u = sample_unit(spec.samples.method, spec.samples.n, len(spec.samples.ranges), seed)
    index = 0
    for over, labels in grid:
        draws = _sample_points(spec.samples, u) if u is not None and spec.samples else iter([{}])
        for draw in draws:
            overrides = {**over, **draw}
            yield Variant(index, variant_id(overrides), overrides, {**labels, **draw})
            index += 1


#: ``--dry-run`` builds every variant (to find identical ones) only up to this many.
DRY_RUN_CHECK_LIMIT = 100_000


def count_variants(spec: SweepSpec) -> int:
    """Number of variants (grid points x samples) without building any."""
    n = 1
    for values in spec.grid.values():
        n *= len(values)
    return n * (spec.samples.n if spec.samples is not None else 1)


def check_size(spec: SweepSpec) -> int:
    """Refuse (one line) a sweep whose variants cannot be planned in memory; returns the count."""
    from planning.limits import check_variants

    n = count_variants(spec)
    check_variants(
        n, key="samples.n" if spec.samples is not None else "grid", file=_spec_file(spec)
    )
    return n


def variants_of(spec: SweepSpec) -> list[Variant]:
    """Every variant of the sweep; two identical variants raise :class:`ScenarioError`.
    A sweep too large for memory is refused before any variant is built."""
    check_size(spec)
    variants = list(iter_variants(spec))
    ids: dict[str, int] = {}
    for v in variants:
        if v.id in ids:
            raise ScenarioError(
                f"variants {ids[v.id]} and {v.index} are identical (repeated sample or alternative)",
                file=_spec_file(spec),
            )
        ids[v.id] = v.index
    return variants


def _label_column(labels: list[Any]) -> pa.Array:
    """One arrow column for an axis: bool, int64, float64 or text (JSON for lists/mappings)."""
    if all(isinstance(x, bool) for x in labels):
        return pa.array(labels, pa.bool_())
    if all(isinstance(x, int) and not isinstance(x, bool) for x in labels):
        return pa.array(labels, pa.int64())
    if all(isinstance(x, int | float) and not isinstance(x, bool) for x in labels):
        return pa.array([float(x) for x in labels], pa.float64())
    return pa.array([x if isinstance(x, str) else _canonical(x) for x in labels], pa.string())


def _variants_table(spec: SweepSpec, variants: Sequence[Variant]) -> pa.Table:
    cols: dict[str, pa.Array] = {
        "variant": pa.array([v.id for v in variants], pa.string()),
        "variant_index": pa.array([v.index for v in variants], pa.int64()),
    }
    for axis in spec.axes:
        cols[axis] = _label_column([v.labels[axis] for v in variants])
    return pa.table(cols)


def plan_variants(spec: str | Path | Mapping[str, Any] | SweepSpec) -> pd.DataFrame:
    """The variants a sweep will run (variant, variant_index, one column per axis), unrun."""
    spec = spec if isinstance(spec, SweepSpec) else load_sweep(spec)
    return _variants_table(spec, variants_of(spec)).to_pandas()
