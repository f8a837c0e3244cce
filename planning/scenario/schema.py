"""The scenario schema: one set of pydantic models (``Scenario`` and its parts), ``extra=forbid``.

Part of :mod:`planning.scenarios` (the public facade); see its docstring for the map.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from planning import data
from planning.parameters import (
    Levers,
    Organisation,
    ServiceCatalogue,
    Sourced,
)
from planning.scenario.catalogue import _catalogue_for, _freeze
from planning.sourced import MunicipalityRef, NumbersModel

#: A scenario name: letters, digits, '_' and '-', starting with a letter or digit (no path
#: characters, so a name can never point outside a folder it is joined to).
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
_NAME_RE = re.compile(NAME_PATTERN)
MAX_RUNS = 10_000  # Monte Carlo runs per scenario; more would not fit a widget session
LAST_PROJECTION_YEAR = 2100  # UN WPP 2024 assumptions end in 2100 (data/wpp_*.csv)

ScenarioName = Annotated[str, Field(pattern=NAME_PATTERN)]


# ------------------------------------------------------------------------------------------------
# schema
# ------------------------------------------------------------------------------------------------
class _Model(NumbersModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    """A text in Norwegian bokmål (``nb``, shown to steering groups) and English (``en``)."""

    nb: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Horizon(_Model):
    """Projection years: ``base_year`` (observed population, 1 January) to ``end_year``."""

    base_year: int
    end_year: int

    @field_validator("base_year")
    @classmethod
    def _observed(cls, v: int) -> int:
        first, last = data.population_years()
        first += 2  # the projection calibrates on at least two observed years before the base
        if not first <= v <= last:
            raise ValueError(f"base_year {v} has no observed population (allowed: {first}..{last})")
        return v

    @field_validator("end_year")
    @classmethod
    def _after_base(cls, v: int, info: ValidationInfo) -> int:
        base = info.data.get("base_year")
        if base is not None and v <= base:
            raise ValueError(f"end_year {v} must be after base_year {base}")
        if v > LAST_PROJECTION_YEAR:
            raise ValueError(
                f"end_year {v} is after {LAST_PROJECTION_YEAR}, the last year of the UN WPP 2024 "
                "assumptions"
            )
        return v


Method = Literal["cohort-component", "hamilton-perry"]  # planning.demography.METHODS
#: Three letters L/M/H for fertility, life expectancy and migration (planning.demography).
Variant = Annotated[str, Field(pattern=r"^[LMH]{3}$")]


class Demography(_Model):
    """Population projection settings passed to :func:`planning.demography.project`."""

    method: Method = "cohort-component"
    variant: Variant = "MMM"
    runs: int = Field(default=0, ge=0, le=MAX_RUNS)  # Monte Carlo runs beyond the central run 0
    seed: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _reference_method(self) -> Demography:
        if self.method == "hamilton-perry" and (self.runs > 0 or self.variant != "MMM"):
            raise ValueError("hamilton-perry has no variants or Monte Carlo runs (use MMM, runs 0)")
        return self


def _number_to_sourced(v: Any) -> Any:
    """A bare number given where a sourced value is expected becomes a labelled assumption."""
    if isinstance(v, bool):
        raise ValueError("expected a number, not a yes/no value")
    if isinstance(v, int | float):
        return {
            "value": float(v),
            "unit": "per year",
            "source": "user value in a scenario (no source given)",
            "status": "assumption",
        }
    return v


class Prices(_Model):
    """Price assumptions. Costs are in NOK at the catalogue's ``price_year`` (constant prices).

    real_pay_growth: yearly real growth of pay and pension per FTE (fraction per year), applied to
      staff costs from the horizon's base year; 0 keeps constant prices.
    """

    real_pay_growth: Annotated[Sourced, BeforeValidator(_number_to_sourced)]

    @field_validator("real_pay_growth")
    @classmethod
    def _growth_range(cls, s: Sourced) -> Sourced:
        if not -0.05 <= s.value <= 0.05:
            raise ValueError(f"value {s.value} outside [-0.05, 0.05] per year")
        return s


class TravelOverride(_Model):
    """A local figure for a trip between two places of ``data/places.csv`` (both directions)."""

    from_id: str
    to_id: str
    distance_km: float | None = Field(default=None, ge=0.0)
    minutes: float | None = Field(default=None, ge=0.0)

    @model_validator(mode="after")
    def _something(self) -> TravelOverride:
        if self.distance_km is None and self.minutes is None:
            raise ValueError("give distance_km and/or minutes")
        return self


class Scenario(_Model):
    """A complete, validated scenario (after ``extends`` has been resolved).

    ``region`` (a region name such as ``vaernes``) or ``municipalities`` (codes or names) says who
    takes part; :meth:`municipality_codes` gives the resolved 4-digit codes.
    """

    name: ScenarioName
    extends: ScenarioName | None = None
    title: Text
    description: Text
    region: str | None = None
    municipalities: list[MunicipalityRef] | None = None
    horizon: Horizon
    demography: Demography
    levers: Levers = Field(default_factory=Levers)
    services: dict[str, Any] = Field(default_factory=dict)
    organisation: Organisation = Field(default_factory=Organisation)
    prices: Prices
    travel_overrides: list[TravelOverride] = Field(default_factory=list)

    _file: str | None = PrivateAttr(default=None)
    _lineage: tuple[str, ...] = PrivateAttr(default=())
    _overrides: dict[str, Any] = PrivateAttr(default_factory=dict)
    _fingerprint: str | None = PrivateAttr(default=None)
    _unit_changes: list[Any] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _who(self) -> Scenario:
        if (self.region is None) == (self.municipalities is None):
            raise ValueError("give exactly one of 'region' or 'municipalities'")
        if self.municipalities is not None and not self.municipalities:
            raise ValueError("'municipalities' is empty")
        return self

    # --- identity ---------------------------------------------------------------------------
    def fingerprint(self) -> str:
        """Stable hash (16 hex digits) of the scenario's content; equal content, equal print."""
        if self._fingerprint is None:
            text = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=True)
            self._fingerprint = hashlib.sha256(text.encode()).hexdigest()[:16]
        return self._fingerprint

    def __hash__(self) -> int:
        return hash(self.fingerprint())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scenario) and self.fingerprint() == other.fingerprint()

    @property
    def file(self) -> str | None:
        """The file the scenario was read from (None when built in code)."""
        return self._file

    @property
    def lineage(self) -> tuple[str, ...]:
        """Files of the ``extends`` chain, base first, ending with this scenario's file."""
        return self._lineage

    @property
    def overrides(self) -> dict[str, Any]:
        """Dotted-path overrides applied with :func:`apply_overrides` (for provenance)."""
        return dict(self._overrides)

    # --- resolved views ---------------------------------------------------------------------
    def municipality_codes(self) -> tuple[str, ...]:
        """4-digit codes of the municipalities taking part, in the order given."""
        spec = self.region if self.region is not None else self.municipalities
        return _resolve_codes(spec if isinstance(spec, str) else tuple(spec or ()))

    def catalogue(self) -> ServiceCatalogue:
        """The service catalogue with this scenario's ``services`` overrides applied."""
        return _catalogue_for(_freeze(self.services))

    def resolved_levers(self) -> Levers:
        """The levers with every unset value taken from the (overridden) catalogue."""
        return self.levers.with_defaults(self.catalogue())

    def to_yaml(self) -> str:
        """The complete scenario as YAML (``extends`` resolved)."""
        d = self.model_dump(mode="json", exclude_none=True)
        d.pop("extends", None)
        return yaml.safe_dump(d, sort_keys=False, allow_unicode=True, width=100)


@functools.lru_cache(maxsize=64)
def _resolve_codes(spec: str | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(data.resolve_municipalities(spec))
