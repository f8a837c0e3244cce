"""``ScenarioResult``: the frames of one run, its metrics, summary and headline figures.

Part of :mod:`planning.scenarios` (the public facade); see its docstring for the map.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from planning.scenario.schema import Scenario

#: Metrics of :meth:`ScenarioResult.metrics` (name: unit). Beds and FTE of a shared unit are
#: attributed to its members by their cost share, so municipality rows add up to the region.
METRICS: dict[str, str] = {
    "population": "persons",
    "population_67+": "persons",
    "population_80+": "persons",
    "beds": "beds (every bed service of the catalogue: KAD + intermediate)",
    "beds_kad": "beds",
    "beds_intermediaer": "beds",
    "home_service_users": "persons (hjemmetjenester)",
    "long_term_places": "places on long-term stays (residents / occupancy)",
    "fte": "FTE (all services)",
    "cost_nok": "NOK per year (price year of the catalogue)",
    "cost_nok_per_inhabitant": "NOK per inhabitant per year",
}
_ADDITIVE = [m for m in METRICS if m != "cost_nok_per_inhabitant"]  # summed over members


#: The tidy frames of a result; each is built from the chain's arrays on first use.
FRAMES = ("population", "demand", "capacity", "staff", "costs", "cost_shares")
_PLAN_FRAMES = ("capacity", "staff", "costs", "cost_shares")


class _Frame:
    """A frame attribute of :class:`ScenarioResult`: given as a frame, or built once from the
    arrays (a Population, a Demand, or the ServicePlan for capacity, staff, costs and shares)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        frames = obj._frames
        if self.name not in frames:
            src = obj._sources.get(self.name)
            if src is None and obj.plan is not None and self.name in _PLAN_FRAMES:
                src = getattr(obj.plan, self.name)
            frames[self.name] = src.frame() if hasattr(src, "frame") else src
        return frames[self.name]

    def __set__(self, obj: Any, value: Any) -> None:
        obj._frames[self.name] = value
        obj._sources[self.name] = value
        obj._metrics = obj._summary = obj._cube = None


