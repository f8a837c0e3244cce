"""What sharing a service costs (pilot sub-projects 4 and 6: IT, organisation and leadership).

A unit run by several municipalities carries costs a municipality running the service alone does
not: the unit's own leadership, the host's administration fee (HR, payroll, accounts), IT fees
to the host (licences and access to the host's records system), coordination between the
members (steering group, meetings), and one-off costs of setting a unit up or leaving it. Every
value is in ``services.yaml: overhead`` with its source or, where none was found, labelled as an
assumption with a range in ``data/ranges.yaml`` (drawn in the Monte Carlo runs, swung in the
tornado).

Running overhead is added to a shared unit's cost before it is split between the members, so a
saving from sharing is shown net of what sharing costs. It is never negative: overhead can only
make a shared unit's saving smaller. One-off costs (a new unit, a member leaving one that exists
today) are spread evenly over ``annualise_years`` from the base year and shown as their own item.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from planning.sourced import Fraction, Model, NonNegative, Positive

#: Cost items added by this module (item name -> what it is), in the order they are shown.
ITEMS: dict[str, str] = {
    "overhead_leadership": "the shared unit's own leadership",
    "overhead_administration": "the host's administration fee",
    "overhead_it": "IT fees to the host",
    "overhead_coordination": "coordination between the members",
    "overhead_one_off": "setting up or leaving a unit (annualised)",
}


class Overhead(Model):
    """Overhead of a shared unit (``services.yaml: overhead``)."""

    leadership_fte_per_fte: NonNegative  # leader FTE per staff FTE of a shared unit
    administration_share: Fraction  # host fee as a share of the unit's staff cost
    it_nok_per_fte: NonNegative  # NOK per staff FTE per year paid to the host for IT
    coordination_hours_per_member: NonNegative  # hours per member municipality per year
    setup_nok: NonNegative  # one-off cost of setting up a unit (NOK)
    exit_nok_per_member: NonNegative  # one-off cost for a member leaving a unit (NOK)
    annualise_years: Positive  # years over which one-off costs are spread


def running_overhead(
    staff_fte: Any,
    staff_nok: Any,
    members: Any,
    fte_cost: Any,
    coordination_cost_per_hour: Any,
    spec: Overhead,
) -> dict[str, np.ndarray]:
    """Yearly overhead items (NOK) of each unit: arrays broadcast like ``staff_fte``.

    ``staff_fte``/``staff_nok``: the unit's staff FTE and staff cost (R, P, Y); ``members``:
    members per unit (1, P, 1), overhead only where > 1; ``fte_cost``: NOK per FTE of the unit's
    staff (1, P, 1), which prices the leadership FTE; ``coordination_cost_per_hour``: NOK per
    hour of a case worker (the members' time). Every item is ≥ 0."""
    fte = np.maximum(np.asarray(staff_fte, dtype=float), 0.0)
    nok = np.maximum(np.asarray(staff_nok, dtype=float), 0.0)
    n = np.asarray(members, dtype=float)
    shared = (n > 1).astype(float)
    lead = fte * spec.leadership_fte_per_fte.value * np.asarray(fte_cost, dtype=float)
    return {
        "overhead_leadership": shared * lead,
        "overhead_administration": shared * (nok + lead) * spec.administration_share.value,
        "overhead_it": shared * fte * spec.it_nok_per_fte.value,
        "overhead_coordination": shared
        * n
        * spec.coordination_hours_per_member.value
        * np.asarray(coordination_cost_per_hour, dtype=float)
        * np.ones_like(fte),
    }


def one_off_events(today: Iterable[Any], scenario: Iterable[Any]) -> pd.DataFrame:
    """Units set up and members leaving, from today's units to the scenario's (each a
    :class:`~planning.parameters.Unit`): service, unit, municipality_code, event, share.
    'setup': a shared unit of the scenario whose service and members no unit of today has, its
    cost split equally among its members (share 1/n each); 'exit': a member of a shared unit of
    today that is in no shared unit of that service in the scenario (share 1)."""
    today = [u for u in today if len(u.members) > 1]
    scenario = [u for u in scenario if len(u.members) > 1]
    rows = []
    for u in scenario:
        if not any(t.service == u.service and set(t.members) == set(u.members) for t in today):
            rows += [(u.service, u.name, m, "setup", 1.0 / len(u.members)) for m in u.members]
    for t in today:
        for m in t.members:
            if not any(u.service == t.service and m in u.members for u in scenario):
                rows.append((t.service, t.name, m, "exit", 1.0))
    return pd.DataFrame(rows, columns=["service", "unit", "municipality_code", "event", "share"])


def one_off_costs(
    events: pd.DataFrame, years: Iterable[int], first_year: int, spec: Overhead
) -> pd.DataFrame:
    """Costs rows (municipality_code, year, service, item 'overhead_one_off', nok) of the events,
    each spread evenly over ``annualise_years`` from ``first_year`` (a fractional last year gets
    the remainder); 0 in the other years."""
    years = np.asarray(sorted({int(y) for y in years}))
    cols = ["municipality_code", "year", "service", "item", "nok"]
    if events.empty or len(years) == 0:
        return pd.DataFrame(columns=cols)
    n = float(np.mean(spec.annualise_years.value))
    since = years - first_year
    part = np.clip(np.minimum(since + 1, n) - np.minimum(since, n), 0.0, None) / n
    part = np.where(since >= 0, part, 0.0)
    setup = float(np.mean(spec.setup_nok.value))
    leave = float(np.mean(spec.exit_nok_per_member.value))
    rows = []
    for ev in events.itertuples(index=False):
        nok = (setup if ev.event == "setup" else leave) * ev.share
        for y, s in zip(years, part, strict=True):  # every year (0 outside the window), so
            # the item is present in each year like the other items
            rows.append((ev.municipality_code, int(y), ev.service, "overhead_one_off", nok * s))
    out = pd.DataFrame(rows, columns=cols)
    return out.groupby(cols[:4], as_index=False)["nok"].sum()


def with_one_off_costs(
    costs: pd.DataFrame, today: Iterable[Any], scenario: Iterable[Any], spec: Overhead | None
) -> pd.DataFrame:
    """``costs`` (the costs frame of a run) with the one-off costs of moving from today's units
    to the scenario's appended (for every run when it has runs, at the central values)."""
    if spec is None or costs.empty:
        return costs
    events = one_off_events(today, scenario)
    extra = one_off_costs(events, costs["year"].unique(), int(costs["year"].min()), spec)
    if extra.empty:
        return costs
    extra["price_year"] = costs["price_year"].iloc[0]
    if "run" in costs.columns:
        runs = np.sort(costs["run"].unique())
        extra = extra.loc[extra.index.repeat(len(runs))].assign(run=np.tile(runs, len(extra)))
    extra = extra.astype({"municipality_code": costs["municipality_code"].dtype}, errors="ignore")
    return pd.concat([costs, extra[list(costs.columns)]], ignore_index=True)


def one_off_arrays(
    today: Iterable[Any], scenario: Iterable[Any], codes: list[str], years: Any, spec: Overhead
) -> dict[str, np.ndarray]:
    """{service: NOK (1 or R, M, Y)} of the one-off costs of moving from today's units to the
    scenario's, over ``codes`` and ``years`` (from the first year). The set-up and exit values
    may be arrays over runs (R, 1, 1): each run pays its own draw."""
    years = np.asarray(years, dtype=np.int64)
    events = one_off_events(today, scenario)
    events = events[events["municipality_code"].isin(codes)]
    ci = {c: i for i, c in enumerate(codes)}
    yi = {int(y): i for i, y in enumerate(years)}
    out: dict[str, Any] = {}
    for event, value in (("setup", spec.setup_nok.value), ("exit", spec.exit_nok_per_member.value)):
        unit = spec.model_copy(
            update={
                "setup_nok": spec.setup_nok.model_copy(update={"value": 1.0}),
                "exit_nok_per_member": spec.exit_nok_per_member.model_copy(update={"value": 1.0}),
            }
        )
        rows = one_off_costs(events[events["event"] == event], years, int(years.min()), unit)
        for r in rows.itertuples(index=False):
            arr = np.zeros((1, len(codes), len(years)))
            arr[0, ci[r.municipality_code], yi[int(r.year)]] = r.nok
            out[r.service] = out.get(r.service, 0.0) + arr * np.asarray(value, dtype=float)
    return out


def net_saving(cost_reference: Any, cost_scenario: Any, overhead: Any) -> np.ndarray:
    """Saving of a scenario against the reference, net of the overhead of sharing (NOK):
    reference − (scenario + overhead). ``overhead`` must be ≥ 0, so the net saving is never
    larger than the gross one. Raises ValueError for negative overhead."""
    o = np.asarray(overhead, dtype=float)
    if np.any(o < 0):
        raise ValueError("overhead must not be negative")
    return np.asarray(cost_reference, dtype=float) - (np.asarray(cost_scenario, dtype=float) + o)


def unit_staff_fte(b: Any, service: str, names: list[str]) -> np.ndarray | None:
    """Staffed FTE (R, P, Y) of each provider of ``service`` from the builder's staff rows."""
    total = None
    for labels, v, n in b.parts["staff"]:
        if labels.get("service") == service and labels.get("measure") == "fte" and n == names:
            total = v if total is None else total + v
    return total


def add_overhead(c: Any) -> None:
    """Add running overhead items to every shared unit's costs (before they are split).
    ``c``: the :class:`planning.services.base.PlanContext` after every service is planned."""
    spec = c.catalogue.overhead
    if spec is None:
        return
    st = c.catalogue.staffing
    per_hour = c.own_cost("saksbehandler") / st.hours_per_fte.value  # (1|R, M, 1)
    for s, items in c.unit_cost.items():
        p = c.providers[s]
        members = p.W.sum(axis=1)[None, :, None]
        if not np.any(members > 1):
            continue
        fte = unit_staff_fte(c.builder, s, p.names)
        if fte is None:
            continue
        staff_nok = items.get("staff", np.zeros_like(fte))
        fte_cost = np.divide(staff_nok, fte, out=np.zeros_like(staff_nok * fte), where=fte > 0)
        host_hour = per_hour[:, p.hosts, :]
        extra = running_overhead(fte, staff_nok, members, fte_cost, host_hour, spec)
        items.update(extra)


#: Metrics of the one-off costs that :func:`one_off_metrics` adds to a sweep's records (name: unit)
ONE_OFF_METRICS: dict[str, str] = {
    "one_off_cost_nok": "NOK in the year: setting up or leaving shared units, spread over "
    "annualise_years from the first year (already inside cost_nok)",
    "one_off_total_nok": "NOK: the whole one-off cost of moving from today's shared units to the "
    "scenario's (one_off_cost_nok summed over every year; the same in each year's row)",
}


def one_off_metrics(costs: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """Rows of :data:`ONE_OFF_METRICS` in the shape of ``ScenarioResult.metrics()``
    (municipality_code incl. 'region', year, metric, value[, run]) for every cell of ``cells``
    (its municipality_code, year[, run] columns; 0 where nothing is set up or left).

    ``costs``: a result's costs frame; its ``overhead_one_off`` rows are the one-off costs
    (:func:`one_off_costs`, per run when the set-up and exit values are drawn)."""
    keys = ["municipality_code", "year"] + (["run"] if "run" in cells.columns else [])
    grid = cells[keys].drop_duplicates().astype({"municipality_code": str})
    c = costs[costs["item"] == "overhead_one_off"]
    c = c.assign(municipality_code=c["municipality_code"].astype(str))
    if "run" in keys and "run" not in c.columns:  # deterministic costs: the same in every run
        c = grid[["run"]].drop_duplicates().merge(c, how="cross")
    per = c.groupby(keys, as_index=False, observed=True)["nok"].sum()
    region = per.groupby(keys[1:], as_index=False)["nok"].sum().assign(municipality_code="region")
    year = grid.merge(pd.concat([per, region], ignore_index=True), on=keys, how="left")
    year["nok"] = year["nok"].fillna(0.0).astype(float)
    whole = keys[:1] + keys[2:]  # municipality[, run]: summed over every year
    total = year.groupby(whole, observed=True)["nok"].transform("sum")
    cols = keys[:2] + ["metric", "value"] + keys[2:]
    return pd.concat(
        [
            year.assign(metric="one_off_cost_nok", value=year["nok"])[cols],
            year.assign(metric="one_off_total_nok", value=total)[cols],
        ],
        ignore_index=True,
    )
