"""Writing a result (``write_result``), the municipality x year table and the text summary.

Part of :mod:`planning.scenarios` (the public facade); see its docstring for the map.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from planning import data
from planning.errors import InputError
from planning.scenario.names import safe_name
from planning.scenario.result import METRICS, ScenarioResult

# ------------------------------------------------------------------------------------------------
# output
# ------------------------------------------------------------------------------------------------
FRAMES = ("population", "demand", "capacity", "staff", "costs", "cost_shares", "units")


def write_result(result: ScenarioResult, out_dir: str | Path, fmt: str = "parquet") -> list[Path]:
    """Write the result's frames, metrics, summary, provenance and scenario into
    ``out_dir/<name>/``. The name is checked with :func:`safe_name`; nothing is written outside
    ``out_dir``. Returns the files written."""
    if fmt not in ("parquet", "csv"):
        raise InputError(f"unknown format '{fmt}'", key="format", allowed="parquet, csv")
    from planning.io import locked, make_dir, write_atomic, write_frame

    name = safe_name(result.name)
    frames = {n: getattr(result, n) for n in FRAMES}
    frames["metrics"] = result.metrics()
    frames["summary"] = result.summary
    provenance = json.dumps(result.provenance, indent=2, ensure_ascii=False, default=str)
    with locked(out_dir) as root:
        target = (root / name).resolve()
        if not target.is_relative_to(root) or target == root:
            raise InputError(
                f"output folder {target} is outside {root} (a link points elsewhere)",
                key="--out",
                file=root / name,
            )
        make_dir(target)
        written = []
        for n, df in frames.items():
            written.append(write_frame(df, target / f"{n}.{fmt}", fmt, root=target))
        written.append(write_atomic(target / "provenance.json", provenance, root=target))
        written.append(
            write_atomic(target / "scenario.yaml", result.scenario.to_yaml(), root=target)
        )
    return written


def municipality_year_table(result: ScenarioResult) -> Any:
    """The table per municipality and year of the central run (run 0), wide: municipality_code
    (and 'region' for the sum over the scenario's municipalities), municipality_name,
    county_name, year, then every metric of :meth:`ScenarioResult.metrics` (population,
    population_67+, population_80+, beds, beds_kad, beds_intermediaer, fte, cost_nok,
    cost_nok_per_inhabitant), ``users_<service>`` for every service whose demand is counted in
    users (hjemmetjenester, langtidsopphold, heldogn_bolig) and ``places_<service>`` for the
    places needed (langtidsopphold, heldogn_bolig). With ``--region norway`` this is the
    national table: one row per municipality and year, and Norway's total as 'region'."""
    import pandas as pd

    m = result.metrics()
    if "run" in m.columns:
        m = m[m["run"] == 0]
    wide = m.pivot_table(
        index=["municipality_code", "year"], columns="metric", values="value", sort=False
    )
    wide = wide[[c for c in METRICS if c in wide.columns]].reset_index()
    d = result.demand
    if "run" in d.columns:
        d = d[d["run"] == 0]
    users = d[d["measure"].isin(["users", "places"])]
    if not users.empty:
        u = users.pivot_table(
            index=["municipality_code", "year"],
            columns=["measure", "service"],
            values="value",
            aggfunc="sum",
        )
        u.columns = [f"{m}_{c}" for m, c in u.columns]
        tot = u.groupby(level="year").sum()
        tot.index = pd.MultiIndex.from_product([["region"], tot.index], names=u.index.names)
        u = pd.concat([u, tot]).reset_index()
        u["municipality_code"] = u["municipality_code"].astype(str)
        wide = wide.merge(u, on=["municipality_code", "year"], how="left")
    reg = data.load_municipalities().set_index("municipality_code")
    label = data.region_label(result.scenario.region) if result.scenario.region else "region"
    wide.insert(
        1,
        "municipality_name",
        wide["municipality_code"].map(reg["municipality_name"]).fillna(label),
    )
    wide.insert(2, "county_name", wide["municipality_code"].map(reg["county_name"]).fillna(""))
    order = {c: i for i, c in enumerate([*result.scenario.municipality_codes(), "region"])}
    wide = wide.sort_values(
        ["municipality_code", "year"],
        key=lambda s: s.map(order) if s.name == "municipality_code" else s,
    )
    return wide.reset_index(drop=True)


def _beds_cell(value: float) -> str:
    """Beds of a municipality: whole beds as a whole number; a share of a shared unit's beds
    (attributed by cost share) with one decimal and '*' (a share, not beds)."""
    if abs(value - round(value)) < 1e-9:
        return str(int(round(value)))
    return f"{value:.1f}*"


def _unit_beds_lines(result: ScenarioResult, names: Mapping[str, str]) -> list[str]:
    """The bed units' whole beds at the end year (central run): beds belong to units."""
    c = result.capacity
    if "run" in c.columns:
        c = c[c["run"] == 0]
    c = c[(c["measure"] == "beds") & (c["year"] == result.end_year)]
    if c.empty:
        return []
    kinds = {"kad": "KAD/ØHD", "intermediaer": "intermediate"}
    codes = set(result.scenario.municipality_codes())
    parts = []
    for (service, unit), v in c.groupby(["service", "unit"], sort=False)["value"].sum().items():
        who = f"{unit} {names.get(unit, '')} alone".replace("  ", " ") if unit in codes else unit
        parts.append(f"{kinds.get(service, service)} {who}: {int(round(v))}")
    lines = ["  beds per unit (whole beds): " + "; ".join(parts)]
    if any(abs(v - round(v)) > 1e-9 for v in result.summary.query("metric == 'beds'")["value"]):
        lines.append("  * a municipality's share of a shared unit's beds (by cost share), not beds")
    return lines


def format_summary(result: ScenarioResult, lang: str = "nb") -> str:
    """The summary as a plain-text table for the terminal (titles in ``lang``: 'nb' or 'en')."""
    import pandas as pd

    scn = result.scenario
    names = data.municipality_names()
    s = result.summary
    wide = s.pivot(index="municipality_code", columns="metric", values="value")
    order = [c for c in scn.municipality_codes() if c in wide.index] + ["region"]
    wide = wide.loc[order]
    label = {"region": "Region" if lang == "en" else "Regionen"}
    muni = [label.get(c) or f"{c} {names.get(c, '')}".strip() for c in wide.index]
    width = max(len(m) for m in muni)
    table = pd.DataFrame(
        {
            "municipality".ljust(width): [m.ljust(width) for m in muni],
            "population": wide["population"].round(0).astype("int64"),
            "80+": wide["population_80+"].round(0).astype("int64"),
            "beds": [_beds_cell(v) for v in wide["beds"]],
            "FTE": wide["fte"].round(1),
            "cost (NOK m)": (wide["cost_nok"] / 1e6).round(1),
            "NOK/inhab.": wide["cost_nok_per_inhabitant"].round(0).astype("int64"),
        }
    )
    prov = result.provenance
    status = ", ".join(f"{v} {k}" for k, v in prov["parameter_status"].items())
    lines = [
        f"Scenario {result.name}: {getattr(scn.title, lang)}",
        f"  {scn.horizon.base_year}-{scn.horizon.end_year}, {scn.demography.method} "
        f"{scn.demography.variant}, runs {prov['runs']}, seed {prov['seed']}"
        + (f", extends {scn.extends}" if scn.extends else ""),
        f"  values in {result.end_year} (central run); beds and FTE of shared units attributed "
        f"by cost share; NOK per year at {prov['price_year']} prices",
        table.to_string(index=False),
        *_unit_beds_lines(result, names),
        f"  catalogue parameters: {status} (each with its source: `planning sample-scenario`)",
        f"  data {prov['data_version']}, package {prov['package_version']}, "
        f"run time {prov['run_time_s']:.3f} s",
    ]
    if prov["scenario_values"]:
        lines.append(
            "  set by the scenario (assumption unless a source is given): "
            + ", ".join(f"{k}={v}" for k, v in prov["scenario_values"].items())
        )
    if prov["runs"] and "p10" in s.columns:
        r = s[(s["municipality_code"] == "region") & s["metric"].isin(["beds", "fte", "cost_nok"])]
        for _, row in r.iterrows():
            lines.append(
                f"  region {row['metric']}: P10 {row['p10']:,.1f}, P50 {row['p50']:,.1f}, "
                f"P90 {row['p90']:,.1f} over {prov['runs']} runs"
            )
    return "\n".join(lines)
