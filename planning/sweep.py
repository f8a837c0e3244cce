"""Scenario sweeps: many variants of one base scenario, run in parallel, resumable.

A sweep file (YAML, see ``docs/sweeps.md``) names a base scenario and parameter axes, each a dotted
path into the scenario document (``levers.max_refusal``, ``demography.variant``, ``organisation``):

* ``grid``: every combination of the listed values (cartesian product, in file order). An axis is
  a list of values or a mapping of named alternatives (``{all_four: {...}, selbu_outside: {...}}``;
  the results then carry the alternative's name).
* ``samples``: ``n`` points drawn over ranges (``{low, high}``, optionally ``log``/``integer``, or
  ``{choices: [...]}``), by Latin hypercube (``lhs``, scipy.stats.qmc) or plain ``random``
  sampling from a seed. With a grid as well, every grid point is crossed with the same samples.

Each variant gets a stable id (a hash of its overrides) and a running index. Variants are
evaluated in chunks on a local process pool (default) or on dask.distributed; the driver writes
each finished chunk atomically to ``OUT/parts/`` (temp file + ``os.replace``), so a sweep that is
killed can be resumed: finished variants are skipped and the final table is the same. A variant
that raises is recorded (``errors.csv``) and the sweep goes on. The final results table is
assembled from the parts by streaming, so the driver's memory does not grow with the sweep.

Public API: :func:`load_sweep`, :func:`plan_variants`, :func:`run_sweep` (files + outcome),
:func:`sweep` (the results table, re-exported as ``planning.scenarios.sweep``), :func:`read_sweep`.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import itertools
import json
import math
import multiprocessing
import os
import re
import shutil
import signal
import tempfile
import time
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from planning.errors import InputError, PlanningError, ScenarioError, require_columns, suggest

#: Columns of the results table that are not parameters (an axis may not use these names).
RESERVED_COLUMNS: tuple[str, ...] = (
    "variant",
    "variant_index",
    "municipality_code",
    "year",
    "metric",
    "value",
    "run",
)
#: Columns every engine's metrics frame must have (``run`` is optional).
METRIC_COLUMNS: tuple[str, ...] = ("municipality_code", "year", "metric", "value")
FORMAT_VERSION = 1  # layout of OUT/ (parts, sweep.json); bump when it changes
_PATH_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
_SCALARS = (bool, int, float, str)


class SweepWarning(UserWarning):
    """Some variants of a sweep failed (they are listed in ``errors.csv`` / the outcome)."""


# ------------------------------------------------------------------------------------------------
# sweep file schema
# ------------------------------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_json(value: Any, where: str) -> Any:
    """Allow only JSON-like values (str, int, float, bool, None, lists and mappings of them)."""
    if value is None or isinstance(value, _SCALARS):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{where}: value must be a finite number")
        return value
    if isinstance(value, list):
        return [_check_json(v, where) for v in value]
    if isinstance(value, dict):
        return {str(k): _check_json(v, where) for k, v in value.items()}
    raise ValueError(
        f"{where}: {type(value).__name__} values are not allowed (use text or numbers)"
    )


def _check_path(path: str) -> str:
    if not _PATH_RE.match(path):
        raise ValueError(
            f"axis '{path}' is not a dotted path into the scenario (e.g. levers.max_refusal)"
        )
    if path in RESERVED_COLUMNS:
        raise ValueError(f"axis '{path}' clashes with a results column")
    return path


class Range(_Strict):
    """One sampled axis: a numeric range ``[low, high]`` (uniform, or log-uniform with ``log``;
    rounded with ``integer``), or a list of ``choices`` drawn with equal probability."""

    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False
    choices: list[Any] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Range:
        if self.choices is not None:
            if self.low is not None or self.high is not None or self.log or self.integer:
                raise ValueError("give either choices or low/high, not both")
            if not self.choices:
                raise ValueError("choices must not be empty")
            _check_json(self.choices, "choices")
            if len({_canonical(c) for c in self.choices}) != len(self.choices):
                raise ValueError("choices are listed twice")
            return self
        if self.low is None or self.high is None:
            raise ValueError("a range needs low and high (or choices)")
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.low >= self.high:
            raise ValueError(f"need finite low < high, got low={self.low}, high={self.high}")
        if self.log and self.integer:
            raise ValueError("log and integer cannot be combined")
        if self.log and self.low <= 0:
            raise ValueError("a log range needs low > 0")
        if self.integer and math.ceil(self.low) > math.floor(self.high):
            raise ValueError("an integer range must contain an integer")
        return self

    def scale(self, u: np.ndarray) -> list[Any]:
        """Map unit-interval draws ``u`` (0 <= u < 1) onto this axis."""
        if self.choices is not None:
            idx = np.minimum((u * len(self.choices)).astype(int), len(self.choices) - 1)
            return [self.choices[i] for i in idx]
        assert self.low is not None and self.high is not None
        if self.integer:
            lo, hi = math.ceil(self.low), math.floor(self.high)
            idx = np.minimum(np.floor(u * (hi - lo + 1)), hi - lo).astype(int) + lo
            return [int(v) for v in idx]
        if self.log:
            values = np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        else:
            values = self.low + u * (self.high - self.low)
        return [float(v) for v in values]


class Samples(_Strict):
    """``n`` sampled points over ``ranges`` by Latin hypercube (``lhs``) or ``random`` draws."""

    method: Literal["lhs", "random"] = "lhs"
    n: int = Field(ge=1, le=10_000_000)
    seed: int | None = Field(default=None, ge=0)  # default: the sweep's seed
    ranges: dict[str, Range] = Field(min_length=1)

    @field_validator("ranges")
    @classmethod
    def _paths(cls, v: dict[str, Range]) -> dict[str, Range]:
        for p in v:
            _check_path(p)
        return v


class Output(_Strict):
    """What each variant keeps from ``ScenarioResult.metrics()``.

    years: list of years, ``all``, or None (default: base year, horizon and every 10th year).
    metrics / municipalities: keep only these (None: all; 'region' is the region total).
    """

    years: list[int] | Literal["all"] | None = None
    metrics: list[str] | None = Field(default=None, min_length=1)
    municipalities: list[str] | None = Field(default=None, min_length=1)


class SweepSpec(_Strict):
    """A sweep file, validated. ``grid`` axes map a dotted path to a list of values or to named
    alternatives; ``samples`` draws points over ranges. ``seed`` makes samples repeatable."""

    name: str | None = None
    title: dict[Literal["nb", "en"], str] | None = None
    description: dict[Literal["nb", "en"], str] | None = None
    base: str = Field(default="baseline", min_length=1)
    seed: int | None = Field(default=None, ge=0)
    grid: dict[str, list[Any] | dict[str, Any]] = Field(default_factory=dict)
    samples: Samples | None = None
    output: Output = Field(default_factory=Output)
    _file: str | None = PrivateAttr(default=None)  # the sweep file, for error messages

    @field_validator("grid")
    @classmethod
    def _grid(cls, v: dict[str, Any]) -> dict[str, Any]:
        for path, values in v.items():
            _check_path(path)
            if not values:
                raise ValueError(f"axis '{path}' has no values")
            _check_json(values, path)
            items = values.values() if isinstance(values, dict) else values
            keys = [_canonical(x) for x in items]
            if len(set(keys)) != len(keys):
                raise ValueError(f"axis '{path}' lists the same value twice")
        return v

    @model_validator(mode="after")
    def _axes(self) -> SweepSpec:
        paths = list(self.grid) + (list(self.samples.ranges) if self.samples else [])
        if len(set(paths)) != len(paths):
            raise ValueError("an axis appears both in grid and in samples")
        for a, b in itertools.permutations(paths, 2):
            if b.startswith(a + "."):
                raise ValueError(f"axes '{a}' and '{b}' overlap (one lies inside the other)")
        if self.samples is not None and self.samples.seed is None and self.seed is None:
            raise ValueError("samples need a seed (top-level 'seed' or samples.seed)")
        return self

    @property
    def axes(self) -> list[str]:
        """Parameter columns, in order: grid axes, then sampled axes."""
        return list(self.grid) + (list(self.samples.ranges) if self.samples else [])


def _spec_error(err: ValidationError, file: str | None) -> ScenarioError:
    e = err.errors()[0]
    loc = [str(p) for p in e["loc"]]
    msg = str(e["msg"]).removeprefix("Value error, ")
    allowed = None
    if e.get("type") == "extra_forbidden":
        msg = "unknown key"
        parent: Any = SweepSpec
        for part in loc[:-1]:
            f = getattr(parent, "model_fields", {}).get(part)
            parent = f.annotation if f is not None else None
        fields = getattr(parent, "model_fields", None)
        allowed = ", ".join(fields) if fields else None
    elif e.get("type") == "missing":
        msg = "required key is missing"
    return ScenarioError(msg, file=file, key=".".join(loc) or None, allowed=allowed)


def load_sweep(source: str | Path | Mapping[str, Any]) -> SweepSpec:
    """Read and validate a sweep file (or an already parsed mapping).

    Errors raise :class:`ScenarioError` naming the file and the key. A relative ``base`` path is
    resolved against the sweep file's folder."""
    file: str | None = None
    if isinstance(source, Mapping):
        raw: Any = dict(source)
    else:
        from planning.io import load_yaml

        p = Path(source)
        file = str(p)
        if not p.is_file():
            raise ScenarioError("sweep file not found", file=p)
        raw = load_yaml(p, error=ScenarioError)
    if not isinstance(raw, dict):
        raise ScenarioError("expected a mapping at the top level", file=file)
    try:
        spec = SweepSpec.model_validate(raw)
    except ValidationError as err:
        raise _spec_error(err, file) from None
    updates: dict[str, Any] = {}
    if file is not None:
        if spec.name is None:
            updates["name"] = Path(file).stem
        base = spec.base
        looks_like_path = base.endswith((".yaml", ".yml")) or "/" in base
        if looks_like_path and not Path(base).is_absolute():
            updates["base"] = str((Path(file).parent / base).resolve())
    spec = spec.model_copy(update=updates) if updates else spec
    spec._file = file
    return spec


