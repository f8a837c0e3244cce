"""The explore engine (planning.explore): its numbers are those of scenarios.run for the same
scenario (a projection made to a later year and cut gives the same years; capacity for the
central run alone equals run 0), only the charts a control touches change, charts are updated in
place with the data a full rebuild from planning.plots would draw, and bad input leaves the charts
as they were. Timing is measured by bench/bench_explore.py, not here."""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest

from planning import explore, plots, scenarios
from planning.errors import PlanningError
from planning.i18n import fmt_number


class _Chart:
    """A stand-in for a FigureWidget: records restyles and relayouts, keeps the figure."""

    def __init__(self, fig):
        self.fig = fig
        self.restyles = 0

    def batch_update(self):  # marks the chart as updatable in place
        return contextlib.nullcontext()

    def update(self, data, layout, overwrite):  # a full rebuild
        import plotly.graph_objects as go

        self.fig = go.Figure(data=data, layout=layout)

    @property
    def data(self):
        return self.fig.data

    @data.setter
    def data(self, traces):  # new traces (their number or kind changed)
        self.fig.data = traces
        self.rebuilds = getattr(self, "rebuilds", 0) + 1

    def add_traces(self, traces):
        self.fig.add_traces(traces)

    def plotly_restyle(self, data, traces):
        self.restyles += 1
        for key, values in data.items():
            for i, v in zip(traces, values, strict=True):
                self.fig.data[i][key] = v

    def plotly_relayout(self, layout):
        self.fig.plotly_relayout(dict(layout))


@pytest.fixture(scope="module")
def ex():
    e = explore.Explorer("alone", runs=3, seed=7, make_chart=_Chart)
    e.update()
    return e


def _traces(fig):
    return [
        (np.asarray(t.x).tolist(), np.asarray(t.y, dtype=float).round(9).tolist()) for t in fig.data
    ]


def test_numbers_equal_scenarios_run_for_the_same_scenario(ex):
    ex.update(end_year=2040, max_refusal=0.03, shared=("kad", "intermediaer"))
    res = scenarios.run(ex.scenario(), runs=3, seed=7)
    _central_equal(ex, res)
    for name in ("population", "demand"):
        want, got = getattr(res, name), ex.frame(name)
        keys = [c for c in want.columns if c not in ("value", "population")]
        col = "population" if name == "population" else "value"
        m = want.merge(got, on=keys, suffixes=("_run", "_ex"))
        assert len(m) == len(want) == len(got), name
        np.testing.assert_allclose(m[f"{col}_ex"], m[f"{col}_run"], rtol=1e-9, err_msg=name)
    h = res.headline()
    assert ex.headline()["beds"] == pytest.approx(h["beds"])
    assert ex.headline()["cost_nok"] == pytest.approx(h["cost_nok"])
    ex.update(end_year=2050, max_refusal=0.05, shared=())


@pytest.mark.parametrize("name", sorted(set(explore.CHART_INPUTS) - {"map"}))  # the map is redrawn
def test_series_are_the_traces_planning_plots_draws(ex, name):
    for change in ({}, {"end_year": 2045}, {"healthy_ageing": 0.5, "end_year": 2050}):
        if change:
            ex.update(**change)
        shape, traces, _ = ex.series(name)
        fig = ex.figure(name)
        assert len(traces) == len(fig.data), name
        for props, trace in zip(traces, fig.data, strict=True):
            x = np.asarray(props["x"])
            if x.dtype.kind == "f":  # persons summed in another order: equal to the last bits
                np.testing.assert_allclose(x, np.asarray(trace.x, dtype=float), rtol=1e-12)
            else:
                np.testing.assert_array_equal(x, np.asarray(trace.x))
            y = np.asarray(props["y"])
            if y.dtype.kind in "fiu":
                np.testing.assert_allclose(
                    y.astype(float), np.asarray(trace.y, dtype=float), rtol=1e-12
                )
            else:  # category labels (the pyramid's age bands)
                np.testing.assert_array_equal(y, np.asarray(trace.y))
    ex.update(healthy_ageing=scenarios.load_scenario("alone").resolved_levers().healthy_ageing)


