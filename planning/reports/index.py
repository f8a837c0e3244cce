"""The index page of a report folder: ``index.html`` with the headline figures of every scenario
(grouped by region, against today first) and a link to each report; ``index.json`` keeps the
entries of earlier runs (:func:`merge_index`).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from planning import __version__
from planning.i18n import check_language, fmt_number, fmt_signed, t
from planning.io import write_atomic
from planning.reports.notebook import _json_default
from planning.reports.render import ReportResult


def merge_index(out: str | Path, results: Sequence[ReportResult]) -> list[ReportResult]:
    """This run's ``results`` merged into the entries of ``<out>/index.json`` from earlier runs:
    a scenario rendered now replaces its old entry (same place in the list); earlier entries whose
    report or partial notebook is still in the folder are kept; new scenarios are appended."""
    now = {r.scenario: r for r in results}
    merged: list[ReportResult] = []
    try:
        old = json.loads((Path(out) / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = []
    names = {f.name for f in ReportResult.__dataclass_fields__.values()}
    for entry in old if isinstance(old, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("scenario"), str):
            continue
        name = entry["scenario"]
        if name in now:
            merged.append(now.pop(name))
            continue
        try:
            r = ReportResult(**{k: v for k, v in entry.items() if k in names})
        except TypeError:
            continue
        kept = (r.html and (Path(out) / r.html).is_file()) or (
            r.notebook and (Path(out) / r.notebook).is_file()
        )
        if kept and all(x.scenario != name for x in merged):
            merged.append(r)
    merged += [r for r in results if r.scenario in now]
    return merged


# ---- index page --------------------------------------------------------------------------------
def _figures(h: Mapping[str, Any] | None) -> dict[str, Any]:
    """Normalise a headline dict to beds, fte, cost_total (NOK) and cost_by_municipality
    ({code: NOK}), and the same for its differences against today (``vs_reference``) and
    against alone (``vs_alone``) when the report computed them; missing entries are None."""
    h = dict(h or {})

    def norm(d: Mapping[str, Any]) -> dict[str, Any]:
        by_muni = d.get("cost_nok_by_municipality") or d.get("cost_by_municipality") or {}
        return {
            "beds": d.get("beds"),
            "fte": d.get("fte"),
            "cost_total": d.get("cost_nok", d.get("cost_total")),
            "cost_by_municipality": {str(k): v for k, v in dict(by_muni).items()},
        }

    out = norm(h)
    out.update(
        {
            "region": h.get("region"),
            "region_label": h.get("region_label"),
            "municipalities": list(h.get("municipalities") or []),
            "year": h.get("year"),
            "title": h.get("title"),
            "price_year": h.get("price_year"),
            "reference_title": h.get("reference_title"),
            "alone_title": h.get("alone_title"),
        }
    )
    for key in ("vs_reference", "vs_alone"):
        out[key] = norm(h[key]) if isinstance(h.get(key), Mapping) else None
    return out


def _region_groups(
    results: Sequence[ReportResult], figs: Mapping[str, dict[str, Any]]
) -> list[tuple[str, list[ReportResult]]]:
    """Reports grouped by region, in the order each region first appears: the headline's
    ``region_label``, else the shipped scenario's own region, else one unnamed group."""
    groups: dict[str, list[ReportResult]] = {}
    for r in results:
        label = figs[r.scenario].get("region_label") or ""
        if not label:
            try:
                from planning import data, scenarios

                scn = scenarios.load_scenario(r.scenario)
                label = data.region_label(scn.region) if scn.region else ""
            except Exception:  # a failed or unknown report still gets a row
                label = ""
        groups.setdefault(label, []).append(r)

    # each region's today first (today, ks_today, ...), the rest in the order given
    def today_first(r: ReportResult) -> int:
        name = r.scenario.split("-")[0]
        return 0 if name == "today" or name.endswith("_today") else 1

    return [(label, sorted(rs, key=today_first)) for label, rs in groups.items()]


def _municipality_order(results: Sequence[ReportResult]) -> dict[str, int]:
    """Municipality codes in the order the reports list them (a region's own order)."""
    order: dict[str, int] = {}
    for r in results:
        for c in (r.headline or {}).get("municipalities") or []:
            order.setdefault(str(c), len(order))
    return order


def _num(x: Any) -> float | None:
    try:
        return None if x is None else float(x)
    except (TypeError, ValueError):
        return None


