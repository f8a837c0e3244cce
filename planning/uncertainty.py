"""Ranges of the assumptions and parameter draws for the Monte Carlo runs.

``data/ranges.yaml`` gives every assumption (and every seen or derived value with a known error)
a plausible low and high, a distribution, a kind and the reason for the range:

* ``uncertain``: not known; drawn in the Monte Carlo runs (together with the demographic draws)
  and swung in the tornado (:mod:`planning.sensitivity`).
* ``choice``: a decision or a convention (targets, shifts, the price basis); swung in the tornado,
  never drawn: a band says what is not known, not what might be decided.
* ``method``: an estimation or projection setting; swung in the tornado where the chain can
  re-estimate it, never drawn.

Parameter draws follow the NHP demand model: run 0 is the central run; runs 1..N draw every
uncertain parameter at once, from a random stream derived from the scenario's one seed (a child
of ``numpy.random.SeedSequence(seed)``, so the population draws stay as they were). The draws
are uniform numbers per (run, parameter) in a fixed parameter order, mapped through each
scenario's own range: two scenarios with the same seed get the same quantiles in every run, so
differences between them stay paired.

The model core takes a catalogue and levers whose values may be arrays over runs
(:func:`with_values`): :func:`planning.demand.project_demand` and
:func:`planning.capacity.evaluate` index them by each row's or cell's run
(:func:`map_run_values`), so all runs are evaluated together.
"""

from __future__ import annotations

import functools
import math
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from planning.errors import DataError
from planning.parameters import Levers, ServiceCatalogue, Sourced, _walk

RANGES_FILE = "ranges.yaml"
Kind = Literal["uncertain", "choice", "method"]
Distribution = Literal["triangular", "uniform", "discrete"]

#: Catalogue paths that enter through the estimation of coverage rates from KOSTRA: the chain
#: re-estimates them (one run per value), so they are swung in the tornado but not drawn.
#: (The fallback rates act only where no KOSTRA model is given: never in a scenario run.)
ESTIMATION_PREFIXES = ("coverage.estimation.",)
#: Child stream of the scenario seed used for parameter draws (the population uses the seed).
PARAMETER_STREAM = 13


