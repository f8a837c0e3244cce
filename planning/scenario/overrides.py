"""``apply_overrides``: dotted paths (``levers.max_refusal``, ``services.kad.fte_per_bed``,
``organisation.units.0.members``) validated before any is applied.

Part of :mod:`planning.scenarios` (the public facade); see its docstring for the map.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from planning.errors import ScenarioError, suggest
from planning.scenario.catalogue import _catalogue_raw
from planning.scenario.files import _field_model, _validate, load_scenario
from planning.scenario.merge import _codes_of, merge_delta
from planning.scenario.schema import Scenario


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

    changed = [str(k) for k in overrides]

    def owner(key: str) -> str:
        # a key the overrides set is theirs; any other key came from the scenario's own file and
        # fails only together with the overrides (its units on another region's today)
        ours = (key == k or key.startswith(k + ".") or k.startswith(key + ".") for k in changed)
        if base._file is None or not key or any(ours):
            return "overrides"
        return f"{base._file} (with overrides {', '.join(changed)})"

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
    codes = _codes_of(raw) if parts[0] == "organisation" else None  # for a unit error's names
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        here = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            idx = _list_index(node, part, here)
            if last:
                node[idx] = merge_delta(node[idx], value, here, "overrides", codes)
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
                merge_delta(node[part], value, here, "overrides", codes) if part in node else value
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
