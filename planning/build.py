"""Build the shipped ``data/`` snapshot from raw public sources, and refresh it from SSB.

This is the only code that reads the raw files (``../shared/data`` in the development tree, or any
folder with the same layout). It writes compact, validated files into ``data/`` and the manifest
``data/datapackage.json`` (Frictionless Data Package) with publisher, table, year, licence, credit
line, how each file was built, and a SHA-256 checksum that the tests verify. ``data/SOURCES.md`` is
the same manifest for people.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planning.errors import DataError

MAX_AGE = 105  # SSB 07459's open age group is "105 years or older"

SSB_LICENCE = "NLOD 2.0 / CC BY 4.0"
SSB_CREDIT = "Statistisk sentralbyrå"
WPP_LICENCE = "CC BY 3.0 IGO"
WPP_CREDIT = "UN DESA, Population Division, World Population Prospects 2024"
KV_LICENCE = "CC BY 4.0"
KV_CREDIT = "© Kartverket"

# Travel estimates where no road figure was found (labelled 'estimated' in the shipped matrix).
# ASSUMPTION (no source): road distance ≈ great-circle distance × 1.3, a common circuity factor
# for rural road networks; average driving speed 70 km/h on the E6/E14/Fv705 roads of the region.
DETOUR_FACTOR = 1.3
DRIVING_SPEED_KMH = 70.0

# Named regions (every county and Norway are added from the SSB classification by build_regions).
# 'vaernes' = the four municipalities of the 2010 pilot "Samhandling innen helse- og
# omsorgstjenester" (domain_facts.md §6); 'vaernesregionen' = the six members
# (no.wikipedia.org/wiki/Værnesregionen); 'knutepunkt_sorlandet' = the seven municipalities of
# Knutepunkt Sørlandet (Region Kristiansand from 2018) on 2024 borders (PROVENANCE.md, "regions").
REGIONS: dict[str, dict[str, object]] = {
    "vaernes": {
        "name": "Værnes (pilotkommunene 2010)",
        "municipalities": ["5035", "5034", "5032", "5033"],
        "source": "Værnesregionen health and care project 2010-2012 (s-n.no, 'Pris til Værnesregionen')",
    },
    "vaernesregionen": {
        "name": "Værnesregionen",
        "municipalities": ["5035", "5034", "5032", "5033", "5036", "5031"],
        "source": "no.wikipedia.org/wiki/Værnesregionen (members: Stjørdal, Frosta, Meråker, Malvik, Selbu, Tydal)",
    },
    "knutepunkt_sorlandet": {
        "name": "Knutepunkt Sørlandet (Region Kristiansand)",
        "municipalities": ["4204", "4223", "4215", "4216", "4218"],
        "source": (
            "rkrs.no 'Historie': Lillesand, Birkenes, Iveland, Vennesla, Kristiansand, Søgne and "
            "Songdalen (Iveland from 2006; renamed Region Kristiansand 2018); on 2024 borders "
            "Kristiansand 4204 includes Søgne and Songdalen (merged 2020)"
        ),
    },
}


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


# --------------------------------------------------------------------------------------------
# population
# --------------------------------------------------------------------------------------------
def tidy_population(raw: pd.DataFrame, *, what: str) -> pd.DataFrame:
    """Validate and compact a population table (municipality_code?, year, sex, age, population)."""
    cols = ["year", "sex", "age", "population"]
    if "municipality_code" in raw.columns:
        cols = ["municipality_code", *cols]
    missing = [c for c in cols if c not in raw.columns]
    if missing:
        raise DataError(f"missing columns {missing}", file=what, allowed=", ".join(cols))
    df = raw[cols].copy()
    if df["population"].isna().any():
        # SSB blanks are suppressed small counts; 07459 has none, so a blank means a broken file.
        raise DataError(f"{int(df['population'].isna().sum())} blank population cells", file=what)
    if (df["population"] < 0).any():
        raise DataError("negative population counts", file=what)
    if not df["age"].between(0, MAX_AGE).all():
        raise DataError("ages outside 0..105", file=what, allowed="0..105")
    out = pd.DataFrame(
        {
            **(
                {"municipality_code": df["municipality_code"].astype(str).str.zfill(4)}
                if "municipality_code" in df.columns
                else {}
            ),
            "year": df["year"].astype("int16"),
            "sex": _sex(df["sex"]).astype("category"),
            "age": df["age"].astype("int16"),
            "population": df["population"].astype("int32"),
        }
    )
    keys = [c for c in out.columns if c != "population"]
    if out.duplicated(keys).any():
        raise DataError("duplicate (municipality, year, sex, age) rows", file=what)
    return out.sort_values(keys, ignore_index=True)


def build_population(source: Path, out: Path) -> list[Resource]:
    raw = pd.read_csv(
        _need(source, "ssb/population_by_municipality_sex_age_2005_2026.csv.gz"),
        dtype={"municipality_code": str},
    )
    pop = tidy_population(raw, what="population_by_municipality_sex_age_2005_2026.csv.gz")
    pop["municipality_code"] = pop["municipality_code"].astype("category")
    pop.to_parquet(out / "population.parquet", compression="zstd", index=False)
    nor = tidy_population(
        pd.read_csv(_need(source, "ssb/population_norway_sex_age_1986_2026.csv.gz")),
        what="population_norway_sex_age_1986_2026.csv.gz",
    )
    nor.to_parquet(out / "population_norway.parquet", compression="zstd", index=False)
    common = {
        "publisher": "Statistisk sentralbyrå (SSB)",
        "table": "StatBank table 07459: Population, by region, sex, one-year age groups, 1 January",
        "licence": SSB_LICENCE,
        "credit": SSB_CREDIT,
    }
    return [
        Resource(
            path="population.parquet",
            title="Population 1 January by municipality, sex and single-year age 0..105+ (357 municipalities, 2024 borders)",
            year="2005-2026",
            built_from="ssb/population_by_municipality_sex_age_2005_2026.csv.gz",
            method=(
                "Historical municipalities mapped onto 2024 borders with SSB's change catalogue "
                "(FHI csdata R package); validated (no blanks, no negatives, ages 0..105, unique keys) "
                "and stored as parquet."
            ),
            extra={"municipalities": int(pop["municipality_code"].nunique())},
            **common,
        ),
        Resource(
            path="population_norway.parquet",
            title="Population 1 January, Norway, by sex and single-year age 0..105+",
            year="1986-2026",
            built_from="ssb/population_norway_sex_age_1986_2026.csv.gz",
            method="Validated and stored as parquet.",
            **common,
        ),
    ]


def build_municipalities(source: Path, out: Path) -> list[Resource]:
    raw = pd.read_csv(
        _need(source, "ssb/municipalities_2024.csv"),
        dtype={"municipality_code": str, "county_code": str},
    )
    df = raw[["municipality_code", "municipality_name", "county_code", "county_name"]].copy()
    df["municipality_code"] = df["municipality_code"].str.zfill(4)
    df.to_csv(out / "municipalities.csv", index=False)
    return [
        Resource(
            path="municipalities.csv",
            title="Municipality registry: code, name, county (2024 structure)",
            publisher="Statistisk sentralbyrå (SSB)",
            table="Standard for kommuneinndeling (KLASS 131), 2024",
            year="2024",
            licence=SSB_LICENCE,
            credit=SSB_CREDIT,
            built_from="ssb/municipalities_2024.csv",
            method="Columns code, name, county code and name kept.",
        ),
    ]


# --------------------------------------------------------------------------------------------
# UN WPP 2024
# --------------------------------------------------------------------------------------------
def build_wpp(source: Path, out: Path) -> list[Resource]:
    mx = pd.read_csv(_need(source, "un_wpp2024/wpp2024_norway_mx5_by_sex.csv"))
    mort = pd.DataFrame(
        {
            "sex": _sex(mx["sex"]),
            "age_start": mx["age_start"].astype(str).str.rstrip("+").astype(int),
            "period_start": mx["period"].str.slice(0, 4).astype(int),
            "mx": mx["mx"].astype(float),
        }
    ).sort_values(["sex", "period_start", "age_start"], ignore_index=True)
    if (mort["mx"] <= 0).any() or mort["mx"].isna().any():
        raise DataError("death rates must be positive", file="wpp2024_norway_mx5_by_sex.csv")
    mort.to_csv(out / "wpp_mortality.csv", index=False)

    asfr = pd.read_csv(_need(source, "un_wpp2024/wpp2024_norway_asfr5.csv"))
    tfr = pd.read_csv(_need(source, "un_wpp2024/wpp2024_norway_tfr.csv"))
    fert = pd.DataFrame(
        {
            "year": asfr["year"].astype(int),
            "age_start": asfr["age_group"].str.split("-").str[0].astype(int),
            "asfr": asfr["asfr_per_woman_year"].astype(float),
        }
    ).merge(tfr.rename(columns={"type": "estimate_type"}), on="year", how="left")
    fert.sort_values(["year", "age_start"], ignore_index=True).to_csv(
        out / "wpp_fertility.csv", index=False
    )

    mig = pd.read_csv(_need(source, "un_wpp2024/wpp2024_norway_net_migration.csv"))
    pd.DataFrame(
        {
            "year": mig["year"].astype(int),
            "net_migration": (mig["net_migration_thousands"] * 1000).round().astype(int),
            "estimate_type": mig["type"],
        }
    ).to_csv(out / "wpp_migration.csv", index=False)

    prof = pd.read_csv(_need(source, "un_wpp2024/wpp2024_norway_net_migration_by_age5_proj.csv"))
    pd.DataFrame(
        {
            "sex": _sex(prof["sex"]),
            "age_start": prof["age_group"].str.split("-").str[0].str.rstrip("+").astype(int),
            "period_start": prof["period"].str.slice(0, 4).astype(int),
            # WPP gives the total over the five-year period in thousands: per year = × 1000 / 5.
            "net_migration": prof["net_migration_thousands"] * 1000 / 5,
        }
    ).to_csv(out / "wpp_migration_age.csv", index=False)

    e0 = pd.read_csv(_need(source, "un_wpp2024/wpp2024_norway_e0.csv"))
    pd.DataFrame(
        {"sex": _sex(e0["sex"]), "year": e0["year"], "e0": e0["e0"], "estimate_type": e0["type"]}
    ).to_csv(out / "wpp_life_expectancy.csv", index=False)

    common = {
        "publisher": "United Nations, Department of Economic and Social Affairs, Population Division",
        "year": "2024 revision (estimates 1950-2023, medium variant 2024-2100)",
        "licence": WPP_LICENCE,
        "credit": WPP_CREDIT,
    }
    return [
        Resource(
            path="wpp_mortality.csv",
            title="Norway: central death rates mx by sex and age (0, 1-4, 5-year groups, 100+), five-year periods",
            table="WPP 2024, Mortality: central death rates by age and sex (country 578)",
            built_from="un_wpp2024/wpp2024_norway_mx5_by_sex.csv",
            method="Sex coded female/male; period as its start year; age '100+' as 100.",
            **common,
        ),
        Resource(
            path="wpp_fertility.csv",
            title="Norway: age-specific fertility (births per woman-year) by five-year age of mother, with TFR",
            table="WPP 2024, Fertility: percentage age-specific fertility and TFR (country 578)",
            built_from="un_wpp2024/wpp2024_norway_asfr5.csv; un_wpp2024/wpp2024_norway_tfr.csv",
            method="asfr = TFR × share / 5 (as supplied); age group as start age; TFR joined by year.",
            **common,
        ),
        Resource(
            path="wpp_migration.csv",
            title="Norway: net international migration per year (persons)",
            table="WPP 2024, Migration: net number of migrants (country 578)",
            built_from="un_wpp2024/wpp2024_norway_net_migration.csv",
            method="Thousands × 1000, rounded.",
            **common,
        ),
        Resource(
            path="wpp_migration_age.csv",
            title="Norway: projected net migration by sex and five-year age, persons per year",
            table="WPP 2024, Migration: net migration by age and sex, medium variant (country 578)",
            built_from="un_wpp2024/wpp2024_norway_net_migration_by_age5_proj.csv",
            method="Five-year period totals in thousands × 1000 / 5 = persons per year.",
            **common,
        ),
        Resource(
            path="wpp_life_expectancy.csv",
            title="Norway: life expectancy at birth by sex",
            table="WPP 2024, Mortality: life expectancy at birth (country 578)",
            built_from="un_wpp2024/wpp2024_norway_e0.csv",
            method="Sex coded female/male.",
            **common,
        ),
    ]


# --------------------------------------------------------------------------------------------
# KOSTRA care panel
# --------------------------------------------------------------------------------------------
KOSTRA_COLUMNS: dict[str, tuple[str, str]] = {
    "folk_0_66": ("population", "0-66"),
    "folk_67_79": ("population", "67-79"),
    "folk_80p": ("population", "80+"),
    "folk_ialt": ("population", "total"),
    "Y_1_a_ialt": ("home_service_users", "total"),
    "Y_1_a_0_66": ("home_service_users", "0-66"),
    "Y_1_a_67_79": ("home_service_users", "67-79"),
    "Y_1_a_80p": ("home_service_users", "80+"),
    "Y_2_ialt": ("residents_24h_housing", "total"),
    "Y_3_a_ialt": ("long_term_residents", "total"),
    "Y_3_a_0_66": ("long_term_residents", "0-66"),
    "Y_3_a_67_79": ("long_term_residents", "67-79"),
    "Y_3_a_80p": ("long_term_residents", "80+"),
    "Y_4_ialt": ("home_health_hours_per_week", "total"),
    "Y_5_ialt": ("nurse_fte", "total"),
}


KOSTRA_NATIONAL_FILE = "ssb/kostra_care_panel_norway_2007_2025.csv"


def tidy_kostra(raw: pd.DataFrame, *, what: str) -> pd.DataFrame:
    """Validate the wide KOSTRA care panel and melt it to (municipality_code, year, indicator,
    age_group, value); blank cells (suppressed or not published) are dropped, never zero.

    Raises DataError for missing columns, malformed codes, negative values or duplicate rows.
    """
    need = ["kommunenr_2024", "år", *KOSTRA_COLUMNS]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise DataError(f"missing columns {missing}", file=what, allowed=", ".join(need))
    codes = raw["kommunenr_2024"].astype(str).str.zfill(4)
    if not codes.str.fullmatch(r"\d{4}").all():
        raise DataError("municipality codes must be 4 digits", file=what, key="kommunenr_2024")
    if pd.DataFrame({"c": codes, "y": raw["år"]}).duplicated().any():
        raise DataError("duplicate (municipality, year) rows", file=what)
    values = raw[list(KOSTRA_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    bad = values.isna() & raw[list(KOSTRA_COLUMNS)].notna()
    if bad.any().any():
        raise DataError(
            f"non-numeric cells in {sorted(bad.columns[bad.any()])}", file=what, allowed="numbers"
        )
    if (values < 0).any().any():
        raise DataError("negative values", file=what)
    wide = pd.concat(
        [pd.DataFrame({"municipality_code": codes, "year": raw["år"]}), values], axis=1
    )
    long = wide.melt(
        id_vars=["municipality_code", "year"],
        value_vars=list(KOSTRA_COLUMNS),
        var_name="column",
        value_name="value",
    )
    long = long.dropna(subset=["value"])  # blank = suppressed or not published, never zero
    long["indicator"] = long["column"].map(lambda c: KOSTRA_COLUMNS[c][0])
    long["age_group"] = long["column"].map(lambda c: KOSTRA_COLUMNS[c][1])
    long["year"] = long["year"].astype(int)
    long = long[["municipality_code", "year", "indicator", "age_group", "value"]]
    return long.sort_values(
        ["municipality_code", "indicator", "age_group", "year"], ignore_index=True
    )


def build_kostra(source: Path, out: Path) -> list[Resource]:
    """The national KOSTRA care panel (all 357 municipalities, 2007-2025) as a tidy CSV."""
    name = KOSTRA_NATIONAL_FILE.rsplit("/", 1)[-1]
    raw = pd.read_csv(_need(source, KOSTRA_NATIONAL_FILE), dtype={"kommunenr_2024": str})
    long = tidy_kostra(raw, what=name)
    long.to_csv(out / "kostra_care.csv", index=False, float_format="%.10g")
    return [
        Resource(
            path="kostra_care.csv",
            title=(
                "KOSTRA care panel, all Norwegian municipalities (2024 borders): population, "
                "home-service users, long-term institutional residents, residents of housing with "
                "24-hour staff, home-health hours, nurse FTE"
            ),
            publisher="Statistisk sentralbyrå (SSB), via a public research repository",
            table=(
                "07459 (population); 04686 until 2016 and 12292 from 2015 (home-service users; no "
                "67-79 split after 2016); 11645 (long-term institutional residents, 2009+); 04686 / "
                "12292 (residents of housing with 24-hour staff, Y_2); 11924/14534 (nurse FTE, "
                "method break around 2015-2017). Read from Telemarksforsking's projection tool, "
                "data/ssb/paneldata_2007_2025_2024struktur.csv, commit "
                "ccec3043e06540e7225638887d4160e5fd58aeeb"
            ),
            year="2007-2025",
            licence=SSB_LICENCE,
            credit=SSB_CREDIT,
            built_from=KOSTRA_NATIONAL_FILE,
            method=(
                "Wide panel validated (4-digit codes, numbers, no negatives, unique "
                "municipality-year rows) and melted to (municipality, year, indicator, age group, "
                "value); blank cells (suppressed or not published) dropped, never zero. Where the "
                "age groups do not add up to the total (18 home-service and 419 long-term rows) "
                "that is the source's own definition (PROVENANCE.md)."
            ),
            extra={"municipalities": int(long["municipality_code"].nunique())},
        )
    ]


# --------------------------------------------------------------------------------------------
# regions, geometry, places, travel, DMS facts (all of Norway)
# --------------------------------------------------------------------------------------------
_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "é": "e", " ": "_", "-": "_"})


def county_key(county_name: str) -> str:
    """Region key of a county: its Norwegian name (before any Sami/Kven name after '-'), lower
    case, ASCII-folded, '_' for spaces: 'Møre og Romsdal' -> 'more_og_romsdal'."""
    return county_name.split("-")[0].strip().lower().translate(_FOLD)


def build_regions(source: Path, out: Path) -> list[Resource]:
    """regions.json: the named regions of :data:`REGIONS`, every county (key from its name, e.g.
    'agder', 'trondelag', with 'county_code') and 'norway', each with name, kind, municipalities
    and source."""
    muni = pd.read_csv(
        _need(source, "ssb/municipalities_2024.csv"),
        dtype={"municipality_code": str, "county_code": str},
    )
    muni["municipality_code"] = muni["municipality_code"].str.zfill(4)
    known = set(muni["municipality_code"])
    regions: dict[str, dict[str, object]] = {}
    for key, r in REGIONS.items():
        codes = list(r["municipalities"])  # type: ignore[call-overload]
        bad = sorted(set(codes) - known)
        if bad:
            raise DataError(f"region '{key}' names codes not in 2024: {bad}", file="REGIONS")
        regions[key] = {
            "name": r["name"],
            "kind": "named",
            "municipalities": codes,
            "source": r["source"],
        }
    ssb_source = "SSB Standard for kommuneinndeling 2024 (KLASS 131), ssb/municipalities_2024.csv"
    for (code, name), g in muni.groupby(["county_code", "county_name"], sort=True):
        key = county_key(str(name))
        if key in regions:
            raise DataError(f"county key '{key}' clashes with a named region", file="REGIONS")
        regions[key] = {
            "name": str(name).split("-")[0].strip(),
            "kind": "county",
            "county_code": str(code),
            "municipalities": sorted(g["municipality_code"]),
            "source": ssb_source,
        }
    regions["norway"] = {
        "name": "Norge",
        "kind": "country",
        "municipalities": sorted(known),
        "source": ssb_source,
    }
    with open(out / "regions.json", "w", encoding="utf-8") as f:
        json.dump(regions, f, ensure_ascii=False, indent=1)
        f.write("\n")
    return [
        Resource(
            path="regions.json",
            title=(
                "Regions: vaernes, vaernesregionen, knutepunkt_sorlandet, every county (by name) "
                "and norway, each with its member municipalities (2024 codes) and source"
            ),
            publisher="Værnesregionen; Region Kristiansand; Wikipedia; Statistisk sentralbyrå (SSB)",
            table="see each region's source",
            year="2024",
            licence="facts; SSB classification NLOD 2.0 / CC BY 4.0; Wikipedia text CC BY-SA 4.0",
            credit="Statistisk sentralbyrå; Wikipedia contributors",
            built_from="planning/build.py REGIONS; ssb/municipalities_2024.csv",
            method=(
                "Named regions written from the cited pages and checked against the 2024 codes; "
                "counties and Norway from the SSB classification. Any list of municipality codes "
                "also works wherever a region is accepted."
            ),
        )
    ]


def build_geometry(source: Path, out: Path) -> list[Resource]:
    import geopandas as gpd

    gdf = gpd.read_file(_need(source, "kartverket/kommuner_norge_2024_S.geojson"))
    gdf = gdf.rename(
        columns={"kommunenummer": "municipality_code", "kommunenavn": "municipality_name"}
    )
    gdf["municipality_code"] = gdf["municipality_code"].astype(str).str.zfill(4)
    if gdf["municipality_code"].nunique() != len(gdf):
        raise DataError("duplicate municipality polygons", file="kommuner_norge_2024_S.geojson")
    # ~100 m tolerance in degrees of latitude: ample for a report map, keeps the file small.
    gdf["geometry"] = gdf.geometry.simplify(0.001, preserve_topology=True)
    gdf = gdf[["municipality_code", "municipality_name", "geometry"]].sort_values(
        "municipality_code"
    )
    path = out / "municipalities.geojson"
    path.unlink(missing_ok=True)
    (out / "trondelag_municipalities.geojson").unlink(
        missing_ok=True
    )  # replaced by the national file
    gdf.to_file(path, driver="GeoJSON", COORDINATE_PRECISION=4)
    return [
        Resource(
            path="municipalities.geojson",
            title=f"Municipality polygons of Norway ({len(gdf)} municipalities, 2024 structure), simplified for reports",
            publisher="Kartverket",
            table="Administrative enheter kommuner 2024, small-scale (S) generalisation, clipped to the coastline",
            year="2024",
            licence=KV_LICENCE,
            credit=KV_CREDIT,
            built_from="kartverket/kommuner_norge_2024_S.geojson",
            method="Simplified with tolerance 0.001° (Douglas-Peucker, topology preserved), coordinates to 4 decimals (~10 m), WGS84.",
            extra={"municipalities": int(len(gdf))},
        )
    ]


def _haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance in km (scalars or numpy arrays)."""
    r = 6371.0088  # mean Earth radius, km (IUGG)
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * r * np.arcsin(np.sqrt(a))


