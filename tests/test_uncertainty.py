"""Ranges of the assumptions and parameter draws in the Monte Carlo runs (planning.uncertainty)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from planning import scenarios, uncertainty
from planning.errors import DataError
from planning.parameters import load_catalogue


def test_every_assumption_has_a_range():
    """Fails when an assumption is added to services.yaml, the scenarios' prices or
    demography.yaml without a range in data/ranges.yaml (or a range names no parameter, or a
    default lies outside its range)."""
    assert uncertainty.check_ranges(load_catalogue()) == []


def test_a_new_assumption_without_range_is_caught():
    cat = load_catalogue()
    s = cat.fastlege.list_size
    changed = cat.model_copy(
        update={
            "fastlege": cat.fastlege.model_copy(
                update={"list_size": s.model_copy(update={"status": "assumption"})}
            )
        }
    )
    problems = uncertainty.check_ranges(changed)
    assert any("fastlege.list_size" in p and "no range" in p for p in problems)


def test_unknown_path_and_default_outside_range_are_caught():
    ranges = dict(uncertainty.load_ranges())
    ranges["kad.no_such_value"] = uncertainty.Range(low=1, high=2, kind="uncertain", reason="test")
    ranges["kad.fte_per_bed"] = uncertainty.Range(low=3, high=4, kind="uncertain", reason="test")
    problems = uncertainty.check_ranges(load_catalogue(), ranges)
    assert any("kad.no_such_value is not a parameter" in p for p in problems)
    assert any("kad.fte_per_bed: default 1.5 outside" in p for p in problems)


def test_malformed_range_file_names_file_and_key(tmp_path, monkeypatch):
    from planning import data

    for f in data.data_dir().iterdir():
        (tmp_path / f.name).symlink_to(f)
    (tmp_path / "ranges.yaml").unlink()
    (tmp_path / "ranges.yaml").write_text(
        yaml.safe_dump(
            {"kad.fte_per_bed": {"low": 3, "high": 1, "kind": "uncertain", "reason": "x y z"}}
        )
    )
    monkeypatch.setenv("VAERNES_DATA_DIR", str(tmp_path))
    from planning.build import refresh_manifest

    refresh_manifest(tmp_path)  # record the edit (the data check refuses unrecorded edits)
    data.clear_cache()
    uncertainty._load.cache_clear()
    with pytest.raises(DataError) as e:
        uncertainty.load_ranges()
    assert "ranges.yaml" in str(e.value) and "kad.fte_per_bed" in str(e.value)
    uncertainty._load.cache_clear()


def test_sample_scenario_shows_the_ranges():
    text = scenarios.sample_scenario()
    assert "kad.fte_per_bed: 1.5" in text
    line = next(x for x in text.splitlines() if "kad.fte_per_bed:" in x)
    assert "range 0.5..2.5 (uncertain, triangular)" in line
    assert "real_pay_growth" in text and "range 0.0..0.015 (choice)" in text
    assert "base_window | range" in text


@settings(max_examples=50, deadline=None)
@given(
    lo=st.floats(0, 10),
    width=st.floats(0.001, 10),
    f=st.floats(0, 1),
    dist=st.sampled_from(["triangular", "uniform", "discrete"]),
)
def test_quantile_values_stay_in_range_and_are_monotone(lo, width, f, dist):
    hi = lo + width
    c = lo + f * width
    u = np.linspace(0, 1, 101)
    v = uncertainty.quantile_values(u, lo, c, hi, dist)
    assert v.min() >= lo - 1e-9 and v.max() <= hi + 1e-9
    assert np.all(np.diff(v) >= -1e-9)


def test_triangular_median_known_value():
    # symmetric triangle: median at the mode
    assert uncertainty.quantile_values(np.array([0.5]), 0.0, 1.0, 2.0, "triangular")[
        0
    ] == pytest.approx(1.0)


def test_draws_run0_central_same_seed_identical_complements():
    cat = load_catalogue()
    lv = cat.default_levers()
    a = uncertainty.draw(cat, lv, cat, runs=50, seed=7)
    b = uncertainty.draw(cat, lv, cat, runs=50, seed=7)
    c = uncertainty.draw(cat, lv, cat, runs=50, seed=8)
    assert a.keys() == b.keys()
    for p in a:
        np.testing.assert_array_equal(a[p], b[p])
    assert any(not np.array_equal(a[p], c[p]) for p in a)
    assert a["kad.fte_per_bed"][0] == 1.5
    assert a["kad.fte_per_bed"][1:].min() >= 0.5 and a["kad.fte_per_bed"][1:].max() <= 2.5
    mix = "coverage.hjemmetjenester.profession_mix."
    np.testing.assert_allclose(a[mix + "sykepleier"] + a[mix + "helsefagarbeider"], 1.0)
    # choices and estimation inputs are never drawn
    assert "levers.max_refusal" not in a and "coverage.estimation.window" not in a
    assert "prices.real_pay_growth" not in a


def test_draws_keep_relative_width_for_a_scenario_value():
    """A scenario that sets its own value gets the same quantiles (paired), scaled."""
    cat = load_catalogue()
    lv = cat.default_levers()
    kad = cat.kad.model_copy(
        update={"fte_per_bed": cat.kad.fte_per_bed.model_copy(update={"value": 3.0})}
    )
    other = cat.model_copy(update={"kad": kad})
    a = uncertainty.draw(cat, lv, cat, runs=30, seed=3)
    b = uncertainty.draw(other, lv, cat, runs=30, seed=3)
    np.testing.assert_allclose(b["kad.fte_per_bed"], 2 * a["kad.fte_per_bed"])
    np.testing.assert_array_equal(a["kad.bed_days_per_1000"], b["kad.bed_days_per_1000"])


@pytest.fixture(scope="module")
def mc():
    return scenarios.run("shared_dms", runs=40, seed=11)


def test_run0_equals_the_deterministic_run(mc):
    det = scenarios.run("shared_dms", runs=0).metrics()
    m = mc.metrics()
    central = m[m["run"] == 0].drop(columns="run").reset_index(drop=True)
    np.testing.assert_allclose(central["value"].to_numpy(), det["value"].to_numpy(), rtol=1e-12)


def test_same_seed_identical_results(mc):
    again = scenarios.run("shared_dms", runs=40, seed=11)
    np.testing.assert_array_equal(
        again.metrics()["value"].to_numpy(), mc.metrics()["value"].to_numpy()
    )
    assert sorted(again.parameter_values) == mc.provenance["parameter_draws"]


def test_parameter_draws_widen_the_fte_band_and_keep_population(mc):
    pop_only = scenarios.run("shared_dms", runs=40, seed=11, parameter_draws=False)
    s, p = mc.summary, pop_only.summary

    def band(frame, metric):
        row = frame[(frame["municipality_code"] == "region") & (frame["metric"] == metric)].iloc[0]
        return row["p90"] - row["p10"]

    assert band(s, "population") == band(p, "population")  # population draws unchanged
    assert band(s, "fte") > band(p, "fte")


def test_paired_differences_zero_against_itself(mc):
    twin = scenarios.run(
        scenarios.apply_overrides("shared_dms", {"name": "twin"}), runs=40, seed=11
    )
    a, b = mc.metrics(), twin.metrics()
    np.testing.assert_array_equal(a["value"].to_numpy(), b["value"].to_numpy())
    cmp = scenarios.compare([mc, twin], mc.name)
    assert np.allclose(cmp["difference"], 0)
    assert np.allclose(cmp[["p10", "p50", "p90"]].to_numpy(dtype=float), 0)


def test_zero_ranges_leave_the_band_unchanged(monkeypatch):
    """With every range of zero width, the draws change nothing: the bands are those of the
    population alone."""
    zero = {
        p: (r if r.complement_of else r.model_copy(update={"low": 0.0, "high": 0.0}))
        for p, r in uncertainty.load_ranges().items()
    }
    cat = load_catalogue()
    values = dict(uncertainty.central_values(cat, cat.default_levers()))
    zero = {
        p: (
            r
            if r.complement_of
            else r.model_copy(update={"low": values.get(p, 0.0), "high": values.get(p, 0.0)})
        )
        for p, r in zero.items()
    }
    monkeypatch.setattr(uncertainty, "load_ranges", lambda: zero)
    with_draws = scenarios.run("shared_dms", runs=15, seed=5)
    without = scenarios.run("shared_dms", runs=15, seed=5, parameter_draws=False)
    np.testing.assert_allclose(
        with_draws.metrics()["value"].to_numpy(), without.metrics()["value"].to_numpy(), rtol=1e-12
    )


def test_ranges_table_and_band_statement():
    cat = load_catalogue()
    t = uncertainty.ranges_table(cat)
    assert {"parameter", "low", "high", "kind", "in_band", "reason"} <= set(t.columns)
    assert t.loc[t["parameter"] == "kad.fte_per_bed", "in_band"].item()
    assert not t.loc[t["parameter"] == "levers.max_refusal", "in_band"].item()
    assert "befolkningen" in uncertainty.band_statement(["a"], 10, "nb")
    assert "do not hold choices" in uncertainty.band_statement(["a"], 10, "en")


def test_run_values_are_found_for_each_catalogue_it_is_given():
    """map_run_values / has_run_values remember, per catalogue object, which values are arrays
    over runs: a catalogue made from a remembered one with new arrays (with_values) or with
    them taken out (map_run_values) is looked at afresh."""
    cat = load_catalogue()
    lv = cat.default_levers()
    same = uncertainty.map_run_values(cat, lv, lambda a: a[0])
    assert same[0] is cat and same[1] is lv and not uncertainty.has_run_values(cat, lv)
    runs, _ = uncertainty.with_values(cat, lv, {"kad.fte_per_bed": np.array([1.0, 2.0])})
    assert uncertainty.has_run_values(runs, lv) and not uncertainty.has_run_values(cat, lv)
    for i in (1, 0, 1):  # asked again: the same answer
        one, _ = uncertainty.map_run_values(runs, lv, lambda a, i=i: a[i])
        assert one.kad.fte_per_bed.value == [1.0, 2.0][i]
        assert not uncertainty.has_run_values(one, lv)
    lv_runs = lv.model_copy(update={"max_refusal": np.array([0.02, 0.05])})
    assert uncertainty.has_run_values(cat, lv_runs)
    _, lv1 = uncertainty.map_run_values(cat, lv_runs, lambda a: a[1])
    assert lv1.max_refusal == 0.05
