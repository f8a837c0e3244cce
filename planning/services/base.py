"""What the kinds of service share: the base of a catalogue entry and the two contexts a kind
works in (demand from population; capacity, staff and cost from demand).

Shapes: demand arrays are one value per row of the population keys, ``(n,)`` (rows are
(run,) municipality, year); capacity arrays are ``(R, X, Y)``: runs × (municipalities or
providers) × years. Catalogue values may be arrays over runs (already indexed per row or per
run by the caller), so every formula here broadcasts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from planning.errors import InputError
from planning.sourced import MAX_AGE, Model

AGES = np.arange(MAX_AGE + 1)
DAYS_PER_YEAR = 365.0  # calendar days; offered load = bed-days / 365
HOURS_PER_YEAR = 24.0 * 365.0  # round-the-clock hours in a year
AgeRange = tuple[int, int]

#: what a measure counts (:class:`Measure`)
Counts = Literal["served", "population", "base", "resource", "other"]


@dataclass(frozen=True)
class Measure:
    """The marker of a kind's measure: its ``unit`` in words and what it ``counts``:

    * ``served``: people a service serves or their activity (users, cases, admissions,
      bed-days, births, pupils, participants): what the demand chart shows;
    * ``population``: inhabitants of an age range, the base a rate or norm applies to, not people
      served (psykisk helse og rus's adults; legevakt's population): no demand panel;
    * ``base``: other people a norm applies to whom the service itself does not serve (a
      prevention unit driven by new home-care users: home care serves them, the unit reaches a
      share of them; its own users are its participants): no demand panel either;
    * ``resource``: staff, places, beds; ``other``: shares, minutes, probabilities.

    ``label``: the key of its readable name in :data:`planning.i18n.MEASURES` when it is not the
    measure's own (a prevention unit's ``driver`` is named by what it counts).
    """

    unit: str
    counts: Counts = "served"
    label: str | None = None


class ServiceSpec(Model):
    """A catalogue entry: a service of a known ``kind`` with its bokmål ``label`` (shown in
    reports, plots and the explore widget) and the kind's sourced parameters."""

    #: is the kind one a municipality can run together with others (an organisation unit)?
    SHAREABLE: ClassVar[bool] = True
    #: the kind's measures with their markers (each kind sets its module's ``MEASURE_UNITS``)
    MEASURES: ClassVar[Mapping[str, Measure]] = {}

    kind: str
    label: str = Field(min_length=1)  # bokmål, as planners name the service
    label_en: str | None = None  # English label (default: ``label``)

    def professions(self) -> list[str]:
        """Professions whose pay this service needs (``staffing.professions``)."""
        p = getattr(self, "profession", None)
        return [p] if p else []

    def shared_services(self, name: str) -> list[str]:
        """The shareable services (organisation units) this entry ``name`` plans."""
        return [name] if self.SHAREABLE else []

    def label_in(self, lang: str = "nb") -> str:
        return self.label_en or self.label if lang == "en" else self.label

    def demand_measures(self) -> list[str]:
        """The measures this service's demand has (what a mitigator may act on)."""
        return []

    def targets(self) -> list[str]:
        """Services whose demand this one changes (mitigators)."""
        return []

    def measure(self, name: str) -> Measure:
        """The marker of this service's measure ``name`` (the kind's; an entry may decide it, as
        a prevention unit's ``driver`` does); InputError naming the measures the kind has."""
        if name not in self.MEASURES:
            raise InputError(
                f"a {self.kind} service has no measure {name!r}",
                key="measure",
                allowed=sorted(self.MEASURES),
            )
        return self.MEASURES[name]


def check_ages(ages: AgeRange, what: str) -> AgeRange:
    lo, hi = ages
    if not 0 <= lo <= hi <= MAX_AGE:
        raise ValueError(f"{what} {list(ages)} must be two ages 0 <= low <= high <= {MAX_AGE}")
    return ages


@dataclass
class DemandContext:
    """Inputs of the demand kinds (:mod:`planning.demand` builds it).

    ``P``: persons by single age (..., 106) (rows of a frame, or runs × municipalities × years);
    ``since``: years since the catalogue's base year, broadcast against ``P[..., 0]``; ``ages``:
    the population at or above an age with use rates shifted to higher ages by healthy ageing
    (``ages.banded(bounds, rates)``, ``ages.total``); ``group_rates``: {coverage service: users
    per inhabitant by KOSTRA age group (..., 3)}; ``first_year(v)``: each (run,) municipality's
    first projected year's value of ``v``; ``out``: the demand {(service, measure): array}, filled
    kind by kind.
    """

    catalogue: Any
    levers: Any
    P: np.ndarray
    since: np.ndarray
    ages: Any
    group_rates: dict[str, np.ndarray]
    first_year: Callable[[np.ndarray], np.ndarray]
    out: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)

    def population(self, ages: AgeRange | None = None) -> np.ndarray:
        """Inhabitants aged ``ages`` (inclusive; all ages when None)."""
        if ages is None:
            return self.ages.total
        return self.P[..., ages[0] : ages[1] + 1].sum(axis=-1)


