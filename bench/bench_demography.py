"""Benchmark and accuracy figures for the population projection (plain script: prints figures).

Run: .venv/bin/python bench/bench_demography.py [--repeat 5] [--runs 1000]

* cold: first projection in a fresh process (reads the snapshot, WPP tables, calibrates all
  357 municipalities for the base year);
* Værnes (4 municipalities) deterministic, warm: target well under 0.1 s;
* all 357 municipalities 2026-2050 deterministic, warm: target under 1 s;
* 1 000 Monte Carlo runs for vaernesregionen (array and tidy frame): target under 5 s and 2 GB
  (peak resident memory of a fresh child process);
* backtests 2011→2021 and 2016→2026: MAPE of totals and 80+ for both methods; targets: the
  default method beats Hamilton-Perry for the total and 80+, and 80+ MAPE < 4 % for 2016→2026;
  the same over all municipalities with unchanged borders, and how often the Monte Carlo
  P10-P90 band (200 runs) held the observed outcome (nominal 80 %).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time


def _time(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def _line(label: str, times: list[float], target: str = "") -> None:
    print(
        f"{label:<55} median {statistics.median(times) * 1000:8.1f} ms   min {min(times) * 1000:8.1f} ms"
        f"   (n={len(times)}) {target}"
    )


_MC_CHILD = """
import json, resource, sys, time
from planning import demography
demography.project("vaernesregionen", end_year=2027)  # load and calibrate first
t0 = time.perf_counter()
codes, years, arr = demography.project_array("vaernesregionen", runs={runs}, seed=1)
t1 = time.perf_counter()
frame = demography.to_frame(codes, years, arr, with_run=True)
t2 = time.perf_counter()
print(json.dumps({{"array": t1 - t0, "frame": t2 - t1, "rows": len(frame),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--runs", type=int, default=1000)
    args = ap.parse_args()

    from planning import backtest, demography

    t0 = time.perf_counter()
    demography.project("vaernes")
    print(
        f"{'cold: first project(vaernes), incl. data load and calibration':<55} {time.perf_counter() - t0:8.2f} s"
    )
    _line(
        "vaernes 2026-2050 deterministic (warm)",
        _time(lambda: demography.project("vaernes"), args.repeat),
        "target < 100 ms",
    )
    demography.project("norway")
    _line(
        "all 357 municipalities 2026-2050 deterministic (warm)",
        _time(lambda: demography.project("norway"), args.repeat),
        "target < 1000 ms",
    )
    demography._calibrate.cache_clear()
    t0 = time.perf_counter()
    demography.calibrate(2026)
    print(
        f"{'calibration of all 357 municipalities for one base year':<55} {time.perf_counter() - t0:8.2f} s"
    )

    child = subprocess.run(
        [sys.executable, "-c", _MC_CHILD.format(runs=args.runs)],
        capture_output=True,
        text=True,
        check=True,
    )
    mc = json.loads(child.stdout.strip().splitlines()[-1])
    print(
        f"{args.runs} Monte Carlo runs, vaernesregionen 2026-2050: array {mc['array']:.2f} s + tidy frame "
        f"{mc['frame']:.2f} s = {mc['array'] + mc['frame']:.2f} s, {mc['rows']:,} rows, peak RSS "
        f"{mc['peak_mb']:,.0f} MB (target < 5 s, < 2048 MB)"
    )

    for base, end in ((2011, 2021), (2016, 2026)):
        s = backtest.summarise(backtest.backtest("vaernesregionen", base, end))
        w = s.pivot_table(index="method", columns="age_group", values="mape")
        print(f"backtest {base}->{end}, MAPE % over 6 municipalities:")
        for method, row in w.iterrows():
            print(
                f"  {method:<18} total {row['total']:5.2f}   80+ {row['80+']:5.2f}   90+ {row['90+']:5.2f}"
            )
        t0 = time.perf_counter()
        nat = backtest.backtest("norway", base, end, groups=("total", "80+"))
        s = backtest.summarise(nat)
        w = s.pivot_table(index="method", columns="age_group", values="mape")
        n = int(s["n"].iloc[0])
        print(
            f"backtest {base}->{end}, MAPE % over {n} municipalities with unchanged borders "
            f"({time.perf_counter() - t0:.1f} s):"
        )
        for method, row in w.iterrows():
            print(f"  {method:<18} total {row['total']:5.2f}   80+ {row['80+']:5.2f}")
        t0 = time.perf_counter()
        band = backtest.band_coverage("norway", base, end, runs=200, seed=1)
        band = band[~band["boundary_change"]]
        share = band.groupby("age_group")["inside"].mean()
        print(
            f"  P10-P90 band (200 runs) held the outcome: total {100 * share['total']:.0f} %, "
            f"80+ {100 * share['80+']:.0f} % (nominal 80 %; {time.perf_counter() - t0:.1f} s)"
        )


if __name__ == "__main__":
    main()
