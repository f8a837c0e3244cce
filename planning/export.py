"""A scenario's numbers as one spreadsheet (.xlsx): one sheet per table, headers in the report's
language with the unit, a sheet with sources and assumptions; numbers stored as numbers.

:func:`report_sheets` builds the sheets from a result (and its reference), :func:`write_xlsx`
writes them with openpyxl (atomically: a temporary file in the same folder, then renamed), and
:func:`download_link` embeds the workbook in a report as a ``data:`` link, so the spreadsheet
travels inside the HTML file and needs no network. ``planning export SCENARIO --xlsx FILE`` writes
the same workbook from the command line.
"""

from __future__ import annotations

import base64
import html
import io
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planning.errors import InputError
from planning.i18n import STRINGS, check_language, item_label, measure_label, t

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
#: Population age groups of the spreadsheet (the report's pyramid is by 5-year bands).
AGE_GROUPS: tuple[tuple[str, int, int], ...] = (
    ("0-19", 0, 19),
    ("20-66", 20, 66),
    ("67-79", 67, 79),
    ("80-89", 80, 89),
    ("90+", 90, 200),
)

_H = {  # column headers (with units) in the two languages
    "municipality": ("Kommune", "Municipality"),
    "year": ("År", "Year"),
    "service": ("Tjeneste", "Service"),
    "measure": ("Mål", "Measure"),
    "value": ("Verdi", "Value"),
    "unit": ("Enhet (driftsenhet)", "Unit (operating unit)"),
    "item": ("Post", "Item"),
    "profession": ("Yrke", "Profession"),
    "age_group": ("Aldersgruppe (år)", "Age group (years)"),
    "persons": ("Innbyggere (personer)", "Inhabitants (persons)"),
    "population": ("Innbyggere (personer)", "Inhabitants (persons)"),
    "population_80+": ("Innbyggere 80 år og eldre (personer)", "Inhabitants aged 80+ (persons)"),
    "working_age": ("Innbyggere 20–66 år (personer)", "Inhabitants aged 20-66 (persons)"),
    "fte": ("Årsverk (antall)", "FTE (count)"),
    "care_fte": ("Årsverk i omsorgstjenestene (antall)", "FTE in the care services (count)"),
    "fte_per_100_working_age": (
        "Årsverk per 100 innbyggere 20–66 år",
        "FTE per 100 inhabitants aged 20-66",
    ),
    "care_fte_per_100_working_age": (
        "Årsverk i omsorgstjenestene per 100 innbyggere 20–66 år",
        "Care FTE per 100 inhabitants aged 20-66",
    ),
    "working_age_per_80plus": (
        "Innbyggere 20–66 år per innbygger 80+",
        "Inhabitants aged 20-66 per inhabitant aged 80+",
    ),
    "fte_today": ("Årsverk i basisåret (antall)", "FTE in the base year (count)"),
    "change": ("Endring fra basisåret (årsverk)", "Change from the base year (FTE)"),
    "group": ("Gruppe", "Group"),
    "indicator": ("Indikator", "Indicator"),
    "row_unit": ("Enhet", "Unit"),
    "key": ("Fordelingsnøkkel", "Cost key"),
    "share": ("Andel (0–1)", "Share (0-1)"),
    "beds": ("Senger (antall)", "Beds (count)"),
    "status": ("Status", "Status"),
    "source": ("Kilde", "Source"),
    "note": ("Merknad", "Note"),
    "parameter": ("Parameter", "Parameter"),
    "file": ("Fil", "File"),
    "title": ("Tittel", "Title"),
    "publisher": ("Utgiver", "Publisher"),
    "table": ("Tabell", "Table"),
    "licence": ("Lisens", "Licence"),
}


def _h(key: str, lang: str) -> str:
    nb, en = _H[key]
    return nb if lang == "nb" else en


def _nok_header(lang: str, price_year: Any, per: str = "") -> str:
    if lang == "nb":
        return f"Kostnad (kr per år{per}, {price_year}-kroner)"
    return f"Cost (NOK a year{per}, {price_year} prices)"


def sheet_name(name: str, used: set[str] | None = None) -> str:
    """A valid, unique Excel sheet name: no ``[]:*?/\\``, at most 31 characters."""
    base = _BAD_SHEET_CHARS.sub("-", str(name)).strip("'") or "Ark"
    base = base[:31]
    out, k = base, 2
    while used is not None and out.lower() in {u.lower() for u in used}:
        suffix = f" ({k})"
        out, k = base[: 31 - len(suffix)] + suffix, k + 1
    if used is not None:
        used.add(out)
    return out


def _central(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["run"] == 0].drop(columns="run") if "run" in df.columns else df


