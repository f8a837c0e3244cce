"""Coverage rates of care services with trends, from the national KOSTRA care panel.

Coverage is users per inhabitant by municipality, KOSTRA age group (0-66, 67-79, 80+) and
year. Two services are modelled from KOSTRA:

* ``hjemmetjenester``: home-service users (SSB 04686/12292).
* ``heldogn``: heldøgnsomsorg, one continuum of two forms: long-term institutional residents
  (``langtidsopphold``, SSB 11645) and residents of housing with 24-hour staff
  (``heldogn_bolig``, ``Y_2``, SSB 04686/12292). Housing residents are published without an age
  split; they are given the municipality's long-term residents' age profile (an assumption: the
  two forms serve one need). The split between the forms is its own series: the long-term share
  of heldøgn per municipality, with its own trend.

Each series (a municipality's coverage of one age group, or its long-term share) is modelled on
the logit scale as a level at the base year plus a linear trend, estimated from the
``window`` years up to the base year. Trends are pooled (empirical Bayes, method of moments)
toward comparable municipalities (size class or county, chosen per base year by which predicts
left-out municipalities' trends better) and those toward the national trend; levels are pooled
toward the group level. Over the horizon the trend is damped: after ``h`` years the logit has
moved by ``trend × (φ + φ² + ... + φ^h)``, so it can never move by more than
``trend × φ / (1 − φ)`` and rates stay inside (0, 1) at any horizon.

The first year starts from what was last counted. The smoothed level is what the window says on
average; the base year's own count can lie away from it (Tydal's home-service users fell from 49
in 2023 to 29 in 2025). That deviation (``anchor``, logit) is kept and fades by a factor ``ρ`` a
year (``persistence``): at horizon ``h`` the logit is
``level + trend × D(h) + anchor × ρ^h``, so the base year reproduces KOSTRA's count and the long
run returns to the pooled level and trend. ``ρ`` per series is the model's own out-of-sample
regression, across all municipalities, of next year's deviation from the projection on this
year's deviation from the level (fitted a year before the base year, compared with the base
year; no data after the base year), bounded to [0, 1]. A noisy count (a small municipality)
moves its next year's count less than a shift in a large one, and the regression weighs both.

``method="constant"`` is the named reference (the ministry's Tjenestebehov tool holds KOSTRA
coverage constant): each municipality's pooled rate over the ``reference_years`` years up to the
base year, held for ever, with the long-term share held too.

Pure functions on arrays and tidy frames; the only input is a KOSTRA frame as from
:func:`planning.data.load_kostra`, which is truncated to the base year before anything is
estimated (no data after the base year can leak into a projection).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planning.errors import InputError, require_columns
from planning.sourced import AGE_GROUPS

#: Modelled series: (service, age group). 'heldogn_split' is the long-term share of heldøgn.
TREND_SERVICES = ("hjemmetjenester", "heldogn")
#: Services in the demand frame that come from the coverage model.
COVERAGE_OUTPUT_SERVICES = ("hjemmetjenester", "langtidsopphold", "heldogn_bolig")
METHODS = ("trend", "constant")
MODEL_COLUMNS = [
    "municipality_code",
    "service",
    "age_group",
    "level",
    "trend",
    "sd_level",
    "sd_trend",
    "sd_noise",
    "sd_drift",
    "anchor",
    "persistence",
    "base_year",
    "method",
    "source",
]
#: Columns of a coverage model that the projected path is made of (:func:`projected_logit`).
MODEL_PATH_COLUMNS = ("level", "trend", "anchor", "persistence")
KOSTRA_REQUIRED = ["municipality_code", "year", "indicator", "age_group", "value"]
MIN_COMPLETE_ROWS = 30
DRIFT_LAG = 3  # years: the model's own errors over this many years give the drift (band)
PERSISTENCE_LAG = 1  # years: how much of a deviation from the level is still there a year later


@dataclass(frozen=True)
class TrendSettings:
    """Settings of the trend model; one default for every base year (``services.yaml``,
    ``coverage.trend``)."""

    window: int = 8  # years up to the base year used for level and trend
    damping: float = 0.5  # φ: the trend's weight falls by this factor per year of horizon
    reference_years: int = 3  # years pooled by the constant-rate reference
    size_classes: int = 5  # comparable municipalities by population size (quantile classes)

    def __post_init__(self) -> None:
        if not 2 <= int(self.window) <= 20:
            raise InputError(
                f"trend window {self.window} years", key="coverage.trend.window", allowed="2..20"
            )
        if not 0.0 <= float(self.damping) < 1.0:
            raise InputError(
                f"damping {self.damping}", key="coverage.trend.damping", allowed="0 <= φ < 1"
            )
        if not 1 <= int(self.reference_years) <= 10:
            raise InputError(
                f"reference years {self.reference_years}",
                key="coverage.trend.reference_years",
                allowed="1..10",
            )


# ------------------------------------------------------------------------------------------------
# the panel as arrays
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Panel:
    """KOSTRA care panel up to ``years[-1]`` as arrays over (municipality, year[, age group]).

    pop (M, T, 3) inhabitants; home (M, T, 3) and longterm (M, T, 3) users with suppressed age
    groups filled (NaN where the municipality-year is unknown); bolig (M, T) residents of housing
    with 24-hour staff; heldogn (M, T, 3) = longterm + bolig spread by the long-term age profile.
    """

    codes: np.ndarray
    years: np.ndarray
    pop: np.ndarray
    home: np.ndarray
    longterm: np.ndarray
    bolig: np.ndarray
    heldogn: np.ndarray


_EMPTY_KOSTRA = pd.DataFrame(
    {
        "municipality_code": pd.Series([], dtype=str),
        "year": pd.Series([], dtype=np.int64),
        "value": pd.Series([], dtype=float),
    }
)


def _wide(
    k: pd.DataFrame | dict[tuple[str, str], pd.DataFrame],
    indicator: str,
    group: str,
    codes: list[str],
    years: np.ndarray,
) -> np.ndarray:
    """(municipality, year) sums of one indicator and age group; NaN where KOSTRA has no row
    (a pivot table by integer positions: this runs for every coverage fit). ``k``: the KOSTRA
    frame, or its rows split by (indicator, age_group)."""
    if isinstance(k, dict):
        sel = k.get((indicator, group), _EMPTY_KOSTRA)
    else:
        sel = k[(k["indicator"] == indicator) & (k["age_group"] == group)]
    ci = pd.Index(codes).get_indexer(sel["municipality_code"])
    yi = sel["year"].to_numpy(dtype=np.int64) - int(years[0])
    ok = (ci >= 0) & (yi >= 0) & (yi < len(years))
    cell = ci[ok] * len(years) + yi[ok]
    n = len(codes) * len(years)
    tot = np.bincount(cell, weights=sel["value"].to_numpy(dtype=float)[ok], minlength=n)
    seen = np.bincount(cell, minlength=n) > 0
    return np.where(seen, tot, np.nan).reshape(len(codes), len(years))


def _national_rates(groups: np.ndarray, pop: np.ndarray) -> np.ndarray:
    """(T, 3) national users per inhabitant by age group from municipality-years with every group
    published; years with too few such rows take the nearest year that has enough (within the
    panel, so never from after the base year)."""
    complete = np.isfinite(groups).all(axis=2) & np.isfinite(pop).all(axis=2)
    u = np.where(complete[..., None], groups, 0.0).sum(axis=0)
    p = np.where(complete[..., None], pop, 0.0).sum(axis=0)
    enough = complete.sum(axis=0) >= MIN_COMPLETE_ROWS
    T = groups.shape[1]
    rates = np.full((T, 3), np.nan)
    rates[enough] = u[enough] / np.where(p[enough] > 0, p[enough], 1.0)
    good = np.flatnonzero(enough)
    if good.size == 0:  # tiny panels (tests): pool every year with any complete row
        tot_u, tot_p = u.sum(axis=0), p.sum(axis=0)
        return np.broadcast_to(
            np.where(tot_p > 0, tot_u / np.where(tot_p > 0, tot_p, 1.0), 0.0), (T, 3)
        ).copy()
    for t in np.flatnonzero(~enough):
        rates[t] = rates[good[np.argmin(np.abs(good - t))]]
    return rates


def _fill_groups(groups: np.ndarray, total: np.ndarray, pop: np.ndarray) -> np.ndarray:
    """Fill suppressed age groups so that the groups add up to the published total.

    Where the total is published and some groups are not, the remainder (total minus the
    published groups, at least 0) is spread over the missing groups in proportion to their
    expected users at the national rates of that year. Where every group is published but they
    do not add up to the total (users of unknown age), the groups are scaled to the total. Where
    the total is not published but every group is, the total is their sum. Otherwise the
    municipality-year is unknown (NaN).
    """
    nat = _national_rates(groups, pop)  # (T, 3)
    expected = np.nan_to_num(pop) * nat[None, :, :]
    known = np.isfinite(groups)
    tot = np.where(
        np.isfinite(total), total, np.where(known.all(axis=2), groups.sum(axis=2), np.nan)
    )
    rest = np.clip(tot - np.where(known, groups, 0.0).sum(axis=2), 0.0, None)
    exp_missing = np.where(known, 0.0, expected)
    denom = exp_missing.sum(axis=2)
    share = np.where(
        denom[..., None] > 0, exp_missing / np.where(denom > 0, denom, 1.0)[..., None], 0.0
    )
    filled = np.where(known, groups, rest[..., None] * share)
    # every group published but not adding up to the total: scale to the total
    s = filled.sum(axis=2)
    scale = np.where(s > 0, tot / np.where(s > 0, s, 1.0), 1.0)
    filled = filled * scale[..., None]
    filled[~np.isfinite(tot)] = np.nan
    return filled


def build_panel(kostra: pd.DataFrame, last_year: int) -> Panel:
    """Arrays of the KOSTRA panel for years up to ``last_year`` (later rows are dropped first)."""
    require_columns(kostra, KOSTRA_REQUIRED, "KOSTRA", key="kostra")
    k = kostra[kostra["year"] <= last_year]
    if k.empty:
        raise InputError(
            f"no KOSTRA data up to {last_year}",
            key="base_year",
            allowed=f"{int(kostra['year'].min())}.." if len(kostra) else "a year with KOSTRA data",
        )
    k = k.assign(municipality_code=k["municipality_code"].astype(str))
    codes = sorted(k["municipality_code"].unique())
    years = np.arange(int(k["year"].min()), int(last_year) + 1)
    k = {  # type: ignore[assignment]  # rows by (indicator, age group): split once
        (str(i), str(g)): part for (i, g), part in k.groupby(["indicator", "age_group"], sort=False)
    }
    pop = np.stack([_wide(k, "population", g, codes, years) for g in AGE_GROUPS], axis=2)
    home = np.stack([_wide(k, "home_service_users", g, codes, years) for g in AGE_GROUPS], axis=2)
    lt = np.stack([_wide(k, "long_term_residents", g, codes, years) for g in AGE_GROUPS], axis=2)
    home = _fill_groups(home, _wide(k, "home_service_users", "total", codes, years), pop)
    lt = _fill_groups(lt, _wide(k, "long_term_residents", "total", codes, years), pop)
    bolig = _wide(k, "residents_24h_housing", "total", codes, years)
    # heldøgn by age: housing residents spread by the long-term residents' age profile (national
    # profile where the municipality has no long-term residents)
    nat = _national_rates(lt, pop)
    exp = np.nan_to_num(pop) * nat[None]
    lt_sum = np.nansum(lt, axis=2)
    exp_sum = exp.sum(axis=2)
    prof = np.where(
        (lt_sum > 0)[..., None],
        np.nan_to_num(lt) / np.where(lt_sum > 0, lt_sum, 1.0)[..., None],
        exp / np.where(exp_sum > 0, exp_sum, 1.0)[..., None],
    )
    heldogn = lt + bolig[..., None] * prof
    return Panel(np.asarray(codes), years, pop, home, lt, bolig, heldogn)


# ------------------------------------------------------------------------------------------------
# estimation
# ------------------------------------------------------------------------------------------------
def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)


def expit(z: np.ndarray) -> np.ndarray:
    """Inverse logit, numerically safe."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


