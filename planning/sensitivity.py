"""What matters: the tornado. The swing of the headlines when each assumption goes low → high.

For one scenario and its reference (``compare()``'s default reference unless given), every
parameter with a range (``data/ranges.yaml``) is set to its low and then its high value, all
others at their central values, and the headlines at the horizon year are recomputed: FTE,
yearly cost and beds for the region, and each one's difference against the reference (the
reference gets the same low or high value, so the difference is paired).

Catalogue and lever values and the real pay growth are evaluated together in one vectorised pass
(one "run" per low or high value, on the central population: :func:`evaluate_values`); values
that act through the coverage estimation from KOSTRA and the demographic letters (fertility, life
expectancy, migration L and H) are evaluated by separate runs. The projection's method settings
(``demography.*`` in ``data/ranges.yaml``) are listed, not swung.

Public API: :func:`tornado` (tidy frame), :func:`largest` (the ten largest for a headline),
:func:`evaluate_values` (a scenario with values per run on its central population).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from planning import scenarios, uncertainty
from planning.errors import InputError
from planning.parameter_text import parameter_label

#: Headline metrics of the tornado (region, horizon year) and their units.
HEADLINES: dict[str, str] = {
    "fte": "FTE",
    "cost_nok": "NOK per year",
    "beds": "beds",
}
#: The demographic letters swung by separate projections (L and H of each, others at M).
LETTERS = {
    "demography.variants.fertility": 0,
    "demography.variants.life_expectancy": 1,
    "demography.variants.migration": 2,
}
MATERIAL = 0.01  # a swing below 1 % of the headline (and of the difference) is "not material"

TORNADO_COLUMNS = [
    "parameter",
    "kind",
    "metric",
    "low",
    "high",
    "value",
    "central",
    "at_low",
    "at_high",
    "swing",
    "relative_swing",
    "evaluated",
]


def default_reference() -> str:
    """The reference scenario of :func:`planning.scenarios.compare` (its default argument)."""
    params = inspect.signature(scenarios.compare).parameters
    default = params["reference"].default if "reference" in params else None
    return default if isinstance(default, str) else scenarios.REFERENCE


def _central_population(scn: scenarios.Scenario) -> pd.DataFrame:
    return scenarios._projection(scn, 0, None)


def _replicate(population: pd.DataFrame, n: int) -> pd.DataFrame:
    """The central population repeated for runs 0..n-1 (a ``run`` column)."""
    m = len(population)
    out: dict[str, Any] = {}
    for c in population.columns:
        col = population[c]
        if col.dtype.kind in "if":
            out[c] = np.tile(col.to_numpy(), n)
        else:  # strings as categoricals (as in Monte Carlo population frames): cheap to repeat
            codes, uniques = pd.factorize(col)
            out[c] = pd.Categorical.from_codes(
                np.tile(codes, n), categories=np.asarray(uniques, dtype=object)
            )
    out["run"] = np.repeat(np.arange(n, dtype=np.int64), m)
    return pd.DataFrame(out)


def evaluate_values(
    scenario: scenarios.Scenario | str,
    values: Mapping[str, Any],
    n: int,
    population: pd.DataFrame | None = None,
) -> scenarios.ScenarioResult:
    """The scenario with parameter values per run (``values``: path → array of ``n``, run 0..n-1,
    or a scalar) on its central population (or ``population`` with runs 0..n-1), all runs in one
    vectorised pass. Paths: catalogue and lever paths outside the coverage estimation, and
    ``prices.real_pay_growth``. Returns a :class:`~planning.scenarios.ScenarioResult` with runs."""
    from planning.demand import demand_arrays, project_demand
    from planning.scenario.pipeline import plan_services

    scn = scenarios.load_scenario(scenario)
    bad = [
        p for p in values if not uncertainty.is_array_capable(p) and p != "prices.real_pay_growth"
    ]
    if bad:
        raise InputError(
            f"cannot evaluate {bad[0]} per run (it acts through the coverage estimation or the "
            "projection)",
            key=bad[0],
        )
    services_json = scenarios._freeze(scn.services)
    catalogue = scenarios._catalogue_for(services_json)
    levers = scn.levers.with_defaults(catalogue)
    arrays = {
        p: np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy() for p, v in values.items()
    }
    cat_v, lev_v = uncertainty.with_values(catalogue, levers, arrays)
    coverage = scenarios._coverage_rates(scn.municipality_codes(), services_json)
    if population is None:  # the central population's arrays, shared by every run (variant)
        pop: Any = scenarios._population(scn, 0, None)
        demand: Any = demand_arrays(pop, cat_v, lev_v, coverage_rates=coverage, runs=n)
    else:
        pop = population
        demand = project_demand(pop, cat_v, lev_v, coverage_rates=coverage)
    # the pipeline's own sequence from here (travel, staffing calibrated per run, capacity)
    demand, plan = plan_services(scn, pop, cat_v, lev_v, services_json, runs=n, demand=demand)
    g = arrays.get("prices.real_pay_growth")
    if g is None:
        g = np.full(n, scn.prices.real_pay_growth.value)
    if population is None:  # real pay growth per run on the plan's arrays; frames only if read
        if np.any(g):
            years = np.asarray(plan.years, dtype=float) - scn.horizon.base_year
            plan = plan.with_nok_factor((1.0 + g)[:, None, None] ** years[None, None, :])
        return scenarios.ScenarioResult(
            name=scn.name,
            scenario=scn,
            population=pop,
            demand=demand,
            plan=plan,
            provenance={"runs": n - 1, "price_year": plan.price_year, "seed": None},
            parameter_values=arrays,
        )
    costs, shares = (
        _grow(plan.costs, g, scn.horizon.base_year),
        _grow(plan.cost_shares, g, scn.horizon.base_year),
    )
    return scenarios.ScenarioResult(
        name=scn.name,
        scenario=scn,
        population=pop,
        demand=demand,
        capacity=plan.capacity,
        staff=plan.staff,
        costs=costs,
        cost_shares=shares,
        units=plan.units,
        provenance={"runs": n - 1, "price_year": plan.price_year, "seed": None},
        parameter_values=arrays,
    )


def _grow(frame: pd.DataFrame, g: np.ndarray, base_year: int) -> pd.DataFrame:
    """NOK × (1 + g[run]) ** (year - base_year): real pay growth per run."""
    if not np.any(g):
        return frame
    years = frame["year"].to_numpy(dtype=float) - base_year
    factor = (1.0 + g[frame["run"].to_numpy(dtype=np.int64)]) ** years
    return frame.assign(nok=frame["nok"].to_numpy(dtype=float) * factor)


def _headlines(res: scenarios.ScenarioResult) -> pd.DataFrame:
    """(run × metric) headline values of the region at the horizon year."""
    m = res.metrics()
    m = m[(m["municipality_code"] == "region") & (m["year"] == res.end_year)]
    m = m[m["metric"].isin(list(HEADLINES))]
    if "run" not in m.columns:
        m = m.assign(run=0)
    return m.pivot(index="run", columns="metric", values="value")[list(HEADLINES)]


def _override(path: str, value: float) -> dict[str, Any]:
    if path.startswith("prices."):
        return {path: value}
    if path.startswith("levers."):
        return {path: value}
    return {f"services.{path}": value}


#: ``cache(kind, key, compute)``: returns ``compute()``, or the value stored for (kind, key)
#: (:func:`planning.reports.cache.cached` shares it between the reports of one run).
Cache = Callable[[str, Mapping[str, Any], Callable[[], Any]], Any]


def tornado(
    scenario: scenarios.Scenario | str,
    reference: scenarios.Scenario | str | None = None,
    *,
    ranges: Mapping[str, uncertainty.Range] | None = None,
    cache: Cache | None = None,
) -> pd.DataFrame:
    """Swing of the headlines per parameter, low → high.

    Returns one row per (parameter, metric) with columns parameter, kind, metric (``fte``,
    ``cost_nok``, ``beds`` and ``<metric>_vs_<reference>``), low, high, value (the parameter's
    central value), central, at_low, at_high (headline values), swing (at_high - at_low),
    relative_swing (|swing| / |central|; for a difference relative to the central difference,
    but at least 0.1 % of the scenario's headline) and evaluated (False for projection settings, which are listed only).
    Complement parameters (profession shares) move with their partner and are not listed apart.

    The reference's low and high runs do not depend on the scenario: with ``cache`` (e.g.
    :func:`planning.reports.cache.cached`) they are computed once per reference document,
    parameter list and bounds, and read back for the next scenario. When the scenario is the
    reference itself (same document), its runs serve both sides.
    """
    ranges = uncertainty.load_ranges() if ranges is None else ranges
    scn = scenarios.load_scenario(scenario)
    ref_name = default_reference() if reference is None else reference
    ref = scenarios.load_like(ref_name, scn)
    default_cat = scenarios._base_catalogue()
    default = uncertainty.central_values(default_cat, default_cat.default_levers())

    def central_of(s: scenarios.Scenario) -> dict[str, float]:
        cat = s.catalogue()
        return uncertainty.central_values(
            cat, s.levers.with_defaults(cat), s.prices.real_pay_growth.value
        )

    cen = {id(scn): central_of(scn), id(ref): central_of(ref)}
    batch = [
        p
        for p in ranges
        if ranges[p].complement_of is None
        and (uncertainty.is_array_capable(p) or p == "prices.real_pay_growth")
        and p in cen[id(scn)]
    ]
    separate = [
        p
        for p in ranges
        if ranges[p].complement_of is None
        and p not in batch
        and not p.startswith("demography.")
        and p in cen[id(scn)]
    ]
    comp = {ranges[p].complement_of: p for p in ranges if ranges[p].complement_of is not None}

    def bounds_for(s: scenarios.Scenario, p: str) -> tuple[float, float]:
        c = cen[id(s)][p]
        return uncertainty.scenario_bounds(p, c, default.get(p, c), ranges)

    def batch_headlines(s: scenarios.Scenario) -> pd.DataFrame:
        n = 2 * len(batch) + 1
        values: dict[str, np.ndarray] = {}
        for k, p in enumerate(batch):
            arr = np.full(n, cen[id(s)][p])
            arr[2 * k + 1], arr[2 * k + 2] = bounds_for(s, p)
            values[p] = arr
            if p in comp:
                values[comp[p]] = 1.0 - arr
        return _headlines(evaluate_values(s, values, n))

    def separate_headlines(s: scenarios.Scenario) -> dict[tuple[str, str], pd.Series]:
        out: dict[tuple[str, str], pd.Series] = {}
        for p in separate:
            for side, v in zip(("low", "high"), bounds_for(s, p), strict=True):
                variant = scenarios.apply_overrides(s, _override(p, v))
                out[(p, side)] = _headlines(scenarios.run(variant, runs=0)).iloc[0]
        for p, i in LETTERS.items():
            for side, letter in (("low", "L"), ("high", "H")):
                letters = list(s.demography.variant)
                letters[i] = letter
                variant = scenarios.apply_overrides(s, {"demography.variant": "".join(letters)})
                out[(p, side)] = _headlines(scenarios.run(variant, runs=0)).iloc[0]
        return out

    def side(s: scenarios.Scenario) -> tuple[pd.DataFrame, dict[tuple[str, str], pd.Series]]:
        return batch_headlines(s), separate_headlines(s)

    hs, ss = side(scn)
    ref_doc = ref.model_dump_json()
    if ref_doc == scn.model_dump_json():
        hr, sr = hs, ss
    elif cache is not None:
        key = {
            "reference": ref_doc,
            "batch": batch,
            "separate": separate,
            "letters": list(LETTERS),
            "bounds": {p: list(bounds_for(ref, p)) for p in [*batch, *separate]},
            "complements": comp,
        }
        hr, sr = cache("tornado-reference", key, lambda: side(ref))
    else:
        hr, sr = side(ref)
    central_s, central_r = hs.loc[0], hr.loc[0]
    rows = []
    diff_name = {m: f"{m}_vs_{ref.name}" for m in HEADLINES}

    def add(p: str, lo: float, hi: float, value: float, s_lo, s_hi, r_lo, r_hi) -> None:
        kind = ranges[p].kind if p in ranges else "uncertain"
        for m in HEADLINES:
            for metric, c, a, b in (
                (m, central_s[m], s_lo[m], s_hi[m]),
                (diff_name[m], central_s[m] - central_r[m], s_lo[m] - r_lo[m], s_hi[m] - r_hi[m]),
            ):
                swing = b - a
                rows.append(
                    (
                        p,
                        kind,
                        metric,
                        lo,
                        hi,
                        value,
                        c,
                        a,
                        b,
                        swing,
                        # a difference is its own headline: relative to itself, but never
                        # to less than 0.1 % of the scenario's headline (differences near 0)
                        abs(swing) / max(abs(c), 1e-3 * abs(central_s[m]), 1e-12),
                        True,
                    )
                )

    for k, p in enumerate(batch):
        lo, hi = bounds_for(scn, p)
        add(
            p,
            lo,
            hi,
            cen[id(scn)][p],
            hs.loc[2 * k + 1],
            hs.loc[2 * k + 2],
            hr.loc[2 * k + 1],
            hr.loc[2 * k + 2],
        )
    for p in separate:
        lo, hi = bounds_for(scn, p)
        add(
            p,
            lo,
            hi,
            cen[id(scn)][p],
            ss[(p, "low")],
            ss[(p, "high")],
            sr[(p, "low")],
            sr[(p, "high")],
        )
    for p in LETTERS:
        lo, hi = uncertainty.bounds(p, ranges) if p in ranges else (-1.2816, 1.2816)
        add(p, lo, hi, 0.0, ss[(p, "low")], ss[(p, "high")], sr[(p, "low")], sr[(p, "high")])
    for p in ranges:
        if p.startswith("demography.") and p not in LETTERS:
            lo, hi = uncertainty.bounds(p, ranges)
            for m in HEADLINES:
                for metric in (m, diff_name[m]):
                    rows.append(
                        (
                            p,
                            ranges[p].kind,
                            metric,
                            lo,
                            hi,
                            np.nan,
                            np.nan,
                            np.nan,
                            np.nan,
                            np.nan,
                            np.nan,
                            False,
                        )
                    )
    out = pd.DataFrame(rows, columns=TORNADO_COLUMNS)
    out.attrs["scenario"], out.attrs["reference"] = scn.name, ref.name
    return out


def largest(table: pd.DataFrame, metric: str, n: int = 10) -> pd.DataFrame:
    """The ``n`` parameters with the largest absolute swing of ``metric``, largest first."""
    t = table[(table["metric"] == metric) & table["evaluated"]]
    return t.reindex(t["swing"].abs().sort_values(ascending=False).index).head(n)


def not_material(table: pd.DataFrame, threshold: float = MATERIAL) -> list[str]:
    """Parameters (evaluated) that move no headline, nor its difference against the reference,
    by ``threshold`` (1 %) of the scenario's headline or more."""
    t = table[table["evaluated"]]
    moving = t.groupby("parameter")["relative_swing"].max()
    return sorted(moving[moving < threshold].index)


