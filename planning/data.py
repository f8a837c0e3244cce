"""Load and validate the shipped data snapshot in ``data/``.

The only module that reads ``data/``. Every loader validates what it reads and raises one
:class:`~planning.errors.DataError` naming the file and the problem for a missing, truncated or
corrupt file, wrong columns, negative counts or missing ages. Results are cached per process and
returned as copies, so callers may modify them freely.

The data folder is ``<repo>/data`` or, when set, the ``VAERNES_DATA_DIR`` environment variable.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planning import snapshot
from planning.errors import DataError, InputError, suggest
from planning.snapshot import (  # noqa: F401  (the snapshot's API, re-exported here)
    MANIFEST,
    check_data,
    data_check_seconds,
    data_dir,
    data_version,
    sources,
    verify,
)

MAX_AGE = 105
SEXES = ("female", "male")
POPULATION_COLUMNS = ["municipality_code", "year", "sex", "age", "population"]


def _path(name: str) -> Path:
    p = data_dir() / name
    if not p.is_file():
        raise DataError(
            "data file is missing; restore it from git or rebuild with `planning data build`",
            file=p,
        )
    if name != MANIFEST:
        check_data()
    return p


#: Columns of the shipped CSV files that must hold numbers (blank cells are allowed where the
#: loader allows them; any other text is refused with the file, column and row).
NUMERIC_COLUMNS: dict[str, tuple[str, ...]] = {
    "wpp_mortality.csv": ("age_start", "period_start", "mx"),
    "wpp_fertility.csv": ("year", "age_start", "asfr", "tfr"),
    "wpp_migration.csv": ("year", "net_migration"),
    "wpp_migration_age.csv": ("age_start", "period_start", "net_migration"),
    "wpp_life_expectancy.csv": ("year", "e0"),
    "kostra_care.csv": ("year", "value"),
    "places.csv": ("lat", "lon"),
    "travel.csv": ("distance_km", "minutes"),
}


def _sniff_separator(p: Path | str) -> tuple[str, str]:
    """(separator, decimal mark): ';' and ',' for a file whose header is separated by semicolons
    (a CSV saved by Excel with Norwegian settings), else ',' and '.'."""
    try:
        with open(p, "rb") as f:
            head = f.readline()
    except OSError:
        return ",", "."
    if b";" in head and b"," not in head:
        return ";", ","
    return ",", "."


def read_csv_file(
    p: Path | str,
    required: Sequence[str],
    *,
    numeric: Sequence[str] = (),
    dtype: dict[str, Any] | None = None,
    error: type[DataError] | type[InputError] = DataError,
) -> pd.DataFrame:
    """Read a CSV file (comma-separated, or semicolon-separated with decimal commas as Excel
    writes it in Norway), check the ``required`` columns and that ``numeric`` columns hold numbers.
    Raises ``error`` naming the file, the column (key) and the first bad row (1 = first data row)."""
    sep, decimal = _sniff_separator(p)
    try:
        raw = Path(p).read_bytes()
    except OSError as e:
        raise error(f"cannot be read ({e.strerror})", file=p) from None
    from planning.io import decode_utf8

    text = decode_utf8(raw, p, error).removeprefix("\ufeff")
    try:
        import io as _io

        df = pd.read_csv(_io.StringIO(text), dtype=dtype, sep=sep, decimal=decimal)
    except Exception as e:  # pandas raises many kinds for corrupt files
        first = str(e).strip().splitlines()
        raise error(
            f"cannot be read as CSV ({type(e).__name__}: {first[0] if first else ''})", file=p
        ) from None
    df.columns = [str(c).strip() for c in df.columns]
    _require_columns(df, required, p, error)
    if df.empty:
        raise error("file has no rows", file=p)
    for col in numeric:
        if col not in df.columns or pd.api.types.is_numeric_dtype(df[col]):
            continue
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() & df[col].notna() & (df[col].astype(str).str.strip() != "")
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise error(
                f"row {row + 1}: {str(df[col].iloc[row])!r} is not a number",
                file=p,
                key=col,
                allowed="numbers (decimal point '.', or ',' in a semicolon-separated file)",
            )
        df[col] = values
    return df


def _read_csv(
    name: str, required: Sequence[str], dtype: dict[str, Any] | None = None
) -> pd.DataFrame:
    return read_csv_file(_path(name), required, numeric=NUMERIC_COLUMNS.get(name, ()), dtype=dtype)


def _require_columns(
    df: pd.DataFrame, required: Sequence[str], p: Path | str, error: type[Exception] = DataError
) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        have = ", ".join(map(str, df.columns[:8]))
        raise error(  # type: ignore[call-arg]
            f"missing columns {missing} (the file has: {have})",
            file=p,
            allowed=", ".join(required),
        )


def clear_cache() -> None:
    """Forget cached files (after the data folder changed)."""
    for f in (
        _population,
        _population_norway,
        _municipalities,
        _municipality_lookup,
        _regions,
        _csv_cached,
        _kostra,
        _yaml_cached,
    ):
        f.cache_clear()
    snapshot.clear_cache()


# --------------------------------------------------------------------------------------------
# population
# --------------------------------------------------------------------------------------------
def _validate_population(df: pd.DataFrame, p: Path, by_municipality: bool) -> None:
    cols = POPULATION_COLUMNS if by_municipality else POPULATION_COLUMNS[1:]
    _require_columns(df, cols, p)
    if df.empty:
        raise DataError("file has no rows", file=p)
    if df["population"].isna().any():
        raise DataError("blank population values", file=p)
    if (df["population"] < 0).any():
        raise DataError("negative population counts", file=p)
    sex = df["sex"]
    sexes = set(sex.cat.categories if isinstance(sex.dtype, pd.CategoricalDtype) else sex.unique())
    if not sexes <= set(SEXES):
        raise DataError(f"unknown sex values {sorted(sexes - set(SEXES))}", file=p, allowed=SEXES)
    keys = ["municipality_code", "year"] if by_municipality else ["year"]
    n_cells = df.groupby(keys, observed=True).size()
    expected = len(SEXES) * (MAX_AGE + 1)
    if (n_cells != expected).any():
        bad = n_cells[n_cells != expected].index[0]
        raise DataError(
            f"missing ages or sexes for {bad}: {int(n_cells[bad])} of {expected} rows "
            "(every year needs ages 0..105 for both sexes)",
            file=p,
        )


def _read_parquet(name: str) -> tuple[pd.DataFrame, Path]:
    p = _path(name)
    try:
        return pd.read_parquet(p), p
    except Exception as e:
        raise DataError(f"corrupt or truncated parquet file ({type(e).__name__})", file=p) from None


@functools.lru_cache(maxsize=1)
def _population() -> pd.DataFrame:
    df, p = _read_parquet("population.parquet")
    _validate_population(df, p, by_municipality=True)
    return df  # categorical codes and sex; converted to the public dtypes after filtering


def _decode(col: pd.Series) -> np.ndarray:
    """Categorical → array of str via the (small) category table: much faster than astype(str)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = np.asarray(col.cat.categories.astype(str), dtype=object)
        return cats[col.cat.codes.to_numpy()]
    return col.astype(str).to_numpy()


