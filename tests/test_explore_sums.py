"""The explorer's fast paths (planning.explore.sums: sums of the stages' arrays) equal the
slow paths they replace (filters and groupbys over the tidy frames of the same stages), for a
set of municipalities with Monte Carlo runs and a prevention unit that avoids home care. Speed
is measured by bench/bench_explore.py, not here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planning import explore, plots, reports
from planning.explore import sums

CODES = ("5035", "5034", "5031")
YEAR = 2045


@pytest.fixture(scope="module")
def ex():
    e = explore.Explorer("today", runs=3, seed=11, make_chart=lambda fig: fig)
    e.update(municipalities=CODES, end_year=YEAR, shared=("kad", "innsatsteam"))
    assert not e.bands_pending  # the first update draws the bands at once
    return e


def _plan(ex):
    return ex._stages_full["plan"]


def test_the_plan_frames_are_built_when_read_and_equal_the_plans_frames_cut(ex):
    plan = _plan(ex)
    assert set(ex.frames) == {"capacity", "staff", "costs", "cost_shares"}
    for name in ex.frames:
        want = getattr(plan, name)
        want = want[want["year"] <= YEAR]
        pd.testing.assert_frame_equal(ex.frames[name], want)
    with pytest.raises(KeyError):
        ex.frames["population"]


def test_headline_and_avoided_equal_the_sums_over_the_plan_frames(ex):
    f = ex.frames
    cap, staff, costs = f["capacity"], f["staff"], f["costs"]
    at = cap[cap["year"] == YEAR]
    beds = at[(at["measure"] == "beds") & at["service"].isin(["kad", "intermediaer"])]
    want = {
        "beds": beds["value"].sum(),
        "fte": staff[(staff["year"] == YEAR) & (staff["measure"] == "fte")]["value"].sum(),
        "cost_nok": costs.loc[costs["year"] == YEAR, "nok"].sum(),
    }
    got = ex.headline()
    assert got.keys() == want.keys()
    for k in want:
        assert got[k] == pytest.approx(want[k], rel=1e-12), k
    a = at[at["measure"].astype(str).str.endswith("_avoided")]
    by = a.groupby(["service", "measure"], observed=True)["value"].sum()
    want_avoided: dict[str, dict[str, float]] = {}
    for (service, measure), value in by.items():
        if value > 0:
            want_avoided.setdefault(str(service), {})[str(measure)] = value
    assert want_avoided  # innsatsteam avoids home care: the comparison is not empty
    got_avoided = ex.avoided()
    assert list(got_avoided) == list(want_avoided)
    for s in want_avoided:
        assert got_avoided[s] == pytest.approx(want_avoided[s], rel=1e-12)


def test_served_users_from_the_plan_arrays_equal_the_capacity_frame_groupby(ex):
    """The served panels (psykisk helse og rus, innsatsteam) from the plan's arrays equal the
    groupby over the capacity frame that explore.charts.served_frame did, and plots.served_sums
    gives the same sums from the frame as from the arrays (the report's two branches)."""
    plan, demand0 = _plan(ex), ex._stages_full["demand0"]
    cap = plan.capacity
    pairs = cap[["service", "measure"]].astype(str).drop_duplicates()
    cat = ex.base.catalogue()
    keep = plots.served_in_capacity(list(demand0.columns), pairs.itertuples(index=False), cat)
    c = cap[pd.MultiIndex.from_frame(cap[["service", "measure"]].astype(str)).isin(keep)]
    g = c.groupby(["service", "measure", "year"], as_index=False, observed=True)["value"].sum()
    g["service"], g["measure"] = g["service"].astype(str), g["measure"].astype(str)
    runs = g.groupby(["service", "measure"], observed=True)["value"].transform("max") > 0
    want = g[runs].assign(municipality_code="region")
    want = want[["municipality_code", "year", "service", "measure", "value"]]
    got = ex.served()
    assert {("innsatsteam", "participants"), ("psykisk_helse_rus", "users_substance")} <= set(
        zip(got["service"], got["measure"], strict=True)
    )
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False, rtol=1e-12
    )
    years_a, arrays, _ = plots.served_sums(plan, list(demand0.columns), cat)
    years_f, frames, _ = plots.served_sums(cap, list(demand0.columns), cat)
    np.testing.assert_array_equal(years_a, years_f)
    assert list(arrays) == list(frames)
    for k in arrays:
        np.testing.assert_allclose(arrays[k], frames[k], rtol=1e-12)


def test_pooled_beds_from_the_demand_arrays_equal_bed_pooling_of_the_demand_frame(ex):
    for year, refusal in ((YEAR, 0.05), (2030, 0.01)):
        want = reports.bed_pooling(
            ex.frame("demand"), list(CODES), year, refusal, catalogue=ex.base.catalogue()
        )[1]
        want = want.sort_values(["service"], kind="stable", ignore_index=True)
        got = sums.pooled_beds(ex._stages_full["demand0"], year, refusal, ex.base.catalogue())
        pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-12)


