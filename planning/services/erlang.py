"""Bed sizing by the Erlang loss model (M/M/c/c) and, for comparison, by a target occupancy.

Offered load = bed-days per year / 365 (mean number of occupied beds if nothing is refused).
Erlang B depends on the length-of-stay distribution only through its mean (insensitivity), so
only bed-days matter. Re-exported by :mod:`planning.capacity`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planning.errors import InputError


def _check_load(offered_load: Any) -> np.ndarray:
    a = np.asarray(offered_load, dtype=float)
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise InputError("offered load must be finite and >= 0", key="offered_load", allowed=">= 0")
    return a


def erlang_b(servers: Any, offered_load: Any) -> Any:
    """Blocking probability of an M/M/c/c loss system (Erlang B).

    ``servers`` c (integer >= 0, beds) and ``offered_load`` a (>= 0, Erlangs = mean occupied beds
    without refusals) broadcast together. Uses the recursion B(0) = 1,
    B(k) = a B(k-1) / (k + a B(k-1)), which stays in [0, 1] and is stable for any c.
    Returns a float for scalar input, else an array.
    """
    c = np.asarray(servers)
    if c.dtype.kind not in "iu":
        if not np.all(np.isfinite(c)) or np.any(np.asarray(c, dtype=float) % 1 != 0):
            raise InputError("servers must be whole numbers", key="servers", allowed="0, 1, 2, ...")
        c = c.astype(np.int64)
    if np.any(c < 0):
        raise InputError("servers must be >= 0", key="servers", allowed="0, 1, 2, ...")
    a = _check_load(offered_load)
    c, a = np.broadcast_arrays(c, a)
    out = np.ones(a.shape)
    b = np.ones(a.shape)
    cmax = int(c.max()) if c.size else 0
    for k in range(1, cmax + 1):
        ab = a * b
        b = ab / (k + ab)
        out = np.where(c == k, b, out)
    return float(out) if out.ndim == 0 else out


def beds_for_blocking(offered_load: Any, max_blocking: Any, max_beds: Any = None) -> Any:
    """Fewest beds whose Erlang-B refusal probability is at most ``max_blocking`` (in (0, 1)).

    Zero load needs zero beds. Vectorised over ``offered_load`` (and ``max_blocking``, which
    broadcasts against it). ``max_beds`` (broadcast with the load; e.g. the inhabitants served)
    caps the answer: no unit needs more beds than it has people, since a person occupies at most
    one bed. Returns int or int array.
    """
    mb = np.asarray(max_blocking, dtype=float)
    if not np.all((mb > 0.0) & (mb < 1.0)):
        raise InputError(
            f"max_blocking {max_blocking} is not a probability strictly between 0 and 1",
            key="max_refusal",
            allowed="(0, 1)",
        )
    a = _check_load(offered_load)
    flat = a.ravel()
    limit = np.broadcast_to(mb, a.shape).ravel() if mb.ndim else mb
    beds = np.zeros(flat.shape, dtype=np.int64)
    todo = flat > 0
    if max_beds is not None:
        cap = np.ceil(np.broadcast_to(np.asarray(max_beds, dtype=float), a.shape)).ravel()
        cap = np.maximum(cap, 0).astype(np.int64)
    else:
        cap = None
    b = np.ones(flat.shape)
    k = 0
    while todo.any():
        k += 1
        if cap is not None:
            at_cap = todo & (cap < k)
            beds[at_cap] = cap[at_cap]
            todo &= ~at_cap
            if not todo.any():
                break
        ab = flat * b
        b = ab / (k + ab)
        done_now = todo & (b <= limit)
        beds[done_now] = k
        todo &= ~done_now
    out = beds.reshape(a.shape)
    return int(out) if out.ndim == 0 else out


def beds_alone(offered_load: Any, occupancy: Any, max_beds: Any = None) -> Any:
    """Beds a municipality runs alone inside its sykehjem: at most ``occupancy`` on average
    (:func:`beds_for_occupancy`), and at least one wherever there is any load (the ØHD duty
    holds for every municipality). Small municipalities run one or two beds and accept the
    refusals (Selbu: one ØHD bed at Selbu sykehjem); the refusal probability stays visible
    (Erlang B). ``max_beds`` caps as in :func:`beds_for_blocking`. Returns int or int array."""
    a = _check_load(offered_load)
    beds = np.maximum(beds_for_occupancy(a, occupancy), (a > 0).astype(np.int64))
    if max_beds is not None:
        cap = np.ceil(np.broadcast_to(np.asarray(max_beds, dtype=float), a.shape))
        beds = np.minimum(beds, np.maximum(cap, 0).astype(np.int64))
    return int(beds) if np.ndim(beds) == 0 else beds


def beds_for_occupancy(offered_load: Any, occupancy_target: Any) -> Any:
    """Beds so that the mean occupancy load / beds does not exceed ``occupancy_target`` (0, 1].

    This is the classic planning rule that ignores refusals (compare with Erlang B)."""
    ot = np.asarray(occupancy_target, dtype=float)
    if not np.all((ot > 0.0) & (ot <= 1.0)):
        raise InputError(
            f"occupancy target {occupancy_target} outside (0, 1]",
            key="occupancy_target",
            allowed="(0, 1]",
        )
    a = _check_load(offered_load)
    out = np.ceil(a / ot - 1e-9).astype(np.int64)
    out = np.maximum(out, 0)
    return int(out) if out.ndim == 0 else out


def compare_pooling(
    offered_load: pd.Series | dict[str, float],
    max_refusal: float,
    occupancy_target: float | None = None,
    pooled_name: str = "pooled",
) -> pd.DataFrame:
    """Beds for separate units versus one pooled unit at the same refusal target.

    ``offered_load``: Erlangs per unit (e.g. bed-days / 365), indexed by unit name. Returns one row
    per separate unit, a row 'separate_total' and a row ``pooled_name`` with columns unit,
    offered_load, beds (Erlang B), refusal_probability, occupancy (mean share of beds in use) and,
    if ``occupancy_target`` is given, beds_at_occupancy_target.
    """
    s = pd.Series(offered_load, dtype=float)
    if s.empty:
        raise InputError("no units to compare", key="offered_load")
    loads = np.append(s.to_numpy(), s.sum())
    beds = beds_for_blocking(loads, max_refusal)
    refusal = erlang_b(beds, loads)
    carried = loads * (1 - refusal)
    sep = slice(0, len(s))
    total_load = loads[sep].sum()
    lost_share = 1 - carried[sep].sum() / total_load if total_load > 0 else 0.0
    rows = pd.DataFrame(
        {
            "unit": [*map(str, s.index), "separate_total", pooled_name],
            "offered_load": [*loads[sep], loads[sep].sum(), loads[-1]],
            "beds": [*beds[sep], beds[sep].sum(), beds[-1]],
            "refusal_probability": [
                *refusal[sep],
                lost_share,  # share of all patients refused across the separate units
                refusal[-1],
            ],
            "occupancy": [
                *np.divide(carried, beds, out=np.zeros_like(carried), where=beds > 0)[sep],
                carried[sep].sum() / max(beds[sep].sum(), 1),
                carried[-1] / max(beds[-1], 1),
            ],
        }
    )
    if occupancy_target is not None:
        occ = beds_for_occupancy(loads, occupancy_target)
        rows["beds_at_occupancy_target"] = [*occ[sep], occ[sep].sum(), occ[-1]]
    return rows
