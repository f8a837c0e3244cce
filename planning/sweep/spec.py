"""The sweep file schema (``SweepSpec``: base scenario, grid and sample axes, output) and ``load_sweep``.

Part of :mod:`planning.sweep`.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import (
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from planning.errors import ScenarioError, location, raise_data_error
from planning.sourced import NumbersModel

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


def _canonical(value: Any) -> str:
    """Canonical JSON text of a value (sorted keys, no spaces): the basis of variant ids."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class SweepWarning(UserWarning):
    """Some variants of a sweep failed (they are listed in ``errors.csv`` / the outcome)."""


# ------------------------------------------------------------------------------------------------
# sweep file schema
# ------------------------------------------------------------------------------------------------
class _Strict(NumbersModel):
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
    base: str = Field(default="today", min_length=1)
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
    loc = location(e["loc"])
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
    elif loc[:1] == ["grid"] and e.get("type") in ("list_type", "dict_type"):
        msg = f"a grid axis takes a list of values or named alternatives (got {e.get('input')!r})"
        allowed = "[v1, v2, ...] or {name: value, ...}"
    return ScenarioError(msg, file=file, key=".".join(loc) or None, allowed=allowed)


def load_sweep(source: str | Path | Mapping[str, Any]) -> SweepSpec:
    """Read and validate a sweep file (or an already parsed mapping).

    Errors raise :class:`ScenarioError` naming the file and the key. A relative ``base`` path is
    resolved against the sweep file's folder."""
    file: str | None = None
    if isinstance(source, Mapping):
        raw: Any = dict(source)
    else:
        from planning.io import load_yaml, require_file

        p = require_file(source, ScenarioError, what="sweep file")
        file = str(p)
        raw = load_yaml(p, error=ScenarioError)
    if not isinstance(raw, dict):
        raise ScenarioError("expected a mapping at the top level", file=file)
    try:
        spec = SweepSpec.model_validate(raw)
    except ValidationError as err:
        raise_data_error(err)
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
