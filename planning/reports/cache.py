"""Work shared by the reports of one run: computed once, read by every report that needs it.

``planning report --all`` renders each scenario in its own kernel, and several reports need the
same slow result: the population and demand backtests of the report's municipalities depend only
on the municipalities and the data (not on the scenario), so six Værnes reports would run the same
four backtests six times. :func:`render_reports` makes one cache folder per run (deleted when the
run ends) and names it in the environment variable :data:`CACHE_ENV` of its workers, so their
kernels see it; :func:`cached` computes a value once per key in that folder (a file lock per key,
so a second worker waits for the first instead of computing it again) and reads it back in the
other reports. Without the variable (a report rendered in a notebook of its own) values are kept
in the process only.

Keys include the data version (:func:`planning.data.data_version`) and the package version, so a
value is never read for other data. Nothing outlives the run: no stale cache to invalidate.
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


def run_like(name: str, like: Any) -> Any:
    """:func:`planning.scenarios.run_like` (scenario ``name``, normally ``today`` or ``alone``, for
    the municipalities, horizon, runs and seed of ``like``), run once per report run: the six
    Værnes reports share one run of today and one of each municipality alone. The key is the
    whole validated scenario document with the runs and the seed, so only an identical run is
    shared; with no seed (fresh draws every time) nothing is shared."""
    from planning import scenarios

    other = scenarios.load_like(name, like.scenario)
    seed = like.provenance.get("seed")
    if seed is None:
        return scenarios.run(other, runs=like.runs, seed=None)
    key = {"scenario": other.model_dump_json(), "runs": int(like.runs), "seed": int(seed)}
    return cached("run", key, lambda: scenarios.run(other, runs=like.runs, seed=seed))