class ScenarioResult:
    """The tidy frames of one scenario run, a summary and provenance.

    Frames (see docs/architecture.md): ``population``, ``demand``, ``capacity``, ``staff``,
    ``costs`` (municipality_code, year, service, item, nok, price_year[, run]), ``cost_shares``,
    ``units``; ``summary`` (municipality_code incl. 'region', metric, value[, p10, p50, p90]) at
    the horizon's end year; ``provenance`` (dict).

    The chain hands over arrays with a leading runs axis (``population`` a
    :class:`planning.population.Population`, ``demand`` a :class:`planning.demand.Demand`,
    ``plan`` the :class:`planning.capacity.ServicePlan`); metrics and the summary are computed
    on them, and each tidy frame is built only when it is first read (a thousand runs make
    tens of millions of population rows). Frames may also be given directly.
    """

    population = _Frame()
    demand = _Frame()
    capacity = _Frame()
    staff = _Frame()
    costs = _Frame()
    cost_shares = _Frame()

    def __init__(
        self,
        *,
        name: str,
        scenario: Scenario,
        population: Any,
        demand: Any,
        capacity: Any = None,
        staff: Any = None,
        costs: Any = None,
        cost_shares: Any = None,
        units: Any = None,
        provenance: dict[str, Any],
        parameter_values: Mapping[str, Any] | None = None,
        plan: Any = None,
    ) -> None:
        self.name = name
        self.scenario = scenario
        #: the ServicePlan whose arrays hold capacity, staff, costs and cost shares (or None)
        self.plan = plan
        self._sources: dict[str, Any] = {
            "population": population,
            "demand": demand,
            "capacity": capacity,
            "staff": staff,
            "costs": costs,
            "cost_shares": cost_shares,
        }
        self._frames: dict[str, Any] = {}
        missing = [k for k in _PLAN_FRAMES if self._sources[k] is None and plan is None]
        if missing:
            raise TypeError(f"ScenarioResult needs {missing} or a plan")
        self.units = units if units is not None else getattr(plan, "units", None)
        self.provenance = provenance
        #: {parameter path: value per run 0..N} of the drawn assumptions (empty without draws)
        self.parameter_values = dict(parameter_values or {})
        self._metrics: Any = None
        self._summary: Any = None
        self._cube: Any = None

    def __repr__(self) -> str:
        h = self.scenario.horizon
        return (
            f"ScenarioResult({self.name!r}, {h.base_year}-{h.end_year}, "
            f"runs={self.provenance.get('runs')}, fingerprint={self.scenario.fingerprint()})"
        )

    def arrays(self, name: str) -> Any:
        """The arrays behind frame ``name``: the :class:`planning.population.Population` of
        ``'population'`` or the :class:`planning.demand.Demand` of ``'demand'`` (runs as the first
        axis); None when the result was given that frame directly. Raises KeyError for
        another name."""
        from planning.demand import Demand
        from planning.population import Population

        kinds = {"population": Population, "demand": Demand}
        src = self._sources[name] if name in kinds else None
        if name not in kinds:
            raise KeyError(f"no arrays for {name!r}; allowed: {sorted(kinds)}")
        return src if isinstance(src, kinds[name]) else None

    def central(self) -> ScenarioResult:
        """This result with its tidy frames and :meth:`metrics` cut to the central run 0 (a
        ``run`` column, all 0, where the full frames have one), built from run 0 of the arrays:
        for the tables and charts of the central run, which would otherwise build the frames of
        every run (millions of rows at 500 runs) to keep one run. :attr:`summary` and
        :meth:`headline` stay those of the whole result (central values with P10-P90 over runs
        1..N), and so does :attr:`runs`. Rows equal those of run 0 of the full frames."""
        from planning.demand import Demand
        from planning.population import Population

        def cut(src: Any) -> Any:
            if src is None:
                return None
            if isinstance(src, Population | Demand):
                return src.central()
            if "run" in src.columns:
                return src[src["run"] == 0].reset_index(drop=True)
            return src

        out = ScenarioResult(
            name=self.name,
            scenario=self.scenario,
            population=cut(self._sources["population"]),
            demand=cut(self._sources["demand"]),
            capacity=cut(self._sources["capacity"]),
            staff=cut(self._sources["staff"]),
            costs=cut(self._sources["costs"]),
            cost_shares=cut(self._sources["cost_shares"]),
            units=self.units,
            provenance=self.provenance,
            parameter_values=self.parameter_values,
            plan=None if self.plan is None else self.plan.central(),
        )
        cube = self.metric_cube()
        out._summary = self.summary
        out._cube = MetricCube(
            cube.values[:, :1], cube.metrics, cube.municipalities, cube.years, cube.has_run
        )
        return out

    @property
    def runs(self) -> int:
        """Monte Carlo runs beyond the central run 0."""
        return int(self.provenance.get("runs", 0))

    @property
    def end_year(self) -> int:
        return int(self.scenario.horizon.end_year)

    def metrics(self) -> Any:
        """Long frame: municipality_code (incl. 'region'), year, metric, value[, run].

        Metrics and units: :data:`METRICS`. Beds and FTE of shared units are attributed to the
        members by their cost share, so municipalities sum to the region. Computed once.
        """
        if self._metrics is None:
            self._metrics = _metrics_frame(self.metric_cube())
        return self._metrics.copy(deep=False)

    def metric_cube(self) -> MetricCube:
        """The metrics as one array (metric, run, municipality incl. region, year): what
        :meth:`metrics` and :attr:`summary` are made of. Computed once."""
        if self._cube is None:
            self._cube = _metric_cube(self)
        return self._cube

    @property
    def summary(self) -> Any:
        """municipality_code (incl. 'region'), metric, value (central run)[, p10, p50, p90] at
        the horizon's end year."""
        if self._summary is None:
            self._summary = _summary(self)
        return self._summary.copy(deep=False)

    def headline(
        self, reference: ScenarioResult | None = None, alone: ScenarioResult | None = None
    ) -> dict[str, Any]:
        """Index-page figures at the end year (central run): beds, FTE, yearly cost for the region
        and cost per municipality. With ``reference`` (normally ``today``) also the differences
        from it under ``vs_reference``; with ``alone`` the differences from the all-alone
        counterfactual under ``vs_alone``."""
        out = _headline(self)
        for key, other in (("reference", reference), ("alone", alone)):
            if other is None:
                continue
            base = _headline(other)
            out[key] = other.name
            out[f"{key}_title"] = other.scenario.title.nb
            out[f"vs_{key}"] = {k: out[k] - base[k] for k in HEADLINE_DIFFERENCES}
            out[f"vs_{key}"]["cost_nok_by_municipality"] = {
                c: v - base["cost_nok_by_municipality"].get(c, 0.0)
                for c, v in out["cost_nok_by_municipality"].items()
            }
        return out


