"""The formats analysts share maps in, read through GDAL (pyogrio): KML and KMZ (Google Earth
and My Maps), GeoPackage, zipped Shapefiles, GPX and FlatGeobuf.

Each feature is a row; its attributes are the columns (a placemark's ``Name``,
``description`` and ``timestamp`` too, mapped like any other column), and its geometry gives
``latitude`` and ``longitude``: a point as it is, any other shape (a line, a polygon, several
points) a representative point inside it, said in the summary and in the row's notes.
Coordinates in another reference system (a Shapefile in a national grid) are converted to
WGS 84 longitude and latitude with pyproj. Every layer is read (a KML folder is a layer,
named in the ``layer`` column); a GPX file's waypoints are its placemarks.

>>> sniff(b"SQLite format 3\\x00" + bytes(100)), sniff(b"<?xml version='1.0'?><kml>")
('gpkg', 'kml')
"""

from __future__ import annotations

import html
import io
import re
import warnings
import zipfile
from collections import Counter

import numpy as np
import pandas as pd

from dashboard.data.importers.limits import Limits, current_limits
from dashboard.data.importers.source import SHAPE_COLUMN, SourceTable, unique_header
from dashboard.data.schema import DatasetError

NAMES = {"kml": "KML", "kmz": "KMZ", "gpkg": "GeoPackage", "shp": "zipped Shapefile",
         "gpx": "GPX", "fgb": "FlatGeobuf", "zip": "zipped GIS file"}
#: Attributes GDAL's KML reader adds for drawing a placemark, not describing it.
KML_STYLE_FIELDS = frozenset({"altitudeMode", "tessellate", "extrude", "visibility",
                              "drawOrder", "icon", "snippet"})
#: GPX layers that hold tracks and routes (lines and their vertices), not placemarks.
GPX_TRACK_LAYERS = frozenset({"routes", "tracks", "route_points", "track_points"})
_TAG = re.compile(r"<[^>]{0,2000}>")
_BREAK = re.compile(r"<\s*(?:br|/p|/div|/li)\s*/?\s*>", re.IGNORECASE)


def sniff(raw: bytes, name: str = "file") -> str | None:
    """``kml``, ``kmz``, ``gpkg``, ``shp``, ``gpx`` or ``fgb`` from the first bytes; None for
    anything else."""
    if raw[:3] == b"fgb" and raw[4:7] == b"fgb":
        return "fgb"
    if raw[:16] == b"SQLite format 3\x00":
        return "gpkg"
    if raw[:4] == b"PK\x03\x04":
        try:
            names = [n.lower() for n in zipfile.ZipFile(io.BytesIO(raw)).namelist()]
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if any(n.endswith(".kml") for n in names):
            return "kmz"
        if any(n.endswith(".shp") for n in names):
            return "shp"
        if any(n.endswith((".gpkg", ".fgb", ".gpx", ".geojson")) for n in names):
            return "zip"
        return None
    head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<"):
        if b"<kml" in head:
            return "kml"
        if b"<gpx" in head:
            return "gpx"
        raise DatasetError(f"{name}: an XML or HTML file, but not KML or GPX")
    return None


