"""What the map shows first: the one function that frames a view, for the page and every export.

:func:`frame_view` decides the camera from what a view asks for, in this order:

1. ``at`` (a briefing step's or a link's centre and zoom): exactly that; with ``screen`` (the
   size of the map on screen at that centre and zoom: a picture of the view), the extent that
   map showed, fitted exactly at whatever zoom fills the picture;
2. a focused incident: the incident at the zoom of its location precision (a site or a
   district at street-to-district zoom, a city at city zoom, a country at country zoom),
   capped where the offline basemap has nothing more to show;
3. a given extent (the frames of an animation share one): that extent, fitted;
4. otherwise the extent that holds most incidents: a few far-away incidents (one in New
   York among two hundred in Europe) are left outside and counted (``left_out``), not
   fitted, so the many are not a blob at world zoom.

The page (``dashboard/page/views``), the PNG and HTML exports, the PDF and PPTX decks and
the animation all call it, and the browser only carries its answer out
(``static/incident_map.js``, ``applyFrame``), so the screen and the files cannot disagree.

>>> frame_view(pd.DataFrame(), at=(52.52, 13.4, 11)).options()["zoom"]
11
>>> FOCUS_ZOOM["district"] > FOCUS_ZOOM["city"] > FOCUS_ZOOM["country"]
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Zoom for a focused incident, by location precision: a site at street zoom, a district at
#: district zoom, a city at city zoom, a region or a country whole.
FOCUS_ZOOM: dict[str, int] = {"site": 15, "district": 13, "city": 11, "region": 7,
                              "country": 5}
#: Offline without the basemap's detail (countries and place names) the world outline has
#: nothing to show past this zoom.
OFFLINE_MAX_FOCUS_ZOOM = 6
#: Offline with the detail layers, the place names reach down to districts (GeoNames'
#: sections of cities such as Moabit or Mitte) but no streets: no closer than this.
DETAIL_MAX_FOCUS_ZOOM = 13
#: A fitted view is at most this close (a handful of incidents in one town still shows
#: the country around them).
MAX_FIT_ZOOM = 7
#: How long the map flies to a new frame (seconds). A briefing's flight starts at the
#: clicker's key, so the map is at rest on the step within a second of it (Leaflet's
#: flight ends about 0.15 s after this: benchmarks/bench_fly.py).
FLY_SECONDS = 0.6
#: The core extent holds this share of the incidents on each axis (the rest are outliers
#: when leaving them out makes the view much smaller).
CORE_SHARE = 0.9
#: Outliers are left out only when the core extent is at most this share of the whole.
CORE_AREA_RATIO = 0.35
#: Fewer incidents than this are always fitted whole.
MIN_ROWS_FOR_CORE = 8

Bounds = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class Frame:
    """The camera a view opens on: a centre and zoom, or bounds to fit.

    ``left_out``: incidents with coordinates outside the fitted bounds (outliers, noted on
    the map, not fitted). ``reason`` says which rule decided (``at``, ``focus``, ``extent``,
    ``fit``, ``core`` or ``empty``)."""

    reason: str
    center: tuple[float, float] | None = None
    zoom: int | None = None
    bounds: Bounds | None = None
    max_zoom: int = MAX_FIT_ZOOM
    left_out: int = 0
    #: A given extent (animation): fitted the same whatever the map's controls cover.
    fixed: bool = False
    #: Fitted with no margin at a fractional zoom (the extent a screen showed, in a picture).
    exact: bool = False

    def options(self) -> dict[str, object]:
        """The frame as the browser's ``applyFrame`` reads it (plain JSON values)."""
        return {
            "reason": self.reason,
            "center": None if self.center is None else [round(self.center[0], 6),
                                                        round(self.center[1], 6)],
            "zoom": self.zoom,
            "bounds": None if self.bounds is None else [
                [round(self.bounds[0][0], 6), round(self.bounds[0][1], 6)],
                [round(self.bounds[1][0], 6), round(self.bounds[1][1], 6)]],
            "maxZoom": self.max_zoom,
            "leftOut": self.left_out,
            "fixed": self.fixed,
            "exact": self.exact,
        }


def focus_zoom(geo_precision: str, *, offline: bool, detail: bool = False,
               street: bool = False) -> int:
    """How close to zoom on a focused incident: ``focus_zoom("site", offline=False) == 15``.

    Offline, no closer than the basemap still says something: DETAIL_MAX_FOCUS_ZOOM with the
    detail layers (``detail``), OFFLINE_MAX_FOCUS_ZOOM without; a street-level tile archive
    (``street``) has streets at every zoom."""
    zoom = FOCUS_ZOOM.get(geo_precision, FOCUS_ZOOM["city"])
    if not offline or street:
        return zoom
    return min(zoom, DETAIL_MAX_FOCUS_ZOOM if detail else OFFLINE_MAX_FOCUS_ZOOM)


