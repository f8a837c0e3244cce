"""Norwegian bokmål and English strings for figures, reports and the index page.

``t(key, lang)`` looks a string up; ``fmt_number`` and ``fmt_nok`` format numbers the way a reader
of that language expects (bokmål: non-breaking space as thousands separator, decimal comma).
Norwegian service names (KAD, DMS, helsesykepleier, jordmor, legevakt, ...) stay Norwegian in
both languages.
"""

from __future__ import annotations

import math

from planning.errors import InputError, suggest

LANGUAGES: tuple[str, ...] = ("nb", "en")
DEFAULT_LANGUAGE = "nb"

_NBSP = "\u00a0"

STRINGS: dict[str, dict[str, str]] = {
    # ---- sexes, generic axes ------------------------------------------------------------------
    "female": {"nb": "Kvinner", "en": "Women"},
    "male": {"nb": "Menn", "en": "Men"},
    "persons": {"nb": "Personer", "en": "Persons"},
    "age": {"nb": "Alder", "en": "Age"},
    "year": {"nb": "År", "en": "Year"},
    "value": {"nb": "Verdi", "en": "Value"},
    "central": {"nb": "Hovedløp", "en": "Central run"},
    "band": {"nb": "P10–P90 (usikkerhet)", "en": "P10–P90 (uncertainty)"},
    "region": {"nb": "Regionen", "en": "Region"},
    "municipality": {"nb": "Kommune", "en": "Municipality"},
    "service": {"nb": "Tjeneste", "en": "Service"},
    "unit": {"nb": "Enhet", "en": "Unit"},
    "item": {"nb": "Post", "en": "Item"},
    "nok": {"nb": "kr", "en": "NOK"},
    "mill_nok": {"nb": "mill. kr", "en": "NOK million"},
    "share": {"nb": "Andel", "en": "Share"},
    "fte": {"nb": "Årsverk", "en": "FTE"},
    "beds": {"nb": "Senger", "en": "Beds"},
    "refusal_probability": {"nb": "Sannsynlighet for avvisning", "en": "Refusal probability"},
    "target": {"nb": "Mål", "en": "Target"},
    "separate": {"nb": "Hver kommune for seg", "en": "Each municipality alone"},
    "pooled": {"nb": "Felles enhet", "en": "Shared unit"},
    "scenario": {"nb": "Scenario", "en": "Scenario"},
    "reference": {"nb": "I dag", "en": "Today"},
    "difference": {"nb": "Endring mot i dag", "en": "Change from today"},
    "difference_alone": {
        "nb": "Endring mot hver kommune for seg",
        "en": "Change from each municipality alone",
    },
    "vs_reference": {"nb": "mot i dag", "en": "vs today"},
    "vs_alone": {"nb": "mot hver for seg", "en": "vs alone"},
    # ---- chart titles -------------------------------------------------------------------------
    "pyramid_title": {"nb": "Befolkningspyramide {years}", "en": "Population pyramid {years}"},
    "growth_title": {
        "nb": "Eldre innbyggere: {groups}",
        "en": "Older inhabitants: {groups}",
    },
    "demand_title": {"nb": "Behov per tjeneste (regionen)", "en": "Demand per service (region)"},
    "beds_title": {
        "nb": "Senger {year}: hver kommune for seg og felles enhet",
        "en": "Beds {year}: each municipality alone and shared unit",
    },
    "refusal_title": {
        "nb": "Avvisningssannsynlighet mot antall senger ({year})",
        "en": "Refusal probability against beds ({year})",
    },
    "staff_title": {"nb": "Årsverk per tjeneste", "en": "FTE per service"},
    "cost_title": {
        "nb": "Årlige kostnader per kommune ({year})",
        "en": "Yearly cost per municipality ({year})",
    },
    "cost_share_title": {
        "nb": "Kommunenes andel av kostnadene i felles enheter ({year})",
        "en": "Each municipality's share of the cost of shared units ({year})",
    },
    "map_title": {
        "nb": "Regionen og nabokommunene: reisetid (minutter) til {hub}",
        "en": "The region and its neighbours: travel time (minutes) to {hub}",
    },
    "compare_title": {
        "nb": "Scenarioer side om side: {metric}",
        "en": "Scenarios side by side: {metric}",
    },
    "map_minutes": {"nb": "{minutes:.0f} min", "en": "{minutes:.0f} min"},
    "other_municipalities": {"nb": "Nabokommuner", "en": "Neighbouring municipalities"},
    "map_no_hub": {"nb": "Regionen og nabokommunene", "en": "The region and its neighbours"},
    "bands_pending": {
        "nb": " (usikkerhetsbånd beregnes …)",
        "en": " (uncertainty bands being computed …)",
    },
    # ---- status labels ------------------------------------------------------------------------
    "status_seen": {"nb": "sett i kilde", "en": "seen in source"},
    "status_sourced": {"nb": "fra kilde", "en": "sourced"},
    "status_derived": {"nb": "avledet", "en": "derived"},
    "status_assumption": {"nb": "antatt", "en": "assumption"},
    "status_estimated": {"nb": "estimert", "en": "estimated"},
    "status_user": {"nb": "oppgitt av bruker", "en": "user supplied"},
    "status_unverified": {"nb": "ikke bekreftet", "en": "unverified"},
    "status_scenario": {"nb": "valgt i scenarioet", "en": "set by the scenario"},
    "status_own": {"nb": "egen drift", "en": "runs alone"},
    # ---- roles of places ----------------------------------------------------------------------
    "role_municipality_centre": {"nb": "Kommunesenter", "en": "Municipal centre"},
    "role_dms": {"nb": "DMS", "en": "DMS"},
    "role_legevakt": {"nb": "Legevakt", "en": "Legevakt (out-of-hours)"},
    "role_hospital": {"nb": "Sykehus", "en": "Hospital"},
    # ---- report and index page ----------------------------------------------------------------
    "report": {"nb": "Rapport", "en": "Report"},
    "index_title": {
        "nb": "Scenarioer for helse og omsorg, gruppert etter region",
        "en": "Health and care scenarios, grouped by region",
    },
    "index_intro": {
        "nb": "Nøkkeltall i sluttåret for hvert scenario, én tabell per region. Under hvert tall står først endringen mot i dag i samme region («{reference}», slik tjenestene er organisert nå), deretter endringen mot at hver kommune driver alt selv («{alone}»). Klikk på et scenario for hele rapporten.",
        "en": "Headline figures at the horizon year for each scenario, one table per region. Under each figure: first the change from today in the same region ('{reference}', services as organised now), then the change from each municipality running everything alone ('{alone}'). Click a scenario for its full report.",
    },
    "status": {"nb": "Status", "en": "Status"},
    "index_units": {
        "nb": "Senger = KAD og intermediære senger; kostnader i faste {year}-kroner.",
        "en": "Beds = KAD and intermediate beds; costs in constant {year} NOK.",
    },
    "ok": {"nb": "ferdig", "en": "done"},
    "failed": {"nb": "feilet", "en": "failed"},
    "partial_notebook": {"nb": "delvis kjørt notatbok", "en": "partially executed notebook"},
    "horizon": {"nb": "Sluttår", "en": "Horizon"},
    "total_cost": {"nb": "Årlig kostnad i alt", "en": "Yearly cost, total"},
    "cost_per_municipality": {
        "nb": "Årlig kostnad per kommune (mill. kr)",
        "en": "Yearly cost per municipality (NOK million)",
    },
    "generated": {"nb": "Laget", "en": "Generated"},
    "package_version": {"nb": "Programversjon", "en": "Package version"},
    "data_version": {"nb": "Dataversjon", "en": "Data version"},
    "render_time": {"nb": "Tid", "en": "Time"},
    "seconds": {"nb": "s", "en": "s"},
    "error": {"nb": "Feil", "en": "Error"},
    "no_scenarios": {"nb": "Ingen scenarioer ble laget.", "en": "No scenarios were rendered."},
    # ---- report sections ----------------------------------------------------------------------
    "summary": {"nb": "Sammendrag", "en": "Summary"},
    "population": {"nb": "Befolkning", "en": "Population"},
    "demand": {"nb": "Behov for tjenester", "en": "Demand for services"},
    "capacity": {"nb": "Kapasitet", "en": "Capacity"},
    "staff": {"nb": "Bemanning", "en": "Staff"},
    "costs": {"nb": "Kostnader", "en": "Costs"},
    "map": {"nb": "Kart over regionen", "en": "Map of the region"},
    "assumptions": {"nb": "Forutsetninger og kilder", "en": "Assumptions and sources"},
    "data_sources": {"nb": "Datakilder", "en": "Data sources"},
    "about": {"nb": "Om rapporten", "en": "About this report"},
    "parameter": {"nb": "Parameter", "en": "Parameter"},
    "source": {"nb": "Kilde", "en": "Source"},
    "note": {"nb": "Merknad", "en": "Note"},
    "publisher": {"nb": "Utgiver", "en": "Publisher"},
    "table": {"nb": "Tabell", "en": "Table"},
    "licence": {"nb": "Lisens", "en": "Licence"},
    "file": {"nb": "Fil", "en": "File"},
    "title": {"nb": "Tittel", "en": "Title"},
    "runs": {"nb": "Simuleringer", "en": "Runs"},
    "seed": {"nb": "Frø (seed)", "en": "Seed"},
    "metric": {"nb": "Mål", "en": "Metric"},
    "organisation": {"nb": "Organisering", "en": "Organisation"},
    "host": {"nb": "Vertskommune", "en": "Host municipality"},
    "members": {"nb": "Deltakere", "en": "Members"},
    "cost_key": {"nb": "Kostnadsnøkkel", "en": "Cost key"},
    "sources_of_unit": {"nb": "Kilde", "en": "Source"},
    "proposal": {"nb": "forslag i dette scenarioet", "en": "proposed in this scenario"},
    "cost_key_population": {"nb": "etter folketall", "en": "by population"},
    "cost_key_use": {"nb": "etter bruk", "en": "by use"},
    "cost_key_own": {"nb": "egen enhet (hele kostnaden)", "en": "own unit (the whole cost)"},
    "cost_key_fixed_plus_use": {
        "nb": "fast andel likt delt + bruk",
        "en": "fixed share split equally + use",
    },
    "no_shared_units": {
        "nb": "Ingen felles enheter i dette scenarioet: hver kommune driver alle tjenestene selv.",
        "en": "No shared units in this scenario: every municipality runs every service itself.",
    },
    "counts_by_status": {
        "nb": "{n} parametere: {seen} sett i kilde, {derived} avledet, {assumption} antatt.",
        "en": "{n} parameters: {seen} seen in a source, {derived} derived, {assumption} assumptions.",
    },
    "price_note": {
        "nb": "Kostnader i faste {year}-kroner.",
        "en": "Costs in constant {year} NOK.",
    },
    "trust_text": {
        "nb": (
            "**Hvor treffsikker er framskrivingen?** Samme metode, brukt fra {bases} med bare de "
            "dataene som fantes da, bommet ti år senere i snitt med {total} på folketallet i disse "
            "{n} kommunene, og med {old} på antallet innbyggere 80 år og eldre. Største bom på "
            "folketallet: {worst}. Usikkerhetsbåndene (P10–P90) er bredest for de små kommunene; "
            "les dem sammen med hovedløpet."
        ),
        "en": (
            "**How accurate is the projection?** The same method, run from {bases} with only the "
            "data available then, missed the population of these {n} municipalities ten years "
            "later by {total} on average, and the number of inhabitants aged 80 and over by {old}. "
            "Largest miss on the population: {worst}. The uncertainty bands (P10–P90) are widest "
            "for the small municipalities; read them together with the central line."
        ),
    },
    "today_section": {
        "nb": "I dag: KOSTRA og modellens første år",
        "en": "Today: KOSTRA and the model's first year",
    },
    "today_intro": {
        "nb": (
            "Tallene SSB (KOSTRA) sist talte ({observed_year}) ved siden av modellens første år "
            "({modelled_year}) for slik tjenestene er organisert i dag. Målet er at modellen treffer "
            "innenfor ±10 % for regionen og ±25 % per kommune. Sykepleierårsverk er kalibrert til "
            "KOSTRA; brukere og beboere er framskrevet fra tidligere år. Treff for regionen: {hits}."
        ),
        "en": (
            "The figures SSB (KOSTRA) last counted ({observed_year}) beside the model's first year "
            "({modelled_year}) for services organised as today. The target is within ±10 % for the "
            "region and ±25 % per municipality. Nurse FTE are calibrated to KOSTRA; users and "
            "residents are projected from earlier years. Region: {hits}."
        ),
    },
    "observed": {"nb": "i dag (KOSTRA {year})", "en": "today (KOSTRA {year})"},
    "modelled": {"nb": "modell {year}", "en": "model {year}"},
    "not_modelled": {"nb": "ikke framskrevet", "en": "not projected"},
    "demand_trust_text": {
        "nb": (
            "**Hvor treffsikker er tjenestebehovet?** Tjenestemodellen (dekningsgrader med "
            "dempede trender), brukt fra {bases} med bare de dataene som fantes da, bommet {years} "
            "år senere i snitt med {home} på antallet mottakere av hjemmetjenester i disse {n} "
            "kommunene, og med {held} på heldøgnsomsorg (langtidsopphold i institusjon og bolig "
            "med heldøgns bemanning) etter KOSTRA. Med faste dekningsgrader (som i verktøyet "
            "Tjenestebehov) var bommen {home_ref} for hjemmetjenester og {held_ref} for "
            "heldøgnsomsorg. Største bom: {worst}. Antallet "
            "plasser er ofte et vedtak om kapasitet, ikke et mål på behov; les tallene som et "
            "anslag med usikkerhet."
        ),
        "en": (
            "**How accurate is the service demand?** The service model (coverage rates with "
            "damped trends), run from {bases} with only the data available then, missed the "
            "number of home-service users in these {n} municipalities {years} years later by "
            "{home} on average, and heldøgn care (long-term institutional stays and housing with "
            "24-hour staff) by {held}, against KOSTRA. Holding coverage constant (as the "
            "Tjenestebehov tool does) missed home services by {home_ref} and "
            "heldøgn care by {held_ref}. Largest miss: {worst}. "
            "The number of places is often a capacity decision rather than a measure of need; "
            "read the figures as an estimate with uncertainty."
        ),
    },
    "service_hjemmetjenester": {"nb": "hjemmetjenester", "en": "home services"},
    "service_heldogn": {"nb": "heldøgnsomsorg", "en": "heldøgn care"},
    "and": {"nb": "og", "en": "and"},
    "p10": {"nb": "P10", "en": "P10"},
    "p50": {"nb": "P50", "en": "P50"},
    "p90": {"nb": "P90", "en": "P90"},
}

