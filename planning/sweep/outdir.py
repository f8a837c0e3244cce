"""The output folder of a sweep: parts written atomically, scanned on resume.

Part of :mod:`planning.sweep`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from planning.errors import InputError
from planning.sweep.chunks import ChunkResult


# ------------------------------------------------------------------------------------------------
# output folder
# ------------------------------------------------------------------------------------------------
class OutDir:
    """The sweep's output folder; every write goes through :meth:`path`, which refuses names
    that would land outside it."""

    def __init__(self, root: str | Path) -> None:
        from planning.io import make_dir

        root = Path(root)
        if root.exists() and not root.is_dir():
            raise InputError("output path exists and is not a folder", file=root, key="--out")
        self.root = make_dir(root).resolve()

    def path(self, *parts: str) -> Path:
        p = self.root.joinpath(*parts).resolve()
        if p != self.root and not p.is_relative_to(self.root):
            raise InputError(
                "refusing to write outside the output folder (a link points elsewhere)",
                file=self.root.joinpath(*parts),
                key="--out",
            )
        return p

    def write_bytes_atomic(self, name: Sequence[str], data: bytes) -> Path:
        from planning.io import write_atomic

        return write_atomic(self.path(*name), data, root=self.root)

    def write_text_atomic(self, name: Sequence[str], text: str) -> Path:
        return self.write_bytes_atomic(name, text.encode("utf-8"))


def _write_part(out: OutDir, result: ChunkResult) -> Path:
    """Write one chunk's rows and variant records as ``parts/part-<first index>-<hash>.parquet``,
    atomically (temp name + fsync + os.replace). The records sit in the file's metadata, so a
    part on disk is exactly a set of finished variants."""
    first = min(r["variant_index"] for r in result.records)
    digest = hashlib.sha256(",".join(r["variant"] for r in result.records).encode()).hexdigest()
    target = out.path("parts", f"part-{first:09d}-{digest[:12]}.parquet")
    meta = {b"sweep.records": json.dumps(result.records).encode()}
    table = result.table.replace_schema_metadata({**(result.table.schema.metadata or {}), **meta})
    from planning.io import write_atomic

    return write_atomic(
        target, lambda f: pq.write_table(table, f, compression="zstd"), root=out.root
    )


def _part_records(path: Path) -> list[dict[str, Any]]:
    damaged = (
        "part file is damaged ({}); delete it and re-run with --resume (its variants run again)"
    )
    try:
        meta = pq.read_schema(path).metadata or {}
    except (OSError, pa.ArrowException) as e:
        first = str(e).strip().splitlines()
        raise InputError(
            damaged.format(first[0][:120] if first else type(e).__name__), file=path
        ) from None
    raw = meta.get(b"sweep.records")
    if raw is None:
        raise InputError(damaged.format("no variant records"), file=path)
    try:
        records = json.loads(raw)
        ok = isinstance(records, list) and all(
            isinstance(r, dict) and isinstance(r.get("variant"), str) and "variant_index" in r
            for r in records
        )
    except (ValueError, UnicodeDecodeError):
        ok = False
    if not ok:
        raise InputError(damaged.format("unreadable variant records"), file=path)
    return records


def _scan_parts(out: OutDir) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Finished variants on disk: id -> (part file, record). Leftover temp files are removed."""
    folder = out.path("parts")
    done: dict[str, tuple[Path, dict[str, Any]]] = {}
    if not folder.is_dir():
        return done
    for tmp in folder.glob(".tmp-*"):
        tmp.unlink(missing_ok=True)
    for part in sorted(folder.glob("part-*.parquet")):
        for rec in _part_records(part):
            done.setdefault(rec["variant"], (part, rec))
    return done
