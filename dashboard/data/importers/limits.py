"""How much of a visitor's file the dashboard reads: every limit, its default, and the error
that stops a read the moment one is passed.

Every upload (and every file ``incident-map import`` reads) is read under a :class:`Limits`:
bytes per file and per session, the rows and columns of any table, a CSV line's length, a
workbook's decompressed size, parts, shared strings and cells, a GeoJSON file's nesting
depth and coordinates, and the memory and time the worker process that parses an upload
may use. A reader checks them *while* it reads and raises :class:`LimitExceeded`, whose
message is one line naming the file, the limit and how to raise it::

    big.csv: more than 400,000 rows (limit rows=400000; raise it with
    --limit rows=N or INCIDENT_MAP_LIMIT_ROWS=N)

Each limit is set, in this order of precedence, by ``incident-map serve --limit NAME=N``
(or ``import --limit NAME=N``), by the environment variable ``INCIDENT_MAP_LIMIT_<NAME>``,
or by its default below (chosen from ``benchmarks/bench_upload_limits.py``; the README's
Security section lists them).

>>> limits = Limits(rows=10)
>>> limits.check("rows", 10, "x.csv")
>>> limits.check("rows", 11, "x.csv")
Traceback (most recent call last):
...
dashboard.data.importers.limits.LimitExceeded: x.csv: more than 10 rows (limit rows=10; \
raise it with --limit rows=N or INCIDENT_MAP_LIMIT_ROWS=N)
>>> Limits.from_env({"INCIDENT_MAP_LIMIT_ROWS": "2000"}).rows
2000
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace

from dashboard.data.schema import DatasetError

ENV_PREFIX = "INCIDENT_MAP_LIMIT_"
MB = 1024 * 1024
KB = 1024


@dataclass(frozen=True)
class Limits:
    """The limits one read runs under (defaults: the dashboard's; see the module's text)."""

    #: Bytes of one uploaded file, in MB.
    upload_mb: int = 100
    #: Bytes one browser session may hold in uploads at once, in MB (freed when it ends).
    session_mb: int = 200
    #: Bytes all sessions together may hold in uploads at once, in MB.
    uploads_mb: int = 512
    #: Rows of any upload (data rows, not counting the header).
    rows: int = 400_000
    #: Columns of any table: CSV, workbook sheet, GeoJSON properties.
    columns: int = 1_000
    #: Length of one line of a CSV file (or of one cell of a workbook), in KB.
    line_kb: int = 1_024
    #: Decompressed size of a workbook (every part of the zip together), in MB.
    workbook_mb: int = 1_024
    #: Parts (files) inside a workbook's zip.
    workbook_entries: int = 10_000
    #: Entries of a workbook's shared-strings table.
    shared_strings: int = 2_000_000
    #: Cells of a workbook's sheets.
    cells: int = 20_000_000
    #: Nesting depth of a GeoJSON (or any JSON) file's arrays and objects.
    json_depth: int = 64
    #: Positions (arrays of numbers, ``[13.4, 52.5]``) in a GeoJSON file.
    coordinates: int = 5_000_000
    #: Memory of the worker process that parses one upload (its data: heap and private
    #: memory), in MB.
    parse_memory_mb: int = 2_048
    #: Wall-clock time the worker may take to parse and convert one upload, in seconds.
    parse_seconds: int = 300

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The defaults, overridden by ``INCIDENT_MAP_LIMIT_<NAME>`` variables.

        Raises :class:`ValueError` (one line) for a value that is not a whole number of 1
        or more, so ``serve`` refuses to start instead of running without the limit.
        """
        environ = os.environ if environ is None else environ
        values = {}
        for name in names():
            text = environ.get(env_var(name), "").strip()
            if text:
                values[name] = parse_value(name, text, source=env_var(name))
        return cls(**values)

    def with_options(self, options: Iterable[str]) -> Limits:
        """These limits with ``NAME=N`` options applied (``--limit rows=1000000``).

        >>> Limits().with_options(["rows=7", "upload_mb=1"]).rows
        7
        """
        values = {}
        for option in options:
            name, sep, text = option.partition("=")
            name = name.strip().lower().replace("-", "_")
            if not sep or name not in names():
                raise ValueError(
                    f"--limit {option!r}: expected NAME=N with NAME one of {', '.join(names())}")
            values[name] = parse_value(name, text, source=f"--limit {name}")
        return replace(self, **values)

    def as_env(self) -> dict[str, str]:
        """Every limit as the environment variables a server process reads."""
        return {env_var(name): str(getattr(self, name)) for name in names()}

    def bytes(self, name: str) -> int:
        """A limit given in MB or KB, in bytes (``upload_mb``, ``line_kb``, ...)."""
        value = getattr(self, name)
        if name.endswith("_mb"):
            return value * MB
        if name.endswith("_kb"):
            return value * KB
        return value

    def check(self, name: str, count: int, file: str = "") -> None:
        """Raise :class:`LimitExceeded` when ``count`` (in the limit's own unit: rows,
        bytes for ``_mb``/``_kb`` limits, ...) passes limit ``name``."""
        if count > self.bytes(name):
            raise LimitExceeded(name, getattr(self, name), file=file)