def summary_rows(
    table: pd.DataFrame, metrics: Sequence[str] | None = None, n: int = 10
) -> pd.DataFrame:
    """The ``n`` largest swings for each metric in one frame (for printing)."""
    metrics = list(dict.fromkeys(table["metric"])) if metrics is None else list(metrics)
    return pd.concat([largest(table, m, n) for m in metrics], ignore_index=True)


def rest_markdown(table: pd.DataFrame, lang: str = "nb", n: int = 10) -> str:
    """Text under the tornado charts: the assumptions outside the ``n`` largest that still move a
    headline by 1 % or more, those that move none by 1 % or more, and those not swung."""
    ev = table[table["evaluated"]]
    shown = set()
    for m in dict.fromkeys(ev["metric"]):
        shown.update(largest(table, m, n)["parameter"])
    quiet = not_material(table)
    rest = sorted(set(ev["parameter"]) - shown - set(quiet))
    listed = sorted(set(table.loc[~table["evaluated"], "parameter"]))

    def code(paths: Sequence[str]) -> str:  # readable names in bokmål, catalogue paths in English
        if lang == "nb":
            return "; ".join(parameter_label(p, lang) for p in paths)
        return ", ".join(f"`{p}`" for p in paths)

    if lang == "nb":
        parts = [
            "Hver forutsetning er satt til sin lave og sin høye verdi (`data/ranges.yaml`), alle "
            "andre til sentralverdien; stolpene viser hvor langt tallene i sluttåret flytter seg."
        ]
        if rest:
            parts.append(f"Flytter også et hovedtall med minst 1 %: {code(rest)}.")
        parts.append(f"Flytter ikke noe hovedtall med 1 % eller mer ({len(quiet)}): {code(quiet)}.")
        parts.append(
            f"Ikke variert (innstillinger i befolkningsframskrivingen, se docs/demography.md): {code(listed)}."
        )
    else:
        parts = [
            "Each assumption is set to its low and its high value (`data/ranges.yaml`), all others "
            "central; the bars show how far the figures of the horizon year move."
        ]
        if rest:
            parts.append(f"Also moving a headline by 1 % or more: {code(rest)}.")
        parts.append(f"Moving no headline by 1 % or more ({len(quiet)}): {code(quiet)}.")
        parts.append(f"Not swung (projection settings, see docs/demography.md): {code(listed)}.")
    return "\n\n".join(parts)
