"""Sums of the explorer's stages taken from their arrays, not from tidy frames: what a control
change needs of the central plan (:class:`planning.capacity.ServicePlan`), the population
(:class:`planning.population.Population`) and the demand (:class:`planning.demand.Demand`).

A new set of municipalities needs every chart's data at once; filtering and grouping tidy
frames of thousands of rows took most of the answer time (issue 17). These functions sum the
arrays (runs × municipalities or units × years) directly and give the numbers the frame path
gives (the same values summed in another order: equal to the last bits;
tests/test_explore_sums.py checks each against the frame it replaces).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from planning.reports.tables import BED_SERVICES, DAYS_PER_YEAR, pooling_beds

#: Beds in the headline: the bed units a shared DMS pools.
HEADLINE_BEDS: tuple[str, ...] = ("kad", "intermediaer")


def plan_sums(
    plan: Any,
    kind: str,
    by: Callable[[Mapping[str, Any]], Hashable | None],
) -> dict[Hashable, np.ndarray]:
    """The blocks of ``plan.parts(kind)`` ('cap', 'staff', 'cost') summed over their units or
    municipalities, grouped by ``by(labels)`` (a block whose key is None is left out):
    {key: (runs, years) array}, keys sorted. The arrays' years are ``plan.years``."""
    out: dict[Hashable, np.ndarray] = {}
    runs, years = len(plan.runs), len(plan.years)
    for labels, v, _ in plan.parts(kind):
        key = by(labels)
        if key is None:
            continue
        s = np.broadcast_to(v, (runs, v.shape[1], years)).sum(axis=1, dtype=float)
        out[key] = out[key] + s if key in out else s
    return dict(sorted(out.items(), key=lambda kv: kv[0]))  # type: ignore[arg-type, return-value]


def year_index(plan_or_stage: Any, year: int) -> int:
    """Position of ``year`` on the years axis of a plan, population or demand; KeyError when
    the stage does not reach it."""
    years = np.asarray(plan_or_stage.years)
    i = int(np.searchsorted(years, year))
    if i >= len(years) or int(years[i]) != int(year):
        raise KeyError(f"year {year} not in {years.min()}..{years.max()}")
    return i


def headline(plan: Any, year: int) -> dict[str, float]:
    """Beds (KAD and intermediate), staffed FTE and yearly cost (NOK) of the region in ``year``,
    central run (run 0): the sums of the capacity's 'beds' of those services, the staff's 'fte'
    and every cost row of that year."""
    i = year_index(plan, year)

    def total(kind: str, keep: Callable[[Mapping[str, Any]], bool]) -> float:
        sums = plan_sums(plan, kind, lambda lab: "all" if keep(lab) else None)
        return float(sums["all"][0, i]) if sums else 0.0

    return {
        "beds": total(
            "cap", lambda lab: lab["measure"] == "beds" and lab["service"] in HEADLINE_BEDS
        ),
        "fte": total("staff", lambda lab: lab["measure"] == "fte"),
        "cost_nok": total("cost", lambda lab: True),
    }


def avoided(plan: Any, year: int) -> dict[str, dict[str, float]]:
    """What the prevention units avoid in ``year`` summed over the region, central run:
    {service: {measure: value}} of the capacity measures ending in '_avoided' that
    :mod:`planning.services.mitigation` writes, only those above zero (empty without such a
    unit), in the order of (service, measure)."""
    i = year_index(plan, year)
    sums = plan_sums(
        plan,
        "cap",
        lambda lab: (
            (str(lab["service"]), str(lab["measure"]))
            if str(lab["measure"]).endswith("_avoided")
            else None
        ),
    )
    out: dict[str, dict[str, float]] = {}
    for (service, measure), v in sums.items():  # type: ignore[misc]
        if v[0, i] > 0:
            out.setdefault(service, {})[measure] = float(v[0, i])
    return out


def staff_fte_by_service(plan: Any) -> dict[str, np.ndarray]:
    """Staffed FTE of the region per service and year, central run: {service: (years,) array},
    services sorted (the staff chart's lines)."""
    sums = plan_sums(
        plan, "staff", lambda lab: str(lab["service"]) if lab["measure"] == "fte" else None
    )
    return {str(s): v[0] for s, v in sums.items()}


def costs_by_municipality_item(plan: Any) -> tuple[list[str], list[str], np.ndarray]:
    """Each municipality's cost by item and year, central run: (codes sorted, items sorted,
    array (codes, items, years) in NOK), summed over the services (the cost chart's bars)."""
    parts = plan.parts("cost")
    codes = sorted({str(c) for _, _, names in parts for c in names})
    items = sorted({str(lab["item"]) for lab, _, _ in parts})
    ci, ii = {c: k for k, c in enumerate(codes)}, {c: k for k, c in enumerate(items)}
    arr = np.zeros((len(codes), len(items), len(plan.years)))
    for labels, v, names in parts:
        rows = np.array([ci[str(c)] for c in names], dtype=np.intp)
        v0 = np.broadcast_to(v, (len(plan.runs), len(names), len(plan.years)))[0]
        np.add.at(arr, (rows, ii[str(labels["item"])]), v0)
    return codes, items, arr


