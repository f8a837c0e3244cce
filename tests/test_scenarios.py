"""Scenarios as data: loading, deltas, overrides, run(), compare(), CLI and output."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planning import data, scenarios
from planning.cli import main
from planning.demand import project_demand
from planning.errors import InputError, ScenarioError

SHIPPED = [
    "today",
    "alone",
    "combined",
    "selbu_rejoins",
    "shared_dms",
    "shared_mental_health",
    "shared_prevention",
    "shared_staff",
    "shared_user_office",
]
#: Knutepunkt Sørlandet (Agder), shipped beside Værnes (tests/test_knutepunkt.py)
SHIPPED_KS = ["ks_shared_kad", "ks_shared_office", "ks_shared_staff", "ks_today"]
VAERNES = ["5035", "5034", "5032", "5033"]
SELBU = "5032"
KAD = "Værnesregionen DMS, KAD-senger"
OFFICE = "Værnesregionen forvaltningskontor"


@pytest.fixture(scope="module")
def results() -> dict[str, scenarios.ScenarioResult]:
    return {n: scenarios.run(n) for n in SHIPPED}


@pytest.fixture(scope="module")
def mc() -> dict[str, scenarios.ScenarioResult]:
    return {n: scenarios.run(n, runs=12, seed=7) for n in ("today", "shared_dms")}


def region_metric(res, metric, year=None):
    m = res.metrics()
    m = m[(m["municipality_code"] == "region") & (m["metric"] == metric)]
    if "run" in m.columns:
        m = m[m["run"] == 0]
    s = m.set_index("year")["value"]
    return s if year is None else float(s[year])


# ------------------------------------------------------------------------------------------------
# the shipped scenarios
# ------------------------------------------------------------------------------------------------
def test_shipped_scenarios_listed():
    assert scenarios.list_scenarios() == sorted(
        SHIPPED + SHIPPED_KS, key=lambda n: (n != "today", n != "alone", n)
    )
    assert scenarios.scenarios_dir().joinpath("today.yaml").is_file()


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenario_is_complete_and_described(name):
    """Every shipped scenario is today or a delta on today that says what it changes."""
    scn = scenarios.load_scenario(name)
    assert scn.name == name
    assert scn.municipality_codes() == tuple(VAERNES)
    for text in (scn.title, scn.description):
        assert len(text.nb) > 3 and len(text.en) > 3 and text.nb != text.en
    assert len(scn.description.nb) > 80  # a real explanation, not a label
    assert (scn.extends is None) == (name == "today")
    assert scn.lineage[0].endswith("today.yaml") and scn.lineage[-1].endswith(f"{name}.yaml")
    if name != "today":
        assert scn.description.nb.startswith("Endring fra i dag")
        assert scn.description.en.startswith("Change from today")
    for u in scn.organisation.units:
        assert u.host == "5035" and u.note  # Stjørdal hosts every shared unit; key explained


def test_today_units_equal_data_organisation():
    """`today` takes the units of data/organisation.yaml whose members all take part."""
    from planning.parameters import load_organisation

    org = load_organisation()
    today = scenarios.load_scenario("today")
    assert today.organisation.status_quo
    inside = [u for u in org.units if set(u.members) <= set(VAERNES)]
    assert today.organisation.units == inside
    assert {u.name for u in inside} == {
        "Værnesregionen legevakt",
        KAD,
        OFFICE,
        "Værnesregionen DMS, intermediære senger",
    }
    assert all(u.source for u in org.units)  # every unit of today has its source
    # another set of municipalities takes today's units within it, any region
    six = scenarios.apply_overrides(today, {"region": "vaernesregionen"})
    assert six.organisation.units == inside
    two = scenarios.apply_overrides(today, {"municipalities": ["5035", "5034"]})
    assert two.organisation.units == []
    trd = scenarios.apply_overrides(today, {"region": "trondelag"})
    in_trondelag = set(data.region("trondelag"))
    assert trd.organisation.units == [u for u in org.units if set(u.members) <= in_trondelag]
    assert len(trd.organisation.units) > len(inside)  # Innherred and Trondheim legevakt too


def _membership(name):
    return {u.service: set(u.members) for u in scenarios.load_scenario(name).organisation.units}


def test_organisations_mean_what_their_names_say():
    others = set(VAERNES) - {SELBU}
    today = _membership("today")
    assert today == {
        "legevakt": set(VAERNES),
        "kad": others,
        "intermediaer": others,
        "brukerkontor": others,
    }
    assert _membership("alone") == {}
    assert _membership("shared_dms") == {**today, "kad": set(VAERNES), "intermediaer": set(VAERNES)}
    assert _membership("shared_user_office") == {**today, "brukerkontor": set(VAERNES)}
    assert _membership("selbu_rejoins") == {
        **_membership("shared_dms"),
        "brukerkontor": set(VAERNES),
    }
    staff = _membership("shared_staff")
    added = {s: staff[s] for s in set(staff) - set(today)}
    assert set(added) == {"kommuneoverlege", "helsestasjon", "skolehelsetjeneste", "jordmor"}
    assert all(m == set(VAERNES) for m in added.values())
    assert _membership("combined") == {**_membership("selbu_rejoins"), **added}


def test_extends_does_not_mutate_the_base():
    before = scenarios.load_scenario("today").model_dump(mode="json")
    scenarios.load_scenario("combined")
    scenarios.clear_cache()
    assert scenarios.load_scenario("today").model_dump(mode="json") == before


def test_baseline_is_a_deprecated_name_for_alone():
    with pytest.warns(DeprecationWarning, match="alone"):
        scn = scenarios.load_scenario("base" + "line")
    assert scn.name == "alone" and scn.organisation.units == []


def test_old_names_warn_from_the_callers_line_and_fail_this_suite():
    """The package's deprecations are PlanningDeprecationWarning (a DeprecationWarning),
    attributed to the caller's line (not to a module inside planning, however deep the old name
    was noticed), and this suite turns them into errors (pyproject filterwarnings), so no test,
    notebook helper or module of ours can go on using an old name unnoticed."""
    import warnings

    from planning.errors import PlanningDeprecationWarning

    old = "base" + "line"
    with pytest.warns(PlanningDeprecationWarning) as got:
        scenarios.load_scenario(old)
    with pytest.warns(PlanningDeprecationWarning) as got2, pytest.raises(InputError):
        scenarios.compare([], **{old: "today"})
    assert len(got) == len(got2) == 1
    for w in (*got, *got2):
        assert w.filename == __file__, w.filename
    assert issubclass(PlanningDeprecationWarning, DeprecationWarning)
    with pytest.raises(PlanningDeprecationWarning):
        scenarios.run(old)  # the suite's filter makes our own deprecation an error
    with warnings.catch_warnings(record=True):  # the suite's filters, recorded not shown
        warnings.warn("a third party's deprecation", DeprecationWarning, stacklevel=1)  # no error


def test_delta_merge_rules(tmp_path):
    """Mappings merge key by key; units merge by name; remove: true drops a unit; region and
    municipalities replace each other."""
    (tmp_path / "d.yaml").write_text(
        yaml.safe_dump(
            {
                "extends": "combined",
                "name": "d",
                "municipalities": ["Stjørdal", "Meråker", "5032", "Tydal"],
                "horizon": {"end_year": 2040},
                "organisation": {
                    "units": [
                        {"name": "Værnesregionen jordmortjeneste", "remove": True},
                        {"name": "Værnesregionen legevakt", "remove": True},
                        {"name": KAD, "cost_key": "use"},
                    ]
                },
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    scn = scenarios.load_scenario(tmp_path / "d.yaml")
    assert scn.region is None and scn.municipality_codes() == tuple(VAERNES)
    assert scn.horizon.base_year == 2026 and scn.horizon.end_year == 2040
    names = [u.name for u in scn.organisation.units]
    assert "Værnesregionen jordmortjeneste" not in names and KAD in names
    assert "Værnesregionen legevakt" not in names  # a unit of today removed by name
    kad = next(u for u in scn.organisation.units if u.name == KAD)
    assert kad.cost_key == "use" and kad.members == VAERNES and kad.note  # other fields kept
    assert scn.title.nb == "d"  # titles are not inherited


DMS = (KAD, "Værnesregionen DMS, intermediære senger")


def test_removing_a_shared_unit_plans_the_service_alone_and_keeps_the_rest_of_today(
    tmp_path, results
):
    """A delta on today that removes today's two DMS units (by name): its members plan their own
    KAD and intermediate beds exactly as in `alone` (every cost item of those services, the
    one-off cost of leaving included), while every other service (the shared legevakt and
    office above all) stays exactly as today; more beds than today (no pooling)."""
    (tmp_path / "no_dms.yaml").write_text(
        "extends: today\nname: no_dms\norganisation:\n  units:\n"
        + "".join(f"    - {{name: '{n}', remove: true}}\n" for n in DMS),
        encoding="utf-8",
    )
    scn = scenarios.load_scenario(tmp_path / "no_dms.yaml")
    names = {u.name for u in scn.organisation.units}
    assert names == {"Værnesregionen legevakt", OFFICE}
    got = scenarios.run(scn)
    today, alone = results["today"], results["alone"]
    key = ["municipality_code", "year", "service", "item"]

    def costs(res, dms: bool):
        c = res.costs
        c = c[c["service"].isin(["kad", "intermediaer"]) == dms]
        return c.set_index(key)["nok"]

    for dms, ref in ((True, alone), (False, today)):
        both = pd.concat({"got": costs(got, dms), "ref": costs(ref, dms)}, axis=1).fillna(0.0)
        assert len(both) > 0 and (both["ref"] != 0).any()
        np.testing.assert_allclose(both["got"], both["ref"], rtol=1e-9, err_msg=str(dms))
    m = {
        n: r.metrics().set_index(["municipality_code", "year", "metric"])["value"]
        for n, r in (("got", got), ("today", today), ("alone", alone))
    }
    for metric in ("beds_kad", "beds_intermediaer"):
        mine = m["got"].xs(metric, level="metric")
        np.testing.assert_allclose(mine, m["alone"].xs(metric, level="metric"), rtol=1e-9)
    beds = {
        n: v.xs(("region", "beds"), level=["municipality_code", "metric"]) for n, v in m.items()
    }
    assert (beds["got"] > beds["today"]).all()
    # the legevakt and the office are today's units, with today's members
    kept = got.units[got.units["service"].isin(["legevakt", "brukerkontor"])]
    ref = today.units[today.units["service"].isin(["legevakt", "brukerkontor"])]
    pd.testing.assert_frame_equal(kept.reset_index(drop=True), ref.reset_index(drop=True))
    # Selbu, outside today's DMS, is not touched by removing it
    selbu = m["got"].xs(SELBU, level="municipality_code")
    np.testing.assert_allclose(selbu, m["today"].xs(SELBU, level="municipality_code"), rtol=1e-9)


def test_scenario_next_to_its_base_in_another_folder(tmp_path):
    (tmp_path / "mine.yaml").write_text("extends: today\nname: mine\nlevers: {max_refusal: 0.02}\n")
    (tmp_path / "child.yaml").write_text("extends: mine\nname: child\n")
    scn = scenarios.load_scenario(str(tmp_path / "child.yaml"))
    assert scn.levers.max_refusal == 0.02
    assert [p.rsplit("/", 1)[-1] for p in scn.lineage] == [
        "today.yaml",
        "mine.yaml",
        "child.yaml",
    ]


def test_fingerprint_is_stable_and_hashable():
    a, b = scenarios.load_scenario("shared_dms"), scenarios.load_scenario("shared_dms")
    assert a.fingerprint() == b.fingerprint() and hash(a) == hash(b) and a == b
    c = scenarios.apply_overrides(a, {"levers.max_refusal": 0.02})
    assert c.fingerprint() != a.fingerprint()
    assert len({a, b, c}) == 2
    # the same content built two ways has the same fingerprint
    d = scenarios.apply_overrides(
        scenarios.apply_overrides(a, {"levers.max_refusal": 0.03}), {"levers.max_refusal": 0.02}
    )
    assert d == c


# ------------------------------------------------------------------------------------------------
# overrides
# ------------------------------------------------------------------------------------------------
def test_apply_overrides_returns_a_new_validated_object():
    base = scenarios.load_scenario("combined")
    new = scenarios.apply_overrides(
        base,
        {
            "levers.max_refusal": 0.02,
            "demography.variant": "HHH",
            f"organisation.units.{KAD}.members": ["5035", "5034"],
            "organisation.units.0.cost_key": "use",
            "services.kad.bed_days_per_1000": 30,
        },
    )
    assert base.levers.max_refusal is None and base.demography.variant == "MMM"
    assert new.levers.max_refusal == 0.02 and new.demography.variant == "HHH"
    assert new.organisation.units[1].members == ["5035", "5034"]
    assert new.organisation.units[0].cost_key == "use"
    assert base.organisation.units[1].members == VAERNES
    # a bare number in the catalogue becomes a labelled assumption; the base catalogue is intact
    v = new.catalogue().kad.bed_days_per_1000
    assert v.value == 30 and v.status == "assumption" and "scenario" in v.source
    assert base.catalogue().kad.bed_days_per_1000.value == 22.2
    assert new.overrides["levers.max_refusal"] == 0.02 and new.file == base.file


def test_override_region_replaces_municipalities():
    base = scenarios.load_scenario("today")
    new = scenarios.apply_overrides(base, {"municipalities": ["Stjørdal", "Meråker"]})
    assert new.region is None and new.municipality_codes() == ("5035", "5034")
    back = scenarios.apply_overrides(new, {"region": "vaernesregionen"})
    assert back.municipalities is None and len(back.municipality_codes()) == 6


def test_sourced_override_keeps_its_source():
    base = scenarios.load_scenario("today")
    src = {
        "value": 25.0,
        "unit": "bed-days per 1 000 inhabitants per year",
        "source": "local KAD statistics 2024",
        "year": 2024,
        "status": "seen",
    }
    new = scenarios.apply_overrides(base, {"services.kad.bed_days_per_1000": src})
    v = new.catalogue().kad.bed_days_per_1000
    assert (v.value, v.status, v.source) == (25.0, "seen", "local KAD statistics 2024")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(x=st.floats(min_value=-2, max_value=3, allow_nan=False))
def test_refusal_target_accepted_exactly_inside_zero_one(x):
    base = scenarios.load_scenario("today")
    if 0 < x < 1:
        assert scenarios.apply_overrides(base, {"levers.max_refusal": x}).levers.max_refusal == x
    else:
        with pytest.raises(ScenarioError):
            scenarios.apply_overrides(base, {"levers.max_refusal": x})


# ------------------------------------------------------------------------------------------------
# run
# ------------------------------------------------------------------------------------------------
def test_result_frames_and_provenance(results):
    res = results["shared_dms"]
    assert set(res.population.columns) >= {"municipality_code", "year", "sex", "age", "population"}
    for frame in ("demand", "capacity", "staff", "costs", "cost_shares"):
        assert len(getattr(res, frame)) > 0
    p = res.provenance
    for k in (
        "scenario",
        "file",
        "parameters",
        "data_version",
        "package_version",
        "seed",
        "run_time_s",
        "timestamp",
        "lineage",
        "fingerprint",
        "assumptions",
    ):
        assert k in p
    assert p["scenario"] == "shared_dms" and p["data_version"] == data.data_version()
    assert p["parameters"]["organisation"]["units"][1]["name"] == KAD
    assert p["parameter_status"]["assumption"] == len(p["assumptions"]) > 0
    json.dumps(p, default=str)  # serialisable


def test_base_year_population_is_observed(results):
    res = results["today"]
    obs = data.load_population(VAERNES, years=2026)
    got = res.population[res.population["year"] == 2026]
    assert got["population"].sum() == pytest.approx(obs["population"].sum())
    assert region_metric(res, "population", 2026) == pytest.approx(obs["population"].sum())


def test_metrics_add_up(results):
    """Municipality rows sum to the region; the region equals the frames' totals."""
    res = results["combined"]
    m = res.metrics()
    assert list(m.columns) == ["municipality_code", "year", "metric", "value"]
    assert set(m["metric"]) == set(scenarios.METRICS)
    w = m.pivot_table(index=["year", "metric"], columns="municipality_code", values="value")
    additive = w.loc[
        (slice(None), [k for k in scenarios.METRICS if k != "cost_nok_per_inhabitant"]), :
    ]
    np.testing.assert_allclose(additive[VAERNES].sum(axis=1), additive["region"], rtol=1e-9)
    y = res.end_year
    staff = res.staff[(res.staff["measure"] == "fte") & (res.staff["year"] == y)]
    assert region_metric(res, "fte", y) == pytest.approx(staff["value"].sum())
    cap = res.capacity
    beds = cap[
        (cap["measure"] == "beds")
        & (cap["year"] == y)
        & cap["service"].isin(["kad", "intermediaer"])
    ]
    assert region_metric(res, "beds", y) == pytest.approx(beds["value"].sum())
    assert region_metric(res, "cost_nok", y) == pytest.approx(
        res.costs.loc[res.costs["year"] == y, "nok"].sum()
    )
    per = region_metric(res, "cost_nok_per_inhabitant", y)
    assert per == pytest.approx(
        region_metric(res, "cost_nok", y) / region_metric(res, "population", y)
    )