def _spec_file(spec: SweepSpec) -> str | None:
    return spec._file


# ------------------------------------------------------------------------------------------------
# variants
# ------------------------------------------------------------------------------------------------
def _canonical(value: Any) -> str:
    """Canonical JSON text of a value (sorted keys, no spaces): the basis of variant ids."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


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


# ------------------------------------------------------------------------------------------------
# engines: how one variant is evaluated
# ------------------------------------------------------------------------------------------------
class Engine(Protocol):
    """How a sweep loads its base, checks axes and evaluates one variant. Must be picklable
    (it travels to worker processes and dask workers)."""

    def load_base(self, ref: str) -> Any: ...

    def check_axis(self, base: Any, path: str, value: Any) -> None: ...

    def evaluate(self, base: Any, overrides: Mapping[str, Any]) -> pd.DataFrame: ...

    def default_years(self, base: Any) -> list[int]: ...

    def fingerprint(self, base: Any) -> str: ...


def _walk_model(base: BaseModel, path: str) -> None:
    """Check that ``path`` leads somewhere inside a pydantic model (fields, list indices)."""
    obj: Any = base
    done: list[str] = []
    for part in path.split("."):
        where = ".".join(done) or "the scenario"
        if isinstance(obj, BaseModel):
            fields = type(obj).model_fields
            if part not in fields:
                raise ScenarioError(
                    f"'{part}' is not a key of {where}.{suggest(part, list(fields))}",
                    key=path,
                    allowed=", ".join(fields),
                )
            obj = getattr(obj, part)
        elif isinstance(obj, list | tuple):
            names = [getattr(x, "name", None) for x in obj]  # units may be addressed by name
            if part.isdigit() and int(part) < len(obj):
                obj = obj[int(part)]
            elif part in names:
                obj = obj[names.index(part)]
            else:
                allowed = [str(i) for i in range(len(obj))] + [str(n) for n in names if n]
                raise ScenarioError(
                    f"'{part}' is not an item of {where}",
                    key=path,
                    allowed=", ".join(allowed) if allowed else "no items",
                )
        else:  # a mapping, an unset optional section or a value: apply_overrides decides
            return
        done.append(part)


@dataclass(frozen=True)
class ScenarioEngine:
    """Evaluate variants with :mod:`planning.scenarios`: ``apply_overrides`` + ``run`` +
    ``ScenarioResult.metrics()``. ``base_overrides`` (JSON of a mapping, e.g.
    ``'{"region": "agder"}'`` from ``--region``) is applied to the base scenario first."""

    base_overrides: str = ""

    def load_base(self, ref: str) -> Any:
        from planning import scenarios

        base = scenarios.load_scenario(ref)
        if self.base_overrides:
            base = scenarios.apply_overrides(base, json.loads(self.base_overrides))
        return base

    def check_axis(self, base: Any, path: str, value: Any) -> None:
        from planning import scenarios

        if isinstance(base, BaseModel):
            _walk_model(base, path)
        scenarios.apply_overrides(base, {path: value})

    def evaluate(self, base: Any, overrides: Mapping[str, Any]) -> pd.DataFrame:
        from planning import scenarios

        scenario = scenarios.apply_overrides(base, dict(overrides)) if overrides else base
        return scenarios.run(scenario).metrics()

    def default_years(self, base: Any) -> list[int]:
        h = base.horizon
        return _milestones(int(h.base_year), int(h.end_year))

    def fingerprint(self, base: Any) -> str:
        """Hash of the base scenario, the data version and the model code: resume refuses to
        mix results computed before and after any of them changed."""
        from planning import data

        doc = base.model_dump(mode="json") if isinstance(base, BaseModel) else base
        text = _canonical(doc) + "|" + str(data.data_version()) + "|" + _model_code_version()
        return hashlib.sha256(text.encode()).hexdigest()


#: Modules whose code decides a variant's numbers (hashed into the resume fingerprint).
MODEL_MODULES = ("scenarios", "demography", "demand", "capacity", "parameters", "data", "stats")


def _model_code_version() -> str:
    """SHA-256 (16 hex digits) of the source of :data:`MODEL_MODULES`."""
    import importlib.util

    h = hashlib.sha256()
    for name in MODEL_MODULES:
        spec = importlib.util.find_spec(f"planning.{name}")
        if spec is not None and spec.origin and Path(spec.origin).is_file():
            h.update(name.encode() + b"\0" + Path(spec.origin).read_bytes())
    return h.hexdigest()[:16]


def _milestones(base_year: int, end_year: int) -> list[int]:
    """Base year, horizon year and every 10th year between (e.g. 2026, 2030, 2040, 2050)."""
    return sorted(
        {base_year, end_year} | {y for y in range(base_year, end_year + 1) if y % 10 == 0}
    )


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


# ------------------------------------------------------------------------------------------------
# output folder
# ------------------------------------------------------------------------------------------------
class OutDir:
    """The sweep's output folder; every write goes through :meth:`path`, which refuses names
    that would land outside it."""

    def __init__(self, root: str | Path) -> None:
        from planning.io import make_dir

        root = Path(root)
        if root.exists() and not root.is_dir():
            raise InputError("output path exists and is not a folder", file=root, key="--out")
        self.root = make_dir(root).resolve()

    def path(self, *parts: str) -> Path:
        p = self.root.joinpath(*parts).resolve()
        if p != self.root and not p.is_relative_to(self.root):
            raise InputError(
                "refusing to write outside the output folder (a link points elsewhere)",
                file=self.root.joinpath(*parts),
                key="--out",
            )
        return p

    def write_bytes_atomic(self, name: Sequence[str], data: bytes) -> Path:
        from planning.io import write_atomic

        return write_atomic(self.path(*name), data, root=self.root)

    def write_text_atomic(self, name: Sequence[str], text: str) -> Path:
        return self.write_bytes_atomic(name, text.encode("utf-8"))


def _write_part(out: OutDir, result: ChunkResult) -> Path:
    """Write one chunk's rows and variant records as ``parts/part-<first index>-<hash>.parquet``,
    atomically (temp name + fsync + os.replace). The records sit in the file's metadata, so a
    part on disk is exactly a set of finished variants."""
    first = min(r["variant_index"] for r in result.records)
    digest = hashlib.sha256(",".join(r["variant"] for r in result.records).encode()).hexdigest()
    target = out.path("parts", f"part-{first:09d}-{digest[:12]}.parquet")
    meta = {b"sweep.records": json.dumps(result.records).encode()}
    table = result.table.replace_schema_metadata({**(result.table.schema.metadata or {}), **meta})
    from planning.io import write_atomic

    return write_atomic(
        target, lambda f: pq.write_table(table, f, compression="zstd"), root=out.root
    )


def _part_records(path: Path) -> list[dict[str, Any]]:
    damaged = (
        "part file is damaged ({}); delete it and re-run with --resume (its variants run again)"
    )
    try:
        meta = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowException) as e:
        first = str(e).strip().splitlines()
        raise InputError(
            damaged.format(first[0][:120] if first else type(e).__name__), file=path
        ) from None
    raw = meta.get(b"sweep.records")
    if raw is None:
        raise InputError(damaged.format("no variant records"), file=path)
    try:
        records = json.loads(raw)
        ok = isinstance(records, list) and all(
            isinstance(r, dict) and isinstance(r.get("variant"), str) and "variant_index" in r
            for r in records
        )
    except (ValueError, UnicodeDecodeError):
        ok = False
    if not ok:
        raise InputError(damaged.format("unreadable variant records"), file=path)
    return records


def _scan_parts(out: OutDir) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Finished variants on disk: id -> (part file, record). Leftover temp files are removed."""
    folder = out.path("parts")
    done: dict[str, tuple[Path, dict[str, Any]]] = {}
    if not folder.is_dir():
        return done
    for tmp in folder.glob(".tmp-*"):
        tmp.unlink(missing_ok=True)
    for part in sorted(folder.glob("part-*.parquet")):
        for rec in _part_records(part):
            done.setdefault(rec["variant"], (part, rec))
    return done


