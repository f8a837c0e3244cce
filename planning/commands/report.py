"""``planning report``: render scenario reports (HTML) and the index page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planning.commands import add_where, where
from planning.i18n import LANGUAGES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="render HTML reports for scenarios and an index page",
        description=(
            "Run notebooks/report.ipynb once per scenario (papermill, fresh kernel each, in "
            "parallel), convert each to standalone offline HTML without code and write "
            "OUT/index.html with the headline figures of every scenario."
        ),
    )
    p.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help="scenario names (see `planning scenarios list`)",
    )
    p.add_argument("--all", action="store_true", help="render every shipped scenario")
    p.add_argument(
        "--out", type=Path, default=Path("reports"), help="output folder (default: reports/)"
    )
    p.add_argument(
        "--lang", choices=LANGUAGES, default="nb", help="report language: nb (default) or en"
    )
    p.add_argument(
        "--runs", type=int, default=None, help="Monte Carlo runs (default: the scenario's own)"
    )
    p.add_argument(
        "--seed", type=int, default=None, help="random seed (default: the scenario's own)"
    )
    p.add_argument(
        "--workers", type=int, default=2, help="reports rendered in parallel (default 2)"
    )
    p.add_argument(
        "--timeout", type=float, default=900.0, help="seconds a notebook cell may run (default 900)"
    )
    add_where(p)
    p.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from planning.io import check_output
    from planning.reports import render_reports, resolve_scenarios, summarise

    names = resolve_scenarios(args.scenarios, all_=args.all)
    spec = where(args)
    check_output(args.out, "--out", folder=True)
    _check_memory(names, args.runs)
    print(
        f"rendering {len(names)} report(s) with {min(args.workers, len(names))} worker(s) into {args.out}/ ...",
        flush=True,
    )

    def done(r) -> None:
        if r.status == "ok":
            print(
                f"  ok      {r.scenario:<24} {r.seconds:6.1f} s  {r.html_bytes / 1e6:5.1f} MB",
                flush=True,
            )
        else:
            where = f" (partial notebook: {args.out / r.notebook})" if r.notebook else ""
            print(
                f"  FAILED  {r.scenario:<24} {r.seconds:6.1f} s  {r.error}{where}",
                file=sys.stderr,
                flush=True,
            )

    results, index = render_reports(
        names,
        args.out,
        lang=args.lang,
        runs=args.runs,
        seed=args.seed,
        workers=args.workers,
        timeout=args.timeout,
        on_done=done,
        where=spec,
    )
    ok, failed = summarise(results)
    print(f"{ok} of {len(results)} report(s) rendered; index: {index}")
    return 0 if failed == 0 else 1


def _check_memory(names: list[str], runs: int | None) -> None:
    """Refuse before any kernel starts a report whose runs cannot fit (docs/limits.md); each
    worker renders one report at a time."""
    from planning import limits, scenarios
    from planning.errors import LimitError

    for name in names:
        scn = scenarios.load_scenario(name)
        n = scn.demography.runs if runs is None else runs
        try:
            limits.check_projection(
                n,
                len(scn.municipality_codes()),
                scn.horizon.end_year - scn.horizon.base_year + 1,
                per_cell=limits.SCENARIO_BYTES_PER_CELL,
                what=f"the report of {name}",
            )
        except LimitError as e:
            if runs is None:
                raise LimitError(
                    e.problem, file=scn.file, key="demography.runs", allowed=e.allowed
                ) from None
            raise LimitError(e.problem, key="--runs", allowed=e.allowed) from None
