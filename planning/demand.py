"""Service demand: projected population × use rates by age, per municipality and year.

Pure functions on tidy frames, no I/O.

* :func:`estimate_coverage_rates` fits the coverage model of :mod:`planning.coverage` to the
  national KOSTRA care panel: users per inhabitant by municipality and KOSTRA age group (0-66,
  67-79, 80+) for hjemmetjenester and heldøgnsomsorg (its two forms langtidsopphold and
  heldogn_bolig), each with a level and a damped trend pooled toward comparable municipalities
  and Norway; catalogue fallback rates where no KOSTRA model is given.
* :func:`project_demand` applies those rates (year by year) and the catalogue's per-capita rates
  to a population frame, with the levers healthy ageing (use rates shift to higher ages as life
  expectancy rises), FTE-per-user growth and a shift from institutions to housing with 24-hour
  staff and home services.

* :func:`demand_arrays` is the same on the arrays of a projection
  (:class:`planning.population.Population`), all runs at once: it returns a :class:`Demand`
  (run, municipality, year, measure) whose tidy frame is built only when asked for. Use rates
  that step up at given ages and shift to higher ages are summed from tail sums of the
  population (:class:`_ShiftedAges`), never as a (rows, 106) rate array.

Demand frame columns: municipality_code, year, service, measure, value[, run].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from planning import coverage, services
from planning.errors import InputError, require_columns
from planning.parameters import (
    AGE_GROUP_BOUNDS,
    AGE_GROUPS,
    BedService,
    Levers,
    ServiceCatalogue,
    _walk,
)
from planning.population import Population
from planning.uncertainty import map_run_values

MAX_AGE = 105  # oldest single age in the population frame (105 = 105+)
AGES = np.arange(MAX_AGE + 1)
DEMAND_COLUMNS = ["municipality_code", "year", "service", "measure", "value"]
POPULATION_REQUIRED = ["municipality_code", "year", "age", "population"]


def _age_group_index() -> np.ndarray:
    """KOSTRA age-group index (0, 1, 2) for each single age 0..105."""
    return np.searchsorted(np.asarray(AGE_GROUP_BOUNDS), AGES, side="right") - 1


# ------------------------------------------------------------------------------------------------
# coverage rates from KOSTRA (planning.coverage)
# ------------------------------------------------------------------------------------------------
def estimate_coverage_rates(
    kostra: pd.DataFrame,
    catalogue: ServiceCatalogue,
    municipalities: list[str] | None = None,
    base_year: int | None = None,
    counties: dict[str, str] | None = None,
    method: str | None = None,
) -> pd.DataFrame:
    """The coverage model (levels and damped trends) from the national KOSTRA panel.

    ``kostra``: frame as from ``planning.data.load_kostra()`` (rows after ``base_year`` are
    ignored). ``base_year`` defaults to ``coverage.estimation.last_year``; ``method`` to
    ``coverage.estimation.method`` ('trend' or the 'constant' reference). Returns the frame of
    :func:`planning.coverage.fit_coverage` (one row per municipality, series and age group);
    :func:`project_demand` turns it into rates for every projected year. Raises InputError for
    a base year without KOSTRA data or an unknown method.
    """
    est = catalogue.coverage.estimation
    return coverage.fit_coverage(
        kostra,
        int(est.last_year.value if base_year is None else base_year),
        est.settings(),
        method=method or est.method,
        municipalities=municipalities,
        counties=counties,
    )


def fallback_coverage_rates(catalogue: ServiceCatalogue, municipalities: list[str]) -> pd.DataFrame:
    """A constant coverage model from the catalogue fallback rates only (no KOSTRA), in the form
    of :func:`estimate_coverage_rates`."""
    base = int(catalogue.coverage.estimation.last_year.value)
    cov = catalogue.coverage
    rows = []
    for code in municipalities:
        for g in AGE_GROUPS:
            home = cov.hjemmetjenester.fallback_rates[g].value  # type: ignore[index]
            lt = cov.langtidsopphold.fallback_rates[g].value  # type: ignore[index]
            bo = cov.heldogn_bolig.fallback_rates[g].value  # type: ignore[index]
            rows.append((code, "hjemmetjenester", g, home))
            rows.append((code, "heldogn", g, lt + bo))
        lt_all = sum(cov.langtidsopphold.fallback_rates[g].value for g in AGE_GROUPS)  # type: ignore[index]
        bo_all = sum(cov.heldogn_bolig.fallback_rates[g].value for g in AGE_GROUPS)  # type: ignore[index]
        rows.append((code, "heldogn_split", "total", lt_all / (lt_all + bo_all)))
    f = pd.DataFrame(rows, columns=["municipality_code", "service", "age_group", "rate"])
    z = np.log(np.clip(f["rate"], 1e-12, 1)) - np.log1p(-np.clip(f["rate"], 0, 1 - 1e-12))
    return f.drop(columns="rate").assign(
        level=z,
        trend=0.0,
        sd_level=0.0,
        sd_trend=0.0,
        sd_noise=0.0,
        sd_drift=0.0,
        anchor=0.0,
        persistence=0.0,
        base_year=base,
        method="constant",
        source="fallback",
    )[coverage.MODEL_COLUMNS]


# ------------------------------------------------------------------------------------------------
# population to arrays
# ------------------------------------------------------------------------------------------------
def population_array(population: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Sum the population over sex into an array.

    Returns (keys, P): ``keys`` holds one row per (run,) municipality_code, year in sorted order;
    ``P[i, a]`` is the population aged ``a`` (0..105) in row ``i`` (persons).
    """
    require_columns(population, POPULATION_REQUIRED, "population")
    ages = population["age"].to_numpy()
    if len(ages) and (ages.min() < 0 or ages.max() > MAX_AGE):
        raise InputError("population ages outside 0..105", key="population.age", allowed="0..105")
    if population["population"].isna().any() or (population["population"] < 0).any():
        raise InputError("population has blank or negative counts", key="population.population")
    keys = (["run"] if "run" in population.columns else []) + ["municipality_code", "year"]
    uniques, cell, n_cells = grid_codes(population, keys)
    flat = cell * AGES.size + ages
    P = np.bincount(
        flat, weights=population["population"].to_numpy(dtype=float), minlength=n_cells * AGES.size
    )
    P = P.reshape(n_cells, AGES.size)
    present = np.bincount(cell, minlength=n_cells) > 0
    grid = np.meshgrid(*[np.arange(len(u)) for u in uniques], indexing="ij")
    key_frame = pd.DataFrame({k: u[g.ravel()] for k, u, g in zip(keys, uniques, grid, strict=True)})
    return key_frame[present].reset_index(drop=True), P[present]


