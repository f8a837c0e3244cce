"""Faults a new user found from a fresh clone (session 6), each tested as a kind: every
subcommand's argument errors, every output option, every numeric field of the schema, a
sweep started from a script. The single examples are cases of ``tests/test_broken_inputs.py``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from planning import scenarios
from planning.cli import build_parser, main
from planning.errors import ScenarioError
from planning.sourced import NumbersModel, _number_not_bool

ROOT = Path(__file__).resolve().parent.parent


def _one_line(err: str) -> str:
    lines = [x for x in err.strip().splitlines() if x.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0]


def _subcommands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    """Every (sub)command line prefix that ends in a command with options, e.g. ('scenarios',
    'show')."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _subcommands(sub, (*prefix, name))
            return
    yield prefix


SUBCOMMANDS = sorted(set(_subcommands(build_parser())))


def test_every_command_is_listed():
    assert len(SUBCOMMANDS) >= 15
    assert ("run",) in SUBCOMMANDS and ("scenarios", "validate") in SUBCOMMANDS


@pytest.mark.parametrize("cmd", SUBCOMMANDS, ids=" ".join)
def test_an_unknown_option_is_one_line_for_every_command(cmd, capsys):
    """argparse printed its usage block before the error; now one line naming the option."""
    assert main([*cmd, "--no-such-option"]) == 2
    line = _one_line(capsys.readouterr().err)
    named = "key '--no-such-option': unknown option" in line
    assert (named or "the following arguments are required" in line) and "--help`" in line


@pytest.mark.parametrize(
    "argv, key, fragment",
    [
        (["project", "--end-year", "twenty"], "--end-year", "'twenty' is not a whole number"),
        (["report", "--timeout", "soon"], "--timeout", "'soon' is not a number"),
        (["report", "--lang", "de"], "--lang", "(allowed: nb, en)"),
        (["scenarios"], None, "required: ACTION"),
        (["project", "--municipalities"], "--municipalities", "expected at least one"),
        (
            ["project", "--region", "vaernes", "--municipalities", "5035"],
            "--municipalities",
            "not allowed",
        ),
    ],
)
def test_argument_errors_name_the_option_and_what_is_allowed(argv, key, fragment, capsys):
    assert main(argv) == 2
    line = _one_line(capsys.readouterr().err)
    assert fragment in line, line
    if key is not None:
        assert f"key '{key}'" in line, line


def test_help_still_prints_and_exits_0(capsys):
    assert main(["run", "--help"]) == 0
    assert "usage: planning run" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------------
# an output that cannot be written is refused before any work
# ------------------------------------------------------------------------------------------------
def _no_work(monkeypatch) -> None:
    """Every long piece of work a command can start fails the test if it is called."""
    import planning.backtest
    import planning.decomposition
    import planning.demography
    import planning.reports
    import planning.sensitivity
    import planning.sweep

    def started(*a, **k):
        raise AssertionError("work started before the output was checked")

    for module, name in [
        (scenarios, "run"),
        (planning.demography, "project"),
        (planning.sensitivity, "tornado"),
        (planning.decomposition, "waterfall"),
        (planning.reports, "render_reports"),
        (planning.sweep, "run_sweep"),
        (planning.backtest, "backtest"),
        (planning.backtest, "demand_backtest"),
    ]:
        monkeypatch.setattr(module, name, started)


OUTPUTS = [
    (["run", "shared_dms", "--out"], "", "--out"),
    (["run", "shared_dms", "--table"], ".csv", "--table"),
    (["project", "--region", "vaernes", "--out"], ".parquet", "--out"),
    (["report", "shared_dms", "--out"], "", "--out"),
    (["sweep", "scenarios/sweeps/dms_cost_key.yaml", "--no-progress", "--out"], "", "--out"),
    (["sensitivity", "shared_dms", "--out"], ".csv", "--out"),
    (["decompose", "shared_dms", "--out"], ".csv", "--out"),
    (["backtest", "--out"], ".csv", "--out"),
    (["backtest", "--demand", "--out"], ".csv", "--out"),
]