#: Headline figures whose difference against the reference is reported.
HEADLINE_DIFFERENCES = ("population", "beds", "fte", "cost_nok")


def _has_arrays(res: ScenarioResult) -> bool:
    from planning.demand import Demand
    from planning.population import Population

    src = res._sources
    return (
        res.plan is not None
        and isinstance(src["population"], Population)
        and isinstance(src["demand"], Demand)
        and all(src[k] is None for k in _PLAN_FRAMES)
    )


def _metric_arrays(res: ScenarioResult) -> tuple[Any, int]:
    """The additive metrics as (metric, run, municipality, year) arrays straight from the
    chain's arrays (no tidy frame): the same sums as the frame path of :func:`_metrics`."""
    import numpy as np

    pop, dem, plan = res._sources["population"], res._sources["demand"], res.plan
    codes = list(res.scenario.municipality_codes())
    years = np.asarray(plan.years, dtype=np.int64)
    R, M, Y = len(plan.runs), len(codes), len(years)
    pos = {c: i for i, c in enumerate(codes)}

    def on_grid(a: Any, a_codes: Any, a_years: Any) -> Any:
        """(r, m, y) array of another municipality order and years → (R, M, Y)."""
        mi = [list(a_codes).index(c) for c in codes]
        yi = [list(np.asarray(a_years).tolist()).index(int(y)) for y in years]
        return np.broadcast_to(a[:, mi][:, :, yi], (R, M, Y))

    by_age = pop.by_age()
    out: dict[str, Any] = {
        "population": on_grid(pop.totals(), pop.codes, pop.years),
        "population_67+": on_grid(by_age[..., 67:].sum(axis=-1), pop.codes, pop.years),
        "population_80+": on_grid(by_age[..., 80:].sum(axis=-1), pop.codes, pop.years),
    }
    fte_u: dict[tuple[str, str], Any] = {}
    beds_u: dict[tuple[str, str], Any] = {}
    bed_services = set(res.scenario.catalogue().services_of("bed_service"))  # kad, intermediaer
    for labels, v, names in plan.parts("staff"):
        if labels["measure"] == "fte":
            for x, unit in enumerate(names):
                key = (str(unit), labels["service"])
                fte_u[key] = fte_u.get(key, 0.0) + v[:, x, :]
    for labels, v, names in plan.parts("cap"):
        if labels["measure"] == "beds" and labels["service"] in bed_services:
            for x, unit in enumerate(names):
                key = (str(unit), labels["service"])
                beds_u[key] = beds_u.get(key, 0.0) + v[:, x, :]
    for k in ("beds", "beds_kad", "beds_intermediaer", "fte", "cost_nok"):
        out[k] = np.zeros((R, M, Y))
    for labels, share, names in plan.parts("share"):
        svc = labels["service"]
        sh = np.broadcast_to(labels["_share"], share.shape)
        for x, code in enumerate(names):
            key, m = (str(labels["_units"][x]), svc), pos[str(code)]
            if key in beds_u:
                b = beds_u[key] * sh[:, x, :]
                out["beds"][:, m] += b
                if svc in ("kad", "intermediaer"):
                    out[f"beds_{svc}"][:, m] += b
            if key in fte_u:
                out["fte"][:, m] += fte_u[key] * sh[:, x, :]
    for _, v, names in plan.parts("cost"):
        for x, code in enumerate(names):
            out["cost_nok"][:, pos[str(code)]] += v[:, x, :]
    out["home_service_users"] = on_grid(dem.get("hjemmetjenester", "users"), dem.codes, dem.years)
    lt = (
        ("langtidsopphold", "places")
        if ("langtidsopphold", "places") in dem.columns
        else ("langtidsopphold", "users")
    )
    out["long_term_places"] = on_grid(dem.get(*lt), dem.codes, dem.years)
    return np.stack([np.broadcast_to(out[k], (R, M, Y)) for k in _ADDITIVE]), R


@dataclass(frozen=True)
class MetricCube:
    """Metrics of a result as an array: ``values`` (metric, run, municipality, year) with
    ``metrics`` (:data:`METRICS` order), ``municipalities`` (the scenario's codes, then
    'region'), ``years``; ``has_run``: the result has Monte Carlo runs (run 0 central)."""

    values: Any
    metrics: list[str]
    municipalities: list[str]
    years: Any
    has_run: bool


