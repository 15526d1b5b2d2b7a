"""Read an analyst's file as text columns: CSV in any text encoding and separator, Excel
workbooks (``.xlsx``, ``.xls``, ``.ods``), GeoJSON, and the GIS formats of
:mod:`.gis` (KML/KMZ, GeoPackage, zipped Shapefile, GPX, FlatGeobuf).

Every cell becomes text; ``NA``, ``N/A``, ``NULL``, ``#N/A`` and ``NaN`` (as R, databases
and spreadsheets write "no value") become empty cells. Rows keep their spreadsheet number:
``index + 2`` is the row a spreadsheet shows (the header is row 1). A row with fewer or more
cells than the header (a truncated last line, a stray comma) is refused and reported, never
padded with invented values. Lines with no value at all (``,,,,`` as spreadsheets save empty
rows) are ignored and counted apart. A header name given twice is kept twice, the second as
``age_2``, and said so.

The separator is the one that gives the sample's lines the header's number of cells
(comma, semicolon, tab or bar). A comma file re-saved by a spreadsheet set to semicolons
has each line holding a quote or a semicolon wrapped whole in quotes: such lines are
unwrapped and said so.

>>> table = read_table(b"a,b\\r\\n1,NA\\r\\n2\\r\\n", name="x.csv")
>>> table.kind, table.frame.to_dict(orient="list")
('csv', {'a': ['1'], 'b': ['']})
>>> print(*table.problems)
row 3, column b: has 1 of 2 cells (a truncated or broken line); row left out

Every read runs under :class:`~dashboard.data.importers.limits.Limits` (the process's own,
from ``INCIDENT_MAP_LIMIT_*``, unless others are given): lines, rows and columns are
counted while the file is read, a workbook is checked part by part before it is opened and
a JSON file's depth before it is parsed (:mod:`.guards`); the first limit passed stops the
read with :class:`~dashboard.data.importers.limits.LimitExceeded`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import Counter

import pandas as pd
from charset_normalizer import from_bytes

from dashboard.data.importers.guards import check_json, check_workbook, scan_lines
from dashboard.data.importers.limits import LimitExceeded, Limits, current_limits
from dashboard.data.importers.source import SHAPE_COLUMN, SourceTable, unique_header
from dashboard.data.schema import DatasetError, Problem

#: Cells that mean "no value" in files written by R, databases and spreadsheets.
MISSING = frozenset({"NA", "N/A", "n/a", "NULL", "null", "#N/A", "NaN", "nan", "<NA>"})
#: Encodings of text files analysts hold, tried in this order when the file is not UTF-8
#: and detection is unsure: Windows Western European (START distributes GTD in it).
FALLBACK_ENCODING = "cp1252"
#: How much of a large file the encoding detector reads.
SAMPLE_BYTES = 512 * 1024


#: The first bytes of the binary formats read here.
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an old Excel .xls workbook


#: The start of a JSON file: a byte-order mark, white space, then ``{`` or ``[``.
_JSON_START = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*[\[{]")
_NOT_BLANK = re.compile(rb"[^ \t\r\n]")


def read_table(raw: bytes, *, name: str = "file", limits: Limits | None = None) -> SourceTable:
    """Read ``raw`` by what it is (a zip is a workbook, a KMZ or a zipped Shapefile; ``{``
    starts GeoJSON; ``<`` KML or GPX; SQLite a GeoPackage), under ``limits`` (the
    process's own by default)."""
    from dashboard.data.importers.gis import read_gis, sniff

    limits = limits or current_limits()
    limits.check("upload_mb", len(raw), name)
    if not _NOT_BLANK.search(raw):
        raise DatasetError(f"{name}: the file is empty")
    kind = sniff(raw, name)
    if kind is not None:
        return read_gis(raw, kind, name=name, limits=limits)
    if raw[:4] == b"PK\x03\x04" or raw[:8] == OLE2:
        return _read_workbook(raw, name, limits)
    if _JSON_START.match(raw):
        text, encoding = decode(raw, name)
        return read_geojson(text, name=name, encoding=encoding, limits=limits)
    lines = scan_lines(raw, limits, name)
    text, encoding = decode(raw, name)
    return _read_csv(text, name, encoding, limits, lines)


def decode(raw: bytes, name: str) -> tuple[str, str]:
    """Text and the encoding it was written in: UTF-8 when it is, else detected."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as error:
        position = error.start
    if b"\x00" in raw[:8192]:
        raise DatasetError(f"{name}: a binary file, not a CSV, Excel or GeoJSON file")
    # The sample must include the first byte that is not UTF-8.
    sample = raw[:SAMPLE_BYTES]
    if position >= SAMPLE_BYTES:
        sample += raw[max(0, position - 4096): position + 4096]
    candidates = [FALLBACK_ENCODING]
    matches = list(from_bytes(sample))
    if matches:
        # Few accented letters in a mostly ASCII file fit many code pages equally well; of
        # those that fit best, Windows-1252 is the one spreadsheets and START write.
        least = min(match.chaos for match in matches)
        fitting = [match for match in matches if match.chaos <= least + 0.01]
        if not any(FALLBACK_ENCODING in match.could_be_from_charset for match in fitting):
            candidates.insert(0, fitting[0].encoding)
    for encoding in candidates:
        try:
            return raw.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            continue
    line = raw[:position].count(b"\n") + 1
    raise DatasetError(
        f"{name}: not readable text (byte {raw[position]:#04x} at line {line} fits no "
        "encoding tried); save it as UTF-8 CSV"
    )


#: Separators tried, in the order they win a tie.
SEPARATORS = (",", ";", "\t", "|")
SEPARATOR_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars"}
#: How much of the file the separator is judged on.
SNIFF_CHARS = 256 * 1024


def sniff_separator(text: str) -> str:
    """The separator that gives most lines of a sample the header's number of cells (a line
    wrapped whole in quotes counts for the separator inside it)."""
    sample = text[:SNIFF_CHARS]
    if len(text) > SNIFF_CHARS:
        sample = sample[:sample.rfind("\n") + 1] or sample
    best, best_score = ",", (-1.0, 0)
    for separator in SEPARATORS:
        try:
            records = list(csv.reader(io.StringIO(sample, newline=""), delimiter=separator))
        except csv.Error:
            continue
        records = [r for r in records if any(cell.strip() for cell in r)]
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        body = records[1:201] or records[:1]
        fitting = sum(len(r) == width or (len(r) == 1 and _unwrapped(r[0], separator, width)
                                          is not None) for r in body)
        score = (fitting / len(body), width)
        if score > best_score:
            best, best_score = separator, score
    return best


def _unwrapped(cell: str, separator: str, width: int) -> list[str] | None:
    """The cells of a line a spreadsheet wrapped whole in quotes, if it has ``width``."""
    if separator not in cell:
        return None
    try:
        rows = list(csv.reader(io.StringIO(cell, newline=""), delimiter=separator))
    except csv.Error:
        return None
    return rows[0] if len(rows) == 1 and len(rows[0]) == width else None


def _read_csv(text: str, name: str, encoding: str, limits: Limits | None = None,
              lines: int | None = None) -> SourceTable:
    limits = limits or current_limits()
    if not text.lstrip("\ufeff").strip():  # nothing but a byte-order mark and blanks
        raise DatasetError(f"{name}: the file is empty")
    delimiter = sniff_separator(text)
    notices: list[str] = []
    end = text.find("\n")
    first = text[:end] if end != -1 else text
    # The header's width, before the whole file is parsed (the header is one line, at most
    # line_kb long: a slice of twice that holds it).
    head = io.StringIO(text[: 2 * limits.bytes("line_kb") + 2], newline="")
    try:
        limits.check("columns", len(next(csv.reader(head, delimiter=delimiter), [])), name)
    except csv.Error:
        pass  # the careful reader below says what is wrong with it
    if delimiter != ",":
        notices.append(f"columns separated by {SEPARATOR_NAMES[delimiter]}")
    elif first.count(";") > first.count(","):
        notices.append("columns separated by commas (the header has more semicolons, but "
                       "the lines have the header's number of cells with commas)")
    # More lines than the rows allowed may still be fewer records (quoted line breaks):
    # the careful reader counts records and stops at the limit.
    fast = _read_fast(text, delimiter) if lines is None or lines - 1 <= limits.rows else None
    if fast is not None:
        limits.check("columns", len(fast.columns), name)
        limits.check("rows", len(fast), name)
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        header = [cell.strip().lstrip("\ufeff") for cell in header]
        if len(header) == len(fast.columns):
            _check_header(header, name)
            fast.columns = unique_header(header, notices)
            frame, blank = _drop_blank(_clean(fast))
            return SourceTable(frame, "csv", encoding, [], len(frame), notices, blank)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    blank = unwrapped = 0
    try:
        header = [cell.strip().lstrip("\ufeff") for cell in next(reader)]
        _check_header(header, name)
        limits.check("columns", len(header), name)
        rows, index, problems = [], [], []
        width = len(header)
        for number, row in enumerate(reader, start=2):
            if len(rows) + len(problems) >= limits.rows:
                raise LimitExceeded("rows", limits.rows, file=name)
            if len(row) == 1 and width > 1:
                inner = _unwrapped(row[0], delimiter, width)
                if inner is not None:
                    row, unwrapped = inner, unwrapped + 1
            if not any(cell.strip() for cell in row):
                blank += 1  # a blank line: counted apart, the numbers stay
                continue
            if len(row) == width:
                rows.append(row)
                index.append(number - 2)
            else:
                column = header[len(row)] if len(row) < width else f"{width + 1} (extra)"
                problems.append(Problem(
                    number, column,
                    f"has {len(row)} of {width} cells (a truncated or broken line); "
                    "row left out"))
    except csv.Error as error:
        raise DatasetError(f"{name}: not a well-formed CSV ({error})") from None
    if unwrapped:
        notices.append(
            f"{unwrapped:,} line(s) were wrapped whole in quotes, as a spreadsheet set to "
            f"semicolons re-saves a file separated by {SEPARATOR_NAMES[delimiter]}; "
            "they were unwrapped and read")
    if problems and len(problems) * 10 >= len(rows) + len(problems):
        notices.append(
            f"{len(problems):,} of {len(rows) + len(problems):,} lines do not have the "
            f"header's {width} cells separated by {SEPARATOR_NAMES[delimiter]}: the file "
            "may have been re-saved with another separator; save it again as CSV")
    header = unique_header(header, notices)
    frame = pd.DataFrame(rows, columns=header, index=index, dtype=object)
    frame, _ = _drop_blank(_clean(frame))
    return SourceTable(frame, "csv", encoding, problems, len(rows) + len(problems), notices,
                       blank)


#: A line holding only white space: pyarrow skips it, which would shift row numbers.
_BLANK_LINE = re.compile(r"\n[ \t]*\r?\n")


def _read_fast(text: str, delimiter: str) -> pd.DataFrame | None:
    """pyarrow's multi-threaded reader, for files it reads cleanly (no blank line, every row
    as wide as the header); None otherwise, and the careful reader explains what is wrong."""
    if _BLANK_LINE.search(text):
        return None
    try:
        frame = pd.read_csv(io.BytesIO(text.encode("utf-8")), engine="pyarrow", dtype=str,
                            keep_default_na=False, sep=delimiter)
    except Exception:  # noqa: BLE001 - any failure means: use the careful reader
        return None
    if frame.isna().any().any():
        return None
    return frame.astype(object)


def _check_header(header: list[str], name: str) -> None:
    if len(header) < 2:
        raise DatasetError(
            f"{name}: one column only; not a table this importer reads (a CSV needs a header "
            "row separated by commas, semicolons or tabs)"
        )


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        values = frame[column].astype(str).str.strip()
        frame[column] = values.where(~values.isin(MISSING), "")
    return frame


def _drop_blank(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Rows with no value at all left out (the index keeps every other row's number)."""
    if frame.empty or not len(frame.columns):
        return frame, 0
    blank = (frame == "").all(axis=1)
    count = int(blank.sum())
    return (frame[~blank] if count else frame), count


