"""``run``: projection -> demand -> capacity, staff and costs, with the per-process caches.

Part of :mod:`planning.scenarios` (the public facade); see its docstring for the map.
"""

from __future__ import annotations

import functools
import json
import numbers
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from planning import data
from planning.errors import InputError
from planning.parameters import (
    Levers,
    ServiceCatalogue,
)
from planning.parameters import _catalogue_at as _shipped_catalogue_cache
from planning.scenario.catalogue import _base_catalogue, _catalogue_for, _catalogue_raw, _freeze
from planning.scenario.files import _load_cached, load_scenario
from planning.scenario.result import ScenarioResult
from planning.scenario.schema import MAX_RUNS, Scenario, _resolve_codes


# ------------------------------------------------------------------------------------------------
# running
# ------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=32)
def _projection_cached(
    codes: tuple[str, ...],
    base_year: int,
    end_year: int,
    method: str,
    variant: str,
    runs: int,
    seed: int | None,
) -> Any:
    from planning.shared_cache import shared

    def project() -> Any:
        from planning.demography import project_population  # (imports scipy: only if needed)

        return project_population(
            list(codes),
            base_year=base_year,
            end_year=end_year,
            method=method,
            variant=variant,
            runs=runs,
            seed=seed,
        )

    key = {
        "codes": list(codes),
        "years": [base_year, end_year],
        "method": method,
        "variant": variant,
        "runs": runs,
        "seed": seed,
    }
    # the reports of one `planning report` run share each projection (same municipalities, runs
    # and seed in every scenario); elsewhere this lru_cache alone keeps it
    return shared("projection", key, project)


def _projection(scn: Scenario, runs: int, seed: int | None) -> Any:
    """Population projection as a tidy frame (of :func:`_population`, built once and kept)."""
    return _population(scn, runs, seed).frame()


def _population(scn: Scenario, runs: int, seed: int | None) -> Any:
    """Population projection as arrays (:class:`planning.population.Population`), cached by
    (municipalities, years, method, variant, runs, seed); the arrays are read-only."""
    d, h = scn.demography, scn.horizon
    args = (scn.municipality_codes(), h.base_year, h.end_year, d.method, d.variant, runs)
    if runs > 0 and seed is None:  # fresh random draws every time: nothing to cache
        from planning.demography import project_population

        return project_population(
            list(args[0]),
            base_year=h.base_year,
            end_year=h.end_year,
            method=d.method,
            variant=d.variant,
            runs=runs,
            seed=None,
        )
    return _projection_cached(*args, seed if runs > 0 else None)


#: Levers that only set capacity targets (bed sizing); demand does not depend on them, so a
#: sweep over them reuses the cached demand (checked by tests/test_scenarios.py).
CAPACITY_ONLY_LEVERS = ("max_refusal", "occupancy_target")


def _demand_key(
    scn: Scenario, runs: int, seed: int | None, services_json: str, levers: Levers
) -> tuple[Any, ...] | None:
    if runs > 0 and seed is None:
        return None
    d, h = scn.demography, scn.horizon
    proj = (
        scn.municipality_codes(),
        h.base_year,
        h.end_year,
        d.method,
        d.variant,
        runs,
        seed if runs > 0 else None,
    )
    demand_levers = levers.model_dump(exclude=set(CAPACITY_ONLY_LEVERS))
    return proj, services_json, _freeze(demand_levers)


@functools.lru_cache(maxsize=16)
def _demand_cached(proj: tuple[Any, ...], services_json: str, levers_json: str) -> Any:
    """Demand arrays (:class:`planning.demand.Demand`, read-only) of a cached projection."""
    from planning.demand import demand_arrays

    catalogue = _catalogue_for(services_json)
    levers = Levers(**json.loads(levers_json))
    coverage = _coverage_rates(proj[0], services_json)
    return demand_arrays(_projection_cached(*proj), catalogue, levers, coverage_rates=coverage)


@functools.lru_cache(maxsize=32)
def _coverage_rates(codes: tuple[str, ...], services_json: str) -> Any:
    from planning.demand import estimate_coverage_rates
    from planning.shared_cache import shared

    def estimate() -> Any:
        m = data.load_municipalities()
        counties = dict(zip(m["municipality_code"], m["county_code"], strict=True))
        return estimate_coverage_rates(
            data.load_kostra(), _catalogue_for(services_json), list(codes), counties=counties
        )

    # shared by the reports of one `planning report` run (the sensitivity runs of every report
    # estimate the same few catalogues); elsewhere this lru_cache alone keeps it
    return shared("coverage", {"codes": list(codes), "services": services_json}, estimate)


