"""Shared pieces of the plotly figures: palettes, the band of runs 1..N (P10-P90), layout and
small helpers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from planning.errors import InputError, require_columns
from planning.i18n import t
from planning.stats import quantiles

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


def _layout(fig: go.Figure, title: str, lang: str, **kw: object) -> go.Figure:
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
