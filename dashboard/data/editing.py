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

The change log never loses or hides an entry:

- a line ends only at ``\n``: every other character that some reader takes for a line
  break or that hides text (U+2028, U+2029, U+0085, the other control and format
  characters, lone surrogates, noncharacters) is written as a JSON ``\\uXXXX`` escape, and
  the log is split on ``\n`` alone, so any text in a cell comes back as it was typed;
- sequence numbers never repeat: the next is one more than the highest seq and the number
  of lines the log holds, readable or not;
- a save and its entry are one step: before the dataset is replaced, the entry is written to
  a journal (``.<name>.journal`` beside it, atomically); the entry is appended after the
  replace and the journal then removed. A process killed at any point leaves the journal;
  the next open, save or log read (under the lock) finishes the save (appends the entry when
  the dataset is the new version) or drops it (when the dataset is still the old one), so a
  reader always finds both or neither.

Open snapshots are shared: a file opened again unchanged (same inode, size and modification
time) is the same :class:`Snapshot` object, so many editor sessions on one dataset hold it
once; a snapshot keeps the file's text and where each record lies, and parses a row only
when it is asked for.

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
import re
import threading
import unicodedata
from collections import OrderedDict
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
from dashboard.data.spreadsheet import csv_record, neutralise, restore

LOG_SUFFIX = ".changes.jsonl"
JOURNAL_SUFFIX = ".journal"
#: Snapshots kept for sharing (the dataset's latest versions).
SHARED_SNAPSHOTS = 2
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


class TextRows(Mapping):
    """Rows by id, parsed from the file's text only when asked for: a snapshot holds the
    text and where each record lies, not a list of cells per row."""

    def __init__(self, header: list[str], text: str, spans: dict[str, tuple[int, int]]):
        self._header = header
        self._text = text
        self._spans = spans

    def __getitem__(self, row_id: str) -> dict[str, str]:
        start, end = self._spans[row_id]
        cells = next(csv.reader(io.StringIO(self._text[start:end], newline="")), [])
        return self._as_row(cells)

    def _as_row(self, cells: list[str]) -> dict[str, str]:
        cells = cells + [""] * (len(self._header) - len(cells))
        return {column: (restore(cell) if cell[:1] == "'" else cell)
                for column, cell in zip(self._header, cells, strict=False)}

    def values(self):
        """Every row, in file order, from one pass over the text."""
        return [self._as_row(cells) for _, cells, _, _ in _records(self._text)]

    def __contains__(self, row_id) -> bool:
        return row_id in self._spans

    def __iter__(self) -> Iterator[str]:
        return iter(self._spans)

    def __len__(self) -> int:
        return len(self._spans)


@dataclass(frozen=True)
class Snapshot:
    """The dataset file as the editor opened it."""

    path: Path
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


def _records(text: str) -> Iterator[tuple[str, list[str], int, int]]:
    """Each record after the header: its id, cells, and where it lies in ``text``.

    One pass of the csv module; ``line_num`` after each record gives the lines it used (a
    quoted line break stays inside its record), hence its span. Blank lines are skipped.
    csv.Error propagates.
    """
    starts = _line_starts(text)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [cell.strip() for cell in next(reader)]
    id_at = header.index("id")
    line = reader.line_num
    for cells in reader:
        begin, line = line, reader.line_num
        if not cells or not any(cell.strip() for cell in cells):
            continue  # a blank line
        row_id = cells[id_at].strip() if id_at < len(cells) else ""
        yield row_id, cells, starts[begin], starts[min(line, len(starts) - 1)]


