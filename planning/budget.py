"""Økonomiplan tables: the years municipal budgets use, per municipality and for the region.

Norwegian municipalities plan in a four-year økonomiplan (kommuneloven § 14-4) and look further
ahead at round years. :func:`budget_years` picks those years from a scenario's horizon;
:func:`budget_frame` gives, for each of them, users, places, FTE by service and by profession and
cost by service per municipality and for the region (central run 0), and with a reference result
the change against it. Shared units are attributed to their members by their cost share (as in
:meth:`planning.scenarios.ScenarioResult.metrics`), so municipalities sum to the region.

Frames are tidy: municipality_code (incl. ``'region'``), group, indicator, unit, year, value.
:func:`budget_table` turns one municipality's rows into a wide table (years as columns) for a report
or a spreadsheet sheet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from planning.errors import InputError
from planning.i18n import check_language

#: Years of the økonomiplan period after the base year (kommuneloven § 14-4: at least four years).
OKONOMIPLAN_YEARS = 4
#: Round years planners look at beyond the økonomiplan (and the horizon, always added).
MILESTONE_YEARS: tuple[int, ...] = (2030, 2035, 2040)

#: Groups of rows in the order a table shows them.
GROUPS: tuple[str, ...] = (
    "users",
    "places",
    "fte_service",
    "fte_profession",
    "cost_service",
    "difference",
)
GROUP_LABELS: dict[str, dict[str, str]] = {
    "users": {"nb": "Brukere og aktivitet", "en": "Users and activity"},
    "places": {"nb": "Plasser", "en": "Places"},
    "fte_service": {"nb": "Årsverk per tjeneste", "en": "FTE by service"},
    "fte_profession": {"nb": "Årsverk per yrke", "en": "FTE by profession"},
    "cost_service": {"nb": "Kostnad per tjeneste", "en": "Cost by service"},
    "difference": {"nb": "Endring mot referansen", "en": "Change against the reference"},
}
#: Demand measures shown as users (service, measure, unit nb, unit en), in this order; a service
#: missing from a result is left out. Population-only measures (legevakt, fastlege and
#: kommuneoverlege 'population') are not users and are not shown.
USER_MEASURES: tuple[tuple[str, str, dict[str, str], dict[str, str]], ...] = (
    ("hjemmetjenester", "users", {}, {"nb": "brukere", "en": "users"}),
    ("langtidsopphold", "users", {}, {"nb": "beboere", "en": "residents"}),
    ("heldogn_bolig", "users", {}, {"nb": "beboere", "en": "residents"}),
    ("kad", "admissions", {}, {"nb": "innleggelser per år", "en": "admissions a year"}),
    ("intermediaer", "admissions", {}, {"nb": "innleggelser per år", "en": "admissions a year"}),
    ("brukerkontor", "cases", {}, {"nb": "saker per år", "en": "cases a year"}),
    ("helsestasjon", "children_0_5", {}, {"nb": "barn 0–5 år", "en": "children aged 0-5"}),
    ("jordmor", "births", {}, {"nb": "fødsler per år", "en": "births a year"}),
    (
        "skolehelsetjeneste",
        "pupils_barneskole",
        {"nb": "barneskole", "en": "primary school"},
        {"nb": "elever", "en": "pupils"},
    ),
    (
        "skolehelsetjeneste",
        "pupils_ungdomsskole",
        {"nb": "ungdomsskole", "en": "lower secondary"},
        {"nb": "elever", "en": "pupils"},
    ),
    (
        "skolehelsetjeneste",
        "pupils_vgs",
        {"nb": "videregående", "en": "upper secondary"},
        {"nb": "elever", "en": "pupils"},
    ),
)
#: Places: bed services from the capacity model (beds of each unit attributed by cost share);
#: long-term and 24-hour housing from a 'places' measure where the model computes one, else one
#: place per resident (the 'users' measure).
BED_PLACES: tuple[str, ...] = ("kad", "intermediaer")
HOUSING_PLACES: tuple[str, ...] = ("langtidsopphold", "heldogn_bolig")
PLACE_LABELS: dict[str, dict[str, str]] = {
    "kad": {"nb": "KAD/ØHD-senger", "en": "KAD/ØHD beds"},
    "intermediaer": {"nb": "Intermediære senger", "en": "Intermediate beds"},
    "langtidsopphold": {
        "nb": "Langtidsplasser (institusjon)",
        "en": "Long-term places (institution)",
    },
    "heldogn_bolig": {
        "nb": "Plasser i bolig med heldøgns tjenester",
        "en": "Places in 24-hour housing",
    },
}
#: Professions grouped as HELSEMOD and Tjenestebehov show them: helsesykepleier and jordmor are
#: nurses with further education (both require a nursing degree in Norway).
PROFESSION_GROUPS: dict[str, str] = {
    "sykepleier": "sykepleier",
    "helsesykepleier": "sykepleier",
    "jordmor": "sykepleier",
    "helsefagarbeider": "helsefagarbeider",
    "lege": "lege",
}
PROFESSION_GROUP_LABELS: dict[str, dict[str, str]] = {
    "sykepleier": {
        "nb": "Sykepleiere (inkl. helsesykepleiere og jordmødre)",
        "en": "Nurses (incl. helsesykepleier and jordmor)",
    },
    "helsefagarbeider": {"nb": "Helsefagarbeidere", "en": "Helsefagarbeider"},
    "lege": {"nb": "Leger", "en": "Doctors"},
    "andre": {"nb": "Andre (saksbehandlere, kontor)", "en": "Others (case workers, office)"},
}
_UNITS = {
    "beds": {"nb": "senger", "en": "beds"},
    "places": {"nb": "plasser", "en": "places"},
    "fte": {"nb": "årsverk", "en": "FTE"},
    "nok": {"nb": "mill. kr", "en": "NOK million"},
}
#: The totals whose change against the reference each table shows.
DIFFERENCE_ROWS: tuple[tuple[str, str], ...] = (
    ("places", "kad"),
    ("places", "intermediaer"),
    ("fte_service", "total"),
    ("cost_service", "total"),
)


def budget_years(base_year: int, end_year: int) -> list[int]:
    """The years a budget table shows: the four years of the økonomiplan after ``base_year``,
    then 2030, 2035 and 2040 and ``end_year`` where they fall inside the horizon, ascending and
    without repeats. ``budget_years(2026, 2050)`` → [2027, 2028, 2029, 2030, 2035, 2040, 2050].

    Raises InputError when ``end_year`` is not after ``base_year``."""
    b, e = int(base_year), int(end_year)
    if e <= b:
        raise InputError(
            f"end year {e} must be after the base year {b}", key="end_year", allowed=f"> {b}"
        )
    years = {y for y in range(b + 1, b + 1 + OKONOMIPLAN_YEARS) if y <= e}
    years |= {y for y in MILESTONE_YEARS if b < y <= e}
    years.add(e)
    return sorted(years)


def _central(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["run"] == 0].drop(columns="run") if "run" in df.columns else df


def attribute_to_municipalities(frame: pd.DataFrame, cost_shares: pd.DataFrame) -> pd.DataFrame:
    """A frame per unit (unit, service, year, value, ...) spread over the member municipalities by
    their cost share of that unit and year (central run). Returns the same columns with
    ``municipality_code`` instead of ``unit``; the municipalities sum to the units."""
    shares = _central(cost_shares)[["unit", "service", "year", "municipality_code", "share"]]
    j = _central(frame).merge(shares, on=["unit", "service", "year"], how="inner")
    j["value"] = j["value"].to_numpy(dtype=float) * j["share"].to_numpy(dtype=float)
    return j.drop(columns=["unit", "share"])


def _rows(df: pd.DataFrame, group: str, indicator: Any, unit: str) -> pd.DataFrame:
    """municipality_code, year, value → the long budget layout (one indicator)."""
    out = df[["municipality_code", "year", "value"]].copy()
    out["group"] = group
    out["indicator"] = indicator
    out["unit"] = unit
    return out


def budget_frame(
    result: Any,
    reference: Any | None = None,
    years: Sequence[int] | None = None,
    lang: str = "nb",
    service_labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The økonomiplan rows of ``result`` (a :class:`~planning.scenarios.ScenarioResult`), central run.

    Columns: municipality_code (each member and ``'region'``), group (:data:`GROUPS`), indicator
    (a readable name in ``lang``), unit (in ``lang``), year, value. Years: ``years`` or
    :func:`budget_years` of the scenario. Users come from the demand frame, places from the capacity
    model (beds) or the demand frame (long-term and 24-hour housing), FTE from the staff frame
    (measure ``fte``) and cost from the costs frame, in NOK million at the catalogue's price year.
    With ``reference`` (another result on the same municipalities) the group ``difference`` holds
    this result minus the reference for beds, FTE and cost in total.
    """
    check_language(lang)
    scn = result.scenario
    if years is None:
        years = budget_years(scn.horizon.base_year, scn.horizon.end_year)
    years = [int(y) for y in years]
    if service_labels is None:
        from planning.reports import service_labels as labels_of

        service_labels = labels_of(scn.catalogue())
    labels = dict(service_labels)
    parts = _own_rows(result, years, lang, labels)
    out = pd.concat(parts, ignore_index=True)
    out = _add_region(out)
    if reference is not None and reference is not result:
        out = pd.concat(
            [out, _difference_rows(out, reference, years, lang, labels)], ignore_index=True
        )
    order = {g: i for i, g in enumerate(GROUPS)}
    out["_g"] = out["group"].map(order)
    out["_i"] = out.groupby("group", sort=False).cumcount()  # keep the indicator order per group
    codes = list(scn.municipality_codes()) + ["region"]
    out["_m"] = out["municipality_code"].map({c: i for i, c in enumerate(codes)})
    out = out.sort_values(["_m", "_g", "_i", "year"], kind="stable")
    return out.drop(columns=["_g", "_i", "_m"]).reset_index(drop=True)[
        ["municipality_code", "group", "indicator", "unit", "year", "value"]
    ]


