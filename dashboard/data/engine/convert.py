"""A CSV dataset to Parquet once (keyed by its content hash), and Parquet into a database.

:func:`convert_csv` reads the CSV in blocks (Arrow's streaming reader), checks and prepares
each block as the dashboard does (:func:`~dashboard.data.loading.prepare`: the same
problems, numbered by the file's rows), writes the engine table's columns
(:mod:`~dashboard.data.engine.table`) block by block, then lets DuckDB put the rows in date
order (``pos``) on disk within a memory limit. Memory stays bounded whatever the file's
size (a block of rows at a time, and DuckDB's limit); the result is
``<cache>/parquet/<sha256 of the file>.parquet``, written atomically, so a file converted
once is never converted again, and a changed file gets a new one. A small pointer file
remembers which hash a path had at which size and modification time, so the page finds
the Parquet without reading the CSV (:func:`converted`).

``incident-map serve`` starts the conversion of a large file in the background
(``python -m dashboard.data.engine.convert FILE``); ``incident-map import --to`` uses
:func:`load_postgres` and :func:`load_spark` to put the table where a shared engine reads it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from dashboard.data.engine.rollup import build_parquet
from dashboard.data.engine.sources import cache_dir
from dashboard.data.engine.table import SCHEMA, arrow_chunk
from dashboard.data.loading import prepare
from dashboard.data.schema import DatasetError, InvalidDataset, Problem

#: Bumped when the engine table's columns change: older Parquet files are made again.
FORMAT = 1
BLOCK_BYTES = 16 << 20
#: Rows per Parquet row group (DuckDB skips row groups whose year range a filter excludes).
ROW_GROUP_ROWS = 122_880
#: DuckDB's memory while sorting (it spills to disk beyond it).
SORT_MEMORY = "700MB"
#: Files at least this large are served through the engine (converted in the background);
#: smaller ones load into the page as before.
LARGE_FILE_BYTES = 96 << 20


def parquet_dir() -> Path:
    return cache_dir() / "parquet"


def content_hash(path: Path) -> str:
    """The file's SHA-256 (hex), read in blocks."""
    digest = hashlib.sha256(f"incident-map-table-{FORMAT}\n".encode())
    with Path(path).open("rb") as handle:
        while block := handle.read(4 << 20):
            digest.update(block)
    return digest.hexdigest()


def _pointer(path: Path) -> Path:
    name = hashlib.sha1(str(Path(path).resolve()).encode()).hexdigest()
    return parquet_dir() / "sources" / f"{name}.json"


def converted(path: Path) -> Path | None:
    """The Parquet file of the CSV at ``path`` as it is now, or None (not converted yet, or
    the file changed since)."""
    try:
        info = json.loads(_pointer(path).read_text(encoding="utf-8"))
        stat = Path(path).stat()
    except (OSError, ValueError):
        return None
    if info.get("size") != stat.st_size or info.get("mtime_ns") != stat.st_mtime_ns:
        return None
    parquet = parquet_dir() / f"{info.get('hash', '')}.parquet"
    return parquet if parquet.exists() else None


def failure(path: Path) -> str | None:
    """Why the last conversion of ``path`` (as it is now) failed, or None."""
    try:
        info = json.loads(_pointer(path).read_text(encoding="utf-8"))
        stat = Path(path).stat()
    except (OSError, ValueError):
        return None
    if info.get("size") != stat.st_size or info.get("mtime_ns") != stat.st_mtime_ns:
        return None
    return info.get("error")


def _write_pointer(path: Path, stat: os.stat_result, **info) -> None:
    pointer = _pointer(path)
    pointer.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"path": str(Path(path).resolve()), "size": stat.st_size,
                       "mtime_ns": stat.st_mtime_ns, **info})
    part = pointer.with_name(f".{pointer.name}.{os.getpid()}.part")
    part.write_text(text, encoding="utf-8")
    os.replace(part, pointer)