@functools.lru_cache(maxsize=32)
def _calibration_ages(codes: tuple[str, ...], year: int) -> Any:
    """(M, 106) inhabitants by single age of ``codes`` on 1 January after the calibration year
    (KOSTRA counts at 31 December), or the nearest year with population data."""
    first, last = data.population_years()
    pop_year = min(max(year + 1, first), last)
    by_age = _ages_by_municipality(pop_year)
    return by_age.reindex(index=list(codes), fill_value=0.0).to_numpy(float)


@functools.lru_cache(maxsize=4)
def _ages_by_municipality(pop_year: int) -> Any:
    """Inhabitants by municipality (index, str codes) and single age 0..105 (columns) on
    1 January of ``pop_year``: every municipality, read once per year and process."""
    pop = data.load_population(None, [pop_year])
    by_age = pop.groupby(["municipality_code", "age"])["population"].sum().unstack(fill_value=0.0)
    by_age.index = by_age.index.astype(str)
    return by_age.reindex(columns=range(106), fill_value=0.0)


def calibrated_staffing(
    codes: tuple[str, ...] | list[str],
    catalogue: ServiceCatalogue,
    max_refusal: Any,
    runs: int | None = None,
) -> Any:
    """Staffing of each municipality from its own KOSTRA figures under today's organisation
    (:func:`planning.calibration.staffing_table`), or None when the catalogue has no calibration
    section. Catalogue values and ``max_refusal`` may be arrays over ``runs`` runs: each run is
    then calibrated with its own values (the bed units' nurses of today from that run's bed-day
    rates, fte_per_bed and refusal target), as a separate run with those values would be."""
    import numpy as np

    from planning.calibration import staffing_table
    from planning.demand import bed_rates_by_age

    if catalogue.calibration is None:
        return None
    codes = tuple(str(c) for c in codes)
    year = int(np.asarray(catalogue.calibration.year.value, dtype=float).reshape(-1)[0])
    by_age = _calibration_ages(codes, year)
    bed_days = {}
    for s in catalogue.services_of("bed_service"):
        per = by_age @ np.asarray(bed_rates_by_age(getattr(catalogue, s))[1], dtype=float).T
        bed_days[s] = dict(zip(codes, per, strict=True))  # code -> bed-days (or per run)
    return staffing_table(
        _calibration_kostra(year),
        catalogue,
        list(codes),
        bed_days=bed_days,
        units=_status_quo_units(codes),
        max_refusal=max_refusal,
        runs=runs,
    )


@functools.lru_cache(maxsize=4)
def _calibration_kostra(year: int) -> Any:
    """The KOSTRA rows the staffing calibration reads for ``year``
    (:func:`planning.calibration.calibration_rows`), taken from the national panel once per
    process: each set of municipalities is then calibrated from these few thousand rows."""
    from planning.calibration import calibration_rows

    return calibration_rows(data.load_kostra(), year)


@functools.lru_cache(maxsize=32)
def _status_quo_units(codes: tuple[str, ...]) -> Any:
    """Today's units within ``codes`` (data/organisation.yaml read once per process)."""
    from planning.parameters import status_quo_units

    return status_quo_units(codes, _organisation())


@functools.lru_cache(maxsize=1)
def _organisation() -> Any:
    """Today's organisation (data/organisation.yaml), read once per process."""
    from planning.parameters import load_organisation

    return load_organisation()


@functools.lru_cache(maxsize=32)
def _staffing(codes: tuple[str, ...], services_json: str, max_refusal: float) -> Any:
    """:func:`calibrated_staffing` of a scenario's catalogue, cached."""
    return calibrated_staffing(codes, _catalogue_for(services_json), max_refusal)


