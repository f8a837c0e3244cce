"""Plotly figures for notebooks and reports: tidy frame in, ``plotly.graph_objects.Figure`` out.

Every function is pure (no I/O, no global state) and takes ``lang`` ('nb' or 'en') for its labels.
Frames follow the contracts in docs/architecture.md. When a frame has a ``run`` column, run 0 is the
central run drawn as a line and runs 1..N give a P10–P90 band (quantiles over runs 1..N from
:func:`planning.stats.quantiles`). Figures never load plotly.js from the web: embed them with
:func:`planning.reports.figure_html` (plotly.js once per file).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from planning.errors import InputError, require_columns
from planning.i18n import check_language, fmt_number, item_label, measure_label, status_label, t
from planning.stats import quantiles

#: Quantiles of the uncertainty band (P10 and P90), as in the scenario summaries.
BAND_QUANTILES: tuple[float, float] = (0.1, 0.9)
#: Colours (colour-blind safe, Okabe-Ito palette).
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
#: Paul Tol's "muted" qualitative scheme (colour-blind safe; 9 colours and a pale grey) for charts
#: with more categories than PALETTE, such as the ten staff services (P. Tol, "Colour Schemes",
#: SRON/EPS/TN/09-002, 2021).
MANY_PALETTE: tuple[str, ...] = (
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#DDCC77",
    "#CC6677",
    "#882255",
    "#AA4499",
    "#DDDDDD",
)
FEMALE_COLOUR = "#CC79A7"
MALE_COLOUR = "#0072B2"
#: Preferred measure per service when a service reports several (first present wins).
MEASURE_PREFERENCE: tuple[str, ...] = (
    "users",
    "bed_days",
    "admissions",
    "births",
    "pupils",
    "cases",
    "contacts",
)
_FONT = dict(family="Segoe UI, Helvetica, Arial, sans-serif", size=13)


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    require_columns(df, columns, what)
    if df.empty:
        raise InputError(f"{what} frame has no rows", key=what)


def _central(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of the central run (run 0) without the ``run`` column; the frame itself if no runs."""
    if "run" not in df.columns:
        return df
    return df[df["run"] == 0].drop(columns="run")


def _has_runs(df: pd.DataFrame) -> bool:
    return "run" in df.columns and bool((df["run"] > 0).any())


def band(df: pd.DataFrame, keys: Sequence[str], value: str = "value") -> pd.DataFrame | None:
    """P10 and P90 of ``value`` over Monte Carlo runs 1..N for each ``keys`` group (None if no runs).

    ``df`` must already be summed to one row per (keys, run). Returns keys, p10, p90.
    """
    if not _has_runs(df):
        return None
    return quantiles(df, list(keys), value=value, q=BAND_QUANTILES)


def _band_trace(b: pd.DataFrame, colour: str, **kw: object) -> go.Scatter:
    """The P10-P90 band of :func:`band` over years as one filled, hover-less trace."""
    return go.Scatter(
        x=np.concatenate([b["year"], b["year"][::-1]]),
        y=np.concatenate([b["p90"], b["p10"][::-1]]),
        fill="toself",
        fillcolor=_rgba(colour, 0.2),
        line=dict(width=0),
        hoverinfo="skip",
        **kw,
    )


def _layout(fig: go.Figure, title: str, lang: str, **kw: object) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, x=0.01, xanchor="left"),
        font=_FONT,
        template="plotly_white",
        margin=dict(l=60, r=20, t=70, b=50),
        legend=dict(orientation="v", yanchor="top", y=1.0, x=1.02, xanchor="left"),
        separators=", " if lang == "nb" else ".,",
        **kw,
    )
    return fig


def _group_bounds(label: str) -> tuple[int, int]:
    """'80+' → (80, 200); '67-79' → (67, 79)."""
    s = label.strip()
    try:
        if s.endswith("+"):
            return int(s[:-1]), 200
        lo, hi = s.split("-")
        return int(lo), int(hi)
    except ValueError:
        raise InputError(
            f"cannot read age group '{label}'", key="groups", allowed="'80+' or '67-79'"
        ) from None


def _name(code: str, names: Mapping[str, str] | None, lang: str) -> str:
    if code == "region":
        return t("region", lang)
    return (names or {}).get(code, code)


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


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


def age_group_growth(
    population: pd.DataFrame,
    groups: Sequence[str] = ("67+", "80+", "90+"),
    lang: str = "nb",
) -> go.Figure:
    """Persons in each age group by year: one panel per group, the central run as a line and the
    P10–P90 band over Monte Carlo runs when the frame has runs."""
    check_language(lang)
    totals = age_group_totals(population, groups)
    fig = make_subplots(
        rows=1, cols=len(groups), subplot_titles=[str(g) for g in groups], shared_xaxes=True
    )
    for i, g in enumerate(groups, start=1):
        d = totals[totals["group"] == g]
        b = band(d, ["year"], value="population")
        colour = PALETTE[(i - 1) % len(PALETTE)]
        if b is not None:
            fig.add_trace(
                _band_trace(b, colour, name=t("band", lang), legendgroup="band", showlegend=i == 1),
                row=1,
                col=i,
            )
        c = _central(d)
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


# ----------------------------------------------------------------------------------------------
# demand, capacity, staff, costs
# ----------------------------------------------------------------------------------------------
def primary_measures(demand: pd.DataFrame) -> dict[str, str]:
    """The measure shown for each service: the first of :data:`MEASURE_PREFERENCE` it reports,
    else its first measure in alphabetical order."""
    _require(demand, ["service", "measure"], "demand")
    out: dict[str, str] = {}
    for service, measures in demand.groupby("service", sort=True)["measure"]:
        present = set(measures)
        pick = next((m for m in MEASURE_PREFERENCE if m in present), sorted(present)[0])
        out[str(service)] = pick
    return out


