"""Refresh the shipped population from SSB's PxWebApi (table 07459, JSON-stat2)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from planning.build.common import MAX_AGE
from planning.build.manifest import refresh_manifest
from planning.build.tables import tidy_population
from planning.errors import DataError

# --------------------------------------------------------------------------------------------
# SSB PxWebApi refresh (JSON-stat2)
# --------------------------------------------------------------------------------------------
SSB_TABLE_URL = "https://data.ssb.no/api/v0/no/table/07459"


def ssb_query(years: list[int], municipalities: list[str] | None = None) -> dict:
    """PxWebApi v0 query body for table 07459: population by region, sex, single age, year."""
    region = (
        {"filter": "vs:Kommune", "values": municipalities}
        if municipalities
        else {"filter": "all", "values": ["*"]}
    )
    return {
        "query": [
            {"code": "Region", "selection": region},
            {"code": "Kjonn", "selection": {"filter": "item", "values": ["1", "2"]}},
            {"code": "Alder", "selection": {"filter": "all", "values": ["*"]}},
            {"code": "ContentsCode", "selection": {"filter": "item", "values": ["Personer1"]}},
            {"code": "Tid", "selection": {"filter": "item", "values": [str(y) for y in years]}},
        ],
        "response": {"format": "json-stat2"},
    }


def parse_jsonstat2(doc: dict) -> pd.DataFrame:
    """Parse a JSON-stat2 response of table 07459 into the population frame (municipality rows only)."""
    try:
        ids: list[str] = doc["id"]
        sizes: list[int] = doc["size"]
        dims = doc["dimension"]
        values = doc["value"]
    except (KeyError, TypeError) as e:
        raise DataError(f"not a JSON-stat2 dataset (missing {e})", file=SSB_TABLE_URL) from None
    cats = []
    for d in ids:
        index = dims[d]["category"]["index"]
        order = sorted(index, key=index.get) if isinstance(index, dict) else list(index)
        cats.append(order)
    if math.prod(sizes) != len(values):
        raise DataError("value count does not match the dimensions", file=SSB_TABLE_URL)
    grid = pd.MultiIndex.from_product(cats, names=ids).to_frame(index=False)
    grid["population"] = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce")
    age = grid["Alder"].str.extract(r"(\d+)")[0].astype(int).clip(upper=MAX_AGE)
    out = pd.DataFrame(
        {
            "municipality_code": grid["Region"].astype(str),
            "year": grid["Tid"].astype(int),
            "sex": grid["Kjonn"].map({"1": "male", "2": "female"}),
            "age": age,
            "population": grid["population"],
        }
    )
    out = out[out["municipality_code"].str.fullmatch(r"\d{4}")]
    out = out.dropna(subset=["population"])  # regions that did not exist in a year are blank
    return out.groupby(["municipality_code", "year", "sex", "age"], as_index=False, observed=True)[
        "population"
    ].sum()


def refresh_population(
    out: Path,
    fetch: Callable[[str, dict], dict],
    years: list[int] | None = None,
) -> pd.DataFrame:
    """Fetch 07459 via ``fetch(url, query) -> json`` and merge it into ``out/population.parquet``.

    The snapshot is replaced only after the new data validates; on any error it stays as it was.
    """
    current = pd.read_parquet(out / "population.parquet")
    known = set(current["municipality_code"].astype(str))
    years = years or [int(current["year"].max())]
    fresh = parse_jsonstat2(fetch(SSB_TABLE_URL, ssb_query(years, sorted(known))))
    fresh = fresh[fresh["municipality_code"].isin(known)]
    if fresh.empty:
        raise DataError("SSB returned no rows for the known municipalities", file=SSB_TABLE_URL)
    fresh = tidy_population(fresh, what=SSB_TABLE_URL)
    # Replace only the (municipality, year) pairs that SSB returned; everything else is kept.
    current = current.astype({"municipality_code": str, "sex": str})
    fresh_keys = pd.MultiIndex.from_frame(fresh[["municipality_code", "year"]].drop_duplicates())
    keep = ~pd.MultiIndex.from_frame(current[["municipality_code", "year"]]).isin(fresh_keys)
    merged = pd.concat([current.loc[keep], fresh.astype({"sex": str})], ignore_index=True)
    merged = tidy_population(merged, what="refreshed population")
    merged["municipality_code"] = merged["municipality_code"].astype("category")
    tmp = out / "population.parquet.tmp"
    merged.to_parquet(tmp, compression="zstd", index=False)
    tmp.replace(out / "population.parquet")
    refresh_manifest(out)
    return merged
