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

from planning import data, demography
from planning.errors import InputError

GROUPS = ("total", "0-5", "6-15", "16-66", "67-79", "80+", "90+")


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
    return res


def summarise(result: pd.DataFrame) -> pd.DataFrame:
    """MAPE and MALPE of the end-year errors across municipalities, per method and age group."""
    g = result.groupby(["base_year", "end_year", "method", "age_group"], sort=False)["pe"]
    return g.agg(mape=lambda s: float(np.mean(np.abs(s))), malpe="mean", n="count").reset_index()


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
    for measure in ("mape", "malpe"):
        w = s.pivot_table(index="method", columns="age_group", values=measure, observed=True)
        for method, row in w.iterrows():
            fmt = "{:.1f}" if measure == "mape" else "{:+.1f}"
            cells = " | ".join(fmt.format(row[g]) for g in groups)
            lines.append(
                f"| **{measure.upper()}** ({len(wide.index.levels[0])} municipalities) | {method} | {cells} |"
            )
    return "\n".join(lines) + "\n"