# ------------------------------------------------------------------------------------------------
# executors
# ------------------------------------------------------------------------------------------------
def _local_workers(workers: int | None) -> int:
    if workers is not None:
        if workers < 1:
            raise InputError(f"workers must be at least 1, got {workers}", key="workers")
        return workers
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _chunks(variants: Sequence[Variant], size: int) -> list[list[Variant]]:
    """Runs of at most ``size`` variants with consecutive indices (a gap starts a new chunk, so
    every part covers one index range and parts never interleave)."""
    chunks: list[list[Variant]] = []
    for v in variants:
        if chunks and len(chunks[-1]) < size and chunks[-1][-1].index == v.index - 1:
            chunks[-1].append(v)
        else:
            chunks.append([v])
    return chunks


class _Backend(Protocol):
    slots: int

    def submit(self, job: ChunkJob) -> Any: ...

    def wait(self, pending: set[Any]) -> tuple[set[Any], set[Any]]: ...

    def result(self, future: Any) -> ChunkResult: ...

    def close(self, cancel: bool) -> None: ...


class _InlineBackend:
    """Evaluate in the calling process (one worker): no pool, no pickling."""

    slots = 1
    name = "inline"

    def submit(self, job: ChunkJob) -> Any:
        f: cf.Future = cf.Future()
        try:
            f.set_result(evaluate_chunk(job))
        except BaseException as e:  # noqa: BLE001
            f.set_exception(e)
        return f

    def wait(self, pending: set[Any]) -> tuple[set[Any], set[Any]]:
        return set(pending), set()

    def result(self, future: Any) -> ChunkResult:
        return future.result()

    def close(self, cancel: bool) -> None:
        return None


