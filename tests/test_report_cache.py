"""Work shared by the reports of one run (planning.reports.cache): computed once per key, read
back identical by another process of the same run, never read for other data or another key."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from planning import scenarios, shared_cache
from planning.reports import cache


@pytest.fixture
def run_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(shared_cache, "_MEMORY", {})
    return tmp_path


def test_a_value_is_computed_once_per_key_and_read_back_by_another_process(run_cache):
    calls = []

    def compute():
        calls.append(1)
        return pd.DataFrame({"a": [1.5, 2.5]})

    first = cache.cached("demo", {"codes": ["5035"]}, compute)
    again = cache.cached("demo", {"codes": ["5035"]}, compute)
    other = cache.cached("demo", {"codes": ["5034"]}, compute)
    assert len(calls) == 2  # one per key
    pd.testing.assert_frame_equal(first, again)
    assert other is not first
    # another process of the same run (a report kernel) reads the stored value, computing nothing
    code = (
        "from planning.reports import cache\n"
        "v = cache.cached('demo', {'codes': ['5035']}, lambda: 1 / 0)\n"
        "print(v['a'].sum())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, cache.CACHE_ENV: str(run_cache)},
    )
    assert out.stdout.strip() == "4.0"


def test_the_key_holds_the_data_version(run_cache, monkeypatch):
    from planning import data

    a = cache.cache_key("demo", {"x": 1})
    monkeypatch.setattr(data, "data_version", lambda: "another-snapshot")
    assert cache.cache_key("demo", {"x": 1}) != a


def test_without_a_run_folder_values_stay_in_the_process(tmp_path, monkeypatch):
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    monkeypatch.setattr(shared_cache, "_MEMORY", {})
    calls = []
    cache.cached("demo", {"x": 1}, lambda: calls.append(1) or 7)
    assert cache.cached("demo", {"x": 1}, lambda: calls.append(1) or 7) == 7
    assert len(calls) == 1 and not list(tmp_path.iterdir())


def test_a_shared_run_of_today_equals_its_own_run(run_cache):
    like = scenarios.run("shared_dms", runs=3, seed=11)
    own = scenarios.run_like("today", like)
    shared = cache.run_like("today", like)
    again = cache.run_like("today", like)  # from the run's folder
    assert shared.name == own.name == "today"
    for frame in ("population", "demand", "capacity", "staff", "costs", "cost_shares"):
        pd.testing.assert_frame_equal(getattr(shared, frame), getattr(own, frame))
        pd.testing.assert_frame_equal(getattr(again, frame), getattr(own, frame))
    # another seed or number of runs is another run
    other = scenarios.run("shared_dms", runs=3, seed=12)
    assert cache.cache_key("run", {"s": 1, "seed": 11}) != cache.cache_key(
        "run", {"s": 1, "seed": 12}
    )
    assert not cache.run_like("today", other).population.equals(own.population)


def test_the_report_of_today_shares_its_run_with_the_other_reports_reference(run_cache):
    like = scenarios.run("shared_dms", runs=3, seed=11)
    reference = cache.run_like("today", like)  # another report's reference
    own = cache.run(scenarios.load_scenario("today"), runs=3, seed=11)  # the report of today
    assert own is reference
    before = set(run_cache.glob("*.pickle"))
    other = cache.run("shared_staff", runs=3, seed=11)  # no other report reads it: not stored
    assert set(run_cache.glob("*.pickle")) == before
    pd.testing.assert_frame_equal(
        other.summary, scenarios.run("shared_staff", runs=3, seed=11).summary
    )
    with pytest.raises(Exception, match="runs must be"):
        cache.run("today", runs=-1)
