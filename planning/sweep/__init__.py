"""Scenario sweeps: many variants of one base scenario, run in parallel, resumable.

A sweep file (YAML, see ``docs/sweeps.md``) names a base scenario and parameter axes, each a dotted
path into the scenario document (``levers.max_refusal``, ``demography.variant``, ``organisation``):

* ``grid``: every combination of the listed values (cartesian product, in file order). An axis is
  a list of values or a mapping of named alternatives (``{all_four: {...}, selbu_outside: {...}}``;
  the results then carry the alternative's name).
* ``samples``: ``n`` points drawn over ranges (``{low, high}``, optionally ``log``/``integer``, or
  ``{choices: [...]}``), by Latin hypercube (``lhs``, scipy.stats.qmc) or plain ``random``
  sampling from a seed. With a grid as well, every grid point is crossed with the same samples.

Each variant gets a stable id (a hash of its overrides) and a running index. Variants that
differ only in parameter values (levers, catalogue values, real pay growth) are evaluated
together in one vectorised pass (``batch``: the same records as one at a time); the others one
at a time. Variants are
evaluated in chunks on a local process pool (default) or on dask.distributed; the driver writes
each finished chunk atomically to ``OUT/parts/`` (temp file + ``os.replace``), so a sweep that is
killed can be resumed: finished variants are skipped and the final table is the same. A variant
that raises is recorded (``errors.csv``) and the sweep goes on. The final results table is
assembled from the parts by streaming, so the driver's memory does not grow with the sweep.

Public API: :func:`load_sweep`, :func:`plan_variants`, :func:`run_sweep` (files + outcome),
:func:`sweep` (the results table, also ``planning.sweep.sweep``), :func:`read_sweep`.

The code lives in this package, one concept per module in data-flow order: ``spec`` (the sweep
file schema), ``variants`` (ids, grid, samples), ``engine`` (how one variant is evaluated), ``batch``
(variants that differ only in parameter values, evaluated together),
``chunks`` (a chunk in a worker), ``outdir`` (the parts on disk), ``backends`` (inline, process
pool, dask), ``assembly`` (the results table and the outcome), ``driver`` (``run_sweep``),
``api`` (``sweep``, ``read_sweep``, ``describe``). The sweep imports :mod:`planning.scenarios`;
scenarios never import the sweep.
"""

from __future__ import annotations

from planning.sweep.api import (
    describe,
    read_sweep,
    sweep,
)
from planning.sweep.assembly import (
    SUMMARY_COLUMNS,
    SweepOutcome,
)
from planning.sweep.backends import (
    SPAWN_OVERHEAD_S,
)
from planning.sweep.chunks import (
    ChunkJob,
    ChunkResult,
    Selection,
    evaluate_chunk,
)
from planning.sweep.driver import (
    check_axes,
    load_base,
    run_sweep,
)

# private helpers that tests and benchmarks reach through the package
from planning.sweep.engine import (  # noqa: F401, E402
    MODEL_MODULES,
    Engine,
    ScenarioEngine,
    _milestones,
    _model_code_version,
)
from planning.sweep.outdir import (
    OutDir,
)
from planning.sweep.spec import (
    FORMAT_VERSION,
    METRIC_COLUMNS,
    RESERVED_COLUMNS,
    Output,
    Range,
    Samples,
    SweepSpec,
    SweepWarning,
    _canonical,  # noqa: F401, E402
    load_sweep,
)
from planning.sweep.variants import (
    DRY_RUN_CHECK_LIMIT,
    Variant,
    check_size,
    count_variants,
    iter_variants,
    plan_variants,
    sample_unit,
    variant_id,
    variants_of,
)

__all__ = [
    "ChunkJob",
    "ChunkResult",
    "DRY_RUN_CHECK_LIMIT",
    "Engine",
    "FORMAT_VERSION",
    "METRIC_COLUMNS",
    "MODEL_MODULES",
    "OutDir",
    "Output",
    "RESERVED_COLUMNS",
    "Range",
    "SPAWN_OVERHEAD_S",
    "SUMMARY_COLUMNS",
    "Samples",
    "ScenarioEngine",
    "Selection",
    "SweepOutcome",
    "SweepSpec",
    "SweepWarning",
    "Variant",
    "check_axes",
    "check_size",
    "count_variants",
    "describe",
    "evaluate_chunk",
    "iter_variants",
    "load_base",
    "load_sweep",
    "plan_variants",
    "read_sweep",
    "run_sweep",
    "sample_unit",
    "sweep",
    "variant_id",
    "variants_of",
]
