"""Population projection by municipality, year, sex and single-year age (0..105+).

Two methods, selected by name:

``cohort-component`` (default; the method of SSB's regional projections)
    Each year, the 1 January population ages by one year with survival from UN WPP 2024 death
    rates (five-year ages interpolated to single ages, calendar years interpolated between period
    mid-points, so mortality improves as WPP projects). Births come from WPP's single-age
    fertility schedule times each municipality's calibrated level (age-0 counts relative to the
    expected births of its women over the base window, shrunk toward its county). Net migration
    by sex and age is estimated with the residual method over the base window, as a rate per
    person of the origin cohort: whole years are trimmed (the highest and lowest total net
    migration years are dropped, which removes the 2022-2023 refugee spike), rates are smoothed
    over age and the age profile is shrunk toward that of Norwegian municipalities of similar
    size; the level (total net migration rate) is pooled toward theirs with empirical-Bayes
    weights estimated from the base window. 105+ is an open age group.

``hamilton-perry``
    Cohort change ratios P(a+1, t+1) / P(a, t) and child-woman ratios from the base window,
    applied unchanged: a simple reference.

Variants follow SSB's letters: fertility, life expectancy, migration (``"MMM"``, ``"LML"``,
``"HHH"``); their numeric meaning is in ``data/demography.yaml`` and docs/demography.md.
Monte Carlo runs (``runs=N``) draw the component levels from their year-to-year spread in the base
window and add demographic noise (Poisson births and net migration, binomial deaths); run 0 is
the central run. All settings come from ``data/demography.yaml`` (every value with its source).

The core works on arrays shaped (runs, municipalities, sex, age) with a loop over projection years
only (Monte Carlo runs in fixed blocks with their own spawned generators, on threads); calibrated
inputs are cached per base year for all municipalities at once.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from scipy.interpolate import PchipInterpolator
from scipy.ndimage import gaussian_filter1d

from planning import data
from planning.errors import DataError, InputError, suggest
from planning.limits import check_projection

SEXES = ("female", "male")
N_AGES = data.MAX_AGE + 1  # ages 0..105, 105 = 105+ (SSB 07459)
METHODS = ("cohort-component", "hamilton-perry")
LETTERS = ("L", "M", "H")
MAX_END_YEAR = 2100  # last year of the WPP 2024 projection tables
FERTILE_AGES = (15, 49)  # child-woman ratio denominator (Hamilton-Perry); standard definition
SETTINGS_FILE = "demography.yaml"


# --------------------------------------------------------------------------------------------
# settings (data/demography.yaml)
# --------------------------------------------------------------------------------------------
class _Value(BaseModel):
    model_config = ConfigDict(extra="allow")
    value: float
    unit: str
    source: str
    status: str


class _Letters(BaseModel):
    model_config = ConfigDict(extra="allow")
    L: float
    M: float
    H: float
    unit: str
    source: str
    status: str


class _Variants(BaseModel):
    fertility: _Letters
    fertility_ramp_years: _Value
    life_expectancy: _Letters
    migration: _Letters


class _Derived(BaseModel):
    model_config = ConfigDict(extra="allow")
    method: str
    source: str
    status: str


class _MortalityLevel(_Derived):
    from_age: _Value


class _MonteCarlo(BaseModel):
    fertility_offset_sd: _Value
    mortality_improvement_sd: _Value
    national_migration_change: _Derived
    municipal_mortality_level: _MortalityLevel


class _MigrationReference(BaseModel):
    model_config = ConfigDict(extra="allow")
    pool: str
    size_bandwidth: _Value


class _Dependency(BaseModel):
    model_config = ConfigDict(extra="allow")
    working_ages: tuple[int, int]
    old_ages: int
    source: str
    status: str


class _LevelPooling(BaseModel):
    model_config = ConfigDict(extra="allow")
    method: str
    max_yearly_rate: _Value


class Settings(BaseModel):
    """Projection settings from ``data/demography.yaml`` (every value with unit, source, status)."""

    model_config = ConfigDict(extra="forbid")
    open_age: _Value
    base_window: _Value
    trim_share: _Value = Field(description="share of window years trimmed at each end")
    age_smoothing_sd: _Value
    migration_shrinkage_population: _Value
    migration_reference: _MigrationReference
    migration_level_pooling: _LevelPooling
    fertility_prior_births: _Value
    birth_exposure_years: _Value
    variants: _Variants
    monte_carlo: _MonteCarlo
    old_age_dependency: _Dependency


_CACHED_FOR: list[str] = []  # the data folder the caches below were filled from


def clear_cache() -> None:
    """Forget cached settings, tables and calibrations (after the data folder changed)."""
    for f in (
        settings,
        _cube,
        _mortality_table,
        _fertility_table,
        _migration_intensity,
        _boy_share,
        _national_migration_change_sd,
        _calibrate,
    ):
        f.cache_clear()
    _CACHED_FOR[:] = [str(data.data_dir())]


def _fresh() -> None:
    """Clear the caches when the data folder in use (VAERNES_DATA_DIR) has changed."""
    if _CACHED_FOR != [str(data.data_dir())]:
        clear_cache()


@functools.lru_cache(maxsize=1)
def settings() -> Settings:
    """The validated projection settings (cached)."""
    raw = data.load_yaml(SETTINGS_FILE)
    try:
        s = Settings.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        raise DataError(
            f"invalid settings: {err['msg']}",
            file=data.data_dir() / SETTINGS_FILE,
            key=".".join(str(p) for p in err["loc"]),
        ) from None
    if int(s.open_age.value) != data.MAX_AGE:
        raise DataError(
            "open_age must match the population data",
            file=SETTINGS_FILE,
            key="open_age",
            allowed=data.MAX_AGE,
        )
    if not 0 <= s.trim_share.value < 0.5:
        raise DataError("trim_share must be in [0, 0.5)", file=SETTINGS_FILE, key="trim_share")
    return s


def assumptions() -> list[str]:
    """Names of the settings in data/demography.yaml whose status is an assumption (shown to
    users next to results)."""
    out: list[str] = []

    def walk(node: object, path: str) -> None:
        if not isinstance(node, dict):
            return
        if path and "assumption" in str(node.get("status", "")):
            out.append(path)
        for key, val in node.items():
            walk(val, f"{path}.{key}" if path else str(key))

    walk(data.load_yaml(SETTINGS_FILE), "")
    return out


# --------------------------------------------------------------------------------------------
# cached inputs: observed population cube, WPP single-age tables
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Cube:
    codes: tuple[str, ...]  # municipality codes, sorted
    years: np.ndarray  # observed years (int)
    pop: np.ndarray  # persons, shape (year, municipality, sex, age)
    county: np.ndarray  # county index per municipality
    n_counties: int


@functools.lru_cache(maxsize=1)
def _cube() -> _Cube:
    df = data.load_population()
    codes, m_idx = np.unique(df["municipality_code"].to_numpy(dtype=str), return_inverse=True)
    years, y_idx = np.unique(df["year"].to_numpy(), return_inverse=True)
    s_idx = (df["sex"].to_numpy(dtype=str) == "male").astype(np.int64)
    a_idx = df["age"].to_numpy()
    pop = np.zeros((len(years), len(codes), 2, N_AGES))
    pop[y_idx, m_idx, s_idx, a_idx] = df["population"].to_numpy(dtype=float)
    mun = data.load_municipalities().set_index("municipality_code")["county_code"]
    county_codes = mun.reindex(codes).fillna("unknown").to_numpy(dtype=str)
    _, county = np.unique(county_codes, return_inverse=True)
    pop.setflags(write=False)
    return _Cube(
        tuple(str(c) for c in codes), years.astype(int), pop, county, int(county.max()) + 1
    )


@functools.lru_cache(maxsize=1)
def _mortality_table() -> tuple[np.ndarray, np.ndarray]:
    """Single-age death rates: (years 1950..2100, log mx[year, sex, age]) from WPP 2024.

    Five-year groups are interpolated over age with a monotone cubic (PCHIP) through log mx at the
    group mid-points (age 0 taken as is, linear extrapolation in log beyond 102.5), and over
    calendar time linearly in log mx between period mid-points (period start + 2.5).
    """
    m = data.load_mortality()
    starts = np.array(sorted(m["age_start"].unique()))
    periods = np.array(sorted(m["period_start"].unique()))
    if starts[0] != 0 or starts[1] != 1 or 100 not in starts:
        raise DataError(
            "mortality ages must be 0, 1, 5, ..., 100+", file="wpp_mortality.csv", key="age_start"
        )
    table = m.pivot_table(
        index=["period_start", "sex"], columns="age_start", values="mx", observed=True
    )
    try:
        table = table.reindex(pd.MultiIndex.from_product([periods, SEXES])).reindex(columns=starts)
    except (KeyError, ValueError):
        raise DataError("mortality table is not complete", file="wpp_mortality.csv") from None
    if table.isna().any().any():
        raise DataError("mortality table has gaps (period × sex × age)", file="wpp_mortality.csv")
    logmx = np.log(table.to_numpy().reshape(len(periods), 2, len(starts)))
    ends = np.append(starts[1:], starts[-1] + 5)  # 100+ treated as 100..105 for its mid-point
    mids = (starts[1:] + ends[1:]) / 2.0  # groups from age 1
    ages = np.arange(1, N_AGES) + 0.5  # mid-point of each single age
    inner = PchipInterpolator(mids, logmx[..., 1:], axis=-1, extrapolate=False)(
        np.minimum(ages, mids[-1])
    )
    slope = (logmx[..., -1] - logmx[..., -2]) / (mids[-1] - mids[-2])
    beyond = np.clip(ages - mids[-1], 0.0, None)
    single = np.empty((len(periods), 2, N_AGES))
    single[..., 0] = logmx[..., 0]
    single[..., 1:] = inner + slope[..., None] * beyond
    single[..., 1:] = np.where(
        ages < mids[0], logmx[..., 1:2], single[..., 1:]
    )  # ages 1..2: group 1-4
    years = np.arange(1950, MAX_END_YEAR + 1)
    t = years + 0.5  # mid-point of the year's interval
    pos = np.clip((t - (periods[0] + 2.5)) / 5.0, 0.0, len(periods) - 1.0)
    lo = np.minimum(pos.astype(int), len(periods) - 2)
    frac = (pos - lo)[:, None, None]
    out = single[lo] * (1 - frac) + single[lo + 1] * frac
    out.setflags(write=False)
    return years, out


@functools.lru_cache(maxsize=1)
def _fertility_table() -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Single-age fertility from WPP 2024: (years, asfr[year, age] births per woman-year,
    tfr[year], last estimate year). Five-year rates are split into single ages by a monotone
    cubic through the cumulative schedule, which keeps each group's births exactly."""
    f = data.load_fertility()
    table = f.pivot_table(
        index="year", columns="age_start", values="asfr", observed=True
    ).sort_index()
    if table.isna().any().any():
        raise DataError("fertility table has gaps (year × age)", file="wpp_fertility.csv")
    years = table.index.to_numpy(dtype=int)
    starts = table.columns.to_numpy(dtype=int)
    cum = np.concatenate(
        [np.zeros((len(years), 1)), np.cumsum(5.0 * table.to_numpy(), axis=1)], axis=1
    )
    bounds = np.append(starts, starts[-1] + 5)
    grid = np.arange(bounds[0], bounds[-1] + 1)
    cum_single = PchipInterpolator(bounds, cum, axis=1)(grid)
    asfr = np.zeros((len(years), N_AGES))
    asfr[:, grid[:-1]] = np.clip(np.diff(cum_single, axis=1), 0.0, None)
    tfr = asfr.sum(axis=1)
    if "estimate_type" in f.columns:
        est = f.loc[f["estimate_type"].astype(str) == "estimate", "year"]
        last_est = int(est.max()) if len(est) else int(years[0])
    else:
        last_est = int(years[-1])
    asfr.setflags(write=False)
    return years, asfr, tfr, last_est


