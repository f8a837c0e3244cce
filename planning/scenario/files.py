"""Reading scenario files: YAML, ``extends`` chains, validation with the file and key of the
first problem named, and the public loader ``load_scenario``.

Part of :mod:`planning.scenarios` (the public facade); see its docstring for the map.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    ValidationError,
)

from planning import data
from planning.errors import InputError, ScenarioError, suggest
from planning.parameters import (
    format_validation_error,
)
from planning.scenario.merge import _expand_organisation, merge_delta
from planning.scenario.names import _deprecated, list_scenarios, safe_name, scenarios_dir
from planning.scenario.schema import _NAME_RE, Scenario, _resolve_codes


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
    try:
        shareable = scn.catalogue().shareable_services()
    except ScenarioError as e:  # the scenario's services overrides do not fit the catalogue
        key = e.key or "services"
        if not key.startswith("services"):
            key = f"services.{key}"
        raise ScenarioError(e.problem, file=owner(key), key=key, allowed=e.allowed) from None
    unit_names = {"organisation": {"units": [{"name": u.name} for u in scn.organisation.units]}}
    for i, unit in enumerate(scn.organisation.units):
        if unit.service not in shareable:
            key = _unit_key_as_written(
                f"organisation.units.{i}.service", unit_names, scn._unit_changes
            )
            raise ScenarioError(
                f"{unit.service!r} is not allowed (not a shareable service of the catalogue)."
                f"{suggest(unit.service, shareable)}",
                file=owner(key),
                key=key,
                allowed=", ".join(shareable),
            )
        for j, m in enumerate(unit.members):
            if m not in members:
                key = _unit_key_as_written(
                    f"organisation.units.{i}.members.{j}", unit_names, scn._unit_changes
                )
                raise ScenarioError(
                    f"municipality {m} of unit '{unit.name}' is not in the scenario",
                    file=owner(key),
                    key=key,
                    allowed=sorted(members),
                )
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
    from planning.io import require_file

    if isinstance(name_or_path, Path):
        return require_file(name_or_path, ScenarioError)
    s = str(name_or_path)
    looks_like_path = s.endswith((".yaml", ".yml")) or "/" in s or "\\" in s
    if looks_like_path and (Path(s).exists() or s.endswith((".yaml", ".yml"))):
        return require_file(s, ScenarioError)
    safe_name(s)
    return _locate(s, None, key="name")
