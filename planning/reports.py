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
import html
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
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from planning import __version__
from planning.errors import InputError, suggest
from planning.i18n import check_language, fmt_nok, fmt_number, fmt_signed, t
from planning.io import locked, write_atomic

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent
#: The papermill template (a notebook with a cell tagged ``parameters``).
TEMPLATE = _PACKAGE_ROOT / "notebooks" / "report.ipynb"
#: Mimetype of the headline figures a report notebook emits (read back by :func:`read_headline`).
HEADLINE_MIME = "application/vnd.vaernes.headline+json"
#: Cell tags removed from the HTML (besides all code input).
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
    text-align: left; vertical-align: top; max-width: 28em; overflow-wrap: anywhere; }
  .jp-RenderedHTMLCommon table.vp-table td.num { text-align: right; white-space: nowrap; }
  .jp-RenderedHTMLCommon tr.vp-assumption td { background: #fff4e5; }
  .jp-RenderedHTMLCommon table.vp-table td.vp-status { white-space: nowrap; }
  .jp-RenderedHTMLCommon tr.vp-assumption td.vp-status { color: #8a4b00; font-weight: 600; }
</style>
{%- endblock extra_css -%}
"""


# ----------------------------------------------------------------------------------------------
# figures inside a notebook
# ----------------------------------------------------------------------------------------------
_PLOTLYJS_EMBEDDED = False
_PLOT_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def figure_html(fig: Any, include_plotlyjs: bool, div_id: str | None = None) -> str:
    """A plotly figure as an HTML fragment that needs no network: plotly.js inline when
    ``include_plotlyjs`` (once per page), never from a CDN."""
    return fig.to_html(
        full_html=False,
        include_plotlyjs=bool(include_plotlyjs),
        config=_PLOT_CONFIG,
        div_id=div_id,
        validate=True,
    )


def show(fig: Any) -> None:
    """Display ``fig`` in a notebook as offline HTML; the first call in a kernel embeds plotly.js."""
    global _PLOTLYJS_EMBEDDED
    from IPython.display import HTML, display

    display(HTML(figure_html(fig, include_plotlyjs=not _PLOTLYJS_EMBEDDED)))
    _PLOTLYJS_EMBEDDED = True


def emit_headline(headline: Mapping[str, Any], **extra: Any) -> None:
    """Display the headline figures as a machine-readable output (the report cell tagged
    ``headline``); :func:`read_headline` reads them back from the executed notebook."""
    from IPython.display import display

    payload = json.loads(json.dumps({**dict(headline), **extra}, default=_json_default))
    display({HEADLINE_MIME: payload, "text/plain": "headline figures"}, raw=True)


def region_of_scenario(scn: Any) -> dict[str, Any]:
    """Headline fields that place a report in a region on the index page: ``region`` (the key
    of data/regions.json, or None for another list of municipalities), ``region_label`` (its
    name, or the municipalities' names) and ``municipalities`` (codes)."""
    from planning import data

    codes = list(scn.municipality_codes())
    key = scn.region if scn.region is not None else data.region_of(codes)
    if key is not None:
        label = data.region_label(key)
    else:
        names = data.municipality_names()
        label = ", ".join(names.get(c, c).split(" - ")[0] for c in codes)
    return {"region": key, "region_label": label, "municipalities": codes}


def _json_default(o: Any) -> Any:
    if hasattr(o, "item"):  # numpy scalars
        return o.item()
    if hasattr(o, "tolist"):
        return o.tolist()
    if isinstance(o, (set, tuple)):
        return list(o)
    return str(o)


def read_headline(nb: Any) -> dict[str, Any] | None:
    """The payload of the last :data:`HEADLINE_MIME` output in an executed notebook, or None."""
    found = None
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if HEADLINE_MIME in data:
                found = data[HEADLINE_MIME]
    return dict(found) if found is not None else None


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


def _init_worker(quiet: bool = False) -> None:
    """Process-pool initializer: private Jupyter/IPython folders for this worker. With ``quiet``
    the worker's stderr (and so its kernels' log lines, e.g. shutdown notices) goes to
    ``kernels.log`` in the worker's folder; errors still reach the result of each report."""
    global _WORKER_ROOT
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
        index = write_index(merge_index(out, ordered), out, lang=lang, reference=reference)
    return ordered, index


def merge_index(out: str | Path, results: Sequence[ReportResult]) -> list[ReportResult]:
    """This run's ``results`` merged into the entries of ``<out>/index.json`` from earlier runs:
    a scenario rendered now replaces its old entry (same place in the list); earlier entries whose
    report or partial notebook is still in the folder are kept; new scenarios are appended."""
    now = {r.scenario: r for r in results}
    merged: list[ReportResult] = []
    try:
        old = json.loads((Path(out) / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = []
    names = {f.name for f in ReportResult.__dataclass_fields__.values()}
    for entry in old if isinstance(old, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("scenario"), str):
            continue
        name = entry["scenario"]
        if name in now:
            merged.append(now.pop(name))
            continue
        try:
            r = ReportResult(**{k: v for k, v in entry.items() if k in names})
        except TypeError:
            continue
        kept = (r.html and (Path(out) / r.html).is_file()) or (
            r.notebook and (Path(out) / r.notebook).is_file()
        )
        if kept and all(x.scenario != name for x in merged):
            merged.append(r)
    merged += [r for r in results if r.scenario in now]
    return merged


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
    with ProcessPoolExecutor(
        max_workers=min(workers, len(scenarios)) or 1,
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(True,),
    ) as pool:
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


# ---- index page --------------------------------------------------------------------------------
def _figures(h: Mapping[str, Any] | None) -> dict[str, Any]:
    """Normalise a headline dict to beds, fte, cost_total (NOK) and cost_by_municipality
    ({code: NOK}), and the same for its differences against today (``vs_reference``) and
    against alone (``vs_alone``) when the report computed them; missing entries are None."""
    h = dict(h or {})

    def norm(d: Mapping[str, Any]) -> dict[str, Any]:
        by_muni = d.get("cost_nok_by_municipality") or d.get("cost_by_municipality") or {}
        return {
            "beds": d.get("beds"),
            "fte": d.get("fte"),
            "cost_total": d.get("cost_nok", d.get("cost_total")),
            "cost_by_municipality": {str(k): v for k, v in dict(by_muni).items()},
        }

    out = norm(h)
    out.update(
        {
            "region": h.get("region"),
            "region_label": h.get("region_label"),
            "municipalities": list(h.get("municipalities") or []),
            "year": h.get("year"),
            "title": h.get("title"),
            "price_year": h.get("price_year"),
            "reference_title": h.get("reference_title"),
            "alone_title": h.get("alone_title"),
        }
    )
    for key in ("vs_reference", "vs_alone"):
        out[key] = norm(h[key]) if isinstance(h.get(key), Mapping) else None
    return out


def _region_groups(
    results: Sequence[ReportResult], figs: Mapping[str, dict[str, Any]]
) -> list[tuple[str, list[ReportResult]]]:
    """Reports grouped by region, in the order each region first appears: the headline's
    ``region_label``, else the shipped scenario's own region, else one unnamed group."""
    groups: dict[str, list[ReportResult]] = {}
    for r in results:
        label = figs[r.scenario].get("region_label") or ""
        if not label:
            try:
                from planning import data, scenarios

                scn = scenarios.load_scenario(r.scenario)
                label = data.region_label(scn.region) if scn.region else ""
            except Exception:  # a failed or unknown report still gets a row
                label = ""
        groups.setdefault(label, []).append(r)

    # each region's today first (today, ks_today, ...), the rest in the order given
    def today_first(r: ReportResult) -> int:
        name = r.scenario.split("-")[0]
        return 0 if name == "today" or name.endswith("_today") else 1

    return [(label, sorted(rs, key=today_first)) for label, rs in groups.items()]


def _municipality_order(results: Sequence[ReportResult]) -> dict[str, int]:
    """Municipality codes in the order the reports list them (a region's own order)."""
    order: dict[str, int] = {}
    for r in results:
        for c in (r.headline or {}).get("municipalities") or []:
            order.setdefault(str(c), len(order))
    return order


def _num(x: Any) -> float | None:
    try:
        return None if x is None else float(x)
    except (TypeError, ValueError):
        return None


def _cell(value: Any, diffs: Sequence[Any], lang: str, kind: str) -> str:
    """A number with its differences under it (against today first, then against alone)."""
    v = _num(value)
    fmt = (
        (lambda x: fmt_nok(x, lang))
        if kind == "nok"
        else (lambda x: fmt_number(x, lang, 1 if kind == "fte" else 0))
    )
    main = html.escape(fmt(v)) if v is not None else "–"
    lines = []
    for d, label in zip(diffs, ("vs_reference", "vs_alone"), strict=False):
        d = _num(d)
        if v is None or d is None:
            continue
        if kind == "nok":
            text = fmt_signed(d / 1e6, lang, 1) + (" mill." if lang == "nb" else " m")
        else:
            text = fmt_signed(d, lang, 1 if kind == "fte" else 0)
        lines.append(
            f"<br><span class='diff {label}'>{html.escape(text)} {html.escape(t(label, lang))}</span>"
        )
    return f"<td class='num'>{main}{''.join(lines)}</td>"


def write_index(
    results: Sequence[ReportResult],
    out_dir: str | Path,
    *,
    lang: str = "nb",
    reference: str = "today",
    alone: str = "alone",
    names: Mapping[str, str] | None = None,
) -> Path:
    """Write ``<out_dir>/index.html``: one row per scenario with status, beds, FTE, yearly cost in
    total and per municipality, each with its change against today (``reference``) and then
    against each municipality alone (``alone``), and a link to the report (or to the partial
    notebook of a failed run). The differences come from each report's headline; for a report
    without them, from the figures of the ``reference``/``alone`` rows when those rendered.
    Plain HTML, no scripts."""
    check_language(lang)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if names is None:
        try:
            from planning.data import municipality_names

            names = municipality_names()
        except Exception:  # the index must still be written when data cannot be read
            names = {}
    figs = {r.scenario: _figures(r.headline) for r in results}
    ok = {r.scenario for r in results if r.status == "ok"}

    def diff(
        f: dict[str, Any], key: str, which: str, code: str | None = None, group_ref: str = reference
    ) -> Any:
        """Difference of figure ``which`` (municipality ``code``) against today/alone."""
        vs = f.get(key)
        if vs is None:
            other = group_ref if key == "vs_reference" else alone
            if other not in ok or other not in figs or figs[other] is f:
                return None
            o, v = figs[other], f
            a = v["cost_by_municipality"].get(code) if code else v[which]
            b = o["cost_by_municipality"].get(code) if code else o[which]
            return None if a is None or b is None else float(a) - float(b)
        return vs["cost_by_municipality"].get(code) if code else vs.get(which)

    def table(group: Sequence[ReportResult], table_id: str) -> tuple[str, list[str]]:
        """One table of the reports of one region, and its municipality codes."""
        gfigs = [figs[r.scenario] for r in group]
        codes = sorted(
            {c for f in gfigs for c in f["cost_by_municipality"] if c != "region"},
            key=lambda c: (order.get(c, len(order)), c),
        )
        # the group's own today (e.g. ks_today) stands in for `reference` in the fallback
        names_in = [r.scenario for r in group]
        group_ref = next(
            (n for n in names_in if n == reference),
            next((n for n in names_in if n.endswith(f"_{reference}")), reference),
        )
        head = (
            f"<th>{t('scenario', lang)}</th><th>{t('status', lang)}</th><th>{t('beds', lang)}</th>"
            f"<th>{t('fte', lang)}</th><th>{t('total_cost', lang)}</th>"
            + "".join(f"<th>{html.escape(names.get(c, c))}</th>" for c in codes)
            + f"<th>{t('render_time', lang)}</th>"
        )
        rows = []
        for r in group:
            f = figs[r.scenario]
            title = html.escape(str(f["title"] or r.scenario))
            if r.status == "ok" and r.html:
                link = f"<a href='{html.escape(r.html)}'>{title}</a>"
                status = f"<span class='ok'>{t('ok', lang)}</span>"
            else:
                link = title
                nb_link = (
                    f"<br><a href='{html.escape(r.notebook)}'>{t('partial_notebook', lang)}</a>"
                    if r.notebook
                    else ""
                )
                status = f"<span class='failed'>{t('failed', lang)}</span><br><small>{html.escape(r.error or '')}</small>{nb_link}"

            def cell(which: str, kind: str, code: str | None = None, f: dict = f) -> str:
                value = f["cost_by_municipality"].get(code) if code else f[which]
                d = [diff(f, k, which, code, group_ref) for k in ("vs_reference", "vs_alone")]
                return _cell(value, d, lang, kind)

            cells = [cell("beds", "num"), cell("fte", "fte"), cell("cost_total", "nok")]
            cells += [cell("cost_total", "nok", c) for c in codes]
            rows.append(
                f"<tr class='row-{html.escape(r.status)}'><td>{link}</td><td>{status}</td>{''.join(cells)}"
                f"<td class='num'>{fmt_number(r.seconds, lang, 1)}&nbsp;{t('seconds', lang)}</td></tr>"
            )
        body = (
            "\n".join(rows) if rows else f"<tr><td colspan='5'>{t('no_scenarios', lang)}</td></tr>"
        )
        return (
            f'<table id="{table_id}" class="scenarios">\n<thead><tr>{head}</tr></thead>\n'
            f"<tbody>\n{body}\n</tbody>\n</table>",
            codes,
        )

    order = _municipality_order(results)
    groups = _region_groups(results, figs)
    sections = []
    for i, (label, group) in enumerate(groups):
        table_html, codes = table(group, "scenarios" if i == 0 else f"scenarios-{i + 1}")
        heading = (
            f"<h2 class='region'>{html.escape(label)}</h2>\n" if len(groups) > 1 or label else ""
        )
        muni = (
            f"<p class='municipalities'>{html.escape(t('cost_per_municipality', lang))}: "
            f"{html.escape(', '.join(names.get(c, c) for c in codes))}.</p>\n"
        )
        sections.append(f"<section class='region'>\n{heading}{muni}{table_html}\n</section>")
    if not sections:
        sections.append(table([], "scenarios")[0])
    years = sorted({str(f["year"]) for f in figs.values() if f["year"] is not None})
    ref_title = next(
        (f["reference_title"] for f in figs.values() if f.get("reference_title")),
        (figs.get(reference) or {}).get("title") or t("reference", lang),
    )
    alone_title = next(
        (f["alone_title"] for f in figs.values() if f.get("alone_title")),
        (figs.get(alone) or {}).get("title") or alone,
    )
    try:
        from planning.data import data_version

        dv = data_version()
    except Exception:
        dv = "?"
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    horizon = f"{t('horizon', lang)}: {', '.join(years)}. " if years else ""
    price_years = sorted({str(f["price_year"]) for f in figs.values() if f.get("price_year")})
    if price_years:
        horizon += t("index_units", lang, year=", ".join(price_years)) + " "
    intro = t("index_intro", lang, reference=ref_title, alone=alone_title)
    page = f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(t("index_title", lang))}</title>
<style>
body {{ font-family: "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.9rem; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 0.4rem 0.5rem; vertical-align: top; text-align: left; }}
th {{ background: #f3f5f8; }}
td.num {{ text-align: right; white-space: nowrap; }}
.diff {{ color: #555; font-size: 0.8rem; }}
.diff.vs_reference {{ color: #222; font-weight: 600; }}
.ok {{ color: #1a7f37; }}
.failed {{ color: #b42318; font-weight: 600; }}
tr.row-failed {{ background: #fff5f5; }}
footer {{ margin-top: 2rem; color: #555; font-size: 0.85rem; }}
</style>
</head>
<body>
<h1>{html.escape(t("index_title", lang))}</h1>
<p>{html.escape(intro)} {html.escape(horizon)}</p>
{chr(10).join(sections)}
<footer>{t("generated", lang)} {now} · {t("package_version", lang)} vaernes-planning {html.escape(__version__)} · {t("data_version", lang)} {html.escape(dv)}</footer>
</body>
</html>
"""
    path = write_atomic(out / "index.html", page, root=out)
    write_atomic(
        out / "index.json",
        json.dumps([asdict(r) for r in results], indent=1, default=_json_default),
        root=out,
    )
    return path


def summarise(results: Iterable[ReportResult]) -> tuple[int, int]:
    """(number ok, number failed)."""
    rs = list(results)
    ok = sum(r.status == "ok" for r in rs)
    return ok, len(rs) - ok


# ----------------------------------------------------------------------------------------------
# building blocks of the report notebook (pure: results in, frames / HTML / Markdown out)
# ----------------------------------------------------------------------------------------------
BED_SERVICES: tuple[str, ...] = ("kad", "intermediaer")
DAYS_PER_YEAR = 365.0  # offered load = bed-days per year / 365 (as in planning.capacity)


def bed_pooling(
    demand: Any,
    municipalities: Sequence[str],
    year: int,
    max_refusal: float,
    services: Sequence[str] = BED_SERVICES,
    names: Mapping[str, str] | None = None,
) -> tuple[Any, Any]:
    """Beds when each municipality plans alone against one pooled unit for all of them.

    Offered load per municipality = bed-days in ``year`` (central run) / 365. Separate: each
    municipality gets the fewest beds with Erlang-B refusal <= ``max_refusal``; pooled: one unit
    for the summed load. Returns (curves: unit, service, arrangement, beds, refusal_probability;
    beds: service, arrangement, beds, offered_load)."""
    import numpy as np
    import pandas as pd

    from planning.capacity import beds_for_blocking, erlang_b

    d = demand[
        (demand["year"] == year)
        & (demand["measure"] == "bed_days")
        & demand["service"].isin(list(services))
    ]
    if "run" in d.columns:
        d = d[d["run"] == 0]
    d = d[d["municipality_code"].isin(list(municipalities))]
    if d.empty:
        raise InputError(
            f"no bed_days demand for {list(services)} in {year}",
            key="demand",
            allowed="a demand frame from planning.scenarios.run",
        )
    curves, beds = [], []
    for service, g in d.groupby("service", sort=False):
        loads = g.groupby("municipality_code")["value"].sum() / DAYS_PER_YEAR
        pooled_load = float(loads.sum())
        sep_beds = np.asarray(beds_for_blocking(loads.to_numpy(), max_refusal))
        pooled_beds = int(beds_for_blocking(pooled_load, max_refusal))
        beds.append(
            {
                "service": service,
                "arrangement": "separate",
                "beds": float(sep_beds.sum()),
                "offered_load": pooled_load,
            }
        )
        beds.append(
            {
                "service": service,
                "arrangement": "pooled",
                "beds": float(pooled_beds),
                "offered_load": pooled_load,
            }
        )
        top = int(max(pooled_beds, sep_beds.max(initial=0)) * 1.5) + 2
        c = np.arange(0, top + 1)
        for code, load in loads.items():
            curves.append(
                pd.DataFrame(
                    {
                        "unit": (names or {}).get(code, code),
                        "service": service,
                        "arrangement": "separate",
                        "beds": c,
                        "refusal_probability": erlang_b(c, float(load)),
                    }
                )
            )
        curves.append(
            pd.DataFrame(
                {
                    "unit": "region",
                    "service": service,
                    "arrangement": "pooled",
                    "beds": c,
                    "refusal_probability": erlang_b(c, pooled_load),
                }
            )
        )
    return pd.concat(curves, ignore_index=True), pd.DataFrame(beds)


def html_table(
    df: Any,
    labels: Mapping[str, str] | None = None,
    highlight: Any = None,
    css_class: str = "vp-table",
    numeric: Sequence[str] = (),
    status_column: str | None = None,
) -> str:
    """A frame as an escaped HTML table; rows where ``highlight`` (bool array) is true get the
    class ``vp-assumption``; ``numeric`` columns are right-aligned (class ``num``) and
    ``status_column`` cells get the class ``vp-status``."""
    cols = list(df.columns)
    head = "".join(f"<th>{html.escape(str((labels or {}).get(c, c)))}</th>" for c in cols)
    flags = list(highlight) if highlight is not None else [False] * len(df)
    classes = [
        " class='num'" if c in numeric else (" class='vp-status'" if c == status_column else "")
        for c in cols
    ]
    rows = []
    for flag, row in zip(flags, df.itertuples(index=False), strict=True):
        cls = " class='vp-assumption'" if flag else ""
        cells = "".join(
            f"<td{k}>{html.escape('' if v is None or (isinstance(v, float) and v != v) else str(v))}</td>"
            for k, v in zip(classes, row, strict=True)
        )
        rows.append(f"<tr{cls}>{cells}</tr>")
    return (
        f"<table class='{css_class}'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _region_value(metrics: Any, metric: str, year: int) -> float:
    m = metrics[
        (metrics["municipality_code"] == "region")
        & (metrics["metric"] == metric)
        & (metrics["year"] == year)
    ]
    if "run" in m.columns:
        m = m[m["run"] == 0]
    return float(m["value"].iloc[0])


def _region_end_values(result: Any) -> dict[str, float]:
    s = result.summary
    return (
        s[s["municipality_code"] == "region"].set_index("metric")["value"].astype(float).to_dict()
    )


def difference_lines(
    result: Any, reference: Any | None, alone: Any | None = None, lang: str = "nb"
) -> list[str]:
    """Markdown bullets: the change in beds, FTE and yearly cost at the end year against today
    (``reference``) first, then against each municipality alone (``alone``). A comparison of a
    scenario with itself is left out."""
    out = []
    v = _region_end_values(result)
    for other, key in ((reference, "reference"), (alone, "alone")):
        if other is None or other.name == result.name:
            continue
        b = _region_end_values(other)
        d_beds, d_fte, d_cost = (v[k] - b[k] for k in ("beds", "fte", "cost_nok"))
        title = html.escape(getattr(other.scenario.title, lang))
        if lang == "nb":
            lead = "Mot i dag" if key == "reference" else "Mot hver kommune for seg"
            out.append(
                f"- **{lead}** («{title}»): {fmt_signed(d_beds, lang)} senger, "
                f"{fmt_signed(d_fte, lang, 1)} årsverk og {fmt_signed(d_cost / 1e6, lang, 1)} mill. kr per år."
            )
        else:
            lead = "Against today" if key == "reference" else "Against each municipality alone"
            out.append(
                f"- **{lead}** ('{title}'): {fmt_signed(d_beds, lang)} beds, "
                f"{fmt_signed(d_fte, lang, 1)} FTE and NOK {fmt_signed(d_cost / 1e6, lang, 1)} million a year."
            )
    return out


def summary_markdown(
    result: Any, reference: Any | None, lang: str = "nb", alone: Any | None = None
) -> str:
    """The report's opening summary (Markdown): population growth, beds, FTE and yearly cost at
    the end year, with P10–P90 when the result has runs, then the change against today
    (``reference``) and against each municipality alone (``alone``)."""
    check_language(lang)
    scn = result.scenario
    y0, y1 = int(scn.horizon.base_year), int(scn.horizon.end_year)
    m = result.metrics()
    s = result.summary
    reg = s[s["municipality_code"] == "region"].set_index("metric")
    has_band = "p10" in reg.columns and reg["p10"].notna().any()

    def band(metric: str, decimals: int = 0) -> str:
        if not has_band:
            return ""
        lo, hi = reg.loc[metric, "p10"], reg.loc[metric, "p90"]
        return f" (P10–P90: {fmt_number(lo, lang, decimals)}–{fmt_number(hi, lang, decimals)})"

    pop0, pop1 = _region_value(m, "population", y0), _region_value(m, "population", y1)
    o0, o1 = _region_value(m, "population_80+", y0), _region_value(m, "population_80+", y1)
    fte, cost = (float(reg.loc[k, "value"]) for k in ("fte", "cost_nok"))
    price_year = result.provenance.get("price_year")
    desc = getattr(scn.description, lang)
    diffs = difference_lines(result, reference, alone, lang)
    if lang == "nb":
        lines = [
            f"**{html.escape(getattr(scn.title, lang))}.** {desc}",
            "",
            *diffs,
            f"- Innbyggere i regionen: {fmt_number(pop0, lang)} i {y0}, {fmt_number(pop1, lang)} i {y1}{band('population')}.",
            f"- Innbyggere 80 år og eldre: {fmt_number(o0, lang)} i {y0}, {fmt_number(o1, lang)} i {y1}{band('population_80+')}"
            f" ({fmt_signed(100 * (o1 / o0 - 1), lang)} %).",
            capacity_markdown(result, lang, band("beds")),
            f"- Årsverk i {y1}: {fmt_number(fte, lang)}{band('fte')}.",
            f"- Årlig kostnad i {y1}: {fmt_nok(cost, lang)}"
            + (f" ({price_year}-kroner)" if price_year else "")
            + ".",
        ]
    else:
        lines = [
            f"**{html.escape(getattr(scn.title, lang))}.** {desc}",
            "",
            *diffs,
            f"- Inhabitants of the region: {fmt_number(pop0, lang)} in {y0}, {fmt_number(pop1, lang)} in {y1}{band('population')}.",
            f"- Inhabitants aged 80 or over: {fmt_number(o0, lang)} in {y0}, {fmt_number(o1, lang)} in {y1}{band('population_80+')}"
            f" ({fmt_signed(100 * (o1 / o0 - 1), lang)}%).",
            capacity_markdown(result, lang, band("beds")),
            f"- FTE in {y1}: {fmt_number(fte, lang)}{band('fte')}.",
            f"- Yearly cost in {y1}: {fmt_nok(cost, lang)}"
            + (f" ({price_year} prices)" if price_year else "")
            + ".",
        ]
    return "\n".join(lines)


def municipality_table(
    result: Any,
    reference: Any | None,
    lang: str = "nb",
    names: Mapping[str, str] | None = None,
    alone: Any | None = None,
) -> Any:
    """Per municipality and region at the end year: inhabitants, 80+, FTE, yearly cost, cost per
    inhabitant (formatted strings) and the change in cost against today (``reference``) and
    against each municipality alone (``alone``). Beds are not attributed to municipalities (they
    belong to units: see :func:`capacity_table`)."""
    import pandas as pd

    s = result.summary
    piv = s.pivot(index="municipality_code", columns="metric", values="value")
    order = [c for c in piv.index if c != "region"] + (["region"] if "region" in piv.index else [])
    piv = piv.loc[order]
    out = pd.DataFrame(
        {
            t("municipality", lang): [
                (names or {}).get(c, c) if c != "region" else t("region", lang) for c in piv.index
            ],
            t("population", lang): [fmt_number(v, lang) for v in piv["population"]],
            "80+": [fmt_number(v, lang) for v in piv["population_80+"]],
            t("fte", lang): [fmt_number(v, lang, 1) for v in piv["fte"]],
            t("total_cost", lang): [fmt_nok(v, lang) for v in piv["cost_nok"]],
            ("Kostnad per innbygger" if lang == "nb" else "Cost per inhabitant"): [
                fmt_number(v, lang) + (" kr" if lang == "nb" else " NOK")
                for v in piv["cost_nok_per_inhabitant"]
            ],
        }
    )
    for other, label in ((reference, "difference"), (alone, "difference_alone")):
        if other is None or other.name == result.name:
            continue
        b = other.summary
        bc = b[b["metric"] == "cost_nok"].set_index("municipality_code")["value"]
        out[t(label, lang)] = [
            fmt_signed((piv.loc[c, "cost_nok"] - bc.get(c, float("nan"))) / 1e6, lang, 1)
            + (" mill. kr" if lang == "nb" else " m NOK")
            for c in piv.index
        ]
    return out


def today_table(
    result: Any,
    lang: str = "nb",
    names: Mapping[str, str] | None = None,
    check: Any | None = None,
) -> tuple[Any, str]:
    """KOSTRA's latest observed figures ("today") beside the modelled first year, per
    municipality and for the region: home-service users, long-term residents, nurse FTE in care
    services and residents of housing with 24-hour staff (formatted strings), and the intro text
    with the region's hits against the targets. ``check``: from
    :func:`planning.calibration.first_year_check` (computed when None)."""
    import pandas as pd

    from planning import calibration, data

    check_language(lang)
    c = check if check is not None else calibration.first_year_check(result, data.load_kostra())
    n = names or {}
    order = [x for x in result.scenario.municipality_codes() if x in set(c["municipality_code"])]
    order += ["region"]
    oy = int(c["observed_year"].max()) if len(c) else 0
    my = int(result.scenario.horizon.base_year)
    out = pd.DataFrame(
        {
            t("municipality", lang): [
                n.get(x, x) if x != "region" else t("region", lang) for x in order
            ]
        }
    )
    idx = c.set_index(["municipality_code", "indicator"])
    for ind, labels in calibration.CHECKED.items():
        label = labels[0] if lang == "nb" else labels[1]
        dec = 1 if ind == "nurse_fte" else 0
        obs, mod = [], []
        for x in order:
            row = idx.loc[(x, ind)] if (x, ind) in idx.index else None
            obs.append(fmt_number(row["observed"], lang, dec) if row is not None else "–")
            if row is None or pd.isna(row["modelled"]):
                mod.append(t("not_modelled", lang))
            else:
                rel = row["relative_difference"]
                mod.append(
                    fmt_number(row["modelled"], lang, dec)
                    + (f" ({fmt_signed(100 * rel, lang, 0)} %)" if pd.notna(rel) else "")
                )
        out[f"{label}, {t('observed', lang, year=oy)}"] = obs
        out[f"{label}, {t('modelled', lang, year=my)}"] = mod
    reg = c[(c["municipality_code"] == "region") & c["modelled"].notna()]
    hits = ", ".join(
        f"{(calibration.CHECKED[r.indicator][0] if lang == 'nb' else calibration.CHECKED[r.indicator][1]).lower()} "
        f"{fmt_signed(100 * r.relative_difference, lang, 1)} %"
        for r in reg.itertuples()
    )
    return out, t("today_intro", lang, observed_year=oy, modelled_year=my, hits=hits)


def capacity_markdown(result: Any, lang: str = "nb", band: str = "") -> str:
    """Headline capacity at the end year (Markdown bullet): beds, long-term places and, where the
    demand model projects them, places in housing with 24-hour staff."""
    v = _region_end_values(result)
    y1 = result.end_year
    d = result.demand
    if "run" in d.columns:
        d = d[d["run"] == 0]
    h24 = d[(d["service"] == "heldogn_bolig") & (d["year"] == y1)]
    h24 = h24[h24["measure"] == ("places" if (h24["measure"] == "places").any() else "users")]
    h24_v = float(h24["value"].sum()) if len(h24) else None
    if lang == "nb":
        text = (
            f"- Kapasitet i {y1}: {fmt_number(v['beds'], lang)}{band} senger (KAD og intermediære), "
            f"{fmt_number(v['long_term_places'], lang)} plasser på langtidsopphold"
        )
        text += (
            f" og {fmt_number(h24_v, lang)} plasser i bolig med heldøgns bemanning."
            if h24_v is not None
            else "; boliger med heldøgns bemanning er ikke framskrevet ennå (dagens tall står i tabellen under)."
        )
    else:
        text = (
            f"- Capacity in {y1}: {fmt_number(v['beds'], lang)}{band} beds (KAD and intermediate), "
            f"{fmt_number(v['long_term_places'], lang)} long-term places"
        )
        text += (
            f" and {fmt_number(h24_v, lang)} places in housing with 24-hour staff."
            if h24_v is not None
            else "; housing with 24-hour staff is not projected yet (today's figures are in the table below)."
        )
    return text


def assumptions_frame(result: Any, lang: str = "nb") -> Any:
    """Every parameter of the scenario's catalogue with value, unit, source, year and status
    (translated), plus the levers the scenario file sets itself (status 'set by the scenario')."""
    import pandas as pd

    from planning.i18n import status_label

    scn = result.scenario
    table = scn.catalogue().assumptions_table()
    set_levers = {k: v for k, v in scn.levers.model_dump().items() if v is not None}
    rows = table.copy()
    for name, value in set_levers.items():
        path = f"levers.{name}"
        hit = rows["parameter"] == path
        src = f"{'scenariofil' if lang == 'nb' else 'scenario file'} {Path(scn.file).name if scn.file else scn.name}"
        if hit.any():
            rows.loc[hit, ["value", "source", "status", "year"]] = [value, src, "scenario", None]
        else:
            rows = pd.concat(
                [
                    rows,
                    pd.DataFrame(
                        [
                            {
                                "parameter": path,
                                "value": value,
                                "unit": "",
                                "source": src,
                                "year": None,
                                "status": "scenario",
                                "note": "",
                            }
                        ]
                    ),
                ],
                ignore_index=True,
            )
    rows["year"] = [("" if y is None or y != y else str(int(y))) for y in rows["year"]]
    rows["value"] = [
        _param_value(v, unit, lang)
        for v, unit in zip(rows["value"].astype(float), rows["unit"], strict=True)
    ]
    rows["status_label"] = [status_label(s, lang) for s in rows["status"]]
    if lang == "nb":  # the catalogue's units, sources and notes are English (for developers)
        from planning.parameter_text import text_nb

        for col in ("unit", "source", "note"):
            rows[col] = [text_nb(x) for x in rows[col]]
    return rows


def _param_value(v: float, unit: str, lang: str) -> str:
    """A parameter value for the table: years without separators, up to 4 decimals otherwise."""
    if float(v).is_integer():
        return str(int(v)) if str(unit).strip() in ("year", "år") else fmt_number(v, lang)
    text = fmt_number(v, lang, 4)
    return text.rstrip("0").rstrip(",.")


def assumptions_html(result: Any, lang: str = "nb") -> str:
    """The assumptions table as HTML; rows whose value is an assumption are highlighted."""
    rows = assumptions_frame(result, lang)
    counts = rows["status"].value_counts()
    head = t(
        "counts_by_status",
        lang,
        n=len(rows),
        seen=int(counts.get("seen", 0)),
        derived=int(counts.get("derived", 0)),
        assumption=int(counts.get("assumption", 0)),
    )
    cols = ["parameter", "value", "unit", "status_label", "source", "year", "note"]
    labels = {
        "parameter": t("parameter", lang),
        "value": t("value", lang),
        "unit": t("unit", lang),
        "status_label": t("status", lang),
        "source": t("source", lang),
        "year": t("year", lang),
        "note": t("note", lang),
    }
    return f"<p>{html.escape(head)}</p>" + html_table(
        rows[cols],
        labels,
        highlight=(rows["status"] == "assumption").to_numpy(),
        numeric=("value", "year"),
        status_column="status_label",
    )


def organisation_html(result: Any, lang: str = "nb", names: Mapping[str, str] | None = None) -> str:
    """The scenario's shared units as HTML: name, service (readable label), host, members, cost
    key, source and note. A unit of today's organisation shows its source; a unit the scenario
    proposes says so."""
    import pandas as pd

    units = result.scenario.organisation.units
    if not units:
        return f"<p>{html.escape(t('no_shared_units', lang))}</p>"
    n = names or {}
    labels_ = service_labels(result.scenario.catalogue())
    df = pd.DataFrame(
        [
            {
                "name": u.name,
                "service": labels_.get(u.service, u.service),
                "host": n.get(u.host, u.host),
                "members": ", ".join(n.get(m, m) for m in u.members),
                "cost_key": t(f"cost_key_{u.cost_key}", lang)
                + (f" ({u.fixed_share:.0%})" if u.fixed_share is not None else ""),
                "source": u.source or t("proposal", lang),
                "note": u.note or "",
            }
            for u in units
        ]
    )
    labels = {
        "name": t("unit", lang),
        "service": t("service", lang),
        "host": t("host", lang),
        "members": t("members", lang),
        "cost_key": t("cost_key", lang),
        "source": t("sources_of_unit", lang),
        "note": t("note", lang),
    }
    return html_table(df, labels)


def sources_html(lang: str = "nb") -> str:
    """The data files of the snapshot with publisher, table, year and licence (HTML)."""
    from planning.data import sources

    s = sources()[["file", "title", "publisher", "table", "year", "licence"]]
    labels = {k: t(k, lang) for k in ("file", "title", "publisher", "table", "year", "licence")}
    return html_table(s, labels)


def trust_markdown(
    codes: Sequence[str], lang: str = "nb", names: Mapping[str, str] | None = None
) -> str:
    """How far the projection method has missed before (Markdown): ten-year backtests of the
    default method for ``codes`` from the two latest base years that allow them (2011 and 2016
    on the shipped data), MAPE of the total and of 80+, and the largest miss. Empty when the data
    are too short for a ten-year backtest."""
    from planning import backtest, data
    from planning.i18n import fmt_percent

    check_language(lang)
    names = names or {}
    first, last = data.population_years()
    windows = [(e - 10, e) for e in (last - 5, last) if e - 10 >= first + 2]
    if not windows:
        return ""
    res = [
        backtest.backtest(codes, b, e, methods=("cohort-component",), groups=("total", "80+"))
        for b, e in windows
    ]
    summary = [backtest.summarise(r).set_index("age_group")["mape"] for r in res]
    joint = f" {t('and', lang)} "

    def both(group: str) -> str:
        return joint.join(fmt_percent(s[group] / 100, lang) for s in summary)

    tot = [r[r["age_group"] == "total"] for r in res]
    worst = max((row for frame in tot for row in frame.itertuples()), key=lambda row: abs(row.pe))
    worst_text = (
        f"{names.get(worst.municipality_code, worst.municipality_code)} "
        f"{fmt_signed(worst.pe, lang, 1)}{chr(0xA0) if lang == 'nb' else ''}% "
        f"({worst.base_year}–{worst.end_year})"
    )
    return t(
        "trust_text",
        lang,
        bases=joint.join(str(b) for b, _ in windows),
        total=both("total"),
        old=both("80+"),
        n=len(codes),
        worst=worst_text,
    )


DEMAND_BACKTEST_YEARS = 9  # years from base to end in the demand backtests (2012→2021, 2016→2025)


def demand_backtest_windows() -> list[tuple[int, int]]:
    """(base, end) of the two demand backtests on the shipped data: nine years each, ending in
    the latest KOSTRA year and four years before it (2012→2021 and 2016→2025)."""
    from planning import data

    first, last = data.kostra_years()
    h = DEMAND_BACKTEST_YEARS
    return [(e - h, e) for e in (last - 4, last) if e - h >= first + 2]


def demand_trust_markdown(
    codes: Sequence[str], lang: str = "nb", names: Mapping[str, str] | None = None
) -> str:
    """How far the demand model has missed before (Markdown), computed live for ``codes``:
    demand backtests (:func:`planning.backtest.demand_backtest`, population projected from the
    base year) from the bases of :func:`demand_backtest_windows`; MAPE of home-service users and
    of heldøgn in total for the default model and the constant-rate reference, and the largest
    miss with its service. Empty when the data are too short."""
    import pandas as pd

    from planning import backtest
    from planning.i18n import fmt_percent

    check_language(lang)
    names = names or {}
    windows = demand_backtest_windows()
    if not windows:
        return ""
    res = [backtest.demand_backtest(list(codes), b, e, population="projected") for b, e in windows]
    summary = [backtest.summarise_demand(r).set_index(["service", "method"]) for r in res]
    joint = f" {t('and', lang)} "

    def both(service: str, method: str) -> str:
        return joint.join(
            fmt_percent(s.loc[(service, method), "mape"] / 100, lang)
            if (service, method) in s.index
            else "–"
            for s in summary
        )

    rows = pd.concat(res, ignore_index=True)
    rows = rows[rows["service"].isin(["hjemmetjenester", "heldogn"]) & rows["pe"].notna()]
    worst = rows.loc[rows["pe"].abs().idxmax()] if len(rows) else None
    worst_text = (
        ""
        if worst is None
        else (
            f"{names.get(worst.municipality_code, worst.municipality_code)}, "
            f"{t('service_' + worst.service, lang)} {fmt_signed(worst.pe, lang, 0)}"
            f"{chr(0xA0) if lang == 'nb' else ''}% ({worst.base_year}–{worst.end_year})"
        )
    )
    return t(
        "demand_trust_text",
        lang,
        bases=joint.join(str(b) for b, _ in windows),
        n=len(codes),
        years=DEMAND_BACKTEST_YEARS,
        home=both("hjemmetjenester", "model"),
        home_ref=both("hjemmetjenester", "constant-rate"),
        held=both("heldogn", "model"),
        held_ref=both("heldogn", "constant-rate"),
        worst=worst_text,
    )


def about_markdown(result: Any, lang: str = "nb") -> str:
    """Provenance line: scenario file, package and data version, runs, seed and date."""
    p = result.provenance
    date = str(p.get("timestamp", ""))[:10]
    files = ", ".join(Path(f).name for f in p.get("lineage", []) or [])
    if lang == "nb":
        return (
            f"Scenario «{result.scenario.title.nb}» (scenariofiler: {files}); {t('package_version', lang).lower()} vaernes-planning {p.get('package_version')}; "
            f"{t('data_version', lang).lower()} {p.get('data_version')}; {p.get('runs')} simuleringer, seed {p.get('seed')}; "
            f"laget {date}. Kostnader i faste {p.get('price_year')}-kroner. Tall merket *antatt* har ingen kilde og er forutsetninger; "
            "reisetider merket *estimert* er beregnet fra koordinater."
        )
    return (
        f"Scenario '{result.scenario.title.en}' (scenario files: {files}); package version vaernes-planning {p.get('package_version')}; "
        f"data version {p.get('data_version')}; {p.get('runs')} runs, seed {p.get('seed')}; generated {date}. "
        f"Costs in constant {p.get('price_year')} NOK. Values marked *assumption* have no source; travel times "
        "marked *estimated* are computed from coordinates."
    )


def capacity_table(
    result: Any,
    lang: str = "nb",
    names: Mapping[str, str] | None = None,
    services: Sequence[str] = BED_SERVICES,
) -> Any:
    """Bed units of the scenario at the end year (central run): unit, service, offered load,
    beds, refusal probability, occupancy (formatted strings)."""
    from planning.i18n import fmt_percent, measure_label

    cap = result.capacity
    if "run" in cap.columns:
        cap = cap[cap["run"] == 0]
    cap = cap[(cap["year"] == result.end_year) & cap["service"].isin(list(services))]
    piv = cap.pivot_table(
        index=["service", "unit"], columns="measure", values="value", aggfunc="first"
    ).reset_index()
    n = names or {}
    out = piv[["service", "unit"]].copy()
    svc = service_labels(result.scenario.catalogue())
    out["service"] = [svc.get(x, x) for x in out["service"]]
    out["unit"] = [n.get(u, u) for u in out["unit"]]
    out["offered_load"] = [fmt_number(v, lang, 2) for v in piv["offered_load"]]
    out["beds"] = [fmt_number(v, lang) for v in piv["beds"]]
    out["refusal_probability"] = [fmt_percent(v, lang) for v in piv["refusal_probability"]]
    out["occupancy"] = [fmt_percent(v, lang) for v in piv["occupancy"]]
    labels = {"service": t("service", lang), "unit": t("unit", lang), "beds": t("beds", lang)}
    labels.update(
        {
            k: measure_label(k, lang).capitalize()
            for k in ("offered_load", "refusal_probability", "occupancy")
        }
    )
    return out.rename(columns=labels)


def service_labels(catalogue: Any) -> dict[str, str]:
    """Readable service names from the catalogue's ``label`` fields (Norwegian, as the services
    are Norwegian); the service key where a service has no label."""
    from planning.parameters import SERVICES

    out = {}
    for s in SERVICES:
        spec = getattr(catalogue, s, None) or getattr(getattr(catalogue, "coverage", None), s, None)
        out[s] = str(getattr(spec, "label", None) or s)
    return out


def cost_scope_markdown(result: Any, lang: str = "nb") -> str:
    """What the costs include and the price basis: staff, travel and overliggedøgn only; pay in
    constant prices of the catalogue year with the scenario's real pay growth and its sourced
    range (``data/ranges.yaml``: prices.real_pay_growth)."""
    from planning.uncertainty import bounds, load_ranges

    g = float(result.scenario.prices.real_pay_growth.value)
    lo, hi = bounds("prices.real_pay_growth", load_ranges())
    year = result.provenance.get("price_year")

    def pct(x: float) -> str:
        return f"{100 * x:.1f}".replace(".", "," if lang == "nb" else ".")

    if lang == "nb":
        return (
            "**Hva kostnadene omfatter.** Bare lønn til ansatte (med pensjon og "
            "arbeidsgiveravgift), reisekostnader for ansatte og overliggedøgn for utskrivningsklare "
            "pasienter. Bygg, investeringer, medisiner, utstyr og IT er ikke med. "
            f"Lønn i faste {year}-kroner med reallønnsvekst {pct(g)} % per år i dette scenariet "
            f"(standard 0 %: faste priser). Spennet {pct(lo)}-{pct(hi)} % per år: SSB fant nesten "
            "ingen reallønnsvekst 2015-2023 og venter om lag 1,5 % per år 2024-2027 "
            "(Konjunkturtendensene, mars 2024); virkningen står under «Hva betyr mest»."
        )
    return (
        "**What the costs include.** Staff pay only (with pension and employer's contribution), "
        "staff travel and overliggedøgn for patients ready for discharge. Buildings, investment, "
        "medicines, equipment and IT are not included. "
        f"Pay in constant {year} NOK with real pay growth of {pct(g)} % a year in this scenario "
        f"(default 0 %: constant prices). Range {pct(lo)}-{pct(hi)} % a year: SSB found almost no "
        "real wage growth 2015-2023 and expects about 1.5 % a year 2024-2027 "
        "(Konjunkturtendensene, March 2024); its effect is under 'What matters most'."
    )


# ----------------------------------------------------------------------------------------------
# økonomiplan tables and the spreadsheet (issue 17)
# ----------------------------------------------------------------------------------------------
#: Decimals shown per økonomiplan group (places and users are counts, FTE and NOK million have one).
_BUDGET_DECIMALS = {
    "users": 0,
    "places": 0,
    "fte_service": 1,
    "fte_profession": 1,
    "cost_service": 1,
}


def budget_html(
    frame: Any,
    codes: Sequence[str],
    lang: str = "nb",
    names: Mapping[str, str] | None = None,
    open_codes: Sequence[str] = ("region",),
) -> str:
    """The økonomiplan tables of :func:`planning.budget.budget_frame` as HTML: one table per
    municipality and for the region, each in a ``<details>`` block (those in ``open_codes``
    open); numbers formatted for ``lang``, changes against the reference with a sign."""
    from planning.budget import GROUP_LABELS, budget_table

    check_language(lang)
    n = names or {}
    labels_to_group = {v[lang]: k for k, v in GROUP_LABELS.items()}
    blocks = []
    for code in [*codes, "region"]:
        wide = budget_table(frame, code, lang)
        years = [c for c in wide.columns if isinstance(c, int)]
        shown = wide[["group", "indicator", "unit"]].copy()
        groups = [labels_to_group[g] for g in wide["group"]]
        for y in years:
            shown[str(y)] = [
                fmt_signed(v, lang, 0 if u in ("senger", "beds") else 1)
                if g == "difference"
                else fmt_number(v, lang, _BUDGET_DECIMALS.get(g, 1))
                for v, g, u in zip(wide[y], groups, wide["unit"], strict=True)
            ]
        # the group name once, at its first row
        first = shown["group"].ne(shown["group"].shift())
        shown["group"] = shown["group"].where(first, "")
        table = html_table(
            shown,
            {"group": "", "indicator": "", "unit": t("unit", lang)},
            highlight=[g == "difference" for g in groups],
            numeric=[str(y) for y in years],
        )
        title = t("region", lang) if code == "region" else n.get(code, code)
        opened = " open" if code in open_codes else ""
        blocks.append(
            f"<details{opened}><summary><b>{html.escape(title)}</b></summary>{table}</details>"
        )
    return "\n".join(blocks)


def budget_intro(frame: Any, result: Any, reference: Any | None, lang: str = "nb") -> str:
    """The sentence above the økonomiplan tables (years, attribution, prices, reference)."""
    from planning.budget import OKONOMIPLAN_YEARS

    years = sorted(int(y) for y in frame["year"].unique())
    plan, later = years[:OKONOMIPLAN_YEARS], years[OKONOMIPLAN_YEARS:]
    joint = f" {t('and', lang)} "
    later_text = (
        (", ".join(map(str, later[:-1])) + joint + str(later[-1]))
        if len(later) > 1
        else "".join(map(str, later))
    )
    return t(
        "budget_intro",
        lang,
        first=plan[0],
        last=plan[-1],
        later=later_text,
        price_year=result.provenance.get("price_year"),
        reference=getattr(reference, "name", "–"),
    )


def workforce_markdown(frame: Any, result: Any, lang: str = "nb") -> str:
    """The paragraph above the workforce charts, with the national care FTE beside the model's."""
    from planning.i18n import fmt_number as fmt
    from planning.workforce import NATIONAL_CARE_FTE

    base = int(result.scenario.horizon.base_year)
    nat_year = int(NATIONAL_CARE_FTE["year"])
    nat = frame[(frame["municipality_code"] == "norway") & (frame["year"] == nat_year)]
    own = frame[(frame["municipality_code"] == "region") & (frame["year"] == base)]
    return t(
        "workforce_intro",
        lang,
        base=base,
        national=fmt(float(nat["care_fte_per_100_working_age"].iloc[0]), lang, 1)
        if len(nat)
        else "–",
        nat_year=nat_year,
        own=fmt(float(own["care_fte_per_100_working_age"].iloc[0]), lang, 1) if len(own) else "–",
    )


# ----------------------------------------------------------------------------------------------
# refusals, overliggedøgn and travel to shared units (issue 17)
# ----------------------------------------------------------------------------------------------
#: Occupancy of the municipal acute beds (KAD/ØHD) in Norway, all units, 2022.
NATIONAL_KAD_OCCUPANCY: dict[str, Any] = {
    "value": 0.47,
    "year": 2022,
    "publisher": "Helsedirektoratet",
    "source": "https://www.helsedirektoratet.no/rapporter/status-for-kommunalt-dogntilbud-for-oyeblikkelig-hjelp-2022/sammendrag",
    "status": "seen",
}


def _unit_members(result: Any) -> dict[tuple[str, str], list[str]]:
    """(unit, service) → member municipalities: the scenario's shared units, and each
    municipality's own unit (named by its code) otherwise."""
    u = result.units
    out: dict[tuple[str, str], list[str]] = {}
    for (unit, service), g in u.groupby(["unit", "service"], sort=False):
        out[(str(unit), str(service))] = [str(c) for c in g["municipality_code"]]
    return out


def refusals_frame(result: Any, services: Sequence[str] = BED_SERVICES) -> Any:
    """Bed services of the region by year (central run): service, year, refused_admissions
    (each unit's refusal probability × its members' admissions), refused_bed_days, overliggedogn
    (True for the service whose refused bed-days the municipality pays the hospital for) and
    overliggedogn_nok (that cost, NOK a year)."""
    import pandas as pd

    cap = result.capacity
    dem = result.demand
    costs = result.costs
    if "run" in cap.columns:
        cap, dem, costs = cap[cap["run"] == 0], dem[dem["run"] == 0], costs[costs["run"] == 0]
    members = _unit_members(result)
    rows = []
    for service in services:
        c = cap[
            (cap["service"] == service)
            & cap["measure"].isin(["refusal_probability", "refused_bed_days"])
        ]
        if c.empty:
            continue
        adm = dem[(dem["service"] == service) & (dem["measure"] == "admissions")]
        adm = adm.set_index(["municipality_code", "year"])["value"]
        piv = c.pivot_table(
            index=["unit", "year"], columns="measure", values="value", aggfunc="first"
        ).reset_index()
        refused = []
        for r in piv.itertuples():
            who = members.get((str(r.unit), service), [str(r.unit)])
            load = sum(float(adm.get((m, r.year), 0.0)) for m in who)
            refused.append(r.refusal_probability * load)
        piv["refused_admissions"] = refused
        g = piv.groupby("year", as_index=False)[["refused_admissions", "refused_bed_days"]].sum()
        ov = costs[(costs["service"] == service) & (costs["item"] == "overliggedogn")]
        g["overliggedogn"] = not ov.empty
        g["overliggedogn_nok"] = g["year"].map(ov.groupby("year")["nok"].sum()).fillna(0.0)
        rows.append(g.assign(service=service))
    cols = [
        "service",
        "year",
        "refused_admissions",
        "refused_bed_days",
        "overliggedogn",
        "overliggedogn_nok",
    ]
    return pd.concat(rows, ignore_index=True)[cols] if rows else pd.DataFrame(columns=cols)


def shared_travel_frame(result: Any, year: int | None = None) -> Any:
    """Every shared unit (more than one member) at ``year`` (default: the end year), central run:
    unit, service, host, municipality_code, minutes (member centre to host centre, the scenario's
    travel data), users (the member's demand for the service, its main measure) and
    weighted_minutes (the unit's mean minutes weighted by users). Empty without shared units."""
    import pandas as pd

    from planning import data
    from planning.capacity import municipality_travel
    from planning.plots import primary_measures

    year = int(result.end_year if year is None else year)
    u = result.units
    sizes = u.groupby(["unit", "service"])["municipality_code"].transform("size")
    u = u[sizes > 1]
    cols = ["unit", "service", "host", "municipality_code", "minutes", "users", "weighted_minutes"]
    if u.empty:
        return pd.DataFrame(columns=cols)
    overrides = [t.model_dump(exclude_none=True) for t in result.scenario.travel_overrides]
    travel = data.load_travel(overrides=pd.DataFrame(overrides) if overrides else None)
    mt = municipality_travel(travel, data.load_places())
    minutes = {
        (a, b): m for a, b, m in zip(mt["from_code"], mt["to_code"], mt["minutes"], strict=True)
    }
    dem = result.demand
    if "run" in dem.columns:
        dem = dem[dem["run"] == 0]
    dem = dem[dem["year"] == year]
    measures = primary_measures(dem)
    out = u[["unit", "service", "host", "municipality_code"]].copy()
    out["minutes"] = [
        0.0 if m == h else float(minutes.get((m, h), minutes.get((h, m), float("nan"))))
        for m, h in zip(out["municipality_code"], out["host"], strict=True)
    ]
    users = dem.set_index(["service", "measure", "municipality_code"])["value"]
    out["users"] = [
        float(users.get((s, measures.get(s, ""), m), 0.0))
        for s, m in zip(out["service"], out["municipality_code"], strict=True)
    ]
    w = (
        out.assign(wm=out["minutes"] * out["users"])
        .groupby(["unit", "service"])[["wm", "users"]]
        .sum()
    )
    mean = w["wm"] / w["users"].where(w["users"] > 0)
    out["weighted_minutes"] = [
        mean[(u_, s)] for u_, s in zip(out["unit"], out["service"], strict=True)
    ]
    return out[cols].reset_index(drop=True)
