"""Knutepunkt Sørlandet shipped beside Værnes; today for any region; reports for any region and
an index grouped by region."""

from __future__ import annotations

import pytest

from planning import data, reports, scenarios
from planning.errors import ScenarioError
from planning.parameters import load_organisation

KS = ["4204", "4223", "4215", "4216", "4218"]
KS_SCENARIOS = ["ks_today", "ks_shared_kad", "ks_shared_office", "ks_shared_staff"]


def _central(res, metric: str) -> float:
    s = res.summary
    return float(s[(s["municipality_code"] == "region") & (s["metric"] == metric)]["value"].iloc[0])


def test_ks_scenarios_are_shipped_for_the_ks_region():
    names = scenarios.list_scenarios()
    assert set(KS_SCENARIOS) <= set(names)
    for name in KS_SCENARIOS:
        scn = scenarios.load_scenario(name)
        assert list(scn.municipality_codes()) == KS
        assert scn.title.nb and scn.description.nb and "Knutepunkt" in scn.title.nb
    # the 2007 study's scenarios are deltas on the region's today
    for name in KS_SCENARIOS[1:]:
        assert scenarios.load_scenario(name).extends == "ks_today"


def test_ks_today_has_the_sourced_legevakt_and_labels_the_unknowns():
    units = {u.name: u for u in load_organisation().units}
    lv = units["Kristiansand legevakt"]
    assert lv.service == "legevakt" and lv.host == "4204" and sorted(lv.members) == sorted(KS)
    assert "kristiansand.kommune.no" in lv.source and "ikke bekreftet" in lv.source
    assert "antatt" in lv.note  # the cost key is an assumption
    scn = scenarios.load_scenario("ks_today")
    res = scenarios.run("ks_today")
    kinds = set(res.units.loc[res.units["unit"] == "Kristiansand legevakt", "service"])
    assert kinds == {"legevakt"}
    assert "antakelse" in scn.description.nb and "ikke funnet" in scn.description.nb


def test_shared_kad_pools_beds_in_ks():
    today = scenarios.run("ks_today")
    kad = scenarios.run("ks_shared_kad")
    b0 = today.capacity[
        (today.capacity["service"] == "kad") & (today.capacity["measure"] == "beds")
    ]
    b1 = kad.capacity[(kad.capacity["service"] == "kad") & (kad.capacity["measure"] == "beds")]
    y = today.end_year
    assert b1[b1["year"] == y]["value"].sum() < b0[b0["year"] == y]["value"].sum()
    # population is the same: only the organisation changed
    assert _central(kad, "population") == pytest.approx(_central(today, "population"))


@pytest.mark.parametrize("region", ["finnmark", "agder"])
def test_region_without_known_organisation_runs_as_alone(region):
    codes = set(data.region(region))
    known = [u for u in load_organisation().units if set(u.members) <= codes]
    today = scenarios.run(scenarios.apply_overrides("today", {"region": region}))
    alone = scenarios.run(scenarios.apply_overrides("alone", {"region": region}))
    if region == "finnmark":  # no unit of data/organisation.yaml lies in Finnmark
        assert known == []
        a, b = today.metrics(), alone.metrics()
        assert a[["municipality_code", "year", "metric"]].equals(
            b[["municipality_code", "year", "metric"]]
        )
        assert (a["value"] - b["value"]).abs().max() < 1e-6
    else:  # Agder: only the Kristiansand legevakt is known; everything else runs alone
        assert [u.name for u in known] == ["Kristiansand legevakt"]
        shared = today.units[today.units["unit"] != today.units["municipality_code"]]
        assert set(shared["unit"]) == {"Kristiansand legevakt"}


def test_a_unit_outside_the_region_is_a_clear_error():
    with pytest.raises(ScenarioError, match="no unit named|not in the scenario"):
        scenarios.apply_overrides("shared_dms", {"region": "knutepunkt_sorlandet"})


def test_report_names_for_any_region_are_safe():
    assert reports.report_name("today") == "today"
    assert reports.report_name("today", "agder") == "today-agder"
    assert reports.report_name("today", ["4204", "4223"]) == "today-4204-4223"
    long = reports.report_name("today", data.region("trondelag"))
    assert long.startswith("today-38-municipalities-") and len(long) <= 64
    scenarios.safe_name(long)


def test_index_groups_reports_by_region(tmp_path):
    def fake(name, label, codes, cost):
        return reports.ReportResult(
            scenario=name,
            status="ok",
            html=f"{name}.html",
            headline={
                "title": name,
                "beds": 1,
                "fte": 2.0,
                "cost_nok": cost,
                "cost_nok_by_municipality": {c: cost / len(codes) for c in codes},
                "year": 2050,
                "region": None,
                "region_label": label,
                "municipalities": codes,
            },
        )

    results = [
        fake("today", "Værnes", ["5035", "5034"], 10e6),
        fake("ks_today", "Knutepunkt Sørlandet", KS, 20e6),
        fake("shared_dms", "Værnes", ["5035", "5034"], 9e6),
        fake("ks_shared_kad", "Knutepunkt Sørlandet", KS, 19e6),
    ]
    page = reports.write_index(results, tmp_path).read_text(encoding="utf-8")
    assert page.count("<h2 class='region'>") == 2
    v, k = page.index(">Værnes</h2>"), page.index(">Knutepunkt Sørlandet</h2>")
    assert v < page.index("shared_dms.html") < k < page.index("ks_shared_kad.html")
    ks_table = page[k:]
    assert "Vennesla" in ks_table and "Stjørdal" not in ks_table
    # the fallback difference of a KS row is taken against the KS today, not the Værnes one
    assert "−1,0</span>" in ks_table  # NOK in millions; the header gives the unit
