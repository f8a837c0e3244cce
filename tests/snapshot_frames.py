"""Headline frames of six scenarios at runs=0, frozen before the issue-16 refactor (the two
scenarios of the new services, shared_prevention and shared_mental_health, frozen from main
6d37c7a before their code was folded into their kinds).

``tests/test_frame_snapshots.py`` asserts that the current code reproduces them exactly, so a
change of structure (scenarios package, service kinds) cannot move a figure unnoticed. Written by
``python -m tests.snapshot_frames`` (run it only when a figure is meant to change, and say why in
the commit).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

SNAPSHOT_DIR = Path(__file__).parent / "snapshots" / "frames"
SCENARIOS = (
    "today",
    "shared_dms",
    "combined",
    "ks_today",
    "shared_prevention",
    "shared_mental_health",
)
FRAMES = ("demand", "capacity", "staff", "costs", "cost_shares", "metrics")


def headline_frames(name: str) -> dict[str, pd.DataFrame]:
    """The frames of ``scenarios.run(name, runs=0)``, rows in a canonical order."""
    from planning import scenarios

    res = scenarios.run(name, runs=0)
    out = {}
    for frame in FRAMES:
        df = res.metrics() if frame == "metrics" else getattr(res, frame)
        df = df.copy()
        for c in df.columns:
            if isinstance(df[c].dtype, pd.CategoricalDtype):
                df[c] = df[c].astype(str)
        keys = [c for c in df.columns if df[c].dtype == object or c in ("year", "run")]
        out[frame] = df.sort_values(keys, kind="stable").reset_index(drop=True)
    return out


def path(name: str, frame: str) -> Path:
    return SNAPSHOT_DIR / f"{name}__{frame}.parquet"


def write() -> None:
    SNAPSHOT_DIR.mkdir(parents=True, exist_ok=True)
    for name in SCENARIOS:
        for frame, df in headline_frames(name).items():
            df.to_parquet(path(name, frame), index=False)
            print(path(name, frame), len(df))


if __name__ == "__main__":
    write()