def _logmx(years: np.ndarray) -> np.ndarray:
    ty, table = _mortality_table()
    idx = np.clip(np.asarray(years) - ty[0], 0, len(ty) - 1)
    return table[idx]


def _survival(logmx: np.ndarray) -> np.ndarray:
    """Probability of surviving one calendar year for those aged a on 1 January, from single-age
    log death rates (..., sex, age): exp(-(mx_a + mx_{a+1}) / 2) (Lexis parallelogram), and
    exp(-mx_105) for the open group. Always in (0, 1]."""
    mx = np.exp(logmx)
    s = np.empty_like(mx)
    s[..., :-1] = np.exp(-0.5 * (mx[..., :-1] + mx[..., 1:]))
    s[..., -1] = np.exp(-mx[..., -1])
    return s


def _newborn_survival(logmx: np.ndarray) -> np.ndarray:
    """Survival from birth to 1 January (..., sex): births spread evenly over the year."""
    h = settings().birth_exposure_years.value  # years; data/demography.yaml (assumption)
    return np.exp(-h * np.exp(logmx[..., 0]))


@functools.lru_cache(maxsize=1)
def _migration_intensity() -> np.ndarray:
    """Relative migration intensity by (sex, single age): |net migration| per person in Norway,
    from WPP 2024's projected net migration by five-year age (first period) and the latest
    observed population of Norway (SSB 07459), smoothed over age; population mean 1."""
    m = data.load_migration_age_profile()
    first = m[m["period_start"] == m["period_start"].min()]
    nor = data.load_population_norway()
    nor = nor[nor["year"] == nor["year"].max()]
    out = np.zeros((2, N_AGES))
    pop = np.zeros((2, N_AGES))
    for si, sex in enumerate(SEXES):
        f = first[first["sex"] == sex].sort_values("age_start")
        starts = f["age_start"].to_numpy(dtype=int)
        grp = np.searchsorted(starts, np.arange(N_AGES), side="right") - 1
        ps = nor[nor["sex"] == sex].sort_values("age")["population"].to_numpy(dtype=float)
        grp_pop = np.bincount(grp, weights=ps, minlength=len(starts))
        per = np.divide(
            np.abs(f["net_migration"].to_numpy(dtype=float)),
            grp_pop,
            out=np.zeros(len(starts)),
            where=grp_pop > 0,
        )
        out[si] = per[grp]
        pop[si] = ps
    out = gaussian_filter1d(out, settings().age_smoothing_sd.value, axis=-1, mode="nearest")
    out /= (out * pop).sum() / pop.sum()
    out.setflags(write=False)
    return out