# Road distances and drive times seen on public pages (travel_facts_text_sources.csv); the pair
# is (from place id, to place id) in the shipped place ids.
SOURCED_TRAVEL = [
    {
        "from_id": "meraker_muni",
        "to_id": "stjordalshalsen",
        "distance_km": 43.0,
        "minutes": None,
        "source": "is.wikipedia.org/wiki/Midtbygda: on E14, 43 km east of Stjørdalshalsen (en.wikipedia says 46 km)",
    },
    {
        "from_id": "hommelvik",
        "to_id": "stjordalshalsen",
        "distance_km": 10.0,
        "minutes": None,
        "source": "is.wikipedia.org/wiki/Hommelvik: on E6, 10 km south-west of Stjørdalshalsen",
    },
    {
        "from_id": "tydal_muni",
        "to_id": "stjordalshalsen",
        "distance_km": None,
        "minutes": 60.0,
        "source": "gonorway.no (Tydal): 'Trondheim Airport, Værnes is one hour of driving away'; the airport is beside Stjørdalshalsen",
    },
]

# Places outside the raw Værnes file, read from public pages for the Knutepunkt Sørlandet region
# and the hospitals of Sørlandet sykehus (Agder). 'seen' = the coordinates appear on the cited page;
# 'unverified' = a third-party list or a town point standing in for the hospital.
SOURCED_PLACES: list[dict[str, object]] = [
    {
        "place_id": "kristiansand_sentrum",
        "name": "Kristiansand (city infobox point)",
        "municipality_code": "4204",
        "role": "municipality_centre;legevakt",
        "lat": 58.14722,
        "lon": 7.99722,
        "source": "https://en.wikipedia.org/wiki/Kristiansand (infobox 58°8′50″N 7°59′50″E, read via a mirror)",
        "status": "seen",
        "note": "city point; Kristiansand legevakt is at Eg beside the hospital, about 2 km north (kristiansand.kommune.no/legevakt)",
    },
    {
        "place_id": "vennesla_muni",
        "name": "Vennesla (municipality infobox point)",
        "municipality_code": "4223",
        "role": "municipality_centre",
        "lat": 58.31056,
        "lon": 7.85694,
        "source": "https://en.wikipedia.org/wiki/Vennesla (infobox 58°18′38″N 7°51′25″E)",
        "status": "seen",
        "note": "administrative centre is the village of Vennesla",
    },
    {
        "place_id": "lillesand_by",
        "name": "Lillesand (town infobox point)",
        "municipality_code": "4215",
        "role": "municipality_centre",
        "lat": 58.2495,
        "lon": 8.3772,
        "source": "https://en.wikipedia.org/wiki/Lillesand_(town) (infobox 58°14′58″N 8°22′38″E)",
        "status": "seen",
        "note": "administrative centre of Lillesand",
    },
    {
        "place_id": "birkeland",
        "name": "Birkeland (admin centre Birkenes)",
        "municipality_code": "4216",
        "role": "municipality_centre",
        "lat": 58.3308,
        "lon": 8.2323,
        "source": "https://en.wikipedia.org/wiki/Birkeland,_Aust-Agder (infobox 58°19′51″N 8°13′56″E)",
        "status": "seen",
        "note": "administrative centre of Birkenes",
    },
    {
        "place_id": "iveland_muni",
        "name": "Iveland (municipality infobox point)",
        "municipality_code": "4218",
        "role": "municipality_centre",
        "lat": 58.44111,
        "lon": 7.95583,
        "source": "https://en.wikipedia.org/wiki/Iveland (infobox 58°26′28″N 7°57′21″E)",
        "status": "seen",
        "note": "admin centre is Birketveit (exact point not found)",
    },
    {
        "place_id": "sshf_kristiansand",
        "name": "Sørlandet sykehus Kristiansand (Eg)",
        "municipality_code": "4204",
        "role": "hospital",
        "lat": 58.16417,
        "lon": 7.98083,
        "source": "https://en.wikipedia.org/wiki/Sørlandet_Hospital_Kristiansand (58°09′51″N 7°58′51″E)",
        "status": "seen",
        "note": "regional hospital of Sørlandet sykehus HF at Eg",
    },
    {
        "place_id": "sshf_arendal",
        "name": "Sørlandet sykehus Arendal (helipad ENAR)",
        "municipality_code": "4203",
        "role": "hospital",
        "lat": 58.467481,
        "lon": 8.754017,
        "source": "third-party airfield list (pastebin.com/9kU1Zw9P: ENAR 'Soerlandet Hospital (Helipad)') (unverified)",
        "status": "unverified",
        "note": "hospital helipad from a third-party list; 0.8 km from Wikipedia's Arendal point 58.46083, 8.76639",
    },
    {
        "place_id": "sshf_flekkefjord",
        "name": "Flekkefjord town (proxy for Sørlandet sykehus Flekkefjord)",
        "municipality_code": "4207",
        "role": "hospital",
        "lat": 58.29694,
        "lon": 6.66,
        "source": "https://en.wikipedia.org/wiki/Flekkefjord_(town) (58°17′49″N 6°39′36″E; 'Sørlandet Hospital Flekkefjord is located in the town') (unverified)",
        "status": "unverified",
        "note": "town point standing in for the hospital (exact hospital coordinates NOT found)",
    },
]

