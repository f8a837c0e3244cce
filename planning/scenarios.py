"""Scenarios as data: one pydantic schema, deltas on a base (``extends``), overrides, run, compare.

A scenario file ``scenarios/<name>.yaml`` states the region, horizon, demographic variant, runs
and seed, the levers, overrides of the service catalogue (``data/services.yaml``), the
organisation (which municipalities share which service, who hosts it, how its cost is split) and
price assumptions. A file may say ``extends: <name>``: it is then a delta merged onto that base
(mappings merge key by key, lists are replaced, except ``organisation.units`` which merge by unit
``name``; ``remove: true`` drops a unit of the base). Everything is validated, with the file and
the key of the first problem named in one line, before a :class:`Scenario` is returned.

Public API (see ``docs/scenarios.md``): :func:`scenarios_dir`, :func:`list_scenarios`,
:func:`safe_name`, :func:`load_scenario`, :func:`apply_overrides`, :func:`run`, :func:`compare`,
:class:`Scenario`, :class:`ScenarioResult`.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import math
import numbers
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from planning import data
from planning.errors import InputError, ScenarioError, suggest
from planning.parameters import (
    Levers,
    Organisation,
    ServiceCatalogue,
    Sourced,
    catalogue_from_dict,
    format_validation_error,
)

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent

#: A scenario name: letters, digits, '_' and '-', starting with a letter or digit (no path
#: characters, so a name can never point outside a folder it is joined to).
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
_NAME_RE = re.compile(NAME_PATTERN)
MAX_RUNS = 10_000  # Monte Carlo runs per scenario; more would not fit a widget session
LAST_PROJECTION_YEAR = 2100  # UN WPP 2024 assumptions end in 2100 (data/wpp_*.csv)

ScenarioName = Annotated[str, Field(pattern=NAME_PATTERN)]


# ------------------------------------------------------------------------------------------------
# names and folders
# ------------------------------------------------------------------------------------------------
def scenarios_dir() -> Path:
    """Folder of the shipped scenarios (``VAERNES_SCENARIOS_DIR`` or the repository's
    ``scenarios/``)."""
    env = os.environ.get("VAERNES_SCENARIOS_DIR")
    return Path(env) if env else _PACKAGE_ROOT / "scenarios"


def safe_name(name: str) -> str:
    """Return ``name`` if it is a safe scenario name (letters, digits, ``_``, ``-``; at most 64
    characters); otherwise raise :class:`ScenarioError`. Safe names contain no path characters, so
    ``folder / safe_name(x)`` always stays inside ``folder``."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise ScenarioError(
            f"scenario name {name!r} is not allowed",
            key="name",
            allowed="letters, digits, '_' and '-', starting with a letter or digit, "
            "at most 64 characters (no '/', '\\', '.' or spaces)",
        )
    return name


#: The reference every comparison is made against: how services are organised today.
REFERENCE = "today"
#: The counterfactual in which each municipality runs every service alone (what cooperation has
#: already bought is ``today`` minus ``alone``).
ALONE = "alone"
#: Old scenario names still accepted (with a DeprecationWarning) and what they now mean.
DEPRECATED_NAMES: dict[str, str] = {"baseline": ALONE}


def list_scenarios() -> list[str]:
    """Names of the shipped scenarios in :func:`scenarios_dir` (``today`` and ``alone`` first)."""
    d = scenarios_dir()
    names = (
        sorted(p.stem for p in d.glob("*.yaml") if _NAME_RE.fullmatch(p.stem)) if d.is_dir() else []
    )
    first = {REFERENCE: 0, ALONE: 1}
    return sorted(names, key=lambda n: (first.get(n, 2), n))


def _deprecated(name: str, folders: list[Path]) -> str:
    """``name`` or, for a deprecated name with no file of its own, its replacement (warned)."""
    new = DEPRECATED_NAMES.get(name)
    if new is None or any((f / f"{name}.yaml").is_file() for f in folders):
        return name
    import warnings

    warnings.warn(
        f"scenario '{name}' is now called '{new}' (each municipality alone); comparisons are "
        f"made against '{REFERENCE}' by default. Use '{new}'.",
        DeprecationWarning,
        stacklevel=4,
    )
    return new


# ------------------------------------------------------------------------------------------------
# schema
# ------------------------------------------------------------------------------------------------
class _Model(BaseModel):
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
        return v
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
    municipalities: list[str] | None = None
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


# ------------------------------------------------------------------------------------------------
# cached helpers (keyed by hashable, frozen arguments)
# ------------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=64)
def _resolve_codes(spec: str | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(data.resolve_municipalities(spec))


def _freeze(obj: Any) -> str:
    """Canonical JSON text of a mapping (used as a cache key)."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=True)


@functools.lru_cache(maxsize=1)
def _catalogue_raw() -> dict[str, Any]:
    raw = data.load_yaml("services.yaml")
    if not isinstance(raw, dict):
        raise ScenarioError("expected a mapping at the top level", file="data/services.yaml")
    return raw


@functools.lru_cache(maxsize=1)
def _base_catalogue() -> ServiceCatalogue:
    return catalogue_from_dict(
        copy.deepcopy(_catalogue_raw()), file=str(data.data_dir() / "services.yaml")
    )


@functools.lru_cache(maxsize=256)
def _catalogue_for(services_json: str) -> ServiceCatalogue:
    services = json.loads(services_json)
    if not services:
        return _base_catalogue()
    merged = copy.deepcopy(_catalogue_raw())
    _merge_services(merged, services, "services")
    return catalogue_from_dict(merged, file="scenario services")


def _merge_services(base: dict[str, Any], delta: Mapping[str, Any], prefix: str) -> None:
    """Merge ``delta`` into the catalogue mapping ``base`` in place. Keys must exist in the
    catalogue; a bare number where the catalogue has a sourced value becomes an assumption."""
    for key, value in delta.items():
        path = f"{prefix}.{key}"
        if not isinstance(base, dict) or key not in base:
            allowed = sorted(base) if isinstance(base, dict) else None
            raise ScenarioError(
                f"unknown key (not in the service catalogue).{suggest(str(key), allowed or [])}",
                key=path,
                allowed=allowed,
            )
        target = base[key]
        if isinstance(target, dict) and "value" in target and "status" in target:
            base[key] = _override_sourced(target, value, path)
        elif isinstance(target, dict):
            if not isinstance(value, Mapping):
                raise ScenarioError("expected a mapping", key=path, allowed=sorted(target))
            _merge_services(target, value, path)
        else:
            base[key] = value


def _override_sourced(target: dict[str, Any], value: Any, path: str) -> dict[str, Any]:
    if isinstance(value, bool) or not isinstance(value, int | float | Mapping):
        raise ScenarioError(
            f"expected a number or a sourced value, got {value!r}",
            key=path,
            allowed="a number, or {value, unit, source, year, status, note}",
        )
    if isinstance(value, Mapping):
        out = dict(target)
        out.pop("note", None)
        out.update(value)
        if "source" not in value:
            out["source"] = "user value in a scenario (no source given)"
            out["status"] = "assumption"
            out.pop("year", None)
        return out
    if not math.isfinite(float(value)):
        raise ScenarioError("value must be a finite number", key=path)
    return {
        "value": float(value),
        "unit": target.get("unit", ""),
        "source": "user value in a scenario (no source given)",
        "status": "assumption",
        "note": f"catalogue default {target.get('value')} ({target.get('status')}: {target.get('source')})",
    }


# ------------------------------------------------------------------------------------------------
# reading files and resolving `extends`
# ------------------------------------------------------------------------------------------------
def _read_raw(path: Path) -> dict[str, Any]:
    from planning.io import load_yaml

    raw = load_yaml(path, error=ScenarioError)
    if raw is None:
        raise ScenarioError("file is empty", file=path)
    if not isinstance(raw, dict):
        raise ScenarioError("expected a mapping of keys at the top level", file=path)
    _check_keys(raw, path, "")
    return raw


def _check_keys(node: Any, path: Path, prefix: str) -> None:
    """Every mapping key in a scenario file is text (YAML reads ``1:`` as a number)."""
    if isinstance(node, dict):
        for k, v in node.items():
            here = f"{prefix}.{k}" if prefix else str(k)
            if not isinstance(k, str):
                raise ScenarioError(
                    f"keys must be text, got {k!r}; quote it ('{k}')", file=path, key=here
                )
            _check_keys(v, path, here)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _check_keys(v, path, f"{prefix}.{i}")


def _locate(name: str, near: Path | None, file: Path | None = None, key: str = "extends") -> Path:
    """Path of scenario ``name``: next to ``near`` first, then in :func:`scenarios_dir`."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise ScenarioError(
            f"scenario name {name!r} is not allowed",
            file=file,
            key=key,
            allowed="letters, digits, '_' and '-' (no path characters)",
        )
    folders = [near] if near is not None else []
    folders.append(scenarios_dir())
    name = _deprecated(name, folders)
    for folder in folders:
        p = folder / f"{name}.yaml"
        if p.is_file():
            return p
    known = list_scenarios()
    raise ScenarioError(
        f"unknown scenario '{name}'.{suggest(name, known)}", file=file, key=key, allowed=known
    )


#: The one merge rule (docs/scenarios.md, "How a delta is merged"), used for a scenario file over
#: its base (``extends``) and for a sweep value or ``apply_overrides`` value over the base scenario.
UNIT_LIST = "organisation.units"


