"""The driver: ``run_sweep`` (selection, fingerprint, resume, progress, errors).

Part of :mod:`planning.sweep`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from planning.errors import DataError, InputError, PlanningError, ScenarioError, suggest
from planning.sweep.assembly import SweepOutcome, _assemble
from planning.sweep.backends import MAIN_GUARD_HINT, _backend, _chunks, _InlineBackend
from planning.sweep.batch import BATCHED_COST, batchable, plan_chunks
from planning.sweep.chunks import ChunkJob, Selection
from planning.sweep.engine import Engine, ScenarioEngine
from planning.sweep.outdir import OutDir, _scan_parts, _write_part
from planning.sweep.spec import FORMAT_VERSION, SweepSpec, _canonical, _spec_file, load_sweep
from planning.sweep.variants import variants_of


# ------------------------------------------------------------------------------------------------
# driver
# ------------------------------------------------------------------------------------------------
def _not_in_a_starting_worker() -> None:
    """Refuse a sweep started while a spawned worker process imports the user's script (its
    top-level ``sweep()`` call without a ``__main__`` guard): without this the worker would wait
    for ever on the output folder's lock, which the parent sweep holds."""
    import multiprocessing

    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise InputError(f"sweep started inside a starting worker process: {MAIN_GUARD_HINT}")


def _resolve_selection(spec: SweepSpec, engine: Any, base: Any, probe: pd.DataFrame) -> Selection:
    """Turn ``output`` into a :class:`Selection`, checking names against the base run."""
    file = _spec_file(spec)
    o = spec.output
    years: tuple[int, ...] | None
    have_years = sorted({int(y) for y in probe["year"].unique()})
    if o.years == "all":
        years = None
    else:
        wanted = o.years if o.years is not None else engine.default_years(base)
        bad = [y for y in wanted if y not in have_years]
        if bad:
            raise ScenarioError(
                f"years {bad} are not in the scenario's results",
                file=file,
                key="output.years",
                allowed=f"{have_years[0]}..{have_years[-1]}" if have_years else None,
            )
        years = tuple(sorted(set(wanted)))
    metrics = _known(
        o.metrics,
        probe["metric"],
        lambda bad, have: f"unknown metric '{bad}'.{suggest(bad, have)}",
        file,
        "output.metrics",
    )
    munis = _known(
        o.municipalities,
        probe["municipality_code"],
        lambda bad, have: f"municipality '{bad}' is not in the scenario's results",
        file,
        "output.municipalities",
    )
    return Selection(years, metrics, munis)


def _known(
    wanted: Any, column: pd.Series, message: Any, file: Any, key: str
) -> tuple[str, ...] | None:
    """``wanted`` (names of an ``output`` selection) as a tuple when every name is in the base
    run's ``column``; None when nothing is selected. Otherwise ScenarioError naming the sweep
    file, ``key`` and the names the results have (``message(first unknown, known)``)."""
    if wanted is None:
        return None
    have = sorted({str(m) for m in column.unique()})
    bad = [m for m in wanted if m not in have]
    if bad:
        raise ScenarioError(message(bad[0], have), file=file, key=key, allowed=have)
    return tuple(wanted)


def load_base(spec: SweepSpec, engine: Any) -> Any:
    """The sweep's base scenario; errors name the sweep file and key ``base``."""
    try:
        return engine.load_base(spec.base)
    except DataError:  # a missing or corrupt data file: its own line, not the sweep file's
        raise
    except PlanningError as e:
        raise ScenarioError(
            f"{spec.base}: {e.problem}", file=_spec_file(spec), key="base", allowed=e.allowed
        ) from None


