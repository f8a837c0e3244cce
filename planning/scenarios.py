"""Scenarios as data: one pydantic schema, deltas on a base (``extends``), overrides, run, compare.

A scenario file ``scenarios/<name>.yaml`` states the region, horizon, demographic variant, runs
and seed, the levers, overrides of the service catalogue (``data/services.yaml``), the
organisation (which municipalities share which service, who hosts it, how its cost is split) and
price assumptions. A file may say ``extends: <name>``: it is then a delta merged onto that base
(mappings merge key by key, lists are replaced, except ``organisation.units`` which merge by unit
``name``; ``remove: true`` drops a unit of the base). Everything is validated, with the file and
the key of the first problem named in one line, before a :class:`Scenario` is returned.

This module is the public facade (``from planning import scenarios; scenarios.run(...)``); the
code lives in the package :mod:`planning.scenario`, one concept per module, in data-flow order:

========================================  ====================================================
``planning/scenario/names.py``            folders, safe names, ``REFERENCE``/``ALONE``, ``list_scenarios``
``planning/scenario/schema.py``           the pydantic models (``Scenario`` and its parts)
``planning/scenario/catalogue.py``        a scenario's service catalogue (cached by frozen JSON)
``planning/scenario/merge.py``            the one merge rule (``merge_delta``), unit-list merge
``planning/scenario/files.py``            reading files, ``extends`` chains, validation, ``load_scenario``
``planning/scenario/overrides.py``        ``apply_overrides`` (dotted paths)
``planning/scenario/pipeline.py``         ``run`` and its per-process caches, ``clear_cache``
``planning/scenario/result.py``           ``ScenarioResult``, ``METRICS``, summary and headline
``planning/scenario/compare.py``          ``compare``, ``run_like``, ``load_like``
``planning/scenario/output.py``           ``write_result``, ``municipality_year_table``, ``format_summary``
``planning/scenario/sample.py``           ``sample_scenario`` (``planning scenario sample``)
========================================  ====================================================

Sweeps live in :mod:`planning.sweep`, which imports this module (never the other way round);
``planning.scenarios.sweep`` is gone: use ``from planning.sweep import sweep``.

Public API (see ``docs/scenarios.md``): :func:`scenarios_dir`, :func:`list_scenarios`,
:func:`safe_name`, :func:`load_scenario`, :func:`apply_overrides`, :func:`run`, :func:`compare`,
:class:`Scenario`, :class:`ScenarioResult`.
"""

from __future__ import annotations

from typing import Any

from planning.scenario.catalogue import (
    _base_catalogue,
    _catalogue_for,
    _freeze,
)
from planning.scenario.compare import compare, load_like, run_like
from planning.scenario.files import load_scenario
from planning.scenario.merge import UNIT_LIST, merge_delta, merge_units
from planning.scenario.names import (
    ALONE,
    DEPRECATED_NAMES,
    REFERENCE,
    list_scenarios,
    safe_name,
    scenarios_dir,
)
from planning.scenario.output import FRAMES, format_summary, municipality_year_table, write_result
from planning.scenario.overrides import apply_overrides
from planning.scenario.pipeline import (
    CAPACITY_ONLY_LEVERS,
    _apply_real_growth,
    _coverage_rates,
    _population,
    _projection,
    _staffing,
    _travel,
    clear_cache,
    run,
)
from planning.scenario.result import HEADLINE_DIFFERENCES, METRICS, ScenarioResult
from planning.scenario.sample import sample_scenario
from planning.scenario.schema import (
    LAST_PROJECTION_YEAR,
    MAX_RUNS,
    NAME_PATTERN,
    Demography,
    Horizon,
    Prices,
    Scenario,
    Text,
    TravelOverride,
)

__all__ = [
    "ALONE",
    "CAPACITY_ONLY_LEVERS",
    "DEPRECATED_NAMES",
    "FRAMES",
    "HEADLINE_DIFFERENCES",
    "LAST_PROJECTION_YEAR",
    "MAX_RUNS",
    "METRICS",
    "NAME_PATTERN",
    "REFERENCE",
    "UNIT_LIST",
    "Demography",
    "Horizon",
    "Prices",
    "Scenario",
    "ScenarioResult",
    "Text",
    "TravelOverride",
    "apply_overrides",
    "clear_cache",
    "compare",
    "format_summary",
    "list_scenarios",
    "load_like",
    "load_scenario",
    "merge_delta",
    "merge_units",
    "municipality_year_table",
    "run",
    "run_like",
    "safe_name",
    "sample_scenario",
    "scenarios_dir",
    "write_result",
]

#: Cached pipeline steps that the explore widget and the tornado reuse (private: their signatures
#: may change; see planning/scenario/pipeline.py and catalogue.py).
_PIPELINE_STEPS = (
    _base_catalogue,
    _catalogue_for,
    _freeze,
    _population,
    _projection,
    _coverage_rates,
    _staffing,
    _travel,
    _apply_real_growth,
)


def __getattr__(name: str) -> Any:
    if name == "sweep":  # removed: it made an import circle (scenarios <-> sweep)
        raise AttributeError(
            "planning.scenarios.sweep was removed (the sweep imports scenarios, never the other "
            "way round): use 'from planning.sweep import sweep'"
        )
    raise AttributeError(f"module 'planning.scenarios' has no attribute {name!r}")
