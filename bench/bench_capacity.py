"""Timing of demand projection and capacity evaluation (plain script: prints timings).

Run: .venv/bin/python bench/bench_capacity.py
One evaluation for the four Værnes municipalities, 2026..2050 (target: well under 0.1 s),
and the same with 100 Monte Carlo runs.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from planning.capacity import evaluate, municipality_travel
from planning.data import load_kostra, load_places, load_population, load_travel
from planning.demand import estimate_coverage_rates, project_demand
from planning.parameters import load_catalogue, load_organisation


def _timeit(label: str, fn, repeat: int = 7) -> object:
    out, times = None, []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    print(f"{label:<58} median {np.median(times) * 1000:8.1f} ms   min {min(times) * 1000:8.1f} ms")
    return out


def main() -> None:
    catalogue = load_catalogue()
    organisation = load_organisation()
    coverage = estimate_coverage_rates(load_kostra(), catalogue)
    travel = municipality_travel(load_travel(), load_places())
    # stand-in for a projection: the 2026 population held constant to 2050 (timing only)
    base = load_population("vaernes", 2026)
    pop = pd.concat([base.assign(year=y) for y in range(2026, 2051)], ignore_index=True)
    print(f"population rows: {len(pop)} (4 municipalities × 25 years × 2 sexes × 106 ages)")

    _timeit(
        "estimate_coverage_rates (KOSTRA panel)",
        lambda: estimate_coverage_rates(load_kostra(), catalogue),
    )
    demand = _timeit(
        "project_demand, 1 run", lambda: project_demand(pop, catalogue, coverage_rates=coverage)
    )
    _timeit(
        "evaluate, 1 run", lambda: evaluate(pop, demand, catalogue, organisation, travel=travel)
    )
    _timeit(
        "project_demand + evaluate, 1 run",
        lambda: evaluate(
            pop,
            project_demand(pop, catalogue, coverage_rates=coverage),
            catalogue,
            organisation,
            travel=travel,
        ),
    )

    rng = np.random.default_rng(1)
    runs = pd.concat(
        [
            pop.assign(run=r, population=pop["population"] * rng.uniform(0.9, 1.1))
            for r in range(100)
        ],
        ignore_index=True,
    )
    demand_r = _timeit(
        "project_demand, 100 runs",
        lambda: project_demand(runs, catalogue, coverage_rates=coverage),
        repeat=3,
    )
    plan = _timeit(
        "evaluate, 100 runs",
        lambda: evaluate(runs, demand_r, catalogue, organisation, travel=travel),
        repeat=3,
    )
    print(
        f"rows: capacity {len(plan.capacity)}, staff {len(plan.staff)}, costs {len(plan.costs)}, shares {len(plan.cost_shares)}"
    )


if __name__ == "__main__":
    main()
