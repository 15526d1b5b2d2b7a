"""GeoJSON (RFC 7946) FeatureCollections of points, our own export included.

Each Feature is a row: its ``properties`` are the columns and a ``Point`` geometry gives
``latitude`` and ``longitude`` (``[lon, lat]`` in GeoJSON). A Feature with ``"geometry":
null`` is kept without coordinates (our export writes rows not yet geocoded so). Other
geometries (lines, polygons) are refused row by row. In problems, row 2 is the first
Feature, as in a spreadsheet whose row 1 is the header.

A file whose properties are an Incident Map dataset's columns (our GeoJSON export) comes
back as exactly the rows it was exported from; any other point file goes through the
column mapping of :mod:`dashboard.data.importers.table`.
"""

from __future__ import annotations

import json

import pandas as pd

from dashboard.data.importers.common import ImportResult, number_text
from dashboard.data.importers.reading import SourceTable, parse_json
from dashboard.data.schema import REQUIRED_COLUMNS, DatasetError, Problem, validate_frame


def read_geojson(text: str, *, name: str = "file", encoding: str = "utf-8") -> SourceTable:
    data = parse_json(text, name)
    if not isinstance(data, dict) or data.get("type") not in ("FeatureCollection", "Feature"):
        raise DatasetError(
            f"{name}: JSON but not GeoJSON (expected a FeatureCollection of point Features)")
    features = [data] if data.get("type") == "Feature" else data.get("features")
    if not isinstance(features, list):
        raise DatasetError(f'{name}: a FeatureCollection without a "features" list')
    records, problems = [], []
    for position, feature in enumerate(features):
        row = position + 2
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(Problem(row, "type", "not a GeoJSON Feature; row left out"))
            continue
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            problems.append(Problem(row, "properties", "not an object; row left out"))
            continue
        record = {str(key): _text(value) for key, value in properties.items()}
        geometry = feature.get("geometry")
        lat = lon = ""
        if geometry is not None:
            kind = geometry.get("type") if isinstance(geometry, dict) else None
            point = geometry.get("coordinates") if kind == "Point" else None
            if (not isinstance(point, list) or len(point) < 2
                    or not all(isinstance(v, int | float) for v in point[:2])):
                problems.append(Problem(
                    row, "geometry",
                    f"a {kind or 'malformed'} geometry; only Point features are read; "
                    "row left out"))
                continue
            lon, lat = _text(point[0]), _text(point[1])
        record["\0lat"], record["\0lon"] = lat, lon
        records.append((position, record))
    if not records and not problems:
        raise DatasetError(f"{name}: a FeatureCollection without features")
    frame = pd.DataFrame([r for _, r in records], index=[p for p, _ in records], dtype=object)
    frame = frame.fillna("")
    taken = set(frame.columns)
    lat_name = "latitude" if "latitude" not in taken else "geometry_latitude"
    lon_name = "longitude" if "longitude" not in taken else "geometry_longitude"
    frame = frame.rename(columns={"\0lat": lat_name, "\0lon": lon_name})
    return SourceTable(frame, "geojson", encoding, problems, len(features))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, int | str):
        return str(value).strip()
    return json.dumps(value, ensure_ascii=False)


def is_dataset(frame: pd.DataFrame) -> bool:
    """True when the properties are an Incident Map dataset's (our own export)."""
    return set(REQUIRED_COLUMNS) <= set(frame.columns)


def convert_dataset(table: SourceTable) -> ImportResult:
    """Our own export back into a dataset: the properties as written, rows ``validate``
    refuses reported and left out. Coordinates come from the properties (exactly as
    exported); a Feature without them takes the Point's."""
    frame = table.frame.copy()
    for column, geometry in (("lat", "latitude"), ("lon", "longitude")):
        if geometry in frame.columns:
            missing = frame[column] == ""
            numbers = pd.to_numeric(frame.loc[missing, geometry], errors="coerce")
            frame.loc[missing, column] = number_text(numbers)
            frame = frame.drop(columns=geometry)
    problems = list(table.problems)
    refused = validate_frame(frame)
    if refused and refused[0].row == 1:
        raise DatasetError("; ".join(str(p) for p in refused))
    rows = {p.row for p in refused}
    problems += [Problem(p.row, p.column, f"{p.message}; row left out") for p in refused]
    frame = frame[~(frame.index.to_series() + 2).isin(rows)]
    problems.sort(key=lambda p: (p.row, p.column or ""))
    return ImportResult("dataset", frame.reset_index(drop=True), problems, table.rows_read)
