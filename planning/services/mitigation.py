"""Activity mitigators: prevention that lowers the demand for care, each effect a sourced range.

In the manner of the NHP model's activity mitigators (The Strategy Unit, nhp_model): a mitigator
names the care service and measure it acts on (home-care ``users`` or home-care hours, i.e.
``fte``), the prevention unit that brings it about (``innsatsteam``, ``frisklivssentral``,
``ernaeringsfysiolog``), an ``effect`` (the share of the measure avoided among the new users the
unit reaches: its ``reach_share`` of them when it has one, all of them otherwise; a :class:`~planning.sourced.Sourced` value whose range lives in
``data/ranges.yaml`` and is drawn in the Monte Carlo runs) and the ``evidence`` behind it.

It acts on **new** users only and only where a scenario *adds* the unit: today's KOSTRA figures
already hold whatever prevention exists today, so a unit with a ``source`` (it exists today) or a
municipality outside any unit of that service changes nothing. The effect ramps in linearly over
``ramp_years`` from the first year of the evaluation (today). It is applied after demand and shown as its own
measure (``users_avoided``, ``fte_avoided``), never folded into healthy ageing.

reduction(m, t) = covered(m) × effect × reach_share × new_user_share × min(1, (t − base) / ramp)
kept = value × Π (1 − reduction_i), so a mitigator never takes a measure below zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from planning.sourced import Fraction, Model, Positive, Sourced

#: Service measures a mitigator can act on (service -> measures).
MITIGABLE: dict[str, tuple[str, ...]] = {"hjemmetjenester": ("users", "fte")}
Evidence = Literal["rct", "review", "controlled_trial", "observational", "none"]


class Mitigator(Model):
    """One effect of a prevention unit on a care measure (see the module docstring)."""

    kind: Literal["mitigator"] = "mitigator"
    label: str
    unit_service: str  # the prevention unit (an entry of that kind) whose proposed units act
    service: str  # the care service acted on
    measure: str  # 'users' or 'fte' (hours)
    effect: Fraction  # share of the measure avoided among the new users the unit reaches
    evidence: Evidence
    evidence_note: str = Field(min_length=1)

    @model_validator(mode="after")
    def _known(self) -> Mitigator:
        if self.service not in MITIGABLE:
            raise ValueError(
                f"mitigator acts on unknown service '{self.service}'; allowed: {sorted(MITIGABLE)}"
            )
        if self.measure not in MITIGABLE[self.service]:
            raise ValueError(
                f"mitigator acts on unknown measure '{self.measure}' of {self.service}; "
                f"allowed: {list(MITIGABLE[self.service])}"
            )
        return self


class Mitigation(Model):
    """The mitigators of the catalogue (``services.yaml: mitigation``)."""

    new_user_share: Fraction  # share of a year's home-care users who start that year
    ramp_years: Positive  # years from the first year until a new unit has its full effect
    mitigators: dict[str, Mitigator] = Field(default_factory=dict)


def ramp(years_since_base: Any, ramp_years: Any) -> np.ndarray:
    """Share of the full effect reached ``years_since_base`` after the base year (0..1)."""
    since = np.maximum(np.asarray(years_since_base, dtype=float), 0.0)
    return np.clip(since / np.asarray(ramp_years, dtype=float), 0.0, 1.0)


def reduction_share(
    covered: Any, effect: Any, reach_share: Any, new_user_share: Any, ramp_share: Any
) -> np.ndarray:
    """Share of a measure avoided: covered × effect × reach × new-user share × ramp, in 0..1.

    All arguments broadcast (e.g. covered (1, M, 1), effect (R, 1, 1), ramp (1, 1, Y)).
    Raises ValueError for a share outside 0..1 (the catalogue validation prevents it)."""
    parts = [np.asarray(x, dtype=float) for x in (covered, effect, reach_share, new_user_share)]
    for p in parts:
        if np.any((p < 0) | (p > 1)):
            raise ValueError("mitigator shares must lie in 0..1")
    return np.clip(np.prod(np.broadcast_arrays(*parts, np.asarray(ramp_share)), axis=0), 0, 1)


def apply(values: Any, reductions: Iterable[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(kept, avoided) of ``values`` after the reductions (each a share 0..1), applied one after
    another: kept = values × Π(1 − r). Never negative; kept + avoided = values."""
    v = np.asarray(values, dtype=float)
    kept = v
    for r in reductions:
        kept = kept * (1.0 - np.clip(np.asarray(r, dtype=float), 0.0, 1.0))
    kept = np.maximum(kept, 0.0)
    return kept, v - kept


