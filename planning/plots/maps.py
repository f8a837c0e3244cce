"""The region map: member municipalities, their neighbours and the shared units' hub."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely

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
    inside = geometry["municipality_code"].isin(list(codes)).to_numpy()
    if not inside.any():
        return geometry.iloc[0:0]
    geoms = geometry.geometry.values  # a margin in degrees is meant (about 1 km)
    region = shapely.union_all(shapely.buffer(geoms[inside]._data, margin_deg, quad_segs=16))
    touching = shapely.intersects(geoms._data, region) & ~inside
    return geometry[touching]


class _Places:
    """The places table read once into plain columns: roles split, one row per place id."""

    def __init__(self, places: pd.DataFrame) -> None:
        self.ids = [str(x) for x in places["place_id"]]
        self.names = list(places["name"])
        self.codes = [str(x) for x in places["municipality_code"]]
        self.role_text = list(places["role"])
        self.roles = [str(r).split(";") for r in self.role_text]
        self.lat = places["lat"].to_numpy(dtype=float)
        self.lon = places["lon"].to_numpy(dtype=float)
        self.status = list(places["status"]) if "status" in places.columns else None
        self.row = {pid: k for k, pid in enumerate(self.ids)}

    def having(self, role: str) -> np.ndarray:
        return np.array([role in r for r in self.roles], dtype=bool)

    def hub(self, codes: Sequence[str], hub_role: str) -> str | None:
        """:func:`map_hub` of these places."""
        inside = np.isin(np.array(self.codes, dtype=object), list(codes))
        hubs = np.flatnonzero(inside & self.having(hub_role))
        if hubs.size:
            return self.ids[hubs[0]]
        hospitals = np.flatnonzero(self.having("hospital"))
        centres = inside & self.having("municipality_centre")
        if hospitals.size == 0 or not centres.any():
            return None
        lat, lon = float(np.nanmean(self.lat[centres])), float(np.nanmean(self.lon[centres]))
        d2 = (self.lat[hospitals] - lat) ** 2 + (
            (self.lon[hospitals] - lon) * math.cos(math.radians(lat))
        ) ** 2
        return self.ids[hospitals[int(np.nanargmin(d2))]]


def map_hub(places: pd.DataFrame, codes: Sequence[str], hub_role: str = "dms") -> str | None:
    """Place id the region map draws travel lines to: the region's place with ``hub_role``, else
    the hospital nearest the mean of the region's centres; None when there is neither."""
    return _Places(places).hub(codes, hub_role)