def _public_population(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "municipality_code": _decode(df["municipality_code"]),
            "year": df["year"].astype("int64").to_numpy(),
            "sex": _decode(df["sex"]),
            "age": df["age"].astype("int64").to_numpy(),
            "population": df["population"].astype("float64").to_numpy(),
        }
    )


@functools.lru_cache(maxsize=1)
def _population_norway() -> pd.DataFrame:
    df, p = _read_parquet("population_norway.parquet")
    _validate_population(df, p, by_municipality=False)
    return pd.DataFrame(
        {
            "year": df["year"].astype("int64"),
            "sex": df["sex"].astype(str),
            "age": df["age"].astype("int64"),
            "population": df["population"].astype("float64"),
        }
    )


def population_years() -> tuple[int, int]:
    """First and last year of observed population in the snapshot."""
    years = _population()["year"]
    return int(years.min()), int(years.max())


def population_municipalities() -> list[str]:
    """Municipality codes present in the population snapshot."""
    return sorted(str(c) for c in _population()["municipality_code"].unique())


def _check_years(years: Iterable[int], available: tuple[int, int], what: str) -> list[int]:
    out = [int(y) for y in years]
    bad = [y for y in out if not available[0] <= y <= available[1]]
    if bad:
        raise InputError(
            f"year(s) {bad} outside the observed {what}",
            key="years",
            allowed=f"{available[0]}..{available[1]}",
        )
    return out


