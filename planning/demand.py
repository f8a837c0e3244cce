"""Service demand: projected population × use rates by age, per municipality and year.

Pure functions on tidy frames, no I/O.

* :func:`estimate_coverage_rates` turns the KOSTRA care panel into users per inhabitant by
  municipality and KOSTRA age group (0-66, 67-79, 80+) for hjemmetjenester and langtidsopphold,
  pooling recent years and shrinking small counts toward the regional rate (empirical Bayes,
  gamma-Poisson); catalogue fallback rates where a municipality has no data.
* :func:`project_demand` applies those rates and the catalogue's per-capita rates to a population
  frame, with the levers healthy ageing (use rates shift to higher ages as life expectancy rises),
  FTE-per-user growth and a shift from institution to home.

Demand frame columns: municipality_code, year, service, measure, value[, run].
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from planning.errors import InputError, require_columns
from planning.parameters import (
    AGE_GROUP_BOUNDS,
    AGE_GROUPS,
    BedService,
    Levers,
    ServiceCatalogue,
)
from planning.uncertainty import map_run_values

MAX_AGE = 105  # oldest single age in the population frame (105 = 105+)
AGES = np.arange(MAX_AGE + 1)
COVERAGE_SERVICES = ("hjemmetjenester", "langtidsopphold")
COVERAGE_COLUMNS = [
    "municipality_code",
    "service",
    "age_group",
    "rate",
    "users",
    "inhabitants",
    "regional_rate",
    "method",
]
DEMAND_COLUMNS = ["municipality_code", "year", "service", "measure", "value"]
POPULATION_REQUIRED = ["municipality_code", "year", "age", "population"]


def _age_group_index() -> np.ndarray:
    """KOSTRA age-group index (0, 1, 2) for each single age 0..105."""
    return np.searchsorted(np.asarray(AGE_GROUP_BOUNDS), AGES, side="right") - 1


# ------------------------------------------------------------------------------------------------
# coverage rates from KOSTRA
# ------------------------------------------------------------------------------------------------
def _fill_by_difference(wide: pd.DataFrame) -> pd.DataFrame:
    """Where exactly one of the three age groups is suppressed, derive it as total minus the
    other two (clipped at 0). ``wide`` has columns '0-66', '67-79', '80+', 'total'."""
    groups = wide[list(AGE_GROUPS)]
    missing = groups.isna()
    one = (missing.sum(axis=1) == 1) & wide["total"].notna()
    rest = groups.sum(axis=1, skipna=True)
    derived = (wide["total"] - rest).clip(lower=0.0)
    out = wide.copy()
    for g in AGE_GROUPS:
        fill = one & missing[g]
        out.loc[fill, g] = derived[fill]
    return out


def estimate_coverage_rates(
    kostra: pd.DataFrame,
    catalogue: ServiceCatalogue,
    municipalities: list[str] | None = None,
) -> pd.DataFrame:
    """Users per inhabitant by municipality, service and KOSTRA age group.

    ``kostra``: frame as from ``planning.data.load_kostra()`` (municipality_code, year, indicator,
    age_group, value; suppressed cells absent). Years ``coverage.estimation.first_year..last_year``
    are pooled. A suppressed age group is derived by difference when it is the only one missing.
    Rates (users / inhabitants) are shrunk toward the regional rate r with a prior of k users:
    rate = (users + k) / (inhabitants + k / r). Where a municipality has no usable cell for an age
    group but has totals, its rate is r × SMR, with the standardised ratio SMR = (O + k) / (E + k)
    of observed to expected totals. Municipalities in ``municipalities`` that are not in the
    panel get the catalogue fallback rates. Returns columns municipality_code, service, age_group,
    rate, users, inhabitants (pooled person-years), regional_rate, method
    ('kostra' | 'kostra_indirect' | 'fallback').
    """
    require_columns(
        kostra,
        sorted({"municipality_code", "year", "indicator", "age_group", "value"}),
        "KOSTRA",
        key="kostra",
    )
    est = catalogue.coverage.estimation
    k = est.prior_users.value
    y0, y1 = int(est.first_year.value), int(est.last_year.value)
    panel = kostra[(kostra["year"] >= y0) & (kostra["year"] <= y1)]
    pop = panel[panel["indicator"] == "population"].pivot_table(
        index=["municipality_code", "year"], columns="age_group", values="value", aggfunc="sum"
    )
    codes_panel = sorted(pop.index.get_level_values(0).unique()) if len(pop) else []
    codes = list(municipalities) if municipalities is not None else codes_panel

    rows = []
    for service in ("hjemmetjenester", "langtidsopphold"):
        spec = getattr(catalogue.coverage, service)
        users = panel[panel["indicator"] == spec.indicator].pivot_table(
            index=["municipality_code", "year"], columns="age_group", values="value", aggfunc="sum"
        )
        users = users.reindex(index=pop.index, columns=[*AGE_GROUPS, "total"])
        users = _fill_by_difference(users)
        popg = pop.reindex(columns=list(AGE_GROUPS))
        known = users[list(AGE_GROUPS)].notna() & popg.notna()
        u = users[list(AGE_GROUPS)].where(known, 0.0)
        p = popg.where(known, 0.0)
        u_m = u.groupby(level=0).sum()
        p_m = p.groupby(level=0).sum()
        # regional rate per age group; fallback where the region has no observations
        fallback = np.array([spec.fallback_rates[g].value for g in AGE_GROUPS])  # type: ignore[index]
        p_tot = p_m.sum(axis=0).to_numpy()
        u_tot = u_m.sum(axis=0).to_numpy()
        regional = np.where(p_tot > 0, u_tot / np.where(p_tot > 0, p_tot, 1.0), fallback)
        # indirect standardisation from totals, for groups without direct observations
        tot_known = users["total"].notna() & popg.notna().all(axis=1)
        expected = (popg.fillna(0.0).to_numpy() * regional).sum(axis=1)
        obs = users["total"].fillna(0.0).to_numpy()
        frame = (
            pd.DataFrame(
                {"o": np.where(tot_known, obs, 0.0), "e": np.where(tot_known, expected, 0.0)},
                index=users.index,
            )
            .groupby(level=0)
            .sum()
        )
        for code in codes:
            for gi, g in enumerate(AGE_GROUPS):
                r = float(regional[gi])
                if code in u_m.index and p_m.loc[code, g] > 0:
                    uu, pp = float(u_m.loc[code, g]), float(p_m.loc[code, g])
                    rate = (uu + k) / (pp + k / r) if r > 0 else uu / pp
                    method = "kostra"
                elif code in frame.index and frame.loc[code, "e"] > 0:
                    smr = (frame.loc[code, "o"] + k) / (frame.loc[code, "e"] + k)
                    rate, uu, pp, method = r * float(smr), np.nan, np.nan, "kostra_indirect"
                else:
                    rate = float(fallback[gi])
                    uu, pp, method = np.nan, np.nan, "fallback"
                rows.append((code, service, g, rate, uu, pp, r, method))
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS)


def fallback_coverage_rates(catalogue: ServiceCatalogue, municipalities: list[str]) -> pd.DataFrame:
    """Coverage rates from the catalogue fallbacks only (no KOSTRA), same columns as
    :func:`estimate_coverage_rates`."""
    rows = [
        (
            code,
            s,
            g,
            getattr(catalogue.coverage, s).fallback_rates[g].value,
            np.nan,
            np.nan,
            getattr(catalogue.coverage, s).fallback_rates[g].value,
            "fallback",
        )
        for code in municipalities
        for s in COVERAGE_SERVICES
        for g in AGE_GROUPS
    ]
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS)


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


def _coverage_matrix(coverage: pd.DataFrame, service: str, codes: np.ndarray) -> np.ndarray:
    """(n rows, 106) users per inhabitant by single age for the municipality of each row."""
    sel = coverage["service"].to_numpy() == service
    table = {
        (str(c), str(g)): float(r)
        for c, g, r in zip(
            coverage["municipality_code"].to_numpy()[sel],
            coverage["age_group"].to_numpy()[sel],
            coverage["rate"].to_numpy()[sel],
            strict=True,
        )
    }
    uniq, inv = np.unique(codes, return_inverse=True)
    missing = [
        c for c in uniq if any(not np.isfinite(table.get((c, g), np.nan)) for g in AGE_GROUPS)
    ]
    if missing:
        raise InputError(
            f"no {service} coverage rates for municipalities {missing}",
            key="coverage_rates",
            allowed=sorted({c for c, _ in table}),
        )
    by_group = np.array([[table[(c, g)] for g in AGE_GROUPS] for c in uniq])  # (n_uniq, 3)
    by_age = by_group[:, _age_group_index()]  # (n_uniq, 106)
    return by_age[inv]


# ------------------------------------------------------------------------------------------------
# demand projection
# ------------------------------------------------------------------------------------------------
def project_demand(
    population: pd.DataFrame,
    catalogue: ServiceCatalogue,
    levers: Levers | None = None,
    coverage_rates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Demand per municipality, year (and run) for every service in the catalogue.

    ``population``: population frame (municipality_code, year, sex, age, population[, run]).
    ``coverage_rates``: from :func:`estimate_coverage_rates` (default: catalogue fallbacks).
    Measures (value units): hjemmetjenester/langtidsopphold users (persons) and fte (FTE);
    kad/intermediaer admissions and bed_days (per year); helsestasjon births and children_0_5;
    skolehelsetjeneste pupils_barneskole/_ungdomsskole/_vgs; jordmor births; kommuneoverlege,
    legevakt, fastlege population; brukerkontor cases (per year). Births are approximated by the
    population aged 0 on 1 January. Levers act from ``catalogue.base_year`` on.
    """
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
    shift = np.asarray(lv.age_shift(since), dtype=float)

    out: dict[tuple[str, str], np.ndarray] = {}
    users = {}
    for s in ("hjemmetjenester", "langtidsopphold"):
        rate = shifted_rates(_coverage_matrix(coverage_rates, s, codes), shift)
        users[s] = (P * rate).sum(axis=1)
    ramp = np.clip(since / np.asarray(lv.institution_to_home_years, dtype=float), 0.0, 1.0)
    moved = users["langtidsopphold"] * ramp * np.asarray(lv.institution_to_home_shift, dtype=float)
    users["langtidsopphold"] = users["langtidsopphold"] - moved
    users["hjemmetjenester"] = users["hjemmetjenester"] + moved
    growth = (1.0 + np.asarray(lv.fte_per_user_growth, dtype=float)) ** since
    for s in ("hjemmetjenester", "langtidsopphold"):
        spec = getattr(catalogue.coverage, s)
        out[(s, "users")] = users[s]
        out[(s, "fte")] = users[s] * spec.fte_per_user.value * growth

    for s in ("kad", "intermediaer"):
        adm, bd = bed_rates_by_age(getattr(catalogue, s))
        out[(s, "admissions")] = (P * shifted_rates(adm, shift)).sum(axis=1)
        out[(s, "bed_days")] = (P * shifted_rates(bd, shift)).sum(axis=1)

    births = P[:, 0]
    out[("helsestasjon", "births")] = births
    out[("helsestasjon", "children_0_5")] = P[:, 0:6].sum(axis=1)
    sh = catalogue.skolehelsetjeneste
    for level, (a0, a1) in (
        ("barneskole", sh.barneskole_ages),
        ("ungdomsskole", sh.ungdomsskole_ages),
        ("vgs", sh.vgs_ages),
    ):
        out[("skolehelsetjeneste", f"pupils_{level}")] = P[:, a0 : a1 + 1].sum(axis=1)
    out[("jordmor", "births")] = births
    total = P.sum(axis=1)
    for s in ("kommuneoverlege", "legevakt", "fastlege"):
        out[(s, "population")] = total
    out[("brukerkontor", "cases")] = (
        users["hjemmetjenester"] * catalogue.coverage.hjemmetjenester.cases_per_user.value
        + users["langtidsopphold"] * catalogue.coverage.langtidsopphold.cases_per_user.value
    )
    return _long(keys, out)


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