def report_sheets(
    result: Any,
    reference: Any | None = None,
    lang: str = "nb",
    names: Mapping[str, str] | None = None,
    service_labels: Mapping[str, str] | None = None,
    budget_rows: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """Every table of a scenario report and the data of its charts as frames, keyed by sheet
    name (in ``lang``), central run 0: summary, one økonomiplan table per municipality and for the
    region (:mod:`planning.budget`), workforce (:mod:`planning.workforce`), population by age
    group, demand, capacity, FTE, costs, cost shares, assumptions (every catalogue value with its
    source and status) and sources (data files, reference figures, the scenario's provenance).
    ``budget_rows``: the report's :func:`planning.budget.budget_frame` of ``result`` against
    ``reference`` in ``lang`` when it has one already (computed here otherwise)."""
    from planning import budget, data, workforce
    from planning.reports import service_labels as labels_of

    check_language(lang)
    names = dict(names or data.municipality_names())
    labels = dict(service_labels or labels_of(result.scenario.catalogue()))
    price_year = result.provenance.get("price_year")
    codes = list(result.scenario.municipality_codes())

    def muni(c: str) -> str:
        if c == "region":
            return "Regionen" if lang == "nb" else "Region"
        if c == "norway":
            return "Norge" if lang == "nb" else "Norway"
        return names.get(c, c)

    used: set[str] = set()
    sheets: dict[str, pd.DataFrame] = {}

    def add(title: str, frame: pd.DataFrame) -> None:
        sheets[sheet_name(title, used)] = frame.reset_index(drop=True)

    # summary at the horizon
    s = result.summary.pivot(index="municipality_code", columns="metric", values="value")
    s = s.reindex([c for c in codes if c in s.index] + ["region"])
    summ = pd.DataFrame(
        {
            _h("municipality", lang): [muni(c) for c in s.index],
            _h("year", lang): result.end_year,
            _h("population", lang): s["population"].to_numpy(),
            _h("population_80+", lang): s["population_80+"].to_numpy(),
            (
                "Senger KAD og intermediære (antall)"
                if lang == "nb"
                else "Beds KAD and intermediate (count)"
            ): s["beds"].to_numpy(),
            _h("fte", lang): s["fte"].to_numpy(),
            _nok_header(lang, price_year): s["cost_nok"].to_numpy(),
            _nok_header(
                lang, price_year, " per innbygger" if lang == "nb" else " per inhabitant"
            ): s["cost_nok_per_inhabitant"].to_numpy(),
        }
    )
    if reference is not None and reference is not result:
        rs = reference.summary
        rc = rs[rs["metric"] == "cost_nok"].set_index("municipality_code")["value"]
        title = getattr(reference.scenario.title, lang, None) or reference.name
        head = (
            f"Kostnad mot referansen «{title}» (kr per år)"
            if lang == "nb"
            else f"Cost against the reference '{title}' (NOK a year)"
        )
        summ[head] = s["cost_nok"].to_numpy() - rc.reindex(s.index).to_numpy()
    add("Sammendrag" if lang == "nb" else "Summary", summ)

    # økonomiplan tables
    frame = (
        budget_rows
        if budget_rows is not None
        else budget.budget_frame(result, reference, lang=lang, service_labels=labels)
    )
    for code in [*codes, "region"]:
        wide = budget.budget_table(frame, code, lang)
        wide = wide.rename(
            columns={
                "group": _h("group", lang),
                "indicator": _h("indicator", lang),
                "unit": _h("row_unit", lang),
            }
        )
        wide.columns = [str(c) for c in wide.columns]
        add(("Økonomiplan " if lang == "nb" else "Budget ") + muni(code), wide)

    # workforce
    w = workforce.workforce_frame(result)
    w = w.assign(municipality_code=[muni(c) for c in w["municipality_code"]])
    add(
        "Arbeidskraft" if lang == "nb" else "Workforce",
        w.rename(
            columns={
                "municipality_code": _h("municipality", lang),
                **{k: _h(k, lang) for k in w.columns if k in _H},
            }
        ),
    )
    p = workforce.profession_fte(result)
    add(
        "Årsverk per yrke" if lang == "nb" else "FTE by profession",
        p.rename(columns={k: _h(k, lang) for k in p.columns if k in _H}),
    )

    # chart data
    pop = _central(result.population)
    age = pop["age"].to_numpy()
    group = pd.Series(pd.NA, index=pop.index, dtype=object)
    for label, lo, hi in AGE_GROUPS:
        group[(age >= lo) & (age <= hi)] = label
    pg = (
        pop.assign(age_group=group)
        .groupby(["municipality_code", "year", "age_group"], as_index=False, sort=False)[
            "population"
        ]
        .sum()
    )
    pg["municipality_code"] = [muni(c) for c in pg["municipality_code"]]
    add(
        "Befolkning" if lang == "nb" else "Population",
        pg.rename(
            columns={
                "municipality_code": _h("municipality", lang),
                "year": _h("year", lang),
                "age_group": _h("age_group", lang),
                "population": _h("persons", lang),
            }
        ),
    )
    # chart data: the model's long frames, central run, names and labels for codes
    for (nb_title, en_title), frame, columns in (
        (("Behov", "Demand"), result.demand, ("measure", "value")),
        (("Kapasitet", "Capacity"), result.capacity, ("measure", "value")),
        (("Årsverk", "FTE"), result.staff, ("profession", "fte")),
        (("Kostnader", "Costs"), result.costs, ("item", "nok")),
        (("Kostnadsfordeling", "Cost shares"), result.cost_shares, ("key", "share", "nok")),
    ):
        add(
            nb_title if lang == "nb" else en_title,
            _long_sheet(frame, columns, lang, muni, labels, price_year),
        )

    # assumptions and sources
    a = result.scenario.catalogue().assumptions_table()
    a = a[["parameter", "value", "unit", "status", "source", "year", "note"]].copy()
    a["value"] = pd.to_numeric(a["value"], errors="coerce")
    a["year"] = pd.to_numeric(a["year"], errors="coerce")
    a["unit"] = a["unit"].astype(str)
    add(
        "Forutsetninger" if lang == "nb" else "Assumptions",
        a.rename(
            columns={k: (_h("row_unit", lang) if k == "unit" else _h(k, lang)) for k in a.columns}
        ),
    )
    add("Kilder" if lang == "nb" else "Sources", _sources_sheet(result, reference, lang))
    return sheets


def _long_sheet(
    frame: pd.DataFrame,
    columns: tuple[str, ...],
    lang: str,
    muni: Any,
    labels: Mapping[str, str],
    price_year: Any,
) -> pd.DataFrame:
    """One of the model's long frames as a sheet: central run, municipality names (``muni``) for
    codes and for units named by a municipality's code, service, measure, item and cost-key labels
    in ``lang`` (no code keys), and headers with units
    for the keys (municipality, unit, year, service) and ``columns``. The FTE sheet keeps the
    'fte' measure of the staff frame only (its ``value`` becomes the 'fte' column)."""
    f = _central(frame).drop(columns=["price_year"], errors="ignore")
    if "fte" in columns and "measure" in f.columns:
        f = f[f["measure"] == "fte"].drop(columns="measure").rename(columns={"value": "fte"})
    out: dict[str, Any] = {"service": f["service"].map(lambda x: labels.get(x, x))}
    readable = {
        "measure": lambda v: measure_label(str(v), lang),
        "item": lambda v: item_label(str(v), lang),
        "key": lambda v: t(f"cost_key_{v}", lang) if f"cost_key_{v}" in STRINGS else str(v),
    }
    for column, label in readable.items():
        if column in f.columns:
            out[column] = [label(v) for v in f[column]]
    if "municipality_code" in f.columns:
        out["municipality_code"] = [muni(c) for c in f["municipality_code"]]
    if "unit" in f.columns:
        out["unit"] = [muni(u) for u in f["unit"]]
    heads = {
        "municipality_code": _h("municipality", lang),
        "unit": _h("unit", lang),
        "year": _h("year", lang),
        "service": _h("service", lang),
        **{c: _nok_header(lang, price_year) if c == "nok" else _h(c, lang) for c in columns},
    }
    return f.assign(**out).rename(columns=heads)


def _sources_sheet(result: Any, reference: Any | None, lang: str) -> pd.DataFrame:
    from planning import workforce
    from planning.data import sources

    s = sources()[["file", "title", "publisher", "table", "year", "licence"]].copy()
    s["year"] = s["year"].astype(str)
    nat = workforce.NATIONAL_CARE_FTE
    extra = [
        {
            "file": "planning/workforce.py",
            "title": (
                "Årsverk i omsorgstjenestene, Norge"
                if lang == "nb"
                else "FTE in the care services, Norway"
            )
            + f": {nat['value']:.0f}",
            "publisher": nat["publisher"],
            "table": nat["source"],
            "year": str(nat["year"]),
            "licence": nat["licence"],
        }
    ]
    p = result.provenance
    about = [
        ("Scenario", result.name),
        ("Referanse" if lang == "nb" else "Reference", getattr(reference, "name", "")),
        ("Pakkeversjon" if lang == "nb" else "Package version", p.get("package_version")),
        ("Dataversjon" if lang == "nb" else "Data version", p.get("data_version")),
        ("Simuleringer" if lang == "nb" else "Runs", p.get("runs")),
        ("Seed", p.get("seed")),
        ("Prisår" if lang == "nb" else "Price year", p.get("price_year")),
        ("Laget" if lang == "nb" else "Generated", p.get("timestamp")),
        (
            "Merk" if lang == "nb" else "Note",
            "Tall fra hovedløpet (run 0). Verdier med status 'assumption' har ingen kilde (se arket Forutsetninger)."
            if lang == "nb"
            else "Figures of the central run (run 0). Values with status 'assumption' have no source (see the Assumptions sheet).",
        ),
    ]
    rows = pd.concat([s, pd.DataFrame(extra)], ignore_index=True)
    rows = rows.rename(columns={k: _h(k, lang) for k in rows.columns})
    meta = pd.DataFrame(
        {
            rows.columns[0]: [k for k, _ in about],
            rows.columns[1]: ["" if v is None else str(v) for _, v in about],
        }
    )
    return pd.concat([rows, pd.DataFrame({rows.columns[0]: [""]}), meta], ignore_index=True)


def workbook_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """The sheets as an .xlsx file (bytes): header row bold and frozen, columns sized to their
    content, numbers as numbers (NaN as empty cells). Written with XlsxWriter, which streams a
    report's 16 sheets (about 50 000 cells) in a fraction of a second; openpyxl without lxml took
    several seconds."""
    import xlsxwriter

    if not sheets:
        raise InputError("no sheets to write", key="sheets")
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf, {"in_memory": True, "nan_inf_to_errors": False, "strings_to_numbers": False}
    )
    bold = wb.add_format({"bold": True})
    used: set[str] = set()
    for name, frame in sheets.items():
        ws = wb.add_worksheet(sheet_name(name, used))
        ws.freeze_panes(1, 0)
        for j, col in enumerate(frame.columns):
            values = frame.iloc[:, j].tolist()
            sample = [str(col)] + [str(v) for v in values[:200]]
            ws.set_column(j, j, min(60, max(8, max(map(len, sample)) + 2)))
            ws.write_string(0, j, str(col), bold)
            column = frame.iloc[:, j]
            if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
                numbers = column.to_numpy(dtype=float, na_value=np.nan)
                write = ws.write_number
                for i in np.flatnonzero(np.isfinite(numbers)).tolist():
                    write(i + 1, j, numbers[i])
            else:
                for i, v in enumerate(values, start=1):
                    _write_cell(ws, i, j, v)
    wb.close()
    return buf.getvalue()


