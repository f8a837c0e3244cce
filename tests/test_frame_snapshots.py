"""No figure moves through a change of structure: the headline frames of the snapshot scenarios at
runs=0 equal the snapshots written before the issue-16 refactor (``tests/snapshot_frames.py``)."""

from __future__ import annotations

import pandas as pd
import pytest
from snapshot_frames import FRAMES, SCENARIOS, headline_frames, path


@pytest.fixture(scope="module", params=SCENARIOS)
def frames(request):
    return request.param, headline_frames(request.param)


def test_headline_frames_equal_the_snapshots(frames):
    name, got = frames
    for frame in FRAMES:
        want = pd.read_parquet(path(name, frame))
        assert list(got[frame].columns) == list(want.columns), (name, frame)
        pd.testing.assert_frame_equal(
            got[frame], want, check_dtype=False, rtol=1e-9, atol=1e-9, obj=f"{name}.{frame}"
        )