def _exposure(women: np.ndarray) -> np.ndarray:
    """Woman-years by age last birthday during the year from 1 January counts (..., age):
    half of those aged a and half of those aged a-1 on 1 January."""
    e = 0.5 * women
    e[..., 1:] += 0.5 * women[..., :-1]
    return e


@functools.lru_cache(maxsize=8)
def _boy_share(base_year: int) -> float:
    """Share of boys among newborns: age-0 population of Norway (SSB 07459) in the ten years up
    to the base year."""
    nor = data.load_population_norway()
    sel = nor[(nor["age"] == 0) & (nor["year"] <= base_year) & (nor["year"] > base_year - 10)]
    if sel.empty:
        raise DataError(
            "no age-0 population of Norway before the base year", file="population_norway.parquet"
        )
    boys = sel.loc[sel["sex"] == "male", "population"].sum()
    return float(boys / sel["population"].sum())


# --------------------------------------------------------------------------------------------
# calibration over the base window (all municipalities at once, cached per base year)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Calibration:
    """Calibrated inputs for all municipalities for one base year (arrays indexed like _Cube.codes)."""

    base_year: int
    window: tuple[int, int]  # first and last 1 January of the transitions used (t -> t+1)
    fertility_level: np.ndarray  # (m,) multiplier of the national schedule
    fertility_sd: np.ndarray  # (m,) sd of the log level (year-to-year, beyond Poisson)
    migration_rate: (
        np.ndarray
    )  # (m, sex, age) net migrants per person of the origin cohort per year
    migration_profile: np.ndarray  # (m, sex, age) age profile of level changes, population mean 1
    migration_level: np.ndarray  # (m,) pooled net migration level, per person per year
    migration_sd: np.ndarray  # (m,) sd of the yearly total net migration rate
    ccr: np.ndarray  # (m, sex, age) Hamilton-Perry cohort change ratios (origin age)
    cwr: np.ndarray  # (m, sex) children aged 0 per woman 15-49 a year earlier
    boy_share: float
    migration_level_own: np.ndarray  # (m,) trimmed window mean of the own yearly rate
    migration_level_weight: np.ndarray  # (m,) weight of the own level in the pooled level
    national_migration_change_sd: float  # per person per year; see _national_migration_change_sd
    old_age_level_sd: float  # sd of municipal log mortality levels around the national rates


def _window(base_year: int) -> np.ndarray:
    cube = _cube()
    n = int(settings().base_window.value)  # data/demography.yaml (assumption)
    first = max(int(cube.years[0]), base_year - n)
    return np.arange(first, base_year)  # transitions t -> t+1 with t+1 <= base_year


def _check_base_year(base_year: int) -> int:
    years = _cube().years
    lo, hi = int(years[0]) + 2, int(years[-1])
    if not isinstance(base_year, int | np.integer) or not lo <= int(base_year) <= hi:
        raise InputError(
            f"base year {base_year} outside the data (the base window needs at least two observed years before it)",
            key="base_year",
            allowed=f"{lo}..{hi}",
        )
    return int(base_year)


def _shift(x: np.ndarray) -> np.ndarray:
    """Move a quantity indexed by origin age (…, age) to the age one year older; 105+ is open."""
    out = np.empty_like(x)
    out[..., 0] = 0.0
    out[..., 1:] = x[..., :-1]
    out[..., -1] += x[..., -1]
    return out


def _size_kernel(mean_pop: np.ndarray, bandwidth: float) -> np.ndarray:
    """Weights (m, j) of municipality j in the migration reference of municipality m: a Gaussian
    kernel in log mean population (persons) with sd ``bandwidth`` (natural-log units), so that
    municipalities of similar size (and so similar centrality) dominate."""
    lp = np.log(np.maximum(mean_pop, 1.0))
    return np.exp(-0.5 * ((lp[:, None] - lp[None, :]) / bandwidth) ** 2)


def _by_county(x: np.ndarray, county: np.ndarray, n: int) -> np.ndarray:
    """Sum over municipalities of each county, returned per municipality (first axis)."""
    sums = np.zeros((n, *x.shape[1:]))
    np.add.at(sums, county, x)
    return sums[county]


def _survivor_residual(
    p0: np.ndarray, p1: np.ndarray, surv: np.ndarray, from_age: int
) -> np.ndarray:
    """Residual net migration of those aged ``from_age``+ on 1 January (persons, summed over sex
    and age; leading axes kept): observed a year later at ``from_age`` + 1 and over, minus the
    expected survivors. Populations (..., sex, age) on 1 January t and t+1; ``surv`` survival."""
    observed = p1[..., from_age + 1 :].sum(axis=(-2, -1))
    return observed - (p0 * surv)[..., from_age:].sum(axis=(-2, -1))


def border_breaks(totals: np.ndarray) -> np.ndarray:
    """Municipalities whose total population (year, municipality) is empty or changes by more
    than ``max_yearly_rate`` (data/demography.yaml) in any one year: boundary changes and breaks
    in the back series mapped onto 2024 borders, not demography (bool per municipality)."""
    bound = settings().migration_level_pooling.max_yearly_rate.value
    prev, cur = totals[:-1], totals[1:]
    return ((prev <= 0) | (np.abs(cur - prev) > bound * prev)).any(axis=0)


@functools.lru_cache(maxsize=8)
def _national_migration_change_sd(base_year: int) -> float:
    """How much Norway's net migration level moves from one decade to the next (per person per
    year): root mean square of the change between the mean yearly net migration rate of ten
    years and of the ten years before them, over all such pairs in Norway's population up to
    the base year (SSB 07459, 1986-, residual method with the WPP survival used here).

    National immigration moves every municipality's migration at once (the 2007-2015 labour
    immigration, its fall after 2016): the Monte Carlo runs draw one common shift of this size
    for all municipalities, so that regional totals get honest bands."""
    nor = data.load_population_norway()
    years = np.arange(int(nor["year"].min()), base_year + 1)
    cube = np.zeros((len(years), 2, N_AGES))
    sel = nor[nor["year"].between(years[0], base_year)]
    cube[
        sel["year"].to_numpy() - years[0],
        (sel["sex"].to_numpy(dtype=str) == "male").astype(int),
        sel["age"].to_numpy(),
    ] = sel["population"].to_numpy(dtype=float)
    p0, p1 = cube[:-1], cube[1:]
    rate = _survivor_residual(p0, p1, _survival(_logmx(years[:-1])), 0) / p0.sum(axis=(1, 2))
    n = int(settings().base_window.value)  # the same ten years as the municipal window
    changes = [
        rate[i + n : i + 2 * n].mean() - rate[i : i + n].mean()
        for i in range(len(rate) - 2 * n + 1)
    ]
    if not changes:
        raise DataError(
            f"Norway's population has fewer than {2 * n + 1} years up to {base_year}",
            file="population_norway.parquet",
        )
    return float(np.sqrt(np.mean(np.square(changes))))


