"""Catalogue helpers keyed by frozen JSON: the shipped catalogue, a scenario's catalogue
(``services`` overrides merged onto ``data/services.yaml``) and sourced-value overrides.

Part of :mod:`planning.scenarios` (the public facade); see its docstring for the map.
"""

from __future__ import annotations

import copy
import functools
import json
import math
from collections.abc import Mapping
from typing import Any

from planning import data
from planning.errors import ScenarioError, suggest
from planning.parameters import (
    ServiceCatalogue,
    catalogue_from_dict,
)


# ------------------------------------------------------------------------------------------------
# cached helpers (keyed by hashable, frozen arguments)
# ------------------------------------------------------------------------------------------------
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
