"""Broken inputs, big inputs and shared folders (issue 14): every case ends in exit code 2 and one
line on stderr that names the file and the key, and changes nothing outside ``--out`` and
nothing already finished inside it.

The table ``CASES`` holds the cases that run one CLI command in this process; the functions
below it hold those that need a real process, a sweep already under way, a read-only or full file
system, or two runs at once. Kinds (issue 14): 1 data version, 2 limits, 3 one line, 4 the user's
file, 5 merge rule, 6 output folders (7, migration variants, is in tests/test_demography.py).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from planning import data, demography, scenarios
from planning.cli import main
from planning.errors import InputError, PlanningError

ROOT = Path(__file__).resolve().parent.parent
#: A memory budget for the limit cases, so they do not depend on the machine (bytes).
MEMORY = "2e9"


# ------------------------------------------------------------------------------------------------
# harness
# ------------------------------------------------------------------------------------------------
class Ctx:
    """A case's folder: ``user/`` (the user's files), ``out/`` (with a finished result from an
    earlier run in ``out/finished/``), ``outside.txt``; an optional private copy of data/."""

    def __init__(self, work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.work, self.mp = work, monkeypatch
        self.user_dir = work / "user"
        self.user_dir.mkdir()
        self.out = work / "out"
        (self.out / "finished").mkdir(parents=True)
        (self.out / "finished" / "metrics.parquet").write_bytes(os.urandom(512))
        (work / "outside.txt").write_text("not yours\n")

    def user(self, name: str, text: str | bytes) -> str:
        p = self.user_dir / name
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text, encoding="utf-8")
        return str(p)

    def data(self) -> Path:
        d = self.work / "data"
        if not d.exists():
            shutil.copytree(ROOT / "data", d)
            self.mp.setenv("VAERNES_DATA_DIR", str(d))
        return d

    def record(self) -> None:
        """`planning data manifest` after a hand edit: the loaders' own checks then apply."""
        from planning.build import refresh_manifest

        refresh_manifest(self.data())


def _clear() -> None:
    data.clear_cache()
    scenarios.clear_cache()
    demography.clear_cache()


def _snapshot(work: Path) -> dict[str, str]:
    """Hashes of every file outside ``out/`` (and of ``out/finished``), of data/ and scenarios/."""
    files: dict[str, str] = {}
    for base in (work, ROOT / "data", ROOT / "scenarios"):
        for p in sorted(base.rglob("*")):
            rel = p.relative_to(base).as_posix()
            if base == work and rel.startswith("out/") and not rel.startswith("out/finished/"):
                continue
            if p.is_file() and not p.is_symlink():
                files[f"{base}/{rel}"] = hashlib.sha256(p.read_bytes()).hexdigest()
    return files