def _blocks(path: Path):
    """The CSV's rows as Arrow record batches of text columns (every cell as written)."""
    try:
        reader = pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(block_size=BLOCK_BYTES, encoding="utf8"),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types={}, strings_can_be_null=False, quoted_strings_can_be_null=False,
                null_values=[], auto_dict_encode=False, check_utf8=True,
                timestamp_parsers=[]),
        )
    except (pa.ArrowInvalid, OSError) as error:
        raise DatasetError(f"{path}: not a well-formed UTF-8 CSV ({error})") from None
    # Every column as text: the types are decided by the dataset's checks, not guessed.
    names = reader.schema.names
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except pa.ArrowInvalid as error:
            raise DatasetError(f"{path}: not a well-formed UTF-8 CSV ({error})") from None
        try:
            columns = {name: batch.column(i).cast(pa.string()).to_pandas().fillna("")
                       for i, name in enumerate(names)}
        except pa.ArrowInvalid as error:
            raise DatasetError(f"{path}: not UTF-8 text ({error}); save it as UTF-8 CSV"
                               ) from None
        yield pd.DataFrame(columns)


def convert_csv(path: str | Path, *, progress: Callable[[int], None] | None = None) -> Path:
    """Convert the CSV at ``path`` to the engine table in Parquet (once per content); its
    path. Raises DatasetError / InvalidDataset (rows numbered as in the file)."""
    import duckdb

    path = Path(path)
    stat = path.stat()
    key = content_hash(path)
    target = parquet_dir() / f"{key}.parquet"
    if target.exists():
        build_parquet(target)
        _write_pointer(path, stat, hash=key, rows=pq.ParquetFile(target).metadata.num_rows)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    unsorted = target.with_name(f".{key}.{os.getpid()}.unsorted.parquet")
    part = target.with_name(f".{key}.{os.getpid()}.part.parquet")
    sorted_part = target.with_name(f".{key}.{os.getpid()}.sorted.parquet")
    rows = 0
    try:
        with pq.ParquetWriter(unsorted, SCHEMA, compression="zstd") as writer:
            for block in _blocks(path):
                try:
                    prepared = prepare(block, name=str(path))
                except InvalidDataset as error:
                    raise InvalidDataset(path, [
                        Problem(problem.row + rows, problem.column, problem.message)
                        for problem in error.problems]) from None
                writer.write_table(arrow_chunk(prepared, first_pos=rows))
                rows += len(block)
                if progress:
                    progress(rows)
        if rows == 0:
            raise DatasetError(f"{path}: the file has a header but no rows")
        connection = duckdb.connect()
        try:
            spill = parquet_dir() / "tmp"
            spill.mkdir(exist_ok=True)
            connection.execute(f"SET memory_limit = '{SORT_MEMORY}'")
            connection.execute(f"SET temp_directory = '{spill}'")
            connection.execute("SET preserve_insertion_order = true")
            duplicate = connection.execute(
                "SELECT id, count(*) FROM read_parquet(?) GROUP BY id HAVING count(*) > 1 "
                "LIMIT 1", [str(unsorted)]).fetchone()
            if duplicate:
                raise DatasetError(f"{path}: the id {duplicate[0]!r} is used by "
                                   f"{duplicate[1]} rows; ids must be unique")
            # One sort (spilling to disk beyond the memory limit); the positions are
            # numbered afterwards in one streaming pass.
            connection.execute(
                "COPY (SELECT * FROM read_parquet(?) ORDER BY date_start NULLS LAST, id) TO '"
                + str(sorted_part).replace("'", "''")
                + f"' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_ROWS})",
                [str(unsorted)])
        finally:
            connection.close()
        unsorted.unlink()
        _number(sorted_part, part)
        os.replace(part, target)
        # The page's counts and map views without a search read these (rollup.py).
        build_parquet(target)
    except (DatasetError, InvalidDataset) as error:
        _write_pointer(path, stat, error=str(error)[:2000])
        raise
    finally:
        for leftover in (unsorted, sorted_part, part):
            with contextlib.suppress(OSError):
                leftover.unlink()
    _write_pointer(path, stat, hash=key, rows=rows)
    return target


