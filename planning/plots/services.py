"""Demand, capacity, staff and cost figures by service and municipality, and scenario
comparisons.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from planning.errors import InputError
from planning.i18n import check_language, fmt_number, item_label, measure_label, t
from planning.plots.common import (
    MANY_PALETTE,
    MEASURE_PREFERENCE,
    PALETTE,
    _band_trace,
    _central,
    _layout,
    _name,
    _require,
    band_columns,
    line_and_band,
)
from planning.plots.units import demand_panels, panel_label


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


def demand_bands(demand: Any) -> pd.DataFrame:
    """The region's demand reduced over runs, what :func:`demand_by_service` draws: one row per
    (year, service, measure) with municipality_code 'region', ``value`` (central run 0, summed
    over the municipalities) and ``p10``/``p90`` over runs 1..N of the region's sums (blank
    without runs). ``demand``: a :class:`planning.demand.Demand` (its arrays: a few thousand
    rows instead of millions at 500 runs), a result of :func:`planning.scenarios.run`, or a tidy
    demand frame."""
    from planning.demand import Demand

    if not isinstance(demand, Demand | pd.DataFrame):
        arrays = demand.arrays("demand")  # a ScenarioResult
        demand = arrays if arrays is not None else demand.demand
    if isinstance(demand, pd.DataFrame):
        _require(demand, ["municipality_code", "year", "service", "measure", "value"], "demand")
        keys = ["year", "service", "measure"]
        d = demand if "run" in demand.columns else demand.assign(run=0)
        wide = d.groupby([*keys, "run"])["value"].sum().unstack(keys).sort_index()  # runs x keys
        cols = wide.columns.to_frame(index=False)
        b = band_columns(wide.to_numpy(), "run" in demand.columns)
        out = cols.assign(municipality_code="region", **b)
    else:
        items = sorted(demand.columns.items(), key=lambda kv: kv[0])
        v = demand.values[..., [i for _, i in items]].sum(axis=1)  # (runs, years, columns)
        b = band_columns(v, demand.with_run)
        Y, C = v.shape[1:]
        out = pd.DataFrame(
            {
                "municipality_code": "region",
                "year": np.repeat(np.asarray(demand.years, dtype=np.int64), C),
                "service": np.tile([k[0] for k, _ in items], Y),
                "measure": np.tile([k[1] for k, _ in items], Y),
                **{k: x.reshape(-1) for k, x in b.items()},
            }
        )
    cols = ["municipality_code", "year", "service", "measure", "value", "p10", "p90"]
    return out[cols].sort_values(["service", "measure", "year"], ignore_index=True)


def demand_by_service(
    demand: pd.DataFrame,
    lang: str = "nb",
    measures: Mapping[str, str] | None = None,
    service_labels: Mapping[str, str] | None = None,
    cols: int = 3,
    catalogue: Any = None,
    served: pd.DataFrame | None = None,
) -> go.Figure:
    """Demand for the whole region by year: one panel per (service, measure) of
    :func:`demand_panels` (or one per service of ``measures``), central run and P10–P90 band.
    Measures that are only a population are left out (by the markers of the scenario's
    ``catalogue``, needed unless ``measures`` is given); school health has a panel per level.
    ``demand``: the tidy demand frame (summed over municipalities per run), or its reduction
    over runs :func:`demand_bands` (the same lines and bands without every run's rows).
    ``served``: the users of services whose users the capacity holds (psykisk helse og rus's
    users with substance problems, a prevention unit's participants), as
    :func:`planning.plots.units.served_bands` reduces them: their panels join the others in
    service order, drawn the same way."""
    check_language(lang)
    _require(demand, ["municipality_code", "year", "service", "measure", "value"], "demand")
    if measures is None and catalogue is None:
        raise InputError(
            "demand_by_service needs the scenario's catalogue (or the measures to show)",
            key="catalogue",
        )
    panels = [
        (s, m, demand)
        for s, m in (measures.items() if measures is not None else demand_panels(demand, catalogue))
    ]
    if served is not None and len(served):
        _require(served, ["year", "service", "measure", "value"], "served")
        extra = demand_panels(served, catalogue) if catalogue is not None else []
        panels = sorted(panels + [(s, m, served) for s, m in extra], key=lambda p: p[0])
    rows = math.ceil(len(panels) / cols)
    titles = [
        f"{(service_labels or {}).get(s, s)}<br><span style='font-size:11px'>{panel_label(catalogue, s, m, lang)}</span>"
        for s, m, _ in panels
    ]
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles,
        vertical_spacing=0.5 / max(rows, 1),
        horizontal_spacing=0.08,
    )
    for k, (s, m, frame) in enumerate(panels):
        r, c = divmod(k, cols)
        d = frame[(frame["service"] == s) & (frame["measure"] == m)]
        cd, b = line_and_band(d, ["year"])
        colour = PALETTE[k % len(PALETTE)]
        if b is not None:
            fig.add_trace(
                _band_trace(b, colour, showlegend=False),
                row=r + 1,
                col=c + 1,
            )
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
