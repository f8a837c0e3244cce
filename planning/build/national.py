"""Builder of ``data/national_rates.csv``: national per-inhabitant rates behind the catalogue.

The national counts (IS-24/8 FTE, BrukerPlan users, frisklivssentral FTE and participants, the
ACT/FACT potential) are typed in with their pages in ``sources/national_figures.yaml`` (in the
repository); the denominators are SSB's population of Norway on 1 January of each figure's year
(table 07459, the raw file in the source folder). Each row holds the working, so a reader can
redo every rate; ``tests/test_community.py`` checks that ``data/services.yaml`` uses exactly these.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from planning.build.common import SSB_CREDIT, Resource, _need
from planning.errors import DataError

FIGURES_FILE = Path(__file__).resolve().parents[2] / "sources" / "national_figures.yaml"
RATE_COLUMNS = [
    "parameter",
    "value",
    "unit",
    "numerator",
    "denominator",
    "year",
    "status",
    "working",
    "source",
]


def _figures(path: Path = FIGURES_FILE) -> dict[str, dict]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError("national figures file is missing", file=path) from None
    except yaml.YAMLError as e:
        raise DataError(f"invalid YAML ({str(e).splitlines()[0]})", file=path) from None
    if not isinstance(raw, dict):
        raise DataError("expected a mapping of figures", file=path)
    for key, f in raw.items():
        for need in ("value", "unit", "source", "status"):
            if not isinstance(f, dict) or need not in f:
                raise DataError(f"figure lacks '{need}'", file=path, key=key)
        if not isinstance(f["value"], int | float) or f["value"] < 0:
            raise DataError("value must be a non-negative number", file=path, key=f"{key}.value")
    return raw


def national_rates(figures: dict[str, dict], population: pd.DataFrame) -> pd.DataFrame:
    """The rates (one row each, :data:`RATE_COLUMNS`) from the figures and Norway's population
    (year, age, population). Raises DataError when a needed year or figure is missing."""
    by_year = population.groupby(["year", "age"])["population"].sum()

    def pop(year: int, lo: int = 0, hi: int = 200) -> float:
        if year not in by_year.index.get_level_values(0):
            raise DataError(f"no population of Norway for {year}", key="population_norway")
        s = by_year.loc[year]
        return float(s[(s.index >= lo) & (s.index < hi)].sum())

    def f(key: str) -> float:
        if key not in figures:
            raise DataError("figure is missing", file=FIGURES_FILE, key=key)
        return float(figures[key]["value"])

    def status(*keys: str) -> str:
        st = {figures[k]["status"] for k in keys}
        return "assumption" if "assumption" in st else "derived"

    def src(*keys: str) -> str:
        return " | ".join(f"{k}: {figures[k]['source']}" for k in keys)

    rows = []
    a23, y23, t23 = pop(2023, 18), pop(2023, 0, 18), pop(2023)
    rows.append(
        (
            "psykisk_helse_rus.fte_per_10000_adults",
            f("fte_psykisk_helse_rus_adults") / a23 * 1e4,
            "FTE per 10 000 inhabitants aged 18+",
            f("fte_psykisk_helse_rus_adults"),
            a23,
            2023,
            status("fte_psykisk_helse_rus_adults"),
            f"{f('fte_psykisk_helse_rus_adults'):.0f} FTE for adults / {a23:,.0f} inhabitants 18+ (SSB 07459, 1 Jan 2023) × 10 000",
            src("fte_psykisk_helse_rus_adults"),
        )
    )
    young = f("fte_psykisk_helse_rus_young") - f("fte_young_in_helsestasjon_skolehelse")
    rows.append(
        (
            "psykisk_helse_rus.fte_per_10000_young",
            young / y23 * 1e4,
            "FTE per 10 000 inhabitants aged 0-17",
            young,
            y23,
            2023,
            status("fte_psykisk_helse_rus_young", "fte_young_in_helsestasjon_skolehelse"),
            f"({f('fte_psykisk_helse_rus_young'):.0f} FTE for children and young people − {f('fte_young_in_helsestasjon_skolehelse'):.0f} in helsestasjon and skolehelsetjeneste, modelled there) / {y23:,.0f} inhabitants 0-17 × 10 000",
            src("fte_psykisk_helse_rus_young", "fte_young_in_helsestasjon_skolehelse"),
        )
    )
    rows.append(
        (
            "reference.psykisk_helse_rus_fte_per_10000_inhabitants",
            f("fte_psykisk_helse_rus_total") / t23 * 1e4,
            "FTE per 10 000 inhabitants (all ages, all target groups)",
            f("fte_psykisk_helse_rus_total"),
            t23,
            2023,
            status("fte_psykisk_helse_rus_total"),
            f"{f('fte_psykisk_helse_rus_total'):.0f} FTE / {t23:,.0f} inhabitants × 10 000: the national rate of the first-year check",
            src("fte_psykisk_helse_rus_total"),
        )
    )
    share = f("brukerplan_population_share")
    a15 = pop(2015, 18)
    rows.append(
        (
            "psykisk_helse_rus.users_per_1000_adults",
            f("brukerplan_users_substance") / (share * a15) * 1e3,
            "users with substance problems per 1 000 inhabitants 18+",
            f("brukerplan_users_substance"),
            share * a15,
            2015,
            status("brukerplan_users_substance", "brukerplan_population_share"),
            f"{f('brukerplan_users_substance'):.0f} users / ({share:g} × {a15:,.0f} inhabitants 18+, 1 Jan 2015) × 1 000",
            src("brukerplan_users_substance", "brukerplan_population_share"),
        )
    )
    fshare, t19 = f("frisklivssentral_population_share"), pop(2019)
    covered = fshare * t19
    rows.append(
        (
            "frisklivssentral.per_fte",
            covered / f("frisklivssentral_fte"),
            "inhabitants per FTE",
            covered,
            f("frisklivssentral_fte"),
            2019,
            status("frisklivssentral_fte", "frisklivssentral_population_share"),
            f"{fshare:g} × {t19:,.0f} inhabitants (1 Jan 2019) living with a frisklivssentral / {f('frisklivssentral_fte'):.0f} FTE",
            src("frisklivssentral_fte", "frisklivssentral_population_share"),
        )
    )
    rows.append(
        (
            "frisklivssentral.participants_per_fte",
            f("frisklivssentral_participants") / f("frisklivssentral_fte"),
            "participants a year per FTE",
            f("frisklivssentral_participants"),
            f("frisklivssentral_fte"),
            2019,
            status("frisklivssentral_participants", "frisklivssentral_fte"),
            f"{f('frisklivssentral_participants'):.0f} participants / {f('frisklivssentral_fte'):.0f} FTE",
            src("frisklivssentral_participants", "frisklivssentral_fte"),
        )
    )
    rows.append(
        (
            "reference.frisklivssentral_participants_per_10000",
            f("frisklivssentral_participants") / covered * 1e4,
            "participants a year per 10 000 inhabitants covered",
            f("frisklivssentral_participants"),
            covered,
            2019,
            status("frisklivssentral_participants", "frisklivssentral_population_share"),
            f"{f('frisklivssentral_participants'):.0f} / ({fshare:g} × {t19:,.0f}) × 10 000",
            src("frisklivssentral_participants", "frisklivssentral_population_share"),
        )
    )
    a20 = pop(2020, 18)
    team_fte = f("act_fact_teams_potential") * f("act_fact_team_fte")
    rows.append(
        (
            "psykisk_helse_rus.team.fte_per_10000_adults",
            team_fte / a20 * 1e4,
            "team FTE per 10 000 inhabitants 18+",
            team_fte,
            a20,
            2020,
            status("act_fact_teams_potential", "act_fact_team_fte"),
            f"{f('act_fact_teams_potential'):.0f} teams (the national potential) × {f('act_fact_team_fte'):.0f} FTE per team (assumption) / {a20:,.0f} inhabitants 18+ (1 Jan 2020) × 10 000",
            src("act_fact_teams_potential", "act_fact_team_fte"),
        )
    )
    out = pd.DataFrame(rows, columns=RATE_COLUMNS)
    out["value"] = out["value"].round(6)
    return out


def build_national(source: Path, out: Path) -> list[Resource]:
    """national_rates.csv from sources/national_figures.yaml and SSB's population of Norway."""
    raw = pd.read_csv(_need(source, "ssb/population_norway_sex_age_1986_2026.csv.gz"))
    rates = national_rates(_figures(), raw)
    rates.to_csv(out / "national_rates.csv", index=False)
    return [
        Resource(
            path="national_rates.csv",
            title="National per-inhabitant rates behind new services (psykisk helse og rus, frisklivssentral, ambulant team), with the working",
            publisher="Helsedirektoratet / SINTEF (IS-24/8); KoRus Midt, St. Olavs (BrukerPlan); Helsedirektoratet (ressursportal.no); NAPHA; Statistisk sentralbyrå",
            table="IS-24/8 2023 sammendrag; BrukerPlan 2015; ressursportal.no frisklivssentraler 2019; NAPHA 2020; SSB 07459 (population of Norway, 1 January)",
            year="2015-2023",
            licence="facts from public reports; SSB NLOD 2.0 / CC BY 4.0",
            credit=f"Helsedirektoratet; SINTEF; KoRus Midt; NAPHA; {SSB_CREDIT}",
            built_from="sources/national_figures.yaml (repository); ssb/population_norway_sex_age_1986_2026.csv.gz",
            method=(
                "Each national count divided by Norway's population on 1 January of its year "
                "(the age band it refers to); the working is in each row. A rate resting on an "
                "assumption (the ACT/FACT team size) has status 'assumption'."
            ),
            extra={"rows": int(len(rates))},
        )
    ]
