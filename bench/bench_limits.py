"""Figures behind planning/limits.py and the data check (plain script: prints figures).

Run: .venv/bin/python bench/bench_limits.py

* the data check at the first load of a process (hash every data file, compare with the
  manifest), against a cold scenario run;
* peak memory per population cell (run x municipality x year x sex x age) of a projection and of
  a whole scenario run, each measured in a fresh process (tracemalloc peak of the call; numpy
  and pandas buffers are traced), to compare with PROJECTION_BYTES_PER_CELL and SCENARIO_BYTES_PER_CELL;
* memory per sweep variant held by the driver (SWEEP_BYTES_PER_VARIANT).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

CHILD = r"""
import json, sys, gc, tracemalloc
what, runs = sys.argv[1], int(sys.argv[2])
from planning import data, demography, scenarios
data.check_data(); demography.calibrate(2026); scenarios.run("shared_dms")
gc.collect()
tracemalloc.start()
if what == "project":
    pop = demography.project("vaernes", 2026, 2050, runs=runs, seed=1)
else:
    res = scenarios.run("shared_dms", runs=runs, seed=1); res.metrics(); res.summary
_, peak = tracemalloc.get_traced_memory()
cells = (runs + 1) * 4 * 25 * 2 * 106
print(json.dumps({"bytes_per_cell": peak / cells, "peak_gb": peak / 1e9}))
"""


def _child(what: str, runs: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, what, str(runs)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    from planning import data, limits, scenarios

    times = []
    for _ in range(20):
        data.clear_cache()
        t0 = time.perf_counter()
        data.check_data()
        times.append(time.perf_counter() - t0)
    data.clear_cache()
    scenarios.clear_cache()
    t0 = time.perf_counter()
    scenarios.run("shared_dms")
    cold = time.perf_counter() - t0
    print(
        f"data check: median {1000 * statistics.median(times):.1f} ms "
        f"(min {1000 * min(times):.1f}, max {1000 * max(times):.1f}) over 20; "
        f"cold `run shared_dms` in this process {cold:.2f} s "
        f"({100 * statistics.median(times) / cold:.2f} % of it)"
    )
    for what, runs, bound in (
        ("project", 200, limits.PROJECTION_BYTES_PER_CELL),
        ("scenario", 50, limits.SCENARIO_BYTES_PER_CELL),
    ):
        r = _child(what, runs)
        print(
            f"{what:<9} {runs:>4} runs: {r['bytes_per_cell']:6.0f} bytes per cell "
            f"(limits: {bound}), peak {r['peak_gb']:.2f} GB"
        )
    import tracemalloc

    from planning import sweep

    spec = sweep.load_sweep(
        {
            "base": "shared_dms",
            "seed": 1,
            "samples": {
                "n": 20_000,
                "ranges": {
                    "levers.max_refusal": {"low": 0.01, "high": 0.1},
                    "levers.healthy_ageing": {"low": 0, "high": 1},
                },
            },
        }
    )
    tracemalloc.start()
    variants = sweep.variants_of(spec)
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"sweep: {size / len(variants):.0f} bytes per variant in the driver "
        f"(limits: {limits.SWEEP_BYTES_PER_VARIANT})"
    )


if __name__ == "__main__":
    main()
