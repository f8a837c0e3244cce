"""Psykisk helse og rus and prevention units: catalogue models and their pure computations.

Pilot sub-project 5 (an inter-municipal unit for mental health and substance use together with
the DPS) and sub-project 7 (frisklivssentral, innsatsteam / hverdagsrehabilitering and an
ernæringsfysiolog, with the DMS as coordinator). Every number is in ``data/services.yaml`` with
its source; the national per-inhabitant rates are built from the national figures in
``sources/national_figures.yaml`` and SSB's population by ``planning data build``
(``data/national_rates.csv``, :mod:`planning.build.national`).

* :class:`PsykiskHelseRus`: each municipality's own mental-health and substance-use work, FTE
  driven by adults (18+) and children and young people (0-17) at the national rates of
  Helsedirektoratet's IS-24/8; users with substance problems (BrukerPlan); staffed housing
  places; its share of the KAD/ØHD bed-days (acute places pooled with KAD where KAD is shared);
  and :class:`AmbulantTeam`, an ACT/FACT team run with the DPS (a shareable unit with travel).
* :class:`PreventionUnit`: a per-capita norm with reach (participants a year), minimum position
  and travel: frisklivssentral, innsatsteam, ernæringsfysiolog.

The functions here are pure and vectorised: arrays in (population by single age, drivers), arrays
out; :mod:`planning.capacity` assembles them into the capacity, staff and cost frames.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from planning.sourced import Fraction, NonNegative, Positive, Profession, _Model

#: Prevention services and the demand measure that drives each.
PREVENTION_DRIVERS: dict[str, str] = {
    "population": "inhabitants",
    "adults": "inhabitants aged 18 or more",
    "new_home_care_users": "new home-care users a year",
}


class AmbulantTeam(_Model):
    """An ACT/FACT team run by the municipalities together with the DPS (``psykisk_helse_team``).

    Workload FTE per 10 000 adults; the municipalities pay ``municipal_cost_share`` of the team
    (the DPS the rest). A catchment below ``min_catchment`` inhabitants cannot run a team: its
    users are followed by the ordinary services (no team, no travel)."""

    kind: Literal["ambulant_team"] = "ambulant_team"
    label: str
    fte_per_10000_adults: Positive
    municipal_cost_share: Fraction
    min_catchment: NonNegative
    min_fte: NonNegative
    fte_step: Positive
    profession: Profession
    onsite_share: Fraction


class PsykiskHelseRus(_Model):
    """Kommunalt psykisk helse- og rusarbeid (see the module docstring)."""

    kind: Literal["per_capita_bands"] = "per_capita_bands"
    label: str
    adult_age: int = Field(ge=1, le=105)  # the age at which IS-24/8's 'voksne' begin
    fte_per_10000_adults: Positive
    fte_per_10000_young: NonNegative
    users_per_1000_adults: NonNegative  # users with substance problems (BrukerPlan)
    housing_places_per_10000_adults: NonNegative  # staffed housing places
    acute_share_of_kad: Fraction  # share of KAD/ØHD bed-days for mental health and substance use
    profession_mix: dict[Profession, Fraction]
    team: AmbulantTeam

    @model_validator(mode="after")
    def _mix(self) -> PsykiskHelseRus:
        total = sum(s.value for s in self.profession_mix.values())
        if not self.profession_mix or abs(total - 1.0) > 1e-6:
            raise ValueError(f"profession_mix shares must sum to 1 (they sum to {total:.4f})")
        return self


class PreventionUnit(_Model):
    """A prevention unit sized by a per-capita norm, with its reach (participants a year).

    FTE = max(min_fte, ceil((driver × reach_share / per_fte + travel) / fte_step) × fte_step);
    participants = FTE workload × participants_per_fte. ``alone``: a municipality in no unit of
    this service runs its own (True) or has none in the model (False: today's care figures hold
    whatever it does today)."""

    kind: Literal["prevention_unit"] = "prevention_unit"
    label: str
    driver: Literal["population", "adults", "new_home_care_users"]
    reach_share: Fraction | None = None  # share of the driver reached (None: all of it)
    per_fte: Positive  # driver units (reached) per FTE
    participants_per_fte: Positive  # participants a year per FTE of workload
    min_fte: NonNegative
    fte_step: Positive
    profession: Profession
    onsite_share: Fraction
    alone: bool


def band_population(P: np.ndarray, adult_age: int) -> tuple[np.ndarray, np.ndarray]:
    """(adults, young) from population by single age ``P`` (..., 106): ages ≥ adult_age, below."""
    P = np.asarray(P, dtype=float)
    return P[..., adult_age:].sum(axis=-1), P[..., :adult_age].sum(axis=-1)


def mental_health_fte(adults: Any, young: Any, rate_adults: Any, rate_young: Any) -> np.ndarray:
    """FTE of psykisk helse og rus: adults × rate + young × rate (rates per 10 000). Rises with
    either population; never negative for non-negative inputs."""
    a, y = np.asarray(adults, dtype=float), np.asarray(young, dtype=float)
    return (a * np.asarray(rate_adults) + y * np.asarray(rate_young)) / 10_000.0


def team_fte(
    adults: Any,
    catchment: Any,
    travel_fte: Any,
    spec: AmbulantTeam,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(workload, fte, runs_team) of ambulant teams by unit: workload = adults × rate / 10 000;
    fte = max(min_fte, workload + travel rounded up to fte_step) where the catchment reaches
    ``min_catchment``, else 0 (no team)."""
    a = np.asarray(adults, dtype=float)
    runs = (np.asarray(catchment, dtype=float) >= spec.min_catchment.value).astype(float)
    workload = a * spec.fte_per_10000_adults.value / 10_000.0
    need = workload + np.asarray(travel_fte, dtype=float)
    step = spec.fte_step.value
    fte = np.maximum(spec.min_fte.value, np.ceil(need / step - 1e-9) * step)
    return workload * runs, fte * runs, runs * np.ones_like(workload)