def _xlsx_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.strftime("%Y-%m-%d")
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _read_workbook(raw: bytes, name: str, limits: Limits | None = None) -> SourceTable:
    """The first worksheet of a workbook (``.xlsx``, ``.xls``, ``.ods``), read by calamine
    whatever size the sheet declares (some writers declare ``A1`` for a full sheet), after
    :func:`~.guards.check_workbook` has checked every part of a zip workbook against
    ``limits`` (calamine holds the whole sheet in memory)."""
    from python_calamine import CalamineWorkbook

    limits = limits or current_limits()
    if raw[:4] == b"PK\x03\x04":
        check_workbook(raw, limits, name)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(raw))
        rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as error:  # noqa: BLE001 - calamine, zipfile and XML raise many kinds
        what = "an old Excel .xls workbook" if raw[:8] == OLE2 else (
            "a zip file that is not an Excel .xlsx workbook (nor .ods, a KMZ or a zipped "
            "Shapefile)")
        reason = (str(error).strip().splitlines() or [""])[0][:200]
        raise DatasetError(f"{name}: {what} this importer can read "
                           f"({type(error).__name__}: {reason})") from None
    header = [_xlsx_text(cell).strip() for cell in (rows[0] if rows else ())]
    while header and not header[-1]:
        header.pop()
    _check_header(header, name)
    limits.check("columns", len(header), name)
    limits.check("rows", len(rows) - 1, name)
    notices: list[str] = []
    header = unique_header(header, notices)
    width = len(header)
    records, index, blank = [], [], 0
    for number, row in enumerate(rows[1:], start=2):
        cells = [_xlsx_text(cell) for cell in row[:width]]
        if not any(cell.strip() for cell in cells):
            blank += 1
            continue
        records.append(cells + [""] * (width - len(cells)))
        index.append(number - 2)
    # Empty rows after the last one with values are the sheet's formatting, not lines.
    trailing = len(rows) - 1 - (index[-1] + 1 if index else 0)
    blank -= max(trailing, 0)
    frame = pd.DataFrame(records, columns=header, index=index, dtype=object)
    return SourceTable(_clean(frame), "xlsx", "xlsx", [], len(records), notices, blank)