def parse_snapshot(path: str | Path, raw: bytes) -> Snapshot:
    """The file's header and where each record lies, or DatasetError."""
    digest = file_digest(raw)
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DatasetError(f"{path}: not UTF-8 text; the editor opens UTF-8 CSV only") from None
    del raw
    bom = decoded.startswith("\ufeff")
    text = decoded[1:] if bom else decoded
    del decoded
    if not text.strip():
        raise DatasetError(f"{path}: the file is empty; expected a CSV with a header row")
    reader = csv.reader(io.StringIO(text[:text.find("\n") + 1 or len(text)], newline=""))
    try:
        header = [cell.strip() for cell in next(reader)]
    except (StopIteration, csv.Error):
        raise DatasetError(f"{path}: the header row cannot be read") from None
    if "id" not in header:
        raise DatasetError(f"{path}: the header has no id column")
    first_end = text.find("\n") + 1 or len(text)
    newline = "\r\n" if text[:first_end].endswith("\r\n") else "\n"
    where: dict[str, tuple[int, int]] = {}
    records = _records(text)
    try:
        for row_id, _, start, end in records:
            if row_id in where:
                raise DatasetError(f"{path}: the id {row_id!r} appears twice; run "
                                   f"`incident-map validate {path}` and fix it first")
            where[row_id] = (start, end)
    except csv.Error as error:
        raise DatasetError(f"{path}: not a well-formed CSV ({error})") from None
    return Snapshot(Path(path), digest, header, TextRows(header, text, where), where, text,
                    newline, bom)


_shared_lock = threading.Lock()
_shared: OrderedDict[tuple, Snapshot] = OrderedDict()