def damped_horizon(h: np.ndarray | float, damping: float) -> np.ndarray:
    """D(h) = φ + φ² + ... + φ^h for h >= 0 years (0 at h <= 0): the years of trend applied
    after h years of horizon; bounded by φ / (1 − φ)."""
    h = np.maximum(np.asarray(h, dtype=float), 0.0)
    phi = float(damping)
    if phi == 0.0:
        return np.zeros_like(h)
    return phi * (1.0 - phi**h) / (1.0 - phi)


def _eb_variance(est: np.ndarray, var: np.ndarray, center: np.ndarray) -> float:
    """Method-of-moments between-unit variance τ² of ``est`` around ``center`` given sampling
    variances ``var`` (at least 0)."""
    ok = np.isfinite(est) & np.isfinite(var) & np.isfinite(center)
    if ok.sum() < 3:
        return 0.0
    return float(max(np.mean((est[ok] - center[ok]) ** 2) - np.mean(var[ok]), 0.0))


def _group_means(est: np.ndarray, var: np.ndarray, tau2: float, group: np.ndarray, n_groups: int):
    """Precision-weighted group means and their variances (NaN for empty groups)."""
    ok = np.isfinite(est) & np.isfinite(var)
    w = np.where(ok, 1.0 / (var + tau2 + 1e-12), 0.0)
    sw = np.bincount(group, weights=w, minlength=n_groups)
    swx = np.bincount(group, weights=np.where(ok, w * est, 0.0), minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = swx / sw
        v = 1.0 / sw
    return mean, v, sw, swx, w


def _pool(
    est: np.ndarray, var: np.ndarray, group: np.ndarray, n_groups: int, national: float
) -> tuple[np.ndarray, np.ndarray]:
    """Two-level empirical-Bayes pooling: each unit toward its group, each group toward
    ``national``. Returns (pooled estimate, posterior variance); units without an estimate get
    their group's pooled value."""
    ok = np.isfinite(est) & np.isfinite(var)
    center = np.full_like(est, national)
    tau2 = _eb_variance(est, var, center)
    gmean, gvar, *_ = _group_means(est, var, tau2, group, n_groups)
    tau2 = _eb_variance(est, var, gmean[group])  # within-group spread
    gmean, gvar, *_ = _group_means(est, var, tau2, group, n_groups)
    has = np.isfinite(gmean)
    tau2_g = _eb_variance(gmean[has], gvar[has], np.full(has.sum(), national))
    wg = np.where(has, tau2_g / (tau2_g + np.where(has, gvar, 1.0)), 0.0)
    gpool = np.where(has, wg * np.nan_to_num(gmean) + (1 - wg) * national, national)
    gpool_var = np.where(has, wg * np.nan_to_num(gvar), tau2_g)
    w = np.where(ok, tau2 / (tau2 + np.where(ok, var, 1.0)), 0.0)
    pooled = np.where(ok, w * np.nan_to_num(est) + (1 - w) * gpool[group], gpool[group])
    post = np.where(ok, w * np.nan_to_num(var), tau2 + gpool_var[group])
    return pooled, post


def _loo_error(est: np.ndarray, var: np.ndarray, group: np.ndarray, n_groups: int) -> float:
    """Mean precision-weighted squared error of predicting each unit's estimate by its group's
    mean without it (leave-one-out): how well a grouping explains the estimates."""
    ok = np.isfinite(est) & np.isfinite(var)
    tau2 = _eb_variance(est, var, np.full_like(est, np.nanmean(est[ok]) if ok.any() else 0.0))
    _, _, sw, swx, w = _group_means(est, var, tau2, group, n_groups)
    sw_o, swx_o = sw[group] - w, swx[group] - w * np.nan_to_num(est)
    use = ok & (sw_o > 0)
    if not use.any():
        return np.inf
    pred = swx_o[use] / sw_o[use]
    return float(np.mean((est[use] - pred) ** 2 / (var[use] + tau2 + 1e-12)))


def _fit_series(u: np.ndarray, p: np.ndarray, years: np.ndarray):
    """Per-row OLS on the logit scale over the years with data.

    ``u``, ``p``: (N, T) users and inhabitants (NaN = unknown). Returns z (N, T) logits (NaN where
    unknown), slope, intercept at the last year, residual variance, binomial variance, n.
    """
    ok = np.isfinite(u) & np.isfinite(p) & (p > 0)
    rate = np.where(ok, (np.nan_to_num(u) + 0.5) / (np.nan_to_num(p) + 1.0), np.nan)
    z = _logit(np.clip(rate, 1e-9, 1 - 1e-9))
    n = ok.sum(axis=1)
    t = (years - years[-1]).astype(float)[None, :]
    tt = np.where(ok, t, 0.0)
    zz = np.where(ok, z, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        tbar = tt.sum(axis=1) / n
        zbar = zz.sum(axis=1) / n
        dt = np.where(ok, t - tbar[:, None], 0.0)
        sxx = (dt**2).sum(axis=1)
        slope = np.where(sxx > 0, (dt * (zz - zbar[:, None])).sum(axis=1) / sxx, np.nan)
        res = np.where(ok, zz - zbar[:, None] - np.nan_to_num(slope)[:, None] * dt, 0.0)
        s2 = np.where(n > 2, (res**2).sum(axis=1) / (n - 2), np.nan)
        # binomial variance of a logit: 1 / (n p (1 - p)) at the mean rate
        ubar = np.where(ok, u, 0.0).sum(axis=1) / n
        pbar = np.where(ok, p, 0.0).sum(axis=1) / n
        r = (ubar + 0.5) / (pbar + 1.0)
        vbin = 1.0 / ((pbar + 1.0) * r * (1.0 - r))
    return z, slope, tbar, zbar, sxx, s2, vbin, n


def _size_classes(pop_total: np.ndarray, n_classes: int) -> np.ndarray:
    """Quantile class (0..n-1) of each municipality's population."""
    x = np.nan_to_num(pop_total, nan=np.nanmedian(pop_total) if np.isfinite(pop_total).any() else 0)
    if len(x) < n_classes * 3:
        return np.zeros(len(x), dtype=np.int64)
    edges = np.quantile(x, np.linspace(0, 1, n_classes + 1)[1:-1])
    return np.searchsorted(edges, x, side="right").astype(np.int64)


def _groupings(panel: Panel, settings: TrendSettings, counties: dict[str, str] | None):
    """Candidate groupings of comparable municipalities: name -> (group index, n groups)."""
    last_pop = np.nansum(panel.pop[:, -1, :], axis=1)
    out = {"size": (_size_classes(last_pop, settings.size_classes), settings.size_classes)}
    if counties:
        keys = [counties.get(str(c), "?") for c in panel.codes]
        cat, uniq = pd.factorize(pd.Series(keys))
        out["county"] = (cat.astype(np.int64), len(uniq))
    out["national"] = (np.zeros(len(panel.codes), dtype=np.int64), 1)
    return out


def _series(panel: Panel):
    """(service, age group, users (M, T), inhabitants (M, T)) of every modelled series."""
    out = []
    for gi, g in enumerate(AGE_GROUPS):
        out.append(("hjemmetjenester", g, panel.home[:, :, gi], panel.pop[:, :, gi]))
    for gi, g in enumerate(AGE_GROUPS):
        out.append(("heldogn", g, panel.heldogn[:, :, gi], panel.pop[:, :, gi]))
    lt = panel.longterm.sum(axis=2)
    out.append(("heldogn_split", "total", lt, lt + panel.bolig))
    return out


def fit_coverage(
    kostra: pd.DataFrame,
    base_year: int,
    settings: TrendSettings | None = None,
    method: str = "trend",
    municipalities: list[str] | None = None,
    counties: dict[str, str] | None = None,
    _drift: bool = True,
) -> pd.DataFrame:
    """Fit the coverage model from KOSTRA data up to ``base_year`` (later rows are ignored).

    Returns one row per municipality_code, service ('hjemmetjenester', 'heldogn',
    'heldogn_split'), age_group ('0-66', '67-79', '80+'; 'total' for the split) with the logit
    ``level`` at the base year, the logit ``trend`` per year (0 for ``method='constant'``), their
    posterior standard deviations ``sd_level`` and ``sd_trend``, the year-to-year noise
    ``sd_noise`` (logit), the yearly ``sd_drift`` of coverage away from its projection
    (logit per √year, from the model's own errors over the last ``DRIFT_LAG`` years of the
    data), ``base_year``, ``method`` and ``source`` ('own' for a municipality with
    data, 'pooled' for one without: it gets its comparable group's values).
    ``municipalities`` (default: every municipality in the panel) may include codes without
    KOSTRA data. ``counties`` maps code -> county code (a candidate grouping).

    Raises InputError for an unknown method or a base year without KOSTRA data.
    """
    if method not in METHODS:
        raise InputError(f"unknown coverage method '{method}'", key="method", allowed=METHODS)
    s = settings or TrendSettings()
    panel = build_panel(kostra, base_year)
    if int(panel.years[-1]) != int(base_year) or not np.isfinite(panel.pop[:, -1, :]).any():
        raise InputError(
            f"no KOSTRA data for the base year {base_year}",
            key="base_year",
            allowed=f"{int(panel.years[0])}..{int(kostra['year'].max())}",
        )
    groupings = _groupings(panel, s, counties)
    win = panel.years > base_year - (s.window if method == "trend" else s.reference_years)
    years = panel.years[win]
    M = len(panel.codes)
    rows = []
    for service, g, u_all, p_all in _series(panel):
        u, p = u_all[:, win], p_all[:, win]
        if method == "constant":
            ok = np.isfinite(u) & np.isfinite(p) & (p > 0)
            su, sp = np.where(ok, u, 0.0).sum(axis=1), np.where(ok, p, 0.0).sum(axis=1)
            # no data in the reference years: the latest year with data before them
            last = _latest_rate(u_all, p_all)
            rate = np.where(sp > 0, su / np.where(sp > 0, sp, 1.0), last)
            nat_u, nat_p = np.nansum(np.where(ok, u, 0.0)), np.nansum(np.where(ok, p, 0.0))
            rate = np.where(np.isfinite(rate), rate, nat_u / nat_p if nat_p > 0 else 0.0)
            level = _logit(np.clip(rate, 1e-9, 1 - 1e-9))
            zeros = np.zeros(M)
            src = np.where(sp > 0, "own", np.where(np.isfinite(last), "own_earlier", "national"))
            rows.append((service, g, level, zeros, zeros, zeros, zeros, zeros, zeros, src))
            continue
        z, slope, tbar, zbar, sxx, s2, vbin, n = _fit_series(u, p, years)
        # year-to-year noise: binomial plus a common extra variance (method of moments)
        extra = np.nanmedian(np.where(n > 4, s2 - vbin, np.nan)) if (n > 4).any() else 0.0
        extra = float(max(extra, 0.0)) if np.isfinite(extra) else 0.0
        noise = vbin + extra
        se2_slope = np.where(sxx > 0, noise / np.where(sxx > 0, sxx, 1.0), np.nan)
        ok_u, ok_p = np.where(np.isfinite(z), u, 0.0), np.where(np.isfinite(z), p, 0.0)
        nat_fit = _fit_series(np.nansum(ok_u, axis=0)[None], np.nansum(ok_p, axis=0)[None], years)
        nat_slope = float(nat_fit[1][0]) if np.isfinite(nat_fit[1][0]) else 0.0
        # the grouping that best predicts left-out municipalities' trends
        best = min(groupings, key=lambda k: _loo_error(slope, se2_slope, *groupings[k]))
        gi, ng = groupings[best]
        trend, var_trend = _pool(slope, se2_slope, gi, ng, nat_slope)
        # level at the base year: observations carried to the base year along the pooled trend
        t = (years - years[-1]).astype(float)[None, :]
        carried = np.where(np.isfinite(z), z - trend[:, None] * t, np.nan)
        has = np.isfinite(carried)
        with np.errstate(invalid="ignore", divide="ignore"):
            lvl = np.where(n > 0, np.where(has, carried, 0.0).sum(axis=1) / n, np.nan)
            var_lvl = noise / np.maximum(n, 1) + tbar**2 * var_trend
        lvl = np.where(n > 0, lvl, np.nan)
        nat_level = float(nat_fit[3][0] - nat_slope * nat_fit[2][0])
        level, var_level = _pool(lvl, np.where(n > 0, var_lvl, np.nan), gi, ng, nat_level)
        sd_noise = np.sqrt(np.where(np.isfinite(noise), noise, np.nanmedian(noise)))
        drift = np.zeros(M)  # filled below from the model's own errors inside the data
        # the base year's own count against the smoothed level (0 where it was not counted)
        anchor = np.where(np.isfinite(z[:, -1]) & np.isfinite(level), z[:, -1] - level, 0.0)
        src = np.where(n > 0, "own", "pooled")
        rows.append(
            (
                service,
                g,
                level,
                trend,
                np.sqrt(var_level),
                np.sqrt(var_trend),
                sd_noise,
                drift,
                anchor,
                np.char.add(src.astype(str), f" ({best})"),
            )
        )
    frames = [
        pd.DataFrame(
            {
                "municipality_code": panel.codes,
                "service": service,
                "age_group": g,
                "level": level,
                "trend": trend,
                "sd_level": sdl,
                "sd_trend": sdt,
                "sd_noise": sdn,
                "sd_drift": sdd,
                "anchor": anc,
                "persistence": 0.0,
                "base_year": int(base_year),
                "method": method,
                "source": src,
            }
        )
        for service, g, level, trend, sdl, sdt, sdn, sdd, anc, src in rows
    ]
    model = pd.concat(frames, ignore_index=True)
    if _drift and method == "trend":
        known = kostra[kostra["year"] <= base_year]
        key = list(zip(model["service"], model["age_group"], strict=True))
        rho = _persistence(known, base_year, s, panel, counties)
        model["persistence"] = [rho.get(k_, 0.0) for k_ in key]
        # the drift is measured without the anchor: the anchor fades, the drift does not
        sd = _drift_sd(known, base_year, s, model, panel, counties)
        model["sd_drift"] = [sd.get(k_, 0.0) for k_ in key]
    if municipalities is not None:
        model = restrict(model, [str(c) for c in municipalities])
    return model


def _drift_sd(
    kostra: pd.DataFrame,
    base_year: int,
    settings: TrendSettings,
    model: pd.DataFrame,
    panel: Panel,
    counties: dict[str, str] | None,
    lag: int = DRIFT_LAG,
) -> dict[tuple[str, str], float]:
    """Yearly sd of the drift of coverage away from the model's projection, per series, from
    the model's own errors inside the data: fitted at ``base_year − lag`` (data up to then),
    projected to ``base_year`` and compared with what KOSTRA counted at the base year. The
    squared errors less the year-to-year noise and the level uncertainty, trimmed of the 1 %
    largest (breaks in a municipality's series), give the variance of ``lag`` years of drift;
    the drift is taken as a random walk (variance grows with the horizon). Uses no data after
    ``base_year``. 0 where the data do not reach back far enough."""
    out: dict[tuple[str, str], float] = {}
    try:
        early = fit_coverage(kostra, base_year - lag, settings, counties=counties, _drift=False)
    except InputError:
        return out
    d = damped_horizon(lag, settings.damping)
    early = early.set_index(["service", "age_group", "municipality_code"])
    now = model.set_index(["service", "age_group", "municipality_code"])
    for service, g, u_all, p_all in _series(panel):
        u, p = u_all[:, -1], p_all[:, -1]
        ok = np.isfinite(u) & np.isfinite(p) & (p > 0)
        rate = (np.nan_to_num(u) + 0.5) / (np.nan_to_num(p) + 1.0)
        z = np.where(ok, _logit(np.clip(rate, 1e-9, 1 - 1e-9)), np.nan)
        idx = pd.MultiIndex.from_arrays(
            [np.full(len(panel.codes), service), np.full(len(panel.codes), g), panel.codes]
        )
        e = early.reindex(idx)
        pred = e["level"].to_numpy() + e["trend"].to_numpy() * d
        noise = now.reindex(idx)["sd_noise"].to_numpy() ** 2 + e["sd_level"].to_numpy() ** 2
        err = z - pred
        good = np.isfinite(err) & np.isfinite(noise)
        if good.sum() < 10:
            out[(service, g)] = 0.0
            continue
        keep = np.abs(err[good]) <= np.quantile(np.abs(err[good]), 0.99)
        var = np.mean(err[good][keep] ** 2) - np.mean(noise[good][keep])
        out[(service, g)] = float(np.sqrt(max(var, 0.0) / lag))
    return out


def _base_logits(panel: Panel):
    """(service, age group, (M,) logit of the last year's count, NaN where not counted)."""
    out = []
    for service, g, u_all, p_all in _series(panel):
        u, p = u_all[:, -1], p_all[:, -1]
        ok = np.isfinite(u) & np.isfinite(p) & (p > 0)
        rate = (np.nan_to_num(u) + 0.5) / (np.nan_to_num(p) + 1.0)
        out.append((service, g, np.where(ok, _logit(np.clip(rate, 1e-9, 1 - 1e-9)), np.nan)))
    return out


def _persistence(
    kostra: pd.DataFrame,
    base_year: int,
    settings: TrendSettings,
    panel: Panel,
    counties: dict[str, str] | None,
    lag: int = PERSISTENCE_LAG,
) -> dict[tuple[str, str], float]:
    """How much of a count's deviation from the smoothed level is still there a year later,
    per series: the model fitted at ``base_year − lag`` (data up to then) gives each
    municipality's deviation e0 (its count at that year minus the level); its projection to
    ``base_year`` misses what KOSTRA counted by e1 (without the anchor). ρ = (Σ e0·e1 / Σ e0²)
    ^ (1 / lag) across municipalities (the 1 % largest of either left out: breaks in a series),
    bounded to [0, 1]. Uses no data after ``base_year``; 0 where the data do not reach back far
    enough or fewer than 10 municipalities have both."""
    out: dict[tuple[str, str], float] = {}
    try:
        early = fit_coverage(kostra, base_year - lag, settings, counties=counties, _drift=False)
    except InputError:
        return out
    early_panel = build_panel(kostra, base_year - lag)
    d = damped_horizon(lag, settings.damping)
    early = early.set_index(["service", "age_group", "municipality_code"])
    z0 = {(s_, g): z for s_, g, z in _base_logits(early_panel)}
    for service, g, z1 in _base_logits(panel):
        idx = pd.MultiIndex.from_arrays(
            [np.full(len(panel.codes), service), np.full(len(panel.codes), g), panel.codes]
        )
        e = early.reindex(idx)
        before = pd.Series(z0[(service, g)], index=early_panel.codes).reindex(panel.codes)
        e0 = before.to_numpy() - e["level"].to_numpy()
        e1 = z1 - (e["level"].to_numpy() + e["trend"].to_numpy() * d)
        good = np.isfinite(e0) & np.isfinite(e1)
        if good.sum() < 10:
            out[(service, g)] = 0.0
            continue
        x, y = e0[good], e1[good]
        keep = (np.abs(x) <= np.quantile(np.abs(x), 0.99)) & (
            np.abs(y) <= np.quantile(np.abs(y), 0.99)
        )
        sxx = float(np.sum(x[keep] ** 2))
        beta = float(np.sum(x[keep] * y[keep]) / sxx) if sxx > 0 else 0.0
        out[(service, g)] = float(np.clip(beta, 0.0, 1.0) ** (1.0 / lag))
    return out


def _latest_rate(u: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Each row's rate in its latest year with data (NaN if none)."""
    ok = np.isfinite(u) & np.isfinite(p) & (p > 0)
    idx = np.where(ok.any(axis=1), ok.shape[1] - 1 - np.argmax(ok[:, ::-1], axis=1), -1)
    rows = np.arange(len(u))
    uu, pp = u[rows, np.maximum(idx, 0)], p[rows, np.maximum(idx, 0)]
    return np.where(idx >= 0, uu / np.where(pp > 0, pp, 1.0), np.nan)


def restrict(model: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """Restrict the model to ``codes``; codes without KOSTRA data get the mean of the pooled
    municipalities' values (source 'national')."""
    have = set(model["municipality_code"])
    missing = [c for c in codes if c not in have]
    out = model[model["municipality_code"].isin(codes)]
    if missing:
        nat = (
            model.groupby(["service", "age_group"], sort=False)
            .agg(
                level=("level", "median"),
                trend=("trend", "median"),
                sd_level=("level", "std"),
                sd_trend=("sd_trend", "median"),
                sd_noise=("sd_noise", "median"),
                sd_drift=("sd_drift", "median"),
                persistence=("persistence", "median"),
                base_year=("base_year", "first"),
                method=("method", "first"),
            )
            .reset_index()
        )
        add = pd.concat(
            [nat.assign(municipality_code=c, anchor=0.0, source="national") for c in missing],
            ignore_index=True,
        )
        out = pd.concat([out, add[MODEL_COLUMNS]], ignore_index=True)
    return out[MODEL_COLUMNS].reset_index(drop=True)


# ------------------------------------------------------------------------------------------------
# rates over the horizon
# ------------------------------------------------------------------------------------------------
def projected_logit(
    model: pd.DataFrame | dict[str, np.ndarray], h: np.ndarray | float, damping: float
) -> np.ndarray:
    """(rows, H) logit of coverage ``h`` years after the base year for each row of a coverage
    model (columns level, trend, anchor, persistence; a dict of (rows,) arrays works too):
    ``level + trend × D(h) + anchor × ρ^h`` (h <= 0 counts as 0: the base year's own count).
    """
    h = np.atleast_1d(np.asarray(h, dtype=float))
    col = {k: np.asarray(model[k], dtype=float)[:, None] for k in MODEL_PATH_COLUMNS}
    fade = col["persistence"] ** np.maximum(h, 0.0)[None, :]
    return col["level"] + col["trend"] * damped_horizon(h, damping)[None, :] + col["anchor"] * fade


def coverage_rates(
    model: pd.DataFrame, years: list[int] | np.ndarray, damping: float
) -> pd.DataFrame:
    """Rates per municipality, output service and age group for each year in ``years``.

    Returns municipality_code, year, service ('hjemmetjenester', 'langtidsopphold',
    'heldogn_bolig'), age_group, rate (users per inhabitant). Long-term and housing rates are the
    heldøgn rate times the long-term share and its complement, so they add up to heldøgn exactly.
    Years before the base year take the base-year rate.
    """
    require_columns(model, MODEL_COLUMNS, "coverage model", key="coverage_model")
    years = np.asarray(list(years), dtype=np.int64)
    base = int(model["base_year"].iloc[0])
    r = expit(projected_logit(model, years - base, damping))  # (rows, Y)
    wide = pd.DataFrame(r, columns=years)
    wide["municipality_code"] = model["municipality_code"].to_numpy()
    wide["service"] = model["service"].to_numpy()
    wide["age_group"] = model["age_group"].to_numpy()
    long = wide.melt(
        id_vars=["municipality_code", "service", "age_group"], var_name="year", value_name="rate"
    )
    long["year"] = long["year"].astype(np.int64)
    return split_heldogn(long)


def split_heldogn(rates: pd.DataFrame) -> pd.DataFrame:
    """Turn 'heldogn' (by age) and 'heldogn_split' (long-term share) rate rows into
    'langtidsopphold' and 'heldogn_bolig' rows; other rows pass through. Keys: every column but
    service, age_group and rate."""
    keys = [c for c in rates.columns if c not in ("service", "age_group", "rate")]
    held = rates[rates["service"] == "heldogn"]
    split = rates[rates["service"] == "heldogn_split"][[*keys, "rate"]].rename(
        columns={"rate": "share"}
    )
    m = held.merge(split, on=keys, how="left", validate="many_to_one")
    lt = m.assign(service="langtidsopphold", rate=m["rate"] * m["share"]).drop(columns="share")
    bo = m.assign(service="heldogn_bolig", rate=m["rate"] * (1 - m["share"])).drop(columns="share")
    rest = rates[~rates["service"].isin(["heldogn", "heldogn_split"])]
    return pd.concat([rest, lt, bo], ignore_index=True)[[*keys, "service", "age_group", "rate"]]
