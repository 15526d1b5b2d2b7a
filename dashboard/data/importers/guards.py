"""Checks of a visitor's file against its :class:`~.limits.Limits` that run before (or
while) a parser builds anything from it, each stopping at the first byte past a limit.

- :func:`scan_lines`: a text file's longest line and its number of lines, in one pass over
  the bytes (numpy, a chunk at a time) before the file is decoded.
- :func:`check_workbook`: a zip workbook (``.xlsx``) decompressed part by part, a chunk at a
  time, counting its parts, its decompressed bytes, its shared strings, its cells and the
  columns they use, and the longest text of a cell, before a workbook reader opens it
  (openpyxl and python-calamine both hold the shared strings in memory, and calamine the
  whole sheet).
- :func:`check_json`: a JSON file's nesting depth (CPython's parser would end in
  ``RecursionError``) and the positions of its geometries, before it is parsed.

>>> from dashboard.data.importers.limits import Limits
>>> scan_lines(b"a,b\\n1,2\\n", Limits(), "x.csv")
2
>>> check_json('{"a": [[1, "]]]]"]]}', Limits(json_depth=3), "x.json")
>>> check_json('[[[[]]]]', Limits(json_depth=3), "x.json")
Traceback (most recent call last):
...
dashboard.data.importers.limits.LimitExceeded: x.json: JSON nested more than 3 levels deep \
(limit json_depth=3; raise it with --limit json_depth=N or INCIDENT_MAP_LIMIT_JSON_DEPTH=N)
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

import numpy as np

from dashboard.data.importers.limits import LimitExceeded, Limits
from dashboard.data.schema import DatasetError

#: Bytes looked at in one step (the arrays numpy makes of a chunk are this size).
CHUNK = 8 * 1024 * 1024
NEWLINE, RETURN = 10, 13


def scan_lines(raw: bytes | memoryview, limits: Limits, name: str) -> int:
    """The number of lines of ``raw`` (a line ends at ``\\n``, ``\\r\\n`` or ``\\r``);
    :class:`LimitExceeded` (``line_kb``) at the first line longer than the limit."""
    longest = limits.bytes("line_kb")
    data = np.frombuffer(raw, dtype=np.uint8)
    size = len(data)
    last_end = -1  # position of the last line break seen
    lines = 0
    for start in range(0, size, CHUNK):
        chunk = data[start:start + CHUNK]
        breaks = np.flatnonzero((chunk == NEWLINE) | (chunk == RETURN))
        if breaks.size:
            breaks += start
            if int(breaks[0]) - last_end - 1 > longest or (
                    breaks.size > 1 and int(np.diff(breaks).max()) - 1 > longest):
                raise LimitExceeded("line_kb", limits.line_kb, file=name)
            last_end = int(breaks[-1])
            # \r\n is one line break: count the \n, and a \r not followed by \n.
            newlines = int(np.count_nonzero(chunk == NEWLINE))
            returns = breaks[data[breaks] == RETURN]
            returns = returns[returns + 1 < size]
            lone = int(np.count_nonzero(data[returns + 1] != NEWLINE)) if returns.size else 0
            lines += newlines + lone
        if min(start + CHUNK, size) - last_end - 1 > longest:
            raise LimitExceeded("line_kb", limits.line_kb, file=name)
    if size and last_end != size - 1:
        lines += 1  # the last line has no line break
    return lines


# --------------------------------------------------------------------------- workbooks

#: A cell reference's column letters, for columns of three letters or more (``AAA`` is
#: column 703): honest sheets rarely have them, so the search finds almost nothing.
_WIDE_CELL = re.compile(rb'<(?:\w+:)?c r="([A-Z]{3,})[0-9]')


_ROW_MARKERS = (b"<row ", b"<row>", b":row ", b":row>")


def column_number(letters: bytes | str) -> int:
    """``A`` -> 1, ``Z`` -> 26, ``AA`` -> 27, ``XFD`` -> 16384.

    >>> column_number("ALL")
    1000
    """
    number = 0
    for letter in letters.decode() if isinstance(letters, bytes) else letters:
        number = number * 26 + ord(letter) - 64
    return number


def check_workbook(raw: bytes, limits: Limits, name: str) -> None:
    """Decompress every part of a workbook a chunk at a time and stop at the first limit
    passed: ``workbook_entries``, ``workbook_mb``, ``shared_strings``, ``cells``, ``rows``
    (of one sheet), ``columns`` (a cell in a column past the limit) and ``line_kb`` (one
    cell's text).

    DatasetError (one line) for a zip that cannot be read."""
    try:
        book = zipfile.ZipFile(io.BytesIO(raw))
        parts = book.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise DatasetError(
            f"{name}: a zip file that is not an Excel .xlsx workbook ({error})") from None
    limits.check("workbook_entries", len(parts), name)
    total = 0
    cells = 0
    shared = 0
    try:
        for part in parts:
            lower = part.filename.lower()
            if lower.endswith("sharedstrings.xml"):
                counter = _Counter((b"<si>", b"<si "), limits, name)
            elif lower.startswith("xl/worksheets/") and lower.endswith(".xml"):
                counter = _Counter((b"<c ", b"<c>", b":c ", b":c>"), limits, name,
                                   wide=True)
            else:
                counter = None
            with book.open(part) as stream:
                while chunk := stream.read(min(CHUNK, limits.bytes("line_kb"))):
                    total += len(chunk)
                    limits.check("workbook_mb", total, name)
                    if counter is not None:
                        counter.feed(chunk)
                        if counter.wide:
                            limits.check("cells", cells + counter.count, name)
                            limits.check("rows", counter.rows - 1, name)  # less the header
                        else:
                            limits.check("shared_strings", shared + counter.count, name)
            if counter is not None:
                counter.end()
                if counter.wide:
                    cells += counter.count
                else:
                    shared += counter.count
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError,
            RuntimeError) as error:  # what zipfile raises for damaged or encrypted parts
        raise DatasetError(f"{name}: a damaged workbook ({error})") from None


class _Counter:
    """Occurrences of markers (the start of a cell or of a shared string) in a stream of
    chunks, and the longest stretch between two of them (one cell's text and markup)."""

    def __init__(self, markers: tuple[bytes, ...], limits: Limits, name: str, *,
                 wide: bool = False):
        self.markers = markers
        self.limits = limits
        self.name = name
        self.wide = wide  # a worksheet: check the columns of its cells too
        self.count = 0
        self.rows = 0  # rows of a worksheet
        self.run = 0  # bytes since the last marker
        self.tail = b""
        self.wide_tail = b""
        # rows numbered with as many digits as the limit or more (honest sheets: few)
        digits = len(str(limits.rows + 1))
        self._far_row = re.compile(rb'<(?:\w+:)?row r="([0-9]{%d,})"' % digits)

    def feed(self, chunk: bytes) -> None:
        keep = max(len(m) for m in self.markers) - 1
        data = self.tail + chunk
        self.count += sum(data.count(marker) for marker in self.markers)
        first = min((at for m in self.markers if (at := data.find(m)) != -1), default=-1)
        if first == -1:
            self.run += len(chunk)
        else:
            self._check_run(self.run + first - len(self.tail))
            last = max(data.rfind(m) for m in self.markers)
            self.run = len(data) - last
        self._check_run(self.run)
        if self.wide:  # a reference cut by the chunk's end is found in the next one
            self.rows += sum(data.count(marker) for marker in _ROW_MARKERS)
            for match in _WIDE_CELL.finditer(self.wide_tail + chunk):
                if column_number(match.group(1)) > self.limits.columns:
                    raise LimitExceeded("columns", self.limits.columns, file=self.name)
            # A row numbered past the limit (one cell at A1048576): a reader that fills
            # the rows before it (calamine) would build them all.
            for match in self._far_row.finditer(self.wide_tail + chunk):
                if int(match.group(1)) - 1 > self.limits.rows:
                    raise LimitExceeded("rows", self.limits.rows, file=self.name)
            self.wide_tail = chunk[-32:]
        self.tail = data[-keep:] if keep else b""

    def end(self) -> None:
        self._check_run(self.run)

    def _check_run(self, length: int) -> None:
        if length > self.limits.bytes("line_kb"):
            raise LimitExceeded("line_kb", self.limits.line_kb, file=self.name)


# --------------------------------------------------------------------------- JSON

#: A JSON string (the unrolled form: fast on long strings).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
#: Each byte's step in depth (+1 for ``[{``, -1 for ``]}``), and whether it starts a number.
_STEP = np.zeros(256, dtype=np.int32)
_STEP[[ord("["), ord("{")]] = 1
_STEP[[ord("]"), ord("}")]] = -1
_NUMBER_START = np.zeros(256, dtype=bool)
_NUMBER_START[list(b"-0123456789")] = True


def check_json(text: str, limits: Limits, name: str) -> None:
    """Before JSON text is parsed: :class:`LimitExceeded` when its arrays and objects nest
    deeper than ``json_depth`` (brackets inside strings do not count) or when it holds more
    positions than ``coordinates`` (a position is an array of numbers, ``[13.4, 52.5]``)."""
    structure = _JSON_STRING.sub('""', text).encode("utf-8", "surrogatepass")
    data = np.frombuffer(structure.translate(None, b" \t\r\n"), dtype=np.uint8)
    depth = 0
    positions = 0
    for start in range(0, len(data), CHUNK):
        chunk = data[start:start + CHUNK]
        levels = np.cumsum(_STEP[chunk]) + depth
        if levels.size and int(levels.max()) > limits.json_depth:
            raise LimitExceeded("json_depth", limits.json_depth, file=name)
        depth = int(levels[-1]) if levels.size else depth
        following = data[start + 1:start + CHUNK + 1]
        opening = chunk[:len(following)] == ord("[")
        positions += int(np.count_nonzero(opening & _NUMBER_START[following]))
        if positions > limits.coordinates:
            raise LimitExceeded("coordinates", limits.coordinates, file=name)
