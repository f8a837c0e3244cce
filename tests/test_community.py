"""Psykisk helse og rus, prevention units, mitigators and overhead (issue 16, items 2-4).

Direction of effects, invariants (hypothesis), known values from the national figures, the
targets of the issue, the Monte Carlo draws of the mitigator ranges, and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.errors import DataError
from planning.overhead import (
    Overhead,
    net_saving,
    one_off_costs,
    one_off_events,
    running_overhead,
    with_one_off_costs,
)
from planning.parameters import Unit, load_catalogue
from planning.services import mitigation as mitigators
from planning.services.per_capita_bands import band_population, mental_health_fte, team_fte
from planning.services.prevention_unit import prevention_fte

DATA = Path(__file__).resolve().parents[1] / "data"
VAERNES = ["5035", "5034", "5032", "5033"]
SIX = VAERNES + ["5036", "5031"]


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


CATALOGUE = load_catalogue()


@pytest.fixture(scope="module")
def today():
    from planning import scenarios

    return scenarios.run("today")


@pytest.fixture(scope="module")
def prevention():
    from planning import scenarios

    return scenarios.run("shared_prevention")


# ------------------------------------------------------------------------------------------------
# psykisk helse og rus
# ------------------------------------------------------------------------------------------------
@given(
    adults=st.floats(0, 1e6),
    more=st.floats(1, 1e5),
    young=st.floats(0, 1e6),
)
def test_more_adults_more_mental_health_fte(adults, more, young):
    base = mental_health_fte(adults, young, 30.72, 18.89)
    assert mental_health_fte(adults + more, young, 30.72, 18.89) > base
    assert base >= 0


def test_band_population_splits_at_adult_age():
    P = np.arange(106, dtype=float)[None, :]
    adults, young = band_population(P, 18)
    assert adults[0] == sum(range(18, 106)) and young[0] == sum(range(18))
    assert adults[0] + young[0] == P.sum()


def test_team_only_above_min_catchment(catalogue):
    tm = catalogue.psykisk_helse_rus.team
    small = tm.min_catchment.value - 1
    w, f, runs = team_fte(np.array([5000.0, 20000.0]), np.array([small, 30000.0]), 0.0, tm)
    assert runs.tolist() == [0.0, 1.0] and f[0] == 0 and w[0] == 0
    assert f[1] >= max(tm.min_fte.value, w[1])


def test_national_rates_known_values():
    """The built rates equal the national counts over SSB's population (known values)."""
    rates = pd.read_csv(DATA / "national_rates.csv").set_index("parameter")
    # 13 445 FTE for adults in 2023 (IS-24/8) over 4 376 793 inhabitants 18+ (SSB 07459)
    assert rates.loc["psykisk_helse_rus.fte_per_10000_adults", "value"] == pytest.approx(
        13445 / 4376793 * 1e4, rel=1e-6
    )
    # 17 436 FTE in all: about 31.8 per 10 000 inhabitants (the "about 31")
    total = rates.loc["reference.psykisk_helse_rus_fte_per_10000_inhabitants", "value"]
    assert 31 <= total <= 32.5
    assert rates.loc["frisklivssentral.participants_per_fte", "value"] == pytest.approx(30000 / 306)


def test_catalogue_uses_the_built_rates(catalogue):
    """Every catalogue value that rests on data/national_rates.csv equals the built rate (as
    written, to 4 significant digits): the two cannot drift apart."""
    from planning.parameters import _walk

    values = dict((p, s.value) for p, s in _walk(catalogue, ""))
    rates = pd.read_csv(DATA / "national_rates.csv")
    used = rates[~rates["parameter"].str.startswith("reference.")]
    assert len(used) >= 5
    for row in used.itertuples():
        assert values[row.parameter] == pytest.approx(row.value, rel=5e-4), row.parameter