def check_axes(spec: SweepSpec, engine: Any, base: Any) -> None:
    """Fail fast: every axis path and every grid value (sample range ends, choices) must be
    accepted by the scenario schema before anything runs."""
    file = _spec_file(spec)
    checks: list[tuple[str, str, Any]] = []
    for path, values in spec.grid.items():
        items = values.items() if isinstance(values, dict) else [(None, v) for v in values]
        for name, v in items:
            key = f"grid.{path}" + (f".{name}" if name is not None else "")
            checks.append((key, path, v))
    if spec.samples is not None:
        for path, r in spec.samples.ranges.items():
            if r.choices is not None:
                ends = list(r.choices)
            elif r.integer:
                ends = [math.ceil(r.low or 0), math.floor(r.high or 0)]
            else:
                ends = [r.low, r.high]
            checks.extend((f"samples.ranges.{path}", path, v) for v in ends)
    for key, path, value in checks:
        try:
            engine.check_axis(base, path, value)
        except PlanningError as e:
            raise ScenarioError(
                f"{path} = {_short(value)}: {e.problem}", file=file, key=key, allowed=e.allowed
            ) from None


def _short(value: Any, n: int = 60) -> str:
    text = _canonical(value)
    return text if len(text) <= n else text[: n - 3] + "..."


def _fingerprint(spec: SweepSpec, engine_fp: str, selection: Selection) -> str:
    doc = spec.model_dump(mode="json", exclude={"name", "title", "description"})
    doc["selection"] = [selection.years, selection.metrics, selection.municipalities]
    doc["engine"] = engine_fp
    doc["format"] = FORMAT_VERSION
    return hashlib.sha256(_canonical(doc).encode()).hexdigest()


def _data_version() -> str | None:
    from planning import data

    try:
        return data.data_version()
    except PlanningError:
        return None


def _prepare_out(out: OutDir, fingerprint: str, resume: bool, info: dict[str, Any]) -> None:
    """Check that ``out`` is free for this sweep (or, with ``resume``, holds this sweep's parts)
    and write ``sweep.json``. A folder without finished parts has nothing to protect."""
    marker = out.path("sweep.json")
    parts = out.path("parts")
    has_parts = parts.is_dir() and any(parts.glob("part-*.parquet"))
    if has_parts and not marker.exists():
        raise InputError(
            "output folder has parts but no sweep.json; choose another --out", file=out.root
        )
    if has_parts:
        try:
            old = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            old = {}
        if not resume:
            raise InputError(
                "output folder already holds a sweep; pass --resume to continue it or choose "
                "another --out",
                file=out.root,
            )
        if old.get("data_version") and old.get("data_version") != info.get("data_version"):
            raise InputError(
                f"the data changed since this sweep started (data version {old['data_version']} "
                f"then, {info.get('data_version')} now); resuming would mix results from both; "
                "choose another --out",
                file=out.root,
                key="--resume",
            )
        if old.get("fingerprint") != fingerprint:
            raise InputError(
                "output folder holds a different sweep (sweep file, base scenario, data or model "
                "code changed); choose another --out",
                file=out.root,
            )
        return
    parts.mkdir(exist_ok=True)
    out.write_text_atomic(["sweep.json"], json.dumps(info, indent=2, default=str))