def _old_age_level_sd(p0: np.ndarray, p1: np.ndarray, surv: np.ndarray, deaths_from: int) -> float:
    """Spread of municipalities' old-age mortality levels around the national rates: the
    between-municipality standard deviation, beyond Poisson noise, of the ratio of observed
    losses (deaths plus net out-migration, by the residual method) to expected deaths at ages
    ``deaths_from``+ over the base window; a random-effects moment estimate weighted by expected
    deaths. Populations (t, m, sex, age) on 1 January t and t+1; ``surv`` national survival.
    Municipalities with boundary changes (a one-year change above ``max_yearly_rate``) or fewer
    than 20 expected deaths are left out. The central projection keeps national rates (SSB 07459
    has no municipal deaths); the Monte Carlo runs draw a level per municipality from this."""
    expected_deaths = (p0 * (1.0 - surv))[..., deaths_from:].sum(axis=(0, 2, 3))
    losses = expected_deaths - _survivor_residual(p0, p1, surv, deaths_from).sum(axis=0)
    totals = np.concatenate([p0.sum(axis=(2, 3)), p1[-1:].sum(axis=(2, 3))])  # (t + 1, m)
    ok = (expected_deaths > 20.0) & ~border_breaks(totals)  # 20: rough Poisson sd < 25 %
    if ok.sum() < 3:
        return 0.0
    e, r = expected_deaths[ok], losses[ok] / expected_deaths[ok]
    w = e / e.sum()
    mean = float((w * r).sum())
    tau2 = float((w * (r - mean) ** 2).sum() - (w * np.maximum(r, 0.0) / e).sum())
    return float(np.sqrt(max(tau2, 0.0)))


