"""Plotly figures for notebooks and reports: tidy frame in, ``plotly.graph_objects.Figure`` out.

Every function is pure (no I/O, no global state) and takes ``lang`` ('nb' or 'en') for its labels.
Frames follow the contracts in docs/architecture.md. When a frame has a ``run`` column, run 0 is the
central run drawn as a line and runs 1..N give a P10–P90 band (quantiles over runs 1..N from
:func:`planning.stats.quantiles`). The charts with bands also take frames already reduced over
runs (``value``, ``p10``, ``p90``: :func:`age_group_bands`, :func:`demand_bands`, made from the
arrays of a result), so a report with hundreds of runs never builds every run's rows. Figures never load plotly.js from the web: embed them with
:func:`planning.reports.figure_html` (plotly.js once per file).

The package, one concept per module: :mod:`~planning.plots.common` (palettes, band, layout),
:mod:`~planning.plots.population`, :mod:`~planning.plots.services` (demand, capacity, staff,
costs, comparisons), :mod:`~planning.plots.maps`, :mod:`~planning.plots.sensitivity` (tornado,
waterfall), :mod:`~planning.plots.workforce` and :mod:`~planning.plots.units` (beds in use,
refusals, travel to shared units). Everything public is importable from ``planning.plots``.
"""

from __future__ import annotations

from planning.plots.common import (
    BAND_QUANTILES,
    FEMALE_COLOUR,
    MALE_COLOUR,
    MANY_PALETTE,
    MEASURE_PREFERENCE,
    PALETTE,
    band,
    band_columns,
    line_and_band,
)
from planning.plots.maps import MapIndex, map_hub, neighbours, region_map, region_map_parts
from planning.plots.population import (
    age_group_bands,
    age_group_growth,
    age_group_totals,
    population_pyramid,
    pyramid_frame,
)
from planning.plots.sensitivity import headline_label, tornado, waterfall
from planning.plots.services import (
    beds_separate_pooled,
    colours,
    compare_bars,
    cost_shares,
    costs_by_municipality,
    demand_bands,
    demand_by_service,
    primary_measures,
    refusal_curves,
    staff_by_service,
)
from planning.plots.units import (
    demand_panels,
    kad_activity,
    panel_label,
    refusals_chart,
    served_bands,
    served_in_capacity,
    served_sums,
    shared_travel,
)
from planning.plots.workforce import profession_bars, workforce_ratios

__all__ = [
    "MapIndex",
    "BAND_QUANTILES",
    "FEMALE_COLOUR",
    "MALE_COLOUR",
    "MANY_PALETTE",
    "MEASURE_PREFERENCE",
    "PALETTE",
    "age_group_bands",
    "age_group_growth",
    "age_group_totals",
    "band",
    "band_columns",
    "beds_separate_pooled",
    "colours",
    "compare_bars",
    "cost_shares",
    "costs_by_municipality",
    "demand_bands",
    "demand_by_service",
    "demand_panels",
    "panel_label",
    "headline_label",
    "kad_activity",
    "line_and_band",
    "map_hub",
    "neighbours",
    "population_pyramid",
    "primary_measures",
    "profession_bars",
    "pyramid_frame",
    "refusal_curves",
    "refusals_chart",
    "region_map",
    "region_map_parts",
    "served_bands",
    "served_sums",
    "served_in_capacity",
    "shared_travel",
    "staff_by_service",
    "tornado",
    "waterfall",
    "workforce_ratios",
]
