"""``planning project``: project the population of municipalities or a region."""

from __future__ import annotations

import argparse
from pathlib import Path

from planning.commands import add_where, where, whole
from planning.errors import InputError

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "project",
        help="project the population by municipality, year, sex and age",
        description=(
            "Project the 1 January population (cohort-component by default) and print totals, "
            "67+, 80+, 90+ and the old-age dependency ratio; with --runs, P10/P50/P90 as well."
        ),
    )
    add_where(p, default="vaernes")
    p.add_argument(
        "--base-year", type=int, default=2026, help="base year (default 2026, the latest observed)"
    )
    p.add_argument("--end-year", type=int, default=2050, help="last projected year (default 2050)")
    p.add_argument(
        "--method", default="cohort-component", help="cohort-component (default) or hamilton-perry"
    )
    p.add_argument(
        "--variant",
        default="MMM",
        help="letters L/M/H for fertility, life expectancy, migration (default MMM)",
    )
    p.add_argument(
        "--runs",
        type=whole(0),
        default=0,
        help="Monte Carlo runs beyond the central run (default 0)",
    )
    p.add_argument("--seed", type=whole(0), default=None, help="random seed for --runs")
    p.add_argument(
        "--out", type=Path, default=None, help="write the tidy frame to FILE (.csv or .parquet)"
    )
    p.set_defaults(func=_project)


def _summary(pop, runs: int) -> str:
    from planning import data, demography, stats

    names = data.municipality_names()
    years = sorted(pop["year"].unique())
    show = [y for y in years if y in (years[0], years[-1]) or (y % 5 == 0)]
    sel = pop[pop["year"].isin(show)]
    tot = demography.group_totals(sel, ["total", "67+", "80+", "90+"])
    region = demography.group_totals(demography.to_region(sel), ["total", "67+", "80+", "90+"])
    both = [tot, region] if pop["municipality_code"].nunique() > 1 else [tot]
    import pandas as pd

    t = pd.concat(both, ignore_index=True)
    central = t[t["run"] == 0].drop(columns="run") if "run" in t.columns else t
    wide = central.pivot_table(
        index=["municipality_code", "year"], columns="age_group", values="population", sort=False
    )
    lines = [f"{'municipality':<22}{'year':>6}{'total':>10}{'67+':>9}{'80+':>9}{'90+':>8}"]
    for (code, year), row in wide.iterrows():
        label = "region" if code == "region" else f"{code} {names.get(code, '')}"[:21]
        lines.append(
            f"{label:<22}{year:>6}{row['total']:>10,.0f}{row['67+']:>9,.0f}{row['80+']:>9,.0f}{row['90+']:>8,.0f}"
        )
    if runs > 0:
        end = t[t["year"] == years[-1]]
        q = stats.quantiles(end, ["municipality_code", "age_group"], value="population")
        lines.append("")
        lines.append(f"P10 / P50 / P90 in {years[-1]} over {runs} runs")
        for _, r in q[q["age_group"].isin(["total", "80+"])].iterrows():
            code = r["municipality_code"]
            label = "region" if code == "region" else f"{code} {names.get(code, '')}"[:21]
            lines.append(
                f"{label:<22}{r['age_group']:>6}  {r['p10']:>9,.0f} {r['p50']:>9,.0f} {r['p90']:>9,.0f}"
            )
    dep = demography.dependency_ratios(pop[pop["year"].isin([years[0], years[-1]])])
    if "run" in dep.columns:
        dep = dep[dep["run"] == 0]
    lines.append("")
    lines.append("old-age dependency ratio (67+ per person aged 20-66):")
    for code, g in dep.groupby("municipality_code", sort=False):
        vals = ", ".join(
            f"{int(y)}: {v:.2f}" for y, v in zip(g["year"], g["old_age_dependency"], strict=True)
        )
        lines.append(f"  {code} {names.get(code, '')}: {vals}")
    return "\n".join(lines)


def _project(args: argparse.Namespace) -> int:
    from planning import demography

    spec = where(args) or "vaernes"
    if args.out is not None and args.out.suffix.lower() not in FORMATS:
        raise InputError(
            f"unknown output format '{args.out.suffix}'", key="--out", allowed=", ".join(FORMATS)
        )
    if args.out is not None:
        from planning.io import check_output

        check_output(args.out, "--out")
    from planning import data, limits
    from planning.errors import LimitError

    if args.runs > 0:
        n = len(data.resolve_municipalities(spec))
        years = args.end_year - args.base_year + 1
        limits.announce(
            limits.estimate_seconds(args.runs, n, years, limits.PROJECTION_SECONDS_PER_CELL),
            f"{args.runs} runs",
            limits.fits(args.runs, n, years, limits.PROJECTION_BYTES_PER_CELL),
        )
    try:
        pop = demography.project(
            spec,
            base_year=args.base_year,
            end_year=args.end_year,
            method=args.method,
            variant=args.variant,
            runs=args.runs,
            seed=args.seed,
        )
    except LimitError as e:
        raise LimitError(e.problem, key="--runs", allowed=e.allowed) from None
    print(
        f"{args.method}, variant {args.variant.upper()}, {args.base_year}-{args.end_year}"
        + (f", {args.runs} Monte Carlo runs (seed {args.seed})" if args.runs else "")
        + "; population on 1 January (persons)"
    )
    print(_summary(pop, args.runs))
    print(
        "settings from data/demography.yaml; labelled assumption (no published source): "
        + ", ".join(demography.assumptions())
    )
    if args.out is not None:
        from planning.io import make_dir, write_frame

        make_dir(args.out.parent)
        write_frame(pop, args.out, FORMATS[args.out.suffix.lower()])
        print(f"wrote {len(pop):,} rows to {args.out}")
    return 0