class _PoolBackend:
    """A local process pool (spawned processes: safe with threads, same on every platform)."""

    name = "processes"

    def __init__(self, workers: int) -> None:
        self.slots = 2 * workers
        self.pool = cf.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
        )

    def submit(self, job: ChunkJob) -> Any:
        return self.pool.submit(evaluate_chunk, job)

    def wait(self, pending: set[Any]) -> tuple[set[Any], set[Any]]:
        done, rest = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
        return set(done), set(rest)

    def result(self, future: Any) -> ChunkResult:
        try:
            return future.result()
        except cf.process.BrokenProcessPool as e:
            raise InputError(
                f"a worker process died ({e}); finished variants are saved, re-run with --resume"
            ) from None

    def close(self, cancel: bool) -> None:
        self.pool.shutdown(wait=True, cancel_futures=cancel)


class _DaskBackend:
    """dask.distributed: an existing cluster (``tcp://HOST:8786``), a given Client, or a
    LocalCluster (``"local"``)."""

    name = "dask"

    def __init__(self, scheduler: Any, workers: int | None) -> None:
        from distributed import Client, LocalCluster

        self.cluster = None
        self.own_client = True
        if isinstance(scheduler, Client):
            self.client = scheduler
            self.own_client = False
        elif scheduler == "local":
            n = _local_workers(workers)
            self.cluster = LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
            )
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(str(scheduler), timeout="20s")
            except (OSError, TimeoutError) as e:
                raise InputError(
                    f"cannot reach the dask scheduler ({_one_line(e)})", key="--scheduler"
                ) from None
        threads = sum(self.client.nthreads().values()) or 1
        self.slots = 2 * threads

    def submit(self, job: ChunkJob) -> Any:
        return self.client.submit(evaluate_chunk, job, pure=False)

    def wait(self, pending: set[Any]) -> tuple[set[Any], set[Any]]:
        from distributed import wait

        done, rest = wait(list(pending), return_when="FIRST_COMPLETED")
        return set(done), set(rest)

    def result(self, future: Any) -> ChunkResult:
        return future.result()

    def close(self, cancel: bool) -> None:
        if self.own_client:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


