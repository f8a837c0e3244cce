"""The notebooks in notebooks/: committed without outputs, and each runs top to bottom on the
shipped data with small runs, in a fresh kernel through papermill. (report.ipynb is executed by
tests/test_reports.py and tests/test_browser.py, which render it for real scenarios.)"""

from __future__ import annotations

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
    monkeypatch.setattr(reports, "_WORKER_ROOT", None)


def _execute(name: str, tmp_path: Path, **parameters) -> nbformat.NotebookNode:
    import papermill as pm

    reports._init_worker()  # private kernelspec (this interpreter), runtime and IPython folders
    out = tmp_path / name
    pm.execute_notebook(
        str(NOTEBOOKS / name),
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
    assert names == ["scenario", "lang", "runs", "seed"]
    assert sum("headline" in c.metadata.get("tags", []) for c in nb.cells) == 1


@pytest.mark.slow
def test_explore_notebook_runs_and_pooling_saves_beds(tmp_path):
    nb = _execute("explore.ipynb", tmp_path, runs=3)
    out = _stdout(nb)
    m = re.search(r"beds_alone=(\d+) beds_shared=(\d+)", out)
    assert m, out
    alone, shared = int(m.group(1)), int(m.group(2))
    assert 0 < shared < alone  # one shared DMS needs fewer beds than four separate units
    widgets = [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert len(widgets) == 2  # the control panel and the chart panel


@pytest.mark.slow
def test_compare_notebook_runs_side_by_side(tmp_path):
    nb = _execute("compare.ipynb", tmp_path, scenario_names=["shared_dms", "shared_staff"], runs=3)
    html = "".join(
        o.get("data", {}).get("text/html", "") for c in nb.cells for o in c.get("outputs", [])
    )
    assert html.count("Plotly.newPlot(") == 3  # beds, FTE, cost per inhabitant
    assert "* plotly.js v" in html  # inline, no CDN
    assert "Felles DMS i Stjørdal" in html
    # the difference table: the shared DMS needs fewer beds than the baseline
    row = re.search(r"<tr><td>Felles DMS i Stjørdal</td><td class='num'>([^<]+)</td>", html)
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
        o for c in nb.cells for o in c.get("outputs", []) if "application/vnd.plotly.v1+json" in o.get("data", {})
        or "text/html" in o.get("data", {})
    ]
    assert figures, "the sweep notebook should draw its charts"
