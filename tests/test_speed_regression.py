"""The array path of issue 13 (speed) gives the results of the frame path it replaced.

``tests/snapshots/speed_regression.csv`` was written by ``tests/speed_snapshot.py`` before the
rewrite: summaries, quantiles, region metrics and sums of every tidy frame for ``today`` and
``shared_dms`` at runs=0 and runs=50 (seed fixed). Run 0 must agree to floating-point
rounding; the drawn runs use the same random streams, so they agree as tightly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from speed_snapshot import CASES, SNAPSHOT, figures


@pytest.mark.parametrize(("name", "runs"), CASES)
def test_chain_equals_snapshot(name: str, runs: int) -> None:
    want = pd.read_csv(SNAPSHOT, dtype={"key": str})
    want = want[want["case"] == f"{name}/runs={runs}"]
    got = figures(name, runs)
    merged = want.merge(got, on=["case", "kind", "key"], how="outer", suffixes=("_want", "_got"))
    missing = merged[merged["value_want"].isna() != merged["value_got"].isna()]
    assert missing.empty, f"figures added or lost:\n{missing.head(20)}"
    a, b = merged["value_want"].to_numpy(float), merged["value_got"].to_numpy(float)
    close = np.isclose(a, b, rtol=1e-9, atol=1e-6, equal_nan=True)
    assert close.all(), f"figures changed:\n{merged[~close].head(20)}"
