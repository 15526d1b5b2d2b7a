"""Mappings remembered for files of the same columns ("remember this mapping" in the page).

A mapping (:class:`~.table.Mapping`: columns, constant values, date order) is kept in one
JSON file under the key of the file's header (its column names in order), so that the next
export from the same police portal or the same spreadsheet is mapped as the last one was.
The file is ``$INCIDENT_MAP_MAPPINGS``, or ``mappings.json`` in the cache folder
(``$INCIDENT_MAP_CACHE_DIR``, else ``~/.cache/incident-map``); it is written atomically and
holds at most ``MAX_MAPPINGS`` headers (the oldest go first).

>>> import tempfile, pathlib
>>> from dashboard.data.importers.table import Mapping
>>> store = MappingStore(pathlib.Path(tempfile.mkdtemp()) / "mappings.json")
>>> store.put(["When", "Where"], Mapping({"date": "When"}, {"country": "US"}))
>>> store.get(["When", "Where"]).values
{'country': 'US'}
>>> store.get(["When"]) is None
True
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from dashboard.base.files import write_atomic
from dashboard.data.importers.table import Mapping, mapping_from_json
from dashboard.data.schema import DatasetError

MAX_MAPPINGS = 200
#: A remembered-mappings file larger than this is not read (it is never written so large).
MAX_FILE_BYTES = 4 * 1024 * 1024


def default_path() -> Path:
    """``$INCIDENT_MAP_MAPPINGS``, else ``mappings.json`` in the cache folder."""
    if os.environ.get("INCIDENT_MAP_MAPPINGS"):
        return Path(os.environ["INCIDENT_MAP_MAPPINGS"])
    base = os.environ.get("INCIDENT_MAP_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
        base = os.path.join(xdg, "incident-map")
    return Path(base) / "mappings.json"


def header_key(columns) -> str:
    """The key of a header: a digest of its column names, in order."""
    text = "\x1f".join(str(column) for column in columns)
    return hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()[:32]


class MappingStore:
    """Remembered mappings, by header."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else default_path()

    def _load(self) -> dict:
        try:
            if self.path.stat().st_size > MAX_FILE_BYTES:
                return {}
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, columns) -> Mapping | None:
        """The mapping remembered for this header, if any (a damaged entry is ignored)."""
        entry = self._load().get(header_key(columns))
        if entry is None:
            return None
        try:
            mapping = mapping_from_json(entry, str(self.path))
        except DatasetError:
            return None
        names = {str(c) for c in columns}
        return Mapping({f: c for f, c in mapping.columns.items() if c in names},
                       mapping.values, mapping.date_order, mapping.as_written)

    def put(self, columns, mapping: Mapping) -> None:
        """Remember ``mapping`` for this header (``OSError`` if the file cannot be written)."""
        data = self._load()
        key = header_key(columns)
        data.pop(key, None)
        data[key] = mapping.as_json()
        while len(data) > MAX_MAPPINGS:
            data.pop(next(iter(data)))
        write_atomic(self.path, json.dumps(data, ensure_ascii=False, indent=1) + "\n",
                     parents=True)