#: Seconds a spawned worker needs beyond a cold evaluation (interpreter start, imports); measured
#: about 0.7-1 s on the development machine, rounded up.
SPAWN_OVERHEAD_S = 1.0


def _backend(scheduler: Any, workers: int | None, n_todo: int, cold_s: float, warm_s: float) -> Any:
    """Dask when a scheduler is given; else local processes. With ``workers`` unset, a sweep too
    small to repay starting the workers (each pays a cold start of ``cold_s`` + spawn) runs in
    the driver, whose caches are already warm."""
    if scheduler is not None:
        if isinstance(scheduler, str) and scheduler != "local" and "://" not in scheduler:
            raise InputError(
                f"unknown scheduler '{scheduler}'",
                key="--scheduler",
                allowed="tcp://HOST:PORT, local",
            )
        return _DaskBackend(scheduler, workers)
    n = _local_workers(workers)
    if workers is None and n > 1:
        saved = n_todo * warm_s * (1 - 1 / n)  # wall time the pool saves on evaluation
        if saved <= cold_s + SPAWN_OVERHEAD_S:
            return _InlineBackend()
    return _InlineBackend() if n == 1 else _PoolBackend(n)


# ------------------------------------------------------------------------------------------------
# driver
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


def _resolve_selection(spec: SweepSpec, engine: Any, base: Any, probe: pd.DataFrame) -> Selection:
    """Turn ``output`` into a :class:`Selection`, checking names against the base run."""
    file = _spec_file(spec)
    o = spec.output
    years: tuple[int, ...] | None
    have_years = sorted({int(y) for y in probe["year"].unique()})
    if o.years == "all":
        years = None
    else:
        wanted = o.years if o.years is not None else engine.default_years(base)
        bad = [y for y in wanted if y not in have_years]
        if bad:
            raise ScenarioError(
                f"years {bad} are not in the scenario's results",
                file=file,
                key="output.years",
                allowed=f"{have_years[0]}..{have_years[-1]}" if have_years else None,
            )
        years = tuple(sorted(set(wanted)))
    metrics = None
    if o.metrics is not None:
        have = sorted({str(m) for m in probe["metric"].unique()})
        bad_m = [m for m in o.metrics if m not in have]
        if bad_m:
            raise ScenarioError(
                f"unknown metric '{bad_m[0]}'.{suggest(bad_m[0], have)}",
                file=file,
                key="output.metrics",
                allowed=have,
            )
        metrics = tuple(o.metrics)
    munis = None
    if o.municipalities is not None:
        have = sorted({str(m) for m in probe["municipality_code"].unique()})
        bad_c = [m for m in o.municipalities if m not in have]
        if bad_c:
            raise ScenarioError(
                f"municipality '{bad_c[0]}' is not in the scenario's results",
                file=file,
                key="output.municipalities",
                allowed=have,
            )
        munis = tuple(o.municipalities)
    return Selection(years, metrics, munis)