def covered_municipalities(organisation: Any, unit_service: str, codes: list[str]) -> np.ndarray:
    """1.0 for each municipality of ``codes`` in a *proposed* unit (no ``source``: it does not
    exist today) of ``unit_service``; 0.0 otherwise. Shape (M,)."""
    out = np.zeros(len(codes))
    index = {c: i for i, c in enumerate(codes)}
    for u in getattr(organisation, "units", []):
        if u.service == unit_service and u.source is None:
            for m in u.members:
                if m in index:
                    out[index[m]] = 1.0
    return out


def reductions_for(
    mitigation: Mitigation | None,
    organisation: Any,
    codes: list[str],
    years: np.ndarray,
    base_year: int,
    service: str,
    reach: Mapping[str, Any] | None = None,
) -> dict[str, list[np.ndarray]]:
    """{measure: [reduction (R|1, M, Y) per mitigator]} for ``service``: every mitigator of the
    catalogue acting on it. ``reach``: share of new users each prevention service reaches
    (default 1). Values may be arrays over runs of shape (R, 1, 1)."""
    reach = reach or {}
    out: dict[str, list[np.ndarray]] = {}
    if mitigation is None:
        return out
    since = np.asarray(years, dtype=float)[None, None, :] - base_year
    r = ramp(since, mitigation.ramp_years.value)  # (1 or R, 1, Y): ramp_years may vary by run
    for m in mitigation.mitigators.values():
        if m.service != service:
            continue
        cov = covered_municipalities(organisation, m.unit_service, codes)[None, :, None]
        out.setdefault(m.measure, []).append(
            reduction_share(
                cov,
                m.effect.value,
                reach.get(m.unit_service, 1.0),
                mitigation.new_user_share.value,
                r,
            )
        )
    return out


def check_units(mitigation: Mitigation, services: Mapping[str, Any]) -> None:
    """ValueError when a mitigator comes from a service the catalogue lacks, or from one that
    is not a prevention unit (any ``prevention_unit`` entry may bring a mitigation)."""
    units = [n for n, s in services.items() if s.kind == "prevention_unit"]
    for name, m in mitigation.mitigators.items():
        if m.unit_service not in services:
            raise ValueError(
                f"mitigation.mitigators.{name}: comes from {m.unit_service}, which the "
                "catalogue lacks (add its section or remove the mitigator)"
            )
        if m.unit_service not in units:
            raise ValueError(
                f"mitigation.mitigators.{name}: comes from {m.unit_service}, which is not a "
                f"prevention unit (allowed: {', '.join(units)})"
            )


def evidence_table(mitigation: Mitigation | None) -> list[dict[str, Any]]:
    """One row per mitigator: name, label, acts on, effect (value, source, status), evidence."""
    if mitigation is None:
        return []
    rows = []
    for name, m in mitigation.mitigators.items():
        e: Sourced = m.effect
        rows.append(
            {
                "mitigator": name,
                "label": m.label,
                "unit_service": m.unit_service,
                "acts_on": f"{m.service}.{m.measure}",
                "effect": e.value,
                "status": e.status,
                "source": e.source,
                "evidence": m.evidence,
                "evidence_note": m.evidence_note,
            }
        )
    return rows
