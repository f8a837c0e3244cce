"""Benchmark: scenario sweep throughput and memory on this machine (run on demand).

    .venv/bin/python bench/bench_sweep.py --variants 2000 --workers 2
    .venv/bin/python bench/bench_sweep.py --variants 10000 --workers 2   # the issue's target

The sweep starts from today's organisation (the reference: Værnes region, 4 municipalities,
2026-2050) with the DMS membership as named alternatives (today / all four / Stjørdal and Meråker
only) crossed with a Latin-hypercube sample over four levers; every variant is deterministic (run
0 only). The variants of one organisation differ only in lever values, so the sweep evaluates
them in batches (planning/sweep/batch.py); ``--one-at-a-time`` turns batching off. Default output: years 2026, 2030, 2040,
2050, all metrics. Target (issue 7): at least 20 variants/s on 2 cores, memory flat.

Reports: wall time, overall and steady-state rate (variants/s after the workers are warm), and
resident memory (RSS) of the driver and of driver + workers sampled as the sweep grows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import psutil

from planning import sweep as sw

#: today's two DMS units (data/organisation.yaml, by name) with Selbu in, or with Selbu and Tydal out
DMS_ALL = [
    {"name": "Værnesregionen DMS, KAD-senger", "members": ["5035", "5034", "5032", "5033"]},
    {
        "name": "Værnesregionen DMS, intermediære senger",
        "members": ["5035", "5034", "5032", "5033"],
    },
]
DMS_STJORDAL_MERAKER = [{**u, "members": ["5035", "5034"]} for u in DMS_ALL]


def bench_spec(n_variants: int, seed: int = 20261123, base: str = "today") -> dict:
    """Sweep of about ``n_variants`` variants: 3 organisations x LHS samples over 4 levers, from
    today's organisation."""
    n = max(1, n_variants // 3)
    return {
        "name": "bench",
        "base": base,
        "seed": seed,
        "grid": {
            "organisation": {
                "today": {"status_quo": True, "units": []},
                "dms_all_four": {"status_quo": True, "units": DMS_ALL},
                "dms_stjordal_meraker": {"status_quo": True, "units": DMS_STJORDAL_MERAKER},
            }
        },
        "samples": {
            "method": "lhs",
            "n": n,
            "ranges": {
                "levers.max_refusal": {"low": 0.005, "high": 0.2, "log": True},
                "levers.healthy_ageing": {"low": 0.0, "high": 1.0},
                "levers.fte_per_user_growth": {"low": -0.01, "high": 0.01},
                "levers.institution_to_home_shift": {"low": 0.0, "high": 0.3},
            },
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--variants", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--dask", action="store_true", help="run on a dask LocalCluster instead")
    ap.add_argument("--one-at-a-time", action="store_true", help="no batching: every variant alone")
    ap.add_argument("--base", default="today", help="base scenario (default: today)")
    ap.add_argument("--out", type=Path, default=None, help="keep the output here (default: temp)")
    ap.add_argument("--json", type=Path, default=None, help="write the figures as JSON")
    args = ap.parse_args(argv)

    spec = sw.load_sweep(bench_spec(args.variants, base=args.base))
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    me = psutil.Process()
    samples: list[tuple[float, int, float, float]] = []  # (t, done, driver MB, total MB)
    peak_before_assembly = [0.0]  # driver peak RSS (MB) when the last chunk came back

    def on_chunk(done: int, total: int) -> None:
        procs = [me, *me.children(recursive=True)]
        rss = 0
        for p in procs:
            try:
                rss += p.memory_info().rss
            except psutil.Error:
                pass
        samples.append((time.perf_counter(), done, me.memory_info().rss / 2**20, rss / 2**20))
        peak_before_assembly[0] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    t0 = time.perf_counter()
    outcome = sw.run_sweep(
        spec,
        out,
        workers=args.workers,
        scheduler="local" if args.dask else None,
        progress=sys.stderr.isatty(),
        on_chunk=on_chunk,
        engine=sw.ScenarioEngine(batch=not args.one_at_a_time),
    )
    wall = time.perf_counter() - t0
    total = outcome.total
    # steady state: from 10 % done to the last chunk (workers warm, caches filled)
    first = next(s for s in samples if s[1] >= 0.1 * total)
    last = samples[-1]
    steady = (last[1] - first[1]) / (last[0] - first[0]) if last[0] > first[0] else float("nan")
    marks = {}
    for frac in (0.25, 0.5, 0.75, 1.0):
        s = next(x for x in samples if x[1] >= frac * total)
        marks[f"{int(frac * 100)}%"] = {"driver_mb": round(s[2], 1), "all_mb": round(s[3], 1)}
    figures = {
        "variants": total,
        "base": args.base,
        "batched": outcome.info.get("batched_this_call", 0),
        "failed": outcome.failed,
        "workers": args.workers,
        "backend": outcome.backend,
        "rows": outcome.rows,
        "wall_s": round(wall, 1),
        "overall_rate": round(total / wall, 1),
        "steady_rate": round(steady, 1),
        # contention-free estimate: worker CPU seconds per variant, spread over the workers
        "cpu_s_per_variant": round(outcome.cpu_seconds / max(outcome.ran, 1), 4),
        "rate_if_cores_idle": round(args.workers * outcome.ran / outcome.cpu_seconds, 1)
        if outcome.cpu_seconds
        else None,
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
        "rss_by_progress": marks,
        # peak RSS of the driver over the whole run, including assembling results.parquet
        "driver_peak_mb_before_assembly": round(peak_before_assembly[0], 1),
        "driver_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "results_mb": round(outcome.results.stat().st_size / 2**20, 1),
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    if args.out is None:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