def plan_services(
    scn: Scenario,
    population: Any,
    catalogue: ServiceCatalogue,
    levers: Levers,
    services_json: str,
    *,
    runs: int | None = None,
    demand: Any = None,
) -> tuple[Any, Any]:
    """Demand → travel → each municipality's calibrated staffing → capacity, staff and costs:
    the one sequence behind :func:`run` and the tornado's vectorised pass
    (:func:`planning.sensitivity.evaluate_values`).

    ``catalogue``/``levers`` are the scenario's (``services_json`` its frozen services) or hold
    arrays over ``runs`` runs (:func:`planning.uncertainty.with_values`; the population has runs
    0..runs-1): then every run's staffing is calibrated with its own values, so a run with a
    value equals a separate scenario run with that value. ``runs=None``: scalar values, staffing
    cached. ``demand``: the demand (:class:`planning.demand.Demand`) when already projected (cached).
    Returns (demand, plan as from :func:`planning.capacity.evaluate`)."""
    from planning.capacity import evaluate
    from planning.demand import demand_arrays

    codes = scn.municipality_codes()
    if demand is None:
        coverage = _coverage_rates(codes, services_json)
        demand = demand_arrays(population, catalogue, levers, coverage_rates=coverage)
    travel = _travel(_freeze([t.model_dump(exclude_none=True) for t in scn.travel_overrides]))
    if runs is None:
        staffing = _staffing(codes, services_json, float(levers.max_refusal))  # type: ignore[arg-type]
    else:
        staffing = calibrated_staffing(codes, catalogue, levers.max_refusal, runs)
    plan = evaluate(  # today's units: the one-off costs of leaving or setting up (overhead)
        population,
        demand,
        catalogue,
        scn.organisation,
        levers,
        travel=travel,
        staffing=staffing,
        today_units=_status_quo_units(codes),
    )
    return demand, plan


@functools.lru_cache(maxsize=16)
def _travel(overrides_json: str) -> Any:
    import pandas as pd

    from planning.capacity import municipality_travel

    rows = json.loads(overrides_json)
    overrides = pd.DataFrame(rows) if rows else None
    return municipality_travel(data.load_travel(overrides), data.load_places())


def clear_cache() -> None:
    """Forget cached projections, catalogues, coverage rates, travel and loaded scenarios."""
    for f in (
        _projection_cached,
        _demand_cached,
        _coverage_rates,
        _staffing,
        _calibration_ages,
        _calibration_kostra,
        _ages_by_municipality,
        _status_quo_units,
        _organisation,
        _travel,
        _catalogue_for,
        _base_catalogue,
        _catalogue_raw,
        _load_cached,
        _resolve_codes,
        _assumptions_table,
        _shipped_catalogue_cache,
    ):
        f.cache_clear()


