"""Service catalogue, organisation and levers as validated pydantic models.

The catalogue (``data/services.yaml``) holds every default number of the demand and capacity
model, each as a :class:`Sourced` value that carries its unit, source, year and status
('seen' in a cited source, 'derived' from seen values with the working in ``note``, or
'assumption'). The pure model core receives these models, never paths.

* :class:`ServiceCatalogue` and :func:`load_catalogue`: the catalogue.
* :class:`Organisation` of :class:`Unit`: which municipalities share which service, who hosts it
  and how its cost is split. A municipality in no unit for a service runs that service alone.
* :class:`Levers`: scenario levers (healthy ageing, FTE-per-user growth, institution-to-home shift,
  refusal and occupancy targets). ``None`` means "use the catalogue default".
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import numpy as np
import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    model_validator,
)

from planning.community import PreventionUnit, PsykiskHelseRus
from planning.errors import DataError, PlanningError, ScenarioError, suggest
from planning.mitigators import Mitigation
from planning.overhead import Overhead
from planning.sourced import (  # noqa: F401  (re-exported: the catalogue's value types)
    DAYS_PER_PERSON_YEAR,
    Fraction,
    Growth,
    NonNegative,
    Occupancy,
    OpenFraction,
    PerThousandYears,
    Positive,
    Profession,
    Sourced,
    Status,
    Years,
    _in_range,
    _Model,
)

AgeGroup = Literal["0-66", "67-79", "80+"]
AGE_GROUPS: tuple[str, ...] = ("0-66", "67-79", "80+")
AGE_GROUP_BOUNDS: tuple[int, ...] = (0, 67, 80)  # KOSTRA age groups (SSB 11645 / 12292)
MunicipalityCode = Annotated[str, Field(pattern=r"^\d{4}$")]

#: Services the model knows. Norwegian service names stay Norwegian.
SERVICES: tuple[str, ...] = (
    "hjemmetjenester",
    "langtidsopphold",
    "heldogn_bolig",
    "kad",
    "intermediaer",
    "helsestasjon",
    "skolehelsetjeneste",
    "jordmor",
    "kommuneoverlege",
    "legevakt",
    "fastlege",
    "brukerkontor",
    "psykisk_helse_rus",
    "psykisk_helse_team",
    "frisklivssentral",
    "innsatsteam",
    "ernaeringsfysiolog",
)
#: Services of the optional catalogue sections (pilot sub-projects 5 and 7): present when the
#: catalogue has their section (planning.community).
COMMUNITY_SERVICES: tuple[str, ...] = SERVICES[-5:]
#: Services whose users come from KOSTRA coverage rates (planning.coverage).
COVERAGE_SERVICES: tuple[str, ...] = ("hjemmetjenester", "langtidsopphold", "heldogn_bolig")
ShareableService = Literal[
    "kad",
    "intermediaer",
    "helsestasjon",
    "skolehelsetjeneste",
    "jordmor",
    "kommuneoverlege",
    "legevakt",
    "brukerkontor",
    "psykisk_helse_team",
    "frisklivssentral",
    "innsatsteam",
    "ernaeringsfysiolog",
]
#: Services a municipality can run together with others in a :class:`Unit`.
SHAREABLE_SERVICES: tuple[str, ...] = get_args(ShareableService)
CostKey = Literal["population", "use", "fixed_plus_use"]


# ------------------------------------------------------------------------------------------------
# catalogue sections
# ------------------------------------------------------------------------------------------------
class CoverageEstimation(_Model):
    """How coverage rates and their trends are estimated from the national KOSTRA panel
    (``planning.coverage``): one default setting for every base year."""

    last_year: Sourced  # latest KOSTRA year: the base year of the coverage model
    method: Literal["trend", "constant"] = "trend"  # 'constant': the constant-rate reference
    window: Annotated[Sourced, _in_range(2, 20)]  # years up to the base year for level and trend
    damping: Annotated[Sourced, _in_range(0, 1, hi_open=True)]  # φ of the damped trend
    reference_years: Annotated[Sourced, _in_range(1, 10)]  # years pooled by the reference
    size_classes: Annotated[Sourced, _in_range(1, 20)]  # comparable-municipality size classes

    def settings(self):  # -> planning.coverage.TrendSettings
        """The trend settings as used by :func:`planning.coverage.fit_coverage`."""
        from planning.coverage import TrendSettings

        return TrendSettings(
            window=int(self.window.value),
            damping=float(self.damping.value),
            reference_years=int(self.reference_years.value),
            size_classes=int(self.size_classes.value),
        )


class CoverageService(_Model):
    """A service whose users are a share of the population by KOSTRA age group."""

    label: str
    indicator: Literal["home_service_users", "long_term_residents", "residents_24h_housing"]
    fallback_rates: dict[AgeGroup, Fraction]  # users per inhabitant when no KOSTRA estimate
    fte_per_user: NonNegative  # FTE per user per year at the base year (see below)
    # home care: fte_per_user is computed from these and staffing.hours_per_fte when the
    # catalogue is read (ServiceCatalogue._derive), so a change of either reaches the FTE
    hours_per_week_per_user: NonNegative | None = None  # allocated hours per week per user
    direct_time_share: OpenFraction | None = None  # share of paid hours spent with users
    profession_mix: dict[Profession, Fraction]  # shares of the FTE by profession (sum 1)
    cases_per_user: NonNegative  # user-office cases (applications + reviews) per user per year
    occupancy: Occupancy | None = None  # residents per place (heldøgn forms): places = users / it
    fte_per_former_resident: NonNegative | None = None  # FTE per user moved in from an institution

    @model_validator(mode="after")
    def _complete(self) -> CoverageService:
        missing = [g for g in AGE_GROUPS if g not in self.fallback_rates]
        if missing:
            raise ValueError(f"fallback_rates lacks age groups {missing}")
        _check_mix(self.profession_mix)
        return self


def _check_mix(mix: dict[str, Sourced]) -> None:
    total = sum(s.value for s in mix.values())
    if not mix or abs(total - 1.0) > 1e-6:
        raise ValueError(f"profession_mix shares must sum to 1 (they sum to {total:.4f})")


class Coverage(_Model):
    """Services whose users are a share of the population by KOSTRA age group. Heldøgnsomsorg
    has two forms: ``langtidsopphold`` (institution) and ``heldogn_bolig`` (housing with
    24-hour staff)."""

    estimation: CoverageEstimation
    hjemmetjenester: CoverageService
    langtidsopphold: CoverageService
    heldogn_bolig: CoverageService


class BedService(_Model):
    """Beds driven by admissions and bed-days per 1 000 inhabitants by age band (KAD, intermediate).

    Age bands are ``young`` (< ``age_split``) and ``old`` (>= ``age_split``). The per-band rates
    follow from the national total rate and the share of patients in the old band, divided by
    the old band's national population share.
    """

    label: str
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

    def band_rates(self) -> tuple[float, float, float, float]:
        """(admissions young, admissions old, bed-days young, bed-days old) per inhabitant-year."""
        adm = self.admissions_per_1000.value / 1000.0
        bd = self.bed_days_per_1000.value / 1000.0
        s, p = self.share_old.value, self.population_share_old.value
        adm_old, adm_young = adm * s / p, adm * (1 - s) / (1 - p)
        # mean stay, same in both bands (assumption); values may be arrays over runs
        los = np.divide(bd, adm, out=np.zeros(np.shape(adm)), where=np.asarray(adm) > 0)
        return adm_young, adm_old, adm_young * los, adm_old * los


class PerCapitaNorm(_Model):
    """Staff from a driver count divided by a norm, with a minimum position size per unit."""

    label: str
    per_fte: Positive  # driver units (births, pupils, inhabitants) per FTE
    min_fte: NonNegative  # smallest position a unit can hold
    fte_step: Positive  # positions are bought in steps of this size
    profession: Profession
    onsite_share: Fraction  # share of work done in the member municipality (drives staff travel)


class SchoolHealth(_Model):
    """Skolehelsetjeneste: helsesykepleier FTE from pupils by school level (IS-1736 norms)."""

    label: str
    barneskole_ages: tuple[int, int]
    ungdomsskole_ages: tuple[int, int]
    vgs_ages: tuple[int, int]
    pupils_per_fte_barneskole: Positive
    pupils_per_fte_ungdomsskole: Positive
    pupils_per_fte_vgs: Positive
    min_fte: NonNegative
    fte_step: Positive
    profession: Profession
    onsite_share: Fraction


class Midwife(PerCapitaNorm):
    clerical_per_fte: NonNegative  # clerical FTE per jordmor FTE


class RateBracket(_Model):
    """SFS 2305 legevakt hourly pay for districts up to ``max_population`` inhabitants."""

    max_population: Positive | None = None  # None: no upper bound
    weekday: NonNegative  # NOK per hour
    weekend: NonNegative  # NOK per hour


class Legevakt(_Model):
    """Legevakt: a round-the-clock station whose rota is fixed, whatever the catchment size."""

    label: str
    doctor_hours_weekday: NonNegative  # doctor on duty per weekday (hours)
    doctor_hours_weekend: NonNegative  # doctor on duty per weekend/holiday day (hours)
    weekend_days: NonNegative  # weekend and holiday days per year
    doctor_rates: list[RateBracket] = Field(min_length=1)  # ascending district size
    doctor_rate_index: Positive  # factor from the rates' year to the catalogue price year
    nurses_on_duty: NonNegative  # nurses on duty round the clock per station
    population_per_extra_nurse: Positive  # one more nurse on duty per this many inhabitants
    profession: Profession
    # a district smaller than on_call_max_population: one doctor on call from home (standby pay
    # for every out-of-hours hour, active hours at the legevakt rate), no nurse station, and a
    # legevaktsentral bought from a larger legevakt
    on_call_max_population: NonNegative | None = None  # None: every district runs a station
    on_call_standby_weekday: NonNegative | None = None  # NOK per hour on call
    on_call_standby_weekend: NonNegative | None = None
    on_call_active_hours_per_1000: NonNegative | None = None  # per 1 000 inhabitants per year
    on_call_sentral_nok_per_inhabitant: NonNegative | None = None

    @model_validator(mode="after")
    def _brackets(self) -> Legevakt:
        bounds = [b.max_population.value for b in self.doctor_rates if b.max_population is not None]
        if bounds != sorted(bounds):
            raise ValueError("doctor_rates must be in ascending order of max_population")
        return self


class Fastlege(_Model):
    label: str
    list_size: Positive  # patients per list


class UserOffice(_Model):
    """Brukerkontor / tildelingskontor: cases from users, case-worker FTE, fixed management."""

    label: str
    cases_per_fte: Positive
    management_fte: NonNegative  # per office, at most
    management_fte_per_caseworker: NonNegative | None = None  # None: management_fte per office
    visits_per_case: NonNegative  # assessment visits in the user's home per case
    profession: Profession


class ProfessionCost(_Model):
    annual_pay: NonNegative  # NOK per FTE per year incl. supplements, at the catalogue price year


class Staffing(_Model):
    """Cost of one FTE and working time."""

    hours_per_fte: Positive  # paid working hours per FTE per year net of holidays
    hours_per_day: Positive
    pension_per_fte: NonNegative  # NOK per FTE per year before employer's contribution
    professions: dict[Profession, ProfessionCost]
    aga_zone_rates: dict[str, Fraction]  # employer's contribution (arbeidsgiveravgift) by zone
    employer_contribution: dict[MunicipalityCode, Fraction]  # rate per municipality (zone in note)
    #: rate for a municipality not listed in ``employer_contribution`` (a labelled assumption)
    employer_contribution_default: Fraction | None = None

    @model_validator(mode="after")
    def _zones(self) -> Staffing:
        rates = {round(z.value, 6) for z in self.aga_zone_rates.values()}
        listed = dict(self.employer_contribution)
        if self.employer_contribution_default is not None:
            listed["default"] = self.employer_contribution_default
        for code, s in listed.items():
            if round(s.value, 6) not in rates:
                raise ValueError(
                    f"employer_contribution.{code}: {s.value} is not one of the zone rates "
                    f"{sorted(rates)}"
                )
        return self

    def aga_rate(self, code: str) -> float:
        """Employer's contribution rate of a municipality (fraction)."""
        s = self.employer_contribution.get(code, self.employer_contribution_default)
        if s is None:
            raise PlanningError(
                f"no employer's contribution rate for municipality {code}",
                file="services.yaml",
                key="staffing.employer_contribution",
                allowed=sorted(self.employer_contribution),
            )
        return s.value

    def fte_cost(self, profession: str, code: str) -> float:
        """NOK per FTE per year employed by municipality ``code``: pay and pension, with AGA."""
        pay = self.professions[profession].annual_pay.value  # type: ignore[index]
        return (pay + self.pension_per_fte.value) * (1.0 + self.aga_rate(code))


