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

Modules: the settings, tables and calibration live in :mod:`planning.demography_inputs`; the
result is a :class:`planning.population.Population` (arrays with a leading runs axis,
:func:`project_population`) whose tidy frame (:func:`project`) is built only when asked for;
helpers on population frames are in :mod:`planning.population` (all re-exported here).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planning import data
from planning.demography_inputs import (  # noqa: F401  (re-exported: the projection's inputs)
    FERTILE_AGES,
    LETTERS,
    MAX_END_YEAR,
    METHODS,
    N_AGES,
    SETTINGS_FILE,
    SEXES,
    Calibration,
    Settings,
    _boy_share,
    _calibrate,
    _check_base_year,
    _Cube,
    _cube,
    _exposure,
    _fertility_table,
    _fresh,
    _logmx,
    _migration_intensity,
    _mortality_table,
    _national_migration_change_sd,
    _newborn_survival,
    _old_age_level_sd,
    _pool_level,
    _shift,
    _size_kernel,
    _survival,
    assumptions,
    border_breaks,
    calibrate,
    clear_cache,
    settings,
)
from planning.errors import InputError, suggest
from planning.limits import check_projection
from planning.population import (  # noqa: F401  (re-exported: helpers on population frames)
    Population,
    _str_column,
    aggregate_age_groups,
    dependency_ratios,
    group_totals,
    growth,
    parse_age_group,
    to_frame,
    to_region,
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
    return project_population(
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
    ).frame()


def project_population(
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
) -> Population:
    """The projection of :func:`project` as a :class:`planning.population.Population` (arrays
    with a leading runs axis; the tidy frame only on request). Same arguments and errors."""
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
    return Population(tuple(codes), years, arr, with_run=runs > 0)