def run_sweep(
    spec: str | Path | Mapping[str, Any] | SweepSpec,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: Any = None,
    resume: bool = False,
    progress: bool = True,
    chunk_size: int | None = None,
    engine: Engine | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
    limit: int | None = None,
) -> SweepOutcome:
    """Run every variant of a sweep and write the results into ``out``.

    Files: ``results.parquet`` (variant, variant_index, one column per axis, municipality_code,
    year, metric, value [, run]), ``variants.csv`` (status and error per variant), ``errors.csv``,
    ``summary.csv`` (across variants), ``sweep.json`` (provenance) and ``parts/`` (what resume
    reads). ``scheduler``: None (local processes), ``"local"`` (dask LocalCluster), a scheduler
    address ``tcp://HOST:8786`` or a ``distributed.Client``. ``workers``: local processes
    (default: all cores). ``resume``: skip variants already in ``out/parts``. ``on_chunk(done,
    total)`` is called after each chunk (for benchmarks). ``limit``: evaluate at most this many
    new variants, then stop without assembling (for tests and trial runs).
    """
    _not_in_a_starting_worker()
    t0 = time.perf_counter()
    spec = spec if isinstance(spec, SweepSpec) else load_sweep(spec)
    engine = engine if engine is not None else ScenarioEngine()
    base = load_base(spec, engine)
    check_axes(spec, engine, base)
    variants = variants_of(spec)
    t = time.perf_counter()
    probe = engine.evaluate(base, {})
    cold_s = time.perf_counter() - t
    selection = _resolve_selection(spec, engine, base, probe)
    del probe
    fingerprint = _fingerprint(spec, engine.fingerprint(base), selection)

    from planning.io import locked

    # one run at a time per output folder: a second sweep into it waits, then finds the first
    # one's fingerprint and refuses (or resumes); leftovers of a killed run are removed here
    with locked(out):
        outdir = OutDir(out)
        from planning import __version__

        info = {
            "format": FORMAT_VERSION,
            "fingerprint": fingerprint,
            "sweep": spec.model_dump(mode="json"),
            "sweep_file": _spec_file(spec),
            "variants": len(variants),
            "years": list(selection.years) if selection.years is not None else "all",
            "package_version": __version__,
            "data_version": _data_version(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        _prepare_out(outdir, fingerprint, resume, info)
        done = _scan_parts(outdir)
        remaining = [v for v in variants if v.id not in done]
        skipped = len(variants) - len(remaining)
        todo = remaining if limit is None else remaining[:limit]

        warm_s = cold_s
        if todo and scheduler is None and workers is None:
            t = time.perf_counter()
            engine.evaluate(base, {})
            warm_s = time.perf_counter() - t
        key_of = getattr(engine, "batch_key", None)
        # the work in warm single evaluations: a batched variant costs a fraction of one
        work = len(todo) - (1 - BATCHED_COST) * batchable(todo, key_of, base)
        backend = _backend(scheduler, workers, work, cold_s, warm_s) if todo else _InlineBackend()
        if progress and todo:  # interactive: say how long before anything is run
            from planning.limits import announce

            parallel = 1 if isinstance(backend, _InlineBackend) else max(1, backend.slots // 2)
            announce(work * warm_s / parallel, f"{len(todo):,} variants")
        size = chunk_size or max(1, min(50, math.ceil(len(todo) / max(1, backend.slots * 4))))
        chunks = (
            plan_chunks(todo, lambda ov: key_of(base, ov), size, backend.slots, chunk_size)
            if key_of is not None
            else [(c, False) for c in _chunks(todo, size)]
        )
        jobs = iter(
            ChunkJob(
                engine, base, tuple((v.index, v.id, v.overrides) for v in chunk), selection, batch
            )
            for chunk, batch in chunks
        )
        bar = _progress_bar(len(variants), skipped, progress)
        ran = 0
        batched = 0
        cpu = 0.0
        cancel = True
        try:
            pending: set[Any] = set()
            for job in itertools.islice(jobs, backend.slots):
                pending.add(backend.submit(job))
            while pending:
                finished, pending = backend.wait(pending)
                for fut in finished:
                    result = backend.result(fut)
                    _write_part(outdir, result)
                    ran += len(result.records)
                    batched += result.batched
                    cpu += result.cpu_seconds
                    if bar is not None:
                        bar.update(len(result.records))
                    if on_chunk is not None:
                        on_chunk(skipped + ran, len(variants))
                    nxt = next(jobs, None)
                    if nxt is not None:
                        pending.add(backend.submit(nxt))
            cancel = False
        finally:
            if bar is not None:
                bar.close()
            backend.close(cancel)
        seconds = time.perf_counter() - t0
        info = {
            **info,
            "cpu_seconds_this_call": round(cpu, 3),
            "batched_this_call": batched,  # variants evaluated in batched passes
        }
        if limit is not None and skipped + ran < len(variants):
            return SweepOutcome(
                outdir.root,
                outdir.path("results.parquet"),
                pd.DataFrame(),
                pd.DataFrame(),
                pd.DataFrame(),
                len(variants),
                ran,
                skipped,
                0,
                0,
                seconds,
                backend.name,
                info,
            )
        return _assemble(spec, variants, outdir, ran, skipped, t0, backend.name, info)


def _progress_bar(total: int, initial: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="variant", desc="sweep", smoothing=0.1)