def _number(source: Path, target: Path) -> None:
    """Copy ``source`` (in date order) to ``target`` with ``pos`` = 0, 1, ... in that order,
    one row group at a time."""
    file = pq.ParquetFile(source)
    position = 0
    index = SCHEMA.get_field_index("pos")
    with pq.ParquetWriter(target, SCHEMA, compression="zstd") as writer:
        for group in range(file.num_row_groups):
            table = file.read_row_group(group)
            count = table.num_rows
            table = table.set_column(index, SCHEMA.field("pos"), pa.array(
                range(position, position + count), type=pa.int64()))
            writer.write_table(table.cast(SCHEMA), row_group_size=ROW_GROUP_ROWS)
            position += count


def load_postgres(parquet: Path, dsn: str, table: str, *, batch_rows: int = 50_000) -> int:
    """Copy the engine table from ``parquet`` into PostgreSQL table ``table`` (replaced), in
    batches (``COPY``), with a PostGIS point ``geom`` and the indexes the queries use; the
    rows copied. One transaction: readers see the old table or the new one."""
    import psycopg

    from dashboard.data.engine.pg import create_table_sql, index_sql

    file = pq.ParquetFile(parquet)
    names = file.schema_arrow.names
    staging = f"{table}__loading"
    copied = 0
    with psycopg.connect(dsn) as connection:
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            cursor.execute(f'DROP TABLE IF EXISTS "{staging}"')
            cursor.execute(create_table_sql(staging))
            columns = ", ".join(f'"{name}"' for name in names)
            # CSV made by Arrow (in C++), every value quoted and nulls bare: PostgreSQL's
            # CSV reads a bare empty field as NULL and a quoted one as an empty text.
            options = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")
            with cursor.copy(f'COPY "{staging}" ({columns}) FROM STDIN '
                             "WITH (FORMAT csv)") as copy:
                for batch in file.iter_batches(batch_size=batch_rows):
                    buffer = pa.BufferOutputStream()
                    pa_csv.write_csv(pa.Table.from_batches([batch]), buffer, options)
                    copy.write(buffer.getvalue().to_pybytes())
                    copied += batch.num_rows
            cursor.execute(f'UPDATE "{staging}" SET geom = ST_SetSRID(ST_MakePoint(lon, lat), '
                           '4326) WHERE lat IS NOT NULL AND lon IS NOT NULL')
            for statement in index_sql(staging):
                cursor.execute(statement)
            cursor.execute(f'DROP TABLE IF EXISTS "{table}"')
            cursor.execute(f'ALTER TABLE "{staging}" RENAME TO "{table}"')
            for statement in index_sql(staging):
                # the indexes keep their staging names; give them the table's
                name = statement.split('"')[1]
                cursor.execute(f'ALTER INDEX "{name}" RENAME TO '
                               f'"{name.replace(staging, table)}"')
        connection.commit()
        with connection.cursor() as cursor:
            connection.autocommit = True
            cursor.execute(f'ANALYZE "{table}"')
    _postgres_rollups(dsn, table)
    return copied


def _postgres_rollups(dsn: str, table: str) -> None:
    """The roll-ups of ``table`` (:mod:`~dashboard.data.engine.rollup`) as tables beside it,
    made by PostgreSQL from the table itself, in one transaction."""
    import ibis
    import psycopg

    from dashboard.data.engine.rollup import create_sql, table_names

    backend = ibis.connect(dsn)
    try:
        statements = create_sql(backend, table)
    finally:
        backend.disconnect()
    with psycopg.connect(dsn) as connection:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        connection.commit()
        connection.autocommit = True
        with connection.cursor() as cursor:
            for name in table_names(table):
                cursor.execute(f'ANALYZE "{name}"')


def load_spark(parquet: Path, table: str) -> Path:
    """Write the engine table as Spark's table ``table`` (Parquet in the warehouse folder,
    written by Spark itself); the folder."""
    from dashboard.data.engine.sources import spark_warehouse
    from dashboard.data.engine.spark import spark_session

    target = spark_warehouse() / table
    spark = spark_session()
    frame = spark.read.parquet(str(Path(parquet).resolve()))
    frame.write.mode("overwrite").parquet(str(target.resolve()))
    return target


def main(argv: list[str] | None = None) -> int:
    """``python -m dashboard.data.engine.convert FILE``: what ``serve`` runs in the
    background for a large file."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m dashboard.data.engine.convert FILE.csv", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        target = convert_csv(Path(args[0]))
    except (DatasetError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"converted {args[0]} to {target} in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