def merge_delta(base: Any, delta: Any, path: str = "", file: str | Path | None = None) -> Any:
    """Merge ``delta`` onto ``base`` by the project's one rule and return a new object (inputs
    untouched): mappings merge key by key; the unit list ``organisation.units`` merges by unit
    ``name`` (see :func:`merge_units`); every other value (numbers, text, other lists) replaces
    the base's. ``region`` and ``municipalities`` replace each other. ``path`` is the dotted
    place of ``delta`` in the scenario (``""`` for a whole file); directive errors name ``file``."""
    if path == UNIT_LIST:
        return merge_units(base, delta, path, file)
    if isinstance(base, dict) and isinstance(delta, dict):
        out = dict(base)
        if not path:
            if "region" in delta and "municipalities" not in delta:
                out.pop("municipalities", None)
            if "municipalities" in delta and "region" not in delta:
                out.pop("region", None)
        sq = path == "organisation" and delta.get("status_quo", base.get("status_quo")) is True
        for k, v in delta.items():
            sub = f"{path}.{k}" if path else str(k)
            if sub == UNIT_LIST:
                out[k] = merge_units(base.get(k, []), v, sub, file, status_quo=sq)
                continue
            out[k] = merge_delta(out[k], v, sub, file) if k in out else copy.deepcopy(v)
        return out
    return copy.deepcopy(delta)


def _apply_unit_changes(base: list[Any], changes: list[Any]) -> list[Any]:
    """Units of ``base`` with ``changes`` applied by name: a known name merges the fields given,
    a new name is appended, ``{name, remove: true}`` drops the unit. A removal is kept as a marker
    so that it also drops a unit of today's organisation added later (see
    :func:`_expand_organisation`). Inputs are not changed."""
    out: dict[str, Any] = {}
    extra: list[Any] = []  # entries without a name: left for validation to report
    for u in [*base, *changes]:
        if not isinstance(u, dict) or "name" not in u:
            extra.append(copy.deepcopy(u))
            continue
        u = copy.deepcopy(u)
        name = u["name"]
        old = out.get(name)
        if u.get("remove") is True:
            out[name] = {"name": name, "remove": True}
        elif old is None or old.get("remove") is True:
            out[name] = u
        else:
            out[name] = {**old, **u}
    return [*out.values(), *extra]


def _codes_of(raw: Mapping[str, Any]) -> list[str] | None:
    """Municipality codes of a raw scenario mapping, or None when they do not resolve (the
    validation then names the problem)."""
    spec = raw.get("region") if raw.get("region") is not None else raw.get("municipalities")
    try:
        if isinstance(spec, str):
            return list(_resolve_codes(spec))
        if isinstance(spec, list):
            return [c for item in spec for c in _resolve_codes(str(item))]
    except Exception:  # noqa: BLE001 - reported by the validation that follows
        return None
    return None


def _expand_organisation(raw: dict[str, Any], owner: Any = None) -> list[Any] | None:
    """Turn the organisation of a raw scenario into its complete list of units, in place.

    With ``organisation.status_quo: true`` the units start from today's organisation
    (``data/organisation.yaml``: every unit whose members all take part) and the scenario's own
    entries are applied to them by name. Removing a name that no unit of data/organisation.yaml has
    is refused; a removal of a unit that these municipalities do not share today is dropped.
    Returns the scenario's own entries (the changes), kept so that a later change of region or
    municipalities can start again from today's units of the new set."""
    org = raw.get("organisation")
    if not isinstance(org, dict) or not isinstance(org.get("units", []), list):
        return None
    changes = copy.deepcopy(org.get("units") or [])
    base: list[Any] = []
    if org.get("status_quo") is True:
        codes = _codes_of(raw)
        if codes is None:
            return changes
        from planning.parameters import status_quo_units

        base = [u.model_dump(mode="json", exclude_none=True) for u in status_quo_units(codes)]
    known = {u["name"] for u in base}
    for i, u in enumerate(changes):
        if not isinstance(u, dict) or u.get("remove") is True or u.get("name") in known:
            continue
        missing = [k for k in ("service", "host", "members") if k not in u]
        if missing and "name" in u:
            where = (
                "today's organisation for these municipalities"
                if org.get("status_quo")
                else "the scenario"
            )
            key = f"organisation.units.{i}"
            raise ScenarioError(
                f"no unit named '{u['name']}' in {where} to change; a new unit also needs "
                f"{', '.join(missing)}",
                file=owner(key) if owner else None,
                key=key,
                allowed=sorted(known) or None,
            )
        known.add(u.get("name"))
    units = _apply_unit_changes(base, changes)
    org["units"] = [u for u in units if not (isinstance(u, dict) and u.get("remove") is True)]
    return changes
def merge_units(
    base: Any,
    delta: Any,
    path: str = UNIT_LIST,
    file: str | Path | None = None,
    status_quo: bool = False,
) -> Any:
    """Merge a delta's unit list onto the base's by unit ``name``.

    * an empty list ``[]`` means *no shared units* (every municipality runs every service alone);
    * a unit whose name is in the base updates the fields it gives (others are kept);
    * ``{name: X, remove: true}`` drops unit X of the base (and takes no other field);
    * a new name is appended (it must then be a complete unit).

    Refused with :class:`ScenarioError` naming ``file`` and the key: a unit without a name, a
    name listed twice in the delta, ``remove`` that is not ``true``, ``remove`` of a name the
    base does not have (with the base's names as the allowed values).

    With ``status_quo`` (``organisation.status_quo: true``, the ``today`` scenario and its
    deltas) the list holds *changes to today's organisation*, whose units are added only when the
    scenario's municipalities are known (:func:`_expand_organisation`): ``[]`` then means no
    changes, and ``remove`` of a name not yet in the list is kept as a marker, checked against
    today's units there."""
    if not isinstance(delta, list):
        return copy.deepcopy(delta)  # the schema reports the wrong type
    if not delta:
        return copy.deepcopy(base) if status_quo and isinstance(base, list) else []
    base_list = base if isinstance(base, list) else []
    known = [u.get("name") for u in base_list if isinstance(u, dict)]
    out = {u["name"]: dict(u) for u in base_list if isinstance(u, dict) and "name" in u}
    seen: dict[str, int] = {}
    for i, u in enumerate(delta):
        key = f"{path}.{i}"
        if not isinstance(u, dict):
            raise ScenarioError("a unit must be a mapping", file=file, key=key)
        name = u.get("name")
        if not isinstance(name, str) or not name:
            raise ScenarioError(
                "every unit needs a name (units merge by name)", file=file, key=f"{key}.name"
            )
        if name in seen:
            raise ScenarioError(
                f"unit '{name}' is listed twice (items {seen[name]} and {i}); one would silently "
                "replace the other",
                file=file,
                key=f"{key}.name",
            )
        seen[name] = i
        if "remove" in u:
            if u["remove"] is not True:
                raise ScenarioError(
                    f"remove must be true, got {u['remove']!r}", file=file, key=f"{key}.remove",
                    allowed="true (or leave it out)",
                )
            extra = sorted(k for k in u if k not in ("name", "remove"))
            if extra:
                raise ScenarioError(
                    f"a unit with remove: true takes only its name, not {extra}",
                    file=file,
                    key=f"{key}.remove",
                )
            if name not in out and status_quo:
                from planning.parameters import load_organisation

                today = [str(t.name) for t in load_organisation().units]
                if name not in today:
                    raise ScenarioError(
                        f"no unit '{name}' in today's organisation to remove.{suggest(name, today)}",
                        file=file,
                        key=f"{key}.name",
                        allowed=today,
                    )
                out[name] = {"name": name, "remove": True}
                continue
            if name not in out:
                raise ScenarioError(
                    f"no unit '{name}' in the base to remove.{suggest(name, [str(k) for k in known])}",
                    file=file,
                    key=f"{key}.name",
                    allowed=[str(k) for k in known] or "no units in the base",
                )
            del out[name]
        elif name in out and out[name].get("remove") is not True:
            out[name] = {**out[name], **copy.deepcopy(u)}
        else:
            out[name] = copy.deepcopy(u)
    return list(out.values())


_NOT_INHERITED = ("name", "extends", "title", "description")


def _resolve(
    path: Path, seen: tuple[Path, ...] = ()
) -> tuple[dict[str, Any], list[tuple[Path, dict]]]:
    """(merged raw mapping, [(file, its own raw mapping), base first]) for the file at ``path``."""
    real = path.resolve()
    if real in seen:
        cycle = " -> ".join(p.stem for p in (*seen, real))
        raise ScenarioError(f"'extends' forms a cycle ({cycle})", file=path, key="extends")
    raw = _read_raw(path)
    for k in ("name", "extends"):
        if (
            k in raw
            and raw[k] is not None
            and (not isinstance(raw[k], str) or not _NAME_RE.fullmatch(raw[k]))
        ):
            raise ScenarioError(
                f"scenario name {raw[k]!r} is not allowed",
                file=path,
                key=k,
                allowed="letters, digits, '_' and '-', starting with a letter or digit (no path characters)",
            )
    parent = raw.get("extends")
    if parent is None:
        own = dict(raw)
        chain = [(path, raw)]
        merged = own
    else:
        base_path = _locate(parent, path.parent, file=path, key="extends")
        base_merged, chain = _resolve(base_path, (*seen, real))
        inherited = {k: v for k, v in base_merged.items() if k not in _NOT_INHERITED}
        merged = merge_delta(inherited, raw, "", path)
        chain = [*chain, (path, raw)]
    if "name" not in merged:
        if not _NAME_RE.fullmatch(path.stem):
            raise ScenarioError(
                f"the file name {path.name!r} cannot serve as the scenario name; add a name: key",
                file=path,
                key="name",
                allowed="letters, digits, '_' and '-', starting with a letter or digit, "
                "at most 64 characters",
            )
        merged["name"] = path.stem
    if "title" not in merged:
        merged["title"] = {"nb": merged["name"], "en": merged["name"]}
    if "description" not in merged:
        merged["description"] = {"nb": "(ingen beskrivelse)", "en": "(no description)"}
    return merged, chain