class Calibration(_Model):
    """Staffing from each municipality's own KOSTRA figures (:mod:`planning.calibration`)."""

    year: Sourced  # KOSTRA year the staffing is calibrated to
    nurse_share_min: Fraction
    nurse_share_max: Fraction


class Travel(_Model):
    km_rate: NonNegative  # NOK per km driven
    trips_per_day: Positive  # round trips per on-site working day


class LeverDefaults(_Model):
    healthy_ageing: Fraction
    life_expectancy_gain: NonNegative  # years of life expectancy gained per calendar year
    fte_per_user_growth: Growth
    institution_to_home_shift: Fraction
    institution_to_housing_share: Fraction
    institution_to_home_years: Years
    max_refusal: OpenFraction
    occupancy_target: Occupancy


class ServiceCatalogue(_Model):
    """The whole parameter set of the demand and capacity model (``data/services.yaml``)."""

    price_year: int
    base_year: int  # year the rates describe; levers compound from here
    coverage: Coverage
    kad: BedService
    intermediaer: BedService
    helsestasjon: PerCapitaNorm
    skolehelsetjeneste: SchoolHealth
    jordmor: Midwife
    kommuneoverlege: PerCapitaNorm
    legevakt: Legevakt
    fastlege: Fastlege
    brukerkontor: UserOffice
    # pilot sub-projects 5 and 7 (planning.community, planning.mitigators) and 4/6 (overhead):
    # optional, so a catalogue without them runs as before
    psykisk_helse_rus: PsykiskHelseRus | None = None
    frisklivssentral: PreventionUnit | None = None
    innsatsteam: PreventionUnit | None = None
    ernaeringsfysiolog: PreventionUnit | None = None
    mitigation: Mitigation | None = None
    overhead: Overhead | None = None
    staffing: Staffing
    calibration: Calibration | None = None
    travel: Travel
    levers: LeverDefaults

    @model_validator(mode="before")
    @classmethod
    def _derive(cls, raw: Any) -> Any:
        """Values defined on others are computed here, so that a change of what they rest on
        reaches them: home care's fte_per_user from its hours per user, direct-time share and
        staffing.hours_per_fte; a bed service's share_old and population_share_old when its
        age_split differs from the age they were defined at (:func:`recompute_age_shares`)."""
        if not isinstance(raw, dict):
            return raw
        raw = dict(raw)
        try:
            hours_fte = float(raw["staffing"]["hours_per_fte"]["value"])
        except (KeyError, TypeError, ValueError):
            hours_fte = None
        cov = raw.get("coverage")
        if isinstance(cov, dict) and hours_fte:
            cov = dict(cov)
            for name in ("hjemmetjenester", "langtidsopphold"):
                spec = cov.get(name)
                if isinstance(spec, dict) and spec.get("hours_per_week_per_user") is not None:
                    cov[name] = dict(spec, fte_per_user=_home_fte_per_user(spec, hours_fte))
            raw["coverage"] = cov
        for name in ("kad", "intermediaer"):
            spec = raw.get(name)
            if isinstance(spec, dict):
                raw[name] = recompute_age_shares(spec)
        return raw

    @model_validator(mode="after")
    def _professions_costed(self) -> ServiceCatalogue:
        used = {p for _, p in self._professions_used()}
        missing = sorted(used - set(self.staffing.professions))
        if missing:
            raise ValueError(f"staffing.professions lacks a pay figure for {missing}")
        return self

    @model_validator(mode="after")
    def _mitigators_have_units(self) -> ServiceCatalogue:
        for name in ("frisklivssentral", "innsatsteam", "ernaeringsfysiolog"):
            spec = getattr(self, name)
            if spec is not None and spec.driver == "new_home_care_users" and not self.mitigation:
                raise ValueError(
                    f"{name}: driver new_home_care_users needs mitigation.new_user_share"
                )
        if self.mitigation is None:
            return self
        for name, m in self.mitigation.mitigators.items():
            if getattr(self, m.unit_service, None) is None:
                raise ValueError(
                    f"mitigation.mitigators.{name}: comes from {m.unit_service}, which the "
                    "catalogue lacks (add its section or remove the mitigator)"
                )
        return self

    def _professions_used(self) -> Iterator[tuple[str, str]]:
        for name in SHAREABLE_SERVICES:
            spec = getattr(self, name, None)
            if spec is not None:
                yield name, spec.profession
        if self.psykisk_helse_rus is not None:
            yield "psykisk_helse_team", self.psykisk_helse_rus.team.profession
            for p in self.psykisk_helse_rus.profession_mix:
                yield "psykisk_helse_rus", p
        for name in COVERAGE_SERVICES:
            for p in getattr(self.coverage, name).profession_mix:
                yield name, p
        yield "jordmor", "kontormedarbeider"

    def default_levers(self) -> Levers:
        """The levers with every value at its catalogue default."""
        return Levers().with_defaults(self)

    def assumptions_table(self) -> pd.DataFrame:
        """Every parameter: parameter (dotted path), value, unit, source, year, status, note."""
        rows = [
            {
                "parameter": path,
                "value": s.value,
                "unit": s.unit,
                "source": s.source,
                "year": s.year,
                "status": s.status,
                "note": s.note or "",
            }
            for path, s in _walk(self, "")
        ]
        return pd.DataFrame(
            rows, columns=["parameter", "value", "unit", "source", "year", "status", "note"]
        )


