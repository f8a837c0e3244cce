"""The report's fast paths change no figure (issue 13, reports at 500 runs).

A report reads the central run through :meth:`ScenarioResult.central` (run 0 cut from the
arrays), draws its bands from frames reduced over runs (:func:`planning.plots.age_group_bands`,
:func:`planning.plots.demand_bands`), shares today's side of the tornado, the projections and the
coverage estimates between the reports of one run (:mod:`planning.shared_cache`) and parses YAML
with libyaml when it can. Each is checked here against the slow path it replaces.
"""

from __future__ import annotations

import base64
import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from planning import (
    budget,
    data,
    export,
    io,
    plots,
    reports,
    scenarios,
    sensitivity,
    shared_cache,
    uncertainty,
    workforce,
)
from planning.population import Population
from planning.stats import quantiles

FRAMES = ("population", "demand", "capacity", "staff", "costs", "cost_shares")


@pytest.fixture(scope="module")
def result():
    return scenarios.run("shared_dms", runs=12, seed=5)


@pytest.fixture(scope="module")
def reference(result):
    return scenarios.run_like("today", result)


def _run0(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["run"] == 0].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# the central view
# ---------------------------------------------------------------------------------------------
def test_the_central_view_holds_run_0_of_every_frame_and_the_whole_summary(result):
    central = result.central()
    for name in FRAMES:
        pd.testing.assert_frame_equal(
            getattr(central, name).reset_index(drop=True), _run0(getattr(result, name))
        )
    pd.testing.assert_frame_equal(central.metrics(), _run0(result.metrics()))
    # the summary keeps its P10-P90 over runs 1..N, the headline its figures
    pd.testing.assert_frame_equal(central.summary, result.summary)
    assert central.summary["p10"].notna().all()
    assert central.headline() == result.headline()
    assert central.runs == result.runs == 12


def test_the_central_view_of_a_result_given_as_frames(result):
    given = scenarios.ScenarioResult(
        name=result.name,
        scenario=result.scenario,
        **{name: getattr(result, name) for name in FRAMES},
        provenance=result.provenance,
    )
    assert given.arrays("population") is None and given.arrays("demand") is None
    central = given.central()
    for name in FRAMES:
        pd.testing.assert_frame_equal(getattr(central, name), _run0(getattr(result, name)))
    with pytest.raises(KeyError):
        result.arrays("staff")


def test_tables_and_workbook_of_the_central_view_equal_those_of_the_whole_result(result, reference):
    labels = reports.service_labels(result.scenario.catalogue())
    names = data.municipality_names()
    full = budget.budget_frame(result, reference, lang="nb", service_labels=labels)
    fast = budget.budget_frame(result.central(), reference.central(), service_labels=labels)
    pd.testing.assert_frame_equal(fast, full)
    pd.testing.assert_frame_equal(
        workforce.workforce_frame(result.central()), workforce.workforce_frame(result)
    )
    slow = export.report_sheets(result, reference, "nb", names, labels, full)
    quick = export.report_sheets(result.central(), reference.central(), "nb", names, labels, fast)
    assert list(slow) == list(quick)
    for sheet in slow:
        pd.testing.assert_frame_equal(quick[sheet], slow[sheet], obj=sheet)


# ---------------------------------------------------------------------------------------------
# bands reduced over runs
# ---------------------------------------------------------------------------------------------
def test_demand_bands_from_the_arrays_equal_the_quantiles_of_the_full_frame(result):
    fast = plots.demand_bands(result)
    d = result.demand
    region = d.groupby(["year", "service", "measure", "run"], as_index=False)["value"].sum()
    q = quantiles(region, ["year", "service", "measure"], q=plots.BAND_QUANTILES)
    central = _run0(region).drop(columns="run")
    slow = central.merge(q, on=["year", "service", "measure"])
    slow = slow.sort_values(["service", "measure", "year"], ignore_index=True)
    assert len(fast) == len(slow) == len(region) / 13
    assert (fast["municipality_code"] == "region").all()
    for col in ("year", "service", "measure"):
        assert fast[col].tolist() == slow[col].tolist()
    for col in ("value", "p10", "p90"):
        np.testing.assert_allclose(fast[col], slow[col], rtol=1e-12, atol=1e-9)
    # the same from the tidy frame
    pd.testing.assert_frame_equal(plots.demand_bands(result.demand), fast, rtol=1e-12)