class Range(BaseModel):
    """The plausible range of one parameter (see ``data/ranges.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    low: float | None = None
    high: float | None = None
    distribution: Distribution = "triangular"
    kind: Kind
    reason: str = Field(min_length=3)
    complement_of: str | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Range:
        if self.complement_of is None:
            if self.low is None or self.high is None:
                raise ValueError("give low and high (or complement_of)")
            if not (math.isfinite(self.low) and math.isfinite(self.high)):
                raise ValueError("low and high must be finite numbers")
            if self.low > self.high:
                raise ValueError(f"low {self.low} is above high {self.high}")
        elif self.low is not None or self.high is not None:
            raise ValueError("a complement_of range takes no low or high of its own")
        return self


@functools.lru_cache(maxsize=4)
def _load(data_dir: str) -> dict[str, Range]:
    from planning.data import load_yaml

    raw = load_yaml(RANGES_FILE)
    if not isinstance(raw, dict):
        raise DataError("expected a mapping of parameter paths", file=RANGES_FILE)
    out: dict[str, Range] = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict):
            raise DataError(
                "expected {low, high, kind, reason}",
                file=RANGES_FILE,
                key=str(key),
                allowed="low, high, distribution, kind, reason, complement_of",
            )
        try:
            out[str(key)] = Range.model_validate(entry)
        except ValidationError as e:
            err = e.errors()[0]
            sub = ".".join(str(p) for p in err["loc"])
            raise DataError(
                str(err["msg"]).removeprefix("Value error, "),
                file=RANGES_FILE,
                key=f"{key}.{sub}" if sub else str(key),
                allowed="low, high, distribution (triangular|uniform|discrete), "
                "kind (uncertain|choice|method), reason, complement_of",
            ) from None
    for key, r in out.items():
        if r.complement_of is not None and r.complement_of not in out:
            raise DataError(
                f"complement_of names no range: {r.complement_of}", file=RANGES_FILE, key=key
            )
    return out


def load_ranges() -> dict[str, Range]:
    """Every range of ``data/ranges.yaml`` by dotted parameter path (validated, cached)."""
    from planning.data import data_dir

    return dict(_load(str(data_dir())))


def bounds(path: str, ranges: Mapping[str, Range] | None = None) -> tuple[float, float]:
    """(low, high) of ``path`` around the catalogue default (complements resolved)."""
    ranges = load_ranges() if ranges is None else ranges
    r = ranges[path]
    if r.complement_of is not None:
        lo, hi = bounds(r.complement_of, ranges)
        return 1.0 - hi, 1.0 - lo
    return float(r.low), float(r.high)  # type: ignore[arg-type]


def is_estimation_input(path: str) -> bool:
    """True for catalogue values that act through the coverage estimation from KOSTRA."""
    return path.startswith(ESTIMATION_PREFIXES)


def is_array_capable(path: str) -> bool:
    """True for parameters the model core accepts as arrays over runs (catalogue and levers
    values outside the coverage estimation)."""
    return not path.startswith(("prices.", "demography.")) and not is_estimation_input(path)


def is_drawn(path: str, ranges: Mapping[str, Range] | None = None) -> bool:
    """True when ``path`` is drawn in the Monte Carlo runs (uncertain and array-capable)."""
    ranges = load_ranges() if ranges is None else ranges
    r = ranges.get(path)
    return r is not None and r.kind == "uncertain" and is_array_capable(path)


# ------------------------------------------------------------------------------------------------
# coverage: every assumption has a range
# ------------------------------------------------------------------------------------------------
def required_paths(catalogue: ServiceCatalogue) -> list[str]:
    """Paths that must have a range: every catalogue value with status ``assumption``, the price
    assumption and every assumption of ``data/demography.yaml``."""
    from planning.demography import assumptions as demographic_assumptions

    out = [p for p, s in _walk(catalogue, "") if s.status == "assumption"]
    out.append("prices.real_pay_growth")
    out += [f"demography.{p}" for p in demographic_assumptions()]
    return out


def _demography_value(path: str) -> float | None:
    from planning.data import load_yaml

    node: Any = load_yaml("demography.yaml")
    for part in path.split(".")[1:]:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    if isinstance(node, dict):
        node = node.get("value", node.get("M"))
    return float(node) if isinstance(node, int | float) else None


def check_ranges(
    catalogue: ServiceCatalogue, ranges: Mapping[str, Range] | None = None
) -> list[str]:
    """Problems with the ranges, one line each (empty when all is well): an assumption without a
    range, a range for a path that does not exist, a default outside its range."""
    ranges = load_ranges() if ranges is None else ranges
    problems = [
        f"{RANGES_FILE}: no range for the assumption {p}"
        for p in required_paths(catalogue)
        if p not in ranges
    ]
    values = {p: s.value for p, s in _walk(catalogue, "")}
    values["prices.real_pay_growth"] = 0.0
    for path in ranges:
        if path.startswith("demography."):
            v = _demography_value(path)
        else:
            v = values.get(path)
        if v is None:
            problems.append(f"{RANGES_FILE}: {path} is not a parameter of the model")
            continue
        lo, hi = bounds(path, ranges)
        if not lo - 1e-12 <= v <= hi + 1e-12:
            problems.append(
                f"{RANGES_FILE}: {path}: default {v:g} outside its range [{lo:g}, {hi:g}]"
            )
    return problems


# ------------------------------------------------------------------------------------------------
# values of a scenario
# ------------------------------------------------------------------------------------------------
def central_values(
    catalogue: ServiceCatalogue, levers: Levers, real_pay_growth: float = 0.0
) -> dict[str, float]:
    """The value of every parameter path in use (catalogue, resolved levers, prices)."""
    out = {p: float(s.value) for p, s in _walk(catalogue, "") if not p.startswith("levers.")}
    for name in type(catalogue.levers).model_fields:
        v = getattr(levers, name, None)
        out[f"levers.{name}"] = float(v if v is not None else getattr(catalogue.levers, name).value)
    out["prices.real_pay_growth"] = float(real_pay_growth)
    return out


def scenario_bounds(
    path: str,
    central: float,
    default: float,
    ranges: Mapping[str, Range] | None = None,
) -> tuple[float, float]:
    """(low, high) of ``path`` for a scenario whose value is ``central`` (the catalogue default
    is ``default``). Choices keep their absolute range; uncertain values set by the scenario keep
    the relative width of the range around the new value (shifted when the default is 0);
    fractions stay within 0..1 and nothing goes below 0."""
    ranges = load_ranges() if ranges is None else ranges
    lo, hi = bounds(path, ranges)
    r = ranges[path]
    if r.kind == "choice" or central == default:
        return lo, hi
    if default != 0:
        lo, hi = sorted((lo * central / default, hi * central / default))
    else:
        lo, hi = lo + central - default, hi + central - default
    upper = 1.0 if bounds(path, ranges)[1] <= 1.0 else math.inf
    lo, hi = max(lo, 0.0), min(hi, upper)
    return min(lo, central), max(hi, central)


def quantile_values(
    u: np.ndarray, low: float, central: float, high: float, distribution: str
) -> np.ndarray:
    """Values at quantiles ``u`` (0..1) of the range's distribution (inverse CDF)."""
    u = np.asarray(u, dtype=float)
    if high <= low:
        return np.full(u.shape, central)
    if distribution == "uniform":
        return low + u * (high - low)
    if distribution == "discrete":
        choices = np.array([low, central, high])
        return choices[np.minimum((u * 3).astype(np.int64), 2)]
    c = min(max(central, low), high)
    f = (c - low) / (high - low)
    left = low + np.sqrt(u * (high - low) * (c - low))
    right = high - np.sqrt((1 - u) * (high - low) * (high - c))
    return np.where(u < f, left, right)


