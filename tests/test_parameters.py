"""Service catalogue, organisation and levers (planning.parameters) and data/services.yaml."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from planning.errors import DataError, PlanningError, ScenarioError
from planning.parameters import (
    SERVICES,
    Levers,
    Organisation,
    Unit,
    catalogue_from_dict,
    levers_from_dict,
    load_catalogue,
    load_organisation,
    organisation_from_dict,
)

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def raw() -> dict:
    with open(REPO / "data" / "services.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_every_parameter_is_listed_with_provenance(catalogue):
    t = catalogue.assumptions_table()
    assert list(t.columns) == ["parameter", "value", "unit", "source", "year", "status", "note"]
    assert set(t.status) <= {"seen", "derived", "assumption"}
    assert (t.source.str.len() > 0).all() and (t.unit.str.len() > 0).all()
    assert not t.parameter.duplicated().any()
    # derived values show their working
    derived = t[t.status == "derived"]
    assert (derived.note.str.len() > 0).all()
    # key sourced figures appear with their status
    p = t.set_index("parameter")
    assert (
        p.loc["kad.admissions_per_1000", "value"] == 6.2
        and p.loc["kad.admissions_per_1000", "status"] == "seen"
    )
    assert p.loc["kad.bed_days_per_1000", "value"] == 22.2
    assert p.loc["kommuneoverlege.min_fte", "value"] == 0.5
    assert p.loc["skolehelsetjeneste.pupils_per_fte_ungdomsskole", "value"] == 550
    assert p.loc["levers.fte_per_user_growth", "status"] == "assumption"


def test_derived_values_match_the_data(catalogue):
    from planning.data import load_life_expectancy, load_population_norway

    nor = load_population_norway([2022, 2024])
    n22 = nor[nor.year == 2022]
    assert catalogue.kad.population_share_old.value == pytest.approx(
        n22[n22.age >= 67].population.sum() / n22.population.sum(), abs=1e-5
    )
    n24 = nor[nor.year == 2024]
    births_2023 = n24[n24.age == 0].population.sum()
    assert catalogue.jordmor.per_fte.value == pytest.approx(births_2023 / 591, abs=0.05)
    # national fallback rates: KOSTRA 2025 users / inhabitants (planning.coverage.build_panel)
    from planning.coverage import build_panel
    from planning.data import load_kostra

    panel = build_panel(load_kostra(), 2025)
    for name, users in (
        ("hjemmetjenester", panel.home),
        ("langtidsopphold", panel.longterm),
        ("heldogn_bolig", panel.heldogn - panel.longterm),
    ):
        u, p = users[:, -1], panel.pop[:, -1]
        ok = np.isfinite(u).all(axis=1)
        rates = u[ok].sum(axis=0) / p[ok].sum(axis=0)
        for g, r in zip(("0-66", "67-79", "80+"), rates, strict=True):
            fb = getattr(catalogue.coverage, name).fallback_rates[g].value
            assert fb == pytest.approx(r, rel=0.01, abs=2e-5), (name, g)
    e0 = load_life_expectancy().groupby("year").e0.mean()
    assert catalogue.levers.life_expectancy_gain.value == pytest.approx(
        (e0[2050] - e0[2025]) / 25, abs=1e-4
    )
    kad = catalogue.kad
    assert kad.bed_days_per_1000.value / kad.admissions_per_1000.value == pytest.approx(
        3.6, abs=0.05
    )


def test_fte_cost_adds_pension_and_employer_contribution(catalogue):
    st = catalogue.staffing
    # domain facts: sykepleier 661 000 × 1.141 + about 70 000 ≈ 824 000 NOK (zone I)
    assert st.fte_cost("sykepleier", "5035") == pytest.approx(824_000, rel=0.01)
    assert st.fte_cost("sykepleier", "5033") < st.fte_cost("sykepleier", "5035")  # Tydal zone III
    # a municipality not listed gets the labelled default (zone I, an assumption) ...
    assert st.employer_contribution_default.status == "assumption"
    assert st.fte_cost("sykepleier", "4204") == st.fte_cost("sykepleier", "5035")
    # ... and without a default, an unlisted code is one clear error
    bare = st.model_copy(update={"employer_contribution_default": None})
    with pytest.raises(PlanningError, match="9999"):
        bare.fte_cost("sykepleier", "9999")


def test_levers_defaults_and_ranges(catalogue):
    lv = catalogue.default_levers()
    assert (
        lv.fte_per_user_growth == 0.005 and lv.max_refusal == 0.05 and lv.occupancy_target == 0.85
    )
    assert Levers(max_refusal=0.01).with_defaults(catalogue).max_refusal == 0.01
    assert lv.age_shift(10) == pytest.approx(10 * 0.5 * catalogue.levers.life_expectancy_gain.value)
    assert Levers(age_shift_per_year=0.2).with_defaults(catalogue).age_shift(5) == pytest.approx(
        1.0
    )
    assert lv.age_shift(-3) == 0.0
    for bad in (
        {"max_refusal": 0.0},
        {"max_refusal": 1.0},
        {"occupancy_target": 1.2},
        {"healthy_ageing": -0.1},
    ):
        with pytest.raises(ScenarioError) as e:
            levers_from_dict(bad, file="s.yaml")
        assert list(bad)[0] in str(e.value) and "s.yaml" in str(e.value)
    with pytest.raises(ScenarioError, match="unknown key"):
        levers_from_dict({"max_refusals": 0.1})


def test_organisation_rules():
    ok = Unit(service="legevakt", name="VR legevakt", host="5035", members=["5035", "5033"])
    org = Organisation(units=[ok])
    assert org.unit_for("legevakt", "5033") is ok and org.unit_for("legevakt", "5034") is None
    cases = [
        (
            {"units": [{"service": "legevakt", "name": "x", "host": "5034", "members": ["5035"]}]},
            "host",
        ),
        (
            {
                "units": [
                    {
                        "service": "kad",
                        "name": "x",
                        "host": "5035",
                        "members": ["5035"],
                        "cost_key": "fixed_plus_use",
                    }
                ]
            },
            "fixed_share",
        ),
        (
            {
                "units": [
                    {
                        "service": "kad",
                        "name": "x",
                        "host": "5035",
                        "members": ["5035"],
                        "fixed_share": 0.2,
                    }
                ]
            },
            "fixed_share",
        ),
        (
            {
                "units": [
                    {"service": "hjemmetjenester", "name": "x", "host": "5035", "members": ["5035"]}
                ]
            },
            "service",
        ),
        ({"units": [{"service": "kad", "name": "x", "host": "535", "members": ["535"]}]}, "host"),
        (
            {
                "units": [
                    {"service": "kad", "name": "a", "host": "5035", "members": ["5035", "5034"]},
                    {"service": "kad", "name": "b", "host": "5034", "members": ["5034"]},
                ]
            },
            "two kad units",
        ),
    ]
    for raw, word in cases:
        with pytest.raises(ScenarioError, match=word):
            organisation_from_dict(raw, file="org.yaml")


def test_shipped_organisation_loads():
    org = load_organisation()
    legevakt = [u for u in org.units if u.service == "legevakt" and u.host == "5035"]
    assert len(legevakt) == 1 and sorted(legevakt[0].members) == ["5032", "5033", "5034", "5035"]
    assert all(u.source and u.note for u in org.units)  # every unit of today says where it is from


def test_catalogue_errors_name_the_key(raw):
    bad = yaml.safe_load(yaml.safe_dump(raw))
    bad["kad"]["fte_per_bed"]["value"] = -1
    with pytest.raises(ScenarioError, match=r"kad\.fte_per_bed"):
        catalogue_from_dict(bad)
    bad = yaml.safe_load(yaml.safe_dump(raw))
    bad["kad"]["fte_per_bed"]["status"] = "guess"
    with pytest.raises(ScenarioError, match="status"):
        catalogue_from_dict(bad)
    bad = yaml.safe_load(yaml.safe_dump(raw))
    bad["kad"]["beds_per_1000"] = bad["kad"]["fte_per_bed"]
    with pytest.raises(ScenarioError, match="unknown key") as e:
        catalogue_from_dict(bad)
    assert "admissions_per_1000" in str(e.value)  # allowed keys are listed
    bad = yaml.safe_load(yaml.safe_dump(raw))
    bad["coverage"]["hjemmetjenester"]["profession_mix"]["sykepleier"]["value"] = 0.5
    with pytest.raises(ScenarioError, match="sum to 1"):
        catalogue_from_dict(bad)
    bad = yaml.safe_load(yaml.safe_dump(raw))
    bad["staffing"]["employer_contribution"]["5035"]["value"] = 0.12
    with pytest.raises(ScenarioError, match="zone rates"):
        catalogue_from_dict(bad)


def test_load_catalogue_from_a_path(tmp_path, raw):
    p = tmp_path / "services.yaml"
    p.write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert load_catalogue(p).price_year == raw["price_year"]
    p.write_text("kad: [unclosed", encoding="utf-8")
    with pytest.raises(DataError, match="invalid YAML"):
        load_catalogue(p)
    p.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(DataError, match="mapping"):
        load_catalogue(p)
    with pytest.raises(DataError, match="not found"):
        load_catalogue(tmp_path / "missing.yaml")


def test_every_service_has_a_catalogue_entry(catalogue):
    for s in SERVICES:
        if s == "psykisk_helse_team":  # the ambulant team is part of psykisk helse og rus
            assert catalogue.psykisk_helse_rus.team is not None
            continue
        assert s in type(catalogue).model_fields or s in type(catalogue.coverage).model_fields
