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
    drawn in grey, and only those, so the figure stays small for any region. Each municipality is
    one trace named by its name (its polygons separated by gaps). Works offline: plain cartesian
    traces in lon/lat with the aspect ratio of the region's mean latitude."""
    traces, layout = region_map_parts(
        geometry, places, travel, municipalities, lang, hub_role, context, hub
    )
    title = layout.pop("title")
    fig = go.Figure(data=traces, layout=layout)
    return _layout(fig, title, lang=lang, height=700)


def region_map_parts(
    geometry,
    places: pd.DataFrame,
    travel: pd.DataFrame,
    municipalities: Sequence[str],
    lang: str = "nb",
    hub_role: str = "dms",
    context: bool = True,
    hub: str | None = None,
    around=None,
) -> tuple[list[dict], dict]:
    """The traces (plain dicts, in drawing order) and layout (annotations, axes and the title
    text under ``title``) of :func:`region_map`, without building a figure: a live chart can
    take them without plotly validating a whole new figure. ``around``: the neighbours' rows of
    ``geometry`` when already known (default :func:`neighbours`). Errors as :func:`region_map`."""
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
    traces: list[dict] = []
    annotations: list[dict] = []
    if context:
        if around is None:
            around = neighbours(geometry, codes)
        xs, ys = _ring_lines(around.geometry)
        traces.append(
            dict(
                type="scatter",
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
        xs, ys = _ring_lines([row.geometry])
        traces.append(  # fill "toself" closes each ring between gaps on its own
            dict(
                type="scatter",
                x=xs,
                y=ys,
                mode="lines",
                fill="toself",
                fillcolor=_rgba(colour, 0.25),
                line=dict(color=colour, width=1.5),
                name=str(row.municipality_name),
                legendgroup=str(row.municipality_code),
                hoverinfo="name",
            )
        )
        label_at = row.geometry.representative_point()
        annotations.append(
            dict(
                x=label_at.x,
                y=label_at.y,
                text=f"<b>{row.municipality_name}</b>",
                showarrow=False,
                font=dict(size=12, color="#333333"),
                yshift=-14,
            )
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
            traces.append(
                dict(
                    type="scatter",
                    x=[float(a["lon"]), float(b["lon"])],
                    y=[float(a["lat"]), float(b["lat"])],
                    mode="lines",
                    line=dict(
                        color="#444444", width=1.5, dash="dot" if status == "estimated" else "solid"
                    ),
                    hoverinfo="text",
                    hovertext=f"{a['name']} → {b['name']}: {text}",
                    showlegend=False,
                )
            )
            annotations.append(
                dict(
                    x=(float(a["lon"]) + float(b["lon"])) / 2,
                    y=(float(a["lat"]) + float(b["lat"])) / 2,
                    text=text,
                    showarrow=False,
                    font=dict(size=11, color="#222222"),
                    bgcolor="rgba(255,255,255,0.75)",
                )
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
        traces.append(
            dict(
                type="scatter",
                x=d["lon"].to_numpy(dtype=float),
                y=d["lat"].to_numpy(dtype=float),
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
    title = (
        t("map_title", lang, hub=str(p.loc[hub, "name"]).split(" (")[0])
        if hub is not None and hub in p.index
        else t("map_no_hub", lang)
    )
    layout = {
        "title": title,
        "annotations": annotations,
        "xaxis": dict(range=[minx - padx, maxx + padx], visible=False),
        "yaxis": dict(
            range=[miny - pady, maxy + pady],
            visible=False,
            scaleanchor="x",
            scaleratio=1.0 / math.cos(math.radians(mean_lat)),
        ),
    }
    return traces, layout


def _ring_lines(geoms) -> tuple[list, list]:
    """x and y of the exterior rings of ``geoms``, one ring after another with a gap (None)."""
    xs: list = []
    ys: list = []
    for geom in geoms:
        for ring in _rings(geom):
            xs += [*ring[:, 0].tolist(), None]
            ys += [*ring[:, 1].tolist(), None]
    return xs, ys
