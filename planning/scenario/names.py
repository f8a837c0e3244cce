"""Scenario names and folders: where shipped scenarios live, safe names, the reference
(``today``) and the all-alone counterfactual (``alone``), deprecated names.

Part of :mod:`planning.scenarios` (the public facade); see its docstring for the map.
"""

from __future__ import annotations

import os
from pathlib import Path

from planning.errors import ScenarioError, warn_deprecated
from planning.scenario.schema import _NAME_RE

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent


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
    warn_deprecated(
        f"scenario '{name}' is now called '{new}' (each municipality alone); comparisons are "
        f"made against '{REFERENCE}' by default. Use '{new}'."
    )
    return new
