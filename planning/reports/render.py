"""Scenario reports: papermill runs ``notebooks/report.ipynb`` once per scenario, nbconvert turns
each executed notebook into one standalone HTML file without code, and :func:`write_index` writes
``index.html`` with the headline figures of every scenario and a link to each report.

Isolation: reports render in a process pool (``spawn``), each in its own temporary working
directory and a fresh kernel. Every worker process gets private Jupyter and IPython folders and a
private ``python3`` kernelspec that points at the running interpreter, so parallel kernels share
no runtime files, history database or kernelspec lookup; papermill's ``chdir`` only ever changes
the worker's own working directory. A kernel that fails to start (e.g. a port taken between
choice and bind by another kernel) is retried. A failing scenario keeps its partial notebook in
``<out>/failed/`` and is marked failed in the index; the others carry on.

Offline HTML: figures are embedded with :func:`figure_html`/:func:`show`: plotly.js goes inline
once per file (the first figure), and the HTML template drops require.js, MathJax and the widget
manager, so the file loads no script from the web.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planning.errors import InputError, suggest
from planning.i18n import check_language
from planning.io import locked, write_atomic
from planning.reports.cache import CACHE_ENV
from planning.reports.notebook import HEADLINE_MIME, read_headline  # noqa: F401

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
#: The papermill template (a notebook with a cell tagged ``parameters``).
TEMPLATE = _PACKAGE_ROOT / "notebooks" / "report.ipynb"
REMOVE_TAGS = frozenset({"parameters", "injected-parameters", "headline", "remove_cell"})
#: Largest HTML file the project accepts (bytes): a steering-group report must mail easily.
MAX_HTML_BYTES = 10 * 1024 * 1024
#: Kernel start attempts before a scenario is marked failed.
KERNEL_START_ATTEMPTS = 3

_HTML_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block extra_css -%}
<style type="text/css">
  body.jp-Notebook { max-width: 1100px; margin: 0 auto; padding: 1rem 2rem; }
  .jp-RenderedHTMLCommon table.vp-table { font-size: 0.8rem; table-layout: auto; width: 100%; }
  .jp-RenderedHTMLCommon table.vp-table td, .jp-RenderedHTMLCommon table.vp-table th {
    text-align: left; vertical-align: top; max-width: 28em; overflow-wrap: break-word; }
  .jp-RenderedHTMLCommon table.vp-table td.num { text-align: right; white-space: nowrap; }
  .jp-RenderedHTMLCommon tr.vp-assumption td { background: #fff4e5; }
  .jp-RenderedHTMLCommon table.vp-table td.vp-status { white-space: nowrap; }
  .jp-RenderedHTMLCommon tr.vp-assumption td.vp-status { color: #8a4b00; font-weight: 600; }
</style>
{%- endblock extra_css -%}
"""


# ----------------------------------------------------------------------------------------------
# one report
# ----------------------------------------------------------------------------------------------
@dataclass
class ReportResult:
    """Outcome of rendering one scenario."""

    scenario: str
    status: str  # 'ok' or 'failed'
    html: str | None = None  # file name inside the output folder
    notebook: str | None = None  # partial notebook (failed runs), relative to the output folder
    headline: dict[str, Any] | None = None
    error: str | None = None
    seconds: float = 0.0
    html_bytes: int = 0
    attempts: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


def notebook_to_html(nb: Any, title: str, lang: str = "nb") -> str:
    """Standalone HTML of an executed notebook: no code cells or prompts, cells tagged in
    :data:`REMOVE_TAGS` dropped, no script or style loaded from the web."""
    import jinja2
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader({"vaernes_report.html.j2": _HTML_TEMPLATE})],
        template_file="vaernes_report.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
        embed_images=True,
        language_code=lang,
    )
    remover = TagRemovePreprocessor(remove_cell_tags=set(REMOVE_TAGS), enabled=True)
    exporter.register_preprocessor(remover, enabled=True)
    nb = nb.copy() if hasattr(nb, "copy") else nb
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb)
    return body


