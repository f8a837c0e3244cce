"""Benchmark: the full chain with parameter draws, the tornado, the waterfall and parameter-only
variants in one vectorised evaluation (issue 13). Plain script; prints figures.

Run: .venv/bin/python bench/bench_uncertainty.py [--runs 1000] [--scenarios shared_dms ...]
     [--variants 2000]

* ``scenarios.run(name, runs=N, seed=1)`` for each Værnes scenario, in a fresh process each (so
  the peak resident memory is that run's): the full chain (population, demand, capacity, staff,
  costs, cost shares, metrics and summary) with population and parameter draws. Target: under 3 s
  and under 1 GB for runs=1000 (goal 2 s).
* ``sensitivity.tornado(scenario)`` over every assumption: target under 10 s.
* ``decomposition.waterfall(scenario)``.
* ``sensitivity.evaluate_values``: deterministic variants that differ only in parameters (four
  levers and a staffing norm) evaluated together, as runs are: variants/s and peak memory
  (target 300 variants/s on 2 cores).

Wall time and CPU time are both printed with the load average: the 2-core machine is shared, and
the CPU time of the process is the figure that load does not inflate.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

CHILD = r"""
import json, os, resource, sys, time
from planning import scenarios
name, runs, frames = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "frames"
scenarios.run(name)  # reads the data and calibrates the projection (not timed)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
load = os.getloadavg()[0]
t, c = time.perf_counter(), time.process_time()
r = scenarios.run(name, runs=runs, seed=1)
r.summary
wall, cpu = time.perf_counter() - t, time.process_time() - c
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out = {"wall": wall, "cpu": cpu, "peak_mb": peak, "before_mb": base, "load": load,
       "drawn": len(r.provenance["parameter_draws"]), "rows": len(r.metrics())}
if frames:  # a user who then reads every tidy frame (built lazily from the arrays)
    t, c = time.perf_counter(), time.process_time()
    out["frame_rows"] = sum(len(getattr(r, f)) for f in scenarios.FRAMES if f != "units")
    out["frames_wall"], out["frames_cpu"] = time.perf_counter() - t, time.process_time() - c
    out["frames_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def _timed(fn):
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--scenarios", nargs="*", default=None, help="default: every shipped scenario")
    ap.add_argument("--variants", type=int, default=2000)
    ap.add_argument("--tornado", default="shared_dms")
    ap.add_argument(
        "--frames",
        action="store_true",
        help="also time reading every tidy frame after the run (they are built lazily)",
    )
    args = ap.parse_args()

    import numpy as np

    from planning import decomposition, scenarios, sensitivity

    names = args.scenarios or scenarios.list_scenarios()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    print(
        f"run(name, runs={args.runs}, seed=1), full chain with parameter draws, fresh process each:"
    )
    for name in names:
        p = subprocess.run(
            [sys.executable, "-c", CHILD, name, str(args.runs), "frames" if args.frames else "-"],
            capture_output=True,
            text=True,
            check=True,
        )
        f = json.loads(p.stdout.strip().splitlines()[-1])
        verdict = "met" if f["wall"] < 3 and f["peak_mb"] < 1024 else "NOT met"
        print(
            f"  {name:<22} wall {f['wall']:6.2f} s  cpu {f['cpu']:6.2f} s  peak RSS "
            f"{f['peak_mb']:7.0f} MB (before {f['before_mb']:.0f} MB)  {f['drawn']} parameters "
            f"drawn  load {f['load']:.1f}  target <3 s, <1 GB: {verdict}"
        )
        if args.frames:
            print(
                f"  {'':<22} + reading every frame ({f['frame_rows']:,} rows): wall "
                f"{f['frames_wall']:.2f} s  cpu {f['frames_cpu']:.2f} s  peak RSS "
                f"{f['frames_peak_mb']:.0f} MB"
            )

    scenarios.run(args.tornado)
    print(f"load average {os.getloadavg()[0]:.1f} before the tornado")
    table, wall, cpu = _timed(lambda: sensitivity.tornado(args.tornado))
    n = table.loc[table["evaluated"], "parameter"].nunique()
    print(
        f"tornado({args.tornado}) over {n} parameters: wall {wall:.2f} s, cpu {cpu:.2f} s "
        f"(target < 10 s: {'met' if wall < 10 else 'NOT met'})"
    )
    _, wall, cpu = _timed(lambda: decomposition.waterfall(args.tornado))
    print(f"waterfall({args.tornado}): wall {wall:.2f} s, cpu {cpu:.2f} s")

    import resource

    rng = np.random.default_rng(1)
    k = args.variants
    values = {
        "levers.max_refusal": rng.uniform(0.01, 0.1, k),
        "levers.healthy_ageing": rng.uniform(0, 1, k),
        "levers.fte_per_user_growth": rng.uniform(0, 0.01, k),
        "levers.occupancy_target": rng.uniform(0.75, 0.9, k),
        "kad.fte_per_bed": rng.uniform(0.5, 2.5, k),
        "prices.real_pay_growth": rng.uniform(0.0, 0.015, k),
    }
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sensitivity.evaluate_values("shared_dms", {p: v[:2] for p, v in values.items()}, 2).metrics()
    print(f"load average {os.getloadavg()[0]:.1f} before the variants")
    res, wall, cpu = _timed(lambda: sensitivity.evaluate_values("shared_dms", values, k).metrics())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{k} parameter-only variants in one evaluation (+metrics): wall {wall:.2f} s "
        f"({k / wall:.0f} variants/s), cpu {cpu:.2f} s ({k / cpu:.0f} variants per CPU second); "
        f"peak RSS {peak:.0f} MB (before {before:.0f} MB); target 300 variants/s: "
        f"{'met' if k / wall >= 300 else 'NOT met'}"
    )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