def _home_fte_per_user(spec: dict[str, Any], hours_per_fte: float) -> dict[str, Any]:
    """fte_per_user (a Sourced mapping) = hours per week × 52 / hours per FTE / direct share."""
    try:
        h = float(spec["hours_per_week_per_user"]["value"])
        share = float(spec["direct_time_share"]["value"])
    except (KeyError, TypeError, ValueError):
        return spec.get("fte_per_user")  # validation names what is missing
    value = h * 52.0 / hours_per_fte / share if share > 0 else float("nan")
    return {
        "value": value,
        "unit": "FTE per user per year",
        "source": "computed: hours_per_week_per_user × 52 / staffing.hours_per_fte / direct_time_share",
        "status": "derived",
        "note": f"{h:g} h/week × 52 / {hours_per_fte:g} h per FTE / {share:g}; each municipality's "
        "own KOSTRA hours replace the hours where it has them (planning.calibration)",
    }


@functools.lru_cache(maxsize=8)
def _national_age_distribution(year: int) -> np.ndarray:
    """Inhabitants of Norway by single age 0..105 on 1 January of ``year`` (SSB 07459)."""
    from planning.data import load_population_norway

    pop = load_population_norway(years=[year])
    by_age = pop.groupby("age")["population"].sum()
    return by_age.reindex(range(106), fill_value=0.0).to_numpy(dtype=float)


