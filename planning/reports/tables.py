"""Tables of the report notebook (pure: results in, frames / HTML / Markdown out): bed pooling,
the headline and per-municipality tables, today's check against KOSTRA, bed units, the
økonomiplan tables and workforce text, refusals and travel to shared units.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from planning.errors import InputError
from planning.i18n import check_language, fmt_nok, fmt_number, fmt_signed, t

# ----------------------------------------------------------------------------------------------
# building blocks of the report notebook (pure: results in, frames / HTML / Markdown out)
# ----------------------------------------------------------------------------------------------
BED_SERVICES: tuple[str, ...] = ("kad", "intermediaer")
DAYS_PER_YEAR = 365.0  # offered load = bed-days per year / 365 (as in planning.capacity)


def pooling_beds(
    service: str, loads: Any, max_refusal: float, catalogue: Any = None
) -> tuple[Any, int, list[dict[str, Any]]]:
    """Beds of one bed service when each municipality plans alone against one pooled unit for
    all of them, from the offered loads (Erlangs, one per municipality, in the order of the
    codes; bed-days a year / 365): (beds of each municipality alone (int array), pooled beds,
    the rows 'separate' then 'pooled' of :func:`bed_pooling`'s beds frame: service,
    arrangement, beds, offered_load). Alone: the fewest beds with Erlang-B refusal <=
    ``max_refusal``, or :func:`planning.capacity.beds_alone` where the catalogue's entry sets
    ``alone_occupancy``; pooled: one unit for the summed load at ``max_refusal``. The one rule
    of the report's table and the explorer's chart."""
    import numpy as np

    from planning.capacity import beds_alone, beds_for_blocking

    loads = np.asarray(loads, dtype=float)
    pooled_load = float(loads.sum())
    spec = getattr(catalogue, service, None) if catalogue is not None else None
    alone_occupancy = getattr(spec, "alone_occupancy", None)
    if alone_occupancy is not None:
        sep_beds = np.asarray(beds_alone(loads, alone_occupancy.value))
    else:
        sep_beds = np.asarray(beds_for_blocking(loads, max_refusal))
    pooled_beds = int(beds_for_blocking(pooled_load, max_refusal))
    rows = [
        {"service": service, "arrangement": arr, "beds": float(b), "offered_load": pooled_load}
        for arr, b in (("separate", sep_beds.sum()), ("pooled", pooled_beds))
    ]
    return sep_beds, pooled_beds, rows


def bed_pooling(
    demand: Any,
    municipalities: Sequence[str],
    year: int,
    max_refusal: float,
    services: Sequence[str] = BED_SERVICES,
    names: Mapping[str, str] | None = None,
    catalogue: Any = None,
) -> tuple[Any, Any]:
    """Beds when each municipality plans alone against one pooled unit for all of them.

    Offered load per municipality = bed-days in ``year`` (central run) / 365. Separate: each
    municipality gets the fewest beds with Erlang-B refusal <= ``max_refusal``, or, for a
    service whose catalogue entry (``catalogue``, a ServiceCatalogue) sets ``alone_occupancy``,
    the beds a small municipality runs alone inside its sykehjem
    (:func:`planning.capacity.beds_alone`, as the capacity model sizes them); pooled: one unit
    for the summed load at ``max_refusal``. Returns (curves: unit, service, arrangement, beds, refusal_probability;
    beds: service, arrangement, beds, offered_load)."""
    import numpy as np
    import pandas as pd

    from planning.capacity import erlang_b

    d = demand[
        (demand["year"] == year)
        & (demand["measure"] == "bed_days")
        & demand["service"].isin(list(services))
    ]
    if "run" in d.columns:
        d = d[d["run"] == 0]
    d = d[d["municipality_code"].isin(list(municipalities))]
    if d.empty:
        raise InputError(
            f"no bed_days demand for {list(services)} in {year}",
            key="demand",
            allowed="a demand frame from planning.scenarios.run",
        )
    curves, beds = [], []
    for service, g in d.groupby("service", sort=False):
        loads = g.groupby("municipality_code")["value"].sum() / DAYS_PER_YEAR
        sep_beds, pooled_beds, rows = pooling_beds(
            str(service), loads.to_numpy(), max_refusal, catalogue
        )
        pooled_load = rows[0]["offered_load"]
        beds += [{**r, "service": service} for r in rows]
        top = int(max(pooled_beds, sep_beds.max(initial=0)) * 1.5) + 2
        c = np.arange(0, top + 1)
        for code, load in loads.items():
            curves.append(
                pd.DataFrame(
                    {
                        "unit": (names or {}).get(code, code),
                        "service": service,
                        "arrangement": "separate",
                        "beds": c,
                        "refusal_probability": erlang_b(c, float(load)),
                    }
                )
            )
        curves.append(
            pd.DataFrame(
                {
                    "unit": "region",
                    "service": service,
                    "arrangement": "pooled",
                    "beds": c,
                    "refusal_probability": erlang_b(c, pooled_load),
                }
            )
        )
    return pd.concat(curves, ignore_index=True), pd.DataFrame(beds)


def service_labels(catalogue: Any) -> dict[str, str]:
    """Readable service names from the catalogue entries' ``label`` (Norwegian, as the services
    are Norwegian): :meth:`planning.parameters.ServiceCatalogue.labels`, so a service added to
    ``data/services.yaml`` is labelled without a code change."""
    return catalogue.labels("nb")


def html_table(
    df: Any,
    labels: Mapping[str, str] | None = None,
    highlight: Any = None,
    css_class: str = "vp-table",
    numeric: Sequence[str] = (),
    status_column: str | None = None,
) -> str:
    """A frame as an escaped HTML table; rows where ``highlight`` (bool array) is true get the
    class ``vp-assumption``; ``numeric`` columns are right-aligned (class ``num``) and
    ``status_column`` cells get the class ``vp-status``."""
    cols = list(df.columns)
    head = "".join(f"<th>{html.escape(str((labels or {}).get(c, c)))}</th>" for c in cols)
    flags = list(highlight) if highlight is not None else [False] * len(df)
    classes = [
        " class='num'" if c in numeric else (" class='vp-status'" if c == status_column else "")
        for c in cols
    ]
    rows = []
    for flag, row in zip(flags, df.itertuples(index=False), strict=True):
        cls = " class='vp-assumption'" if flag else ""
        cells = "".join(
            f"<td{k}>{html.escape('' if v is None or (isinstance(v, float) and v != v) else str(v))}</td>"
            for k, v in zip(classes, row, strict=True)
        )
        rows.append(f"<tr{cls}>{cells}</tr>")
    return (
        f"<table class='{css_class}'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _region_value(metrics: Any, metric: str, year: int) -> float:
    m = metrics[
        (metrics["municipality_code"] == "region")
        & (metrics["metric"] == metric)
        & (metrics["year"] == year)
    ]
    if "run" in m.columns:
        m = m[m["run"] == 0]
    return float(m["value"].iloc[0])


def _region_end_values(result: Any) -> dict[str, float]:
    s = result.summary
    return (
        s[s["municipality_code"] == "region"].set_index("metric")["value"].astype(float).to_dict()
    )


def difference_lines(
    result: Any, reference: Any | None, alone: Any | None = None, lang: str = "nb"
) -> list[str]:
    """Markdown bullets: the change in beds, FTE and yearly cost at the end year against today
    (``reference``) first, then against each municipality alone (``alone``). A comparison of a
    scenario with itself is left out."""
    out = []
    v = _region_end_values(result)
    for other, key in ((reference, "reference"), (alone, "alone")):
        if other is None or other.name == result.name:
            continue
        b = _region_end_values(other)
        d_beds, d_fte, d_cost = (v[k] - b[k] for k in ("beds", "fte", "cost_nok"))
        title = html.escape(getattr(other.scenario.title, lang))
        if lang == "nb":
            lead = "Mot i dag" if key == "reference" else "Mot hver kommune for seg"
            out.append(
                f"- **{lead}** («{title}»): {fmt_signed(d_beds, lang)} senger, "
                f"{fmt_signed(d_fte, lang, 1)} årsverk og {fmt_signed(d_cost / 1e6, lang, 1)} mill. kr per år."
            )
        else:
            lead = "Against today" if key == "reference" else "Against each municipality alone"
            out.append(
                f"- **{lead}** ('{title}'): {fmt_signed(d_beds, lang)} beds, "
                f"{fmt_signed(d_fte, lang, 1)} FTE and NOK {fmt_signed(d_cost / 1e6, lang, 1)} million a year."
            )
    return out


def summary_markdown(
    result: Any, reference: Any | None, lang: str = "nb", alone: Any | None = None
) -> str:
    """The report's opening summary (Markdown): population growth, beds, FTE and yearly cost at
    the end year, with P10–P90 when the result has runs, then the change against today
    (``reference``) and against each municipality alone (``alone``)."""
    check_language(lang)
    scn = result.scenario
    y0, y1 = int(scn.horizon.base_year), int(scn.horizon.end_year)
    m = result.metrics()
    s = result.summary
    reg = s[s["municipality_code"] == "region"].set_index("metric")
    has_band = "p10" in reg.columns and reg["p10"].notna().any()

    def band(metric: str, decimals: int = 0) -> str:
        if not has_band:
            return ""
        lo, hi = reg.loc[metric, "p10"], reg.loc[metric, "p90"]
        return f" (P10–P90: {fmt_number(lo, lang, decimals)}–{fmt_number(hi, lang, decimals)})"

    pop0, pop1 = _region_value(m, "population", y0), _region_value(m, "population", y1)
    o0, o1 = _region_value(m, "population_80+", y0), _region_value(m, "population_80+", y1)
    fte, cost = (float(reg.loc[k, "value"]) for k in ("fte", "cost_nok"))
    price_year = result.provenance.get("price_year")
    desc = getattr(scn.description, lang)
    diffs = difference_lines(result, reference, alone, lang)
    if lang == "nb":
        lines = [
            f"**{html.escape(getattr(scn.title, lang))}.** {desc}",
            "",
            *diffs,
            f"- Innbyggere i regionen: {fmt_number(pop0, lang)} i {y0}, {fmt_number(pop1, lang)} i {y1}{band('population')}.",
            f"- Innbyggere 80 år og eldre: {fmt_number(o0, lang)} i {y0}, {fmt_number(o1, lang)} i {y1}{band('population_80+')}"
            f" ({fmt_signed(100 * (o1 / o0 - 1), lang)} %).",
            capacity_markdown(result, lang, band("beds")),
            f"- Årsverk i {y1}: {fmt_number(fte, lang)}{band('fte')}.",
            f"- Årlig kostnad i {y1}: {fmt_nok(cost, lang)}"
            + (f" ({price_year}-kroner)" if price_year else "")
            + ".",
        ]
    else:
        lines = [
            f"**{html.escape(getattr(scn.title, lang))}.** {desc}",
            "",
            *diffs,
            f"- Inhabitants of the region: {fmt_number(pop0, lang)} in {y0}, {fmt_number(pop1, lang)} in {y1}{band('population')}.",
            f"- Inhabitants aged 80 or over: {fmt_number(o0, lang)} in {y0}, {fmt_number(o1, lang)} in {y1}{band('population_80+')}"
            f" ({fmt_signed(100 * (o1 / o0 - 1), lang)}%).",
            capacity_markdown(result, lang, band("beds")),
            f"- FTE in {y1}: {fmt_number(fte, lang)}{band('fte')}.",
            f"- Yearly cost in {y1}: {fmt_nok(cost, lang)}"
            + (f" ({price_year} prices)" if price_year else "")
            + ".",
        ]
    return "\n".join(lines)


def municipality_table(
    result: Any,
    reference: Any | None,
    lang: str = "nb",
    names: Mapping[str, str] | None = None,
    alone: Any | None = None,
) -> Any:
    """Per municipality and region at the end year: inhabitants, 80+, FTE, yearly cost, cost per
    inhabitant (formatted strings) and the change in cost against today (``reference``) and
    against each municipality alone (``alone``). Beds are not attributed to municipalities (they
    belong to units: see :func:`capacity_table`)."""
    import pandas as pd

    s = result.summary
    piv = s.pivot(index="municipality_code", columns="metric", values="value")
    order = [c for c in piv.index if c != "region"] + (["region"] if "region" in piv.index else [])
    piv = piv.loc[order]
    out = pd.DataFrame(
        {
            t("municipality", lang): [
                (names or {}).get(c, c) if c != "region" else t("region", lang) for c in piv.index
            ],
            t("population", lang): [fmt_number(v, lang) for v in piv["population"]],
            "80+": [fmt_number(v, lang) for v in piv["population_80+"]],
            t("fte", lang): [fmt_number(v, lang, 1) for v in piv["fte"]],
            t("total_cost", lang): [fmt_nok(v, lang) for v in piv["cost_nok"]],
            ("Kostnad per innbygger" if lang == "nb" else "Cost per inhabitant"): [
                fmt_number(v, lang) + (" kr" if lang == "nb" else " NOK")
                for v in piv["cost_nok_per_inhabitant"]
            ],
        }
    )
    for other, label in ((reference, "difference"), (alone, "difference_alone")):
        if other is None or other.name == result.name:
            continue
        b = other.summary
        bc = b[b["metric"] == "cost_nok"].set_index("municipality_code")["value"]
        out[t(label, lang)] = [
            fmt_signed((piv.loc[c, "cost_nok"] - bc.get(c, float("nan"))) / 1e6, lang, 1)
            + (" mill. kr" if lang == "nb" else " m NOK")
            for c in piv.index
        ]
    return out


def today_table(
    result: Any,
    lang: str = "nb",
    names: Mapping[str, str] | None = None,
    check: Any | None = None,
) -> tuple[Any, str]:
    """KOSTRA's latest observed figures ("today") beside the modelled first year, per
    municipality and for the region: home-service users, long-term residents, nurse FTE in care
    services and residents of housing with 24-hour staff (formatted strings), and the intro text
    with the region's hits against the targets. ``check``: from
    :func:`planning.calibration.first_year_check` (computed when None)."""
    import pandas as pd

    from planning import calibration, data

    check_language(lang)
    c = check if check is not None else calibration.first_year_check(result, data.load_kostra())
    n = names or {}
    order = [x for x in result.scenario.municipality_codes() if x in set(c["municipality_code"])]
    order += ["region"]
    oy = int(c["observed_year"].max()) if len(c) else 0
    my = int(result.scenario.horizon.base_year)
    out = pd.DataFrame(
        {
            t("municipality", lang): [
                n.get(x, x) if x != "region" else t("region", lang) for x in order
            ]
        }
    )
    idx = c.set_index(["municipality_code", "indicator"])
    for ind, labels in calibration.CHECKED.items():
        label = labels[0] if lang == "nb" else labels[1]
        dec = 1 if ind == "nurse_fte" else 0
        obs, mod = [], []
        for x in order:
            row = idx.loc[(x, ind)] if (x, ind) in idx.index else None
            obs.append(fmt_number(row["observed"], lang, dec) if row is not None else "–")
            if row is None or pd.isna(row["modelled"]):
                mod.append(t("not_modelled", lang))
            else:
                rel = row["relative_difference"]
                mod.append(
                    fmt_number(row["modelled"], lang, dec)
                    + (f" ({fmt_signed(100 * rel, lang, 0)} %)" if pd.notna(rel) else "")
                )
        out[f"{label}, {t('observed', lang, year=oy)}"] = obs
        out[f"{label}, {t('modelled', lang, year=my)}"] = mod
    reg = c[(c["municipality_code"] == "region") & c["modelled"].notna()]
    hits = ", ".join(
        f"{(calibration.CHECKED[r.indicator][0] if lang == 'nb' else calibration.CHECKED[r.indicator][1]).lower()} "
        f"{fmt_signed(100 * r.relative_difference, lang, 1)} %"
        for r in reg.itertuples()
    )
    return out, t("today_intro", lang, observed_year=oy, modelled_year=my, hits=hits)


def capacity_markdown(result: Any, lang: str = "nb", band: str = "") -> str:
    """Headline capacity at the end year (Markdown bullet): beds, long-term places and, where the
    demand model projects them, places in housing with 24-hour staff."""
    v = _region_end_values(result)
    y1 = result.end_year
    d = result.demand
    if "run" in d.columns:
        d = d[d["run"] == 0]
    h24 = d[(d["service"] == "heldogn_bolig") & (d["year"] == y1)]
    h24 = h24[h24["measure"] == ("places" if (h24["measure"] == "places").any() else "users")]
    h24_v = float(h24["value"].sum()) if len(h24) else None
    if lang == "nb":
        text = (
            f"- Kapasitet i {y1}: {fmt_number(v['beds'], lang)}{band} senger (KAD og intermediære), "
            f"{fmt_number(v['long_term_places'], lang)} plasser på langtidsopphold"
        )
        text += (
            f" og {fmt_number(h24_v, lang)} plasser i bolig med heldøgns bemanning."
            if h24_v is not None
            else "; boliger med heldøgns bemanning er ikke framskrevet ennå (dagens tall står i tabellen under)."
        )
    else:
        text = (
            f"- Capacity in {y1}: {fmt_number(v['beds'], lang)}{band} beds (KAD and intermediate), "
            f"{fmt_number(v['long_term_places'], lang)} long-term places"
        )
        text += (
            f" and {fmt_number(h24_v, lang)} places in housing with 24-hour staff."
            if h24_v is not None
            else "; housing with 24-hour staff is not projected yet (today's figures are in the table below)."
        )
    return text


def capacity_table(
    result: Any,
    lang: str = "nb",
    names: Mapping[str, str] | None = None,
    services: Sequence[str] = BED_SERVICES,
) -> Any:
    """Bed units of the scenario at the end year (central run): unit, service, offered load,
    beds, refusal probability, occupancy (formatted strings)."""
    from planning.i18n import fmt_percent, measure_label

    cap = result.capacity
    if "run" in cap.columns:
        cap = cap[cap["run"] == 0]
    cap = cap[(cap["year"] == result.end_year) & cap["service"].isin(list(services))]
    piv = cap.pivot_table(
        index=["service", "unit"], columns="measure", values="value", aggfunc="first"
    ).reset_index()
    n = names or {}
    out = piv[["service", "unit"]].copy()
    svc = service_labels(result.scenario.catalogue())
    out["service"] = [svc.get(x, x) for x in out["service"]]
    out["unit"] = [n.get(u, u) for u in out["unit"]]
    out["offered_load"] = [fmt_number(v, lang, 2) for v in piv["offered_load"]]
    out["beds"] = [fmt_number(v, lang) for v in piv["beds"]]
    out["refusal_probability"] = [fmt_percent(v, lang) for v in piv["refusal_probability"]]
    out["occupancy"] = [fmt_percent(v, lang) for v in piv["occupancy"]]
    labels = {"service": t("service", lang), "unit": t("unit", lang), "beds": t("beds", lang)}
    labels.update(
        {
            k: measure_label(k, lang).capitalize()
            for k in ("offered_load", "refusal_probability", "occupancy")
        }
    )
    return out.rename(columns=labels)


# ----------------------------------------------------------------------------------------------
# økonomiplan tables and the spreadsheet (issue 17)
# ----------------------------------------------------------------------------------------------
#: Decimals shown per økonomiplan group (places and users are counts, FTE and NOK million have one).
_BUDGET_DECIMALS = {
    "users": 0,
    "places": 0,
    "fte_service": 1,
    "fte_profession": 1,
    "cost_service": 1,
}


def budget_html(
    frame: Any,
    codes: Sequence[str],
    lang: str = "nb",
    names: Mapping[str, str] | None = None,
    open_codes: Sequence[str] = ("region",),
) -> str:
    """The økonomiplan tables of :func:`planning.budget.budget_frame` as HTML: one table per
    municipality and for the region, each in a ``<details>`` block (those in ``open_codes``
    open); numbers formatted for ``lang``, changes against the reference with a sign."""
    from planning.budget import GROUP_LABELS, budget_table

    check_language(lang)
    n = names or {}
    labels_to_group = {v[lang]: k for k, v in GROUP_LABELS.items()}
    blocks = []
    for code in [*codes, "region"]:
        wide = budget_table(frame, code, lang)
        years = [c for c in wide.columns if isinstance(c, int)]
        shown = wide[["group", "indicator", "unit"]].copy()
        groups = [labels_to_group[g] for g in wide["group"]]
        for y in years:
            shown[str(y)] = [
                fmt_signed(v, lang, 0 if u in ("senger", "beds") else 1)
                if g == "difference"
                else fmt_number(v, lang, _BUDGET_DECIMALS.get(g, 1))
                for v, g, u in zip(wide[y], groups, wide["unit"], strict=True)
            ]
        # the group name once, at its first row
        first = shown["group"].ne(shown["group"].shift())
        shown["group"] = shown["group"].where(first, "")
        table = html_table(
            shown,
            {"group": "", "indicator": "", "unit": t("unit", lang)},
            highlight=[g == "difference" for g in groups],
            numeric=[str(y) for y in years],
        )
        title = t("region", lang) if code == "region" else n.get(code, code)
        opened = " open" if code in open_codes else ""
        blocks.append(
            f"<details{opened}><summary><b>{html.escape(title)}</b></summary>{table}</details>"
        )
    return "\n".join(blocks)


def budget_intro(frame: Any, result: Any, reference: Any | None, lang: str = "nb") -> str:
    """The sentence above the økonomiplan tables (years, attribution, prices, reference)."""
    from planning.budget import OKONOMIPLAN_YEARS

    years = sorted(int(y) for y in frame["year"].unique())
    plan, later = years[:OKONOMIPLAN_YEARS], years[OKONOMIPLAN_YEARS:]
    joint = f" {t('and', lang)} "
    later_text = (
        (", ".join(map(str, later[:-1])) + joint + str(later[-1]))
        if len(later) > 1
        else "".join(map(str, later))
    )
    # a short horizon has no years after the budget period (and maybe a one-year period)
    return t(
        "budget_intro",
        lang,
        years=f"{plan[0]}–{plan[-1]}" if plan[-1] != plan[0] else str(plan[0]),
        later=f"{joint}for {later_text}" if later_text else "",
        price_year=result.provenance.get("price_year"),
        reference=getattr(reference, "name", "–"),
    )


def workforce_markdown(frame: Any, result: Any, lang: str = "nb") -> str:
    """The paragraph above the workforce charts, with the national care FTE beside the model's."""
    from planning.i18n import fmt_number as fmt
    from planning.workforce import NATIONAL_CARE_FTE

    base = int(result.scenario.horizon.base_year)
    nat_year = int(NATIONAL_CARE_FTE["year"])
    nat = frame[(frame["municipality_code"] == "norway") & (frame["year"] == nat_year)]
    own = frame[(frame["municipality_code"] == "region") & (frame["year"] == base)]
    return t(
        "workforce_intro",
        lang,
        base=base,
        national=fmt(float(nat["care_fte_per_100_working_age"].iloc[0]), lang, 1)
        if len(nat)
        else "–",
        nat_year=nat_year,
        own=fmt(float(own["care_fte_per_100_working_age"].iloc[0]), lang, 1) if len(own) else "–",
    )


