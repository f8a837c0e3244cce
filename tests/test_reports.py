"""Reports (planning.reports, `planning report`): bed pooling against the capacity model, the
report's tables and texts, the index page, and one real parallel render with a failing scenario
(papermill, fresh kernels, nbconvert): the failure keeps its partial notebook, is marked in the
index and does not stop the other scenario; the HTML is standalone, offline and under 10 MB."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import planning
from planning import reports, scenarios
from planning.capacity import erlang_b
from planning.cli import main
from planning.errors import InputError, PlanningError
from planning.reports import ReportResult

KAD = "Værnesregionen DMS, KAD-senger"


@pytest.fixture(autouse=True)
def _restore_jupyter_env(monkeypatch):
    """Rendering in this process gives it private Jupyter folders; undo that after each test."""
    for var in reports.PRIVATE_ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(reports.render, "_WORKER_ROOT", None)


@pytest.fixture(scope="module")
def baseline():
    """Each municipality alone (the counterfactual)."""
    return scenarios.run("alone", runs=0)


@pytest.fixture(scope="module")
def today():
    return scenarios.run("today", runs=0)


@pytest.fixture(scope="module")
def shared():
    return scenarios.run("shared_dms", runs=0)


# ------------------------------------------------------------------------------------------------
# bed pooling: the science behind "separate against pooled"
# ------------------------------------------------------------------------------------------------
def test_separate_beds_match_the_capacity_model_and_pooling_never_needs_more(baseline):
    codes = list(baseline.scenario.municipality_codes())
    year = baseline.end_year
    target = baseline.scenario.resolved_levers().max_refusal
    curves, beds = reports.bed_pooling(
        baseline.demand, codes, year, target, catalogue=baseline.scenario.catalogue()
    )
    cap = baseline.capacity
    for service in reports.BED_SERVICES:
        b = beds[beds["service"] == service].set_index("arrangement")["beds"]
        # `alone` runs every bed service alone: its capacity frame has the separate beds
        alone = cap[
            (cap["service"] == service) & (cap["measure"] == "beds") & (cap["year"] == year)
        ]["value"].sum()
        assert b["separate"] == pytest.approx(alone)
        assert b["pooled"] <= b["separate"]
        c = curves[(curves["service"] == service) & (curves["arrangement"] == "pooled")]
        rp = c["refusal_probability"].to_numpy()
        assert rp[0] == 1.0 and np.all(np.diff(rp) <= 1e-15)  # fewer refusals with more beds
        at = c.set_index("beds")["refusal_probability"]
        assert (
            at[int(b["pooled"])] <= target < at[int(b["pooled"]) - 1]
        )  # the fewest beds that meet it


def test_pooled_beds_equal_the_shared_unit_of_the_shared_dms_scenario(shared):
    codes = list(shared.scenario.municipality_codes())
    year = shared.end_year
    curves, beds = reports.bed_pooling(
        shared.demand, codes, year, shared.scenario.resolved_levers().max_refusal
    )
    cap = shared.capacity
    dms = cap[(cap["unit"] == KAD) & (cap["measure"] == "beds") & (cap["year"] == year)]["value"]
    pooled = beds[(beds["service"] == "kad") & (beds["arrangement"] == "pooled")]["beds"]
    assert float(pooled.iloc[0]) == pytest.approx(float(dms.iloc[0]))
    load = curves[(curves["service"] == "kad") & (curves["arrangement"] == "pooled")]
    a = float(beds[(beds["service"] == "kad")]["offered_load"].iloc[0])
    np.testing.assert_allclose(load["refusal_probability"], erlang_b(load["beds"].to_numpy(), a))


def test_bed_pooling_rejects_a_year_without_demand(baseline):
    with pytest.raises(InputError, match="no bed_days demand"):
        reports.bed_pooling(baseline.demand, ["5035"], 1990, 0.05)


# ------------------------------------------------------------------------------------------------
# report texts and tables
# ------------------------------------------------------------------------------------------------
def test_summary_states_the_change_from_today_first_then_from_alone(shared, today, baseline):
    nb = reports.summary_markdown(shared, today, "nb", alone=baseline)
    en = reports.summary_markdown(shared, today, "en", alone=baseline)
    h, ht, ha = shared.headline(), today.headline(), baseline.headline()
    assert f"{h['beds']:.0f}" in nb and "senger" in nb
    assert nb.index("Mot i dag") < nb.index("Mot hver kommune for seg")
    assert en.index("Against today") < en.index("Against each municipality alone")
    assert "Selbu tilbake" not in en.split("\n")[0]
    d = h["beds"] - ht["beds"]
    assert d < 0  # Selbu's bed in the pooled DMS: fewer beds than today
    assert f"\u2212{abs(d):.0f} senger" in nb and f"{d:.0f} beds" in en
    assert f"{h['beds'] - ha['beds']:.0f} beds" in en
    assert "Mot i dag" not in reports.summary_markdown(today, today, "nb", alone=baseline)


def test_assumptions_table_lists_every_parameter_and_marks_assumptions(shared):
    table = shared.scenario.catalogue().assumptions_table()
    frame = reports.assumptions_frame(shared, "nb")
    assert len(frame) >= len(table)
    assert set(table["parameter"]) <= set(frame["parameter"])
    html = reports.assumptions_html(shared, "nb")
    n_assumptions = int((frame["status"] == "assumption").sum())
    assert html.count("class='vp-assumption'") == n_assumptions > 0
    assert html.count(">antatt<") == n_assumptions
    assert "coverage.estimation.last_year" in html and ">2025<" in html  # years without separators


def test_levers_set_by_a_scenario_are_labelled_as_such():
    scn = scenarios.apply_overrides("today", {"levers.max_refusal": 0.02})
    res = scenarios.run(scn)
    frame = reports.assumptions_frame(res, "en").set_index("parameter")
    assert frame.loc["levers.max_refusal", "status"] == "scenario"
    assert frame.loc["levers.max_refusal", "value"] == "0.02"
    assert frame.loc["levers.max_refusal", "status_label"] == "set by the scenario"


def test_tables_escape_html_and_sources_name_publishers(shared, baseline):
    import pandas as pd

    html = reports.html_table(
        pd.DataFrame({"a": ["<script>x</script>"], "b": [1.5]}), numeric=["b"]
    )
    assert (
        "<script>" not in html and "&lt;script&gt;" in html and "<td class='num'>1.5</td>" in html
    )
    src = reports.sources_html("nb")
    assert "Statistisk sentralbyrå" in src and "Kartverket" in src
    assert "Ingen felles enheter" in reports.organisation_html(baseline, "nb")
    org = reports.organisation_html(shared, "en", {"5035": "Stjørdal"})
    assert KAD in org and "Stjørdal" in org and "by population" in org
    assert "varnesregionen.no" in org  # today's units show their source
    assert ">kad<" not in org and "KAD / ØHD" in org  # readable service names, no ids
    staff = reports.organisation_html(scenarios.run("shared_staff"), "nb")
    assert "forslag i dette scenarioet" in staff  # a proposed unit says so


# ------------------------------------------------------------------------------------------------
# index page (synthetic results)
# ------------------------------------------------------------------------------------------------
def _headline(beds: float, fte: float, cost: float, by: dict[str, float]) -> dict:
    return {
        "beds": beds,
        "fte": fte,
        "cost_nok": cost,
        "cost_nok_by_municipality": by,
        "year": 2050,
        "title": "T",
    }


def test_index_shows_changes_from_today_and_marks_failures(tmp_path):
    results = [
        ReportResult(
            "today",
            "ok",
            html="today.html",
            headline=_headline(40, 1374.3, 1.05e9, {"5035": 7.8e8, "5033": 3.5e7}),
        ),
        ReportResult(
            "shared_dms",
            "ok",
            html="shared_dms.html",
            headline=_headline(27, 1362.1, 1.04e9, {"5035": 7.7e8, "5033": 3.3e7}),
        ),
        ReportResult(
            "broken", "failed", notebook="failed/broken.ipynb", error="ScenarioError: <bad> value"
        ),
    ]
    path = reports.write_index(
        results, tmp_path, lang="nb", names={"5035": "Stjørdal", "5033": "Tydal"}
    )
    page = path.read_text(encoding="utf-8")
    assert "<script" not in page
    assert "href='today.html'" in page and "href='shared_dms.html'" in page
    assert "href='failed/broken.ipynb'" in page and "feilet" in page
    assert "&lt;bad&gt;" in page and "<bad>" not in page
    assert "\u221213 mot i dag<" in page  # 27 - 40 beds against today
    assert "\u221212,2" in page  # FTE difference 1362.1 - 1374.3
    assert "Stjørdal" in page and "Tydal" in page
    assert page.index("Tydal") < page.index(
        "Stjørdal"
    )  # municipalities in code order (5033 < 5035)
    rows = json.loads((tmp_path / "index.json").read_text())
    assert [r["status"] for r in rows] == ["ok", "ok", "failed"]
    en = reports.write_index(results, tmp_path, lang="en").read_text(encoding="utf-8")
    assert "failed" in en and "−13" not in en and "-13 vs today<" in en.replace("\u2212", "-")


def test_resolve_scenarios_checks_names():
    assert reports.resolve_scenarios([], all_=True)[:2] == ["today", "alone"]
    assert reports.resolve_scenarios(["shared_dms", "shared_dms"]) == ["shared_dms"]
    with pytest.raises(InputError, match="Did you mean shared_dms"):
        reports.resolve_scenarios(["shared_dm"])
    with pytest.raises(InputError, match="at least one scenario"):
        reports.resolve_scenarios([])
    with pytest.raises(PlanningError, match="not allowed"):
        reports.resolve_scenarios(["../etc/passwd"])


def test_cli_reports_bad_input_in_one_line(capsys, tmp_path):
    assert main(["report", "nosuch", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "nosuch" in err and len(err.strip().splitlines()) == 1
    assert main(["report", "today", "--lang", "de"]) == 2  # argparse's error, one line too
    err = capsys.readouterr().err
    assert err.startswith("error: key '--lang'") and len(err.strip().splitlines()) == 1
    assert main(["report", "today", "--runs", "-1", "--out", str(tmp_path)]) == 2
    assert "key '--runs': -1 is out of range (allowed: 0 or more)" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["report", "today", "--out", str(blocker / "sub")]) == 2
    assert "cannot write (a part of the path is a file" in capsys.readouterr().err


def test_private_kernelspec_runs_this_interpreter(tmp_path, monkeypatch):
    import sys

    reports._private_jupyter_env(tmp_path)
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    assert spec.argv[0] == sys.executable
    assert Path(spec.resource_dir).is_relative_to(tmp_path)


# ------------------------------------------------------------------------------------------------
# real render: two scenarios in parallel, one failing
# ------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_render_reports_in_parallel_with_a_failing_scenario(tmp_path, monkeypatch):
    src = scenarios.scenarios_dir()
    scen_dir = tmp_path / "scenarios"
    scen_dir.mkdir()
    shutil.copy(src / "today.yaml", scen_dir)
    shutil.copy(src / "alone.yaml", scen_dir)
    (scen_dir / "broken.yaml").write_text(
        "extends: today\nname: broken\nlevers:\n  max_refusal: 2\n", encoding="utf-8"
    )
    monkeypatch.setenv("VAERNES_SCENARIOS_DIR", str(scen_dir))  # inherited by the workers' kernels
    out = tmp_path / "reports"
    seen = []
    results, index = reports.render_reports(
        ["alone", "broken"], out, lang="en", runs=3, workers=2, on_done=seen.append
    )
    ok, bad = results
    assert sorted(r.scenario for r in seen) == ["alone", "broken"]
    assert ok.status == "ok", ok.error
    assert bad.status == "failed" and "ScenarioError" in bad.error and "max_refusal" in bad.error
    # the failure keeps its partial notebook, with the traceback in it
    partial = out / bad.notebook
    assert partial.is_file() and "max_refusal" in partial.read_text(encoding="utf-8")
    assert not (out / "broken.html").exists()
    # the successful report: standalone, offline, no code, under 10 MB, plotly.js once
    page = (out / "alone.html").read_text(encoding="utf-8")
    assert ok.html_bytes == (out / "alone.html").stat().st_size < reports.MAX_HTML_BYTES
    assert re.search(r"<script[^>]+src=", page) is None
    assert (
        "cdn.plot.ly/plotly" not in page
        and "require.js" not in page
        and "mathjax@" not in page.lower()
    )
    assert page.count("* plotly.js v") == 1  # the bundle, inline, once
    # every figure: pyramid, growth, demand, 2 refusal curves, beds, KAD admissions and occupancy,
    # refusals and overliggedøgn, FTE, workforce ratios, FTE by profession, costs by item and by
    # service, map (`alone` shares no unit, so it has no cost-share or travel chart); and the
    # 4 tornados (FTE, cost, beds, cost against today) and 2 waterfalls (FTE, cost)
    assert page.count("Plotly.newPlot(") == 20  # 14 + 4 tornados + 2 waterfalls
    assert "reports.show(" not in page and "scenarios.run(" not in page  # code cells are left out
    assert "application/vnd.vaernes.headline+json" not in page
    headings = re.findall(r"<h2[^>]*>([^<]+)<", page)
    assert headings == [
        "Summary",
        "Population",
        "Demand for services",
        "Capacity",
        "Staff",
        "Workforce",
        "Costs",
        "Budget years and long-term needs",
        "What matters most",
        "Why the figures change",
        "Map of the region",
        "Assumptions and sources",
        "Data sources",
        "About this report",
    ]
    assert '<html lang="en">' in page
    assert f"package version vaernes-planning {planning.__version__}" in page
    assert "Each municipality on its own" in page  # the scenario's English title
    # the headline the notebook emitted is the model's
    expected = scenarios.run("alone", runs=3).headline()
    assert ok.headline["beds"] == pytest.approx(expected["beds"])
    assert ok.headline["cost_nok"] == pytest.approx(expected["cost_nok"])
    assert ok.headline["runs"] == 3
    today = scenarios.run("today", runs=3).headline()
    assert ok.headline["vs_reference"]["cost_nok"] == pytest.approx(
        expected["cost_nok"] - today["cost_nok"]
    )
    assert "Against today" in page and "Against each municipality alone" not in page  # itself
    # the index links the report and the partial notebook
    html = index.read_text(encoding="utf-8")
    assert "href='alone.html'" in html and "href='failed/broken.ipynb'" in html


def test_a_successful_render_replaces_a_stale_failure(tmp_path):
    """Same machinery with a tiny template: a later success removes the old partial notebook."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('scenario = "x"\nlang = "nb"\nruns = 0\nseed = None')
    params.metadata["tags"] = ["parameters"]
    body = nbformat.v4.new_code_cell(
        'if scenario == "bad":\n    raise ValueError("bad scenario")\nprint("drawn")'
    )
    nb.cells = [params, body]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    template = tmp_path / "t.ipynb"
    nbformat.write(nb, template)
    out = tmp_path / "out"
    (out / "failed").mkdir(parents=True)
    (out / "failed" / "x.ipynb").write_text("{}", encoding="utf-8")
    ok = reports.render_report("x", out, template=template)
    assert (
        ok.status == "ok"
        and (out / "x.html").is_file()
        and not (out / "failed" / "x.ipynb").exists()
    )
    assert "drawn" in (out / "x.html").read_text(encoding="utf-8") and "raise ValueError" not in (
        out / "x.html"
    ).read_text(encoding="utf-8")
    bad = reports.render_report("bad", out, template=template)
    assert (
        bad.status == "failed"
        and bad.error == "ValueError: bad scenario"
        and (out / "failed" / "bad.ipynb").is_file()
    )


def test_trust_text_reports_the_backtests_of_the_scenario_municipalities():
    """The report's accuracy paragraph quotes the ten-year backtests (MAPE of total and 80+) of
    exactly the scenario's municipalities and names the largest miss."""
    from planning import backtest, data

    codes = ["5035", "5034", "5032", "5033"]
    names = data.municipality_names()
    text = reports.trust_markdown(codes, "en", names)
    for base in (2011, 2016):
        res = backtest.backtest(codes, base, base + 10, methods=("cohort-component",))
        mape = backtest.summarise(res).set_index("age_group")["mape"]
        assert f"{mape['total']:.1f}%" in text and f"{mape['80+']:.1f}%" in text
    assert "from 2011 and 2016" in text and "these 4 municipalities" in text
    assert "Tydal +9.6% (2011–2021)" in text
    nb = reports.trust_markdown(codes, "nb", names)
    assert nb.startswith("**Hvor treffsikker") and "Tydal +9,6\u00a0% (2011–2021)" in nb
