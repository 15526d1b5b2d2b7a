"""Roll-ups: the engine table counted once per group, so the page's questions without a text
search are answered from a few hundred thousand rows instead of tens of millions.

Two tables are made once from the engine table (:mod:`~dashboard.data.engine.table`), by
the engine that holds it, written as Ibis expressions:

- ``time``: one row per ``(year, month_first, month_last, event_type, country,
  attribution)`` with ``n`` incidents, their ``fatalities`` and ``persons`` (sums), the box
  around their points (``south``, ``west``, ``north``, ``east``) and the latest ``checked``
  date. Every filter but a text search is a predicate on these keys, so the headline
  totals, the map's extent, the yearly and monthly counts, the dataset's years and
  countries are exact sums over the groups that pass.
- ``map``: one row per ``(band, gx, gy, year, event_type, country, attribution)`` for each
  zoom ``band`` of :data:`BANDS`, where ``(gx, gy)`` is the row's Web Mercator grid cell at
  that zoom (:mod:`~dashboard.data.engine.grid`), stored once so a view never computes a
  logarithm per row: ``n``, the sums of ``lat`` and ``lon`` (a cell's centre) and the box
  around the points. A view at zoom ``z`` reads the smallest band ``b >= z`` and merges
  ``2**(b-z)`` band cells a side into one of its own (a cell at ``z`` is ``gx // 2**(b-z)``
  exactly). A band cell counts in a view when the box of its points meets the view, so
  cells on the view's edge may count a few incidents just outside it; the points drawn
  one by one (at most :data:`~dashboard.data.engine.query.POINT_LIMIT`) always come from
  the engine table itself. Views past the last band, month spans and text searches ask
  the engine table.

For Parquet (and a CSV file converted to it) the two tables are Parquet files in the cache
(``<cache>/rollup/<key>-time.parquet``, keyed by the file's path, size and modification
time), written by DuckDB at conversion, or in the background by ``serve --source
parquet:PATH`` (``python -m dashboard.data.engine.rollup PATH``); until they exist the
engine table answers. In PostgreSQL they are the tables ``<table>_time`` and
``<table>_map``, made by ``import --to`` (:func:`create_sql`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import time
from pathlib import Path

from dashboard.data.engine.grid import cell_expressions
from dashboard.data.engine.sources import cache_dir

#: Bumped when the roll-ups' columns change: older ones are made again.
FORMAT = 1
#: The zooms whose grid cells the map roll-up keeps; a view past the last asks the table.
BANDS = (2, 5, 8)
TIME_KEYS = ("year", "month_first", "month_last", "event_type", "country", "attribution")
MAP_KEYS = ("band", "gx", "gy", "year", "event_type", "country", "attribution")
#: DuckDB's memory while grouping (it spills to disk beyond it).
BUILD_MEMORY = "700MB"


def time_expr(table):
    """The ``time`` roll-up of the engine table ``table`` (an Ibis expression)."""
    return table.group_by(list(TIME_KEYS)).aggregate(
        n=table.count(), fatalities=table.fatalities.sum(), persons=table.persons.sum(),
        south=table.lat.min(), west=table.lon.min(), north=table.lat.max(),
        east=table.lon.max(), checked=table.checked.max())


def map_expr(table, bands: tuple[int, ...] = BANDS):
    """The ``map`` roll-up of ``table``: every band's cells, one after the other."""
    import ibis

    located = table.filter(table.lat.notnull(), table.lon.notnull())
    parts = []
    for band in bands:
        gx, gy = cell_expressions(located, band)
        t = located.mutate(band=ibis.literal(band, type="int32"), gx=gx, gy=gy)
        parts.append(t.group_by(list(MAP_KEYS)).aggregate(
            n=t.count(), slat=t.lat.sum(), slon=t.lon.sum(), south=t.lat.min(),
            west=t.lon.min(), north=t.lat.max(), east=t.lon.max()))
    return ibis.union(*parts) if len(parts) > 1 else parts[0]


def band_for(zoom: int) -> int | None:
    """The band a view at ``zoom`` reads (the smallest at or past it), or None (past all)."""
    return next((band for band in BANDS if band >= zoom), None)


