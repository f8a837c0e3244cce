"""User-facing errors.

Every error a user can cause (bad scenario file, unknown municipality, value out of range, missing
or corrupt data file) is raised as a :class:`PlanningError`. Its message is one line that says what
is wrong, where (file, key) and what is allowed. The CLI prints that line and exits with code 2;
it never shows a traceback for these.
"""

from __future__ import annotations

import difflib
import os
import sys
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path


class PlanningError(ValueError):
    """Base class for errors caused by input: the message is meant for the user."""

    def __init__(
        self,
        problem: str,
        *,
        file: str | Path | None = None,
        key: str | None = None,
        allowed: str | Iterable[object] | None = None,
    ) -> None:
        self.problem = problem
        self.file = str(file) if file is not None else None
        self.key = key
        if allowed is not None and not isinstance(allowed, str):
            allowed = ", ".join(str(a) for a in allowed)
        self.allowed = allowed
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.key:
            where.append(f"key '{self.key}'")
        text = ": ".join([" ".join(where), self.problem]) if where else self.problem
        if self.allowed:
            text += f" (allowed: {self.allowed})"
        return text


class DataError(PlanningError):
    """A shipped or user-supplied data file is missing, truncated, corrupt or inconsistent."""


class ScenarioError(PlanningError):
    """A scenario or sweep file is malformed or holds a value that is not allowed."""


class InputError(PlanningError):
    """A function or CLI argument is out of range (unknown municipality, year outside data, ...)."""


class OutputError(PlanningError):
    """A result could not be written (full or read-only disk, no permission). Nothing partial is
    left behind: result files are written to a temporary name and renamed (``planning.io``)."""


class LimitError(InputError):
    """A request that cannot fit: more memory or time than the machine has, or a value beyond its
    physical bound (``planning.limits``)."""


def location(loc: Iterable[object]) -> list[str]:
    """A pydantic error location as the parts of a dotted key, without the tags pydantic adds
    for the branch of a union it tried ('list[any]', 'function-after[...]'): no key of a file
    has brackets in it."""
    return [str(p) for p in loc if not (str(p).endswith("]") and "[" in str(p))]


def raise_data_error(err: object) -> None:
    """Raise the :class:`DataError` a validator raised while checking a value against the data (a
    missing or corrupt data file found while validating a scenario's ``base_year``), if a pydantic
    ``ValidationError`` holds one: it is the data file that is wrong, not the file being read, so
    it is raised as it is instead of naming the user's file and key."""
    for e in getattr(err, "errors", lambda: [])():
        inner = (e.get("ctx") or {}).get("error")
        if isinstance(inner, DataError):
            raise inner


class PlanningDeprecationWarning(DeprecationWarning):
    """An old name of this package's API is used (``scenarios.run('baseline')``,
    ``compare(baseline=...)``); the message names the new one. The test suite turns these, and
    only these, into errors (``pyproject.toml``: ``filterwarnings``)."""


#: This package's folder as written and as resolved (frames inside it are skipped when a
#: deprecation is attributed to its caller).
_PACKAGE_DIRS = tuple(
    {str(Path(__file__).parent) + os.sep, str(Path(__file__).resolve().parent) + os.sep}
)


def warn_deprecated(message: str) -> None:
    """Warn with :class:`PlanningDeprecationWarning`, attributed to the first caller outside
    this package (the line of the user's code or notebook that used the old name), however deep
    inside ``planning`` the old name was noticed."""
    level, frame = 2, sys._getframe(1)  # stacklevel 2: the caller of warn_deprecated
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIRS):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, PlanningDeprecationWarning, stacklevel=level)


def require_columns(
    frame: object, columns: Sequence[str], what: str, key: str | None = None
) -> None:
    """Raise one :class:`InputError` naming the ``columns`` a data frame lacks (in their order),
    keyed by ``key`` (default ``what``), with all required columns as the allowed values."""
    have = set(getattr(frame, "columns", ()))
    missing = [c for c in columns if c not in have]
    if missing:
        raise InputError(
            f"{what} frame lacks columns {missing}", key=key or what, allowed=list(columns)
        )


def _transpositions(value: str) -> set[str]:
    """Codes that differ from a digit code ``value`` by two swapped adjacent digits (5305 → 5035)."""
    if not value.isdigit():
        return set()
    return {value[:i] + value[i + 1] + value[i] + value[i + 2 :] for i in range(len(value) - 1)}


def suggest(value: str, candidates: Iterable[str], n: int = 3) -> str:
    """Return ' Did you mean X?' for close matches of ``value`` among ``candidates`` (or '').

    For digit codes, candidates with two adjacent digits swapped (a common typing slip that
    difflib ranks low: 5305 for 5035) come first, in sorted order.
    """
    value, pool = str(value), [str(c) for c in candidates]
    swapped = _transpositions(value) - {value}
    first = sorted(c for c in set(pool) if c in swapped)
    close = difflib.get_close_matches(value, pool, n=n, cutoff=0.6)
    matches = list(dict.fromkeys([*first, *close]))[:n]
    return f" Did you mean {' or '.join(matches)}?" if matches else ""
