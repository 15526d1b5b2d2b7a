"""Convert analysts' files into an Incident Map dataset.

One module per format: :mod:`.acled`, :mod:`.gtd`, :mod:`.ucdp`, :mod:`.geojson` and
:mod:`.table` (any CSV, workbook or GIS file through a column mapping); :mod:`.reading`
reads a file by what it is (CSV in any encoding and separator, workbooks, GeoJSON, and
through :mod:`.gis` KML/KMZ, GeoPackage, zipped Shapefiles, GPX and FlatGeobuf),
:mod:`.dates` reads dates as people write them and :mod:`.common` holds what they share.
A row that cannot be converted is reported (row and column, as a spreadsheet counts them)
and left out; what was guessed on the way is listed (``notices``); the input file is never
changed.

Example::

    result = import_file("acled_export.csv")
    result.source, result.summary(), [str(p) for p in result.problems][:1]
    # ('acled', '41,214 rows in, 41,210 incidents out, 1 refused, 3 merged',
    #  ['row 17, column event_date: "31/02/2021" is not a usable date; row left out'])
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dashboard.base.files import UnreadableFile, read_regular_file
from dashboard.data.importers.acled import convert_acled
from dashboard.data.importers.common import ImportResult, write_dataset
from dashboard.data.importers.geojson import convert_dataset, is_dataset
from dashboard.data.importers.gtd import convert_gtd
from dashboard.data.importers.reading import SourceTable, read_table
from dashboard.data.importers.table import (
    FIELDS,
    Mapping,
    check_values,
    convert_table,
    guess_mapping,
    parse_options,
    read_mapping,
    resolve_mapping,
    write_mapping,
)
from dashboard.data.importers.ucdp import convert_ucdp
from dashboard.data.schema import DatasetError

#: Formats ``--from`` accepts; ``csv`` is any table (CSV, a workbook, a GIS file) through a
#: column mapping.
SOURCES = ("acled", "gtd", "ucdp", "geojson", "csv")
NAMES = {"acled": "ACLED", "gtd": "GTD", "ucdp": "UCDP GED", "geojson": "GeoJSON",
         "dataset": "an Incident Map dataset", "table": "a table with a column mapping"}
#: Share of a file's rows an import must keep, unless partial imports are allowed.
MIN_KEPT_SHARE = 0.9


def detect_source(frame: pd.DataFrame) -> str:
    """``acled``, ``gtd``, ``ucdp``, ``dataset`` (our own columns) or ``table`` (anything
    else, converted through a column mapping) from the header."""
    columns = {str(c).lower() for c in frame.columns}
    if {"event_id_cnty", "event_date"} <= columns or {"event_id_c", "event_date"} <= columns:
        return "acled"
    if {"eventid", "iyear"} <= columns:
        return "gtd"
    if {"id", "date_start", "where_prec", "best"} <= columns or {"relid", "where_prec"} <= columns:
        return "ucdp"
    if is_dataset(frame):
        return "dataset"
    return "table"


def read_file(path: str | Path) -> SourceTable:
    """Read ``path`` (CSV in any encoding, a workbook, GeoJSON, a GIS file) or raise
    DatasetError."""
    try:
        raw = read_regular_file(path)
    except UnreadableFile as error:
        raise DatasetError(str(error)) from None
    return read_table(raw, name=Path(path).name)


def convert_source(table: SourceTable, source: str | None = None,
                   mapping: Mapping | dict[str, str] | None = None, *,
                   name: str = "file", datasets: bool = False) -> ImportResult:
    """Convert a table read by :func:`read_file` (``source``: one of ``SOURCES``, or None to
    detect it; ``mapping``: field -> column for a generic table, or a :class:`Mapping`
    with constant values and the date order). A CSV that is already a dataset is refused
    (there is nothing to convert) unless ``datasets`` (the page shows it as it is)."""
    if source is not None and source not in SOURCES + ("table", "dataset"):
        raise DatasetError(f'unknown format "{source}"; use one of {", ".join(SOURCES)}')
    mapping = Mapping.of(mapping)
    detected = detect_source(table.frame)
    if source in (None, "geojson"):
        source = detected
    elif source == "csv":
        source = "dataset" if detected == "dataset" and not mapping else "table"
    if mapping and source not in ("table",):
        source = "table"
    frame, rows_in = table.frame, table.rows_read or len(table.frame)
    notices: list[str] = []
    if source == "acled":
        result = convert_acled(frame, rows_in)
    elif source == "gtd":
        result = convert_gtd(frame, rows_in)
    elif source == "ucdp":
        result = convert_ucdp(frame, rows_in)
    elif source == "dataset":
        if table.kind == "csv" and not datasets:
            raise DatasetError(
                f"{name} is already an Incident Map dataset: open it with `incident-map serve "
                f"--data {name}` and check it with `incident-map validate {name}`")
        result = convert_dataset(table)
    else:
        columns, notices = resolve_mapping(list(frame.columns), mapping, frame)
        used = Mapping(columns, mapping.values, mapping.date_order, mapping.as_written)
        result = convert_table(frame, used, name=name, rows_in=rows_in)
        result.mapping = used
    if source != "dataset":  # convert_dataset already counts what reading refused
        result.problems = sorted(table.problems + result.problems,
                                 key=lambda p: (p.row, p.column or ""))
    result.encoding = table.encoding
    result.notices = table.notices + notices + result.notices
    result.blank = table.blank
    return result


def import_file(path: str | Path, source: str | None = None,
                mapping: Mapping | dict[str, str] | None = None) -> ImportResult:
    """Read and convert ``path``; DatasetError (one line) for a file that cannot be read
    or a format that is not recognised."""
    return convert_source(read_file(path), source, mapping, name=Path(path).name)


def convert(frame: pd.DataFrame, source: str | None = None,
            mapping: Mapping | dict[str, str] | None = None) -> ImportResult:
    """Convert a table of text columns (as ``read_dataset`` reads a CSV)."""
    table = SourceTable(frame, "csv", "utf-8", [], len(frame))
    return convert_source(table, source, mapping)


__all__ = [
    "FIELDS", "NAMES", "SOURCES", "ImportResult", "Mapping", "SourceTable", "check_values",
    "convert", "convert_source", "detect_source", "guess_mapping", "import_file",
    "parse_options", "read_file", "read_mapping", "resolve_mapping", "write_dataset",
    "write_mapping",
]
