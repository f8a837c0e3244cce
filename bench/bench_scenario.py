"""Benchmark: one scenario run for the Værnes region (plain script: prints timings).

Run: .venv/bin/python bench/bench_scenario.py [--repeat 15]

* cold: the first run in a fresh process (reads the data snapshot, calibrates the projection);
* warm: ``run("combined")`` again (projection, demand and coverage rates come from the caches);
  target (issue 5): under 0.2 s, so that widgets feel instant;
* variants: ``apply_overrides`` + ``run`` + ``metrics()`` over a sequence of lever and
  organisation changes, as a sweep does; target: at least 20 deterministic variants/s on one
  core (the sweep spreads them over 2);
* runs=100: a Monte Carlo run (projection cached after the first).
"""

from __future__ import annotations

import argparse
import statistics
import time

from planning import scenarios


def _time(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def _line(label: str, times: list[float]) -> None:
    print(
        f"{label:<52} median {statistics.median(times) * 1000:8.1f} ms   "
        f"min {min(times) * 1000:8.1f} ms   (n={len(times)})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()

    t0 = time.perf_counter()
    scenarios.run("combined")
    print(f"{'cold run (fresh process)':<52} {(time.perf_counter() - t0) * 1000:8.1f} ms")

    warm = _time(lambda: scenarios.run("combined"), args.repeat)
    _line("warm run('combined'), deterministic", warm)
    _line("warm run + metrics()", _time(lambda: scenarios.run("combined").metrics(), args.repeat))

    base = scenarios.load_scenario("combined")
    variants = []
    for i in range(40):
        ov = {"levers.max_refusal": 0.01 + 0.002 * i}
        if i % 4 == 1:
            ov["organisation.units.dms_kad.members"] = ["5035", "5034", "5033"]
        if i % 4 == 2:
            ov["levers.healthy_ageing"] = 0.25 + 0.01 * i  # demand lever: demand is recomputed
        variants.append(ov)
    t0, c0 = time.perf_counter(), time.process_time()
    for ov in variants:
        scenarios.run(scenarios.apply_overrides(base, ov)).metrics()
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"{'variants: apply_overrides + run + metrics':<52} {len(variants) / dt:8.1f} variants/s "
        f"({dt / len(variants) * 1000:.1f} ms each)"
    )
    label = "  same, per CPU second (less sensitive to load)"
    print(f"{label:<52} {len(variants) / cpu:8.1f} variants/s")

    t0 = time.perf_counter()
    scenarios.run("combined", runs=100, seed=1)
    print(
        f"{'run(runs=100) first (projection computed)':<52} {(time.perf_counter() - t0) * 1000:8.1f} ms"
    )
    _line(
        "run(runs=100) again (projection cached)",
        _time(lambda: scenarios.run("combined", runs=100, seed=1), 3),
    )
    target = statistics.median(warm)
    print(
        f"target warm deterministic run < 200 ms: {'met' if target < 0.2 else 'NOT met'} "
        f"({target * 1000:.1f} ms)"
    )


if __name__ == "__main__":
    main()