def test_first_year_psykisk_helse_fte_within_30_percent_of_national_rate(today):
    """Target: Værnes four, first year, within ±30 % of the national rate per inhabitant
    (IS-24/8 2023: 17 436 FTE) applied to their population."""
    r = today
    y0 = int(r.capacity["year"].min())
    cap = r.capacity
    at_rate = cap[
        (cap.service == "psykisk_helse_rus")
        & (cap.measure == "fte_at_national_rate")
        & (cap.year == y0)
    ]["value"].sum()
    pop = r.population[r.population.year == y0]["population"].sum()
    rates = pd.read_csv(DATA / "national_rates.csv").set_index("parameter")
    national = rates.loc["reference.psykisk_helse_rus_fte_per_10000_inhabitants", "value"]
    expected = pop * national / 1e4
    assert 0.7 * expected <= at_rate <= 1.3 * expected, (at_rate, expected)
    # conservation: the municipal part of the team's workload moved out of the own FTE
    staff = r.staff[(r.staff.year == y0) & (r.staff.measure == "fte")]
    own = staff[staff.service == "psykisk_helse_rus"]["value"].sum()
    team_w = r.staff[
        (r.staff.year == y0)
        & (r.staff.service == "psykisk_helse_team")
        & (r.staff.measure == "fte_workload")
    ]["value"].sum()
    share = CATALOGUE.psykisk_helse_rus.team.municipal_cost_share.value
    assert own + team_w * share == pytest.approx(at_rate, rel=1e-9)


def test_acute_places_are_a_share_of_kad(catalogue, today):
    cap = today.capacity[today.capacity.service == "kad"]
    piv = cap.pivot_table(index=["unit", "year"], columns="measure", values="value")
    share = catalogue.psykisk_helse_rus.acute_share_of_kad.value
    ratio = piv["bed_days_psykisk_helse_rus"] / (piv["offered_load"] * 365.0)
    assert np.allclose(ratio, share)


# ------------------------------------------------------------------------------------------------
# prevention units
# ------------------------------------------------------------------------------------------------
def test_frisklivssentral_for_the_six_matches_national_figures(catalogue):
    """Target: about 3.6 FTE and 350 participants a year for the six (306 FTE and 30 000
    participants in municipalities with 80 % of Norway's population, 2019)."""
    from planning.data import load_population

    pop = load_population(SIX, years=[2026])["population"].sum()
    workload, fte, participants = prevention_fte(pop, 0.0, catalogue.frisklivssentral)
    assert workload == pytest.approx(3.6, abs=0.25)
    assert participants == pytest.approx(350, abs=25)
    assert fte >= workload


@given(driver=st.floats(0, 1e6), travel=st.floats(0, 10))
@settings(deadline=None)
def test_prevention_fte_invariants(driver, travel):
    spec = CATALOGUE.frisklivssentral
    w, f, part = prevention_fte(driver, travel, spec)
    assert f >= w + travel - 1e-9 and f >= spec.min_fte.value
    assert part == pytest.approx(w * spec.participants_per_fte.value)
    w0, f0, p0 = prevention_fte(driver, travel, spec, runs=0.0)
    assert w0 == f0 == p0 == 0


def test_demand_of_the_new_services_from_their_kinds(catalogue):
    """The demand the model uses (planning.demand, every entry through its kind): psykisk
    helse og rus's adults and young split at adult_age; a prevention unit's driver is the
    inhabitants, or the new home-care users (home-care users × mitigation.new_user_share)."""
    from planning.demand import AGES, project_demand

    pop = pd.DataFrame(
        {
            "municipality_code": "5035",
            "year": 2026,
            "sex": np.repeat(["female", "male"], AGES.size),
            "age": np.tile(AGES, 2),
            "population": 0.5,
        }
    )
    d = project_demand(pop, catalogue).set_index(["service", "measure"])["value"]
    share = catalogue.mitigation.new_user_share.value
    assert d[("innsatsteam", "driver")] == pytest.approx(d[("hjemmetjenester", "users")] * share)
    assert d[("frisklivssentral", "driver")] == pytest.approx(AGES.size)
    adult_age = catalogue.psykisk_helse_rus.adult_age
    assert d[("psykisk_helse_rus", "adults")] == pytest.approx(AGES.size - adult_age)
    assert d[("psykisk_helse_rus", "young")] == pytest.approx(adult_age)