def test_population_and_demand_lines_equal_the_frame_groupbys(ex):
    pop = ex._stages_full["population"]
    assert pop.n_runs == 4
    frame = pop.frame()
    for year in (2026, YEAR):
        pf = plots.pyramid_frame(frame, [year])
        bars = sums.pyramid_bars(ex._stages_full["population0"], year)
        for sex, (labels, values) in bars.items():
            d = pf[pf["sex"] == sex]
            assert labels.tolist() == d["band"].tolist()
            np.testing.assert_allclose(values, d["population"], rtol=1e-12)
    totals = plots.age_group_totals(frame, ("67+", "80+", "90+"))
    for g, (years, central, band) in zip(
        ("67+", "80+", "90+"), sums.age_group_lines(pop, ("67+", "80+", "90+")), strict=True
    ):
        c, b = plots.common.line_and_band(totals[totals["group"] == g], ["year"], "population")
        np.testing.assert_array_equal(years, c["year"])
        np.testing.assert_allclose(central, c["population"], rtol=1e-12)
        np.testing.assert_allclose(band, b[["p10", "p90"]].to_numpy().T, rtol=1e-12)
    demand = ex._stages_full["demand"]
    dframe = demand.frame()
    panels = plots.demand_panels(dframe, ex.base.catalogue())
    for (s, m), (years, central, band) in zip(
        panels, sums.demand_lines(demand, panels), strict=True
    ):
        d = dframe[(dframe["service"] == s) & (dframe["measure"] == m)]
        c, b = plots.common.line_and_band(d, ["year"])
        np.testing.assert_array_equal(years, c["year"])
        np.testing.assert_allclose(central, c["value"], rtol=1e-12)
        np.testing.assert_allclose(band, b[["p10", "p90"]].to_numpy().T, rtol=1e-12)


def test_staff_and_cost_sums_equal_the_frame_groupbys(ex):
    plan = _plan(ex)
    staff = plan.staff
    fte = staff[staff["measure"] == "fte"].groupby(["service", "year"])["value"].sum()
    got = sums.staff_fte_by_service(plan)
    assert list(got) == sorted(fte.index.get_level_values(0).unique())
    for s, v in got.items():
        np.testing.assert_allclose(v, fte.loc[s].to_numpy(), rtol=1e-12)
    costs = plan.costs
    want = costs.groupby(["municipality_code", "item", "year"])["nok"].sum()
    codes, items, arr = sums.costs_by_municipality_item(plan)
    assert codes == sorted(CODES)
    assert items == sorted(costs["item"].unique())
    for (code, item, year), nok in want.items():
        k = int(np.searchsorted(plan.years, year))
        assert arr[codes.index(code), items.index(item), k] == pytest.approx(nok, rel=1e-12)
    assert np.count_nonzero(arr) <= len(want)  # nothing beyond the frame's cells


def test_the_coverage_of_a_set_takes_its_rows_of_the_national_fit_as_restrict_does(ex):
    """The explorer restricts the national coverage fit by each municipality's rows (found once)
    instead of scanning it: the same frame as coverage.restrict, row for row."""
    from planning import scenarios
    from planning.coverage import restrict

    services_json = scenarios._freeze(ex.scenario().services)
    national = ex._coverage[services_json]
    for codes in (CODES, ("5001",), ("5035", "5034", "5033", "5032", "5031", "5036")):
        got = ex.coverage(codes, services_json)
        pd.testing.assert_frame_equal(got, restrict(national, list(codes)))
        assert set(got["municipality_code"]) == set(codes)


def test_staffing_calibrated_from_the_calibration_rows_equals_the_whole_kostra_panel():
    """The pipeline calibrates each set's staffing from the KOSTRA rows the calibration reads
    (taken from the national panel once per process): the same table as from the whole panel."""
    from planning import data, scenarios
    from planning.calibration import calibration_rows, staffing_table
    from planning.scenario import pipeline

    cat = scenarios.load_scenario("today").catalogue()
    year = int(cat.calibration.year.value)
    assert len(calibration_rows(data.load_kostra(), year)) < len(data.load_kostra()) / 5
    for codes in (CODES, ("5032", "5033"), ("4204", "4223", "5001")):
        units = pipeline._status_quo_units(codes)
        want = staffing_table(data.load_kostra(), cat, list(codes), units=units)
        got = staffing_table(pipeline._calibration_kostra(year), cat, list(codes), units=units)
        pd.testing.assert_frame_equal(got, want)
        assert (got["nurse_source"] != "catalogue").any()  # calibrated from KOSTRA figures
