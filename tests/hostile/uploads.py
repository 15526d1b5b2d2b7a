"""Hostile uploads, written at test time (never kept in the repository): each is small to
send and large, deep or wide once read, as an attacker would build them.

Every builder writes its file into ``folder`` quickly (a zip is written a chunk at a time,
a large text file by repeating one block) and returns the path. ``LIMIT`` names the limit
each one must be stopped by.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>")
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>")
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>")
MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
MB = 1024 * 1024


def _workbook(path: Path, sheet_rows, shared: list[bytes] | Callable | None = None,
              dimension: str = "A1:B2") -> Path:
    """A minimal .xlsx: ``sheet_rows`` yields the XML of each ``<row>``; ``shared`` the
    shared strings (a callable writes them itself)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("xl/workbook.xml", WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with book.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(f'<?xml version="1.0" encoding="UTF-8"?><sst {MAIN}>'.encode())
            if callable(shared):
                shared(part)
            else:
                for text in shared or [b"Date", b"Country"]:
                    part.write(b"<si><t>" + text + b"</t></si>")
            part.write(b"</sst>")
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet {MAIN}>'
                       f'<dimension ref="{dimension}"/><sheetData>'.encode())
            for row in sheet_rows:
                part.write(row)
            part.write(b"</sheetData></worksheet>")
    return path


def _header_row() -> bytes:
    return b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'


def shared_string_bomb(folder: Path, megabytes: int = 300) -> Path:
    """A few hundred KB whose one shared string inflates to ``megabytes`` MB."""
    block = b"A" * MB

    def write(part):
        part.write(b"<si><t>")
        for _ in range(megabytes):
            part.write(block)
        part.write(b"</t></si><si><t>Country</t></si>")

    return _workbook(folder / "shared-string-bomb.xlsx", [_header_row()], write)


def million_rows(folder: Path, rows: int = 1_000_000) -> Path:
    """About 1.5 MB declaring and holding ``rows`` rows of one number each."""
    def body():
        yield _header_row()
        for start in range(2, rows + 2, 10_000):
            yield b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (n, n)
                           for n in range(start, min(start + 10_000, rows + 2)))

    return _workbook(folder / "million-rows.xlsx", body(), dimension=f"A1:XFD{rows + 1}")


def far_cell(folder: Path) -> Path:
    """Two real cells, one in the last column and row a sheet may have (XFD1048576)."""
    rows = [_header_row(), b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>']
    return _workbook(folder / "far-cell.xlsx", rows, dimension="A1:XFD1048576")


def ten_million_columns(folder: Path, columns: int = 10_000_000) -> Path:
    """A CSV header of ``columns`` one-letter columns (about 20 MB on one line)."""
    path = folder / "ten-million-columns.csv"
    with path.open("wb") as handle:
        handle.write(b"a," * (columns - 1) + b"a\n1,2\n")
    return path


def wide_rows(folder: Path, columns: int = 5_000, rows: int = 50) -> Path:
    """Short lines, many columns: each line under the line limit, the header too wide."""
    path = folder / "wide-rows.csv"
    line = b",".join(b"c%d" % n for n in range(columns)) + b"\n"
    path.write_bytes(line * (rows + 1))
    return path


def long_line(folder: Path, megabytes: int = 20) -> Path:
    """Two columns, then one line of ``megabytes`` MB (a cell without a line break)."""
    path = folder / "long-line.csv"
    with path.open("wb") as handle:
        handle.write(b"date,country\n2020-01-01,")
        block = b"x" * MB
        for _ in range(megabytes):
            handle.write(block)
        handle.write(b"\n")
    return path


def deep_geojson(folder: Path, depth: int = 100_000) -> Path:
    """A Feature whose geometry nests ``depth`` arrays (CPython's parser recurses on it)."""
    path = folder / "deep.geojson"
    path.write_bytes(b'{"type": "Feature", "properties": {}, "geometry": {"type": "Point", '
                     b'"coordinates": ' + b"[" * depth + b"]" * depth + b"}}")
    return path


def many_coordinates(folder: Path, positions: int = 6_000_000) -> Path:
    """One LineString of ``positions`` positions (about 40 MB)."""
    path = folder / "many-coordinates.geojson"
    with path.open("wb") as handle:
        handle.write(b'{"type": "FeatureCollection", "features": [{"type": "Feature", '
                     b'"properties": {"date": "2020"}, "geometry": {"type": "LineString", '
                     b'"coordinates": [')
        block = b",".join([b"[1,2]"] * 100_000)
        for number in range(positions // 100_000):
            handle.write((b"," if number else b"") + block)
        handle.write(b"]}}]}")
    return path


def many_rows_csv(folder: Path, rows: int) -> Path:
    """A small honest table of ``rows`` rows (one repeated line)."""
    path = folder / f"rows-{rows}.csv"
    line = b"2020-01-01,DE,Berlin\n"
    path.write_bytes(b"date,country,place\n" + line * rows)
    return path


def big_csv(folder: Path, megabytes: int) -> Path:
    """An honest-looking table of ``megabytes`` MB: real rows repeated (written by blocks)."""
    path = folder / f"big-{megabytes}mb.csv"
    line = (b"2020-05-09,Germany,Berlin,Incident near the station in the north of the city."
            b",52.52,13.40\n")
    block = line * (MB // len(line))
    with path.open("wb") as handle:
        handle.write(b"Date,Country,City,Description,Latitude,Longitude\n")
        for _ in range(megabytes):
            handle.write(block)
    return path


#: builder -> the limit that must stop it
LIMIT: dict[Callable[[Path], Path], str] = {
    shared_string_bomb: "line_kb",
    million_rows: "rows",
    far_cell: "columns",
    ten_million_columns: "line_kb",
    wide_rows: "columns",
    long_line: "line_kb",
    deep_geojson: "json_depth",
    many_coordinates: "coordinates",
}


def far_row(folder: Path) -> Path:
    """A header and one cell in the last row a sheet may have (A1048576): a reader that
    fills the rows before it builds a million."""
    rows = [_header_row(), b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>']
    return _workbook(folder / "far-row.xlsx", rows, dimension="A1:B1048576")


LIMIT[far_row] = "rows"
