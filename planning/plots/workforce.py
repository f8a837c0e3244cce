"""The workforce view (issue 17): FTE per 100 inhabitants aged 20-66, inhabitants aged 20-66
per inhabitant aged 80+, and FTE by profession against the base year.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from planning.i18n import check_language, fmt_number, fmt_signed, t
from planning.plots.common import (
    PALETTE,
    _layout,
    _name,
    _require,
)


# ----------------------------------------------------------------------------------------------
# workforce (issue 17)
# ----------------------------------------------------------------------------------------------
def workforce_ratios(
    workforce: pd.DataFrame,
    lang: str = "nb",
    names: Mapping[str, str] | None = None,
    national_fte: Mapping[str, object] | None = None,
) -> go.Figure:
    """Two panels by year: modelled FTE per 100 inhabitants aged 20-66 per municipality and for
    the region (with the national care-service figure of ``national_fte`` as a marker, if given),
    and inhabitants aged 20-66 per inhabitant aged 80+ per municipality, region and Norway
    (dashed). ``workforce``: :func:`planning.workforce.workforce_frame`."""
    check_language(lang)
    _require(
        workforce,
        ["municipality_code", "year", "fte_per_100_working_age", "working_age_per_80plus"],
        "workforce",
    )
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=[t("fte_per_100", lang), t("care_ratio", lang)],
        horizontal_spacing=0.1,
    )
    codes = [
        c for c in dict.fromkeys(workforce["municipality_code"]) if c not in ("region", "norway")
    ]
    series = [*codes, "region", "norway"]
    for k, code in enumerate(series):
        d = workforce[workforce["municipality_code"] == code]
        if code == "norway":
            label, colour, dash, width = t("norway", lang), "#000000", "dash", 2.5
        elif code == "region":
            label, colour, dash, width = t("region", lang), "#444444", "solid", 3.5
        else:
            label, colour, dash, width = (
                _name(code, names, lang),
                PALETTE[k % len(PALETTE)],
                "solid",
                1.8,
            )
        for col, metric in ((1, "fte_per_100_working_age"), (2, "working_age_per_80plus")):
            dd = d[d[metric].notna()]
            if dd.empty:
                continue
            fig.add_trace(
                go.Scatter(
                    x=dd["year"],
                    y=dd[metric],
                    mode="lines",
                    name=label,
                    legendgroup=code,
                    showlegend=col == 2,
                    line=dict(color=colour, dash=dash, width=width),
                    hovertemplate="%{x}: %{y:,.1f}<extra>" + label + "</extra>",
                ),
                row=1,
                col=col,
            )
    if national_fte is not None:
        nat = workforce[
            (workforce["municipality_code"] == "norway")
            & workforce["care_fte_per_100_working_age"].notna()
        ]
        if len(nat):
            label = t("norway_care_fte", lang, year=national_fte.get("year"))
            fig.add_trace(
                go.Scatter(
                    x=nat["year"],
                    y=nat["care_fte_per_100_working_age"],
                    mode="markers+text",
                    marker=dict(symbol="diamond", size=11, color="#000000"),
                    text=[fmt_number(v, lang, 1) for v in nat["care_fte_per_100_working_age"]],
                    textposition="top center",
                    name=label,
                    hovertemplate="%{x}: %{y:,.1f}<extra>" + label + "</extra>",
                ),
                row=1,
                col=1,
            )
    fig.update_yaxes(rangemode="tozero")
    fig.update_xaxes(title_text=t("year", lang))
    return _layout(fig, t("workforce_title", lang), lang=lang, height=460)


def profession_bars(
    professions: pd.DataFrame, lang: str = "nb", labels: Mapping[str, str] | None = None
) -> go.Figure:
    """Modelled FTE of the region per profession group (bars) for each year in the frame, the
    base year ('today') first. ``professions``: :func:`planning.workforce.profession_fte`."""
    check_language(lang)
    _require(professions, ["profession", "year", "fte", "fte_today"], "professions")
    years = sorted(professions["year"].unique())
    fig = go.Figure()
    grey = ("#BBBBBB",)
    for k, y in enumerate(years):
        d = professions[professions["year"] == y]
        x = [(labels or {}).get(p, p) for p in d["profession"]]
        fig.add_trace(
            go.Bar(
                x=x,
                y=d["fte"],
                name=str(y),
                marker_color=(grey + PALETTE)[k % (len(PALETTE) + 1)],
                # the change as text: plotly's '+,.1f' would show '+0.0' / '−0.0' for none
                customdata=np.c_[[fmt_signed(v, lang, 1) for v in d["fte"] - d["fte_today"]]],
                hovertemplate="%{x}: %{y:,.1f} (%{customdata[0]})<extra>" + str(y) + "</extra>",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text=t("fte", lang), rangemode="tozero")
    return _layout(fig, t("profession_title", lang, base=years[0]), lang=lang, height=430)
