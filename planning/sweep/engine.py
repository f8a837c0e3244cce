"""Engines: how one variant is evaluated (``ScenarioEngine``: apply_overrides + run + metrics), the code fingerprint.

Part of :mod:`planning.sweep`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
from pydantic import (
    BaseModel,
)

from planning.errors import ScenarioError, suggest
from planning.overhead import one_off_metrics
from planning.sweep.spec import _canonical


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
    ``ScenarioResult.metrics()``, with the one-off costs of setting up and leaving shared units
    as two more metrics (:data:`planning.overhead.ONE_OFF_METRICS`: ``one_off_cost_nok`` in
    each year, already inside ``cost_nok``, and ``one_off_total_nok``). ``base_overrides``
    (JSON of a mapping, e.g. ``'{"region": "agder"}'`` from ``--region``) is applied to the base
    scenario first. ``batch`` (default True): variants that differ only in parameter values
    are evaluated together (:mod:`planning.sweep.batch`, the same records); False evaluates
    every variant alone (for comparison and benchmarks)."""

    base_overrides: str = ""
    batch: bool = True

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
        res = scenarios.run(scenario)
        metrics = res.metrics()
        return pd.concat([metrics, one_off_metrics(res.costs, metrics)], ignore_index=True)

    def batch_key(self, base: Any, overrides: Mapping[str, Any]) -> str | None:
        """Variants with the same key differ only in parameter values and may be evaluated
        together (:mod:`planning.sweep.batch`); None: evaluate one at a time."""
        from planning.sweep.batch import batch_key

        return batch_key(overrides) if self.batch else None

    def evaluate_batch(
        self, base: Any, overrides_list: list[Mapping[str, Any]]
    ) -> list[pd.DataFrame | Exception] | None:
        """What :meth:`evaluate` gives for each variant of one batch group (an exception for a
        refused variant), in one vectorised pass; None when the group cannot be batched."""
        from planning.sweep.batch import evaluate_batch

        return evaluate_batch(base, overrides_list)

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
MODEL_MODULES = (
    "scenarios",
    "scenario",
    "sensitivity",
    "overhead",
    "sweep.batch",
    "demography",
    "demand",
    "coverage",
    "calibration",
    "uncertainty",
    "capacity",
    "services",
    "parameters",
    "data",
    "stats",
)


def _model_code_version() -> str:
    """SHA-256 (16 hex digits) of the source of :data:`MODEL_MODULES` (every ``.py`` file of a
    package, in sorted order)."""
    import importlib.util

    h = hashlib.sha256()
    for name in MODEL_MODULES:
        spec = importlib.util.find_spec(f"planning.{name}")
        if spec is None:
            continue
        if spec.submodule_search_locations:  # a package: all its modules
            files = sorted(
                f for loc in spec.submodule_search_locations for f in Path(loc).rglob("*.py")
            )
        else:
            files = [Path(spec.origin)] if spec.origin else []
        for f in files:
            if f.is_file():
                h.update(f"{name}/{f.name}".encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def _milestones(base_year: int, end_year: int) -> list[int]:
    """Base year, horizon year and every 10th year between (e.g. 2026, 2030, 2040, 2050)."""
    return sorted(
        {base_year, end_year} | {y for y in range(base_year, end_year + 1) if y % 10 == 0}
    )