#: Environment variables a report worker sets for itself (see :func:`_private_jupyter_env`).
PRIVATE_ENV_VARS: tuple[str, ...] = (
    "JUPYTER_PATH",
    "JUPYTER_RUNTIME_DIR",
    "IPYTHONDIR",
    "JUPYTER_PLATFORM_DIRS",
    "PYDEVD_DISABLE_FILE_VALIDATION",
    "MPLBACKEND",
)


def _private_jupyter_env(root: Path) -> None:
    """Point Jupyter and IPython at private folders under ``root`` with a ``python3`` kernelspec
    that runs this interpreter (first on JUPYTER_PATH, so no user-level spec can shadow it)."""
    spec_dir = root / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            "--HistoryManager.enabled=False",
        ],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    (root / "runtime").mkdir(exist_ok=True)
    (root / "ipython").mkdir(exist_ok=True)
    os.environ["JUPYTER_PATH"] = str(root / "jupyter")
    os.environ["JUPYTER_RUNTIME_DIR"] = str(root / "runtime")
    os.environ["IPYTHONDIR"] = str(root / "ipython")
    os.environ["JUPYTER_PLATFORM_DIRS"] = "1"
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # silence the debugger's frozen-module note
    os.environ["MPLBACKEND"] = "Agg"


_WORKER_ROOT: Path | None = None


def _init_worker(quiet: bool = False, cache_dir: str | None = None) -> None:
    """Process-pool initializer: private Jupyter/IPython folders for this worker. With ``quiet``
    the worker's stderr (and so its kernels' log lines, e.g. shutdown notices) goes to
    ``kernels.log`` in the worker's folder; errors still reach the result of each report.
    ``cache_dir``: the run's shared cache folder (:mod:`planning.reports.cache`), named in the
    environment so the worker's kernels use it."""
    global _WORKER_ROOT
    if cache_dir is not None:
        os.environ[CACHE_ENV] = cache_dir
    _WORKER_ROOT = Path(tempfile.mkdtemp(prefix="vaernes-kernel-"))
    atexit.register(shutil.rmtree, _WORKER_ROOT, ignore_errors=True)
    _private_jupyter_env(_WORKER_ROOT)
    if quiet:
        log = open(_WORKER_ROOT / "kernels.log", "ab", buffering=0)  # noqa: SIM115 (lives with the process)
        os.dup2(log.fileno(), 2)


def _kernel_manager_class() -> Any:
    """Kernel manager for report kernels: IPC sockets in the worker's private runtime folder when
    the socket path fits the OS limit (no TCP ports, so no port race between parallel kernels and
    no plain-text TCP); otherwise jupyter_client's default (TCP, with start retries)."""
    from jupyter_client.manager import AsyncKernelManager

    runtime = os.environ.get("JUPYTER_RUNTIME_DIR", "")
    # socket paths: <runtime>/k-<12 hex>-<n> (absolute: never relative to a working directory);
    # Linux allows 107 bytes, macOS 103
    if os.name != "posix" or not runtime or not os.path.isabs(runtime) or len(runtime) + 20 > 100:
        return AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs: Any) -> None:
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("ip", os.path.join(runtime, f"k-{uuid.uuid4().hex[:12]}"))
            super().__init__(**kwargs)

    return IPCKernelManager


def _executed_cells(nb: Any) -> int:
    return sum(1 for c in nb.cells if c.get("cell_type") == "code" and c.get("execution_count"))


def report_name(scenario: str, where: str | Sequence[str] | None = None) -> str:
    """File stem of a report: the scenario's name, or ``<scenario>-<region>`` when it is run for
    a region (``--region``), or ``<scenario>-<codes joined by '-'>`` for a list of
    municipalities (long lists shortened with a hash). Always a safe scenario-style name."""
    if where is None:
        return scenario
    if isinstance(where, str):
        tail = where.strip().lower()
    else:
        codes = [str(c).strip() for c in where]
        tail = "-".join(codes)
        if len(tail) > 30:
            tail = f"{len(codes)}-municipalities-" + hashlib.sha256(tail.encode()).hexdigest()[:8]
    tail = re.sub(r"[^a-z0-9_-]+", "_", tail.lower().translate(str.maketrans("æøå", "eoa")))
    return f"{scenario}-{tail}"[:64]


