"""Scenario reports: papermill runs ``notebooks/report.ipynb`` once per scenario, nbconvert turns
each executed notebook into one standalone HTML file without code, and an index page links them.

The package, one concept per module:

- :mod:`planning.reports.render`: render one report or many (process pool, private kernels,
  retries, size limit) and the report's file name;
- :mod:`planning.reports.index`: ``index.html`` / ``index.json`` of a report folder;
- :mod:`planning.reports.notebook`: what the report notebook calls while it runs (offline
  figures, the headline figures it emits);
- :mod:`planning.reports.tables`: the report's tables (pure: results in, frames / HTML out);
- :mod:`planning.reports.text`: the report's explanatory text (assumptions, sources, trust);
- :mod:`planning.reports.cache`: work shared by the reports of one run (backtests, today and
  alone), computed once.

Everything public is importable from ``planning.reports`` as before the split.
"""

from __future__ import annotations

from planning.errors import InputError
from planning.reports import cache
from planning.reports.index import merge_index, summarise, write_index
from planning.reports.notebook import (
    HEADLINE_MIME,
    emit_headline,
    figure_html,
    read_headline,
    region_of_scenario,
    show,
)
from planning.reports.render import (
    KERNEL_START_ATTEMPTS,
    MAX_HTML_BYTES,
    PRIVATE_ENV_VARS,
    REMOVE_TAGS,
    TEMPLATE,
    ReportResult,
    _init_worker,
    _kernel_manager_class,
    _private_jupyter_env,
    notebook_to_html,
    render_report,
    render_reports,
    report_name,
    resolve_scenarios,
)
from planning.reports.tables import (
    BED_SERVICES,
    DAYS_PER_YEAR,
    NATIONAL_KAD_OCCUPANCY,
    bed_pooling,
    budget_html,
    budget_intro,
    capacity_markdown,
    capacity_table,
    difference_lines,
    html_table,
    municipality_table,
    refusals_frame,
    service_labels,
    shared_travel_frame,
    summary_markdown,
    today_table,
    workforce_markdown,
)
from planning.reports.text import (
    DEMAND_BACKTEST_YEARS,
    about_markdown,
    assumptions_frame,
    assumptions_html,
    cost_scope_markdown,
    demand_backtest_windows,
    demand_trust_markdown,
    organisation_html,
    sources_html,
    trust_markdown,
)

__all__ = [
    "BED_SERVICES",
    "DAYS_PER_YEAR",
    "DEMAND_BACKTEST_YEARS",
    "HEADLINE_MIME",
    "KERNEL_START_ATTEMPTS",
    "MAX_HTML_BYTES",
    "NATIONAL_KAD_OCCUPANCY",
    "PRIVATE_ENV_VARS",
    "REMOVE_TAGS",
    "TEMPLATE",
    "InputError",
    "ReportResult",
    "_init_worker",
    "_kernel_manager_class",
    "_private_jupyter_env",
    "about_markdown",
    "assumptions_frame",
    "assumptions_html",
    "bed_pooling",
    "cache",
    "budget_html",
    "budget_intro",
    "capacity_markdown",
    "capacity_table",
    "cost_scope_markdown",
    "demand_backtest_windows",
    "demand_trust_markdown",
    "difference_lines",
    "emit_headline",
    "figure_html",
    "html_table",
    "merge_index",
    "municipality_table",
    "notebook_to_html",
    "organisation_html",
    "read_headline",
    "refusals_frame",
    "region_of_scenario",
    "render_report",
    "render_reports",
    "report_name",
    "resolve_scenarios",
    "service_labels",
    "shared_travel_frame",
    "show",
    "sources_html",
    "summarise",
    "summary_markdown",
    "today_table",
    "trust_markdown",
    "workforce_markdown",
    "write_index",
]