#: Names of metrics and measures in the model's frames (keys stay English in the frames).
MEASURES: dict[str, dict[str, str]] = {
    "users": {"nb": "brukere", "en": "users"},
    "bed_days": {"nb": "liggedøgn", "en": "bed-days"},
    "admissions": {"nb": "innleggelser", "en": "admissions"},
    "cases": {"nb": "saker", "en": "cases"},
    "contacts": {"nb": "kontakter", "en": "contacts"},
    "births": {"nb": "fødsler", "en": "births"},
    "pupils": {"nb": "elever", "en": "pupils"},
    "residents": {"nb": "beboere", "en": "residents"},
    "hours": {"nb": "timer", "en": "hours"},
    "inhabitants": {"nb": "innbyggere", "en": "inhabitants"},
    "beds": {"nb": "senger", "en": "beds"},
    "fte": {"nb": "årsverk", "en": "FTE"},
    "cost": {"nb": "kostnad", "en": "cost"},
    "nok": {"nb": "kroner", "en": "NOK"},
    "refusal_probability": {"nb": "avvisningssannsynlighet", "en": "refusal probability"},
    "occupancy": {"nb": "belegg", "en": "occupancy"},
    "offered_load": {"nb": "tilbudt last (erlang)", "en": "offered load (erlang)"},
    "population": {"nb": "innbyggere", "en": "inhabitants"},
    "pupils_barneskole": {"nb": "elever i barneskolen", "en": "pupils, barneskole (grades 1-7)"},
    "pupils_ungdomsskole": {
        "nb": "elever i ungdomsskolen",
        "en": "pupils, ungdomsskole (grades 8-10)",
    },
    "pupils_vgs": {"nb": "elever i videregående", "en": "pupils, videregående"},
    "children_0_5": {"nb": "barn 0-5 år", "en": "children aged 0-5"},
    "lists": {"nb": "listeinnbyggere", "en": "list patients"},
    "participants": {"nb": "deltakere per år", "en": "participants a year"},
    "new_home_care_users": {
        "nb": "nye brukere av hjemmetjenester per år",
        "en": "new home-care users a year",
    },
    "adults": {"nb": "innbyggere 18+", "en": "inhabitants 18+"},
    "young": {"nb": "innbyggere 0-17", "en": "inhabitants 0-17"},
    "driver": {
        "nb": "grunnlag (innbyggere eller nye brukere)",
        "en": "driver (inhabitants or new users)",
    },
    "fte_avoided": {"nb": "unngåtte årsverk (forebygging)", "en": "FTE avoided (prevention)"},
    "users_avoided": {"nb": "unngåtte brukere (forebygging)", "en": "users avoided (prevention)"},
    "users_substance": {"nb": "brukere med rusproblemer", "en": "users with substance problems"},
    "housing_places": {"nb": "bemannede boligplasser", "en": "staffed housing places"},
    "bed_days_psykisk_helse_rus": {
        "nb": "liggedøgn psykisk helse og rus",
        "en": "bed-days, mental health and substance use",
    },
    "cost_nok": {"nb": "årlig kostnad (kr)", "en": "yearly cost (NOK)"},
    "cost_nok_per_inhabitant": {
        "nb": "kostnad per innbygger (kr)",
        "en": "cost per inhabitant (NOK)",
    },
    "beds_kad": {"nb": "KAD-senger", "en": "KAD beds"},
    "beds_intermediaer": {"nb": "intermediære senger", "en": "intermediate beds"},
    "population_67+": {"nb": "innbyggere 67+", "en": "inhabitants 67+"},
    "population_80+": {"nb": "innbyggere 80+", "en": "inhabitants 80+"},
    "population_90+": {"nb": "innbyggere 90+", "en": "inhabitants 90+"},
    "places": {"nb": "plasser", "en": "places"},
    "beds_at_occupancy_target": {
        "nb": "senger ved beleggsmålet",
        "en": "beds at the occupancy target",
    },
    "refusal_at_occupancy_target": {
        "nb": "avvisningssannsynlighet ved beleggsmålet",
        "en": "refusal probability at the occupancy target",
    },
    "refused_bed_days": {
        "nb": "avviste liggedøgn (overliggedøgn på sykehus)",
        "en": "refused bed-days (overliggedøgn at the hospital)",
    },
    "added_travel_minutes": {
        "nb": "reisetid til vertskommunen (minutter én vei, vektet med innbyggere)",
        "en": "travel time to the host (minutes one way, weighted by inhabitants)",
    },
    "on_call_from_home": {
        "nb": "hjemmevakt (1 = ja, 0 = nei)",
        "en": "on call from home (1 = yes, 0 = no)",
    },
    "catchment_population": {"nb": "innbyggere i opptaksområdet", "en": "catchment population"},
    "doctor_hours": {"nb": "legetimer", "en": "doctor hours"},
    "nurses_on_duty": {"nb": "sykepleiere på vakt", "en": "nurses on duty"},
}