def test_organisation_does_not_change_population_or_demand(results):
    base = results["today"]
    for name in SHIPPED[1:]:
        pd.testing.assert_frame_equal(results[name].population, base.population)
        pd.testing.assert_frame_equal(results[name].demand, base.demand)


def test_pooling_beds_never_needs_more_beds(results):
    """Erlang B economies of scale: one shared DMS needs no more beds than four separate units,
    and today (Selbu outside) lies between the two, in every year."""
    base = region_metric(results["alone"], "beds")
    shared = region_metric(results["shared_dms"], "beds")
    today = region_metric(results["today"], "beds")
    combined = region_metric(results["combined"], "beds")
    assert (shared <= base).all() and (shared < base).any()
    assert (combined == shared).all()  # user office and staff pools do not touch beds
    assert ((shared <= today) & (today <= base)).all()
    assert (region_metric(results["shared_staff"], "beds") == today).all()


def test_sharing_changes_only_the_shared_services(results):
    base, office = results["today"].costs, results["shared_user_office"].costs
    key = ["municipality_code", "year", "service", "item"]
    j = base.merge(office, on=key, suffixes=("_b", "_o"))
    same = j[j["service"] != "brukerkontor"]
    np.testing.assert_allclose(same["nok_b"], same["nok_o"])
    bk = j[(j["service"] == "brukerkontor") & (j["item"] == "staff")]
    # one management instead of two: the region's user-office staff cost falls
    assert bk.groupby("year")["nok_o"].sum().lt(bk.groupby("year")["nok_b"].sum()).all()


