"""The manifest of the shipped snapshot: ``data/datapackage.json`` and ``data/SOURCES.md``."""

from __future__ import annotations

import json
from pathlib import Path

from planning.build.common import Resource, _sha256

# --------------------------------------------------------------------------------------------
# manifest
# --------------------------------------------------------------------------------------------
MANIFEST = "datapackage.json"

# Files in data/ that are written by hand (parameters), not built from raw sources. Their
# provenance lives inside each file (every value carries its own source); the manifest records
# their checksum so that an accidental edit is caught.
HAND_WRITTEN_TITLES = {
    "services.yaml": "Service catalogue: use rates, norms, salaries and prices, each value with its own source and status",
    "organisation.yaml": "Default organisation of services (which municipality runs or hosts what), each entry with its source",
    "ranges.yaml": "Plausible ranges of the assumptions (low, high, distribution, kind), each with the reason for it",
}


def _bokmal() -> dict[str, dict[str, str]]:
    """The bokmål title, publisher, table, year and licence of each file, by path
    (``planning/build/sources_nb.yaml``)."""
    import yaml

    with open(Path(__file__).with_name("sources_nb.yaml"), encoding="utf-8") as f:
        raw = yaml.safe_load(f) or {}
    return {str(k): {f: str(v) for f, v in fields.items()} for k, fields in raw.items()}


def _with_bokmal(entries: list[dict]) -> list[dict]:
    """``entries`` with each one's bokmål texts under ``nb`` (where sources_nb.yaml has them)."""
    nb = _bokmal()
    for e in entries:
        if e["path"] in nb:
            e["nb"] = nb[e["path"]]
    return entries


def _hand_written(out: Path) -> dict[str, str]:
    """Every YAML parameter file in data/, with a title."""
    return {
        p.name: HAND_WRITTEN_TITLES.get(
            p.name, f"Parameter file {p.name}: every value with its own source and status"
        )
        for p in sorted(out.glob("*.yaml"))
    }


def _hand_written_entry(out: Path, name: str, title: str) -> dict:
    """Manifest entry of a hand-written parameter file (provenance lives inside the file)."""
    p = out / name
    return {
        "name": Path(name).stem,
        "path": name,
        "title": title,
        "publisher": "see each value's source",
        "table": "see each value's source",
        "year": "see each value",
        "licenses": [{"name": "per value; compiled by vaernes-planning (MIT)"}],
        "credit": "see each value's source",
        "built_from": "written by hand from shared domain facts",
        "method": "hand-written parameter file",
        "bytes": p.stat().st_size,
        "hash": "sha256:" + _sha256(p),
    }


def write_manifest(out: Path, resources: list[Resource]) -> dict:
    """Write datapackage.json and SOURCES.md for ``resources`` plus hand-written parameter files."""
    entries = []
    for r in resources:
        p = out / r.path
        entries.append(
            {
                "name": Path(r.path).stem.replace("_", "-").lower(),
                "path": r.path,
                "title": r.title,
                "publisher": r.publisher,
                "table": r.table,
                "year": r.year,
                "licenses": [{"name": r.licence}],
                "credit": r.credit,
                "built_from": r.built_from,
                "method": r.method,
                "bytes": p.stat().st_size,
                "hash": "sha256:" + _sha256(p),
                **r.extra,
            }
        )
    entries += [_hand_written_entry(out, name, title) for name, title in _hand_written(out).items()]
    entries = _with_bokmal(entries)
    package = {
        "profile": "data-package",
        "name": "vaernes-planning-data",
        "title": "vaernes-planning data snapshot",
        "description": "Real public data for the Værnes planning model. Rebuild with `planning data build --source DIR`.",
        "resources": entries,
    }
    _write_manifest(out, package, entries)
    return package


def _write_manifest(out: Path, package: dict, entries: list) -> None:
    """datapackage.json and SOURCES.md, each written to a temporary name and renamed."""
    from planning.io import write_atomic

    write_atomic(out / MANIFEST, json.dumps(package, ensure_ascii=False, indent=2) + "\n", key=None)
    write_atomic(out / "SOURCES.md", _sources_markdown(entries), key=None)


def refresh_manifest(out: Path) -> dict:
    """Recompute checksums for every file already in the manifest (after a hand edit of YAML)."""
    with open(out / MANIFEST, encoding="utf-8") as f:
        package = json.load(f)
    known = {e["path"] for e in package["resources"]}
    for e in package["resources"]:
        p = out / e["path"]
        e["bytes"] = p.stat().st_size
        e["hash"] = "sha256:" + _sha256(p)
    package["resources"] += [
        _hand_written_entry(out, name, title)
        for name, title in _hand_written(out).items()
        if name not in known
    ]
    _with_bokmal(package["resources"])
    _write_manifest(out, package, package["resources"])
    return package


def _sources_markdown(entries: list[dict]) -> str:
    lines = [
        "# Data sources",
        "",
        "Every file in `data/` with its publisher, table or page, year, licence and credit line, how it",
        "was built and its SHA-256 checksum (verified by `tests/test_data.py`). Generated by",
        "`planning data build`; the machine-readable manifest is `datapackage.json`.",
        "",
        "Values marked *estimated* or *assumption* are not from a source: they are labelled so",
        "wherever a user sees them.",
        "",
    ]
    for e in entries:
        lines += [
            f"## `{e['path']}`",
            "",
            f"- **What**: {e['title']}",
            f"- **Publisher**: {e['publisher']}",
            f"- **Table / page**: {e['table']}",
            f"- **Year**: {e['year']}",
            f"- **Licence**: {e['licenses'][0]['name']}",
            f"- **Credit**: {e['credit']}",
            f"- **Built from**: {e['built_from']}",
            f"- **Method**: {e['method']}",
            f"- **SHA-256**: `{e['hash'].removeprefix('sha256:')}`",
            "",
        ]
    return "\n".join(lines)
