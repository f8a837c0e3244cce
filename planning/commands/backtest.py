"""``planning backtest``: project from a past base year and compare with what happened."""

from __future__ import annotations

import argparse
from pathlib import Path

from planning.commands import add_where, where, whole


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "backtest",
        help="project from a past base year and report %% errors against the observed population",
        description=(
            "Project from --base-year with only data up to that year (both methods) and compare "
            "with the observed population at --end-year: %% error per municipality and age group, "
            "MAPE and MALPE across municipalities."
        ),
    )
    add_where(p, default="vaernesregionen")
    p.add_argument("--base-year", type=int, default=2016)
    p.add_argument(
        "--end-year", type=int, default=None, help="default 2026 (population), 2025 (--demand)"
    )
    p.add_argument(
        "--demand",
        action="store_true",
        help=(
            "backtest service demand instead: users of home services, long-term institutional "
            "stays, housing with 24-hour staff and heldøgn in total against what KOSTRA counted"
        ),
    )
    p.add_argument(
        "--population",
        choices=["projected", "observed", "both"],
        default="both",
        help="--demand: population projected from the base year, observed, or both (default)",
    )
    p.add_argument(
        "--method",
        nargs="+",
        default=None,
        help="methods (default: cohort-component hamilton-perry)",
    )
    p.add_argument(
        "--markdown", action="store_true", help="print Markdown tables (for docs/demography.md)"
    )
    p.add_argument(
        "--summary-only",
        action="store_true",
        help="print only the MAPE / MALPE summary (automatic for more than 30 municipalities)",
    )
    p.add_argument(
        "--bands",
        type=whole(10),
        default=None,
        metavar="RUNS",
        help="also check the Monte Carlo P10-P90 band of RUNS runs: how often it held what was observed",
    )
    p.add_argument("--seed", type=whole(0), default=1, help="seed of the --bands runs (default 1)")
    p.add_argument("--out", type=Path, default=None, help="write the error table to FILE (.csv)")
    p.set_defaults(func=_backtest)


def _backtest(args: argparse.Namespace) -> int:
    from planning import backtest, demography

    spec = where(args) or "vaernesregionen"
    if args.out is not None:
        from planning.io import check_output

        check_output(args.out, "--out")
    if args.demand:
        return _demand(args, spec)
    args.end_year = 2026 if args.end_year is None else args.end_year
    methods = args.method or list(demography.METHODS)
    for m in methods:
        demography._check_method(m)
    if args.bands is not None and args.bands > 0:
        from planning import data
        from planning.limits import check_projection

        n = len(data.resolve_municipalities(spec))  # band_coverage projects blocks of 40
        check_projection(
            args.bands,
            min(n, 40),
            args.end_year - args.base_year + 1,
            key="--bands",
            what="the band check",
        )
    res = backtest.backtest(spec, base_year=args.base_year, end_year=args.end_year, methods=methods)
    if args.markdown:
        print(backtest.markdown(res))
    else:
        s = backtest.summarise(res)
        n_codes = res["municipality_code"].nunique()
        if not (args.summary_only or n_codes > 30):
            wide = res.pivot_table(
                index=["municipality_code", "method"], columns="age_group", values="pe", sort=False
            )
            print(
                f"% error at {args.end_year} of projections from {args.base_year} (projected - observed) / observed"
            )
            print(wide.round(1).to_string())
            print()
        changed = sorted(res.loc[res["boundary_change"], "municipality_code"].unique())
        print(
            f"across {n_codes - len(changed)} municipalities: MAPE (mean absolute % error), "
            f"MALPE (mean signed % error), MedAPE (median absolute % error) at {args.end_year}"
        )
        if changed:
            print(
                "left out (total changed by more than a tenth in one year between the base "
                "window and the end year: boundary changes and back-series breaks): "
                + ", ".join(changed)
            )
        print(
            s.pivot_table(
                index="method", columns="age_group", values=["mape", "malpe", "medape"], sort=False
            )
            .round(1)
            .to_string()
        )
    if args.bands is not None:
        from planning.errors import InputError, LimitError

        try:
            band = backtest.band_coverage(
                spec, args.base_year, args.end_year, runs=args.bands, seed=args.seed
            )
        except LimitError as e:
            raise LimitError(e.problem, key="--bands", allowed=e.allowed) from None
        except InputError as e:
            if e.key != "runs":
                raise
            raise InputError(e.problem, key="--bands", allowed=e.allowed) from None
        kept = band[~band["boundary_change"]]
        share = kept.groupby("age_group", sort=False)["inside"].agg(["sum", "count"])
        print()
        print(
            f"Monte Carlo P10-P90 band from {args.base_year} ({args.bands} runs, seed {args.seed}) "
            f"held the observed {args.end_year} value (about 80 % expected):"
        )
        for group, row in share.iterrows():
            print(
                f"  {group:>6}: {int(row['sum'])} of {int(row['count'])} municipalities "
                f"({100 * row['sum'] / row['count']:.0f} %)"
            )
        if kept["municipality_code"].nunique() <= 30:
            print(
                kept.drop(columns=["base_year", "end_year", "boundary_change"])
                .round(0)
                .to_string(index=False)
            )
    if args.out is not None:
        from planning.io import make_dir, write_frame

        make_dir(args.out.parent)
        write_frame(res, args.out, "csv")
        print(f"wrote {len(res)} rows to {args.out}")
    return 0


def _demand(args: argparse.Namespace, spec) -> int:
    import pandas as pd

    from planning import backtest

    end = 2025 if args.end_year is None else args.end_year
    modes = ["projected", "observed"] if args.population == "both" else [args.population]
    res = pd.concat(
        [backtest.demand_backtest(spec, args.base_year, end, population=m) for m in modes],
        ignore_index=True,
    )
    if args.markdown:
        print(backtest.demand_markdown(res))
    else:
        n_codes = res["municipality_code"].nunique()
        if not (args.summary_only or n_codes > 30):
            wide = res.pivot_table(
                index=["population", "municipality_code"],
                columns="service",
                values=["pe", "pe_reference"],
                sort=False,
            )
            print(
                f"% error at {end} of service users projected from {args.base_year} "
                "(pe: default model, pe_reference: constant rates)"
            )
            print(wide.round(1).to_string())
            print()
        print(
            f"across municipalities with KOSTRA counts: MAPE, MALPE, MedAPE (%) at {end}; "
            "total_pe = % error of the summed users"
        )
        print(
            backtest.summarise_demand(res)
            .drop(columns=["base_year", "end_year"])
            .round(1)
            .to_string(index=False)
        )
    if args.bands is not None:
        band = backtest.demand_band_coverage(
            spec, args.base_year, end, runs=args.bands, seed=args.seed
        )
        print()
        print(
            f"demand Monte Carlo P10-P90 band from {args.base_year} ({args.bands} runs, seed "
            f"{args.seed}) held the KOSTRA count at {end} (about 80 % expected):"
        )
        kept = band[~band["boundary_change"] & band["observed"].notna()]
        share = kept.groupby("service", sort=False)["inside"].agg(["sum", "count"])
        for service, row in share.iterrows():
            print(
                f"  {service:>16}: {int(row['sum'])} of {int(row['count'])} municipalities "
                f"({100 * row['sum'] / row['count']:.0f} %)"
            )
    if args.out is not None:
        from planning.io import make_dir, write_frame

        make_dir(args.out.parent)
        write_frame(res, args.out, "csv")
        print(f"wrote {len(res)} rows to {args.out}")
    return 0
