"""Økonomiplan tables (planning.budget), the workforce view (planning.workforce) and the
spreadsheet (planning.export, `planning export`): the years a budget uses, conservation (members
sum to the region, totals equal the scenario's metrics), the change against the reference, the
workforce ratios worked by hand for one municipality and for Norway, and the .xlsx read back with
openpyxl equal to the frames it was written from."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pandas as pd
import pytest

from planning import budget, data, export, reports, scenarios, workforce
from planning.cli import main
from planning.errors import InputError


@pytest.fixture(scope="module")
def alone():
    return scenarios.run("alone", runs=0)


@pytest.fixture(scope="module")
def shared():
    return scenarios.run("shared_dms", runs=0)


@pytest.fixture(scope="module")
def frame(shared, alone):
    return budget.budget_frame(shared, alone)


# ------------------------------------------------------------------------------------------------
# years
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("base", "end", "years"),
    [
        (2026, 2050, [2027, 2028, 2029, 2030, 2035, 2040, 2050]),
        (2026, 2029, [2027, 2028, 2029]),
        (2026, 2033, [2027, 2028, 2029, 2030, 2033]),
        (2026, 2040, [2027, 2028, 2029, 2030, 2035, 2040]),
        (2020, 2060, [2021, 2022, 2023, 2024, 2030, 2035, 2040, 2060]),
        (2026, 2027, [2027]),
    ],
)
def test_budget_years_are_the_okonomiplan_period_the_round_years_and_the_horizon(base, end, years):
    assert budget.budget_years(base, end) == years


def test_budget_years_refuse_a_horizon_before_the_base_year():
    with pytest.raises(InputError, match="end year"):
        budget.budget_years(2026, 2026)


def test_every_table_has_the_budget_years_of_its_scenario(frame, shared):
    assert sorted(frame["year"].unique()) == [2027, 2028, 2029, 2030, 2035, 2040, 2050]
    wide = budget.budget_table(frame, "region")
    assert [c for c in wide.columns if isinstance(c, int)] == [
        2027,
        2028,
        2029,
        2030,
        2035,
        2040,
        2050,
    ]
    assert set(frame["municipality_code"]) == {*shared.scenario.municipality_codes(), "region"}


# ------------------------------------------------------------------------------------------------
# conservation and known values
# ------------------------------------------------------------------------------------------------
def test_members_sum_to_the_region(frame):
    own = frame[frame["municipality_code"] != "region"]
    summed = own.groupby(["group", "indicator", "year"])["value"].sum()
    region = frame[frame["municipality_code"] == "region"].set_index(
        ["group", "indicator", "year"]
    )["value"]
    pd.testing.assert_series_equal(summed.sort_index(), region.sort_index(), check_names=False)


def test_totals_equal_the_scenario_metrics(frame, shared):
    m = shared.metrics()
    m = m[m["year"].isin(frame["year"].unique())].set_index(
        ["municipality_code", "year", "metric"]
    )["value"]

    def rows(group, indicator):
        d = frame[(frame["group"] == group) & (frame["indicator"] == indicator)]
        return d.set_index(["municipality_code", "year"])["value"]

    total = budget._TOTAL_MARK
    for (code, year), v in rows("cost_service", total).items():
        assert v == pytest.approx(m[(code, year, "cost_nok")] / 1e6, rel=1e-9)
    for (code, year), v in rows("fte_service", total).items():
        assert v == pytest.approx(m[(code, year, "fte")], rel=1e-9, abs=1e-9)
    for (code, year), v in rows("places", budget.PLACE_LABELS["kad"]["nb"]).items():
        assert v == pytest.approx(m[(code, year, "beds_kad")], abs=1e-9)
    # FTE by profession and by service are two splits of the same total
    by_prof = (
        frame[frame["group"] == "fte_profession"]
        .groupby(["municipality_code", "year"])["value"]
        .sum()
    )
    pd.testing.assert_series_equal(
        by_prof.sort_index(), rows("fte_service", total).sort_index(), check_names=False
    )
    # users: home-service users of the region are the demand frame's
    d = shared.demand
    hj = d[(d["service"] == "hjemmetjenester") & (d["measure"] == "users") & (d["year"] == 2030)][
        "value"
    ].sum()
    users = frame[
        (frame["group"] == "users")
        & (frame["municipality_code"] == "region")
        & (frame["year"] == 2030)
    ]
    assert users["value"].iloc[0] == pytest.approx(hj)


def test_the_change_against_the_reference_is_the_difference_of_the_metrics(frame, shared, alone):
    diff = frame[frame["group"] == "difference"]
    assert set(diff["indicator"]) >= {
        "Årsverk i alt",
        "Kostnad i alt",
        budget.PLACE_LABELS["kad"]["nb"],
    }
    a = shared.metrics().set_index(["municipality_code", "year", "metric"])["value"]
    b = alone.metrics().set_index(["municipality_code", "year", "metric"])["value"]
    for row in diff[diff["indicator"] == "Kostnad i alt"].itertuples():
        key = (row.municipality_code, row.year, "cost_nok")
        assert row.value == pytest.approx((a[key] - b[key]) / 1e6, abs=1e-9)
    # the shared DMS needs fewer beds than each municipality alone
    kad = diff[
        (diff["indicator"] == budget.PLACE_LABELS["kad"]["nb"])
        & (diff["municipality_code"] == "region")
    ]
    assert (kad["value"] < 0).all()
    # against itself there is no difference group
    assert "difference" not in set(budget.budget_frame(shared, shared)["group"])


def test_long_term_places_are_shown_and_population_only_services_are_not(frame):
    region = frame[frame["municipality_code"] == "region"]
    places = set(region.loc[region["group"] == "places", "indicator"])
    assert budget.PLACE_LABELS["langtidsopphold"]["nb"] in places
    users = " ".join(region.loc[region["group"] == "users", "indicator"].unique())
    assert "Legevakt" not in users and "Fastlege" not in users
    assert users.count("Skolehelsetjeneste") == 3  # every school level


# ------------------------------------------------------------------------------------------------
# workforce: ratios by hand
# ------------------------------------------------------------------------------------------------
def test_workforce_ratios_by_hand_for_tydal_and_norway(shared):
    w = workforce.workforce_frame(shared).set_index(["municipality_code", "year"])
    year = 2030
    pop = shared.population
    p = pop[(pop["municipality_code"] == "5033") & (pop["year"] == year)]
    working = p.loc[(p["age"] >= 20) & (p["age"] <= 66), "population"].sum()
    old = p.loc[p["age"] >= 80, "population"].sum()
    # Tydal's FTE: its own units plus its cost share of every shared unit, worked row by row
    st = shared.staff[(shared.staff["measure"] == "fte") & (shared.staff["year"] == year)]
    sh = shared.cost_shares[
        (shared.cost_shares["year"] == year) & (shared.cost_shares["municipality_code"] == "5033")
    ]
    fte = 0.0
    for s in sh.itertuples():
        fte += s.share * st[(st["unit"] == s.unit) & (st["service"] == s.service)]["value"].sum()
    row = w.loc[("5033", year)]
    assert row["working_age"] == pytest.approx(working)
    assert row["fte_per_100_working_age"] == pytest.approx(100 * fte / working)
    assert row["working_age_per_80plus"] == pytest.approx(working / old)
    # Norway, observed: SSB 07459
    n = data.load_population_norway([2025])
    nw = n.loc[(n["age"] >= 20) & (n["age"] <= 66), "population"].sum()
    no = n.loc[n["age"] >= 80, "population"].sum()
    assert w.loc[("norway", 2025), "working_age_per_80plus"] == pytest.approx(nw / no)
    nat = w.loc[("norway", workforce.NATIONAL_CARE_FTE["year"])]
    assert nat["care_fte_per_100_working_age"] == pytest.approx(
        100 * workforce.NATIONAL_CARE_FTE["value"] / nat["working_age"]
    )
    # projected Norway: fewer people of working age per old person as the population ages
    assert (
        w.loc[("norway", 2050), "working_age_per_80plus"]
        < w.loc[("norway", 2026), "working_age_per_80plus"]
    )
    assert np.isnan(w.loc[("norway", 2030), "fte"])


def test_profession_fte_is_measured_from_today_and_sums_to_the_total(shared):
    p = workforce.profession_fte(shared)
    assert set(p["profession"]) == {"sykepleier", "helsefagarbeider", "lege", "andre"}
    today = p[p["year"] == 2026]
    assert (today["change"] == 0).all()
    m = shared.metrics()
    total = m[(m["municipality_code"] == "region") & (m["metric"] == "fte")].set_index("year")[
        "value"
    ]
    pd.testing.assert_series_equal(p.groupby("year")["fte"].sum(), total, check_names=False)


# ------------------------------------------------------------------------------------------------
# spreadsheet
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sheets(shared, alone):
    return export.report_sheets(shared, alone, "nb")


def test_xlsx_round_trip_gives_back_the_frames_with_numbers_as_numbers(sheets, tmp_path):
    import openpyxl

    path = export.write_xlsx(sheets, tmp_path / "shared_dms.xlsx")
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == list(sheets)
    assert {
        "Sammendrag",
        "Økonomiplan Regionen",
        "Økonomiplan Tydal",
        "Arbeidskraft",
        "Forutsetninger",
        "Kilder",
    } <= set(wb.sheetnames)
    for name, frame in sheets.items():
        rows = list(wb[name].iter_rows(values_only=True))
        assert list(rows[0]) == [str(c) for c in frame.columns], name
        width = len(frame.columns)  # read-only mode drops trailing empty cells
        back = pd.DataFrame(
            [[*r, *[None] * (width - len(r))] for r in rows[1:]], columns=frame.columns
        )
        assert len(back) == len(frame), name
        for col in frame.columns:
            if pd.api.types.is_numeric_dtype(frame[col]):
                got = pd.to_numeric(back[col]).to_numpy(dtype=float)
                assert all(isinstance(v, int | float) or v is None for v in back[col]), (name, col)
                np.testing.assert_allclose(
                    got, frame[col].to_numpy(dtype=float), rtol=1e-12, err_msg=f"{name}/{col}"
                )
    # headers carry units
    header = [c.value for c in next(wb["Kostnader"].iter_rows(max_row=1))]
    assert any(re.search(r"kr per år, \d{4}-kroner", str(h)) for h in header)


def test_xlsx_totals_equal_the_report_tables(sheets, frame, shared):
    region = sheets["Økonomiplan Regionen"]
    wide = budget.budget_table(frame, "region")
    cost = region[(region["Gruppe"] == "Kostnad per tjeneste") & (region["Indikator"] == "I alt")]
    wcost = wide[(wide["group"] == "Kostnad per tjeneste") & (wide["indicator"] == "I alt")]
    for y in (2027, 2030, 2050):
        assert float(cost[str(y)].iloc[0]) == pytest.approx(float(wcost[y].iloc[0]))
        m = shared.metrics()
        assert float(cost[str(y)].iloc[0]) * 1e6 == pytest.approx(
            m[
                (m["municipality_code"] == "region")
                & (m["year"] == y)
                & (m["metric"] == "cost_nok")
            ]["value"].iloc[0]
        )
    summary = sheets["Sammendrag"]
    head = next(c for c in summary.columns if c.startswith("Kostnad (kr per år,"))
    assert summary[head].iloc[-1] == pytest.approx(shared.headline()["cost_nok"])


def test_download_link_holds_the_workbook(shared, alone):
    import openpyxl

    link = export.report_download(shared, alone, "en")
    m = re.search(r'download="shared_dms.xlsx" href="data:([^;]+);base64,([^"]+)"', link)
    assert m and m.group(1) == export.XLSX_MIME
    wb = openpyxl.load_workbook(io.BytesIO(base64.b64decode(m.group(2))), read_only=True)
    assert "Budget Region" in wb.sheetnames and "Sources" in wb.sheetnames


def test_sheet_names_are_valid_and_unique():
    used: set[str] = set()
    a = export.sheet_name("Økonomiplan: a/b [c]" + "x" * 40, used)
    b = export.sheet_name("Økonomiplan: a/b [c]" + "x" * 40, used)
    assert len(a) <= 31 and len(b) <= 31 and a != b
    assert not set("[]:*?/\\") & set(a + b)


def test_cli_export_writes_the_workbook_and_refuses_bad_input(tmp_path, capsys):
    import openpyxl

    out = tmp_path / "dms.xlsx"
    assert main(["export", "shared_dms", "--xlsx", str(out)]) == 0
    wb = openpyxl.load_workbook(out, read_only=True)
    assert "Økonomiplan Regionen" in wb.sheetnames
    capsys.readouterr()
    for argv in (
        ["export", "shared_dms", "--xlsx", str(tmp_path / "dms.csv")],
        ["export", "shared_dms", "--xlsx", str(tmp_path / "missing" / "dms.xlsx")],
        ["export", "no_such", "--xlsx", str(out)],
        ["export", "shared_dms", "--xlsx", str(out), "--lang", "de"],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith("error:") and err.count("\n") == 1 and "Traceback" not in err, err


def test_default_reference_is_the_one_compare_uses():
    import inspect

    assert (
        export.default_reference()
        == inspect.signature(scenarios.compare).parameters["reference"].default
        == "today"
    )


def test_budget_html_shows_every_municipality_and_signed_changes(frame, shared):
    names = data.municipality_names()
    text = reports.budget_html(frame, list(shared.scenario.municipality_codes()), "nb", names)
    assert text.count("<details") == 5 and "Tydal" in text and "Regionen" in text
    # fewer intermediate beds than the reference (each municipality alone: 7-9 more in the
    # region), shown with a minus sign (issue 12: alone runs ØHD beds at the national occupancy,
    # so the KAD difference is now 1-2 beds)
    assert "−9" in text and "−7" in text


def test_a_service_added_to_the_model_gets_its_users_row_without_an_edit(shared):
    """A service the budget module does not list (a new entry of an existing kind in the
    catalogue) gets a users row with the measure its demand chart shows, labelled from the
    catalogue; services whose measures are only a population get none."""
    import copy

    from planning.parameters import catalogue_from_dict

    raw = data.load_yaml("services.yaml")
    raw["ny_tjeneste"] = dict(copy.deepcopy(raw["jordmor"]), label="Ny tjeneste")
    catalogue = catalogue_from_dict(raw, file="test services")

    class Scenario:  # the shared scenario with the new entry in its catalogue
        def catalogue(self):
            return catalogue

        def __getattr__(self, name):
            return getattr(shared.scenario, name)

    demand = shared.demand
    extra = demand[(demand["service"] == "hjemmetjenester") & (demand["measure"] == "users")]
    extra = extra.assign(service="ny_tjeneste", measure="births")
    other = copy.copy(shared)
    other.demand = pd.concat([demand, extra], ignore_index=True)
    other.scenario = Scenario()
    labels = {**reports.service_labels(catalogue), "ny_tjeneste": "Ny tjeneste"}
    rows = budget.budget_frame(other, service_labels=labels)
    users = rows[(rows["group"] == "users") & (rows["indicator"] == "Ny tjeneste")]
    assert set(users["unit"]) == {"fødsler"}  # the measure label of births
    own = rows[(rows["group"] == "users") & (rows["indicator"] == "Hjemmetjenester (mottakere)")]
    np.testing.assert_allclose(users["value"].to_numpy(), own["value"].to_numpy())
    # no row of a population; the new services' rows count people served
    users_rows = rows[rows["group"] == "users"]
    assert not users_rows["unit"].str.contains("innbyggere|grunnlag").any()
    assert not users_rows["indicator"].str.startswith(labels["legevakt"]).any()
    unit = users_rows.groupby("indicator")["unit"].first()
    assert unit[labels["psykisk_helse_rus"]] == "brukere med rusproblemer"
    assert unit[labels["frisklivssentral"]] == "deltakere per år"


def test_what_prevention_avoids_is_its_own_row():
    """The avoided home-care FTE of shared_prevention's innsatsteam (the scenario says it is
    shown as its own line) is a row of the økonomiplan equal to the capacity model's
    fte_avoided, growing as the effect ramps in; scenarios without new prevention units have
    no such row."""
    res = scenarios.run("shared_prevention", runs=0)
    rows = budget.budget_frame(res)
    row = rows[rows["indicator"] == "Hjemmetjenester (mottakere), unngått ved forebygging"]
    assert set(row["unit"]) == {"unngåtte årsverk (forebygging)"}
    region = row[row["municipality_code"] == "region"].set_index("year")["value"]
    cap = res.capacity
    want = cap[(cap["measure"] == "fte_avoided")].groupby("year")["value"].sum()
    np.testing.assert_allclose(region.to_numpy(), want.loc[region.index].to_numpy())
    assert region.is_monotonic_increasing and region.iloc[-1] > 0
    today = budget.budget_frame(scenarios.run("today", runs=0))
    assert not today["indicator"].str.contains("unngått").any()