def load_population(
    municipalities: str | Iterable[str] | None = None,
    years: int | Iterable[int] | None = None,
) -> pd.DataFrame:
    """Observed population on 1 January (SSB 07459), tidy.

    Columns: municipality_code (4-digit str), year, sex ('female'/'male'), age (0..105, 105 = 105+),
    population (persons, float). ``municipalities`` may be codes, names or a region name.
    """
    df = _population()
    if municipalities is not None:
        codes = resolve_municipalities(municipalities)
        df = df[df["municipality_code"].isin(codes)]
    if years is not None:
        ys = _check_years(
            [years] if isinstance(years, int) else years, population_years(), "population"
        )
        df = df[df["year"].isin(ys)]
    return _public_population(df)


def load_population_norway(years: int | Iterable[int] | None = None) -> pd.DataFrame:
    """Observed population of Norway on 1 January by sex and single age (SSB 07459, 1986..2026)."""
    df = _population_norway()
    if years is not None:
        span = (int(df["year"].min()), int(df["year"].max()))
        ys = _check_years(
            [years] if isinstance(years, int) else years, span, "population of Norway"
        )
        df = df[df["year"].isin(ys)]
    return df.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# municipalities and regions
# --------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _municipalities() -> pd.DataFrame:
    df = _read_csv(
        "municipalities.csv",
        ["municipality_code", "municipality_name", "county_code", "county_name"],
        dtype={"municipality_code": str, "county_code": str},
    )
    if df["municipality_code"].duplicated().any():
        raise DataError("duplicate municipality codes", file=_path("municipalities.csv"))
    return df


@functools.lru_cache(maxsize=1)
def _municipality_lookup() -> tuple[frozenset[str], dict[str, str]]:
    """(every municipality code, {lower-case name: code}) of the registry, made once."""
    m = _municipalities()
    by_name = {
        n.split(" - ")[0].split("-")[0].strip().lower(): c
        for c, n in zip(m["municipality_code"], m["municipality_name"], strict=True)
    }
    return frozenset(m["municipality_code"]), by_name


def load_municipalities() -> pd.DataFrame:
    """Municipality registry: municipality_code, municipality_name, county_code, county_name."""
    return _municipalities().copy()


def municipality_names() -> dict[str, str]:
    """Map code → name (the Norwegian name; Sami names after a dash are kept as published)."""
    m = _municipalities()
    return dict(zip(m["municipality_code"], m["municipality_name"], strict=True))


@functools.lru_cache(maxsize=1)
def _regions() -> dict[str, dict[str, Any]]:
    p = _path("regions.json")
    try:
        with open(p, encoding="utf-8") as f:
            regions = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise DataError(f"cannot be read as JSON ({e})", file=p) from None
    if not isinstance(regions, dict) or not all(
        isinstance(v, dict) and isinstance(v.get("municipalities"), list) for v in regions.values()
    ):
        raise DataError(
            "every region needs a list of 'municipalities'", file=p, key="municipalities"
        )
    return regions


def _county_aliases() -> dict[str, str]:
    """'county-NN' -> the region key of county NN (e.g. 'county-42' -> 'agder')."""
    return {f"county-{r['county_code']}": k for k, r in _regions().items() if r.get("county_code")}


def region_names(kind: str | None = None) -> list[str]:
    """Keys accepted by :func:`region` (data/regions.json): the named regions ('vaernes',
    'vaernesregionen', 'knutepunkt_sorlandet'), every county by name ('agder', 'trondelag', ...)
    and 'norway'; with ``kind`` ('named', 'county', 'country') only those. 'county-NN' (the SSB
    county code) is accepted too."""
    return [k for k, r in _regions().items() if kind is None or r.get("kind") == kind]


def regions_table() -> pd.DataFrame:
    """Every region of data/regions.json: region, name, kind, county_code, n_municipalities,
    municipalities (comma-separated codes), source."""
    return pd.DataFrame(
        [
            {
                "region": k,
                "name": r.get("name", k),
                "kind": r.get("kind", "named"),
                "county_code": r.get("county_code"),
                "n_municipalities": len(r["municipalities"]),
                "municipalities": ", ".join(r["municipalities"]),
                "source": r.get("source", ""),
            }
            for k, r in _regions().items()
        ]
    )


def _region_key(name: str) -> str | None:
    key = str(name).strip().lower()
    regions = _regions()
    if key in regions:
        return key
    alias = _county_aliases().get(key)
    if alias:
        return alias
    folded = key.translate(str.maketrans({"æ": "ae", "ø": "o", "å": "a", " ": "_", "-": "_"}))
    return folded if folded in regions else None