def recompute_age_shares(spec: dict[str, Any]) -> dict[str, Any]:
    """A bed service (raw mapping) whose ``age_split`` differs from ``shares_age`` gets
    ``share_old`` and ``population_share_old`` recomputed for the new split.

    The sourced shares define a two-band profile of admissions per inhabitant at ``shares_age``
    (rate_old / rate_young = s (1 - p) / ((1 - s) p)); on Norway's population by single age in the
    shares' year (SSB 07459) the new split's population share p' and admission share s' follow,
    so that the national admission rate is unchanged whatever the split. Returns a new mapping
    (status 'derived', with the working in ``note``); unchanged when the split is the shares' age.
    """
    try:
        split = int(round(float(spec["age_split"]["value"])))
        at = int(spec.get("shares_age", 67))
        s = float(spec["share_old"]["value"])
        p = float(spec["population_share_old"]["value"])
        year = int(spec["population_share_old"].get("year") or 2022)
    except (KeyError, TypeError, ValueError):
        return spec
    if split == at or not (0 < s < 1 and 0 < p < 1) or not 0 < split <= 105:
        return spec
    n = _national_age_distribution(year)
    ages = np.arange(106)
    ratio = s * (1 - p) / ((1 - s) * p)  # admissions per inhabitant, old band over young band
    rate = np.where(ages >= at, ratio, 1.0)
    old = ages >= split
    p_new = float(n[old].sum() / n.sum())
    s_new = float((n * rate)[old].sum() / (n * rate).sum())
    working = (
        f"recomputed for age_split {split} from the two-band profile defined at {at} "
        f"(share_old {s:g}, population share {p:g}) on Norway's population {year} (SSB 07459)"
    )
    out = dict(spec)
    out["share_old"] = {**spec["share_old"], "value": s_new, "status": "derived", "note": working}
    out["population_share_old"] = {
        **spec["population_share_old"],
        "value": p_new,
        "status": "derived",
        "note": working,
    }
    out["shares_age"] = split
    return out


