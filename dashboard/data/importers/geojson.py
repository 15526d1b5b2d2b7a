"""GeoJSON (RFC 7946) FeatureCollections of points, our own export included.

:func:`dashboard.data.importers.reading.read_geojson` reads the file: each Feature is a
row, its ``properties`` are the columns and a ``Point`` geometry gives ``latitude`` and
``longitude`` (``[lon, lat]`` in GeoJSON). A Feature with ``"geometry": null`` is kept
without coordinates (our export writes rows not yet geocoded so). Other geometries (lines,
polygons) are refused row by row. In problems, row 2 is the first Feature, as in a
spreadsheet whose row 1 is the header.

A file whose properties are an Incident Map dataset's columns (our GeoJSON export) comes
back as exactly the rows it was exported from; any other point file goes through the
column mapping of :mod:`dashboard.data.importers.table`.
"""

from __future__ import annotations

import pandas as pd

from dashboard.data.importers.common import ImportResult, number_text
from dashboard.data.importers.reading import SourceTable
from dashboard.data.schema import REQUIRED_COLUMNS, DatasetError, Problem, validate_frame


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
