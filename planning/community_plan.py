"""Capacity, staff and costs of psykisk helse og rus, prevention units and sharing overhead.

Called by :func:`planning.capacity.evaluate` with the arrays it has already built (a
:class:`Context`); adds rows to its frames through the same builder, so the new services appear
in the capacity, staff, costs and cost-shares frames like every other service. Pure: arrays in,
rows out. Shapes: R runs, M municipalities, P providers (units or municipalities alone), Y years.

* psykisk_helse_rus (each municipality its own): FTE = adults × rate + young × rate (IS-24/8),
  less the municipal part of an ambulant team's workload where the municipality is served by a
  team (the total is kept); users with substance problems; staffed housing places; the acute
  bed-days it has in KAD/ØHD (``kad`` measure ``bed_days_psykisk_helse_rus``, pooled in KAD's
  beds, shared where KAD is shared).
* psykisk_helse_team (a unit with the DPS, or a municipality alone): a team only where the
  catchment reaches ``min_catchment``; FTE with travel; the municipalities pay
  ``municipal_cost_share``.
* frisklivssentral, innsatsteam, ernaeringsfysiolog: per-capita norms with reach; a municipality
  in no unit runs its own only when the service's ``alone`` is true.
* overhead of every shared unit of any service (:mod:`planning.overhead`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from planning.community import prevention_fte, team_fte
from planning.overhead import running_overhead

PREVENTION = ("frisklivssentral", "innsatsteam", "ernaeringsfysiolog")


@dataclass
class Context:
    """What :func:`planning.capacity.evaluate` hands over (see its code for each array)."""

    catalogue: Any
    codes: list[str]
    D: Callable[[str, str], np.ndarray]  # demand (R, M, Y) of (service, measure)
    has: Callable[[str, str], bool]  # demand has (service, measure)
    prov: dict[str, Any]  # service -> providers (names, hosts, W, keys, of, agg, back)
    inhabitants: np.ndarray  # (R, M, Y)
    minutes: np.ndarray  # (M, M) one-way minutes
    km: np.ndarray  # (M, M) one-way km
    b: Any  # the frame builder (cap, staff, cost, share)
    unit_cost: dict[str, dict[str, np.ndarray]]  # service -> item -> (R, P, Y)
    use: dict[str, np.ndarray]  # service -> (R, M, Y) use for 'use' cost keys
    own: list[tuple[str, str, np.ndarray]]  # (service, item, (R, M, Y)) paid directly
    host_cost: Callable[[Any, str], np.ndarray]  # NOK per FTE of each provider (1, P, 1)
    added_minutes: Callable[[Any], np.ndarray]  # (R, P, Y)
    own_cost: Callable[[str], np.ndarray]  # NOK per FTE of each municipality (1|R, M, 1)
    profession_shares: Callable[[dict], dict]  # profession mix (with calibrated nurse share)


def _travel(c: Context, p: Any, w_m: np.ndarray, onsite: Any) -> tuple[np.ndarray, np.ndarray]:
    """(travel FTE, km NOK) of a provider whose members' workload is ``w_m`` (R, M, Y): staff
    travel from the host to each member for the on-site share of the work."""
    cat = c.catalogue
    M = len(c.codes)
    host_of = p.hosts[p.of]
    t_min = c.minutes[np.arange(M), host_of][None, :, None]
    t_km = c.km[np.arange(M), host_of][None, :, None]
    hours_fte = cat.staffing.hours_per_fte.value
    days_per_fte = hours_fte / cat.staffing.hours_per_day.value
    trips = w_m * np.asarray(onsite) * days_per_fte * cat.travel.trips_per_day.value
    travel_fte = p.agg(trips * 2 * t_min / 60.0) / hours_fte
    km_nok = p.agg(trips * 2 * t_km) * cat.travel.km_rate.value
    return travel_fte, km_nok


def evaluate_community(c: Context) -> None:
    """Add the rows of psykisk helse og rus, its team and the prevention units (when the
    catalogue has their sections) to the builder and cost dictionaries of ``c``."""
    cat = c.catalogue
    ph = cat.psykisk_helse_rus
    if ph is not None and c.has("psykisk_helse_rus", "adults"):
        _mental_health(c, ph)
    for s in PREVENTION:
        spec = getattr(cat, s)
        if spec is not None and c.has(s, "driver"):
            _prevention(c, s, spec)


def _mental_health(c: Context, ph: Any) -> None:
    adults, young = c.D("psykisk_helse_rus", "adults"), c.D("psykisk_helse_rus", "young")
    total = (adults * ph.fte_per_10000_adults.value + young * ph.fte_per_10000_young.value) / 1e4
    # the ambulant team (with the DPS)
    tm = ph.team
    p = c.prov["psykisk_helse_team"]
    catchment = p.agg(c.inhabitants)
    team_adults = p.agg(adults)
    w_m = adults * tm.fte_per_10000_adults.value / 1e4
    travel_fte, km_nok = _travel(c, p, w_m, tm.onsite_share.value)
    workload, fte, runs_team = team_fte(team_adults, catchment, travel_fte, tm)
    travel_fte, km_nok = travel_fte * runs_team, km_nok * runs_team
    share = np.asarray(tm.municipal_cost_share.value)
    b = c.b
    b.cap("psykisk_helse_team", p.names, "catchment_population", catchment)
    b.cap("psykisk_helse_team", p.names, "runs_team", runs_team)
    b.cap("psykisk_helse_team", p.names, "added_travel_minutes", c.added_minutes(p) * runs_team)
    b.staff("psykisk_helse_team", p.names, tm.profession, "fte_workload", workload)
    b.staff("psykisk_helse_team", p.names, tm.profession, "fte_travel", travel_fte)
    b.staff("psykisk_helse_team", p.names, tm.profession, "fte", fte)
    c.unit_cost["psykisk_helse_team"] = {
        "staff": fte * c.host_cost(p, tm.profession) * share,
        "travel": km_nok * share,
    }
    c.use["psykisk_helse_team"] = w_m
    # each municipality's own work: the municipal part of the team's workload moves to the team
    served = p.back(runs_team)
    own_fte = np.maximum(total - served * w_m * share, 0.0)
    codes = c.codes
    b.cap("psykisk_helse_rus", codes, "adults", adults)
    b.cap("psykisk_helse_rus", codes, "young", young)
    b.cap(
        "psykisk_helse_rus", codes, "users_substance", adults * ph.users_per_1000_adults.value / 1e3
    )
    b.cap(
        "psykisk_helse_rus",
        codes,
        "housing_places",
        adults * ph.housing_places_per_10000_adults.value / 1e4,
    )
    b.cap("psykisk_helse_rus", codes, "fte_at_national_rate", total)
    b.cap("psykisk_helse_rus", codes, "served_by_team", served)
    nok = np.zeros_like(own_fte)
    for prof, mix in c.profession_shares(ph.profession_mix).items():
        f = own_fte * mix
        b.staff("psykisk_helse_rus", codes, prof, "fte_workload", f)
        b.staff("psykisk_helse_rus", codes, prof, "fte_travel", np.zeros_like(f))
        b.staff("psykisk_helse_rus", codes, prof, "fte", f)
        nok = nok + f * c.own_cost(prof)
    c.own.append(("psykisk_helse_rus", "staff", nok))
    # acute places: its share of KAD's bed-days, pooled in KAD's beds
    if c.has("kad", "bed_days"):
        pk = c.prov["kad"]
        b.cap(
            "kad",
            pk.names,
            "bed_days_psykisk_helse_rus",
            pk.agg(c.D("kad", "bed_days")) * ph.acute_share_of_kad.value,
        )


def _prevention(c: Context, s: str, spec: Any) -> None:
    p = c.prov[s]
    driver_m = c.D(s, "driver")
    alone = np.array([k == "own" for k in p.keys])[None, :, None]
    on = np.where(alone, 1.0 if spec.alone else 0.0, 1.0)
    reach = spec.reach_share.value if spec.reach_share is not None else 1.0
    w_m = driver_m * reach / spec.per_fte.value * p.back(on)
    travel_fte, km_nok = _travel(c, p, w_m, spec.onsite_share.value)
    workload, fte, participants = prevention_fte(p.agg(driver_m), travel_fte, spec, runs=on)
    b = c.b
    b.cap(s, p.names, "driver", p.agg(driver_m))
    b.cap(s, p.names, "participants", participants)
    b.cap(s, p.names, "runs_unit", on * np.ones_like(workload))
    b.cap(s, p.names, "added_travel_minutes", c.added_minutes(p) * on)
    b.staff(s, p.names, spec.profession, "fte_workload", workload)
    b.staff(s, p.names, spec.profession, "fte_travel", travel_fte * on)
    b.staff(s, p.names, spec.profession, "fte", fte)
    c.unit_cost[s] = {"staff": fte * c.host_cost(p, spec.profession), "travel": km_nok * on}
    c.use[s] = w_m


def unit_staff_fte(b: Any, service: str, names: list[str]) -> np.ndarray | None:
    """Staffed FTE (R, P, Y) of each provider of ``service`` from the builder's staff rows."""
    total = None
    for labels, v, n in b.parts["staff"]:
        if labels.get("service") == service and labels.get("measure") == "fte" and n == names:
            total = v if total is None else total + v
    return total


def add_overhead(c: Context) -> None:
    """Add running overhead items to every shared unit's costs (before they are split)."""
    spec = c.catalogue.overhead
    if spec is None:
        return
    st = c.catalogue.staffing
    per_hour = c.own_cost("saksbehandler") / st.hours_per_fte.value  # (1|R, M, 1)
    for s, items in c.unit_cost.items():
        p = c.prov[s]
        members = p.W.sum(axis=1)[None, :, None]
        if not np.any(members > 1):
            continue
        fte = unit_staff_fte(c.b, s, p.names)
        if fte is None:
            continue
        staff_nok = items.get("staff", np.zeros_like(fte))
        fte_cost = np.divide(staff_nok, fte, out=np.zeros_like(staff_nok * fte), where=fte > 0)
        host_hour = per_hour[:, p.hosts, :]
        extra = running_overhead(fte, staff_nok, members, fte_cost, host_hour, spec)
        items.update(extra)
