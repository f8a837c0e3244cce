"""``planning export SCENARIO --xlsx FILE``: a scenario's report numbers as one spreadsheet."""

from __future__ import annotations

import argparse
from pathlib import Path

from planning.commands import add_where, where_overrides, whole


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="write a scenario's tables and chart data as one .xlsx spreadsheet",
        description=(
            "Run a scenario and its reference and write every table and chart's data of its report "
            "(økonomiplan tables per municipality and region, workforce, demand, capacity, FTE, "
            "costs, assumptions and sources) as one .xlsx file, one sheet per table."
        ),
    )
    p.add_argument("scenario", help="scenario name (see `planning scenarios list`) or a .yaml file")
    p.add_argument(
        "--xlsx", type=Path, required=True, metavar="FILE", help="the .xlsx file to write"
    )
    p.add_argument(
        "--reference",
        default=None,
        help="scenario to show the change against (default: the reference of `scenarios.compare`)",
    )
    p.add_argument(
        "--runs", type=whole(0), default=0, help="Monte Carlo runs (default 0: central run only)"
    )
    p.add_argument(
        "--seed", type=whole(0), default=None, help="random seed (default: the scenario's)"
    )
    p.add_argument("--lang", default="nb", help="language of headers: nb (default) or en")
    add_where(p)
    p.set_defaults(func=_export)


def _export(args: argparse.Namespace) -> int:
    from planning import export, scenarios
    from planning.errors import InputError
    from planning.i18n import check_language

    lang = check_language(args.lang)
    if args.runs < 0:
        raise InputError(
            "--runs must be 0 or more", key="--runs", allowed=f"0..{scenarios.MAX_RUNS}"
        )
    path = args.xlsx
    if path.suffix.lower() != ".xlsx":
        raise InputError(
            f"{path}: the spreadsheet file must end in .xlsx", key="--xlsx", allowed="FILE.xlsx"
        )
    if not path.resolve().parent.is_dir():
        raise InputError(f"{path}: folder {path.resolve().parent} does not exist", key="--xlsx")
    from planning.io import check_output

    check_output(path, "--xlsx")
    scn = scenarios.apply_overrides(scenarios.load_scenario(args.scenario), where_overrides(args))
    result = scenarios.run(scn, runs=args.runs, seed=args.seed)
    ref_name = args.reference or export.default_reference()
    # the reference for the same municipalities, horizon and runs (today of the region)
    reference = result if ref_name == result.name else scenarios.run_like(ref_name, result)
    sheets = export.report_sheets(result, reference, lang)
    export.write_xlsx(sheets, path)
    print(f"wrote {path} ({len(sheets)} sheets, {path.stat().st_size / 1e3:,.0f} kB)")
    return 0