def drawn_paths(ranges: Mapping[str, Range] | None = None) -> list[str]:
    """Paths drawn in the Monte Carlo runs, in the fixed order of the draws."""
    ranges = load_ranges() if ranges is None else ranges
    return sorted(p for p in ranges if is_drawn(p, ranges))


def draw(
    catalogue: ServiceCatalogue,
    levers: Levers,
    default_catalogue: ServiceCatalogue,
    runs: int,
    seed: int | None,
    ranges: Mapping[str, Range] | None = None,
) -> dict[str, np.ndarray]:
    """Parameter values for runs 0..``runs`` (run 0 central): {path: array of runs + 1}.

    Every uncertain, array-capable parameter is drawn (:func:`drawn_paths`); complements follow
    their partner. The uniform numbers come from a child stream of ``seed`` and are drawn for
    all paths in a fixed order, so two scenarios with the same seed share them (paired runs).
    """
    ranges = load_ranges() if ranges is None else ranges
    paths = drawn_paths(ranges)
    stream = np.random.SeedSequence(seed).spawn(PARAMETER_STREAM + 1)[PARAMETER_STREAM]
    u = np.random.default_rng(stream).random((runs, len(paths)))
    central = central_values(catalogue, levers)
    default = central_values(default_catalogue, default_catalogue.default_levers())
    out: dict[str, np.ndarray] = {}
    for j, p in enumerate(paths):
        r = ranges[p]
        if r.complement_of is not None:
            continue
        lo, hi = scenario_bounds(p, central[p], default[p], ranges)
        out[p] = np.concatenate(
            [[central[p]], quantile_values(u[:, j], lo, central[p], hi, r.distribution)]
        )
    for p in paths:
        partner = ranges[p].complement_of
        if partner is not None and partner in out:
            out[p] = 1.0 - out[partner]
    return out


