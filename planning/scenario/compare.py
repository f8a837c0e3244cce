"""Comparing results: ``compare`` against today (and against each municipality alone),
``run_like``/``load_like`` for a reference with the same municipalities and horizon.

Part of :mod:`planning.scenarios` (the public facade); see its docstring for the map.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from planning.errors import InputError, warn_deprecated
from planning.scenario.files import load_scenario
from planning.scenario.names import ALONE, DEPRECATED_NAMES, REFERENCE
from planning.scenario.overrides import apply_overrides
from planning.scenario.pipeline import run
from planning.scenario.result import ScenarioResult
from planning.scenario.schema import Scenario


# ------------------------------------------------------------------------------------------------
# comparing
# ------------------------------------------------------------------------------------------------
def run_like(name: str | Scenario | Path, like: ScenarioResult) -> ScenarioResult:
    """Run scenario ``name`` (normally ``today`` or ``alone``) for the same municipalities,
    horizon, projection, runs and seed as ``like``, so that the two can be compared run by run."""
    other = load_like(name, like.scenario)
    return run(other, runs=like.runs, seed=like.provenance.get("seed"))


def load_like(name: str | Scenario | Path, scn: Scenario) -> Scenario:
    """Scenario ``name`` (normally ``today`` or ``alone``) for the same municipalities, horizon
    and projection as ``scn`` (today's units are those of ``scn``'s municipalities)."""
    d, h = scn.demography, scn.horizon
    who: dict[str, Any] = (
        {"region": scn.region}
        if scn.region is not None
        else {"municipalities": list(scn.municipality_codes())}
    )
    other = apply_overrides(
        load_scenario(name),
        {
            **who,
            "horizon.base_year": h.base_year,
            "horizon.end_year": h.end_year,
            "demography.method": d.method,
            "demography.variant": d.variant,
        },
    )
    return other


def _differences(res: ScenarioResult, base: Any, prefix: str, runs_quantiles: bool) -> Any:
    """Merge ``res.metrics()`` with the metrics ``base`` as ``{prefix}_value``, add the
    difference (and, with ``runs_quantiles``, P10/P50/P90 of the paired differences)."""
    import numpy as np

    from planning.stats import quantiles

    m = res.metrics()
    both_runs = "run" in m.columns and "run" in base.columns
    on = ["municipality_code", "year", "metric"] + (["run"] if both_runs else [])
    left = m if both_runs or "run" not in m.columns else m[m["run"] == 0].drop(columns="run")
    right = base if both_runs or "run" not in base.columns else base[base["run"] == 0]
    if "run" in right.columns and not both_runs:
        right = right.drop(columns="run")
    diff = "difference" if prefix == "reference" else f"difference_{prefix}"
    j = left.merge(right.rename(columns={"value": f"{prefix}_value"}), on=on, how="inner")
    j[diff] = j["value"] - j[f"{prefix}_value"]
    keys = ["municipality_code", "year", "metric"]
    if prefix == "reference":
        bv = j[f"{prefix}_value"].to_numpy(dtype=float)
        j["relative_difference"] = np.divide(
            j[diff].to_numpy(dtype=float), bv, out=np.full(len(j), np.nan), where=bv != 0
        )
    if not both_runs:
        return j
    central = j[j["run"] == 0].drop(columns="run")
    if runs_quantiles and (j["run"] > 0).any():
        central = central.merge(quantiles(j, keys, value=diff), on=keys, how="left")
    return central


def compare(
    results: Mapping[str, ScenarioResult] | Iterable[ScenarioResult],
    reference: str = REFERENCE,
    *,
    alone: str | None = ALONE,
    baseline: str | None = None,
) -> Any:
    """Differences of every result's metrics from ``reference`` (default ``today``: how things
    are organised now), per municipality and region, and then from ``alone`` (each municipality
    running everything alone; None leaves it out).

    A reference that is not among ``results`` is run with the same municipalities, horizon,
    projection, runs and seed as the first result (:func:`run_like`). ``baseline`` is the old
    name of ``reference`` (deprecated). Columns: scenario, reference, municipality_code (incl.
    'region'), year, metric, value, reference_value, difference, relative_difference (central
    run 0), p10, p50, p90 of the difference over the Monte Carlo runs when both have runs > 0
    (runs are paired: same seed, same draws), and with ``alone`` also alone_value and
    difference_alone. Raises InputError when there are no results.
    """
    import pandas as pd

    if baseline is not None:
        warn_deprecated(
            "compare(baseline=...) is now compare(reference=...); the default reference is 'today'"
        )
        reference = baseline
    items = list(results.values()) if isinstance(results, Mapping) else list(results)
    if not items:
        raise InputError("no results to compare", key="results")
    by_name = {r.name: r for r in items}
    name = DEPRECATED_NAMES.get(reference, reference) if reference not in by_name else reference
    ref = by_name.get(name) or run_like(name, items[0])
    second = None
    if alone is not None and alone != ref.name:
        second = by_name.get(alone) or run_like(alone, items[0])
    base = ref.metrics()
    frames = []
    for res in items:
        if res.name == ref.name:
            continue
        j = _differences(res, base, "reference", runs_quantiles=True)
        if second is not None:
            k = _differences(res, second.metrics(), "alone", runs_quantiles=False)
            keys = ["municipality_code", "year", "metric"]
            j = j.merge(k[[*keys, "alone_value", "difference_alone"]], on=keys, how="left")
        frames.append(j.assign(scenario=res.name, reference=ref.name))
    first = [
        "scenario",
        "reference",
        "municipality_code",
        "year",
        "metric",
        "value",
        "reference_value",
        "difference",
        "relative_difference",
    ]
    if not frames:
        return pd.DataFrame(columns=first)
    out = pd.concat(frames, ignore_index=True)
    return out[first + [c for c in out.columns if c not in first]]