#: What passing each limit means, in words (``{value}`` is the limit).
DESCRIPTIONS = {
    "upload_mb": "larger than {value:,} MB",
    "session_mb": "more than {value:,} MB of uploads held by this browser session "
                  "(remove a file above, or reload the page, to free them)",
    "uploads_mb": "more than {value:,} MB of uploads held by the server (try again in "
                  "a while)",
    "rows": "more than {value:,} rows",
    "columns": "more than {value:,} columns",
    "line_kb": "a line (or a workbook cell) longer than {value:,} KB",
    "workbook_mb": "a workbook that decompresses to more than {value:,} MB",
    "workbook_entries": "a workbook of more than {value:,} parts",
    "shared_strings": "a workbook with more than {value:,} shared strings",
    "cells": "a worksheet of more than {value:,} cells",
    "json_depth": "JSON nested more than {value:,} levels deep",
    "coordinates": "more than {value:,} coordinates",
    "parse_memory_mb": "needs more than {value:,} MB of memory to read",
    "parse_seconds": "takes more than {value:,} seconds to read",
}


class LimitExceeded(DatasetError):
    """A read stopped because the file passed one of its :class:`Limits`.

    ``limit`` is the limit's name (``rows``), ``value`` its setting; the message is one
    line: the file, what was passed, and how to raise it.
    """

    def __init__(self, limit: str, value: int, *, file: str = ""):
        self.limit = limit
        self.value = value
        self.file = file
        super().__init__(message(limit, value, file))

    def __reduce__(self):  # whole again after pickling (sent back by the worker process)
        return (_rebuild, (self.limit, self.value, self.file))


def _rebuild(limit: str, value: int, file: str) -> LimitExceeded:
    return LimitExceeded(limit, value, file=file)


def message(limit: str, value: int, file: str = "") -> str:
    """The one line a passed limit is reported with."""
    what = DESCRIPTIONS[limit].format(value=value)
    where = f"{file}: " if file else ""
    return (f"{where}{what} (limit {limit}={value}; raise it with --limit {limit}=N "
            f"or {env_var(limit)}=N)")


def names() -> list[str]:
    """Every limit's name, in the order the README lists them."""
    return [f.name for f in fields(Limits)]


def env_var(name: str) -> str:
    """``rows`` -> ``INCIDENT_MAP_LIMIT_ROWS``."""
    return ENV_PREFIX + name.upper()


def parse_value(name: str, text: str, *, source: str) -> int:
    text = text.strip().replace("_", "").replace(",", "")
    if not (text.isascii() and text.isdigit() and len(text) <= 15) or int(text) < 1:
        raise ValueError(f"{source}: {text!r} is not a whole number of 1 or more")
    return int(text)


def current_limits() -> Limits:
    """The limits of this process: the defaults and ``INCIDENT_MAP_LIMIT_*``."""
    return Limits.from_env()
