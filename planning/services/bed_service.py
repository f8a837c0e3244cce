"""Kind ``bed_service``: beds sized by Erlang B from admissions and bed-days by age band
(KAD / ØHD, intermediate beds at the DMS).

Demand (per row): ``admissions`` and ``bed_days`` per year = population by single age × the
age band's rate, shifted to higher ages by healthy ageing. Capacity per provider: offered load
(bed-days / 365), beds for the refusal target (Erlang B, at most one bed per inhabitant),
refusal probability, occupancy, the beds an occupancy target would give and their refusal,
refused bed-days; staff = beds × FTE per bed; cost = FTE × pay at the host × the share the
municipalities pay (the rest is co-financed by the health trusts), and each municipality's
own refused bed-days at the utskrivningsklar day rate (``overliggedogn``). A municipality
alone runs its beds inside its sykehjem, staffed like a sykehjem place.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from planning.services.base import (
    AGES,
    DAYS_PER_YEAR,
    DemandContext,
    Measure,
    PlanContext,
    ServiceSpec,
)
from planning.services.erlang import beds_alone, beds_for_blocking, beds_for_occupancy, erlang_b
from planning.sourced import (
    DAYS_PER_PERSON_YEAR,
    Fraction,
    NonNegative,
    Occupancy,
    OpenFraction,
    PerThousandYears,
    Profession,
    Sourced,
)

KIND = "bed_service"
PLAN_ORDER = 0
MEASURE_UNITS = {
    "admissions": Measure("admissions per year"),
    "bed_days": Measure("bed-days per year"),
    "offered_load": Measure("Erlang (mean occupied beds without refusals)", "resource"),
    "beds": Measure("beds", "resource"),
    "refusal_probability": Measure("probability", "other"),
    "occupancy": Measure("share of beds in use", "other"),
    "beds_at_occupancy_target": Measure("beds", "resource"),
    "refusal_at_occupancy_target": Measure("probability", "other"),
    "refused_bed_days": Measure("bed-days per year refused", "other"),
    # psykisk helse og rus's acute places, pooled in KAD (written by per_capita_bands)
    "bed_days_psykisk_helse_rus": Measure("bed-days per year"),
    "added_travel_minutes": Measure("minutes one way (population-weighted)", "other"),
}


class BedService(ServiceSpec):
    """Beds driven by admissions and bed-days per 1 000 inhabitants by age band (KAD, intermediate).

    Age bands are ``young`` (< ``age_split``) and ``old`` (>= ``age_split``). The per-band rates
    follow from the national total rate and the share of patients in the old band, divided by
    the old band's national population share.
    """

    MEASURES = MEASURE_UNITS
    kind: Literal["bed_service"]
    age_split: Sourced  # age at which the "old" band starts
    admissions_per_1000: PerThousandYears  # all ages, per 1 000 inhabitants per year
    bed_days_per_1000: PerThousandYears  # all ages, per 1 000 inhabitants per year
    share_old: Fraction  # share of admissions in the old band
    population_share_old: OpenFraction  # national share of inhabitants in the old band
    shares_age: int = Field(default=67, ge=0, le=105)  # age at which the two shares are defined
    fte_per_bed: NonNegative
    profession: Profession
    municipal_cost_share: Fraction  # share of a shared unit's running cost the members pay
    overlier_day_rate: NonNegative | None = None  # NOK paid per refused bed-day (utskrivningsklar)
    # a municipality alone runs its beds inside its sykehjem: staffed like a sykehjem place
    # (coverage.langtidsopphold.fte_per_user × alone_staffing_factor), paying this share
    alone_municipal_cost_share: Fraction | None = None  # None: municipal_cost_share
    alone_staffing_factor: NonNegative | None = None  # None: fte_per_bed as a dedicated unit
    # beds a municipality runs alone in its sykehjem: at this mean occupancy, at least one
    # (planning.services.erlang.beds_alone); None: sized like a shared unit (Erlang B, max_refusal)
    alone_occupancy: Occupancy | None = None

    @model_validator(mode="after")
    def _physical(self) -> BedService:
        """A person can use at most 365 bed-days a year: in each age band too."""
        _, _, bd_young, bd_old = self.band_rates()
        worst = max(bd_young, bd_old)
        if worst > DAYS_PER_PERSON_YEAR:
            s, p = self.share_old.value, self.population_share_old.value
            limit = (
                1000
                * DAYS_PER_PERSON_YEAR
                * min(p / s if s else 1e9, (1 - p) / (1 - s) if s < 1 else 1e9)
            )
            raise ValueError(
                f"bed_days_per_1000 {self.bed_days_per_1000.value:g} means {worst:.0f} bed-days per "
                f"person-year in the {'old' if bd_old >= bd_young else 'young'} age band; a person "
                f"has at most 365 (with share_old {s:g}: bed_days_per_1000 up to {limit:,.0f})"
            )
        return self

    def demand_measures(self) -> list[str]:
        return ["admissions", "bed_days"]

    def band_rates(self) -> tuple[float, float, float, float]:
        """(admissions young, admissions old, bed-days young, bed-days old) per inhabitant-year."""
        adm = self.admissions_per_1000.value / 1000.0
        bd = self.bed_days_per_1000.value / 1000.0
        s, p = self.share_old.value, self.population_share_old.value
        adm_old, adm_young = adm * s / p, adm * (1 - s) / (1 - p)
        # mean stay, same in both bands (assumption); values may be arrays over runs
        shape = np.broadcast_shapes(np.shape(bd), np.shape(adm))
        los = np.divide(bd, adm, out=np.zeros(shape), where=np.asarray(adm) > 0)
        return adm_young, adm_old, adm_young * los, adm_old * los

    def rates_by_age(self) -> tuple[np.ndarray, np.ndarray]:
        """(admissions, bed-days) per inhabitant-year for each single age 0..105; (n, 106) when
        the values are arrays over n rows."""
        adm_y, adm_o, bd_y, bd_o = (
            np.asarray(x, dtype=float)[..., None] for x in self.band_rates()
        )
        old = AGES >= np.asarray(self.age_split.value, dtype=float)[..., None]
        return np.where(old, adm_o, adm_y), np.where(old, bd_o, bd_y)


Spec = BedService


def demand(ctx: DemandContext, services: dict[str, BedService]) -> None:
    for s, spec in services.items():
        adm_y, adm_o, bd_y, bd_o = spec.band_rates()
        split = [0, spec.age_split.value]
        ctx.out[(s, "admissions")] = ctx.ages.banded(split, [adm_y, adm_o])
        ctx.out[(s, "bed_days")] = ctx.ages.banded(split, [bd_y, bd_o])


def plan(ctx: PlanContext, s: str, spec: BedService) -> None:
    lv, p = ctx.levers, ctx.providers[s]
    lt_fte = ctx.catalogue.coverage.langtidsopphold.fte_per_user.value
    alone_p = np.array([k == "own" for k in p.keys])[None, :, None]
    alone_per_bed = (
        spec.alone_staffing_factor.value * lt_fte
        if spec.alone_staffing_factor is not None
        else spec.fte_per_bed.value
    )
    per_bed = np.where(alone_p, alone_per_bed, spec.fte_per_bed.value)  # (1, P, 1)
    alone_share = (
        spec.alone_municipal_cost_share.value
        if spec.alone_municipal_cost_share is not None
        else spec.municipal_cost_share.value
    )
    paid_share = np.where(alone_p, alone_share, spec.municipal_cost_share.value)
    bed_days_m = ctx.demand(s, "bed_days")
    bed_days = p.agg(bed_days_m)
    load = bed_days / DAYS_PER_YEAR
    people = p.agg(ctx.inhabitants)  # no unit needs more beds than it has inhabitants
    beds = beds_for_blocking(load, lv.max_refusal, max_beds=people)
    if spec.alone_occupancy is not None and alone_p.any():
        alone_beds = beds_alone(load, spec.alone_occupancy.value, max_beds=people)
        beds = np.where(alone_p, alone_beds, beds)
    refusal = erlang_b(beds, load)
    occupancy = np.divide(load * (1 - refusal), beds, out=np.zeros_like(load), where=beds > 0)
    beds_occ = np.minimum(
        beds_for_occupancy(load, lv.occupancy_target), np.ceil(people).astype(np.int64)
    )
    refusal_occ = erlang_b(beds_occ, load)
    ctx.cap(s, p.names, "offered_load", load)
    ctx.cap(s, p.names, "beds", beds.astype(float))
    ctx.cap(s, p.names, "refusal_probability", refusal)
    ctx.cap(s, p.names, "occupancy", occupancy)
    ctx.cap(s, p.names, "beds_at_occupancy_target", beds_occ.astype(float))
    ctx.cap(s, p.names, "refusal_at_occupancy_target", refusal_occ)
    ctx.cap(s, p.names, "refused_bed_days", refusal * bed_days)
    ctx.cap(s, p.names, "added_travel_minutes", ctx.added_minutes(p))
    fte = beds * per_bed
    ctx.staff_rows(s, p.names, spec.profession, load * per_bed, np.zeros_like(load), fte)
    ctx.unit_cost[s] = {
        "staff": fte * ctx.host_cost(p, spec.profession) * paid_share,
        "travel": np.zeros_like(load),
    }
    ctx.use[s] = bed_days_m
    if spec.overlier_day_rate is not None:
        ctx.own.append(
            (s, "overliggedogn", p.back(refusal) * bed_days_m * spec.overlier_day_rate.value)
        )