def test_selbu_keeps_its_own_kad_today(results):
    cap = results["today"].capacity
    kad_units = set(cap.loc[(cap["service"] == "kad") & (cap["measure"] == "beds"), "unit"])
    assert kad_units == {KAD, SELBU}


def test_summary_and_headline(results):
    res = results["shared_dms"]
    s = res.summary
    assert list(s.columns) == ["municipality_code", "metric", "value"]
    assert set(s["municipality_code"]) == {*VAERNES, "region"}
    h = res.headline(results["today"], results["alone"])
    assert h["year"] == 2050 and h["scenario"] == "shared_dms"
    assert h["beds"] == pytest.approx(region_metric(res, "beds", 2050))
    assert sum(h["cost_nok_by_municipality"].values()) == pytest.approx(h["cost_nok"])
    for key, other in (("vs_reference", "today"), ("vs_alone", "alone")):
        assert h[key]["beds"] == pytest.approx(h["beds"] - results[other].headline()["beds"])
        assert h[key]["population"] == 0
    assert h["reference"] == "today" and h["reference_title"] == "I dag"


def test_sample_scenario_is_valid_and_equals_today(tmp_path, results):
    text = scenarios.sample_scenario()
    assert "# " in text and "assumption" in text and "seen" in text
    p = tmp_path / "sample.yaml"
    p.write_text(text, encoding="utf-8")
    scn = scenarios.load_scenario(p)
    assert scn.extends is None and all(
        v is not None for k, v in scn.levers if k != "age_shift_per_year"
    )
    res = scenarios.run(scn)
    pd.testing.assert_frame_equal(res.metrics(), results["today"].metrics())


