"""Builder of places.csv and travel.csv (and dms_facts.csv): a centre for every municipality,
hospitals, and travel between them, each value sourced or labelled as an estimate."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from planning.build.common import Resource, _need
from planning.errors import DataError

# Travel estimates where no road figure was found (labelled 'estimated' in the shipped matrix).
# ASSUMPTION (no source): road distance ≈ great-circle distance × 1.3, a common circuity factor
# for rural road networks; average driving speed 70 km/h on the E6/E14/Fv705 roads of the region.
DETOUR_FACTOR = 1.3
DRIVING_SPEED_KMH = 70.0


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
