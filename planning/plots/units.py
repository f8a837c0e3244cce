"""Beds in use, refusals and travel to shared units (issue 17): the demand panels, KAD
admissions and occupancy beside the national figure, refusals and overliggedøgn, travel
weighted by users.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from planning.errors import InputError
from planning.i18n import check_language, measure_label, t
from planning.plots.common import (
    MEASURE_PREFERENCE,
    PALETTE,
    _band_trace,
    _central,
    _layout,
    _name,
    _require,
    band_columns,
    line_and_band,
)


# ----------------------------------------------------------------------------------------------
# beds in use, refusals, travel to shared units (issue 17)
# ----------------------------------------------------------------------------------------------
def demand_panels(demand: pd.DataFrame, catalogue: Any) -> list[tuple[str, str]]:
    """(service, measure) of each panel of the demand chart, from the measures' markers
    (:class:`planning.services.base.Measure`, each kind's ``MEASURE_UNITS``, decided per entry
    where the entry says what a measure counts): of each service's measures that count people
    served or their activity, the first of :data:`MEASURE_PREFERENCE`, else all of them (school
    health: one per school level). A service whose measures are only populations (legevakt,
    fastlege, kommuneoverlege, psykisk helse og rus's adults and young, a prevention unit driven
    by inhabitants) has no panel: its line would just repeat the population.

    ``catalogue``: the scenario's :class:`planning.parameters.ServiceCatalogue`. InputError when
    the demand has a service the catalogue lacks or a measure its kind does not declare."""
    _require(demand, ["service", "measure"], "demand")
    services = catalogue.services()
    out: list[tuple[str, str]] = []
    for service, measures in demand.groupby("service", sort=True, observed=True)["measure"]:
        spec = services.get(str(service))
        if spec is None:
            raise InputError(
                f"demand has service {service!r}, which is not in the catalogue",
                key="service",
                allowed=list(services),
            )
        served = [m for m in sorted(set(map(str, measures))) if spec.measure(m).counts == "served"]
        pick = next((m for m in MEASURE_PREFERENCE if m in served), None)
        out += [(str(service), m) for m in ([pick] if pick is not None else served)]
    return out


def served_in_capacity(
    demand_pairs: Iterable[tuple[str, str]],
    capacity_pairs: Iterable[tuple[str, str]],
    catalogue: Any,
) -> list[tuple[str, str]]:
    """(service, measure) of the measures of people served that a kind reports with its
    capacity, for each service of ``catalogue`` whose demand has no such measure: psykisk helse
    og rus's users with substance problems, a prevention unit's participants (by the markers,
    :class:`planning.services.base.Measure`; no list of services). A capacity measure a kind
    writes on a service that has served demand (KAD's ``bed_days_psykisk_helse_rus``) and the
    rows of a service outside the catalogue (the ambulant team, planned by its parent entry) are
    left out. Pairs in the order of ``capacity_pairs``, each once."""
    from planning.services import entry_of

    services = catalogue.services()
    with_served_demand = {
        str(s)
        for s, m in demand_pairs
        if entry_of(catalogue, str(s)).measure(str(m)).counts == "served"
    }
    return [
        (s, m)
        for s, m in dict.fromkeys((str(s), str(m)) for s, m in capacity_pairs)
        if s in services
        and s not in with_served_demand
        and services[s].measure(m).counts == "served"
    ]


def served_sums(
    plan: Any, demand_pairs: Iterable[tuple[str, str]], catalogue: Any
) -> tuple[np.ndarray, dict[tuple[str, str], np.ndarray], bool]:
    """The region's users of the services whose users the capacity holds
    (:func:`served_in_capacity` of ``demand_pairs``, the demand's (service, measure) pairs):
    (years, {(service, measure): (runs, years) array summed over the units}, with_run), in the
    order the capacity first has each pair. ``plan``: a :class:`planning.capacity.ServicePlan`
    (its arrays, runs × units × years: no tidy frame built) or a tidy capacity frame (unit, year,
    service, measure, value[, run]); ``with_run``: the plan or frame has Monte Carlo runs (a plan
    always says True: :func:`planning.plots.band_columns` leaves the band blank when it holds run
    0 only). Every pair the capacity has is summed, also one that is zero in every run. What
    :func:`served_bands` (the report) and :meth:`planning.explore.Explorer.served` reduce."""
    sums: dict[tuple[str, str], np.ndarray] = {}
    if not isinstance(plan, pd.DataFrame):
        years = np.asarray(plan.years, dtype=np.int64)
        blocks = [
            ((str(lab["service"]), str(lab["measure"])), v) for lab, v, _ in plan.parts("cap")
        ]
        keep = set(served_in_capacity(demand_pairs, [k for k, _ in blocks], catalogue))
        for key, v in blocks:
            if key in keep:
                s = np.broadcast_to(v, (len(plan.runs), v.shape[1], len(years)))
                s = s.sum(axis=1, dtype=float)
                sums[key] = sums[key] + s if key in sums else s
        return years, sums, True
    cap = plan
    with_run = "run" in cap.columns
    years = np.sort(cap["year"].unique()).astype(np.int64)
    pairs = cap[["service", "measure"]].astype(str).drop_duplicates().itertuples(index=False)
    for s, m in served_in_capacity(demand_pairs, pairs, catalogue):
        c = cap[(cap["service"] == s) & (cap["measure"] == m)]
        c = c if with_run else c.assign(run=0)
        wide = c.groupby(["run", "year"])["value"].sum().unstack("year")
        sums[(s, m)] = wide.reindex(columns=years, fill_value=0.0).to_numpy(dtype=float)
    return years, sums, with_run


def served_bands(result: Any) -> pd.DataFrame:
    """The region's users of the services whose users the capacity holds
    (:func:`served_in_capacity`), reduced over runs like :func:`planning.plots.demand_bands`
    reduces the demand: one row per (year, service, measure), municipality_code 'region',
    ``value`` (central run 0, summed over the units that serve the region) and ``p10``/``p90``
    over runs 1..N (blank without runs). Only services that run somewhere in some run (a
    prevention unit nobody has gives no rows). Built from the plan's arrays (runs × units ×
    years) when the result has them, else from its capacity frame. ``result``: a
    :class:`planning.scenarios.ScenarioResult`. What :func:`planning.plots.demand_by_service`
    takes as ``served``."""
    cols = ["municipality_code", "year", "service", "measure", "value", "p10", "p90"]
    arrays = result.arrays("demand")
    demand_pairs = (
        list(arrays.columns)
        if arrays is not None
        else result.demand[["service", "measure"]]
        .astype(str)
        .drop_duplicates()
        .itertuples(index=False)
    )
    source = result.plan if result.plan is not None else result.capacity
    years, sums, with_run = served_sums(source, demand_pairs, result.scenario.catalogue())
    parts = []
    for (s, m), v in sums.items():
        if not (v > 0).any():
            continue  # the service runs nowhere in this scenario
        b = band_columns(v, with_run)
        parts.append(
            pd.DataFrame(
                {"municipality_code": "region", "year": years, "service": s, "measure": m, **b}
            )
        )
    if not parts:
        return pd.DataFrame(
            {c: pd.Series(dtype=float if c in ("value", "p10", "p90") else object) for c in cols}
        )
    out = pd.concat(parts, ignore_index=True)[cols]
    return out.sort_values(["service", "measure", "year"], ignore_index=True)


def panel_label(catalogue: Any, service: str, measure: str, lang: str = "nb") -> str:
    """Readable name of ``service``'s ``measure`` in ``lang``: its marker's ``label`` where the
    entry names what the measure counts (a prevention unit's ``driver``), else the measure's."""
    spec = catalogue.services().get(service) if catalogue is not None else None
    key = (spec.measure(measure).label if spec is not None else None) or measure
    return measure_label(key, lang)


def kad_activity(
    demand: pd.DataFrame,
    capacity: pd.DataFrame,
    lang: str = "nb",
    names: Mapping[str, str] | None = None,
    national_occupancy: Mapping[str, object] | None = None,
    service: str = "kad",
) -> go.Figure:
    """KAD/ØHD: admissions a year in the region (central run, P10–P90 band with runs) and the
    occupancy of each KAD unit by year, beside the national occupancy (``national_occupancy``:
    value, year, publisher) as a dotted line. ``demand``: the tidy demand frame or its reduction
    over runs :func:`planning.plots.demand_bands`."""
    check_language(lang)
    _require(demand, ["municipality_code", "year", "service", "measure", "value"], "demand")
    _require(capacity, ["unit", "year", "service", "measure", "value"], "capacity")
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=[t("kad_admissions", lang), t("kad_occupancy", lang)],
        horizontal_spacing=0.12,
    )
    d = demand[(demand["service"] == service) & (demand["measure"] == "admissions")]
    c, b = line_and_band(d, ["year"])  # a tidy frame with runs or demand_bands' reduction
    if b is not None:
        fig.add_trace(
            _band_trace(b, PALETTE[0], name=t("band", lang), showlegend=False), row=1, col=1
        )
    fig.add_trace(
        go.Scatter(
            x=c["year"],
            y=c["value"],
            mode="lines",
            line=dict(color=PALETTE[0], width=2.5),
            name=t("kad_admissions", lang),
            showlegend=False,
            hovertemplate="%{x}: %{y:,.0f}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    occ = _central(capacity)
    occ = occ[(occ["service"] == service) & (occ["measure"] == "occupancy")]
    for k, (unit, g) in enumerate(occ.groupby("unit", sort=True)):
        label = _name(str(unit), names, lang)
        fig.add_trace(
            go.Scatter(
                x=g["year"],
                y=g["value"],
                mode="lines",
                name=label,
                line=dict(color=PALETTE[(k + 1) % len(PALETTE)], width=2),
                hovertemplate="%{x}: %{y:.0%}<extra>" + label + "</extra>",
            ),
            row=1,
            col=2,
        )
    if national_occupancy is not None:
        v = float(national_occupancy["value"])  # type: ignore[arg-type]
        label = t("national_occupancy", lang, year=national_occupancy.get("year"), value=f"{v:.0%}")
        years = occ["year"] if len(occ) else c["year"]
        fig.add_trace(
            go.Scatter(
                x=[years.min(), years.max()],
                y=[v, v],
                mode="lines",
                name=label,
                line=dict(color="#000000", dash="dot", width=2),
                hoverinfo="name",
            ),
            row=1,
            col=2,
        )
    fig.update_yaxes(rangemode="tozero", row=1, col=1, title_text=t("per_year", lang))
    fig.update_yaxes(tickformat=".0%", range=[0, 1], row=1, col=2)
    fig.update_xaxes(title_text=t("year", lang))
    return _layout(fig, t("kad_title", lang), lang=lang, height=430)


def refusals_chart(
    refusals: pd.DataFrame, lang: str = "nb", service_labels: Mapping[str, str] | None = None
) -> go.Figure:
    """Patients refused a bed a year per bed service (left) and overliggedøgn a year (right: the
    step-down bed-days refused, which the municipality pays the hospital for).
    ``refusals``: :func:`planning.reports.refusals_frame`."""
    check_language(lang)
    _require(refusals, ["service", "year", "refused_admissions", "refused_bed_days"], "refusals")
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=[t("refused_patients", lang), t("overliggedogn_days", lang)],
        horizontal_spacing=0.12,
    )
    for k, (service, g) in enumerate(refusals.groupby("service", sort=True)):
        label = (service_labels or {}).get(str(service), str(service))
        fig.add_trace(
            go.Scatter(
                x=g["year"],
                y=g["refused_admissions"],
                mode="lines",
                name=label,
                line=dict(color=PALETTE[k % len(PALETTE)], width=2),
                hovertemplate="%{x}: %{y:,.1f}<extra>" + label + "</extra>",
            ),
            row=1,
            col=1,
        )
    ov = (
        refusals[refusals["overliggedogn"]]
        if "overliggedogn" in refusals.columns
        else refusals.iloc[:0]
    )
    for service, g in ov.groupby("service", sort=True):
        label = (service_labels or {}).get(str(service), str(service))
        custom = (
            g["overliggedogn_nok"].to_numpy() / 1e6 if "overliggedogn_nok" in g.columns else None
        )
        fig.add_trace(
            go.Bar(
                x=g["year"],
                y=g["refused_bed_days"],
                name=t("overliggedogn_days", lang),
                marker_color="#D55E00",
                customdata=custom,
                showlegend=False,
                hovertemplate="%{x}: %{y:,.0f}"
                + (
                    " (%{customdata:,.1f} " + t("mill_nok", lang) + ")"
                    if custom is not None
                    else ""
                )
                + "<extra>"
                + label
                + "</extra>",
            ),
            row=1,
            col=2,
        )
    fig.update_yaxes(rangemode="tozero", title_text=t("per_year", lang), row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=1, col=2)
    fig.update_xaxes(title_text=t("year", lang))
    return _layout(fig, t("refusals_title", lang), lang=lang, height=430)


def shared_travel(
    travel: pd.DataFrame,
    lang: str = "nb",
    names: Mapping[str, str] | None = None,
    service_labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Travel minutes from each member to the host of every shared unit (bars, one colour per
    member) and the mean weighted by the members' users (black diamond).
    ``travel``: :func:`planning.reports.shared_travel_frame`."""
    check_language(lang)
    _require(
        travel,
        ["unit", "service", "municipality_code", "minutes", "users", "weighted_minutes"],
        "travel",
    )
    units = list(dict.fromkeys(travel["unit"]))
    ylabel = {
        u: f"{(service_labels or {}).get(s, s)}"
        for u, s in zip(travel["unit"], travel["service"], strict=True)
    }
    fig = go.Figure()
    for k, (code, g) in enumerate(travel.groupby("municipality_code", sort=True)):
        label = _name(str(code), names, lang)
        fig.add_trace(
            go.Bar(
                y=[ylabel[u] for u in g["unit"]],
                x=g["minutes"],
                orientation="h",
                name=label,
                marker_color=PALETTE[k % len(PALETTE)],
                customdata=g["users"],
                hovertemplate="%{y}: %{x:.0f} min (%{customdata:,.0f})<extra>" + label + "</extra>",
            )
        )
    w = travel.drop_duplicates("unit")
    label = t("weighted_minutes", lang)
    fig.add_trace(
        go.Scatter(
            y=[ylabel[u] for u in w["unit"]],
            x=w["weighted_minutes"],
            mode="markers+text",
            name=label,
            marker=dict(symbol="diamond", size=12, color="#000000"),
            text=[f"{v:.0f}" for v in w["weighted_minutes"]],
            textposition="middle right",
            hovertemplate="%{y}: %{x:.1f} min<extra>" + label + "</extra>",
        )
    )
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text=t("minutes_to_host", lang), rangemode="tozero")
    return _layout(fig, t("travel_title", lang), lang=lang, height=max(320, 70 * len(units) + 160))