def _located(rows: pd.DataFrame) -> pd.DataFrame:
    if rows is None or not len(rows) or "lat" not in rows.columns:
        return pd.DataFrame({"lat": [], "lon": [], "id": [], "geo_precision": []})
    lat = pd.to_numeric(rows["lat"], errors="coerce")
    lon = pd.to_numeric(rows["lon"], errors="coerce")
    keep = lat.notna() & lon.notna()
    if "has_coords" in rows.columns:
        keep &= rows["has_coords"].astype(bool)
    located = rows.loc[keep]
    return located.assign(lat=lat[keep].astype(float), lon=lon[keep].astype(float))


def extent_of(rows: pd.DataFrame) -> Bounds | None:
    """``((south, west), (north, east))`` of the incidents with coordinates (None: none)."""
    located = _located(rows)
    if located.empty:
        return None
    lat, lon = located["lat"].to_numpy(float), located["lon"].to_numpy(float)
    return (float(lat.min()), float(lon.min())), (float(lat.max()), float(lon.max()))


def _area(bounds: Bounds) -> float:
    (south, west), (north, east) = bounds
    mid = math.radians((south + north) / 2)
    return max(north - south, 0.01) * max((east - west) * math.cos(mid), 0.01)


def core_extent(rows: pd.DataFrame) -> tuple[Bounds | None, int]:
    """The extent that holds most incidents, and how many it leaves out.

    The central CORE_SHARE of the incidents on each axis makes a core; the core, padded by a
    fifth of its size, is the view when it is at most CORE_AREA_RATIO of the whole extent
    (the incidents outside it are a few far-away ones); otherwise the whole extent."""
    located = _located(rows)
    whole = extent_of(located)
    if whole is None or len(located) < MIN_ROWS_FOR_CORE:
        return whole, 0
    lat, lon = located["lat"].to_numpy(float), located["lon"].to_numpy(float)
    cut = (1 - CORE_SHARE) / 2
    south, north = np.quantile(lat, [cut, 1 - cut])
    west, east = np.quantile(lon, [cut, 1 - cut])
    pad_lat = max((north - south) * 0.2, 0.5)
    pad_lon = max((east - west) * 0.2, 0.5)
    core = ((max(-85.0, south - pad_lat), max(-180.0, west - pad_lon)),
            (min(85.0, north + pad_lat), min(180.0, east + pad_lon)))
    inside = ((lat >= core[0][0]) & (lat <= core[1][0]) & (lon >= core[0][1])
              & (lon <= core[1][1]))
    left_out = int((~inside).sum())
    if left_out == 0 or _area(core) > CORE_AREA_RATIO * _area(whole):
        return whole, 0
    # Fit what is inside exactly (the padding only decided who is an outlier).
    held = located.loc[inside]
    return extent_of(held), left_out


def screen_extent(lat: float, lon: float, zoom: float, screen: tuple[int, int]) -> Bounds:
    """``((south, west), (north, east))`` that a map of ``screen`` (width, height) CSS pixels
    shows at this centre and zoom (Web Mercator, 256-pixel tiles), as Leaflet computes it.

    >>> [[round(v, 2) for v in corner] for corner in screen_extent(0, 0, 1, (512, 512))]
    [[-85.05, -180.0], [85.05, 180.0]]
    """
    world = 256 * 2 ** zoom
    x = (lon + 180) / 360 * world
    sin = math.sin(math.radians(max(-85.0511, min(85.0511, lat))))
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * world
    width, height = screen

    def unproject(px: float, py: float) -> tuple[float, float]:
        n = math.pi - 2 * math.pi * py / world
        return math.degrees(math.atan(math.sinh(n))), px / world * 360 - 180

    return unproject(x - width / 2, y + height / 2), unproject(x + width / 2, y - height / 2)


def frame_view(rows: pd.DataFrame, *, focus_id: str | None = None,
               at: tuple[float, float, int] | None = None, extent: Bounds | None = None,
               offline: bool = False, detail: bool = True, street: bool = False,
               screen: tuple[int, int] | None = None) -> Frame:
    """The camera for a view of ``rows`` (see the module's docstring for the rules).

    ``focus_id`` is used only when that incident is among ``rows`` with coordinates;
    ``detail`` (the offline basemap's countries and place names are drawn) and ``street``
    (a street-level tile archive) say how close an offline focus may go. ``screen``: with
    ``at``, the on-screen map's size; the frame is then the extent it showed."""
    if at is not None:
        lat, lon, zoom = at
        if screen is not None:
            return Frame("screen", bounds=screen_extent(float(lat), float(lon), float(zoom),
                                                        screen),
                         max_zoom=18, fixed=True, exact=True)
        return Frame("at", center=(float(lat), float(lon)), zoom=int(zoom))
    located = _located(rows)
    if focus_id is not None and len(located):
        match = located.loc[located["id"] == focus_id]
        if len(match):
            row = match.iloc[0]
            precision = str(row.get("geo_precision", "city"))
            return Frame("focus", center=(float(row["lat"]), float(row["lon"])),
                         zoom=focus_zoom(precision, offline=offline, detail=detail,
                                         street=street))
    if extent is not None:
        (south, west), (north, east) = extent
        return Frame("extent", bounds=((float(south), float(west)),
                                       (float(north), float(east))), fixed=True)
    bounds, left_out = core_extent(located)
    if bounds is None:
        return Frame("empty")
    return Frame("core" if left_out else "fit", bounds=bounds, left_out=left_out)