class MapIndex:
    """Geometry (GeoDataFrame: municipality_code, municipality_name, geometry in WGS84), places
    and travel read once for drawing many regions' maps (:func:`region_map_parts`; the explore
    notebook draws one per set of municipalities). What belongs to one municipality (its
    outline, label point and bounds) and to one hub (the travel legs to it) is computed the first
    time a map needs it and kept: it does not depend on the set it is drawn in."""

    def __init__(self, geometry, places: pd.DataFrame, travel: pd.DataFrame) -> None:
        _require(geometry, ["municipality_code", "municipality_name", "geometry"], "geometry")
        _require(places, ["place_id", "name", "municipality_code", "role", "lat", "lon"], "places")
        self.geometry, self.travel = geometry, travel
        self.places = _Places(places)
        self.codes = list(geometry["municipality_code"])
        self._pos = {str(c): k for k, c in enumerate(self.codes)}
        self._names = list(geometry["municipality_name"])
        self._geoms = geometry.geometry.values
        self._outline: dict[int, tuple[list, list]] = {}
        self._label: dict[int, tuple[float, float]] = {}
        self._bounds: dict[int, np.ndarray] = {}
        self._legs: dict[str, list[int]] = {}
        self._travel_cols = travel is not None and {"from_id", "to_id", "minutes"} <= set(
            travel.columns
        )
        self._travel: dict[str, Any] = {}  # travel columns as arrays, read when first needed

    def outline(self, k: int) -> tuple[list, list]:
        """x and y of the exterior rings of row ``k``'s polygons (:func:`_ring_lines`)."""
        if k not in self._outline:
            self._outline[k] = _ring_lines([self._geoms[k]])
        return self._outline[k]

    def label_point(self, k: int) -> tuple[float, float]:
        if k not in self._label:
            pt = self._geoms[k].representative_point()
            self._label[k] = (pt.x, pt.y)
        return self._label[k]

    def bounds(self, k: int) -> np.ndarray:
        if k not in self._bounds:
            self._bounds[k] = shapely.bounds(self._geoms[k])
        return self._bounds[k]

    def rows(self, codes: Sequence[str]) -> list[int]:
        """Rows of ``codes`` in the order of the geometry."""
        return sorted(self._pos[str(c)] for c in codes if str(c) in self._pos)

    def travel_column(self, name: str) -> np.ndarray:
        """A column of the travel table as an array (object for text), read once."""
        if name not in self._travel:
            col = self.travel[name]
            self._travel[name] = col.to_numpy(dtype=float if col.dtype.kind == "f" else object)
        return self._travel[name]

    def legs_to(self, hub: str) -> list[int]:
        """Rows of the travel table to ``hub``, in its order."""
        if hub not in self._legs:
            self._legs[hub] = np.flatnonzero(self.travel_column("to_id") == hub).tolist()
        return self._legs[hub]


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
    index: MapIndex | None = None,
) -> tuple[list[dict], dict]:
    """The traces (plain dicts, in drawing order) and layout (annotations, axes and the title
    text under ``title``) of :func:`region_map`, without building a figure: a live chart can
    take them without plotly validating a whole new figure. ``around``: the neighbours when
    already known, as rows of ``geometry`` or their municipality codes (default
    :func:`neighbours`). ``index``: a :class:`MapIndex` of these three tables, kept by a caller
    that draws many maps (each municipality's outline read once). Errors as :func:`region_map`."""
    check_language(lang)
    ix = index if index is not None else MapIndex(geometry, places, travel)
    codes = [str(c) for c in municipalities]
    unknown = sorted(set(codes) - set(ix.codes))
    if unknown:
        raise InputError(
            f"no geometry for municipalities {unknown}",
            key="municipalities",
            allowed=sorted(ix.codes),
        )
    inside = ix.rows(codes)
    b = np.array([ix.bounds(k) for k in inside])
    minx, miny = float(np.nanmin(b[:, 0])), float(np.nanmin(b[:, 1]))
    maxx, maxy = float(np.nanmax(b[:, 2])), float(np.nanmax(b[:, 3]))
    padx, pady = 0.15 * (maxx - minx) + 0.05, 0.15 * (maxy - miny) + 0.03
    traces: list[dict] = []
    annotations: list[dict] = []
    if context:
        if around is None:
            around = neighbours(geometry, codes)
        near = around["municipality_code"] if hasattr(around, "columns") else around
        xs, ys = [], []
        for k in ix.rows(near):
            x, y = ix.outline(k)
            xs += x
            ys += y
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
    for n, k in enumerate(sorted(inside, key=lambda k: str(ix.codes[k]))):
        colour = PALETTE[n % len(PALETTE)]
        xs, ys = ix.outline(k)
        name, code = str(ix._names[k]), str(ix.codes[k])
        traces.append(  # fill "toself" closes each ring between gaps on its own
            dict(
                type="scatter",
                x=list(xs),
                y=list(ys),
                mode="lines",
                fill="toself",
                fillcolor=_rgba(colour, 0.25),
                line=dict(color=colour, width=1.5),
                name=name,
                legendgroup=code,
                hoverinfo="name",
            )
        )
        x, y = ix.label_point(k)
        annotations.append(
            dict(
                x=x,
                y=y,
                text=f"<b>{name}</b>",
                showarrow=False,
                font=dict(size=12, color="#333333"),
                yshift=-14,
            )
        )
    pl = ix.places
    hub = hub if hub is not None else pl.hub(codes, hub_role)
    if hub is not None and hub in pl.row and ix._travel_cols:
        member = set(codes)
        centres = {
            pid
            for pid, c, role in zip(pl.ids, pl.codes, pl.role_text, strict=True)
            if c in member and "municipality_centre" in str(role) and pid != hub
        }
        cols = ix.travel.columns
        status_col = "minutes_status" if "minutes_status" in cols else "status"
        from_ids, minutes = ix.travel_column("from_id"), ix.travel_column("minutes")
        statuses = ix.travel_column(status_col) if status_col in cols else None
        hub_row = pl.row[hub]
        bx, by, bname = float(pl.lon[hub_row]), float(pl.lat[hub_row]), pl.names[hub_row]
        for r in ix.legs_to(hub):
            if from_ids[r] not in centres:
                continue
            a = pl.row[from_ids[r]]
            status = statuses[r] if statuses is not None else ""
            text = t("map_minutes", lang, minutes=float(minutes[r]))
            if status and status != "sourced":
                text += f" ({status_label(str(status), lang)})"
            ax, ay = float(pl.lon[a]), float(pl.lat[a])
            traces.append(
                dict(
                    type="scatter",
                    x=[ax, bx],
                    y=[ay, by],
                    mode="lines",
                    line=dict(
                        color="#444444", width=1.5, dash="dot" if status == "estimated" else "solid"
                    ),
                    hoverinfo="text",
                    hovertext=f"{pl.names[a]} → {bname}: {text}",
                    showlegend=False,
                )
            )
            annotations.append(
                dict(
                    x=(ax + bx) / 2,
                    y=(ay + by) / 2,
                    text=text,
                    showarrow=False,
                    font=dict(size=11, color="#222222"),
                    bgcolor="rgba(255,255,255,0.75)",
                )
            )
    shown = (
        (pl.lon >= minx - padx)
        & (pl.lon <= maxx + padx)
        & (pl.lat >= miny - pady)
        & (pl.lat <= maxy + pady)
    )
    for role, symbol, colour in (
        ("municipality_centre", "circle", "#333333"),
        ("legevakt", "cross", "#D55E00"),
        ("hospital", "square", "#009E73"),
        ("dms", "star", "#E69F00"),
    ):
        rows = np.flatnonzero(shown & pl.having(role))
        if rows.size == 0:
            continue
        label = t(f"role_{role}", lang)
        statuses = [pl.status[r] for r in rows] if pl.status is not None else ["seen"] * rows.size
        hover = [
            f"{pl.names[r]} ({label}" + (f", {status_label(s, lang)}" if s != "seen" else "") + ")"
            for r, s in zip(rows, statuses, strict=True)
        ]
        traces.append(
            dict(
                type="scatter",
                x=pl.lon[rows],
                y=pl.lat[rows],
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
        t("map_title", lang, hub=str(pl.names[pl.row[hub]]).split(" (")[0])
        if hub is not None and hub in pl.row
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