def load_base(spec: SweepSpec, engine: Any) -> Any:
    """The sweep's base scenario; errors name the sweep file and key ``base``."""
    try:
        return engine.load_base(spec.base)
    except PlanningError as e:
        raise ScenarioError(
            f"{spec.base}: {e.problem}", file=_spec_file(spec), key="base", allowed=e.allowed
        ) from None


def check_axes(spec: SweepSpec, engine: Any, base: Any) -> None:
    """Fail fast: every axis path and every grid value (sample range ends, choices) must be
    accepted by the scenario schema before anything runs."""
    file = _spec_file(spec)
    checks: list[tuple[str, str, Any]] = []
    for path, values in spec.grid.items():
        items = values.items() if isinstance(values, dict) else [(None, v) for v in values]
        for name, v in items:
            key = f"grid.{path}" + (f".{name}" if name is not None else "")
            checks.append((key, path, v))
    if spec.samples is not None:
        for path, r in spec.samples.ranges.items():
            if r.choices is not None:
                ends = list(r.choices)
            elif r.integer:
                ends = [math.ceil(r.low or 0), math.floor(r.high or 0)]
            else:
                ends = [r.low, r.high]
            checks.extend((f"samples.ranges.{path}", path, v) for v in ends)
    for key, path, value in checks:
        try:
            engine.check_axis(base, path, value)
        except PlanningError as e:
            raise ScenarioError(
                f"{path} = {_short(value)}: {e.problem}", file=file, key=key, allowed=e.allowed
            ) from None


