"""Broken scenario files and unsafe names: one clear line naming file and key, exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from planning import scenarios
from planning.cli import main
from planning.errors import PlanningError, ScenarioError

BAD = Path(__file__).parent / "fixtures" / "bad_scenarios"

# file -> (key named in the message, a fragment of the problem)
CASES = {
    "unknown_key.yaml": ("levers.max_refusall", "Did you mean max_refusal"),
    "misspelt_municipality.yaml": ("municipalities.1", "Merakker"),
    "negative_occupancy.yaml": ("levers.occupancy_target", "greater than 0"),
    "blocking_target_one.yaml": ("levers.max_refusal", "less than 1"),
    "end_before_base.yaml": ("horizon.end_year", "must be after base_year 2026"),
    "cycle_a.yaml": ("extends", "cycle"),
    "cycle_b.yaml": ("extends", "cycle"),
    "invalid_yaml.yaml": (None, "invalid YAML (line 5"),
    "path_name.yaml": ("name", "'../x' is not allowed"),
    "path_extends.yaml": ("extends", "is not allowed"),
    "unknown_service.yaml": ("organisation.units.0.service", "'tannlege' is not allowed"),
    "member_outside.yaml": ("organisation.units.0.members.1", "5036"),
    "unknown_catalogue_key.yaml": (
        "services.kad.bed_days_per_1001",
        "Did you mean bed_days_per_1000",
    ),
    "negative_runs.yaml": ("demography.runs", "greater than or equal to 0"),
    "unknown_parent.yaml": ("extends", "Did you mean today"),
}


def test_every_fixture_has_a_case():
    assert sorted(p.name for p in BAD.glob("*.yaml")) == sorted(CASES)


@pytest.mark.parametrize("fname", sorted(CASES))
def test_bad_file_gives_one_clear_line(fname):
    key, fragment = CASES[fname]
    with pytest.raises(ScenarioError) as info:
        scenarios.load_scenario(BAD / fname)
    msg = str(info.value)
    assert "\n" not in msg
    assert fname in msg, msg  # names the file
    if key is not None:
        assert f"key '{key}'" in msg, msg
        assert info.value.key == key
    assert fragment in msg, msg


@pytest.mark.parametrize("fname", sorted(CASES))
def test_cli_validate_exits_2_without_traceback(fname, capsys):
    assert main(["scenarios", "validate", str(BAD / fname)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert fname in err


@pytest.mark.parametrize("fname", ["unknown_key.yaml", "negative_occupancy.yaml"])
def test_cli_run_bad_file_exits_2(fname, capsys):
    assert main(["run", str(BAD / fname)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and fname in err and "Traceback" not in err


def test_real_process_has_no_traceback():
    """One real subprocess: the console entry point prints one line and exits 2."""
    proc = subprocess.run(
        [sys.executable, "-m", "planning", "scenarios", "validate", str(BAD / "cycle_a.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ") and "cycle_a.yaml" in proc.stderr


def test_cycle_names_the_chain():
    with pytest.raises(ScenarioError, match=r"cycle_a -> cycle_b -> cycle_a"):
        scenarios.load_scenario(BAD / "cycle_a.yaml")


def test_value_error_names_the_delta_file_not_the_base(tmp_path):
    """A bad value set in a delta is reported against the delta, even though the merged
    scenario also holds the base's keys."""
    (tmp_path / "mid.yaml").write_text("extends: today\nname: mid\nlevers: {max_refusal: 0.02}\n")
    (tmp_path / "leaf.yaml").write_text("extends: mid\nname: leaf\nlevers: {occupancy_target: 2}\n")
    with pytest.raises(ScenarioError) as info:
        scenarios.load_scenario(tmp_path / "leaf.yaml")
    assert "leaf.yaml" in str(info.value) and info.value.key == "levers.occupancy_target"
    # the same value in the middle file is blamed on the middle file
    (tmp_path / "mid.yaml").write_text("extends: today\nname: mid\nlevers: {max_refusal: 7}\n")
    (tmp_path / "leaf.yaml").write_text("extends: mid\nname: leaf\n")
    with pytest.raises(ScenarioError) as info:
        scenarios.load_scenario(tmp_path / "leaf.yaml")
    assert "mid.yaml" in str(info.value) and "leaf.yaml" not in str(info.value)