def run(
    scenario_or_name: Scenario | str | Path,
    *,
    runs: int | None = None,
    seed: int | None = None,
    parameter_draws: bool = True,
) -> ScenarioResult:
    """Run a scenario: projection → demand → capacity, staff and costs.

    ``runs``/``seed`` override the scenario's ``demography.runs``/``seed``. Run 0 is the central
    run; with ``parameter_draws`` (the default) runs 1..N draw every uncertain assumption of
    ``data/ranges.yaml`` together with the population (:mod:`planning.uncertainty`), so bands
    hold both; ``parameter_draws=False`` keeps population uncertainty only. Pure apart from
    reading the shipped data through :mod:`planning.data` (cached per process). The population
    projection is cached by (municipalities, years, method, variant, runs, seed).
    """
    import time
    from datetime import UTC, datetime

    from planning import __version__

    t0 = time.perf_counter()
    scn = load_scenario(scenario_or_name)
    n_runs = scn.demography.runs if runs is None else runs
    if (
        isinstance(n_runs, bool)
        or not isinstance(n_runs, numbers.Integral)
        or not 0 <= n_runs <= MAX_RUNS
    ):
        raise InputError(
            f"runs must be an integer 0..{MAX_RUNS}, got {n_runs!r}",
            key="runs",
            allowed=f"0..{MAX_RUNS}",
        )
    the_seed = scn.demography.seed if seed is None else seed
    if the_seed is not None and (
        isinstance(the_seed, bool) or not isinstance(the_seed, numbers.Integral) or the_seed < 0
    ):
        raise InputError(f"seed must be a non-negative integer, got {the_seed!r}", key="seed")

    from planning.errors import LimitError
    from planning.limits import SCENARIO_BYTES_PER_CELL, check_projection

    codes = scn.municipality_codes()
    try:
        check_projection(
            int(n_runs),
            len(codes),
            scn.horizon.end_year - scn.horizon.base_year + 1,
            key="runs",
            per_cell=SCENARIO_BYTES_PER_CELL,
            what=f"scenario {scn.name}",
        )
    except LimitError as e:
        if runs is not None:
            raise
        raise LimitError(  # the runs come from the scenario file: name it
            e.problem, file=scn.file, key="demography.runs", allowed=e.allowed
        ) from None
    services_json = _freeze(scn.services)
    catalogue = _catalogue_for(services_json)
    levers = scn.levers.with_defaults(catalogue)
    n_runs, the_seed = int(n_runs), (None if the_seed is None else int(the_seed))
    population = _population(scn, n_runs, the_seed)
    draws: dict[str, Any] = {}
    if n_runs > 0 and parameter_draws:
        from planning import uncertainty

        draws = uncertainty.draw(catalogue, levers, _base_catalogue(), n_runs, the_seed)
        catalogue, levers = uncertainty.with_values(catalogue, levers, draws)
    demand_key = None if draws else _demand_key(scn, n_runs, the_seed, services_json, levers)
    demand = None if demand_key is None else _demand_cached(*demand_key)
    demand, plan = plan_services(
        scn,
        population,
        catalogue,
        levers,
        services_json,
        runs=n_runs + 1 if draws else None,
        demand=demand,
    )
    central = scn.levers.with_defaults(_catalogue_for(services_json))
    if draws:
        catalogue, levers = _catalogue_for(services_json), central
    plan = _with_real_growth(plan, scn)

    provenance = {
        "scenario": scn.name,
        "title": scn.title.model_dump(),
        "file": scn.file,
        "lineage": list(scn.lineage),
        "fingerprint": scn.fingerprint(),
        "overrides": scn.overrides,
        "parameters": scn.model_dump(mode="json"),
        "levers": levers.model_dump(),
        "scenario_values": _scenario_values(scn, levers, catalogue),
        "parameter_status": _status_counts(services_json),
        "assumptions": _assumptions(services_json),
        "price_year": plan.price_year,
        "data_version": data.data_version(),
        "package_version": __version__,
        "runs": n_runs,
        "seed": the_seed,
        "parameter_draws": sorted(draws),
        "run_time_s": round(time.perf_counter() - t0, 4),
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return ScenarioResult(
        name=scn.name,
        scenario=scn,
        population=population,
        demand=demand,
        plan=plan,
        provenance=provenance,
        parameter_values=draws,
    )


def _with_real_growth(plan: Any, scn: Scenario) -> Any:
    """The plan with NOK × (1 + real_pay_growth) ** (year - base_year) on its arrays (costs and
    cost shares); the plan itself when growth is 0."""
    import numpy as np

    g = scn.prices.real_pay_growth.value
    if g == 0.0:
        return plan
    years = np.asarray(plan.years, dtype=float) - scn.horizon.base_year
    return plan.with_nok_factor((1.0 + g) ** years)


def _apply_real_growth(costs: Any, shares: Any, scn: Scenario) -> tuple[Any, Any]:
    """Scale NOK by (1 + real_pay_growth) ** (year - base_year); no change when growth is 0."""
    g = scn.prices.real_pay_growth.value
    if g == 0.0:
        return costs, shares
    base = scn.horizon.base_year
    out = []
    for frame in (costs, shares):
        factor = (1.0 + g) ** (frame["year"].to_numpy(dtype=float) - base)
        out.append(frame.assign(nok=frame["nok"].to_numpy(dtype=float) * factor))
    return out[0], out[1]


def _scenario_values(scn: Scenario, levers: Levers, catalogue: ServiceCatalogue) -> dict[str, Any]:
    """Levers that differ from the catalogue defaults and catalogue values the scenario
    overrides (dotted path: value), for labelling in summaries and reports."""
    out: dict[str, Any] = {}
    defaults = Levers().with_defaults(catalogue)
    for name in Levers.model_fields:
        v = getattr(levers, name)
        if v is not None and v != getattr(defaults, name):
            out[f"levers.{name}"] = v

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, Mapping) and not ("value" in node and "unit" in node):
            for k, v in node.items():
                walk(v, f"{prefix}.{k}")
        else:
            out[prefix] = node.get("value") if isinstance(node, Mapping) else node

    walk(scn.services, "services")
    return out


@functools.lru_cache(maxsize=64)
def _assumptions_table(services_json: str) -> Any:
    return _catalogue_for(services_json).assumptions_table()


def _status_counts(services_json: str) -> dict[str, int]:
    t = _assumptions_table(services_json)
    return {str(k): int(v) for k, v in t["status"].value_counts().sort_index().items()}


def _assumptions(services_json: str) -> list[str]:
    t = _assumptions_table(services_json)
    return [str(p) for p in t.loc[t["status"] == "assumption", "parameter"]]