def _walk(obj: Any, prefix: str) -> Iterator[tuple[str, Sourced]]:
    """Yield (dotted path, Sourced) for every Sourced value inside a model tree."""
    if isinstance(obj, Sourced):
        yield prefix, obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _walk(getattr(obj, name), f"{prefix}.{name}" if prefix else name)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk(v, f"{prefix}.{k}")


# ------------------------------------------------------------------------------------------------
# organisation and levers
# ------------------------------------------------------------------------------------------------
class Unit(_Model):
    """A service run together by several municipalities, hosted (and employed) by one of them.

    ``cost_key``: 'population' (shares by inhabitants), 'use' (by each member's demand), or
    'fixed_plus_use' (``fixed_share`` of the cost split equally, the rest by use).
    """

    service: ShareableService
    name: str = Field(min_length=1)
    host: MunicipalityCode
    members: list[MunicipalityCode] = Field(min_length=1)
    cost_key: CostKey = "population"
    fixed_share: float | None = Field(default=None, ge=0.0, le=1.0)
    source: str | None = None  # publisher/page (and year) saying the unit exists; None: proposal
    note: str | None = None  # shown to readers (bokmål)

    @model_validator(mode="after")
    def _consistent(self) -> Unit:
        if len(set(self.members)) != len(self.members):
            raise ValueError(f"unit '{self.name}': members listed twice")
        if self.host not in self.members:
            raise ValueError(f"unit '{self.name}': host {self.host} is not among its members")
        if self.cost_key == "fixed_plus_use" and self.fixed_share is None:
            raise ValueError(
                f"unit '{self.name}': cost_key fixed_plus_use needs fixed_share (0..1)"
            )
        if self.cost_key != "fixed_plus_use" and self.fixed_share is not None:
            raise ValueError(
                f"unit '{self.name}': fixed_share is only used with cost_key fixed_plus_use"
            )
        return self