def _pool_level(
    yearly_rate: np.ndarray,
    p_tot: np.ndarray,
    nm_tot: np.ndarray,
    kernel: np.ndarray,
    kept_nm: np.ndarray,
    kept_pop: np.ndarray,
    own_level: np.ndarray,
    n_kept: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Empirical-Bayes (James-Stein) pooling of each municipality's net migration level toward
    that of municipalities of similar size: (pooled level (m,), weight of the own level (m,)).

    Own level: the trimmed window mean of the yearly total net migration rate (per person per
    year); its sampling variance s2/n from the year-to-year spread. Reference level: the same for
    the size kernel of the age profile. The variance tau2 of the *persistent* part of the
    deviations from the reference is the covariance, across municipalities, of the mean deviation
    in the first and in the second half of the window (noise in the two halves is independent, a
    persistent level shows in both). Weight of the own level: tau2 / (tau2 + s2/n).
    """
    ref_pop = p_tot @ kernel.T  # (t, m)
    ref_yearly = np.divide(nm_tot @ kernel.T, ref_pop, out=np.zeros_like(nm_tot), where=ref_pop > 0)
    ref_den = kernel @ kept_pop
    ref_level = np.divide(kernel @ kept_nm, ref_den, out=np.zeros_like(ref_den), where=ref_den > 0)
    n_years = len(yearly_rate)
    if n_years < 2:
        return own_level, np.ones_like(own_level)
    half = n_years // 2
    dev = yearly_rate - ref_yearly
    first, second = dev[:half].mean(axis=0), dev[n_years - half :].mean(axis=0)
    # boundary changes (e.g. Aure and Tustna 2006) show as huge one-year "migration": left out
    bound = settings().migration_level_pooling.max_yearly_rate.value  # data/demography.yaml
    ok = (np.abs(yearly_rate) < bound).all(axis=0) & (p_tot > 0).all(axis=0)
    if ok.sum() < 3:
        return own_level, np.ones_like(own_level)
    tau2 = max(float(np.cov(first[ok], second[ok])[0, 1]), 1e-12)
    sampling = yearly_rate.var(axis=0, ddof=1) / max(n_kept, 1)
    weight = tau2 / (tau2 + sampling)
    return weight * own_level + (1.0 - weight) * ref_level, weight


def calibrate(base_year: int) -> Calibration:
    """Estimate fertility levels, migration rates and cohort change ratios for every
    municipality from observed populations up to ``base_year`` only (cached per base year)."""
    _fresh()
    return _calibrate(_check_base_year(base_year))


@functools.lru_cache(maxsize=16)
def _calibrate(base_year: int) -> Calibration:
    s = settings()
    cube = _cube()
    win = _window(base_year)
    yi = win - cube.years[0]
    p0 = cube.pop[yi]  # (t, m, sex, age) on 1 January t
    p1 = cube.pop[yi + 1]  # 1 January t+1
    logmx = _logmx(win)  # (t, sex, age)
    surv = _survival(logmx)[:, None]  # (t, 1, sex, age)

    # --- residual net migration, by origin age (t, m, sex, age)
    expected = p0 * surv
    nm = np.empty_like(p0)
    nm[..., :-2] = p1[..., 1:-1] - expected[..., :-2]
    open_nm = p1[..., -1] - expected[..., -2] - expected[..., -1]
    open_pop = p0[..., -2] + p0[..., -1]
    open_rate = np.divide(open_nm, open_pop, out=np.zeros_like(open_nm), where=open_pop > 0)
    nm[..., -2] = open_rate * p0[..., -2]
    nm[..., -1] = open_rate * p0[..., -1]
    nm_tot = nm.sum(axis=(2, 3))  # (t, m)
    p_tot = p0.sum(axis=(2, 3))
    yearly_rate = np.divide(nm_tot, p_tot, out=np.zeros_like(nm_tot), where=p_tot > 0)

    # whole-year trimming per municipality (robust to single odd years such as 2022-2023)
    n_years = len(win)
    k = int(np.floor(s.trim_share.value * n_years))  # data/demography.yaml (assumption)
    rank = np.argsort(np.argsort(yearly_rate, axis=0, kind="stable"), axis=0, kind="stable")
    keep = ((rank >= k) & (rank < n_years - k)).astype(float)  # (t, m)
    num = np.einsum("tm,tmsa->msa", keep, nm)
    den = np.einsum("tm,tmsa->msa", keep, p0)
    sd_age = s.age_smoothing_sd.value  # years; data/demography.yaml (assumption)

    def smooth_rate(n_: np.ndarray, d_: np.ndarray) -> np.ndarray:
        n_s = gaussian_filter1d(n_, sd_age, axis=-1, mode="nearest")
        d_s = gaussian_filter1d(d_, sd_age, axis=-1, mode="nearest")
        return np.divide(n_s, d_s, out=np.zeros_like(n_s), where=d_s > 1e-9)

    own = smooth_rate(num, den)
    den_tot = den.sum(axis=(1, 2))
    level = np.divide(num.sum(axis=(1, 2)), den_tot, out=np.zeros(len(den_tot)), where=den_tot > 0)
    mean_pop = den_tot / max(n_years - 2 * k, 1)
    # reference age profile: all Norwegian municipalities of similar size (kernel in log population)
    kernel = _size_kernel(mean_pop, s.migration_reference.size_bandwidth.value)  # (m, m)
    reference = smooth_rate(
        np.einsum("mj,jsa->msa", kernel, num), np.einsum("mj,jsa->msa", kernel, den)
    )
    big_k = s.migration_shrinkage_population.value  # persons; data/demography.yaml (assumption)
    w = (mean_pop / (mean_pop + big_k))[:, None, None]
    rate = w * own + (1 - w) * reference
    # age profile of level changes: Norway's net migration by age (WPP 2024, absolute values per
    # person); mostly children and young adults, zero from 80
    intensity = _migration_intensity()[None]
    norm = np.divide(
        (intensity * den).sum(axis=(1, 2)), den_tot, out=np.ones(len(den_tot)), where=den_tot > 0
    )
    profile = intensity / np.where(norm > 0, norm, 1.0)[:, None, None]  # mean 1 over the population
    implied = np.divide(
        (rate * den).sum(axis=(1, 2)), den_tot, out=np.zeros(len(den_tot)), where=den_tot > 0
    )
    own_level = level
    level, level_weight = _pool_level(
        yearly_rate,
        p_tot,
        nm_tot,
        kernel,
        num.sum(axis=(1, 2)),
        den_tot,
        own_level,
        n_years - 2 * k,
    )
    # shift the rates to the municipality's pooled level (spread over ages by ``profile``)
    rate = rate + (level - implied)[:, None, None] * profile
    rate = np.maximum(rate, -surv[-1, 0])  # no more leave than survive
    migration_sd = yearly_rate.std(axis=0, ddof=1) if n_years > 1 else np.zeros(len(level))

    # --- fertility level: observed births (age 0 a year later) vs the national schedule
    fy, asfr, _, _ = _fertility_table()
    f_nat = asfr[np.clip(win - fy[0], 0, len(fy) - 1)]  # (t, age)
    births_exp = (f_nat[:, None, :] * _exposure(p0[:, :, 0, :])).sum(axis=-1)  # (t, m)
    sb = _newborn_survival(logmx)  # (t, sex)
    births_obs = (p1[..., 0] / sb[:, None, :]).sum(axis=-1)  # (t, m)
    o, e = births_obs.sum(axis=0), births_exp.sum(axis=0)
    o_c = _by_county(o, cube.county, cube.n_counties)
    e_c = _by_county(e, cube.county, cube.n_counties)
    k_c = np.divide(o_c, e_c, out=np.ones_like(o_c), where=e_c > 0)
    prior = s.fertility_prior_births.value  # expected births; data/demography.yaml (assumption)
    k_m = (o + prior * k_c) / (e + prior)
    ratio = np.divide(births_obs, births_exp, out=np.zeros_like(births_obs), where=births_exp > 0)
    var_year = ratio.var(axis=0, ddof=1) if n_years > 1 else np.zeros(len(k_m))
    poisson = np.mean(
        np.divide(k_m, births_exp, out=np.zeros_like(births_exp), where=births_exp > 0), axis=0
    )
    fert_sd = np.sqrt(np.clip(var_year - poisson, 0.0, None)) / np.maximum(k_m, 1e-9)

    # --- Hamilton-Perry ratios over the same window (all years, as in the classic method)
    p0s, p1s = p0.sum(axis=0), p1.sum(axis=0)
    dest = np.empty_like(p0s)
    dest[..., :-2] = p1s[..., 1:-1]
    open_den = p0s[..., -2] + p0s[..., -1]
    open_ccr = np.divide(p1s[..., -1], open_den, out=np.zeros_like(open_den), where=open_den > 0)
    ccr = np.divide(dest, p0s, out=np.zeros_like(p0s), where=p0s > 0)
    ccr[..., -2] = open_ccr
    ccr[..., -1] = open_ccr
    women = p0s[:, 0, FERTILE_AGES[0] : FERTILE_AGES[1] + 1].sum(axis=-1)
    cwr = np.divide(
        p1s[..., 0], women[:, None], out=np.zeros_like(p1s[..., 0]), where=women[:, None] > 0
    )

    for a in (k_m, fert_sd, rate, profile, level, migration_sd, ccr, cwr, own_level, level_weight):
        a.setflags(write=False)
    return Calibration(
        base_year=base_year,
        window=(int(win[0]), int(win[-1])),
        fertility_level=k_m,
        fertility_sd=fert_sd,
        migration_rate=rate,
        migration_profile=profile,
        migration_level=level,
        migration_sd=migration_sd,
        ccr=ccr,
        cwr=cwr,
        boy_share=_boy_share(base_year),
        migration_level_own=own_level,
        migration_level_weight=level_weight,
        national_migration_change_sd=_national_migration_change_sd(base_year),
        old_age_level_sd=_old_age_level_sd(
            p0, p1, surv, int(s.monte_carlo.municipal_mortality_level.from_age.value)
        ),
    )


# --------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------
def _parse_variant(variant: str) -> tuple[str, str, str]:
    v = str(variant).strip().upper()
    if len(v) != 3 or any(c not in LETTERS for c in v):
        raise InputError(
            f"unknown variant '{variant}': three letters for fertility, life expectancy and migration",
            key="variant",
            allowed="L/M/H for each, e.g. MMM, LML, HHH",
        )
    return v[0], v[1], v[2]


def _check_method(method: str) -> str:
    m = str(method).strip().lower()
    if m not in METHODS:
        raise InputError(
            f"unknown method '{method}'.{suggest(m, METHODS)}", key="method", allowed=METHODS
        )
    return m


def _resolve(municipalities: str | Iterable[str]) -> tuple[list[str], np.ndarray]:
    codes = data.resolve_municipalities(municipalities)
    cube = _cube()
    index = {c: i for i, c in enumerate(cube.codes)}
    missing = [c for c in codes if c not in index]
    if missing:
        raise InputError(
            f"no population data for municipality {missing[0]}.{suggest(missing[0], cube.codes)}",
            key="municipalities",
            allowed="codes in population.parquet",
        )
    return codes, np.array([index[c] for c in codes], dtype=int)


# --------------------------------------------------------------------------------------------
# projection
# --------------------------------------------------------------------------------------------
def project_array(
    municipalities: str | Iterable[str],
    base_year: int = 2026,
    end_year: int = 2050,
    method: str = "cohort-component",
    variant: str = "MMM",
    runs: int = 0,
    seed: int | None = None,
    *,
    births: bool = True,
    deaths: bool = True,
    migration: bool = True,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The projection as an array: (codes, years, population[run, municipality, year, sex, age]).

    See :func:`project` for the arguments. ``births``, ``deaths`` and ``migration`` switch the
    components of the cohort-component method off (for checks); persons.
    """
    _fresh()
    method = _check_method(method)
    fl, ll, ml = _parse_variant(variant)
    base_year = _check_base_year(base_year)
    if not isinstance(end_year, int | np.integer) or not base_year <= end_year <= MAX_END_YEAR:
        raise InputError(
            f"end year {end_year} must be from the base year {base_year} to {MAX_END_YEAR}",
            key="end_year",
            allowed=f"{base_year}..{MAX_END_YEAR}",
        )
    if not isinstance(runs, int | np.integer) or isinstance(runs, bool) or runs < 0:
        raise InputError(
            f"runs must be a whole number >= 0, got {runs!r}", key="runs", allowed=">= 0"
        )
    if seed is not None and (not isinstance(seed, int | np.integer) or seed < 0):
        raise InputError(f"seed must be a whole number >= 0 or None, got {seed!r}", key="seed")
    if method == "hamilton-perry" and (runs > 0 or (fl, ll, ml) != ("M", "M", "M")):
        raise InputError(
            "the hamilton-perry reference has no variants or Monte Carlo runs",
            key="method",
            allowed="variant MMM and runs 0 with hamilton-perry; use cohort-component otherwise",
        )
    codes, idx = _resolve(municipalities)
    # refuse what cannot fit before allocating anything (planning.limits, docs/limits.md)
    check_projection(int(runs), len(idx), int(end_year) - base_year + 1, key="runs")
    cal = calibrate(base_year)
    cube = _cube()
    base = cube.pop[base_year - cube.years[0], idx]  # (m, sex, age)
    years = np.arange(base_year, end_year + 1)
    out = np.empty((int(runs) + 1, len(idx), len(years), 2, N_AGES))
    out[:, :, 0] = base[None]
    if method == "hamilton-perry":
        ccr, cwr = cal.ccr[idx], cal.cwr[idx]
        p = base.copy()
        for i in range(1, len(years)):
            women = p[:, 0, FERTILE_AGES[0] : FERTILE_AGES[1] + 1].sum(axis=-1)
            p = _shift(p * ccr)
            p[..., 0] = cwr * women[:, None]
            out[0, :, i] = p
        return codes, years, out
    _cohort_component(out, years, cal, idx, (fl, ll, ml), seed, births, deaths, migration)
    return codes, years, out


OLD_AGE_BINOMIAL = (
    80  # from this age deaths are drawn binomially; below Poisson (q < 0.03, WPP 2024)
)
RUN_BLOCK = 64  # Monte Carlo runs per block; each block has its own generator spawned from the seed


@dataclass(frozen=True)
class _Inputs:
    """Per-projection inputs of the cohort-component loop (shared by all run blocks)."""

    years: np.ndarray
    rate: np.ndarray  # (run, m, sex, age) net migrants per person of the origin cohort
    profile: np.ndarray  # (1, m, sex, age) age profile of migration level changes
    sd_mig: np.ndarray  # (m,) sd of the yearly total net migration rate
    fert: np.ndarray  # (run, m) fertility level
    g: np.ndarray  # (run, 1, 1, 1) multiple of WPP's mortality improvement
    f_off: np.ndarray  # (run,) births per woman added to the national TFR
    mortality_shift: np.ndarray  # (run, m) municipal shift of log death rates (0 in run 0)
    sex_split: np.ndarray  # (2,) shares of girls and boys among births
    births: bool
    deaths: bool
    migration: bool


def _cohort_component(
    out: np.ndarray,
    years: np.ndarray,
    cal: Calibration,
    idx: np.ndarray,
    letters: tuple[str, str, str],
    seed: int | None,
    births: bool,
    deaths: bool,
    migration: bool,
) -> None:
    """Fill out[:, :, 1:] (run, m, year, sex, age) in place; out[:, :, 0] holds the base.

    Run 0 is the central run. Runs 1..N are projected in blocks of ``RUN_BLOCK`` runs, each with
    its own generator spawned from ``seed`` (so results do not depend on the number of threads),
    on as many threads as the process has CPUs (numpy releases the GIL in array arithmetic and sampling).
    """
    s = settings()
    fl, ll, ml = letters
    n_runs, n_m = out.shape[0], out.shape[1]
    n_window = cal.window[1] - cal.window[0] + 1
    seq = np.random.SeedSequence(seed)
    rng = np.random.default_rng(seq)

    # --- component levels per run (run 0 = central, no draws)
    z = rng.standard_normal((4, n_runs, n_m)) if n_runs > 1 else np.zeros((4, 1, n_m))
    z[:, 0] = 0.0
    var = s.variants
    sd_mig = cal.migration_sd[idx]  # yearly total net migration rate, sd over the window
    # the migration letter moves each municipality's persistent level by a multiple of its own
    # level uncertainty, the one the Monte Carlo runs draw (migration_level_sd), so L and H sit
    # near the P10/P90 of that level everywhere (Utsira as Stjørdal); Monte Carlo runs add the
    # uncertainty of a window mean (sd / sqrt(years)) and one national shift per run
    letter = getattr(var.migration, ml) * migration_level_sd(cal, idx)  # (m,)
    mig_level = letter[None] + z[0] / np.sqrt(n_window) * sd_mig  # (run, m)
    # plus one national shift per run, common to all municipalities (decade-to-decade change of
    # Norway's net migration level); drawn after z so that z stays the same stream
    common = rng.standard_normal(n_runs) if n_runs > 1 else np.zeros(1)
    common[0] = 0.0
    mig_level = mig_level + (common * cal.national_migration_change_sd)[:, None]
    # municipal mortality level: death rates are national, municipalities differ around them
    mortality_z = rng.standard_normal((n_runs, n_m)) if n_runs > 1 else np.zeros((1, n_m))
    mortality_z[0] = 0.0
    profile = cal.migration_profile[idx][None]  # (1, m, sex, age)
    inputs = _Inputs(
        years=years,
        rate=cal.migration_rate[idx][None] + mig_level[..., None, None] * profile,
        profile=profile,
        sd_mig=sd_mig,
        fert=cal.fertility_level[idx][None] * np.exp(z[1] * cal.fertility_sd[idx][None]),
        g=(
            getattr(var.life_expectancy, ll)
            + z[2, :, 0] * s.monte_carlo.mortality_improvement_sd.value
        )[:, None, None, None],
        f_off=getattr(var.fertility, fl) + z[3, :, 0] * s.monte_carlo.fertility_offset_sd.value,
        mortality_shift=mortality_z * cal.old_age_level_sd,
        sex_split=np.array([1.0 - cal.boy_share, cal.boy_share]),
        births=births,
        deaths=deaths,
        migration=migration,
    )
    _project_block(out, inputs, slice(0, 1), None)  # central run: no noise
    if n_runs == 1:
        return
    starts = range(1, n_runs, RUN_BLOCK)
    blocks = [slice(a, min(a + RUN_BLOCK, n_runs)) for a in starts]
    gens = [np.random.default_rng(child) for child in seq.spawn(len(blocks))]
    workers = min(len(blocks), _cpus())
    if workers <= 1:
        for b, gen in zip(blocks, gens, strict=True):
            _project_block(out, inputs, b, gen)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for f in [
            pool.submit(_project_block, out, inputs, b, gen)
            for b, gen in zip(blocks, gens, strict=True)
        ]:
            f.result()


def migration_level_sd(cal: Calibration, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Standard deviation of each municipality's persistent net migration level (per person per
    year), as the Monte Carlo runs draw it: the uncertainty of the window mean of its yearly rate
    (sd / sqrt(window years)) and the national shift common to all municipalities, combined
    (square root of the sum of squares). The migration letters L and H move the level by
    -1.2816 and +1.2816 of it (data/demography.yaml ``variants.migration``): its P10 and P90."""
    n_window = cal.window[1] - cal.window[0] + 1
    sd = cal.migration_sd[idx]
    return np.sqrt(sd**2 / n_window + cal.national_migration_change_sd**2)


def _cpus() -> int:
    """CPUs this process may run on (the affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


def _project_block(
    out: np.ndarray, x: _Inputs, runs: slice, rng: np.random.Generator | None
) -> None:
    """Project runs ``runs`` of ``out`` (run, m, year, sex, age) over all years; with a generator,
    add demographic noise (Poisson births and net migration, Poisson/binomial deaths) and the
    yearly fluctuation of the municipalities' migration level."""
    years = x.years
    base_year = int(years[0])
    var = settings().variants
    fy, asfr, tfr, last_est = _fertility_table()
    ramp = max(var.fertility_ramp_years.value, 1.0)  # years (assumption)
    rate = x.rate[runs] if x.rate.shape[0] > 1 else x.rate
    fert = x.fert[runs] if x.fert.shape[0] > 1 else x.fert
    g = x.g[runs] if x.g.shape[0] > 1 else x.g
    f_off = x.f_off[runs] if x.f_off.shape[0] > 1 else x.f_off
    shift = x.mortality_shift[runs] if x.mortality_shift.shape[0] > 1 else x.mortality_shift
    shift = shift[:, :, None, None] if np.any(shift) else 0.0  # (run, m, 1, 1)
    log_base = _logmx(np.array([base_year]))[0]
    old = OLD_AGE_BINOMIAL
    p = out[runs, :, 0].copy()
    n_r, n_m = p.shape[0], p.shape[1]
    for i in range(1, len(years)):
        t = int(years[i - 1])  # the interval t -> t+1
        lw = _logmx(np.array([t]))[0]
        logmx = log_base + g * (lw - log_base)  # (run, 1, sex, age), national
        surv = _survival(logmx + shift) if x.deaths else np.ones_like(logmx)
        # national schedule: WPP for years WPP projects beyond the base; otherwise held at the base
        ref = t if (t <= base_year or base_year >= last_est) else base_year
        fi = int(np.clip(ref - fy[0], 0, len(fy) - 1))
        scale = np.maximum(tfr[fi] + f_off * min((t - base_year + 1) / ramp, 1.0), 0.0) / tfr[fi]
        if x.births:
            expo = _exposure(p[:, :, 0, :])  # (run, m, age)
            b = fert * scale[:, None] * (expo @ asfr[fi])  # (run, m) births in the year
            newborn = b[..., None] * x.sex_split
            if x.deaths:
                newborn *= _newborn_survival(logmx[:, 0])[:, None, :]
        else:
            newborn = np.zeros((n_r, n_m, 2))
        if rng is not None:
            # year-to-year fluctuation of the municipality's net migration level
            yearly = rng.standard_normal((n_r, n_m)) * x.sd_mig
            q = 1.0 - np.broadcast_to(surv, p.shape)
            survivors = np.empty_like(p)
            survivors[..., :old] = p[..., :old] - np.minimum(
                rng.poisson(p[..., :old] * q[..., :old]), p[..., :old]
            )
            survivors[..., old:] = p[..., old:] - rng.binomial(
                p[..., old:].astype(np.int64), q[..., old:]
            )
            newborn = rng.poisson(newborn).astype(float)
            if x.migration:
                net = p * (rate + yearly[..., None, None] * x.profile)
                net = np.copysign(rng.poisson(np.abs(net)).astype(float), net)
                survivors += net
        else:
            survivors = p * surv
            if x.migration:
                survivors += p * rate
        p = _shift(survivors)
        p[..., 0] = newborn
        np.maximum(p, 0.0, out=p)
        out[runs, :, i] = p


def _str_column(values: Sequence[str], inner: int, outer: int) -> pd.Series:
    """A 'str' column equal to tile(repeat(values, inner), outer), written directly as Arrow
    buffers (tens of millions of rows in a fraction of a second)."""
    enc = [str(v).encode() for v in values]
    period = b"".join(e * inner for e in enc)
    lens = np.repeat(np.array([len(e) for e in enc], dtype=np.int64), inner)
    n = len(lens) * outer
    first = np.concatenate([[0], np.cumsum(lens)[:-1]])
    offsets = np.empty(n + 1, dtype=np.int64)
    np.add(
        first[None, :],
        (len(period) * np.arange(outer, dtype=np.int64))[:, None],
        out=offsets[:-1].reshape(outer, len(lens)),
    )
    offsets[-1] = len(period) * outer
    payload = np.frombuffer(period * outer, dtype=np.uint8)
    arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(payload))
    return pd.Series(arr, dtype=pd.StringDtype("pyarrow", na_value=np.nan), copy=False)


def to_frame(
    codes: Sequence[str], years: np.ndarray, arr: np.ndarray, with_run: bool
) -> pd.DataFrame:
    """Tidy population frame from an array (run, municipality, year, sex, age), built once with
    numpy; the population column is a view of ``arr``. Rows are ordered by run, municipality,
    year, sex, age. Without runs the dtypes are those of ``data.load_population`` (str, int64,
    str, int64, float64). With runs (tens of millions of rows) municipality_code and sex are
    categoricals of the same strings and year, age and run are int32 (memory and speed)."""
    n_r, n_m, n_y, n_s, n_a = arr.shape
    it = np.int32 if with_run else np.int64
    n = arr.size
    year = np.empty(n, dtype=it)
    year.reshape(n_r * n_m, n_y, n_s * n_a)[:] = np.asarray(years, dtype=it)[None, :, None]
    age = np.empty(n, dtype=it)
    age.reshape(-1, n_a)[:] = np.arange(n_a, dtype=it)
    if with_run:  # categorical codes: a few bytes per row instead of a string each
        mun_codes = np.empty(n, dtype=np.int16)
        mun_codes.reshape(n_r, n_m, -1)[:] = np.arange(n_m, dtype=np.int16)[None, :, None]
        sex_codes = np.empty(n, dtype=np.int8)
        sex_codes.reshape(-1, n_s, n_a)[:] = np.arange(n_s, dtype=np.int8)[None, :, None]
        mun: object = pd.Categorical.from_codes(mun_codes, pd.Index(list(codes), dtype="str"))
        sex: object = pd.Categorical.from_codes(sex_codes, pd.Index(list(SEXES), dtype="str"))
    else:
        mun = _str_column(codes, n_y * n_s * n_a, n_r)
        sex = _str_column(SEXES, n_a, n_r * n_m * n_y)
    cols: dict[str, object] = {
        "municipality_code": mun,
        "year": year,
        "sex": sex,
        "age": age,
        "population": arr.reshape(-1),
    }
    if with_run:
        run = np.empty(n, dtype=np.int32)
        run.reshape(n_r, -1)[:] = np.arange(n_r, dtype=np.int32)[:, None]
        cols["run"] = run
    return pd.DataFrame(cols, copy=False)


def project(
    municipalities: str | Iterable[str],
    base_year: int = 2026,
    end_year: int = 2050,
    method: str = "cohort-component",
    variant: str = "MMM",
    runs: int = 0,
    seed: int | None = None,
    *,
    births: bool = True,
    deaths: bool = True,
    migration: bool = True,
) -> pd.DataFrame:
    """Project the 1 January population from ``base_year`` to ``end_year``.

    ``municipalities``: codes, names or a region name (``vaernes``, ``vaernesregionen`` ...).
    ``method``: ``cohort-component`` (default) or ``hamilton-perry``. ``variant``: three letters
    L/M/H for fertility, life expectancy and migration (``MMM`` is central). ``runs``: number of
    Monte Carlo runs (0 = deterministic); with runs > 0 a ``run`` column is added, run 0 being the
    central run, runs 1..N drawn from ``numpy.random.default_rng(seed)``.

    Returns a tidy frame: municipality_code, year, sex, age (0..105, 105 = 105+), population
    (persons, float) [, run]. The base-year rows equal the observed population (SSB 07459).
    """
    codes, years, arr = project_array(
        municipalities,
        base_year,
        end_year,
        method,
        variant,
        runs,
        seed,
        births=births,
        deaths=deaths,
        migration=migration,
    )
    return to_frame(codes, years, arr, with_run=runs > 0)


# --------------------------------------------------------------------------------------------
# helpers on population frames
# --------------------------------------------------------------------------------------------
def parse_age_group(label: str) -> tuple[int, int]:
    """'0-5' → (0, 5), '80+' → (80, 105), 'total' → (0, 105): inclusive single-age bounds."""
    lab = str(label).strip().lower()
    try:
        if lab == "total":
            return 0, data.MAX_AGE
        if lab.endswith("+"):
            lo = int(lab[:-1])
            return lo, data.MAX_AGE
        lo_s, hi_s = lab.split("-")
        lo, hi = int(lo_s), int(hi_s)
    except ValueError:
        raise InputError(
            f"unknown age group '{label}'", key="groups", allowed="'a-b', 'a+' or 'total'"
        ) from None
    if not 0 <= lo <= hi <= data.MAX_AGE:
        raise InputError(
            f"age group '{label}' out of range", key="groups", allowed=f"ages 0..{data.MAX_AGE}"
        )
    return lo, hi


def _keys(pop: pd.DataFrame, extra: Sequence[str] = ()) -> list[str]:
    need = {"municipality_code", "year", "age", "population"}
    missing = need - set(pop.columns)
    if missing:
        raise InputError(
            f"not a population frame: missing {sorted(missing)}",
            key="pop",
            allowed=data.POPULATION_COLUMNS,
        )
    return ["municipality_code", "year", *(["run"] if "run" in pop.columns else []), *extra]


def group_totals(pop: pd.DataFrame, groups: Sequence[str], by_sex: bool = False) -> pd.DataFrame:
    """Population of (possibly overlapping) age groups such as 'total', '0-5', '80+', '90+'.

    Returns municipality_code, year, [run], [sex], age_group, population (persons).
    """
    keys = _keys(pop, ["sex"] if by_sex else [])
    ages = pop["age"].to_numpy()
    parts = []
    for g in groups:
        lo, hi = parse_age_group(g)
        sel = pop[(ages >= lo) & (ages <= hi)]
        part = sel.groupby(keys, sort=False, observed=True)["population"].sum().reset_index()
        part.insert(len(keys), "age_group", str(g))
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def aggregate_age_groups(
    pop: pd.DataFrame, bounds: Sequence[int] = (0, 6, 16, 67, 80, 90), by_sex: bool = False
) -> pd.DataFrame:
    """Sum single ages into consecutive groups starting at ``bounds`` (e.g. [0, 67, 80] →
    '0-66', '67-79', '80+'). Returns municipality_code, year, [run], [sex], age_group, population."""
    b = sorted(int(x) for x in bounds)
    if not b or b[0] != 0 or b[-1] > data.MAX_AGE:
        raise InputError(
            f"age bounds must start at 0 and stay within 0..{data.MAX_AGE}", key="bounds"
        )
    _, labels = data.age_group_labels(b)
    return group_totals(pop, labels, by_sex=by_sex)


def to_region(pop: pd.DataFrame, name: str = "region") -> pd.DataFrame:
    """Sum municipalities into one region (municipality_code = ``name``), keeping year, sex, age
    [and run]."""
    keys = [k for k in ("year", "run", "sex", "age", "age_group") if k in pop.columns]
    if "population" not in pop.columns:
        raise InputError("not a population frame: no 'population' column", key="pop")
    out = pop.groupby(keys, sort=True, observed=True)["population"].sum().reset_index()
    out.insert(0, "municipality_code", name)
    return out


def dependency_ratios(pop: pd.DataFrame) -> pd.DataFrame:
    """Old-age dependency ratio: persons aged 67+ per person aged 20-66 (SSB's definition,
    data/demography.yaml). Returns municipality_code, year, [run], old_age_dependency."""
    dep = settings().old_age_dependency
    lo, hi = dep.working_ages
    t = group_totals(pop, [f"{lo}-{hi}", f"{dep.old_ages}+"])
    keys = _keys(pop)
    wide = t.pivot_table(index=keys, columns="age_group", values="population", observed=True)
    ratio = wide[f"{dep.old_ages}+"] / wide[f"{lo}-{hi}"].where(wide[f"{lo}-{hi}"] > 0)
    return ratio.rename("old_age_dependency").reset_index()


def growth(pop: pd.DataFrame, groups: Sequence[str] = ("67+", "80+", "90+")) -> pd.DataFrame:
    """Growth of age groups from the first to the last year in ``pop``.

    Returns municipality_code, [run], age_group, base_year, end_year, base, end (persons), change
    (persons) and change_pct (% of the base).
    """
    t = group_totals(pop, groups)
    y0, y1 = int(t["year"].min()), int(t["year"].max())
    keys = [k for k in _keys(pop) if k != "year"] + ["age_group"]
    a = t[t["year"] == y0].set_index(keys)["population"].rename("base")
    b = t[t["year"] == y1].set_index(keys)["population"].rename("end")
    out = pd.concat([a, b], axis=1).reset_index()
    out.insert(len(keys), "base_year", y0)
    out.insert(len(keys) + 1, "end_year", y1)
    out["change"] = out["end"] - out["base"]
    out["change_pct"] = 100.0 * out["change"] / out["base"].where(out["base"] > 0)
    return out
