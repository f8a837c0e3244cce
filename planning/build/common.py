"""What every builder shares: licences and credits, the :class:`Resource` record of a shipped
file, checksums and the check that a raw file exists."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planning.errors import DataError

MAX_AGE = 105  # SSB 07459's open age group is "105 years or older"

SSB_LICENCE = "NLOD 2.0 / CC BY 4.0"
SSB_CREDIT = "Statistisk sentralbyrå"
WPP_LICENCE = "CC BY 3.0 IGO"
WPP_CREDIT = "UN DESA, Population Division, World Population Prospects 2024"
KV_LICENCE = "CC BY 4.0"
KV_CREDIT = "© Kartverket"


@dataclass
class Resource:
    """One shipped file and its provenance."""

    path: str
    title: str
    publisher: str
    table: str
    year: str
    licence: str
    credit: str
    built_from: str
    method: str
    extra: dict[str, object] = field(default_factory=dict)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _need(source: Path, rel: str) -> Path:
    p = source / rel
    if not p.is_file():
        raise DataError("raw source file is missing", file=p)
    return p


def _sex(series: pd.Series) -> pd.Series:
    mapped = series.map({"F": "female", "M": "male", "female": "female", "male": "male"})
    if mapped.isna().any():
        raise DataError(f"unknown sex codes {sorted(set(series[mapped.isna()]))}", allowed="F, M")
    return mapped