# Which raw place stands for each Værnes municipality's centre (the DMS and legevakt are at
# Stjørdalshalsen); hospitals and the DMS site keep their roles.
CENTRE_PLACE = {
    "5035": "stjordalshalsen",
    "5031": "hommelvik",
    "5032": "selbu_muni",
    "5033": "tydal_muni",
    "5034": "meraker_muni",
    "5036": "frosta_muni",
}
PLACE_ROLES = {
    "stjordalshalsen": "municipality_centre;dms;legevakt",
    "st_olavs": "hospital",
    "levanger_sentrum": "hospital",
}
PLACE_COLUMNS = [
    "place_id",
    "name",
    "municipality_code",
    "role",
    "lat",
    "lon",
    "source",
    "status",
    "note",
]


def _estimated_centres(source: Path, have: set[str]) -> pd.DataFrame:
    """A point inside each municipality without a sourced centre: the polygon's centroid when it
    lies inside the polygon, else shapely's representative point (always inside); 'estimated'."""
    import geopandas as gpd

    gdf = gpd.read_file(_need(source, "kartverket/kommuner_norge_2024_S.geojson"))
    gdf["municipality_code"] = gdf["kommunenummer"].astype(str).str.zfill(4)
    gdf = gdf[~gdf["municipality_code"].isin(have)].sort_values("municipality_code")
    rows = []
    for code, name, geom in zip(
        gdf["municipality_code"], gdf["kommunenavn"], gdf.geometry, strict=True
    ):
        c = geom.centroid
        how = "centroid"
        if not geom.contains(c):
            c, how = geom.representative_point(), "representative point"
        rows.append(
            {
                "place_id": f"centre_{code}",
                "name": f"{str(name).split(' - ')[0]} (point inside the municipality)",
                "municipality_code": code,
                "role": "municipality_centre",
                "lat": round(float(c.y), 5),
                "lon": round(float(c.x), 5),
                "source": "estimate: point inside the Kartverket 2024 polygon (kommuner_norge_2024_S.geojson)",
                "status": "estimated",
                "note": f"no sourced centre collected; polygon {how} (not the administrative centre)",
            }
        )
    return pd.DataFrame(rows, columns=PLACE_COLUMNS)