def _own_rows(
    result: Any, years: list[int], lang: str, labels: dict[str, str]
) -> list[pd.DataFrame]:
    def name(service: str) -> str:
        return labels.get(service, service)

    demand = _central(result.demand)
    demand = demand[demand["year"].isin(years)]
    parts: list[pd.DataFrame] = []
    for service, measure, detail, unit in _user_measures(demand, lang, result.scenario.catalogue()):
        d = demand[(demand["service"] == service) & (demand["measure"] == measure)]
        if len(d):
            g = d.groupby(["municipality_code", "year"], as_index=False)["value"].sum()
            label = name(service) + (f", {detail[lang]}" if detail else "")
            parts.append(_rows(g, "users", label, unit[lang]))

    capacity = _central(result.capacity)
    capacity = capacity[capacity["year"].isin(years)]
    parts += _served_capacity_rows(result, capacity, demand, lang, name)
    parts += _avoided_rows(capacity, lang, name)
    for service in BED_PLACES:
        c = capacity[(capacity["service"] == service) & (capacity["measure"] == "beds")]
        if len(c):
            m = attribute_to_municipalities(c, result.cost_shares)
            g = m.groupby(["municipality_code", "year"], as_index=False)["value"].sum()
            parts.append(_rows(g, "places", PLACE_LABELS[service][lang], _UNITS["beds"][lang]))
    for service in HOUSING_PLACES:
        g = _housing_places(result, capacity, demand, service)
        if g is not None:
            parts.append(_rows(g, "places", PLACE_LABELS[service][lang], _UNITS["places"][lang]))

    staff = _central(result.staff)
    staff = staff[(staff["measure"] == "fte") & staff["year"].isin(years)]
    fte = attribute_to_municipalities(staff, result.cost_shares)
    unit = _UNITS["fte"][lang]
    for service, g in fte.groupby("service", sort=False):
        s = g.groupby(["municipality_code", "year"], as_index=False)["value"].sum()
        parts.append(_rows(s, "fte_service", name(str(service)), unit))
    total = fte.groupby(["municipality_code", "year"], as_index=False)["value"].sum()
    parts.append(_rows(total, "fte_service", _TOTAL_MARK, unit))
    for profession, g in fte.groupby("profession", sort=True):
        s = g.groupby(["municipality_code", "year"], as_index=False)["value"].sum()
        parts.append(_rows(s, "fte_profession", str(profession).capitalize(), unit))

    costs = _central(result.costs)
    costs = costs[costs["year"].isin(years)]
    unit = _UNITS["nok"][lang]
    costs = costs.assign(value=costs["nok"].to_numpy(dtype=float) / 1e6)
    for service, g in costs.groupby("service", sort=False):
        s = g.groupby(["municipality_code", "year"], as_index=False)["value"].sum()
        parts.append(_rows(s, "cost_service", name(str(service)), unit))
    s = costs.groupby(["municipality_code", "year"], as_index=False)["value"].sum()
    parts.append(_rows(s, "cost_service", _TOTAL_MARK, unit))
    return [
        _fill_years(
            pd.concat(parts, ignore_index=True), years, list(result.scenario.municipality_codes())
        )
    ]


