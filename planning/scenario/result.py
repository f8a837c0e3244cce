"""``ScenarioResult``: the frames of one run, its metrics, summary and headline figures.

Part of :mod:`planning.scenarios` (the public facade); see its docstring for the map.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from planning.scenario.schema import Scenario

#: Metrics of :meth:`ScenarioResult.metrics` (name: unit). Beds and FTE of a shared unit are
#: attributed to its members by their cost share, so municipality rows add up to the region.
METRICS: dict[str, str] = {
    "population": "persons",
    "population_67+": "persons",
    "population_80+": "persons",
    "beds": "beds (KAD + intermediate)",
    "beds_kad": "beds",
    "beds_intermediaer": "beds",
    "home_service_users": "persons (hjemmetjenester)",
    "long_term_places": "places on long-term stays (residents / occupancy)",
    "fte": "FTE (all services)",
    "cost_nok": "NOK per year (price year of the catalogue)",
    "cost_nok_per_inhabitant": "NOK per inhabitant per year",
}
_ADDITIVE = [m for m in METRICS if m != "cost_nok_per_inhabitant"]  # summed over members


class ScenarioResult:
    """The tidy frames of one scenario run, a summary and provenance.

    Frames (see docs/architecture.md): ``population``, ``demand``, ``capacity``, ``staff``,
    ``costs`` (municipality_code, year, service, item, nok, price_year[, run]), ``cost_shares``,
    ``units``; ``summary`` (municipality_code incl. 'region', metric, value[, p10, p50, p90]) at
    the horizon's end year; ``provenance`` (dict).
    """

    def __init__(
        self,
        *,
        name: str,
        scenario: Scenario,
        population: Any,
        demand: Any,
        capacity: Any,
        staff: Any,
        costs: Any,
        cost_shares: Any,
        units: Any,
        provenance: dict[str, Any],
        parameter_values: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.scenario = scenario
        self.population = population
        self.demand = demand
        self.capacity = capacity
        self.staff = staff
        self.costs = costs
        self.cost_shares = cost_shares
        self.units = units
        self.provenance = provenance
        #: {parameter path: value per run 0..N} of the drawn assumptions (empty without draws)
        self.parameter_values = dict(parameter_values or {})
        self._metrics: Any = None
        self._summary: Any = None

    def __repr__(self) -> str:
        h = self.scenario.horizon
        return (
            f"ScenarioResult({self.name!r}, {h.base_year}-{h.end_year}, "
            f"runs={self.provenance.get('runs')}, fingerprint={self.scenario.fingerprint()})"
        )

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
            self._metrics = _metrics(self)
        return self._metrics.copy(deep=False)

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


def _metrics(res: ScenarioResult) -> Any:
    """Metrics on the (run, municipality, year) grid with integer indexing and bincount: a few
    milliseconds even for thousands of sweep variants."""
    import numpy as np
    import pandas as pd

    codes = list(res.scenario.municipality_codes())
    h = res.scenario.horizon
    years = np.arange(h.base_year, h.end_year + 1)
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
    cap = cap[(cap["measure"] == "beds") & cap["service"].isin(["kad", "intermediaer"])]
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

    # (K, R, M, Y) -> add the region as municipality M
    arr = np.stack([out[k].reshape(n_runs, M, Y) for k in _ADDITIVE])
    arr = np.concatenate([arr, arr.sum(axis=2, keepdims=True)], axis=2)
    pop_i, cost_i = _ADDITIVE.index("population"), _ADDITIVE.index("cost_nok")
    per_inh = np.divide(
        arr[cost_i], arr[pop_i], out=np.full(arr[pop_i].shape, np.nan), where=arr[pop_i] > 0
    )
    arr = np.concatenate([arr, per_inh[None]], axis=0)
    metrics = [*_ADDITIVE, "cost_nok_per_inhabitant"]
    K, M1 = len(metrics), M + 1
    frame = pd.DataFrame(
        {
            "municipality_code": np.tile(
                np.repeat(np.array([*codes, "region"], dtype=object), Y), K * n_runs
            ),
            "year": np.tile(years, K * n_runs * M1),
            "metric": np.repeat(np.array(metrics, dtype=object), n_runs * M1 * Y),
            "value": arr.reshape(-1),
        }
    )
    if has_run:
        frame["run"] = np.tile(np.repeat(np.arange(n_runs), M1 * Y), K)
    return frame


def _summary(res: ScenarioResult) -> Any:
    from planning.stats import quantiles

    m = res.metrics()
    m = m[m["year"] == res.end_year]
    if "run" in m.columns:
        central = m[m["run"] == 0].drop(columns=["run", "year"])
        if (m["run"] > 0).any():
            q = quantiles(m, ["municipality_code", "metric"])
            central = central.merge(q, on=["municipality_code", "metric"], how="left")
    else:
        central = m.drop(columns=["year"])
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