def _one_error_line(err: str) -> str:
    lines = [x for x in err.strip().splitlines() if x.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


@dataclass
class Case:
    setup: Callable[[Ctx], list[str]]  # returns the command line
    file: str | None  # fragment of the file the line must name (None: a CLI argument)
    key: str | None  # the key the line must name (prefix)
    fragment: str | None = None  # a fragment of the problem
    env: dict[str, str] = field(default_factory=dict)
    absent: str | None = None  # a text the line must not hold (a file or key wrongly blamed)


def _run_case(case: Case, tmp_path: Path, monkeypatch, capsys) -> str:
    ctx = Ctx(tmp_path, monkeypatch)
    for k, v in case.env.items():
        monkeypatch.setenv(k, v)
    argv = case.setup(ctx)
    _clear()
    capsys.readouterr()
    before = _snapshot(tmp_path)
    try:
        code = main(argv)
    finally:
        _clear()
    err = capsys.readouterr().err
    line = _one_error_line(err)
    assert code == 2, (code, err)
    if case.file is not None:
        assert case.file in line, line
    if case.key is not None:
        assert f"key '{case.key}" in line, line
    if case.fragment is not None:
        assert case.fragment in line, line
    if case.absent is not None:
        assert case.absent not in line, line
    assert _snapshot(tmp_path) == before, "a file outside --out or an earlier result changed"
    return line


DELTA = "extends: shared_dms\n"


def scenario(text: str, name: str = "mine.yaml") -> Callable[[Ctx], list[str]]:
    """`planning run USER_FILE --out OUT` for a scenario file with ``text``."""

    def setup(ctx: Ctx) -> list[str]:
        return ["run", ctx.user(name, text), "--out", str(ctx.out)]

    return setup


def sweep(text: str, *extra: str) -> Callable[[Ctx], list[str]]:
    """`planning sweep USER_FILE --out OUT --no-progress` for a sweep file with ``text``."""

    def setup(ctx: Ctx) -> list[str]:
        f = ctx.user("sweep.yaml", text)
        return ["sweep", f, "--out", str(ctx.out / "sw"), "--no-progress", *extra]

    return setup


def edited(name: str, edit: Callable[[Path], None], record: bool = False, cmd: tuple = ()):
    """A data copy with ``name`` edited (and, with ``record``, the edit recorded in the manifest),
    then ``cmd`` (default: run shared_dms --out OUT)."""

    def setup(ctx: Ctx) -> list[str]:
        edit(ctx.data() / name)
        if record:
            ctx.record()
        return list(cmd) or ["run", "shared_dms", "--out", str(ctx.out)]

    return setup


def _replace(old: str, new: str) -> Callable[[Path], None]:
    def edit(p: Path) -> None:
        text = p.read_text(encoding="utf-8")
        assert old in text, (p, old)
        p.write_text(text.replace(old, new, 1), encoding="utf-8")

    return edit


def _drop_line(prefix: str) -> Callable[[Path], None]:
    def edit(p: Path) -> None:
        lines = p.read_text(encoding="utf-8").splitlines(keepends=True)
        assert any(x.startswith(prefix) for x in lines), (p, prefix)
        p.write_text("".join(x for x in lines if not x.startswith(prefix)), encoding="utf-8")

    return edit


def _append(text: str) -> Callable[[Path], None]:
    def edit(p: Path) -> None:
        with open(p, "a", encoding="utf-8") as f:
            f.write(text)

    return edit


def MITIGATOR_OF(target: str) -> str:  # noqa: N802
    """A mitigator entry of data/services.yaml acting on ``target``."""
    s = 'unit: x, source: "synthetic test value", status: seen'
    return (
        "\nfriskliv:\n  kind: mitigator\n  label: Frisklivssentral\n  reach_ages: [18, 105]\n"
        f"  participants_per_1000: {{value: 5, {s}}}\n"
        f"  participants_per_fte: {{value: 100, {s}}}\n"
        f"  min_fte: {{value: 0.2, {s}}}\n  fte_step: {{value: 0.1, {s}}}\n"
        f"  profession: sykepleier\n  onsite_share: {{value: 0.5, {s}}}\n"
        f"  effects:\n    {target}: {{share: {{value: 0.1, {s}}}, measures: [users]}}\n"
    )


def _flip_byte(p: Path) -> None:
    raw = bytearray(p.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    p.write_bytes(bytes(raw))


def _insert_bytes(b: bytes) -> Callable[[Path], None]:
    def edit(p: Path) -> None:
        raw = p.read_bytes()
        cut = raw.index(b"\n", len(raw) // 2) + 1
        p.write_bytes(raw[:cut] + b"# " + b + b"\n" + raw[cut:])

    return edit


def _csv_cell(column: str, value: str, sep: str = ",") -> Callable[[Path], None]:
    def edit(p: Path) -> None:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
        df.loc[3, column] = value
        df.to_csv(p, index=False, sep=sep)

    return edit


def _semicolon_renamed(p: Path) -> None:
    df = pd.read_csv(p).rename(columns={"to_id": "til_id"})
    df.to_csv(p, index=False, sep=";", decimal=",")


def _negative_population(p: Path) -> None:
    df = pd.read_parquet(p)
    df.loc[5, "population"] = -3
    df.to_parquet(p)


LAUGHS = "lol: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"l{i}: &{c} [{', '.join([f'*{p}'] * 9)}]\n"
    for i, (p, c) in enumerate(zip("abcdefgh", "bcdefghi", strict=True))
)
UNIT = "{name: %s, service: kad, host: '5035', members: ['5035', '5034'], cost_key: population}"
SWEEP = "base: shared_dms\noutput: {years: [2026, 2030]}\n"

CASES: dict[str, Case] = {
    # --- 1. numbers from changed data, under the old data version -----------------------------
    "data_services_edited": Case(
        edited("services.yaml", _replace("value: 22.2", "value: 44.4")),
        "services.yaml",
        None,
        "changed since datapackage.json",
    ),
    "data_parquet_byte_flipped": Case(
        edited(
            "population.parquet",
            _flip_byte,
            cmd=("project", "--region", "vaernes", "--end-year", "2030"),
        ),
        "population.parquet",
        None,
        "changed since datapackage.json",
    ),
    "data_kostra_edited": Case(
        edited("kostra_care.csv", _replace("5031,2008", "5031,2009")),
        "kostra_care.csv",
        None,
        "changed since",
    ),
    "data_file_missing": Case(
        edited("wpp_mortality.csv", lambda p: p.unlink(), cmd=("project", "--end-year", "2030")),
        "wpp_mortality.csv",
        None,
        "missing",
    ),
    "data_manifest_not_json": Case(
        edited("datapackage.json", lambda p: p.write_text("{", encoding="utf-8")),
        "datapackage.json",
        None,
        "JSON",
    ),
    "data_manifest_without_resources": Case(
        edited("datapackage.json", lambda p: p.write_text('{"resources": 3}', encoding="utf-8")),
        "datapackage.json",
        "resources",
    ),
    "data_yaml_not_utf8": Case(
        edited("services.yaml", _insert_bytes(b"Stj\xf8rdal"), record=True),
        "services.yaml",
        None,
        "not UTF-8",
    ),
    "data_csv_not_utf8": Case(
        edited("kostra_care.csv", _insert_bytes(b"Stj\xf8rdal"), record=True),
        "kostra_care.csv",
        None,
        "not UTF-8",
    ),
    "data_csv_text_in_number_column": Case(
        edited("kostra_care.csv", _csv_cell("value", "abc"), record=True),
        "kostra_care.csv",
        "value",
        "'abc' is not a number",
    ),
    "data_mortality_text_cell": Case(
        edited(
            "wpp_mortality.csv",
            _csv_cell("mx", "0,01x"),
            record=True,
            cmd=("project", "--end-year", "2030"),
        ),
        "wpp_mortality.csv",
        "mx",
        "is not a number",
    ),
    "data_semicolon_csv_names_the_real_column": Case(
        edited("travel.csv", _semicolon_renamed, record=True),
        "travel.csv",
        None,
        "missing columns ['to_id'] (the file has: from_id, til_id",
    ),
    "data_yaml_syntax": Case(
        edited("services.yaml", lambda p: p.write_text("a: [\n", encoding="utf-8"), record=True),
        "services.yaml",
        None,
        "invalid YAML (line",
    ),
    # --- services declared as data (issue 16): a bad entry of data/services.yaml -------------
    "data_service_unknown_kind": Case(
        edited("services.yaml", _replace("  kind: rota\n", "  kind: rotta\n"), record=True),
        "services.yaml",
        "legevakt.kind",
        "unknown kind 'rotta' (allowed: bed_service, rota, per_capita_norm",
    ),
    "data_service_missing_field_of_its_kind": Case(
        edited("services.yaml", _drop_line("  list_size:"), record=True),
        "services.yaml",
        "fastlege.list_size",
        "required key is missing",
    ),
    "data_mitigator_names_a_missing_service": Case(
        edited("services.yaml", _append(MITIGATOR_OF("hjemmetjeneste")), record=True),
        "services.yaml",
        "friskliv.effects.hjemmetjeneste",
        "target service 'hjemmetjeneste' is not in the catalogue (allowed: hjemmetjenester,",
    ),
    "data_negative_population": Case(
        edited(
            "population.parquet",
            _negative_population,
            record=True,
            cmd=("project", "--end-year", "2030"),
        ),
        "population.parquet",
        None,
        "negative",
    ),
    # --- 2. memory and time without bounds ------------------------------------------------------
    "limit_project_runs": Case(
        lambda ctx: ["project", "--region", "vaernes", "--runs", "200000"],
        None,
        "--runs",
        "needs about",
        env={"VAERNES_MEMORY_LIMIT": MEMORY},
    ),
    "limit_backtest_bands": Case(
        lambda ctx: ["backtest", "--bands", "200000"],
        None,
        "--bands",
        "needs about",
        env={"VAERNES_MEMORY_LIMIT": MEMORY},
    ),
    "limit_run_runs": Case(
        lambda ctx: ["run", "shared_dms", "--runs", "10000", "--out", str(ctx.out)],
        None,
        "--runs",
        "needs about",
        env={"VAERNES_MEMORY_LIMIT": MEMORY},
    ),
    "limit_report_runs": Case(
        lambda ctx: ["report", "shared_dms", "--runs", "5000", "--out", str(ctx.out)],
        None,
        "--runs",
        "the report of shared_dms",
        env={"VAERNES_MEMORY_LIMIT": MEMORY},
    ),
    "limit_runs_in_scenario_file": Case(
        scenario(DELTA + "demography: {runs: 10000, seed: 1}\n"),
        "mine.yaml",
        "demography.runs",
        "needs about",
        env={"VAERNES_MEMORY_LIMIT": MEMORY},
    ),
    "limit_sweep_dry_run_ten_million": Case(
        sweep(
            SWEEP
            + "seed: 1\nsamples: {n: 10000000, ranges: {levers.max_refusal: {low: 0.01, high: 0.1}}}\n",
            "--dry-run",
        ),
        "sweep.yaml",
        "samples.n",
        "variants need about",
        env={"VAERNES_MEMORY_LIMIT": MEMORY},
    ),
    "limit_sweep_run_ten_million": Case(
        sweep(
            SWEEP
            + "seed: 1\nsamples: {n: 10000000, ranges: {levers.max_refusal: {low: 0.01, high: 0.1}}}\n"
        ),
        "sweep.yaml",
        "samples.n",
        "variants need about",
        env={"VAERNES_MEMORY_LIMIT": MEMORY},
    ),
    "limit_billion_laughs_in_sweep": Case(
        sweep(SWEEP + LAUGHS), "sweep.yaml", None, "billion laughs"
    ),
    "limit_billion_laughs_in_scenario": Case(
        scenario(DELTA + "services:\n  " + LAUGHS.replace("\n", "\n  ")),
        "mine.yaml",
        None,
        "billion laughs",
    ),
    "limit_recursive_alias": Case(
        scenario(DELTA + "levers: &me {x: *me}\n"), "mine.yaml", None, "refers to itself"
    ),
    "limit_bed_days_billion": Case(
        scenario(DELTA + "services: {kad: {bed_days_per_1000: 1000000000}}\n"),
        "mine.yaml",
        "services.kad.bed_days_per_1000",
        "365000",
    ),
    "limit_bed_days_more_than_a_bed_per_person": Case(
        scenario(DELTA + "services: {kad: {bed_days_per_1000: 400000}}\n"),
        "mine.yaml",
        "services.kad.bed_days_per_1000",
        "365000",
    ),
    "limit_bed_days_in_the_old_band": Case(
        scenario(DELTA + "services: {kad: {bed_days_per_1000: 200000}}\n"),
        "mine.yaml",
        "services.kad",
        "bed-days per person-year in the old age band",
    ),
    "limit_intermediate_bed_days": Case(
        scenario(DELTA + "services: {intermediaer: {bed_days_per_1000: 1e12}}\n"),
        "mine.yaml",
        "services.intermediaer.bed_days_per_1000",
    ),
    "limit_admissions": Case(
        scenario(DELTA + "services: {kad: {admissions_per_1000: 1e9}}\n"),
        "mine.yaml",
        "services.kad.admissions_per_1000",
    ),
    "limit_sweep_grid_value": Case(
        sweep(SWEEP + "grid: {services.kad.bed_days_per_1000: [22.2, 1e9]}\n"),
        "sweep.yaml",
        "grid.services.kad.bed_days_per_1000",
    ),
    "limit_sweep_range_end": Case(
        sweep(
            SWEEP
            + "seed: 1\nsamples: {n: 4, ranges: {services.kad.bed_days_per_1000: {low: 10, high: 1e9}}}\n"
        ),
        "sweep.yaml",
        "samples.ranges.services.kad.bed_days_per_1000",
    ),
    "limit_file_too_large": Case(
        scenario(DELTA + "# " + "x" * (11 * 1024 * 1024) + "\n"), "mine.yaml", None, "larger than"
    ),
    "limit_runs_above_schema_maximum": Case(
        scenario(DELTA + "demography: {runs: 10001}\n"), "mine.yaml", "demography.runs"
    ),
    # --- 3. one line instead of a traceback ------------------------------------------------------
    "line_out_is_a_file": Case(
        lambda ctx: ["run", "shared_dms", "--out", str(ctx.work / "outside.txt")],
        "outside.txt",
        "--out",
    ),
    "line_project_out_below_a_file": Case(
        lambda ctx: ["project", "--end-year", "2030", "--out", str(ctx.work / "outside.txt/p.csv")],
        "outside.txt",
        "--out",
    ),
    "line_scenario_not_utf8": Case(
        lambda ctx: ["run", ctx.user("mine.yaml", DELTA.encode() + b"title: {nb: Stj\xf8rdal}\n")],
        "mine.yaml",
        None,
        "not UTF-8 text (byte 0xf8 on line 2)",
    ),
    "line_sweep_invalid_yaml": Case(
        sweep(SWEEP + "grid: {levers.max_refusal: [0.02\n"),
        "sweep.yaml",
        None,
        "invalid YAML (line",
    ),
    "line_sweep_empty": Case(sweep(""), "sweep.yaml", None, "expected a mapping"),
    "line_sweep_missing": Case(
        lambda ctx: ["sweep", str(ctx.work / "user/nosuch.yaml"), "--out", str(ctx.out)],
        "nosuch.yaml",
        None,
        "not found",
    ),
    "line_scenario_missing": Case(
        lambda ctx: ["run", str(ctx.work / "user/nosuch.yaml")], "nosuch.yaml", None, "not found"
    ),
    "line_validate_list_not_mapping": Case(
        lambda ctx: ["scenarios", "validate", ctx.user("mine.yaml", "- a\n- b\n")],
        "mine.yaml",
        None,
        "mapping",
    ),
    # --- 4. the error names the user's file and key ----------------------------------------------
    "user_nan_price": Case(
        scenario(DELTA + "prices: {real_pay_growth: .nan}\n"),
        "mine.yaml",
        "prices.real_pay_growth",
        "finite",
    ),
    "user_file_name_with_space": Case(
        scenario(DELTA + "levers: {max_refusal: 0.02}\n", name="min variant.yaml"),
        "min variant.yaml",
        "name",
        "add a name: key",
    ),
    "user_file_name_with_o_slash": Case(
        scenario(DELTA + "levers: {max_refusal: 0.02}\n", name="felles_dms_ø.yaml"),
        "felles_dms_ø.yaml",
        "name",
        "add a name: key",
    ),
    "user_title_key_no": Case(
        scenario(DELTA + "title: {nb: Felles, en: Shared, no: Felles}\n"),
        "mine.yaml",
        "title.no",
        "unknown key",
    ),
    "user_key_yes": Case(
        scenario(DELTA + "levers: {yes: 0.5}\n"), "mine.yaml", "levers.yes", "unknown key"
    ),
    "user_key_written_twice": Case(
        scenario(DELTA + "levers:\n  max_refusal: 0.02\n  max_refusal: 0.05\n"),
        "mine.yaml",
        None,
        "key 'max_refusal' appears twice",
    ),
    "user_numeric_key": Case(
        scenario(DELTA + "levers: {1: 0.02}\n"), "mine.yaml", "levers.1", "keys must be text"
    ),
    "user_services_typo": Case(
        scenario(DELTA + "services: {kad: {bed_day_per_1000: 30}}\n"),
        "mine.yaml",
        "services.kad.bed_day_per_1000",
        "Did you mean bed_days_per_1000",
    ),
    "user_services_text": Case(
        scenario(DELTA + "services: {kad: {fte_per_bed: lots}}\n"),
        "mine.yaml",
        "services.kad.fte_per_bed",
    ),
    "user_price_text": Case(
        scenario(DELTA + "prices: {real_pay_growth: '2 %'}\n"),
        "mine.yaml",
        "prices.real_pay_growth",
    ),
    "user_price_out_of_range": Case(
        scenario(DELTA + "prices: {real_pay_growth: 1e-1}\n"),
        "mine.yaml",
        "prices.real_pay_growth",
        "outside [-0.05, 0.05]",
    ),
    "user_unknown_parent": Case(
        scenario("extends: shared_dmz\n"), "mine.yaml", "extends", "Did you mean shared_dms"
    ),
    "user_lever_out_of_range": Case(
        scenario(DELTA + "levers: {max_refusal: 1.5}\n"), "mine.yaml", "levers.max_refusal"
    ),
    "user_sweep_axis_typo": Case(
        sweep(SWEEP + "grid: {levers.max_refusl: [0.02]}\n"),
        "sweep.yaml",
        "grid.levers.max_refusl",
        "Did you mean max_refusal",
    ),
    "user_sweep_base_missing": Case(
        sweep("base: nosuch_base\ngrid: {levers.max_refusal: [0.02]}\n"), "sweep.yaml", "base"
    ),
    "user_sweep_output_year": Case(
        sweep("base: shared_dms\noutput: {years: [1990]}\ngrid: {levers.max_refusal: [0.02]}\n"),
        "sweep.yaml",
        "output.years",
    ),
    # --- 5. input read silently in a way the user did not mean ----------------------------------
    "merge_duplicate_unit_names": Case(
        scenario(
            DELTA
            + "organisation:\n  units:\n    - {name: dms_kad, cost_key: use}\n"
            + "    - {name: dms_kad, cost_key: population}\n"
        ),
        "mine.yaml",
        "organisation.units.1.name",
        "listed twice",
    ),
    "merge_remove_misspelt_unit": Case(
        scenario(
            DELTA
            + "organisation: {units: [{name: 'Værnesregionen DMS, KAD-seng', remove: true}]}\n"
        ),
        "mine.yaml",
        "organisation.units.0.name",
        "Did you mean Værnesregionen DMS, KAD-senger",
    ),
    "merge_remove_not_true": Case(
        scenario(DELTA + "organisation: {units: [{name: dms_kad, remove: yes}]}\n"),
        "mine.yaml",
        "organisation.units.0.remove",
    ),
    "merge_remove_with_fields": Case(
        scenario(
            DELTA + "organisation: {units: [{name: dms_kad, remove: true, members: ['5035']}]}\n"
        ),
        "mine.yaml",
        "organisation.units.0.remove",
        "takes only its name",
    ),
    "merge_unit_without_name": Case(
        scenario(DELTA + "organisation: {units: [{service: kad, host: '5035'}]}\n"),
        "mine.yaml",
        "organisation.units.0.name",
    ),
    "merge_new_unit_incomplete": Case(
        scenario(DELTA + "organisation: {units: [{name: new_unit, members: ['5035']}]}\n"),
        "mine.yaml",
        "organisation.units.2",
    ),
    "merge_sweep_duplicate_unit_names": Case(
        sweep(
            SWEEP + f"grid:\n  organisation:\n    two: {{units: [{UNIT % 'a'}, {UNIT % 'a'}]}}\n"
        ),
        "sweep.yaml",
        "grid.organisation.two",
        "listed twice",
    ),
    "merge_sweep_remove_missing_unit": Case(
        sweep(
            SWEEP + "grid:\n  organisation:\n    drop: {units: [{name: dms_kat, remove: true}]}\n"
        ),
        "sweep.yaml",
        "grid.organisation.drop",
        "no unit 'dms_kat' in today's organisation to remove",
    ),
    # --- 6. shared output folders ----------------------------------------------------------------
    "folder_link_out_of_out": Case(
        lambda ctx: _link(ctx, "shared_dms") + ["run", "shared_dms", "--out", str(ctx.out)],
        "out",
        "--out",
        "outside",
    ),
    "folder_sweep_parts_link": Case(
        lambda ctx: (
            _link(ctx, "sw/parts")
            + ["sweep", ctx.user("s.yaml", SWEEP), "--out", str(ctx.out / "sw"), "--no-progress"]
        ),
        "out",
        "--out",
        "outside the output folder",
    ),
}


def _link(ctx: Ctx, rel: str) -> list[str]:
    """A link inside --out pointing to a folder outside it (which must stay as it is)."""
    elsewhere = ctx.work / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    (elsewhere / "metrics.parquet").write_text("theirs")
    link = ctx.out / rel
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(elsewhere, target_is_directory=True)
    return []


CASES["line_sweep_not_utf8"] = Case(
    lambda ctx: [
        "sweep",
        ctx.user("sweep.yaml", SWEEP.encode() + b"title: {nb: Tydal \xe6}\n"),
        "--out",
        str(ctx.out),
    ],
    "sweep.yaml",
    None,
    "not UTF-8",
)


# --- found by a new user from a fresh clone (session 6) ---------------------------------------
def _folder(name: str, cmd: str) -> Callable[[Ctx], list[str]]:
    """`planning CMD USER/NAME` where NAME is a folder, not a file."""

    def setup(ctx: Ctx) -> list[str]:
        (ctx.user_dir / name).mkdir()
        out = ["--out", str(ctx.out / "sw"), "--no-progress"] if cmd == "sweep" else []
        return [cmd, str(ctx.user_dir / name), *out]

    return setup


CASES.update(
    {
        # YAML true/false where a number is expected: pydantic read it as 1 or 0
        "fresh_yes_no_for_a_lever": Case(
            scenario(DELTA + "levers: {healthy_ageing: true}\n"),
            "mine.yaml",
            "levers.healthy_ageing",
            "not a yes/no value",
        ),
        "fresh_yes_no_for_runs": Case(
            scenario(DELTA + "demography: {runs: false}\n"),
            "mine.yaml",
            "demography.runs",
            "not a yes/no value",
        ),
        "fresh_yes_no_for_a_unit_share": Case(
            scenario(
                DELTA
                + "organisation: {units: [{name: x, service: jordmor, host: '5035', "
                + "members: ['5035', '5034'], cost_key: fixed_plus_use, fixed_share: true}]}\n"
            ),
            "mine.yaml",
            "organisation.units",
            "not a yes/no value",
        ),
        "fresh_yes_no_for_pay_growth": Case(
            scenario(DELTA + "prices: {real_pay_growth: true}\n"),
            "mine.yaml",
            "prices.real_pay_growth",
            "not a yes/no value",
        ),
        "fresh_yes_no_in_a_sweep_grid": Case(
            sweep(SWEEP + "grid: {levers.max_refusal: [0.02, true]}\n"),
            "sweep.yaml",
            "grid.levers.max_refusal",
            "not a yes/no value",
        ),
        # a municipality code as a YAML number that is not four digits (0301 reads as 193)
        "fresh_code_number_not_four_digits": Case(
            scenario(DELTA + "region: null\nmunicipalities: [0301]\n"),
            "mine.yaml",
            "municipalities.0",
            "in quotes",
        ),
        # a folder given where a file is expected was "file not found"
        "fresh_scenario_file_is_a_folder": Case(
            _folder("dir.yaml", "run"), "dir.yaml", None, "is a folder, not a file"
        ),
        "fresh_scenario_path_is_a_folder": Case(
            _folder("plans", "run"), "plans", None, "is a folder, not a file"
        ),
        "fresh_sweep_file_is_a_folder": Case(
            _folder("s.yaml", "sweep"), "s.yaml", None, "is a folder, not a file"
        ),
        # pydantic's union tag ('list[any]') leaked into the key
        "fresh_grid_axis_not_a_list": Case(
            sweep(SWEEP + "grid: {levers.max_refusal: 0.02}\n"),
            "sweep.yaml",
            "grid.levers.max_refusal",
            "key 'grid.levers.max_refusal': a grid axis takes a list",
            absent="[any]",
        ),
        # argparse's own errors printed the usage block first (several lines)
        "fresh_argument_not_a_number": Case(
            lambda ctx: ["run", "shared_dms", "--runs", "many"],
            None,
            "--runs",
            "'many' is not a whole number (allowed: 0 or more)",
        ),
        "fresh_argument_not_a_choice": Case(
            lambda ctx: ["run", "shared_dms", "--format", "xls"],
            None,
            "--format",
            "(allowed: parquet, csv)",
        ),
        "fresh_unknown_command": Case(
            lambda ctx: ["rnu", "shared_dms"], None, "COMMAND", "unknown value 'rnu'"
        ),
        # corrupt data found while a scenario's base_year is checked blamed the scenario file
        "fresh_data_corrupt_under_a_scenario": Case(
            edited("population.parquet", _flip_byte, cmd=("run", "today")),
            "population.parquet",
            None,
            "changed since datapackage.json",
            absent="today.yaml",
        ),
        "fresh_data_corrupt_under_a_sweep": Case(
            lambda ctx: (
                edited("population.parquet", _flip_byte)(ctx)[:0]
                + sweep(SWEEP + "grid: {levers.max_refusal: [0.02]}\n")(ctx)
            ),
            "population.parquet",
            None,
            "changed since datapackage.json",
            absent="sweep.yaml",
        ),
        # an output path under a file was found only after the work was done, and --table's
        # failure named --out
        "fresh_table_under_a_file": Case(
            lambda ctx: ["run", "shared_dms", "--table", str(ctx.work / "outside.txt" / "t.csv")],
            "t.csv",
            "--table",
            "is a file, not a folder",
        ),
    }
)


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_input(name, tmp_path, monkeypatch, capsys):
    _run_case(CASES[name], tmp_path, monkeypatch, capsys)


def test_enough_cases():
    assert len(CASES) + len(EXTRA_CASES) >= 60


# ------------------------------------------------------------------------------------------------
# cases that need more than one command line
# ------------------------------------------------------------------------------------------------
EXTRA_CASES = (
    "test_resume_refuses_changed_data",
    "test_damaged_sweep_part_on_resume",
    "test_sweep_part_without_records",
    "test_stdout_on_a_full_device",
    "test_out_on_a_read_only_file_system",
    "test_out_on_a_full_file_system",
    "test_memory_error_is_one_line",
    "test_numpy_warning_before_an_error_is_dropped",
    "test_run_all_names_the_failing_scenario_and_goes_on",
    "test_second_run_into_a_locked_folder",
)

TINY_SWEEP = "base: shared_dms\noutput: {years: [2026, 2030]}\ngrid: {levers.max_refusal: [0.02, 0.05, 0.1]}\n"


def _started_sweep(tmp_path: Path) -> tuple[Path, Path]:
    from planning.sweep import run_sweep

    f = tmp_path / "s.yaml"
    f.write_text(TINY_SWEEP, encoding="utf-8")
    out = tmp_path / "sw"
    run_sweep(f, out, workers=1, progress=False, chunk_size=1, limit=2)
    parts = sorted((out / "parts").glob("part-*.parquet"))
    assert len(parts) == 2
    return f, out


def test_resume_refuses_changed_data(tmp_path, monkeypatch, capsys):
    ctx = Ctx(tmp_path, monkeypatch)
    d = ctx.data()
    _clear()
    f, out = _started_sweep(tmp_path)
    _replace("value: 22.2", "value: 44.4")(d / "services.yaml")
    _clear()
    # not recorded: the data check refuses it
    assert main(["sweep", str(f), "--out", str(out), "--resume", "--no-progress"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "services.yaml" in line and "changed since" in line
    # recorded as a new data version: resume refuses to mix old and new results
    ctx.record()
    _clear()
    before = _snapshot(tmp_path)
    assert main(["sweep", str(f), "--out", str(out), "--resume", "--no-progress"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "key '--resume'" in line and "data changed" in line and str(out.name) in line
    assert not (out / "results.parquet").exists()
    assert _snapshot(tmp_path) == before
    _clear()


def test_damaged_sweep_part_on_resume(tmp_path, capsys):
    f, out = _started_sweep(tmp_path)
    part = sorted((out / "parts").glob("part-*.parquet"))[0]
    part.write_bytes(part.read_bytes()[:40])
    assert main(["sweep", str(f), "--out", str(out), "--resume", "--no-progress"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert part.name in line and "damaged" in line


def test_sweep_part_without_records(tmp_path, capsys):
    f, out = _started_sweep(tmp_path)
    part = sorted((out / "parts").glob("part-*.parquet"))[0]
    pd.DataFrame({"x": [1]}).to_parquet(part)
    assert main(["sweep", str(f), "--out", str(out), "--resume", "--no-progress"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert part.name in line and "no variant records" in line


@pytest.mark.parametrize(
    "argv", [["scenarios", "show", "shared_dms"], ["sample-scenario"], ["data", "sources"]]
)
def test_stdout_on_a_full_device(argv):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "planning", *argv],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    assert proc.returncode == 2, proc.stderr
    line = _one_error_line(proc.stderr)
    assert "disk is full" in line


def _mount_tmpfs(where: Path, options: str) -> None:
    where.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.decode().strip()})")


def _umount(where: Path) -> None:
    subprocess.run(["umount", str(where)], capture_output=True)


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "shared_dms", "--out", "{d}/res"],
        ["project", "--end-year", "2030", "--out", "{d}/pop.csv"],
        ["backtest", "--out", "{d}/bt.csv"],
    ],
)
def test_out_on_a_read_only_file_system(tmp_path, capsys, argv):
    ro = tmp_path / "ro"
    _mount_tmpfs(ro, "ro,size=1m")
    try:
        code = main([a.format(d=ro) for a in argv])
        line = _one_error_line(capsys.readouterr().err)
        assert code == 2 and "read-only" in line and str(ro) in line and "key '--out'" in line
    finally:
        _umount(ro)


def test_out_on_a_full_file_system(tmp_path, capsys):
    full = tmp_path / "full"
    _mount_tmpfs(full, "size=64k")
    try:
        (full / "res").mkdir()
        (full / "res" / "earlier.txt").write_text("finished before")
        code = main(["run", "shared_dms", "--out", str(full / "res"), "--format", "csv"])
        line = _one_error_line(capsys.readouterr().err)
        assert code == 2 and "disk is full" in line and "key '--out'" in line
        left = [p.name for p in (full / "res").rglob("*") if p.name.startswith(".tmp-")]
        assert left == [], "a temporary file was left behind"
        assert (full / "res" / "earlier.txt").read_text() == "finished before"
    finally:
        _umount(full)


def test_memory_error_is_one_line(monkeypatch, capsys):
    def boom(*a, **k):
        raise MemoryError

    monkeypatch.setattr(scenarios, "run", boom)
    assert main(["run", "shared_dms"]) == 2
    assert "out of memory" in _one_error_line(capsys.readouterr().err)


def test_numpy_warning_before_an_error_is_dropped(monkeypatch, capsys):
    import numpy as np

    def warn_then_fail(*a, **k):
        np.log(np.zeros(3))  # RuntimeWarning: divide by zero
        warnings.warn("something odd", UserWarning, stacklevel=1)
        raise InputError("bad", file="f.yaml", key="k")

    monkeypatch.setattr(scenarios, "run", warn_then_fail)
    assert main(["run", "shared_dms"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line == "error: f.yaml key 'k': bad"


def test_run_all_names_the_failing_scenario_and_goes_on(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "scn"
    shutil.copytree(ROOT / "scenarios", folder)
    names = sorted(p.stem for p in folder.glob("*.yaml"))
    broken = "zz_broken"
    parent = "shared_dms" if "shared_dms" in names else names[0]
    (folder / f"{broken}.yaml").write_text(f"extends: {parent}\nlevers: {{max_refusal: 7}}\n")
    monkeypatch.setenv("VAERNES_SCENARIOS_DIR", str(folder))
    scenarios.clear_cache()
    out = tmp_path / "out"
    try:
        code = main(["run", "--all", "--out", str(out)])
    finally:
        scenarios.clear_cache()
    captured = capsys.readouterr()
    line = _one_error_line(captured.err)
    assert code == 2
    assert f"scenario {broken}" in line and f"{broken}.yaml" in line
    assert "key 'levers.max_refusal'" in line
    done = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert done == names  # every other scenario ran and was written


def test_second_run_into_a_locked_folder(tmp_path):
    from filelock import FileLock

    from planning.io import LOCK_NAME, locked

    out = tmp_path / "out"
    out.mkdir()
    held = FileLock(str(out / LOCK_NAME))
    held.acquire()
    try:
        with pytest.raises(PlanningError) as info, locked(out, timeout=0.2):
            pass
        assert "another run is writing into this folder" in str(info.value)
        assert "\n" not in str(info.value)
    finally:
        held.release()


# ------------------------------------------------------------------------------------------------
# the right reading, where the fault was a silent misreading
# ------------------------------------------------------------------------------------------------
def test_the_same_literal_is_the_same_number_everywhere(tmp_path):
    f = tmp_path / "lit.yaml"
    f.write_text(
        DELTA
        + "levers: {max_refusal: 1e-3}\n"
        + "prices: {real_pay_growth: 1e-3}\n"
        + "services: {kad: {fte_per_bed: 1e-3}}\n",
        encoding="utf-8",
    )
    scn = scenarios.load_scenario(f)
    assert scn.levers.max_refusal == 0.001
    assert scn.prices.real_pay_growth.value == 0.001
    assert scn.catalogue().kad.fte_per_bed.value == 0.001


def test_units_empty_list_means_the_same_in_a_scenario_a_sweep_and_overrides(tmp_path):
    """One merge rule everywhere: under ``status_quo: true`` (deltas on today) ``units: []`` means
    no changes to today's units; with ``status_quo: false`` it means no shared units. The scenario
    file, apply_overrides and a sweep value read it alike in both cases."""
    from planning import sweep

    base = scenarios.load_scenario("shared_dms")
    assert base.organisation.units  # the base has shared units
    for status_quo, want in ((True, base.organisation.units), (False, [])):
        org = {"status_quo": status_quo, "units": []}
        f = tmp_path / f"sq_{status_quo}.yaml"
        f.write_text(
            DELTA + f"organisation: {{status_quo: {str(status_quo).lower()}, units: []}}\n",
            encoding="utf-8",
        )
        from_file = scenarios.load_scenario(f).organisation
        from_overrides = scenarios.apply_overrides(base, {"organisation": org}).organisation
        spec = sweep.load_sweep({"base": "shared_dms", "grid": {"organisation": {"v": org}}})
        (variant,) = sweep.variants_of(spec)
        from_sweep = scenarios.apply_overrides(base, variant.overrides).organisation
        assert from_file.units == from_overrides.units == from_sweep.units == want
    # and a unit named in a delta merges by name in all three
    kad = base.organisation.units[1].name
    assert "KAD" in kad
    g = tmp_path / "use.yaml"
    g.write_text(DELTA + f"organisation: {{units: [{{name: '{kad}', cost_key: use}}]}}\n")
    a = scenarios.load_scenario(g).organisation
    b = scenarios.apply_overrides(
        base, {"organisation": {"units": [{"name": kad, "cost_key": "use"}]}}
    ).organisation
    assert a == b and len(a.units) == len(base.organisation.units)
    assert a.units[1].cost_key == "use"


def test_semicolon_csv_with_decimal_commas_reads_the_same(tmp_path, monkeypatch):
    ctx = Ctx(tmp_path, monkeypatch)
    d = ctx.data()
    _clear()
    want = data.load_travel()
    pd.read_csv(d / "travel.csv").to_csv(d / "travel.csv", index=False, sep=";", decimal=",")
    ctx.record()
    _clear()
    got = data.load_travel()
    pd.testing.assert_frame_equal(got, want)
    _clear()


def test_a_link_inside_out_is_replaced_not_followed(tmp_path):
    res = scenarios.run("shared_dms")
    victim = tmp_path / "victim.parquet"
    victim.write_text("someone else's file")
    out = tmp_path / "out"
    (out / "shared_dms").mkdir(parents=True)
    (out / "shared_dms" / "metrics.parquet").symlink_to(victim)
    scenarios.write_result(res, out)
    assert victim.read_text() == "someone else's file"
    link = out / "shared_dms" / "metrics.parquet"
    assert not link.is_symlink() and len(pd.read_parquet(link)) == len(res.metrics())


def test_leftover_temporaries_are_removed_by_the_next_run(tmp_path):
    res = scenarios.run("shared_dms")
    out = tmp_path / "out"
    (out / "shared_dms").mkdir(parents=True)
    stale = [out / ".tmp-1234-results.parquet", out / "shared_dms" / ".tmp-99-metrics.parquet"]
    for p in stale:
        p.write_bytes(b"half")
    scenarios.write_result(res, out)
    assert not any(p.exists() for p in stale)
    assert not list(out.rglob(".tmp-*"))


def test_report_index_keeps_earlier_runs(tmp_path):
    from planning.reports import ReportResult, merge_index, write_index

    out = tmp_path / "reports"
    out.mkdir()
    (out / "a.html").write_text("<html>a</html>")
    write_index([ReportResult("a", "ok", html="a.html")], out, names={})
    (out / "b.html").write_text("<html>b</html>")
    merged = merge_index(out, [ReportResult("b", "ok", html="b.html")])
    assert [r.scenario for r in merged] == ["a", "b"]
    write_index(merged, out, names={})
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "a.html" in page and "b.html" in page
    # a report rendered again replaces its entry; one whose file is gone is dropped
    (out / "a.html").unlink()
    again = merge_index(out, [ReportResult("b", "failed", error="x")])
    assert [(r.scenario, r.status) for r in again] == [("b", "failed")]


def test_no_bed_count_above_the_people_served():
    from planning.capacity import beds_for_blocking

    assert beds_for_blocking(5_000.0, 0.01, max_beds=4_000) == 4_000
    assert beds_for_blocking(10.0, 0.05, max_beds=1_000) == beds_for_blocking(10.0, 0.05)