def _served_capacity_rows(
    result: Any, capacity: pd.DataFrame, demand: pd.DataFrame, lang: str, name: Callable[[str], str]
) -> list[pd.DataFrame]:
    """Users and activity of a service whose demand has no measure of people served, which its
    kind computes with its capacity (its markers say ``served``: psykisk helse og rus's users
    with substance problems, a prevention unit's participants a year), attributed to the
    municipalities by cost share, so these services get their users rows like the others."""
    from planning.i18n import measure_label
    from planning.plots.units import served_in_capacity

    pairs = demand[["service", "measure"]].astype(str).drop_duplicates()
    keys = capacity[["service", "measure"]].astype(str).drop_duplicates()
    out = []
    for service, measure in served_in_capacity(
        pairs.itertuples(index=False), keys.itertuples(index=False), result.scenario.catalogue()
    ):
        c = capacity[(capacity["service"] == service) & (capacity["measure"] == measure)]
        m = attribute_to_municipalities(c, result.cost_shares)
        if not (m["value"].to_numpy(dtype=float) > 0).any():
            continue  # the service runs nowhere in this scenario
        g = m.groupby(["municipality_code", "year"], as_index=False)["value"].sum()
        out.append(_rows(g, "users", name(service), measure_label(measure, lang)))
    return out


