"""``sample_scenario``: a commented scenario file of every key with its default and source.

Part of :mod:`planning.scenarios` (the public facade); see its docstring for the map.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from planning import data
from planning.parameters import (
    Levers,
    Sourced,
)
from planning.scenario.files import load_scenario
from planning.scenario.names import REFERENCE
from planning.scenario.overrides import apply_overrides
from planning.scenario.schema import LAST_PROJECTION_YEAR, MAX_RUNS


# ------------------------------------------------------------------------------------------------
# sample scenario
# ------------------------------------------------------------------------------------------------
def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


def _scalar(v: Any) -> str:
    """A YAML scalar on one line."""
    return (
        yaml.safe_dump(v, default_flow_style=True, allow_unicode=True, width=10_000)
        .strip()
        .removesuffix("...")
        .strip()
    )


def _sourced_comment(s: Sourced) -> str:
    year = f" ({s.year})" if s.year else ""
    return f"{s.unit}; {s.status}; {_one_line(s.source)}{year}"


def _range_comment(path: str, ranges: Mapping[str, Any]) -> str:
    """' | range low..high (kind, distribution): reason' for a path of data/ranges.yaml."""
    from planning.uncertainty import bounds

    r = ranges.get(path)
    if r is None:
        return ""
    lo, hi = bounds(path, ranges)
    how = r.kind if r.kind != "uncertain" else f"uncertain, {r.distribution}"
    return f" | range {_scalar(lo)}..{_scalar(hi)} ({how}): {_one_line(r.reason)}"


def sample_scenario(overrides: Mapping[str, Any] | None = None) -> str:
    """A complete, valid scenario (no ``extends``) with every default written out, its source
    and its range (``data/ranges.yaml``) in a comment; values equal ``today``, so running it
    reproduces today. ``overrides`` (e.g. ``{"region": "agder"}``) are applied to today first
    (today's units of that region come with it)."""
    from planning.uncertainty import load_ranges

    ranges = load_ranges()
    base = apply_overrides(load_scenario(REFERENCE), overrides or {})
    cat = base.catalogue()
    d, h = base.demography, base.horizon
    first, last = data.population_years()
    region = base.region or ""
    out = [
        "# A complete scenario with every default and its source (`planning sample-scenario`).",
        "# Save it as my_scenario.yaml, edit, check with `planning scenarios validate my_scenario.yaml`",
        "# and run with `planning run my_scenario.yaml`. Format reference: docs/scenarios.md.",
        "# Status of a number: seen (in the cited source), derived (calculated from seen values),",
        "# assumption (no source found). A number you type without a source is an assumption.",
        "# After '| range': the plausible low..high of a value (data/ranges.yaml) and why; kind",
        "# 'uncertain' is drawn in the Monte Carlo runs, 'choice' and 'method' only in the tornado",
        "# (`planning sensitivity`).",
        "name: sample",
        "title:",
        f"  nb: {_scalar('Eksempel (som i dag)')}",
        f"  en: {_scalar('Sample (same as today)')}",
        "description:",
        f"  nb: {_scalar('Alle standardverdier skrevet ut; gir samme tall som i dag.')}",
        f"  en: {_scalar('Every default written out; gives the same numbers as today.')}",
        "",
        f"# region name ({', '.join(data.region_names(kind='named'))}, a county such as agder, norway) or",
        "# municipalities: [5035, Meråker, ...] (codes or names); data/regions.json",
        f"region: {_scalar(region)}  # {_one_line(data.region_label(region))}: "
        f"{', '.join(base.municipality_codes())}"
        if base.region is not None
        else f"municipalities: {_scalar(list(base.municipality_codes()))}",
        "",
        "horizon:",
        f"  base_year: {h.base_year}  # observed population 1 January (SSB 07459, {first}-{last}); "
        f"allowed {first + 2}..{last}",
        f"  end_year: {h.end_year}  # up to {LAST_PROJECTION_YEAR} (UN WPP 2024 assumptions)",
        "",
        "demography:",
        f"  method: {d.method}  # cohort-component (UN WPP 2024 rates calibrated to SSB 07459) or "
        "hamilton-perry (reference)",
        f"  variant: {d.variant}  # fertility, life expectancy, migration: L/M/H each (MMM = central)",
        f"  runs: {d.runs}  # Monte Carlo runs beyond the central run 0 (0..{MAX_RUNS})",
        f"  seed: {_scalar(d.seed)}  # random seed for the runs",
        "# projection settings of data/demography.yaml that are assumptions, with their ranges:",
        *(
            f"#   {p.removeprefix('demography.')}{_range_comment(p, ranges)}"
            for p in ranges
            if p.startswith("demography.")
        ),
        "",
        "# levers: defaults from data/services.yaml `levers` (value  # unit; status; source)",
        "levers:",
    ]
    for name in Levers.model_fields:
        default = getattr(cat.levers, name, None)
        if default is None:
            out.append(f"  # {name}: (unset: healthy_ageing × life_expectancy_gain per year)")
        else:
            out.append(
                f"  {name}: {_scalar(default.value)}  # {_sourced_comment(default)}"
                + _range_comment(f"levers.{name}", ranges)
            )
    out += [
        "",
        "# services: overrides of data/services.yaml by path, e.g.",
        "#   services: {kad: {bed_days_per_1000: 30}}   (a bare number is labelled 'assumption';",
        "#   give {value, unit, source, year, status} to cite a source). Every value and its default:",
    ]
    table = cat.assumptions_table()
    for r in table.itertuples(index=False):
        if str(r.parameter).startswith("levers."):
            continue
        year = f" ({int(r.year)})" if r.year is not None and r.year == r.year else ""
        out.append(
            f"#   {r.parameter}: {_scalar(r.value)}  # {r.unit}; {r.status}; {_one_line(r.source)}{year}"
            + _range_comment(str(r.parameter), ranges)
        )
    out += [
        "services: {}",
        "",
        "# organisation: status_quo: true starts from today's shared units (data/organisation.yaml,",
        "# every unit whose members all take part, each with its source); units then lists changes by",
        "# unit name (new units, changed fields, {name: X, remove: true}). status_quo: false and no",
        "# units: each municipality runs every service alone (the scenario `alone`).",
        "# A municipality in no unit for a service runs it alone.",
        "# services that can be shared: kad, intermediaer, helsestasjon, skolehelsetjeneste, jordmor,",
        "# kommuneoverlege, legevakt, brukerkontor. cost_key: population | use | fixed_plus_use",
        "# (with fixed_share 0..1). A removed unit's members run that service alone, the other",
        "# units stay as today. Example (Selbu joins the DMS; the shared legevakt is removed):",
        "#   units:",
        "#     - {name: 'Værnesregionen DMS, KAD-senger', members: ['5035', '5034', '5032', '5033']}",
        "#     - {name: 'Værnesregionen legevakt', remove: true}",
        "# Today's units for these municipalities (names to change or remove):",
        *(
            f"#   {_scalar(u.name)}: {u.service}, host {u.host}, members {', '.join(u.members)}"
            for u in base.organisation.units
        ),
        *(
            []
            if base.organisation.units
            else ["#   (none: each municipality runs every service alone)"]
        ),
        "organisation:",
        f"  status_quo: {_scalar(base.organisation.status_quo)}",
        "  units: []",
        "",
        "prices:",
        "  real_pay_growth:  # yearly real growth of cost per FTE and other unit costs from base_year"
        + _range_comment("prices.real_pay_growth", ranges),
    ]
    g = base.prices.real_pay_growth
    for k, v in g.model_dump(exclude_none=True).items():
        out.append(f"    {k}: {_scalar(v)}")
    out += [
        "",
        "# travel_overrides: local figures for trips between places of data/places.csv, e.g.",
        "#   - {from_id: stjordalshalsen, to_id: selbu_muni, minutes: 40}",
        "travel_overrides: []",
        "",
    ]
    return "\n".join(out)
