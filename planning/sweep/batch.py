"""Batches: variants that differ only in parameter values, evaluated together in one vectorised pass.

Part of :mod:`planning.sweep`. Two variants belong to the same batch group when their overrides
set the same parameter paths (lever values, catalogue values outside the coverage estimation,
``prices.real_pay_growth``) and agree on everything else (organisation, municipalities, region,
demographic variant, horizon, runs...). A group is evaluated by
:func:`planning.sensitivity.evaluate_values` (one run per variant on the central population, the
path the tornado uses) and its metrics are split back into one frame per variant: the same rows
as the one-at-a-time path (``ScenarioEngine.evaluate``; tests/test_sweep_batch.py holds them equal
to rtol 1e-9).

Each variant is still validated on its own (``apply_overrides``, and its service catalogue when
it sets a catalogue value), so a bad value is that variant's error, as one at a time. The
values are read back from the validated scenario and catalogue, so coercions match too.

Not batched (evaluated one at a time): a path the vectorised path does not take (demographic
letters, coverage-estimation inputs, unit settings: these are structural, so each variant is its
own group), a structural scenario with uncertainty runs (``demography.runs`` > 0), a value that
is not a plain number, and a group whose batched evaluation raises (e.g. a service's
``age_split``, from which the catalogue derives other values, or ``calibration.year``): then
every variant of the chunk runs alone and records its own error, if any.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from planning.sweep.spec import _canonical

#: Overrides naming the real pay growth (the vectorised path takes it per run).
PRICE_PATHS = {
    "prices.real_pay_growth": "prices.real_pay_growth",
    "prices.real_pay_growth.value": "prices.real_pay_growth",
}


def value_path(path: str) -> str | None:
    """The path :func:`planning.sensitivity.evaluate_values` takes for the override ``path``
    (``levers.max_refusal`` → ``levers.max_refusal``, ``services.kad.fte_per_bed`` →
    ``kad.fte_per_bed``, ``prices.real_pay_growth`` → itself), or None when it cannot be
    evaluated per run."""
    from planning import uncertainty

    if path in PRICE_PATHS:
        return PRICE_PATHS[path]
    if path.startswith("levers."):
        p = path
    elif path.startswith("services."):
        p = path.split(".", 1)[1]
    else:
        return None
    if p.count(".") < 1 or not uncertainty.is_array_capable(p):
        return None
    return p


def batch_key(overrides: Mapping[str, Any]) -> str | None:
    """Key shared by the variants that can be evaluated together with this one (same parameter
    paths, same everything else); None when the variant sets no parameter value."""
    params = sorted(p for p in overrides if value_path(p) is not None)
    if not params:
        return None
    rest = {k: v for k, v in overrides.items() if k not in params}
    return _canonical({"rest": rest, "params": params})


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float | np.floating | np.integer):
        return None
    f = float(v)
    return f if np.isfinite(f) else None


def _values_of(scn: Any, catalogue: Any, paths: Any) -> dict[str, float | None]:
    """The value at each :func:`value_path` in a validated scenario and its catalogue (levers
    resolved against the catalogue's defaults); None where it is not a plain number."""
    from planning.parameters import _walk

    levers = scn.levers.with_defaults(catalogue)
    leaves: dict[str, Any] | None = None
    out: dict[str, float | None] = {}
    for q in paths:
        if q in PRICE_PATHS.values():
            v: Any = scn.prices.real_pay_growth.value
        elif q.startswith("levers."):
            v = getattr(levers, q.split(".", 1)[1], None)
        else:
            if leaves is None:
                leaves = {p: s.value for p, s in _walk(catalogue, "")}
            v = leaves.get(q)
        out[q] = _number(v)
    return out


def evaluate_batch(
    base: Any, overrides_list: Sequence[Mapping[str, Any]]
) -> list[pd.DataFrame | Exception] | None:
    """Metrics (as ``ScenarioEngine.evaluate``) of each variant of one batch group, or an
    exception for a variant whose overrides are refused. None when the group cannot be batched
    (the caller then evaluates one at a time). All variants must share :func:`batch_key`."""
    from planning import scenarios, sensitivity
    from planning.overhead import one_off_metrics

    keys = {batch_key(o) for o in overrides_list}
    if len(keys) != 1 or None in keys:
        raise ValueError("evaluate_batch takes variants of one batch group")
    first = overrides_list[0]
    params = {p: value_path(p) for p in first if value_path(p) is not None}
    rest = {k: v for k, v in first.items() if k not in params}
    structural = scenarios.apply_overrides(base, rest) if rest else scenarios.load_scenario(base)
    if structural.demography.runs != 0:  # runs over uncertainty: the run axis is taken
        return None
    services_json = scenarios._freeze(structural.services)
    group_catalogue = scenarios._catalogue_for(services_json)
    out: list[pd.DataFrame | Exception | None] = [None] * len(overrides_list)
    rows: list[int] = []
    columns: dict[str, list[float]] = {p: [] for p in params.values()}
    for i, ov in enumerate(overrides_list):
        try:
            scn = scenarios.apply_overrides(structural, {p: ov[p] for p in params})
        except Exception as e:  # noqa: BLE001 - this variant's error, as one at a time
            out[i] = e
            continue
        cat = group_catalogue
        if any(p.startswith("services.") for p in params):
            try:
                cat = scenarios._catalogue_for(scenarios._freeze(scn.services))
            except Exception as e:  # noqa: BLE001
                out[i] = e
                continue
        values = _values_of(scn, cat, params.values())
        if any(v is None for v in values.values()):
            return None  # not a plain number: one at a time
        rows.append(i)
        for q, v in values.items():
            columns[q].append(v)  # type: ignore[arg-type]
    if rows:
        n = len(rows)
        res = sensitivity.evaluate_values(
            structural, {q: np.asarray(v, dtype=float) for q, v in columns.items()}, n
        )
        metrics = res.metrics()
        metrics = pd.concat([metrics, one_off_metrics(res.costs, metrics)], ignore_index=True)
        run = metrics["run"].to_numpy(dtype=np.int64)
        order = np.argsort(run, kind="stable")  # each variant's rows in their own order
        bounds = np.searchsorted(run[order], np.arange(n + 1))
        body = metrics.drop(columns="run").take(order).reset_index(drop=True)
        for k, i in enumerate(rows):
            out[i] = body.iloc[bounds[k] : bounds[k + 1]].reset_index(drop=True)
    return out  # type: ignore[return-value]


#: Cost of a batched variant as a fraction of a warm one-at-a-time evaluation (about 4-8 ms
#: against 37 ms, the Værnes region, today's organisation, groups of 10-100; bench/bench_sweep.py).
#: Used only to choose the executor and to estimate the time of a long sweep.
BATCHED_COST = 0.2


def batchable(variants: Sequence[Any], key_of: Any, base: Any) -> int:
    """How many of ``variants`` fall in a batch group of two or more (``key_of(base, overrides)``
    is the engine's ``batch_key``; None: the engine does not batch)."""
    if key_of is None:
        return 0
    counts = Counter(key_of(base, v.overrides) for v in variants)
    return sum(c for k, c in counts.items() if k is not None and c >= 2)


#: Most variants in one batched call (memory grows with it: about 1-2 MB per variant and year
#: span of the Værnes region; bench/bench_sweep.py).
MAX_BATCH = 100


def plan_chunks(
    variants: Sequence[Any],
    key_of: Any,
    size: int,
    slots: int,
    batch_size: int | None = None,
) -> list[tuple[list[Any], bool]]:
    """Split ``variants`` (with ``.index`` and ``.overrides``) into chunks: each batch group
    (``key_of(overrides)``, see :func:`batch_key`) of two or more variants in chunks of at most
    ``batch_size`` (default :data:`MAX_BATCH`, and at most an even share of the group over the
    ``slots`` so every worker gets work), the rest in runs of at most ``size`` consecutive
    variants. Returns (chunk, is_batch) in order of each chunk's first index."""
    from planning.sweep.backends import _chunks

    groups: dict[str, list[Any]] = {}
    single: list[Any] = []
    for v in variants:
        key = key_of(v.overrides)
        if key is None:
            single.append(v)
        else:
            groups.setdefault(key, []).append(v)
    out: list[tuple[list[Any], bool]] = []
    cap = batch_size or MAX_BATCH
    for members in groups.values():
        if len(members) < 2:
            single.extend(members)
            continue
        n = max(1, min(cap, -(-len(members) // max(1, slots))))
        out.extend((members[i : i + n], True) for i in range(0, len(members), n))
    single.sort(key=lambda v: v.index)
    out.extend((c, False) for c in _chunks(single, size))
    out.sort(key=lambda c: c[0][0].index)
    return out