#: the row label of what prevention avoids (the ``mitigation:`` section of the catalogue)
AVOIDED = {"nb": "unngått ved forebygging", "en": "avoided by prevention"}


def _avoided_rows(
    capacity: pd.DataFrame, lang: str, name: Callable[[str], str]
) -> list[pd.DataFrame]:
    """Users and FTE that the scenario's prevention units avoid (the capacity measures
    ``users_avoided`` and ``fte_avoided`` that :mod:`planning.services.mitigation` writes per
    municipality), each its own row under users and activity, never folded into the service's
    users: only where something is avoided."""
    from planning.i18n import measure_label

    avoided = capacity[capacity["measure"].astype(str).str.endswith("_avoided")]
    out = []
    for (service, measure), g in avoided.groupby(["service", "measure"], sort=True, observed=True):
        if not (g["value"].to_numpy(dtype=float) > 0).any():
            continue
        g = g.rename(columns={"unit": "municipality_code"})
        s = g.groupby(["municipality_code", "year"], as_index=False)["value"].sum()
        label = f"{name(str(service))}, {AVOIDED[lang]}"
        out.append(_rows(s, "users", label, measure_label(str(measure), lang)))
    return out


def _user_measures(
    demand: pd.DataFrame, lang: str, catalogue: Any
) -> list[tuple[str, str, dict[str, str], dict[str, str]]]:
    """:data:`USER_MEASURES`, then every other service of the demand frame with the measure its
    demand chart shows (:func:`planning.plots.demand_panels`: users, cases, births ...; none for
    a service whose measures are only populations, by the markers of ``catalogue``), so a
    service added to the catalogue gets its row without an edit here."""
    from planning.plots.units import demand_panels, panel_label

    listed = {s for s, *_ in USER_MEASURES}
    extra = [
        (s, m, {}, {x: panel_label(catalogue, s, m, x) for x in ("nb", "en")})
        for s, m in demand_panels(demand[["service", "measure"]].drop_duplicates(), catalogue)
        if s not in listed
    ]
    return [*USER_MEASURES, *extra]


def _housing_places(
    result: Any, capacity: pd.DataFrame, demand: pd.DataFrame, service: str
) -> pd.DataFrame | None:
    """Places of a housing service per municipality and year: the capacity model's 'places' (per
    unit, attributed by cost share) or the demand's 'places', else one place per resident."""
    c = capacity[(capacity["service"] == service) & (capacity["measure"] == "places")]
    if len(c):
        m = attribute_to_municipalities(c, result.cost_shares)
        return m.groupby(["municipality_code", "year"], as_index=False)["value"].sum()
    for measure in ("places", "users"):
        d = demand[(demand["service"] == service) & (demand["measure"] == measure)]
        if len(d):
            return d.groupby(["municipality_code", "year"], as_index=False)["value"].sum()
    return None