# ----------------------------------------------------------------------------------------------
# refusals, overliggedøgn and travel to shared units (issue 17)
# ----------------------------------------------------------------------------------------------
#: Occupancy of the municipal acute beds (KAD/ØHD) in Norway, all units, 2022.
NATIONAL_KAD_OCCUPANCY: dict[str, Any] = {
    "value": 0.47,
    "year": 2022,
    "publisher": "Helsedirektoratet",
    "source": "https://www.helsedirektoratet.no/rapporter/status-for-kommunalt-dogntilbud-for-oyeblikkelig-hjelp-2022/sammendrag",
    "status": "seen",
}


def _unit_members(result: Any) -> dict[tuple[str, str], list[str]]:
    """(unit, service) → member municipalities: the scenario's shared units, and each
    municipality's own unit (named by its code) otherwise."""
    u = result.units
    out: dict[tuple[str, str], list[str]] = {}
    for (unit, service), g in u.groupby(["unit", "service"], sort=False):
        out[(str(unit), str(service))] = [str(c) for c in g["municipality_code"]]
    return out


def refusals_frame(result: Any, services: Sequence[str] = BED_SERVICES) -> Any:
    """Bed services of the region by year (central run): service, year, refused_admissions
    (each unit's refusal probability × its members' admissions), refused_bed_days, overliggedogn
    (True for the service whose refused bed-days the municipality pays the hospital for) and
    overliggedogn_nok (that cost, NOK a year)."""
    import pandas as pd

    cap = result.capacity
    dem = result.demand
    costs = result.costs
    if "run" in cap.columns:
        cap, dem, costs = cap[cap["run"] == 0], dem[dem["run"] == 0], costs[costs["run"] == 0]
    members = _unit_members(result)
    rows = []
    for service in services:
        c = cap[
            (cap["service"] == service)
            & cap["measure"].isin(["refusal_probability", "refused_bed_days"])
        ]
        if c.empty:
            continue
        adm = dem[(dem["service"] == service) & (dem["measure"] == "admissions")]
        adm = adm.set_index(["municipality_code", "year"])["value"]
        piv = c.pivot_table(
            index=["unit", "year"], columns="measure", values="value", aggfunc="first"
        ).reset_index()
        refused = []
        for r in piv.itertuples():
            who = members.get((str(r.unit), service), [str(r.unit)])
            load = sum(float(adm.get((m, r.year), 0.0)) for m in who)
            refused.append(r.refusal_probability * load)
        piv["refused_admissions"] = refused
        g = piv.groupby("year", as_index=False)[["refused_admissions", "refused_bed_days"]].sum()
        ov = costs[(costs["service"] == service) & (costs["item"] == "overliggedogn")]
        g["overliggedogn"] = not ov.empty
        g["overliggedogn_nok"] = g["year"].map(ov.groupby("year")["nok"].sum()).fillna(0.0)
        rows.append(g.assign(service=service))
    cols = [
        "service",
        "year",
        "refused_admissions",
        "refused_bed_days",
        "overliggedogn",
        "overliggedogn_nok",
    ]
    return pd.concat(rows, ignore_index=True)[cols] if rows else pd.DataFrame(columns=cols)