# ------------------------------------------------------------------------------------------------
# mitigators
# ------------------------------------------------------------------------------------------------
@given(
    users=st.floats(0, 1e6),
    effect=st.floats(0, 1),
    stronger=st.floats(0, 1),
    reach=st.floats(0, 1),
    new=st.floats(0, 1),
    since=st.integers(0, 30),
)
def test_stronger_effect_fewer_users_never_below_zero(users, effect, stronger, reach, new, since):
    e2 = effect + (1 - effect) * stronger  # at least as strong, still ≤ 1
    r = mitigators.ramp(since, 3.0)
    k1, a1 = mitigators.apply(users, [mitigators.reduction_share(1.0, effect, reach, new, r)])
    k2, a2 = mitigators.apply(users, [mitigators.reduction_share(1.0, e2, reach, new, r)])
    assert 0 <= k2 <= k1 + 1e-9 <= users + 1e-6
    assert k1 + a1 == pytest.approx(users)
    # not covered: no change
    k0, a0 = mitigators.apply(users, [mitigators.reduction_share(0.0, e2, reach, new, r)])
    assert k0 == users and a0 == 0


def test_reduction_share_refuses_out_of_range():
    with pytest.raises(ValueError):
        mitigators.reduction_share(1.0, 1.5, 1.0, 1.0, 1.0)


def test_mitigator_acts_only_where_the_scenario_adds_a_unit(today, prevention):
    """Today (no proposed innsatsteam) nothing is avoided; sub-project 7 avoids home-care hours,
    growing with the ramp, and the home-care FTE are lower by exactly what is avoided."""
    prev = prevention
    avoided_today = today.capacity[today.capacity["measure"].isin(["fte_avoided", "users_avoided"])]
    assert len(avoided_today) and (avoided_today["value"] == 0).all()
    av = prev.capacity[
        (prev.capacity.service == "hjemmetjenester") & (prev.capacity.measure == "fte_avoided")
    ]
    by_year = av.groupby("year")["value"].sum()
    assert by_year.iloc[0] == 0  # today's observed year: nothing yet
    assert by_year.iloc[5] > by_year.iloc[1] > 0
    fte = lambda r, y: r.staff[  # noqa: E731
        (r.staff.service == "hjemmetjenester") & (r.staff.measure == "fte") & (r.staff.year == y)
    ]["value"].sum()
    y = int(by_year.index[5])
    assert fte(today, y) - fte(prev, y) == pytest.approx(by_year.loc[y], rel=1e-9)


def test_mitigator_ranges_enter_the_monte_carlo():
    from planning import scenarios, uncertainty

    drawn = uncertainty.drawn_paths()
    assert "mitigation.mitigators.innsatsteam_timer.effect" in drawn
    r = scenarios.run("shared_prevention", runs=4, seed=3)
    assert "mitigation.mitigators.innsatsteam_timer.effect" in r.provenance["parameter_draws"]
    av = r.capacity[(r.capacity.measure == "fte_avoided") & (r.capacity.year == 2035)]
    per_run = av.groupby("run")["value"].sum()
    assert per_run.nunique() > 1  # the effect varies over the runs
    assert (per_run >= 0).all()


def test_evidence_table_lists_every_mitigator(catalogue):
    rows = mitigators.evidence_table(catalogue.mitigation)
    assert {r["mitigator"] for r in rows} == set(catalogue.mitigation.mitigators)
    assert all(r["evidence_note"] and r["source"] for r in rows)


# ------------------------------------------------------------------------------------------------
# overhead
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def overhead_spec(catalogue) -> Overhead:
    return catalogue.overhead


@given(
    fte=st.floats(0, 500),
    nok=st.floats(0, 5e8),
    members=st.integers(1, 10),
    gross=st.floats(-1e9, 1e9),
)
@settings(max_examples=50, deadline=None)
def test_overhead_never_negative_and_saving_never_larger(fte, nok, members, gross):
    spec = CATALOGUE.overhead
    items = running_overhead(fte, nok, members, 800_000.0, 400.0, spec)
    total = sum(float(np.sum(v)) for v in items.values())
    assert total >= 0
    if members == 1:
        assert total == 0  # a municipality alone pays no sharing overhead
    assert net_saving(gross, 0.0, total) <= gross
    with pytest.raises(ValueError):
        net_saving(gross, 0.0, -1.0)


