"""The one merge rule for deltas (``extends``, sweep values, overrides) and the merge of the
unit list ``organisation.units`` by unit name.

Part of :mod:`planning.scenarios` (the public facade); see its docstring for the map.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from planning.errors import ScenarioError, suggest
from planning.scenario.schema import _resolve_codes

#: The one merge rule (docs/scenarios.md, "How a delta is merged"), used for a scenario file over
#: its base (``extends``) and for a sweep value or ``apply_overrides`` value over the base scenario.
UNIT_LIST = "organisation.units"


def merge_delta(
    base: Any,
    delta: Any,
    path: str = "",
    file: str | Path | None = None,
    codes: list[str] | None = None,
) -> Any:
    """Merge ``delta`` onto ``base`` by the project's one rule and return a new object (inputs
    untouched): mappings merge key by key; the unit list ``organisation.units`` merges by unit
    ``name`` (see :func:`merge_units`); every other value (numbers, text, other lists) replaces
    the base's. ``region`` and ``municipalities`` replace each other. ``path`` is the dotted
    place of ``delta`` in the scenario (``""`` for a whole file); directive errors name ``file``.
    ``codes``: the scenario's municipalities when the caller knows them (a whole file works them
    out from the merged ``region`` / ``municipalities``); they narrow the names an error lists."""
    if path == UNIT_LIST:
        return merge_units(base, delta, path, file, codes=codes)
    if isinstance(base, dict) and isinstance(delta, dict):
        out = dict(base)
        if not path:
            if "region" in delta and "municipalities" not in delta:
                out.pop("municipalities", None)
            if "municipalities" in delta and "region" not in delta:
                out.pop("region", None)
            if codes is None and "organisation" in delta:
                where = ("region", "municipalities")
                codes = _codes_of({k: delta[k] if k in delta else out.get(k) for k in where})
        sq = path == "organisation" and delta.get("status_quo", base.get("status_quo")) is True
        for k, v in delta.items():
            sub = f"{path}.{k}" if path else str(k)
            if sub == UNIT_LIST:
                out[k] = merge_units(base.get(k, []), v, sub, file, status_quo=sq, codes=codes)
                continue
            out[k] = merge_delta(out[k], v, sub, file, codes) if k in out else copy.deepcopy(v)
        return out
    return copy.deepcopy(delta)


def units_touching(codes: list[str] | None) -> list[str]:
    """Names of today's units (``data/organisation.yaml``) with a member among ``codes``, in file
    order; every unit of today (all regions) when ``codes`` is None (not known)."""
    from planning.parameters import load_organisation

    units = load_organisation().units
    if codes is not None:
        wanted = set(codes)
        units = [u for u in units if wanted.intersection(u.members)]
    return [str(u.name) for u in units]


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
    codes: list[str] | None = None,
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
    today's units there. A name that no unit of today has is refused; the error lists today's
    units with a member among ``codes`` (the scenario's municipalities; all of today's units,
    of every region, when ``codes`` is None)."""
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
                    f"remove must be true, got {u['remove']!r}",
                    file=file,
                    key=f"{key}.remove",
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
                if name not in units_touching(None):
                    here = units_touching(codes)
                    scope = "" if codes is None else f" of {', '.join(codes)}"
                    raise ScenarioError(
                        f"no unit '{name}' in today's organisation to remove.{suggest(name, here)}",
                        file=file,
                        key=f"{key}.name",
                        allowed=f"today's units{scope}: {', '.join(here) or 'none'}",
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