def shared_travel_frame(result: Any, year: int | None = None) -> Any:
    """Every shared unit (more than one member) at ``year`` (default: the end year), central run:
    unit, service, host, municipality_code, minutes (member centre to host centre, the scenario's
    travel data), users (the member's demand for the service, its main measure; for the
    shareable part of an entry, such as psykisk helse og rus's ambulant team, the entry's) and
    weighted_minutes (the unit's mean minutes weighted by users). Empty without shared units."""
    import pandas as pd

    from planning import data
    from planning.capacity import municipality_travel
    from planning.plots import primary_measures
    from planning.services import planner_of

    year = int(result.end_year if year is None else year)
    u = result.units
    sizes = u.groupby(["unit", "service"])["municipality_code"].transform("size")
    u = u[sizes > 1]
    cols = ["unit", "service", "host", "municipality_code", "minutes", "users", "weighted_minutes"]
    if u.empty:
        return pd.DataFrame(columns=cols)
    overrides = [t.model_dump(exclude_none=True) for t in result.scenario.travel_overrides]
    travel = data.load_travel(overrides=pd.DataFrame(overrides) if overrides else None)
    mt = municipality_travel(travel, data.load_places())
    minutes = {
        (a, b): m for a, b, m in zip(mt["from_code"], mt["to_code"], mt["minutes"], strict=True)
    }
    dem = result.demand
    if "run" in dem.columns:
        dem = dem[dem["run"] == 0]
    dem = dem[dem["year"] == year]
    measures = primary_measures(dem)
    out = u[["unit", "service", "host", "municipality_code"]].copy()
    out["minutes"] = [
        0.0 if m == h else float(minutes.get((m, h), minutes.get((h, m), float("nan"))))
        for m, h in zip(out["municipality_code"], out["host"], strict=True)
    ]
    users = dem.set_index(["service", "measure", "municipality_code"])["value"]
    cat = result.scenario.catalogue()
    planner = {s: planner_of(cat, str(s)) for s in out["service"].unique()}
    out["users"] = [
        float(users.get((planner[s], measures.get(planner[s], ""), m), 0.0))
        for s, m in zip(out["service"], out["municipality_code"], strict=True)
    ]
    w = (
        out.assign(wm=out["minutes"] * out["users"])
        .groupby(["unit", "service"])[["wm", "users"]]
        .sum()
    )
    mean = w["wm"] / w["users"].where(w["users"] > 0)
    out["weighted_minutes"] = [
        mean[(u_, s)] for u_, s in zip(out["unit"], out["service"], strict=True)
    ]
    return out[cols].reset_index(drop=True)
