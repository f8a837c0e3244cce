"""Regression snapshot of the full chain, first taken before the array rewrite of issue 13 (speed):
headline frames and quantiles of ``today`` and ``shared_dms`` at runs=0 and runs=50 (seed 7).

``python tests/speed_snapshot.py`` rewrites ``tests/snapshots/speed_regression.csv``; the
snapshot is compared by ``tests/test_speed_regression.py``. Each row is one figure: the
summary (value and P10/P50/P90) at the end year, the region's metrics in every year, and sums of
every tidy frame by its labels, so the frames built lazily at the edge are checked as well as the
arrays behind the summary. Rewritten once since, when issue 16b's community services and one-off
costs (merged at 17:00 on 2026-11-30) added and moved figures; the array path itself was checked
against the snapshot of before the rewrite.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

SNAPSHOT = Path(__file__).parent / "snapshots" / "speed_regression.csv"
CASES = [("today", 0), ("shared_dms", 0), ("today", 50), ("shared_dms", 50)]
SEED = 7
#: label columns by which each frame is summed (its value column last)
FRAMES = {
    "population": (["year", "sex"], "population"),
    "demand": (["year", "service", "measure"], "value"),
    "capacity": (["unit", "service", "measure"], "value"),
    "staff": (["unit", "service", "profession", "measure"], "value"),
    "costs": (["municipality_code", "service", "item"], "nok"),
    "cost_shares": (["municipality_code", "service", "unit"], "nok"),
}


def figures(name: str, runs: int) -> pd.DataFrame:
    """One row per figure: case, kind, key, value."""
    from planning import scenarios

    res = scenarios.run(name, runs=runs, seed=SEED)
    case = f"{name}/runs={runs}"
    rows: list[tuple[str, str, str, float]] = []
    s = res.summary
    for col in [c for c in ("value", "p10", "p50", "p90") if c in s.columns]:
        for code, metric, v in zip(s["municipality_code"], s["metric"], s[col], strict=True):
            rows.append((case, f"summary.{col}", f"{code}|{metric}", float(v)))
    m = res.metrics()
    m = m[m["municipality_code"] == "region"]
    if "run" in m.columns:
        m = m[m["run"] == 0]
    for year, metric, v in zip(m["year"], m["metric"], m["value"], strict=True):
        rows.append((case, "metrics.region", f"{year}|{metric}", float(v)))
    for frame_name, (by, value) in FRAMES.items():
        f = getattr(res, frame_name)
        if frame_name == "population":
            f = f[f["age"] >= 80]  # the old, who drive demand
        if "run" in f.columns:  # sums over all runs: every run's values enter
            for label, sub in (("central", f[f["run"] == 0]), ("all_runs", f)):
                g = sub.groupby(by, observed=True)[value].sum()
                for key, v in g.items():
                    k = "|".join(map(str, key if isinstance(key, tuple) else (key,)))
                    rows.append((case, f"{frame_name}.{label}", k, float(v)))
        else:
            g = f.groupby(by, observed=True)[value].sum()
            for key, v in g.items():
                k = "|".join(map(str, key if isinstance(key, tuple) else (key,)))
                rows.append((case, f"{frame_name}.central", k, float(v)))
    return pd.DataFrame(rows, columns=["case", "kind", "key", "value"])


def all_figures() -> pd.DataFrame:
    return pd.concat([figures(n, r) for n, r in CASES], ignore_index=True)


if __name__ == "__main__":
    all_figures().to_csv(SNAPSHOT, index=False, float_format="%.17g")
    print(f"wrote {SNAPSHOT}")