def _write_cell(ws: Any, row: int, col: int, v: Any) -> None:
    """One cell: numbers stay numbers (NaN, None and NA become empty cells), text stays text."""
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return
    if isinstance(v, bool | np.bool_):
        ws.write_boolean(row, col, bool(v))
    elif isinstance(v, int | float | np.integer | np.floating):
        ws.write_number(row, col, float(v))
    else:
        ws.write_string(row, col, str(v))


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write the sheets to ``path`` (.xlsx) atomically: nothing is left half-written when the
    disk is full or the folder is missing. Raises InputError naming the file on failure."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InputError(
            f"{path}: the spreadsheet file must end in .xlsx", key="--xlsx", allowed="FILE.xlsx"
        )
    if not path.parent.is_dir():
        raise InputError(f"{path}: folder {path.parent} does not exist", key="--xlsx")
    payload = workbook_bytes(sheets)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(
            f"{path}: could not write the spreadsheet ({e.strerror or e})", key="--xlsx"
        ) from None
    return path


def download_link(payload: bytes, filename: str, label: str) -> str:
    """An HTML link that saves ``payload`` (an .xlsx) as ``filename``: the file is inside the
    link (base64 ``data:`` URL), so it works offline and when the report is mailed."""
    b64 = base64.b64encode(payload).decode("ascii")
    return (
        f'<p><a class="vp-download" download="{html.escape(filename)}" '
        f'href="data:{XLSX_MIME};base64,{b64}">{html.escape(label)}</a> '
        f"<small>({len(payload) / 1e3:,.0f} kB)</small></p>"
    )


def report_download(
    result: Any,
    reference: Any | None = None,
    lang: str = "nb",
    names: Mapping[str, str] | None = None,
    service_labels: Mapping[str, str] | None = None,
    budget_rows: pd.DataFrame | None = None,
) -> str:
    """The report's download link: every table and chart's data of the report as one .xlsx
    (``budget_rows``: the report's økonomiplan frame, see :func:`report_sheets`)."""
    sheets = report_sheets(result, reference, lang, names, service_labels, budget_rows)
    label = (
        f"Last ned alle tallene i rapporten som regneark (Excel, {len(sheets)} ark)"
        if lang == "nb"
        else f"Download every number of the report as a spreadsheet (Excel, {len(sheets)} sheets)"
    )
    return download_link(workbook_bytes(sheets), f"{result.name}.xlsx", label)


def default_reference() -> str:
    """The scenario a change is measured against: the default ``reference`` of
    :func:`planning.scenarios.compare` (``today``), so reports, exports and comparisons agree."""
    import inspect

    from planning.scenarios import compare

    return str(inspect.signature(compare).parameters["reference"].default)