def region(name: str) -> list[str]:
    """Municipality codes (4-digit, 2024 borders) of a region in data/regions.json: a named region
    (``vaernes``, ``vaernesregionen``, ``knutepunkt_sorlandet``), a county by name (``agder``,
    ``trondelag``, ...) or code (``county-42``), or ``norway``. Raises InputError with close
    matches for an unknown or empty region."""
    key = _region_key(name)
    if key is None:
        raise InputError(
            f"unknown region '{name}'.{suggest(str(name).strip().lower(), region_names())}",
            key="region",
            allowed=", ".join(region_names()) + ", county-NN",
        )
    codes = [str(c) for c in _regions()[key]["municipalities"]]
    if not codes:
        raise InputError(
            f"region '{name}' has no municipalities (data/regions.json).{suggest(key, [k for k in region_names() if k != key])}",
            key="region",
            allowed=", ".join(k for k in region_names() if _regions()[k]["municipalities"]),
        )
    return codes


def region_label(name: str) -> str:
    """Human name of a region (falls back to the key)."""
    key = _region_key(name)
    return str(_regions()[key].get("name", key)) if key else str(name)


def region_of(codes: Sequence[str]) -> str | None:
    """Key of the region whose municipalities are exactly ``codes`` (any order), else None."""
    want = set(codes)
    for k, r in _regions().items():
        if set(r["municipalities"]) == want:
            return k
    return None


def resolve_municipalities(spec: str | Iterable[str]) -> list[str]:
    """Codes for a region name, a code, a municipality name, or a list of those (2024 borders).

    Unknown entries raise one InputError with close matches; so does an empty list.
    """
    items = [spec] if isinstance(spec, str) else list(spec)
    if not items or all(not str(i).strip() for i in items):
        raise InputError(
            "no municipalities given: name a region or at least one municipality.",
            key="municipalities",
            allowed="4-digit municipality codes (e.g. 5035), names (e.g. Stjørdal) or regions ("
            + ", ".join(region_names(kind="named"))
            + ", a county such as agder, norway)",
        )
    codes, by_name = _municipality_lookup()
    out: list[str] = []
    for item in items:
        s = str(item).strip()
        if s.isdigit() and s.zfill(4) in codes:
            out.append(s.zfill(4))
        elif s.lower() in by_name:
            out.append(by_name[s.lower()])
        elif not s.isdigit() and _region_key(s) is not None:
            out.extend(region(s))
        else:
            if s.isdigit():
                problem = f"unknown municipality code '{s}' (no such code on 2024 borders)"
                candidates: list[str] = sorted(codes)
            else:
                problem = f"unknown municipality or region '{s}'"
                candidates = [*by_name, *region_names()]
            raise InputError(
                f"{problem}.{suggest(s.lower(), candidates)}",
                key="municipalities",
                allowed="4-digit municipality codes (e.g. 5035), names (e.g. Stjørdal) or regions ("
                + ", ".join(region_names(kind="named"))
                + ", a county such as agder, norway)",
            )
    return list(dict.fromkeys(out))


# --------------------------------------------------------------------------------------------
# UN WPP 2024
# --------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=16)
def _csv_cached(
    name: str, required: tuple[str, ...], dtypes: tuple[tuple[str, str], ...]
) -> pd.DataFrame:
    return _read_csv(name, list(required), dtype=dict(dtypes) or None)


def _csv(name: str, required: Sequence[str], dtype: dict[str, str] | None = None) -> pd.DataFrame:
    return _csv_cached(name, tuple(required), tuple(sorted((dtype or {}).items()))).copy()


def _nonnegative(df: pd.DataFrame, col: str, name: str, strict: bool = False) -> None:
    v = df[col]
    bad = v.isna() | ((v <= 0) if strict else (v < 0))
    if bad.any():
        raise DataError(
            f"column '{col}' has {'non-positive' if strict else 'negative'} or blank values",
            file=data_dir() / name,
        )


def load_mortality() -> pd.DataFrame:
    """WPP 2024 central death rates for Norway: sex, age_start (0, 1, 5, ..., 100 = 100+),
    period_start (1950, 1955, ..., 2095), mx (deaths per person-year)."""
    df = _csv("wpp_mortality.csv", ["sex", "age_start", "period_start", "mx"])
    _nonnegative(df, "mx", "wpp_mortality.csv", strict=True)
    return df


def load_fertility() -> pd.DataFrame:
    """WPP 2024 fertility for Norway: year, age_start (10..50 by 5), asfr (births per woman-year),
    tfr, estimate_type."""
    df = _csv("wpp_fertility.csv", ["year", "age_start", "asfr", "tfr"])
    _nonnegative(df, "asfr", "wpp_fertility.csv")
    return df