def _file_key(path: Path) -> tuple | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (str(path.absolute()), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def open_snapshot(path: str | Path) -> Snapshot:
    """The file as it is now (an interrupted save finished or dropped first); the same
    object as the last open when the file has not changed since."""
    path = Path(path)
    recover(path)
    key = _file_key(path)
    with _shared_lock:
        if key is not None and key in _shared:
            _shared.move_to_end(key)
            return _shared[key]
    try:
        raw = read_regular_file(path)
    except UnreadableFile as error:
        raise DatasetError(str(error)) from None
    snapshot = parse_snapshot(path, raw)
    del raw
    if key is not None and _file_key(path) == key:
        with _shared_lock:
            _shared[key] = snapshot
            while len(_shared) > SHARED_SNAPSHOTS:
                _shared.popitem(last=False)
    return snapshot


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
    return csv_record([neutralise(str(row.get(column, "") or "")) for column in header],
                      newline)


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
        _recover_locked(path)
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
        del current
        text = _changed_text(snapshot, row_id, new_row)
        payload = (("\ufeff" if snapshot.bom else "") + text).encode("utf-8")
        del text
        before = snapshot.rows.get(row_id) if row_id is not None else None
        default = "add" if row_id is None else ("delete" if new_row is None else "edit")
        log = change_log_path(path)
        entry = ChangeEntry(
            seq=next_seq(log), at=datetime.now(UTC).isoformat(timespec="seconds"),
            who=(" ".join((who or "").split())[:MAX_WHO]) or ANONYMOUS,
            action=action or default, id=(new_row or before or {}).get("id", row_id or ""),
            before=_clean(before, snapshot.header), after=new_row, undoes=undoes)
        line = log_line(entry)
        # One step: the journal names the entry and both versions; the dataset is replaced;
        # the entry appended; the journal removed. A kill anywhere leaves what recover()
        # needs to finish the save or drop it.
        write_atomic(journal_path(path), json.dumps(
            {"before": snapshot.digest, "after": file_digest(payload), "line": line}))
        write_atomic(path, payload)
        _append_line(log, line)
        journal_path(path).unlink()
    return entry


def delete_row(snapshot: Snapshot, row_id: str, *, who: str) -> ChangeEntry:
    """Remove one row (logged as ``delete``; :func:`undo` adds it back at the end)."""
    return save_row(snapshot, row_id, None, who=who)


# --------------------------------------------------------------------------- the change log


def journal_path(dataset: str | Path) -> Path:
    dataset = Path(dataset)
    return dataset.with_name(f".{dataset.name}{JOURNAL_SUFFIX}")


def _escaped(character: str) -> bool:
    """True for a character written as ``\\uXXXX`` in the log: one that some reader takes
    for a line break or that hides or reorders text (control, format, line and paragraph
    separators), a lone surrogate, a noncharacter."""
    code = ord(character)
    if code < 0x80:
        return code == 0x7F  # json already escapes the controls below 0x20
    if 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE:
        return True
    return unicodedata.category(character) in ("Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn")


_NOT_PLAIN = re.compile(r"[^\x20-\x7e]")


def _escape(match: re.Match) -> str:
    character = match.group(0)
    if not _escaped(character):
        return character
    code = ord(character)
    if code > 0xFFFF:  # as a JSON surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def log_line(entry: ChangeEntry) -> str:
    """The entry as one line of the log: JSON, readable text kept as it is, every character
    that could break or hide the line escaped (see the module's text); ends in ``\\n``.

    >>> entry = ChangeEntry(1, "2025-01-01T00:00:00+00:00", "ana", "edit", "x",
    ...                     None, {"notes": "a\\u2028b\\x85c\\u202ed é"})
    >>> log_line(entry)[-48:]
    '"after": {"notes": "a\\\\u2028b\\\\u0085c\\\\u202ed é"}}\\n'
    """
    text = json.dumps(entry.as_json(), ensure_ascii=False)
    return _NOT_PLAIN.sub(_escape, text) + "\n"


def _append_line(log: Path, line: str) -> None:
    """Append one line; when the log's last line was left without its line break (a write
    cut short), the new line starts on a line of its own."""
    fd = os.open(log, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = "\n" + line
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def _log_lines(path: Path) -> list[bytes]:
    """The log's non-empty lines, split at ``\\n`` only."""
    try:
        raw = read_regular_file(path)
    except UnreadableFile:
        return []
    return [line for line in raw.split(b"\n") if line.strip()]


def _entry(line: bytes) -> ChangeEntry | None:
    try:
        data = json.loads(line.decode("utf-8", errors="surrogateescape"))
        return ChangeEntry(
            seq=int(data["seq"]), at=str(data["at"]), who=str(data["who"]),
            action=str(data["action"]), id=str(data["id"]),
            before=data.get("before"), after=data.get("after"), undoes=data.get("undoes"))
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeError):
        return None


def read_log(path: str | Path) -> list[ChangeEntry]:
    """The change log's entries, oldest first (an interrupted save finished or dropped
    first); a line that is not an entry (damaged by hand) is skipped, see
    :func:`damaged_lines`."""
    path = Path(path)
    dataset = path.with_name(path.name.removesuffix(LOG_SUFFIX))
    if path.name.endswith(LOG_SUFFIX):
        recover(dataset)
    return [entry for entry in map(_entry, _log_lines(path)) if entry is not None]


def damaged_lines(path: str | Path) -> list[int]:
    """Line numbers (from 1) of the log's non-empty lines that are not entries."""
    try:
        raw = read_regular_file(path)
    except UnreadableFile:
        return []
    return [number for number, line in enumerate(raw.split(b"\n"), start=1)
            if line.strip() and _entry(line) is None]


def next_seq(log: str | Path) -> int:
    """One more than the highest seq in the log and than its number of lines (a damaged line
    may have held the highest), so a seq is never given twice."""
    lines = _log_lines(Path(log))
    highest = max((entry.seq for entry in map(_entry, lines) if entry is not None), default=0)
    return max(highest, len(lines)) + 1


def recover(dataset: str | Path) -> None:
    """Finish or drop a save a killed process left half done (see the module's text)."""
    dataset = Path(dataset)
    if not journal_path(dataset).exists():
        return
    with _locked(dataset):
        _recover_locked(dataset)


def _recover_locked(dataset: Path) -> None:
    journal = journal_path(dataset)
    try:
        record = json.loads(read_regular_file(journal))
        before, after, line = record["before"], record["after"], record["line"]
    except UnreadableFile:
        return  # no journal: nothing was left half done
    except (ValueError, KeyError, TypeError):
        journal.unlink(missing_ok=True)  # written atomically: never torn; not ours
        return
    try:
        current = file_digest(read_regular_file(dataset))
    except UnreadableFile:
        return  # the dataset is not there: leave the journal for a person to look at
    if current == after:  # the dataset was replaced: its entry must be in the log
        log = change_log_path(dataset)
        written = {raw.strip() for raw in _log_lines(log)[-3:]}
        if line.strip().encode("utf-8") not in written:
            _append_line(log, line)
        journal.unlink()
    elif current == before:  # killed before the replace: nothing happened
        journal.unlink()
    else:  # changed by other means since: keep the journal aside for a person
        os.replace(journal, journal.with_name(journal.name + ".stale"))


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