def test_sample_scenario_names_todays_units_and_its_unit_example_is_valid(tmp_path):
    """The sample lists today's units of its municipalities by name (the names a delta changes
    or removes), and its commented example of unit changes (a change and a removal) is a valid
    delta on today."""
    text = scenarios.sample_scenario()
    today = scenarios.load_scenario("today").organisation.units
    for u in today:
        assert f"#   {u.name}: {u.service}, host {u.host}" in text
    lines = text.splitlines()
    i = lines.index("#   units:")
    example = []
    for line in lines[i:]:
        if not line.startswith("#   "):
            break
        example.append(line.removeprefix("#   "))
    assert any("remove: true" in e for e in example)
    body = "extends: today\nname: ex\norganisation:\n" + "\n".join(
        "  " + e for e in example[: next(k for k, e in enumerate(example) if "remove" in e) + 1]
    )
    p = tmp_path / "ex.yaml"
    p.write_text(body + "\n", encoding="utf-8")
    names = {u.name: u for u in scenarios.load_scenario(p).organisation.units}
    assert "Værnesregionen legevakt" not in names
    assert names[KAD].members == VAERNES


def test_real_pay_growth_scales_costs_from_the_base_year(results):
    base = results["today"]
    g = 0.01
    res = scenarios.run(scenarios.apply_overrides("today", {"prices.real_pay_growth": g}))
    for y in (2026, 2040, 2050):
        assert region_metric(res, "cost_nok", y) == pytest.approx(
            region_metric(base, "cost_nok", y) * (1 + g) ** (y - 2026)
        )
    assert res.scenario.prices.real_pay_growth.status == "assumption"


