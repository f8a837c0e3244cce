"""``planning data ...``: build, refresh, verify and describe the shipped data snapshot."""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.request
from pathlib import Path

from planning import data
from planning.errors import DataError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="build, refresh, verify or list the data snapshot")
    dsub = p.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    b = dsub.add_parser("build", help="build data/ from raw source files")
    b.add_argument(
        "--source",
        type=Path,
        default=Path("../shared/data"),
        help="raw data folder (default ../shared/data)",
    )
    b.add_argument(
        "--out", type=Path, default=None, help="output folder (default: the data folder in use)"
    )
    b.set_defaults(func=_build)

    r = dsub.add_parser(
        "refresh",
        help="fetch SSB table 07459 (PxWebApi, JSON-stat2) and rebuild the population snapshot",
    )
    r.add_argument(
        "--years",
        type=int,
        nargs="*",
        default=None,
        help="years to fetch (default: the latest in the snapshot)",
    )
    r.add_argument("--timeout", type=float, default=60.0)
    r.set_defaults(func=_refresh)

    v = dsub.add_parser(
        "verify", help="check every data file against its checksum in datapackage.json"
    )
    v.set_defaults(func=_verify)

    m = dsub.add_parser(
        "manifest",
        help="recompute checksums in datapackage.json after editing a parameter YAML file",
    )
    m.set_defaults(func=_manifest)

    s = dsub.add_parser(
        "sources", help="list every data file with publisher, table, year and licence"
    )
    s.set_defaults(func=_sources)


def _build(args: argparse.Namespace) -> int:
    from planning.build import build_snapshot

    out = args.out or data.data_dir()
    package = build_snapshot(args.source, out)
    data.clear_cache()
    print(f"built {len(package['resources'])} files into {out}")
    return 0


def _fetch(timeout: float):
    def fetch(url: str, query: dict) -> dict:
        req = urllib.request.Request(
            url,
            data=json.dumps(query).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return json.load(resp)
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            raise DataError(
                f"cannot reach SSB ({getattr(e, 'reason', e)}); the snapshot was left as it was",
                file=url,
            ) from None
        except json.JSONDecodeError:
            raise DataError(
                "SSB did not return JSON; the snapshot was left as it was", file=url
            ) from None

    return fetch


def _refresh(args: argparse.Namespace) -> int:
    from planning.build import refresh_population

    merged = refresh_population(data.data_dir(), _fetch(args.timeout), years=args.years)
    data.clear_cache()
    print(
        f"refreshed population.parquet: {len(merged):,} rows, years {merged['year'].min()}..{merged['year'].max()}"
    )
    return 0


def _verify(args: argparse.Namespace) -> int:
    checked = data.verify()
    print(f"ok: {len(checked)} files match datapackage.json (data version {data.data_version()})")
    return 0


def _manifest(args: argparse.Namespace) -> int:
    from planning.build import refresh_manifest

    package = refresh_manifest(data.data_dir())
    data.clear_cache()
    print(
        f"updated checksums of {len(package['resources'])} files in datapackage.json and SOURCES.md"
    )
    return 0


def _sources(args: argparse.Namespace) -> int:
    s = data.sources()
    for _, r in s.iterrows():
        print(
            f"{r['file']}\n  {r['title']}\n  {r['publisher']}; {r['table']}; {r['year']}; licence {r['licence']}; credit: {r['credit']}"
        )
    return 0
