"""Backtests of the population projection: project from a past base year with only data up to
that year, compare with the observed population (SSB 07459), report percentage errors.

Per municipality, method and age group: the percentage error at the end year
(PE = 100 · (projected − observed) / observed) and, over all years after the base, the mean
absolute (MAPE) and mean algebraic (MALPE) percentage error. Across municipalities: MAPE and
MALPE of the end-year errors, the usual measures of subnational projection accuracy
(Smith, Tayman & Swanson, *A Practitioner's Guide to State and Local Population Projections*).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from planning import data, demography, stats
from planning.errors import InputError

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
        cells = " | ".join(f"{row[g]:+.1f}" for g in groups)
        lines.append(f"| {code} {names.get(code, '')} | {method} | {cells} |")
    s = summarise(result)
    n_kept = int(s["n"].max())  # municipalities kept (without boundary changes)
    for measure in ("mape", "malpe"):
        w = s.pivot_table(index="method", columns="age_group", values=measure, observed=True)
        for method, row in w.iterrows():
            fmt = "{:.1f}" if measure == "mape" else "{:+.1f}"
            cells = " | ".join(fmt.format(row[g]) for g in groups)
            lines.append(
                f"| **{measure.upper()}** ({n_kept} municipalities) | {method} | {cells} |"
            )
    return "\n".join(lines) + "\n"
