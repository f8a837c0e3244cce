"""Numbers with their provenance: the :class:`Sourced` value every catalogue default is made of,
its validated variants (fractions, positive numbers, rates) and the professions staff are paid as.

The base of every catalogue model (:mod:`planning.parameters` and the service families in their
own modules). Imports nothing else from ``planning``.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

Status = Literal["seen", "derived", "assumption"]
Profession = Literal[
    "sykepleier",
    "helsefagarbeider",
    "helsesykepleier",
    "jordmor",
    "lege",
    "saksbehandler",
    "kontormedarbeider",
]


class Sourced(BaseModel):
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


def _in_range(lo: float | None, hi: float | None, lo_open: bool = False, hi_open: bool = False):
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


NonNegative = Annotated[Sourced, _in_range(0, None)]
Positive = Annotated[Sourced, _in_range(0, None, lo_open=True)]
Fraction = Annotated[Sourced, _in_range(0, 1)]
OpenFraction = Annotated[Sourced, _in_range(0, 1, lo_open=True, hi_open=True)]
Occupancy = Annotated[Sourced, _in_range(0, 1, lo_open=True)]
Growth = Annotated[Sourced, _in_range(-0.05, 0.05)]
Years = Annotated[Sourced, _in_range(1, 100)]
#: Days in a year: the most bed-days (or admissions) one person can have in a year.
DAYS_PER_PERSON_YEAR = 365.0
#: A yearly rate per 1 000 inhabitants of something a person can have at most once a day.
PerThousandYears = Annotated[Sourced, _in_range(0, 1000 * DAYS_PER_PERSON_YEAR)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
