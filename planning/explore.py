"""The engine of ``notebooks/explore.ipynb``: controls in, charts updated in place, at once.

A planner moves one control at a time. :class:`Explorer` keeps what a change does not touch and
computes only what it does:

* the coverage model is fitted once on the national panel and restricted to each set of
  municipalities (the fit does not depend on the set; tested);
* the population projection of a set of municipalities and a variant is made once, to the last
  year any control allows (:data:`MAX_END_YEAR`), and cut to the chosen horizon (projecting to a
  later year gives the same earlier years, checked by tests/test_explore.py); so is the demand
  for each healthy-ageing value;
* capacity, staff and costs are computed for the central run only (the charts and the status
  line show the central run; the demand and population bands use all runs, with the uncertain
  parameters drawn per run as :func:`planning.scenarios.run` draws them), for each
  (population, demand, refusal target, occupancy target, shared services) once;
* each chart knows which controls it depends on (:data:`CHART_INPUTS`); a chart whose inputs did
  not change is left alone, and a chart that changes gets new trace data in place (one message to
  the browser), rebuilt from :mod:`planning.plots` only when its traces change in number or kind.

The numbers are those of :func:`planning.scenarios.run` for the same scenario (tested).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from planning import data, plots, scenarios
from planning.i18n import check_language, fmt_number, t

#: The last year the horizon control allows (and the year every projection is made to).
MAX_END_YEAR = 2060
#: Controls in the order the notebook shows them.
CONTROLS: tuple[str, ...] = (
    "municipalities",
    "end_year",
    "variant",
    "healthy_ageing",
    "max_refusal",
    "occupancy_target",
    "shared",
)
#: The controls each chart depends on: a change of any other control leaves the chart alone.
CHART_INPUTS: dict[str, frozenset[str]] = {
    "pyramid": frozenset({"municipalities", "end_year", "variant"}),
    "growth": frozenset({"municipalities", "end_year", "variant"}),
    "demand": frozenset({"municipalities", "end_year", "variant", "healthy_ageing"}),
    "beds": frozenset({"municipalities", "end_year", "variant", "healthy_ageing", "max_refusal"}),
    "fte": frozenset(set(CONTROLS) - {"occupancy_target"}),
    "cost": frozenset(set(CONTROLS) - {"occupancy_target"}),
    "map": frozenset({"municipalities"}),
}
_CACHE_SIZE = 24


class _LRU(OrderedDict):
    def get_or(self, key: Any, make: Callable[[], Any]) -> Any:
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = make()
        self[key] = value
        while len(self) > _CACHE_SIZE:
            self.popitem(last=False)
        return value


def _cut(frame: pd.DataFrame, end_year: int) -> pd.DataFrame:
    return frame[frame["year"] <= end_year]


def _central(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["run"] == 0].drop(columns="run") if "run" in frame.columns else frame


class Explorer:
    """State and caches of the explore notebook.

    ``base``: the scenario the controls start from (name, path or Scenario); ``runs``/``seed``:
    Monte Carlo runs for the population and demand bands. ``make_chart(fig)`` turns a plotly
    figure into the notebook's chart (default: ``plotly.graph_objects.FigureWidget``).
    """

    def __init__(
        self,
        base: Any = "alone",
        *,
        runs: int = 20,
        seed: int | None = None,
        lang: str = "nb",
        names: Mapping[str, str] | None = None,
        make_chart: Callable[[Any], Any] | None = None,
    ) -> None:
        self.lang = check_language(lang)
        self.base = scenarios.load_scenario(base)
        self.runs, self.seed = int(runs), seed
        self.names = dict(names or data.municipality_names())
        from planning.reports import service_labels

        self.labels = service_labels(self.base.catalogue())
        lv = self.base.resolved_levers()
        self.values: dict[str, Any] = {
            "municipalities": tuple(self.base.municipality_codes()),
            "end_year": int(self.base.horizon.end_year),
            "variant": self.base.demography.variant,
            "healthy_ageing": float(lv.healthy_ageing),
            "max_refusal": float(lv.max_refusal),
            "occupancy_target": float(lv.occupancy_target),
            "shared": (),
        }
        self.make_chart = make_chart or _figure_widget
        self.charts: dict[str, Any] = {}
        self._shapes: dict[str, tuple] = {}
        self._pop, self._dem, self._plan, self._sum = _LRU(), _LRU(), _LRU(), _LRU()
        self._keys: dict[str, Any] = {}
        self._coverage: dict[str, pd.DataFrame] = {}  # national coverage fit per catalogue
        self._map_data: tuple[Any, pd.DataFrame, pd.DataFrame] | None = None
        self._maps = _LRU()  # the map figure of each set of municipalities
        self._stages_full: dict[str, pd.DataFrame] = {}
        self.timings: dict[str, float] = {}
        self.frames: dict[str, pd.DataFrame] = {}

    # ---- scenario ---------------------------------------------------------------------------
    def scenario(
        self, values: Mapping[str, Any] | None = None, end_year: int | None = None
    ) -> scenarios.Scenario:
        """The base scenario with the controls' values (validated like a scenario file); the
        shared services become one unit each, hosted by Stjørdal when it is a member (it hosts
        today's shared units, data/organisation.yaml), else by the largest municipality."""
        v = {**self.values, **dict(values or {})}
        codes = [str(c) for c in v["municipalities"]]
        host = self._host(tuple(codes)) if v["shared"] and len(codes) > 1 else codes[0]
        units = (
            [
                {
                    "service": s,
                    "name": f"felles_{s}",
                    "host": host,
                    "members": codes,
                    "cost_key": "population",
                }
                for s in v["shared"]
            ]
            if len(codes) > 1
            else []
        )
        return scenarios.apply_overrides(
            self.base,
            {
                "region": None,
                "municipalities": codes,
                "horizon.end_year": int(end_year if end_year is not None else v["end_year"]),
                "demography.variant": v["variant"],
                "levers.healthy_ageing": float(v["healthy_ageing"]),
                "levers.max_refusal": float(v["max_refusal"]),
                "levers.occupancy_target": float(v["occupancy_target"]),
                "organisation.units": units,
            },
        )

    def _host(self, codes: tuple[str, ...]) -> str:
        if "5035" in codes:
            return "5035"
        return self._sum.get_or(
            ("host", codes), lambda: _largest(codes, int(self.base.horizon.base_year))
        )

    # ---- stages -----------------------------------------------------------------------------
    def _stages(self, v: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
        """Population and demand (all runs, to MAX_END_YEAR) and the central plan, from caches."""
        from planning.capacity import evaluate
        from planning.demand import project_demand

        codes = tuple(str(c) for c in v["municipalities"])
        scn = self.scenario(v, end_year=MAX_END_YEAR)
        pop_key = (codes, v["variant"])
        population = self._pop.get_or(
            pop_key, lambda: scenarios._projection(scn, self.runs, self.seed)
        )
        services_json = scenarios._freeze(scn.services)
        catalogue = scenarios._catalogue_for(services_json)
        levers = scn.levers.with_defaults(catalogue)
        dem_key = (pop_key, v["healthy_ageing"])

        def make_demand() -> pd.DataFrame:
            cat, lev = catalogue, levers
            if self.runs > 0:  # the uncertain parameters drawn per run, as scenarios.run does
                from planning import uncertainty

                draws = uncertainty.draw(
                    catalogue, levers, scenarios._base_catalogue(), self.runs, self.seed
                )
                cat, lev = uncertainty.with_values(catalogue, levers, draws)
            return project_demand(
                population, cat, lev, coverage_rates=self.coverage(codes, services_json)
            )

        demand = self._dem.get_or(dem_key, make_demand)
        plan_key = (dem_key, v["max_refusal"], v["occupancy_target"], tuple(v["shared"]))

        def plan() -> dict[str, pd.DataFrame]:
            from planning.parameters import status_quo_units

            travel = scenarios._travel(
                scenarios._freeze([x.model_dump(exclude_none=True) for x in scn.travel_overrides])
            )
            central = scn.levers.with_defaults(catalogue)
            staffing = scenarios._staffing(codes, services_json, float(central.max_refusal))
            p = evaluate(
                _central(population),
                _central(demand),
                catalogue,
                scn.organisation,
                levers,
                travel=travel,
                staffing=staffing,
                today_units=status_quo_units(codes),  # one-off costs, as scenarios.run
            )
            costs, shares = scenarios._apply_real_growth(p.costs, p.cost_shares, scn)
            return {"capacity": p.capacity, "staff": p.staff, "costs": costs, "cost_shares": shares}

        self._keys = {"population": pop_key, "demand": dem_key, "plan": plan_key}
        return {"population": population, "demand": demand, **self._plan.get_or(plan_key, plan)}

    def coverage(self, codes: tuple[str, ...], services_json: str) -> pd.DataFrame:
        """The coverage model of ``codes``: the national fit (every municipality, made once per
        catalogue) restricted to ``codes``. The fit pools over the whole national panel whatever
        the municipalities asked for, so this equals ``scenarios._coverage_rates(codes, ...)``
        (tested) and a new set of municipalities needs no new fit."""
        from planning.coverage import restrict

        national = self._coverage.get(services_json)
        if national is None:
            every = tuple(data.load_municipalities()["municipality_code"].astype(str))
            national = self._coverage[services_json] = scenarios._coverage_rates(
                every, services_json
            )
        return restrict(national, list(codes))

    def _summary(self, what: str, make: Callable[[], Any]) -> Any:
        """Chart data computed once per population/demand/plan (to MAX_END_YEAR), then cut."""
        key = (what, self._keys[_SUMMARY_STAGE[what]])
        return self._sum.get_or(key, make)

    # ---- update -----------------------------------------------------------------------------
    def update(self, **changes: Any) -> dict[str, float]:
        """Set controls (``municipalities``, ``end_year``, ``variant``, ``healthy_ageing``,
        ``max_refusal``, ``occupancy_target``, ``shared``), recompute what they touch and update
        the charts in place. Returns the seconds spent per step ('compute', each chart, 'total').
        Raises the model's InputError/ScenarioError for a bad combination (the charts stay)."""
        unknown = set(changes) - set(CONTROLS)
        if unknown:
            from planning.errors import InputError

            raise InputError(
                f"unknown control {sorted(unknown)}", key="control", allowed=list(CONTROLS)
            )
        t0 = time.perf_counter()
        new = {**self.values, **changes}
        new["municipalities"] = tuple(str(c) for c in new["municipalities"])
        new["shared"] = tuple(new["shared"])
        self.scenario(new)  # validate before anything changes
        changed = (
            {k for k in CONTROLS if new[k] != self.values[k]} if self.charts else set(CONTROLS)
        )
        if not changed:
            self.timings = {"compute": 0.0, "total": time.perf_counter() - t0}
            return self.timings
        stages = self._stages(new)
        self._stages_full = stages
        y1 = int(new["end_year"])
        # the plan is small: cut it now; population and demand (all runs) only when a chart is rebuilt
        self.frames = {
            k: _cut(f, y1) for k, f in stages.items() if k not in ("population", "demand")
        }
        self.values = new
        timings = {"compute": time.perf_counter() - t0}
        for name, inputs in CHART_INPUTS.items():
            if name in self.charts and not (inputs & changed):
                continue
            t1 = time.perf_counter()
            self._draw(name)
            timings[name] = time.perf_counter() - t1
        timings["total"] = time.perf_counter() - t0
        self.timings = timings
        return timings

    def headline(self) -> dict[str, float]:
        """Beds (KAD and intermediate), FTE and yearly cost of the region at the end year,
        central run."""
        y1 = int(self.values["end_year"])
        cap, staff, costs = self.frames["capacity"], self.frames["staff"], self.frames["costs"]
        beds = cap[
            (cap["year"] == y1)
            & (cap["measure"] == "beds")
            & cap["service"].isin(["kad", "intermediaer"])
        ]
        fte = staff[(staff["year"] == y1) & (staff["measure"] == "fte")]
        return {
            "beds": float(beds["value"].sum()),
            "fte": float(fte["value"].sum()),
            "cost_nok": float(costs.loc[costs["year"] == y1, "nok"].sum()),
        }

    def status(self) -> str:
        """The status line under the controls (bokmål or English)."""
        h, y1 = self.headline(), self.values["end_year"]
        if self.lang == "nb":
            return (
                f"{y1}: {fmt_number(h['beds'], 'nb')} senger, {fmt_number(h['fte'], 'nb')} årsverk, "
                f"{fmt_number(h['cost_nok'] / 1e6, 'nb', 1)} mill. kr per år ({self.runs} simuleringer; "
                f"{1000 * self.timings.get('total', 0):.0f} ms)"
            )
        return (
            f"{y1}: {fmt_number(h['beds'], 'en')} beds, {fmt_number(h['fte'], 'en')} FTE, "
            f"NOK {fmt_number(h['cost_nok'] / 1e6, 'en', 1)} million a year ({self.runs} runs; "
            f"{1000 * self.timings.get('total', 0):.0f} ms)"
        )

    # ---- charts -----------------------------------------------------------------------------
    def frame(self, name: str) -> pd.DataFrame:
        """A frame of the current run cut to the chosen horizon: population, demand (all runs),
        capacity, staff, costs, cost_shares (central run)."""
        if name in ("population", "demand"):
            return _cut(self._stages_full[name], int(self.values["end_year"]))
        return self.frames[name]

    def figure(self, name: str) -> Any:
        """The full plotly figure of chart ``name`` for the current values (from planning.plots)."""
        f, lang = {k: self.frame(k) for k in ("population", "demand")} | self.frames, self.lang
        y0, y1 = int(self.base.horizon.base_year), int(self.values["end_year"])
        if name == "pyramid":
            return plots.population_pyramid(f["population"], years=[y0, y1], lang=lang)
        if name == "growth":
            return plots.age_group_growth(f["population"], lang=lang)
        if name == "demand":
            return plots.demand_by_service(
                f["demand"],
                lang=lang,
                service_labels=self.labels,
                catalogue=self.base.catalogue(),
            )
        if name == "beds":
            return plots.beds_separate_pooled(
                self._beds(), lang=lang, service_labels=self.labels, year=y1
            )
        if name == "fte":
            return plots.staff_by_service(f["staff"], lang=lang, service_labels=self.labels)
        if name == "cost":
            return plots.costs_by_municipality(f["costs"], year=y1, lang=lang, names=self.names)
        if name == "map":  # geometry loaded once; each set's map drawn once (a figure is small)
            codes = tuple(self.values["municipalities"])
            if self._map_data is None:
                self._map_data = (data.load_geometry(), data.load_places(), data.load_travel())
            geometry, places, travel = self._map_data
            return self._maps.get_or(
                codes, lambda: plots.region_map(geometry, places, travel, list(codes), lang=lang)
            )
        raise KeyError(name)

    def _beds(self) -> pd.DataFrame:
        from planning.reports import bed_pooling

        v = self.values
        key = (
            "beds",
            v["municipalities"],
            v["variant"],
            v["healthy_ageing"],
            v["max_refusal"],
            v["end_year"],
        )
        return self._plan.get_or(
            key,
            lambda: bed_pooling(
                self.frame("demand"),
                list(v["municipalities"]),
                int(v["end_year"]),
                float(v["max_refusal"]),
                names=self.names,
                catalogue=self.base.catalogue(),
            )[1],
        )

    def series(self, name: str) -> tuple[tuple, list[dict[str, Any]], dict[str, Any]]:
        """The data of chart ``name`` without building a figure: (shape, one dict of trace
        properties per trace in the order :meth:`figure` draws them, layout properties). The
        shape names the traces; the same shape means the figure can be updated in place."""
        return _SERIES[name](self)

    def _draw(self, name: str) -> None:
        shape, traces, layout = self.series(name)
        if not traces and not layout and name in self.charts and self._shapes.get(name) == shape:
            return
        chart = self.charts.get(name)
        if chart is None or self._shapes.get(name) != shape or not hasattr(chart, "batch_update"):
            fig = self.figure(name)
            if chart is None:
                self.charts[name] = self.make_chart(fig)
            else:
                _replace(chart, fig)
        else:  # new data into the same traces: one restyle (no re-validation of the figure)
            restyle: dict[str, list[Any]] = {}
            for i, props in enumerate(traces):
                for key, value in props.items():
                    restyle.setdefault(key, [None] * len(traces))[i] = value
            chart.plotly_restyle(restyle, list(range(len(traces))))
            if layout:
                chart.plotly_relayout(layout)
        self._shapes[name] = shape


# ---- trace data of each chart, in the order planning.plots draws the traces --------------------
_SUMMARY_STAGE = {
    "pyramid": "population",
    "growth": "population",
    "demand": "demand",
    "fte": "plan",
    "cost": "plan",
}
_Arrays = tuple[np.ndarray, ...]


def _pyramid_series(ex: Explorer) -> tuple[tuple, list[dict[str, Any]], dict[str, Any]]:
    y0, y1 = int(ex.base.horizon.base_year), int(ex.values["end_year"])
    years = sorted({y0, y1})

    def make() -> dict[tuple[int, str], _Arrays]:
        pf = plots.pyramid_frame(ex._stages_full["population"], range(y0, MAX_END_YEAR + 1))
        return {
            (int(y), str(sex)): (
                g["band"].to_numpy(dtype=object),
                g["population"].to_numpy(dtype=float),
            )
            for (y, sex), g in pf.groupby(["year", "sex"], sort=False)
        }

    full = ex._summary("pyramid", make)
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


def _band_central(full: tuple[_Arrays | None, _Arrays], end_year: int) -> list[dict[str, Any]]:
    b, (cy, cv) = full
    out = []
    if b is not None:
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
        totals = plots.age_group_totals(ex._stages_full["population"], _GROUPS)
        return [_band_central_full(totals[totals["group"] == g], "population") for g in _GROUPS]

    y1 = int(ex.values["end_year"])
    traces: list[dict[str, Any]] = []
    for full in ex._summary("growth", make):
        traces += _band_central(full, y1)
    return ("growth", len(traces)), traces, {}


def _demand_series(ex: Explorer) -> tuple[tuple, list[dict[str, Any]], dict[str, Any]]:
    def make() -> tuple[list[tuple[str, str]], list[Any]]:
        demand = ex._stages_full["demand"]
        panels = plots.demand_panels(demand, ex.base.catalogue())
        keys = ["year"] + (["run"] if "run" in demand.columns else [])
        g = demand.groupby(
            ["service", "measure", *keys], as_index=False, sort=False, observed=True
        )["value"].sum()
        g["service"], g["measure"] = g["service"].astype(str), g["measure"].astype(str)
        parts = []
        for s, m in panels:
            d = g[(g["service"] == s) & (g["measure"] == m)].drop(columns=["service", "measure"])
            parts.append(_band_central_full(d, "value"))
        return panels, parts

    panels, parts = ex._summary("demand", make)
    y1 = int(ex.values["end_year"])
    traces: list[dict[str, Any]] = []
    for full in parts:
        traces += _band_central(full, y1)
    return (tuple(panels), len(traces)), traces, {}


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


def _largest(codes: tuple[str, ...], year: int) -> str:
    """The municipality of ``codes`` with most inhabitants in ``year`` (hosts shared units when
    Stjørdal is not a member)."""
    pop = data.load_population(list(codes), [year]).groupby("municipality_code")["population"].sum()
    return str(pop.idxmax())


_SERIES: dict[str, Callable[[Explorer], tuple[tuple, list[dict[str, Any]], dict[str, Any]]]] = {
    "pyramid": _pyramid_series,
    "growth": _growth_series,
    "demand": _demand_series,
    "beds": _beds_series,
    "fte": _fte_series,
    "cost": _cost_series,
    "map": _map_series,
}


def _figure_widget(fig: Any) -> Any:
    """A FigureWidget showing ``fig``; without the anywidget package an Output widget that
    redraws ``fig`` (the charts then cannot update in place)."""
    import plotly.graph_objects as go

    try:
        return go.FigureWidget(fig)
    except ImportError:  # plotly >= 6 needs anywidget for FigureWidget
        import ipywidgets as widgets

        out = widgets.Output()
        _replace(out, fig)
        return out


def _replace(chart: Any, fig: Any) -> None:
    """Show a new figure in ``chart``: replace all traces and the layout of a FigureWidget, or
    clear and redraw an Output widget."""
    if hasattr(chart, "batch_update"):
        with chart.batch_update():
            chart.update(data=fig.data, layout=fig.layout, overwrite=True)
    else:
        with chart:
            chart.clear_output(wait=True)
            fig.show()