@pytest.mark.parametrize(
    "argv, suffix, key", OUTPUTS, ids=lambda x: " ".join(x) if isinstance(x, list) else None
)
def test_an_output_under_a_file_is_refused_before_any_work(
    argv, suffix, key, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(ROOT)
    _no_work(monkeypatch)
    blocker = tmp_path / "a_file"
    blocker.write_text("mine\n")
    target = blocker / f"result{suffix}"
    assert main([*argv, str(target)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"key '{key}'" in line and "is a file, not a folder" in line, line
    assert blocker.read_text() == "mine\n"


@pytest.mark.parametrize(
    "argv, suffix, key",
    [o for o in OUTPUTS if o[1]],
    ids=lambda x: " ".join(x) if isinstance(x, list) else None,
)
def test_an_output_file_that_is_a_folder_is_refused_before_any_work(
    argv, suffix, key, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(ROOT)
    _no_work(monkeypatch)
    folder = tmp_path / f"result{suffix}"
    folder.mkdir()
    assert main([*argv, str(folder)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"key '{key}'" in line and "is a folder, not a file" in line, line


# ------------------------------------------------------------------------------------------------
# YAML yes/no values are never numbers; municipality codes may be numbers
# ------------------------------------------------------------------------------------------------
def _models() -> list[type[BaseModel]]:
    import planning.parameters  # noqa: F401  (defines the catalogue's models)
    import planning.scenario.schema  # noqa: F401
    import planning.sweep.spec  # noqa: F401

    seen: list[type[BaseModel]] = []
    todo = list(NumbersModel.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls not in seen:
            seen.append(cls)
            todo.extend(cls.__subclasses__())
    return seen


def test_the_schema_models_are_numbers_models():
    from planning.parameters import Levers, Unit
    from planning.scenario.schema import Demography, Horizon, Scenario
    from planning.sourced import Sourced
    from planning.sweep.spec import Range

    models = _models()
    for m in (Levers, Unit, Demography, Horizon, Scenario, Sourced, Range):
        assert m in models


def test_every_numeric_field_refuses_a_yes_no_value():
    checked = 0
    for model in _models():
        for name, f in model.model_fields.items():
            if not _number_not_bool(f.annotation):
                continue
            with pytest.raises(ValidationError) as info:
                model.model_validate({name: True})
            problems = [e for e in info.value.errors() if e["loc"] == (name,)]
            assert problems and problems[0]["type"] == "yes_no_for_number", (model, name)
            checked += 1
    assert checked >= 25  # 31 on 2026-11-30


def test_yes_no_fields_still_take_yes_no():
    from planning.parameters import Organisation
    from planning.sweep.spec import Range

    assert Organisation.model_validate({"status_quo": True, "units": []}).status_quo is True
    assert Range.model_validate({"low": 0.1, "high": 1.0, "log": True}).log is True


def test_an_override_with_a_yes_no_value_names_the_key():
    base = scenarios.load_scenario("shared_dms")
    with pytest.raises(ScenarioError, match="levers.max_refusal.*yes/no"):
        scenarios.apply_overrides(base, {"levers.max_refusal": True})


def test_codes_written_as_numbers_mean_the_codes(tmp_path):
    """`planning sample-scenario` shows `municipalities: [5035, Meråker, ...]`; unquoted codes
    were refused ("Input should be a valid string")."""
    unit = "{name: jm, service: jordmor, host: %s, members: [%s, %s], cost_key: population}"
    quoted, numbers = tmp_path / "quoted.yaml", tmp_path / "numbers.yaml"
    text = "extends: today\nregion: null\nmunicipalities: [%s, %s, Selbu]\norganisation: {units: [%s]}\n"
    quoted.write_text(
        text % ("'5035'", "'5034'", unit % ("'5035'", "'5035'", "'5034'")), encoding="utf-8"
    )
    numbers.write_text(text % ("5035", "5034", unit % ("5035", "5035", "5034")), encoding="utf-8")
    a = scenarios.load_scenario(str(quoted))
    b = scenarios.load_scenario(str(numbers))
    assert b.municipality_codes() == ("5035", "5034", "5032")
    same = {"name", "title", "description"}
    assert a.model_dump(exclude=same) == b.model_dump(exclude=same)


# ------------------------------------------------------------------------------------------------
# a sweep in a script without a __main__ guard
# ------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_sweep_in_an_unguarded_script_stops_with_the_reason(tmp_path):
    """The README's `sweep(...)` pasted into a script waited for ever: each spawned worker
    imported the script, ran its sweep() again and waited for the folder lock the parent held."""
    sweep_file = tmp_path / "s.yaml"
    sweep_file.write_text(
        "base: today\noutput: {years: [2026, 2030]}\n"
        "grid: {levers.max_refusal: [0.02, 0.03, 0.05, 0.08]}\n",
        encoding="utf-8",
    )
    script = tmp_path / "analysis.py"
    script.write_text(
        textwrap.dedent(
            f"""
            from planning.sweep import sweep
            sweep({str(sweep_file)!r}, out={str(tmp_path / "out")!r}, workers=2, chunk_size=1,
                  progress=False)
            """
        ),
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=240, cwd=tmp_path
    )
    assert proc.returncode != 0
    assert 'if __name__ == "__main__":' in proc.stderr
    assert "a worker process died" in proc.stderr


# ------------------------------------------------------------------------------------------------
# one broken scenario among the shipped ones
# ------------------------------------------------------------------------------------------------
@pytest.fixture
def one_broken(tmp_path, monkeypatch):
    """A copy of scenarios/ with ``aa_broken`` (sorted first) holding a value out of range."""
    import shutil

    folder = tmp_path / "scn"
    shutil.copytree(ROOT / "scenarios", folder)
    (folder / "aa_broken.yaml").write_text("extends: today\nlevers: {max_refusal: 7}\n")
    monkeypatch.setenv("VAERNES_SCENARIOS_DIR", str(folder))
    scenarios.clear_cache()
    yield sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
    scenarios.clear_cache()


def test_report_all_with_one_broken_scenario_renders_the_others(
    one_broken, tmp_path, monkeypatch, capsys
):
    """`planning report --all` refused everything when one scenario file was broken."""
    import planning.reports
    from planning.reports.render import ReportResult

    rendered: list[str] = []

    def render(names, out, **kw):  # stands in for the kernels: records what would be rendered
        rendered.extend(names)
        return [ReportResult(n, "ok") for n in names], Path(out) / "index.html"

    monkeypatch.setattr(planning.reports, "render_reports", render)
    code = main(["report", "--all", "--out", str(tmp_path / "rep")])
    err = capsys.readouterr().err
    assert code == 2
    first = err.strip().splitlines()[0]
    assert first.startswith("error: scenario aa_broken: ") and "key 'levers.max_refusal'" in first
    assert sorted(rendered) == one_broken  # every other scenario is rendered


def test_report_of_one_broken_scenario_is_its_error(one_broken, tmp_path, capsys):
    assert main(["report", "aa_broken", "--out", str(tmp_path / "rep")]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "aa_broken.yaml key 'levers.max_refusal'" in line


def test_scenarios_list_with_one_broken_scenario_lists_the_others(one_broken, capsys):
    assert main(["scenarios", "list"]) == 2
    captured = capsys.readouterr()
    line = _one_line(captured.err)
    assert line.startswith("error: scenario aa_broken: ") and "levers.max_refusal" in line
    listed = [x.split()[0] for x in captured.out.splitlines()]
    assert "aa_broken" in listed
    assert sorted(n for n in listed if n != "aa_broken") == one_broken  # all the others


@pytest.mark.parametrize(
    "argv, option",
    [
        (["regions", "--region", "nowhere"], "--region"),
        (["project", "--region", "vaernse"], "--region"),
        (["run", "today", "--municipalities", "5035", "9999"], "--municipalities"),
        (["sample-scenario", "--municipalities", "Kristiansan"], "--municipalities"),
    ],
)
def test_a_bad_region_names_the_option_typed(argv, option, capsys):
    """The line named key 'municipalities' (the scenario's key) for a bad --region."""
    assert main(argv) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"key '{option}'" in line and "(allowed: " in line, line


@pytest.mark.parametrize(
    "argv, option, fragment",
    [
        (["report", "today", "--timeout", "-5"], "--timeout", "more than 0"),
        (["report", "today", "--timeout", "nan"], "--timeout", "more than 0"),
        (["report", "--all", "--workers", "0"], "--workers", "1 or more"),
        (["report", "--all", "--runs", "-3"], "--runs", "0 or more"),
        (["backtest", "--bands", "3"], "--bands", "10 or more"),
        (["sweep", "x.yaml", "--out", "y", "--workers", "0"], "--workers", "1 or more"),
        (["sweep", "x.yaml", "--out", "y", "--chunk-size", "0"], "--chunk-size", "1 or more"),
        (["run", "today", "--seed", "-1"], "--seed", "0 or more"),
        (["export", "today", "--xlsx", "a.xlsx", "--runs", "-2"], "--runs", "0 or more"),
        (["project", "--runs", "1e3"], "--runs", "'1e3' is not a whole number"),
        (["sensitivity", "today", "--top", "0"], "--top", "1 or more"),
    ],
)
def test_numeric_options_are_checked_before_any_work(argv, option, fragment, monkeypatch, capsys):
    """`report --timeout -5` rendered with a negative timeout; `backtest --bands 3` and
    `report --workers 0` failed only after the work (the backtest) or the announcement; the line
    named 'workers', not '--workers'."""
    _no_work(monkeypatch)
    assert main(argv) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"key '{option}'" in line and fragment in line, line


@pytest.mark.parametrize(
    "years, nb",
    [
        ([2027, 2028, 2029, 2030, 2035, 2040, 2050], "(2027–2030) og for 2035, 2040 og 2050, per"),
        ([2027, 2028], "(2027–2028), per kommune"),
        ([2027], "(2027), per kommune"),
    ],
)
def test_the_budget_sentence_of_a_short_horizon_has_no_empty_list(years, nb):
    """A scenario ending in 2028 read "... (2027–2028) og for , per kommune ..." in its report."""
    from types import SimpleNamespace

    import pandas as pd

    from planning.reports.tables import budget_intro

    frame = pd.DataFrame({"year": years})
    result = SimpleNamespace(provenance={"price_year": 2023})
    reference = SimpleNamespace(name="today")
    text = budget_intro(frame, result, reference, "nb")
    assert nb in text and "for ," not in text and "  " not in text
    assert " for ," not in budget_intro(frame, result, reference, "en")


def test_year_axes_of_a_short_horizon_tick_whole_years():
    """A scenario ending in 2028 had year ticks '2 026,5' and '2 027,5' in its report's charts."""
    from planning import plots
    from planning.scenario.schema import Horizon

    base = scenarios.load_scenario("shared_dms")
    short = base.model_copy(update={"horizon": Horizon(base_year=2026, end_year=2028)})
    res = scenarios.run(short, runs=0)
    figures = [
        plots.staff_by_service(res.staff),
        plots.age_group_growth(res.population),
    ]
    for fig in figures:
        years = [a for a in fig.layout if a.startswith("xaxis") and fig.layout[a].tickformat]
        assert years, fig.layout.title.text
        for a in years:
            assert fig.layout[a].tickformat == "d" and fig.layout[a].dtick == 1
    long = plots.staff_by_service(scenarios.run("shared_dms", runs=0).staff)
    assert long.layout.xaxis.tickformat == "d" and long.layout.xaxis.dtick is None
