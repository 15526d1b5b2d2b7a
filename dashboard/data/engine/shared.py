"""The engine a dashboard process serves from: one per process, shared by the page's
sessions and the server's routes (map views, popups, exports).

A source is served through the engine when ``serve --source`` names Parquet, PostgreSQL or
Spark, or when the dataset is a CSV file of LARGE_FILE_BYTES or more (its Parquet is made
in the background by ``serve``, :mod:`~dashboard.data.engine.convert`); smaller CSV files
are loaded into the page as before.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from dashboard.data.engine.connect import EngineError, connect_with_rollups
from dashboard.data.engine.convert import LARGE_FILE_BYTES, converted, failure
from dashboard.data.engine.query import EngineQuery
from dashboard.data.engine.sources import Source, source_from_env
from dashboard.data.loading import default_data_path
from dashboard.data.stores import STORE_VAR

_lock = threading.Lock()
_queries: dict[tuple[str, str], EngineQuery] = {}


class NotReady(EngineError):
    """The source's Parquet is still being made (or its making failed: ``failed``)."""

    def __init__(self, message: str, *, failed: bool = False):
        super().__init__(message)
        self.failed = failed


def large_file(path: Path) -> bool:
    try:
        return Path(path).stat().st_size >= LARGE_FILE_BYTES
    except OSError:
        return False


def engine_source(data_path: Path | None = None) -> Source | None:
    """The source this process serves through the engine, or None (the page's own pandas)."""
    source = source_from_env()
    if source is not None and source.kind != "csv":
        return source
    path = Path(source.location) if source is not None else (data_path or default_data_path())
    return Source("csv", str(path)) if large_file(path) else None


def shared_query(source: Source) -> EngineQuery:
    """The process's engine for ``source`` (connected once)."""
    key = (source.kind, source.location)
    if source.kind == "csv":
        parquet = converted(Path(source.location))
        if parquet is None:
            reason = failure(Path(source.location))
            if reason:
                raise NotReady(reason, failed=True)
            raise NotReady(f"{Path(source.location).name} is being converted to Parquet "
                           "(once; the page opens when it is ready)")
        key = ("parquet", str(parquet))
    with _lock:
        query = _queries.get(key)
        if query is None:
            try:
                backend, table, rollups = connect_with_rollups(
                    Source(*key) if source.kind == "csv" else source)
            except EngineError as error:
                if source.kind == "postgres" and os.environ.get(STORE_VAR) == source.location:
                    # serve --store of a large store: the copy is being made
                    raise NotReady(f"{error}: the store's dataset is being copied into it "
                                   "(once per change of the store)") from None
                raise
            query = EngineQuery(backend, table, name=source.kind, rollups=rollups)
            _queries[key] = query
        return query
