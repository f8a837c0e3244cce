"""Service catalogue, organisation and levers as validated pydantic models.

The catalogue (``data/services.yaml``) holds every default number of the demand and capacity
model, each as a :class:`~planning.sourced.Sourced` value that carries its unit, source, year and
status ('seen' in a cited source, 'derived' from seen values with the working in ``note``, or
'assumption'). The pure model core receives these models, never paths.

* :class:`ServiceCatalogue` and :func:`load_catalogue`: the catalogue. Its sections are the
  settings shared by all services (``coverage.estimation``, ``staffing``, ``calibration``,
  ``travel``, ``levers``) and the services themselves: every other top-level entry is a
  service of a known ``kind`` (:mod:`planning.services`, ``docs/services.md``), validated by
  that kind's model; the coverage-rate services sit under ``coverage``.
* :class:`Organisation` of :class:`Unit`: which municipalities share which service, who hosts it
  and how its cost is split. A municipality in no unit for a service runs that service alone.
* :class:`Levers`: scenario levers (healthy ageing, FTE-per-user growth, institution-to-home shift,
  refusal and occupancy targets). ``None`` means "use the catalogue default".
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from planning.errors import (
    DataError,
    PlanningError,
    ScenarioError,
    location,
    raise_data_error,
    suggest,
)
from planning.overhead import Overhead
from planning.services import ENTRY_KINDS, KINDS, ServiceEntry
from planning.services.base import ServiceSpec
from planning.services.bed_service import BedService
from planning.services.case_office import UserOffice
from planning.services.coverage_rate import CoverageService
from planning.services.list_norm import Fastlege
from planning.services.mitigation import Mitigation
from planning.services.mitigator import Effect, Mitigator
from planning.services.per_capita_norm import PerCapitaNorm
from planning.services.rota import Legevakt, RateBracket
from planning.services.school_health import SchoolHealth
from planning.sourced import (
    AGE_GROUP_BOUNDS,
    AGE_GROUPS,
    DAYS_PER_PERSON_YEAR,
    AgeGroup,
    Fraction,
    Growth,
    MunicipalityCode,
    NonNegative,
    Occupancy,
    OpenFraction,
    PerThousandYears,
    Positive,
    Profession,
    Sourced,
    Status,
    Years,
    in_range,
)
from planning.sourced import Model as _Model

#: Services whose users come from KOSTRA coverage rates (planning.coverage): the series the
#: coverage model estimates.
COVERAGE_SERVICES: tuple[str, ...] = ("hjemmetjenester", "langtidsopphold", "heldogn_bolig")
CostKey = Literal["population", "use", "fixed_plus_use"]
#: Names kept for code written against the catalogue before services were declared as data.
Midwife = PerCapitaNorm
_in_range = in_range

__all__ = [
    "AGE_GROUPS",
    "AGE_GROUP_BOUNDS",
    "COVERAGE_SERVICES",
    "DAYS_PER_PERSON_YEAR",
    "AgeGroup",
    "BedService",
    "CoverageService",
    "Effect",
    "Fastlege",
    "Fraction",
    "Growth",
    "Legevakt",
    "Levers",
    "Mitigator",
    "MunicipalityCode",
    "NonNegative",
    "Occupancy",
    "OpenFraction",
    "Organisation",
    "PerCapitaNorm",
    "PerThousandYears",
    "Positive",
    "Profession",
    "RateBracket",
    "SchoolHealth",
    "ServiceCatalogue",
    "ServiceSpec",
    "Sourced",
    "Status",
    "Unit",
    "UserOffice",
    "Years",
    "load_catalogue",
    "load_organisation",
]


def __getattr__(name: str) -> Any:
    """``SERVICES`` and ``SHAREABLE_SERVICES``: the services of the shipped catalogue (read from
    ``data/services.yaml``, so a service added there appears without a code change)."""
    if name == "SERVICES":
        return tuple(_shipped_services())
    if name == "SHAREABLE_SERVICES":
        return tuple(n for n, shareable in _shipped_services().items() if shareable)
    raise AttributeError(f"module 'planning.parameters' has no attribute {name!r}")


def _shipped_services() -> dict[str, bool]:
    """{service: shareable} of the shipped catalogue, in catalogue order."""
    cat = _shipped_catalogue()
    shareable = set(cat.shareable_services())
    return {n: n in shareable for n in cat.service_names()}


def _shipped_catalogue() -> ServiceCatalogue:
    from planning.data import data_dir

    return _catalogue_at(str(data_dir()))


@functools.lru_cache(maxsize=4)
def _catalogue_at(folder: str) -> ServiceCatalogue:
    """The catalogue of data folder ``folder`` (the one in use: read through planning.data)."""
    return load_catalogue()


# ------------------------------------------------------------------------------------------------
# catalogue sections shared by the services
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


class Coverage(_Model):
    """Services whose users are a share of the population by KOSTRA age group. Heldøgnsomsorg
    has two forms: ``langtidsopphold`` (institution) and ``heldogn_bolig`` (housing with
    24-hour staff)."""

    estimation: CoverageEstimation
    hjemmetjenester: CoverageService
    langtidsopphold: CoverageService
    heldogn_bolig: CoverageService

    def services(self) -> dict[str, CoverageService]:
        """The coverage-rate services, in catalogue order."""
        return {n: getattr(self, n) for n in type(self).model_fields if n != "estimation"}


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


class ServiceCatalogue(BaseModel):
    """The whole parameter set of the demand and capacity model (``data/services.yaml``).

    Fixed sections: ``price_year``, ``base_year``, ``coverage`` (the KOSTRA model's settings and
    the coverage-rate services), ``staffing``, ``calibration``, ``travel``, ``levers``. Every
    other top-level key is a service entry whose ``kind`` names its model
    (:data:`planning.services.KINDS`); ``catalogue.kad`` reads one as an attribute.
    """

    model_config = ConfigDict(extra="allow", frozen=True)
    __pydantic_extra__: dict[str, ServiceEntry] = Field(init=False)  # type: ignore[assignment]

    price_year: int
    base_year: int  # year the rates describe; levers compound from here
    coverage: Coverage
    # pilot sub-projects 7 (what prevention avoids in home care: planning.services.mitigation) and 4/6
    # (what sharing costs: planning.overhead): optional, so a catalogue without them runs as before
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
        for name, spec in raw.items():
            if isinstance(spec, dict) and spec.get("kind") == "bed_service":
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
        for name, spec in self.services_of("prevention_unit").items():
            if spec.driver == "new_home_care_users" and not self.mitigation:
                raise ValueError(
                    f"{name}: driver new_home_care_users needs mitigation.new_user_share"
                )
        if self.mitigation is not None:
            from planning.services.mitigation import check_units

            check_units(self.mitigation, self.services())
        return self

    def _professions_used(self) -> Iterator[tuple[str, str]]:
        for name, spec in self.services().items():
            for p in spec.professions():
                yield name, p

    # --- the services -------------------------------------------------------------------------
    def services(self) -> dict[str, ServiceSpec]:
        """Every service, in catalogue order: the coverage-rate services, then the entries."""
        return {**self.coverage.services(), **dict(self.model_extra or {})}

    def service_names(self) -> list[str]:
        """Every service of the frames: the entries and the shareable services they plan (such as
        psykisk helse og rus's ambulant team, ``psykisk_helse_team``)."""
        out: list[str] = []
        for n, s in self.services().items():
            for x in [n, *s.shared_services(n)]:
                if x not in out:
                    out.append(x)
        return out

    def shareable_services(self) -> list[str]:
        """Services a municipality can run together with others in a :class:`Unit`."""
        return [x for n, s in self.services().items() for x in s.shared_services(n)]

    def services_of(self, kind: str) -> dict[str, ServiceSpec]:
        return {n: s for n, s in self.services().items() if s.kind == kind}

    def service(self, name: str) -> ServiceSpec:
        """The entry of service ``name``; KeyError naming the services when there is none."""
        services = self.services()
        if name not in services:
            raise KeyError(f"no service {name!r} in the catalogue (services: {list(services)})")
        return services[name]

    def labels(self, lang: str = "nb") -> dict[str, str]:
        """Readable service names from the entries' ``label`` (bokmål) / ``label_en``."""
        out: dict[str, str] = {}
        for n, s in self.services().items():
            out[n] = s.label_in(lang)
            team = getattr(s, "team", None)  # a shared part of the entry (its own label)
            for x in s.shared_services(n):
                if x not in out and team is not None:
                    out[x] = str(team.label)
        return out

    def sections(self) -> list[str]:
        """Top-level keys in catalogue order (fixed sections around the service entries)."""
        fields = list(type(self).model_fields)
        i = fields.index("coverage") + 1
        return fields[:i] + list(self.model_extra or {}) + fields[i:]

    def problems(self) -> list[tuple[str, str, list[str]]]:
        """(key, problem, allowed) of references between entries that do not hold: a
        mitigator naming a service that is not in the catalogue (or one it cannot act on),
        or a demand measure that service does not have."""
        services = self.services()
        targets = [n for n, s in services.items() if s.kind != "mitigator" and not _derived(s.kind)]
        out = []
        for name, spec in services.items():
            for target, eff in getattr(spec, "effects", {}).items():
                key = f"{name}.effects.{target}"
                if target not in targets:
                    why = (
                        "is not in the catalogue"
                        if target not in services
                        else ("is a mitigator or has derived demand")
                    )
                    out.append((key, f"target service '{target}' {why}", targets))
                    continue
                have = services[target].demand_measures()
                for i, m in enumerate(eff.measures):
                    if m not in have:
                        out.append(
                            (f"{key}.measures.{i}", f"'{target}' has no demand measure '{m}'", have)
                        )
        return out

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


def _derived(kind: str) -> bool:
    return bool(getattr(KINDS.get(kind), "DERIVED", False))


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


def _fields(obj: BaseModel) -> list[str]:
    """Names of a model's values in order (a catalogue's service entries among its sections)."""
    if isinstance(obj, ServiceCatalogue):
        return obj.sections()
    return list(type(obj).model_fields) + list(obj.model_extra or {})


def _walk(obj: Any, prefix: str) -> Iterator[tuple[str, Sourced]]:
    """Yield (dotted path, Sourced) for every Sourced value inside a model tree."""
    if isinstance(obj, Sourced):
        yield prefix, obj
    elif isinstance(obj, BaseModel):
        for name in _fields(obj):
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

    service: str = Field(min_length=1)  # a shareable service of the catalogue
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
    usually a typo, before the missing key it causes), each on one line. The tag of a service
    entry's kind (which pydantic puts into the location) is left out of the key. A data file
    found missing or corrupt by a validator raises its own DataError (raise_data_error)."""
    raise_data_error(err)
    errors = err.errors()
    e = next((x for x in errors if x.get("type") == "extra_forbidden"), errors[0])
    loc = location(e["loc"])
    if len(loc) > 1 and loc[1] in KINDS:  # a service entry: drop the kind tag pydantic adds
        loc = [loc[0], *loc[2:]]
    key = ".".join(loc)
    msg = str(e["msg"]).removeprefix("Value error, ")
    if e.get("type") == "extra_forbidden":
        msg = "unknown key"
    elif e.get("type") == "missing":
        msg = "required key is missing"
    elif e.get("type") == "union_tag_invalid":
        tag = (e.get("ctx") or {}).get("tag")
        key, msg = f"{key}.kind", f"unknown kind '{tag}'"
    elif e.get("type") == "union_tag_not_found":
        key, msg = f"{key}.kind", "required key is missing (a service entry names its kind)"
    return key, msg


def _validate(model: type[BaseModel], raw: Any, file: str | Path, error: type[PlanningError]):
    if not isinstance(raw, dict):
        raise error("expected a mapping at the top level", file=file)
    try:
        out = model.model_validate(raw)
    except ValidationError as err:
        key, msg = format_validation_error(err)
        allowed = None
        if msg == "unknown key":
            parent = key.rsplit(".", 1)[0] if "." in key else ""
            allowed = _allowed_keys(model, parent, raw)
            hint = suggest(key.rsplit(".", 1)[-1], allowed.split(", ")) if allowed else ""
            msg += f".{hint}" if hint else ""
        elif msg.startswith(("unknown kind", "required key is missing (a service")):
            allowed = ", ".join(ENTRY_KINDS)
        elif msg == "required key is missing" and model is ServiceCatalogue and "." in key:
            allowed = _allowed_keys(model, key.rsplit(".", 1)[0], raw)  # the fields of its kind
        raise error(msg, file=file, key=key, allowed=allowed) from None
    if isinstance(out, ServiceCatalogue):
        for key, msg, allowed_values in out.problems()[:1]:
            raise error(msg, file=file, key=key, allowed=allowed_values)
    return out


def _allowed_keys(model: type[BaseModel], dotted: str, raw: Any = None) -> str | None:
    parts = [p for p in dotted.split(".") if p]
    cls: Any = model
    if model is ServiceCatalogue and parts and parts[0] not in model.model_fields:
        entry = raw.get(parts[0]) if isinstance(raw, dict) else None  # a service entry
        kind = entry.get("kind") if isinstance(entry, dict) else None
        if kind not in KINDS:
            return None
        cls, parts = KINDS[kind].Spec, parts[1:]
    for part in parts:
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
    from planning.io import require_file

    p = require_file(path, DataError)
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
    its ``source``). Raises DataError naming the file and key when it is malformed or a unit
    names a service the shipped catalogue cannot share."""
    raw, file = _read_yaml(path, "organisation.yaml")
    return check_unit_services(_validate(Organisation, raw, file, DataError), file, DataError)


def check_unit_services(
    org: Organisation,
    file: str | Path,
    error: type[PlanningError] = ScenarioError,
    catalogue: ServiceCatalogue | None = None,
    prefix: str = "units",
) -> Organisation:
    """``org`` if every unit is of a shareable service of ``catalogue`` (default: the shipped
    one); otherwise ``error`` naming the unit's key and the shareable services."""
    shareable = (catalogue or _shipped_catalogue()).shareable_services()
    for i, u in enumerate(org.units):
        if u.service not in shareable:
            raise error(
                f"'{u.service}' is not allowed (not a shareable service of the catalogue)."
                f"{suggest(u.service, shareable)}",
                file=file,
                key=f"{prefix}.{i}.service",
                allowed=", ".join(shareable),
            )
    return org


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
    return check_unit_services(_validate(Organisation, raw, file, ScenarioError), file)


def levers_from_dict(raw: dict[str, Any], file: str = "scenario") -> Levers:
    """Validate a levers mapping; errors are ScenarioError naming the key."""
    return _validate(Levers, raw, file, ScenarioError)
