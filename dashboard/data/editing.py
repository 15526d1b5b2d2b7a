"""Editing the dataset file: one row at a time, atomically, with a change log and undo.

A save rewrites only the record it changes (the other lines keep their bytes, quoting
and line endings, so a diff shows only the change), is written through
:func:`dashboard.base.files.write_atomic` (a reader, or a crash, sees the old file or the
new one), and is refused with :class:`Conflict` when the file is no longer the one the
editor opened (its SHA-256 differs: someone else saved). Saves are serialised by an
exclusive lock on ``.<name>.lock`` beside the dataset, so two sessions cannot both pass
that check.

Every save is appended to the change log beside the dataset
(``<dataset>.changes.jsonl``: one JSON object a line with ``seq``, ``at``, ``who``,
``action`` (add, edit, delete or undo), ``id``, ``before`` and ``after``); :func:`undo`
applies an entry backwards.

Example::

    snap = open_snapshot("data/incidents.csv")
    row = dict(snap.rows["2019-08-23-berlin-khangoshvili"], notes="Checked again.")
    entry = save_row(snap, "2019-08-23-berlin-khangoshvili", row, who="ana")
    undo(open_snapshot(snap.path), entry, who="ana")
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from dashboard.base.files import UnreadableFile, read_regular_file, write_atomic
from dashboard.data.schema import (
    ID_PATTERN,
    DatasetError,
    validate_frame,
)
from dashboard.data.spreadsheet import neutralise, restore

LOG_SUFFIX = ".changes.jsonl"
#: A name for the change log when the person gave none.
ANONYMOUS = "anonymous"
MAX_WHO = 80


class EditError(Exception):
    """A save or undo that cannot be done; the message says why in one line."""


class Conflict(EditError):
    """The file changed since it was opened: ``theirs`` is the row as saved by someone else
    (None when it was removed or never existed), ``snapshot`` the file as it is now."""

    def __init__(self, message: str, *, theirs: dict[str, str] | None, snapshot: Snapshot):
        super().__init__(message)
        self.theirs = theirs
        self.snapshot = snapshot


class Rows(Mapping):
    """Rows by id, each made into a ``{column: text}`` dict only when asked for (a large
    file opens without building hundreds of thousands of dicts)."""

    def __init__(self, header: list[str], cells: dict[str, list[str]]):
        self._header = header
        self._cells = cells

    def __getitem__(self, row_id: str) -> dict[str, str]:
        return {column: (restore(cell) if cell[:1] == "'" else cell)
                for column, cell in zip(self._header, self._cells[row_id], strict=False)}

    def __contains__(self, row_id) -> bool:
        return row_id in self._cells

    def __iter__(self) -> Iterator[str]:
        return iter(self._cells)

    def __len__(self) -> int:
        return len(self._cells)


@dataclass(frozen=True)
class Snapshot:
    """The dataset file as the editor opened it."""

    path: Path
    raw: bytes
    digest: str
    header: list[str]
    #: Rows by id, as text (spreadsheet apostrophes removed, as the dashboard reads them).
    rows: Rows
    #: Where each row's record lies in the decoded text (start, end), by id.
    spans: dict[str, tuple[int, int]] = field(repr=False)
    text: str = field(repr=False)
    newline: str = "\n"
    bom: bool = False

    @property
    def ids(self) -> list[str]:
        return list(self.rows)

    @property
    def log_path(self) -> Path:
        return change_log_path(self.path)


@dataclass(frozen=True)
class ChangeEntry:
    """One line of the change log."""

    seq: int
    at: str
    who: str
    action: str  # add, edit, delete or undo
    id: str
    before: dict[str, str] | None
    after: dict[str, str] | None
    undoes: int | None = None

    def as_json(self) -> dict:
        data = {"seq": self.seq, "at": self.at, "who": self.who, "action": self.action,
                "id": self.id, "before": self.before, "after": self.after}
        if self.undoes is not None:
            data["undoes"] = self.undoes
        return data

    def changed_columns(self) -> list[str]:
        before, after = self.before or {}, self.after or {}
        return [c for c in dict.fromkeys([*before, *after]) if before.get(c) != after.get(c)]


def file_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def change_log_path(dataset: str | Path) -> Path:
    dataset = Path(dataset)
    return dataset.with_name(dataset.name + LOG_SUFFIX)


# --------------------------------------------------------------------------- reading


def _line_starts(text: str) -> list[int]:
    """The offset of the start of every line, plus the end of the text."""
    starts = [0]
    find = text.find
    at = find("\n")
    while at != -1:
        starts.append(at + 1)
        at = find("\n", at + 1)
    if starts[-1] != len(text):
        starts.append(len(text))
    return starts


def parse_snapshot(path: str | Path, raw: bytes) -> Snapshot:
    """The file's rows and where each lies, or DatasetError.

    One pass of the csv module over the text; ``line_num`` after each record gives the
    lines it used (a quoted line break stays inside its record), hence its span.
    """
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DatasetError(f"{path}: not UTF-8 text; the editor opens UTF-8 CSV only") from None
    bom = decoded.startswith("\ufeff")
    text = decoded[1:] if bom else decoded
    if not text.strip():
        raise DatasetError(f"{path}: the file is empty; expected a CSV with a header row")
    starts = _line_starts(text)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [cell.strip() for cell in next(reader)]
    except (StopIteration, csv.Error):
        raise DatasetError(f"{path}: the header row cannot be read") from None
    if "id" not in header:
        raise DatasetError(f"{path}: the header has no id column")
    first_end = starts[min(reader.line_num, len(starts) - 1)]
    newline = "\r\n" if text[:first_end].endswith("\r\n") else "\n"
    id_at = header.index("id")
    width = len(header)
    rows: dict[str, list[str]] = {}
    where: dict[str, tuple[int, int]] = {}
    line = reader.line_num
    try:
        for cells in reader:
            begin, line = line, reader.line_num
            if not cells or not any(cell.strip() for cell in cells):
                continue  # a blank line
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            row_id = cells[id_at].strip()
            if row_id in rows:
                raise DatasetError(f"{path}: the id {row_id!r} appears twice; run "
                                   f"`incident-map validate {path}` and fix it first")
            rows[row_id] = cells
            where[row_id] = (starts[begin], starts[min(line, len(starts) - 1)])
    except csv.Error as error:
        raise DatasetError(f"{path}: not a well-formed CSV near line {reader.line_num} "
                           f"({error})") from None
    return Snapshot(Path(path), raw, file_digest(raw), header, Rows(header, rows), where, text,
                    newline, bom)


def open_snapshot(path: str | Path) -> Snapshot:
    try:
        raw = read_regular_file(path)
    except UnreadableFile as error:
        raise DatasetError(str(error)) from None
    return parse_snapshot(path, raw)


# --------------------------------------------------------------------------- checking


def blank_row(header: list[str]) -> dict[str, str]:
    return {column: "" for column in header}


def row_problems(row: dict[str, str], *, header: list[str], other_ids=()) -> dict[str, str]:
    """What ``incident-map validate`` would say about ``row``, by column (first message).

    ``other_ids`` are the ids of the other rows: a repeated id is a problem too.
    """
    frame = pd.DataFrame([{column: str(row.get(column, "") or "") for column in header}],
                         dtype=str)
    problems: dict[str, str] = {}
    for problem in validate_frame(frame):
        problems.setdefault(problem.column, problem.message)
    row_id = str(row.get("id", "")).strip()
    if row_id and row_id in set(other_ids) and "id" not in problems:
        problems["id"] = f'"{row_id}" is the id of another incident; ids must be unique'
    return problems


def suggest_id(row: dict[str, str]) -> str:
    """A slug for a new row: ``YYYY-MM-DD-place-subject`` from its date, place and title."""
    import re
    import unicodedata

    def slug(text: str, words: int) -> str:
        bare = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
        return "-".join(re.findall(r"[a-z0-9]+", bare.lower())[:words])

    if not (row.get("date") and row.get("title") and row.get("place")):
        return ""
    place = (row.get("place") or "").split(",")[0]
    parts = [slug(row.get("date", ""), 3), slug(place, 3), slug(row.get("title", ""), 2)]
    candidate = "-".join(part for part in parts if part)
    return candidate if ID_PATTERN.match(candidate or "") else ""


# --------------------------------------------------------------------------- writing


def _format_record(header: list[str], row: dict[str, str], newline: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline, quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise(str(row.get(column, "") or "")) for column in header])
    return buffer.getvalue()


def _changed_text(snapshot: Snapshot, row_id: str | None, new_row: dict[str, str] | None) -> str:
    """The file's text with one record added, replaced or removed; other bytes untouched."""
    text = snapshot.text
    if row_id is None:
        if new_row is None:
            raise EditError("nothing to save")
        if text and not text.endswith("\n"):
            text += snapshot.newline
        return text + _format_record(snapshot.header, new_row, snapshot.newline)
    start, end = snapshot.spans[row_id]
    if new_row is None:
        return text[:start] + text[end:]
    record = _format_record(snapshot.header, new_row, snapshot.newline)
    if not text[start:end].endswith("\n"):
        record = record[: -len(snapshot.newline)]  # the last line had no line break
    return text[:start] + record + text[end:]


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    lock = path.with_name(f".{path.name}.lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _clean(row: dict[str, str] | None, header: list[str]) -> dict[str, str] | None:
    if row is None:
        return None
    return {column: str(row.get(column, "") or "").strip() for column in header}


def save_row(snapshot: Snapshot, row_id: str | None, new_row: dict[str, str] | None, *,
             who: str, action: str | None = None, undoes: int | None = None) -> ChangeEntry:
    """Add (``row_id`` None), replace or (``new_row`` None) remove one row of the dataset.

    Raises :class:`Conflict` when the file is no longer ``snapshot`` and :class:`EditError`
    when the row does not pass validation. Returns the change log entry written.
    """
    path = snapshot.path
    new_row = _clean(new_row, snapshot.header)
    if new_row is not None:
        others = [i for i in snapshot.rows if i != row_id]
        problems = row_problems(new_row, header=snapshot.header, other_ids=others)
        if problems:
            first = next(iter(problems.items()))
            raise EditError(f"not saved: column {first[0]}: {first[1]}")
    if row_id is not None and row_id not in snapshot.rows:
        raise EditError(f"not saved: there is no incident with id {row_id!r}")
    with _locked(path):
        try:
            current = read_regular_file(path)
        except UnreadableFile as error:
            raise EditError(f"not saved: {error}") from None
        if file_digest(current) != snapshot.digest:
            now = parse_snapshot(path, current)
            key = row_id if row_id is not None else (new_row or {}).get("id")
            raise Conflict(
                f"not saved: {path.name} changed since you opened it (someone else saved); "
                "compare both versions below and merge",
                theirs=now.rows.get(key), snapshot=now,
            )
        text = _changed_text(snapshot, row_id, new_row)
        payload = ("\ufeff" if snapshot.bom else "") + text
        before = snapshot.rows.get(row_id) if row_id is not None else None
        write_atomic(path, payload.encode("utf-8"))
        default = "add" if row_id is None else ("delete" if new_row is None else "edit")
        entry = _append_log(path, who=who, action=action or default,
                            row_id=(new_row or before or {}).get("id", row_id or ""),
                            before=_clean(before, snapshot.header), after=new_row, undoes=undoes)
    return entry


def delete_row(snapshot: Snapshot, row_id: str, *, who: str) -> ChangeEntry:
    """Remove one row (logged as ``delete``; :func:`undo` adds it back at the end)."""
    return save_row(snapshot, row_id, None, who=who)


def _append_log(path: Path, *, who: str, action: str, row_id: str, before, after,
                undoes: int | None) -> ChangeEntry:
    log = change_log_path(path)
    entry = ChangeEntry(
        seq=len(read_log(log)) + 1,
        at=datetime.now(UTC).isoformat(timespec="seconds"),
        who=(" ".join((who or "").split())[:MAX_WHO]) or ANONYMOUS,
        action=action, id=row_id, before=before, after=after, undoes=undoes,
    )
    line = json.dumps(entry.as_json(), ensure_ascii=False) + "\n"
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return entry


def read_log(path: str | Path) -> list[ChangeEntry]:
    """The change log's entries, oldest first; lines that are not entries are skipped."""
    try:
        raw = read_regular_file(path)
    except UnreadableFile:
        return []
    entries = []
    for line in raw.decode("utf-8", errors="replace").splitlines():
        try:
            data = json.loads(line)
            entries.append(ChangeEntry(
                seq=int(data["seq"]), at=str(data["at"]), who=str(data["who"]),
                action=str(data["action"]), id=str(data["id"]),
                before=data.get("before"), after=data.get("after"), undoes=data.get("undoes"),
            ))
        except (ValueError, KeyError, TypeError):
            continue
    return entries


def undo(snapshot: Snapshot, entry: ChangeEntry, *, who: str) -> ChangeEntry:
    """Put the row of ``entry`` back as it was before it (remove a row it added).

    Refused when the row has changed since that entry (undo the later change first).
    """
    after_id = (entry.after or {}).get("id")
    current = snapshot.rows.get(after_id) if after_id else None
    if entry.after is not None and _clean(current, snapshot.header) != _clean(
            entry.after, snapshot.header):
        raise EditError(f"cannot undo change {entry.seq}: incident {entry.id!r} has changed "
                        "since; undo the later change first or edit it by hand")
    before = _clean(entry.before, snapshot.header)
    if entry.after is None and before is not None:  # undoing a removal: add it again
        return save_row(snapshot, None, before, who=who, action="undo", undoes=entry.seq)
    return save_row(snapshot, after_id, before, who=who, action="undo", undoes=entry.seq)


# --------------------------------------------------------------------------- merging


def merge_rows(base: dict[str, str] | None, mine: dict[str, str],
               theirs: dict[str, str] | None) -> tuple[dict[str, str], list[str]]:
    """A three-way merge of one row: each column takes the side that changed it.

    Returns the merged row and the columns both sides changed differently (the merged
    row keeps "mine" there; the person chooses).
    """
    base, theirs = base or {}, theirs or {}
    merged, clashes = {}, []
    for column in dict.fromkeys([*mine, *theirs]):
        b, m, t = base.get(column, ""), mine.get(column, ""), theirs.get(column, "")
        if m == t or t == b:
            merged[column] = m
        elif m == b:
            merged[column] = t
        else:
            merged[column] = m
            clashes.append(column)
    return merged, clashes