def _metric_cube(res: ScenarioResult) -> MetricCube:
    """Metrics on the (run, municipality, year) grid: from the chain's arrays when the result
    has them (:func:`_metric_arrays`), else from the frames with integer indexing and bincount.
    Either way a few milliseconds even for thousands of sweep variants."""
    import numpy as np
    import pandas as pd

    codes = list(res.scenario.municipality_codes())
    h = res.scenario.horizon
    years = np.arange(h.base_year, h.end_year + 1)
    if _has_arrays(res):
        arr, n_runs = _metric_arrays(res)
        return _with_region(arr, codes, years, res._sources["demand"].with_run)
    has_run = "run" in res.population.columns
    n_runs = res.runs + 1 if has_run else 1
    M, Y = len(codes), len(years)
    cell = pd.Index(codes)

    def positions(col: Any, index: Any) -> np.ndarray:
        """Position of each value of a (string) column in ``index``: factorize, then look the
        few distinct values up (much faster than a lookup per row)."""
        codes_, uniq_ = pd.factorize(col)
        return np.asarray(index.get_indexer(uniq_))[codes_]

    def grid(frame: Any) -> np.ndarray:
        """Flat (run, municipality, year) cell of each row."""
        idx = positions(frame["municipality_code"], cell) * Y + (
            frame["year"].to_numpy(dtype=np.int64) - h.base_year
        )
        if has_run:
            idx = idx + frame["run"].to_numpy(dtype=np.int64) * (M * Y)
        return idx

    def total(idx: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.bincount(idx, weights=w, minlength=n_runs * M * Y)

    out: dict[str, np.ndarray] = {}
    pop = res.population
    gi, age = grid(pop), pop["age"].to_numpy()
    p = pop["population"].to_numpy(dtype=float)
    out["population"] = total(gi, p)
    out["population_67+"] = total(gi, p * (age >= 67))
    out["population_80+"] = total(gi, p * (age >= 80))

    # beds and FTE per (unit, service, year, run), attributed to members by cost share
    st = res.staff[res.staff["measure"] == "fte"]
    cap = res.capacity
    bed_services = list(res.scenario.catalogue().services_of("bed_service"))  # kad, intermediaer
    cap = cap[(cap["measure"] == "beds") & cap["service"].isin(bed_services)]
    shares = res.cost_shares
    units = pd.Index(
        pd.unique(
            np.concatenate(
                [np.asarray(pd.unique(f["unit"]), dtype=object) for f in (st, cap, shares)]
            )
        )
    )
    services = pd.Index(
        pd.unique(
            np.concatenate(
                [np.asarray(pd.unique(f["service"]), dtype=object) for f in (st, cap, shares)]
            )
        )
    )
    U = len(units) * len(services)

    def unit_cell(frame: Any) -> np.ndarray:
        u = positions(frame["unit"], units) * len(services) + positions(frame["service"], services)
        idx = u * Y + (frame["year"].to_numpy(dtype=np.int64) - h.base_year)
        if has_run:
            idx = idx + frame["run"].to_numpy(dtype=np.int64) * (U * Y)
        return idx

    size = n_runs * U * Y
    fte_u = np.bincount(unit_cell(st), weights=st["value"].to_numpy(dtype=float), minlength=size)
    beds_u = np.bincount(unit_cell(cap), weights=cap["value"].to_numpy(dtype=float), minlength=size)
    su, sg = unit_cell(shares), grid(shares)
    share = shares["share"].to_numpy(dtype=float)
    svc = shares["service"].to_numpy()
    b = beds_u[su] * share
    out["beds"] = total(sg, b)
    out["beds_kad"] = total(sg, b * (svc == "kad"))
    out["beds_intermediaer"] = total(sg, b * (svc == "intermediaer"))
    out["fte"] = total(sg, fte_u[su] * share)
    out["cost_nok"] = total(grid(res.costs), res.costs["nok"].to_numpy(dtype=float))
    d = res.demand
    users = d[d["measure"] == "users"]
    gu, ws = grid(users), users["value"].to_numpy(dtype=float)
    out["home_service_users"] = total(gu, ws * (users["service"].to_numpy() == "hjemmetjenester"))
    # places needed on long-term stays (residents / occupancy where the demand gives places)
    lt = d[(d["service"] == "langtidsopphold") & (d["measure"] == "places")]
    if not len(lt):
        lt = d[(d["service"] == "langtidsopphold") & (d["measure"] == "users")]
    out["long_term_places"] = total(grid(lt), lt["value"].to_numpy(dtype=float))
    arr = np.stack([out[k].reshape(n_runs, M, Y) for k in _ADDITIVE])
    return _with_region(arr, codes, years, has_run)


def _with_region(arr: Any, codes: list[str], years: Any, has_run: bool) -> MetricCube:
    """The additive metrics (K, R, M, Y) with the region added as the last municipality and the
    cost per inhabitant as the last metric."""
    import numpy as np

    # (K, R, M, Y) -> add the region as municipality M
    arr = np.concatenate([arr, arr.sum(axis=2, keepdims=True)], axis=2)
    pop_i, cost_i = _ADDITIVE.index("population"), _ADDITIVE.index("cost_nok")
    per_inh = np.divide(
        arr[cost_i], arr[pop_i], out=np.full(arr[pop_i].shape, np.nan), where=arr[pop_i] > 0
    )
    arr = np.concatenate([arr, per_inh[None]], axis=0)
    metrics = [*_ADDITIVE, "cost_nok_per_inhabitant"]
    return MetricCube(arr, metrics, [*codes, "region"], np.asarray(years), has_run)


def _metrics_frame(cube: MetricCube) -> Any:
    """The long metrics frame of a cube: municipality_code, year, metric, value[, run]."""
    import numpy as np
    import pandas as pd

    from planning.demand import labels_column

    K, R, M1, Y = cube.values.shape
    frame = pd.DataFrame(
        {
            "municipality_code": labels_column(
                cube.municipalities, np.tile(np.repeat(np.arange(M1, dtype=np.int32), Y), K * R)
            ),
            "year": np.tile(cube.years, K * R * M1),
            "metric": labels_column(
                cube.metrics, np.repeat(np.arange(K, dtype=np.int32), R * M1 * Y)
            ),
            "value": cube.values.reshape(-1),
        }
    )
    if cube.has_run:
        frame["run"] = np.tile(np.repeat(np.arange(R), M1 * Y), K)
    return frame


def _summary(res: ScenarioResult) -> Any:
    """The end year's central values with P10/P50/P90 over runs 1..N (when there are runs),
    straight from the metric cube (quantiles as :func:`planning.stats.quantiles` takes them)."""
    import numpy as np
    import pandas as pd

    from planning.stats import quantile_label, quantiles_over_runs

    cube = res.metric_cube()
    at_end = cube.values[..., list(np.asarray(cube.years)).index(res.end_year)]  # (K, R, M1)
    K, R, M1 = at_end.shape
    central = pd.DataFrame(
        {
            "municipality_code": np.tile(np.array(cube.municipalities, dtype=object), K),
            "metric": np.repeat(np.array(cube.metrics, dtype=object), M1),
            "value": at_end[:, 0, :].reshape(-1),
        }
    )
    if cube.has_run and R > 1:
        qs = (0.1, 0.5, 0.9)
        q = quantiles_over_runs(at_end[:, 1:, :], qs, axis=1)  # (len(qs), K, M1)
        for i, x in enumerate(qs):
            central[quantile_label(x)] = q[i].reshape(-1)
    order = {k: i for i, k in enumerate(METRICS)}
    central = central.assign(
        _r=(central["municipality_code"] == "region").astype(int),
        _m=central["metric"].map(order),
    ).sort_values(["_r", "municipality_code", "_m"])
    return central.drop(columns=["_r", "_m"]).reset_index(drop=True)


def _headline(res: ScenarioResult) -> dict[str, Any]:
    s = res.summary
    region = s[s["municipality_code"] == "region"].set_index("metric")["value"]
    munis = s[(s["municipality_code"] != "region") & (s["metric"] == "cost_nok")]
    return {
        "scenario": res.name,
        "title": res.scenario.title.nb,
        "year": res.end_year,
        "population": float(region["population"]),
        "beds": float(region["beds"]),
        "long_term_places": float(region["long_term_places"]),
        "fte": float(region["fte"]),
        "cost_nok": float(region["cost_nok"]),
        "cost_nok_per_inhabitant": float(region["cost_nok_per_inhabitant"]),
        "cost_nok_by_municipality": {
            str(c): float(v)
            for c, v in zip(munis["municipality_code"], munis["value"], strict=True)
        },
        "price_year": res.provenance.get("price_year"),
    }
