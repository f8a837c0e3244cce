"""Shared pieces of the plotly figures: palettes, the band of runs 1..N (P10-P90), layout and
small helpers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from planning.errors import InputError, require_columns
from planning.i18n import t
from planning.stats import quantiles, quantiles_over_runs

#: Quantiles of the uncertainty band (P10 and P90), as in the scenario summaries.
BAND_QUANTILES: tuple[float, float] = (0.1, 0.9)
#: Colours (colour-blind safe, Okabe-Ito palette).
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
#: Paul Tol's "muted" qualitative scheme (colour-blind safe; 9 colours and a pale grey) for charts
#: with more categories than PALETTE, such as the ten staff services (P. Tol, "Colour Schemes",
#: SRON/EPS/TN/09-002, 2021).
MANY_PALETTE: tuple[str, ...] = (
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#DDCC77",
    "#CC6677",
    "#882255",
    "#AA4499",
    "#DDDDDD",
)
FEMALE_COLOUR = "#CC79A7"
MALE_COLOUR = "#0072B2"
#: Preferred measure per service when a service reports several (first present wins).
MEASURE_PREFERENCE: tuple[str, ...] = (
    "users",
    "bed_days",
    "admissions",
    "births",
    "pupils",
    "cases",
    "contacts",
)
_FONT = dict(family="Segoe UI, Helvetica, Arial, sans-serif", size=13)


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    require_columns(df, columns, what)
    if df.empty:
        raise InputError(f"{what} frame has no rows", key=what)


def _central(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of the central run (run 0) without the ``run`` column; the frame itself if no runs."""
    if "run" not in df.columns:
        return df
    return df[df["run"] == 0].drop(columns="run")


def _has_runs(df: pd.DataFrame) -> bool:
    return "run" in df.columns and bool((df["run"] > 0).any())


def band(df: pd.DataFrame, keys: Sequence[str], value: str = "value") -> pd.DataFrame | None:
    """P10 and P90 of ``value`` over Monte Carlo runs 1..N for each ``keys`` group (None if no runs).

    ``df`` must already be summed to one row per (keys, run). Returns keys, p10, p90.
    """
    if not _has_runs(df):
        return None
    return quantiles(df, list(keys), value=value, q=BAND_QUANTILES)


def band_columns(values: np.ndarray, with_run: bool = True) -> dict[str, np.ndarray]:
    """The central line and the band of an array with runs as its first axis: ``value`` (run 0)
    and ``p10``/``p90`` over runs 1..N (:func:`planning.stats.quantiles_over_runs`, the same
    interpolation as :func:`band`), blank without drawn runs. Shapes: the array's without the
    first axis. The reduced form the charts take instead of every run's rows."""
    v = np.asarray(values, dtype=float)
    if with_run and v.shape[0] > 1:
        lo, hi = quantiles_over_runs(v[1:], BAND_QUANTILES, axis=0)
    else:
        lo = hi = np.full(v.shape[1:], np.nan)
    return {"value": v[0], "p10": lo, "p90": hi}


def is_reduced(df: pd.DataFrame) -> bool:
    """A frame already reduced over runs (central ``value`` with ``p10``/``p90`` columns, no
    ``run`` column), as :func:`band_columns` makes it, rather than one row per run."""
    return "run" not in df.columns and {"p10", "p90"} <= set(df.columns)


def line_and_band(
    df: pd.DataFrame, keys: Sequence[str], value: str = "value"
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The central line (``keys``, ``value``) and the P10–P90 band (``keys``, p10, p90; None
    without runs) of ``value`` summed per ``keys``: from a tidy frame with runs (summed per keys
    and run; the band over runs 1..N as :func:`band` takes it), or from a reduced frame
    (:func:`is_reduced`) that must already hold one row per ``keys`` (quantiles cannot be
    summed). Rows sorted by ``keys``. Raises InputError for a reduced frame with several rows
    per key."""
    keys = list(keys)
    if is_reduced(df):
        if df.duplicated(keys).any():
            raise InputError(
                f"the frame holds quantiles over runs with several rows per {keys}; quantiles "
                "cannot be summed: reduce the runs after summing",
                key="p10",
            )
        d = df.sort_values(keys, kind="stable")
        b = d[[*keys, "p10", "p90"]].reset_index(drop=True)
        return d[[*keys, value]].reset_index(drop=True), (b if b["p10"].notna().any() else None)
    by = keys + (["run"] if "run" in df.columns else [])
    d = df.groupby(by, as_index=False)[value].sum()
    return _central(d), band(d, keys, value=value)


def _band_trace(b: pd.DataFrame, colour: str, **kw: object) -> go.Scatter:
    """The P10-P90 band of :func:`band` over years as one filled, hover-less trace."""
    return go.Scatter(
        x=np.concatenate([b["year"], b["year"][::-1]]),
        y=np.concatenate([b["p90"], b["p10"][::-1]]),
        fill="toself",
        fillcolor=_rgba(colour, 0.2),
        line=dict(width=0),
        hoverinfo="skip",
        **kw,
    )


#: x values all whole numbers in this range make a year axis (calendar years of the model).
_YEARS = (1900, 2200)


def _year_axes(fig: go.Figure) -> None:
    """Format every x axis whose traces are all whole years as years: '2027', never '2 026,5'
    (plotly's automatic ticks of a short horizon fall between years) or '2 030' (thousands
    separator). A span of six years or less gets a tick every year."""
    by_axis: dict[str, list[Any]] = {}
    for trace in fig.data:
        x = getattr(trace, "x", None)
        if x is None:
            continue
        by_axis.setdefault(getattr(trace, "xaxis", None) or "x", []).append(x)
    for axis, xs in by_axis.items():
        try:
            values = np.concatenate([np.asarray(x, dtype=float).ravel() for x in xs])
        except (TypeError, ValueError):  # categories, dates: not a year axis
            continue
        values = values[np.isfinite(values)]
        if values.size == 0 or not np.all(values == np.round(values)):
            continue
        if values.min() < _YEARS[0] or values.max() > _YEARS[1]:
            continue
        update: dict[str, Any] = {"tickformat": "d"}
        if values.max() - values.min() <= 6:
            update["dtick"] = 1
        fig.layout["xaxis" + axis[1:]].update(update)


def _layout(fig: go.Figure, title: str, lang: str, **kw: object) -> go.Figure:
    _year_axes(fig)
    fig.update_layout(
        title=dict(text=title, x=0.01, xanchor="left"),
        font=_FONT,
        template="plotly_white",
        margin=dict(l=60, r=20, t=70, b=50),
        legend=dict(orientation="v", yanchor="top", y=1.0, x=1.02, xanchor="left"),
        separators=", " if lang == "nb" else ".,",
        **kw,
    )
    return fig


def _group_bounds(label: str) -> tuple[int, int]:
    """'80+' → (80, 200); '67-79' → (67, 79)."""
    s = label.strip()
    try:
        if s.endswith("+"):
            return int(s[:-1]), 200
        lo, hi = s.split("-")
        return int(lo), int(hi)
    except ValueError:
        raise InputError(
            f"cannot read age group '{label}'", key="groups", allowed="'80+' or '67-79'"
        ) from None


def _name(code: str, names: Mapping[str, str] | None, lang: str) -> str:
    if code == "region":
        return t("region", lang)
    return (names or {}).get(code, code)


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"