@pytest.mark.parametrize(
    "text, key",
    [
        ("", None),  # empty file
        ("- a\n- b\n", None),  # a list, not a mapping
        ("extends: today\nregion: vaernez\n", "region"),
        ("extends: today\nregion: vaernes\nmunicipalities: ['5035']\n", None),
        ("extends: today\nhorizon: {base_year: 1990}\n", "horizon.base_year"),
        ("extends: today\nhorizon: {end_year: 2150}\n", "horizon.end_year"),
        ("extends: today\ndemography: {variant: MXM}\n", "demography.variant"),
        ("extends: today\ndemography: {method: hamilton-perry, runs: 5}\n", "demography"),
        ("extends: today\nprices: {real_pay_growth: 0.5}\n", "prices.real_pay_growth"),
        (
            "extends: today\ntravel_overrides: [{from_id: stjordalshalsen, to_id: nowhere, minutes: 3}]\n",
            "travel_overrides.0.to_id",
        ),
        ("extends: today\nservices: {kad: {fte_per_bed: -1}}\n", "services.kad.fte_per_bed"),
        (  # a unit of today that does not exist for these municipalities
            "extends: today\nmunicipalities: ['5035', '5034']\norganisation: {units: "
            "[{name: 'Værnesregionen legevakt', members: ['5035', '5034']}]}\n",
            "organisation.units.0",
        ),
        ("extends: today\nservices: {kad: {fte_per_bed: many}}\n", "services.kad.fte_per_bed"),
        (
            "extends: today\norganisation: {units: [{name: u, service: kad, host: '5034', members: ['5035']}]}\n",
            "organisation.units.0",
        ),
    ],
)
def test_more_bad_values(tmp_path, text, key):
    p = tmp_path / "bad.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        scenarios.load_scenario(p)
    msg = str(info.value)
    assert "bad.yaml" in msg and "\n" not in msg
    if key is not None:
        assert info.value.key == key, msg


# ------------------------------------------------------------------------------------------------
# names and output folders
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "../x",
        "..",
        "a/b",
        "a\\b",
        "/etc/passwd",
        "x.yaml",
        "",
        " baseline",
        "a b",
        ".hidden",
        "-rf",
        "x" * 65,
        "baseline\n",
    ],
)
def test_safe_name_rejects_path_characters(name):
    with pytest.raises(ScenarioError) as info:
        scenarios.safe_name(name)
    assert info.value.key == "name"


@pytest.mark.parametrize("name", ["baseline", "shared_dms", "Selbu-2021", "a", "x" * 64])
def test_safe_name_accepts_plain_names(name):
    assert scenarios.safe_name(name) == name


@pytest.mark.parametrize("name", ["../x", "..\\x", "../../etc/passwd", "a/../b"])
def test_load_by_unsafe_name(name, capsys):
    with pytest.raises(PlanningError):
        scenarios.load_scenario(name)
    assert main(["run", name]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_unknown_name_suggests(capsys):
    with pytest.raises(ScenarioError, match="Did you mean shared_dms"):
        scenarios.load_scenario("shared_dsm")
    assert main(["scenarios", "show", "shared_dsm"]) == 2


def test_write_result_never_leaves_the_output_folder(tmp_path):
    res = scenarios.run("today")
    out = tmp_path / "out"
    for bad in ("../x", "..", "/tmp/x", "a/../../b"):
        res.name = bad
        with pytest.raises(ScenarioError):
            scenarios.write_result(res, out)
    assert not (tmp_path / "x").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["out"])
    if out.exists():
        assert list(out.iterdir()) == []


