"""Population figures: pyramid and the growth of age groups."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from planning.errors import InputError
from planning.i18n import check_language, fmt_number, t
from planning.plots.common import (
    FEMALE_COLOUR,
    MALE_COLOUR,
    PALETTE,
    _band_trace,
    _central,
    _group_bounds,
    _layout,
    _require,
    _rgba,
    band_columns,
    is_reduced,
    line_and_band,
)


# ----------------------------------------------------------------------------------------------
# population
# ----------------------------------------------------------------------------------------------
def pyramid_frame(
    population: pd.DataFrame, years: Sequence[int], width: int = 5, top: int = 100
) -> pd.DataFrame:
    """Persons by year, sex and age band (width ``width`` years, last band ``top``+), central run,
    summed over municipalities: year, sex, band (label), band_start, population."""
    _require(population, ["year", "sex", "age", "population"], "population")
    pop = _central(population)
    pop = pop[pop["year"].isin(list(years))]
    missing = sorted(set(years) - set(pop["year"].unique()))
    if missing:
        raise InputError(
            f"population frame has no year {missing}",
            key="years",
            allowed=f"{population['year'].min()}..{population['year'].max()}",
        )
    start = np.minimum((pop["age"].to_numpy() // width) * width, top)
    pop = pop.assign(band_start=start)
    out = pop.groupby(["year", "sex", "band_start"], as_index=False)["population"].sum()
    out["band"] = [f"{s}+" if s >= top else f"{s}-{s + width - 1}" for s in out["band_start"]]
    return out.sort_values(["year", "sex", "band_start"], ignore_index=True)


def population_pyramid(
    population: pd.DataFrame,
    years: Sequence[int] | None = None,
    lang: str = "nb",
    width: int = 5,
) -> go.Figure:
    """Population pyramid for the first and last of ``years`` (default: first and last year in the
    frame), summed over municipalities. Women right, men left (drawn negative); the first year is
    filled, the later year an outline. Hover shows persons."""
    check_language(lang)
    if years is None:
        years = sorted({int(population["year"].min()), int(population["year"].max())})
    years = sorted({int(y) for y in years})
    pf = pyramid_frame(population, years, width=width)
    fig = go.Figure()
    for i, year in enumerate(years):
        for sex, colour in (("male", MALE_COLOUR), ("female", FEMALE_COLOUR)):
            d = pf[(pf["year"] == year) & (pf["sex"] == sex)]
            sign = -1.0 if sex == "male" else 1.0
            filled = i == 0
            fig.add_trace(
                go.Bar(
                    y=d["band"],
                    x=sign * d["population"].to_numpy(),
                    orientation="h",
                    name=f"{t(sex, lang)} {year}",
                    customdata=d["population"].to_numpy(),
                    hovertemplate="%{y}: %{customdata:,.0f}<extra>"
                    + f"{t(sex, lang)} {year}</extra>",
                    marker=dict(
                        color=_rgba(colour, 0.55) if filled else "rgba(0,0,0,0)",
                        line=dict(color=colour, width=0 if filled else 2),
                    ),
                )
            )
    vmax = float(pf["population"].max()) if len(pf) else 1.0
    ticks = _nice_ticks(vmax)
    fig.update_layout(barmode="overlay", bargap=0.05)
    fig.update_xaxes(
        tickvals=[-v for v in ticks[::-1]] + ticks[1:],
        ticktext=[fmt_number(v, lang) for v in ticks[::-1]]
        + [fmt_number(v, lang) for v in ticks[1:]],
        title_text=t("persons", lang),
    )
    fig.update_yaxes(
        title_text=t("age", lang),
        categoryorder="array",
        categoryarray=list(dict.fromkeys(pf["band"])),
    )
    return _layout(
        fig,
        t(
            "pyramid_title",
            lang,
            years=" og ".join(map(str, years)) if lang == "nb" else " and ".join(map(str, years)),
        ),
        lang=lang,
        height=520,
    )


def _nice_ticks(vmax: float, n: int = 4) -> list[float]:
    """0 and up to ``n`` round tick values up to ``vmax``."""
    if vmax <= 0:
        return [0.0]
    raw = vmax / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    return [float(step * k) for k in range(int(vmax // step) + 1)]


def age_group_totals(
    population: pd.DataFrame, groups: Sequence[str] = ("67+", "80+", "90+")
) -> pd.DataFrame:
    """Persons per age group and year (and run), summed over municipalities and sexes:
    group, year, [run], population."""
    _require(population, ["year", "age", "population"], "population")
    keys = ["year"] + (["run"] if "run" in population.columns else [])
    parts = []
    for g in groups:
        lo, hi = _group_bounds(g)
        sel = population[(population["age"] >= lo) & (population["age"] <= hi)]
        s = sel.groupby(keys, as_index=False)["population"].sum()
        parts.append(s.assign(group=g))
    return pd.concat(parts, ignore_index=True)[["group", *keys, "population"]]


def age_group_sums(population: Any, groups: Sequence[str]) -> list[dict[str, np.ndarray]]:
    """Persons per age group and year of a :class:`planning.population.Population` (its arrays),
    summed over municipalities, sexes and the group's ages and reduced over runs by
    :func:`band_columns`: per group {'value': central run 0, 'p10', 'p90': over runs 1..N (blank
    without runs)}, arrays over ``population.years``. InputError for a bad group label."""
    bounds = [_group_bounds(g) for g in groups]
    region = population.by_age().sum(axis=1)  # (runs, years, ages)
    ages = np.arange(region.shape[-1])
    return [
        band_columns(region[..., (ages >= lo) & (ages <= hi)].sum(axis=-1), population.with_run)
        for lo, hi in bounds
    ]


def age_group_bands(population: Any, groups: Sequence[str] = ("67+", "80+", "90+")) -> pd.DataFrame:
    """Persons per age group and year summed over municipalities and sexes, reduced over runs:
    group, year, population (central run 0), p10, p90 (over runs 1..N; blank without runs):
    what :func:`age_group_growth` draws. ``population``: a
    :class:`planning.population.Population` (its arrays: no tidy frame of every run), a result
    of :func:`planning.scenarios.run`, or a tidy population frame (:func:`age_group_totals`)."""
    from planning.population import Population

    for g in groups:  # checks the labels first
        _group_bounds(g)
    if not isinstance(population, Population | pd.DataFrame):
        arrays = population.arrays("population")  # a ScenarioResult
        population = arrays if arrays is not None else population.population
    parts = []
    if isinstance(population, pd.DataFrame):
        totals = age_group_totals(population, groups)
        has_run = "run" in totals.columns
        for g in groups:
            d = totals[totals["group"] == g]
            d = d if has_run else d.assign(run=0)
            wide = d.pivot(index="run", columns="year", values="population").sort_index()
            b = band_columns(wide.to_numpy(), has_run)
            parts.append(pd.DataFrame({"group": g, "year": wide.columns.to_numpy(), **b}))
    else:
        for g, b in zip(groups, age_group_sums(population, groups), strict=True):
            parts.append(pd.DataFrame({"group": g, "year": population.years, **b}))
    out = pd.concat(parts, ignore_index=True).rename(columns={"value": "population"})
    out["year"] = out["year"].astype(np.int64)
    return out[["group", "year", "population", "p10", "p90"]]


def age_group_growth(
    population: pd.DataFrame,
    groups: Sequence[str] = ("67+", "80+", "90+"),
    lang: str = "nb",
) -> go.Figure:
    """Persons in each age group by year: one panel per group, the central run as a line and the
    P10–P90 band over Monte Carlo runs when the frame has runs. ``population``: a tidy
    population frame, or its reduction over runs :func:`age_group_bands` (columns group, year,
    population, p10, p90; the same lines and bands without every run's rows)."""
    check_language(lang)
    for g in groups:
        _group_bounds(g)
    if is_reduced(population):
        _require(population, ["group", "year", "population"], "age groups")
        totals = population
    else:
        totals = age_group_totals(population, groups)
    fig = make_subplots(
        rows=1, cols=len(groups), subplot_titles=[str(g) for g in groups], shared_xaxes=True
    )
    for i, g in enumerate(groups, start=1):
        d = totals[totals["group"] == g]
        c, b = line_and_band(d.drop(columns="group"), ["year"], value="population")
        colour = PALETTE[(i - 1) % len(PALETTE)]
        if b is not None:
            fig.add_trace(
                _band_trace(b, colour, name=t("band", lang), legendgroup="band", showlegend=i == 1),
                row=1,
                col=i,
            )
        fig.add_trace(
            go.Scatter(
                x=c["year"],
                y=c["population"],
                mode="lines",
                line=dict(color=colour, width=2.5),
                name=f"{g} ({t('central', lang).lower()})",
                hovertemplate="%{x}: %{y:,.0f}<extra>" + g + "</extra>",
            ),
            row=1,
            col=i,
        )
        fig.update_yaxes(rangemode="tozero", row=1, col=i)
    fig.update_yaxes(title_text=t("persons", lang), row=1, col=1)
    return _layout(fig, t("growth_title", lang, groups=", ".join(groups)), lang=lang, height=420)
