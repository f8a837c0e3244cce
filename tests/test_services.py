"""Services declared as data (planning.services): the kinds, the mitigator, a new service from
data alone, and the errors of a bad entry."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from planning import data, parameters, scenarios, services
from planning.demand import AGES, project_demand
from planning.errors import DataError, InputError, ScenarioError
from planning.parameters import Levers, catalogue_from_dict, load_catalogue

ROOT = Path(__file__).resolve().parent.parent
SOURCED = {"unit": "test", "source": "synthetic test value", "status": "seen"}


def _s(v: float, unit: str = "test") -> dict:
    return {"value": v, **SOURCED, "unit": unit}


@pytest.fixture(scope="module")
def raw() -> dict:
    return data.load_yaml("services.yaml")


def _population(years=(2025, 2030, 2035), growth=0.02, code="5035") -> pd.DataFrame:
    parts = []
    for i, y in enumerate(years):
        per_age = np.full(AGES.size, 100.0) * (1 + growth) ** (5 * i)
        per_age[80:] *= 1 + 0.05 * i  # the old grow faster
        for sex in ("female", "male"):
            parts.append(
                pd.DataFrame(
                    {
                        "municipality_code": code,
                        "year": y,
                        "sex": sex,
                        "age": AGES,
                        "population": per_age / 2,
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def _value(d: pd.DataFrame, service: str, measure: str, year: int) -> float:
    sel = (d.service == service) & (d.measure == measure) & (d.year == year)
    return float(d.loc[sel, "value"].sum())


MITIGATOR = {
    "kind": "mitigator",
    "label": "Frisklivssentral (test)",
    "reach_ages": [18, 105],
    "participants_per_1000": _s(5.0, "participants per 1 000 inhabitants"),
    "participants_per_fte": _s(100.0, "participants per FTE"),
    "min_fte": _s(0.2, "FTE"),
    "fte_step": _s(0.1, "FTE"),
    "profession": "sykepleier",
    "onsite_share": _s(0.5, "share"),
    "effects": {
        "hjemmetjenester": {"share": _s(0.1, "share"), "measures": ["users", "fte"]},
    },
}


def _with(raw: dict, **entries) -> parameters.ServiceCatalogue:
    r = copy.deepcopy(raw)
    r.update(copy.deepcopy(entries))
    return catalogue_from_dict(r, file="test services")


# ------------------------------------------------------------------------------------------------
# the registry
# ------------------------------------------------------------------------------------------------
def test_every_kind_module_has_its_parts():
    for name, m in services.KINDS.items():
        assert m.KIND == name
        assert callable(m.demand) and callable(m.plan)
        assert isinstance(m.PLAN_ORDER, int) and isinstance(m.MEASURE_UNITS, dict)
        assert issubclass(m.Spec, services.ServiceSpec)


def test_shipped_services_and_their_kinds():
    cat = load_catalogue()
    kinds = {n: s.kind for n, s in cat.services().items()}
    assert kinds == {
        "hjemmetjenester": "coverage_rate",
        "langtidsopphold": "coverage_rate",
        "heldogn_bolig": "coverage_rate",
        "kad": "bed_service",
        "intermediaer": "bed_service",
        "helsestasjon": "per_capita_norm",
        "skolehelsetjeneste": "school_health",
        "jordmor": "per_capita_norm",
        "kommuneoverlege": "per_capita_norm",
        "legevakt": "rota",
        "fastlege": "list_norm",
        "brukerkontor": "case_office",
        "psykisk_helse_rus": "per_capita_bands",
        "frisklivssentral": "prevention_unit",
        "innsatsteam": "prevention_unit",
        "ernaeringsfysiolog": "prevention_unit",
    }
    # psykisk helse og rus runs in each municipality; its ambulant team is the shareable part
    assert "psykisk_helse_rus" not in cat.shareable_services()
    assert "psykisk_helse_team" in cat.shareable_services()
    assert "psykisk_helse_team" in cat.service_names()
    assert cat.kad is cat.service("kad")  # entries read as attributes, as before
    assert "fastlege" not in cat.shareable_services()
    assert cat.labels()["kad"].startswith("KAD")
    # paths of the assumptions stay what scenario files, sweeps and ranges.yaml use
    paths = set(cat.assumptions_table()["parameter"])
    assert {
        "kad.fte_per_bed",
        "coverage.hjemmetjenester.fte_per_user",
        "legevakt.weekend_days",
    } <= paths


def test_dotted_paths_still_reach_the_entries():
    from planning.uncertainty import with_values

    cat = load_catalogue()
    c2, _ = with_values(cat, cat.default_levers(), {"kad.fte_per_bed": np.array([1.0, 2.0])})
    assert np.array_equal(c2.kad.fte_per_bed.value, [1.0, 2.0])
    assert cat.kad.fte_per_bed.value == 1.5
    scn = scenarios.apply_overrides("shared_dms", {"services.kad.fte_per_bed": 2.5})
    assert scn.catalogue().kad.fte_per_bed.value == 2.5


# ------------------------------------------------------------------------------------------------
# the mitigator kind
# ------------------------------------------------------------------------------------------------
def test_mitigator_reduces_its_targets_growth_and_never_below_zero(raw):
    pop = _population()
    base = project_demand(pop, load_catalogue())
    shares = [0.0, 0.1, 0.5, 1.0]
    users = []
    for share in shares:
        m = copy.deepcopy(MITIGATOR)
        m["effects"]["hjemmetjenester"]["share"] = _s(share, "share")
        d = project_demand(pop, _with(raw, friskliv=m))
        users.append([_value(d, "hjemmetjenester", "users", y) for y in (2025, 2030, 2035)])
        # untouched services stay as they were
        assert _value(d, "kad", "bed_days", 2035) == _value(base, "kad", "bed_days", 2035)
        assert _value(d, "friskliv", "participants", 2035) == pytest.approx(
            sum(pop.loc[(pop.year == 2035) & (pop.age >= 18), "population"]) * 5 / 1000
        )
    users = np.array(users)
    assert np.allclose(
        users[0], [_value(base, "hjemmetjenester", "users", y) for y in (2025, 2030, 2035)]
    )
    assert np.allclose(users[:, 0], users[0, 0])  # growth only: the first year is untouched
    assert (np.diff(users[:, -1]) < 0).all()  # a stronger effect, fewer users
    assert (users >= 0).all() and np.allclose(users[-1], users[-1][0])  # share 1: no growth
    # the user office follows the users that remain
    d_full = project_demand(pop, _with(raw, friskliv=MITIGATOR))
    assert _value(d_full, "brukerkontor", "cases", 2035) < _value(
        base, "brukerkontor", "cases", 2035
    )


def test_mitigator_on_all_demand_scales_it():
    raw = data.load_yaml("services.yaml")
    m = copy.deepcopy(MITIGATOR)
    m["effects"] = {
        "kad": {"share": _s(0.25, "share"), "measures": ["bed_days"], "applies_to": "all"}
    }
    pop = _population()
    base = project_demand(pop, load_catalogue())
    d = project_demand(pop, _with(raw, friskliv=m))
    for y in (2025, 2035):
        assert _value(d, "kad", "bed_days", y) == pytest.approx(
            0.75 * _value(base, "kad", "bed_days", y)
        )
        assert _value(d, "kad", "admissions", y) == _value(base, "kad", "admissions", y)


def test_mitigator_staff_and_cost_in_the_plan():
    from planning.capacity import evaluate

    raw = data.load_yaml("services.yaml")
    cat = _with(raw, friskliv=MITIGATOR)
    pop = _population()
    plan = evaluate(pop, project_demand(pop, cat), cat, parameters.Organisation())
    fte = plan.staff[(plan.staff.service == "friskliv") & (plan.staff.measure == "fte")]
    assert (fte.value >= 0.2).all()  # at least the smallest position
    c = plan.costs
    assert c[(c.service == "friskliv") & (c.item == "staff")].nok.gt(0).all()


def test_mitigator_share_is_drawn_in_the_monte_carlo(raw):
    from planning import uncertainty

    cat = _with(raw, friskliv=MITIGATOR)
    ranges = dict(uncertainty.load_ranges())
    ranges["friskliv.effects.hjemmetjenester.share"] = uncertainty.Range(
        low=0.0, high=0.3, kind="uncertain", reason="test range"
    )
    draws = uncertainty.draw(cat, cat.default_levers(), cat, 50, 7, ranges=ranges)
    v = draws["friskliv.effects.hjemmetjenester.share"]
    assert v[0] == 0.1 and 0.0 <= v[1:].min() and v[1:].max() <= 0.3 and v[1:].std() > 0
    pop = _population()
    pop_r = pd.concat([pop.assign(run=r) for r in range(51)], ignore_index=True)
    from planning.demand import fallback_coverage_rates

    rates = fallback_coverage_rates(load_catalogue(), ["5035"])

    def users(values):
        cat_r, lv_r = uncertainty.with_values(cat, cat.default_levers(), values)
        d = project_demand(pop_r, cat_r, lv_r, coverage_rates=rates)
        u = d[(d.service == "hjemmetjenester") & (d.measure == "users")]
        return u.pivot(index="run", columns="year", values="value").to_numpy()

    u = users(draws)
    u0 = users({**draws, "friskliv.effects.hjemmetjenester.share": np.zeros(51)})
    # each run avoids its own drawn share of the growth of home-care users
    assert np.allclose(u, u0 - v[:, None] * np.maximum(u0 - u0[:, :1], 0))
    assert (u[1:, -1] < u0[1:, -1]).all()


# ------------------------------------------------------------------------------------------------
# a new service from data alone
# ------------------------------------------------------------------------------------------------
TOY = """
toy_norm:
  kind: per_capita_norm
  label: Leketøystjeneste
  measures: {children: [0, 12]}
  driver: children
  per_fte: {value: 500, unit: children per FTE, source: "synthetic test value", status: seen}
  min_fte: {value: 0.2, unit: FTE, source: "synthetic test value", status: seen}
  fte_step: {value: 0.1, unit: FTE, source: "synthetic test value", status: seen}
  profession: helsesykepleier
  onsite_share: {value: 0.5, unit: share of work, source: "synthetic test value", status: seen}
