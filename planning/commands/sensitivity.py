"""``planning sensitivity SCENARIO``: the tornado (what moves the headlines) and
``planning decompose SCENARIO``: the waterfall from the first year to the horizon."""

from __future__ import annotations

import argparse
from pathlib import Path

from planning.commands import whole
from planning.errors import InputError
from planning.i18n import fmt_signed


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser(
        "sensitivity",
        help="tornado: how far each assumption moves the headlines, low to high",
        description=(
            "Set each assumption of data/ranges.yaml to its low and its high value (all others "
            "central) and print how far the headlines at the horizon move: FTE, yearly cost, beds "
            "and their difference against the reference scenario. The largest first; the "
            "assumptions that move no headline by 1 %% or more are listed at the end."
        ),
    )
    s.add_argument("scenario", help="scenario name or .yaml file")
    s.add_argument(
        "--reference", default=None, help="scenario to compare with (default: compare()'s)"
    )
    s.add_argument("--top", type=whole(1), default=10, help="rows per headline (default 10)")
    s.add_argument("--out", type=Path, default=None, help="write the whole table as CSV")
    s.set_defaults(func=_sensitivity)

    d = sub.add_parser(
        "decompose",
        help="waterfall: why FTE and cost change from the first year to the horizon",
        description=(
            "Switch the drivers on one at a time, in a stated order, from the reference "
            "scenario's first year to this scenario at the horizon; the steps add up to the "
            "total change."
        ),
    )
    d.add_argument("scenario", help="scenario name or .yaml file")
    d.add_argument(
        "--reference",
        default=None,
        help="organisation to start from (default: compare()'s reference)",
    )
    d.add_argument("--out", type=Path, default=None, help="write the table as CSV")
    d.set_defaults(func=_decompose)


def _write(frame, out: Path | None) -> None:
    if out is None:
        return
    from planning.io import make_dir, write_frame

    make_dir(out.parent)
    write_frame(frame, out, "csv")
    print(f"wrote {out}")


def _check_out(out: Path | None) -> None:
    """Before the work: --out must be a file that can be written (planning.io.check_output)."""
    if out is not None:
        from planning.io import check_output

        check_output(out, "--out")


def _sensitivity(args: argparse.Namespace) -> int:
    from planning import sensitivity

    if args.top < 1:
        raise InputError(f"--top must be at least 1, got {args.top}", key="--top", allowed=">= 1")
    _check_out(args.out)
    table = sensitivity.tornado(args.scenario, args.reference)
    ref = table.attrs["reference"]
    print(f"Tornado for {table.attrs['scenario']} (reference {ref}); region, horizon year")
    for metric in dict.fromkeys(table["metric"]):
        top = sensitivity.largest(table, metric, args.top)
        if top.empty:
            continue
        print(f"\n{metric} (central {top['central'].iloc[0]:,.1f})")
        for r in top.itertuples(index=False):
            print(
                f"  {r.parameter:<58} {r.low:>11.4g} .. {r.high:<11.4g} "
                f"{r.at_low:>16,.1f} -> {r.at_high:<16,.1f} swing {fmt_signed(r.swing, 'en', 1)}"
            )
    quiet = sensitivity.not_material(table)
    print(f"\nMove no headline by 1 % or more ({len(quiet)}): {', '.join(quiet)}")
    listed = sorted(set(table.loc[~table["evaluated"], "parameter"]))
    print(f"Not swung (projection settings; see docs/demography.md): {', '.join(listed)}")
    _write(table, args.out)
    return 0


def _decompose(args: argparse.Namespace) -> int:
    from planning import decomposition

    _check_out(args.out)
    table = decomposition.waterfall(args.scenario, args.reference)
    print(decomposition.format_waterfall(table))
    _write(table, args.out)
    return 0
