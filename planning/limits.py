"""Limits: what a request may ask for, checked before anything is allocated.

Two kinds (documented in ``docs/limits.md``):

* **Resources.** Memory a request needs is estimated from its size (Monte Carlo runs x
  municipalities x years x sexes x ages; sweep variants) before anything is allocated and compared
  with the memory this process may use (:func:`available_memory`: free memory, the cgroup limit
  and ``ulimit -v``, whichever is least). A request that cannot fit is refused with one line
  that names the key and the largest value that fits here.
* **Physical bounds** on values: a bed-day rate cannot exceed 365 bed-days per person-year in any
  age band (365 000 per 1 000), no unit gets more beds than it has inhabitants.

The per-cell byte figures are measured (``bench/bench_limits.py``) and rounded up.
"""

from __future__ import annotations

import os
from pathlib import Path

from planning.errors import LimitError

#: Bytes of memory per projected population cell (run x municipality x year x sex x age) for a
#: population projection: the float64 array, the tidy frame (int32 year/age/run, categorical
#: codes, float64 population) and temporaries. Peak measured 24 bytes (tracemalloc, 200 runs of
#: the four Værnes municipalities to 2050, bench/bench_limits.py); 2.5 times that for what
#: tracemalloc does not see (allocator overhead, fragmentation).
PROJECTION_BYTES_PER_CELL = 60
#: Bytes per population cell for a whole scenario run (projection, demand by service and measure,
#: capacity, staff, costs, metrics): peak measured 102 with 50 runs (tracemalloc); the issue saw
#: more than 80 per cell in the resident size of `run --runs 10000` before it was killed; twice
#: the measured peak.
SCENARIO_BYTES_PER_CELL = 200
#: Bytes per sweep variant held in the driver (overrides, labels, id, index): measured 1 292 for
#: a two-axis sample of 20 000 (tracemalloc); rounded up.
SWEEP_BYTES_PER_VARIANT = 1_500
#: Seconds of computing per population cell (bench/bench_limits.py): a projection 1.7 us (on a
#: busy machine); a scenario run 0.6 us since the chain runs on arrays (1 000 runs of shared_dms:
#: 12.1 s wall at load 8.7, 3.75 s CPU, for 21.2 million cells; bench/bench_uncertainty.py;
#: 4.2 us before). Used for the estimate a command prints before a long request (more than a
#: minute). The bytes above still count every frame, which a report reads.
PROJECTION_SECONDS_PER_CELL = 1.7e-6
SCENARIO_SECONDS_PER_CELL = 0.6e-6
#: Share of the available memory a request may plan to use (the rest is for the interpreter,
#: libraries and what the estimate leaves out).
USABLE_SHARE = 0.8
#: Days in a year: the most bed-days one person can use in a year.
DAYS_PER_YEAR = 365.0
SEXES, AGES = 2, 106


def _cgroup_limit() -> int | None:
    for p in (
        Path("/sys/fs/cgroup/memory.max"),
        Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
    ):
        try:
            text = p.read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:
            used = None
            for q in (p.with_name("memory.current"), p.with_name("memory.usage_in_bytes")):
                try:
                    used = int(q.read_text().strip())
                    break
                except (OSError, ValueError):
                    continue
            return int(text) - (used or 0)
    return None


def available_memory() -> int:
    """Bytes this process may still allocate: the least of free memory (psutil), the cgroup's
    limit less its use, and the address-space limit (``ulimit -v``) less this process's size.
    ``VAERNES_MEMORY_LIMIT`` (bytes) overrides it (for tests and shared machines)."""
    env = os.environ.get("VAERNES_MEMORY_LIMIT")
    if env:
        try:
            return int(float(env))
        except ValueError:
            pass
    import psutil

    limits = [int(psutil.virtual_memory().available)]
    cg = _cgroup_limit()
    if cg is not None:
        limits.append(cg)
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft not in (resource.RLIM_INFINITY, -1):
            limits.append(int(soft) - int(psutil.Process().memory_info().vms))
    except (ImportError, OSError, ValueError):
        pass
    return max(min(limits), 0)


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.0f} MB"


def check_memory(needed: float, *, what: str, key: str, largest: int | None = None) -> None:
    """Refuse (one :class:`LimitError` line) a request whose estimated ``needed`` bytes exceed
    the usable memory; ``largest`` is the largest value of ``key`` that fits (shown as allowed)."""
    budget = available_memory() * USABLE_SHARE
    if needed > budget:
        raise LimitError(
            f"{what} needs about {_gb(needed)} of memory; {_gb(budget)} is usable here",
            key=key,
            allowed=f"up to {largest:,}" if largest is not None else None,
        )


def check_projection(
    runs: int,
    municipalities: int,
    years: int,
    *,
    key: str = "runs",
    per_cell: int = PROJECTION_BYTES_PER_CELL,
    what: str | None = None,
) -> None:
    """Refuse a projection of ``runs`` Monte Carlo runs (+ the central run) of ``municipalities``
    over ``years`` years (incl. the base year) that cannot fit in memory."""
    per_run = max(municipalities, 1) * max(years, 1) * SEXES * AGES * per_cell
    needed = (int(runs) + 1) * per_run
    budget = available_memory() * USABLE_SHARE
    if needed > budget:
        largest = max(int(budget // per_run) - 1, 0)
        raise LimitError(
            f"{what or 'the projection'} with {runs:,} runs of {municipalities} municipalities "
            f"over {years} years needs about {_gb(needed)} of memory; {_gb(budget)} is usable here",
            key=key,
            allowed=f"0..{largest:,} runs here",
        )


def check_variants(n: int, *, key: str = "samples.n", file: str | None = None) -> None:
    """Refuse a sweep whose ``n`` variants cannot be held in the driver's memory."""
    needed = n * SWEEP_BYTES_PER_VARIANT
    budget = available_memory() * USABLE_SHARE
    if needed > budget:
        raise LimitError(
            f"{n:,} variants need about {_gb(needed)} of memory to plan; {_gb(budget)} is usable "
            "here; split the sweep or sample fewer points",
            file=file,
            key=key,
            allowed=f"up to {int(budget // SWEEP_BYTES_PER_VARIANT):,} variants here",
        )


def estimate_seconds(runs: int, municipalities: int, years: int, per_cell: float) -> float:
    """Estimated computing time (seconds) of ``runs`` Monte Carlo runs (+ the central run)."""
    return (int(runs) + 1) * max(municipalities, 1) * max(years, 1) * SEXES * AGES * per_cell


def announce(seconds: float, what: str, fits: bool = True) -> None:
    """Print one note on stderr before a request estimated to take more than a minute (not for
    one that ``fits`` not: its refusal is then the only line)."""
    if seconds > 60 and fits:
        import sys

        print(
            f"note: {what}: about {seconds / 60:.0f} min estimated (docs/limits.md)",
            file=sys.stderr,
            flush=True,
        )


def fits(runs: int, municipalities: int, years: int, per_cell: int) -> bool:
    """Whether :func:`check_projection` would let the request through."""
    try:
        check_projection(runs, municipalities, years, per_cell=per_cell)
    except LimitError:
        return False
    return True
