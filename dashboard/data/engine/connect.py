"""An Ibis connection and the engine table for a :class:`~dashboard.data.engine.sources.Source`.

- Parquet (and a CSV file once converted): an embedded DuckDB with a memory limit
  (``INCIDENT_MAP_DUCKDB_MEMORY``, default 1 GB) and two threads, reading the file in place;
- PostgreSQL: Ibis' PostgreSQL backend (psycopg) on the DSN;
- Spark: one local (or cluster) session per process (:func:`spark_session`), the table from
  the catalog or else the warehouse folder's Parquet.

The clients are optional (``pip install 'incident-map[engines]'``); a missing one is an
EngineError saying what to install.
"""

from __future__ import annotations

import os
from pathlib import Path

from dashboard.data.engine.sources import (
    DUCKDB_MEMORY_VAR,
    WAREHOUSES,
    Source,
    SourceError,
    spark_warehouse,
    table_name,
)
from dashboard.data.engine.spark import EngineError, spark_session
from dashboard.data.engine.table import SCHEMA

__all__ = ["EngineError", "connect", "spark_session"]


def _ibis():
    try:
        import ibis
    except ImportError:
        raise EngineError("the query engines need Ibis: pip install 'incident-map[engines]'"
                          ) from None
    return ibis


def connect(source: Source):
    """``(backend, table)`` for ``source``: an Ibis backend and its engine table."""
    backend, table, _ = connect_with_rollups(source)
    return backend, table


def connect_with_rollups(source: Source):
    """``(backend, table, rollups)``: as :func:`connect`, and the roll-ups
    (:mod:`~dashboard.data.engine.rollup`) as ``(time, map)`` tables, a function that gives
    them once they are made (Parquet), or None (none in this engine)."""
    ibis = _ibis()
    if source.kind in ("parquet", "csv"):
        path = Path(source.location)
        if source.kind == "csv":
            from dashboard.data.engine.convert import converted

            parquet = converted(path)
            if parquet is None:
                raise EngineError(f"{path} is not converted to Parquet yet")
            path = parquet
        if not path.exists():
            raise EngineError(f"{path}: no such Parquet file or folder")
        backend = ibis.duckdb.connect(threads=2, memory_limit=os.environ.get(
            DUCKDB_MEMORY_VAR, "1GB"), preserve_insertion_order=True)
        pattern = str(path / "*.parquet") if path.is_dir() else str(path)
        # A view of the database (not of one connection), so an export's own cursor sees it.
        backend.con.execute("CREATE OR REPLACE VIEW incidents AS SELECT * FROM read_parquet('"
                            + pattern.replace("'", "''") + "')")
        return backend, backend.table("incidents"), _parquet_rollups(backend, path)
    if source.kind in ("postgres", *WAREHOUSES):
        try:
            backend = ibis.connect(source.location)
        except ImportError:
            extra = ("pip install 'incident-map[engines]'" if source.kind == "postgres"
                     else f"pip install 'ibis-framework[{source.kind}]==12.0.0'")
            raise EngineError(f"the {source.kind} engine needs its client: {extra}") from None
        except Exception as error:  # the driver's errors name the host, never a password
            raise EngineError(f"cannot reach {source.describe()}: "
                              f"{str(error).splitlines()[0]}") from None
        # The engine table's columns only (``geom`` is for other tools).
        from dashboard.data.engine.rollup import table_names

        name = table_name()
        if name not in backend.list_tables():
            raise EngineError(f"{source.describe()} has no table {name} yet")
        rollups = None
        if set(table_names(name)) <= set(backend.list_tables()):
            rollups = tuple(backend.table(rollup) for rollup in table_names(name))
        return backend, backend.table(name).select(*SCHEMA.names), rollups
    if source.kind == "spark":
        session = spark_session()
        backend = ibis.pyspark.connect(session)
        name = source.location
        if not session.catalog.tableExists(name):
            folder = spark_warehouse() / name
            if not folder.exists():
                raise EngineError(f"Spark has no table {name} (and {folder} does not exist)")
            session.read.parquet(str(folder.resolve())).createOrReplaceTempView(name)
        return backend, backend.table(name), None
    raise SourceError(f"no engine reads {source.kind} sources")


def _parquet_rollups(backend, parquet: Path):
    """A function giving the Parquet file's roll-ups as views of ``backend`` once both
    files exist (None before)."""
    from dashboard.data.engine.rollup import existing

    def find():
        paths = existing(parquet)
        if paths is None:
            return None
        for name, path in zip(("incidents_time", "incidents_map"), paths, strict=True):
            backend.con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM "
                                "read_parquet('" + str(path).replace("'", "''") + "')"
                                ).fetchall()
        return backend.table("incidents_time"), backend.table("incidents_map")

    return find
