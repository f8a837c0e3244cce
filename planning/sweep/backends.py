"""Executors: inline, a local process pool, dask.distributed; choosing one by the expected cost.

Part of :mod:`planning.sweep`.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from collections.abc import Sequence
from typing import Any, Protocol

from planning.errors import InputError
from planning.sweep.chunks import ChunkJob, ChunkResult, _one_line, _worker_init, evaluate_chunk
from planning.sweep.variants import Variant


# ------------------------------------------------------------------------------------------------
# executors
# ------------------------------------------------------------------------------------------------
def _local_workers(workers: int | None) -> int:
    if workers is not None:
        if workers < 1:
            raise InputError(f"workers must be at least 1, got {workers}", key="workers")
        return workers
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _chunks(variants: Sequence[Variant], size: int) -> list[list[Variant]]:
    """Runs of at most ``size`` variants with consecutive indices (a gap starts a new chunk, so
    every part covers one index range and parts never interleave)."""
    chunks: list[list[Variant]] = []
    for v in variants:
        if chunks and len(chunks[-1]) < size and chunks[-1][-1].index == v.index - 1:
            chunks[-1].append(v)
        else:
            chunks.append([v])
    return chunks


class _Backend(Protocol):
    slots: int

    def submit(self, job: ChunkJob) -> Any: ...

    def wait(self, pending: set[Any]) -> tuple[set[Any], set[Any]]: ...

    def result(self, future: Any) -> ChunkResult: ...

    def close(self, cancel: bool) -> None: ...


class _InlineBackend:
    """Evaluate in the calling process (one worker): no pool, no pickling."""

    slots = 1
    name = "inline"

    def submit(self, job: ChunkJob) -> Any:
        f: cf.Future = cf.Future()
        try:
            f.set_result(evaluate_chunk(job))
        except BaseException as e:  # noqa: BLE001
            f.set_exception(e)
        return f

    def wait(self, pending: set[Any]) -> tuple[set[Any], set[Any]]:
        return set(pending), set()

    def result(self, future: Any) -> ChunkResult:
        return future.result()

    def close(self, cancel: bool) -> None:
        return None


#: What to do when a script's top-level sweep() runs again inside its own worker processes.
MAIN_GUARD_HINT = (
    'a script that runs a sweep must call it under `if __name__ == "__main__":` (the local '
    "workers are spawned processes that import the script; docs/sweeps.md)"
)


class _PoolBackend:
    """A local process pool (spawned processes: safe with threads, same on every platform)."""

    name = "processes"

    def __init__(self, workers: int) -> None:
        self.slots = 2 * workers
        self.pool = cf.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
        )

    def submit(self, job: ChunkJob) -> Any:
        return self.pool.submit(evaluate_chunk, job)

    def wait(self, pending: set[Any]) -> tuple[set[Any], set[Any]]:
        done, rest = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
        return set(done), set(rest)

    def result(self, future: Any) -> ChunkResult:
        try:
            return future.result()
        except cf.process.BrokenProcessPool as e:
            raise InputError(
                f"a worker process died ({e}); finished variants are saved, re-run with --resume; "
                f"if it died at once, {MAIN_GUARD_HINT}"
            ) from None

    def close(self, cancel: bool) -> None:
        self.pool.shutdown(wait=True, cancel_futures=cancel)


class _DaskBackend:
    """dask.distributed: an existing cluster (``tcp://HOST:8786``), a given Client, or a
    LocalCluster (``"local"``)."""

    name = "dask"

    def __init__(self, scheduler: Any, workers: int | None) -> None:
        from distributed import Client, LocalCluster

        self.cluster = None
        self.own_client = True
        if isinstance(scheduler, Client):
            self.client = scheduler
            self.own_client = False
        elif scheduler == "local":
            n = _local_workers(workers)
            self.cluster = LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
            )
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(str(scheduler), timeout="20s")
            except (OSError, TimeoutError) as e:
                raise InputError(
                    f"cannot reach the dask scheduler ({_one_line(e)})", key="--scheduler"
                ) from None
        threads = sum(self.client.nthreads().values()) or 1
        self.slots = 2 * threads

    def submit(self, job: ChunkJob) -> Any:
        return self.client.submit(evaluate_chunk, job, pure=False)

    def wait(self, pending: set[Any]) -> tuple[set[Any], set[Any]]:
        from distributed import wait

        done, rest = wait(list(pending), return_when="FIRST_COMPLETED")
        return set(done), set(rest)

    def result(self, future: Any) -> ChunkResult:
        return future.result()

    def close(self, cancel: bool) -> None:
        if self.own_client:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


#: Seconds a spawned worker needs beyond a cold evaluation (interpreter start, imports); measured
#: about 0.7-1 s on the development machine, rounded up.
SPAWN_OVERHEAD_S = 1.0


def _backend(
    scheduler: Any, workers: int | None, n_todo: float, cold_s: float, warm_s: float
) -> Any:
    """Dask when a scheduler is given; else local processes. With ``workers`` unset, a sweep too
    small to repay starting the workers (each pays a cold start of ``cold_s`` + spawn) runs in
    the driver, whose caches are already warm."""
    if scheduler is not None:
        if isinstance(scheduler, str) and scheduler != "local" and "://" not in scheduler:
            raise InputError(
                f"unknown scheduler '{scheduler}'",
                key="--scheduler",
                allowed="tcp://HOST:PORT, local",
            )
        return _DaskBackend(scheduler, workers)
    n = _local_workers(workers)
    if workers is None and n > 1:
        saved = n_todo * warm_s * (1 - 1 / n)  # wall time the pool saves on evaluation
        if saved <= cold_s + SPAWN_OVERHEAD_S:
            return _InlineBackend()
    return _InlineBackend() if n == 1 else _PoolBackend(n)
