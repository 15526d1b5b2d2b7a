"""The PostgreSQL store's dataset as the engine's typed table, kept in step with the store.

The store (:mod:`dashboard.data.stores.postgresql`) keeps each cell as text in
``incident_rows``, exactly as the CSV file holds it, for the editor. The query engine reads
a typed table with derived columns (:mod:`~dashboard.data.engine.table`) and its roll-ups
(:mod:`~dashboard.data.engine.rollup`). A view over ``incident_rows`` cannot give those
cheaply (the date order's positions, accent-folded search text, month bounds and
country names are made by the dataset's own Python checks), so the engine's table is a
copy, made from the store and stamped with the store's ``generation`` (raised by every save
and load):

- :func:`sync` dumps the store's rows (one ``COPY``, streamed to a file in the cache, the
  same bytes as ``incident-map store dump``), converts them once per content
  (:func:`~dashboard.data.engine.convert.convert_csv`: the same checks, row numbers and
  Parquet as a CSV file) and replaces the engine table and its roll-ups in one transaction
  (:func:`~dashboard.data.engine.convert.load_postgres`); readers see the old table or the
  new one. It does nothing when the table already holds the store's generation.
- ``python -m dashboard.data.engine.from_store URL`` syncs, then (``--watch``) listens for
  the store's saves and syncs again after each burst of them: what ``serve --store`` runs
  in the background for a large store. A save is in the engine's answers once the copy is
  made (minutes for millions of rows); the editor and small stores read the store itself.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from pathlib import Path

from dashboard.data.engine.sources import cache_dir, table_name

#: The table recording which store generation the engine table was made from.
STATE_TABLE = "incident_engine_state"
#: A store with at least this many rows is served through the engine by ``serve --store``.
LARGE_STORE_ROWS = 300_000
#: Seconds of quiet after a save before the copy is made again (a burst of saves, one copy).
SETTLE_S = 5.0
CHANNEL = "incident_map_changes"


def store_generation(connection) -> int | None:
    """The store's generation, or None (no store in this database)."""
    if connection.execute("SELECT to_regclass('incident_store')").fetchone()[0] is None:
        return None
    row = connection.execute("SELECT generation FROM incident_store WHERE id = 1").fetchone()
    return None if row is None else int(row[0])


def engine_generation(connection, table: str) -> int | None:
    """The store generation ``table`` was made from, or None (never made)."""
    found = connection.execute("SELECT to_regclass(%s)", (STATE_TABLE,)).fetchone()[0]
    if found is None:
        return None
    row = connection.execute(f"SELECT generation FROM {STATE_TABLE} WHERE name = %s",
                             (table,)).fetchone()
    return None if row is None else int(row[0])


def store_rows(dsn: str) -> int:
    """How many rows the store holds (0 when it holds no dataset)."""
    import psycopg

    with psycopg.connect(dsn) as connection:
        if connection.execute("SELECT to_regclass('incident_rows')").fetchone()[0] is None:
            return 0
        return int(connection.execute("SELECT count(*) FROM incident_rows").fetchone()[0])


def _dump(connection, target: Path) -> None:
    """The store's rows as its CSV file (header, then rows in the file's order)."""
    from psycopg import sql

    header = connection.execute("SELECT columns FROM incident_store WHERE id = 1").fetchone()[0]
    columns = sql.SQL(", ").join(sql.Identifier(name) for name in header)
    query = sql.SQL("COPY (SELECT {} FROM incident_rows ORDER BY row_position) TO STDOUT "
                    "WITH (FORMAT csv, HEADER true)").format(columns)
    with target.open("wb") as handle, connection.cursor().copy(query) as copy:
        for chunk in copy:
            handle.write(chunk)


def sync(dsn: str, *, table: str | None = None) -> int | None:
    """Make the engine table ``table`` (default ``INCIDENT_MAP_TABLE`` or ``incidents``) from
    the store at ``dsn`` unless it already holds the store's generation; the rows copied, or
    None when nothing was to do. Raises DatasetError / InvalidDataset for a store whose rows
    do not pass the dataset's checks (rows numbered as in its dump)."""
    import psycopg

    from dashboard.data.engine.convert import convert_csv, load_postgres

    table = table or table_name()
    folder = cache_dir() / "store"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        dump = Path(scratch) / "store.csv"
        with psycopg.connect(dsn) as connection, connection.transaction():
            # one snapshot: the generation and the rows dumped belong together
            connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            generation = store_generation(connection)
            if generation is None or engine_generation(connection, table) == generation:
                return None
            _dump(connection, dump)
        parquet = convert_csv(dump)
    copied = load_postgres(parquet, dsn, table)
    with psycopg.connect(dsn) as connection:
        connection.execute(f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (name text PRIMARY KEY, "
                           "generation bigint NOT NULL, at timestamptz NOT NULL DEFAULT now())")
        connection.execute(f"INSERT INTO {STATE_TABLE} (name, generation) VALUES (%s, %s) "
                           "ON CONFLICT (name) DO UPDATE SET generation = EXCLUDED.generation, "
                           "at = now()", (table, generation))
    return copied


def watch(dsn: str, *, table: str | None = None, rounds: int | None = None) -> None:
    """Sync, then sync again after each burst of saves (LISTEN), ``rounds`` times (None: for
    ever)."""
    import psycopg

    done = 0
    while rounds is None or done < rounds:
        try:
            sync(dsn, table=table)
        except Exception as error:  # a bad row or a lost connection: said, then retried
            print(f"error: {str(error).splitlines()[0] if str(error) else error!r}",
                  file=sys.stderr, flush=True)
        done += 1
        if rounds is not None and done >= rounds:
            return
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            for _ in connection.notifies(timeout=60):  # a save (or a minute: look anyway)
                break
            # let a burst of saves settle: one copy for all of them
            deadline = time.monotonic() + SETTLE_S
            while time.monotonic() < deadline:
                with contextlib.suppress(StopIteration):
                    next(connection.notifies(timeout=SETTLE_S, stop_after=1))


def main(argv: list[str] | None = None) -> int:
    """``python -m dashboard.data.engine.from_store URL [--watch]``."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0].startswith("-"):
        print("usage: python -m dashboard.data.engine.from_store postgresql://... [--watch]",
              file=sys.stderr)
        return 2
    if "--watch" in args[1:]:
        watch(args[0])
        return 0
    started = time.monotonic()
    copied = sync(args[0])
    print("the engine table already holds the store's dataset" if copied is None else
          f"{copied:,} rows in the engine table in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