def demand_by_service(
    demand: pd.DataFrame,
    lang: str = "nb",
    measures: Mapping[str, str] | None = None,
    service_labels: Mapping[str, str] | None = None,
    cols: int = 3,
) -> go.Figure:
    """Demand for the whole region by year: one panel per (service, measure) of
    :func:`demand_panels` (or one per service of ``measures``), central run and P10–P90 band.
    Services measured only by the population are left out; school health has a panel per level."""
    check_language(lang)
    _require(demand, ["municipality_code", "year", "service", "measure", "value"], "demand")
    panels = list(measures.items()) if measures is not None else demand_panels(demand)
    rows = math.ceil(len(panels) / cols)
    titles = [
        f"{(service_labels or {}).get(s, s)}<br><span style='font-size:11px'>{measure_label(m, lang)}</span>"
        for s, m in panels
    ]
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles,
        vertical_spacing=0.5 / max(rows, 1),
        horizontal_spacing=0.08,
    )
    keys = ["year"] + (["run"] if "run" in demand.columns else [])
    for k, (s, m) in enumerate(panels):
        r, c = divmod(k, cols)
        d = demand[(demand["service"] == s) & (demand["measure"] == m)]
        d = d.groupby(keys, as_index=False)["value"].sum()
        colour = PALETTE[k % len(PALETTE)]
        b = band(d, ["year"])
        if b is not None:
            fig.add_trace(
                _band_trace(b, colour, showlegend=False),
                row=r + 1,
                col=c + 1,
            )
        cd = _central(d)
        fig.add_trace(
            go.Scatter(
                x=cd["year"],
                y=cd["value"],
                mode="lines",
                line=dict(color=colour, width=2),
                name=titles[k],
                showlegend=False,
                hovertemplate="%{x}: %{y:,.1f}<extra>" + titles[k] + "</extra>",
            ),
            row=r + 1,
            col=c + 1,
        )
        fig.update_yaxes(rangemode="tozero", row=r + 1, col=c + 1)
    fig.update_annotations(font_size=12)
    return _layout(fig, t("demand_title", lang), lang=lang, height=max(300, 240 * rows))


def colours(n: int) -> tuple[str, ...]:
    """Distinct colours for ``n`` categories: PALETTE (Okabe-Ito) up to 8, Tol's muted scheme up
    to 10, both together beyond (18 before any colour repeats)."""
    if n <= len(PALETTE):
        return PALETTE
    if n <= len(MANY_PALETTE):
        return MANY_PALETTE
    return MANY_PALETTE + PALETTE


def staff_by_service(
    staff: pd.DataFrame,
    lang: str = "nb",
    measure: str = "fte",
    service_labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """FTE by service and year for the whole region (central run), stacked areas."""
    check_language(lang)
    _require(staff, ["unit", "year", "service", "measure", "value"], "staff")
    d = _central(staff)
    d = d[d["measure"] == measure].groupby(["service", "year"], as_index=False)["value"].sum()
    fig = go.Figure()
    cols = colours(d["service"].nunique())
    for k, (s, g) in enumerate(d.groupby("service", sort=True)):
        label = (service_labels or {}).get(str(s), str(s))
        fig.add_trace(
            go.Scatter(
                x=g["year"],
                y=g["value"],
                mode="lines",
                stackgroup="fte",
                name=label,
                line=dict(color=cols[k % len(cols)], width=1),
                hovertemplate="%{x}: %{y:,.1f}<extra>" + label + "</extra>",
            )
        )
    fig.update_yaxes(title_text=t("fte", lang), rangemode="tozero")
    fig.update_xaxes(title_text=t("year", lang))
    return _layout(fig, t("staff_title", lang), lang=lang, height=450)


def costs_by_municipality(
    costs: pd.DataFrame,
    year: int | None = None,
    lang: str = "nb",
    names: Mapping[str, str] | None = None,
    item_labels: Mapping[str, str] | None = None,
    by: str = "item",
) -> go.Figure:
    """Yearly cost per municipality in ``year`` (default: the last year), stacked by ``by``
    ('item': staff, travel, overliggedøgn; 'service': one colour per service, labelled with
    ``item_labels``), in million NOK at the frame's price year (central run)."""
    if by not in ("item", "service"):
        raise InputError(f"cannot stack costs by '{by}'", key="by", allowed=["item", "service"])
    check_language(lang)
    _require(costs, ["municipality_code", "year", "item", "nok"], "costs")
    d = _central(costs)
    year = int(d["year"].max()) if year is None else int(year)
    d = d[d["year"] == year]
    if d.empty:
        raise InputError(
            f"costs frame has no year {year}",
            key="year",
            allowed=f"{costs['year'].min()}..{costs['year'].max()}",
        )
    price_year = int(d["price_year"].iloc[0]) if "price_year" in d.columns else None
    d = d.groupby(["municipality_code", by], as_index=False)["nok"].sum()
    order = d.groupby("municipality_code")["nok"].sum().sort_values(ascending=False).index.tolist()
    xlabels = {c: _name(str(c), names, lang) for c in order}
    fig = go.Figure()
    cols = colours(d[by].nunique())
    for k, (item, g) in enumerate(d.groupby(by, sort=True)):
        g = g.set_index("municipality_code").reindex(order).fillna({"nok": 0.0})
        label = (item_labels or {}).get(str(item)) or (
            item_label(str(item), lang) if by == "item" else str(item)
        )
        fig.add_trace(
            go.Bar(
                x=[xlabels[c] for c in order],
                y=g["nok"].to_numpy() / 1e6,
                name=label,
                marker_color=cols[k % len(cols)],
                hovertemplate="%{x}: %{y:,.1f}<extra>" + label + "</extra>",
            )
        )
    unit = t("mill_nok", lang) + (f" ({price_year})" if price_year else "")
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text=unit)
    title = t("cost_title" if by == "item" else "cost_service_title", lang, year=year)
    return _layout(fig, title, lang=lang, height=450)