def _short(value: Any, n: int = 60) -> str:
    text = _canonical(value)
    return text if len(text) <= n else text[: n - 3] + "..."


def _fingerprint(spec: SweepSpec, engine_fp: str, selection: Selection) -> str:
    doc = spec.model_dump(mode="json", exclude={"name", "title", "description"})
    doc["selection"] = [selection.years, selection.metrics, selection.municipalities]
    doc["engine"] = engine_fp
    doc["format"] = FORMAT_VERSION
    return hashlib.sha256(_canonical(doc).encode()).hexdigest()


def _data_version() -> str | None:
    from planning import data

    try:
        return data.data_version()
    except PlanningError:
        return None


def _prepare_out(out: OutDir, fingerprint: str, resume: bool, info: dict[str, Any]) -> None:
    """Check that ``out`` is free for this sweep (or, with ``resume``, holds this sweep's parts)
    and write ``sweep.json``. A folder without finished parts has nothing to protect."""
    marker = out.path("sweep.json")
    parts = out.path("parts")
    has_parts = parts.is_dir() and any(parts.glob("part-*.parquet"))
    if has_parts and not marker.exists():
        raise InputError(
            "output folder has parts but no sweep.json; choose another --out", file=out.root
        )
    if has_parts:
        try:
            old = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            old = {}
        if not resume:
            raise InputError(
                "output folder already holds a sweep; pass --resume to continue it or choose "
                "another --out",
                file=out.root,
            )
        if old.get("data_version") and old.get("data_version") != info.get("data_version"):
            raise InputError(
                f"the data changed since this sweep started (data version {old['data_version']} "
                f"then, {info.get('data_version')} now); resuming would mix results from both; "
                "choose another --out",
                file=out.root,
                key="--resume",
            )
        if old.get("fingerprint") != fingerprint:
            raise InputError(
                "output folder holds a different sweep (sweep file, base scenario, data or model "
                "code changed); choose another --out",
                file=out.root,
            )
        return
    parts.mkdir(exist_ok=True)
    out.write_text_atomic(["sweep.json"], json.dumps(info, indent=2, default=str))


