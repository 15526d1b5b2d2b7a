"""The store interface: what every place a dataset can live in offers the page, the editor,
the command line and the tests.

A store holds the incidents (a table of text cells, in a stable order), the change log of
the editor's saves, the authored briefings and the review state (the gazetteer's answers on
ambiguous places, by dataset version). Each implementation lives in its own folder
(``csvfile/``, ``postgresql/``) and says what it can do in a small :class:`Features`
object, which the editor and the tests consult instead of asking which store it is.

Rows go in and out as ``{column: text}`` dicts of the cells as a person reads them
(spreadsheet apostrophes removed); errors are those of :mod:`dashboard.data.editing`
(:class:`~dashboard.data.editing.EditError`, :class:`~dashboard.data.editing.Conflict`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from dashboard.data.briefings import Briefing
from dashboard.data.editing import ChangeEntry, EditError


def clean_row(row: Mapping[str, str] | None, header: list[str]) -> dict[str, str] | None:
    """``row`` with every column of ``header``, each cell stripped (None stays None)."""
    if row is None:
        return None
    return {column: str(row.get(column, "") or "").strip() for column in header}


class StoreError(Exception):
    """A store that cannot be opened or used; the message says why in one line."""


@dataclass(frozen=True)
class Features:
    """What a store can do (the editor's wording and the tests follow these)."""

    #: Several processes (on several machines) may read and write it at once.
    shared: bool
    #: What a conflict is: ``"file"``, any save since the editor opened the dataset;
    #: ``"row"``, a save of the same row only (rows carry a version number).
    conflicts: str
    #: A save leaves every other row's bytes as they were (a diff shows only the change).
    keeps_formatting: bool
    #: Other processes hear of a save at once (PostgreSQL's LISTEN/NOTIFY) rather than by
    #: looking at a file's modification time.
    notifies: bool
    #: Rows carry a geometry (a PostGIS point) beside their ``lat``/``lon`` text.
    geometry: bool
    #: The review state (gazetteer answers on ambiguous places) is kept for everyone, not
    #: only in the process that found it.
    shared_review: bool


class Snapshot(Protocol):
    """The dataset as an editor opened it: what the editor reads from it."""

    header: list[str]
    rows: Mapping[str, dict[str, str]]
    #: Changes whenever anything in the store changes (a cache key).
    digest: str

    @property
    def ids(self) -> list[str]: ...


class Store(ABC):
    """One place a dataset lives in (see the module's docstring)."""

    features: Features
    #: What the store is, for people: ``incidents.csv``, ``PostgreSQL incident_map on db:5432``.
    label: str
    #: Where the change log is, for people.
    log_label: str

    # -- reading ------------------------------------------------------------------------

    @abstractmethod
    def version(self) -> str:
        """A token that changes whenever the incidents change (cheap: called every rerun)."""

    @abstractmethod
    def read_frame(self) -> pd.DataFrame:
        """Every row as text columns (empty cells ``""``), in the store's order, or
        :class:`~dashboard.data.schema.DatasetError`."""

    @abstractmethod
    def header(self) -> list[str]:
        """The dataset's columns, in order."""

    # -- the editor -----------------------------------------------------------------------

    @abstractmethod
    def open_snapshot(self) -> Snapshot:
        """The rows as they are now, for the editor (conflicts are judged against it)."""

    @abstractmethod
    def save_row(self, snapshot: Snapshot, row_id: str | None,
                 new_row: dict[str, str] | None, *, who: str, action: str | None = None,
                 undoes: int | None = None) -> ChangeEntry:
        """Add (``row_id`` None), replace or (``new_row`` None) remove one row, with its
        change-log entry, as one step. Raises Conflict or EditError."""

    def delete_row(self, snapshot: Snapshot, row_id: str, *, who: str) -> ChangeEntry:
        return self.save_row(snapshot, row_id, None, who=who)

    @abstractmethod
    def read_log(self) -> list[ChangeEntry]:
        """The change log, oldest first."""

    def undo(self, snapshot: Snapshot, entry: ChangeEntry, *, who: str) -> ChangeEntry:
        """Put the row of ``entry`` back as it was before it (remove a row it added);
        refused when the row has changed since that entry (as ``editing.undo``)."""
        after_id = (entry.after or {}).get("id")
        current = snapshot.rows.get(after_id) if after_id else None
        if entry.after is not None and clean_row(current, snapshot.header) != clean_row(
                entry.after, snapshot.header):
            raise EditError(f"cannot undo change {entry.seq}: incident {entry.id!r} has "
                            "changed since; undo the later change first or edit it by hand")
        before = clean_row(entry.before, snapshot.header)
        if entry.after is None and before is not None:  # undoing a removal: add it again
            return self.save_row(snapshot, None, before, who=who, action="undo",
                                 undoes=entry.seq)
        return self.save_row(snapshot, after_id, before, who=who, action="undo",
                             undoes=entry.seq)

    # -- bulk -----------------------------------------------------------------------------

    @abstractmethod
    def replace_all(self, header: list[str], rows: Iterable[list[str]]) -> int:
        """Replace the whole dataset with ``rows`` (cells exactly as a CSV file holds them,
        in ``header``'s order); returns the number of rows. The change log is kept."""

    @abstractmethod
    def raw_rows(self) -> tuple[list[str], list[list[str]]]:
        """The header and every row's cells exactly as a CSV file holds them."""

    # -- briefings ------------------------------------------------------------------------

    @abstractmethod
    def briefing_names(self) -> list[str]:
        """The names of the briefings, sorted."""

    @abstractmethod
    def load_briefing(self, name: str, *, ids: Iterable[str] | None = None) -> Briefing:
        """Briefing ``name``, validated (BriefingError otherwise)."""

    @abstractmethod
    def briefing_stamp(self, name: str) -> str | None:
        """A fingerprint of the briefing as stored now (None when there is none)."""

    @abstractmethod
    def save_briefing(self, briefing: Briefing, *, expected: str | None,
                      ids: Iterable[str] | None = None) -> str:
        """Validate and write ``briefing``; BriefingConflict when it is no longer the
        version ``expected`` (a :meth:`briefing_stamp`); returns where it went, for people."""

    @abstractmethod
    def briefing_text(self, name: str) -> str | None:
        """The briefing's TOML text as stored (None when there is none)."""

    @abstractmethod
    def put_briefing_text(self, name: str, text: str) -> None:
        """Store a briefing's TOML text as it is (``store load`` and ``dump`` copy them)."""

    # -- review state ---------------------------------------------------------------------

    @abstractmethod
    def review_findings(self, version: str) -> dict[str, str] | None:
        """The gazetteer's answers on ambiguous places for the dataset at ``version`` (a
        snapshot's digest): a reason by id, or None when nobody checked that version."""

    @abstractmethod
    def save_review_findings(self, version: str, findings: dict[str, str]) -> None:
        """Keep the answers found for the dataset at ``version``."""

    def close(self) -> None:  # noqa: B027  (a store with nothing to release)
        """Release connections and threads."""
