"""Capacity, staff, costs and cost shares from demand (pure, vectorised; no I/O).

* :func:`erlang_b`, :func:`beds_for_blocking`, :func:`beds_for_occupancy`: bed sizing by the
  Erlang loss model (M/M/c/c) and, for comparison, by a target mean occupancy.
* :func:`evaluate`: demand (and population) → :class:`ServicePlan` of tidy frames for every
  provider of every service: a shared unit from the :class:`~planning.parameters.Organisation`,
  or a municipality running the service alone.

Conventions: offered load = bed-days per year / 365 (mean number of occupied beds if nothing is
refused). Erlang B depends on the length-of-stay distribution only through its mean
(insensitivity), so only bed-days matter. Money is NOK at ``catalogue.price_year``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from planning import mitigators
from planning.community_plan import Context, add_overhead, evaluate_community
from planning.demand import Demand, grid_codes
from planning.errors import InputError, require_columns
from planning.overhead import one_off_arrays
from planning.parameters import (
    COVERAGE_SERVICES,
    SERVICES,
    SHAREABLE_SERVICES,
    Levers,
    Organisation,
    ServiceCatalogue,
)
from planning.population import Population
from planning.uncertainty import map_run_values

DAYS_PER_YEAR = 365.0  # calendar days; offered load = bed-days / 365
HOURS_PER_YEAR = 24.0 * 365.0  # round-the-clock hours in a year

CAPACITY_COLUMNS = ["unit", "year", "service", "measure", "value"]
STAFF_COLUMNS = ["unit", "year", "service", "profession", "measure", "value"]
COSTS_COLUMNS = ["municipality_code", "year", "service", "item", "nok", "price_year"]
SHARES_COLUMNS = ["municipality_code", "year", "service", "unit", "key", "share", "nok"]
UNITS_COLUMNS = ["unit", "service", "host", "municipality_code", "cost_key", "fixed_share"]


# ------------------------------------------------------------------------------------------------
# Erlang loss model
# ------------------------------------------------------------------------------------------------
def _check_load(offered_load: Any) -> np.ndarray:
    a = np.asarray(offered_load, dtype=float)
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise InputError("offered load must be finite and >= 0", key="offered_load", allowed=">= 0")
    return a


def erlang_b(servers: Any, offered_load: Any) -> Any:
    """Blocking probability of an M/M/c/c loss system (Erlang B).

    ``servers`` c (integer >= 0, beds) and ``offered_load`` a (>= 0, Erlangs = mean occupied beds
    without refusals) broadcast together. Uses the recursion B(0) = 1,
    B(k) = a B(k-1) / (k + a B(k-1)), which stays in [0, 1] and is stable for any c.
    Returns a float for scalar input, else an array.
    """
    c = np.asarray(servers)
    if c.dtype.kind not in "iu":
        if not np.all(np.isfinite(c)) or np.any(np.asarray(c, dtype=float) % 1 != 0):
            raise InputError("servers must be whole numbers", key="servers", allowed="0, 1, 2, ...")
        c = c.astype(np.int64)
    if np.any(c < 0):
        raise InputError("servers must be >= 0", key="servers", allowed="0, 1, 2, ...")
    a = _check_load(offered_load)
    c, a = np.broadcast_arrays(c, a)
    out = np.ones(a.shape)
    b = np.ones(a.shape)
    cmax = int(c.max()) if c.size else 0
    for k in range(1, cmax + 1):
        ab = a * b
        b = ab / (k + ab)
        out = np.where(c == k, b, out)
    return float(out) if out.ndim == 0 else out


def beds_for_blocking(offered_load: Any, max_blocking: Any, max_beds: Any = None) -> Any:
    """Fewest beds whose Erlang-B refusal probability is at most ``max_blocking`` (in (0, 1)).

    Zero load needs zero beds. Vectorised over ``offered_load`` (and ``max_blocking``, which
    broadcasts against it). ``max_beds`` (broadcast with the load; e.g. the inhabitants served)
    caps the answer: no unit needs more beds than it has people, since a person occupies at most
    one bed. Returns int or int array.
    """
    mb = np.asarray(max_blocking, dtype=float)
    if not np.all((mb > 0.0) & (mb < 1.0)):
        raise InputError(
            f"max_blocking {max_blocking} is not a probability strictly between 0 and 1",
            key="max_refusal",
            allowed="(0, 1)",
        )
    a = _check_load(offered_load)
    flat = a.ravel()
    limit = np.broadcast_to(mb, a.shape).ravel() if mb.ndim else mb
    beds = np.zeros(flat.shape, dtype=np.int64)
    todo = flat > 0
    if max_beds is not None:
        cap = np.ceil(np.broadcast_to(np.asarray(max_beds, dtype=float), a.shape)).ravel()
        cap = np.maximum(cap, 0).astype(np.int64)
    else:
        cap = None
    b = np.ones(flat.shape)
    k = 0
    while todo.any():
        k += 1
        if cap is not None:
            at_cap = todo & (cap < k)
            beds[at_cap] = cap[at_cap]
            todo &= ~at_cap
            if not todo.any():
                break
        ab = flat * b
        b = ab / (k + ab)
        done_now = todo & (b <= limit)
        beds[done_now] = k
        todo &= ~done_now
    out = beds.reshape(a.shape)
    return int(out) if out.ndim == 0 else out


def beds_for_occupancy(offered_load: Any, occupancy_target: Any) -> Any:
    """Beds so that the mean occupancy load / beds does not exceed ``occupancy_target`` (0, 1].

    This is the classic planning rule that ignores refusals (compare with Erlang B)."""
    ot = np.asarray(occupancy_target, dtype=float)
    if not np.all((ot > 0.0) & (ot <= 1.0)):
        raise InputError(
            f"occupancy target {occupancy_target} outside (0, 1]",
            key="occupancy_target",
            allowed="(0, 1]",
        )
    a = _check_load(offered_load)
    out = np.ceil(a / ot - 1e-9).astype(np.int64)
    out = np.maximum(out, 0)
    return int(out) if out.ndim == 0 else out


def compare_pooling(
    offered_load: pd.Series | dict[str, float],
    max_refusal: float,
    occupancy_target: float | None = None,
    pooled_name: str = "pooled",
) -> pd.DataFrame:
    """Beds for separate units versus one pooled unit at the same refusal target.

    ``offered_load``: Erlangs per unit (e.g. bed-days / 365), indexed by unit name. Returns one row
    per separate unit, a row 'separate_total' and a row ``pooled_name`` with columns unit,
    offered_load, beds (Erlang B), refusal_probability, occupancy (mean share of beds in use) and,
    if ``occupancy_target`` is given, beds_at_occupancy_target.
    """
    s = pd.Series(offered_load, dtype=float)
    if s.empty:
        raise InputError("no units to compare", key="offered_load")
    loads = np.append(s.to_numpy(), s.sum())
    beds = beds_for_blocking(loads, max_refusal)
    refusal = erlang_b(beds, loads)
    carried = loads * (1 - refusal)
    sep = slice(0, len(s))
    total_load = loads[sep].sum()
    lost_share = 1 - carried[sep].sum() / total_load if total_load > 0 else 0.0
    rows = pd.DataFrame(
        {
            "unit": [*map(str, s.index), "separate_total", pooled_name],
            "offered_load": [*loads[sep], loads[sep].sum(), loads[-1]],
            "beds": [*beds[sep], beds[sep].sum(), beds[-1]],
            "refusal_probability": [
                *refusal[sep],
                lost_share,  # share of all patients refused across the separate units
                refusal[-1],
            ],
            "occupancy": [
                *np.divide(carried, beds, out=np.zeros_like(carried), where=beds > 0)[sep],
                carried[sep].sum() / max(beds[sep].sum(), 1),
                carried[-1] / max(beds[-1], 1),
            ],
        }
    )
    if occupancy_target is not None:
        occ = beds_for_occupancy(loads, occupancy_target)
        rows["beds_at_occupancy_target"] = [*occ[sep], occ[sep].sum(), occ[-1]]
    return rows


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

    Stand-alone providers run as small municipalities do: beds inside the sykehjem at a sykehjem
    place's staffing and without health-trust co-financing (``alone_staffing_factor``,
    ``alone_municipal_cost_share``), a legevakt district below ``on_call_max_population`` as a
    doctor on call from home, and user-office management in proportion to the office.
    """
    lv = (levers or Levers()).with_defaults(catalogue)
    if isinstance(demand, Demand):  # arrays of planning.demand.demand_arrays (checked there)
        has_run = demand.with_run
        runs, codes, years = demand.runs, list(demand.codes), demand.years
        columns, dense = demand.columns, demand.values
    else:
        require_columns(
            demand, sorted({"municipality_code", "year", "service", "measure", "value"}), "demand"
        )
        if len(demand) == 0:
            raise InputError("demand frame is empty", key="demand")
        unknown = sorted({str(x) for x in pd.unique(demand["service"])} - set(SERVICES))
        if unknown:
            raise InputError(
                f"unknown services {unknown} in demand", key="demand.service", allowed=SERVICES
            )
        has_run = "run" in demand.columns
        runs, codes, years, columns, dense = _dense_demand(demand, has_run)
    M = len(codes)
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

    prov = {s: _providers(s, organisation, codes) for s in SERVICES if s in SHAREABLE_SERVICES}
    travel_mun = municipality_travel(travel, places) if travel is not None else None
    pairs = {
        (codes[m], codes[p.hosts[i]])
        for p in prov.values()
        for i in range(len(p.names))
        for m in np.flatnonzero(p.W[i])
        if m != p.hosts[i]
    }
    minutes, km = _travel_matrix(travel_mun, codes, pairs)
    st = catalogue.staffing
    hours_fte = st.hours_per_fte.value
    fte_cost = {(prof, c): st.fte_cost(prof, c) for prof in st.professions for c in codes}

    b = _Builder(runs, years, has_run)
    unit_cost: dict[str, dict[str, np.ndarray]] = {}  # service -> item -> (R, P, Y)
    use: dict[str, np.ndarray] = {}  # service -> (R, M, Y) use measure for 'use' keys
    own: list[tuple[str, str, np.ndarray]] = []  # (service, item, (R, M, Y)) paid directly

    def host_cost(p: Any, profession: str) -> np.ndarray:
        """NOK per FTE for each provider (employed by its host): (1, P, 1)."""
        return per_unit([fte_cost[(profession, codes[h])] for h in p.hosts])

    def added_minutes(p: Any) -> np.ndarray:
        """Population-weighted one-way minutes from member centre to host: (R, P, Y)."""
        t = minutes[np.arange(M), codes_host_index(p)]  # (M,)
        num = p.agg(inhabitants * t[None, :, None])
        den = p.agg(inhabitants)
        return np.divide(num, den, out=np.zeros_like(num), where=den > 0)

    def codes_host_index(p: Any) -> np.ndarray:
        return p.hosts[p.of]

    home_factor, nurse_share = _staffing_arrays(catalogue, codes, staffing)
    lt_fte = catalogue.coverage.langtidsopphold.fte_per_user.value

    # --- beds: KAD and intermediate -------------------------------------------------------
    for s in ("kad", "intermediaer"):
        spec = getattr(catalogue, s)
        p = prov[s]
        alone_p = np.array([k == "own" for k in p.keys])[None, :, None]
        alone_per_bed = (
            spec.alone_staffing_factor.value * lt_fte
            if spec.alone_staffing_factor is not None
            else spec.fte_per_bed.value
        )
        per_bed = np.where(alone_p, alone_per_bed, spec.fte_per_bed.value)  # (1, P, 1)
        alone_share = (
            spec.alone_municipal_cost_share.value
            if spec.alone_municipal_cost_share is not None
            else spec.municipal_cost_share.value
        )
        paid_share = np.where(alone_p, alone_share, spec.municipal_cost_share.value)
        bed_days_m = D(s, "bed_days")
        bed_days = p.agg(bed_days_m)
        load = bed_days / DAYS_PER_YEAR
        people = p.agg(inhabitants)  # no unit needs more beds than it has inhabitants
        beds = beds_for_blocking(load, lv.max_refusal, max_beds=people)  # type: ignore[arg-type]
        refusal = erlang_b(beds, load)
        occupancy = np.divide(load * (1 - refusal), beds, out=np.zeros_like(load), where=beds > 0)
        beds_occ = np.minimum(
            beds_for_occupancy(load, lv.occupancy_target),  # type: ignore[arg-type]
            np.ceil(people).astype(np.int64),
        )
        refusal_occ = erlang_b(beds_occ, load)
        b.cap(s, p.names, "offered_load", load)
        b.cap(s, p.names, "beds", beds.astype(float))
        b.cap(s, p.names, "refusal_probability", refusal)
        b.cap(s, p.names, "occupancy", occupancy)
        b.cap(s, p.names, "beds_at_occupancy_target", beds_occ.astype(float))
        b.cap(s, p.names, "refusal_at_occupancy_target", refusal_occ)
        b.cap(s, p.names, "refused_bed_days", refusal * bed_days)
        b.cap(s, p.names, "added_travel_minutes", added_minutes(p))
        fte = beds * per_bed
        b.staff(s, p.names, spec.profession, "fte_workload", load * per_bed)
        b.staff(s, p.names, spec.profession, "fte_travel", np.zeros_like(load))
        b.staff(s, p.names, spec.profession, "fte", fte)
        unit_cost[s] = {
            "staff": fte * host_cost(p, spec.profession) * paid_share,
            "travel": np.zeros_like(load),
        }
        use[s] = bed_days_m
        if spec.overlier_day_rate is not None:
            own.append(
                (s, "overliggedogn", p.back(refusal) * bed_days_m * spec.overlier_day_rate.value)
            )

    # --- legevakt ----------------------------------------------------------------------------
    lg = catalogue.legevakt
    p = prov["legevakt"]
    catchment = p.agg(inhabitants)
    weekdays = DAYS_PER_YEAR - lg.weekend_days.value
    hours_wd = lg.doctor_hours_weekday.value * weekdays
    hours_we = lg.doctor_hours_weekend.value * lg.weekend_days.value
    rate_wd, rate_we = _legevakt_rates(lg, catchment)
    aga_host = per_unit([st.aga_rate(codes[h]) for h in p.hosts])
    doctor_nok = (
        (hours_wd * rate_wd + hours_we * rate_we) * lg.doctor_rate_index.value * (1 + aga_host)
    )
    nurses = lg.nurses_on_duty.value + np.floor(catchment / lg.population_per_extra_nurse.value)
    doctor_hours = np.full_like(catchment, hours_wd + hours_we)
    sentral_nok = np.zeros_like(catchment)
    if lg.on_call_max_population is not None:
        # small districts: one doctor on call from home (standby pay for every out-of-hours
        # hour, active hours at the legevakt rate), no nurse station, a bought legevaktsentral
        on_call = catchment < lg.on_call_max_population.value
        active = np.minimum(
            catchment / 1000.0 * _value(lg.on_call_active_hours_per_1000), hours_wd + hours_we
        )
        standby = (
            hours_wd * _value(lg.on_call_standby_weekday)
            + hours_we * _value(lg.on_call_standby_weekend)
        ) * lg.doctor_rate_index.value
        rate_mean = (hours_wd * rate_wd + hours_we * rate_we) / (hours_wd + hours_we)
        on_call_nok = (standby + active * rate_mean * lg.doctor_rate_index.value) * (1 + aga_host)
        doctor_nok = np.where(on_call, on_call_nok, doctor_nok)
        doctor_hours = np.where(on_call, active, doctor_hours)
        nurses = np.where(on_call, 0.0, nurses)
        sentral_nok = np.where(
            on_call, catchment * _value(lg.on_call_sentral_nok_per_inhabitant), 0.0
        )
        b.cap("legevakt", p.names, "on_call_from_home", on_call.astype(float))
    nurse_fte = nurses * HOURS_PER_YEAR / hours_fte
    doctor_fte = doctor_hours / hours_fte
    b.cap("legevakt", p.names, "catchment_population", catchment)
    b.cap("legevakt", p.names, "doctor_hours", doctor_hours)
    b.cap("legevakt", p.names, "nurses_on_duty", nurses)
    b.cap("legevakt", p.names, "added_travel_minutes", added_minutes(p))
    for prof, f in (("lege", doctor_fte), (lg.profession, nurse_fte)):
        b.staff("legevakt", p.names, prof, "fte_workload", f)
        b.staff("legevakt", p.names, prof, "fte_travel", np.zeros_like(f))
        b.staff("legevakt", p.names, prof, "fte", f)
    unit_cost["legevakt"] = {
        "staff": doctor_nok + nurse_fte * host_cost(p, lg.profession),
        "travel": np.zeros_like(catchment),
    }
    if lg.on_call_max_population is not None:
        unit_cost["legevakt"]["legevaktsentral"] = sentral_nok
    use["legevakt"] = inhabitants  # no contact rates seen: use = inhabitants

    # --- norm-based ambulatory services --------------------------------------------------------
    sh = catalogue.skolehelsetjeneste
    workload_m = {
        "helsestasjon": D("helsestasjon", "births") / catalogue.helsestasjon.per_fte.value,
        "skolehelsetjeneste": D("skolehelsetjeneste", "pupils_barneskole")
        / sh.pupils_per_fte_barneskole.value
        + D("skolehelsetjeneste", "pupils_ungdomsskole") / sh.pupils_per_fte_ungdomsskole.value
        + D("skolehelsetjeneste", "pupils_vgs") / sh.pupils_per_fte_vgs.value,
        "jordmor": D("jordmor", "births") / catalogue.jordmor.per_fte.value,
        "kommuneoverlege": D("kommuneoverlege", "population")
        / catalogue.kommuneoverlege.per_fte.value,
    }
    days_per_fte = hours_fte / st.hours_per_day.value
    for s, w_m in workload_m.items():
        spec = getattr(catalogue, s)
        p = prov[s]
        workload = p.agg(w_m)
        t_min = minutes[np.arange(M), codes_host_index(p)][None, :, None]  # (1, M, 1)
        t_km = km[np.arange(M), codes_host_index(p)][None, :, None]
        trips_m = (
            w_m * spec.onsite_share.value * days_per_fte * catalogue.travel.trips_per_day.value
        )
        travel_fte = p.agg(trips_m * 2 * t_min / 60.0) / hours_fte
        km_nok = p.agg(trips_m * 2 * t_km) * catalogue.travel.km_rate.value
        need_fte = workload + travel_fte
        step = spec.fte_step.value
        fte = np.maximum(spec.min_fte.value, np.ceil(need_fte / step - 1e-9) * step)
        b.staff(s, p.names, spec.profession, "fte_workload", workload)
        b.staff(s, p.names, spec.profession, "fte_travel", travel_fte)
        b.staff(s, p.names, spec.profession, "fte", fte)
        staff_nok = fte * host_cost(p, spec.profession)
        if s == "jordmor":
            clerical = fte * catalogue.jordmor.clerical_per_fte.value
            b.staff(s, p.names, "kontormedarbeider", "fte_workload", clerical)
            b.staff(s, p.names, "kontormedarbeider", "fte_travel", np.zeros_like(clerical))
            b.staff(s, p.names, "kontormedarbeider", "fte", clerical)
            staff_nok = staff_nok + clerical * host_cost(p, "kontormedarbeider")
        b.cap(s, p.names, "added_travel_minutes", added_minutes(p))
        unit_cost[s] = {"staff": staff_nok, "travel": km_nok}
        use[s] = w_m

    # --- brukerkontor ------------------------------------------------------------------------
    bk = catalogue.brukerkontor
    p = prov["brukerkontor"]
    cases_m = D("brukerkontor", "cases")
    cases = p.agg(cases_m)
    t_min = minutes[np.arange(M), codes_host_index(p)][None, :, None]
    t_km = km[np.arange(M), codes_host_index(p)][None, :, None]
    visits_m = cases_m * bk.visits_per_case.value
    travel_fte = p.agg(visits_m * 2 * t_min / 60.0) / hours_fte
    km_nok = p.agg(visits_m * 2 * t_km) * catalogue.travel.km_rate.value
    workload = cases / bk.cases_per_fte.value
    if bk.management_fte_per_caseworker is not None:  # management grows with the office
        management = np.minimum(
            (workload + travel_fte) * bk.management_fte_per_caseworker.value,
            bk.management_fte.value,
        )
    else:
        management = np.zeros_like(workload) + bk.management_fte.value
    b.staff("brukerkontor", p.names, bk.profession, "fte_management", management)
    fte = workload + travel_fte + management
    b.cap("brukerkontor", p.names, "cases", cases)
    b.cap("brukerkontor", p.names, "added_travel_minutes", added_minutes(p))
    b.staff("brukerkontor", p.names, bk.profession, "fte_workload", workload)
    b.staff("brukerkontor", p.names, bk.profession, "fte_travel", travel_fte)
    b.staff("brukerkontor", p.names, bk.profession, "fte", fte)
    unit_cost["brukerkontor"] = {"staff": fte * host_cost(p, bk.profession), "travel": km_nok}
    use["brukerkontor"] = cases_m

    # --- psykisk helse og rus, prevention units (planning.community_plan) ----------------------
    ctx = Context(
        catalogue=catalogue,
        codes=codes,
        D=D,
        has=lambda s, m: (s, m) in columns,
        prov=prov,
        inhabitants=inhabitants,
        minutes=minutes,
        km=km,
        b=b,
        unit_cost=unit_cost,
        use=use,
        own=own,
        host_cost=host_cost,
        added_minutes=added_minutes,
        own_cost=lambda prof: per_unit([fte_cost[(prof, c)] for c in codes]),
        profession_shares=lambda mix: _profession_shares(mix, nurse_share),
    )
    evaluate_community(ctx)

    # --- services each municipality runs alone -------------------------------------------------
    for s in COVERAGE_SERVICES:
        spec = getattr(catalogue.coverage, s)
        users, fte_total = D(s, "users"), D(s, "fte")
        if s == "hjemmetjenester":
            fte_total = fte_total * home_factor  # each municipality's own hours per user
            # prevention added by the scenario: fewer new users or hours (planning.mitigators),
            # ramping in from the first year of the evaluation (today's observed year)
            reach = {
                n: getattr(catalogue, n).reach_share.value
                for n in mitigators.PREVENTION_SERVICES
                if getattr(catalogue, n, None) is not None
                and getattr(catalogue, n).reach_share is not None
            }
            red = mitigators.reductions_for(
                catalogue.mitigation, organisation, codes, years, int(years.min()), s, reach
            )
            if red:
                users, users_avoided = mitigators.apply(users, red.get("users", []))
                fte_total, fte_avoided = mitigators.apply(
                    fte_total, red.get("users", []) + red.get("fte", [])
                )
                b.cap(s, codes, "users_avoided", users_avoided)
                b.cap(s, codes, "fte_avoided", fte_avoided)
        b.cap(s, codes, "users", users)
        if spec.occupancy is not None:
            b.cap(s, codes, "places", D(s, "places"))
        nok = np.zeros_like(fte_total)
        for prof, mix in _profession_shares(spec.profession_mix, nurse_share).items():
            f = fte_total * mix
            b.staff(s, codes, prof, "fte_workload", f)
            b.staff(s, codes, prof, "fte_travel", np.zeros_like(f))
            b.staff(s, codes, prof, "fte", f)
            nok = nok + f * per_unit([fte_cost[(prof, c)] for c in codes])
        own.append((s, "staff", nok))
    b.cap(
        "fastlege", codes, "lists", D("fastlege", "population") / catalogue.fastlege.list_size.value
    )

    add_overhead(ctx)  # what sharing costs, added to each shared unit before the split

    # --- cost shares -------------------------------------------------------------------------
    for s, items in unit_cost.items():
        p = prov[s]
        total = sum(items.values())
        shares = _shares(p, inhabitants, use[s])
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
    for s, item, v in own:
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


