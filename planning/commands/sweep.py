"""``planning sweep SWEEP.yaml --out DIR``: run every variant of a sweep file (see docs/sweeps.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from planning.commands import add_where, where_overrides, whole


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sweep",
        help="run every variant of a sweep file (grid / random / Latin hypercube), resumable",
        description=(
            "Run every variant of a sweep file and write results.parquet (variant, parameters, "
            "municipality_code, year, metric, value), summary.csv, variants.csv and errors.csv "
            "into --out. Local processes by default; --scheduler tcp://HOST:8786 or --dask local "
            "runs on dask.distributed. Re-run with --resume after a crash or Ctrl-C."
        ),
    )
    p.add_argument("sweep_file", type=Path, metavar="SWEEP.yaml", help="sweep file")
    p.add_argument("--out", type=Path, required=True, help="output folder (created)")
    p.add_argument("--resume", action="store_true", help="skip variants already finished in --out")
    p.add_argument(
        "--workers", type=whole(1), default=None, help="local processes (default: all cores)"
    )
    backend = p.add_mutually_exclusive_group()
    backend.add_argument(
        "--scheduler", default=None, metavar="tcp://HOST:8786", help="address of a dask scheduler"
    )
    backend.add_argument(
        "--dask", choices=["local"], default=None, help="run on a dask LocalCluster on this machine"
    )
    p.add_argument(
        "--chunk-size", type=whole(1), default=None, help="variants per task (default: auto)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--dry-run", action="store_true", help="check the file and list the variants; run nothing"
    )
    add_where(p)
    p.set_defaults(func=_sweep)


def _sweep(args: argparse.Namespace) -> int:
    from planning import sweep as sw
    from planning.errors import InputError
    from planning.io import check_output

    spec = sw.load_sweep(args.sweep_file)
    if not args.dry_run:
        check_output(args.out, "--out", folder=True)
    overrides = where_overrides(args)
    engine = sw.ScenarioEngine(base_overrides=json.dumps(overrides) if overrides else "")
    if args.chunk_size is not None and args.chunk_size < 1:
        raise InputError("must be at least 1", key="--chunk-size")
    if args.dry_run:
        import itertools

        n = sw.check_size(spec)
        if n <= sw.DRY_RUN_CHECK_LIMIT:
            sw.variants_of(spec)  # identical variants are refused
        first = list(itertools.islice(sw.iter_variants(spec), 20))  # never all of them
        sw.check_axes(spec, engine, sw.load_base(spec, engine))
        print(f"{n} variants; axes: {', '.join(spec.axes) or '(none)'}")
        print(sw.describe(first))
        if n > 20:
            print(f"... and {n - 20} more")
        return 0
    scheduler = args.scheduler or args.dask
    try:
        outcome = sw.run_sweep(
            spec,
            args.out,
            workers=args.workers,
            scheduler=scheduler,
            resume=args.resume,
            progress=not args.no_progress,
            chunk_size=args.chunk_size,
            engine=engine,
        )
    except KeyboardInterrupt:
        print(
            f"finished variants are saved in {args.out}; re-run with --resume to continue",
            file=sys.stderr,
        )
        raise
    print(
        f"{outcome.total} variants ({outcome.ran} run now, {outcome.skipped} already done, "
        f"{outcome.failed} failed) on {outcome.backend} in {outcome.seconds:.1f} s"
        + (f" ({outcome.rate:.1f} variants/s)" if outcome.ran else "")
    )
    print(f"results: {outcome.results} ({outcome.rows:,} rows)")
    print(f"summary: {outcome.out / 'summary.csv'}; variants: {outcome.out / 'variants.csv'}")
    if outcome.failed:
        print(f"errors:  {outcome.out / 'errors.csv'}", file=sys.stderr)
        for _, r in outcome.errors.head(5).iterrows():
            print(f"  variant {r['variant_index']} ({r['variant']}): {r['error']}", file=sys.stderr)
    return 1 if outcome.failed == outcome.total and outcome.total else 0
