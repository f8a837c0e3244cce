"""Benchmark: render every shipped scenario's report, as `planning report --all` does.

Run: .venv/bin/python bench/bench_reports.py [--workers 2] [--runs N] [--keep DIR]
     [--scenarios NAME ... | all | six]

Targets: all six scenario reports in under 60 s on a 2-core machine (issue 6, 2 workers, each
report in a fresh kernel: papermill + nbconvert, plotly.js inline once per file); the same with
500 Monte Carlo runs each (issue 13: ``--scenarios six --runs 500``). ``six``: the six reports of
issue 6 (:data:`SIX`); the default renders every Værnes scenario (not the Knutepunkt ks_* ones).
Prints the wall time, the CPU time of all processes (the figure other users' load inflates
least) and per report, each report's time and size, and whether the target was met (exit code 1
if not, or if a report failed).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from planning import reports, scenarios

TARGET_S = 60.0  # issue 6: six reports in under 60 s on 2 cores (issue 13: at 500 runs each)
#: The six reports of issue 6 (``baseline`` is now ``alone``; ``today`` is the reference).
SIX = ("today", "alone", "shared_dms", "shared_user_office", "shared_staff", "combined")
MAX_MB = reports.MAX_HTML_BYTES / 1e6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--runs", type=int, default=None, help="Monte Carlo runs (default: the template's)"
    )
    ap.add_argument(
        "--keep", type=Path, default=None, help="write the reports here instead of a temp folder"
    )
    ap.add_argument(
        "--scenarios",
        nargs="*",
        default=None,
        help="default: the shipped Værnes scenarios (not the Knutepunkt ks_* ones); 'all' for "
        "all; 'six' for the six reports of the target",
    )
    args = ap.parse_args()

    shipped = scenarios.list_scenarios()
    if args.scenarios == ["all"]:
        names = shipped
    elif args.scenarios == ["six"]:
        names = list(SIX)
    elif args.scenarios:
        names = args.scenarios
    else:
        names = [n for n in shipped if not n.startswith("ks_")]
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        out = args.keep or Path(tmp)
        load0 = os.getloadavg()[0]
        t0, c0 = time.perf_counter(), time.process_time()
        k0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        results, index = reports.render_reports(names, out, workers=args.workers, runs=args.runs)
        wall = time.perf_counter() - t0
        k1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        # CPU of this process and of every finished child (workers, kernels, nbconvert): the
        # figure that the load of other users inflates least
        cpu = time.process_time() - c0 + (k1.ru_utime - k0.ru_utime) + (k1.ru_stime - k0.ru_stime)
    print(
        f"{len(names)} scenarios, {args.workers} workers, {os.cpu_count()} CPUs, runs "
        f"{args.runs if args.runs is not None else 'of the template'}, load average {load0:.1f} "
        f"at the start, {os.getloadavg()[0]:.1f} at the end"
    )
    for r in results:
        print(
            f"  {r.scenario:<22} {r.status:<7} {r.seconds:6.1f} s  {r.html_bytes / 1e6:5.2f} MB  (kernel starts: {r.attempts})"
        )
    ok, failed = reports.summarise(results)
    biggest = max((r.html_bytes for r in results), default=0) / 1e6
    print(
        f"wall time {wall:.1f} s for {ok} reports (target < {TARGET_S:.0f} s: {'met' if wall < TARGET_S else 'NOT met'}); "
        f"CPU {cpu:.1f} s in all processes ({cpu / max(args.workers, 1):.1f} s per worker, "
        f"{cpu / max(len(names), 1):.1f} s per report)"
    )
    print(
        f"largest HTML {biggest:.2f} MB (limit {MAX_MB:.0f} MB); index: {index if args.keep else '(temporary)'}"
    )
    return 0 if failed == 0 and wall < TARGET_S and biggest < MAX_MB else 1


if __name__ == "__main__":
    raise SystemExit(main())
