"""Figures (planning.plots) and labels (planning.i18n): conservation of the plotted totals, the
direction of the drawn quantities, offline rendering and bilingual labels. Synthetic frames,
except the map, which uses the shipped geometry, places and travel times."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planning import i18n, plots
from planning.errors import InputError, PlanningError
from planning.parameters import load_catalogue
from planning.reports import figure_html


# ------------------------------------------------------------------------------------------------
# synthetic frames following docs/architecture.md
# ------------------------------------------------------------------------------------------------
def population_frame(runs: int = 0, years=(2026, 2030, 2050), seed: int = 1) -> pd.DataFrame:
    """Two municipalities, ages 0..105, a flat-ish age profile that ages over time; runs add
    multiplicative noise to the later years."""
    rng = np.random.default_rng(seed)
    rows = []
    for run in range(runs + 1):
        for code, scale in (("5035", 100.0), ("5033", 8.0)):
            for year in years:
                for sex in ("female", "male"):
                    ages = np.arange(106)
                    shift = (year - years[0]) / 2.0
                    pop = scale * np.exp(-(((ages - 40 - shift) / 35.0) ** 2))
                    if run > 0 and year > years[0]:
                        pop = pop * rng.lognormal(0.0, 0.05)
                    for a, v in zip(ages, pop, strict=True):
                        rows.append((code, year, sex, int(a), float(v), run))
    df = pd.DataFrame(
        rows, columns=["municipality_code", "year", "sex", "age", "population", "run"]
    )
    return df if runs > 0 else df.drop(columns="run")


def demand_frame(runs: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    rows = []
    for run in range(runs + 1):
        for code in ("5035", "5034"):
            for year in range(2026, 2031):
                g = 1.0 + 0.03 * (year - 2026) * (rng.normal(1.0, 0.2) if run else 1.0)
                rows += [
                    (code, year, "kad", "bed_days", 900.0 * g, run),
                    (code, year, "kad", "admissions", 250.0 * g, run),
                    (code, year, "hjemmetjenester", "users", 400.0 * g, run),
                    (code, year, "jordmor", "births", 180.0, run),
                ]
    df = pd.DataFrame(
        rows, columns=["municipality_code", "year", "service", "measure", "value", "run"]
    )
    return df if runs > 0 else df.drop(columns="run")


def costs_frame() -> pd.DataFrame:
    rows = []
    for code, k in (("5035", 10.0), ("5034", 2.0), ("5033", 1.0)):
        for year in (2026, 2050):
            for item, v in (("staff", 3e6), ("travel", 1e5)):
                rows.append((code, year, "kad", item, k * v * (1.5 if year == 2050 else 1.0), 2023))
    return pd.DataFrame(
        rows, columns=["municipality_code", "year", "service", "item", "nok", "price_year"]
    )


def _data_traces(fig):
    return [tr for tr in fig.data if tr.type in ("bar", "scatter")]


# ------------------------------------------------------------------------------------------------
# i18n
# ------------------------------------------------------------------------------------------------
def test_number_formats_follow_the_language():
    assert i18n.fmt_number(12345.6, "nb", 1) == "12\u00a0345,6"
    assert i18n.fmt_number(12345.6, "en", 1) == "12,345.6"
    assert i18n.fmt_number(-3.0, "nb") == "\u22123"
    assert i18n.fmt_nok(12_300_000, "nb") == "12,3 mill. kr"
    assert i18n.fmt_nok(12_300_000, "en") == "NOK 12.3 million"
    assert i18n.fmt_signed(2.0, "en") == "+2"
    assert i18n.fmt_number(float("nan"), "en") == "–"
    assert i18n.fmt_percent(0.123, "nb") == "12,3\u00a0%"


@pytest.mark.parametrize(
    ("x", "decimals", "nb", "en"),
    [
        (0.4, 0, "0", "0"),
        (-0.4, 0, "0", "0"),
        (0.6, 0, "+1", "+1"),
        (-0.6, 0, "\u22121", "-1"),
        (0.0, 0, "0", "0"),
        (-0.0, 0, "0", "0"),
        (0.04, 1, "0,0", "0.0"),
        (-0.04, 1, "0,0", "0.0"),
        (0.05001, 1, "+0,1", "+0.1"),
        (-0.06, 1, "\u22120,1", "-0.1"),
        (0.004, 2, "0,00", "0.00"),
        (0.006, 2, "+0,01", "+0.01"),
        (1234.5678, 1, "+1\u00a0234,6", "+1,234.6"),
        (-1234.4, 0, "\u22121\u00a0234", "-1,234"),
        (float("nan"), 1, "–", "–"),
        (None, 0, "–", "–"),
    ],
)
def test_a_signed_change_that_rounds_to_zero_has_no_sign(x, decimals, nb, en):
    """fmt_signed: '+' only when the shown figure is above zero, '−' only when below; a
    change that rounds to zero reads 0 (no '+0', no '−0') in both languages."""
    assert i18n.fmt_signed(x, "nb", decimals) == nb
    assert i18n.fmt_signed(x, "en", decimals) == en


@given(x=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), d=st.integers(0, 3))
def test_signed_and_plain_numbers_agree_on_the_figure(x, d):
    """fmt_signed is fmt_number with a sign: the digits are the same, a sign shows only on a
    figure that is not zero, and it matches the sign of x."""
    for lang in ("nb", "en"):
        signed, plain = i18n.fmt_signed(x, lang, d), i18n.fmt_number(x, lang, d)
        if not any(c in "123456789" for c in plain):  # shown as zero
            assert signed == plain and plain[0] == "0"
        elif x > 0:
            assert signed == "+" + plain
        else:
            assert signed == plain and plain[0] in "-\u2212"


def test_every_string_exists_in_both_languages():
    for key, entry in i18n.STRINGS.items():
        assert set(entry) == set(i18n.LANGUAGES), key
        assert all(entry[lang].strip() for lang in i18n.LANGUAGES), key


def test_unknown_language_and_key_are_input_errors():
    with pytest.raises(InputError, match="allowed: nb, en"):
        i18n.t("summary", "de")
    with pytest.raises(InputError, match="Did you mean summary"):
        i18n.t("sumary", "nb")
    assert i18n.status_label("assumption", "nb") == "antatt"
    assert i18n.status_label("estimated", "nb") == "estimert"


# ------------------------------------------------------------------------------------------------
# population
# ------------------------------------------------------------------------------------------------
def test_pyramid_conserves_population_and_puts_men_left():
    pop = population_frame()
    fig = plots.population_pyramid(pop, years=[2026, 2050], lang="nb")
    for year in (2026, 2050):
        for sex in ("male", "female"):
            tr = next(t for t in fig.data if t.name == f"{i18n.t(sex, 'nb')} {year}")
            x = np.asarray(tr.x, dtype=float)
            expected = pop[(pop["year"] == year) & (pop["sex"] == sex)]["population"].sum()
            assert abs(x).sum() == pytest.approx(expected, rel=1e-12)
            assert (x <= 0).all() if sex == "male" else (x >= 0).all()
            assert list(tr.y)[0] == "0-4" and list(tr.y)[-1] == "100+"
            assert len(tr.y) == 21
    assert "2026 og 2050" in fig.layout.title.text


def test_pyramid_uses_the_central_run_only():
    pop = population_frame(runs=3)
    fig = plots.population_pyramid(pop, years=[2050], lang="en")
    central = pop[(pop["run"] == 0) & (pop["year"] == 2050) & (pop["sex"] == "female")][
        "population"
    ].sum()
    tr = next(t for t in fig.data if t.name == "Women 2050")
    assert np.sum(tr.x) == pytest.approx(central)


def test_pyramid_rejects_a_missing_year():
    with pytest.raises(InputError, match="no year"):
        plots.population_pyramid(population_frame(), years=[2040])


def test_age_group_totals_are_nested_and_conserved():
    pop = population_frame()
    tot = plots.age_group_totals(pop, ("67+", "80+", "90+", "0-66"))
    piv = tot.pivot(index="year", columns="group", values="population")
    assert (piv["67+"] >= piv["80+"]).all() and (piv["80+"] >= piv["90+"]).all()
    all_ages = pop.groupby("year")["population"].sum()
    np.testing.assert_allclose(piv["67+"] + piv["0-66"], all_ages.loc[piv.index], rtol=1e-12)
    # the synthetic population ages: the older share grows
    assert piv.loc[2050, "80+"] > piv.loc[2026, "80+"]


def test_growth_band_brackets_the_draws_and_vanishes_without_runs():
    pop = population_frame(runs=20)
    fig = plots.age_group_growth(pop, lang="en")
    bands = [t for t in fig.data if t.fill == "toself"]
    lines = [t for t in fig.data if t.mode == "lines" and t.fill != "toself"]
    assert len(bands) == 3 and len(lines) == 3
    b = bands[1]  # 80+
    n = len(b.x) // 2
    upper, lower = np.asarray(b.y[:n]), np.asarray(b.y[n:])[::-1]
    assert (upper >= lower - 1e-9).all()
    assert (upper[1:] > lower[1:]).all()  # later years carry noise
    fig0 = plots.age_group_growth(population_frame(), lang="en")
    assert not [t for t in fig0.data if t.fill == "toself"]
    with pytest.raises(InputError, match="age group"):
        plots.age_group_growth(pop, groups=("eighty",))


# ------------------------------------------------------------------------------------------------
# demand, staff, costs, capacity
# ------------------------------------------------------------------------------------------------
def test_demand_panels_sum_over_municipalities():
    dem = demand_frame()
    fig = plots.demand_by_service(dem, lang="nb", catalogue=load_catalogue())
    assert plots.primary_measures(dem) == {
        "hjemmetjenester": "users",
        "jordmor": "births",
        "kad": "bed_days",
    }
    lines = [t for t in fig.data if t.mode == "lines"]
    assert len(lines) == 3
    kad = next(t for t in lines if t.name.startswith("kad"))
    expected = (
        dem[(dem["service"] == "kad") & (dem["measure"] == "bed_days")]
        .groupby("year")["value"]
        .sum()
    )
    np.testing.assert_allclose(kad.y, expected.to_numpy())
    assert "liggedøgn" in kad.name


def test_demand_band_when_runs():
    fig = plots.demand_by_service(demand_frame(runs=10), lang="en", catalogue=load_catalogue())
    assert len([t for t in fig.data if t.fill == "toself"]) == 3


def test_cost_bars_stack_to_the_municipality_total():
    costs = costs_frame()
    fig = plots.costs_by_municipality(
        costs, lang="en", names={"5035": "Stjørdal", "5034": "Meråker", "5033": "Tydal"}
    )
    bars = [t for t in fig.data if t.type == "bar"]
    total = np.sum([np.asarray(b.y, dtype=float) for b in bars], axis=0)
    expected = (
        costs[costs["year"] == 2050]
        .groupby("municipality_code")["nok"]
        .sum()
        .sort_values(ascending=False)
        / 1e6
    )
    np.testing.assert_allclose(total, expected.to_numpy())
    assert list(bars[0].x) == ["Stjørdal", "Meråker", "Tydal"]
    assert "(2023)" in fig.layout.yaxis.title.text and "2050" in fig.layout.title.text
    with pytest.raises(InputError, match="no year 2040"):
        plots.costs_by_municipality(costs, year=2040)


def test_staff_stacks_fte_per_service():
    staff = pd.DataFrame(
        {
            "unit": ["5035", "5034", "5035", "5035"],
            "year": [2026, 2026, 2026, 2026],
            "service": ["kad", "kad", "jordmor", "jordmor"],
            "profession": ["sykepleier", "sykepleier", "jordmor", "jordmor"],
            "measure": ["fte", "fte", "fte", "fte_workload"],
            "value": [3.0, 1.5, 2.0, 1.7],
        }
    )
    fig = plots.staff_by_service(staff, lang="nb")
    got = {t.name: float(t.y[0]) for t in fig.data}
    assert got == {"kad": 4.5, "jordmor": 2.0}


def test_ten_services_get_ten_distinct_colours():
    """The staff chart of a real scenario has ten services; no two share a colour."""
    services = [f"s{i}" for i in range(10)]
    staff = pd.DataFrame(
        {"unit": "5035", "year": 2026, "service": services, "measure": "fte", "value": 1.0}
    )
    fig = plots.staff_by_service(staff)
    assert len({t.line.color for t in fig.data}) == 10
    assert plots.colours(4) == plots.PALETTE and len(set(plots.colours(18))) == 18


def test_refusal_curves_style_and_validation():
    beds = np.arange(1, 11)
    curves = pd.concat(
        [
            pd.DataFrame(
                {
                    "unit": "5035",
                    "arrangement": "separate",
                    "beds": beds,
                    "refusal_probability": 1 / (beds + 1),
                }
            ),
            pd.DataFrame(
                {
                    "unit": "Felles",
                    "arrangement": "pooled",
                    "beds": beds,
                    "refusal_probability": 1 / (beds + 2),
                }
            ),
        ]
    )
    fig = plots.refusal_curves(curves, lang="en", target=0.05, names={"5035": "Stjørdal"})
    dashes = {t.name: t.line.dash for t in fig.data}
    assert dashes == {"Felles (shared unit)": "solid", "Stjørdal (each municipality alone)": "dash"}
    assert fig.layout.shapes and fig.layout.shapes[0].y0 == 0.05
    with pytest.raises(InputError, match="arrangement"):
        plots.refusal_curves(curves.assign(arrangement="mixed"))


def test_beds_and_cost_shares_and_compare():
    beds = pd.DataFrame(
        {"service": ["kad", "kad"], "arrangement": ["separate", "pooled"], "beds": [9.0, 6.0]}
    )
    fig = plots.beds_separate_pooled(beds, lang="nb")
    assert [float(t.y[0]) for t in fig.data] == [9.0, 6.0]
    shares = pd.DataFrame(
        {
            "unit": ["DMS"] * 3,
            "municipality_code": ["5035", "5034", "5033"],
            "share": [0.8, 0.15, 0.05],
            "year": 2050,
        }
    )
    fig = plots.cost_shares(shares, lang="en", names={"5035": "Stjørdal"})
    assert sum(float(t.x[0]) for t in fig.data) == pytest.approx(1.0)
    table = pd.DataFrame(
        {
            "scenario": ["baseline", "baseline", "shared", "shared"],
            "municipality_code": ["region", "5035", "region", "5035"],
            "metric": "beds",
            "value": [10.0, 6.0, 8.0, 5.0],
            "p10": [9.0, 5.0, 7.0, 4.0],
            "p90": [12.0, 7.0, 9.0, 6.0],
        }
    )
    fig = plots.compare_bars(table, "beds", lang="en")
    assert [t.name for t in fig.data] == ["baseline", "shared"]
    assert list(fig.data[0].x) == ["Region", "5035"]
    np.testing.assert_allclose(fig.data[1].error_y.array, [1.0, 1.0])
    with pytest.raises(InputError, match="no metric"):
        plots.compare_bars(table, "fte")


def test_frames_missing_columns_raise_planning_errors():
    with pytest.raises(PlanningError, match="lacks columns"):
        plots.demand_by_service(pd.DataFrame({"year": [2026]}), catalogue=load_catalogue())
    with pytest.raises(InputError, match="needs the scenario's catalogue"):
        plots.demand_by_service(demand_frame())
    with pytest.raises(PlanningError, match="no rows"):
        plots.costs_by_municipality(costs_frame().iloc[0:0])


# ------------------------------------------------------------------------------------------------
# map (shipped geometry) and offline HTML
# ------------------------------------------------------------------------------------------------
def test_region_map_is_offline_and_labels_estimates():
    from planning import data

    codes = data.region("vaernes")
    fig = plots.region_map(
        data.load_geometry(), data.load_places(), data.load_travel(), codes, lang="nb"
    )
    assert {tr.type for tr in fig.data} == {"scatter"}  # no tile or geo subplot: works offline
    names = {tr.name for tr in fig.data if tr.showlegend is not False}
    assert {"Stjørdal", "Tydal", "DMS"} <= names  # names, not codes, in the legend
    assert not any(ch.isdigit() for n in names for ch in n), names
    labels = [a.text for a in fig.layout.annotations if "min" in a.text]
    assert {"<b>Stjørdal</b>", "<b>Tydal</b>"} <= {a.text for a in fig.layout.annotations}
    travel = data.load_travel()
    legs = travel[
        (travel["to_id"] == "stjordalshalsen")
        & travel["from_id"].isin(["meraker_muni", "selbu_muni", "tydal_muni"])
    ]
    assert len(labels) == len(legs) == 3
    for leg in legs.itertuples():
        text = f"{leg.minutes:.0f} min" + (
            " (estimert)" if leg.minutes_status == "estimated" else ""
        )
        assert text in labels
    # the aspect ratio follows the latitude (~63.3° N: 1° lat spans ~2.2× the pixels of 1° lon)
    assert fig.layout.yaxis.scaleratio == pytest.approx(1 / np.cos(np.radians(63.3)), rel=0.02)
    with pytest.raises(InputError, match="no geometry"):
        plots.region_map(data.load_geometry(), data.load_places(), data.load_travel(), ["9999"])


def test_figure_html_never_loads_plotly_from_a_cdn():
    fig = plots.costs_by_municipality(costs_frame(), lang="nb")
    with_js = figure_html(fig, include_plotlyjs=True)
    without = figure_html(fig, include_plotlyjs=False)
    assert "<script src=" not in with_js and "<script src=" not in without
    assert len(with_js) > 3_000_000 > len(without)  # plotly.js inline once
    assert 'separators":", "' in without.replace("\\", "") or '"separators": ", "' in without
