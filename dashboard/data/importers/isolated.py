"""Reading and converting a visitor's upload in a worker process, under the limits.

The page never parses an upload in the server's own process: :func:`read_upload` sends the
file's bytes to a worker (:mod:`dashboard.base.worker`) whose address space is capped at
``parse_memory_mb`` and whose time at ``parse_seconds``; there the file is read under
every other limit (:mod:`.reading`, :mod:`.guards`) and converted, and only what the page
shows comes back: the header, the detected format, the mapping guessed from the header,
and the converted incidents with their problems. A worker that passes its memory or time
is reported as the limit it passed (:class:`~.limits.LimitExceeded`), in one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from dashboard.base.worker import WorkerFailed, WorkerLimit, preload, run_limited
from dashboard.data.importers import Mapping, convert_source, detect_source
from dashboard.data.importers.limits import LimitExceeded, Limits, current_limits
from dashboard.data.importers.reading import read_table
from dashboard.data.importers.table import MissingFields, guess
from dashboard.data.schema import DatasetError

#: What the worker server imports once (pandas, the readers and the converters).
preload(["dashboard.data.importers.isolated"])


@dataclass
class Reading:
    """An upload read and converted: what the page shows of it."""

    columns: list[str]
    kind: str
    encoding: str
    rows_read: int
    detected: str
    #: Field -> column, as guessed from the header and the values.
    guessed: dict[str, str]
    #: Field -> why it was guessed so (or why a column was passed over).
    guess_reasons: dict[str, str] = field(default_factory=dict)
    #: The conversion asked for (None when it failed: ``error`` says why, in one line).
    incidents: pd.DataFrame | None = None
    problems: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["row", "column", "problem"]))
    summary: str = ""
    source: str = ""
    error: str | None = None
    #: The fields no column or value gives, when that is why the conversion failed.
    missing: list[str] = field(default_factory=list)
    #: What the conversion guessed or noticed; the commonest reasons rows were refused.
    notices: list[str] = field(default_factory=list)
    reasons: list[tuple[str, int]] = field(default_factory=list)
    #: The share of the file's rows kept, and the mapping used (JSON form) for a table.
    kept_share: float = 1.0
    mapping: dict | None = None


def read_upload(raw: bytes, name: str, source: str | None = None,
                mapping: Mapping | dict[str, str] | None = None, *, limits: Limits | None = None,
                usage: list | None = None) -> Reading:
    """Read and convert ``raw`` in a worker; DatasetError (one line) when it cannot be read,
    :class:`LimitExceeded` when it passes a limit (the worker's memory and time included).

    ``source`` and ``mapping`` are as for :func:`~dashboard.data.importers.convert_source`;
    a conversion that fails leaves ``incidents`` None and its reason in ``error``.
    """
    limits = limits or current_limits()
    try:
        return run_limited(convert_upload, raw, name, source, mapping, limits,
                           memory_bytes=limits.bytes("parse_memory_mb"),
                           seconds=limits.parse_seconds, usage=usage)
    except WorkerLimit as stopped:
        limit = "parse_memory_mb" if stopped.kind == "memory" else "parse_seconds"
        raise LimitExceeded(limit, getattr(limits, limit), file=name) from None
    except WorkerFailed as error:
        raise DatasetError(f"{name}: could not be read ({error})") from None


def convert_upload(raw: bytes, name: str, source: str | None,
                   mapping: Mapping | dict[str, str] | None, limits: Limits) -> Reading:
    """What the worker runs: read ``raw`` under ``limits``, detect, guess and convert (a
    CSV that is already a dataset is shown as it is)."""
    table = read_table(raw, name=name, limits=limits)
    del raw
    columns = [str(column) for column in table.frame.columns]
    guessed = guess(columns, table.frame)
    reading = Reading(columns, table.kind, table.encoding, table.rows_read,
                      detect_source(table.frame), guessed.columns, guessed.reasons)
    try:
        result = convert_source(table, source, mapping or None, name=name, datasets=True)
    except MissingFields as error:
        reading.error, reading.missing = str(error), error.missing
        return reading
    except DatasetError as error:
        reading.error = str(error)
        return reading
    reading.incidents = result.incidents
    reading.problems = pd.DataFrame([(p.row, p.column, p.message) for p in result.problems],
                                    columns=["row", "column", "problem"])
    reading.summary = result.summary()
    reading.source = result.source
    reading.notices = result.notices
    reading.reasons = result.reasons()
    reading.kept_share = result.kept_share
    reading.mapping = result.mapping.as_json() if result.mapping is not None else None
    return reading