def test_refusal_target_direction():
    """A stricter refusal target needs at least as many beds and lowers refusal."""
    loose = scenarios.run(scenarios.apply_overrides("shared_dms", {"levers.max_refusal": 0.2}))
    strict = scenarios.run(scenarios.apply_overrides("shared_dms", {"levers.max_refusal": 0.01}))
    assert (region_metric(strict, "beds") >= region_metric(loose, "beds")).all()
    assert region_metric(strict, "beds", 2050) > region_metric(loose, "beds", 2050)


def test_demand_does_not_depend_on_capacity_only_levers(results):
    """Guards the demand cache: levers in CAPACITY_ONLY_LEVERS never change demand."""
    res = results["today"]
    cat = res.scenario.catalogue()
    from planning.parameters import Levers

    a = project_demand(res.population, cat, Levers(max_refusal=0.5, occupancy_target=0.3))
    b = project_demand(res.population, cat, Levers(max_refusal=0.01, occupancy_target=0.99))
    pd.testing.assert_frame_equal(a, b)
    assert set(scenarios.CAPACITY_ONLY_LEVERS) <= set(Levers.model_fields)


def test_results_are_independent_of_the_cache():
    a = scenarios.run("today")
    a.population.loc[:, "population"] = 0.0  # a caller scribbling on its result ...
    b = scenarios.run("today")
    assert b.population["population"].sum() > 30_000  # ... does not reach the cache


