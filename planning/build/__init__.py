"""Build the shipped ``data/`` snapshot from raw public sources, and refresh it from SSB.

This is the only code that reads the raw files (``../shared/data`` in the development tree, or any
folder with the same layout). It writes compact, validated files into ``data/`` and the manifest
``data/datapackage.json`` (Frictionless Data Package) with publisher, table, year, licence, credit
line, how each file was built, and a SHA-256 checksum that the tests verify. ``data/SOURCES.md`` is
the same manifest for people.

Layout: :mod:`~planning.build.common` (licences, the :class:`Resource` record),
:mod:`~planning.build.tables` (population, WPP, KOSTRA, regions, polygons),
:mod:`~planning.build.places` (places and travel), :mod:`~planning.build.national` (national
figures behind the catalogue's per-inhabitant rates), :mod:`~planning.build.manifest`
(datapackage.json and SOURCES.md) and :mod:`~planning.build.ssb` (the SSB refresh).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from planning.build.common import Resource
from planning.build.manifest import MANIFEST, refresh_manifest, write_manifest
from planning.build.national import build_national
from planning.build.places import build_places
from planning.build.ssb import parse_jsonstat2, refresh_population, ssb_query
from planning.build.tables import (
    REGIONS,
    build_geometry,
    build_kostra,
    build_municipalities,
    build_population,
    build_regions,
    build_wpp,
    county_key,
)
from planning.errors import DataError

__all__ = [
    "BUILDERS",
    "MANIFEST",
    "REGIONS",
    "Resource",
    "build_snapshot",
    "county_key",
    "parse_jsonstat2",
    "refresh_manifest",
    "refresh_population",
    "ssb_query",
    "write_manifest",
]

BUILDERS: list[Callable[[Path, Path], list[Resource]]] = [
    build_population,
    build_municipalities,
    build_regions,
    build_wpp,
    build_kostra,
    build_geometry,
    build_places,
    build_national,
]


def build_snapshot(source: Path, out: Path) -> dict:
    """Build every shipped data file from raw sources in ``source`` into ``out``."""
    source, out = Path(source), Path(out)
    if not source.is_dir():
        raise DataError(
            "raw source folder not found (the raw sources are in the development tree only; "
            "a clone ships data/ built: `planning data verify` checks it)",
            file=source,
        )
    out.mkdir(parents=True, exist_ok=True)
    resources: list[Resource] = []
    for builder in BUILDERS:
        resources += builder(source, out)
    return write_manifest(out, resources)
