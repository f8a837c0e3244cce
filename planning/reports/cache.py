"""Work shared by the reports of one run: computed once, read by every report that needs it.

``planning report --all`` renders each scenario in its own kernel, and several reports need the
same slow result: the population and demand backtests of the report's municipalities depend only
on the municipalities and the data (not on the scenario), so six Værnes reports would run the same
four backtests six times; likewise today's and the alone runs (:func:`run_like`), today's side of
the tornado (:func:`planning.sensitivity.tornado` with ``cache=cached``), and, inside the model,
the population projections and the coverage estimates. The mechanism (one cache folder per run,
named in :data:`CACHE_ENV`; a file lock per key) is :mod:`planning.shared_cache`, re-exported
here.
"""

from __future__ import annotations

from typing import Any

from planning.shared_cache import CACHE_ENV, cache_key, cached, shared

__all__ = ["CACHE_ENV", "cache_key", "cached", "run", "run_like", "shared"]


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


def run(scenario: Any, *, runs: int | None = None, seed: int | None = None) -> Any:
    """:func:`planning.scenarios.run` of a report's own scenario. Today's run and the alone run
    are stored under :func:`run_like`'s key, so the report of ``today`` and the other reports'
    reference (and likewise ``alone``) share one run; any other scenario is simply run (no other
    report reads it). Without a seed, or with runs or seed that are not integers (the run
    itself then says what is wrong), nothing is shared."""
    from planning import scenarios

    scn = scenarios.load_scenario(scenario)
    n = scn.demography.runs if runs is None else runs
    s = scn.demography.seed if seed is None else seed
    plain = not all(isinstance(x, int) and not isinstance(x, bool) for x in (n, s))
    if plain or scn.name not in (scenarios.REFERENCE, scenarios.ALONE):
        return scenarios.run(scn, runs=runs, seed=seed)
    key = {"scenario": scn.model_dump_json(), "runs": int(n), "seed": int(s)}
    return cached("run", key, lambda: scenarios.run(scn, runs=n, seed=s))