def test_run_arguments_checked():
    with pytest.raises(InputError, match="runs"):
        scenarios.run("today", runs=-1)
    with pytest.raises(InputError, match="seed"):
        scenarios.run("today", seed=-3)


# ------------------------------------------------------------------------------------------------
# Monte Carlo and compare
# ------------------------------------------------------------------------------------------------
def test_runs_have_bands_and_a_central_run(mc, results):
    res = mc["shared_dms"]
    assert sorted(res.population["run"].unique()) == list(range(13))
    s = res.summary
    assert {"p10", "p50", "p90"} <= set(s.columns)
    assert (s["p10"] <= s["p50"] + 1e-9).all() and (s["p50"] <= s["p90"] + 1e-9).all()
    central = res.metrics()
    central = central[central["run"] == 0].drop(columns="run").reset_index(drop=True)
    pd.testing.assert_frame_equal(central, results["shared_dms"].metrics(), rtol=1e-9)


def test_same_seed_same_draws():
    a = scenarios.run("today", runs=3, seed=11)
    scenarios.clear_cache()
    b = scenarios.run("today", runs=3, seed=11)
    pd.testing.assert_frame_equal(a.metrics(), b.metrics())


def test_compare_against_today_then_alone(results):
    c = scenarios.compare(results)
    assert set(c["scenario"]) == set(SHIPPED) - {"today"} and set(c["reference"]) == {"today"}
    np.testing.assert_allclose(c["difference"], c["value"] - c["reference_value"])
    np.testing.assert_allclose(c["difference_alone"], c["value"] - c["alone_value"])
    assert list(c.columns[:9]) == [
        "scenario",
        "reference",
        "municipality_code",
        "year",
        "metric",
        "value",
        "reference_value",
        "difference",
        "relative_difference",
    ]
    pop = c[c["metric"] == "population"]
    assert (pop["difference"] == 0).all()
    r = c[(c["scenario"] == "shared_dms") & (c["year"] == 2050)]
    by = r.set_index(["metric", "municipality_code"])["difference"]
    for metric in ("beds", "fte", "cost_nok"):
        assert by[(metric, "region")] == pytest.approx(sum(by[(metric, m)] for m in VAERNES))
    assert by[("beds", "region")] < 0


