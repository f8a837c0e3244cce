"""The trace data of each chart of the explore notebook, in the order :mod:`planning.plots`
draws the traces: what :meth:`planning.explore.Explorer.series` puts into a live chart (one
restyle), computed from the arrays of the explorer's cached stages
(:mod:`planning.explore.sums`, no tidy frame) and kept per stage
(:meth:`planning.explore.Explorer._summary`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from planning import plots
from planning.explore import Explorer, sums
from planning.i18n import fmt_number, t

_Arrays = tuple[np.ndarray, ...]


def _pyramid_series(ex: Explorer) -> tuple[tuple, list[dict[str, Any]], dict[str, Any]]:
    y0, y1 = int(ex.base.horizon.base_year), int(ex.values["end_year"])
    years = sorted({y0, y1})

    def make(year: int) -> dict[tuple[int, str], _Arrays]:  # one year's bars, kept per year
        bars = sums.pyramid_bars(ex._stages_full["population0"], year)
        return {(year, sex): bars[sex] for sex in bars}

    full = {}
    for year in years:
        full.update(ex._summary("pyramid", lambda year=year: make(year), part=year))
    traces = []
    vmax = 1.0
    for year in years:
        for sex in ("male", "female"):
            band, pop = full[(year, sex)]
            vmax = max(vmax, float(pop.max()) if pop.size else 0.0)
            name = f"{t(sex, ex.lang)} {year}"
            traces.append(
                {
                    "x": (-1.0 if sex == "male" else 1.0) * pop,
                    "y": band,
                    "customdata": pop,
                    "name": name,
                    "hovertemplate": "%{y}: %{customdata:,.0f}<extra>" + name + "</extra>",
                }
            )
    ticks = plots.population._nice_ticks(vmax)
    joint = " og " if ex.lang == "nb" else " and "
    layout = {
        "title.text": t("pyramid_title", ex.lang, years=joint.join(map(str, years))),
        "xaxis.tickvals": [-v for v in ticks[::-1]] + ticks[1:],
        "xaxis.ticktext": [fmt_number(v, ex.lang) for v in ticks[::-1]]
        + [fmt_number(v, ex.lang) for v in ticks[1:]],
    }
    return (len(years), tuple(d["y"].size for d in traces)), traces, layout


def _full(line: tuple[np.ndarray, np.ndarray, np.ndarray | None]) -> tuple[_Arrays | None, _Arrays]:
    """(band as (years, p10, p90) or None, central line as (years, values)) of one panel from
    (years, central, (p10, p90) or None)."""
    years, central, band = line
    return (None if band is None else (years, band[0], band[1])), (years, central)


def _band_central(
    full: tuple[_Arrays | None, _Arrays], end_year: int, pending: bool = False
) -> list[dict[str, Any]]:
    """The band (when computed; an empty band trace while ``pending``) and the central line of
    one panel, cut to ``end_year``."""
    b, (cy, cv) = full
    out: list[dict[str, Any]] = []
    if b is None and pending:
        out.append({"x": np.array([]), "y": np.array([])})
    elif b is not None:
        y, p10, p90 = b
        keep = y <= end_year
        y, p10, p90 = y[keep], p10[keep], p90[keep]
        out.append({"x": np.concatenate([y, y[::-1]]), "y": np.concatenate([p90, p10[::-1]])})
    keep = cy <= end_year
    out.append({"x": cy[keep], "y": cv[keep]})
    return out


_GROUPS = ("67+", "80+", "90+")


def _growth_series(ex: Explorer) -> tuple[tuple, list[dict[str, Any]], dict[str, Any]]:
    def make() -> list[Any]:
        return [_full(x) for x in sums.age_group_lines(ex._stages_full["population"], _GROUPS)]

    y1 = int(ex.values["end_year"])
    traces: list[dict[str, Any]] = []
    for full in ex._summary("growth", make):
        traces += _band_central(full, y1, ex.bands_pending)
    return ("growth", len(traces)), traces, {}


def _panels(pairs: list[tuple[str, str]], ex: Explorer) -> list[tuple[str, str]]:
    """:func:`planning.plots.demand_panels` of these (service, measure) pairs."""
    frame = pd.DataFrame(pairs, columns=["service", "measure"], dtype=object)
    return plots.demand_panels(frame, ex.base.catalogue())


def _demand_series(ex: Explorer) -> tuple[tuple, list[dict[str, Any]], dict[str, Any]]:
    def make() -> tuple[list[tuple[str, str]], list[Any]]:
        demand = ex._stages_full["demand"]
        panels = ex._sum.get_or(
            ("panels", tuple(demand.columns)), lambda: _panels(list(demand.columns), ex)
        )
        return panels, [_full(x) for x in sums.demand_lines(demand, panels)]

    def make_served() -> list[tuple[tuple[str, str], Any]]:
        # users the capacity holds (psykisk helse og rus, prevention units): central run only
        years, lines = ex._served_lines()
        return [((s, m), (None, (years, lines[(s, m)]))) for s, m in _panels(list(lines), ex)]

    panels, parts = ex._summary("demand", make)
    extra = ex._summary("served", make_served)
    # in service order, as plots.demand_by_service places the served panels among the others
    both = sorted(
        [(p, full, ex.bands_pending) for p, full in zip(panels, parts, strict=True)]
        + [(p, full, False) for p, full in extra],
        key=lambda x: x[0][0],
    )
    y1 = int(ex.values["end_year"])
    traces: list[dict[str, Any]] = []
    for _, full, pending in both:
        traces += _band_central(full, y1, pending)
    return (tuple(p for p, _, _ in both), len(traces)), traces, {}


def _beds_series(ex: Explorer) -> tuple[tuple, list[dict[str, Any]], dict[str, Any]]:
    rows = ex._beds().to_dict("records")  # one row per service and arrangement, services sorted
    traces = []
    for arr in ("separate", "pooled"):
        g = [r for r in rows if r["arrangement"] == arr]
        traces.append(
            {
                "x": [ex.labels.get(str(r["service"]), str(r["service"])) for r in g],
                "y": np.array([r["beds"] for r in g], dtype=float),
                "text": [fmt_number(r["beds"], ex.lang) for r in g],
            }
        )
    layout = {"title.text": t("beds_title", ex.lang, year=int(ex.values["end_year"]))}
    return ("beds", tuple(len(x["x"]) for x in traces)), traces, layout


def _fte_series(ex: Explorer) -> tuple[tuple, list[dict[str, Any]], dict[str, Any]]:
    def make() -> dict[str, _Arrays]:
        plan = ex._stages_full["plan"]
        years = np.asarray(plan.years)
        return {s: (years, v) for s, v in sums.staff_fte_by_service(plan).items()}

    y1 = int(ex.values["end_year"])
    full = ex._summary("fte", make)
    traces = [{"x": y[y <= y1], "y": v[y <= y1]} for y, v in full.values()]
    return ("fte", tuple(full)), traces, {}


def _cost_series(ex: Explorer) -> tuple[tuple, list[dict[str, Any]], dict[str, Any]]:
    def make() -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
        plan = ex._stages_full["plan"]
        codes, items, arr = sums.costs_by_municipality_item(plan)
        return codes, items, np.asarray(plan.years), arr

    y1 = int(ex.values["end_year"])
    codes, items, years, arr = ex._summary("cost", make)
    at = arr[:, :, int(np.searchsorted(years, y1))]
    order = np.argsort(-at.sum(axis=1), kind="stable")
    x = [plots.common._name(codes[i], ex.names, ex.lang) for i in order]
    traces = [{"x": x, "y": at[order, k] / 1e6} for k in range(len(items))]
    layout = {"title.text": t("cost_title", ex.lang, year=y1)}
    return (
        ("cost", tuple(items)),
        traces,
        layout,
    )  # a different number of municipalities restyles too


def _map_series(ex: Explorer) -> tuple[tuple, list[dict[str, Any]], dict[str, Any]]:
    """The map has no data to restyle: it is redrawn when the municipalities change."""
    return ("map", tuple(ex.values["municipalities"])), [], {}


SERIES: dict[str, Callable[[Explorer], tuple[tuple, list[dict[str, Any]], dict[str, Any]]]] = {
    "pyramid": _pyramid_series,
    "growth": _growth_series,
    "demand": _demand_series,
    "beds": _beds_series,
    "fte": _fte_series,
    "cost": _cost_series,
    "map": _map_series,
}