def test_age_group_bands_from_the_arrays_equal_the_quantiles_of_the_full_frame(result):
    groups = ("67+", "80+", "90+", "0-19")
    fast = plots.age_group_bands(result, groups)
    totals = plots.age_group_totals(result.population, groups)
    q = quantiles(totals, ["group", "year"], value="population", q=plots.BAND_QUANTILES)
    slow = _run0(totals).drop(columns="run").merge(q, on=["group", "year"])
    slow = slow.set_index(["group", "year"]).loc[
        list(zip(fast["group"], fast["year"], strict=True))
    ]
    for col in ("population", "p10", "p90"):
        np.testing.assert_allclose(fast[col], slow[col], rtol=1e-12)
    pd.testing.assert_frame_equal(plots.age_group_bands(result.population, groups), fast)


def test_without_runs_the_reduced_frames_have_no_band():
    r = scenarios.run("today", runs=0)
    assert plots.demand_bands(r)["p10"].isna().all()
    assert plots.age_group_bands(r)["p90"].isna().all()
    fig = plots.age_group_growth(plots.age_group_bands(r), lang="en")
    assert not any(tr.fill == "toself" for tr in fig.data)


def _decoded(value):
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
    return value


def _same_figure(a, b) -> None:
    """Every trace of two figures: the same keys, numbers equal to 1e-12, text equal."""
    da, db = a.to_plotly_json()["data"], b.to_plotly_json()["data"]
    assert len(da) == len(db)
    for ta, tb in zip(da, db, strict=True):
        assert set(ta) == set(tb)
        for k in ta:
            x, y = _decoded(ta[k]), _decoded(tb[k])
            if isinstance(x, np.ndarray | list | tuple) and np.asarray(x).dtype.kind in "fiu":
                np.testing.assert_allclose(
                    np.asarray(x, dtype=float), np.asarray(y, dtype=float), rtol=1e-12, err_msg=k
                )
            elif isinstance(x, np.ndarray | list | tuple):
                assert list(x) == list(y), k
            else:
                assert x == y, k
    assert a.to_plotly_json()["layout"] == b.to_plotly_json()["layout"]


def test_charts_from_reduced_frames_draw_what_the_full_frames_draw(result):
    groups = ("67+", "80+", "90+")
    bands = plots.demand_bands(result)
    cat = result.scenario.catalogue()
    _same_figure(
        plots.age_group_growth(plots.age_group_bands(result, groups), groups, lang="nb"),
        plots.age_group_growth(result.population, groups, lang="nb"),
    )
    _same_figure(
        plots.demand_by_service(bands, lang="en", catalogue=cat),
        plots.demand_by_service(result.demand, "en", catalogue=cat),
    )
    _same_figure(
        plots.kad_activity(bands, result.central().capacity, lang="nb"),
        plots.kad_activity(result.demand, result.capacity, lang="nb"),
    )
    _same_figure(
        plots.population_pyramid(result.central().population, years=[2026, 2050]),
        plots.population_pyramid(result.population, years=[2026, 2050]),
    )
    # a band is drawn: the reduced frame still carries runs 1..N
    assert any(tr.fill == "toself" for tr in plots.demand_by_service(bands, catalogue=cat).data)


def test_quantiles_of_a_reduced_frame_cannot_be_summed(result):
    bands = plots.demand_bands(result)
    twice = pd.concat([bands, bands.assign(municipality_code="5035")])
    d = twice[(twice["service"] == "kad") & (twice["measure"] == "admissions")]
    with pytest.raises(Exception, match="cannot be summed"):
        plots.line_and_band(d, ["year"])


# ---------------------------------------------------------------------------------------------
# work shared by the reports of one run
# ---------------------------------------------------------------------------------------------
SUBSET = ("kad.fte_per_bed", "levers.max_refusal", "coverage.estimation.window")


def test_a_tornado_reading_todays_side_from_the_cache_equals_one_computing_it():
    ranges = {p: r for p, r in uncertainty.load_ranges().items() if p in SUBSET}
    store: dict[str, object] = {}
    computed: list[str] = []

    def cache(kind, key, compute):
        name = shared_cache.cache_key(kind, key)
        if name not in store:
            computed.append(kind)
            store[name] = pickle.loads(pickle.dumps(compute()))  # as read from the folder
        return store[name]

    plain = sensitivity.tornado("shared_dms", "today", ranges=ranges)
    first = sensitivity.tornado("shared_dms", "today", ranges=ranges, cache=cache)
    other = sensitivity.tornado("shared_staff", "today", ranges=ranges, cache=cache)
    assert computed == ["tornado-reference"]  # today's side once for both scenarios
    pd.testing.assert_frame_equal(first, plain)
    pd.testing.assert_frame_equal(
        other, sensitivity.tornado("shared_staff", "today", ranges=ranges)
    )
    # the reference itself: one side serves both (the differences are zero)
    own = sensitivity.tornado("today", "today", ranges=ranges, cache=cache)
    assert computed == ["tornado-reference"]
    diff = own[own["metric"].str.contains("_vs_") & own["evaluated"]]
    assert (diff[["central", "at_low", "at_high", "swing"]].abs().to_numpy() == 0).all()