def render_report(
    scenario: str,
    out_dir: str | Path,
    *,
    lang: str = "nb",
    runs: int | None = None,
    seed: int | None = None,
    template: str | Path | None = None,
    timeout: float = 900.0,
    extra_parameters: Mapping[str, Any] | None = None,
    where: str | Sequence[str] | None = None,
) -> ReportResult:
    """Execute the report template for one scenario in a fresh kernel inside a temporary working
    directory and write ``<out_dir>/<scenario>.html``. Never raises for a failing notebook: the
    result says 'failed', with the error and the partial notebook in ``<out_dir>/failed/``.
    ``where`` (a region name or a list of municipalities) runs the scenario for those
    municipalities instead of its own; the report is then ``<scenario>-<where>.html``
    (:func:`report_name`)."""
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    if _WORKER_ROOT is None:  # called outside the pool: give this process private folders too
        _init_worker()
    start = time.perf_counter()
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    template = Path(template) if template is not None else TEMPLATE
    # None keeps the template's own default (runs) or the scenario's (seed)
    params: dict[str, Any] = {"scenario": scenario, "lang": lang}
    params.update({k: v for k, v in (("runs", runs), ("seed", seed)) if v is not None})
    params.update(extra_parameters or {})
    if where is not None:
        params.update(
            {"region": where} if isinstance(where, str) else {"municipalities": list(where)}
        )
    stem = report_name(scenario, where)
    result = ReportResult(scenario=stem, status="failed")
    with tempfile.TemporaryDirectory(prefix=f"report-{stem}-") as work:
        executed = Path(work) / f"{stem}.ipynb"
        error: str | None = None
        for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
            result.attempts = attempt
            error = None
            try:
                pm.execute_notebook(
                    str(template),
                    str(executed),
                    parameters=params,
                    kernel_name="python3",
                    language="python",
                    cwd=work,
                    progress_bar=False,
                    log_output=False,
                    request_save_on_cell_execute=False,
                    start_timeout=120,
                    execution_timeout=timeout,
                    kernel_manager_class=_kernel_manager_class(),
                )
                break
            except PapermillExecutionError as e:
                error = f"{e.ename}: {e.evalue}".splitlines()[0][:500]
                break
            except Exception as e:  # kernel did not start, died, or timed out
                error = f"{type(e).__name__}: {e}".splitlines()[0][:500]
                started = (
                    executed.is_file()
                    and _executed_cells(nbformat.read(executed, as_version=4)) > 0
                )
                if started or attempt == KERNEL_START_ATTEMPTS:
                    break
                time.sleep(0.5 * attempt)
        nb = nbformat.read(executed, as_version=4) if executed.is_file() else None
        if nb is not None:
            result.headline = read_headline(nb)
        if error is None and nb is not None:
            title = (result.headline or {}).get("title") or stem
            body = notebook_to_html(nb, title=str(title), lang=lang)
            html_path = out / f"{stem}.html"
            write_atomic(html_path, body, root=out)
            result.status = "ok"
            result.html = html_path.name
            result.html_bytes = html_path.stat().st_size
            stale = out / "failed" / f"{stem}.ipynb"
            if stale.exists():
                stale.unlink()
        else:
            result.error = error or "the notebook was not written"
            if nb is not None:
                failed_dir = out / "failed"
                failed_dir.mkdir(exist_ok=True)
                write_atomic(failed_dir / f"{stem}.ipynb", executed.read_bytes(), root=out)
                result.notebook = f"failed/{scenario}.ipynb"
            stale_html = out / f"{stem}.html"
            if stale_html.exists():
                stale_html.unlink()
    result.seconds = time.perf_counter() - start
    return result


def _render_safely(scenario: str, out_dir: str, kwargs: dict[str, Any]) -> ReportResult:
    try:
        return render_report(scenario, out_dir, **kwargs)
    except Exception as e:  # the worker must report, not die
        return ReportResult(
            scenario=report_name(scenario, kwargs.get("where")),
            status="failed",
            error=f"{type(e).__name__}: {e}".splitlines()[0],
            extra={"traceback": traceback.format_exc()},
        )


