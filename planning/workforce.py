"""The workforce view: how many hands the services need against the people of working age.

As SSB's HELSEMOD and the ministry's Tjenestebehov tool show it: modelled FTE per 100
inhabitants aged 20-66, and inhabitants aged 20-66 per inhabitant aged 80+ (the "care ratio"),
per municipality, for the region and for Norway, by year; and the modelled FTE by profession
against today's (the base year).

National figures: the population ratio comes from SSB 07459 (``data/population_norway.parquet``)
up to the base year and, after it, from the project's own cohort-component projection of all 357
municipalities (central run, the scenario's variant), summed; the national FTE figure is SSB's
count of FTE in the care services in 2023 (:data:`NATIONAL_CARE_FTE`), set beside the modelled
FTE of the same services (:data:`CARE_SERVICES`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from planning.budget import PROFESSION_GROUPS, attribute_to_municipalities

#: Working ages and old age of the ratios (HELSEMOD and Tjenestebehov use 20-66 and 80+).
WORKING_AGES: tuple[int, int] = (20, 66)
OLD_AGE = 80
#: Services counted as the care services (omsorgstjenester) of SSB's FTE statistics.
CARE_SERVICES: tuple[str, ...] = ("hjemmetjenester", "langtidsopphold", "heldogn_bolig")
#: FTE in the municipal care services of Norway (sjukeheimar, heimetenester og andre
#: omsorgstenester), 2023: 157 076, of which 117 298 with health education.
NATIONAL_CARE_FTE: dict[str, Any] = {
    "value": 157_076.0,
    "year": 2023,
    "unit": "FTE (årsverk)",
    "publisher": "Statistisk sentralbyrå (SSB)",
    "source": "https://www.ssb.no/helse/helsetjenester/statistikk/sjukeheimar-heimetenester-og-andre-omsorgstenester",
    "licence": "NLOD 2.0 / CC BY 4.0",
    "status": "seen",
}
#: Columns of :func:`workforce_frame` (besides municipality_code and year).
RATIOS: tuple[str, ...] = (
    "fte_per_100_working_age",
    "care_fte_per_100_working_age",
    "working_age_per_80plus",
)


def _age_sums(pop: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    lo, hi = WORKING_AGES
    age = pop["age"].to_numpy()
    p = pop["population"].to_numpy(dtype=float)
    d = pop[keys].copy()
    d["population"] = p
    d["working_age"] = p * ((age >= lo) & (age <= hi))
    d["population_80+"] = p * (age >= OLD_AGE)
    return d.groupby(keys, as_index=False)[["population", "working_age", "population_80+"]].sum()


@functools.lru_cache(maxsize=8)
def national_population(base_year: int, end_year: int, variant: str = "MMM") -> pd.DataFrame:
    """Norway by year: year, population, working_age (20-66), population_80+, source
    ('observed' up to the base year from SSB 07459, 'projected' after it: the cohort-component
    projection of every municipality, central run, summed)."""
    from planning.shared_cache import shared

    key = {"years": [base_year, end_year], "variant": variant}
    # every report of a `planning report` run needs the same national projection: shared there
    return shared("national-population", key, lambda: _national(base_year, end_year, variant))


def _national(base_year: int, end_year: int, variant: str) -> pd.DataFrame:
    from planning import data, demography

    first, _ = data.population_years()
    obs = data.load_population_norway(list(range(first, base_year + 1)))
    out = _age_sums(obs, ["year"]).assign(source="observed")
    if end_year > base_year:
        codes = list(data.load_municipalities()["municipality_code"])
        _, years, arr = demography.project_array(
            codes, base_year, end_year, variant=variant, runs=0
        )
        ages = np.arange(arr.shape[-1])
        lo, hi = WORKING_AGES
        by_age = arr[0].sum(axis=(0, 2))  # (year, age)
        proj = pd.DataFrame(
            {
                "year": np.asarray(years, dtype=int),
                "population": by_age.sum(axis=1),
                "working_age": by_age[:, (ages >= lo) & (ages <= hi)].sum(axis=1),
                "population_80+": by_age[:, ages >= OLD_AGE].sum(axis=1),
            }
        )
        out = pd.concat(
            [out, proj[proj["year"] > base_year].assign(source="projected")], ignore_index=True
        )
    return out


def workforce_frame(result: Any) -> pd.DataFrame:
    """Per municipality, ``'region'`` and ``'norway'`` and year (central run): population,
    working_age (20-66), population_80+, fte (all modelled services), care_fte
    (:data:`CARE_SERVICES`), and the ratios fte_per_100_working_age,
    care_fte_per_100_working_age (FTE / working_age × 100) and working_age_per_80plus.

    FTE of shared units are attributed to the members by cost share. For Norway, fte is not
    modelled (NaN); care_fte is SSB's 2023 count (:data:`NATIONAL_CARE_FTE`) in 2023 only.
    """
    scn = result.scenario
    h = scn.horizon
    pop = result.population
    if "run" in pop.columns:
        pop = pop[pop["run"] == 0]
    own = _age_sums(pop, ["municipality_code", "year"])
    staff = result.staff[result.staff["measure"] == "fte"]
    fte = attribute_to_municipalities(staff, result.cost_shares)
    fte["care"] = fte["value"] * fte["service"].isin(CARE_SERVICES)
    f = fte.groupby(["municipality_code", "year"], as_index=False)[["value", "care"]].sum()
    own = own.merge(
        f.rename(columns={"value": "fte", "care": "care_fte"}),
        on=["municipality_code", "year"],
        how="left",
    )
    region = own.drop(columns="municipality_code").groupby("year", as_index=False).sum()
    region["municipality_code"] = "region"
    nat = national_population(int(h.base_year), int(h.end_year), scn.demography.variant)
    nat = nat.drop(columns="source").assign(municipality_code="norway", fte=np.nan, care_fte=np.nan)
    nat.loc[nat["year"] == NATIONAL_CARE_FTE["year"], "care_fte"] = NATIONAL_CARE_FTE["value"]
    out = pd.concat([own, region, nat], ignore_index=True)
    out["fte_per_100_working_age"] = 100 * out["fte"] / out["working_age"]
    out["care_fte_per_100_working_age"] = 100 * out["care_fte"] / out["working_age"]
    out["working_age_per_80plus"] = out["working_age"] / out["population_80+"]
    cols = [
        "municipality_code",
        "year",
        "population",
        "working_age",
        "population_80+",
        "fte",
        "care_fte",
        *RATIOS,
    ]
    return (
        out[cols].sort_values(["municipality_code", "year"], kind="stable").reset_index(drop=True)
    )


def profession_fte(result: Any, years: Sequence[int] | None = None) -> pd.DataFrame:
    """Modelled FTE of the region by profession group (:data:`PROFESSION_GROUPS`; the rest
    'andre') and year, against today's (the base year): profession, year, fte, fte_today,
    change (fte - fte_today). Central run; ``years`` default: every year of the horizon."""
    staff = result.staff[result.staff["measure"] == "fte"]
    if "run" in staff.columns:
        staff = staff[staff["run"] == 0]
    g = staff.assign(profession=staff["profession"].map(PROFESSION_GROUPS).fillna("andre"))
    d = (
        g.groupby(["profession", "year"], as_index=False)["value"]
        .sum()
        .rename(columns={"value": "fte"})
    )
    base = int(result.scenario.horizon.base_year)
    today = d[d["year"] == base].set_index("profession")["fte"]
    d["fte_today"] = d["profession"].map(today).fillna(0.0)
    d["change"] = d["fte"] - d["fte_today"]
    if years is not None:
        d = d[d["year"].isin([int(y) for y in years])]
    order = {p: i for i, p in enumerate(["sykepleier", "helsefagarbeider", "lege", "andre"])}
    return d.sort_values(
        ["year", "profession"], key=lambda s: s.map(order) if s.name == "profession" else s
    ).reset_index(drop=True)
