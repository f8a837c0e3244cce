"""The shipped data snapshot as a whole: its folder, its manifest (``datapackage.json``), the
checksum of every file and the data version computed from the bytes.

:mod:`planning.data` reads the files; this module says which snapshot they belong to and refuses
one whose bytes differ from the manifest. It imports nothing else from ``planning`` except the
errors, so every loader can depend on it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from planning.errors import DataError

MANIFEST = "datapackage.json"
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The data folder in use (``VAERNES_DATA_DIR`` or the repository's ``data/``)."""
    env = os.environ.get("VAERNES_DATA_DIR")
    return Path(env) if env else _PACKAGE_ROOT / "data"


def clear_cache() -> None:
    """Forget the cached manifest and data check (after the data folder changed)."""
    _manifest_at.cache_clear()
    _CHECKED.clear()


# --------------------------------------------------------------------------------------------
# manifest
# --------------------------------------------------------------------------------------------
def _manifest() -> dict[str, Any]:
    return _manifest_at(str(data_dir()))


@functools.lru_cache(maxsize=4)
def _manifest_at(folder: str) -> dict[str, Any]:
    """The manifest of data folder ``folder`` (cached per folder: VAERNES_DATA_DIR may change)."""
    p = Path(folder) / MANIFEST
    try:
        with open(p, encoding="utf-8") as f:
            package = json.load(f)
    except FileNotFoundError:
        raise DataError(
            "data file is missing; restore it from git or rebuild with `planning data build`",
            file=p,
        ) from None
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"cannot be read as JSON ({' '.join(str(e).split())})", file=p) from None
    resources = package.get("resources") if isinstance(package, dict) else None
    if not isinstance(resources, list) or not all(
        isinstance(r, dict) and isinstance(r.get("path"), str) and isinstance(r.get("hash"), str)
        for r in resources
    ):
        raise DataError("has no list of resources with path and hash", file=p, key="resources")
    return package


# --------------------------------------------------------------------------------------------
# data version: computed from the bytes, checked once per process
# --------------------------------------------------------------------------------------------
_CHECKED: dict[str, tuple[str, float]] = {}  # data folder -> (data version, seconds the check took)


def _file_hashes() -> dict[str, str]:
    """SHA-256 of the bytes of every file the manifest lists (reads them all, ~2 MB)."""
    out = {}
    for r in _manifest()["resources"]:
        p = data_dir() / r["path"]
        try:
            out[r["path"]] = hashlib.sha256(p.read_bytes()).hexdigest()
        except FileNotFoundError:
            raise DataError(
                "data file is missing; restore it from git or rebuild with `planning data build`",
                file=p,
            ) from None
        except OSError as e:
            raise DataError(f"cannot be read ({e.strerror})", file=p) from None
    return out


def check_data() -> str:
    """Hash every data file's bytes once per process (per data folder) and compare with
    ``datapackage.json``; returns the data version. A file whose bytes differ from the manifest
    raises :class:`DataError` naming it, so no number is ever computed from data that is not the
    recorded snapshot. After an intended edit, ``planning data manifest`` records the new bytes
    (and so a new data version). Cost: see docs/limits.md (a few milliseconds)."""
    import time

    key = str(data_dir())
    hit = _CHECKED.get(key)
    if hit is not None:
        return hit[0]
    t0 = time.perf_counter()
    hashes = _file_hashes()
    recorded = {r["path"]: r["hash"].removeprefix("sha256:") for r in _manifest()["resources"]}
    for name, h in hashes.items():
        if h != recorded[name]:
            raise DataError(
                "changed since datapackage.json was written (its bytes differ from the recorded "
                "checksum); restore it from git, or run `planning data manifest` to record an "
                "intended edit as a new data version",
                file=data_dir() / name,
            )
    version = _version_of(hashes)
    _CHECKED[key] = (version, time.perf_counter() - t0)
    return version


def _version_of(hashes: dict[str, str]) -> str:
    text = "\n".join(f"{name}:{h}" for name, h in sorted(hashes.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def data_check_seconds() -> float | None:
    """Seconds the data check of this process took (None before the first check)."""
    hit = _CHECKED.get(str(data_dir()))
    return None if hit is None else hit[1]


def sources(lang: str = "en") -> pd.DataFrame:
    """The manifest: file, title, publisher, table, year, licence, credit, sha256. With
    ``lang='nb'`` the title, publisher, table, year and licence in bokmål (each resource's ``nb``
    in datapackage.json, written by ``planning data build``; the English where it has none)."""
    from planning.i18n import check_language

    check_language(lang)
    rows = []
    for r in _manifest()["resources"]:
        nb = r.get("nb", {}) if lang == "nb" else {}
        rows.append(
            {
                "file": r["path"],
                "title": nb.get("title", r["title"]),
                "publisher": nb.get("publisher", r["publisher"]),
                "table": nb.get("table", r["table"]),
                "year": nb.get("year", r["year"]),
                "licence": nb.get("licence", r["licenses"][0]["name"]),
                "credit": r["credit"],
                "sha256": r["hash"].removeprefix("sha256:"),
            }
        )
    return pd.DataFrame(rows)


def data_version() -> str:
    """Short fingerprint (12 hex digits) of the snapshot: SHA-256 over the sorted list of
    ``file:sha256-of-its-bytes`` of every file in the manifest. Computed from the bytes on disk,
    once per process, after checking them against the manifest (:func:`check_data`)."""
    return check_data()


def verify(files: Iterable[str] | None = None) -> list[str]:
    """Check the checksum of every file in the manifest (or just ``files``). Returns the files
    checked; raises DataError naming the first file that is missing or altered, and any file in
    data/ that the manifest does not list."""
    resources = {r["path"]: r for r in _manifest()["resources"]}
    names = list(files) if files is not None else list(resources)
    for name in names:
        if name not in resources:
            raise DataError("not listed in datapackage.json", file=data_dir() / name)
        p = data_dir() / name
        if not p.is_file():
            raise DataError(
                "data file is missing; restore it from git or rebuild with `planning data build`",
                file=p,
            )
        h = hashlib.sha256(p.read_bytes()).hexdigest()
        if "sha256:" + h != resources[name]["hash"]:
            raise DataError(
                "checksum does not match datapackage.json (file altered or corrupt; restore it "
                "from git, or rebuild with `planning data build`)",
                file=p,
            )
    if files is None:
        listed = set(resources) | {"datapackage.json", "SOURCES.md"}
        extra = sorted(
            f.name
            for f in data_dir().iterdir()
            if f.is_file() and not f.name.startswith(".") and f.name not in listed
        )
        if extra:
            raise DataError(f"files not listed in datapackage.json: {extra}", file=data_dir())
    return names
