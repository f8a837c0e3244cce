"""Regions as data and geography for all of Norway: every region resolves, every municipality
has a centre, a polygon and travel rows, bad input is one clear error with close matches."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from planning import data, plots
from planning.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
KS = ["4204", "4223", "4215", "4216", "4218"]


def test_every_county_and_named_region_resolves():
    m = data.load_municipalities()
    regions = data.regions_table()
    counties = regions[regions["kind"] == "county"]
    assert set(counties["county_code"]) == set(m["county_code"])  # every county is a region
    for key in data.region_names():
        codes = data.region(key)
        assert codes and set(codes) <= set(m["municipality_code"]), key
        assert data.resolve_municipalities(key) == codes
    for code in counties["county_code"]:
        assert data.region(f"county-{code}") == sorted(
            m.loc[m["county_code"] == code, "municipality_code"]
        )
    # counties partition Norway
    assert sum(len(data.region(k)) for k in counties["region"]) == 357
    assert sorted(data.region("norway")) == sorted(m["municipality_code"])


def test_shipped_regions_are_the_sourced_ones():
    assert data.region("knutepunkt_sorlandet") == KS
    assert data.region("vaernes") == ["5035", "5034", "5032", "5033"]
    assert len(data.region("trondelag")) == 38 and len(data.region("agder")) == 25
    assert data.region("Møre og Romsdal") == data.region("more_og_romsdal")
    raw = json.loads((ROOT / "data" / "regions.json").read_text(encoding="utf-8"))
    assert all(r["source"] for r in raw.values())


@pytest.mark.parametrize(
    "spec, problem, hint",
    [
        ("knutepunkt", "unknown municipality or region", "knutepunkt_sorlandet"),
        ("agdr", "unknown municipality or region", "agder"),
        (["5001", "1601"], "no such code on 2024 borders", "Did you mean"),
        (["4230"], "no such code on 2024 borders", "4203"),  # digits swapped
        ([], "no municipalities given", "knutepunkt_sorlandet"),
        ([""], "no municipalities given", "vaernes"),
    ],
)
def test_bad_regions_and_codes_are_one_clear_error(spec, problem, hint):
    with pytest.raises(InputError) as e:
        data.resolve_municipalities(spec)
    msg = str(e.value)
    assert problem in msg and hint in msg and "\\n" not in msg


def test_unknown_and_empty_region_by_name(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="Did you mean vaernesregionen"):
        data.region("vaernesregion")
    # a regions file with an empty region: one clear error naming it, with the others allowed
    dst = tmp_path / "data"
    import shutil

    shutil.copytree(ROOT / "data", dst)
    raw = json.loads((dst / "regions.json").read_text(encoding="utf-8"))
    raw["empty_one"] = {"name": "Empty", "kind": "named", "municipalities": [], "source": "test"}
    (dst / "regions.json").write_text(json.dumps(raw), encoding="utf-8")
    from planning.build import refresh_manifest

    refresh_manifest(dst)  # record the edit (the data check refuses unrecorded edits)
    monkeypatch.setenv("VAERNES_DATA_DIR", str(dst))
    data.clear_cache()
    try:
        with pytest.raises(InputError, match="has no municipalities") as e:
            data.region("empty_one")
        assert "vaernes" in (e.value.allowed or "")
    finally:
        data.clear_cache()


def test_every_municipality_has_centre_polygon_and_travel_row():
    places = data.load_places()
    centres = places[places["role"].str.contains("municipality_centre")]
    codes = set(data.region("norway"))
    assert set(centres["municipality_code"]) == codes
    assert not centres["municipality_code"].duplicated().any()
    assert set(data.load_geometry()["municipality_code"]) == codes
    travel = data.load_travel()
    has_row = set(travel["from_id"]) & set(travel["to_id"])
    assert set(centres["place_id"]) <= has_row
    # every value is labelled; estimated centres say so
    assert set(places["status"]) <= {"seen", "unverified", "estimated"}
    assert set(travel["distance_status"]) <= {"sourced", "estimated"}
    est = centres[centres["status"] == "estimated"]
    assert len(est) > 300 and est["note"].str.contains("not the administrative centre").all()
    # every estimated centre lies inside its own polygon
    import geopandas as gpd

    g = data.load_geometry().set_index("municipality_code")
    pts = gpd.points_from_xy(est["lon"], est["lat"])
    inside = [
        g.loc[c, "geometry"].buffer(0.002).contains(p)
        for c, p in zip(est["municipality_code"], pts, strict=True)
    ]
    assert all(inside)


def test_hospitals_of_the_shipped_regions_are_sourced_or_labelled():
    p = data.load_places().set_index("place_id")
    hosp = p[p["role"].str.contains("hospital")]
    assert {
        "st_olavs",
        "levanger_sentrum",
        "sshf_kristiansand",
        "sshf_arendal",
        "sshf_flekkefjord",
    } <= set(hosp.index)
    assert hosp.loc["sshf_kristiansand", "status"] == "seen"
    assert hosp.loc["sshf_kristiansand", "lat"] == pytest.approx(58.16417)
    # proxies and third-party points say so
    for pid in ("sshf_arendal", "sshf_flekkefjord", "levanger_sentrum"):
        assert hosp.loc[pid, "status"] == "unverified" and "unverified" in hosp.loc[pid, "source"]
    # each municipality centre reaches its nearest hospital in the travel table
    t = data.load_travel()
    ks = p[(p["municipality_code"].isin(KS)) & p["role"].str.contains("municipality_centre")]
    legs = t[t["from_id"].isin(ks.index) & (t["to_id"] == "sshf_kristiansand")]
    assert len(legs) == len(ks)


def test_estimated_travel_follows_the_labelled_rule():
    t = data.load_travel()
    est = t[(t["distance_status"] == "estimated")]
    assert (est["distance_km"] - 1.3 * est["great_circle_km"]).abs().max() < 0.12
    both = est[est["minutes_status"] == "estimated"]
    assert (both["minutes"] - both["distance_km"] / 70 * 60).abs().max() <= 0.6
    assert est["method"].str.contains("assumption").all()
    # symmetric: every pair is there both ways with the same distance
    rev = t.merge(t, left_on=["from_id", "to_id"], right_on=["to_id", "from_id"])
    assert len(rev) == len(t)
    assert (rev["distance_km_x"] == rev["distance_km_y"]).all()


@pytest.mark.parametrize("region", ["vaernes", "knutepunkt_sorlandet", "finnmark"])
def test_map_draws_any_region_with_its_neighbours_only(region):
    codes = data.region(region)
    g = data.load_geometry()
    around = plots.neighbours(g, codes)
    assert len(around) > 0 and not set(around["municipality_code"]) & set(codes)
    assert len(around) < 60  # neighbours, not the whole country
    fig = plots.region_map(g, data.load_places(), data.load_travel(), codes, lang="nb")
    names = {tr.name for tr in fig.data}
    assert "Nabokommuner" in names
    assert len(fig.to_json()) < 2_000_000


def test_map_hub_is_dms_in_vaernes_and_nearest_hospital_elsewhere():
    places = data.load_places()
    assert plots.map_hub(places, data.region("vaernes")) == "stjordalshalsen"
    assert plots.map_hub(places, KS) == "sshf_kristiansand"
    fig = plots.region_map(data.load_geometry(), places, data.load_travel(), KS, lang="nb")
    assert "Sørlandet sykehus Kristiansand" in fig.layout.title.text
    legs = [tr for tr in fig.data if tr.hovertext and "→" in str(tr.hovertext)]
    assert len(legs) == len(KS) - 0  # Kristiansand's centre is not the hospital: five legs


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "planning", *args], capture_output=True, text=True, cwd=ROOT
    )


def test_regions_command_lists_and_resolves():
    r = _cli("regions")
    assert r.returncode == 0 and "knutepunkt_sorlandet" in r.stdout and "agder" in r.stdout
    r = _cli("regions", "--region", "knutepunkt_sorlandet")
    assert r.returncode == 0 and "Vennesla" in r.stdout and "4218" in r.stdout
    r = _cli("regions", "--municipalities", "Lillesand", "9999")
    assert r.returncode == 2 and "9999" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("project", "--region", "knutepunkt", "--end-year", "2030"),
        ("backtest", "--municipalities", "1601"),
        ("scenarios", "show", "alone", "--region", "agdr"),
        ("sample-scenario", "--municipalities", "Kristiansan"),
        ("run", "alone", "--municipalities"),
    ],
)
def test_every_command_rejects_bad_where_with_one_line(args):
    r = _cli(*args)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    if "--municipalities" != args[-1]:
        assert "Did you mean" in r.stderr


def test_project_and_show_take_any_region():
    r = _cli("project", "--region", "knutepunkt_sorlandet", "--end-year", "2027")
    assert r.returncode == 0, r.stderr
    assert "4204" in r.stdout and "Vennesla" in r.stdout
    r = _cli("scenarios", "show", "alone", "--municipalities", "4204", "Vennesla")
    assert r.returncode == 0, r.stderr
    assert "# municipalities: 4204, 4223" in r.stdout
    r = _cli("sample-scenario", "--region", "agder")
    assert r.returncode == 0 and "region: agder" in r.stdout


def test_places_frame_contract():
    p = data.load_places()
    assert list(p.columns[:8]) == [
        "place_id",
        "name",
        "municipality_code",
        "role",
        "lat",
        "lon",
        "source",
        "status",
    ]
    assert p["lat"].between(57.9, 71.5).all() and p["lon"].between(4.0, 31.5).all()
    assert isinstance(p, pd.DataFrame)