def _fill_years(rows: pd.DataFrame, years: list[int], codes: list[str]) -> pd.DataFrame:
    """Every (indicator, municipality, year) present, 0 where a municipality has none of it (e.g.
    a member without beds of its own); indicators keep their order."""
    ind = rows[["group", "indicator", "unit"]].drop_duplicates().reset_index(drop=True)
    ind["_k"] = np.arange(len(ind))
    grid = pd.DataFrame(
        {
            "_k": np.repeat(ind["_k"].to_numpy(), len(codes) * len(years)),
            "municipality_code": np.tile(
                np.repeat(np.asarray(codes, dtype=object), len(years)), len(ind)
            ),
            "year": np.tile(np.asarray(years, dtype=int), len(ind) * len(codes)),
        }
    )
    keyed = rows.merge(ind, on=["group", "indicator", "unit"])
    v = keyed.groupby(["_k", "municipality_code", "year"], as_index=False)["value"].sum()
    out = grid.merge(v, on=["_k", "municipality_code", "year"], how="left").fillna({"value": 0.0})
    out = out.merge(ind, on="_k").drop(columns="_k")
    return out[["municipality_code", "year", "value", "group", "indicator", "unit"]]


def _total(lang: str) -> str:
    return "I alt" if lang == "nb" else "Total"


def _add_region(out: pd.DataFrame) -> pd.DataFrame:
    region = out.groupby(["group", "indicator", "unit", "year"], as_index=False, sort=False)[
        "value"
    ].sum()
    region["municipality_code"] = "region"
    return pd.concat([out, region], ignore_index=True)


_TOTAL_MARK = "\x00total"  # replaced by the language's word for total in budget_table


def _difference_rows(
    own: pd.DataFrame, reference: Any, years: list[int], lang: str, labels: dict[str, str]
) -> pd.DataFrame:
    ref_years = [y for y in years if y <= reference.scenario.horizon.end_year]
    ref = _add_region(pd.concat(_own_rows(reference, ref_years, lang, labels), ignore_index=True))
    keys = ["municipality_code", "group", "indicator", "unit", "year"]
    picks = []
    for group, service in DIFFERENCE_ROWS:
        indicator = _TOTAL_MARK if service == "total" else PLACE_LABELS[service][lang]
        a = own[(own["group"] == group) & (own["indicator"] == indicator)]
        if a.empty:
            continue
        b = ref[(ref["group"] == group) & (ref["indicator"] == indicator)]
        j = a.merge(b[keys + ["value"]].rename(columns={"value": "ref"}), on=keys, how="left")
        j["value"] = j["value"] - j["ref"].fillna(0.0)
        j.loc[~j["year"].isin(ref_years), "value"] = np.nan
        label = {
            ("fte_service", _TOTAL_MARK): "Årsverk i alt" if lang == "nb" else "FTE in total",
            ("cost_service", _TOTAL_MARK): "Kostnad i alt" if lang == "nb" else "Cost in total",
        }.get((group, indicator), indicator)
        picks.append(j.drop(columns="ref").assign(group="difference", indicator=label))
    return pd.concat(picks, ignore_index=True) if picks else own.iloc[:0]


def budget_table(frame: pd.DataFrame, municipality_code: str, lang: str = "nb") -> pd.DataFrame:
    """One municipality's (or the region's) rows of :func:`budget_frame` as a wide table: columns
    group label, indicator, unit, then one column per year (numbers, not text)."""
    check_language(lang)
    d = frame[frame["municipality_code"] == municipality_code]
    if d.empty:
        raise InputError(
            f"no budget rows for '{municipality_code}'",
            key="municipality_code",
            allowed=sorted(frame["municipality_code"].unique()),
        )
    d = d.assign(indicator=d["indicator"].replace(_TOTAL_MARK, _total(lang)))
    order = d[["group", "indicator", "unit"]].drop_duplicates()
    wide = d.pivot_table(
        index=["group", "indicator", "unit"],
        columns="year",
        values="value",
        aggfunc="first",
        dropna=False,
        sort=False,
    )
    wide = wide.reindex(pd.MultiIndex.from_frame(order)).reset_index()
    wide.columns = [c if isinstance(c, str) else int(c) for c in wide.columns]
    wide["group"] = [GROUP_LABELS[g][lang] for g in wide["group"]]
    return wide