def pyramid_bars(
    population: Any, year: int, width: int = 5, top: int = 100
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Persons of the region in ``year`` by sex and age band (width ``width``, last band
    ``top``+), central run: {sex: (band labels, persons)}, bands from the youngest, sexes as
    :data:`planning.population.SEXES`; what :func:`planning.plots.pyramid_frame` gives for the
    tidy frame of the same population."""
    from planning.population import SEXES

    v = population.values[0, :, year_index(population, year)].sum(axis=0)  # (sexes, ages)
    start = np.minimum((np.arange(v.shape[-1]) // width) * width, top)
    bands, idx = np.unique(start, return_inverse=True)
    labels = np.array(
        [f"{s}+" if s >= top else f"{s}-{s + width - 1}" for s in bands], dtype=object
    )
    return {
        sex: (labels, np.bincount(idx, weights=v[k], minlength=len(bands)))
        for k, sex in enumerate(SEXES)
    }


def age_group_lines(
    population: Any, groups: tuple[str, ...]
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
    """Persons of the region per age group and year: per group (years, central run 0, P10/P90
    over runs 1..N as an array (2, years), or None without drawn runs), by
    :func:`planning.plots.population.age_group_sums` (the report's reduction of the arrays)."""
    from planning.plots.population import age_group_sums

    drawn = population.with_run and population.n_runs > 1
    years = np.asarray(population.years, dtype=np.int64)
    return [
        (years, b["value"], np.stack([b["p10"], b["p90"]]) if drawn else None)
        for b in age_group_sums(population, groups)
    ]


def demand_lines(
    demand: Any, panels: list[tuple[str, str]]
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
    """The region's demand of each (service, measure) of ``panels``: (years, central run 0,
    P10/P90 over runs 1..N as an array (2, years), or None without drawn runs), summed over
    the municipalities (:func:`planning.plots.band_columns`, the report's reduction)."""
    from planning.plots import band_columns

    cols = [demand.columns[p] for p in panels]
    v = demand.values[..., cols].sum(axis=1)  # (runs, years, panels)
    drawn = demand.with_run and v.shape[0] > 1
    years = np.asarray(demand.years)
    out = []
    for k in range(len(panels)):
        b = band_columns(v[..., k], drawn)
        band = np.stack([b["p10"], b["p90"]]) if drawn else None
        out.append((years, b["value"], band))
    return out


def served_lines(
    plan: Any, demand_pairs: list[tuple[str, str]], catalogue: Any
) -> tuple[np.ndarray, dict[tuple[str, str], np.ndarray]]:
    """The region's users of the services whose users the capacity holds, central run:
    (years, {(service, measure): (years,) array}) for the services that run (above zero in
    some year), by :func:`planning.plots.served_sums` (the report's helper)."""
    from planning.plots import served_sums

    years, sums, _ = served_sums(plan, demand_pairs, catalogue)
    return years, {k: v[0] for k, v in sums.items() if (v[0] > 0).any()}


def served_frame(years: np.ndarray, lines: Mapping[tuple[str, str], np.ndarray]) -> pd.DataFrame:
    """:func:`served_lines` as a tidy frame: municipality_code 'region', year, service, measure,
    value; sorted by service, measure and year."""
    cols = ["municipality_code", "year", "service", "measure", "value"]
    if not lines:
        return pd.DataFrame(columns=cols)
    parts = [
        pd.DataFrame(
            {"municipality_code": "region", "year": years, "service": s, "measure": m, "value": v}
        )
        for (s, m), v in sorted(lines.items())
    ]
    return pd.concat(parts, ignore_index=True)[cols]


def pooled_beds(
    demand: Any,
    year: int,
    max_refusal: float,
    catalogue: Any,
    services: tuple[str, ...] = BED_SERVICES,
) -> pd.DataFrame:
    """Beds of each bed service when each municipality plans alone against one pooled unit, in
    ``year``, central run: the beds frame (service, arrangement, beds, offered_load) of
    :func:`planning.reports.bed_pooling` from the demand's arrays (its rule,
    :func:`planning.reports.tables.pooling_beds`), services sorted. KeyError when the demand
    has none of ``services``' bed-days."""
    i = year_index(demand, year)
    rows: list[dict[str, Any]] = []
    for s in sorted(services):
        col = demand.columns.get((s, "bed_days"))
        if col is None:
            continue
        loads = demand.values[0, :, i, col] / DAYS_PER_YEAR  # one per municipality (sorted codes)
        rows += pooling_beds(s, loads, max_refusal, catalogue)[2]
    if not rows:
        raise KeyError(f"no bed_days demand for {list(services)}")
    return pd.DataFrame(rows)
