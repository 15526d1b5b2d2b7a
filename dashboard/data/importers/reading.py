"""Read an analyst's file (CSV in any text encoding, Excel ``.xlsx``, GeoJSON) as text columns.

Every cell becomes text; ``NA``, ``N/A``, ``NULL``, ``#N/A`` and ``NaN`` (as R, databases
and spreadsheets write "no value") become empty cells. Rows keep their spreadsheet number:
``index + 2`` is the row a spreadsheet shows (the header is row 1). A row with fewer or more
cells than the header (a truncated last line, a stray comma) is refused and reported, never
padded with invented values.

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
import zipfile
from dataclasses import dataclass, field

import pandas as pd
from charset_normalizer import from_bytes

from dashboard.data.importers import limits as limits_module
from dashboard.data.importers.guards import check_json, check_workbook, scan_lines
from dashboard.data.importers.limits import LimitExceeded, Limits
from dashboard.data.schema import DatasetError, Problem

#: Cells that mean "no value" in files written by R, databases and spreadsheets.
MISSING = frozenset({"NA", "N/A", "n/a", "NULL", "null", "#N/A", "NaN", "nan", "<NA>"})
#: Encodings of text files analysts hold, tried in this order when the file is not UTF-8
#: and detection is unsure: Windows Western European (START distributes GTD in it).
FALLBACK_ENCODING = "cp1252"
#: How much of a large file the encoding detector reads.
SAMPLE_BYTES = 512 * 1024


@dataclass
class SourceTable:
    """A file read as text columns, with what was learnt on the way."""

    frame: pd.DataFrame
    kind: str  # "csv", "xlsx" or "geojson"
    encoding: str = "utf-8"
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0


#: The start of a JSON file: a byte-order mark, white space, then ``{`` or ``[``.
_JSON_START = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*[\[{]")
_NOT_BLANK = re.compile(rb"[^ \t\r\n]")


def read_table(raw: bytes, *, name: str = "file", limits: Limits | None = None) -> SourceTable:
    """Read ``raw`` by what it is (a zip is an Excel workbook, ``{`` starts GeoJSON), under
    ``limits`` (the process's own by default)."""
    limits = limits or limits_module.current()
    limits.check("upload_mb", len(raw), name)
    if not _NOT_BLANK.search(raw):
        raise DatasetError(f"{name}: the file is empty")
    if raw[:4] == b"PK\x03\x04":
        return _read_xlsx(raw, name, limits)
    if raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise DatasetError(
            f"{name}: an old Excel .xls workbook; save it as .xlsx or CSV and load that"
        )
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


def _read_csv(text: str, name: str, encoding: str, limits: Limits | None = None,
              lines: int | None = None) -> SourceTable:
    limits = limits or limits_module.current()
    end = text.find("\n")
    first = text[:end] if end != -1 else text
    delimiter = max((",", ";", "\t"), key=first.count)
    if not first.count(delimiter):
        delimiter = ","
    # The header's width, before the whole file is parsed (the header is one line, at most
    # line_kb long: a slice of twice that holds it).
    head = io.StringIO(text[: 2 * limits.bytes("line_kb") + 2], newline="")
    try:
        limits.check("columns", len(next(csv.reader(head, delimiter=delimiter), [])), name)
    except csv.Error:
        pass  # the careful reader below says what is wrong with it
    # More lines than the rows allowed may still be fewer records (quoted line breaks):
    # the careful reader counts records and stops at the limit.
    fast = _read_fast(text, delimiter) if lines is None or lines - 1 <= limits.rows else None
    if fast is not None:
        _check_header(list(fast.columns), name)
        limits.check("columns", len(fast.columns), name)
        limits.check("rows", len(fast), name)
        return SourceTable(_clean(fast), "csv", encoding, [], len(fast))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [cell.strip().lstrip("\ufeff") for cell in next(reader)]
        limits.check("columns", len(header), name)
        rows, index, problems = [], [], []
        width = len(header)
        for number, row in enumerate(reader, start=2):
            if number - 1 > limits.rows:
                raise LimitExceeded("rows", limits.rows, file=name)
            if len(row) == width:
                rows.append(row)
                index.append(number - 2)
            elif not any(cell.strip() for cell in row):
                continue  # a blank line: nothing to report, the numbers stay
            else:
                column = header[len(row)] if len(row) < width else f"{width + 1} (extra)"
                problems.append(Problem(
                    number, column,
                    f"has {len(row)} of {width} cells (a truncated or broken line); "
                    "row left out"))
    except csv.Error as error:
        raise DatasetError(f"{name}: not a well-formed CSV ({error})") from None
    _check_header(header, name)
    frame = pd.DataFrame(rows, columns=header, index=index, dtype=object)
    return SourceTable(_clean(frame), "csv", encoding, problems, len(rows) + len(problems))


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
    columns = [str(column).strip().lstrip("\ufeff") for column in frame.columns]
    if len(set(columns)) != len(columns) or frame.isna().any().any():
        return None
    frame.columns = columns
    return frame.astype(object)


def _check_header(header: list[str], name: str) -> None:
    if len(header) < 2:
        raise DatasetError(
            f"{name}: one column only; not a table this importer reads (a CSV needs a header "
            "row separated by commas, semicolons or tabs)"
        )
    seen: set[str] = set()
    for column in header:
        if column.lower() in seen and column:
            raise DatasetError(f'{name}: the column "{column}" appears twice in the header')
        seen.add(column.lower())


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        values = frame[column].astype(str).str.strip()
        frame[column] = values.where(~values.isin(MISSING), "")
    return frame


def _xlsx_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.strftime("%Y-%m-%d")
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _read_xlsx(raw: bytes, name: str, limits: Limits | None = None) -> SourceTable:
    """The first worksheet of a workbook (openpyxl's read-only mode streams its rows), after
    :func:`~.guards.check_workbook` has checked every part against ``limits``."""
    from openpyxl import load_workbook

    limits = limits or limits_module.current()
    check_workbook(raw, limits, name)
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise DatasetError(
            f"{name}: a zip file that is not an Excel .xlsx workbook ({error})") from None
    try:
        sheet = book.worksheets[0]
        # The size a sheet declares (``<dimension ref="A1:XFD1048576">``) is not trusted:
        # rows are read as far as their cells go.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        header = [_xlsx_text(cell).strip() for cell in next(rows, ())]
        while header and not header[-1]:
            header.pop()
        _check_header(header, name)
        limits.check("columns", len(header), name)
        width = len(header)
        records, index = [], []
        for number, row in enumerate(rows, start=2):
            if number - 1 > limits.rows:
                raise LimitExceeded("rows", limits.rows, file=name)
            cells = [_xlsx_text(cell) for cell in row[:width]]
            if not any(cell.strip() for cell in cells):
                continue
            records.append(cells + [""] * (width - len(cells)))
            index.append(number - 2)
    finally:
        book.close()
    frame = pd.DataFrame(records, columns=header, index=index, dtype=object)
    return SourceTable(_clean(frame), "xlsx", "xlsx", [], len(records))


def parse_json(text: str, name: str, limits: Limits | None = None) -> object:
    """JSON text as Python values, its depth and coordinates within ``limits``."""
    limits = limits or limits_module.current()
    check_json(text, limits, name)
    try:
        return json.loads(text)
    except RecursionError:  # pragma: no cover - check_json stops it first
        raise LimitExceeded("json_depth", limits.json_depth, file=name) from None
    except json.JSONDecodeError as error:
        raise DatasetError(
            f"{name}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None


def read_geojson(text: str, *, name: str = "file", encoding: str = "utf-8",
                 limits: Limits | None = None) -> SourceTable:
    limits = limits or limits_module.current()
    data = parse_json(text, name, limits)
    if not isinstance(data, dict) or data.get("type") not in ("FeatureCollection", "Feature"):
        raise DatasetError(
            f"{name}: JSON but not GeoJSON (expected a FeatureCollection of point Features)")
    features = [data] if data.get("type") == "Feature" else data.get("features")
    if not isinstance(features, list):
        raise DatasetError(f'{name}: a FeatureCollection without a "features" list')
    limits.check("rows", len(features), name)
    records, problems = [], []
    keys: set[str] = set()
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
        keys.update(record)
        limits.check("columns", len(keys), name)
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