def _owner(key: str, chain: list[tuple[Path, dict]], merged: dict[str, Any]) -> Path:
    """The file whose value is at dotted ``key`` in the merged scenario: the most derived file in
    ``chain`` that sets ``key`` itself or replaces a part of the path above it with a plain value
    or a list (a later file's value wins under the merge rule). Keys no file sets (a missing
    required key, a default), and ``name``/``title``/``description`` (never inherited), belong
    to the user's file, the last of the chain."""
    parts = key.split(".") if key else []
    if not parts or parts[0] in _NOT_INHERITED:
        return chain[-1][0]
    # translate unit indices of the merged list into unit names
    if len(parts) >= 3 and parts[:2] == ["organisation", "units"] and parts[2].isdigit():
        units = merged.get("organisation", {}).get("units", [])
        i = int(parts[2])
        if isinstance(units, list) and i < len(units) and isinstance(units[i], dict):
            parts[2] = f"name={units[i].get('name')}"
    for file, raw in reversed(chain):
        if _sets(raw, parts):
            return file
    return chain[-1][0]


def _sets(raw: Any, parts: list[str]) -> bool:
    """Whether a file's own mapping gives the value at ``parts`` (or replaces a part above it)."""
    node = raw
    for depth, p in enumerate(parts):
        if isinstance(node, dict):
            if p not in node:
                return False
            node = node[p]
        elif isinstance(node, list) and p.startswith("name="):
            hit = [u for u in node if isinstance(u, dict) and f"name={u.get('name')}" == p]
            if not hit:
                return False
            node = hit[0]
        else:
            # a plain value or a list above the key: this file replaced the whole part
            return depth > 0
    return True