"""


@pytest.fixture
def toy_data(tmp_path, monkeypatch):
    from planning.build import refresh_manifest

    d = tmp_path / "data"
    shutil.copytree(ROOT / "data", d)
    with open(d / "services.yaml", "a", encoding="utf-8") as f:
        f.write(TOY)
    refresh_manifest(d)
    monkeypatch.setenv("VAERNES_DATA_DIR", str(d))
    scenarios.clear_cache()
    data.clear_cache()
    yield d
    monkeypatch.delenv("VAERNES_DATA_DIR")
    scenarios.clear_cache()
    data.clear_cache()


def test_a_toy_service_from_data_alone(toy_data):
    from planning import reports

    scn = scenarios.load_scenario("today")
    assert reports.service_labels(scn.catalogue())["toy_norm"] == "Leketøystjeneste"
    shared = scenarios.apply_overrides(
        scn,
        {
            "organisation.units": [
                {
                    "name": "felles_toy",
                    "service": "toy_norm",
                    "host": "5035",
                    "members": ["5035", "5034"],
                }
            ]
        },
    )
    for s in (scn, shared):
        res = scenarios.run(s, runs=0)
        d = res.demand[res.demand.service == "toy_norm"]
        assert set(d.measure) == {"children"} and (d.value > 0).all()
        staff = res.staff[(res.staff.service == "toy_norm") & (res.staff.measure == "fte")]
        assert (staff.value >= 0.2).all()
        c = res.costs
        assert c[(c.service == "toy_norm") & (c.item == "staff")].nok.gt(0).all()
        assert "toy_norm" in set(res.cost_shares.service)
    assert "felles_toy" in set(res.units.unit) and "felles_toy" in set(res.staff.unit)


def _bad_catalogue(raw: dict, **entries) -> str:
    with pytest.raises(ScenarioError) as e:
        _with(raw, **entries)
    return str(e.value)


def test_bad_entries_are_one_clear_line(raw):
    m = _bad_catalogue(raw, toy={"kind": "bed_servise", "label": "x"})
    assert "key 'toy.kind'" in m and "unknown kind 'bed_servise'" in m and "bed_service" in m
    toy = yaml.safe_load(TOY)["toy_norm"]
    del toy["per_fte"]
    m = _bad_catalogue(raw, toy=toy)
    assert "key 'toy.per_fte'" in m and "missing" in m
    m = _bad_catalogue(raw, toy={"label": "x"})
    assert "key 'toy.kind'" in m and "per_capita_norm" in m
    bad = copy.deepcopy(MITIGATOR)
    bad["effects"] = {"hjemmetjeneste": {"share": _s(0.1), "measures": ["users"]}}
    m = _bad_catalogue(raw, friskliv=bad)
    assert "key 'friskliv.effects.hjemmetjeneste'" in m and "not in the catalogue" in m
    assert "hjemmetjenester" in m
    bad["effects"] = {"kad": {"share": _s(0.1), "measures": ["users"]}}
    m = _bad_catalogue(raw, friskliv=bad)
    assert "key 'friskliv.effects.kad.measures.0'" in m and "bed_days" in m
    assert "\n" not in m


def test_load_catalogue_names_the_file(tmp_path, raw):
    r = copy.deepcopy(raw)
    r["toy"] = {"kind": "rotta", "label": "x"}
    p = tmp_path / "services.yaml"
    p.write_text(yaml.safe_dump(r, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataError, match=r"services.yaml.*toy.kind.*unknown kind 'rotta'"):
        load_catalogue(p)


def test_a_unit_of_a_service_that_cannot_be_shared_is_refused():
    with pytest.raises(ScenarioError, match="not allowed.*shareable"):
        parameters.organisation_from_dict(
            {"units": [{"service": "fastlege", "name": "x", "host": "5035", "members": ["5035"]}]}
        )


def test_levers_untouched_by_the_kinds():
    assert Levers().with_defaults(load_catalogue()).max_refusal == 0.05


# ------------------------------------------------------------------------------------------------
# which measures count people served and which are a population (the demand chart's panels)
# ------------------------------------------------------------------------------------------------
#: the shipped measures that are only a population: their line in the demand chart would just
#: repeat the population (issue 16: the new services' adults, young and inhabitant drivers)
POPULATION_ONLY = {
    ("legevakt", "population"),
    ("fastlege", "population"),
    ("kommuneoverlege", "population"),
    ("psykisk_helse_rus", "adults"),
    ("psykisk_helse_rus", "young"),
    ("frisklivssentral", "driver"),
    ("ernaeringsfysiolog", "driver"),
    ("innsatsteam", "driver"),  # new home-care users: a base the unit reaches a share of
}


def test_every_kind_marks_its_measures():
    from planning.services.base import Measure

    for m in services.KINDS.values():
        assert m.Spec.MEASURES is m.MEASURE_UNITS, m.KIND
        for name, marker in m.MEASURE_UNITS.items():
            assert isinstance(marker, Measure), (m.KIND, name)
            assert marker.counts in ("served", "population", "base", "resource", "other")


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml")))
def test_the_demand_chart_of_every_shipped_scenario_shows_no_population(name):
    from planning import plots

    scn = scenarios.load_scenario(name)
    cat = scn.catalogue()
    res = scenarios.run(scn, runs=0)
    demand = res.demand
    pairs = set(zip(demand["service"].astype(str), demand["measure"].astype(str), strict=True))
    # every measure of the demand and capacity frames is declared with its marker by the kind
    # of the entry that plans its service
    for s, m in pairs:
        assert cat.service(s).measure(m).counts in ("served", "population", "base", "resource")
    cap = res.capacity[["service", "measure"]].astype(str).drop_duplicates()
    for s, m in cap.itertuples(index=False):
        services.entry_of(cat, s).measure(m)
    panels = plots.demand_panels(demand, cat)
    assert panels and not set(panels) & POPULATION_ONLY
    assert all(cat.service(s).measure(m).counts == "served" for s, m in panels)
    shown = {s for s, _ in panels}
    # every service with a measure of people served has its panel; the others none
    assert shown == {s for s, m in pairs if cat.service(s).measure(m).counts == "served"}
    assert not {"psykisk_helse_rus", "frisklivssentral", "ernaeringsfysiolog"} & shown
    assert "innsatsteam" not in shown  # its users are its participants, where a unit runs
    assert [m for s, m in panels if s == "skolehelsetjeneste"] == [
        "pupils_barneskole",
        "pupils_ungdomsskole",
        "pupils_vgs",
    ]
    fig = plots.demand_by_service(demand, lang="nb", catalogue=cat)
    titles = [a.text for a in fig.layout.annotations]
    assert len(titles) == len(panels)
    assert not [x for x in titles if "innbyggere" in x or "grunnlag" in x]  # no base panel


#: the users of the new services that their kind computes with its capacity (markers: served)
SERVED_IN_CAPACITY = {
    ("psykisk_helse_rus", "users_substance"),
    ("frisklivssentral", "participants"),
    ("innsatsteam", "participants"),
    ("ernaeringsfysiolog", "participants"),
}


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml")))
def test_the_demand_chart_shows_the_users_of_every_new_service_that_runs(name):
    """Issue 16 item 5: psykisk helse og rus and the prevention units, whose users the capacity
    holds, have their panel in the demand chart wherever they run (some user in the region),
    like every other service; populations and bases still never appear."""
    from planning import plots

    scn = scenarios.load_scenario(name)
    cat = scn.catalogue()
    res = scenarios.run(scn, runs=0)
    cap = res.capacity
    running = {
        (s, m)
        for s, m in SERVED_IN_CAPACITY
        if cap.loc[(cap["service"] == s) & (cap["measure"] == m), "value"].gt(0).any()
    }
    served = plots.served_bands(res)
    assert set(zip(served["service"], served["measure"], strict=True)) == running
    assert ("psykisk_helse_rus", "users_substance") in running  # every municipality has one
    for s, m in running:  # the region's users: the sum over the units that serve it
        want = cap[(cap["service"] == s) & (cap["measure"] == m)].groupby("year")["value"].sum()
        got = served[(served["service"] == s) & (served["measure"] == m)].set_index("year")
        np.testing.assert_allclose(got["value"], want.loc[got.index], rtol=1e-12)
    fig = plots.demand_by_service(plots.demand_bands(res), catalogue=cat, served=served)
    titles = [a.text for a in fig.layout.annotations]
    panels = plots.demand_panels(res.demand, cat)
    assert len(titles) == len(panels) + len(running)
    for s, m in running:
        title = f"{s}<br><span style='font-size:11px'>{plots.panel_label(cat, s, m)}</span>"
        assert title in titles
    assert [x.split("<br>")[0] for x in titles] == sorted(x.split("<br>")[0] for x in titles)
    assert not [x for x in titles if "innbyggere" in x or "grunnlag" in x]  # no population
    # by the markers alone: these four, not KAD's bed-days of psykisk helse og rus (KAD has
    # served demand) nor the ambulant team (planned by its parent entry)
    pairs = plots.served_in_capacity(
        res.demand[["service", "measure"]].itertuples(index=False),
        cap[["service", "measure"]].itertuples(index=False),
        cat,
    )
    assert set(pairs) == SERVED_IN_CAPACITY and len(pairs) == len(SERVED_IN_CAPACITY)


def test_served_bands_reduce_the_runs_like_the_full_capacity_frame():
    """The new services' users band over runs: from the plan's arrays as from the tidy capacity
    frame with every run's rows (P10-P90 over runs 1..N of the region's sums), and drawn."""
    from planning import plots
    from planning.scenario.result import ScenarioResult

    scn = scenarios.load_scenario("shared_prevention")
    res = scenarios.run(scn, runs=6, seed=3)
    fast = plots.served_bands(res)
    frames = {k: getattr(res, k) for k in ("population", "demand", "capacity", "staff")}
    frames |= {"costs": res.costs, "cost_shares": res.cost_shares}
    slow = ScenarioResult(
        name=res.name, scenario=scn, units=res.units, provenance=res.provenance, **frames
    )
    pd.testing.assert_frame_equal(plots.served_bands(slow), fast, rtol=1e-12, check_dtype=False)
    cap = res.capacity
    c = cap[(cap["service"] == "innsatsteam") & (cap["measure"] == "participants")]
    per_run = c.groupby(["year", "run"])["value"].sum().unstack("run")
    got = fast[fast["service"] == "innsatsteam"].set_index("year")
    np.testing.assert_allclose(got["value"], per_run[0], rtol=1e-12)
    np.testing.assert_allclose(got["p90"], per_run.drop(columns=0).quantile(0.9, axis=1), rtol=1e-9)
    assert (got["p10"] <= got["p90"]).all() and (got["p10"] < got["p90"]).any()
    fig = plots.demand_by_service(plots.demand_bands(res), catalogue=scn.catalogue(), served=fast)
    bands = [tr for tr in fig.data if tr.fill == "toself"]
    assert len(bands) == len(fig.layout.annotations)  # every panel, the new ones too


def test_a_new_service_of_an_existing_kind_is_charted_by_its_data(raw):
    """New entries of existing kinds, from data alone: what each measure counts follows the
    entry (a prevention unit's driver; a per-capita norm's population_measures)."""
    from planning import plots

    friskliv = copy.deepcopy(raw["frisklivssentral"])
    hverdag = dict(copy.deepcopy(raw["innsatsteam"]), label="Hverdagsrehabilitering (test)")
    voksen = dict(copy.deepcopy(friskliv), label="Voksenopplæring (test)", driver="adults")
    norm = {
        "kind": "per_capita_norm",
        "label": "Folkehelsekoordinator (test)",
        "measures": {"inhabitants": [0, 105], "elderly": [80, 105]},
        "population_measures": ["inhabitants"],
        "driver": "inhabitants",
        "per_fte": _s(20000.0, "inhabitants per FTE"),
        "min_fte": _s(0.2, "FTE"),
        "fte_step": _s(0.1, "FTE"),
        "profession": "sykepleier",
        "onsite_share": _s(0.5, "share"),
    }
    cat = _with(
        raw,
        toy_friskliv=dict(friskliv, label="Frisklivssentral (test)"),
        toy_hverdag=hverdag,
        toy_voksen=voksen,
        toy_norm=norm,
    )
    d = project_demand(_population(), cat)
    panels = plots.demand_panels(d, cat)
    assert ("toy_norm", "elderly") in panels and ("toy_norm", "inhabitants") not in panels
    assert not {s for s, _ in panels} & {"toy_friskliv", "toy_voksen", "toy_hverdag"}
    # what each driver counts follows the entry's driver
    counts = {s: cat.service(s).measure("driver").counts for s in ("toy_friskliv", "toy_hverdag")}
    assert counts == {"toy_friskliv": "population", "toy_hverdag": "base"}
    assert plots.panel_label(cat, "toy_hverdag", "driver", "en") == "new home-care users a year"
    assert plots.panel_label(cat, "toy_norm", "elderly", "en") == "elderly"
    # a per-capita norm's population measure must be one of its measures
    bad = dict(norm, population_measures=["everyone"])
    assert "population_measures ['everyone']" in _bad_catalogue(raw, toy_norm=bad)
    # a measure the kind does not declare, and a service the catalogue lacks: one clear error
    with pytest.raises(InputError, match="has no measure 'beds_per_cat'"):
        cat.service("kad").measure("beds_per_cat")
    stray = pd.DataFrame({"service": ["no_such_service"], "measure": ["users"]})
    with pytest.raises(InputError, match="not in the catalogue"):
        plots.demand_panels(stray, cat)


def test_a_new_prevention_unit_can_bring_a_mitigation_from_data_alone(raw):
    """A mitigator may come from any prevention_unit entry of the catalogue (no list of the
    shipped units in the code): a new one, added as data, reduces home care where a scenario
    adds its units."""
    from planning.parameters import Organisation, Unit
    from planning.services import mitigation as mitigators

    r = copy.deepcopy(raw)
    r["hverdag2"] = dict(copy.deepcopy(raw["innsatsteam"]), label="Hverdagsrehabilitering 2")
    m = copy.deepcopy(r["mitigation"]["mitigators"]["innsatsteam_timer"])
    r["mitigation"]["mitigators"]["hverdag2_timer"] = dict(m, unit_service="hverdag2")
    cat = catalogue_from_dict(r, file="test services")
    org = Organisation(
        units=[Unit(service="hverdag2", name="H", host="5035", members=["5035", "5034"])]
    )
    red = mitigators.reductions_for(
        cat.mitigation,
        org,
        ["5035", "5034", "5032"],
        np.arange(2026, 2031),
        2026,
        "hjemmetjenester",
    )
    assert len(red["fte"]) == 2  # innsatsteam's (no unit here: zero) and hverdag2's
    assert (red["fte"][1][0, :2, -1] > 0).all() and (red["fte"][1][0, 2, :] == 0).all()
    assert (red["fte"][0] == 0).all()
