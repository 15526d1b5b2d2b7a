"""The CSV file store (see the package's docstring): the editing module's functions on one
file, behind the store interface."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from dashboard.base.files import UnreadableFile, read_regular_file, write_atomic
from dashboard.data import briefings, editing
from dashboard.data.schema import DatasetError, read_dataset
from dashboard.data.stores.base import Features, Store

FEATURES = Features(shared=False, conflicts="file", keeps_formatting=True, notifies=False,
                    geometry=False, shared_review=False)


class CsvStore(Store):
    """The dataset at ``path``; briefings in ``briefings_dir`` (default: ``briefings/``)."""

    features = FEATURES

    def __init__(self, path: str | Path, *, briefings_dir: Path | None = None):
        self.path = Path(path)
        self.label = self.path.name
        self.log_label = editing.change_log_path(self.path).name
        self._briefings_dir = briefings_dir
        self._review: dict[str, dict[str, str]] = {}
        self._review_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"CsvStore({str(self.path)!r})"

    def version(self) -> str:
        try:
            return str(self.path.stat().st_mtime_ns)
        except OSError:
            return "-1"

    def read_frame(self) -> pd.DataFrame:
        return read_dataset(self.path)

    def header(self) -> list[str]:
        return self.open_snapshot().header

    def open_snapshot(self) -> editing.Snapshot:
        return editing.open_snapshot(self.path)

    def save_row(self, snapshot, row_id, new_row, *, who, action=None, undoes=None):
        return editing.save_row(snapshot, row_id, new_row, who=who, action=action,
                                undoes=undoes)

    def undo(self, snapshot, entry, *, who):
        return editing.undo(snapshot, entry, who=who)

    def read_log(self) -> list[editing.ChangeEntry]:
        return editing.read_log(editing.change_log_path(self.path))

    def replace_all(self, header: list[str], rows: Iterable[list[str]]) -> int:
        count = 0

        def lines():
            nonlocal count
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(header)
            for row in rows:
                writer.writerow(row)
                count += 1
                if buffer.tell() > 1 << 20:
                    yield buffer.getvalue().encode("utf-8")
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue().encode("utf-8")

        write_atomic(self.path, lines())
        return count

    def raw_rows(self) -> tuple[list[str], list[list[str]]]:
        snapshot = self.open_snapshot()
        width = len(snapshot.header)
        reader = csv.reader(io.StringIO(snapshot.text, newline=""))
        next(reader, None)
        rows = []
        for cells in reader:
            if not cells or not any(cell.strip() for cell in cells):
                continue  # a blank line, as the editor and the validator read it
            if len(cells) > width:
                raise DatasetError(f"{self.path}: line {reader.line_num} has more cells "
                                   "than the header")
            rows.append(cells + [""] * (width - len(cells)))
        return snapshot.header, rows

    # -- briefings: TOML files -------------------------------------------------------------

    def briefing_names(self) -> list[str]:
        return briefings.list_briefings(self._briefings_dir)

    def load_briefing(self, name, *, ids=None):
        return briefings.load_briefing(name, ids=ids, directory=self._briefings_dir)

    def briefing_stamp(self, name: str) -> str | None:
        return briefings.file_stamp(briefings.briefing_path(name, self._briefings_dir))

    def save_briefing(self, briefing, *, expected, ids=None) -> str:
        path = briefings.save_briefing(briefing, directory=self._briefings_dir,
                                       expected=expected, ids=ids)
        return f"{path.parent.name}/{path.name}"

    def briefing_text(self, name: str) -> str | None:
        path = briefings.briefing_path(name, self._briefings_dir)
        try:
            return read_regular_file(path).decode("utf-8")
        except UnreadableFile:
            return None
        except UnicodeDecodeError:
            raise briefings.BriefingError([f"{path.name}: not UTF-8 text"]) from None

    def put_briefing_text(self, name: str, text: str) -> None:
        write_atomic(briefings.briefing_path(name, self._briefings_dir), text.encode("utf-8"),
                     parents=True)

    # -- review state: kept by this process only -------------------------------------------

    def review_findings(self, version: str) -> dict[str, str] | None:
        with self._review_lock:
            found = self._review.get(version)
            return None if found is None else dict(found)

    def save_review_findings(self, version: str, findings: dict[str, str]) -> None:
        with self._review_lock:
            self._review = {version: dict(findings)}  # the dataset's latest version only
