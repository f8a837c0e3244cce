"""The region map: member municipalities, their neighbours and the shared units' hub."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from planning.errors import InputError
from planning.i18n import check_language, status_label, t
from planning.plots.common import (
    PALETTE,
    _layout,
    _require,
    _rgba,
)


# ----------------------------------------------------------------------------------------------
# map
# ----------------------------------------------------------------------------------------------
def _rings(geom) -> list[np.ndarray]:
    """Exterior rings of a (multi)polygon as arrays of (lon, lat)."""
    polys = getattr(geom, "geoms", [geom])
    return [np.asarray(p.exterior.coords) for p in polys]


def neighbours(geometry, codes: Sequence[str], margin_deg: float = 0.01):
    """Rows of ``geometry`` outside ``codes`` whose polygons touch the region (within
    ``margin_deg`` degrees, about 1 km): the neighbours a map draws for context."""
    inside = geometry["municipality_code"].isin(list(codes))
    if not inside.any():
        return geometry.iloc[0:0]
    with warnings.catch_warnings():  # a margin in degrees is meant (about 1 km)
        warnings.simplefilter("ignore", UserWarning)
        region = geometry.loc[inside].geometry.buffer(margin_deg).union_all()
    others = geometry.loc[~inside]
    return others[others.geometry.intersects(region)]


def map_hub(places: pd.DataFrame, codes: Sequence[str], hub_role: str = "dms") -> str | None:
    """Place id the region map draws travel lines to: the region's place with ``hub_role``, else
    the hospital nearest the mean of the region's centres; None when there is neither."""
    roles = places["role"].astype(str).str.split(";")
    inside = places["municipality_code"].astype(str).isin(list(codes))
    hubs = places[inside & roles.apply(lambda r: hub_role in r)]
    if not hubs.empty:
        return str(hubs["place_id"].iloc[0])
    hospitals = places[roles.apply(lambda r: "hospital" in r)]
    centres = places[inside & roles.apply(lambda r: "municipality_centre" in r)]
    if hospitals.empty or centres.empty:
        return None
    lat, lon = float(centres["lat"].mean()), float(centres["lon"].mean())
    d2 = (hospitals["lat"] - lat) ** 2 + (
        (hospitals["lon"] - lon) * math.cos(math.radians(lat))
    ) ** 2
    return str(hospitals.loc[d2.idxmin(), "place_id"])