def parse_json(text: str, name: str, limits: Limits | None = None) -> object:
    """JSON text as Python values, its depth and coordinates within ``limits``."""
    limits = limits or current_limits()
    check_json(text, limits, name)
    try:
        return json.loads(text)
    except RecursionError:  # pragma: no cover - check_json stops it first
        raise LimitExceeded("json_depth", limits.json_depth, file=name) from None
    except json.JSONDecodeError as error:
        raise DatasetError(
            f"{name}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None


#: How deep ``properties`` are flattened (``{"a": {"b": 1}}`` is the column ``a.b``).
FLATTEN_DEPTH = 4


def read_geojson(text: str, *, name: str = "file", encoding: str = "utf-8",
                 limits: Limits | None = None) -> SourceTable:
    """GeoJSON as exports write it: Features with or without ``"type"``, an ``id`` beside
    ``properties``, nested properties (as ``a.b`` columns), any geometry (a point inside a
    line or polygon, said so), or a plain JSON list of records."""
    limits = limits or current_limits()
    data = parse_json(text, name, limits)
    features = _features(data, name)
    limits.check("rows", len(features), name)
    records, problems, shapes = [], [], Counter()
    keys: set[str] = set()
    for position, feature in enumerate(features):
        row = position + 2
        if not isinstance(feature, dict):
            problems.append(Problem(row, "feature", "not a JSON object; row left out"))
            continue
        is_feature = "properties" in feature or "geometry" in feature
        properties = feature.get("properties") if is_feature else feature
        if properties is None:
            properties = {}
        if not isinstance(properties, dict):
            problems.append(Problem(row, "properties", "not an object; row left out"))
            continue
        record: dict[str, str] = {}
        _flatten(properties, "", record)
        keys.update(record)
        limits.check("columns", len(keys), name)
        if is_feature and feature.get("id") is not None:
            record.setdefault("id" if "id" not in record else "feature_id",
                              _text(feature["id"]))
        lat = lon = ""
        geometry = feature.get("geometry") if is_feature else None
        if geometry is not None:
            point, kind = _point_of(geometry)
            if point is None:
                problems.append(Problem(
                    row, "geometry",
                    f"{kind}: no point can be read from it; the row is kept without "
                    "coordinates"))
            else:
                lon, lat = _text(point[0]), _text(point[1])
                if kind != "Point":
                    shapes[kind] += 1
                    record["\0shape"] = kind
        record["\0lat"], record["\0lon"] = lat, lon
        records.append((position, record))
    if not records and not problems:
        raise DatasetError(f"{name}: a FeatureCollection without features")
    frame = pd.DataFrame([r for _, r in records], index=[p for p, _ in records], dtype=object)
    frame = frame.fillna("")
    notices: list[str] = []
    if shapes:
        notices.append(
            f"{sum(shapes.values()):,} feature(s) are not points ("
            + ", ".join(f"{kind} ×{count:,}" for kind, count in shapes.most_common())
            + "): each is placed at a representative point inside its shape, and its "
              "notes say so")
    return SourceTable(_geometry_columns(frame), "geojson", encoding, problems,
                       len(features), notices)


def _features(data: object, name: str) -> list:
    if isinstance(data, list):
        return data  # a list of Features, or of plain records
    if not isinstance(data, dict):
        raise DatasetError(f"{name}: JSON but not GeoJSON (expected a FeatureCollection)")
    if isinstance(data.get("features"), list):
        return data["features"]
    if data.get("type") == "Feature" or "geometry" in data:
        return [data]
    if data.get("type") == "FeatureCollection":
        raise DatasetError(f'{name}: a FeatureCollection without a "features" list')
    raise DatasetError(
        f"{name}: JSON but not GeoJSON (expected a FeatureCollection of Features, or a list "
        "of records)")


def _flatten(properties: dict, prefix: str, record: dict, depth: int = 0) -> None:
    for key, value in properties.items():
        column = f"{prefix}{key}"
        if isinstance(value, dict) and depth < FLATTEN_DEPTH and value:
            _flatten(value, f"{column}.", record, depth + 1)
        else:
            record[column] = _text(value)


def _point_of(geometry: object) -> tuple[tuple[float, float] | None, str]:
    """``(lon, lat)`` of a Point, or a representative point inside any other geometry."""
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if not isinstance(kind, str):
        return None, "a malformed geometry"
    coordinates = geometry.get("coordinates")
    if kind == "Point":
        if (isinstance(coordinates, list) and len(coordinates) >= 2
                and all(isinstance(v, int | float) and not isinstance(v, bool)
                        for v in coordinates[:2])):
            return (coordinates[0], coordinates[1]), kind
        return None, "a malformed Point"
    from shapely.geometry import shape

    try:
        point = shape(geometry).representative_point()
    except Exception:  # noqa: BLE001 - shapely's errors for bad input vary by kind
        return None, f"a malformed {kind[:40]}"
    if point.is_empty:
        return None, f"an empty {kind[:40]}"
    return (point.x, point.y), kind


def _geometry_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The geometry's point as ``latitude``/``longitude`` (``geometry_latitude`` when the
    properties have a ``latitude`` already) and the shape it came from as ``shape``."""
    taken = set(frame.columns)
    names = {"\0lat": "latitude" if "latitude" not in taken else "geometry_latitude",
             "\0lon": "longitude" if "longitude" not in taken else "geometry_longitude",
             SHAPE_COLUMN: "shape" if "shape" not in taken else "geometry_shape"}
    frame = frame.rename(columns=names)
    if names[SHAPE_COLUMN] in frame.columns:
        frame.attrs["shape_column"] = names[SHAPE_COLUMN]
    return frame


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