# ------------------------------------------------------------------------------------------------
# catalogue and levers with values (scalars or arrays over runs)
# ------------------------------------------------------------------------------------------------
def _set(obj: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        if not isinstance(obj, Sourced):
            raise KeyError("not a sourced value")
        return obj.model_copy(update={"value": value})
    head, rest = parts[0], parts[1:]
    if isinstance(obj, BaseModel):
        if head not in type(obj).model_fields and head not in (obj.model_extra or {}):
            raise KeyError(head)  # (a catalogue's service entries are its extra fields)
        return obj.model_copy(update={head: _set(getattr(obj, head), rest, value)})
    if isinstance(obj, dict):
        if head not in obj:
            raise KeyError(head)
        return {**obj, head: _set(obj[head], rest, value)}
    raise KeyError(head)


def with_values(
    catalogue: ServiceCatalogue, levers: Levers, values: Mapping[str, Any]
) -> tuple[ServiceCatalogue, Levers]:
    """Copies of ``catalogue`` and resolved ``levers`` with the values at the given paths
    replaced (scalars, or arrays over runs indexed by run number). Not validated: the values
    come from the checked ranges. ``prices.*`` and ``demography.*`` paths are ignored here."""
    lever_updates: dict[str, Any] = {}
    for path, v in values.items():
        if path.startswith(("prices.", "demography.")):
            continue
        if path.startswith("levers."):
            lever_updates[path.split(".", 1)[1]] = v
            continue
        try:
            catalogue = _set(catalogue, path.split("."), v)
        except KeyError:
            raise DataError(f"unknown parameter path {path}", file=RANGES_FILE, key=path) from None
    if lever_updates:
        levers = levers.model_copy(update=lever_updates)
    return catalogue, levers


#: id(catalogue) -> (weak reference to it, paths of its array-over-runs values)
_RUN_PATHS: dict[int, tuple[weakref.ref, frozenset[str]]] = {}


def _run_paths(catalogue: ServiceCatalogue) -> frozenset[str]:
    """Paths of the catalogue values that are arrays over runs, found once per catalogue object:
    a catalogue and every model in it are frozen, so its values never change (a changed value is
    a new catalogue, :func:`with_values`). The entry goes when the catalogue does."""
    key = id(catalogue)
    hit = _RUN_PATHS.get(key)
    if hit is not None and hit[0]() is catalogue:
        return hit[1]
    paths = frozenset(p for p, s in _walk(catalogue, "") if isinstance(s.value, np.ndarray))
    _RUN_PATHS[key] = (weakref.ref(catalogue, lambda _, k=key: _RUN_PATHS.pop(k, None)), paths)
    return paths


def has_run_values(catalogue: ServiceCatalogue, levers: Levers) -> bool:
    """True when any value of the catalogue or levers is an array over runs."""
    return bool(_run_paths(catalogue)) or any(
        isinstance(getattr(levers, n), np.ndarray) for n in type(levers).model_fields
    )


def map_run_values(
    catalogue: ServiceCatalogue, levers: Levers, fn: Callable[[np.ndarray], Any]
) -> tuple[ServiceCatalogue, Levers]:
    """Apply ``fn`` to every array-over-runs value (e.g. index it by each row's run); scalar
    values are left as they are. Returns the inputs themselves when nothing is an array (the
    catalogue is walked once per catalogue object to know, :func:`_run_paths`)."""
    paths = _run_paths(catalogue)
    arrays = {p: fn(s.value) for p, s in _walk(catalogue, "") if p in paths} if paths else {}
    arrays.update(
        {
            f"levers.{n}": fn(getattr(levers, n))
            for n in type(levers).model_fields
            if isinstance(getattr(levers, n), np.ndarray)
        }
    )
    if not arrays:
        return catalogue, levers
    return with_values(catalogue, levers, arrays)


# ------------------------------------------------------------------------------------------------
# tables for users
# ------------------------------------------------------------------------------------------------
RANGE_COLUMNS = [
    "parameter",
    "value",
    "low",
    "high",
    "distribution",
    "kind",
    "in_band",
    "status",
    "source",
    "reason",
]


def ranges_table(
    catalogue: ServiceCatalogue,
    levers: Levers | None = None,
    real_pay_growth: float = 0.0,
    default_catalogue: ServiceCatalogue | None = None,
    ranges: Mapping[str, Range] | None = None,
) -> pd.DataFrame:
    """One row per parameter with a range: parameter, value (in use), low, high, distribution,
    kind, in_band (drawn in the Monte Carlo runs), status, source, reason."""
    ranges = load_ranges() if ranges is None else ranges
    levers = catalogue.default_levers() if levers is None else levers
    default_catalogue = catalogue if default_catalogue is None else default_catalogue
    central = central_values(catalogue, levers, real_pay_growth)
    default = central_values(default_catalogue, default_catalogue.default_levers())
    sourced = dict(_walk(catalogue, ""))
    rows = []
    for p, r in ranges.items():
        if p.startswith("demography."):
            v = _demography_value(p)
            lo, hi = bounds(p, ranges)
            status, source = "assumption", "data/demography.yaml"
        else:
            v = central.get(p)
            if v is None:
                continue
            lo, hi = scenario_bounds(p, v, default.get(p, v), ranges)
            s = sourced.get(p)
            status = s.status if s is not None else "assumption"
            source = s.source if s is not None else "scenario prices"
        rows.append(
            (p, v, lo, hi, r.distribution, r.kind, is_drawn(p, ranges), status, source, r.reason)
        )
    return pd.DataFrame(rows, columns=RANGE_COLUMNS)


def band_statement(drawn: Iterable[str], runs: int, lang: str = "nb") -> str:
    """One sentence saying what a P10-P90 band holds."""
    n = len(list(drawn))
    if runs <= 0:
        return (
            "Ingen simuleringer: tallene er sentralberegningen uten usikkerhetsbånd."
            if lang == "nb"
            else "No Monte Carlo runs: the figures are the central run without bands."
        )
    if lang == "nb":
        return (
            f"Båndene (P10-P90 over {runs} simuleringer) rommer usikkerheten i befolkningen "
            f"(fruktbarhet, levealder, flytting, dødelighet i kommunen) og i {n} usikre "
            "forutsetninger trukket samtidig. De rommer ikke valg (mål for avvisning og belegg, "
            "overføring til hjemmet, reallønnsvekst), metodeinnstillinger eller feil i modellens "
            "form."
        )
    return (
        f"The bands (P10-P90 over {runs} runs) hold the uncertainty of the population (fertility, "
        f"life expectancy, migration, municipal mortality) and of {n} uncertain assumptions drawn "
        "together. They do not hold choices (refusal and occupancy targets, shifts to home care, "
        "real pay growth), method settings or errors in the model's form."
    )