def test_compare_with_bands(mc):
    c = scenarios.compare(list(mc.values()))
    assert {"p10", "p50", "p90"} <= set(c.columns)
    pop = c[c["metric"] == "population"]
    assert (pop[["p10", "p50", "p90"]] == 0).all().all()  # paired runs: same population draws
    beds = c[(c["metric"] == "beds") & (c["municipality_code"] == "region") & (c["year"] == 2050)]
    assert float(beds["p90"].iloc[0]) <= 0  # pooling saves beds in (almost) every draw


def test_compare_runs_today_when_it_is_missing(results):
    """compare() defaults to today; a missing reference is run for the same municipalities."""
    alone = scenarios.compare([results["shared_dms"]])
    full = scenarios.compare(results)
    key = ["municipality_code", "year", "metric"]
    a = alone.set_index(key)[["difference", "difference_alone"]]
    b = full[full["scenario"] == "shared_dms"].set_index(key)[["difference", "difference_alone"]]
    pd.testing.assert_frame_equal(a.sort_index(), b.sort_index())
    with pytest.raises(InputError, match="results"):
        scenarios.compare([])


def test_a_scenario_that_changes_nothing_shows_zero_difference(tmp_path, results):
    (tmp_path / "same.yaml").write_text(
        "extends: today\nname: same\norganisation: {units: []}\n", encoding="utf-8"
    )
    c = scenarios.compare([results["today"], scenarios.run(tmp_path / "same.yaml")])
    assert set(c["scenario"]) == {"same"}
    assert (c["difference"].abs() < 1e-6).all()
    cost = c[(c["metric"] == "cost_nok") & (c["municipality_code"] == "region")]
    assert (cost["difference_alone"] < 0).all()  # today's cooperation already saves money


# ------------------------------------------------------------------------------------------------
# CLI and output
# ------------------------------------------------------------------------------------------------
def test_cli_list_show_sample(capsys):
    assert main(["scenarios", "list"]) == 0
    out = capsys.readouterr().out
    assert all(n in out for n in SHIPPED) and "Selbu tilbake i DMS" in out
    assert main(["scenarios", "show", "combined"]) == 0
    out = capsys.readouterr().out
    shown = yaml.safe_load(out)
    assert shown["name"] == "combined" and "extends" not in shown
    assert "today -> shared_staff -> combined" in out
    assert main(["sample-scenario"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["name"] == "sample"


def test_cli_validate_shipped(capsys):
    files = [str(scenarios.scenarios_dir() / f"{n}.yaml") for n in SHIPPED]
    assert main(["scenarios", "validate", *files]) == 0
    assert capsys.readouterr().out.count("ok: ") == len(SHIPPED)


def test_cli_run_writes_frames(tmp_path, capsys):
    assert (
        main(["run", "shared_dms", "--out", str(tmp_path), "--format", "csv", "--lang", "en"]) == 0
    )
    out = capsys.readouterr().out
    assert "Scenario shared_dms: Selbu rejoins the DMS" in out and "Region" in out
    folder = tmp_path / "shared_dms"
    names = {p.name for p in folder.iterdir()}
    assert {
        "population.csv",
        "costs.csv",
        "metrics.csv",
        "summary.csv",
        "provenance.json",
        "scenario.yaml",
    } <= names
    m = pd.read_csv(folder / "metrics.csv", dtype={"municipality_code": str})
    assert set(m["municipality_code"]) == {*VAERNES, "region"}
    assert json.loads((folder / "provenance.json").read_text())["scenario"] == "shared_dms"
    assert scenarios.load_scenario(folder / "scenario.yaml").organisation.units[1].name == KAD


def test_cli_run_all(tmp_path, capsys):
    assert main(["run", "--all", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == sorted(
        SHIPPED + SHIPPED_KS
    )
    assert (tmp_path / "today" / "metrics.parquet").is_file()
    assert capsys.readouterr().out.count("Scenario ") == len(SHIPPED + SHIPPED_KS)


def test_whole_section_overrides_and_numpy_integers():
    new = scenarios.apply_overrides("today", {"services": {"kad": {"fte_per_bed": 2.0}}})
    assert new.catalogue().kad.fte_per_bed.value == 2.0
    with pytest.raises(ScenarioError, match="fte_per_bed"):
        scenarios.apply_overrides("today", {"services": {"kad": {"fte_perbed": 2.0}}})
    res = scenarios.run("today", runs=np.int64(2), seed=np.int64(3))
    assert res.runs == 2 and res.provenance["seed"] == 3 and isinstance(res.provenance["seed"], int)