def test_a_control_redraws_only_the_charts_it_touches_in_place(ex):
    before = {k: id(c) for k, c in ex.charts.items()}
    restyles = {k: c.restyles for k, c in ex.charts.items()}
    timings = ex.update(max_refusal=0.08)
    assert set(timings) - {"compute", "total"} == {"beds", "fte", "cost"}
    assert {k: id(c) for k, c in ex.charts.items()} == before
    assert ex.charts["pyramid"].restyles == restyles["pyramid"]
    assert ex.charts["beds"].restyles == restyles["beds"] + 1
    assert set(ex.update(occupancy_target=0.9)) == {"compute", "total"}
    assert set(ex.update(end_year=2035)) - {"compute", "total"} == set(explore.CHART_INPUTS) - {
        "map"
    }
    growth = ex.charts["growth"].fig
    assert max(max(t.x) for t in growth.data) == 2035
    assert "2035" in ex.charts["beds"].fig.layout.title.text
    assert ex.update() == {"compute": 0.0, "total": ex.timings["total"]}  # nothing changed
    ex.update(max_refusal=0.05, occupancy_target=0.85, end_year=2050)


def test_end_year_cuts_a_longer_projection_without_changing_it():
    base = scenarios.load_scenario("alone")
    a = scenarios.run(scenarios.apply_overrides(base, {"horizon.end_year": 2040}), runs=2, seed=3)
    b = scenarios.run(
        scenarios.apply_overrides(base, {"horizon.end_year": explore.MAX_END_YEAR}), runs=2, seed=3
    )
    for name in ("population", "demand"):
        x = getattr(a, name)
        y = getattr(b, name)
        pd.testing.assert_frame_equal(
            x.reset_index(drop=True), y[y["year"] <= 2040].reset_index(drop=True)
        )


def test_pooling_a_shared_dms_needs_fewer_beds_and_bad_input_keeps_the_charts(ex):
    ex.update(shared=())
    alone = ex.headline()["beds"]
    ex.update(shared=("kad", "intermediaer"))
    assert ex.headline()["beds"] < alone
    values = dict(ex.values)
    with pytest.raises(PlanningError):
        ex.update(municipalities=("9999",))
    with pytest.raises(PlanningError):
        ex.update(no_such_control=1)
    assert ex.values == values
    ex.update(shared=())


def test_demand_chart_has_no_population_only_series_and_every_school_level(ex):
    panels = plots.demand_panels(ex.frame("demand"), ex.base.catalogue())
    services = [s for s, _ in panels]
    assert not {"legevakt", "fastlege", "kommuneoverlege"} & set(services)
    assert [m for s, m in panels if s == "skolehelsetjeneste"] == [
        "pupils_barneskole",
        "pupils_ungdomsskole",
        "pupils_vgs",
    ]


def test_a_new_set_of_municipalities_uses_the_national_coverage_fit_and_equals_scenarios_run(ex):
    """The coverage fit pools over the national panel whatever municipalities are asked for, so
    the explorer fits it once and restricts it to each set; the numbers equal scenarios.run."""
    codes = ("5035", "5031", "5036")
    ex.update(municipalities=codes)
    services_json = scenarios._freeze(ex.scenario().services)
    want = scenarios._coverage_rates(codes, services_json)
    got = ex.coverage(codes, services_json)
    keys = ["municipality_code", "service", "age_group"]
    pd.testing.assert_frame_equal(
        got.sort_values(keys).reset_index(drop=True), want.sort_values(keys).reset_index(drop=True)
    )
    res = scenarios.run(ex.scenario(), runs=3, seed=7)
    for name, col in (("population", "population"), ("demand", "value")):
        w, g = getattr(res, name), ex.frame(name)
        on = [c for c in w.columns if c != col]
        m = w.merge(g, on=on, suffixes=("_run", "_ex"))
        assert len(m) == len(w) == len(g), name
        np.testing.assert_allclose(m[f"{col}_ex"], m[f"{col}_run"], rtol=1e-9, err_msg=name)
    assert ex.headline()["cost_nok"] == pytest.approx(res.headline()["cost_nok"])
    ex.update(municipalities=("5035", "5034", "5033", "5032"))