# --- Parquet ---------------------------------------------------------------------------------

def rollup_paths(parquet: Path) -> tuple[Path, Path] | None:
    """Where the roll-ups of the Parquet file (or folder) ``parquet`` as it is now live, or
    None when it cannot be read."""
    try:
        stat = Path(parquet).stat()
    except OSError:
        return None
    key = hashlib.sha256(f"{FORMAT}\n{Path(parquet).resolve()}\n{stat.st_size}\n"
                         f"{stat.st_mtime_ns}".encode()).hexdigest()[:40]
    folder = cache_dir() / "rollup"
    return folder / f"{key}-time.parquet", folder / f"{key}-map.parquet"


def existing(parquet: Path) -> tuple[Path, Path] | None:
    """The roll-ups of ``parquet`` if both are made, else None."""
    paths = rollup_paths(parquet)
    if paths is None or not all(path.exists() for path in paths):
        return None
    return paths


def _pattern(parquet: Path) -> str:
    path = Path(parquet)
    return str(path / "*.parquet") if path.is_dir() else str(path)


def build_parquet(parquet: Path) -> tuple[Path, Path]:
    """Write both roll-ups of the Parquet file ``parquet`` (once; atomic files); their paths."""
    import ibis

    paths = rollup_paths(parquet)
    if paths is None:
        raise OSError(f"{parquet}: cannot be read")
    if all(path.exists() for path in paths):
        return paths
    paths[0].parent.mkdir(parents=True, exist_ok=True)
    backend = ibis.duckdb.connect(threads=2, memory_limit=BUILD_MEMORY)
    try:
        spill = paths[0].parent / "tmp"
        spill.mkdir(exist_ok=True)
        backend.con.execute(f"SET temp_directory = '{_quoted(str(spill))}'")
        backend.con.execute("CREATE VIEW incidents AS SELECT * FROM read_parquet('"
                            + _quoted(_pattern(parquet)) + "')")
        table = backend.table("incidents")
        for path, expr, order in ((paths[0], time_expr(table), "year, month_first"),
                                  (paths[1], map_expr(table), "band, gy, gx")):
            part = path.with_name(f".{path.name}.{os.getpid()}.part")
            try:
                backend.con.execute(
                    f"COPY (SELECT * FROM ({ibis.to_sql(expr, dialect='duckdb')}) "
                    f"ORDER BY {order}) TO '{_quoted(str(part))}' "
                    "(FORMAT parquet, COMPRESSION zstd)")
                os.replace(part, path)
            finally:
                with contextlib.suppress(OSError):
                    part.unlink()
    finally:
        backend.disconnect()
    return paths


def _quoted(text: str) -> str:
    return text.replace("'", "''")


# --- databases -------------------------------------------------------------------------------

def table_names(table: str) -> tuple[str, str]:
    """The roll-ups' table names beside the engine table ``table`` in a database."""
    return f"{table}_time", f"{table}_map"


def create_sql(backend, table: str) -> list[str]:
    """The statements that make (or replace) both roll-ups of ``table`` as tables of the
    database ``backend`` is connected to (PostgreSQL: run them in one transaction)."""

    base = backend.table(table)
    statements = []
    for name, expr in zip(table_names(table), (time_expr(base), map_expr(base)), strict=True):
        statements.append(f'DROP TABLE IF EXISTS "{name}"')
        statements.append(f'CREATE TABLE "{name}" AS '
                          + backend.compile(expr))
    return statements


def main(argv: list[str] | None = None) -> int:
    """``python -m dashboard.data.engine.rollup FILE.parquet``: what ``serve --source
    parquet:`` runs in the background when the roll-ups are not made yet."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m dashboard.data.engine.rollup FILE.parquet", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        paths = build_parquet(Path(args[0]))
    except Exception as error:  # DuckDB's and the file system's errors, one line
        print(f"error: {str(error).splitlines()[0] if str(error) else error!r}",
              file=sys.stderr)
        return 1
    print(f"roll-ups of {args[0]}: {paths[0].name}, {paths[1].name} in "
          f"{time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