def test_cli_argument_errors(capsys):
    assert main(["run"]) == 2  # neither SCENARIO nor --all
    assert main(["run", "today", "--all"]) == 2
    assert main(["run", "today", "--runs", "-1"]) == 2
    assert main(["run", "today", "--lang", "de"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("error: ") == 4


# ------------------------------------------------------------------------------------------------
# overrides
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "overrides, key, fragment",
    [
        ({"levers.max_refusall": 0.1}, "levers.max_refusall", "max_refusal"),
        ({"levers.max_refusal": 1.0}, "levers.max_refusal", "less than 1"),
        ({"levers.occupancy_target": -0.1}, "levers.occupancy_target", "greater than 0"),
        ({"horizon.end_year": 2000}, "horizon.end_year", "after base_year"),
        ({"demography.variant": "XYZ"}, "demography.variant", "pattern"),
        ({"demography.method": "magic"}, "demography.method", "cohort-component"),
        ({"organisation.units.9.members": ["5035"]}, "organisation.units.9", "no such list item"),
        ({"municipalities": ["Stjørdal", "Merakker"]}, "municipalities.1", "Merakker"),
        ({"services.kad.bed_days": 3}, "services.kad.bed_days", "bed_days_per_1000"),
        (
            {"services.kad.bed_days_per_1000.value": 3},
            "services.kad.bed_days_per_1000.value",
            "whole value",
        ),
        ({"services.kad.bed_days_per_1000": -3}, "services.kad.bed_days_per_1000", "outside"),
        ({"nonsense": 1}, "nonsense", "unknown key"),
        ({"levers..x": 1}, "levers..x", "empty part"),
    ],
)
def test_bad_overrides_name_the_key_and_leave_the_base_alone(overrides, key, fragment):
    base = scenarios.load_scenario("today")
    before = base.model_dump(mode="json")
    with pytest.raises(ScenarioError) as info:
        scenarios.apply_overrides(base, overrides)
    msg = str(info.value)
    assert info.value.key == key, msg
    assert fragment in msg, msg
    assert "overrides" in msg
    assert base.model_dump(mode="json") == before


def test_overrides_are_all_validated_before_any_is_applied():
    base = scenarios.load_scenario("shared_dms")
    fp = base.fingerprint()
    with pytest.raises(ScenarioError):
        scenarios.apply_overrides(base, {"levers.max_refusal": 0.02, "levers.occupancy_target": 5})
    assert base.fingerprint() == fp
    assert base.levers.max_refusal is None


def _today_units_touching(codes):
    from planning.parameters import load_organisation

    return [u.name for u in load_organisation().units if set(codes) & set(u.members)]


@pytest.mark.parametrize(
    ("extra", "codes"),
    [
        ("", ["5035", "5034", "5032", "5033"]),  # today's region: Værnes
        ("municipalities: ['5036', '5031']\n", ["5036", "5031"]),  # Frosta and Malvik
        ("region: knutepunkt_sorlandet\n", ["4204", "4215", "4216", "4223", "4218"]),
    ],
)
def test_unknown_unit_to_remove_lists_the_units_of_these_municipalities(
    tmp_path, capsys, extra, codes
):
    """A delta on today that removes a unit nobody has: exit 2, one line naming the file, the
    key and, as allowed, today's units that touch the scenario's municipalities; not the units
    of other regions (Trondheim, Innherred, Kristiansand...)."""
    from planning.parameters import load_organisation

    p = tmp_path / "mine.yaml"
    p.write_text(
        "name: mine\nextends: today\n"
        + extra
        + "organisation:\n  units:\n    - {name: 'Værnesregionen DMS, KAD-seng', remove: true}\n",
        encoding="utf-8",
    )
    assert main(["scenarios", "validate", str(p)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(f"error: {p} key 'organisation.units.0.name': no unit ")
    assert "in today's organisation to remove" in err
    allowed = err.split("(allowed: ", 1)[1]
    here = _today_units_touching(codes)
    assert here and all(name in allowed for name in here)
    others = [u.name for u in load_organisation().units if u.name not in here]
    assert others and not [name for name in others if name in allowed]
    assert all(code in allowed.split(":")[0] for code in codes)  # says whose units these are


def test_unknown_unit_to_remove_lists_every_unit_when_the_municipalities_are_unknown():
    from planning.parameters import load_organisation

    with pytest.raises(ScenarioError) as e:
        scenarios.merge_units([], [{"name": "nobody", "remove": True}], status_quo=True)
    assert all(u.name in e.value.allowed for u in load_organisation().units)


def test_a_scenario_key_that_fails_only_with_the_overrides_names_the_scenario_file():
    """shared_dms changes today's Værnes DMS units by name; moved to Agder by an override of its
    region, those units do not exist there. The error is in the scenario's own key, so it names
    the scenario's file (and the overrides that made it fail), not a file called 'overrides'."""
    base = scenarios.load_scenario("shared_dms")
    with pytest.raises(ScenarioError) as info:
        scenarios.apply_overrides(base, {"region": "agder"})
    msg = str(info.value)
    assert info.value.key.startswith("organisation.units"), msg
    assert info.value.file is not None and info.value.file.endswith(
        "shared_dms.yaml (with overrides region)"
    ), msg
    assert "Værnesregionen DMS" in msg and "\n" not in msg
    # a key the overrides set themselves is still theirs
    with pytest.raises(ScenarioError) as info:
        scenarios.apply_overrides(base, {"levers.max_refusal": 2})
    assert info.value.file == "overrides"


def test_the_cli_names_the_scenario_file_when_region_makes_its_units_fail(capsys):
    from planning.cli import main

    code = main(["scenarios", "show", "shared_dms", "--region", "agder"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert "shared_dms.yaml (with overrides region)" in err and "Traceback" not in err
