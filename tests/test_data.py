"""The shipped data snapshot: known totals, manifest and checksums, validation of bad files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from planning import data
from planning.build import parse_jsonstat2, refresh_population, ssb_query
from planning.errors import DataError, InputError

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A private copy of data/ in use for one test; the real snapshot is never touched."""
    dst = tmp_path / "data"
    shutil.copytree(ROOT / "data", dst)
    monkeypatch.setenv("VAERNES_DATA_DIR", str(dst))
    data.clear_cache()
    yield dst
    data.clear_cache()


def test_known_population_totals():
    assert data.load_population(["5035"], [2026])["population"].sum() == 25_108
    total = data.load_population(years=[2026])["population"].sum()
    assert abs(total - 5_627_400) / 5_627_400 < 0.001


def test_population_contract():
    df = data.load_population("vaernes", [2025, 2026])
    assert list(df.columns) == ["municipality_code", "year", "sex", "age", "population"]
    assert set(df["municipality_code"]) == {"5035", "5034", "5032", "5033"}
    assert set(df["sex"]) == {"female", "male"}
    assert df["age"].min() == 0 and df["age"].max() == 105
    assert len(df) == 4 * 2 * 2 * 106
    assert df["population"].dtype == "float64"
    assert (df["population"] >= 0).all()
    assert len(data.population_municipalities()) == 357
    assert data.population_years() == (2005, 2026)


def test_norway_matches_sum_of_municipalities_closely():
    # Split municipalities carry rounding (PROVENANCE.md: up to ~20 persons each).
    nor = data.load_population_norway(2026)["population"].sum()
    mun = data.load_population(years=2026)["population"].sum()
    assert abs(nor - mun) / nor < 0.001


def test_regions():
    assert data.region("vaernes") == ["5035", "5034", "5032", "5033"]
    assert set(data.region("vaernesregionen")) == {"5035", "5034", "5032", "5033", "5036", "5031"}
    assert len(data.region("trondelag")) == 38
    # any municipality codes anywhere in Norway form a region
    assert data.resolve_municipalities(["0301", "Stjørdal", "1103"]) == ["0301", "5035", "1103"]


@pytest.mark.parametrize(
    ("spec", "hint"),
    [(["5099"], "Did you mean"), (["Stjordal"], "stjørdal"), ("vaernesregion", "vaernesregionen")],
)
def test_unknown_municipality_suggests(spec, hint):
    with pytest.raises(InputError) as e:
        data.resolve_municipalities(spec)
    assert hint in str(e.value)
    assert "allowed" in str(e.value)


def test_year_outside_data():
    with pytest.raises(InputError, match="2004"):
        data.load_population(["5035"], [2004])


def test_every_file_is_in_the_manifest_with_licence_and_checksum():
    checked = data.verify()
    on_disk = {p.name for p in (ROOT / "data").iterdir() if p.is_file()} - {
        "datapackage.json",
        "SOURCES.md",
    }
    assert on_disk == set(checked)
    s = data.sources()
    assert s["licence"].str.len().gt(0).all()
    assert s["publisher"].str.len().gt(0).all()
    assert s["year"].astype(str).str.len().gt(0).all()
    sources_md = (ROOT / "data" / "SOURCES.md").read_text(encoding="utf-8")
    for name in on_disk:
        assert f"`{name}`" in sources_md


def test_altering_a_file_fails_the_checksum(data_copy):
    p = data_copy / "kostra_care.csv"
    p.write_text(
        p.read_text(encoding="utf-8").replace("5031,2008", "5031,2009", 1), encoding="utf-8"
    )
    with pytest.raises(DataError, match="kostra_care.csv.*checksum"):
        data.verify()


def test_unlisted_file_fails_verification(data_copy):
    (data_copy / "stray.csv").write_text("a\n1\n")
    with pytest.raises(DataError, match="stray.csv"):
        data.verify()