def _cell(value: Any, diffs: Sequence[Any], lang: str, kind: str, labels: bool = True) -> str:
    """A number with its differences under it (against today first, then against alone); NOK
    in millions without the unit (the column header and the note above the table give it), so
    that a region's table fits the page. Without ``labels`` the differences carry their label
    only as a tooltip (the first column of figures and the text above the table name them)."""
    v = _num(value)
    fmt = (
        (lambda x: fmt_number(x / 1e6, lang, 1))
        if kind == "nok"
        else (lambda x: fmt_number(x, lang, 1 if kind == "fte" else 0))
    )
    main = html.escape(fmt(v)) if v is not None else "–"
    lines = []
    for d, label in zip(diffs, ("vs_reference", "vs_alone"), strict=False):
        d = _num(d)
        if v is None or d is None:
            continue
        if kind == "nok":
            text = fmt_signed(d / 1e6, lang, 1)
        else:
            text = fmt_signed(d, lang, 1 if kind == "fte" else 0)
        name = html.escape(t(label, lang))
        shown = f"{html.escape(text)} {name}" if labels else html.escape(text)
        lines.append(f"<br><span class='diff {label}' title='{name}'>{shown}</span>")
    return f"<td class='num'>{main}{''.join(lines)}</td>"


def write_index(
    results: Sequence[ReportResult],
    out_dir: str | Path,
    *,
    lang: str = "nb",
    reference: str = "today",
    alone: str = "alone",
    names: Mapping[str, str] | None = None,
) -> Path:
    """Write ``<out_dir>/index.html``: one row per scenario with status, beds, FTE, yearly cost in
    total and per municipality, each with its change against today (``reference``) and then
    against each municipality alone (``alone``), and a link to the report (or to the partial
    notebook of a failed run). The differences come from each report's headline; for a report
    without them, from the figures of the ``reference``/``alone`` rows when those rendered.
    Plain HTML, no scripts."""
    check_language(lang)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if names is None:
        try:
            from planning.data import municipality_names

            names = municipality_names()
        except Exception:  # the index must still be written when data cannot be read
            names = {}
    figs = {r.scenario: _figures(r.headline) for r in results}
    ok = {r.scenario for r in results if r.status == "ok"}

    def diff(
        f: dict[str, Any], key: str, which: str, code: str | None = None, group_ref: str = reference
    ) -> Any:
        """Difference of figure ``which`` (municipality ``code``) against today/alone."""
        vs = f.get(key)
        if vs is None:
            other = group_ref if key == "vs_reference" else alone
            if other not in ok or other not in figs or figs[other] is f:
                return None
            o, v = figs[other], f
            a = v["cost_by_municipality"].get(code) if code else v[which]
            b = o["cost_by_municipality"].get(code) if code else o[which]
            return None if a is None or b is None else float(a) - float(b)
        return vs["cost_by_municipality"].get(code) if code else vs.get(which)

    def table(group: Sequence[ReportResult], table_id: str) -> tuple[str, list[str]]:
        """One table of the reports of one region, and its municipality codes."""
        gfigs = [figs[r.scenario] for r in group]
        codes = sorted(
            {c for f in gfigs for c in f["cost_by_municipality"] if c != "region"},
            key=lambda c: (order.get(c, len(order)), c),
        )
        # the group's own today (e.g. ks_today) stands in for `reference` in the fallback
        names_in = [r.scenario for r in group]
        group_ref = next(
            (n for n in names_in if n == reference),
            next((n for n in names_in if n.endswith(f"_{reference}")), reference),
        )
        head = (
            f"<th>{t('scenario', lang)}</th><th>{t('status', lang)}</th><th>{t('beds', lang)}</th>"
            f"<th>{t('fte', lang)}</th><th>{t('total_cost', lang)}, {t('mill_nok', lang)}</th>"
            + "".join(f"<th>{html.escape(names.get(c, c))}</th>" for c in codes)
            + f"<th>{t('render_time', lang)}</th>"
        )
        rows = []
        for r in group:
            f = figs[r.scenario]
            title = html.escape(str(f["title"] or r.scenario))
            if r.status == "ok" and r.html:
                link = f"<a href='{html.escape(r.html)}'>{title}</a>"
                status = f"<span class='ok'>{t('ok', lang)}</span>"
            else:
                link = title
                nb_link = (
                    f"<br><a href='{html.escape(r.notebook)}'>{t('partial_notebook', lang)}</a>"
                    if r.notebook
                    else ""
                )
                status = f"<span class='failed'>{t('failed', lang)}</span><br><small>{html.escape(r.error or '')}</small>{nb_link}"

            def cell(
                which: str, kind: str, code: str | None = None, f: dict = f, labels: bool = False
            ) -> str:
                value = f["cost_by_municipality"].get(code) if code else f[which]
                d = [diff(f, k, which, code, group_ref) for k in ("vs_reference", "vs_alone")]
                return _cell(value, d, lang, kind, labels)

            # the first column of figures names the two differences; the others show the numbers
            cells = [
                cell("beds", "num", labels=True),
                cell("fte", "fte"),
                cell("cost_total", "nok"),
            ]
            cells += [cell("cost_total", "nok", c) for c in codes]
            rows.append(
                f"<tr class='row-{html.escape(r.status)}'><td>{link}</td><td>{status}</td>{''.join(cells)}"
                f"<td class='num'>{fmt_number(r.seconds, lang, 1)}&nbsp;{t('seconds', lang)}</td></tr>"
            )
        body = (
            "\n".join(rows) if rows else f"<tr><td colspan='5'>{t('no_scenarios', lang)}</td></tr>"
        )
        return (  # in a box that scrolls sideways (visibly) when the page is narrower
            f'<div class="table-scroll" role="region" tabindex="0" aria-label="{t("scenario", lang)}">'
            f'<table id="{table_id}" class="scenarios">\n<thead><tr>{head}</tr></thead>\n'
            f"<tbody>\n{body}\n</tbody>\n</table></div>",
            codes,
        )

    order = _municipality_order(results)
    groups = _region_groups(results, figs)
    sections = []
    for i, (label, group) in enumerate(groups):
        table_html, codes = table(group, "scenarios" if i == 0 else f"scenarios-{i + 1}")
        heading = (
            f"<h2 class='region'>{html.escape(label)}</h2>\n" if len(groups) > 1 or label else ""
        )
        muni = (
            f"<p class='municipalities'>{html.escape(t('cost_per_municipality', lang))}: "
            f"{html.escape(', '.join(names.get(c, c) for c in codes))}.</p>\n"
        )
        sections.append(f"<section class='region'>\n{heading}{muni}{table_html}\n</section>")
    if not sections:
        sections.append(table([], "scenarios")[0])
    years = sorted({str(f["year"]) for f in figs.values() if f["year"] is not None})
    ref_title = next(
        (f["reference_title"] for f in figs.values() if f.get("reference_title")),
        (figs.get(reference) or {}).get("title") or t("reference", lang),
    )
    alone_title = next(
        (f["alone_title"] for f in figs.values() if f.get("alone_title")),
        (figs.get(alone) or {}).get("title") or alone,
    )
    try:
        from planning.data import data_version

        dv = data_version()
    except Exception:
        dv = "?"
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    horizon = f"{t('horizon', lang)}: {', '.join(years)}. " if years else ""
    price_years = sorted({str(f["price_year"]) for f in figs.values() if f.get("price_year")})
    if price_years:
        horizon += t("index_units", lang, year=", ".join(price_years)) + " "
    intro = t("index_intro", lang, reference=ref_title, alone=alone_title)
    page = f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(t("index_title", lang))}</title>