def _neighbours(source: Path) -> set[tuple[str, str]]:
    """Pairs of municipalities whose polygons touch (within ~100 m), both orders."""
    import geopandas as gpd

    gdf = gpd.read_file(_need(source, "kartverket/kommuner_norge_2024_S.geojson"))
    gdf["code"] = gdf["kommunenummer"].astype(str).str.zfill(4)
    buf = gdf[["code", "geometry"]].copy()
    with warnings.catch_warnings():  # a buffer in degrees is what is meant here (~100-200 m)
        warnings.simplefilter("ignore", UserWarning)
        buf["geometry"] = buf.geometry.buffer(0.002)
    j = gpd.sjoin(buf, gdf[["code", "geometry"]], predicate="intersects")
    return {(a, b) for a, b in zip(j["code_left"], j["code_right"], strict=True) if a != b}


def _travel_rows(places: pd.DataFrame, pairs: np.ndarray) -> pd.DataFrame:
    """Travel rows for index pairs into ``places``: sourced road figures where seen, otherwise the
    labelled estimate (great-circle × DETOUR_FACTOR, DRIVING_SPEED_KMH)."""
    ids = places["place_id"].to_numpy()
    lat, lon = places["lat"].to_numpy(float), places["lon"].to_numpy(float)
    i, j = pairs[:, 0], pairs[:, 1]
    gc = _haversine_km(lat[i], lon[i], lat[j], lon[j])
    est_km = gc * DETOUR_FACTOR
    out = pd.DataFrame(
        {
            "from_id": ids[i],
            "to_id": ids[j],
            "great_circle_km": np.round(gc, 1),
            "distance_km": np.round(est_km, 1),
            "distance_status": "estimated",
            "minutes": np.round(est_km / DRIVING_SPEED_KMH * 60, 0),
            "minutes_status": "estimated",
            "method": f"great-circle × {DETOUR_FACTOR}, {DRIVING_SPEED_KMH:.0f} km/h (assumptions)",
            "source": "estimate from places.csv",
        }
    )
    sourced = {(s["from_id"], s["to_id"]): s for s in SOURCED_TRAVEL}
    sourced |= {(s["to_id"], s["from_id"]): s for s in SOURCED_TRAVEL}
    for k in np.flatnonzero(
        [(a, b) in sourced for a, b in zip(out["from_id"], out["to_id"], strict=True)]
    ):
        s = sourced[(out.at[k, "from_id"], out.at[k, "to_id"])]
        method = []
        if s["distance_km"] is not None:
            out.at[k, "distance_km"] = float(s["distance_km"])  # type: ignore[arg-type]
            out.at[k, "distance_status"] = "sourced"
        else:
            method.append(f"distance = great-circle × detour factor {DETOUR_FACTOR} (assumption)")
        if s["minutes"] is not None:
            out.at[k, "minutes"] = float(s["minutes"])  # type: ignore[arg-type]
            out.at[k, "minutes_status"] = "sourced"
        else:
            out.at[k, "minutes"] = round(out.at[k, "distance_km"] / DRIVING_SPEED_KMH * 60, 0)
            method.append(f"minutes = distance / {DRIVING_SPEED_KMH:.0f} km/h (assumption)")
        out.at[k, "method"] = "; ".join(method) if method else "both values sourced"
        out.at[k, "source"] = s["source"]
    return out