# ----------------------------------------------------------------------------------------------
# many reports + index
# ----------------------------------------------------------------------------------------------
def resolve_scenarios(names: Sequence[str], all_: bool = False) -> list[str]:
    """Scenario names to render: every shipped scenario with ``all_``, else ``names`` checked
    against :func:`planning.scenarios.list_scenarios` (unknown → InputError with suggestions)."""
    from planning.scenarios import list_scenarios, safe_name

    known = list_scenarios()
    if all_:
        if not known:
            raise InputError("no scenario files found", key="scenarios")
        extra = [n for n in names if n not in known]
        chosen = known + extra
    else:
        chosen = list(dict.fromkeys(names))
    if not chosen:
        raise InputError("name at least one scenario or use --all", key="SCENARIO", allowed=known)
    for n in chosen:
        safe_name(n)
        if n not in known:
            raise InputError(
                f"unknown scenario '{n}'.{suggest(n, known)}", key="SCENARIO", allowed=known
            )
    return list(dict.fromkeys(chosen))


def render_reports(
    scenarios: Sequence[str],
    out_dir: str | Path,
    *,
    lang: str = "nb",
    runs: int | None = None,
    seed: int | None = None,
    workers: int = 2,
    template: str | Path | None = None,
    timeout: float = 900.0,
    reference: str = "today",
    on_done: Callable[[ReportResult], None] | None = None,
    where: str | Sequence[str] | None = None,
) -> tuple[list[ReportResult], Path]:
    """Render every scenario (in parallel, ``workers`` processes, one fresh kernel each) and write
    the index. Returns the results in the order given and the path of ``index.html``. ``where``
    (a region or a list of municipalities) runs every scenario for those municipalities."""
    check_language(lang)
    if workers < 1:
        raise InputError(f"workers must be at least 1, got {workers}", key="workers")
    from planning.scenarios import MAX_RUNS

    if runs is not None and not 0 <= runs <= MAX_RUNS:
        raise InputError(
            f"runs must be 0..{MAX_RUNS}, got {runs}", key="--runs", allowed=f"0..{MAX_RUNS}"
        )
    if seed is not None and seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed}", key="--seed")
    out = Path(out_dir).resolve()
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        from planning.io import os_error

        raise os_error(e, file=out, key="--out") from None
    # one run at a time per folder; the index lists this run's reports and earlier ones still there
    with locked(out):
        ordered = _render_all(
            scenarios, out, lang, runs, seed, workers, template, timeout, on_done, where
        )
        from planning.reports.index import merge_index, write_index

        index = write_index(merge_index(out, ordered), out, lang=lang, reference=reference)
    return ordered, index


def _render_all(
    scenarios: Sequence[str],
    out: Path,
    lang: str,
    runs: int | None,
    seed: int | None,
    workers: int,
    template: str | Path | None,
    timeout: float,
    on_done: Callable[[ReportResult], None] | None,
    where: str | Sequence[str] | None = None,
) -> list[ReportResult]:
    kwargs = {
        "lang": lang,
        "runs": runs,
        "seed": seed,
        "template": str(template) if template else None,
        "timeout": timeout,
        "where": where,
    }
    results: dict[str, ReportResult] = {}
    ctx = multiprocessing.get_context("spawn")
    # work shared by the reports of this run (backtests, today and alone): computed once, then
    # read by the others; the folder goes when the run ends
    cache = tempfile.TemporaryDirectory(prefix="vaernes-report-cache-")
    with (
        cache,
        ProcessPoolExecutor(
            max_workers=min(workers, len(scenarios)) or 1,
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(True, cache.name),
        ) as pool,
    ):
        futures = {pool.submit(_render_safely, s, str(out), kwargs): s for s in scenarios}
        for fut in as_completed(futures):
            s = futures[fut]
            try:
                r = fut.result()
            except Exception as e:  # a worker process died
                r = ReportResult(
                    scenario=report_name(s, where),
                    status="failed",
                    error=f"{type(e).__name__}: {e}".splitlines()[0],
                )
            results[s] = r
            if on_done is not None:
                on_done(r)
    return [results[s] for s in scenarios]
