"""``planning report``: render scenario reports (HTML) and the index page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planning.commands import add_where, seconds, where, where_overrides, whole
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
        "--runs", type=whole(0), default=None, help="Monte Carlo runs (default: the scenario's own)"
    )
    p.add_argument(
        "--seed", type=whole(0), default=None, help="random seed (default: the scenario's own)"
    )
    p.add_argument(
        "--workers", type=whole(1), default=2, help="reports rendered in parallel (default 2)"
    )
    p.add_argument(
        "--timeout",
        type=seconds,
        default=900.0,
        help="seconds a notebook cell may run (default 900)",
    )
    add_where(p)
    p.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from planning.io import check_output
    from planning.reports import render_reports, resolve_scenarios, summarise

    names = resolve_scenarios(args.scenarios, all_=args.all)
    spec = where(args)
    check_output(args.out, "--out", folder=True)
    names, broken = _loadable(names, args.runs, where_overrides(args))
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
    print(f"{ok} of {len(results) + len(broken)} report(s) rendered; index: {index}")
    if broken:
        print(f"not rendered (bad input, see above): {', '.join(broken)}", file=sys.stderr)
        return 2
    return 0 if failed == 0 else 1


def _loadable(names: list[str], runs: int | None, overrides: dict) -> tuple[list[str], list[str]]:
    """(scenarios to render, scenarios that cannot be): each is loaded, given the command's
    ``--region``/``--municipalities`` and checked against the memory limit before any kernel
    starts. With several scenarios, one that fails is named in one line on stderr and the others
    are still rendered (nothing else is lost); a single scenario's error, or ``--runs`` that no
    scenario can fit, is raised."""
    from planning.errors import LimitError, PlanningError

    ok: list[str] = []
    broken: list[str] = []
    for name in names:
        try:
            _check_memory(name, runs, overrides)
        except PlanningError as e:
            if len(names) == 1 or (isinstance(e, LimitError) and runs is not None):
                raise
            print(f"error: scenario {name}: {e}", file=sys.stderr, flush=True)
            broken.append(name)
            continue
        ok.append(name)
    if not ok:
        raise PlanningError(f"no scenario can be rendered ({', '.join(broken)}; see above)")
    return ok, broken


def _check_memory(name: str, runs: int | None, overrides: dict | None = None) -> None:
    """Load scenario ``name`` (with ``overrides``) and refuse, before any kernel starts, a report
    whose runs cannot fit (docs/limits.md); each worker renders one report at a time."""
    from planning import limits, scenarios
    from planning.errors import LimitError

    scn = scenarios.apply_overrides(scenarios.load_scenario(name), overrides or {})
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
