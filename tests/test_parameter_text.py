"""Bokmål where users read the catalogue: readable names of parameters (tornado) and the unit,
source and note columns of the assumptions table (planning.parameter_text)."""

from __future__ import annotations

import re

import pytest

from planning import parameter_text, scenarios, sensitivity
from planning.parameter_text import parameter_label, text_nb
from planning.parameters import load_catalogue
from planning.uncertainty import load_ranges


@pytest.fixture(scope="module")
def table():
    return load_catalogue().assumptions_table()


def test_every_shipped_parameter_has_a_bokmal_name(table):
    paths = set(table["parameter"]) | set(load_ranges()) | set(sensitivity.LETTERS)
    unnamed = sorted(p for p in paths if parameter_label(p, "nb") == p)
    assert not unnamed, unnamed
    for p in paths:
        label = parameter_label(p, "nb")
        assert "_" not in label and ": " in label, (p, label)
    assert parameter_label("intermediaer.fte_per_bed") == "Intermediære plasser: årsverk per seng"
    assert parameter_label("intermediaer.fte_per_bed", "en") == "intermediaer.fte_per_bed"


def test_every_unit_source_and_note_of_the_catalogue_has_bokmal(table):
    for col in ("unit", "source", "note"):
        missing = sorted({x for x in table[col] if x not in parameter_text.TEXT_NB})
        assert not missing, (col, missing)
    # a text the module does not know (a user's own source) is shown as written
    assert text_nb("kommunens egen telling 2025") == "kommunens egen telling 2025"


ENGLISH = re.compile(
    r"\b(the|and|of|per year|no source found|assumption|model default|share of|used as)\b"
)


def test_the_report_assumptions_table_is_bokmal():
    from planning import reports

    res = scenarios.run("today")
    rows = reports.assumptions_frame(res, "nb")
    for col in ("unit", "source", "note"):
        english = [x for x in rows[col] if ENGLISH.search(str(x))]
        assert not english, (col, english[:5])
    en = reports.assumptions_frame(res, "en")
    assert (en["source"] == load_catalogue().assumptions_table()["source"]).all()


def test_tornado_lists_name_parameters_in_bokmal():
    import pandas as pd

    table = pd.DataFrame(
        {
            "parameter": ["intermediaer.fte_per_bed", "kad.fte_per_bed", "demography.trim_share"],
            "metric": "fte",
            "relative_swing": [0.02, 0.001, float("nan")],
            "swing": [1.0, 0.1, float("nan")],
            "evaluated": [True, True, False],
        }
    )
    nb = sensitivity.rest_markdown(table, "nb", n=0)
    assert "intermediaer" not in nb and "Intermediære plasser: årsverk per seng" in nb
    assert "KAD/ØHD-senger: årsverk per seng" in nb
    en = sensitivity.rest_markdown(table, "en", n=0)
    assert "`intermediaer.fte_per_bed`" in en


#: English words that give away an untranslated text in the data-sources table.
ENGLISH_SOURCES = re.compile(
    r"\b(the|and|of|by|see|each|value|population|municipality|municipalities|rates?|"
    r"revision|estimates?|migration|fertility|mortality|life expectancy|travel|places|facts|"
    r"table|per year|compiled|parameter file|source|with|from|between|registry|polygons)\b",
    re.IGNORECASE,
)


def test_the_report_data_sources_table_is_bokmal():
    """The data-sources table at the end of every nb report: each shipped file's title,
    publisher, table, year and licence in bokmål (datapackage.json's nb texts, built from
    planning/build/sources_nb.yaml); the English report keeps the English."""
    import html as html_lib

    from planning import data, reports
    from planning.snapshot import _manifest

    for r in _manifest()["resources"]:
        missing = {"title", "publisher", "table", "year", "licence"} - set(r.get("nb", {}))
        assert not missing, (r["path"], missing)
    nb = html_lib.unescape(reports.sources_html("nb"))
    cells = re.findall(r"<td[^>]*>(.*?)</td>", nb, flags=re.S)
    assert len(cells) >= 6 * len(_manifest()["resources"])
    # the file names (e.g. population.parquet, travel.csv) are not text to translate
    texts = [c for c in cells if not re.fullmatch(r"[\w.]+\.(parquet|csv|json|geojson|yaml)", c)]
    # names that stay as they are: licences (CC BY), the UN's World Population Prospects, files
    names = re.compile(r"CC BY(-SA)?|World Population Prospects|[\w./-]+\.(csv|json)")
    english = [c for c in texts if ENGLISH_SOURCES.search(names.sub("", c))]
    assert not english, english[:5]
    en = reports.sources_html("en")
    assert "Population 1 January" in en and "Folkemengde 1. januar" in nb
    assert (data.sources("en")["title"] == data.sources()["title"]).all()
