"""Builders of the statistical tables: SSB population and municipalities, UN WPP 2024, the
KOSTRA care panel, regions and municipality polygons."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from planning.build.common import (
    KV_CREDIT,
    KV_LICENCE,
    MAX_AGE,
    SSB_CREDIT,
    SSB_LICENCE,
    WPP_CREDIT,
    WPP_LICENCE,
    Resource,
    _need,
    _sex,
)
from planning.errors import DataError

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