# ------------------------------------------------------------------------------------------------
# validation
# ------------------------------------------------------------------------------------------------
def _field_model(annotation: Any) -> Any:
    """The pydantic model inside an annotation (``X | None``, ``list[X]``, ``Annotated``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        m = _field_model(arg)
        if m is not None:
            return m
    return None


def _allowed_keys(key: str) -> list[str] | None:
    """Field names allowed at the parent of dotted ``key`` in the :class:`Scenario` schema."""
    cls: Any = Scenario
    for part in key.split(".")[:-1]:
        if part.isdigit():
            continue
        fields = getattr(cls, "model_fields", None)
        if not fields or part not in fields:
            return None
        cls = _field_model(fields[part].annotation)
        if cls is None:
            return None
    return list(getattr(cls, "model_fields", {})) or None


def _allowed_values(key: str) -> str | None:
    """Allowed values of a Literal field at dotted ``key`` (for error messages)."""
    cls: Any = Scenario
    parts = [p for p in key.split(".") if not p.isdigit()]
    for i, part in enumerate(parts):
        fields = getattr(cls, "model_fields", None)
        if not fields or part not in fields:
            return None
        ann = fields[part].annotation
        if i == len(parts) - 1:
            lits = _literals(ann)
            return ", ".join(map(str, lits)) if lits else None
        cls = _field_model(ann)
        if cls is None:
            return None
    return None


def _literals(annotation: Any) -> list[Any]:
    if get_origin(annotation) is Literal:
        return list(get_args(annotation))
    out: list[Any] = []
    for arg in get_args(annotation):
        out.extend(_literals(arg))
    return out


def _validate(merged: dict[str, Any], owner: Any) -> Scenario:
    """Validate a merged mapping into a :class:`Scenario`; errors name ``owner(key)`` and the key.
    The organisation is expanded first (today's units, when ``status_quo`` is set)."""
    changes = _expand_organisation(merged, owner)
    try:
        scn = Scenario.model_validate(merged)
    except ValidationError as err:
        key, msg = format_validation_error(err)
        key = _unit_key_as_written(key, merged, changes)
        first = err.errors()[0]
        allowed: Any = None
        if msg == "unknown key":
            allowed = _allowed_keys(key)
            if allowed:
                msg += "." + suggest(key.rsplit(".", 1)[-1], allowed)
        elif first.get("type") == "literal_error":
            allowed = _allowed_values(key)
            msg = f"{first.get('input')!r} is not allowed"
        elif first.get("type") != "missing" and not isinstance(first.get("input"), dict | list):
            msg = f"{msg} (got {first.get('input')!r})"
        raise ScenarioError(msg, file=owner(key), key=key, allowed=allowed) from None
    scn._unit_changes = changes
    _check_semantics(scn, owner)
    return scn


def _unit_key_as_written(key: str, merged: dict[str, Any], changes: list[Any] | None) -> str:
    """An error key ``organisation.units.N...`` of the expanded unit list, rewritten to the index
    of that unit in the scenario's own list where it has one (what the user wrote)."""
    parts = key.split(".")
    if changes is None or parts[:2] != ["organisation", "units"] or len(parts) < 3:
        return key
    if not parts[2].isdigit():
        return key
    units = (merged.get("organisation") or {}).get("units") or []
    i = int(parts[2])
    name = units[i].get("name") if i < len(units) and isinstance(units[i], dict) else None
    own = [j for j, c in enumerate(changes) if isinstance(c, dict) and c.get("name") == name]
    if own:
        parts[2] = str(own[-1])
    return ".".join(parts)


def _check_semantics(scn: Scenario, owner: Any) -> None:
    """Checks that need the data: municipalities exist, unit members take part, services
    overrides fit the catalogue, travel places exist."""
    if scn.region is not None:
        try:
            codes = data.region(scn.region)
        except InputError as e:
            raise ScenarioError(
                e.problem, file=owner("region"), key="region", allowed=e.allowed
            ) from None
    else:
        codes = []
        for i, item in enumerate(scn.municipalities or []):
            key = f"municipalities.{i}"
            try:
                codes.extend(_resolve_codes(str(item)))
            except InputError as e:
                raise ScenarioError(
                    e.problem, file=owner(key), key=key, allowed=e.allowed
                ) from None
    members = set(codes)
    for i, unit in enumerate(scn.organisation.units):
        for j, m in enumerate(unit.members):
            if m not in members:
                key = _unit_key_as_written(
                    f"organisation.units.{i}.members.{j}",
                    {"organisation": {"units": [{"name": u.name} for u in scn.organisation.units]}},
                    scn._unit_changes,
                )
                raise ScenarioError(
                    f"municipality {m} of unit '{unit.name}' is not in the scenario",
                    file=owner(key),
                    key=key,
                    allowed=sorted(members),
                )
    if scn.services:
        try:
            scn.catalogue()
        except ScenarioError as e:
            key = e.key or "services"
            if not key.startswith("services"):
                key = f"services.{key}"
            raise ScenarioError(e.problem, file=owner(key), key=key, allowed=e.allowed) from None
    if scn.travel_overrides:
        places = set(data.load_places()["place_id"])
        for i, t in enumerate(scn.travel_overrides):
            for col in ("from_id", "to_id"):
                if getattr(t, col) not in places:
                    key = f"travel_overrides.{i}.{col}"
                    raise ScenarioError(
                        f"unknown place '{getattr(t, col)}'.{suggest(getattr(t, col), places)}",
                        file=owner(key),
                        key=key,
                        allowed=sorted(places),
                    )


# ------------------------------------------------------------------------------------------------
# public loading API
# ------------------------------------------------------------------------------------------------
def load_scenario(name_or_path: str | Path | Scenario) -> Scenario:
    """Load a scenario by name (``scenarios/<name>.yaml``) or from a file path, resolving
    ``extends`` and validating everything. Raises :class:`ScenarioError` naming file and key."""
    if isinstance(name_or_path, Scenario):
        return name_or_path
    path = _as_path(name_or_path)
    return _load_path(path.resolve())


@functools.lru_cache(maxsize=64)
def _load_cached(path: Path, stamp: tuple[tuple[str, float, int], ...]) -> Scenario:
    merged, chain = _resolve(path)
    scn = _validate(merged, lambda key: _owner(key, chain, merged))
    scn._file = str(path)
    scn._lineage = tuple(str(p) for p, _ in chain)
    return scn


def _load_path(path: Path) -> Scenario:
    # the cache is keyed by the modification times of every file in the chain, so edits are seen
    merged_chain = _chain_files(path)
    stamp = tuple((str(p), p.stat().st_mtime, p.stat().st_size) for p in merged_chain)
    return _load_cached(path, stamp)


def _chain_files(path: Path) -> list[Path]:
    files, p, seen = [], path, set()
    while p is not None and p.is_file() and p not in seen:
        seen.add(p)
        files.append(p)
        try:
            from planning.io import load_yaml

            raw = load_yaml(p, error=ScenarioError)
        except ScenarioError:
            break
        parent = raw.get("extends") if isinstance(raw, dict) else None
        if not isinstance(parent, str) or not _NAME_RE.fullmatch(parent):
            break
        try:
            p = _locate(parent, p.parent).resolve()
        except ScenarioError:
            break
    return files


def _as_path(name_or_path: str | Path) -> Path:
    if isinstance(name_or_path, Path):
        if not name_or_path.is_file():
            raise ScenarioError("file not found", file=name_or_path)
        return name_or_path
    s = str(name_or_path)
    looks_like_path = s.endswith((".yaml", ".yml")) or "/" in s or "\\" in s
    if looks_like_path and Path(s).is_file():
        return Path(s)
    if looks_like_path and s.endswith((".yaml", ".yml")):
        raise ScenarioError("file not found", file=s)
    safe_name(s)
    return _locate(s, None, key="name")


# ------------------------------------------------------------------------------------------------
# overrides
# ------------------------------------------------------------------------------------------------
def apply_overrides(scenario: Scenario | str | Path, overrides: Mapping[str, Any]) -> Scenario:
    """A new scenario with dotted-path overrides, e.g. ``{"levers.max_refusal": 0.02,
    "demography.variant": "MMM", "organisation.units.0.members": [...]}``.

    List items are addressed by index (units also by name). Every path and value is validated
    before the new scenario is returned; ``scenario`` itself is never changed. Errors name the
    key and the allowed keys or values.
    """
    base = load_scenario(scenario)
    if not overrides:
        return base
    raw = base.model_dump(mode="json")
    overrides = _units_from_changes(base, raw, overrides)
    for key, value in overrides.items():
        _set_path(raw, str(key), copy.deepcopy(value))

    def owner(key: str) -> str:
        return "overrides"

    new = _validate(raw, owner)
    new._file = base._file
    new._lineage = base._lineage
    new._overrides = {**base._overrides, **{str(k): v for k, v in overrides.items()}}
    return new


def _units_from_changes(
    base: Scenario, raw: dict[str, Any], overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """For a scenario built on today's organisation, put its own unit changes (not the expanded
    units) into ``raw`` so that a new region or set of municipalities starts again from today's
    units of that set. Unit paths (``organisation.units.<index or name>...``) are rewritten to
    unit names, and a unit of today that the overrides change is copied into the changes."""
    out = {str(k): v for k, v in overrides.items()}
    org = raw.get("organisation") or {}
    if not org.get("status_quo") or base._unit_changes is None:
        return out
    changes = copy.deepcopy(base._unit_changes)
    names = [c.get("name") for c in changes if isinstance(c, dict)]
    expanded = [u.model_dump(mode="json", exclude_none=True) for u in base.organisation.units]
    rewritten: dict[str, Any] = {}
    for key, value in out.items():
        parts = key.split(".")
        if parts[:2] == ["organisation", "units"] and len(parts) > 2:
            ref = parts[2]
            hit = None
            if ref.isdigit() and int(ref) < len(expanded):
                hit = expanded[int(ref)]
            elif ref in [u["name"] for u in expanded]:
                hit = next(u for u in expanded if u["name"] == ref)
            if hit is not None:
                parts[2] = hit["name"]
                if hit["name"] not in names:
                    changes.append(hit)
                    names.append(hit["name"])
            key = ".".join(parts)
        rewritten[key] = value
    org["units"] = changes
    return rewritten


def _set_path(raw: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    if not all(parts):
        raise ScenarioError("empty part in a dotted path", file="overrides", key=key)
    if parts[0] == "services" and len(parts) > 1:
        _set_services_path(raw, parts, value, key)
        return
    if parts[0] in ("name", "extends", "region", "municipalities") and len(parts) == 1:
        if parts[0] == "region":
            raw["municipalities"] = None
        elif parts[0] == "municipalities":
            raw["region"] = None
        raw[parts[0]] = value
        return
    node: Any = raw
    cls: Any = Scenario
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        here = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            idx = _list_index(node, part, here)
            if last:
                node[idx] = merge_delta(node[idx], value, here, "overrides")
                return
            node = node[idx]
            continue
        fields = getattr(cls, "model_fields", None) if cls is not None else None
        if fields is not None and part not in fields:
            raise ScenarioError(
                f"unknown key.{suggest(part, list(fields))}",
                file="overrides",
                key=here,
                allowed=list(fields),
            )
        if not isinstance(node, dict):
            raise ScenarioError("cannot go below a plain value", file="overrides", key=here)
        if last:
            node[part] = (
                merge_delta(node[part], value, here, "overrides") if part in node else value
            )
            return
        if node.get(part) is None:
            node[part] = {}
        cls = _field_model(fields[part].annotation) if fields is not None else None
        node = node[part]


def _list_index(node: list[Any], part: str, here: str) -> int:
    if part.isdigit() and int(part) < len(node):
        return int(part)
    names = [u.get("name") for u in node if isinstance(u, dict)]
    if part in names:
        return names.index(part)
    allowed = [str(i) for i in range(len(node))] + [str(n) for n in names if n]
    raise ScenarioError("no such list item", file="overrides", key=here, allowed=allowed)


def _set_services_path(raw: dict[str, Any], parts: list[str], value: Any, key: str) -> None:
    """Check a ``services.…`` path against the catalogue, then store it in the sparse overrides."""
    node: Any = _catalogue_raw()
    for depth, part in enumerate(parts[1:], start=2):
        here = ".".join(parts[:depth])
        if not isinstance(node, dict) or part not in node:
            allowed = sorted(node) if isinstance(node, dict) else None
            raise ScenarioError(
                f"unknown key (not in the service catalogue).{suggest(part, allowed or [])}",
                file="overrides",
                key=here,
                allowed=allowed,
            )
        node = node[part]
        if isinstance(node, dict) and "value" in node and "status" in node:
            if depth != len(parts):
                rest = ".".join(parts[depth:])
                raise ScenarioError(f"set the whole value, not '{rest}'", file="overrides", key=key)
    services = raw.setdefault("services", {}) or {}
    raw["services"] = services
    target = services
    for part in parts[1:-1]:
        if not isinstance(target.get(part), dict):
            target[part] = {}
        target = target[part]
    old = target.get(parts[-1])
    target[parts[-1]] = (
        merge_delta(old, value, key, "overrides")
        if isinstance(old, dict) and isinstance(value, dict)
        else value
    )


# ------------------------------------------------------------------------------------------------
# running
# ------------------------------------------------------------------------------------------------
#: Metrics of :meth:`ScenarioResult.metrics` (name: unit). Beds and FTE of a shared unit are
#: attributed to its members by their cost share, so municipality rows add up to the region.
METRICS: dict[str, str] = {
    "population": "persons",
    "population_67+": "persons",
    "population_80+": "persons",
    "beds": "beds (KAD + intermediate)",
    "beds_kad": "beds",
    "beds_intermediaer": "beds",
    "home_service_users": "persons (hjemmetjenester)",
    "long_term_places": "places on long-term stays (residents / occupancy)",
    "fte": "FTE (all services)",
    "cost_nok": "NOK per year (price year of the catalogue)",
    "cost_nok_per_inhabitant": "NOK per inhabitant per year",
}
_ADDITIVE = [m for m in METRICS if m != "cost_nok_per_inhabitant"]  # summed over members


@functools.lru_cache(maxsize=32)
def _projection_cached(
    codes: tuple[str, ...],
    base_year: int,
    end_year: int,
    method: str,
    variant: str,
    runs: int,
    seed: int | None,
) -> Any:
    from planning.demography import project

    return project(
        list(codes),
        base_year=base_year,
        end_year=end_year,
        method=method,
        variant=variant,
        runs=runs,
        seed=seed,
    )


def _projection(scn: Scenario, runs: int, seed: int | None) -> Any:
    """Population projection, cached by (municipalities, years, method, variant, runs, seed).
    Returned as a shallow copy: with pandas copy-on-write, callers cannot alter the cache."""
    d, h = scn.demography, scn.horizon
    args = (scn.municipality_codes(), h.base_year, h.end_year, d.method, d.variant, runs)
    if runs > 0 and seed is None:  # fresh random draws every time: nothing to cache
        from planning.demography import project

        return project(
            list(args[0]),
            base_year=h.base_year,
            end_year=h.end_year,
            method=d.method,
            variant=d.variant,
            runs=runs,
            seed=None,
        )
    return _projection_cached(*args, seed if runs > 0 else None).copy(deep=False)


#: Levers that only set capacity targets (bed sizing); demand does not depend on them, so a
#: sweep over them reuses the cached demand (checked by tests/test_scenarios.py).
CAPACITY_ONLY_LEVERS = ("max_refusal", "occupancy_target")


def _demand_key(
    scn: Scenario, runs: int, seed: int | None, services_json: str, levers: Levers
) -> tuple[Any, ...] | None:
    if runs > 0 and seed is None:
        return None
    d, h = scn.demography, scn.horizon
    proj = (
        scn.municipality_codes(),
        h.base_year,
        h.end_year,
        d.method,
        d.variant,
        runs,
        seed if runs > 0 else None,
    )
    demand_levers = levers.model_dump(exclude=set(CAPACITY_ONLY_LEVERS))
    return proj, services_json, _freeze(demand_levers)


@functools.lru_cache(maxsize=16)
def _demand_cached(proj: tuple[Any, ...], services_json: str, levers_json: str) -> Any:
    from planning.demand import project_demand

    catalogue = _catalogue_for(services_json)
    levers = Levers(**json.loads(levers_json))
    coverage = _coverage_rates(proj[0], services_json)
    return project_demand(_projection_cached(*proj), catalogue, levers, coverage_rates=coverage)


@functools.lru_cache(maxsize=32)
def _coverage_rates(codes: tuple[str, ...], services_json: str) -> Any:
    from planning.demand import estimate_coverage_rates

    m = data.load_municipalities()
    counties = dict(zip(m["municipality_code"], m["county_code"], strict=True))
    return estimate_coverage_rates(
        data.load_kostra(), _catalogue_for(services_json), list(codes), counties=counties
    )


@functools.lru_cache(maxsize=32)
def _staffing(codes: tuple[str, ...], services_json: str, max_refusal: float) -> Any:
    """Staffing of each municipality from its own KOSTRA figures under today's organisation
    (:func:`planning.calibration.staffing_table`), or None when the catalogue has no
    calibration section."""
    from planning.calibration import staffing_table
    from planning.demand import bed_rates_by_age
    from planning.parameters import status_quo_units

    catalogue = _catalogue_for(services_json)
    if catalogue.calibration is None:
        return None
    year = int(catalogue.calibration.year.value)
    first, last = data.population_years()
    pop_year = min(max(year + 1, first), last)  # 1 January after the KOSTRA year (31 December)
    pop = data.load_population(list(codes), [pop_year])
    by_age = pop.groupby(["municipality_code", "age"])["population"].sum().unstack(fill_value=0.0)
    by_age = by_age.reindex(columns=range(106), fill_value=0.0)
    bed_days = {
        s: dict(
            zip(
                by_age.index.astype(str),
                (by_age.to_numpy(dtype=float) @ bed_rates_by_age(getattr(catalogue, s))[1]),
                strict=True,
            )
        )
        for s in ("kad", "intermediaer")
    }
    return staffing_table(
        data.load_kostra(),
        catalogue,
        list(codes),
        bed_days=bed_days,
        units=status_quo_units(codes),
        max_refusal=max_refusal,
    )


@functools.lru_cache(maxsize=16)
def _travel(overrides_json: str) -> Any:
    import pandas as pd

    from planning.capacity import municipality_travel

    rows = json.loads(overrides_json)
    overrides = pd.DataFrame(rows) if rows else None
    return municipality_travel(data.load_travel(overrides), data.load_places())


def clear_cache() -> None:
    """Forget cached projections, catalogues, coverage rates, travel and loaded scenarios."""
    for f in (
        _projection_cached,
        _demand_cached,
        _coverage_rates,
        _staffing,
        _travel,
        _catalogue_for,
        _base_catalogue,
        _catalogue_raw,
        _load_cached,
        _resolve_codes,
        _assumptions_table,
    ):
        f.cache_clear()


class ScenarioResult:
    """The tidy frames of one scenario run, a summary and provenance.

    Frames (see docs/architecture.md): ``population``, ``demand``, ``capacity``, ``staff``,
    ``costs`` (municipality_code, year, service, item, nok, price_year[, run]), ``cost_shares``,
    ``units``; ``summary`` (municipality_code incl. 'region', metric, value[, p10, p50, p90]) at
    the horizon's end year; ``provenance`` (dict).
    """

    def __init__(
        self,
        *,
        name: str,
        scenario: Scenario,
        population: Any,
        demand: Any,
        capacity: Any,
        staff: Any,
        costs: Any,
        cost_shares: Any,
        units: Any,
        provenance: dict[str, Any],
        parameter_values: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.scenario = scenario
        self.population = population
        self.demand = demand
        self.capacity = capacity
        self.staff = staff
        self.costs = costs
        self.cost_shares = cost_shares
        self.units = units
        self.provenance = provenance
        #: {parameter path: value per run 0..N} of the drawn assumptions (empty without draws)
        self.parameter_values = dict(parameter_values or {})
        self._metrics: Any = None
        self._summary: Any = None

    def __repr__(self) -> str:
        h = self.scenario.horizon
        return (
            f"ScenarioResult({self.name!r}, {h.base_year}-{h.end_year}, "
            f"runs={self.provenance.get('runs')}, fingerprint={self.scenario.fingerprint()})"
        )

    @property
    def runs(self) -> int:
        """Monte Carlo runs beyond the central run 0."""
        return int(self.provenance.get("runs", 0))

    @property
    def end_year(self) -> int:
        return int(self.scenario.horizon.end_year)

    def metrics(self) -> Any:
        """Long frame: municipality_code (incl. 'region'), year, metric, value[, run].

        Metrics and units: :data:`METRICS`. Beds and FTE of shared units are attributed to the
        members by their cost share, so municipalities sum to the region. Computed once.
        """
        if self._metrics is None:
            self._metrics = _metrics(self)
        return self._metrics.copy(deep=False)

    @property
    def summary(self) -> Any:
        """municipality_code (incl. 'region'), metric, value (central run)[, p10, p50, p90] at
        the horizon's end year."""
        if self._summary is None:
            self._summary = _summary(self)
        return self._summary.copy(deep=False)

    def headline(
        self, reference: ScenarioResult | None = None, alone: ScenarioResult | None = None
    ) -> dict[str, Any]:
        """Index-page figures at the end year (central run): beds, FTE, yearly cost for the region
        and cost per municipality. With ``reference`` (normally ``today``) also the differences
        from it under ``vs_reference``; with ``alone`` the differences from the all-alone
        counterfactual under ``vs_alone``."""
        out = _headline(self)
        for key, other in (("reference", reference), ("alone", alone)):
            if other is None:
                continue
            base = _headline(other)
            out[key] = other.name
            out[f"{key}_title"] = other.scenario.title.nb
            out[f"vs_{key}"] = {k: out[k] - base[k] for k in HEADLINE_DIFFERENCES}
            out[f"vs_{key}"]["cost_nok_by_municipality"] = {
                c: v - base["cost_nok_by_municipality"].get(c, 0.0)
                for c, v in out["cost_nok_by_municipality"].items()
            }
        return out


#: Headline figures whose difference against the reference is reported.
HEADLINE_DIFFERENCES = ("population", "beds", "fte", "cost_nok")


def run(
    scenario_or_name: Scenario | str | Path,
    *,
    runs: int | None = None,
    seed: int | None = None,
    parameter_draws: bool = True,
) -> ScenarioResult:
    """Run a scenario: projection → demand → capacity, staff and costs.

    ``runs``/``seed`` override the scenario's ``demography.runs``/``seed``. Run 0 is the central
    run; with ``parameter_draws`` (the default) runs 1..N draw every uncertain assumption of
    ``data/ranges.yaml`` together with the population (:mod:`planning.uncertainty`), so bands
    hold both; ``parameter_draws=False`` keeps population uncertainty only. Pure apart from
    reading the shipped data through :mod:`planning.data` (cached per process). The population
    projection is cached by (municipalities, years, method, variant, runs, seed).
    """
    import time
    from datetime import UTC, datetime

    from planning import __version__
    from planning.capacity import evaluate
    from planning.demand import project_demand

    t0 = time.perf_counter()
    scn = load_scenario(scenario_or_name)
    n_runs = scn.demography.runs if runs is None else runs
    if (
        isinstance(n_runs, bool)
        or not isinstance(n_runs, numbers.Integral)
        or not 0 <= n_runs <= MAX_RUNS
    ):
        raise InputError(
            f"runs must be an integer 0..{MAX_RUNS}, got {n_runs!r}",
            key="runs",
            allowed=f"0..{MAX_RUNS}",
        )
    the_seed = scn.demography.seed if seed is None else seed
    if the_seed is not None and (
        isinstance(the_seed, bool) or not isinstance(the_seed, numbers.Integral) or the_seed < 0
    ):
        raise InputError(f"seed must be a non-negative integer, got {the_seed!r}", key="seed")

    from planning.errors import LimitError
    from planning.limits import SCENARIO_BYTES_PER_CELL, check_projection

    codes = scn.municipality_codes()
    try:
        check_projection(
            int(n_runs),
            len(codes),
            scn.horizon.end_year - scn.horizon.base_year + 1,
            key="runs",
            per_cell=SCENARIO_BYTES_PER_CELL,
            what=f"scenario {scn.name}",
        )
    except LimitError as e:
        if runs is not None:
            raise
        raise LimitError(  # the runs come from the scenario file: name it
            e.problem, file=scn.file, key="demography.runs", allowed=e.allowed
        ) from None
    services_json = _freeze(scn.services)
    catalogue = _catalogue_for(services_json)
    levers = scn.levers.with_defaults(catalogue)
    n_runs, the_seed = int(n_runs), (None if the_seed is None else int(the_seed))
    population = _projection(scn, n_runs, the_seed)
    draws: dict[str, Any] = {}
    if n_runs > 0 and parameter_draws:
        from planning import uncertainty

        draws = uncertainty.draw(catalogue, levers, _base_catalogue(), n_runs, the_seed)
        catalogue, levers = uncertainty.with_values(catalogue, levers, draws)
    demand_key = None if draws else _demand_key(scn, n_runs, the_seed, services_json, levers)
    if demand_key is None:
        coverage = _coverage_rates(codes, services_json)
        demand = project_demand(population, catalogue, levers, coverage_rates=coverage)
    else:
        demand = _demand_cached(*demand_key).copy(deep=False)
    travel = _travel(_freeze([t.model_dump(exclude_none=True) for t in scn.travel_overrides]))
    central = scn.levers.with_defaults(_catalogue_for(services_json))
    staffing = _staffing(codes, services_json, float(central.max_refusal))  # type: ignore[arg-type]
    plan = evaluate(
        population, demand, catalogue, scn.organisation, levers, travel=travel, staffing=staffing
    )
    if draws:
        catalogue, levers = _catalogue_for(services_json), central
    costs, cost_shares = _apply_real_growth(plan.costs, plan.cost_shares, scn)

    provenance = {
        "scenario": scn.name,
        "title": scn.title.model_dump(),
        "file": scn.file,
        "lineage": list(scn.lineage),
        "fingerprint": scn.fingerprint(),
        "overrides": scn.overrides,
        "parameters": scn.model_dump(mode="json"),
        "levers": levers.model_dump(),
        "scenario_values": _scenario_values(scn, levers, catalogue),
        "parameter_status": _status_counts(services_json),
        "assumptions": _assumptions(services_json),
        "price_year": plan.price_year,
        "data_version": data.data_version(),
        "package_version": __version__,
        "runs": n_runs,
        "seed": the_seed,
        "parameter_draws": sorted(draws),
        "run_time_s": round(time.perf_counter() - t0, 4),
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return ScenarioResult(
        name=scn.name,
        scenario=scn,
        population=population,
        demand=demand,
        capacity=plan.capacity,
        staff=plan.staff,
        costs=costs,
        cost_shares=cost_shares,
        units=plan.units,
        provenance=provenance,
        parameter_values=draws,
    )


def _apply_real_growth(costs: Any, shares: Any, scn: Scenario) -> tuple[Any, Any]:
    """Scale NOK by (1 + real_pay_growth) ** (year - base_year); no change when growth is 0."""
    g = scn.prices.real_pay_growth.value
    if g == 0.0:
        return costs, shares
    base = scn.horizon.base_year
    out = []
    for frame in (costs, shares):
        factor = (1.0 + g) ** (frame["year"].to_numpy(dtype=float) - base)
        out.append(frame.assign(nok=frame["nok"].to_numpy(dtype=float) * factor))
    return out[0], out[1]


def _scenario_values(scn: Scenario, levers: Levers, catalogue: ServiceCatalogue) -> dict[str, Any]:
    """Levers that differ from the catalogue defaults and catalogue values the scenario
    overrides (dotted path: value), for labelling in summaries and reports."""
    out: dict[str, Any] = {}
    defaults = Levers().with_defaults(catalogue)
    for name in Levers.model_fields:
        v = getattr(levers, name)
        if v is not None and v != getattr(defaults, name):
            out[f"levers.{name}"] = v

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, Mapping) and not ("value" in node and "unit" in node):
            for k, v in node.items():
                walk(v, f"{prefix}.{k}")
        else:
            out[prefix] = node.get("value") if isinstance(node, Mapping) else node

    walk(scn.services, "services")
    return out


@functools.lru_cache(maxsize=64)
def _assumptions_table(services_json: str) -> Any:
    return _catalogue_for(services_json).assumptions_table()


def _status_counts(services_json: str) -> dict[str, int]:
    t = _assumptions_table(services_json)
    return {str(k): int(v) for k, v in t["status"].value_counts().sort_index().items()}


def _assumptions(services_json: str) -> list[str]:
    t = _assumptions_table(services_json)
    return [str(p) for p in t.loc[t["status"] == "assumption", "parameter"]]


def _metrics(res: ScenarioResult) -> Any:
    """Metrics on the (run, municipality, year) grid with integer indexing and bincount: a few
    milliseconds even for thousands of sweep variants."""
    import numpy as np
    import pandas as pd

    codes = list(res.scenario.municipality_codes())
    h = res.scenario.horizon
    years = np.arange(h.base_year, h.end_year + 1)
    has_run = "run" in res.population.columns
    n_runs = res.runs + 1 if has_run else 1
    M, Y = len(codes), len(years)
    cell = pd.Index(codes)

    def positions(col: Any, index: Any) -> np.ndarray:
        """Position of each value of a (string) column in ``index``: factorize, then look the
        few distinct values up (much faster than a lookup per row)."""
        codes_, uniq_ = pd.factorize(col)
        return np.asarray(index.get_indexer(uniq_))[codes_]

    def grid(frame: Any) -> np.ndarray:
        """Flat (run, municipality, year) cell of each row."""
        idx = positions(frame["municipality_code"], cell) * Y + (
            frame["year"].to_numpy(dtype=np.int64) - h.base_year
        )
        if has_run:
            idx = idx + frame["run"].to_numpy(dtype=np.int64) * (M * Y)
        return idx

    def total(idx: np.ndarray, w: np.ndarray) -> np.ndarray:
        return np.bincount(idx, weights=w, minlength=n_runs * M * Y)

    out: dict[str, np.ndarray] = {}
    pop = res.population
    gi, age = grid(pop), pop["age"].to_numpy()
    p = pop["population"].to_numpy(dtype=float)
    out["population"] = total(gi, p)
    out["population_67+"] = total(gi, p * (age >= 67))
    out["population_80+"] = total(gi, p * (age >= 80))

    # beds and FTE per (unit, service, year, run), attributed to members by cost share
    st = res.staff[res.staff["measure"] == "fte"]
    cap = res.capacity
    cap = cap[(cap["measure"] == "beds") & cap["service"].isin(["kad", "intermediaer"])]
    shares = res.cost_shares
    units = pd.Index(
        pd.unique(
            np.concatenate(
                [np.asarray(pd.unique(f["unit"]), dtype=object) for f in (st, cap, shares)]
            )
        )
    )
    services = pd.Index(
        pd.unique(
            np.concatenate(
                [np.asarray(pd.unique(f["service"]), dtype=object) for f in (st, cap, shares)]
            )
        )
    )
    U = len(units) * len(services)

    def unit_cell(frame: Any) -> np.ndarray:
        u = positions(frame["unit"], units) * len(services) + positions(frame["service"], services)
        idx = u * Y + (frame["year"].to_numpy(dtype=np.int64) - h.base_year)
        if has_run:
            idx = idx + frame["run"].to_numpy(dtype=np.int64) * (U * Y)
        return idx

    size = n_runs * U * Y
    fte_u = np.bincount(unit_cell(st), weights=st["value"].to_numpy(dtype=float), minlength=size)
    beds_u = np.bincount(unit_cell(cap), weights=cap["value"].to_numpy(dtype=float), minlength=size)
    su, sg = unit_cell(shares), grid(shares)
    share = shares["share"].to_numpy(dtype=float)
    svc = shares["service"].to_numpy()
    b = beds_u[su] * share
    out["beds"] = total(sg, b)
    out["beds_kad"] = total(sg, b * (svc == "kad"))
    out["beds_intermediaer"] = total(sg, b * (svc == "intermediaer"))
    out["fte"] = total(sg, fte_u[su] * share)
    out["cost_nok"] = total(grid(res.costs), res.costs["nok"].to_numpy(dtype=float))
    d = res.demand
    users = d[d["measure"] == "users"]
    gu, ws = grid(users), users["value"].to_numpy(dtype=float)
    out["home_service_users"] = total(gu, ws * (users["service"].to_numpy() == "hjemmetjenester"))
    # places needed on long-term stays (residents / occupancy where the demand gives places)
    lt = d[(d["service"] == "langtidsopphold") & (d["measure"] == "places")]
    if not len(lt):
        lt = d[(d["service"] == "langtidsopphold") & (d["measure"] == "users")]
    out["long_term_places"] = total(grid(lt), lt["value"].to_numpy(dtype=float))

    # (K, R, M, Y) -> add the region as municipality M
    arr = np.stack([out[k].reshape(n_runs, M, Y) for k in _ADDITIVE])
    arr = np.concatenate([arr, arr.sum(axis=2, keepdims=True)], axis=2)
    pop_i, cost_i = _ADDITIVE.index("population"), _ADDITIVE.index("cost_nok")
    per_inh = np.divide(
        arr[cost_i], arr[pop_i], out=np.full(arr[pop_i].shape, np.nan), where=arr[pop_i] > 0
    )
    arr = np.concatenate([arr, per_inh[None]], axis=0)
    metrics = [*_ADDITIVE, "cost_nok_per_inhabitant"]
    K, M1 = len(metrics), M + 1
    frame = pd.DataFrame(
        {
            "municipality_code": np.tile(
                np.repeat(np.array([*codes, "region"], dtype=object), Y), K * n_runs
            ),
            "year": np.tile(years, K * n_runs * M1),
            "metric": np.repeat(np.array(metrics, dtype=object), n_runs * M1 * Y),
            "value": arr.reshape(-1),
        }
    )
    if has_run:
        frame["run"] = np.tile(np.repeat(np.arange(n_runs), M1 * Y), K)
    return frame


def _summary(res: ScenarioResult) -> Any:
    from planning.stats import quantiles

    m = res.metrics()
    m = m[m["year"] == res.end_year]
    if "run" in m.columns:
        central = m[m["run"] == 0].drop(columns=["run", "year"])
        if (m["run"] > 0).any():
            q = quantiles(m, ["municipality_code", "metric"])
            central = central.merge(q, on=["municipality_code", "metric"], how="left")
    else:
        central = m.drop(columns=["year"])
    order = {k: i for i, k in enumerate(METRICS)}
    central = central.assign(
        _r=(central["municipality_code"] == "region").astype(int),
        _m=central["metric"].map(order),
    ).sort_values(["_r", "municipality_code", "_m"])
    return central.drop(columns=["_r", "_m"]).reset_index(drop=True)


def _headline(res: ScenarioResult) -> dict[str, Any]:
    s = res.summary
    region = s[s["municipality_code"] == "region"].set_index("metric")["value"]
    munis = s[(s["municipality_code"] != "region") & (s["metric"] == "cost_nok")]
    return {
        "scenario": res.name,
        "title": res.scenario.title.nb,
        "year": res.end_year,
        "population": float(region["population"]),
        "beds": float(region["beds"]),
        "long_term_places": float(region["long_term_places"]),
        "fte": float(region["fte"]),
        "cost_nok": float(region["cost_nok"]),
        "cost_nok_per_inhabitant": float(region["cost_nok_per_inhabitant"]),
        "cost_nok_by_municipality": {
            str(c): float(v)
            for c, v in zip(munis["municipality_code"], munis["value"], strict=True)
        },
        "price_year": res.provenance.get("price_year"),
    }


# ------------------------------------------------------------------------------------------------
# comparing
# ------------------------------------------------------------------------------------------------
def run_like(name: str | Scenario | Path, like: ScenarioResult) -> ScenarioResult:
    """Run scenario ``name`` (normally ``today`` or ``alone``) for the same municipalities,
    horizon, projection, runs and seed as ``like``, so that the two can be compared run by run."""
    other = load_like(name, like.scenario)
    return run(other, runs=like.runs, seed=like.provenance.get("seed"))


def load_like(name: str | Scenario | Path, scn: Scenario) -> Scenario:
    """Scenario ``name`` (normally ``today`` or ``alone``) for the same municipalities, horizon
    and projection as ``scn`` (today's units are those of ``scn``'s municipalities)."""
    d, h = scn.demography, scn.horizon
    who: dict[str, Any] = (
        {"region": scn.region}
        if scn.region is not None
        else {"municipalities": list(scn.municipality_codes())}
    )
    other = apply_overrides(
        load_scenario(name),
        {
            **who,
            "horizon.base_year": h.base_year,
            "horizon.end_year": h.end_year,
            "demography.method": d.method,
            "demography.variant": d.variant,
        },
    )
    return other


def _differences(res: ScenarioResult, base: Any, prefix: str, runs_quantiles: bool) -> Any:
    """Merge ``res.metrics()`` with the metrics ``base`` as ``{prefix}_value``, add the
    difference (and, with ``runs_quantiles``, P10/P50/P90 of the paired differences)."""
    import numpy as np

    from planning.stats import quantiles

    m = res.metrics()
    both_runs = "run" in m.columns and "run" in base.columns
    on = ["municipality_code", "year", "metric"] + (["run"] if both_runs else [])
    left = m if both_runs or "run" not in m.columns else m[m["run"] == 0].drop(columns="run")
    right = base if both_runs or "run" not in base.columns else base[base["run"] == 0]
    if "run" in right.columns and not both_runs:
        right = right.drop(columns="run")
    diff = "difference" if prefix == "reference" else f"difference_{prefix}"
    j = left.merge(right.rename(columns={"value": f"{prefix}_value"}), on=on, how="inner")
    j[diff] = j["value"] - j[f"{prefix}_value"]
    keys = ["municipality_code", "year", "metric"]
    if prefix == "reference":
        bv = j[f"{prefix}_value"].to_numpy(dtype=float)
        j["relative_difference"] = np.divide(
            j[diff].to_numpy(dtype=float), bv, out=np.full(len(j), np.nan), where=bv != 0
        )
    if not both_runs:
        return j
    central = j[j["run"] == 0].drop(columns="run")
    if runs_quantiles and (j["run"] > 0).any():
        central = central.merge(quantiles(j, keys, value=diff), on=keys, how="left")
    return central


def compare(
    results: Mapping[str, ScenarioResult] | Iterable[ScenarioResult],
    reference: str = REFERENCE,
    *,
    alone: str | None = ALONE,
    baseline: str | None = None,
) -> Any:
    """Differences of every result's metrics from ``reference`` (default ``today``: how things
    are organised now), per municipality and region, and then from ``alone`` (each municipality
    running everything alone; None leaves it out).

    A reference that is not among ``results`` is run with the same municipalities, horizon,
    projection, runs and seed as the first result (:func:`run_like`). ``baseline`` is the old
    name of ``reference`` (deprecated). Columns: scenario, reference, municipality_code (incl.
    'region'), year, metric, value, reference_value, difference, relative_difference (central
    run 0), p10, p50, p90 of the difference over the Monte Carlo runs when both have runs > 0
    (runs are paired: same seed, same draws), and with ``alone`` also alone_value and
    difference_alone. Raises InputError when there are no results.
    """
    import pandas as pd

    if baseline is not None:
        import warnings

        warnings.warn(
            "compare(baseline=...) is now compare(reference=...); the default reference is 'today'",
            DeprecationWarning,
            stacklevel=2,
        )
        reference = baseline
    items = list(results.values()) if isinstance(results, Mapping) else list(results)
    if not items:
        raise InputError("no results to compare", key="results")
    by_name = {r.name: r for r in items}
    name = DEPRECATED_NAMES.get(reference, reference) if reference not in by_name else reference
    ref = by_name.get(name) or run_like(name, items[0])
    second = None
    if alone is not None and alone != ref.name:
        second = by_name.get(alone) or run_like(alone, items[0])
    base = ref.metrics()
    frames = []
    for res in items:
        if res.name == ref.name:
            continue
        j = _differences(res, base, "reference", runs_quantiles=True)
        if second is not None:
            k = _differences(res, second.metrics(), "alone", runs_quantiles=False)
            keys = ["municipality_code", "year", "metric"]
            j = j.merge(k[[*keys, "alone_value", "difference_alone"]], on=keys, how="left")
        frames.append(j.assign(scenario=res.name, reference=ref.name))
    first = [
        "scenario",
        "reference",
        "municipality_code",
        "year",
        "metric",
        "value",
        "reference_value",
        "difference",
        "relative_difference",
    ]
    if not frames:
        return pd.DataFrame(columns=first)
    out = pd.concat(frames, ignore_index=True)
    return out[first + [c for c in out.columns if c not in first]]


# ------------------------------------------------------------------------------------------------
# output
# ------------------------------------------------------------------------------------------------
FRAMES = ("population", "demand", "capacity", "staff", "costs", "cost_shares", "units")


def write_result(result: ScenarioResult, out_dir: str | Path, fmt: str = "parquet") -> list[Path]:
    """Write the result's frames, metrics, summary, provenance and scenario into
    ``out_dir/<name>/``. The name is checked with :func:`safe_name`; nothing is written outside
    ``out_dir``. Returns the files written."""
    if fmt not in ("parquet", "csv"):
        raise InputError(f"unknown format '{fmt}'", key="format", allowed="parquet, csv")
    from planning.io import locked, make_dir, write_atomic, write_frame

    name = safe_name(result.name)
    frames = {n: getattr(result, n) for n in FRAMES}
    frames["metrics"] = result.metrics()
    frames["summary"] = result.summary
    provenance = json.dumps(result.provenance, indent=2, ensure_ascii=False, default=str)
    with locked(out_dir) as root:
        target = (root / name).resolve()
        if not target.is_relative_to(root) or target == root:
            raise InputError(
                f"output folder {target} is outside {root} (a link points elsewhere)",
                key="--out",
                file=root / name,
            )
        make_dir(target)
        written = []
        for n, df in frames.items():
            written.append(write_frame(df, target / f"{n}.{fmt}", fmt, root=target))
        written.append(write_atomic(target / "provenance.json", provenance, root=target))
        written.append(write_atomic(target / "scenario.yaml", result.scenario.to_yaml(), root=target))
    return written


def municipality_year_table(result: ScenarioResult) -> Any:
    """The table per municipality and year of the central run (run 0), wide: municipality_code
    (and 'region' for the sum over the scenario's municipalities), municipality_name,
    county_name, year, then every metric of :meth:`ScenarioResult.metrics` (population,
    population_67+, population_80+, beds, beds_kad, beds_intermediaer, fte, cost_nok,
    cost_nok_per_inhabitant), ``users_<service>`` for every service whose demand is counted in
    users (hjemmetjenester, langtidsopphold, heldogn_bolig) and ``places_<service>`` for the
    places needed (langtidsopphold, heldogn_bolig). With ``--region norway`` this is the
    national table: one row per municipality and year, and Norway's total as 'region'."""
    import pandas as pd

    m = result.metrics()
    if "run" in m.columns:
        m = m[m["run"] == 0]
    wide = m.pivot_table(
        index=["municipality_code", "year"], columns="metric", values="value", sort=False
    )
    wide = wide[[c for c in METRICS if c in wide.columns]].reset_index()
    d = result.demand
    if "run" in d.columns:
        d = d[d["run"] == 0]
    users = d[d["measure"].isin(["users", "places"])]
    if not users.empty:
        u = users.pivot_table(
            index=["municipality_code", "year"],
            columns=["measure", "service"],
            values="value",
            aggfunc="sum",
        )
        u.columns = [f"{m}_{c}" for m, c in u.columns]
        tot = u.groupby(level="year").sum()
        tot.index = pd.MultiIndex.from_product([["region"], tot.index], names=u.index.names)
        u = pd.concat([u, tot]).reset_index()
        u["municipality_code"] = u["municipality_code"].astype(str)
        wide = wide.merge(u, on=["municipality_code", "year"], how="left")
    reg = data.load_municipalities().set_index("municipality_code")
    label = data.region_label(result.scenario.region) if result.scenario.region else "region"
    wide.insert(
        1,
        "municipality_name",
        wide["municipality_code"].map(reg["municipality_name"]).fillna(label),
    )
    wide.insert(2, "county_name", wide["municipality_code"].map(reg["county_name"]).fillna(""))
    order = {c: i for i, c in enumerate([*result.scenario.municipality_codes(), "region"])}
    wide = wide.sort_values(
        ["municipality_code", "year"],
        key=lambda s: s.map(order) if s.name == "municipality_code" else s,
    )
    return wide.reset_index(drop=True)


def format_summary(result: ScenarioResult, lang: str = "nb") -> str:
    """The summary as a plain-text table for the terminal (titles in ``lang``: 'nb' or 'en')."""
    import pandas as pd

    scn = result.scenario
    names = data.municipality_names()
    s = result.summary
    wide = s.pivot(index="municipality_code", columns="metric", values="value")
    order = [c for c in scn.municipality_codes() if c in wide.index] + ["region"]
    wide = wide.loc[order]
    label = {"region": "Region" if lang == "en" else "Regionen"}
    muni = [label.get(c) or f"{c} {names.get(c, '')}".strip() for c in wide.index]
    width = max(len(m) for m in muni)
    table = pd.DataFrame(
        {
            "municipality".ljust(width): [m.ljust(width) for m in muni],
            "population": wide["population"].round(0).astype("int64"),
            "80+": wide["population_80+"].round(0).astype("int64"),
            "beds": wide["beds"].round(1),
            "FTE": wide["fte"].round(1),
            "cost (NOK m)": (wide["cost_nok"] / 1e6).round(1),
            "NOK/inhab.": wide["cost_nok_per_inhabitant"].round(0).astype("int64"),
        }
    )
    prov = result.provenance
    status = ", ".join(f"{v} {k}" for k, v in prov["parameter_status"].items())
    lines = [
        f"Scenario {result.name}: {getattr(scn.title, lang)}",
        f"  {scn.horizon.base_year}-{scn.horizon.end_year}, {scn.demography.method} "
        f"{scn.demography.variant}, runs {prov['runs']}, seed {prov['seed']}"
        + (f", extends {scn.extends}" if scn.extends else ""),
        f"  values in {result.end_year} (central run); beds and FTE of shared units attributed "
        f"by cost share; NOK per year at {prov['price_year']} prices",
        table.to_string(index=False),
        f"  catalogue parameters: {status} (each with its source: `planning sample-scenario`)",
        f"  data {prov['data_version']}, package {prov['package_version']}, "
        f"run time {prov['run_time_s']:.3f} s",
    ]
    if prov["scenario_values"]:
        lines.append(
            "  set by the scenario (assumption unless a source is given): "
            + ", ".join(f"{k}={v}" for k, v in prov["scenario_values"].items())
        )
    if prov["runs"] and "p10" in s.columns:
        r = s[(s["municipality_code"] == "region") & s["metric"].isin(["beds", "fte", "cost_nok"])]
        for _, row in r.iterrows():
            lines.append(
                f"  region {row['metric']}: P10 {row['p10']:,.1f}, P50 {row['p50']:,.1f}, "
                f"P90 {row['p90']:,.1f} over {prov['runs']} runs"
            )
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
# sample scenario
# ------------------------------------------------------------------------------------------------
def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


def _scalar(v: Any) -> str:
    """A YAML scalar on one line."""
    return (
        yaml.safe_dump(v, default_flow_style=True, allow_unicode=True, width=10_000)
        .strip()
        .removesuffix("...")
        .strip()
    )


def _sourced_comment(s: Sourced) -> str:
    year = f" ({s.year})" if s.year else ""
    return f"{s.unit}; {s.status}; {_one_line(s.source)}{year}"


def _range_comment(path: str, ranges: Mapping[str, Any]) -> str:
    """' | range low..high (kind, distribution): reason' for a path of data/ranges.yaml."""
    from planning.uncertainty import bounds

    r = ranges.get(path)
    if r is None:
        return ""
    lo, hi = bounds(path, ranges)
    how = r.kind if r.kind != "uncertain" else f"uncertain, {r.distribution}"
    return f" | range {_scalar(lo)}..{_scalar(hi)} ({how}): {_one_line(r.reason)}"


def sample_scenario(overrides: Mapping[str, Any] | None = None) -> str:
    """A complete, valid scenario (no ``extends``) with every default written out, its source
    and its range (``data/ranges.yaml``) in a comment; values equal ``today``, so running it
    reproduces today. ``overrides`` (e.g. ``{"region": "agder"}``) are applied to today first
    (today's units of that region come with it)."""
    from planning.uncertainty import load_ranges

    ranges = load_ranges()
    base = apply_overrides(load_scenario(REFERENCE), overrides or {})
    cat = base.catalogue()
    d, h = base.demography, base.horizon
    first, last = data.population_years()
    region = base.region or ""
    out = [
        "# A complete scenario with every default and its source (`planning sample-scenario`).",
        "# Save it as my_scenario.yaml, edit, check with `planning scenarios validate my_scenario.yaml`",
        "# and run with `planning run my_scenario.yaml`. Format reference: docs/scenarios.md.",
        "# Status of a number: seen (in the cited source), derived (calculated from seen values),",
        "# assumption (no source found). A number you type without a source is an assumption.",
        "# After '| range': the plausible low..high of a value (data/ranges.yaml) and why; kind",
        "# 'uncertain' is drawn in the Monte Carlo runs, 'choice' and 'method' only in the tornado",
        "# (`planning sensitivity`).",
        "name: sample",
        "title:",
        f"  nb: {_scalar('Eksempel (som i dag)')}",
        f"  en: {_scalar('Sample (same as today)')}",
        "description:",
        f"  nb: {_scalar('Alle standardverdier skrevet ut; gir samme tall som i dag.')}",
        f"  en: {_scalar('Every default written out; gives the same numbers as today.')}",
        "",
        f"# region name ({', '.join(data.region_names(kind='named'))}, a county such as agder, norway) or",
        "# municipalities: [5035, Meråker, ...] (codes or names); data/regions.json",
        f"region: {_scalar(region)}  # {_one_line(data.region_label(region))}: "
        f"{', '.join(base.municipality_codes())}"
        if base.region is not None
        else f"municipalities: {_scalar(list(base.municipality_codes()))}",
        "",
        "horizon:",
        f"  base_year: {h.base_year}  # observed population 1 January (SSB 07459, {first}-{last}); "
        f"allowed {first + 2}..{last}",
        f"  end_year: {h.end_year}  # up to {LAST_PROJECTION_YEAR} (UN WPP 2024 assumptions)",
        "",
        "demography:",
        f"  method: {d.method}  # cohort-component (UN WPP 2024 rates calibrated to SSB 07459) or "
        "hamilton-perry (reference)",
        f"  variant: {d.variant}  # fertility, life expectancy, migration: L/M/H each (MMM = central)",
        f"  runs: {d.runs}  # Monte Carlo runs beyond the central run 0 (0..{MAX_RUNS})",
        f"  seed: {_scalar(d.seed)}  # random seed for the runs",
        "# projection settings of data/demography.yaml that are assumptions, with their ranges:",
        *(
            f"#   {p.removeprefix('demography.')}{_range_comment(p, ranges)}"
            for p in ranges
            if p.startswith("demography.")
        ),
        "",
        "# levers: defaults from data/services.yaml `levers` (value  # unit; status; source)",
        "levers:",
    ]
    for name in Levers.model_fields:
        default = getattr(cat.levers, name, None)
        if default is None:
            out.append(f"  # {name}: (unset: healthy_ageing × life_expectancy_gain per year)")
        else:
            out.append(
                f"  {name}: {_scalar(default.value)}  # {_sourced_comment(default)}"
                + _range_comment(f"levers.{name}", ranges)
            )
    out += [
        "",
        "# services: overrides of data/services.yaml by path, e.g.",
        "#   services: {kad: {bed_days_per_1000: 30}}   (a bare number is labelled 'assumption';",
        "#   give {value, unit, source, year, status} to cite a source). Every value and its default:",
    ]
    table = cat.assumptions_table()
    for r in table.itertuples(index=False):
        if str(r.parameter).startswith("levers."):
            continue
        year = f" ({int(r.year)})" if r.year is not None and r.year == r.year else ""
        out.append(
            f"#   {r.parameter}: {_scalar(r.value)}  # {r.unit}; {r.status}; {_one_line(r.source)}{year}"
            + _range_comment(str(r.parameter), ranges)
        )
    out += [
        "services: {}",
        "",
        "# organisation: status_quo: true starts from today's shared units (data/organisation.yaml,",
        "# every unit whose members all take part, each with its source); units then lists changes by",
        "# unit name (new units, changed fields, {name: X, remove: true}). status_quo: false and no",
        "# units: each municipality runs every service alone (the scenario `alone`).",
        "# A municipality in no unit for a service runs it alone.",
        "# services that can be shared: kad, intermediaer, helsestasjon, skolehelsetjeneste, jordmor,",
        "# kommuneoverlege, legevakt, brukerkontor. cost_key: population | use | fixed_plus_use",
        "# (with fixed_share 0..1). Example:",
        "#   units:",
        "#     - {name: 'Værnesregionen DMS, KAD-senger', members: ['5035', '5034', '5032', '5033']}",
        "organisation:",
        f"  status_quo: {_scalar(base.organisation.status_quo)}",
        "  units: []",
        "",
        "prices:",
        "  real_pay_growth:  # yearly real growth of cost per FTE and other unit costs from base_year"
        + _range_comment("prices.real_pay_growth", ranges),
    ]
    g = base.prices.real_pay_growth
    for k, v in g.model_dump(exclude_none=True).items():
        out.append(f"    {k}: {_scalar(v)}")
    out += [
        "",
        "# travel_overrides: local figures for trips between places of data/places.csv, e.g.",
        "#   - {from_id: stjordalshalsen, to_id: selbu_muni, minutes: 40}",
        "travel_overrides: []",
        "",
    ]
    return "\n".join(out)


def __getattr__(name: str) -> Any:
    """``planning.scenarios.sweep`` is re-exported lazily from :mod:`planning.sweep` (which
    imports this module)."""
    if name == "sweep":
        from planning.sweep import sweep

        return sweep
    raise AttributeError(f"module 'planning.scenarios' has no attribute {name!r}")
