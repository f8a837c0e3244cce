"""Text of the report notebook (pure: results in, HTML / Markdown out): assumptions and their
sources, the organisation of today, how far the numbers can be trusted (population and demand
backtests), what the report is, service labels and what the costs include.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from planning.i18n import check_language, fmt_number, fmt_signed, t
from planning.reports.cache import cached
from planning.reports.tables import html_table, service_labels


def assumptions_frame(result: Any, lang: str = "nb") -> Any:
    """Every parameter of the scenario's catalogue with value, unit, source, year and status
    (translated), plus the levers the scenario file sets itself (status 'set by the scenario')."""
    import pandas as pd

    from planning.i18n import status_label

    scn = result.scenario
    table = scn.catalogue().assumptions_table()
    set_levers = {k: v for k, v in scn.levers.model_dump().items() if v is not None}
    rows = table.copy()
    for name, value in set_levers.items():
        path = f"levers.{name}"
        hit = rows["parameter"] == path
        src = f"{'scenariofil' if lang == 'nb' else 'scenario file'} {Path(scn.file).name if scn.file else scn.name}"
        if hit.any():
            rows.loc[hit, ["value", "source", "status", "year"]] = [value, src, "scenario", None]
        else:
            rows = pd.concat(
                [
                    rows,
                    pd.DataFrame(
                        [
                            {
                                "parameter": path,
                                "value": value,
                                "unit": "",
                                "source": src,
                                "year": None,
                                "status": "scenario",
                                "note": "",
                            }
                        ]
                    ),
                ],
                ignore_index=True,
            )
    rows["year"] = [("" if y is None or y != y else str(int(y))) for y in rows["year"]]
    rows["value"] = [
        _param_value(v, unit, lang)
        for v, unit in zip(rows["value"].astype(float), rows["unit"], strict=True)
    ]
    rows["status_label"] = [status_label(s, lang) for s in rows["status"]]
    if lang == "nb":  # the catalogue's units, sources and notes are English (for developers)
        from planning.parameter_text import text_nb

        for col in ("unit", "source", "note"):
            rows[col] = [text_nb(x) for x in rows[col]]
    return rows


def _param_value(v: float, unit: str, lang: str) -> str:
    """A parameter value for the table: years without separators, up to 4 decimals otherwise."""
    if float(v).is_integer():
        return str(int(v)) if str(unit).strip() in ("year", "år") else fmt_number(v, lang)
    text = fmt_number(v, lang, 4)
    return text.rstrip("0").rstrip(",.")


def assumptions_html(result: Any, lang: str = "nb") -> str:
    """The assumptions table as HTML; rows whose value is an assumption are highlighted."""
    rows = assumptions_frame(result, lang)
    counts = rows["status"].value_counts()
    head = t(
        "counts_by_status",
        lang,
        n=len(rows),
        seen=int(counts.get("seen", 0)),
        derived=int(counts.get("derived", 0)),
        assumption=int(counts.get("assumption", 0)),
    )
    cols = ["parameter", "value", "unit", "status_label", "source", "year", "note"]
    labels = {
        "parameter": t("parameter", lang),
        "value": t("value", lang),
        "unit": t("unit", lang),
        "status_label": t("status", lang),
        "source": t("source", lang),
        "year": t("year", lang),
        "note": t("note", lang),
    }
    return f"<p>{html.escape(head)}</p>" + html_table(
        rows[cols],
        labels,
        highlight=(rows["status"] == "assumption").to_numpy(),
        numeric=("value", "year"),
        status_column="status_label",
    )


def organisation_html(result: Any, lang: str = "nb", names: Mapping[str, str] | None = None) -> str:
    """The scenario's shared units as HTML: name, service (readable label), host, members, cost
    key, source and note. A unit of today's organisation shows its source; a unit the scenario
    proposes says so."""
    import pandas as pd

    units = result.scenario.organisation.units
    if not units:
        return f"<p>{html.escape(t('no_shared_units', lang))}</p>"
    n = names or {}
    labels_ = service_labels(result.scenario.catalogue())
    df = pd.DataFrame(
        [
            {
                "name": u.name,
                "service": labels_.get(u.service, u.service),
                "host": n.get(u.host, u.host),
                "members": ", ".join(n.get(m, m) for m in u.members),
                "cost_key": t(f"cost_key_{u.cost_key}", lang)
                + (f" ({u.fixed_share:.0%})" if u.fixed_share is not None else ""),
                "source": u.source or t("proposal", lang),
                "note": u.note or "",
            }
            for u in units
        ]
    )
    labels = {
        "name": t("unit", lang),
        "service": t("service", lang),
        "host": t("host", lang),
        "members": t("members", lang),
        "cost_key": t("cost_key", lang),
        "source": t("sources_of_unit", lang),
        "note": t("note", lang),
    }
    return html_table(df, labels)


def sources_html(lang: str = "nb") -> str:
    """The data files of the snapshot with publisher, table, year and licence (HTML), in bokmål
    for ``lang='nb'`` (the manifest's ``nb`` texts)."""
    from planning.data import sources

    s = sources(lang)[["file", "title", "publisher", "table", "year", "licence"]]
    labels = {k: t(k, lang) for k in ("file", "title", "publisher", "table", "year", "licence")}
    return html_table(s, labels)


def trust_markdown(
    codes: Sequence[str], lang: str = "nb", names: Mapping[str, str] | None = None
) -> str:
    """How far the projection method has missed before (Markdown): ten-year backtests of the
    default method for ``codes`` from the two latest base years that allow them (2011 and 2016
    on the shipped data), MAPE of the total and of 80+, and the largest miss. Empty when the data
    are too short for a ten-year backtest."""
    from planning import backtest, data
    from planning.i18n import fmt_percent

    check_language(lang)
    names = names or {}
    first, last = data.population_years()
    windows = [(e - 10, e) for e in (last - 5, last) if e - 10 >= first + 2]
    if not windows:
        return ""
    res = cached(
        "population-backtest",
        {"codes": list(codes), "windows": windows},
        lambda: [
            backtest.backtest(codes, b, e, methods=("cohort-component",), groups=("total", "80+"))
            for b, e in windows
        ],
    )
    summary = [backtest.summarise(r).set_index("age_group")["mape"] for r in res]
    joint = f" {t('and', lang)} "

    def both(group: str) -> str:
        return joint.join(fmt_percent(s[group] / 100, lang) for s in summary)

    tot = [r[r["age_group"] == "total"] for r in res]
    worst = max((row for frame in tot for row in frame.itertuples()), key=lambda row: abs(row.pe))
    worst_text = (
        f"{names.get(worst.municipality_code, worst.municipality_code)} "
        f"{fmt_signed(worst.pe, lang, 1)}{chr(0xA0) if lang == 'nb' else ''}% "
        f"({worst.base_year}–{worst.end_year})"
    )
    return t(
        "trust_text",
        lang,
        bases=joint.join(str(b) for b, _ in windows),
        total=both("total"),
        old=both("80+"),
        n=len(codes),
        worst=worst_text,
    )


DEMAND_BACKTEST_YEARS = 9  # years from base to end in the demand backtests (2012→2021, 2016→2025)


def demand_backtest_windows() -> list[tuple[int, int]]:
    """(base, end) of the two demand backtests on the shipped data: nine years each, ending in
    the latest KOSTRA year and four years before it (2012→2021 and 2016→2025)."""
    from planning import data

    first, last = data.kostra_years()
    h = DEMAND_BACKTEST_YEARS
    return [(e - h, e) for e in (last - 4, last) if e - h >= first + 2]


def demand_trust_markdown(
    codes: Sequence[str], lang: str = "nb", names: Mapping[str, str] | None = None
) -> str:
    """How far the demand model has missed before (Markdown), computed live for ``codes``:
    demand backtests (:func:`planning.backtest.demand_backtest`, population projected from the
    base year) from the bases of :func:`demand_backtest_windows`; MAPE of home-service users and
    of heldøgn in total for the default model and the constant-rate reference, and the largest
    miss with its service. Empty when the data are too short."""
    import pandas as pd

    from planning import backtest
    from planning.i18n import fmt_percent

    check_language(lang)
    names = names or {}
    windows = demand_backtest_windows()
    if not windows:
        return ""
    res = cached(
        "demand-backtest",
        {"codes": list(codes), "windows": windows},
        lambda: [
            backtest.demand_backtest(list(codes), b, e, population="projected") for b, e in windows
        ],
    )
    summary = [backtest.summarise_demand(r).set_index(["service", "method"]) for r in res]
    joint = f" {t('and', lang)} "

    def both(service: str, method: str) -> str:
        return joint.join(
            fmt_percent(s.loc[(service, method), "mape"] / 100, lang)
            if (service, method) in s.index
            else "–"
            for s in summary
        )

    rows = pd.concat(res, ignore_index=True)
    rows = rows[rows["service"].isin(["hjemmetjenester", "heldogn"]) & rows["pe"].notna()]
    worst = rows.loc[rows["pe"].abs().idxmax()] if len(rows) else None
    worst_text = (
        ""
        if worst is None
        else (
            f"{names.get(worst.municipality_code, worst.municipality_code)}, "
            f"{t('service_' + worst.service, lang)} {fmt_signed(worst.pe, lang, 0)}"
            f"{chr(0xA0) if lang == 'nb' else ''}% ({worst.base_year}–{worst.end_year})"
        )
    )
    return t(
        "demand_trust_text",
        lang,
        bases=joint.join(str(b) for b, _ in windows),
        n=len(codes),
        years=DEMAND_BACKTEST_YEARS,
        home=both("hjemmetjenester", "model"),
        home_ref=both("hjemmetjenester", "constant-rate"),
        held=both("heldogn", "model"),
        held_ref=both("heldogn", "constant-rate"),
        worst=worst_text,
    )


def about_markdown(result: Any, lang: str = "nb") -> str:
    """Provenance line: scenario file, package and data version, runs, seed and date."""
    p = result.provenance
    date = str(p.get("timestamp", ""))[:10]
    files = ", ".join(Path(f).name for f in p.get("lineage", []) or [])
    if lang == "nb":
        return (
            f"Scenario «{result.scenario.title.nb}» (scenariofiler: {files}); {t('package_version', lang).lower()} vaernes-planning {p.get('package_version')}; "
            f"{t('data_version', lang).lower()} {p.get('data_version')}; {p.get('runs')} simuleringer, seed {p.get('seed')}; "
            f"laget {date}. Kostnader i faste {p.get('price_year')}-kroner. Tall merket *antatt* har ingen kilde og er forutsetninger; "
            "reisetider merket *estimert* er beregnet fra koordinater."
        )
    return (
        f"Scenario '{result.scenario.title.en}' (scenario files: {files}); package version vaernes-planning {p.get('package_version')}; "
        f"data version {p.get('data_version')}; {p.get('runs')} runs, seed {p.get('seed')}; generated {date}. "
        f"Costs in constant {p.get('price_year')} NOK. Values marked *assumption* have no source; travel times "
        "marked *estimated* are computed from coordinates."
    )


def cost_scope_markdown(result: Any, lang: str = "nb") -> str:
    """What the costs include and the price basis: staff, travel and overliggedøgn only; pay in
    constant prices of the catalogue year with the scenario's real pay growth and its sourced
    range (``data/ranges.yaml``: prices.real_pay_growth)."""
    from planning.uncertainty import bounds, load_ranges

    g = float(result.scenario.prices.real_pay_growth.value)
    lo, hi = bounds("prices.real_pay_growth", load_ranges())
    year = result.provenance.get("price_year")

    def pct(x: float) -> str:
        return f"{100 * x:.1f}".replace(".", "," if lang == "nb" else ".")

    if lang == "nb":
        return (
            "**Hva kostnadene omfatter.** Bare lønn til ansatte (med pensjon og "
            "arbeidsgiveravgift), reisekostnader for ansatte og overliggedøgn for utskrivningsklare "
            "pasienter, og for felles enheter det å dele: ledelse, administrasjon, IT-avgift til "
            "vertskommunen, samordning og etablering (antakelser med spenn). Bygg, investeringer, "
            "medisiner og utstyr er ikke med. "
            f"Lønn i faste {year}-kroner med reallønnsvekst {pct(g)} % per år i dette scenariet "
            f"(standard 0 %: faste priser). Spennet {pct(lo)}-{pct(hi)} % per år: SSB fant nesten "
            "ingen reallønnsvekst 2015-2023 og venter om lag 1,5 % per år 2024-2027 "
            "(Konjunkturtendensene, mars 2024); virkningen står under «Hva betyr mest»."
        )
    return (
        "**What the costs include.** Staff pay only (with pension and employer's contribution), "
        "staff travel and overliggedøgn for patients ready for discharge, and for shared units "
        "what sharing costs: leadership, administration, IT fees to the host, coordination and "
        "setting up (assumptions with ranges). Buildings, investment, medicines and equipment are "
        "not included. "
        f"Pay in constant {year} NOK with real pay growth of {pct(g)} % a year in this scenario "
        f"(default 0 %: constant prices). Range {pct(lo)}-{pct(hi)} % a year: SSB found almost no "
        "real wage growth 2015-2023 and expects about 1.5 % a year 2024-2027 "
        "(Konjunkturtendensene, March 2024); its effect is under 'What matters most'."
    )
