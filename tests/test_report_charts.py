"""The report charts that say something (planning.plots, planning.reports): cost by service stacks
to the same totals as cost by item; KAD admissions and occupancy beside the national 47 %;
refused patients and overliggedøgn equal what the capacity model computed; travel minutes to a
shared unit weighted by users, worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from planning import data, plots, reports, scenarios


@pytest.fixture(scope="module")
def shared():
    return scenarios.run("shared_dms", runs=0)


@pytest.fixture(scope="module")
def baseline():
    return scenarios.run("alone", runs=0)


def test_cost_by_service_stacks_to_the_same_totals_as_cost_by_item(shared):
    by_item = plots.costs_by_municipality(shared.costs, lang="nb")
    by_service = plots.costs_by_municipality(
        shared.costs, lang="nb", by="service", item_labels={"kad": "KAD"}
    )
    total = lambda fig: np.sum([np.asarray(t.y, dtype=float) for t in fig.data], axis=0)  # noqa: E731
    np.testing.assert_allclose(total(by_item), total(by_service))
    assert len(by_service.data) == shared.costs["service"].nunique()
    assert "KAD" in [t.name for t in by_service.data]
    assert "tjeneste" in by_service.layout.title.text
    with pytest.raises(reports.InputError):
        plots.costs_by_municipality(shared.costs, by="profession")


def test_kad_chart_shows_admissions_and_occupancy_beside_the_national_figure(shared):
    fig = plots.kad_activity(
        shared.demand, shared.capacity, national_occupancy=reports.NATIONAL_KAD_OCCUPANCY
    )
    d = shared.demand
    adm = d[(d["service"] == "kad") & (d["measure"] == "admissions")].groupby("year")["value"].sum()
    line = next(t for t in fig.data if t.xaxis == "x" and t.mode == "lines")
    np.testing.assert_allclose(line.y, adm.to_numpy())
    national = next(t for t in fig.data if "Helsedirektoratet" in (t.name or ""))
    assert list(national.y) == [0.47, 0.47] and "47" in national.name
    occ = [t for t in fig.data if t.xaxis == "x2" and t is not national]
    assert occ and all(0 <= v <= 1 for t in occ for v in t.y)


def test_refusals_are_the_capacity_models_and_overliggedogn_its_cost(baseline):
    r = reports.refusals_frame(baseline)
    cap, costs = baseline.capacity, baseline.costs
    for service in ("kad", "intermediaer"):
        got = r[r["service"] == service].set_index("year")["refused_bed_days"]
        want = (
            cap[(cap["service"] == service) & (cap["measure"] == "refused_bed_days")]
            .groupby("year")["value"]
            .sum()
        )
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy())
        # refused patients: each unit's refusal probability times its admissions (own units here)
        p = cap[
            (cap["service"] == service)
            & (cap["measure"] == "refusal_probability")
            & (cap["year"] == 2030)
        ]
        d = baseline.demand
        a = d[(d["service"] == service) & (d["measure"] == "admissions") & (d["year"] == 2030)]
        by_hand = sum(
            float(row.value) * float(a.loc[a["municipality_code"] == row.unit, "value"].sum())
            for row in p.itertuples()
        )
        assert r[(r["service"] == service) & (r["year"] == 2030)]["refused_admissions"].iloc[
            0
        ] == pytest.approx(by_hand)
    ov = r[r["overliggedogn"]]
    assert set(ov["service"]) == {"intermediaer"}
    want = costs[costs["item"] == "overliggedogn"].groupby("year")["nok"].sum()
    np.testing.assert_allclose(
        ov.set_index("year")["overliggedogn_nok"].to_numpy(), want.to_numpy()
    )
    fig = plots.refusals_chart(r)
    assert len(fig.data) == 3  # two services' refused patients, one bar series of overliggedøgn


def test_travel_to_a_shared_unit_weighted_by_users_by_hand(shared, baseline):
    tr = reports.shared_travel_frame(shared)
    kad = tr[tr["unit"] == "Værnesregionen DMS, KAD-senger"]
    assert set(kad["municipality_code"]) == set(shared.scenario.municipality_codes())
    assert (kad.loc[kad["municipality_code"] == kad["host"], "minutes"] == 0).all()
    expected = (kad["minutes"] * kad["users"]).sum() / kad["users"].sum()
    assert kad["weighted_minutes"].iloc[0] == pytest.approx(expected)
    # the users are the members' bed-days (the main measure of KAD) in the end year
    d = shared.demand
    tydal = d[
        (d["service"] == "kad")
        & (d["measure"] == "bed_days")
        & (d["year"] == 2050)
        & (d["municipality_code"] == "5033")
    ]
    assert kad.loc[kad["municipality_code"] == "5033", "users"].iloc[0] == pytest.approx(
        tydal["value"].sum()
    )
    assert 0 < kad["weighted_minutes"].iloc[0] < kad["minutes"].max()
    fig = plots.shared_travel(tr, names=data.municipality_names())
    assert any("vektet" in (t.name or "") for t in fig.data)
    assert reports.shared_travel_frame(baseline).empty  # each municipality alone: nobody travels


def test_travel_to_the_shared_mental_health_team_is_weighted_like_every_unit():
    """The ambulant team (psykisk_helse_team) has no demand of its own: its members are weighted
    by the demand of the entry that plans it (psykisk helse og rus's adults, the team's
    workload driver), so the travel chart gets its weighted mean like every other unit."""
    from planning import scenarios

    res = scenarios.run("shared_mental_health", runs=0)
    tr = reports.shared_travel_frame(res)
    team = tr[tr["service"] == "psykisk_helse_team"]
    assert len(team) == 4 and (team["users"] > 0).all()
    d = res.demand
    adults = d[
        (d["service"] == "psykisk_helse_rus") & (d["measure"] == "adults") & (d["year"] == 2050)
    ].set_index("municipality_code")["value"]
    np.testing.assert_allclose(team["users"], adults.loc[team["municipality_code"]].to_numpy())
    expected = (team["minutes"] * team["users"]).sum() / team["users"].sum()
    assert team["weighted_minutes"].iloc[0] == pytest.approx(expected)
    assert tr["weighted_minutes"].notna().all()


def test_charts_and_texts_name_the_reference_as_a_reader_says_it():
    """The tornado's difference metric and the waterfall's text say 'i dag' or 'hver kommune
    for seg', never the scenario's file name."""
    import pandas as pd

    from planning import decomposition

    assert plots.headline_label("cost_nok_vs_today", "nb") == (
        "forskjell i kostnad per år (mill. kr) mot i dag"
    )
    assert "each municipality alone" in plots.headline_label("cost_nok_vs_alone", "en")
    steps = pd.DataFrame()
    for ref, nb_text in (("today", "organisert i dag"), ("alone", "hver kommune for seg")):
        steps.attrs["reference"] = ref
        text = decomposition.order_markdown(steps, "nb")
        assert nb_text in text and f"«{ref}»" not in text
