"""Where the dataset lives: one interface (``base.py``), one folder per store.

- ``csvfile/``: the CSV file in the repository, the embedded default (one process, a
  diffable file, unchanged for a single user);
- ``postgresql/``: a PostgreSQL database with PostGIS, shared by every dashboard process
  on every machine (rows with version numbers, saves as transactions, LISTEN/NOTIFY).

:func:`open_store` picks the store from where it is: a ``postgresql://`` (or
``postgres://``) URL, else a CSV file's path. ``serve --store URL`` passes it to the page in
``INCIDENT_MAP_STORE``; without it the page's store is the dataset file
(``INCIDENT_MAP_DATA``, default ``data/incidents.csv``).

>>> open_store("data/incidents.csv").features.conflicts
'file'
>>> is_database_url("postgresql://db.example.org/incident_map"), is_database_url("a.csv")
(True, False)
"""

from __future__ import annotations

import os
from pathlib import Path

from dashboard.data.stores.base import Features, Snapshot, Store, StoreError

#: The store ``serve --store`` chose, for the page's processes.
STORE_VAR = "INCIDENT_MAP_STORE"
DATABASE_SCHEMES = ("postgresql://", "postgres://")

__all__ = ["Features", "Snapshot", "Store", "StoreError", "STORE_VAR", "open_store",
           "is_database_url", "store_location"]


def is_database_url(location: str | Path) -> bool:
    return str(location).strip().lower().startswith(DATABASE_SCHEMES)


def store_location(default: Path | None = None) -> str:
    """``$INCIDENT_MAP_STORE``, else the dataset file (``default`` or the page's default)."""
    location = os.environ.get(STORE_VAR, "").strip()
    if location:
        return location
    if default is not None:
        return str(default)
    from dashboard.data.loading import default_data_path

    return str(default_data_path())


def open_store(location: str | Path, **options) -> Store:
    """The store at ``location`` (a ``postgresql://`` URL or a CSV file's path)."""
    if is_database_url(location):
        from dashboard.data.stores.postgresql import PostgresStore

        return PostgresStore(str(location).strip(), **options)
    from dashboard.data.stores.csvfile import CsvStore

    return CsvStore(Path(location), **options)