def prevention_fte(
    driver: Any, travel_fte: Any, spec: PreventionUnit, runs: Any = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(workload, fte, participants) of prevention units: workload = driver × reach / per_fte;
    fte = max(min_fte, workload + travel rounded up to fte_step); participants = workload ×
    participants_per_fte. ``runs`` (0/1 per unit) switches units off."""
    reach = spec.reach_share.value if spec.reach_share is not None else 1.0
    workload = np.asarray(driver, dtype=float) * reach / spec.per_fte.value
    need = workload + np.asarray(travel_fte, dtype=float)
    step = spec.fte_step.value
    fte = np.maximum(spec.min_fte.value, np.ceil(need / step - 1e-9) * step)
    on = np.asarray(runs, dtype=float)
    return workload * on, fte * on, workload * spec.participants_per_fte.value * on


PREVENTION_SERVICES: tuple[str, ...] = ("frisklivssentral", "innsatsteam", "ernaeringsfysiolog")


def community_demand(P: np.ndarray, catalogue: Any, home_users: Any) -> dict[tuple[str, str], Any]:
    """Demand measures of the sections the catalogue has: psykisk_helse_rus adults and young
    (by ``adult_age``), and each prevention unit's ``driver`` (inhabitants, inhabitants 18+, or
    new home-care users = ``home_users`` × ``mitigation.new_user_share``). ``P``: population by
    single age (rows, 106)."""
    out: dict[tuple[str, str], Any] = {}
    ph = getattr(catalogue, "psykisk_helse_rus", None)
    if ph is not None:
        adults, young = band_population(P, ph.adult_age)
        out[("psykisk_helse_rus", "adults")] = adults
        out[("psykisk_helse_rus", "young")] = young
    for s in PREVENTION_SERVICES:
        spec = getattr(catalogue, s, None)
        if spec is None:
            continue
        if spec.driver == "population":
            d = np.asarray(P, dtype=float).sum(axis=-1)
        elif spec.driver == "adults":
            d = band_population(P, 18)[0]
        else:
            d = np.asarray(home_users, dtype=float) * np.asarray(
                catalogue.mitigation.new_user_share.value, dtype=float
            )
        out[(s, "driver")] = d
    return out
