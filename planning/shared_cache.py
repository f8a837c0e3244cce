"""Values computed once per ``planning report`` run and shared by its reports' kernels.

:func:`planning.reports.render_reports` makes one cache folder per run (deleted when the run
ends) and names it in the environment variable :data:`CACHE_ENV` of its workers, so their
kernels see it; :func:`cached` computes a value once per key in that folder (a file lock per key,
so a second worker waits for the first instead of computing it again) and reads it back in the
other reports. Without the variable (a report rendered in a notebook of its own) values are kept
in the process only. :func:`shared` is for functions that keep a cache of their own (the model's
per-process caches of population projections and coverage estimates): shared through the folder
inside a report run, computed as before elsewhere.

Keys include the data version (:func:`planning.data.data_version`) and the package version, so a
value is never read for other data. Nothing outlives the run: no stale cache to invalidate. This
module sits below the model (it imports nothing of ``planning`` at module level), so the model's
own caches can use it; :mod:`planning.reports.cache` holds what the reports share.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

#: Environment variable naming the cache folder of a report run (set in the report workers).
CACHE_ENV = "VAERNES_REPORT_CACHE"

T = TypeVar("T")
_MEMORY: dict[str, Any] = {}


def cache_key(kind: str, key: Mapping[str, Any]) -> str:
    """A file-safe key for ``kind`` and ``key`` (JSON-able values), including the data version
    and the package version."""
    from planning import __version__, data

    payload = json.dumps(
        {"kind": kind, "key": dict(key), "data": data.data_version(), "package": __version__},
        sort_keys=True,
        default=str,
    )
    return f"{kind}-{hashlib.sha256(payload.encode()).hexdigest()[:20]}"


def cached(kind: str, key: Mapping[str, Any], compute: Callable[[], T]) -> T:
    """``compute()`` once per (``kind``, ``key``, data version) in this report run; later calls
    (in this process or in another report's kernel of the same run) read the stored value."""
    name = cache_key(kind, key)
    if name in _MEMORY:
        return _MEMORY[name]
    folder = os.environ.get(CACHE_ENV)
    if not folder or not Path(folder).is_dir():
        value = compute()
        _MEMORY[name] = value
        return value
    from filelock import FileLock

    path = Path(folder) / f"{name}.pickle"
    with FileLock(str(path) + ".lock"):
        if path.is_file():
            with path.open("rb") as fh:
                value = pickle.load(fh)  # written by this run's own workers only
        else:
            value = compute()
            tmp = path.with_suffix(".tmp")
            with tmp.open("wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
    _MEMORY[name] = value
    return value


def shared(kind: str, key: Mapping[str, Any], compute: Callable[[], T]) -> T:
    """Inside a report run (:data:`CACHE_ENV` names a folder): :func:`cached`, so the run's
    other reports read the value instead of computing it. Elsewhere ``compute()``, kept nowhere:
    for a function with a cache of its own (the model's per-process ``lru_cache`` of
    population projections and coverage estimates, :mod:`planning.scenario.pipeline`)."""
    folder = os.environ.get(CACHE_ENV)
    if not folder or not Path(folder).is_dir():
        return compute()
    return cached(kind, key, compute)
