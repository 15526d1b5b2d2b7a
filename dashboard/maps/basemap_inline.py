"""The offline basemap's detail carried inside a page that cannot fetch it (the HTML and PNG
exports, opened from disk or in a browser with the network refused).

:func:`inline_files` picks, for the region and zoom a view shows, what the page served by the
dashboard would fetch: the countries at the scale of that zoom (only those meeting the
region, with just their arcs), the place names in the region and the admin-1 borders of the
countries in it, keyed by the URL the basemap script asks for. The script reads them from
there instead of the network (``static/basemap.js``).

>>> region_around(40.4, -3.7, 8).zoom
8
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache

from dashboard.maps.admin_borders import BORDERS_FOLDER, INDEX_NAME, borders_in
from dashboard.maps.assets import URL_PREFIX, asset_bytes, local_url
from dashboard.maps.outline import _decode_arcs

#: A view is about this many CSS pixels wide and high (a large screen); the region embedded
#: is that view padded by half on every side, so panning a little keeps the detail.
VIEW_PIXELS = (1920, 1080)
PAD = 0.5


@dataclass(frozen=True)
class Region:
    """What a view shows: ``(west, south, east, north)`` in degrees and the zoom."""

    west: float
    south: float
    east: float
    north: float
    zoom: int

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return self.west, self.south, self.east, self.north


def region_around(lat: float, lon: float, zoom: int) -> Region:
    """The region a view centred on ``lat, lon`` at ``zoom`` shows, padded."""
    half_lon = 360 * VIEW_PIXELS[0] / (256 * 2 ** zoom) / 2 * (1 + 2 * PAD)
    half_lat = half_lon * VIEW_PIXELS[1] / VIEW_PIXELS[0] * max(0.3, math.cos(
        math.radians(min(abs(lat), 80))))
    return Region(max(-180.0, lon - half_lon), max(-85.0, lat - half_lat),
                  min(180.0, lon + half_lon), min(85.0, lat + half_lat), int(zoom))


def region_of_bounds(south: float, west: float, north: float, east: float, *,
                     max_zoom: int) -> Region:
    """The region of a map fitted to these bounds (as Leaflet fits, at most ``max_zoom``)."""
    span = max(east - west, (north - south) * 1.6, 1e-6)
    zoom = int(math.floor(math.log2(360 * VIEW_PIXELS[0] * 0.5 / (256 * span))))
    zoom = max(2, min(max_zoom, zoom))
    return region_around(float(south + north) / 2, float(west + east) / 2, zoom)


@lru_cache(maxsize=4)
def _topology(dest: str) -> tuple[dict, list[list[tuple[float, float, float, float]]]]:
    """A country file and, per geometry, the box of each of its polygons (computed once
    per process)."""
    topology = json.loads(asset_bytes(dest))
    arc_boxes = []
    for points in _decode_arcs(topology):
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        arc_boxes.append((min(xs), min(ys), max(xs), max(ys)))
    boxes = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        boxes.append([_box([arc_boxes[i if i >= 0 else ~i] for i in _flat(polygon)])
                      for polygon in _polygons(geometry)])
    return topology, boxes


def _polygons(geometry: dict) -> list:
    kind, arcs = geometry.get("type"), geometry.get("arcs") or []
    return [arcs] if kind == "Polygon" else list(arcs) if kind == "MultiPolygon" else []


def _box(boxes) -> tuple[float, float, float, float]:
    if not boxes:
        return (0.0, 0.0, -1.0, -1.0)  # never meets a region
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def _flat(nested):
    if isinstance(nested, int):
        yield nested
    else:
        for item in nested:
            yield from _flat(item)


def _meets(box, bounds) -> bool:
    west, south, east, north = bounds
    return box[0] <= east and box[2] >= west and box[1] <= north and box[3] >= south


def countries_in(dest: str, bounds: tuple[float, float, float, float]) -> dict:
    """The countries of a world-atlas file with a polygon meeting ``bounds`` (only those
    polygons: an overseas island far away is left out), with only their arcs."""
    topology, boxes = _topology(dest)
    kept = []
    for geometry, polygon_boxes in zip(topology["objects"]["countries"]["geometries"], boxes,
                                       strict=True):
        polygons = [polygon for polygon, box in zip(_polygons(geometry), polygon_boxes,
                                                    strict=True) if _meets(box, bounds)]
        if polygons:
            kept.append({**geometry, "type": "MultiPolygon", "arcs": polygons})
    renumber: dict[int, int] = {}
    for geometry in kept:
        for index in _flat(geometry["arcs"]):
            renumber.setdefault(index if index >= 0 else ~index, len(renumber))

    def remap(nested):
        if isinstance(nested, int):
            new = renumber[nested if nested >= 0 else ~nested]
            return new if nested >= 0 else ~new
        return [remap(item) for item in nested]

    arcs = [None] * len(renumber)
    for old, new in renumber.items():
        arcs[new] = topology["arcs"][old]
    subset = {"type": "Topology", "arcs": arcs,
              "objects": {"countries": {"type": "GeometryCollection", "geometries": [
                  {**geometry, "arcs": remap(geometry["arcs"])} for geometry in kept]}}}
    if "transform" in topology:
        subset["transform"] = topology["transform"]
    return subset


#: Place names carried for a region at a zoom: those of at least this many people (and the
#: capitals), so that zooming in two steps still finds names (``static/basemap.js`` shows
#: fewer at each zoom).
INLINE_MIN_POPULATION = ((4, 7e5), (6, 1e5), (8, 0))


def min_population(zoom: int) -> float:
    for highest, population in INLINE_MIN_POPULATION:
        if zoom <= highest:
            return population
    return 0


def lines_in(geometry: dict, bounds) -> dict:
    """The lines of a ``MultiLineString`` whose box meets ``bounds``."""
    kept = []
    for line in geometry.get("coordinates") or []:
        xs = [p[0] for p in line]
        ys = [p[1] for p in line]
        if _meets((min(xs), min(ys), max(xs), max(ys)), bounds):
            kept.append(line)
    return {"type": "MultiLineString", "coordinates": kept}


def inline_files(region: Region, *, levels, places_rows, places_url: str,
                 admin_zoom: int = 5) -> tuple[dict, list]:
    """``({url: data}, levels)``: what a page showing ``region`` needs, and the country
    levels it can show (the one for the region's zoom, kept when zooming further in).
    Administrative borders come from one zoom before ``admin_zoom`` on."""
    files: dict[str, object] = {}
    want = [(zoom, dest) for zoom, dest in levels if zoom <= region.zoom]
    kept_levels = []
    if want:
        zoom, dest = want[-1]
        files[local_url(dest)] = countries_in(dest, region.bounds)
        kept_levels = [[min(zoom, region.zoom), local_url(dest)]]
    west, south, east, north = region.bounds
    smallest = min_population(region.zoom)
    files[places_url] = [row for row in places_rows
                         if west <= row[2] <= east and south <= row[1] <= north
                         and (row[3] >= smallest or row[4])]
    borders = {}
    if region.zoom >= admin_zoom - 1:
        try:
            borders = {code: lines for code, lines in (
                (code, lines_in(geometry, region.bounds))
                for code, geometry in borders_in(region.bounds).items())
                if lines["coordinates"]}
        except OSError:
            pass
    folder = URL_PREFIX + BORDERS_FOLDER + "/"
    files[folder + INDEX_NAME] = {code: [-180, -90, 180, 90] for code in borders}
    for code, geometry in borders.items():
        files[f"{folder}{code}.json"] = geometry
    return files, kept_levels
