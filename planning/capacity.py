"""Capacity, staff, costs and cost shares from demand (pure, vectorised; no I/O).

* :func:`evaluate`: demand (and population) → :class:`ServicePlan` of tidy frames for every
  provider of every service: a shared unit from the :class:`~planning.parameters.Organisation`,
  or a municipality running the service alone. It assembles the kinds of
  :mod:`planning.services` (each turns the demand of its services into capacity, staff and
  cost) and splits each provider's cost among its members by the unit's cost key.
* :func:`erlang_b`, :func:`beds_for_blocking`, :func:`beds_for_occupancy`,
  :func:`compare_pooling` (from :mod:`planning.services.erlang`): bed sizing by the Erlang loss
  model (M/M/c/c) and, for comparison, by a target mean occupancy.

Conventions: offered load = bed-days per year / 365 (mean number of occupied beds if nothing is
refused). Money is NOK at ``catalogue.price_year``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from planning import services
from planning.demand import Demand, grid_codes
from planning.errors import InputError, require_columns
from planning.overhead import add_overhead, one_off_arrays
from planning.parameters import Levers, Organisation, ServiceCatalogue
from planning.population import Population
from planning.services.base import DAYS_PER_YEAR, HOURS_PER_YEAR, PlanContext, per_unit
from planning.services.erlang import (
    beds_alone,
    beds_for_blocking,
    beds_for_occupancy,
    compare_pooling,
    erlang_b,
)
from planning.uncertainty import map_run_values

__all__ = [
    "CAPACITY_COLUMNS",
    "COSTS_COLUMNS",
    "DAYS_PER_YEAR",
    "HOURS_PER_YEAR",
    "SHARES_COLUMNS",
    "STAFF_COLUMNS",
    "UNITS_COLUMNS",
    "ServicePlan",
    "beds_alone",
    "beds_for_blocking",
    "beds_for_occupancy",
    "compare_pooling",
    "erlang_b",
    "evaluate",
    "municipality_travel",
    "per_unit",
]

CAPACITY_COLUMNS = ["unit", "year", "service", "measure", "value"]
STAFF_COLUMNS = ["unit", "year", "service", "profession", "measure", "value"]
COSTS_COLUMNS = ["municipality_code", "year", "service", "item", "nok", "price_year"]
SHARES_COLUMNS = ["municipality_code", "year", "service", "unit", "key", "share", "nok"]
UNITS_COLUMNS = ["unit", "service", "host", "municipality_code", "cost_key", "fixed_share"]


# ------------------------------------------------------------------------------------------------
# travel
# ------------------------------------------------------------------------------------------------
def municipality_travel(travel: pd.DataFrame, places: pd.DataFrame | None = None) -> pd.DataFrame:
    """Travel between municipality centres: from_code, to_code, minutes, distance_km.

    ``travel`` is either already by municipality (from_code, to_code, minutes, distance_km) or by
    place (``planning.data.load_travel()``: from_id, to_id, ...), in which case ``places``
    (``planning.data.load_places()``) maps each municipality to its 'municipality_centre' place.
    """
    cols = {"from_code", "to_code", "minutes", "distance_km"}
    if cols <= set(travel.columns):
        out = travel[list(("from_code", "to_code", "minutes", "distance_km"))].copy()
    else:
        need = {"from_id", "to_id", "minutes", "distance_km"}
        if not need <= set(travel.columns):
            raise InputError(
                "travel frame needs from_code/to_code or from_id/to_id, minutes, distance_km",
                key="travel",
                allowed=sorted(cols | need),
            )
        if places is None:
            raise InputError("travel by place id needs the places frame", key="places")
        centres = places[places["role"].astype(str).str.contains("municipality_centre")]
        centre = dict(
            zip(centres["place_id"], centres["municipality_code"].astype(str), strict=True)
        )
        t = travel[travel["from_id"].isin(centre) & travel["to_id"].isin(centre)]
        out = pd.DataFrame(
            {
                "from_code": t["from_id"].map(centre).to_numpy(),
                "to_code": t["to_id"].map(centre).to_numpy(),
                "minutes": t["minutes"].to_numpy(dtype=float),
                "distance_km": t["distance_km"].to_numpy(dtype=float),
            }
        )
    out["from_code"] = out["from_code"].astype(str)
    out["to_code"] = out["to_code"].astype(str)
    return out.reset_index(drop=True)


def _by_municipality(travel: pd.DataFrame) -> bool:
    """True for a frame :func:`municipality_travel` would only copy: by municipality, with the
    codes as text (as the pipeline's cached travel is); :func:`_travel_matrix` only reads it."""
    cols = {"from_code", "to_code", "minutes", "distance_km"}
    return cols <= set(travel.columns) and all(
        pd.api.types.is_string_dtype(travel[c]) for c in ("from_code", "to_code")
    )


def _travel_matrix(travel: pd.DataFrame | None, codes: list[str], pairs: set[tuple[str, str]]):
    """(minutes, km) matrices over ``codes``; every (member, host) pair in ``pairs`` must be known
    in either direction. Returns zero matrices when no pair is needed."""
    n = len(codes)
    minutes, km = np.zeros((n, n)), np.zeros((n, n))
    if not pairs:
        return minutes, km
    if travel is None:
        a, b = sorted(pairs)[0]
        raise InputError(
            f"travel times are needed for shared units (e.g. {a} to host {b}); pass "
            "travel=municipality_travel(planning.data.load_travel(), planning.data.load_places())",
            key="travel",
        )
    idx = {c: i for i, c in enumerate(codes)}
    known: dict[tuple[str, str], tuple[float, float]] = {}
    need = sorted({c for pair in pairs for c in pair})
    travel = travel[travel["from_code"].isin(need) & travel["to_code"].isin(need)]  # not Norway
    for f, t, mi, d in zip(
        travel["from_code"],
        travel["to_code"],
        travel["minutes"],
        travel["distance_km"],
        strict=True,
    ):
        known[(f, t)] = (float(mi), float(d))
        known.setdefault((t, f), (float(mi), float(d)))
    for a, b in pairs:
        if (a, b) not in known:
            raise InputError(
                f"no travel time between municipalities {a} and {b}",
                key="travel",
                allowed="a row for each member-host pair (from_code, to_code, minutes, distance_km)",
            )
        if not (np.isfinite(known[(a, b)][0]) and np.isfinite(known[(a, b)][1])):
            raise InputError(f"travel between {a} and {b} is blank", key="travel")
        minutes[idx[a], idx[b]], km[idx[a], idx[b]] = known[(a, b)]
    return minutes, km


# ------------------------------------------------------------------------------------------------
# plan
# ------------------------------------------------------------------------------------------------
class ServicePlan:
    """Result of :func:`evaluate` (tidy frames; a ``run`` column when the input has runs).

    The model keeps (run, unit or municipality, year) arrays (:meth:`parts`); each tidy frame
    below is built from them on first use, so a chain with many runs pays for the frames a user
    asks for only.

    capacity: unit, year, service, measure, value. Bed units: offered_load (Erlangs), beds
      (Erlang B), refusal_probability, occupancy, beds_at_occupancy_target,
      refusal_at_occupancy_target, refused_bed_days; legevakt: catchment_population,
      doctor_hours, nurses_on_duty; brukerkontor: cases; fastlege: lists; hjemmetjenester,
      langtidsopphold, heldogn_bolig: users (and places for the two heldøgn forms); shared units: added_travel_minutes (population-weighted one way).
    staff: unit, year, service, profession, measure ('fte_workload' from norms before
      indivisibilities, 'fte_travel', 'fte' staffed), value (FTE).
    costs: municipality_code, year, service, item ('staff', 'travel', 'overliggedogn'), nok,
      price_year: what each municipality pays. Bed units' staff cost is multiplied by the
      catalogue's municipal_cost_share (the DMS step-down beds are two-thirds financed by the
      health trusts); 'overliggedogn' is each municipality's own refused step-down bed-days at
      the utskrivningsklar day rate.
    cost_shares: municipality_code, year, service, unit, key, share, nok: each provider's cost
      (staff + travel) split among its members.
    units: unit, service, host, municipality_code (one row per member), cost_key, fixed_share.
    """

    def __init__(self, builder: _Builder, units: pd.DataFrame, price_year: int) -> None:
        self._builder = builder
        self.units = units
        self.price_year = price_year
        self._frames: dict[str, pd.DataFrame] = {}

    def _frame(self, kind: str) -> pd.DataFrame:
        if kind not in self._frames:
            py = self.price_year if kind == "cost" else None
            self._frames[kind] = self._builder.frame(kind, price_year=py)
        return self._frames[kind]

    @property
    def capacity(self) -> pd.DataFrame:
        return self._frame("cap")

    @property
    def staff(self) -> pd.DataFrame:
        return self._frame("staff")

    @property
    def costs(self) -> pd.DataFrame:
        return self._frame("cost")

    @property
    def cost_shares(self) -> pd.DataFrame:
        return self._frame("share")

    @property
    def runs(self) -> np.ndarray:
        """Run numbers of the arrays' first axis."""
        return self._builder.runs

    @property
    def years(self) -> np.ndarray:
        return self._builder.years

    def parts(self, kind: str) -> list[tuple[dict[str, Any], np.ndarray, list[str]]]:
        """The arrays behind a frame: (labels, values (runs, X, years), X names) per block;
        ``kind`` 'cap', 'staff' (names: units), 'cost' or 'share' (names: municipality codes;
        a share block's labels hold '_units' and '_share' per X)."""
        return self._builder.parts[kind]

    def central(self) -> ServicePlan:
        """Run 0 only (views of the arrays; frames keep their ``run`` column when the plan has
        runs): the central run's frames without building those of every run."""
        b = _Builder(self._builder.runs[:1], self._builder.years, self._builder.has_run)
        for kind, parts in self._builder.parts.items():
            b.parts[kind] = [
                (
                    {k: (v[:1] if k == "_share" else v) for k, v in lab.items()},
                    values[:1],
                    names,
                )
                for lab, values, names in parts
            ]
        return ServicePlan(b, self.units, self.price_year)

    def with_nok_factor(self, factor: np.ndarray) -> ServicePlan:
        """A copy with every NOK (costs and cost shares) multiplied by ``factor``, broadcast
        against (runs, X, years), e.g. real pay growth (1 + g) ** (year - base year)."""
        b = _Builder(self._builder.runs, self._builder.years, self._builder.has_run)
        f = np.asarray(factor, dtype=float)
        for kind, parts in self._builder.parts.items():
            if kind in ("cost", "share"):
                parts = [(lab, v * f, names) for lab, v, names in parts]
            b.parts[kind] = list(parts)
        return ServicePlan(b, self.units, self.price_year)


@dataclass
class _Providers:
    """Providers of one service: names, hosts, membership matrix W (P × M), cost keys."""

    names: list[str]
    hosts: np.ndarray  # index into codes, per provider
    W: np.ndarray  # (P, M) 0/1
    keys: list[str]  # 'own' for a municipality alone
    fixed: np.ndarray  # fixed share per provider (0 unless fixed_plus_use)
    of: np.ndarray  # provider index of each municipality (M,)

    def agg(self, x: np.ndarray) -> np.ndarray:
        """Sum member values (R, M, Y) to providers (R, P, Y)."""
        return np.einsum("pm,rmy->rpy", self.W, x)

    def back(self, x: np.ndarray) -> np.ndarray:
        """Give each municipality its provider's value: (R, P, Y) -> (R, M, Y)."""
        return x[:, self.of, :]


def _providers(service: str, organisation: Organisation, codes: list[str]) -> _Providers:
    idx = {c: i for i, c in enumerate(codes)}
    names, hosts, keys, fixed, rows = [], [], [], [], []
    covered: set[str] = set()
    for u in organisation.units:
        if u.service != service:
            continue
        absent = [m for m in u.members if m not in idx]
        if absent:
            raise InputError(
                f"unit '{u.name}' has members {absent} that are not in the demand frame",
                key="organisation.units",
                allowed=codes,
            )
        w = np.zeros(len(codes))
        w[[idx[m] for m in u.members]] = 1.0
        names.append(u.name)
        hosts.append(idx[u.host])
        keys.append(u.cost_key)
        fixed.append(u.fixed_share or 0.0)
        rows.append(w)
        covered.update(u.members)
    for c in codes:
        if c not in covered:
            w = np.zeros(len(codes))
            w[idx[c]] = 1.0
            names.append(c)
            hosts.append(idx[c])
            keys.append("own")
            fixed.append(0.0)
            rows.append(w)
    W = np.array(rows)
    return _Providers(names, np.array(hosts), W, keys, np.array(fixed), W.argmax(axis=0))


def _dense_demand(
    demand: pd.DataFrame, has_run: bool
) -> tuple[np.ndarray, list[str], np.ndarray, dict, np.ndarray]:
    """Demand as an array (R, M, Y, C) with NaN for absent cells.

    Returns (runs, codes, years, {(service, measure): column}, array)."""
    keys = (["run"] if has_run else []) + ["municipality_code", "year"]
    uniques, cell, n_cells = grid_codes(demand, keys)
    s_codes, s_uni = pd.factorize(demand["service"], sort=True)
    m_codes, m_uni = pd.factorize(demand["measure"], sort=True)
    pair = s_codes.astype(np.int64) * len(m_uni) + m_codes
    pairs, col = np.unique(pair, return_inverse=True)
    columns = {
        (str(s_uni[p // len(m_uni)]), str(m_uni[p % len(m_uni)])): i for i, p in enumerate(pairs)
    }
    flat = cell * len(pairs) + col
    if np.bincount(flat, minlength=n_cells * len(pairs)).max() > 1:
        raise InputError(
            "demand frame has duplicate rows for a (run,) municipality, year, service, measure",
            key="demand",
        )
    arr = np.full(n_cells * len(pairs), np.nan)
    arr[flat] = demand["value"].to_numpy(dtype=float)
    runs = uniques[0] if has_run else np.array([0])
    codes = [str(c) for c in uniques[-2]]
    years = uniques[-1].astype(np.int64)
    return runs, codes, years, columns, arr.reshape(len(runs), len(codes), len(years), len(pairs))


def evaluate(
    population: pd.DataFrame,
    demand: pd.DataFrame,
    catalogue: ServiceCatalogue,
    organisation: Organisation,
    levers: Levers | None = None,
    travel: pd.DataFrame | None = None,
    places: pd.DataFrame | None = None,
    staffing: pd.DataFrame | None = None,
    today_units: list[Any] | None = None,
) -> ServicePlan:
    """Capacity, staff, costs and cost shares for every provider, year (and run).

    ``today_units``: today's units (:func:`planning.parameters.status_quo_units`); given, the
    one-off costs of setting up or leaving shared units are added (:mod:`planning.overhead`).

    ``demand`` as from :func:`planning.demand.project_demand`; ``population`` supplies inhabitants
    for population cost keys and travel weights. ``travel``: municipality-level travel
    (:func:`municipality_travel`) or the place-level frame plus ``places``; required when a unit
    is shared. ``staffing``: per-municipality staffing from its own KOSTRA figures
    (:func:`planning.calibration.staffing_table`: municipality_code, fte_per_user of home care,
    nurse_share of care FTE); without it the catalogue's values hold for every municipality.
    Runs are computed together (arrays of shape run × unit × year); catalogue and lever values
    may be arrays over runs (``planning.uncertainty.with_values``).

    Each service is planned by its kind (:mod:`planning.services`): stand-alone providers run as
    small municipalities do (beds inside the sykehjem at a sykehjem place's staffing and without
    health-trust co-financing, a legevakt district below ``on_call_max_population`` as a doctor
    on call from home, user-office management in proportion to the office; beds alone as many as
    the national occupancy gives, at least one: ``alone_occupancy``,
    :func:`planning.services.erlang.beds_alone`). Raises InputError
    for a demand of a service the catalogue does not have, a unit of a service that cannot be
    shared, or members and travel the frames do not cover.
    """
    lv = (levers or Levers()).with_defaults(catalogue)
    names = catalogue.service_names()
    if isinstance(demand, Demand):  # arrays of planning.demand.demand_arrays (checked there)
        unknown = sorted({s for s, _ in demand.columns} - set(names))
    else:
        require_columns(
            demand, sorted({"municipality_code", "year", "service", "measure", "value"}), "demand"
        )
        if len(demand) == 0:
            raise InputError("demand frame is empty", key="demand")
        unknown = sorted({str(x) for x in pd.unique(demand["service"])} - set(names))
    if unknown:
        raise InputError(
            f"unknown services {unknown} in demand", key="demand.service", allowed=names
        )
    shareable = catalogue.shareable_services()
    for i, u in enumerate(organisation.units):
        if u.service not in shareable:
            raise InputError(
                f"unit '{u.name}' is of service '{u.service}', which is not a shareable "
                "service of the catalogue",
                key=f"organisation.units.{i}.service",
                allowed=shareable,
            )
    if isinstance(demand, Demand):
        has_run = demand.with_run
        runs, codes, years = demand.runs, list(demand.codes), demand.years
        columns, dense = demand.columns, demand.values
    else:
        has_run = "run" in demand.columns
        runs, codes, years, columns, dense = _dense_demand(demand, has_run)
    catalogue, lv = map_run_values(catalogue, lv, lambda a: a[runs].reshape(-1, 1, 1))

    def D(service: str, measure: str) -> np.ndarray:
        col = columns.get((service, measure))
        if col is None:
            raise InputError(
                f"demand lacks {service}/{measure}",
                key="demand",
                allowed="the measures of planning.demand.project_demand",
            )
        v = dense[..., col]
        if np.isnan(v).any():
            raise InputError(
                f"demand for {service}/{measure} is missing some municipality-years", key="demand"
            )
        return v

    # inhabitants (R, M, Y); population without runs is shared by every run
    inhabitants = _inhabitants(population, runs, codes, years, has_run)

    prov = {s: _providers(s, organisation, codes) for s in shareable}
    if travel is None or _by_municipality(travel):
        travel_mun = travel  # already by municipality (the pipeline's): read, never changed
    else:
        travel_mun = municipality_travel(travel, places)
    pairs = {
        (codes[m], codes[p.hosts[i]])
        for p in prov.values()
        for i in range(len(p.names))
        for m in np.flatnonzero(p.W[i])
        if m != p.hosts[i]
    }
    minutes, km = _travel_matrix(travel_mun, codes, pairs)
    st = catalogue.staffing
    home_factor, nurse_share = _staffing_arrays(catalogue, codes, staffing, runs)
    b = _Builder(runs, years, has_run)
    ctx = PlanContext(
        catalogue=catalogue,
        levers=lv,
        codes=codes,
        demand=D,
        inhabitants=inhabitants,
        providers=prov,
        minutes=minutes,
        km=km,
        fte_cost={(prof, c): st.fte_cost(prof, c) for prof in st.professions for c in codes},
        home_factor=home_factor,
        nurse_share=nurse_share,
        builder=b,
        has=lambda s, m: (s, m) in columns,
        organisation=organisation,
        years=years,
    )
    services.plan(ctx)
    add_overhead(ctx)  # what sharing costs, added to each shared unit before the split

    # --- cost shares -------------------------------------------------------------------------
    M = len(codes)
    for s, items in ctx.unit_cost.items():
        p = prov[s]
        total = sum(items.values())
        shares = _shares(p, inhabitants, ctx.use[s])
        b.share(
            s,
            codes,
            [p.names[i] for i in p.of],
            [p.keys[i] for i in p.of],
            shares,
            p.back(total) * shares,
        )
        for item, v in items.items():
            b.cost(s, codes, item, p.back(v) * shares)
    for s, item, v in ctx.own:
        b.cost(s, codes, item, v)
        if item == "staff":
            b.share(s, codes, codes, ["own"] * M, np.ones_like(v), v)

    units = pd.DataFrame(
        [
            (
                p.names[i],
                s,
                codes[p.hosts[i]],
                codes[m],
                p.keys[i],
                p.fixed[i] if p.keys[i] == "fixed_plus_use" else np.nan,
            )
            for s, p in prov.items()
            for i in range(len(p.names))
            for m in np.flatnonzero(p.W[i])
        ],
        columns=UNITS_COLUMNS,
    )
    if today_units is not None and catalogue.overhead is not None:
        for s_, arr in one_off_arrays(
            today_units, organisation.units, codes, years, catalogue.overhead
        ).items():
            b.cost(s_, codes, "overhead_one_off", arr)
    return ServicePlan(b, units, catalogue.price_year)


def _staffing_arrays(
    catalogue: ServiceCatalogue,
    codes: list[str],
    staffing: pd.DataFrame | None,
    runs: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """(home-care FTE factor (R or 1, M, 1), nurse share (R or 1, M, 1) or None) from a staffing
    table; ones and None without one. A table with a ``run`` column (calibrated per run) gives
    each of ``runs`` its own nurse share.

    The factor turns the demand's FTE (users × the catalogue's fte_per_user × growth) into each
    municipality's own: its KOSTRA hours per user × 52 / ``staffing.hours_per_fte`` /
    ``direct_time_share``, with the catalogue values of this evaluation (which may vary over
    runs); the table's ``fte_per_user`` where the catalogue has no hours."""
    if staffing is None:
        return np.ones((1, len(codes), 1)), None
    require_columns(staffing, ["municipality_code", "fte_per_user", "nurse_share"], "staffing")
    t = staffing.assign(municipality_code=staffing["municipality_code"].astype(str))
    per_run = None
    if "run" in t.columns:
        per_run = t.pivot(index="run", columns="municipality_code", values="nurse_share")
        want = np.zeros(1, dtype=np.int64) if runs is None else np.asarray(runs)
        if not set(want) <= set(per_run.index) or not set(codes) <= set(per_run.columns):
            raise InputError("staffing table lacks runs or municipalities", key="staffing")
        per_run = per_run.loc[want, codes].to_numpy(dtype=float)[:, :, None]
        t = t[t["run"] == t["run"].min()]
    t = t.drop_duplicates("municipality_code").set_index("municipality_code")
    missing = [c for c in codes if c not in t.index]
    if missing:
        raise InputError(
            f"staffing table lacks municipalities {missing}",
            key="staffing",
            allowed=sorted(t.index),
        )
    spec = catalogue.coverage.hjemmetjenester
    base = np.asarray(spec.fte_per_user.value, dtype=float)
    ns = t.loc[codes, "nurse_share"].to_numpy(dtype=float)
    if "hours_per_week_per_user" in t.columns and spec.direct_time_share is not None:
        hours = t.loc[codes, "hours_per_week_per_user"].to_numpy(dtype=float)[None, :, None]
        own = (
            hours
            * 52.0
            / np.asarray(catalogue.staffing.hours_per_fte.value, dtype=float)
            / np.asarray(spec.direct_time_share.value, dtype=float)
        )
    else:
        own = t.loc[codes, "fte_per_user"].to_numpy(dtype=float)[None, :, None]
    if not (np.all(np.isfinite(own)) and np.all(own >= 0) and np.all((ns >= 0) & (ns <= 1))):
        raise InputError("staffing table has blank or out-of-range values", key="staffing")
    factor = np.divide(own, base, out=np.ones_like(own * base), where=base > 0)
    if per_run is not None:
        if not np.all((per_run >= 0) & (per_run <= 1)):
            raise InputError("staffing table has blank or out-of-range values", key="staffing")
        return factor, per_run
    return factor, ns[None, :, None]


def _inhabitants(
    population: pd.DataFrame, runs: np.ndarray, codes: list[str], years: np.ndarray, has_run: bool
) -> np.ndarray:
    """Total inhabitants (R, M, Y) on the demand grid; a population without runs serves all.
    ``population``: a tidy frame or the arrays of a projection (Population)."""
    if isinstance(population, Population):
        return _inhabitants_of_arrays(population, runs, codes, years, has_run)
    require_columns(population, sorted({"municipality_code", "year", "population"}), "population")
    pop_run = "run" in population.columns
    if pop_run and not has_run:
        raise InputError("population has runs but demand has none", key="population.run")
    keys = (["run"] if pop_run else []) + ["municipality_code", "year"]
    uniques, cell, n_cells = grid_codes(population, keys)
    tot = np.bincount(
        cell, weights=population["population"].to_numpy(dtype=float), minlength=n_cells
    )
    seen = np.bincount(cell, minlength=n_cells) > 0
    shape = [len(u) for u in uniques]
    tot = np.where(seen, tot, np.nan).reshape(shape)
    want = ([runs] if pop_run else []) + [np.asarray(codes), years]
    idx = []
    for u, w in zip(uniques, want, strict=True):
        u_str = u.astype(str) if u.dtype.kind in "OUT" else u
        pos = {v: i for i, v in enumerate(u_str.tolist())}
        if any(v not in pos for v in w.tolist()):
            raise InputError(
                "population does not cover every municipality and year of the demand",
                key="population",
            )
        idx.append(np.array([pos[v] for v in w.tolist()]))
    out = tot[np.ix_(*idx)]
    if np.isnan(out).any():
        raise InputError(
            "population does not cover every municipality and year of the demand", key="population"
        )
    return out if pop_run else np.broadcast_to(out, (len(runs), *out.shape)).copy()


def _inhabitants_of_arrays(
    population: Population, runs: np.ndarray, codes: list[str], years: np.ndarray, has_run: bool
) -> np.ndarray:
    if population.with_run and not has_run:
        raise InputError("population has runs but demand has none", key="population.run")
    m_pos = {c: i for i, c in enumerate(population.codes)}
    y_pos = {int(y): i for i, y in enumerate(population.years)}
    if any(c not in m_pos for c in codes) or any(int(y) not in y_pos for y in years):
        raise InputError(
            "population does not cover every municipality and year of the demand", key="population"
        )
    tot = population.totals()[:, [m_pos[c] for c in codes]][:, :, [y_pos[int(y)] for y in years]]
    if tot.shape[0] == 1:
        return np.broadcast_to(tot, (len(runs), *tot.shape[1:])).copy()
    if tot.shape[0] != len(runs):
        raise InputError("population and demand have different runs", key="population.run")
    return tot[runs]


def _shares(p: _Providers, inhabitants: np.ndarray, use: np.ndarray) -> np.ndarray:
    """Each municipality's share (R, M, Y) of its provider's cost under the provider's key.

    'own': 1. 'population': inhabitants / provider total. 'use': use / provider total (by
    population when the provider has no use at all). 'fixed_plus_use': fixed_share split equally
    among members plus (1 - fixed_share) by use. Shares of each provider sum to 1.
    """

    def by(x: np.ndarray) -> np.ndarray:
        tot = p.back(p.agg(x))
        return np.divide(x, tot, out=np.zeros_like(x), where=tot > 0)

    pop_share = by(inhabitants)
    use_tot = p.back(p.agg(use))
    use_share = np.where(use_tot > 0, by(use), pop_share)
    n_members = p.W.sum(axis=1)[p.of][None, :, None]
    key = np.array([p.keys[i] for i in p.of])[None, :, None]
    fixed = p.fixed[p.of][None, :, None]
    return np.select(
        [key == "own", key == "population", key == "use", key == "fixed_plus_use"],
        [
            np.ones_like(pop_share),
            pop_share,
            use_share,
            fixed / n_members + (1 - fixed) * use_share,
        ],
    )


class _Builder:
    """Collect labelled (R, X, Y) arrays and stack them into tidy frames at the end.

    String columns are built from integer codes into a small vocabulary (Arrow ``take``), which
    keeps frames with many runs cheap to build."""

    # output columns per frame kind: (name, source) with source a label key, '_name' (the X
    # axis labels), '_value', 'year' or a per-row label key holding an X-length list
    LAYOUT = {
        "cap": [
            ("unit", "_name"),
            ("year", "year"),
            ("service", "service"),
            ("measure", "measure"),
            ("value", "_value"),
        ],
        "staff": [
            ("unit", "_name"),
            ("year", "year"),
            ("service", "service"),
            ("profession", "profession"),
            ("measure", "measure"),
            ("value", "_value"),
        ],
        "cost": [
            ("municipality_code", "_name"),
            ("year", "year"),
            ("service", "service"),
            ("item", "item"),
            ("nok", "_value"),
        ],
        "share": [
            ("municipality_code", "_name"),
            ("year", "year"),
            ("service", "service"),
            ("unit", "_units"),
            ("key", "_keys"),
            ("share", "_share"),
            ("nok", "_value"),
        ],
    }

    def __init__(self, runs: np.ndarray, years: np.ndarray, has_run: bool) -> None:
        self.runs, self.years, self.has_run = runs, years, has_run
        self.parts: dict[str, list[tuple[dict[str, Any], np.ndarray, list[str]]]] = {
            k: [] for k in self.LAYOUT
        }

    def _add(self, kind: str, labels: dict[str, Any], names: list[str], values: np.ndarray) -> None:
        R, Y = len(self.runs), len(self.years)
        v = np.broadcast_to(np.asarray(values, dtype=float), (R, len(names), Y))
        self.parts[kind].append((labels, v, names))

    def cap(self, service: str, names: list[str], measure: str, values: np.ndarray) -> None:
        self._add("cap", {"service": service, "measure": measure}, names, values)

    def staff(
        self, service: str, names: list[str], profession: str, measure: str, values: np.ndarray
    ) -> None:
        labels = {"service": service, "profession": profession, "measure": measure}
        self._add("staff", labels, names, values)

    def cost(self, service: str, codes: list[str], item: str, values: np.ndarray) -> None:
        self._add("cost", {"service": service, "item": item}, codes, values)

    def share(
        self,
        service: str,
        codes: list[str],
        units: list[str],
        keys: list[str],
        shares: np.ndarray,
        nok: np.ndarray,
    ) -> None:
        R, Y = len(self.runs), len(self.years)
        sh = np.broadcast_to(shares, (R, len(codes), Y))
        labels = {"service": service, "_units": units, "_keys": keys, "_share": sh}
        self._add("share", labels, codes, nok)

    def frame(self, kind: str, price_year: int | None = None) -> pd.DataFrame:
        R, Y = len(self.runs), len(self.years)
        parts = self.parts[kind]
        vocab: dict[str, int] = {}

        def code(x: str) -> int:
            return vocab.setdefault(str(x), len(vocab))

        codes: dict[str, list[np.ndarray]] = {}
        numbers: dict[str, list[np.ndarray]] = {"_value": [], "year": [], "run": [], "_share": []}
        for labels, v, names in parts:
            X = len(names)
            n = R * X * Y
            per_x = {"_name": names} | {k: labels[k] for k in ("_units", "_keys") if k in labels}
            for k, lst in per_x.items():
                ids = np.array([code(x) for x in lst], dtype=np.int32)
                codes.setdefault(k, []).append(np.tile(np.repeat(ids, Y), R))
            for k, lab in labels.items():
                if k in ("service", "measure", "profession", "item"):
                    codes.setdefault(k, []).append(np.full(n, code(lab), dtype=np.int32))
            numbers["_value"].append(v.reshape(n))
            numbers["year"].append(np.tile(self.years, R * X))
            numbers["run"].append(np.repeat(self.runs, X * Y))
            if "_share" in labels:
                numbers["_share"].append(np.asarray(labels["_share"], dtype=float).reshape(n))
        words = pa.array(list(vocab), type=pa.large_string())
        out: dict[str, Any] = {}
        for col, src in self.LAYOUT[kind]:
            if src in codes:
                idx = pa.array(np.concatenate(codes[src]) if parts else np.zeros(0, dtype=np.int32))
                out[col] = pd.array(words.take(idx), dtype="str")
            elif src == "year":
                out[col] = (
                    np.concatenate(numbers["year"]).astype(np.int64)
                    if parts
                    else np.zeros(0, np.int64)
                )
            else:
                out[col] = np.concatenate(numbers[src]) if parts else np.zeros(0)
        if kind == "cost":
            out["price_year"] = np.full(len(out["year"]), price_year, dtype=np.int64)
        frame = pd.DataFrame(out)
        if self.has_run:
            frame["run"] = (
                np.concatenate(numbers["run"]).astype(np.int64) if parts else np.zeros(0, np.int64)
            )
        return frame
