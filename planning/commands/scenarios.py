"""``planning run``, ``planning scenarios list|show|validate`` and ``planning sample-scenario``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planning.commands import add_where, where_overrides, whole
from planning.errors import InputError

OUTPUT_FORMATS = ("parquet", "csv")


def register(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser(
        "run",
        help="run a scenario and print its summary",
        description="Run a shipped scenario (by name) or a scenario file and print its summary.",
    )
    r.add_argument(
        "scenario", nargs="?", help="scenario name (see `planning scenarios list`) or a .yaml file"
    )
    r.add_argument("--all", action="store_true", help="run every shipped scenario")
    r.add_argument(
        "--runs",
        type=whole(0),
        default=None,
        help="Monte Carlo runs beyond the central run (default: the scenario's)",
    )
    r.add_argument(
        "--seed", type=whole(0), default=None, help="random seed (default: the scenario's)"
    )
    r.add_argument(
        "--out", type=Path, default=None, help="write the tidy frames into OUT/<scenario>/"
    )
    r.add_argument(
        "--format",
        choices=OUTPUT_FORMATS,
        default="parquet",
        help="file format for --out (default parquet)",
    )
    r.add_argument("--lang", default="nb", help="language of titles: nb (default) or en")
    r.add_argument(
        "--table",
        type=Path,
        default=None,
        metavar="FILE",
        help=(
            "write the table per municipality and year (population, users, places, FTE, cost) "
            "to FILE (.csv or .parquet); with --region norway the national table"
        ),
    )
    add_where(r)
    r.set_defaults(func=_run)

    s = sub.add_parser("scenarios", help="list, show or validate scenarios")
    ssub = s.add_subparsers(dest="scenarios_command", metavar="ACTION", required=True)
    lp = ssub.add_parser("list", help="list the shipped scenarios with their titles")
    lp.add_argument("--lang", default="nb", help="language of titles: nb (default) or en")
    lp.set_defaults(func=_list)
    sp = ssub.add_parser("show", help="print a scenario with `extends` resolved")
    sp.add_argument("name", help="scenario name or .yaml file")
    add_where(sp)
    sp.set_defaults(func=_show)
    vp = ssub.add_parser("validate", help="validate scenario files (exit 2 on the first error)")
    vp.add_argument("files", nargs="+", help="scenario .yaml files or names")
    add_where(vp)
    vp.set_defaults(func=_validate)

    sample = sub.add_parser(
        "sample-scenario",
        help="print a complete, valid scenario with every default and its source",
    )
    add_where(sample)
    sample.set_defaults(func=_sample)


def _check_lang(lang: str) -> str:
    if lang not in ("nb", "en"):
        raise InputError(f"unknown language '{lang}'", key="--lang", allowed="nb, en")
    return lang


def _run(args: argparse.Namespace) -> int:
    from planning import scenarios

    lang = _check_lang(args.lang)
    if args.all == (args.scenario is not None):
        raise InputError(
            "give one SCENARIO or --all", key="run", allowed=scenarios.list_scenarios()
        )
    if args.runs is not None and args.runs < 0:
        raise InputError(
            "--runs must be 0 or more", key="--runs", allowed=f"0..{scenarios.MAX_RUNS}"
        )
    if args.table is not None and args.table.suffix.lower() not in (".csv", ".parquet"):
        raise InputError(
            f"unknown table format '{args.table.suffix}'", key="--table", allowed=".csv, .parquet"
        )
    from planning.io import check_output

    if args.out is not None:
        check_output(args.out, "--out", folder=True)
    if args.table is not None:
        check_output(args.table, "--table")
    overrides = where_overrides(args)
    from planning.errors import PlanningError

    names = scenarios.list_scenarios() if args.all else [args.scenario]
    failed: list[str] = []
    for i, name in enumerate(names):
        try:
            _announce(name, args.runs)
            scn = scenarios.apply_overrides(scenarios.load_scenario(name), overrides)
            result = scenarios.run(scn, runs=args.runs, seed=args.seed)
        except PlanningError as e:
            from planning.errors import LimitError

            if isinstance(e, LimitError) and args.runs is not None:
                e = LimitError(e.problem, key="--runs", allowed=e.allowed)
            if not args.all:
                raise e from None
            # run --all: say which scenario failed, one line, and go on with the rest
            print(f"error: scenario {name}: {e}", file=sys.stderr, flush=True)
            failed.append(name)
            continue
        if i:
            print()
        print(scenarios.format_summary(result, lang=lang))
        if args.out is not None:
            written = scenarios.write_result(result, args.out, fmt=args.format)
            print(f"wrote {len(written)} files to {written[0].parent}")
        if args.table is not None:
            from planning.io import make_dir, write_frame

            table = scenarios.municipality_year_table(result)
            path = args.table
            if len(names) > 1:
                path = path.with_name(f"{path.stem}_{name}{path.suffix}")
            make_dir(path.parent, key="--table")
            fmt = "csv" if path.suffix.lower() == ".csv" else "parquet"
            write_frame(table, path, fmt, key="--table")
            print(
                f"wrote {len(table):,} rows ({table['municipality_code'].nunique()} municipalities) to {path}"
            )
    return 2 if failed else 0


def _announce(name: str, runs: int | None) -> None:
    """A note on stderr before a run estimated to take more than a minute."""
    from planning import limits, scenarios

    scn = scenarios.load_scenario(name)
    n = scn.demography.runs if runs is None else runs
    if n > 0:
        years = scn.horizon.end_year - scn.horizon.base_year + 1
        m = len(scn.municipality_codes())
        limits.announce(
            limits.estimate_seconds(n, m, years, limits.SCENARIO_SECONDS_PER_CELL),
            f"scenario {scn.name}, {n} runs",
            limits.fits(n, m, years, limits.SCENARIO_BYTES_PER_CELL),
        )


def _list(args: argparse.Namespace) -> int:
    from planning import scenarios
    from planning.errors import PlanningError

    lang = _check_lang(args.lang)
    names = scenarios.list_scenarios()
    width = max((len(n) for n in names), default=0)
    broken = 0
    for name in names:
        try:
            scn = scenarios.load_scenario(name)
        except PlanningError as e:  # list the others; name this one and what is wrong with it
            print(f"{name:<{width}}  (invalid: see the error below)")
            print(f"error: scenario {name}: {e}", file=sys.stderr, flush=True)
            broken += 1
            continue
        base = f"  (extends {scn.extends})" if scn.extends else ""
        print(f"{name:<{width}}  {getattr(scn.title, lang)}{base}")
    return 2 if broken else 0


def _show(args: argparse.Namespace) -> int:
    from planning import scenarios

    scn = scenarios.apply_overrides(scenarios.load_scenario(args.name), where_overrides(args))
    chain = " -> ".join(Path(p).stem for p in scn.lineage)
    print(f"# {scn.name}: {scn.title.nb} / {scn.title.en}")
    print(f"# file: {scn.file}")
    print(f"# extends chain: {chain}")
    print(f"# municipalities: {', '.join(scn.municipality_codes())}")
    print(f"# fingerprint: {scn.fingerprint()}")
    sys.stdout.write(scn.to_yaml())
    return 0


def _validate(args: argparse.Namespace) -> int:
    from planning import scenarios

    overrides = where_overrides(args)
    for f in args.files:
        scn = scenarios.apply_overrides(scenarios.load_scenario(f), overrides)
        scn.catalogue()  # the catalogue with the scenario's overrides must validate too
        print(
            f"ok: {f} ({scn.name}; {len(scn.organisation.units)} shared units; "
            f"{scn.horizon.base_year}-{scn.horizon.end_year})"
        )
    return 0


def _sample(args: argparse.Namespace) -> int:
    from planning import scenarios

    sys.stdout.write(scenarios.sample_scenario(where_overrides(args)))
    return 0