def test_shared_values_stay_out_of_the_process_without_a_run_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(shared_cache.CACHE_ENV, raising=False)
    monkeypatch.setattr(shared_cache, "_MEMORY", {})
    calls: list[int] = []
    for _ in range(2):
        assert shared_cache.shared("demo", {"x": 1}, lambda: calls.append(1) or 3) == 3
    assert len(calls) == 2 and shared_cache._MEMORY == {}
    monkeypatch.setenv(shared_cache.CACHE_ENV, str(tmp_path))
    for _ in range(2):
        assert shared_cache.shared("demo", {"x": 1}, lambda: calls.append(1) or 3) == 3
    assert len(calls) == 3 and len(list(tmp_path.glob("demo-*.pickle"))) == 1


def test_a_run_inside_a_report_run_equals_a_run_outside_it(tmp_path):
    """The projection and the coverage estimates come from the run's folder in a second process
    (the first computed them): the results are those of a plain run."""
    code = (
        "import sys, pickle\n"
        "from planning import scenarios\n"
        "r = scenarios.run('shared_staff', runs=4, seed=9)\n"
        "pickle.dump((r.summary, r.central().staff), open(sys.argv[1], 'wb'))\n"
    )
    env = {**__import__("os").environ, shared_cache.CACHE_ENV: str(tmp_path)}
    for k in range(2):
        subprocess.run(
            [sys.executable, "-c", code, str(tmp_path / f"out{k}.pickle")], env=env, check=True
        )
    assert list(tmp_path.glob("projection-*.pickle")) and list(tmp_path.glob("coverage-*.pickle"))
    plain = scenarios.run("shared_staff", runs=4, seed=9)
    for k in range(2):
        summary, staff = pickle.loads((tmp_path / f"out{k}.pickle").read_bytes())
        pd.testing.assert_frame_equal(summary, plain.summary)
        pd.testing.assert_frame_equal(staff, plain.central().staff)


def test_a_pickled_population_is_read_only_and_without_its_cached_frame(result):
    pop = result.arrays("population")
    pop.frame()  # builds and keeps the frame
    back = pickle.loads(pickle.dumps(pop))
    assert isinstance(back, Population) and back._cache == {}
    np.testing.assert_array_equal(back.values, pop.values)
    assert not back.values.flags.writeable


# ---------------------------------------------------------------------------------------------
# YAML
# ---------------------------------------------------------------------------------------------
def test_data_yaml_is_parsed_once_and_each_caller_gets_its_own_copy():
    a = data.load_yaml("organisation.yaml")
    a["units"].clear()
    assert data.load_yaml("organisation.yaml")["units"]


@pytest.mark.skipif(io._FastLoader is None, reason="PyYAML without libyaml")
def test_the_c_parser_reads_every_shipped_yaml_file_as_the_python_parser_does():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    files = [
        p
        for d in ("data", "scenarios", "tests")
        for p in (root / d).rglob("*.y*ml")
        if p.suffix in (".yaml", ".yml")
    ]
    assert len(files) > 10
    for p in files:
        text = p.read_text(encoding="utf-8")
        try:
            slow = yaml.load(text, Loader=io._Loader)  # noqa: S506
        except yaml.YAMLError:
            continue
        assert yaml.load(text, Loader=io._FastLoader) == slow, p  # noqa: S506


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # a key twice
        "a: [1, 2\n",  # unclosed
        "a: b: c\n",
        "yes: no\nx: 1e-3\ny: .inf\n",  # valid: YAML 1.2 scalars
    ],
)
def test_yaml_errors_and_scalars_are_those_of_the_python_parser(tmp_path, text):
    from planning.errors import ScenarioError

    p = tmp_path / "x.yaml"
    p.write_text(text, encoding="utf-8")
    try:
        expected = ("ok", yaml.load(text, Loader=io._Loader))  # noqa: S506
    except yaml.YAMLError:
        expected = None
    if expected is None:
        with pytest.raises(ScenarioError) as e:
            io.load_yaml(p)
        with pytest.raises(yaml.YAMLError) as direct:
            yaml.load(text, Loader=io._Loader)  # noqa: S506
        mark = direct.value.problem_mark
        assert f"line {mark.line + 1}, column {mark.column + 1}" in str(e.value)
    else:
        assert io.load_yaml(p) == expected[1]
        assert expected[1].get("yes") == "no" if "yes" in text else True
