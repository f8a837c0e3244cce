"""Demand backtest speed (plain script: prints timings).

Run: .venv/bin/python bench/bench_demand.py
Target (issue 11): a demand backtest across all municipalities in under 30 s on the 2-core
machine. Measures the command as a user runs it (fresh process, both population modes), then
in-process timings of one population mode (cold and warm caches) and the 200-run band.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    exe = Path(sys.executable).with_name("planning")
    for base, end in ((2012, 2021), (2016, 2025)):
        t0 = time.perf_counter()
        subprocess.run(
            [
                str(exe),
                "backtest",
                "--demand",
                "--base-year",
                str(base),
                "--end-year",
                str(end),
                "--region",
                "norway",
                "--summary-only",
            ],
            check=True,
            capture_output=True,
        )
        print(
            f"planning backtest --demand {base}->{end} --region norway (both modes, fresh "
            f"process): {time.perf_counter() - t0:6.1f} s"
        )
    from planning import backtest

    for label in ("cold", "warm"):
        t0 = time.perf_counter()
        backtest.demand_backtest("norway", 2016, 2025, population="projected")
        print(
            f"demand_backtest norway 2016->2025 projected ({label}): "
            f"{time.perf_counter() - t0:6.1f} s"
        )
    t0 = time.perf_counter()
    band = backtest.demand_band_coverage("norway", 2016, 2025, runs=200, seed=1)
    share = backtest.band_share(band)
    print(
        f"demand_band_coverage norway 2016->2025, 200 runs: {time.perf_counter() - t0:6.1f} s; "
        + ", ".join(f"{r.service} {100 * r.share:.0f} %" for r in share.itertuples())
    )


if __name__ == "__main__":
    main()