def refusal_curves(
    curves: pd.DataFrame,
    lang: str = "nb",
    target: float | None = None,
    names: Mapping[str, str] | None = None,
    year: int | None = None,
    title_prefix: str | None = None,
) -> go.Figure:
    """Refusal (blocking) probability against the number of beds, one line per unit.

    ``curves``: unit, arrangement ('separate' or 'pooled'), beds, refusal_probability. Separate
    units are dashed, pooled solid; ``target`` draws the refusal target as a horizontal line.
    """
    check_language(lang)
    _require(curves, ["unit", "arrangement", "beds", "refusal_probability"], "curves")
    bad = set(curves["arrangement"]) - {"separate", "pooled"}
    if bad:
        raise InputError(
            f"unknown arrangement {sorted(bad)}", key="arrangement", allowed=["separate", "pooled"]
        )
    fig = go.Figure()
    for k, ((arr, unit), g) in enumerate(curves.groupby(["arrangement", "unit"], sort=True)):
        g = g.sort_values("beds")
        label = f"{_name(str(unit), names, lang)} ({t(str(arr), lang).lower()})"
        fig.add_trace(
            go.Scatter(
                x=g["beds"],
                y=g["refusal_probability"],
                mode="lines+markers",
                name=label,
                line=dict(
                    color=PALETTE[k % len(PALETTE)],
                    dash="solid" if arr == "pooled" else "dash",
                    width=2.5 if arr == "pooled" else 1.5,
                ),
                marker=dict(size=4),
                hovertemplate="%{x}: %{y:.1%}<extra>" + label + "</extra>",
            )
        )
    if target is not None:
        fig.add_hline(
            y=float(target),
            line=dict(color="#D55E00", dash="dot"),
            annotation_text=f"{t('target', lang)} {target:.0%}",
        )
    fig.update_yaxes(
        title_text=t("refusal_probability", lang), tickformat=".0%", rangemode="tozero"
    )
    fig.update_xaxes(title_text=t("beds", lang))
    title = t("refusal_title", lang, year=year if year is not None else "")
    return _layout(
        fig, f"{title_prefix}: {title}" if title_prefix else title, lang=lang, height=450
    )