class Organisation(_Model):
    """Which municipalities share which service. Unlisted (municipality, service) pairs run alone.

    ``status_quo``: the units start from today's organisation (``data/organisation.yaml``: every
    unit whose members all take part in the scenario); ``units`` then holds those units with the
    scenario's changes applied by name (see :func:`planning.scenarios.load_scenario`). False: the
    units are only those listed (none: every municipality runs every service alone).
    """

    status_quo: bool = False
    units: list[Unit] = Field(default_factory=list)

    @model_validator(mode="after")
    def _no_overlap(self) -> Organisation:
        names = [u.name for u in self.units]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"unit names must be unique; repeated: {dup}")
        seen: dict[tuple[str, str], str] = {}
        for u in self.units:
            for m in u.members:
                if (u.service, m) in seen:
                    raise ValueError(
                        f"municipality {m} is in two {u.service} units: "
                        f"'{seen[(u.service, m)]}' and '{u.name}'"
                    )
                seen[(u.service, m)] = u.name
        return self

    def unit_for(self, service: str, code: str) -> Unit | None:
        """The unit that provides ``service`` to municipality ``code`` (None: it runs alone)."""
        for u in self.units:
            if u.service == service and code in u.members:
                return u
        return None


class Levers(_Model):
    """Scenario levers; ``None`` takes the catalogue default (see ``services.yaml: levers``).

    healthy_ageing: fraction (0..1) of the life-expectancy gain that is healthy; use rates by age
      shift to higher ages by healthy_ageing × gain (HELSEMOD, NHP health-status adjustment).
    age_shift_per_year: years of shift per calendar year; overrides healthy_ageing × gain.
    life_expectancy_gain: years of life expectancy gained per calendar year.
    fte_per_user_growth: yearly change in FTE per user of care services (fraction per year).
    institution_to_home_shift: fraction of long-term residents moved out of institutions.
    institution_to_housing_share: fraction of those moved who go to housing with 24-hour staff
      (the rest to home services); each is staffed as the form it moves to.
    institution_to_home_years: years from base_year until the shift is complete (linear ramp).
    max_refusal: target refusal (blocking) probability for beds, in (0, 1).
    occupancy_target: target mean occupancy for the comparison sizing, in (0, 1].
    """

    healthy_ageing: float | None = Field(default=None, ge=0.0, le=1.0)
    age_shift_per_year: float | None = Field(default=None, ge=0.0, le=1.0)
    life_expectancy_gain: float | None = Field(default=None, ge=0.0, le=1.0)
    fte_per_user_growth: float | None = Field(default=None, ge=-0.05, le=0.05)
    institution_to_home_shift: float | None = Field(default=None, ge=0.0, le=1.0)
    institution_to_housing_share: float | None = Field(default=None, ge=0.0, le=1.0)
    institution_to_home_years: float | None = Field(default=None, ge=1.0, le=100.0)
    max_refusal: float | None = Field(default=None, gt=0.0, lt=1.0)
    occupancy_target: float | None = Field(default=None, gt=0.0, le=1.0)

    def with_defaults(self, catalogue: ServiceCatalogue) -> Levers:
        """A copy with every ``None`` replaced by the catalogue default (age_shift_per_year stays
        None unless set: then it is derived from healthy_ageing × life_expectancy_gain)."""
        d = catalogue.levers
        if all(getattr(self, name) is not None for name in type(d).model_fields):
            return self  # already resolved (values may be arrays over runs: keep them)
        values = self.model_dump()
        for name in type(d).model_fields:
            if values.get(name) is None:
                values[name] = getattr(d, name).value
        return Levers(**values)

    def age_shift(self, years_since_base: Any) -> Any:
        """Years by which use rates shift to higher ages, ``years_since_base`` after base_year
        (negative spans give no shift). Requires resolved levers."""
        per_year = self.age_shift_per_year
        if per_year is None:
            if self.healthy_ageing is None or self.life_expectancy_gain is None:
                raise PlanningError("levers not resolved; call Levers.with_defaults(catalogue)")
            per_year = self.healthy_ageing * self.life_expectancy_gain
        return per_year * np.maximum(np.asarray(years_since_base, dtype=float), 0.0)