def _check_zip(raw: bytes, name: str, limits: Limits) -> None:
    """A zip's parts and unpacked size (as for a workbook: ``workbook_entries``,
    ``workbook_mb``), before GDAL unpacks it: a small zip can unpack to terabytes."""
    try:
        parts = zipfile.ZipFile(io.BytesIO(raw)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise DatasetError(f"{name}: a damaged zip file ({error})") from None
    limits.check("workbook_entries", len(parts), name)
    limits.check("workbook_mb", sum(part.file_size for part in parts), name)


def read_gis(raw: bytes, kind: str, *, name: str = "file",
             limits: Limits | None = None) -> SourceTable:
    """Every layer of a GIS file as one table of text columns, under ``limits``: a zip's
    unpacked size before it is opened, each layer's features and fields before it is read,
    the positions of its shapes once read."""
    limits = limits or current_limits()
    if raw[:4] == b"PK\x03\x04":
        _check_zip(raw, name, limits)
    label = NAMES.get(kind, "GIS file")
    with warnings.catch_warnings():
        # GDAL reads from memory under a made-up name, whose extension it then doubts.
        warnings.filterwarnings("ignore", "File /vsimem/.* non conformant file extension",
                                RuntimeWarning)
        return _read_layers(raw, kind, label, name, limits)


def _read_layers(raw: bytes, kind: str, label: str, name: str, limits: Limits) -> SourceTable:
    import pyogrio

    try:
        layers = [str(layer) for layer, _ in pyogrio.list_layers(io.BytesIO(raw))]
        if kind == "gpx":
            layers = [layer for layer in layers if layer not in GPX_TRACK_LAYERS]
        frames = []
        features = 0
        for layer in layers:
            info = pyogrio.read_info(io.BytesIO(raw), layer=layer)
            features += max(int(info.get("features") or 0), 0)
            limits.check("rows", features, name)
            limits.check("columns", len(info.get("fields", ())), name)
            frame, shapes = _read_layer(raw, layer, name, limits)
            if len(frame):
                frame.insert(0, "layer", layer)
                frames.append((frame, shapes))
    except DatasetError:
        raise
    except Exception as error:  # noqa: BLE001 - GDAL, shapely and pyproj raise many kinds
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        raise DatasetError(f"{name}: not a {label} GDAL can read ({reason})") from None
    if not frames:
        what = "waypoints (tracks and routes are not incidents)" if kind == "gpx" else "features"
        raise DatasetError(f"{name}: a {label} without {what}")
    frame = pd.concat([f for f, _ in frames], ignore_index=True).fillna("")
    shapes = sum((s for _, s in frames), Counter())
    notices = [f"read as {label}: {len(frame):,} feature(s) in {len(frames)} layer(s)"]
    if len(frames) == 1:
        frame = frame.drop(columns="layer")
    header = unique_header([str(c) for c in frame.columns], notices)
    frame.columns = header
    if shapes:
        notices.append(
            f"{sum(shapes.values()):,} feature(s) are not points ("
            + ", ".join(f"{k} ×{n:,}" for k, n in shapes.most_common())
            + "): each is placed at a representative point inside its shape, and its notes "
              "say so")
    frame = frame.rename(columns={SHAPE_COLUMN: "shape"})
    if "shape" in frame.columns:
        frame.attrs["shape_column"] = "shape"
    return SourceTable(frame, kind, "utf-8", [], len(frame), notices)


def _read_layer(raw: bytes, layer: str, name: str,
                limits: Limits) -> tuple[pd.DataFrame, Counter]:
    import pyogrio.raw
    import shapely

    meta, _, geometry, values = pyogrio.raw.read(io.BytesIO(raw), layer=layer)
    limits.check("rows", len(values[0]) if values else 0, name)
    columns = {}
    for field, data in zip(meta["fields"], values, strict=True):
        if str(field) in KML_STYLE_FIELDS:
            continue
        columns[str(field)] = _texts(data)
    frame = pd.DataFrame(columns, dtype=object)
    if "timestamp" in frame.columns and "begin" in frame.columns:
        # A KML TimeSpan has a begin instead of a timestamp: the date it started.
        frame["timestamp"] = frame["timestamp"].where(frame["timestamp"] != "", frame["begin"])
    for column in ("description", "Description"):
        if column in frame.columns:
            frame[column] = frame[column].map(_plain_text)
    frame = frame.loc[:, [(frame[c] != "").any() for c in frame.columns]] if len(frame) else frame
    lat = pd.Series("", index=frame.index, dtype=object)
    lon = lat.copy()
    shape = lat.copy()
    shapes: Counter = Counter()
    if geometry is not None and len(geometry):
        shapes_array = shapely.from_wkb(geometry, on_invalid="ignore")
        limits.check("coordinates", int(shapely.get_num_coordinates(shapes_array).sum()), name)
        points = _points(shapes_array, meta.get("crs"), name)
        for position, (geom, point) in enumerate(zip(shapes_array, points, strict=True)):
            if point is None:
                continue
            lon.iat[position], lat.iat[position] = _number(point[0]), _number(point[1])
            kind = geom.geom_type
            if kind != "Point":
                shape.iat[position] = kind
                shapes[kind] += 1
    taken = set(frame.columns)
    frame["latitude" if "latitude" not in taken else "geometry_latitude"] = lat
    frame["longitude" if "longitude" not in taken else "geometry_longitude"] = lon
    if shapes:
        frame[SHAPE_COLUMN] = shape
    return frame, shapes


def _points(shapes, crs: str | None, name: str) -> list[tuple[float, float] | None]:
    """``(lon, lat)`` in WGS 84 of each shape (a representative point of a non-point)."""
    import shapely

    usable = np.array([g is not None and not g.is_empty for g in shapes], dtype=bool)
    xs = np.full(len(shapes), np.nan)
    ys = np.full(len(shapes), np.nan)
    if usable.any():
        chosen = shapes[usable]
        is_point = shapely.get_type_id(chosen) == 0
        inner = np.where(is_point, chosen, shapely.point_on_surface(chosen))
        xs[usable], ys[usable] = shapely.get_x(inner), shapely.get_y(inner)
    if crs:
        xs, ys = _to_wgs84(xs, ys, crs, name)
    return [None if np.isnan(x) or np.isnan(y) else (float(x), float(y))
            for x, y in zip(xs, ys, strict=True)]


def _to_wgs84(xs, ys, crs: str, name: str):
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        source = CRS.from_user_input(crs)
    except CRSError:
        raise DatasetError(f"{name}: a coordinate reference system pyproj does not know "
                           f"({crs[:80]})") from None
    if source.is_geographic and source.ellipsoid and source.ellipsoid.name.startswith(
            ("WGS 84", "GRS 1980")):
        return xs, ys  # WGS 84, NAD83, ETRS89: the same within a metre or two
    transformer = Transformer.from_crs(source, "EPSG:4326", always_xy=True)
    return transformer.transform(xs, ys)


def _number(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _texts(values: np.ndarray) -> list[str]:
    if np.issubdtype(values.dtype, np.datetime64):
        stamps = pd.to_datetime(values, errors="coerce")
        return [("" if pd.isna(t) else t.strftime("%Y-%m-%d %H:%M:%S").removesuffix(" 00:00:00"))
                for t in stamps]
    out = []
    for value in values.tolist():
        if value is None or (isinstance(value, float) and np.isnan(value)):
            out.append("")
        elif isinstance(value, float):
            out.append(str(int(value)) if value.is_integer() and abs(value) < 1e15
                       else repr(value))
        elif isinstance(value, bytes):
            out.append(value.decode("utf-8", errors="replace"))
        else:
            out.append(str(value).strip())
    return out


def _plain_text(text: str) -> str:
    """A KML description's HTML as plain text: line breaks kept, tags dropped, entities
    read (nothing of it is interpreted; the page escapes what it shows)."""
    if "<" not in text and "&" not in text:
        return text
    text = _BREAK.sub("\n", text)
    return html.unescape(_TAG.sub("", text)).strip()