def load_migration_norway() -> pd.DataFrame:
    """WPP 2024 net migration for Norway: year, net_migration (persons per year), estimate_type."""
    return _csv("wpp_migration.csv", ["year", "net_migration"])


def load_migration_age_profile() -> pd.DataFrame:
    """WPP 2024 projected net migration for Norway by sex and five-year age: sex, age_start
    (0..100), period_start, net_migration (persons per year)."""
    return _csv("wpp_migration_age.csv", ["sex", "age_start", "period_start", "net_migration"])


def load_life_expectancy() -> pd.DataFrame:
    """WPP 2024 life expectancy at birth for Norway: sex, year, e0 (years)."""
    df = _csv("wpp_life_expectancy.csv", ["sex", "year", "e0"])
    _nonnegative(df, "e0", "wpp_life_expectancy.csv", strict=True)
    return df


# --------------------------------------------------------------------------------------------
# KOSTRA, places, travel, geometry
# --------------------------------------------------------------------------------------------
KOSTRA_INDICATORS = (
    "population",
    "home_service_users",
    "residents_24h_housing",
    "long_term_residents",
    "home_health_hours_per_week",
    "nurse_fte",
)
KOSTRA_AGE_GROUPS = ("0-66", "67-79", "80+", "total")


@functools.lru_cache(maxsize=1)
def _kostra() -> pd.DataFrame:
    name = "kostra_care.csv"
    df = _read_csv(
        name,
        ["municipality_code", "year", "indicator", "age_group", "value"],
        dtype={"municipality_code": str},
    )
    _nonnegative(df, "value", name)
    unknown = set(df["indicator"]) - set(KOSTRA_INDICATORS)
    if unknown:
        raise DataError(
            f"unknown indicators {sorted(unknown)}",
            file=data_dir() / name,
            allowed=KOSTRA_INDICATORS,
        )
    groups = set(df["age_group"]) - set(KOSTRA_AGE_GROUPS)
    if groups:
        raise DataError(
            f"unknown age groups {sorted(groups)}",
            file=data_dir() / name,
            allowed=KOSTRA_AGE_GROUPS,
        )
    if df.duplicated(["municipality_code", "year", "indicator", "age_group"]).any():
        raise DataError("duplicate rows", file=data_dir() / name)
    return df


def kostra_years() -> tuple[int, int]:
    """First and last year of the KOSTRA care panel in the snapshot."""
    y = _kostra()["year"]
    return int(y.min()), int(y.max())


def load_kostra(
    municipalities: str | Iterable[str] | None = None,
    years: int | Iterable[int] | None = None,
) -> pd.DataFrame:
    """KOSTRA care panel for any Norwegian municipality (2024 borders), 2007..2025.

    Columns: municipality_code (4-digit str), year, indicator (see ``KOSTRA_INDICATORS``),
    age_group ('0-66', '67-79', '80+', 'total'), value (persons; hours per week for
    home_health_hours_per_week; FTE for nurse_fte). Suppressed cells are absent, never zero.
    ``municipalities`` may be codes, names or a region name (unknown ones raise InputError);
    ``years`` outside the panel raise InputError. Source: SSB tables 07459, 04686, 12292, 11645
    (see ``data/SOURCES.md``).
    """
    df = _kostra()
    if municipalities is not None:
        codes = resolve_municipalities(municipalities)
        df = df[df["municipality_code"].isin(codes)]
    if years is not None:
        ys = _check_years([years] if isinstance(years, int) else years, kostra_years(), "KOSTRA")
        df = df[df["year"].isin(ys)]
    return df.reset_index(drop=True)


def load_places() -> pd.DataFrame:
    """Places: place_id, name, municipality_code, role (';'-separated: municipality_centre, dms,
    legevakt, hospital), lat, lon, source, status ('seen'; 'unverified' for third-party or proxy
    points; 'estimated' for a point inside the polygon where no centre was sourced), note. Every
    municipality has exactly one 'municipality_centre'."""
    return _csv(
        "places.csv",
        ["place_id", "name", "municipality_code", "role", "lat", "lon", "source", "status"],
        dtype={"municipality_code": "str"},
    )


def centre_place(municipality_code: str) -> str:
    """Place id of a municipality's centre in places.csv."""
    p = load_places()
    rows = p[
        (p["municipality_code"] == municipality_code)
        & p["role"].str.contains("municipality_centre")
    ]
    if rows.empty:
        raise InputError(
            f"no centre place for municipality {municipality_code}",
            key="municipality_code",
            allowed=sorted(
                p.loc[p["role"].str.contains("municipality_centre"), "municipality_code"]
            ),
        )
    return str(rows["place_id"].iloc[0])