def test_overhead_makes_a_shared_units_saving_smaller(catalogue):
    """Evaluating the same scenario with and without overhead: shared units cost more, units of
    one municipality cost the same, so the saving of sharing shrinks and never grows."""
    from planning import data, scenarios
    from planning.capacity import evaluate, municipality_travel

    r = scenarios.run("shared_staff")
    travel = municipality_travel(data.load_travel(), data.load_places())
    no_over = catalogue.model_copy(update={"overhead": None})
    a = evaluate(r.population, r.demand, catalogue, r.scenario.organisation, travel=travel)
    b = evaluate(r.population, r.demand, no_over, r.scenario.organisation, travel=travel)
    cost_a = a.costs.groupby("service")["nok"].sum()
    cost_b = b.costs.groupby("service")["nok"].sum()
    assert (cost_a >= cost_b - 1e-6).all()
    assert cost_a["kommuneoverlege"] > cost_b["kommuneoverlege"]
    items = set(a.costs["item"])
    assert {"overhead_leadership", "overhead_it", "overhead_coordination"} <= items
    # a service nobody shares in this scenario carries no overhead
    assert cost_a["hjemmetjenester"] == pytest.approx(cost_b["hjemmetjenester"])


def test_one_off_events_and_costs(overhead_spec):
    today = [Unit(service="kad", name="DMS", host="5035", members=["5035", "5034", "5033"])]
    scen = [
        Unit(service="kad", name="DMS", host="5035", members=["5035", "5034"]),
        Unit(service="innsatsteam", name="Team", host="5035", members=["5035", "5032"]),
    ]
    ev = one_off_events(today, scen)
    got = {(r.service, r.municipality_code, r.event, r.share) for r in ev.itertuples()}
    assert got == {
        ("kad", "5035", "setup", 0.5),  # the DMS with other members counts as a new unit
        ("kad", "5034", "setup", 0.5),
        ("innsatsteam", "5035", "setup", 0.5),
        ("innsatsteam", "5032", "setup", 0.5),
        ("kad", "5033", "exit", 1.0),
    }
    costs = one_off_costs(ev, range(2026, 2040), 2026, overhead_spec)
    n = overhead_spec.annualise_years.value
    per_event = costs.groupby(["service", "municipality_code"])["nok"].sum()
    assert per_event[("innsatsteam", "5032")] == pytest.approx(overhead_spec.setup_nok.value / 2)
    assert per_event[("kad", "5033")] == pytest.approx(overhead_spec.exit_nok_per_member.value)
    paid = costs[costs["nok"] > 0]
    assert paid["year"].max() == 2026 + int(np.ceil(n)) - 1 and costs["year"].max() == 2039
    assert one_off_events(today, today).empty
    # the costs frame of a run with runs gets the rows for every run
    frame = pd.DataFrame(
        {
            "municipality_code": ["5035"] * 4,
            "year": [2026, 2027, 2026, 2027],
            "service": ["kad"] * 4,
            "item": ["staff"] * 4,
            "nok": [1.0] * 4,
            "price_year": [2023] * 4,
            "run": [0, 0, 1, 1],
        }
    )
    out = with_one_off_costs(frame, today, scen, overhead_spec)
    extra = out[out["item"] == "overhead_one_off"]
    assert set(extra["run"]) == {0, 1} and (extra["nok"] > 0).all()  # both years in the window
    assert with_one_off_costs(frame, today, today, overhead_spec).equals(frame)