#: Cost items in the costs frame.
ITEMS: dict[str, dict[str, str]] = {
    "staff": {"nb": "personell", "en": "staff"},
    "travel": {"nb": "reiser", "en": "travel"},
    "overliggedogn": {
        "nb": "overliggedøgn (betaling til sykehuset)",
        "en": "overliggedøgn (paid to the hospital)",
    },
    "legevaktsentral": {
        "nb": "legevaktsentral (kjøpt)",
        "en": "legevaktsentral (bought)",
    },
    # what sharing costs (planning.overhead; assumptions with ranges)
    "overhead_leadership": {"nb": "ledelse av felles enhet", "en": "shared unit's leadership"},
    "overhead_administration": {
        "nb": "administrasjon (vertskommunen)",
        "en": "administration (host municipality)",
    },
    "overhead_it": {"nb": "IT (til vertskommunen)", "en": "IT (paid to the host)"},
    "overhead_coordination": {"nb": "samordning mellom kommunene", "en": "coordination"},
    "overhead_one_off": {
        "nb": "etablering og uttreden (fordelt over år)",
        "en": "setting up and leaving (annualised)",
    },
}


#: Strings of the økonomiplan tables, the workforce view and the spreadsheet download (issue 17).
STRINGS.update(
    {
        "budget": {
            "nb": "Økonomiplan og langsiktige behov",
            "en": "Budget years and long-term needs",
        },
        "budget_intro": {
            "nb": "Tallene for årene i økonomiplanperioden ({years}){later}, per kommune og for regionen "
            "(hovedløpet). Plasser i felles enheter og årsverk er fordelt på kommunene etter kostnadsandel. "
            "Kostnader i mill. kr ({price_year}-kroner). «Endring mot referansen» er mot scenarioet «{reference}».",
            "en": "The figures for the years of the økonomiplan period ({years}){later}, per municipality "
            "and for the region (central run). Places in shared units and FTE are attributed to the municipalities by "
            "cost share. Costs in NOK million ({price_year} prices). 'Change against the reference' is against the "
            "scenario '{reference}'.",
        },
        "download": {"nb": "Tallene som regneark", "en": "The figures as a spreadsheet"},
        "workforce": {"nb": "Arbeidskraft", "en": "Workforce"},
        "workforce_intro": {
            "nb": "Som i SSBs HELSEMOD og Helse- og omsorgsdepartementets verktøy Tjenestebehov: årsverk per 100 "
            "innbyggere 20–66 år, og innbyggere 20–66 år per innbygger 80 år og eldre. Norge: SSB 07459 til "
            "{base}, deretter prosjektets egen framskriving av alle kommuner (samme metode og variant). Til "
            "sammenligning hadde omsorgstjenestene i Norge {national} årsverk per 100 innbyggere 20–66 år i "
            "{nat_year} (SSB); modellen har {own} for de samme tjenestene i regionen i {base}.",
            "en": "As in SSB's HELSEMOD and the ministry's Tjenestebehov tool: FTE per 100 inhabitants aged 20-66, and "
            "inhabitants aged 20-66 per inhabitant aged 80 or over. Norway: SSB 07459 up to {base}, then the "
            "project's own projection of all municipalities (same method and variant). For comparison, the care "
            "services of Norway had {national} FTE per 100 inhabitants aged 20-66 in {nat_year} (SSB); the model "
            "has {own} for the same services in the region in {base}.",
        },
        "workforce_title": {"nb": "Arbeidskraft og eldre", "en": "Workforce and older inhabitants"},
        "fte_per_100": {
            "nb": "Årsverk per 100 innbyggere 20–66 år",
            "en": "FTE per 100 inhabitants aged 20-66",
        },
        "care_ratio": {
            "nb": "Innbyggere 20–66 år per innbygger 80+",
            "en": "Inhabitants aged 20-66 per inhabitant aged 80+",
        },
        "norway": {"nb": "Norge", "en": "Norway"},
        "norway_care_fte": {
            "nb": "Norge {year}, omsorgstjenestene (SSB)",
            "en": "Norway {year}, care services (SSB)",
        },
        "charts_more": {
            "nb": "Senger i bruk, avvisninger og reisetid",
            "en": "Beds in use, refusals and travel",
        },
        "kad_title": {
            "nb": "KAD/ØHD: innleggelser og belegg",
            "en": "KAD/ØHD: admissions and occupancy",
        },
        "kad_admissions": {
            "nb": "Innleggelser per år (regionen)",
            "en": "Admissions a year (region)",
        },
        "kad_occupancy": {"nb": "Belegg per enhet", "en": "Occupancy per unit"},
        "national_occupancy": {
            "nb": "Norge {year}: {value} (Helsedirektoratet)",
            "en": "Norway {year}: {value} (Helsedirektoratet)",
        },
        "per_year": {"nb": "Per år", "en": "A year"},
        "refusals_title": {
            "nb": "Avviste pasienter og overliggedøgn",
            "en": "Refused patients and overliggedøgn",
        },
        "refused_patients": {"nb": "Pasienter avvist per år", "en": "Patients refused a year"},
        "overliggedogn_days": {
            "nb": "Overliggedøgn per år (betales til sykehuset)",
            "en": "Overliggedøgn a year (paid to the hospital)",
        },
        "travel_title": {
            "nb": "Reisetid til felles enheter (minutter fra kommunesenteret)",
            "en": "Travel time to shared units (minutes from the municipality centre)",
        },
        "weighted_minutes": {"nb": "Snitt vektet med brukere", "en": "Mean weighted by users"},
        "minutes_to_host": {"nb": "Minutter til vertskommunen", "en": "Minutes to the host"},
        "no_shared_travel": {
            "nb": "Scenarioet har ingen felles enheter, så ingen reiser til en felles enhet.",
            "en": "The scenario has no shared units, so nobody travels to one.",
        },
        "cost_service_title": {
            "nb": "Årlig kostnad per kommune og tjeneste ({year})",
            "en": "Yearly cost per municipality and service ({year})",
        },
        "profession_title": {
            "nb": "Årsverk per yrke i regionen: {base} (i dag) og senere år",
            "en": "FTE by profession in the region: {base} (today) and later years",
        },
    }
)


