"""Backtests of the population projection: project from a past base year with only data up to
that year, compare with the observed population (SSB 07459), report percentage errors.

Per municipality, method and age group: the percentage error at the end year
(PE = 100 · (projected − observed) / observed) and, over all years after the base, the mean
absolute (MAPE) and mean algebraic (MALPE) percentage error. Across municipalities: MAPE and
MALPE of the end-year errors, the usual measures of subnational projection accuracy
(Smith, Tayman & Swanson, *A Practitioner's Guide to State and Local Population Projections*).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from planning import coverage, data, demography, stats
from planning.errors import InputError
from planning.i18n import fmt_signed

GROUPS = ("total", "0-5", "6-15", "16-66", "67-79", "80+", "90+")


def _check_period(base_year: int, end_year: int) -> None:
    """A backtest period must start and end inside the observed population."""
    first, last = data.population_years()
    if not isinstance(base_year, int | np.integer) or not first <= base_year < last:
        raise InputError(
            f"backtest base year {base_year} is outside the observed population",
            key="base_year",
            allowed=f"{first}..{last - 1}",
        )
    if not isinstance(end_year, int | np.integer) or not base_year < end_year <= last:
        raise InputError(
            f"backtest end year {end_year} must be after the base year {base_year} and observed",
            key="end_year",
            allowed=f"{base_year + 1}..{last}",
        )


def backtest(
    municipalities: str | Iterable[str] = "vaernesregionen",
    base_year: int = 2016,
    end_year: int = 2026,
    methods: Sequence[str] = demography.METHODS,
    groups: Sequence[str] = GROUPS,
) -> pd.DataFrame:
    """Errors of deterministic projections from ``base_year`` against observed ``end_year``.

    Returns one row per municipality_code, method, age_group with: observed, projected (persons,
    end year), pe (% error at the end year), mape and malpe (% over the years base+1..end).
    """
    _check_period(base_year, end_year)
    codes = data.resolve_municipalities(municipalities)
    observed = demography.group_totals(
        data.load_population(codes, range(base_year + 1, end_year + 1)), groups
    )
    obs = observed.set_index(["municipality_code", "year", "age_group"])["population"]
    rows = []
    for method in methods:
        proj = demography.project(codes, base_year=base_year, end_year=end_year, method=method)
        pg = demography.group_totals(proj[proj["year"] > base_year], groups)
        pg = pg.set_index(["municipality_code", "year", "age_group"])["population"]
        err = 100.0 * (pg - obs.reindex(pg.index)) / obs.reindex(pg.index).where(lambda s: s > 0)
        frame = pd.DataFrame(
            {"projected": pg, "observed": obs.reindex(pg.index), "pe": err}
        ).reset_index()
        per = frame.groupby(["municipality_code", "age_group"], sort=False)
        summary = per.agg(
            mape=("pe", lambda s: float(np.mean(np.abs(s)))), malpe=("pe", "mean")
        ).reset_index()
        end = frame[frame["year"] == end_year].drop(columns="year")
        out = end.merge(summary, on=["municipality_code", "age_group"])
        out.insert(1, "method", method)
        rows.append(out)
    res = pd.concat(rows, ignore_index=True)
    res["age_group"] = pd.Categorical(res["age_group"], categories=list(groups), ordered=True)
    res = res.sort_values(["method", "municipality_code", "age_group"]).reset_index(drop=True)
    res["age_group"] = res["age_group"].astype(str)
    res.insert(0, "base_year", base_year)
    res.insert(1, "end_year", end_year)
    changed = boundary_changes(codes, base_year, end_year)
    res["boundary_change"] = res["municipality_code"].isin(changed)
    return res


def band_coverage(
    municipalities: str | Iterable[str] = "vaernesregionen",
    base_year: int = 2016,
    end_year: int = 2026,
    runs: int = 200,
    seed: int = 1,
    groups: Sequence[str] = ("total", "80+"),
    quantiles: tuple[float, float] = (0.1, 0.9),
) -> pd.DataFrame:
    """How often the Monte Carlo band from ``base_year`` held what was observed at ``end_year``.

    One row per municipality and age group: observed, the band's lower and upper quantiles
    (persons, over runs 1..N of the cohort-component method) and ``inside`` (bool); plus
    ``boundary_change`` as in :func:`backtest`. For a well-calibrated P10-P90 band about 80 % of
    comparable municipalities are inside. Municipalities are projected in blocks of 40 to bound
    memory (about 0.2 GB for 200 runs).
    """
    if not isinstance(runs, int | np.integer) or runs < 10:
        raise InputError(
            f"band coverage needs at least 10 runs, got {runs!r}", key="runs", allowed=">= 10"
        )
    _check_period(base_year, end_year)
    backtest_codes = data.resolve_municipalities(municipalities)
    bounds = [demography.parse_age_group(g) for g in groups]
    observed = demography.group_totals(data.load_population(backtest_codes, [end_year]), groups)
    obs = observed.set_index(["municipality_code", "age_group"])["population"]
    rows = []
    for i in range(0, len(backtest_codes), 40):
        codes, _, arr = demography.project_array(
            backtest_codes[i : i + 40], base_year, end_year, runs=runs, seed=seed
        )
        end = arr[1:, :, -1].sum(axis=2)  # (run, municipality, age), runs 1..N only
        for g, (a, b) in zip(groups, bounds, strict=True):
            tot = end[..., a : b + 1].sum(axis=-1)  # (run, municipality)
            rows.append(
                pd.DataFrame(
                    {
                        "run": np.repeat(np.arange(1, runs + 1), len(codes)),
                        "municipality_code": np.tile(codes, runs),
                        "age_group": g,
                        "population": tot.ravel(),
                    }
                )
            )
    draws = pd.concat(rows, ignore_index=True)
    band = stats.quantiles(draws, ["municipality_code", "age_group"], "population", q=quantiles)
    lo, hi = (stats.quantile_label(q) for q in quantiles)
    band["observed"] = obs.reindex(
        pd.MultiIndex.from_frame(band[["municipality_code", "age_group"]])
    ).to_numpy()
    band["inside"] = (band["observed"] >= band[lo]) & (band["observed"] <= band[hi])
    band.insert(0, "base_year", base_year)
    band.insert(1, "end_year", end_year)
    band["boundary_change"] = band["municipality_code"].isin(
        boundary_changes(backtest_codes, base_year, end_year)
    )
    return band


def boundary_changes(codes: Iterable[str], base_year: int, end_year: int) -> list[str]:
    """Municipalities with a border break (:func:`planning.demography.border_breaks`) from the
    start of the base window to the end year: boundary changes (e.g. Aure and Tustna 2006,
    Ålesund and Haram 2024) and breaks in the back series mapped onto 2024 borders (the one
    genuine case in the data is Utsira, about 200 inhabitants, +10.6 % in 2023)."""
    first = max(
        data.population_years()[0], base_year - int(demography.settings().base_window.value)
    )
    pop = data.load_population(list(codes), range(first, end_year + 1))
    tot = pop.groupby(["municipality_code", "year"])["population"].sum().unstack("year")
    tot = tot.reindex(columns=range(first, end_year + 1)).fillna(0.0)
    bad = demography.border_breaks(tot.to_numpy().T)
    return sorted(str(c) for c in tot.index[bad])


def summarise(result: pd.DataFrame) -> pd.DataFrame:
    """MAPE, MALPE and median absolute % error (MedAPE) of the end-year errors across
    municipalities, per method and age group; municipalities with boundary changes in the
    period (column ``boundary_change``) are left out, ``n`` counts those kept."""
    if "boundary_change" in result.columns:
        result = result[~result["boundary_change"]]
    g = result.groupby(["base_year", "end_year", "method", "age_group"], sort=False)["pe"]
    return g.agg(
        mape=lambda s: float(np.mean(np.abs(s))),
        malpe="mean",
        medape=lambda s: float(np.median(np.abs(s))),
        n="count",
    ).reset_index()


def _signed1(x: float) -> str:
    """A signed % error with one decimal for the generated tables ('+1.7', '-9.0', '0.0' when
    it rounds to zero: never '+0.0' or '-0.0')."""
    return fmt_signed(x, "en", 1)


def markdown(result: pd.DataFrame) -> str:
    """Markdown tables: end-year % error per municipality and method, then MAPE / MALPE."""
    names = data.municipality_names()
    groups = list(dict.fromkeys(result["age_group"]))
    base, end = int(result["base_year"].iloc[0]), int(result["end_year"].iloc[0])
    lines = [
        f"**Base {base}, compared with {end}**: % error at {end} (projected − observed) / observed",
        "",
    ]
    lines.append("| Municipality | Method | " + " | ".join(groups) + " |")
    lines.append("|---|---|" + "---:|" * len(groups))
    wide = result.pivot_table(
        index=["municipality_code", "method"], columns="age_group", values="pe", observed=True
    )
    for (code, method), row in wide.iterrows():
        cells = " | ".join(_signed1(row[g]) for g in groups)
        lines.append(f"| {code} {names.get(code, '')} | {method} | {cells} |")
    s = summarise(result)
    n_kept = int(s["n"].max())  # municipalities kept (without boundary changes)
    for measure in ("mape", "malpe"):
        w = s.pivot_table(index="method", columns="age_group", values=measure, observed=True)
        for method, row in w.iterrows():
            fmt = "{:.1f}".format if measure == "mape" else _signed1
            cells = " | ".join(fmt(row[g]) for g in groups)
            lines.append(
                f"| **{measure.upper()}** ({n_kept} municipalities) | {method} | {cells} |"
            )
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------
# demand backtests: service users projected from a past base year against what KOSTRA counted
# ------------------------------------------------------------------------------------------------
DEMAND_SERVICES = ("hjemmetjenester", "langtidsopphold", "heldogn_bolig", "heldogn")
#: KOSTRA indicator (age group 'total') observed for each service; heldogn is their sum.
OBSERVED_INDICATORS = {
    "hjemmetjenester": "home_service_users",
    "langtidsopphold": "long_term_residents",
    "heldogn_bolig": "residents_24h_housing",
}
POPULATION_MODES = ("projected", "observed")
DEMAND_COLUMNS = [
    "base_year",
    "end_year",
    "population",
    "municipality_code",
    "service",
    "observed",
    "projected",
    "reference",
    "pe",
    "pe_reference",
    "boundary_change",
]


def _check_demand_period(base_year: int, end_year: int, population: str) -> None:
    """Base year with KOSTRA data (and a projectable population), end year observed later."""
    if population not in POPULATION_MODES:
        raise InputError(
            f"unknown population mode '{population}'", key="population", allowed=POPULATION_MODES
        )
    first, last = data.kostra_years()
    if not isinstance(base_year, int | np.integer) or not first <= base_year < last:
        raise InputError(
            f"demand backtest base year {base_year} has no KOSTRA data to project from",
            key="base_year",
            allowed=f"{first}..{last - 1}",
        )
    if not isinstance(end_year, int | np.integer) or not base_year < end_year <= last:
        raise InputError(
            f"demand backtest end year {end_year} must be after the base year {base_year} and "
            "observed in KOSTRA",
            key="end_year",
            allowed=f"{base_year + 1}..{last}",
        )
    if population == "projected":
        _check_period(int(base_year), int(end_year))


def _demand_codes(municipalities: str | Iterable[str], base_year: int) -> list[str]:
    """Codes to backtest. Named municipalities without KOSTRA data up to the base year are an
    error; a region keeps those that have data."""
    codes = data.resolve_municipalities(municipalities)
    k = data.load_kostra(codes, years=range(data.kostra_years()[0], base_year + 1))
    have = set(k.loc[k["indicator"] != "population", "municipality_code"])
    missing = [c for c in codes if c not in have]
    is_region = isinstance(municipalities, str) and municipalities.strip().lower() in {
        r.lower() for r in data.region_names()
    }
    if missing and not is_region:
        raise InputError(
            f"municipalities {missing} have no KOSTRA care data up to {base_year}",
            key="municipalities",
            allowed="municipalities with KOSTRA data (planning.data.load_kostra)",
        )
    kept = [c for c in codes if c in have]
    if not kept:
        raise InputError(
            f"no municipality in {municipalities!r} has KOSTRA care data up to {base_year}",
            key="municipalities",
        )
    return kept


def _observed_users(codes: list[str], end_year: int) -> pd.DataFrame:
    """KOSTRA users at ``end_year`` per municipality_code and service (NaN where not published)."""
    k = data.load_kostra(codes, [end_year])
    k = k[k["age_group"] == "total"]
    wide = k.pivot_table(
        index="municipality_code", columns="indicator", values="value", aggfunc="sum"
    ).reindex(index=codes)
    out = pd.DataFrame(
        {s: wide[ind] if ind in wide.columns else np.nan for s, ind in OBSERVED_INDICATORS.items()},
        index=pd.Index(codes, name="municipality_code"),
    )
    out["heldogn"] = out["langtidsopphold"] + out["heldogn_bolig"]
    return out


def backtest_catalogue(base_year: int, catalogue=None):
    """The service catalogue as known at ``base_year``: the coverage model's base year and the
    year the levers act from are the base year (every other value as shipped)."""
    from planning.parameters import load_catalogue

    cat = catalogue or load_catalogue()
    est = cat.coverage.estimation
    est = est.model_copy(
        update={"last_year": est.last_year.model_copy(update={"value": float(base_year)})}
    )
    return cat.model_copy(
        update={
            "base_year": int(base_year),
            "coverage": cat.coverage.model_copy(update={"estimation": est}),
        }
    )


def _counties() -> dict[str, str]:
    m = data.load_municipalities()
    return dict(zip(m["municipality_code"], m["county_code"], strict=True))


def _fit(codes: list[str], base_year: int, cat, kostra: pd.DataFrame | None, method: str):
    """The coverage model from KOSTRA rows up to the base year only (the shipped panel's fit
    for all of Norway is cached per process and setting)."""
    s = cat.coverage.estimation.settings()
    if kostra is None:
        model = _national_fit(base_year, s, method)
        return coverage.restrict(model, codes)
    known = kostra[kostra["year"] <= base_year]
    return coverage.fit_coverage(
        known, base_year, s, method, municipalities=codes, counties=_counties()
    )


@functools.lru_cache(maxsize=16)
def _national_fit(base_year: int, settings, method: str) -> pd.DataFrame:
    k = data.load_kostra()
    return coverage.fit_coverage(
        k[k["year"] <= base_year], base_year, settings, method, counties=_counties()
    )


def _end_population(codes: list[str], base_year: int, end_year: int, population: str):
    if population == "observed":
        return data.load_population(codes, [end_year])
    proj = demography.project(codes, base_year=base_year, end_year=end_year)
    return proj[proj["year"] == end_year].reset_index(drop=True)


def _users_at(pop: pd.DataFrame, catalogue, levers, model: pd.DataFrame) -> pd.DataFrame:
    from planning.demand import project_demand

    d = project_demand(pop, catalogue, levers, coverage_rates=model)
    d = d[(d["measure"] == "users") & d["service"].isin(DEMAND_SERVICES)]
    w = d.pivot_table(index="municipality_code", columns="service", values="value", aggfunc="sum")
    w["heldogn"] = w["langtidsopphold"] + w["heldogn_bolig"]
    return w


def demand_backtest(
    municipalities: str | Iterable[str] = "vaernesregionen",
    base_year: int = 2016,
    end_year: int = 2025,
    population: str = "projected",
    *,
    kostra: pd.DataFrame | None = None,
    catalogue=None,
    levers=None,
) -> pd.DataFrame:
    """Service users projected from ``base_year`` with only data up to that year, against what
    KOSTRA counted at ``end_year``.

    ``population``: 'projected' (the cohort-component projection from the base year, so the
    error includes the population error) or 'observed' (SSB's count at the end year: the demand
    error alone). ``projected`` uses the default coverage model (levels and damped trends) and
    the default levers; ``reference`` is the constant-rate method (each municipality's KOSTRA
    coverage of the ``reference_years`` up to the base year held constant, no levers).
    ``kostra`` (default: the shipped panel) is cut at the base year before anything is
    estimated, so rows after it cannot change a projection. ``catalogue``/``levers`` override
    the shipped defaults.

    Returns one row per municipality_code and service ('hjemmetjenester', 'langtidsopphold',
    'heldogn_bolig', 'heldogn' = the sum of the two heldøgn forms) with observed, projected,
    reference (persons at the end year), pe and pe_reference (% error, NaN where KOSTRA
    published no positive count), base_year, end_year, population and boundary_change (see
    :func:`backtest`). Raises InputError for a base year without KOSTRA data, an end year not
    observed, an unknown population mode, or named municipalities without KOSTRA data.
    """
    from planning.parameters import Levers

    _check_demand_period(base_year, end_year, population)
    codes = _demand_codes(municipalities, int(base_year))
    cat = backtest_catalogue(int(base_year), catalogue)
    fit = {m: _fit(codes, int(base_year), cat, kostra, m) for m in ("trend", "constant")}
    pop = _end_population(codes, int(base_year), int(end_year), population)
    lv = levers or Levers()
    no_levers = Levers(healthy_ageing=0.0, fte_per_user_growth=0.0, institution_to_home_shift=0.0)
    proj = _users_at(pop, cat, lv, fit["trend"])
    ref = _users_at(pop, cat, no_levers, fit["constant"])
    obs = _observed_users(codes, int(end_year))
    rows = []
    for s in DEMAND_SERVICES:
        o = obs[s].to_numpy(dtype=float)
        p = proj[s].reindex(codes).to_numpy(dtype=float)
        r = ref[s].reindex(codes).to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            good = np.isfinite(o) & (o > 0)
            pe = np.where(good, 100.0 * (p - o) / np.where(good, o, 1.0), np.nan)
            pe_r = np.where(good, 100.0 * (r - o) / np.where(good, o, 1.0), np.nan)
        rows.append(
            pd.DataFrame(
                {
                    "municipality_code": codes,
                    "service": s,
                    "observed": o,
                    "projected": p,
                    "reference": r,
                    "pe": pe,
                    "pe_reference": pe_r,
                }
            )
        )
    res = pd.concat(rows, ignore_index=True)
    res.insert(0, "base_year", int(base_year))
    res.insert(1, "end_year", int(end_year))
    res.insert(2, "population", population)
    changed = boundary_changes(codes, int(base_year), int(end_year))
    res["boundary_change"] = res["municipality_code"].isin(changed)
    return res[DEMAND_COLUMNS]


def summarise_demand(result: pd.DataFrame) -> pd.DataFrame:
    """Per service and method ('model', 'constant-rate'): MAPE, MALPE and MedAPE of the end-year
    errors across municipalities (boundary changes and unpublished counts left out), n, and
    the % error of the summed total (``total_pe``)."""
    keep = result[~result["boundary_change"] & result["pe"].notna()]
    out = []
    for (b, e, pop, s), g in keep.groupby(
        ["base_year", "end_year", "population", "service"], sort=False
    ):
        for method, pe_col, val in (
            ("model", "pe", "projected"),
            ("constant-rate", "pe_reference", "reference"),
        ):
            pe = g[pe_col].to_numpy(dtype=float)
            out.append(
                {
                    "base_year": b,
                    "end_year": e,
                    "population": pop,
                    "service": s,
                    "method": method,
                    "mape": float(np.mean(np.abs(pe))),
                    "malpe": float(np.mean(pe)),
                    "medape": float(np.median(np.abs(pe))),
                    "n": len(pe),
                    "total_pe": float(100.0 * (g[val].sum() / g["observed"].sum() - 1.0)),
                }
            )
    return pd.DataFrame(out)


def demand_band_coverage(
    municipalities: str | Iterable[str] = "norway",
    base_year: int = 2016,
    end_year: int = 2025,
    runs: int = 200,
    seed: int = 1,
    population: str = "observed",
    quantiles: tuple[float, float] = (0.1, 0.9),
    *,
    catalogue=None,
    levers=None,
) -> pd.DataFrame:
    """How often the demand Monte Carlo band from ``base_year`` held what KOSTRA counted.

    Runs 1..N draw, for every municipality and series (coverage by age group of home services
    and heldøgn, and the long-term share of heldøgn), the level and the trend from their
    posterior normal distributions, the level's random drift over the horizon and the end
    year's year-to-year noise (all on the logit scale; sd_level, sd_trend, sd_drift × √years,
    sd_noise of :func:`planning.coverage.fit_coverage`), from one
    ``numpy.random.default_rng(seed)``. The population is held at ``population`` ('observed'
    by default, so the band is the demand uncertainty alone). Returns one row per
    municipality_code and service with observed, the band's quantiles (persons), ``inside``
    (bool) and ``boundary_change``. A well-calibrated P10-P90 band holds about 80 %.
    """
    from planning.demand import _age_group_index, population_array, shifted_rates
    from planning.parameters import AGE_GROUPS, Levers

    if not isinstance(runs, int | np.integer) or runs < 10:
        raise InputError(
            f"band coverage needs at least 10 runs, got {runs!r}", key="runs", allowed=">= 10"
        )
    _check_demand_period(base_year, end_year, population)
    codes = _demand_codes(municipalities, int(base_year))
    cat = backtest_catalogue(int(base_year), catalogue)
    model = _fit(codes, int(base_year), cat, None, "trend")
    lv = (levers or Levers()).with_defaults(cat)
    keys, P = population_array(_end_population(codes, int(base_year), int(end_year), population))
    rows_codes = keys["municipality_code"].astype(str).to_numpy()
    shift = np.asarray(lv.age_shift(np.full(len(keys), float(end_year - base_year))))
    gidx = _age_group_index()
    # exposure of each age group under the healthy-ageing shift: users = Σ_g rate_g × exposure_g
    expo = np.stack(
        [(P * shifted_rates((gidx == g).astype(float), shift)).sum(axis=1) for g in range(3)],
        axis=1,
    )  # (M, 3)
    rng = np.random.default_rng(seed)
    phi = float(cat.coverage.estimation.damping.value)
    h = coverage.damped_horizon(end_year - base_year, phi)

    def draw(service: str, group: str) -> np.ndarray:
        m = model[(model["service"] == service) & (model["age_group"] == group)]
        m = m.set_index("municipality_code").reindex(rows_codes)
        n = len(m)
        z = (
            coverage.projected_logit(m, end_year - base_year, phi)[:, 0][None, :]
            + m["sd_level"].to_numpy()[None, :] * rng.standard_normal((runs, n))
            + m["sd_trend"].to_numpy()[None, :] * rng.standard_normal((runs, n)) * h
            + m["sd_noise"].to_numpy()[None, :] * rng.standard_normal((runs, n))
            + m["sd_drift"].to_numpy()[None, :]
            * np.sqrt(end_year - base_year)
            * rng.standard_normal((runs, n))
        )
        return coverage.expit(z)  # (runs, M)

    home = sum(draw("hjemmetjenester", g) * expo[None, :, i] for i, g in enumerate(AGE_GROUPS))
    held = sum(draw("heldogn", g) * expo[None, :, i] for i, g in enumerate(AGE_GROUPS))
    share = draw("heldogn_split", "total")
    users = {
        "hjemmetjenester": home,
        "langtidsopphold": held * share,
        "heldogn_bolig": held * (1 - share),
        "heldogn": held,
    }
    lo, hi = np.quantile(np.stack(list(users.values())), quantiles, axis=1)  # (2, S, M)
    obs = _observed_users(list(rows_codes), int(end_year))
    out = []
    for i, s in enumerate(users):
        o = obs[s].to_numpy(dtype=float)
        out.append(
            pd.DataFrame(
                {
                    "municipality_code": rows_codes,
                    "service": s,
                    "observed": o,
                    stats.quantile_label(quantiles[0]): lo[i],
                    stats.quantile_label(quantiles[1]): hi[i],
                    "inside": (o >= lo[i]) & (o <= hi[i]),
                }
            )
        )
    band = pd.concat(out, ignore_index=True)
    band.insert(0, "base_year", int(base_year))
    band.insert(1, "end_year", int(end_year))
    band["boundary_change"] = band["municipality_code"].isin(
        boundary_changes(list(rows_codes), int(base_year), int(end_year))
    )
    return band


def band_share(band: pd.DataFrame) -> pd.DataFrame:
    """Share of municipalities (with a KOSTRA count, no boundary change) inside the band, per
    service: service, inside, n, share (0..1)."""
    kept = band[~band["boundary_change"] & band["observed"].notna()]
    g = kept.groupby("service", sort=False)["inside"].agg(inside="sum", n="count").reset_index()
    g["share"] = g["inside"] / g["n"]
    return g


SERVICE_LABELS = {
    "hjemmetjenester": "home services",
    "langtidsopphold": "long-term residents",
    "heldogn_bolig": "24-hour housing",
    "heldogn": "heldøgn total",
}


def demand_markdown(result: pd.DataFrame, per_municipality: bool | None = None) -> str:
    """Markdown tables of a demand backtest: % error per municipality (both methods) when there
    are at most 30 municipalities, then MAPE / MALPE / MedAPE and the error of the total."""
    names = data.municipality_names()
    base, end = int(result["base_year"].iloc[0]), int(result["end_year"].iloc[0])
    services = [s for s in DEMAND_SERVICES if s in set(result["service"])]
    n_codes = result["municipality_code"].nunique()
    lines = [f"**Base {base}, compared with KOSTRA {end}**", ""]
    if per_municipality if per_municipality is not None else n_codes <= 30:
        lines += [
            "% error at the end year, (projected − observed) / observed: model / constant rates",
            "",
            "| Municipality | Population | "
            + " | ".join(SERVICE_LABELS[s] for s in services)
            + " |",
            "|---|---|" + "---:|" * len(services),
        ]
        for (pop, code), g in result.groupby(["population", "municipality_code"], sort=False):
            g = g.set_index("service")
            cells = []
            for s in services:
                pe, pr = g.loc[s, "pe"], g.loc[s, "pe_reference"]
                cells.append(
                    "–"
                    if not np.isfinite(pe)
                    else f"{fmt_signed(pe, 'en')} / {fmt_signed(pr, 'en')}"
                )
            lines.append(f"| {code} {names.get(code, '')} | {pop} | " + " | ".join(cells) + " |")
        lines.append("")
    s = summarise_demand(result)
    lines += [
        "| Population | Method | n | "
        + " | ".join(f"{SERVICE_LABELS[x]} MAPE / MedAPE / total" for x in services)
        + " |",
        "|---|---|---:|" + "---:|" * len(services),
    ]
    for (pop, method), g in s.groupby(["population", "method"], sort=False):
        g = g.set_index("service")
        cells = [
            f"{g.loc[x, 'mape']:.1f} / {g.loc[x, 'medape']:.1f} / {_signed1(g.loc[x, 'total_pe'])}"
            for x in services
        ]
        lines.append(f"| {pop} | {method} | {int(g['n'].max())} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def hours_per_user_backtest(base_year: int, end_year: int, growth: float | None = None) -> dict:
    """Allocated home-care hours per week per user (KOSTRA ``home_health_hours_per_week``,
    weighted by each municipality's home-service users, across Norway) projected from
    ``base_year`` with the yearly FTE-per-user growth (default: the catalogue's
    ``levers.fte_per_user_growth``) and held constant, against ``end_year``.

    Returns base_year, end_year, growth, base, observed, projected_default,
    projected_constant, pe_default, pe_constant (%)."""
    from planning.parameters import load_catalogue

    _check_demand_period(base_year, end_year, "observed")
    g = float(load_catalogue().levers.fte_per_user_growth.value if growth is None else growth)
    k = data.load_kostra(years=[base_year, end_year])
    hours = k[k["indicator"] == "home_health_hours_per_week"]
    users = k[(k["indicator"] == "home_service_users") & (k["age_group"] == "total")]
    both = hours.merge(users, on=["municipality_code", "year"], suffixes=("_h", "_u"))
    both = both[both["value_u"] > 0]
    codes = set(both.loc[both["year"] == base_year, "municipality_code"]) & set(
        both.loc[both["year"] == end_year, "municipality_code"]
    )
    both = both[both["municipality_code"].isin(codes)]
    mean = (both["value_h"] * both["value_u"]).groupby(both["year"]).sum() / both.groupby("year")[
        "value_u"
    ].sum()
    base, obs = float(mean[base_year]), float(mean[end_year])
    proj = base * (1.0 + g) ** (end_year - base_year)
    return {
        "base_year": base_year,
        "end_year": end_year,
        "growth": g,
        "base": base,
        "observed": obs,
        "projected_default": proj,
        "projected_constant": base,
        "pe_default": 100.0 * (proj - obs) / obs,
        "pe_constant": 100.0 * (base - obs) / obs,
    }