def run_sweep(
    spec: str | Path | Mapping[str, Any] | SweepSpec,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: Any = None,
    resume: bool = False,
    progress: bool = True,
    chunk_size: int | None = None,
    engine: Engine | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
    limit: int | None = None,
) -> SweepOutcome:
    """Run every variant of a sweep and write the results into ``out``.

    Files: ``results.parquet`` (variant, variant_index, one column per axis, municipality_code,
    year, metric, value [, run]), ``variants.csv`` (status and error per variant), ``errors.csv``,
    ``summary.csv`` (across variants), ``sweep.json`` (provenance) and ``parts/`` (what resume
    reads). ``scheduler``: None (local processes), ``"local"`` (dask LocalCluster), a scheduler
    address ``tcp://HOST:8786`` or a ``distributed.Client``. ``workers``: local processes
    (default: all cores). ``resume``: skip variants already in ``out/parts``. ``on_chunk(done,
    total)`` is called after each chunk (for benchmarks). ``limit``: evaluate at most this many
    new variants, then stop without assembling (for tests and trial runs).
    """
    t0 = time.perf_counter()
    spec = spec if isinstance(spec, SweepSpec) else load_sweep(spec)
    engine = engine if engine is not None else ScenarioEngine()
    base = load_base(spec, engine)
    check_axes(spec, engine, base)
    variants = variants_of(spec)
    t = time.perf_counter()
    probe = engine.evaluate(base, {})
    cold_s = time.perf_counter() - t
    selection = _resolve_selection(spec, engine, base, probe)
    del probe
    fingerprint = _fingerprint(spec, engine.fingerprint(base), selection)

    from planning.io import locked

    # one run at a time per output folder: a second sweep into it waits, then finds the first
    # one's fingerprint and refuses (or resumes); leftovers of a killed run are removed here
    with locked(out):
        outdir = OutDir(out)
        from planning import __version__

        info = {
            "format": FORMAT_VERSION,
            "fingerprint": fingerprint,
            "sweep": spec.model_dump(mode="json"),
            "sweep_file": _spec_file(spec),
            "variants": len(variants),
            "years": list(selection.years) if selection.years is not None else "all",
            "package_version": __version__,
            "data_version": _data_version(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        _prepare_out(outdir, fingerprint, resume, info)
        done = _scan_parts(outdir)
        remaining = [v for v in variants if v.id not in done]
        skipped = len(variants) - len(remaining)
        todo = remaining if limit is None else remaining[:limit]

        warm_s = cold_s
        if todo and scheduler is None and workers is None:
            t = time.perf_counter()
            engine.evaluate(base, {})
            warm_s = time.perf_counter() - t
        backend = (
            _backend(scheduler, workers, len(todo), cold_s, warm_s) if todo else _InlineBackend()
        )
        if progress and todo:  # interactive: say how long before anything is run
            from planning.limits import announce

            parallel = 1 if isinstance(backend, _InlineBackend) else max(1, backend.slots // 2)
            announce(len(todo) * warm_s / parallel, f"{len(todo):,} variants")
        size = chunk_size or max(1, min(50, math.ceil(len(todo) / max(1, backend.slots * 4))))
        jobs = iter(
            ChunkJob(engine, base, tuple((v.index, v.id, v.overrides) for v in chunk), selection)
            for chunk in _chunks(todo, size)
        )
        bar = _progress_bar(len(variants), skipped, progress)
        ran = 0
        cpu = 0.0
        cancel = True
        try:
            pending: set[Any] = set()
            for job in itertools.islice(jobs, backend.slots):
                pending.add(backend.submit(job))
            while pending:
                finished, pending = backend.wait(pending)
                for fut in finished:
                    result = backend.result(fut)
                    _write_part(outdir, result)
                    ran += len(result.records)
                    cpu += result.cpu_seconds
                    if bar is not None:
                        bar.update(len(result.records))
                    if on_chunk is not None:
                        on_chunk(skipped + ran, len(variants))
                    nxt = next(jobs, None)
                    if nxt is not None:
                        pending.add(backend.submit(nxt))
            cancel = False
        finally:
            if bar is not None:
                bar.close()
            backend.close(cancel)
        seconds = time.perf_counter() - t0
        info = {**info, "cpu_seconds_this_call": round(cpu, 3)}
        if limit is not None and skipped + ran < len(variants):
            return SweepOutcome(
                outdir.root,
                outdir.path("results.parquet"),
                pd.DataFrame(),
                pd.DataFrame(),
                pd.DataFrame(),
                len(variants),
                ran,
                skipped,
                0,
                0,
                seconds,
                backend.name,
                info,
            )
        return _assemble(spec, variants, outdir, ran, skipped, t0, backend.name, info)


def _progress_bar(total: int, initial: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="variant", desc="sweep", smoothing=0.1)


# ------------------------------------------------------------------------------------------------
# assembly
# ------------------------------------------------------------------------------------------------
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

    parts = sorted({p for p, _ in done.values()}, key=lambda p: p.name)
    with_run = any("run" in pq.read_schema(p).names for p in parts)
    schema = _results_schema(spec, axis_arrays, with_run)
    target = out.path("results.parquet")
    tmp = target.with_name(f".tmp-{uuid.uuid4().hex}-results.parquet")
    try:
        rows = _stream_parts(parts, tmp, schema, spec, axis_arrays, with_run)
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


def _stream_parts(parts, tmp, schema, spec, axis_arrays, with_run) -> int:
    """Write the parts' rows (first copy of each variant) into ``tmp``; returns the rows."""
    rows = 0
    seen: set[str] = set()
    buffer: list[pa.Table] = []
    buffered = 0
    with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        for part in parts:
            try:
                t = pq.read_table(part)
            except (OSError, pa.ArrowException) as e:
                first = str(e).strip().splitlines()
                raise InputError(
                    f"part file is damaged ({first[0][:120] if first else type(e).__name__}); "
                    "delete it and re-run with --resume (its variants run again)",
                    file=part,
                ) from None
            ids = {r["variant"] for r in _part_records(part)}
            if ids & seen:  # a variant written twice: keep the first copy only
                mask = pa.array([x not in seen for x in t.column("variant").to_pylist()])
                t = t.filter(mask)
            seen |= ids
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
            buffer.append(pa.Table.from_arrays(cols, schema=schema))
            buffered += t.num_rows
            rows += t.num_rows
            if buffered >= 500_000:
                writer.write_table(pa.concat_tables(buffer))
                buffer, buffered = [], 0
        if buffer:
            writer.write_table(pa.concat_tables(buffer))
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
