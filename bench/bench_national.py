"""Benchmark: every municipality in one run (issue 15). Plain script: prints timings and memory.

Run: .venv/bin/python bench/bench_national.py [--scenario today] [--repeat 3]

The command a planner types, ``planning run SCENARIO --region norway --table FILE``, runs in a
fresh process (cold: reads the snapshot, projects 357 municipalities 2026-2050 deterministically,
demand, capacity, staff, costs, the table per municipality and year); each repeat is timed with
its peak resident memory (``/usr/bin/time``-style, from ``resource`` of the child). Targets: under
30 s and under 4 GB on the 2-core machine. Also times the same run inside one process (warm).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 30.0
TARGET_GB = 4.0


def _cold(scenario: str, table: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB) of one CLI run in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "planning",
            "run",
            scenario,
            "--region",
            "norway",
            "--table",
            str(table),
        ],
        capture_output=True,
        text=True,
    )
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"run failed: {r.stderr.strip()}")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return dt, max(peak_kb, before) / 1024**2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=None, help="default: today if shipped, else baseline")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from planning import scenarios

    scenario = args.scenario or ("today" if "today" in scenarios.list_scenarios() else "baseline")
    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "national.parquet"
        cold = [_cold(scenario, table) for _ in range(args.repeat)]
        import pandas as pd

        t = pd.read_parquet(table)
    secs = [c[0] for c in cold]
    gb = max(c[1] for c in cold)
    print(
        f"planning run {scenario} --region norway --table ...: median {statistics.median(secs):.1f} s, "
        f"max {max(secs):.1f} s, peak RSS {gb:.2f} GB (n={len(secs)}; targets {TARGET_S:.0f} s, {TARGET_GB:.0f} GB)"
    )
    n_mun = t.loc[t["municipality_code"] != "region", "municipality_code"].nunique()
    print(
        f"  table: {len(t):,} rows, {n_mun} municipalities, years {t['year'].min()}-{t['year'].max()}, columns {list(t.columns)}"
    )

    scn = scenarios.apply_overrides(scenarios.load_scenario(scenario), {"region": "norway"})
    t0 = time.perf_counter()
    res = scenarios.run(scn)
    scenarios.municipality_year_table(res)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    scenarios.municipality_year_table(scenarios.run(scn))
    print(
        f"  in one process: first {first:.1f} s, again (projection and demand cached) {time.perf_counter() - t0:.1f} s"
    )
    ok = max(secs) < TARGET_S and gb < TARGET_GB
    print("  targets met" if ok else "  TARGET MISSED")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