# ------------------------------------------------------------------------------------------------
# bad input: one clear error each
# ------------------------------------------------------------------------------------------------
def _catalogue_with(tmp_path: Path, edit) -> Path:
    raw = yaml.safe_load((DATA / "services.yaml").read_text(encoding="utf-8"))
    edit(raw)
    p = tmp_path / "services.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (
            lambda r: r["mitigation"]["mitigators"]["innsatsteam_timer"].update(
                service="fysioterapi"
            ),
            "unknown service 'fysioterapi'",
        ),
        (
            lambda r: r["mitigation"]["mitigators"]["innsatsteam_timer"].update(measure="beds"),
            "unknown measure 'beds'",
        ),
        (
            lambda r: r["mitigation"]["mitigators"]["innsatsteam_timer"].update(kind="magic"),
            "mitigation.mitigators.innsatsteam_timer.kind",
        ),
        (lambda r: r["frisklivssentral"].update(kind="clinic"), "frisklivssentral.kind"),
        (lambda r: r.pop("innsatsteam"), "comes from innsatsteam, which the catalogue lacks"),
        (
            lambda r: r["mitigation"]["mitigators"]["innsatsteam_timer"].update(unit_service="kad"),
            "comes from kad, which is not a prevention unit",
        ),
        (
            lambda r: r["mitigation"]["mitigators"]["innsatsteam_timer"]["effect"].update(
                value=1.4
            ),
            "innsatsteam_timer.effect",
        ),
    ],
)
def test_bad_catalogue_is_one_clear_error(tmp_path, edit, words):
    p = _catalogue_with(tmp_path, edit)
    with pytest.raises(DataError) as e:
        load_catalogue(p)
    msg = str(e.value)
    assert words in msg and "\n" not in msg
    assert "services.yaml" in msg


def test_mitigator_values_may_vary_over_runs(catalogue):
    """Every mitigation value may be an array over runs (the tornado and the Monte Carlo)."""
    from planning.parameters import Organisation, Unit

    org = Organisation(
        units=[Unit(service="innsatsteam", name="T", host="5035", members=["5035", "5034"])]
    )
    m = catalogue.mitigation
    ramp_years = m.ramp_years.model_copy(update={"value": np.array([1.0, 3.0]).reshape(2, 1, 1)})
    m = m.model_copy(update={"ramp_years": ramp_years})
    red = mitigators.reductions_for(
        m, org, ["5035", "5034", "5032"], np.arange(2026, 2031), 2026, "hjemmetjenester"
    )
    r = red["fte"][0]
    assert r.shape == (2, 3, 5)
    assert (r[:, 2, :] == 0).all() and (r[:, :2, 0] == 0).all()
    assert r[0, 0, 1] > r[1, 0, 1] > 0  # the shorter ramp reaches more in year one


def test_one_off_metrics_per_run_and_region():
    """The sweep's one-off metrics: per municipality, year and run from the costs frame's
    overhead_one_off rows (other items ignored), 0 where nothing happens, the region the sum of
    the municipalities, the total the sum over every year."""
    from planning.overhead import one_off_metrics

    cells = pd.DataFrame(
        [
            (m, y, "cost_nok", 0.0, r)
            for m in ("5035", "5034", "region")
            for y in (2026, 2027)
            for r in (0, 1)
        ],
        columns=["municipality_code", "year", "metric", "value", "run"],
    )
    costs = pd.DataFrame(
        [
            ("5035", 2026, "kad", "overhead_one_off", 100.0, 2023, 0),
            ("5035", 2027, "kad", "overhead_one_off", 50.0, 2023, 0),
            ("5035", 2026, "kad", "overhead_one_off", 200.0, 2023, 1),
            ("5035", 2026, "kad", "staff", 1e6, 2023, 0),
            ("5034", 2026, "legevakt", "overhead_one_off", 30.0, 2023, 1),
        ],
        columns=["municipality_code", "year", "service", "item", "nok", "price_year", "run"],
    )
    o = one_off_metrics(costs, cells).set_index(["metric", "municipality_code", "year", "run"])
    v = o["value"]
    assert len(o) == 2 * len(cells)
    assert v[("one_off_cost_nok", "5035", 2026, 0)] == 100.0
    assert v[("one_off_cost_nok", "5034", 2027, 0)] == 0.0
    assert v[("one_off_cost_nok", "region", 2026, 1)] == 230.0
    assert v[("one_off_total_nok", "5035", 2027, 0)] == 150.0
    assert v[("one_off_total_nok", "region", 2026, 1)] == 230.0
    # without runs the metric frame has no run column, nor do the rows
    flat = one_off_metrics(
        costs[costs.run == 0].drop(columns="run"), cells[cells.run == 0].drop(columns="run")
    )
    assert "run" not in flat.columns and flat["value"].max() == 150.0
