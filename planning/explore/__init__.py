"""The engine of ``notebooks/explore.ipynb``: controls in, charts updated in place, at once.

A planner moves one control at a time. :class:`Explorer` keeps what a change does not touch and
computes only what it does:

* the coverage model is fitted once on the national panel and restricted to each set of
  municipalities (the fit does not depend on the set; tested);
* the population projection of a set of municipalities and a variant is made once, to the last
  year any control allows (:data:`MAX_END_YEAR`), and cut to the chosen horizon (projecting to a
  later year gives the same earlier years, checked by tests/test_explore.py); so is the demand
  for each healthy-ageing value;
* capacity, staff and costs are computed for the central run only, with
  :func:`planning.scenario.pipeline.plan_services` (the one pipeline of
  :func:`planning.scenarios.run` and the tornado), for each (population, demand, refusal target,
  occupancy target, shared services) once; the charts and the status line show the central run,
  the demand and population bands use all runs, with the uncertain parameters drawn per run as
  :func:`planning.scenarios.run` draws them;
* with ``bands_later`` (the notebook) a change that needs new Monte Carlo runs (a new set of
  municipalities, variant or healthy-ageing value) answers with the central run, whose
  projection takes milliseconds; the charts with bands show none and say so in their title,
  and :meth:`Explorer.fill_bands` (scheduled by the notebook with :func:`later` on the kernel's
  event loop, after the answer has been sent) projects the set's runs jointly and draws them;
* each chart knows which controls it depends on (:data:`CHART_INPUTS`); a chart whose inputs did
  not change is left alone, and a chart that changes gets new trace data in place (one message to
  the browser); when its traces change in number or kind it gets new traces, with the styles
  :mod:`planning.plots` gave that shape (kept) and the map's as plain data, without a new figure
  (the widget side of this, and :func:`later`, is :mod:`planning.explore.widgets`).

The trace data of each chart is in :mod:`planning.explore.charts`, summed from the stages'
arrays (:mod:`planning.explore.sums`; the plan's tidy frames are built only when read). The base
is today's organisation (``today``) unless told otherwise; :meth:`Explorer.reference`
gives the same municipalities and levers as they are organised today (scenario ``today``,
whatever the base), for the status line's change from today. The demand chart also shows the
users the capacity holds (psykisk helse og rus, prevention units; :meth:`Explorer.served`), as
the report's does. The numbers are those of :func:`planning.scenarios.run` for the same
scenario (tested).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from planning import data, plots, scenarios
from planning.budget import AVOIDED
from planning.explore import sums
from planning.explore.widgets import (
    can_update,
    figure_widget,
    replace_figure,
    replace_traces,
    restyle,
)
from planning.explore.widgets import later as later  # the notebook's explore.later(fill_bands)
from planning.i18n import check_language, fmt_number, fmt_signed, t

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
    # the served panels (psykisk helse og rus, prevention units) come from the plan's capacity:
    # users from demand and the units that run (``shared``), not from refusal or occupancy
    "demand": frozenset({"municipalities", "end_year", "variant", "healthy_ageing", "shared"}),
    "beds": frozenset({"municipalities", "end_year", "variant", "healthy_ageing", "max_refusal"}),
    "fte": frozenset(set(CONTROLS) - {"occupancy_target"}),
    "cost": frozenset(set(CONTROLS) - {"occupancy_target"}),
    "map": frozenset({"municipalities"}),
}
#: Charts with Monte Carlo bands (filled after the central answer with ``bands_later``).
BAND_CHARTS: tuple[str, ...] = ("growth", "demand")
_PLAN_FRAMES = ("capacity", "staff", "costs", "cost_shares")
_CACHE_SIZE = 24


class _LRU(OrderedDict):
    def __init__(self, size: int = _CACHE_SIZE) -> None:
        super().__init__()
        self.size = size

    def get_or(self, key: Any, make: Callable[[], Any]) -> Any:
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = make()
        self[key] = value
        while len(self) > self.size:
            self.popitem(last=False)
        return value


def _tidy(x: Any) -> Any:
    """The tidy frame of a chain stage (arrays with ``.frame()``), or the frame itself."""
    return x.frame() if hasattr(x, "frame") else x


def _cut(frame: pd.DataFrame, end_year: int) -> pd.DataFrame:
    return frame[frame["year"] <= end_year]


def _central(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["run"] == 0].drop(columns="run") if "run" in frame.columns else frame


class _PlanFrames(Mapping[str, pd.DataFrame]):
    """The tidy frames of a central plan (capacity, staff, costs, cost_shares; the
    :class:`planning.capacity.ServicePlan`'s) cut to ``end_year``, each built on first use: the
    charts and the status line read the plan's arrays (:mod:`planning.explore.sums`), so a
    control change builds no frame nobody reads."""

    def __init__(self, plan: Any, end_year: int) -> None:
        self._plan, self._end_year = plan, int(end_year)
        self._built: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in _PLAN_FRAMES:
            raise KeyError(name)
        if name not in self._built:
            self._built[name] = _cut(_central(getattr(self._plan, name)), self._end_year)
        return self._built[name]

    def __iter__(self) -> Any:
        return iter(_PLAN_FRAMES)

    def __len__(self) -> int:
        return len(_PLAN_FRAMES)


class Explorer:
    """State and caches of the explore notebook.

    ``base``: the scenario the controls start from (name, path or Scenario); ``runs``/``seed``:
    Monte Carlo runs for the population and demand bands. ``make_chart(fig)`` turns a plotly
    figure into the notebook's chart (default: ``plotly.graph_objects.FigureWidget``).
    """

    def __init__(
        self,
        base: Any = "today",
        *,
        runs: int = 20,
        seed: int | None = None,
        lang: str = "nb",
        names: Mapping[str, str] | None = None,
        make_chart: Callable[[Any], Any] | None = None,
        bands_later: bool = False,
    ) -> None:
        self.lang = check_language(lang)
        self.base = scenarios.load_scenario(base)
        self._base_is_today = self.base == scenarios.load_scenario(scenarios.REFERENCE)
        self._today: Explorer | None = None  # today's organisation, for reference() on another base
        self.runs, self.seed = int(runs), seed
        self.names = dict(names or data.municipality_names())
        from planning.reports import service_labels

        self.labels = service_labels(self.base.catalogue())
        lv = self.base.resolved_levers()
        self.values: dict[str, Any] = {
            "municipalities": tuple(sorted(self.base.municipality_codes())),
            "end_year": int(self.base.horizon.end_year),
            "variant": self.base.demography.variant,
            "healthy_ageing": float(lv.healthy_ageing),
            "max_refusal": float(lv.max_refusal),
            "occupancy_target": float(lv.occupancy_target),
            "shared": (),
        }
        self.make_chart = make_chart or figure_widget
        self.charts: dict[str, Any] = {}
        self._shapes: dict[str, tuple] = {}
        # central run (small: many kept) and all runs (large: a few kept); chart data
        self._pop0, self._dem0, self._plan = _LRU(64), _LRU(64), _LRU(128)
        self._scenarios = _LRU(64)  # _inputs of each value of the controls but the horizon
        self._pop, self._dem, self._sum = _LRU(8), _LRU(8), _LRU(512)
        self.bands_later = bool(bands_later)
        self.bands_pending = False
        self._titles: dict[str, str] = {}
        self._keys: dict[str, Any] = {}
        self._coverage: dict[Any, Any] = {}  # national coverage fit (and its rows) per catalogue
        self._map_data: tuple[Any, pd.DataFrame, pd.DataFrame] | None = None
        self._map_index: Any = None  # plots.MapIndex of the map data (outlines read once)
        self._near: dict[str, frozenset[str]] = {}  # each municipality's neighbours (map)
        self._maps = _LRU(64)  # the map figure of each set of municipalities
        self._stages_full: dict[str, Any] = {}
        self.timings: dict[str, float] = {}
        self.frames: Mapping[str, pd.DataFrame] = {}

    # ---- scenario ---------------------------------------------------------------------------
    def scenario(
        self, values: Mapping[str, Any] | None = None, end_year: int | None = None
    ) -> scenarios.Scenario:
        """The base scenario with the controls' values (validated like a scenario file). On a
        base built on today's organisation (``today``) the units start from today's units of the
        chosen municipalities (data/organisation.yaml); each shared service of the ``shared``
        control replaces them for that service by one unit of all members, hosted by Stjørdal
        when it is a member (it hosts today's shared units), else by the largest municipality."""
        v = {**self.values, **dict(values or {})}
        codes = [str(c) for c in v["municipalities"]]
        host = self._host(tuple(codes)) if v["shared"] and len(codes) > 1 else codes[0]
        shared = set(v["shared"]) if len(codes) > 1 else set()
        units = [
            u.model_dump(mode="json", exclude_none=True)
            for u in self._today_units(tuple(codes))
            if u.service not in shared
        ] + [
            {
                "service": s,
                "name": f"felles_{s}",
                "host": host,
                "members": codes,
                "cost_key": "population",
            }
            for s in v["shared"]
            if s in shared
        ]
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
                "organisation.status_quo": False,  # the units are given in full
                "organisation.units": units,
            },
        )

    def _today_units(self, codes: tuple[str, ...]) -> list[Any]:
        """Today's units of ``codes`` when the base is built on today's organisation, else the
        base's own units whose members all take part."""
        if self.base.organisation.status_quo:
            from planning.scenario.pipeline import _status_quo_units

            return list(_status_quo_units(codes))
        return [u for u in self.base.organisation.units if set(u.members) <= set(codes)]

    def _host(self, codes: tuple[str, ...]) -> str:
        if "5035" in codes:
            return "5035"
        return self._sum.get_or(
            ("host", codes), lambda: _largest(codes, int(self.base.horizon.base_year))
        )

    # ---- stages -----------------------------------------------------------------------------
    def _inputs(self, v: Mapping[str, Any]) -> tuple[Any, ...]:
        """(codes, scenario to MAX_END_YEAR, frozen services, catalogue, levers, cache keys),
        once per value of the controls other than the horizon (the answer, its bands and the
        reference ask for the same)."""
        codes = tuple(str(c) for c in v["municipalities"])
        pop_key = (codes, v["variant"])
        dem_key = (pop_key, v["healthy_ageing"])
        plan_key = (dem_key, v["max_refusal"], v["occupancy_target"], tuple(v["shared"]))

        def make() -> tuple[Any, ...]:
            scn = self.scenario(v, end_year=MAX_END_YEAR)
            services_json = scenarios._freeze(scn.services)
            catalogue = scenarios._catalogue_for(services_json)
            levers = scn.levers.with_defaults(catalogue)
            return codes, scn, services_json, catalogue, levers, (pop_key, dem_key, plan_key)

        return self._scenarios.get_or(plan_key, make)

    def _central_stages(self, v: Mapping[str, Any]) -> dict[str, Any]:
        """The central run: population and demand (run 0 alone, to MAX_END_YEAR) and the plan,
        from caches. Run 0 of a projection with Monte Carlo runs equals the projection without
        runs, and the central run's demand takes the central parameter values (tested), so this
        is run 0 of :func:`planning.scenarios.run` for the same scenario."""
        from planning.demand import demand_arrays
        from planning.scenario.pipeline import _with_real_growth, plan_services

        codes, scn, services_json, catalogue, levers, (pop_key, dem_key, plan_key) = self._inputs(v)
        population = self._pop0.get_or(pop_key, lambda: scenarios._population(scn, 0, None))
        demand = self._dem0.get_or(
            dem_key,
            lambda: demand_arrays(
                population, catalogue, levers, coverage_rates=self.coverage(codes, services_json)
            ),
        )

        def plan() -> dict[str, Any]:
            # the one sequence behind scenarios.run and the tornado: demand -> travel ->
            # calibrated staffing -> capacity, staff and costs (with today's units' one-off costs)
            _, p = plan_services(scn, population, catalogue, levers, services_json, demand=demand)
            return {"plan": _with_real_growth(p, scn).central()}  # arrays; frames when read

        self._keys.update({"population0": (pop_key, 0), "demand0": (dem_key, 0), "plan": plan_key})
        return {
            "population0": population,
            "demand0": demand,
            **self._plan.get_or(plan_key, plan),
        }

    def _band_stages(self, v: Mapping[str, Any], compute: bool = True) -> dict[str, Any] | None:
        """Population and demand of every run (0..runs, to MAX_END_YEAR) for the bands: the
        population projected jointly for the set (each run draws national components shared by
        the members) and the uncertain parameters drawn per run as :func:`planning.scenarios.run`
        draws them. From caches; when not cached and ``compute`` is False: None."""
        if self.runs == 0:
            return {}
        from planning import uncertainty
        from planning.demand import demand_arrays

        codes, scn, services_json, catalogue, levers, (pop_key, dem_key, _) = self._inputs(v)
        if not compute and (pop_key not in self._pop or dem_key not in self._dem):
            return None
        population = self._pop.get_or(
            pop_key, lambda: scenarios._population(scn, self.runs, self.seed)
        )

        def make_demand() -> Any:
            draws = uncertainty.draw(
                catalogue, levers, scenarios._base_catalogue(), self.runs, self.seed
            )
            cat, lev = uncertainty.with_values(catalogue, levers, draws)
            return demand_arrays(
                population, cat, lev, coverage_rates=self.coverage(codes, services_json)
            )

        demand = self._dem.get_or(dem_key, make_demand)
        return {
            "keys": {"population": (pop_key, self.runs), "demand": (dem_key, self.runs)},
            "population": population,
            "demand": demand,
        }

    def _stages(self, v: Mapping[str, Any], bands: bool) -> dict[str, Any]:
        """The central stages and, when cached or ``bands``, the bands' stages; without them the
        population and demand shown are the central run's and :attr:`bands_pending` is set."""
        stages = self._central_stages(v)
        full = self._band_stages(v, compute=bands)
        self.bands_pending = full is None
        if not full:  # no runs, or bands still to come: the charts show the central run
            self._keys.update({"population": self._keys["population0"]})
            self._keys.update({"demand": self._keys["demand0"]})
            return {**stages, "population": stages["population0"], "demand": stages["demand0"]}
        self._keys.update(full["keys"])
        return {**stages, "population": full["population"], "demand": full["demand"]}

    def fill_bands(self) -> bool:
        """Compute the Monte Carlo runs of the current values and draw the bands into the charts
        that have them (after an update that answered with the central run first). Returns False
        when there was nothing to fill (bands already there, or no runs)."""
        if not self.bands_pending:
            return False
        t0 = time.perf_counter()
        self._stages_full = self._stages(self.values, bands=True)
        for name in BAND_CHARTS:
            if name in self.charts:
                self._draw(name)
        self.timings["bands"] = time.perf_counter() - t0
        return True

    def coverage(self, codes: tuple[str, ...], services_json: str) -> pd.DataFrame:
        """The coverage model of ``codes``: the national fit (every municipality, made once per
        catalogue) restricted to ``codes``. The fit pools over the whole national panel whatever
        the municipalities asked for, so this equals ``scenarios._coverage_rates(codes, ...)``
        (tested) and a new set of municipalities needs no new fit. The rows of each
        municipality are found once per fit, so restricting takes the set's rows rather than
        scanning the national model (the same rows in the same order; tested)."""
        import numpy as np

        from planning.coverage import restrict

        national = self._coverage.get(services_json)
        if national is None:
            every = tuple(data.load_municipalities()["municipality_code"].astype(str))
            national = self._coverage[services_json] = scenarios._coverage_rates(
                every, services_json
            )
        key = ("coverage_rows", services_json)
        rows = self._coverage.get(key)
        if rows is None:
            rows = self._coverage[key] = national.groupby("municipality_code", sort=False).indices
        if not all(c in rows for c in codes):  # a municipality without KOSTRA: national values
            return restrict(national, list(codes))
        at = np.sort(np.concatenate([rows[c] for c in set(codes)]))
        return restrict(national.take(at), list(codes))

    def _summary(self, what: str, make: Callable[[], Any], part: Any = None) -> Any:
        """Chart data computed once per population/demand/plan (to MAX_END_YEAR; or per
        ``part``, e.g. a year), then cut."""
        key = (what, part, self._keys[_SUMMARY_STAGE[what]])
        return self._sum.get_or(key, make)

    # ---- update -----------------------------------------------------------------------------
    def update(self, **changes: Any) -> dict[str, float]:
        """Set controls (``municipalities``, ``end_year``, ``variant``, ``healthy_ageing``,
        ``max_refusal``, ``occupancy_target``, ``shared``), recompute what they touch and update
        the charts in place. Returns the seconds spent per step ('compute', each chart, 'total').
        Raises the model's InputError/ScenarioError for a bad combination (the charts stay).

        With ``bands_later`` (the notebook) a change that needs new Monte Carlo runs answers with
        the central run: every chart shows the new values, the charts with uncertainty bands
        show none and say so in their title, :attr:`bands_pending` is set, and
        :meth:`fill_bands` (which the notebook schedules right after) adds them."""
        unknown = set(changes) - set(CONTROLS)
        if unknown:
            from planning.errors import InputError

            raise InputError(
                f"unknown control {sorted(unknown)}", key="control", allowed=list(CONTROLS)
            )
        t0 = time.perf_counter()
        new = {**self.values, **changes}
        # one order for a set (sorted codes), whatever order the widget or caller gives: a set
        # seen before is found in the caches
        new["municipalities"] = tuple(sorted(str(c) for c in new["municipalities"]))
        new["shared"] = tuple(new["shared"])
        self.scenario(new)  # validate before anything changes
        changed = (
            {k for k in CONTROLS if new[k] != self.values[k]} if self.charts else set(CONTROLS)
        )
        if not changed:
            self.timings = {"compute": 0.0, "total": time.perf_counter() - t0}
            return self.timings
        # the first update draws the bands at once; later ones with bands_later answer with the
        # central run and leave the bands to fill_bands() (unless they are cached)
        stages = self._stages(new, bands=not (self.bands_later and self.charts))
        self._stages_full = stages
        y1 = int(new["end_year"])
        # the plan's frames and the tidy population and demand only when read (a full rebuild)
        self.frames = _PlanFrames(stages["plan"], y1)
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
        key = ("headline", self._keys.get("plan"), self.values["end_year"])
        plan, y1 = self._stages_full["plan"], int(self.values["end_year"])
        return dict(self._sum.get_or(key, lambda: sums.headline(plan, y1)))

    def reference(self) -> dict[str, float]:
        """:meth:`headline` of the reference for the same municipalities, horizon and levers:
        today's organisation (scenario ``today``, :data:`planning.scenarios.REFERENCE`, with no
        shared service added by the control), whatever the base. On another base (e.g.
        ``shared_prevention``) it is the plan of ``today`` with the controls' values, as
        :func:`planning.scenarios.compare` takes its reference."""
        v = {**self.values, "shared": ()}
        if not self._base_is_today:
            ref = self._today_explorer()
            plan = ref._plan.get_or(ref._inputs(v)[-1][-1], lambda: ref._today_plan(v))
        elif not self.values["shared"]:
            return self.headline()
        else:
            plan = self._plan.get_or(self._inputs(v)[-1][-1], lambda: self._today_plan(v))
        return sums.headline(plan["plan"], int(v["end_year"]))

    def _today_explorer(self) -> Explorer:
        """An explorer of ``today`` (central run) for :meth:`reference` on another base; it
        shares the coverage fit and, when the projection is the same, the central population."""
        if self._today is None:
            ref = Explorer(scenarios.REFERENCE, runs=0, lang=self.lang, names=self.names)
            ref._coverage = self._coverage
            today = ref.base
            if (
                today.horizon.base_year == self.base.horizon.base_year
                and today.demography == self.base.demography
            ):
                ref._pop0 = self._pop0
            self._today = ref
        return self._today

    def _today_plan(self, v: Mapping[str, Any]) -> dict[str, Any]:
        keys = dict(self._keys)
        try:
            return {"plan": self._central_stages(v)["plan"]}
        finally:
            self._keys = keys

    def served(self) -> pd.DataFrame:
        """The region's users of the services whose users the capacity holds (psykisk helse og
        rus's users with substance problems, a prevention unit's participants; selected by
        :func:`planning.plots.served_in_capacity`, as the report's demand chart shows them):
        one row per (year, service, measure) to MAX_END_YEAR, ``value`` summed over the units of
        the central run's capacity; municipality_code 'region'. Only services that run (a value
        above zero in some year). Once per plan."""
        return self._sum.get_or(
            ("served", self._keys.get("plan")), lambda: sums.served_frame(*self._served_lines())
        )

    def _served_lines(self) -> tuple[Any, dict[tuple[str, str], Any]]:
        """(years, {(service, measure): central run's users}) of :meth:`served`, once per plan."""
        st = self._stages_full
        return self._sum.get_or(
            ("served_lines", self._keys.get("plan")),
            lambda: sums.served_lines(
                st["plan"], list(st["demand0"].columns), self.base.catalogue()
            ),
        )

    def avoided(self) -> dict[str, dict[str, float]]:
        """Home-care users and FTE that the prevention units avoid at the end year, central run
        (``{service: {'users_avoided' | 'fte_avoided': value}}``, only what is above zero; what
        the økonomiplan shows as 'Hjemmetjenester, unngått ved forebygging')."""
        y1 = int(self.values["end_year"])
        key = ("avoided", self._keys.get("plan"), y1)  # once per plan and year
        kept = self._sum.get_or(key, lambda: sums.avoided(self._stages_full["plan"], y1))
        return {service: dict(values) for service, values in kept.items()}

    def status(self) -> str:
        """The status line under the controls (bokmål or English): the headline at the end year,
        its change from today's organisation, what prevention avoids (where a prevention unit
        with a mitigator runs), runs and answer time."""
        h, y1, lang = self.headline(), self.values["end_year"], self.lang
        ref = self.reference()
        ms = 1000 * self.timings.get("total", 0)
        if lang == "nb":
            out = (
                f"{y1}: {fmt_number(h['beds'], 'nb')} senger, {fmt_number(h['fte'], 'nb')} årsverk, "
                f"{fmt_number(h['cost_nok'] / 1e6, 'nb', 1)} mill. kr per år"
            )
        else:
            out = (
                f"{y1}: {fmt_number(h['beds'], 'en')} beds, {fmt_number(h['fte'], 'en')} FTE, "
                f"NOK {fmt_number(h['cost_nok'] / 1e6, 'en', 1)} million a year"
            )
        if ref is not None:
            d = {k: h[k] - ref[k] for k in h}
            beds, fte = fmt_signed(d["beds"], lang), fmt_signed(d["fte"], lang)
            cost = fmt_signed(d["cost_nok"] / 1e6, lang, 1)
            out += (
                f"; mot i dag: {beds} senger, {fte} årsverk, {cost} mill. kr"
                if lang == "nb"
                else f"; vs today: {beds} beds, {fte} FTE, NOK {cost} million"
            )
        for service, values in self.avoided().items():
            words = {"users_avoided": ("brukere", "users"), "fte_avoided": ("årsverk", "FTE")}
            parts = [
                f"{fmt_number(values[m], lang)} {words[m][0 if lang == 'nb' else 1]}"
                for m in words
                if m in values
            ]
            label = self.labels.get(service, service)
            out += f"; {label}, {AVOIDED[lang]}: {', '.join(parts)}"
        runs = f"{self.runs} simuleringer" if lang == "nb" else f"{self.runs} runs"
        out += f" ({runs}; {ms:.0f} ms)"
        if self.bands_pending:
            out += "; " + t("bands_pending", lang).strip(" ()")
        return out

    # ---- charts -----------------------------------------------------------------------------
    def frame(self, name: str) -> pd.DataFrame:
        """A frame of the current run cut to the chosen horizon: population, demand (all runs;
        the central run alone while :attr:`bands_pending`), capacity, staff, costs, cost_shares
        (central run)."""
        if name in ("population", "demand"):
            return _cut(_tidy(self._stages_full[name]), int(self.values["end_year"]))
        return self.frames[name]

    def figure(self, name: str) -> Any:
        """The full plotly figure of chart ``name`` for the current values (from planning.plots)."""
        f, lang = self.frame, self.lang  # only the frames this chart reads are built
        y0, y1 = int(self.base.horizon.base_year), int(self.values["end_year"])
        if name == "pyramid":
            return plots.population_pyramid(f("population"), years=[y0, y1], lang=lang)
        if name == "growth":
            return plots.age_group_growth(f("population"), lang=lang)
        if name == "demand":
            return plots.demand_by_service(
                f("demand"),
                lang=lang,
                service_labels=self.labels,
                catalogue=self.base.catalogue(),
                served=_cut(self.served(), y1),
            )
        if name == "beds":
            return plots.beds_separate_pooled(
                self._beds(), lang=lang, service_labels=self.labels, year=y1
            )
        if name == "fte":
            return plots.staff_by_service(f("staff"), lang=lang, service_labels=self.labels)
        if name == "cost":
            return plots.costs_by_municipality(f("costs"), year=y1, lang=lang, names=self.names)
        if name == "map":
            geometry, places, travel = self._map_inputs()
            codes = list(self.values["municipalities"])
            return plots.region_map(geometry, places, travel, codes, lang=lang)
        raise KeyError(name)

    def _map_inputs(self) -> tuple[Any, pd.DataFrame, pd.DataFrame]:
        if self._map_data is None:  # geometry, places and travel loaded once
            self._map_data = (data.load_geometry(), data.load_places(), data.load_travel())
        return self._map_data

    def _parts(
        self, name: str, shape: tuple, series: list[dict[str, Any]]
    ) -> tuple[list[Any], dict[str, Any]]:
        """Traces and layout of chart ``name`` to put into a live chart whose traces change in
        number or kind: the map's from :func:`planning.plots.region_map_parts` (no figure built;
        each set's once); the others' from :meth:`figure`, whose trace styles and layout are
        kept per shape (the shape names the traces, so the same shape has the same styles, as
        the in-place restyle also takes), with the current ``series`` data put in."""
        if name == "map":
            codes = tuple(self.values["municipalities"])
            geometry, places, travel = self._map_inputs()
            if self._map_index is None:
                self._map_index = plots.MapIndex(geometry, places, travel)

            def make() -> tuple[list[Any], dict[str, Any]]:
                traces, layout = plots.region_map_parts(
                    geometry,
                    places,
                    travel,
                    list(codes),
                    lang=self.lang,
                    around=self._around(codes),
                    index=self._map_index,
                )
                title = layout.pop("title")
                return traces, {**layout, "title.text": title}

            return self._maps.get_or(codes, make)

        def styles() -> tuple[list[dict[str, Any]], dict[str, Any]]:
            fig = self.figure(name)
            layout = fig.layout.to_plotly_json()
            layout.pop("template", None)  # the chart has it already: not validated again
            return [tr.to_plotly_json() for tr in fig.data], layout

        key = ("styles", name, shape)
        if key not in self._sum:
            fresh = styles()
            if len(fresh[0]) != len(series):  # drawn from the central run alone: not kept
                return fresh
            self._sum[key] = fresh
        kept, layout = self._sum.get_or(key, styles)
        return [{**style, **data} for style, data in zip(kept, series, strict=True)], layout

    def _around(self, codes: tuple[str, ...]) -> list[str]:
        """The municipality codes of the neighbours the map draws around ``codes``
        (:func:`planning.plots.neighbours`), from each member's neighbours found once: the
        polygons touching the buffered region are those touching any member's buffered polygon
        (a buffer of a union is the union of the buffers), so these are the codes of
        ``neighbours(geometry, codes)`` (tested), sorted."""
        geometry = self._map_inputs()[0]
        near: set[str] = set()
        for c in codes:
            if c not in self._near:
                self._near[c] = frozenset(plots.neighbours(geometry, [c])["municipality_code"])
            near |= self._near[c]
        return sorted(near - set(codes))

    def _beds(self) -> pd.DataFrame:
        """Beds of KAD and intermediate beds at the end year when each municipality plans alone
        against one pooled unit, central run (:func:`planning.explore.sums.pooled_beds`: the
        beds frame of :func:`planning.reports.bed_pooling`, from the demand's arrays)."""
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
            lambda: sums.pooled_beds(
                self._stages_full["demand0"],
                int(v["end_year"]),
                float(v["max_refusal"]),
                self.base.catalogue(),
            ),
        )

    def series(self, name: str) -> tuple[tuple, list[dict[str, Any]], dict[str, Any]]:
        """The data of chart ``name`` without building a figure: (shape, one dict of trace
        properties per trace in the order :meth:`figure` draws them, layout properties). The
        shape names the traces; the same shape means the figure can be updated in place."""
        from planning.explore.charts import SERIES

        return SERIES[name](self)

    def _draw(self, name: str) -> None:
        shape, traces, layout = self.series(name)
        if name in BAND_CHARTS and self.runs > 0 and name in self._titles:
            # a chart drawn before its bands says so in its title until they come
            note = t("bands_pending", self.lang) if self.bands_pending else ""
            layout = {**layout, "title.text": self._titles[name] + note}
        if not traces and not layout and name in self.charts and self._shapes.get(name) == shape:
            return
        chart = self.charts.get(name)
        if chart is None or not can_update(chart):  # a new chart, or the fallback
            fig = self.figure(name)
            if name in BAND_CHARTS and not self.bands_pending:
                self._titles[name] = str(fig.layout.title.text or "")
            if "title.text" in layout:
                fig.update_layout(title_text=layout["title.text"])
            if chart is None:
                self.charts[name] = self.make_chart(fig)
            else:
                replace_figure(chart, fig)
            n = len(fig.data)
        elif self._shapes.get(name) != shape:  # traces change in number or kind: new traces
            new, relayout = self._parts(name, shape, traces)
            if name in BAND_CHARTS and not self.bands_pending:
                self._titles[name] = str(relayout.get("title", {}).get("text", ""))
            if "title.text" in layout:  # the series' title (a year, a pending note) wins
                relayout = {k: v for k, v in relayout.items() if k != "title"}
            replace_traces(chart, new, {**relayout, **layout})
            n = len(new)
        else:  # new data into the same traces: one restyle (no re-validation of the figure)
            restyle(chart, traces, layout)
            n = len(traces)
        # a figure drawn from the central run alone has fewer traces than the series: the next
        # update rebuilds it rather than restyle the wrong traces
        self._shapes[name] = shape if n == len(traces) or not traces else None


# ---- trace data of each chart, in the order planning.plots draws the traces --------------------
_SUMMARY_STAGE = {
    "pyramid": "population0",
    "growth": "population",
    "demand": "demand",
    "served": "plan",
    "fte": "plan",
    "cost": "plan",
}


def _largest(codes: tuple[str, ...], year: int) -> str:
    """The municipality of ``codes`` with most inhabitants in ``year`` (hosts shared units when
    Stjørdal is not a member)."""
    pop = data.load_population(list(codes), [year]).groupby("municipality_code")["population"].sum()
    return str(pop.idxmax())