def per_unit(values: list[Any]) -> np.ndarray:
    """Stack one value per unit (scalars, or (R, 1, 1) arrays over runs) into (1 or R, X, 1)."""
    flat = [np.asarray(v, dtype=float).reshape(-1) for v in values]
    n = max(len(f) for f in flat) if flat else 1
    return np.stack([np.broadcast_to(f, (n,)) for f in flat], axis=1)[:, :, None]


def value(s: Any) -> Any:
    """A Sourced value, a float or an array over runs (0 when absent)."""
    return np.asarray(s.value, dtype=float) if s is not None else 0.0


@dataclass
class PlanContext:
    """Inputs and outputs of the capacity kinds (:func:`planning.capacity.evaluate` builds it).

    ``demand(service, measure)`` -> (R, M, Y); ``inhabitants`` (R, M, Y); ``providers``:
    {shareable service: its providers (shared units and municipalities alone)}; ``minutes``,
    ``km``: travel between municipality centres (M, M); ``fte_cost``: {(profession, code): NOK
    per FTE}; ``home_factor`` (R or 1, M, 1) and ``nurse_share`` ((1, M, 1) or None) from the
    calibrated staffing. A kind writes capacity and staff rows through :meth:`cap` and
    :meth:`staff`, a provider's cost (split among its members by the unit's cost key) into
    ``unit_cost`` and ``use``, and costs each municipality pays itself into ``own``.
    """

    catalogue: Any
    levers: Any
    codes: list[str]
    demand: Callable[[str, str], np.ndarray]
    inhabitants: np.ndarray
    providers: dict[str, Any]
    minutes: np.ndarray
    km: np.ndarray
    fte_cost: dict[tuple[str, str], Any]
    home_factor: np.ndarray
    nurse_share: np.ndarray | None
    builder: Any
    unit_cost: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    use: dict[str, np.ndarray] = field(default_factory=dict)
    own: list[tuple[str, str, np.ndarray]] = field(default_factory=list)
    has: Callable[[str, str], bool] = lambda service, measure: True  # demand has the measure
    organisation: Any = None
    years: Any = None

    @property
    def hours_per_fte(self) -> Any:
        return self.catalogue.staffing.hours_per_fte.value

    def host_cost(self, p: Any, profession: str) -> np.ndarray:
        """NOK per FTE for each provider (employed by its host): (1 or R, P, 1)."""
        return per_unit([self.fte_cost[(profession, self.codes[h])] for h in p.hosts])

    def own_cost(self, profession: str) -> np.ndarray:
        """NOK per FTE for each municipality employing its own staff: (1 or R, M, 1)."""
        return per_unit([self.fte_cost[(profession, c)] for c in self.codes])

    def to_host(self, p: Any) -> tuple[np.ndarray, np.ndarray]:
        """(minutes, km) one way from each member's centre to its provider's host: (1, M, 1)."""
        m = np.arange(len(self.codes))
        host = p.hosts[p.of]
        return self.minutes[m, host][None, :, None], self.km[m, host][None, :, None]

    def added_minutes(self, p: Any) -> np.ndarray:
        """Population-weighted one-way minutes from member centre to host: (R, P, Y)."""
        t = self.to_host(p)[0][0, :, 0]  # (M,)
        num = p.agg(self.inhabitants * t[None, :, None])
        den = p.agg(self.inhabitants)
        return np.divide(num, den, out=np.zeros_like(num), where=den > 0)

    def cap(self, service: str, names: list[str], measure: str, values: Any) -> None:
        self.builder.cap(service, names, measure, values)

    def staff(
        self, service: str, names: list[str], profession: str, measure: str, values: Any
    ) -> None:
        self.builder.staff(service, names, profession, measure, values)

    def staff_rows(
        self,
        service: str,
        names: list[str],
        profession: str,
        workload: Any,
        travel: Any,
        fte: Any,
    ) -> None:
        """The three staff measures of one profession: fte_workload, fte_travel, fte."""
        self.staff(service, names, profession, "fte_workload", workload)
        self.staff(service, names, profession, "fte_travel", travel)
        self.staff(service, names, profession, "fte", fte)
