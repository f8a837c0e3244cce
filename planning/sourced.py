"""A number with its provenance (:class:`Sourced`) and the checked ranges it may take.

Every default of the model carries its value, unit, source (publisher + page or table), year and
status: 'seen' in a cited source, 'derived' from seen values (the working in ``note``) or
'assumption' (no source: labelled wherever a user sees it, with a range in
``data/ranges.yaml``). The catalogue (:mod:`planning.parameters`) and the service kinds
(:mod:`planning.services`) build on these types. A leaf module: it imports nothing of planning.
"""

from __future__ import annotations

import math
import types
import typing
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

Status = Literal["seen", "derived", "assumption"]
AgeGroup = Literal["0-66", "67-79", "80+"]
AGE_GROUPS: tuple[str, ...] = ("0-66", "67-79", "80+")
AGE_GROUP_BOUNDS: tuple[int, ...] = (0, 67, 80)  # KOSTRA age groups (SSB 11645 / 12292)


def code_from_number(v: Any) -> Any:
    """A municipality code written as a YAML number (``5035`` unquoted) as its text ``'5035'``.
    A number that is not four digits (``0301`` reads as 301 or, in YAML's octal, 193) is refused:
    such codes must be quoted."""
    if isinstance(v, int) and not isinstance(v, bool):
        if 1000 <= v <= 9999:
            return str(v)
        raise ValueError(
            f"{v} is not a 4-digit municipality code; write codes that start with 0 in quotes "
            "('0301')"
        )
    return v


MunicipalityCode = Annotated[str, BeforeValidator(code_from_number), Field(pattern=r"^\d{4}$")]
#: A municipality by code or name (a code may be written as a number: 5035).
MunicipalityRef = Annotated[str, BeforeValidator(code_from_number)]
#: A profession (``staffing.professions`` of the catalogue must give its pay).
Profession = Annotated[str, Field(pattern=r"^[a-zæøå][a-zæøå_]*$")]
#: Oldest single age of the population frames (105 = 105 and over).
MAX_AGE = 105
#: Days in a year: the most bed-days (or admissions) one person can have in a year.
DAYS_PER_PERSON_YEAR = 365.0


def _number_not_bool(annotation: Any) -> bool:
    """Whether a field of type ``annotation`` takes a number but not a yes/no value."""
    seen: set[Any] = set()

    def walk(a: Any) -> None:
        if a in seen:
            return
        seen.add(a)
        for arg in typing.get_args(a):
            if isinstance(arg, type | types.UnionType) or typing.get_origin(arg) is not None:
                walk(arg)

    walk(annotation)
    return bool(seen & {int, float}) and not seen & {bool, Any}


class NumbersModel(BaseModel):
    """Base of every model read from a user's or the project's files: a YAML ``true``/``false``
    given where a number is expected is an error (pydantic would read it as 1 or 0, so
    ``healthy_ageing: true`` would silently mean 1.0)."""

    @model_validator(mode="before")
    @classmethod
    def _no_yes_no_for_numbers(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        bad = [
            InitErrorDetails(
                type=PydanticCustomError(
                    "yes_no_for_number", "expected a number, not a yes/no value"
                ),
                loc=(name,),
                input=v,
            )
            for name, v in data.items()
            if isinstance(v, bool)
            and name in cls.model_fields
            and _number_not_bool(cls.model_fields[name].annotation)
        ]
        if bad:
            raise ValidationError.from_exception_data(cls.__name__, bad)
        return data


class Sourced(NumbersModel):
    """A number with its provenance: value, unit, source (publisher + page/table), year, status."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float
    unit: str = Field(min_length=1)
    source: str = Field(min_length=1)
    year: int | None = None
    status: Status
    note: str | None = None

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("value must be a finite number")
        return v

    def __float__(self) -> float:
        return float(self.value)


def in_range(lo: float | None, hi: float | None, lo_open: bool = False, hi_open: bool = False):
    """Validator factory: check ``Sourced.value`` lies in the given interval."""

    def check(s: Sourced) -> Sourced:
        v = s.value
        bad = (lo is not None and (v <= lo if lo_open else v < lo)) or (
            hi is not None and (v >= hi if hi_open else v > hi)
        )
        if bad:
            left = "(" if lo_open else "["
            right = ")" if hi_open else "]"
            raise ValueError(
                f"value {v} outside {left}{'-inf' if lo is None else lo}, "
                f"{'inf' if hi is None else hi}{right}"
            )
        return s

    return AfterValidator(check)


NonNegative = Annotated[Sourced, in_range(0, None)]
Positive = Annotated[Sourced, in_range(0, None, lo_open=True)]
Fraction = Annotated[Sourced, in_range(0, 1)]
OpenFraction = Annotated[Sourced, in_range(0, 1, lo_open=True, hi_open=True)]
Occupancy = Annotated[Sourced, in_range(0, 1, lo_open=True)]
Growth = Annotated[Sourced, in_range(-0.05, 0.05)]
Years = Annotated[Sourced, in_range(1, 100)]
#: A yearly rate per 1 000 inhabitants of something a person can have at most once a day.
PerThousandYears = Annotated[Sourced, in_range(0, 1000 * DAYS_PER_PERSON_YEAR)]


class Model(NumbersModel):
    """Base of the catalogue's parts: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def check_mix(mix: dict[str, Sourced]) -> None:
    """Shares of FTE by profession must sum to 1 (ValueError otherwise)."""
    total = sum(s.value for s in mix.values())
    if not mix or abs(total - 1.0) > 1e-6:
        raise ValueError(f"profession_mix shares must sum to 1 (they sum to {total:.4f})")