def region_map(
    geometry,
    places: pd.DataFrame,
    travel: pd.DataFrame,
    municipalities: Sequence[str],
    lang: str = "nb",
    hub_role: str = "dms",
    context: bool = True,
    hub: str | None = None,
) -> go.Figure:
    """Map of any region without web tiles: municipality polygons (from a GeoDataFrame with
    municipality_code, municipality_name, geometry in WGS84; all of Norway may be passed), places
    (markers by role) and the travel time from each municipality centre to a hub (lines labelled
    in minutes; estimated times marked as such). The hub is ``hub`` (a place id) if given, else
    the region's place with ``hub_role`` (the DMS in Værnes), else the hospital nearest the
    region. With ``context`` the neighbouring municipalities (polygons touching the region) are
    drawn in grey, and only those, so the figure stays small for any region. Works offline:
    plain cartesian traces in lon/lat with the aspect ratio of the region's mean latitude."""
    check_language(lang)
    _require(geometry, ["municipality_code", "municipality_name", "geometry"], "geometry")
    _require(places, ["place_id", "name", "municipality_code", "role", "lat", "lon"], "places")
    codes = [str(c) for c in municipalities]
    unknown = sorted(set(codes) - set(geometry["municipality_code"]))
    if unknown:
        raise InputError(
            f"no geometry for municipalities {unknown}",
            key="municipalities",
            allowed=sorted(geometry["municipality_code"]),
        )
    inside = geometry[geometry["municipality_code"].isin(codes)]
    minx, miny, maxx, maxy = inside.total_bounds
    padx, pady = 0.15 * (maxx - minx) + 0.05, 0.15 * (maxy - miny) + 0.03
    fig = go.Figure()
    if context:
        around = neighbours(geometry, codes)
        xs: list[float] = []
        ys: list[float] = []
        for geom in around.geometry:
            for ring in _rings(geom):
                xs += [*ring[:, 0].tolist(), None]
                ys += [*ring[:, 1].tolist(), None]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line=dict(color="#bbbbbb", width=0.8),
                name=t("other_municipalities", lang),
                hoverinfo="skip",
            )
        )
    for k, row in enumerate(inside.sort_values("municipality_code").itertuples()):
        colour = PALETTE[k % len(PALETTE)]
        first = True
        for ring in _rings(row.geometry):
            fig.add_trace(
                go.Scatter(
                    x=ring[:, 0],
                    y=ring[:, 1],
                    mode="lines",
                    fill="toself",
                    fillcolor=_rgba(colour, 0.25),
                    line=dict(color=colour, width=1.5),
                    name=f"{row.municipality_name} ({row.municipality_code})",
                    legendgroup=row.municipality_code,
                    showlegend=first,
                    hoverinfo="name",
                )
            )
            first = False
        label_at = row.geometry.representative_point()
        fig.add_annotation(
            x=label_at.x,
            y=label_at.y,
            text=f"<b>{row.municipality_name}</b>",
            showarrow=False,
            font=dict(size=12, color="#333333"),
            yshift=-14,
        )
    p = places.set_index("place_id")
    hub = hub if hub is not None else map_hub(places, codes, hub_role)
    if (
        hub is not None
        and hub in p.index
        and {"from_id", "to_id", "minutes"} <= set(travel.columns)
    ):
        centres = places[
            (places["municipality_code"].isin(codes))
            & places["role"].str.contains("municipality_centre")
            & (places["place_id"] != hub)
        ]
        legs = travel[(travel["to_id"] == hub) & travel["from_id"].isin(centres["place_id"])]
        status_col = "minutes_status" if "minutes_status" in travel.columns else "status"
        for leg in legs.itertuples():
            a, b = p.loc[leg.from_id], p.loc[hub]
            status = getattr(leg, status_col, "")
            text = t("map_minutes", lang, minutes=float(leg.minutes))
            if status and status != "sourced":
                text += f" ({status_label(str(status), lang)})"
            fig.add_trace(
                go.Scatter(
                    x=[a["lon"], b["lon"]],
                    y=[a["lat"], b["lat"]],
                    mode="lines",
                    line=dict(
                        color="#444444", width=1.5, dash="dot" if status == "estimated" else "solid"
                    ),
                    hoverinfo="text",
                    hovertext=f"{a['name']} → {b['name']}: {text}",
                    showlegend=False,
                )
            )
            fig.add_annotation(
                x=(a["lon"] + b["lon"]) / 2,
                y=(a["lat"] + b["lat"]) / 2,
                text=text,
                showarrow=False,
                font=dict(size=11, color="#222222"),
                bgcolor="rgba(255,255,255,0.75)",
            )
    shown = places[
        (places["lon"].between(minx - padx, maxx + padx))
        & (places["lat"].between(miny - pady, maxy + pady))
    ]
    for role, symbol, colour in (
        ("municipality_centre", "circle", "#333333"),
        ("legevakt", "cross", "#D55E00"),
        ("hospital", "square", "#009E73"),
        ("dms", "star", "#E69F00"),
    ):
        d = shown[shown["role"].str.split(";").apply(lambda r, role=role: role in r)]
        if d.empty:
            continue
        label = t(f"role_{role}", lang)
        hover = [
            f"{n} ({label}" + (f", {status_label(s, lang)}" if s != "seen" else "") + ")"
            for n, s in zip(d["name"], d.get("status", pd.Series(["seen"] * len(d))), strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=d["lon"],
                y=d["lat"],
                mode="markers",
                marker=dict(
                    symbol=symbol,
                    size=14 if role == "dms" else 9,
                    color=colour,
                    line=dict(color="white", width=1),
                ),
                name=label,
                hoverinfo="text",
                hovertext=hover,
            )
        )
    mean_lat = float((miny + maxy) / 2)
    fig.update_xaxes(range=[minx - padx, maxx + padx], visible=False)
    fig.update_yaxes(
        range=[miny - pady, maxy + pady],
        visible=False,
        scaleanchor="x",
        scaleratio=1.0 / math.cos(math.radians(mean_lat)),
    )
    title = (
        t("map_title", lang, hub=str(p.loc[hub, "name"]).split(" (")[0])
        if hub is not None and hub in p.index
        else t("map_no_hub", lang)
    )
    return _layout(fig, title, lang=lang, height=700)