TRAVEL_COLUMNS = [
    "from_id",
    "to_id",
    "distance_km",
    "distance_status",
    "minutes",
    "minutes_status",
    "method",
    "source",
]


def load_travel(overrides: pd.DataFrame | str | Path | None = None) -> pd.DataFrame:
    """Travel matrix between places with each value marked 'sourced', 'estimated' or 'user'.

    ``overrides`` (a frame or CSV path with from_id, to_id and distance_km and/or minutes) replaces
    values with local figures, in both directions; they are marked 'user'.
    """
    travel = _csv("travel.csv", TRAVEL_COLUMNS)
    _nonnegative(travel, "distance_km", "travel.csv")
    _nonnegative(travel, "minutes", "travel.csv")
    if overrides is None:
        return travel
    src = str(overrides) if not isinstance(overrides, pd.DataFrame) else "travel overrides"
    if not isinstance(overrides, pd.DataFrame):
        from planning.io import require_file

        require_file(overrides, InputError, what="travel overrides file")
        overrides = read_csv_file(
            overrides, ["from_id", "to_id"], numeric=("distance_km", "minutes"), error=InputError
        )
    _require_columns(overrides, ["from_id", "to_id"], src)
    known = set(travel["from_id"])
    for col in ("from_id", "to_id"):
        bad = set(overrides[col]) - known
        if bad:
            raise DataError(
                f"unknown place ids {sorted(bad)}", file=src, key=col, allowed=sorted(known)
            )
    travel = travel.set_index(["from_id", "to_id"])
    for _, row in overrides.iterrows():
        for a, b in ((row["from_id"], row["to_id"]), (row["to_id"], row["from_id"])):
            for col in ("distance_km", "minutes"):
                if col in overrides.columns and pd.notna(row[col]):
                    if float(row[col]) < 0:
                        raise DataError("travel values must be >= 0", file=src, key=col)
                    travel.loc[(a, b), col] = float(row[col])
                    travel.loc[
                        (a, b),
                        col.split("_")[0] + "_status" if col == "distance_km" else "minutes_status",
                    ] = "user"
                    travel.loc[(a, b), "source"] = f"user override ({src})"
    return travel.reset_index()


def load_geometry():  # -> geopandas.GeoDataFrame (imported lazily: geopandas is slow to import)
    """Municipality polygons of Norway (357, Kartverket 2024, simplified): municipality_code,
    municipality_name, geometry (WGS84)."""
    import geopandas as gpd

    p = _path("municipalities.geojson")
    try:
        gdf = gpd.read_file(p)
    except Exception as e:
        raise DataError(f"cannot be read as GeoJSON ({type(e).__name__})", file=p) from None
    _require_columns(gdf, ["municipality_code", "municipality_name", "geometry"], p)
    gdf["municipality_code"] = gdf["municipality_code"].astype(str).str.zfill(4)
    return gdf


def load_dms_facts() -> pd.DataFrame:
    """Facts about Værnesregionen DMS and related services, each with its source page."""
    return _csv("dms_facts.csv", ["topic", "item", "value", "unit", "source_url"])


def load_yaml(name: str) -> Any:
    """Parse a YAML file in data/ (e.g. 'services.yaml'); the caller validates its content.
    Parsed once per file version (path, size, modification time) in a process: a scenario
    applied many times (sensitivity runs) reads organisation.yaml once. Each call returns its own
    deep copy, so a caller may change it."""
    import copy

    p = _path(name)
    st = p.stat()
    return copy.deepcopy(_yaml_cached(str(p), st.st_size, st.st_mtime_ns))


@functools.lru_cache(maxsize=16)
def _yaml_cached(path: str, size: int, mtime_ns: int) -> Any:
    from planning.io import load_yaml as _load

    return _load(path, error=DataError)


def age_group_labels(bounds: Sequence[int]) -> tuple[np.ndarray, list[str]]:
    """Map single ages 0..105 to groups starting at ``bounds`` (e.g. [0, 67, 80]); returns
    (group index per age, labels like '0-66', '67-79', '80+')."""
    b = list(bounds)
    labels = [f"{lo}-{hi - 1}" for lo, hi in zip(b[:-1], b[1:], strict=True)] + [f"{b[-1]}+"]
    idx = np.searchsorted(np.asarray(b), np.arange(MAX_AGE + 1), side="right") - 1
    return idx, labels
