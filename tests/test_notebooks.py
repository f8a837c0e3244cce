"""The notebooks in notebooks/: committed without outputs, and each runs top to bottom on the
shipped data with small runs, in a fresh kernel through papermill. (report.ipynb is executed by
tests/test_reports.py and tests/test_browser.py, which render it for real scenarios.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from planning import reports

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


@pytest.fixture(autouse=True)
def _restore_jupyter_env(monkeypatch):
    """Rendering in this process gives it private Jupyter folders; undo that after each test."""
    for var in reports.PRIVATE_ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(reports.render, "_WORKER_ROOT", None)


def _execute(
    name: str, tmp_path: Path, extra_cells: tuple[str, ...] = (), **parameters
) -> nbformat.NotebookNode:
    """Run notebooks/<name> with papermill; ``extra_cells`` are code cells appended to a copy
    (run in the same kernel after the notebook's own cells)."""
    import papermill as pm

    reports._init_worker()  # private kernelspec (this interpreter), runtime and IPython folders
    source = NOTEBOOKS / name
    if extra_cells:
        nb = nbformat.read(source, as_version=4)
        nb.cells.extend(nbformat.v4.new_code_cell(c) for c in extra_cells)
        source = tmp_path / f"input_{name}"
        nbformat.write(nb, source)
    out = tmp_path / name
    pm.execute_notebook(
        str(source),
        str(out),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(NOTEBOOKS),
        progress_bar=False,
        start_timeout=120,
        execution_timeout=300,
        kernel_manager_class=reports._kernel_manager_class(),
    )
    return nbformat.read(out, as_version=4)


def _stdout(nb: nbformat.NotebookNode) -> str:
    return "".join(
        o.get("text", "")
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream"
    )


@pytest.mark.parametrize("name", ["explore.ipynb", "report.ipynb", "compare.ipynb"])
def test_notebooks_are_committed_clean_with_one_parameters_cell(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), (
        "strip outputs before committing"
    )
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    # the parameters cell holds literals only (papermill overrides them); derived values come later
    for line in params[0].source.splitlines():
        stmt = line.split("#")[0].strip()
        if stmt:
            assert re.fullmatch(r"[a-z_]+ = (\"[^\"]*\"|-?\d+|None|\[\]|True|False)", stmt), stmt


def test_report_template_parameters():
    nb = nbformat.read(NOTEBOOKS / "report.ipynb", as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    names = re.findall(r"^([a-z_]+) =", params.source, flags=re.M)
    assert names == ["scenario", "lang", "runs", "seed", "region", "municipalities"]
    assert sum("headline" in c.metadata.get("tags", []) for c in nb.cells) == 1


# Appended to explore.ipynb by the test: move the horizon slider, call the notebook's update()
# and read the charts back; then force the no-anywidget fallback for one chart.
EXPLORE_PROBE = """
import json

import anywidget
import plotly.graph_objects as go
from plotly.missing_anywidget import FigureWidget as NoAnywidget


def bars(fw):
    return {t.name: [float(v) for v in t.y] for t in fw.data}


def last_year(fw):
    return int(max(max(t.x) for t in fw.data))


probe = {"widgets": sorted(k for k, c in charts.items() if isinstance(c, anywidget.AnyWidget))}
ids = {k: id(c) for k, c in charts.items()}
probe["beds_before"], probe["last_year_before"] = bars(charts["beds"]), last_year(charts["growth"])
controls["end_year"].value = 2035
update()
probe["same_objects"] = ids == {k: id(c) for k, c in charts.items()}
probe["beds_after"], probe["last_year_after"] = bars(charts["beds"]), last_year(charts["growth"])
probe["beds_title_after"] = charts["beds"].layout.title.text
real = go.FigureWidget
go.FigureWidget = NoAnywidget  # what plotly >= 6 gives without the anywidget package
try:
    charts["fte"] = make_chart(go.Figure(charts["fte"]))
finally:
    go.FigureWidget = real
controls["end_year"].value = 2040
update()
probe["fallback_is_output"] = isinstance(charts["fte"], widgets.Output)
probe["fallback_model_id"] = charts["fte"].model_id
probe["fallback_status"] = status.value
print("PROBE " + json.dumps(probe))
"""


@pytest.mark.slow
def test_explore_notebook_runs_and_pooling_saves_beds(tmp_path):
    nb = _execute("explore.ipynb", tmp_path, extra_cells=(EXPLORE_PROBE,), runs=3)
    out = _stdout(nb)
    m = re.search(r"beds_today=(\d+) beds_shared=(\d+)", out)
    assert m, out
    today, shared = int(m.group(1)), int(m.group(2))
    # one DMS for all four needs fewer beds than today's DMS of three and Selbu's own beds
    assert 0 < shared < today
    widgets = [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert len(widgets) == 2  # the control panel and the chart panel
    # the two panels hold the seven FigureWidgets (six charts and the map) (anywidget models carrying plotly's figure data)
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]

    def descendants(model_id: str) -> set[str]:
        children = state[model_id]["state"].get("children", [])
        found = {model_id}
        for child in children:
            found |= descendants(child.removeprefix("IPY_MODEL_"))
        return found

    shown = set().union(
        *(
            descendants(w["data"]["application/vnd.jupyter.widget-view+json"]["model_id"])
            for w in widgets
        )
    )
    figures = [i for i in shown if "_widget_data" in state[i]["state"]]
    assert len(figures) == 7 and all(state[i]["model_name"] == "AnyModel" for i in figures)

    probe = json.loads(re.search(r"^PROBE (.*)$", out, flags=re.M).group(1))
    assert probe["widgets"] == ["beds", "cost", "demand", "fte", "growth", "map", "pyramid"]
    # any region or list of municipalities: typed codes/names select Knutepunkt Sørlandet
    assert "['4204', '4215', '4216', '4218', '4223'] beds=" in out
    assert probe["same_objects"]  # updated in place, not replaced
    # horizon 2050 -> 2035: the growth panel now ends in 2035, the bed chart is for 2035
    assert (probe["last_year_before"], probe["last_year_after"]) == (2050, 2035)
    assert "2035" in probe["beds_title_after"]
    before, after = probe["beds_before"], probe["beds_after"]
    assert before.keys() == after.keys() and len(before) == 2  # separate and pooled bars
    for bars in (before, after):  # pooling never needs more beds than separate units
        separate, pooled = bars.values()
        assert all(p <= s for p, s in zip(pooled, separate, strict=True))
        assert sum(pooled) < sum(separate)
    # fewer old people in 2035 than in 2050: fewer beds, both separate and pooled
    assert all(sum(a) < sum(b) for a, b in zip(after.values(), before.values(), strict=True))
    # without anywidget the chart is an Output widget that is redrawn, and the status says so
    assert probe["fallback_is_output"]
    assert "anywidget mangler" in probe["fallback_status"]
    redrawn = state[probe["fallback_model_id"]]["state"]["outputs"]
    assert len(redrawn) == 1  # cleared, then drawn once
    assert any("plotly" in mime for mime in redrawn[0]["data"]), redrawn[0]["data"].keys()


@pytest.mark.slow
def test_compare_notebook_runs_side_by_side(tmp_path):
    nb = _execute("compare.ipynb", tmp_path, scenario_names=["shared_dms", "shared_staff"], runs=3)
    html = "".join(
        o.get("data", {}).get("text/html", "") for c in nb.cells for o in c.get("outputs", [])
    )
    assert html.count("Plotly.newPlot(") == 3  # beds, FTE, cost per inhabitant
    assert "* plotly.js v" in html  # inline, no CDN
    assert "Selbu tilbake i DMS" in html
    # the difference table: Selbu in the shared DMS needs fewer beds than today
    row = re.search(r"<tr><td>Selbu tilbake i DMS</td><td class='num'>([^<]+)</td>", html)
    assert row and row.group(1).startswith("\u2212"), html[-2000:]


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_every_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), path.name
    assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1, path.name


@pytest.mark.slow
def test_sweep_notebook_runs_two_sweeps_and_plots(tmp_path):
    out = tmp_path / "sweeps"
    nb = _execute("sweep.ipynb", tmp_path, OUT=str(out), WORKERS=1)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert len(list(out.rglob("results.parquet"))) == 2
    figures = [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if "application/vnd.plotly.v1+json" in o.get("data", {}) or "text/html" in o.get("data", {})
    ]
    assert figures, "the sweep notebook should draw its charts"