def build_places(source: Path, out: Path) -> list[Resource]:
    """places.csv (a centre for every municipality, the DMS/legevakt site, hospitals) and
    travel.csv (every pair within a county or between neighbouring municipalities, and each
    centre to its county's hospitals and its nearest hospital), each value sourced or estimated."""
    raw = pd.read_csv(
        _need(source, "places/place_coordinates_vaernes.csv"), dtype={"kommunenr": str}
    )
    wanted = set(CENTRE_PLACE.values()) | set(PLACE_ROLES)
    places = raw[raw["id"].isin(wanted)].copy()
    places["role"] = places["id"].map(lambda i: PLACE_ROLES.get(i, "municipality_centre"))
    places["status"] = np.where(
        places["source_url"].str.contains("unverified|hand-curated", regex=True),
        "unverified",
        "seen",
    )
    places = places.rename(
        columns={"id": "place_id", "kommunenr": "municipality_code", "source_url": "source"}
    )[PLACE_COLUMNS]
    places = pd.concat(
        [places, pd.DataFrame(SOURCED_PLACES, columns=PLACE_COLUMNS)], ignore_index=True
    )
    is_centre = places["role"].str.contains("municipality_centre")
    places = pd.concat(
        [places, _estimated_centres(source, set(places.loc[is_centre, "municipality_code"]))],
        ignore_index=True,
    ).sort_values("place_id", ignore_index=True)
    if places["place_id"].duplicated().any():
        raise DataError("duplicate place ids", file="places.csv")
    centres = places[places["role"].str.contains("municipality_centre")]
    if centres["municipality_code"].duplicated().any():
        raise DataError("two centres for one municipality", file="places.csv")
    places.to_csv(out / "places.csv", index=False)

    muni = pd.read_csv(
        _need(source, "ssb/municipalities_2024.csv"),
        dtype={"municipality_code": str, "county_code": str},
    )
    county = dict(zip(muni["municipality_code"].str.zfill(4), muni["county_code"], strict=True))
    missing = sorted(set(county) - set(centres["municipality_code"]))
    if missing:
        raise DataError(f"no centre for municipalities {missing}", file="places.csv")
    codes = places["municipality_code"].to_numpy()
    pc = np.array([county[c] for c in codes])
    hospital = places["role"].str.contains("hospital").to_numpy()
    n = len(places)
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    i, j = i.ravel(), j.ravel()
    keep = (i != j) & (pc[i] == pc[j])
    neighbours = _neighbours(source)
    keep |= (i != j) & np.array(
        [(a, b) in neighbours for a, b in zip(codes[i], codes[j], strict=True)]
    )
    # each place to its nearest hospital (both directions), wherever it is
    lat, lon = places["lat"].to_numpy(float), places["lon"].to_numpy(float)
    h = np.flatnonzero(hospital)
    d = _haversine_km(lat[:, None], lon[:, None], lat[None, h], lon[None, h])
    d[h, np.arange(len(h))] = np.inf
    near = h[np.argmin(d, axis=1)]
    extra = {(a, b) for a, b in zip(np.arange(n), near, strict=True)}
    extra |= {(b, a) for a, b in extra}
    keep |= np.array([(a, b) in extra for a, b in zip(i, j, strict=True)])
    travel = _travel_rows(places, np.column_stack([i[keep], j[keep]]))
    travel.to_csv(out / "travel.csv", index=False)

    facts = pd.read_csv(_need(source, "facts/vaernes_dms_and_services_facts.csv"))
    facts.to_csv(out / "dms_facts.csv", index=False)
    status = places["status"].value_counts().to_dict()
    return [
        Resource(
            path="places.csv",
            title=(
                "Places: a centre for each of the 357 municipalities, Stjørdalshalsen (DMS and "
                "legevakt site), hospitals (St. Olavs, Levanger proxy, Sørlandet sykehus "
                "Kristiansand, Arendal, Flekkefjord proxy)"
            ),
            publisher="Wikipedia (infobox coordinates), hand-curated town centres, Kartverket polygons",
            table="see the source column of each row",
            year="2024",
            licence="CC BY-SA 4.0 (Wikipedia); facts; CC BY 4.0 © Kartverket (estimated points)",
            credit="Wikipedia contributors; © Kartverket",
            built_from=(
                "places/place_coordinates_vaernes.csv; planning/build.py SOURCED_PLACES; "
                "kartverket/kommuner_norge_2024_S.geojson"
            ),
            method=(
                "Sourced points for the Værnes and Knutepunkt Sørlandet municipalities and the "
                "hospitals ('seen', or 'unverified' for third-party or proxy points); every other "
                "municipality gets a point inside its polygon (centroid, or a representative point "
                f"when the centroid falls outside), labelled 'estimated'. Status counts: {status}."
            ),
        ),
        Resource(
            path="travel.csv",
            title=(
                "Travel between places: road km and minutes for every pair within a county or "
                "between neighbouring municipalities, and from each place to the hospitals of its "
                "county and its nearest hospital; each value marked sourced or estimated"
            ),
            publisher="Public pages (Wikipedia, gonorway.no) and estimates from coordinates",
            table="travel_facts_text_sources.csv; great-circle distances from places.csv",
            year="2024",
            licence="facts; estimates are the project's (MIT)",
            credit="Wikipedia contributors; vaernes-planning",
            built_from="places/place_coordinates_vaernes.csv; places/travel_facts_text_sources.csv; kartverket/kommuner_norge_2024_S.geojson",
            method=(
                f"Sourced road figures where seen; otherwise great-circle × {DETOUR_FACTOR} (assumption) and "
                f"{DRIVING_SPEED_KMH:.0f} km/h (assumption). Frosta's road goes round the fjord, so its estimate is low; "
                "estimated centres are points inside the polygon, so their times are rough. "
                "Override with local figures: planning.data.load_travel(overrides=...)."
            ),
            extra={"rows": int(len(travel))},
        ),
        Resource(
            path="dms_facts.csv",
            title="Facts about Værnesregionen DMS (beds, dialysis chairs, financing) and related services",
            publisher="Værnesregionen; Stjørdalens Nytt; Helse Nord-Trøndelag; St. Olavs",
            table="see source_url of each row",
            year="c. 2012-2023",
            licence="facts (short quotations)",
            credit="see source_url",
            built_from="facts/vaernes_dms_and_services_facts.csv",
            method="Copied as is.",
        ),
    ]


BUILDERS: list[Callable[[Path, Path], list[Resource]]] = [
    build_population,
    build_municipalities,
    build_regions,
    build_wpp,
    build_kostra,
    build_geometry,
    build_places,
]


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


def build_snapshot(source: Path, out: Path) -> dict:
    """Build every shipped data file from raw sources in ``source`` into ``out``."""
    source, out = Path(source), Path(out)
    if not source.is_dir():
        raise DataError("raw source folder not found", file=source)
    out.mkdir(parents=True, exist_ok=True)
    resources: list[Resource] = []
    for builder in BUILDERS:
        resources += builder(source, out)
    return write_manifest(out, resources)


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