def test_the_central_projection_of_a_set_is_the_stack_of_its_members():
    """Run 0 of a projection is made municipality by municipality (national rates, each
    municipality's own calibration): a set's central projection is its members' stacked. The
    Monte Carlo runs are not: each run draws national components (migration shift, mortality
    improvement, fertility offset) shared by all members, so the explorer projects a set's runs
    jointly rather than stacking members projected one by one."""
    from planning import demography

    codes = ["5035", "5034", "5033", "5032", "5031", "5036"]
    joint = demography.project(codes, base_year=2026, end_year=2060, runs=0)
    stacked = pd.concat(
        [demography.project([c], base_year=2026, end_year=2060, runs=0) for c in codes],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(joint.reset_index(drop=True), stacked)


def _central_equal(ex, res):
    """The explorer's plan frames equal run 0 of ``res`` (scenarios.run) key by key."""
    for name in ("capacity", "staff", "costs", "cost_shares"):
        want = getattr(res, name)
        want = want[want["run"] == 0].drop(columns="run") if "run" in want.columns else want
        got = ex.frame(name)
        keys = [c for c in want.columns if c not in ("value", "nok", "share")]
        m = want.merge(got, on=keys, how="outer", suffixes=("_run", "_ex"), indicator=True)
        assert (m["_merge"] == "both").all(), name
        for col in ("value", "nok", "share"):
            if f"{col}_run" in m.columns:
                np.testing.assert_allclose(
                    m[f"{col}_ex"], m[f"{col}_run"], rtol=1e-9, atol=1e-9, err_msg=name
                )


def test_the_notebook_starts_from_today_and_its_answer_is_scenarios_run_of_today():
    """The explorer's default base is today's organisation, and with no control moved its
    answer is scenarios.run('today')'s central run (one pipeline: plan_services); the status
    line compares with today."""
    ex = explore.Explorer(runs=0, make_chart=_Chart)
    assert ex.base.name == "today"
    ex.update(end_year=2050)
    units = {u.name for u in ex.scenario().organisation.units}
    assert {u.name for u in scenarios.load_scenario("today").organisation.units} == units
    res = scenarios.run("today", runs=0)
    _central_equal(ex, res)
    h = res.headline()
    assert ex.headline()["beds"] == pytest.approx(h["beds"])
    assert ex.headline()["cost_nok"] == pytest.approx(h["cost_nok"])
    assert ex.reference() == ex.headline()
    assert "mot i dag: 0 senger" in ex.status()
    # sharing KAD and intermediate beds among all four replaces today's DMS of three (and
    # Selbu's own beds): the answer is scenarios.run of that scenario, and the status line
    # gives the change from today
    ex.update(shared=("kad", "intermediaer"))
    names = {u.name for u in ex.scenario().organisation.units}
    assert "felles_kad" in names and "Værnesregionen DMS, KAD-senger" not in names
    assert "Værnesregionen legevakt" in names  # today's other units stay
    _central_equal(ex, scenarios.run(ex.scenario(), runs=0))
    ref = ex.reference()
    assert ref["beds"] == pytest.approx(h["beds"])
    assert ex.headline()["beds"] < ref["beds"]
    assert "mot i dag: −" in ex.status()


def test_the_reference_is_today_whatever_the_base():
    """Today is the reference: on the base shared_prevention with nothing shared by the
    control, the change from today is scenarios.run('shared_prevention') minus
    scenarios.run('today') (the headline difference compare() gives), not zero against the
    base itself."""
    ex = explore.Explorer("shared_prevention", runs=0, make_chart=_Chart)
    ex.update(end_year=2050)
    base, today = scenarios.run("shared_prevention", runs=0), scenarios.run("today", runs=0)
    assert ex.headline()["fte"] == pytest.approx(base.headline()["fte"])
    ref = ex.reference()
    for k in ("beds", "fte", "cost_nok"):
        assert ref[k] == pytest.approx(today.headline()[k])
    c = scenarios.compare([base, today], alone=None)
    c = c[(c["municipality_code"] == "region") & (c["year"] == 2050)].set_index("metric")
    for k in ("beds", "fte", "cost_nok"):
        assert ex.headline()[k] - ref[k] == pytest.approx(c.loc[k, "difference"])
    assert c.loc["fte", "difference"] != 0  # the prevention units cost staff: not zero
    fte = fmt_number(ex.headline()["fte"] - ref["fte"], "nb")
    assert "mot i dag: 0 senger, " in ex.status() and "0 årsverk" not in ex.status()
    assert fte.lstrip("−-") in ex.status()


def test_demand_chart_shows_the_users_the_capacity_holds_when_the_service_runs():
    """The explorer's demand chart has the panels the report's has for psykisk helse og rus's
    users with substance problems and the prevention units' participants (selected by
    plots.served_in_capacity), each the sum of the central run's capacity over the units; a
    prevention unit's panel is there when the unit runs (innsatsteam shared) and not before."""
    ex = explore.Explorer(runs=0, make_chart=_Chart)
    ex.update(end_year=2040)
    panels = ex.series("demand")[0][0]
    assert ("psykisk_helse_rus", "users_substance") in panels
    assert ("innsatsteam", "participants") not in panels
    ex.update(shared=("innsatsteam",))
    shape, traces, _ = ex.series("demand")
    assert ("innsatsteam", "participants") in shape[0]
    res = scenarios.run(ex.scenario(end_year=2040), runs=0)
    cap = res.capacity
    for s, m in [("innsatsteam", "participants"), ("psykisk_helse_rus", "users_substance")]:
        want = cap[(cap["service"] == s) & (cap["measure"] == m)].groupby("year")["value"].sum()
        assert want.gt(0).any()
        line = traces[shape[0].index((s, m))]  # central run alone: one line per panel
        assert np.asarray(line["x"]).tolist() == want.index.tolist()
        assert np.asarray(line["y"], dtype=float) == pytest.approx(want.to_numpy())
    # the live chart holds the figure plots.demand_by_service draws, with the served panels
    assert _traces(ex.charts["demand"].fig) == _traces(ex.figure("demand"))
    assert len(ex.charts["demand"].fig.data) == len(traces)


def test_the_status_line_shows_what_prevention_avoids():
    """Issue 16 item 5: with a prevention unit whose mitigator acts (the innsatsteam shared by
    the four) the status line shows the home-care FTE and users it avoids at the end year, as
    the økonomiplan's row 'Hjemmetjenester, unngått ved forebygging' does; the numbers are those
    of scenarios.run of the same scenario. Without such a unit, or with one of no documented
    effect (frisklivssentral), nothing is shown."""
    from planning import budget

    ex = explore.Explorer(runs=0, make_chart=_Chart)
    ex.update(end_year=2050)
    assert ex.avoided() == {} and "unngått" not in ex.status()
    ex.update(shared=("innsatsteam",))
    res = scenarios.run(ex.scenario(), runs=0)
    cap = res.capacity[res.capacity["year"] == 2050]
    want = cap[cap["measure"] == "fte_avoided"].groupby("service")["value"].sum()
    avoided = ex.avoided()
    assert set(avoided) == {"hjemmetjenester"}
    assert avoided["hjemmetjenester"]["fte_avoided"] == pytest.approx(want["hjemmetjenester"])
    assert avoided["hjemmetjenester"]["fte_avoided"] > 0
    # the unit acts on new users' hours, not on their number: no users avoided are claimed
    assert "users_avoided" not in avoided["hjemmetjenester"]
    fte = fmt_number(avoided["hjemmetjenester"]["fte_avoided"], "nb")
    label = ex.labels["hjemmetjenester"]
    assert f"{label}, {budget.AVOIDED['nb']}: {fte} årsverk" in ex.status()
    ex.lang = "en"
    try:
        assert f"{budget.AVOIDED['en']}: " in ex.status() and " FTE (" in ex.status()
    finally:
        ex.lang = "nb"
    ex.update(shared=("frisklivssentral",))  # no documented effect on care demand
    assert ex.avoided() == {} and "unngått" not in ex.status()


def test_bands_later_answers_with_the_central_run_then_fills_the_bands():
    """With bands_later a new set of municipalities answers with the central run (the plan is
    final; the band charts have empty bands and say so), and fill_bands then draws the same
    figures as a synchronous update."""
    now = explore.Explorer(runs=3, seed=11, make_chart=_Chart)
    now.update()
    later = explore.Explorer(runs=3, seed=11, make_chart=_Chart, bands_later=True)
    later.update()
    assert not later.bands_pending  # the first update draws everything
    codes = ("5035", "5031", "5036")
    now.update(municipalities=codes)
    later.update(municipalities=codes)
    assert later.bands_pending
    assert later.headline() == now.headline()
    for name in ("capacity", "staff", "costs"):
        pd.testing.assert_frame_equal(later.frame(name), now.frame(name))
    growth = later.charts["growth"].fig
    assert growth.layout.title.text.endswith(explore.t("bands_pending", "nb"))
    assert all(len(tr.x) == 0 for tr in growth.data if tr.fill == "toself")  # no band yet
    assert "usikkerhetsbånd beregnes" in later.status()
    assert later.fill_bands() and not later.bands_pending
    assert not later.fill_bands()  # nothing left to fill
    for name in ("growth", "demand"):
        assert _traces(later.charts[name].fig) == _traces(now.charts[name].fig), name
        assert later.charts[name].fig.layout.title.text == now.charts[name].fig.layout.title.text
    for name in ("population", "demand"):
        pd.testing.assert_frame_equal(later.frame(name), now.frame(name))
    # back to a set whose runs are cached: the bands come at once
    later.update(municipalities=tuple(later.base.municipality_codes()))
    assert not later.bands_pending


def test_later_runs_the_job_after_the_current_message_on_a_running_loop():
    import asyncio

    log = []

    async def handler():
        explore.later(lambda: log.append("job"))
        log.append("answer")
        await asyncio.sleep(0)
        log.append("next")

    asyncio.run(handler())
    assert log == ["answer", "job", "next"]
    explore.later(lambda: log.append("now"))  # no loop: at once
    assert log[-1] == "now"


def _plain(x):
    """Traces and layout with arrays as lists, for comparing map parts whole."""
    if isinstance(x, np.ndarray):
        return (str(x.dtype), x.tolist())
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    return x


def test_the_map_of_a_set_is_drawn_from_its_members_neighbours_as_region_map_draws_it():
    """The explorer finds a set's neighbours from each member's (found once): the same rows as
    plots.neighbours of the whole set, and its map, drawn with one plots.MapIndex kept over
    many sets (each municipality's outline and label point read once), equals
    plots.region_map_parts of the set drawn from scratch, trace by trace; the live chart shows
    it."""
    from planning import data

    ex = explore.Explorer(runs=0, make_chart=_Chart)
    ex.update()
    geometry, places, travel = ex._map_inputs()
    sets = (
        ("5035", "5034"),
        ("5031", "5035", "5036"),
        tuple(data.region("vaernes")),
        ("5001", "5031", "5035"),
        tuple(data.region("knutepunkt_sorlandet")),
    )
    for codes in sets:
        want = plots.neighbours(geometry, codes)
        got = ex._around(tuple(sorted(codes)))
        assert got == sorted(want["municipality_code"]), codes
        ex.update(municipalities=codes)
        b = plots.region_map_parts(geometry, places, travel, list(codes))
        a = ex._parts("map", ("map", tuple(sorted(codes))), [])
        title = b[1].pop("title")
        assert _plain(a[0]) == _plain(b[0]), codes
        assert _plain(a[1]) == _plain({**b[1], "title.text": title}), codes
        assert len(ex.charts["map"].fig.data) == len(b[0])


def test_widgets_update_a_live_figurewidget_in_place():
    """planning.explore.widgets on a real FigureWidget: new data into the same traces (names and
    kinds kept), new traces, and a whole new figure, with the layout keys given."""
    import plotly.graph_objects as go

    from planning.explore import widgets

    fig = go.Figure([go.Scatter(x=[1, 2], y=[3, 4], name="a"), go.Bar(x=[1], y=[5], name="b")])
    chart = widgets.figure_widget(fig)
    assert isinstance(chart, go.FigureWidget) and widgets.can_update(chart)
    widgets.restyle(chart, [{"y": [7, 8]}, {"y": [9]}], {"title.text": "T"})
    assert [tuple(d.y) for d in chart.data] == [(7, 8), (9,)]
    assert [d.name for d in chart.data] == ["a", "b"] and chart.layout.title.text == "T"
    widgets.replace_traces(chart, [go.Bar(x=[1], y=[2], name="c")], {"height": 300})
    assert [(d.type, d.name) for d in chart.data] == [("bar", "c")]
    assert chart.layout.height == 300 and chart.layout.title.text == "T"  # other keys kept
    widgets.replace_figure(chart, fig.update_layout(title_text="U"))
    assert [d.name for d in chart.data] == ["a", "b"] and chart.layout.title.text == "U"
    assert widgets.can_update(chart) and not widgets.can_update(object())