def _compact(codes: np.ndarray, uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop the unused values of ``uniques`` and renumber ``codes`` (both already sorted)."""
    present = np.bincount(codes, minlength=len(uniques)) > 0
    if present.all():
        return codes, uniques
    remap = np.cumsum(present) - 1
    return remap[codes], uniques[present]


def _factorize_sorted(col: pd.Series, as_text: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(codes int64, sorted uniques) of a key column, in O(n) numpy for integer and categorical
    columns (the Monte Carlo frames) and by ``pandas.factorize`` otherwise. ``as_text``: compare
    values as strings (municipality codes)."""
    values = col.to_numpy() if col.dtype.kind in "iu" else None
    if values is not None and len(values) and not as_text:
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < max(len(values), 1) * 4:
            return _compact((values - lo).astype(np.int64), np.arange(lo, hi + 1))
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = np.asarray(col.cat.categories.astype(str) if as_text else col.cat.categories)
        order = np.argsort(cats, kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        raw = col.cat.codes.to_numpy()
        if (raw < 0).any():  # missing values: let pandas report them as before
            c, u = pd.factorize(col.astype(str) if as_text else col, sort=True)
            return c.astype(np.int64), np.asarray(u)
        return _compact(rank[raw], cats[order])
    c, u = pd.factorize(col.astype(str) if as_text else col, sort=True)
    return c.astype(np.int64), np.asarray(u)


def grid_codes(frame: pd.DataFrame, keys: list[str]) -> tuple[list[np.ndarray], np.ndarray, int]:
    """Sorted unique values of each key column and each row's flat index into their product.

    Returns (uniques per key, flat cell index per row, number of cells). Municipality codes are
    compared as strings.
    """
    uniques, codes = [], []
    for k in keys:
        c, u = _factorize_sorted(frame[k], as_text=k == "municipality_code")
        uniques.append(u)
        codes.append(c)
    cell = np.zeros(len(frame), dtype=np.int64)
    for c, u in zip(codes, uniques, strict=True):
        cell = cell * len(u) + c
    return uniques, cell, int(np.prod([len(u) for u in uniques])) if uniques else 1


def shifted_rates(rate_by_age: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Use rates shifted to higher ages: r'(a) = r(a - s), linear between single ages.

    ``rate_by_age``: (n, 106) or (106,); ``shift``: (n,) years (>= 0). Ages below 0 take r(0).
    """
    r = np.broadcast_to(rate_by_age, (len(shift), AGES.size))
    x = np.clip(AGES[None, :] - shift[:, None], 0.0, float(MAX_AGE))
    i0 = np.floor(x).astype(np.int64)
    f = x - i0
    i1 = np.minimum(i0 + 1, MAX_AGE)
    return np.take_along_axis(r, i0, axis=1) * (1.0 - f) + np.take_along_axis(r, i1, axis=1) * f


def bed_rates_by_age(spec: BedService) -> tuple[np.ndarray, np.ndarray]:
    """(admissions, bed-days) per inhabitant-year for each single age 0..105."""
    adm_y, adm_o, bd_y, bd_o = (np.asarray(x, dtype=float)[..., None] for x in spec.band_rates())
    # values may be arrays over rows: (n, 106) then
    old = AGES >= np.asarray(spec.age_split.value, dtype=float)[..., None]
    return np.where(old, adm_o, adm_y), np.where(old, bd_o, bd_y)


def coverage_group_rates(
    model: pd.DataFrame, codes: Sequence[str], years: np.ndarray, damping: float
) -> dict[str, np.ndarray]:
    """{service: (len(codes), len(years), 3) users per inhabitant by KOSTRA age group} from a
    coverage model (:func:`estimate_coverage_rates`) for the given municipalities and years;
    services hjemmetjenester, langtidsopphold, heldogn_bolig. Raises InputError naming
    municipalities that the model does not cover."""
    key = np.asarray(model["municipality_code"].astype(str).to_numpy(), dtype=object)
    uniq_c = [str(c) for c in codes]
    pos = pd.Index(uniq_c).get_indexer(key)
    missing = sorted(set(uniq_c) - set(key[pos >= 0]))
    if missing:
        raise InputError(
            f"no coverage rates for municipalities {missing}",
            key="coverage_rates",
            allowed=sorted(set(key)),
        )
    base = int(np.asarray(model["base_year"])[0])
    h = np.asarray(years, dtype=np.int64) - base  # (Y,) years after the base year
    service = model["service"].to_numpy(dtype=object)
    group = model["age_group"].to_numpy(dtype=object)
    cols = {k: model[k].to_numpy(dtype=float) for k in coverage.MODEL_PATH_COLUMNS}

    def rate(s: str, g: str) -> np.ndarray:  # (C, Y)
        sel = (service == s) & (group == g) & (pos >= 0)
        path = {}
        for k, v in cols.items():
            path[k] = np.full(len(uniq_c), np.nan)
            path[k][pos[sel]] = v[sel]
        return coverage.expit(coverage.projected_logit(path, h, damping))

    home = np.stack([rate("hjemmetjenester", g) for g in AGE_GROUPS], axis=2)
    held = np.stack([rate("heldogn", g) for g in AGE_GROUPS], axis=2)
    share = rate("heldogn_split", "total")[..., None]
    out = {
        "hjemmetjenester": home,
        "langtidsopphold": held * share,
        "heldogn_bolig": held * (1.0 - share),
    }
    for s, cube in out.items():
        if not np.isfinite(cube).all():
            raise InputError(f"incomplete {s} coverage rates", key="coverage_rates")
    return out


class _ShiftedAges:
    """Population at or above an age when use rates shift to higher ages by ``shift`` years.

    With r'(a) = r(a - s) linear between single ages (:func:`shifted_rates`), a rate that steps
    up at age b contributes through ``sum_a P(a) * clip(a - s - b + 1, 0, 1)``, which is
    ``(1 - phi) * P(j + 1) + sum_{a >= j + 2} P(a)`` with ``j + phi = s + b - 1``: one gather
    from the tail sums per step instead of a shifted (…, 106) rate array per service. ``P``:
    (..., 106) persons; ``shift``: years (>= 0), broadcast against ``P[..., 0]``."""

    def __init__(self, P: np.ndarray, shift: np.ndarray) -> None:
        self.P = P
        self.shape = np.broadcast_shapes(P.shape[:-1], np.shape(shift))  # rows of the result
        self.shift = np.broadcast_to(np.asarray(shift, dtype=float), self.shape)
        self.total = P.sum(axis=-1)
        self._memo: dict[float, np.ndarray] = {}

    def _tail(self, k: np.ndarray) -> np.ndarray:
        """Persons aged ``k`` or older (``k`` integer per row, 0 above the open age): the few
        tail sums the rows need, each from the next older one."""
        n_a = self.P.shape[-1]
        hi = int(min(k.max(), n_a))
        lo = min(int(k.min()), hi)
        sums = [self.P[..., hi:].sum(axis=-1)]  # aged hi or older
        for a in range(hi - 1, lo - 1, -1):
            sums.append(sums[-1] + self.P[..., a])
        stack = np.stack(sums[::-1])  # (hi - lo + 1, ...): aged lo, lo + 1, ..., hi or older
        idx = np.minimum(k, hi) - lo
        return np.take_along_axis(stack, idx[None], axis=0)[0]

    def at_or_above(self, age: Any) -> np.ndarray:
        """Persons counted at or above ``age`` (scalar or array broadcast against the rows)."""
        b = np.ceil(np.asarray(age, dtype=float))
        if b.ndim == 0 and float(b) in self._memo:
            return self._memo[float(b)]
        top = self.P.shape[-1] - 1
        t = np.broadcast_to(self.shift + np.maximum(b, 1.0) - 1.0, self.shape)
        j = np.floor(t)
        phi = t - j
        j = j.astype(np.int64)
        nxt = np.take_along_axis(self.P, np.minimum(j + 1, top)[..., None], axis=-1)[..., 0]
        w = np.where(j + 1 <= top, (1.0 - phi) * nxt, 0.0) + self._tail(j + 2)
        w = np.where(b <= 0, self.total, w)
        if b.ndim == 0:
            self._memo[float(b)] = w
        return w

    def banded(self, bounds: Sequence[Any], rates: Sequence[Any]) -> np.ndarray:
        """sum_a P(a) r'(a) for a rate that is ``rates[g]`` from age ``bounds[g]`` (bounds[0] = 0,
        increasing) up to the next bound, shifted to higher ages."""
        out = rates[0] * self.total
        for g in range(1, len(bounds)):
            out = out + (rates[g] - rates[g - 1]) * self.at_or_above(bounds[g])
        return out


# ------------------------------------------------------------------------------------------------
# demand projection
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Demand:
    """Demand on the (run, municipality, year) grid, one array per service and measure.

    ``values``: (runs, municipalities, years, measures) with ``columns`` giving the position of
    each (service, measure) (units as in :func:`project_demand`); ``codes`` in sorted order,
    ``years`` ascending, run 0 the central run. ``with_run``: the tidy frame has a ``run``
    column. :meth:`frame` builds the tidy frame on first use.
    """

    codes: tuple[str, ...]
    years: np.ndarray
    columns: dict[tuple[str, str], int]
    values: np.ndarray
    with_run: bool
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)

    @property
    def runs(self) -> np.ndarray:
        return np.arange(self.values.shape[0], dtype=np.int64)

    def central(self) -> Demand:
        """Run 0 only (a view of the array; ``with_run`` kept, so its frame still has a ``run``
        column, all 0): the rows of the central run without building the frame of every run."""
        return Demand(self.codes, self.years, self.columns, self.values[:1], self.with_run)

    def get(self, service: str, measure: str) -> np.ndarray:
        """(runs, municipalities, years) values of one measure; InputError when absent."""
        col = self.columns.get((service, measure))
        if col is None:
            raise InputError(
                f"demand lacks {service}/{measure}",
                key="demand",
                allowed="the measures of planning.demand.project_demand",
            )
        return self.values[..., col]

    def frame(self) -> pd.DataFrame:
        """The tidy demand frame: municipality_code, year, service, measure, value[, run]."""
        if "frame" not in self._cache:
            R, M, Y, _ = self.values.shape
            keys = pd.DataFrame(
                {
                    "municipality_code": np.tile(
                        np.repeat(np.array(self.codes, dtype=object), Y), R
                    ),
                    "year": np.tile(np.asarray(self.years, dtype=np.int64), R * M),
                }
            )
            if self.with_run:
                keys.insert(0, "run", np.repeat(self.runs, M * Y))
            out = {k: self.values[..., i].reshape(-1) for k, i in self.columns.items()}
            self._cache["frame"] = _long(keys, out)
        return self._cache["frame"].copy(deep=False)


def _measures(
    P: np.ndarray,
    since: np.ndarray,
    lv: Levers,
    catalogue: ServiceCatalogue,
    group_rates: dict[str, np.ndarray],
    first_year: Any = None,
) -> dict[tuple[str, str], np.ndarray]:
    """Every demand measure from persons by single age ``P`` (..., 106), years since the
    catalogue's base year ``since`` and coverage rates by KOSTRA age group (..., 3), all
    broadcast against ``P[..., 0]``; catalogue and lever values scalars or broadcastable.
    Each service by its kind (:mod:`planning.services`; mitigators act on the demand they
    name). ``first_year(v)``: the first projected year's value of each (run,) municipality of
    ``v`` (default: years on the last axis)."""
    shift = np.asarray(lv.age_shift(since), dtype=float)
    if (shift < 0).any():
        raise InputError("healthy ageing shifts use rates to lower ages", key="levers")
    ctx = services.DemandContext(
        catalogue=catalogue,
        levers=lv,
        P=P,
        since=since,
        ages=_ShiftedAges(P, shift),
        group_rates=group_rates,
        first_year=first_year or (lambda v: v[..., :1]),
    )
    return services.project(ctx)


def _first_year_of_rows(keys: pd.DataFrame) -> Any:
    """first_year(v) for values per key row (n,): the value of each row's (run,) municipality in
    its first year."""
    cols = [c for c in ("run", "municipality_code") if c in keys.columns]
    group = keys.groupby(cols, sort=False, observed=True).ngroup().to_numpy()
    order = np.lexsort((keys["year"].to_numpy(), group))
    g_sorted = group[order]
    starts = np.r_[True, g_sorted[1:] != g_sorted[:-1]] if len(order) else np.zeros(0, bool)
    first = np.empty(int(group.max()) + 1 if len(group) else 0, dtype=np.int64)
    first[g_sorted[starts]] = order[starts]
    rows = first[group]
    return lambda v: np.broadcast_to(v, (len(keys),))[rows]


def demand_arrays(
    population: Population,
    catalogue: ServiceCatalogue,
    levers: Levers | None = None,
    coverage_rates: pd.DataFrame | None = None,
    runs: int | None = None,
) -> Demand:
    """:func:`project_demand` on the arrays of a projection, all runs at once, no tidy frames.

    Catalogue and lever values may be arrays over runs (:func:`planning.uncertainty.with_values`)
    of the population's number of runs, or of any number of runs when the population holds the
    central run only (variants that differ only in parameters share its arrays). ``runs``: the
    number of runs (0..runs-1) to give the result (default: the population's or the values');
    a result with more than one run, or with ``runs`` given, has a ``run`` column in its frame.
    Municipalities come out in sorted order. Raises InputError as :func:`project_demand`.
    """
    lv = (levers or Levers()).with_defaults(catalogue)
    order = np.argsort(np.array(population.codes, dtype=str), kind="stable")
    codes = tuple(population.codes[i] for i in order)
    P = population.by_age()
    if not np.array_equal(order, np.arange(len(order))):
        P = P[:, order]
    R = P.shape[0]
    catalogue, lv = map_run_values(catalogue, lv, lambda a: np.asarray(a).reshape(-1, 1, 1))
    sizes = {R} | {np.shape(x.value)[0] for _, x in _walk(catalogue, "") if np.ndim(x.value)}
    sizes |= {np.shape(getattr(lv, k))[0] for k in type(lv).model_fields if np.ndim(getattr(lv, k))}
    n_runs = max(sizes) if runs is None else int(runs)
    if not sizes <= {1, n_runs}:
        raise InputError(
            f"values for {sorted(sizes)} runs do not fit a population of {R} runs "
            f"and {n_runs} runs asked for",
            key="runs",
            allowed="one size of runs, or the central run and the runs",
        )
    if coverage_rates is None:
        coverage_rates = fallback_coverage_rates(catalogue, list(codes))
    years = np.asarray(population.years, dtype=np.int64)
    since = np.maximum(years - catalogue.base_year, 0).astype(float)  # (Y,)
    damping = float(np.mean(catalogue.coverage.estimation.damping.value))
    rates = coverage_group_rates(coverage_rates, codes, years, damping)  # (M, Y, 3)
    out = _measures(P, since, lv, catalogue, rates)
    shape = (n_runs, len(codes), len(years))
    columns = {k: i for i, k in enumerate(out)}
    values = np.empty((*shape, len(out)))
    for k, i in columns.items():
        values[..., i] = np.broadcast_to(out[k], shape)
    values.setflags(write=False)
    with_run = population.with_run or n_runs > 1 or runs is not None
    return Demand(codes, years, columns, values, with_run)


def project_demand(
    population: pd.DataFrame | Population,
    catalogue: ServiceCatalogue,
    levers: Levers | None = None,
    coverage_rates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Demand per municipality, year (and run) for every service in the catalogue.

    ``population``: population frame (municipality_code, year, sex, age, population[, run]) or
    the arrays of a projection (:class:`planning.population.Population`; then
    :func:`demand_arrays`, whose frame this returns).
    ``coverage_rates``: the coverage model from :func:`estimate_coverage_rates` (default:
    constant catalogue fallbacks).
    Measures (value units): hjemmetjenester/langtidsopphold/heldogn_bolig users (persons) and
    fte (FTE), langtidsopphold/heldogn_bolig places (users / occupancy; heldøgn in total is
    their sum);
    kad/intermediaer admissions and bed_days (per year); helsestasjon births and children_0_5;
    skolehelsetjeneste pupils_barneskole/_ungdomsskole/_vgs; jordmor births; kommuneoverlege,
    legevakt, fastlege population; brukerkontor cases (per year). Births are approximated by the
    population aged 0 on 1 January. Levers act from ``catalogue.base_year`` on.
    """
    if isinstance(population, Population):
        return demand_arrays(population, catalogue, levers, coverage_rates).frame()
    lv = (levers or Levers()).with_defaults(catalogue)
    keys, P = population_array(population)
    if len(keys) == 0:
        raise InputError("population frame is empty", key="population")
    if "run" in keys.columns:  # values may be arrays over runs: index them by each row's run
        row_run = keys["run"].to_numpy(dtype=np.int64)
        catalogue, lv = map_run_values(catalogue, lv, lambda a: a[row_run])
    codes = keys["municipality_code"].astype(str).to_numpy()
    years = keys["year"].to_numpy(dtype=np.int64)
    if coverage_rates is None:
        coverage_rates = fallback_coverage_rates(catalogue, sorted(set(codes)))
    since = np.maximum(years - catalogue.base_year, 0).astype(float)
    damping = float(np.mean(catalogue.coverage.estimation.damping.value))
    uniq_c, inv_c = np.unique(codes, return_inverse=True)
    uniq_y, inv_y = np.unique(years, return_inverse=True)
    cubes = coverage_group_rates(coverage_rates, list(uniq_c), uniq_y, damping)
    rates = {s: cube[inv_c, inv_y] for s, cube in cubes.items()}  # (n, 3)
    out = _measures(P, since, lv, catalogue, rates, _first_year_of_rows(keys))
    n = len(keys)
    return _long(keys, {k: np.broadcast_to(v, (n,)) for k, v in out.items()})


def labels_column(words: list[str], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A 'str' column from integer ``codes`` into ``words`` (Arrow take: fast for many rows)."""
    return pd.array(pa.array(words, type=pa.large_string()).take(pa.array(codes)), dtype="str")


def _long(keys: pd.DataFrame, out: dict[tuple[str, str], np.ndarray]) -> pd.DataFrame:
    """Stack {(service, measure): values per key row} into the tidy demand frame."""
    n, m = len(keys), len(out)
    services = list(dict.fromkeys(s for s, _ in out))
    measures = list(dict.fromkeys(me for _, me in out))
    s_idx = np.repeat(np.array([services.index(s) for s, _ in out], dtype=np.int32), n)
    m_idx = np.repeat(np.array([measures.index(me) for _, me in out], dtype=np.int32), n)
    c_codes, c_words = pd.factorize(keys["municipality_code"].astype(str))
    frame = pd.DataFrame(
        {
            "municipality_code": labels_column(list(c_words), np.tile(c_codes.astype(np.int32), m)),
            "year": np.tile(keys["year"].to_numpy(dtype=np.int64), m),
            "service": labels_column(services, s_idx),
            "measure": labels_column(measures, m_idx),
            "value": np.concatenate(list(out.values())),
        }
    )
    if "run" in keys.columns:
        frame["run"] = np.tile(keys["run"].to_numpy(dtype=np.int64), m)
    return frame