def item_label(item: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Readable name of a cost item (the key itself when unknown)."""
    check_language(lang)
    entry = ITEMS.get(item)
    return entry[lang] if entry else item.replace("_", " ")


def check_language(lang: str) -> str:
    """Return ``lang`` if it is supported; raise InputError naming the allowed values otherwise."""
    if lang not in LANGUAGES:
        raise InputError(
            f"unknown language '{lang}'.{suggest(str(lang), LANGUAGES)}",
            key="lang",
            allowed=LANGUAGES,
        )
    return lang


def t(key: str, lang: str = DEFAULT_LANGUAGE, **fields: object) -> str:
    """The string ``key`` in ``lang``, formatted with ``fields`` (e.g. ``t('pyramid_title', 'nb', years='2026')``)."""
    check_language(lang)
    entry = STRINGS.get(key)
    if entry is None:
        raise InputError(f"no text for '{key}'.{suggest(key, STRINGS)}", key="i18n")
    text = entry[lang]
    return text.format(**fields) if fields else text


def measure_label(measure: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Readable name of a measure or metric (falls back to the key with '_' as spaces)."""
    check_language(lang)
    entry = MEASURES.get(measure)
    return entry[lang] if entry else measure.replace("_", " ")


def status_label(status: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """'seen'/'sourced'/'derived'/'assumption'/'estimated'/'user'/'unverified' in ``lang``."""
    key = f"status_{status}"
    return t(key, lang) if key in STRINGS else str(status)


def fmt_number(x: float | None, lang: str = DEFAULT_LANGUAGE, decimals: int = 0) -> str:
    """Format a number for ``lang``: '12 345,6' in bokmål, '12,345.6' in English; '–' for missing."""
    check_language(lang)
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    text = f"{float(x):,.{decimals}f}"
    if text.startswith("-") and _is_zero(text):
        text = text[1:]  # -0.4 shows as '0', not '−0': nothing is left to have a sign
    if lang == "nb":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", _NBSP)
        text = text.replace("-", "\u2212")
    return text


def _is_zero(text: str) -> bool:
    """True when a formatted number shows no digit but 0 ('-0', '0.00', '-0,0')."""
    return not any(c in "123456789" for c in text)


def fmt_signed(x: float | None, lang: str = DEFAULT_LANGUAGE, decimals: int = 0) -> str:
    """Like :func:`fmt_number` with an explicit sign ('+1 234' / '−56'). A change that rounds
    to zero at ``decimals`` has no sign: 0.4 and −0.4 read '0', 0.04 with one decimal '0,0'
    (nb) / '0.0' (en), as Norwegian tables write an unchanged figure."""
    text = fmt_number(x, lang, decimals)
    if text == "–" or _is_zero(text):
        return text
    return "+" + text if x is not None and x > 0 else text


def fmt_nok(x: float | None, lang: str = DEFAULT_LANGUAGE, decimals: int = 1) -> str:
    """NOK in millions with the unit: '12,3 mill. kr' / 'NOK 12.3 million'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    m = fmt_number(float(x) / 1e6, lang, decimals)
    return f"{m} mill. kr" if lang == "nb" else f"NOK {m} million"


def fmt_percent(x: float | None, lang: str = DEFAULT_LANGUAGE, decimals: int = 1) -> str:
    """A fraction as percent: 0.123 → '12,3 %' (nb) / '12.3%' (en)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    p = fmt_number(100.0 * float(x), lang, decimals)
    return f"{p}{_NBSP}%" if lang == "nb" else f"{p}%"