def test_missing_file_is_named(data_copy):
    (data_copy / "population.parquet").unlink()
    with pytest.raises(DataError, match=r"population\.parquet.*missing"):
        data.load_population(["5035"])


def _record(folder):
    """Record hand edits in the manifest (`planning data manifest`), so that the loaders' own
    checks (not the data-version check) meet the edited file."""
    from planning.build import refresh_manifest

    refresh_manifest(folder)
    data.clear_cache()


def test_edit_without_manifest_is_refused_at_first_load(data_copy):
    p = data_copy / "population.parquet"
    p.write_bytes(p.read_bytes()[:10_000])
    with pytest.raises(DataError, match=r"population\.parquet: changed since datapackage.json"):
        data.load_population(["5035"])


def test_truncated_parquet_is_named(data_copy):
    p = data_copy / "population.parquet"
    p.write_bytes(p.read_bytes()[:10_000])
    _record(data_copy)
    with pytest.raises(DataError, match=r"population\.parquet.*corrupt or truncated"):
        data.load_population(["5035"])


def test_negative_counts_and_missing_ages(data_copy):
    p = data_copy / "population.parquet"
    df = pd.read_parquet(p)
    bad = df.copy()
    bad.loc[0, "population"] = -5
    bad.to_parquet(p)
    _record(data_copy)
    with pytest.raises(DataError, match="negative"):
        data.load_population(["5035"])
    df[df["age"] != 50].to_parquet(p)
    _record(data_copy)
    with pytest.raises(DataError, match="missing ages"):
        data.load_population(["5035"])


def test_wrong_columns(data_copy):
    p = data_copy / "wpp_mortality.csv"
    pd.read_csv(p).rename(columns={"mx": "qx"}).to_csv(p, index=False)
    _record(data_copy)
    with pytest.raises(DataError, match=r"wpp_mortality\.csv.*missing columns \['mx'\]"):
        data.load_mortality()


