"""The tornado (planning.sensitivity) and the waterfall (planning.decomposition)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from planning import decomposition, plots, scenarios, sensitivity, uncertainty

SUBSET = (
    "kad.fte_per_bed",
    "coverage.langtidsopphold.fte_per_user",
    "staffing.hours_per_fte",
    "kad.alone_occupancy",
    "intermediaer.bed_days_per_1000",
    "levers.healthy_ageing",
    "levers.max_refusal",
    "prices.real_pay_growth",
    "coverage.estimation.window",
    "coverage.hjemmetjenester.profession_mix.sykepleier",
    "coverage.hjemmetjenester.profession_mix.helsefagarbeider",
    "demography.trim_share",
)


@pytest.fixture(scope="module")
def table():
    ranges = {p: r for p, r in uncertainty.load_ranges().items() if p in SUBSET}
    return sensitivity.tornado("shared_dms", "today", ranges=ranges)


def _headline(scn, metric):
    m = scenarios.run(scn, runs=0).metrics()
    return m[(m["municipality_code"] == "region") & (m["year"] == 2050) & (m["metric"] == metric)][
        "value"
    ].item()


# The tornado's vectorised pass and an explicit run share one pipeline function
# (planning.scenario.pipeline.plan_services); each run's staffing is calibrated with its own
# values, so parameters the calibration reads (KAD staffing per bed, the refusal target through
# the beds of today's units, the staff per long-term resident, hours per FTE, the stand-alone ØHD
# occupancy) swing exactly as explicit runs do.
@pytest.mark.parametrize(
    "path, override",
    [
        ("kad.fte_per_bed", "services.kad.fte_per_bed"),
        ("levers.healthy_ageing", "levers.healthy_ageing"),
        ("levers.max_refusal", "levers.max_refusal"),
        ("prices.real_pay_growth", "prices.real_pay_growth"),
        ("coverage.estimation.window", "services.coverage.estimation.window"),
        ("coverage.langtidsopphold.fte_per_user", "services.coverage.langtidsopphold.fte_per_user"),
        ("staffing.hours_per_fte", "services.staffing.hours_per_fte"),
        ("kad.alone_occupancy", "services.kad.alone_occupancy"),
        ("intermediaer.bed_days_per_1000", "services.intermediaer.bed_days_per_1000"),
    ],
)
def test_swings_equal_explicit_low_high_runs(table, path, override):
    for metric in ("fte", "cost_nok", "beds"):
        row = table[(table["parameter"] == path) & (table["metric"] == metric)].iloc[0]
        for side in ("low", "high"):
            scn = scenarios.apply_overrides("shared_dms", {override: float(row[side])})
            base = scenarios.apply_overrides("today", {override: float(row[side])})
            explicit = _headline(scn, metric)
            assert row[f"at_{side}"] == pytest.approx(explicit, rel=1e-9, abs=1e-6)
            diff = table[
                (table["parameter"] == path) & (table["metric"] == f"{metric}_vs_today")
            ].iloc[0]
            assert diff[f"at_{side}"] == pytest.approx(
                explicit - _headline(base, metric), rel=1e-9, abs=1e-3
            )


def test_direction_and_complements(table):
    fte = table[table["metric"] == "fte"].set_index("parameter")
    assert fte.loc["kad.fte_per_bed", "swing"] > 0  # more staff per bed, more FTE
    assert fte.loc["levers.healthy_ageing", "swing"] < 0  # healthier ageing, less demand
    beds = table[table["metric"] == "beds"].set_index("parameter")
    assert beds.loc["levers.max_refusal", "swing"] < 0  # accept more refusals, fewer beds
    # the helsefagarbeider share moves with the sykepleier share: not listed apart
    assert "coverage.hjemmetjenester.profession_mix.helsefagarbeider" not in set(table["parameter"])
    # projection settings are listed, not swung
    assert not table.loc[table["parameter"] == "demography.trim_share", "evaluated"].any()
    # demographic letters are swung by separate projections
    mig = fte.loc["demography.variants.migration"]
    assert mig["at_high"] > mig["at_low"]


def test_largest_and_not_material(table):
    top = sensitivity.largest(table, "fte", 3)
    assert len(top) == 3
    assert list(top["swing"].abs()) == sorted(top["swing"].abs(), reverse=True)
    quiet = sensitivity.not_material(table)
    assert top.iloc[0]["parameter"] not in quiet  # the largest FTE swing is material
    text = sensitivity.rest_markdown(table, "en")
    assert "Not swung" in text and "demography.trim_share" in text
    fig = plots.tornado(table, "fte", lang="nb")
    assert len(fig.data) == 2
    assert sensitivity.default_reference() in scenarios.list_scenarios()


@pytest.fixture(scope="module")
def steps():
    return decomposition.waterfall("shared_dms", "today")


def test_waterfall_steps_add_up_to_the_total(steps):
    for _metric, t in steps.groupby("metric"):
        inner = t[~t["driver"].isin(["start", "total"])]
        total = t[t["driver"] == "total"].iloc[0]
        assert inner["change"].sum() == pytest.approx(total["change"], rel=1e-12)
        np.testing.assert_allclose(inner["after"].to_numpy()[:-1], inner["before"].to_numpy()[1:])
        assert list(inner["driver"]) == [d for d, _, _ in decomposition.DRIVERS]


def test_waterfall_ends_at_the_scenario_and_starts_at_the_first_year(steps):
    for metric in decomposition.METRICS:
        t = steps[steps["metric"] == metric]
        assert t[t["driver"] == "total"]["after"].item() == pytest.approx(
            _headline("shared_dms", metric), rel=1e-9
        )
    # the organisation step is zero when the scenario is its own reference
    own = decomposition.waterfall("today", "today")
    assert np.allclose(own.loc[own["driver"] == "organisation", "change"], 0.0)
    # the population step grows FTE (ageing), healthy ageing lowers it
    fte = steps[steps["metric"] == "fte"].set_index("driver")
    assert fte.loc["population", "change"] > 0 > fte.loc["healthy_ageing", "change"]
    assert len(plots.waterfall(steps, "fte", lang="en").data) == 1


def test_cli_sensitivity_and_decompose_bad_input():
    r = subprocess.run(
        [sys.executable, "-m", "planning", "sensitivity", "no_such_scenario"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "no_such_scenario" in r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "planning", "sensitivity", "shared_dms", "--top", "0"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "--top" in r.stderr


@pytest.mark.slow
def test_cli_decompose_prints_the_steps():
    r = subprocess.run(
        [sys.executable, "-m", "planning", "decompose", "shared_dms"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert "Healthy ageing" in r.stdout and "Total change" in r.stdout
