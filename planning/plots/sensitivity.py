"""What drives a result: the tornado (planning.sensitivity) and the waterfall
(planning.decomposition).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from planning.errors import InputError
from planning.i18n import check_language
from planning.plots.common import (
    PALETTE,
    _layout,
    _require,
)

# ----------------------------------------------------------------------------------------------
# tornado and waterfall (planning.sensitivity, planning.decomposition)
# ----------------------------------------------------------------------------------------------
_HEADLINE_TEXT = {
    "fte": ("årsverk", "FTE"),
    "cost_nok": ("kostnad per år (mill. kr)", "cost per year (NOK million)"),
    "beds": ("senger", "beds"),
}
#: The references a difference is measured against, as a reader says them.
_REFERENCE_TEXT = {
    "today": ("i dag", "today"),
    "alone": ("hver kommune for seg", "each municipality alone"),
}


def _scale(metric: str) -> float:
    """Costs are drawn in NOK million (plotly would write 1,3B, which no reader of bokmål says)."""
    return 1e6 if metric.partition("_vs_")[0] == "cost_nok" else 1.0


def headline_label(metric: str, lang: str = "nb", reference: str | None = None) -> str:
    """Label of a tornado metric ('fte', 'cost_nok', 'beds' or '<metric>_vs_<reference>')."""
    base, _, ref = metric.partition("_vs_")
    nb, en = _HEADLINE_TEXT.get(base, (base, base))
    text = nb if lang == "nb" else en
    if ref:
        other = _REFERENCE_TEXT.get(ref, (ref, ref))[0 if lang == "nb" else 1]
        text = (
            f"forskjell i {text} mot {other}"
            if lang == "nb"
            else f"difference in {text} against {other}"
        )
    return text


def tornado(
    table: pd.DataFrame,
    metric: str,
    lang: str = "nb",
    n: int = 10,
    labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Tornado chart of the ``n`` largest swings of ``metric`` (from
    :func:`planning.sensitivity.tornado`): one bar per parameter from the headline at its low to
    the headline at its high value, around the central value."""
    check_language(lang)
    _require(
        table,
        ["parameter", "metric", "central", "at_low", "at_high", "swing", "evaluated"],
        "tornado",
    )
    t_ = table[(table["metric"] == metric) & table["evaluated"]]
    if t_.empty:
        raise InputError(f"no tornado rows for metric {metric}", key="metric")
    t_ = t_.reindex(t_["swing"].abs().sort_values(ascending=False).index).head(n).iloc[::-1]
    k = _scale(metric)
    t_ = t_.assign(**{c: t_[c] / k for c in ("central", "at_low", "at_high")})
    central = float(t_["central"].iloc[0])
    from planning.parameter_text import parameter_label

    names = [(labels or {}).get(p, parameter_label(p, lang)) for p in t_["parameter"]]
    low_text, high_text = ("lav", "høy") if lang == "nb" else ("low", "high")
    fig = go.Figure()
    for col, name, colour in (("at_low", low_text, PALETTE[0]), ("at_high", high_text, PALETTE[1])):
        fig.add_trace(
            go.Bar(
                y=names,
                x=t_[col] - central,
                base=central,
                orientation="h",
                name=name,
                marker_color=colour,
                customdata=np.stack([t_["low"], t_["high"], t_[col]], axis=1),
                hovertemplate="%{y}<br>"
                + ("verdi " if lang == "nb" else "value ")
                + ("%{customdata[0]:.4g}" if col == "at_low" else "%{customdata[1]:.4g}")
                + ": %{customdata[2]:,.1f}<extra></extra>",
            )
        )
    fig.add_vline(x=central, line_color="#444", line_width=1)
    title = (
        f"Hva betyr mest: {headline_label(metric, lang)}"
        if lang == "nb"
        else f"What matters most: {headline_label(metric, lang)}"
    )
    return _layout(
        fig,
        title,
        lang,
        barmode="overlay",
        height=120 + 32 * len(t_),
        xaxis_title=headline_label(metric, lang),
        yaxis_automargin=True,  # room for readable parameter names
    )


def waterfall(table: pd.DataFrame, metric: str, lang: str = "nb") -> go.Figure:
    """Waterfall of ``metric`` from the first year to the horizon (from
    :func:`planning.decomposition.waterfall`): the start, one bar per driver, the end."""
    check_language(lang)
    _require(table, ["metric", "driver", "label_nb", "label_en", "after", "change"], "waterfall")
    t_ = table[table["metric"] == metric]
    if t_.empty:
        raise InputError(f"no waterfall rows for metric {metric}", key="metric")
    label = "label_nb" if lang == "nb" else "label_en"
    start = t_[t_["driver"] == "start"].iloc[0]
    total = t_[t_["driver"] == "total"].iloc[0]
    steps = t_[~t_["driver"].isin(["start", "total"])]
    end_text = f"{int(total['year_to'])}"
    fig = go.Figure(
        go.Waterfall(
            x=[f"{start[label]} ({int(start['year_from'])})", *steps[label], end_text],
            y=[
                start["after"] / _scale(metric),
                *(steps["change"] / _scale(metric)),
                total["after"] / _scale(metric),
            ],
            measure=["absolute", *["relative"] * len(steps), "total"],
            increasing={"marker": {"color": PALETTE[5]}},
            decreasing={"marker": {"color": PALETTE[2]}},
            totals={"marker": {"color": PALETTE[0]}},
            connector={"line": {"color": "#888"}},
        )
    )
    title = (
        f"Hvorfor endres {headline_label(metric, lang)}"
        if lang == "nb"
        else f"Why {headline_label(metric, lang)} changes"
    )
    return _layout(fig, title, lang, showlegend=False, yaxis_title=headline_label(metric, lang))