def beds_separate_pooled(
    beds: pd.DataFrame,
    lang: str = "nb",
    names: Mapping[str, str] | None = None,
    service_labels: Mapping[str, str] | None = None,
    year: int | None = None,
) -> go.Figure:
    """Beds needed per service when each municipality plans alone against one shared unit.

    ``beds``: service, arrangement ('separate'/'pooled'), beds (summed over the members for
    'separate'). Grouped bars per service.
    """
    check_language(lang)
    _require(beds, ["service", "arrangement", "beds"], "beds")
    d = beds.groupby(["service", "arrangement"], as_index=False)["beds"].sum()
    fig = go.Figure()
    for k, arr in enumerate(("separate", "pooled")):
        g = d[d["arrangement"] == arr]
        x = [(service_labels or {}).get(str(s), str(s)) for s in g["service"]]
        fig.add_trace(
            go.Bar(
                x=x,
                y=g["beds"],
                name=t(arr, lang),
                marker_color=PALETTE[k],
                text=[fmt_number(v, lang) for v in g["beds"]],
                textposition="outside",
                hovertemplate="%{x}: %{y:,.0f}<extra>" + t(arr, lang) + "</extra>",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text=t("beds", lang), rangemode="tozero")
    return _layout(
        fig, t("beds_title", lang, year=year if year is not None else ""), lang=lang, height=420
    )


def cost_shares(
    shares: pd.DataFrame,
    lang: str = "nb",
    names: Mapping[str, str] | None = None,
    unit_col: str = "unit",
    share_col: str = "share",
    year: int | None = None,
) -> go.Figure:
    """Share of each shared unit's cost paid by each member municipality: one horizontal stacked
    bar per unit (shares of a unit sum to 1)."""
    check_language(lang)
    _require(shares, [unit_col, "municipality_code", share_col], "cost_shares")
    d = _central(shares)
    if "year" in d.columns:
        y = int(d["year"].max()) if year is None else int(year)
        d = d[d["year"] == y]
        year = y
    d = d.groupby([unit_col, "municipality_code"], as_index=False)[share_col].sum()
    fig = go.Figure()
    for k, (code, g) in enumerate(d.groupby("municipality_code", sort=True)):
        label = _name(str(code), names, lang)
        fig.add_trace(
            go.Bar(
                y=g[unit_col],
                x=g[share_col],
                orientation="h",
                name=label,
                marker_color=PALETTE[k % len(PALETTE)],
                text=[f"{v:.0%}" if v >= 0.05 else "" for v in g[share_col]],
                textposition="inside",
                hovertemplate="%{y}: %{x:.1%}<extra>" + label + "</extra>",
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(tickformat=".0%", range=[0, 1], title_text=t("share", lang))
    return _layout(
        fig,
        t("cost_share_title", lang, year=year if year is not None else ""),
        lang=lang,
        height=max(300, 90 * d[unit_col].nunique() + 150),
    )


def compare_bars(
    table: pd.DataFrame,
    metric: str,
    lang: str = "nb",
    names: Mapping[str, str] | None = None,
    metric_label: str | None = None,
) -> go.Figure:
    """Several scenarios side by side for one ``metric``: grouped bars per municipality (or
    region), one colour per scenario, with P10–P90 error bars when ``p10``/``p90`` are present.

    ``table``: scenario, municipality_code, metric, value [, p10, p90].
    """
    check_language(lang)
    _require(table, ["scenario", "municipality_code", "metric", "value"], "compare")
    d = table[table["metric"] == metric]
    if d.empty:
        raise InputError(
            f"no metric '{metric}' in the comparison",
            key="metric",
            allowed=sorted(table["metric"].unique()),
        )
    fig = go.Figure()
    for k, (scen, g) in enumerate(d.groupby("scenario", sort=False)):
        x = [_name(str(c), names, lang) for c in g["municipality_code"]]
        err = None
        if {"p10", "p90"} <= set(g.columns) and g["p10"].notna().any():
            err = dict(
                type="data",
                symmetric=False,
                array=(g["p90"] - g["value"]).to_numpy(),
                arrayminus=(g["value"] - g["p10"]).to_numpy(),
            )
        fig.add_trace(
            go.Bar(
                x=x,
                y=g["value"],
                name=str(scen),
                marker_color=PALETTE[k % len(PALETTE)],
                error_y=err,
                hovertemplate="%{x}: %{y:,.1f}<extra>" + str(scen) + "</extra>",
            )
        )
    label = metric_label or measure_label(metric, lang)
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text=label)
    return _layout(fig, t("compare_title", lang, metric=label), lang=lang, height=450)


# ----------------------------------------------------------------------------------------------
# map
# ----------------------------------------------------------------------------------------------
def _rings(geom) -> list[np.ndarray]:
    """Exterior rings of a (multi)polygon as arrays of (lon, lat)."""
    polys = getattr(geom, "geoms", [geom])
    return [np.asarray(p.exterior.coords) for p in polys]


def neighbours(geometry, codes: Sequence[str], margin_deg: float = 0.01):
    """Rows of ``geometry`` outside ``codes`` whose polygons touch the region (within
    ``margin_deg`` degrees, about 1 km): the neighbours a map draws for context."""
    inside = geometry["municipality_code"].isin(list(codes))
    if not inside.any():
        return geometry.iloc[0:0]
    with warnings.catch_warnings():  # a margin in degrees is meant (about 1 km)
        warnings.simplefilter("ignore", UserWarning)
        region = geometry.loc[inside].geometry.buffer(margin_deg).union_all()
    others = geometry.loc[~inside]
    return others[others.geometry.intersects(region)]


def map_hub(places: pd.DataFrame, codes: Sequence[str], hub_role: str = "dms") -> str | None:
    """Place id the region map draws travel lines to: the region's place with ``hub_role``, else
    the hospital nearest the mean of the region's centres; None when there is neither."""
    roles = places["role"].astype(str).str.split(";")
    inside = places["municipality_code"].astype(str).isin(list(codes))
    hubs = places[inside & roles.apply(lambda r: hub_role in r)]
    if not hubs.empty:
        return str(hubs["place_id"].iloc[0])
    hospitals = places[roles.apply(lambda r: "hospital" in r)]
    centres = places[inside & roles.apply(lambda r: "municipality_centre" in r)]
    if hospitals.empty or centres.empty:
        return None
    lat, lon = float(centres["lat"].mean()), float(centres["lon"].mean())
    d2 = (hospitals["lat"] - lat) ** 2 + (
        (hospitals["lon"] - lon) * math.cos(math.radians(lat))
    ) ** 2
    return str(hospitals.loc[d2.idxmin(), "place_id"])


def region_map(
    geometry,
    places: pd.DataFrame,
    travel: pd.DataFrame,
    municipalities: Sequence[str],
    lang: str = "nb",
    hub_role: str = "dms",
    context: bool = True,
    hub: str | None = None,
) -> go.Figure:
    """Map of any region without web tiles: municipality polygons (from a GeoDataFrame with
    municipality_code, municipality_name, geometry in WGS84; all of Norway may be passed), places
    (markers by role) and the travel time from each municipality centre to a hub (lines labelled
    in minutes; estimated times marked as such). The hub is ``hub`` (a place id) if given, else
    the region's place with ``hub_role`` (the DMS in Værnes), else the hospital nearest the
    region. With ``context`` the neighbouring municipalities (polygons touching the region) are
    drawn in grey, and only those, so the figure stays small for any region. Works offline:
    plain cartesian traces in lon/lat with the aspect ratio of the region's mean latitude."""
    check_language(lang)
    _require(geometry, ["municipality_code", "municipality_name", "geometry"], "geometry")
    _require(places, ["place_id", "name", "municipality_code", "role", "lat", "lon"], "places")
    codes = [str(c) for c in municipalities]
    unknown = sorted(set(codes) - set(geometry["municipality_code"]))
    if unknown:
        raise InputError(
            f"no geometry for municipalities {unknown}",
            key="municipalities",
            allowed=sorted(geometry["municipality_code"]),
        )
    inside = geometry[geometry["municipality_code"].isin(codes)]
    minx, miny, maxx, maxy = inside.total_bounds
    padx, pady = 0.15 * (maxx - minx) + 0.05, 0.15 * (maxy - miny) + 0.03
    fig = go.Figure()
    if context:
        around = neighbours(geometry, codes)
        xs: list[float] = []
        ys: list[float] = []
        for geom in around.geometry:
            for ring in _rings(geom):
                xs += [*ring[:, 0].tolist(), None]
                ys += [*ring[:, 1].tolist(), None]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line=dict(color="#bbbbbb", width=0.8),
                name=t("other_municipalities", lang),
                hoverinfo="skip",
            )
        )
    for k, row in enumerate(inside.sort_values("municipality_code").itertuples()):
        colour = PALETTE[k % len(PALETTE)]
        first = True
        for ring in _rings(row.geometry):
            fig.add_trace(
                go.Scatter(
                    x=ring[:, 0],
                    y=ring[:, 1],
                    mode="lines",
                    fill="toself",
                    fillcolor=_rgba(colour, 0.25),
                    line=dict(color=colour, width=1.5),
                    name=f"{row.municipality_name} ({row.municipality_code})",
                    legendgroup=row.municipality_code,
                    showlegend=first,
                    hoverinfo="name",
                )
            )
            first = False
        label_at = row.geometry.representative_point()
        fig.add_annotation(
            x=label_at.x,
            y=label_at.y,
            text=f"<b>{row.municipality_name}</b>",
            showarrow=False,
            font=dict(size=12, color="#333333"),
            yshift=-14,
        )
    p = places.set_index("place_id")
    hub = hub if hub is not None else map_hub(places, codes, hub_role)
    if (
        hub is not None
        and hub in p.index
        and {"from_id", "to_id", "minutes"} <= set(travel.columns)
    ):
        centres = places[
            (places["municipality_code"].isin(codes))
            & places["role"].str.contains("municipality_centre")
            & (places["place_id"] != hub)
        ]
        legs = travel[(travel["to_id"] == hub) & travel["from_id"].isin(centres["place_id"])]
        status_col = "minutes_status" if "minutes_status" in travel.columns else "status"
        for leg in legs.itertuples():
            a, b = p.loc[leg.from_id], p.loc[hub]
            status = getattr(leg, status_col, "")
            text = t("map_minutes", lang, minutes=float(leg.minutes))
            if status and status != "sourced":
                text += f" ({status_label(str(status), lang)})"
            fig.add_trace(
                go.Scatter(
                    x=[a["lon"], b["lon"]],
                    y=[a["lat"], b["lat"]],
                    mode="lines",
                    line=dict(
                        color="#444444", width=1.5, dash="dot" if status == "estimated" else "solid"
                    ),
                    hoverinfo="text",
                    hovertext=f"{a['name']} → {b['name']}: {text}",
                    showlegend=False,
                )
            )
            fig.add_annotation(
                x=(a["lon"] + b["lon"]) / 2,
                y=(a["lat"] + b["lat"]) / 2,
                text=text,
                showarrow=False,
                font=dict(size=11, color="#222222"),
                bgcolor="rgba(255,255,255,0.75)",
            )
    shown = places[
        (places["lon"].between(minx - padx, maxx + padx))
        & (places["lat"].between(miny - pady, maxy + pady))
    ]
    for role, symbol, colour in (
        ("municipality_centre", "circle", "#333333"),
        ("legevakt", "cross", "#D55E00"),
        ("hospital", "square", "#009E73"),
        ("dms", "star", "#E69F00"),
    ):
        d = shown[shown["role"].str.split(";").apply(lambda r, role=role: role in r)]
        if d.empty:
            continue
        label = t(f"role_{role}", lang)
        hover = [
            f"{n} ({label}" + (f", {status_label(s, lang)}" if s != "seen" else "") + ")"
            for n, s in zip(d["name"], d.get("status", pd.Series(["seen"] * len(d))), strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=d["lon"],
                y=d["lat"],
                mode="markers",
                marker=dict(
                    symbol=symbol,
                    size=14 if role == "dms" else 9,
                    color=colour,
                    line=dict(color="white", width=1),
                ),
                name=label,
                hoverinfo="text",
                hovertext=hover,
            )
        )
    mean_lat = float((miny + maxy) / 2)
    fig.update_xaxes(range=[minx - padx, maxx + padx], visible=False)
    fig.update_yaxes(
        range=[miny - pady, maxy + pady],
        visible=False,
        scaleanchor="x",
        scaleratio=1.0 / math.cos(math.radians(mean_lat)),
    )
    title = (
        t("map_title", lang, hub=str(p.loc[hub, "name"]).split(" (")[0])
        if hub is not None and hub in p.index
        else t("map_no_hub", lang)
    )
    return _layout(fig, title, lang=lang, height=700)


