"""Inputs of the population projection (:mod:`planning.demography`): the settings of
``data/demography.yaml``, the observed population cube (SSB 07459), UN WPP 2024 single-age
death and fertility tables, and the calibration per base year (fertility levels, net migration
rates and profiles pooled toward similar municipalities, Hamilton-Perry ratios, the spreads the
Monte Carlo runs draw from). Everything is cached per data folder and base year, for all
municipalities at once; nothing here projects.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from planning import data
from planning.errors import DataError, InputError

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
    # factorize (native for Arrow-backed strings) rather than np.unique over 1.7 million str
    m_idx, codes = pd.factorize(df["municipality_code"], sort=True)
    codes = np.asarray(codes, dtype=str)
    years, y_idx = np.unique(df["year"].to_numpy(), return_inverse=True)
    s_idx = (df["sex"] == "male").to_numpy(dtype=np.int64)
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
    from scipy.interpolate import PchipInterpolator  # (scipy only when rates are built)

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
    from scipy.interpolate import PchipInterpolator

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
    from scipy.ndimage import gaussian_filter1d

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
    from scipy.ndimage import gaussian_filter1d

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
