"""``planning regions``: list the regions of data/regions.json, or the municipalities of one."""

from __future__ import annotations

import argparse

from planning.commands import add_where, where


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "regions",
        help="list the regions (named, every county, norway) or the municipalities of one",
        description=(
            "Without options: every region in data/regions.json with its number of "
            "municipalities and source. With --region or --municipalities: the municipalities "
            "it resolves to, with names, county, centre and its status."
        ),
    )
    add_where(p)
    p.set_defaults(func=_regions)


def _regions(args: argparse.Namespace) -> int:
    from planning import data

    spec = where(args)
    if spec is None:
        t = data.regions_table()
        width = max(len(r) for r in t["region"])
        for r in t.itertuples(index=False):
            alias = f" (county-{r.county_code})" if r.county_code else ""
            print(f"{r.region:<{width}}  {r.n_municipalities:>3}  {r.name}{alias}")
            if r.kind == "named":
                print(f"{'':<{width}}       source: {r.source}")
        print("any list of 4-digit municipality codes or names works too (--municipalities)")
        return 0
    codes = data.resolve_municipalities(spec)
    m = data.load_municipalities().set_index("municipality_code")
    places = data.load_places()
    centres = places[places["role"].str.contains("municipality_centre")].set_index(
        "municipality_code"
    )
    label = data.region_label(spec) if isinstance(spec, str) else "municipalities"
    print(f"{label}: {len(codes)} municipalities")
    for c in codes:
        centre = centres.loc[c]
        print(
            f"  {c}  {m.loc[c, 'municipality_name']:<28} {m.loc[c, 'county_name'].split('-')[0]:<18}"
            f" centre: {centre['name']} ({centre['status']})"
        )
    return 0