# ------------------------------------------------------------------------------------------------
# loading
# ------------------------------------------------------------------------------------------------
def format_validation_error(err: ValidationError) -> tuple[str, str]:
    """(key, problem) of the most telling error in a pydantic ValidationError (an unknown key,
    usually a typo, before the missing key it causes), each on one line."""
    errors = err.errors()
    e = next((x for x in errors if x.get("type") == "extra_forbidden"), errors[0])
    key = ".".join(str(p) for p in e["loc"])
    msg = str(e["msg"]).removeprefix("Value error, ")
    if e.get("type") == "extra_forbidden":
        msg = "unknown key"
    elif e.get("type") == "missing":
        msg = "required key is missing"
    return key, msg


def _validate(model: type[BaseModel], raw: Any, file: str | Path, error: type[PlanningError]):
    if not isinstance(raw, dict):
        raise error("expected a mapping at the top level", file=file)
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        key, msg = format_validation_error(err)
        allowed = None
        if msg == "unknown key":
            parent = key.rsplit(".", 1)[0] if "." in key else ""
            allowed = _allowed_keys(model, parent)
            hint = suggest(key.rsplit(".", 1)[-1], allowed.split(", ")) if allowed else ""
            msg += f".{hint}" if hint else ""
        raise error(msg, file=file, key=key, allowed=allowed) from None