def test_cli_names_corrupt_file_without_traceback(data_copy):
    (data_copy / "population.parquet").write_bytes(b"PAR1 not really")
    env = {**__import__("os").environ, "VAERNES_DATA_DIR": str(data_copy)}
    r = subprocess.run(
        [sys.executable, "-m", "planning", "data", "verify"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 2
    assert "population.parquet" in r.stderr
    assert "Traceback" not in r.stderr


def test_travel_values_are_labelled_and_overridable():
    t = data.load_travel()
    assert set(t["distance_status"]) <= {"sourced", "estimated"}
    row = t[(t.from_id == "stjordalshalsen") & (t.to_id == "meraker_muni")].iloc[0]
    assert row.distance_km == 43.0 and row.distance_status == "sourced"
    assert (t.loc[t.distance_status == "estimated", "method"].str.contains("assumption")).all()
    o = data.load_travel(
        pd.DataFrame({"from_id": ["selbu_muni"], "to_id": ["stjordalshalsen"], "minutes": [45.0]})
    )
    both = o[
        ((o.from_id == "selbu_muni") & (o.to_id == "stjordalshalsen"))
        | ((o.to_id == "selbu_muni") & (o.from_id == "stjordalshalsen"))
    ]
    assert (both["minutes"] == 45.0).all() and (both["minutes_status"] == "user").all()
    with pytest.raises(DataError, match="unknown place ids"):
        data.load_travel(
            pd.DataFrame({"from_id": ["atlantis"], "to_id": ["stjordalshalsen"], "minutes": [1.0]})
        )


def test_kostra_panel_blank_cells_are_absent_not_zero():
    k = data.load_kostra()
    # the national panel: every municipality of Norway (2024 borders)
    assert set(k["municipality_code"]) == set(data.region("norway"))
    assert not (k["value"].isna()).any()
    # home-service users 67-79 are not published after 2016 (PROVENANCE.md)
    hs = k[(k.indicator == "home_service_users") & (k.age_group == "67-79")]
    assert hs["year"].max() <= 2016
    pop = k[
        (k.indicator == "population") & (k.age_group == "total") & (k.municipality_code == "5035")
    ]
    snap = data.load_population(["5035"], [2020])["population"].sum()
    assert pop.loc[pop.year == 2020, "value"].iloc[0] == pytest.approx(snap, rel=0.01)


def test_geometry_small_and_complete():
    g = data.load_geometry()
    assert len(g) == 357
    assert set(g["municipality_code"]) == set(data.region("norway"))
    assert (ROOT / "data" / "municipalities.geojson").stat().st_size < 1_000_000


def test_refresh_parses_recorded_response_and_merges(data_copy):
    doc = json.loads((FIXTURES / "ssb_07459_jsonstat2_sample.json").read_text(encoding="utf-8"))
    parsed = parse_jsonstat2(doc)
    assert set(parsed["municipality_code"]) == {"5033", "5034"}
    assert parsed.groupby("municipality_code")["population"].sum().to_dict() == {
        "5033": data.load_population(["5033"], [2026])["population"].sum(),
        "5034": data.load_population(["5034"], [2026])["population"].sum(),
    }
    # A response that says Tydal grew by 10 infants: merged into the snapshot, manifest updated.
    i = doc["dimension"]["Alder"]["category"]["index"]["000"]
    doc["value"][i] += 10
    sent = {}

    def fetch(url, query):
        sent["query"] = query
        return doc

    refresh_population(data_copy, fetch, years=[2026])
    data.clear_cache()
    assert sent["query"]["response"]["format"] == "json-stat2"
    assert (
        data.load_population(["5033"], [2026])["population"].sum()
        == parsed.query("municipality_code == '5033'")["population"].sum() + 10
    )
    assert data.load_population(["5035"], [2026])["population"].sum() == 25_108  # untouched
    data.verify()  # checksums refreshed


def test_refresh_without_network_leaves_snapshot(data_copy):
    before = (data_copy / "population.parquet").read_bytes()

    def offline(url, query):
        raise DataError("cannot reach SSB", file=url)

    with pytest.raises(DataError, match="cannot reach SSB"):
        refresh_population(data_copy, offline)
    assert (data_copy / "population.parquet").read_bytes() == before
    bad = {
        "id": ["Region"],
        "size": [1],
        "dimension": {"Region": {"category": {"index": {"5033": 0}}}},
        "value": [1, 2],
    }
    with pytest.raises(DataError, match="value count"):
        refresh_population(data_copy, lambda u, q: bad)
    assert (data_copy / "population.parquet").read_bytes() == before


def test_cli_refresh_offline_exit_code(data_copy):
    env = {**__import__("os").environ, "VAERNES_DATA_DIR": str(data_copy), "no_proxy": "*"}
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            "import socket\n"
            "def _no(*a, **k): raise OSError('network disabled in test')\n"
            "socket.getaddrinfo = _no\n"
            "import sys; from planning.cli import main; sys.exit(main(['data', 'refresh', '--timeout', '2']))",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert r.returncode == 2, r.stderr
    assert "cannot reach SSB" in r.stderr and "left as it was" in r.stderr
    assert "Traceback" not in r.stderr


def test_ssb_query_shape():
    q = ssb_query([2026], ["5035"])
    codes = [d["code"] for d in q["query"]]
    assert codes == ["Region", "Kjonn", "Alder", "ContentsCode", "Tid"]
    assert q["query"][0]["selection"]["values"] == ["5035"]


def test_rebuild_from_raw_sources_reproduces_snapshot(tmp_path):
    raw = ROOT.parent / "shared" / "data"
    if not raw.is_dir():
        pytest.skip("raw sources (../shared/data) are only in the development tree")
    from planning.build import build_snapshot

    build_snapshot(raw, tmp_path)
    shipped = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    rebuilt = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    built = {r["path"]: r["hash"] for r in rebuilt["resources"]}
    for r in shipped["resources"]:
        if r["path"] in built:  # hand-written parameter files are not rebuilt
            assert built[r["path"]] == r["hash"], r["path"]