# ----------------------------------------------------------------------------------------------
# tornado and waterfall (planning.sensitivity, planning.decomposition)
# ----------------------------------------------------------------------------------------------
_HEADLINE_TEXT = {
    "fte": ("årsverk", "FTE"),
    "cost_nok": ("kostnad per år (kr)", "cost per year (NOK)"),
    "beds": ("senger", "beds"),
}


def headline_label(metric: str, lang: str = "nb", reference: str | None = None) -> str:
    """Label of a tornado metric ('fte', 'cost_nok', 'beds' or '<metric>_vs_<reference>')."""
    base, _, ref = metric.partition("_vs_")
    nb, en = _HEADLINE_TEXT.get(base, (base, base))
    text = nb if lang == "nb" else en
    if ref:
        text = (
            f"forskjell i {text} mot {ref}"
            if lang == "nb"
            else f"difference in {text} against {ref}"
        )
    return text


def tornado(
    table: pd.DataFrame,
    metric: str,
    lang: str = "nb",
    n: int = 10,
    labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Tornado chart of the ``n`` largest swings of ``metric`` (from
    :func:`planning.sensitivity.tornado`): one bar per parameter from the headline at its low to
    the headline at its high value, around the central value."""
    check_language(lang)
    _require(
        table,
        ["parameter", "metric", "central", "at_low", "at_high", "swing", "evaluated"],
        "tornado",
    )
    t_ = table[(table["metric"] == metric) & table["evaluated"]]
    if t_.empty:
        raise InputError(f"no tornado rows for metric {metric}", key="metric")
    t_ = t_.reindex(t_["swing"].abs().sort_values(ascending=False).index).head(n).iloc[::-1]
    central = float(t_["central"].iloc[0])
    from planning.parameter_text import parameter_label

    names = [(labels or {}).get(p, parameter_label(p, lang)) for p in t_["parameter"]]
    low_text, high_text = ("lav", "høy") if lang == "nb" else ("low", "high")
    fig = go.Figure()
    for col, name, colour in (("at_low", low_text, PALETTE[0]), ("at_high", high_text, PALETTE[1])):
        fig.add_trace(
            go.Bar(
                y=names,
                x=t_[col] - central,
                base=central,
                orientation="h",
                name=name,
                marker_color=colour,
                customdata=np.stack([t_["low"], t_["high"], t_[col]], axis=1),
                hovertemplate="%{y}<br>"
                + ("verdi " if lang == "nb" else "value ")
                + ("%{customdata[0]:.4g}" if col == "at_low" else "%{customdata[1]:.4g}")
                + ": %{customdata[2]:,.1f}<extra></extra>",
            )
        )
    fig.add_vline(x=central, line_color="#444", line_width=1)
    title = (
        f"Hva betyr mest: {headline_label(metric, lang)}"
        if lang == "nb"
        else f"What matters most: {headline_label(metric, lang)}"
    )
    return _layout(
        fig,
        title,
        lang,
        barmode="overlay",
        height=120 + 32 * len(t_),
        xaxis_title=headline_label(metric, lang),
    )


def waterfall(table: pd.DataFrame, metric: str, lang: str = "nb") -> go.Figure:
    """Waterfall of ``metric`` from the first year to the horizon (from
    :func:`planning.decomposition.waterfall`): the start, one bar per driver, the end."""
    check_language(lang)
    _require(table, ["metric", "driver", "label_nb", "label_en", "after", "change"], "waterfall")
    t_ = table[table["metric"] == metric]
    if t_.empty:
        raise InputError(f"no waterfall rows for metric {metric}", key="metric")
    label = "label_nb" if lang == "nb" else "label_en"
    start = t_[t_["driver"] == "start"].iloc[0]
    total = t_[t_["driver"] == "total"].iloc[0]
    steps = t_[~t_["driver"].isin(["start", "total"])]
    end_text = f"{int(total['year_to'])}"
    fig = go.Figure(
        go.Waterfall(
            x=[f"{start[label]} ({int(start['year_from'])})", *steps[label], end_text],
            y=[start["after"], *steps["change"], total["after"]],
            measure=["absolute", *["relative"] * len(steps), "total"],
            increasing={"marker": {"color": PALETTE[5]}},
            decreasing={"marker": {"color": PALETTE[2]}},
            totals={"marker": {"color": PALETTE[0]}},
            connector={"line": {"color": "#888"}},
        )
    )
    title = (
        f"Hvorfor endres {headline_label(metric, lang)}"
        if lang == "nb"
        else f"Why {headline_label(metric, lang)} changes"
    )
    return _layout(fig, title, lang, showlegend=False, yaxis_title=headline_label(metric, lang))


# ----------------------------------------------------------------------------------------------
# workforce (issue 17)
# ----------------------------------------------------------------------------------------------
def workforce_ratios(
    workforce: pd.DataFrame,
    lang: str = "nb",
    names: Mapping[str, str] | None = None,
    national_fte: Mapping[str, object] | None = None,
) -> go.Figure:
    """Two panels by year: modelled FTE per 100 inhabitants aged 20-66 per municipality and for
    the region (with the national care-service figure of ``national_fte`` as a marker, if given),
    and inhabitants aged 20-66 per inhabitant aged 80+ per municipality, region and Norway
    (dashed). ``workforce``: :func:`planning.workforce.workforce_frame`."""
    check_language(lang)
    _require(
        workforce,
        ["municipality_code", "year", "fte_per_100_working_age", "working_age_per_80plus"],
        "workforce",
    )
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=[t("fte_per_100", lang), t("care_ratio", lang)],
        horizontal_spacing=0.1,
    )
    codes = [
        c for c in dict.fromkeys(workforce["municipality_code"]) if c not in ("region", "norway")
    ]
    series = [*codes, "region", "norway"]
    for k, code in enumerate(series):
        d = workforce[workforce["municipality_code"] == code]
        if code == "norway":
            label, colour, dash, width = t("norway", lang), "#000000", "dash", 2.5
        elif code == "region":
            label, colour, dash, width = t("region", lang), "#444444", "solid", 3.5
        else:
            label, colour, dash, width = (
                _name(code, names, lang),
                PALETTE[k % len(PALETTE)],
                "solid",
                1.8,
            )
        for col, metric in ((1, "fte_per_100_working_age"), (2, "working_age_per_80plus")):
            dd = d[d[metric].notna()]
            if dd.empty:
                continue
            fig.add_trace(
                go.Scatter(
                    x=dd["year"],
                    y=dd[metric],
                    mode="lines",
                    name=label,
                    legendgroup=code,
                    showlegend=col == 2,
                    line=dict(color=colour, dash=dash, width=width),
                    hovertemplate="%{x}: %{y:,.1f}<extra>" + label + "</extra>",
                ),
                row=1,
                col=col,
            )
    if national_fte is not None:
        nat = workforce[
            (workforce["municipality_code"] == "norway")
            & workforce["care_fte_per_100_working_age"].notna()
        ]
        if len(nat):
            label = t("norway_care_fte", lang, year=national_fte.get("year"))
            fig.add_trace(
                go.Scatter(
                    x=nat["year"],
                    y=nat["care_fte_per_100_working_age"],
                    mode="markers+text",
                    marker=dict(symbol="diamond", size=11, color="#000000"),
                    text=[fmt_number(v, lang, 1) for v in nat["care_fte_per_100_working_age"]],
                    textposition="top center",
                    name=label,
                    hovertemplate="%{x}: %{y:,.1f}<extra>" + label + "</extra>",
                ),
                row=1,
                col=1,
            )
    fig.update_yaxes(rangemode="tozero")
    fig.update_xaxes(title_text=t("year", lang))
    return _layout(fig, t("workforce_title", lang), lang=lang, height=460)


def profession_bars(
    professions: pd.DataFrame, lang: str = "nb", labels: Mapping[str, str] | None = None
) -> go.Figure:
    """Modelled FTE of the region per profession group (bars) for each year in the frame, the
    base year ('today') first. ``professions``: :func:`planning.workforce.profession_fte`."""
    check_language(lang)
    _require(professions, ["profession", "year", "fte", "fte_today"], "professions")
    years = sorted(professions["year"].unique())
    fig = go.Figure()
    grey = ("#BBBBBB",)
    for k, y in enumerate(years):
        d = professions[professions["year"] == y]
        x = [(labels or {}).get(p, p) for p in d["profession"]]
        fig.add_trace(
            go.Bar(
                x=x,
                y=d["fte"],
                name=str(y),
                marker_color=(grey + PALETTE)[k % (len(PALETTE) + 1)],
                customdata=np.c_[d["fte"] - d["fte_today"]],
                hovertemplate="%{x}: %{y:,.1f} (%{customdata[0]:+,.1f})<extra>"
                + str(y)
                + "</extra>",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text=t("fte", lang), rangemode="tozero")
    return _layout(fig, t("profession_title", lang, base=years[0]), lang=lang, height=430)


# ----------------------------------------------------------------------------------------------
# beds in use, refusals, travel to shared units (issue 17)
# ----------------------------------------------------------------------------------------------
def demand_panels(demand: pd.DataFrame) -> list[tuple[str, str]]:
    """(service, measure) of each panel of the demand chart: each service's main measure
    (:func:`primary_measures`), every school level of the school health service, and no panel for
    services measured only by the population (legevakt, fastlege, kommuneoverlege: their line
    would just repeat the population)."""
    _require(demand, ["service", "measure"], "demand")
    out: list[tuple[str, str]] = []
    for service, measures in demand.groupby("service", sort=True)["measure"]:
        present = sorted(set(measures))
        pupils = [m for m in present if m.startswith("pupils_")]
        if pupils:
            out += [(str(service), m) for m in pupils]
            continue
        pick = next((m for m in MEASURE_PREFERENCE if m in present), None)
        if pick is None:
            rest = [m for m in present if m not in ("population", "fte")]
            pick = rest[0] if rest else None
        if pick is not None:
            out.append((str(service), pick))
    return out


def kad_activity(
    demand: pd.DataFrame,
    capacity: pd.DataFrame,
    lang: str = "nb",
    names: Mapping[str, str] | None = None,
    national_occupancy: Mapping[str, object] | None = None,
    service: str = "kad",
) -> go.Figure:
    """KAD/ØHD: admissions a year in the region (central run, P10–P90 band with runs) and the
    occupancy of each KAD unit by year, beside the national occupancy (``national_occupancy``:
    value, year, publisher) as a dotted line."""
    check_language(lang)
    _require(demand, ["municipality_code", "year", "service", "measure", "value"], "demand")
    _require(capacity, ["unit", "year", "service", "measure", "value"], "capacity")
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=[t("kad_admissions", lang), t("kad_occupancy", lang)],
        horizontal_spacing=0.12,
    )
    keys = ["year"] + (["run"] if "run" in demand.columns else [])
    d = demand[(demand["service"] == service) & (demand["measure"] == "admissions")]
    d = d.groupby(keys, as_index=False)["value"].sum()
    b = band(d, ["year"])
    if b is not None:
        fig.add_trace(
            _band_trace(b, PALETTE[0], name=t("band", lang), showlegend=False), row=1, col=1
        )
    c = _central(d)
    fig.add_trace(
        go.Scatter(
            x=c["year"],
            y=c["value"],
            mode="lines",
            line=dict(color=PALETTE[0], width=2.5),
            name=t("kad_admissions", lang),
            showlegend=False,
            hovertemplate="%{x}: %{y:,.0f}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    occ = _central(capacity)
    occ = occ[(occ["service"] == service) & (occ["measure"] == "occupancy")]
    for k, (unit, g) in enumerate(occ.groupby("unit", sort=True)):
        label = _name(str(unit), names, lang)
        fig.add_trace(
            go.Scatter(
                x=g["year"],
                y=g["value"],
                mode="lines",
                name=label,
                line=dict(color=PALETTE[(k + 1) % len(PALETTE)], width=2),
                hovertemplate="%{x}: %{y:.0%}<extra>" + label + "</extra>",
            ),
            row=1,
            col=2,
        )
    if national_occupancy is not None:
        v = float(national_occupancy["value"])  # type: ignore[arg-type]
        label = t("national_occupancy", lang, year=national_occupancy.get("year"), value=f"{v:.0%}")
        years = occ["year"] if len(occ) else c["year"]
        fig.add_trace(
            go.Scatter(
                x=[years.min(), years.max()],
                y=[v, v],
                mode="lines",
                name=label,
                line=dict(color="#000000", dash="dot", width=2),
                hoverinfo="name",
            ),
            row=1,
            col=2,
        )
    fig.update_yaxes(rangemode="tozero", row=1, col=1, title_text=t("per_year", lang))
    fig.update_yaxes(tickformat=".0%", range=[0, 1], row=1, col=2)
    fig.update_xaxes(title_text=t("year", lang))
    return _layout(fig, t("kad_title", lang), lang=lang, height=430)


def refusals_chart(
    refusals: pd.DataFrame, lang: str = "nb", service_labels: Mapping[str, str] | None = None
) -> go.Figure:
    """Patients refused a bed a year per bed service (left) and overliggedøgn a year (right: the
    step-down bed-days refused, which the municipality pays the hospital for).
    ``refusals``: :func:`planning.reports.refusals_frame`."""
    check_language(lang)
    _require(refusals, ["service", "year", "refused_admissions", "refused_bed_days"], "refusals")
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=[t("refused_patients", lang), t("overliggedogn_days", lang)],
        horizontal_spacing=0.12,
    )
    for k, (service, g) in enumerate(refusals.groupby("service", sort=True)):
        label = (service_labels or {}).get(str(service), str(service))
        fig.add_trace(
            go.Scatter(
                x=g["year"],
                y=g["refused_admissions"],
                mode="lines",
                name=label,
                line=dict(color=PALETTE[k % len(PALETTE)], width=2),
                hovertemplate="%{x}: %{y:,.1f}<extra>" + label + "</extra>",
            ),
            row=1,
            col=1,
        )
    ov = (
        refusals[refusals["overliggedogn"]]
        if "overliggedogn" in refusals.columns
        else refusals.iloc[:0]
    )
    for service, g in ov.groupby("service", sort=True):
        label = (service_labels or {}).get(str(service), str(service))
        custom = (
            g["overliggedogn_nok"].to_numpy() / 1e6 if "overliggedogn_nok" in g.columns else None
        )
        fig.add_trace(
            go.Bar(
                x=g["year"],
                y=g["refused_bed_days"],
                name=t("overliggedogn_days", lang),
                marker_color="#D55E00",
                customdata=custom,
                showlegend=False,
                hovertemplate="%{x}: %{y:,.0f}"
                + (
                    " (%{customdata:,.1f} " + t("mill_nok", lang) + ")"
                    if custom is not None
                    else ""
                )
                + "<extra>"
                + label
                + "</extra>",
            ),
            row=1,
            col=2,
        )
    fig.update_yaxes(rangemode="tozero", title_text=t("per_year", lang), row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=1, col=2)
    fig.update_xaxes(title_text=t("year", lang))
    return _layout(fig, t("refusals_title", lang), lang=lang, height=430)


def shared_travel(
    travel: pd.DataFrame,
    lang: str = "nb",
    names: Mapping[str, str] | None = None,
    service_labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Travel minutes from each member to the host of every shared unit (bars, one colour per
    member) and the mean weighted by the members' users (black diamond).
    ``travel``: :func:`planning.reports.shared_travel_frame`."""
    check_language(lang)
    _require(
        travel,
        ["unit", "service", "municipality_code", "minutes", "users", "weighted_minutes"],
        "travel",
    )
    units = list(dict.fromkeys(travel["unit"]))
    ylabel = {
        u: f"{(service_labels or {}).get(s, s)}"
        for u, s in zip(travel["unit"], travel["service"], strict=True)
    }
    fig = go.Figure()
    for k, (code, g) in enumerate(travel.groupby("municipality_code", sort=True)):
        label = _name(str(code), names, lang)
        fig.add_trace(
            go.Bar(
                y=[ylabel[u] for u in g["unit"]],
                x=g["minutes"],
                orientation="h",
                name=label,
                marker_color=PALETTE[k % len(PALETTE)],
                customdata=g["users"],
                hovertemplate="%{y}: %{x:.0f} min (%{customdata:,.0f})<extra>" + label + "</extra>",
            )
        )
    w = travel.drop_duplicates("unit")
    label = t("weighted_minutes", lang)
    fig.add_trace(
        go.Scatter(
            y=[ylabel[u] for u in w["unit"]],
            x=w["weighted_minutes"],
            mode="markers+text",
            name=label,
            marker=dict(symbol="diamond", size=12, color="#000000"),
            text=[f"{v:.0f}" for v in w["weighted_minutes"]],
            textposition="middle right",
            hovertemplate="%{y}: %{x:.1f} min<extra>" + label + "</extra>",
        )
    )
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text=t("minutes_to_host", lang), rangemode="tozero")
    return _layout(fig, t("travel_title", lang), lang=lang, height=max(320, 70 * len(units) + 160))