def _allowed_keys(model: type[BaseModel], dotted: str) -> str | None:
    cls: Any = model
    for part in [p for p in dotted.split(".") if p]:
        fields = getattr(cls, "model_fields", None)
        if not fields or part not in fields:
            return None
        cls = fields[part].annotation
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            return None
    fields = getattr(cls, "model_fields", None)
    return ", ".join(fields) if fields else None


def _read_yaml(path: str | Path | None, name: str) -> tuple[Any, str]:
    if path is None:
        from planning.data import data_dir, load_yaml

        return load_yaml(name), str(data_dir() / name)
    p = Path(path)
    if not p.is_file():
        raise DataError("file not found", file=p)
    try:
        with open(p, encoding="utf-8") as f:
            return yaml.safe_load(f), str(p)
    except yaml.YAMLError as e:
        raise DataError(f"invalid YAML ({str(e).splitlines()[0]})", file=p) from None


def load_catalogue(path: str | Path | None = None) -> ServiceCatalogue:
    """Load and validate the service catalogue (default ``data/services.yaml``)."""
    raw, file = _read_yaml(path, "services.yaml")
    return _validate(ServiceCatalogue, raw, file, DataError)


def catalogue_from_dict(raw: dict[str, Any], file: str = "services.yaml") -> ServiceCatalogue:
    """Validate an already parsed catalogue mapping (e.g. with scenario deltas applied)."""
    return _validate(ServiceCatalogue, raw, file, ScenarioError)


def load_organisation(path: str | Path | None = None) -> Organisation:
    """Load the organisation (default ``data/organisation.yaml``: today's shared units, each with
    its ``source``). Raises DataError naming the file and key when it is malformed."""
    raw, file = _read_yaml(path, "organisation.yaml")
    return _validate(Organisation, raw, file, DataError)


def status_quo_units(
    municipalities: Iterable[str], organisation: Organisation | None = None
) -> list[Unit]:
    """Today's units (``data/organisation.yaml`` unless ``organisation`` is given) whose members
    all lie in ``municipalities``, in file order. A unit with some members outside is left out:
    those members then run that service alone in the model (documented in docs/scenarios.md)."""
    org = organisation if organisation is not None else load_organisation()
    codes = set(municipalities)
    return [u for u in org.units if set(u.members) <= codes]


def organisation_from_dict(raw: dict[str, Any], file: str = "scenario") -> Organisation:
    """Validate an organisation mapping (``{'units': [...]}``); errors are ScenarioError."""
    return _validate(Organisation, raw, file, ScenarioError)


def levers_from_dict(raw: dict[str, Any], file: str = "scenario") -> Levers:
    """Validate a levers mapping; errors are ScenarioError naming the key."""
    return _validate(Levers, raw, file, ScenarioError)