<style>
body {{ font-family: "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem auto; max-width: 1400px; padding: 0 1rem; color: #222; }}
.table-scroll {{ overflow-x: auto; max-width: 100%; border: 1px solid #e3e6ea; scrollbar-width: auto; }}
.table-scroll::-webkit-scrollbar {{ height: 12px; }}
.table-scroll::-webkit-scrollbar-thumb {{ background: #9aa4b1; border-radius: 6px; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.85rem; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 0.35rem 0.4rem; vertical-align: top; text-align: left; }}
th:first-child, td:first-child {{ position: sticky; left: 0; background: #fff; min-width: 8rem; }}
th:first-child {{ background: #f3f5f8; }}
th {{ background: #f3f5f8; }}
td.num {{ text-align: right; white-space: nowrap; }}
.diff {{ color: #555; font-size: 0.8rem; }}
.diff.vs_reference {{ color: #222; font-weight: 600; }}
.ok {{ color: #1a7f37; }}
.failed {{ color: #b42318; font-weight: 600; }}
tr.row-failed {{ background: #fff5f5; }}
footer {{ margin-top: 2rem; color: #555; font-size: 0.85rem; }}
</style>
</head>
<body>
<h1>{html.escape(t("index_title", lang))}</h1>
<p>{html.escape(intro)} {html.escape(horizon)}</p>
{chr(10).join(sections)}
<footer>{t("generated", lang)} {now} · {t("package_version", lang)} vaernes-planning {html.escape(__version__)} · {t("data_version", lang)} {html.escape(dv)}</footer>
</body>
</html>
"""
    path = write_atomic(out / "index.html", page, root=out)
    write_atomic(
        out / "index.json",
        json.dumps([asdict(r) for r in results], indent=1, default=_json_default),
        root=out,
    )
    return path


def summarise(results: Iterable[ReportResult]) -> tuple[int, int]:
    """(number ok, number failed)."""
    rs = list(results)
    ok = sum(r.status == "ok" for r in rs)
    return ok, len(rs) - ok
