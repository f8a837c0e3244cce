"""The trace data of each chart of the explore notebook, in the order :mod:`planning.plots`
draws the traces: what :meth:`planning.explore.Explorer.series` puts into a live chart (one
restyle), computed from the explorer's cached stages and kept per stage
(:meth:`planning.explore.Explorer._summary`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from planning import plots
from planning.explore import Explorer, _central, _tidy
from planning.i18n import fmt_number, t

_Arrays = tuple[np.ndarray, ...]


def _pyramid_series(ex: Explorer) -> tuple[tuple, list[dict[str, Any]], dict[str, Any]]:
    y0, y1 = int(ex.base.horizon.base_year), int(ex.values["end_year"])
    years = sorted({y0, y1})

    def make(year: int) -> dict[tuple[int, str], _Arrays]:  # one year's bars, kept per year
        pf = plots.pyramid_frame(ex._region_of("population0"), [year])
        return {
            (int(y), str(sex)): (
                g["band"].to_numpy(dtype=object),
                g["population"].to_numpy(dtype=float),
            )
            for (y, sex), g in pf.groupby(["year", "sex"], sort=False)
        }

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


def _band_central_full(d: pd.DataFrame, value: str) -> tuple[_Arrays | None, _Arrays]:
    """P10/P90 by year over runs 1..N (as plots.band) and the central run of a frame summed to
    one row per (year, run), as arrays."""
    b = plots.band(d, ["year"], value=value)
    c = _central(d)
    bands = None if b is None else (b["year"].to_numpy(), b["p10"].to_numpy(), b["p90"].to_numpy())
    return bands, (c["year"].to_numpy(), c[value].to_numpy(dtype=float))


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
        totals = plots.age_group_totals(ex._region_of("population"), _GROUPS)
        return [_band_central_full(totals[totals["group"] == g], "population") for g in _GROUPS]

    y1 = int(ex.values["end_year"])
    traces: list[dict[str, Any]] = []
    for full in ex._summary("growth", make):
        traces += _band_central(full, y1, ex.bands_pending)
    return ("growth", len(traces)), traces, {}


def served_frame(ex: Explorer) -> pd.DataFrame:
    """What :meth:`planning.explore.Explorer.served` keeps, from the central plan's capacity."""
    cap = ex._stages_full["capacity"]
    demand_pairs = list(ex._stages_full["demand0"].columns)
    pairs = cap[["service", "measure"]].astype(str).drop_duplicates()
    keep = plots.served_in_capacity(
        demand_pairs, pairs.itertuples(index=False), ex.base.catalogue()
    )
    cols = ["municipality_code", "year", "service", "measure", "value"]
    if not keep:
        return pd.DataFrame(columns=cols)
    c = cap[pd.MultiIndex.from_frame(cap[["service", "measure"]].astype(str)).isin(keep)]
    g = c.groupby(["service", "measure", "year"], as_index=False, observed=True)["value"].sum()
    g["service"], g["measure"] = g["service"].astype(str), g["measure"].astype(str)
    runs = g.groupby(["service", "measure"], observed=True)["value"].transform("max") > 0
    return g[runs].assign(municipality_code="region")[cols].reset_index(drop=True)


def _demand_series(ex: Explorer) -> tuple[tuple, list[dict[str, Any]], dict[str, Any]]:
    def make() -> tuple[list[tuple[str, str]], list[Any]]:
        demand = _tidy(ex._stages_full["demand"])
        panels = plots.demand_panels(demand, ex.base.catalogue())
        if "run" not in demand.columns:  # the central run alone: sums by panel with numpy
            g = demand.groupby(["service", "measure", "year"], sort=True, observed=True)["value"]
            s = g.sum()
            svc = s.index.get_level_values(0).astype(str).to_numpy()
            msr = s.index.get_level_values(1).astype(str).to_numpy()
            yrs, val = s.index.get_level_values(2).to_numpy(), s.to_numpy(dtype=float)
            parts = []
            for p_s, p_m in panels:
                keep = (svc == p_s) & (msr == p_m)
                parts.append((None, (yrs[keep], val[keep])))
            return panels, parts
        keys = ["year"] + (["run"] if "run" in demand.columns else [])
        g = demand.groupby(
            ["service", "measure", *keys], as_index=False, sort=False, observed=True
        )["value"].sum()
        g["service"], g["measure"] = g["service"].astype(str), g["measure"].astype(str)
        by_panel = {
            (str(s), str(m)): d.drop(columns=["service", "measure"])
            for (s, m), d in g.groupby(["service", "measure"], sort=False, observed=True)
        }
        return panels, [_band_central_full(by_panel[p], "value") for p in panels]

    def make_served() -> list[tuple[tuple[str, str], Any]]:
        # users the capacity holds (psykisk helse og rus, prevention units): central run only
        served = ex.served()
        return [
            ((s, m), (None, (d["year"].to_numpy(), d["value"].to_numpy(dtype=float))))
            for s, m in plots.demand_panels(served, ex.base.catalogue())
            for d in [served[(served["service"] == s) & (served["measure"] == m)]]
        ]

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
    d = ex._beds().groupby(["service", "arrangement"], as_index=False)["beds"].sum()
    traces = []
    for arr in ("separate", "pooled"):
        g = d[d["arrangement"] == arr]
        traces.append(
            {
                "x": [ex.labels.get(str(s), str(s)) for s in g["service"]],
                "y": g["beds"].to_numpy(),
                "text": [fmt_number(v, ex.lang) for v in g["beds"]],
            }
        )
    layout = {"title.text": t("beds_title", ex.lang, year=int(ex.values["end_year"]))}
    return ("beds", tuple(len(x["x"]) for x in traces)), traces, layout


def _fte_series(ex: Explorer) -> tuple[tuple, list[dict[str, Any]], dict[str, Any]]:
    def make() -> dict[str, _Arrays]:
        st = _central(ex._stages_full["staff"])
        d = st[st["measure"] == "fte"].groupby(["service", "year"], as_index=False)["value"].sum()
        return {
            str(s): (g["year"].to_numpy(), g["value"].to_numpy(dtype=float))
            for s, g in d.groupby("service", sort=True)
        }

    y1 = int(ex.values["end_year"])
    full = ex._summary("fte", make)
    traces = [{"x": y[y <= y1], "y": v[y <= y1]} for y, v in full.values()]
    return ("fte", tuple(full)), traces, {}


def _cost_series(ex: Explorer) -> tuple[tuple, list[dict[str, Any]], dict[str, Any]]:
    def make() -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
        c = _central(ex._stages_full["costs"])
        g = c.groupby(["municipality_code", "item", "year"], as_index=False, observed=True)[
            "nok"
        ].sum()
        codes = sorted(map(str, g["municipality_code"].unique()))
        items = sorted(map(str, g["item"].unique()))
        years = np.arange(int(g["year"].min()), int(g["year"].max()) + 1)
        arr = np.zeros((len(codes), len(items), len(years)))
        ci = pd.Index(codes).get_indexer(g["municipality_code"].astype(str))
        ii = pd.Index(items).get_indexer(g["item"].astype(str))
        arr[ci, ii, g["year"].to_numpy() - years[0]] = g["nok"].to_numpy(dtype=float)
        return codes, items, years, arr

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