def per_unit(values: list[Any]) -> np.ndarray:
    """Stack one value per unit (scalars, or (R, 1, 1) arrays over runs) into (1 or R, X, 1)."""
    flat = [np.asarray(v, dtype=float).reshape(-1) for v in values]
    n = max(len(f) for f in flat) if flat else 1
    return np.stack([np.broadcast_to(f, (n,)) for f in flat], axis=1)[:, :, None]


def _value(s: Any) -> Any:
    """A Sourced value, a float or an array over runs (0 when absent)."""
    return np.asarray(s.value, dtype=float) if s is not None else 0.0


def _staffing_arrays(
    catalogue: ServiceCatalogue, codes: list[str], staffing: pd.DataFrame | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """(home-care FTE factor (R or 1, M, 1), nurse share (1, M, 1) or None) from a staffing table;
    ones and None without one.

    The factor turns the demand's FTE (users × the catalogue's fte_per_user × growth) into each
    municipality's own: its KOSTRA hours per user × 52 / ``staffing.hours_per_fte`` /
    ``direct_time_share``, with the catalogue values of this evaluation (which may vary over
    runs); the table's ``fte_per_user`` where the catalogue has no hours."""
    if staffing is None:
        return np.ones((1, len(codes), 1)), None
    require_columns(staffing, ["municipality_code", "fte_per_user", "nurse_share"], "staffing")
    t = staffing.assign(municipality_code=staffing["municipality_code"].astype(str))
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
    return factor, ns[None, :, None]


def _profession_shares(mix: dict[str, Any], nurse_share: np.ndarray | None) -> dict[str, Any]:
    """Shares of FTE by profession: the catalogue's, or with the nurse share of each municipality
    and the other professions scaled to fill the rest in their catalogue proportions."""
    shares = {p: np.asarray(s.value, dtype=float) for p, s in mix.items()}
    if nurse_share is None or "sykepleier" not in shares:
        return shares
    rest = 1.0 - shares["sykepleier"]
    out: dict[str, Any] = {"sykepleier": nurse_share}
    for p, v in shares.items():
        if p != "sykepleier":
            part = np.divide(v, rest, out=np.zeros_like(v * rest), where=rest > 0)
            out[p] = (1.0 - nurse_share) * part
    return out


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


def _legevakt_rates(lg: Any, catchment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SFS 2305 weekday and weekend hourly rates for each catchment size (NOK per hour)."""
    bounds = np.array(
        [br.max_population.value if br.max_population else np.inf for br in lg.doctor_rates]
    )
    wd = np.array([br.weekday.value for br in lg.doctor_rates])
    we = np.array([br.weekend.value for br in lg.doctor_rates])
    i = np.minimum(np.searchsorted(bounds, catchment, side="left"), len(bounds) - 1)
    return wd[i], we[i]


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
