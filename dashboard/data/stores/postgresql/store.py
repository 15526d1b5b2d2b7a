"""The PostgreSQL store (see the package's docstring): psycopg 3 and a small connection pool.

Example::

    store = PostgresStore("postgresql://incident_map@127.0.0.1:5432/incident_map")
    snap = store.open_snapshot()
    row = dict(snap.rows["2019-08-23-berlin-khangoshvili"], notes="Checked again.")
    store.save_row(snap, "2019-08-23-berlin-khangoshvili", row, who="ana")
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC

import pandas as pd

from dashboard.data import briefings as briefing_files
from dashboard.data.editing import (
    ANONYMOUS,
    MAX_WHO,
    ChangeEntry,
    Conflict,
    EditError,
    Rows,
    row_problems,
)
from dashboard.data.schema import DatasetError, parse_dataset
from dashboard.data.spreadsheet import neutralise
from dashboard.data.stores.base import Features, Store, StoreError, clean_row

FEATURES = Features(shared=True, conflicts="row", keeps_formatting=False, notifies=True,
                    geometry=True, shared_review=True)

CHANNEL = "incident_map_changes"
TABLE = "incident_rows"
#: Columns of the incidents table that are not the dataset's.
INTERNAL_COLUMNS = ("row_position", "row_version", "geom")
#: PostgreSQL's longest identifier, in bytes.
MAX_COLUMN_BYTES = 63
#: How often a process looks at the generation besides listening (seconds).
POLL_S = 1.0
#: Serialises creating the tables when several processes start at once.
SCHEMA_LOCK = 0x1D_3A_7E_01
NUMBER = r"'^\s*[-+]?[0-9]+(\.[0-9]*)?\s*$'"

SCHEMA = """
CREATE TABLE IF NOT EXISTS incident_store (
    id integer PRIMARY KEY CHECK (id = 1),
    columns text[] NOT NULL,
    generation bigint NOT NULL DEFAULT 0,
    loaded_at timestamptz
);
CREATE TABLE IF NOT EXISTS incident_changes (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    who text NOT NULL,
    action text NOT NULL,
    incident_id text NOT NULL,
    before jsonb,
    after jsonb,
    undoes bigint
);
CREATE TABLE IF NOT EXISTS incident_briefings (
    name text PRIMARY KEY,
    body text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS incident_review (
    version text PRIMARY KEY,
    findings jsonb NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE SEQUENCE IF NOT EXISTS incident_rows_position;
"""


def _psycopg():
    try:
        import psycopg
        import psycopg_pool
    except ImportError:
        raise StoreError("a PostgreSQL store needs psycopg: "
                         "pip install 'incident-map[postgresql]'") from None
    return psycopg, psycopg_pool


def describe_dsn(dsn: str) -> str:
    """The database a DSN names, for people, without its password:
    ``PostgreSQL incident_map on 127.0.0.1:5432``."""
    psycopg, _ = _psycopg()
    try:
        parts = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "PostgreSQL (an unreadable address)"
    host = parts.get("host") or "the local socket"
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"PostgreSQL {parts.get('dbname') or '(default database)'} on {host}{port}"


@dataclass(frozen=True)
class PostgresSnapshot:
    """The rows as the editor read them, each with its version."""

    header: list[str]
    rows: Rows
    versions: dict[str, int]
    #: The store's generation when read (a cache key; conflicts are judged by row).
    digest: str

    @property
    def ids(self) -> list[str]:
        return list(self.rows)


class _Stale(Exception):
    """Raised inside a save's transaction to roll it back: the row changed since."""

    def __init__(self, key: str | None):
        self.key = key


class PostgresStore(Store):
    """The store in the PostgreSQL database at ``dsn`` (libpq's URL or key=value form)."""

    features = FEATURES

    def __init__(self, dsn: str, *, pool_size: int = 4, watch: bool = True):
        psycopg, psycopg_pool = _psycopg()
        self.dsn = dsn
        self.label = describe_dsn(dsn)
        self.log_label = "incident_changes"
        self._psycopg = psycopg
        try:
            # One connection first: a wrong address or password fails at once, in one line
            # (the pool would retry in the background until its timeout).
            psycopg.connect(dsn, connect_timeout=10).close()
            self._pool = psycopg_pool.ConnectionPool(
                dsn, min_size=1, max_size=pool_size, kwargs={"autocommit": True},
                open=False, name="incident-map")
            self._pool.open(wait=True, timeout=15)
        except (psycopg.Error, psycopg_pool.PoolTimeout) as error:
            raise StoreError(f"cannot connect to {self.label}: {_first_line(error)}") from None
        self._ensure_schema()
        self._generation = self._read_generation()
        self._generation_lock = threading.Lock()
        self._stop = threading.Event()
        self._watcher = None
        if watch:
            self._watcher = threading.Thread(target=self._watch, name="incident-map-store",
                                             daemon=True)
            self._watcher.start()

    def __repr__(self) -> str:
        return f"PostgresStore({self.label!r})"

    # -- connections and the schema ---------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator:
        try:
            with self._pool.connection(timeout=30) as conn:
                yield conn
        except self._psycopg.OperationalError as error:
            raise StoreError(f"{self.label}: {_first_line(error)}") from None

    def _ensure_schema(self) -> None:
        with self._connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            has_postgis = conn.execute(
                "SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone()
            if not has_postgis:
                try:
                    with conn.transaction():
                        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
                except self._psycopg.Error as error:
                    raise StoreError(
                        f"{self.label}: PostGIS is not installed in the database and this "
                        f"role cannot install it ({_first_line(error)}); as an administrator "
                        "run CREATE EXTENSION postgis in it") from None
            conn.execute(SCHEMA)

    def close(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        self._pool.close()

    # -- the generation: how other processes learn of a change ------------------------------

    def _read_generation(self) -> int:
        with self._connection() as conn:
            row = conn.execute("SELECT generation FROM incident_store WHERE id = 1").fetchone()
        return row[0] if row else 0

    def _seen(self, generation: int) -> None:
        with self._generation_lock:
            self._generation = max(self._generation, generation)

    def _watch(self) -> None:
        """LISTEN for saves; look at the generation every POLL_S besides (a notification
        lost while reconnecting is then noticed all the same)."""
        psycopg = self._psycopg
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    polled = 0.0
                    while not self._stop.is_set():
                        if time.monotonic() - polled >= POLL_S:
                            row = conn.execute("SELECT generation FROM incident_store "
                                               "WHERE id = 1").fetchone()
                            self._seen(row[0] if row else 0)
                            polled = time.monotonic()
                        for notice in conn.notifies(timeout=0.2):
                            if notice.payload.isdigit():
                                self._seen(int(notice.payload))
            except psycopg.Error:
                self._stop.wait(POLL_S)

    def version(self) -> str:
        return f"pg:{self._generation}"

    # -- reading ----------------------------------------------------------------------------

    def header(self) -> list[str]:
        with self._connection() as conn:
            row = conn.execute("SELECT columns FROM incident_store WHERE id = 1").fetchone()
        if row is None:
            raise DatasetError(f"{self.label} holds no dataset yet: load one with "
                               "`incident-map store load FILE URL`")
        return list(row[0])

    def _select(self, header: list[str], *, extra: str = "") -> object:
        sql = self._psycopg.sql
        return sql.SQL("SELECT {}{} FROM {} ").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in header), sql.SQL(extra),
            sql.Identifier(TABLE))

    def raw_rows(self) -> tuple[list[str], list[list[str]]]:
        with self._connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            header = self._header_in(conn)
            rows = conn.execute(self._select(header) + self._psycopg.sql.SQL(
                "ORDER BY row_position")).fetchall()
        return header, [list(row) for row in rows]

    def read_frame(self) -> pd.DataFrame:
        """Every row through the same CSV reader as a file (one COPY, then pandas), so a
        store and the file it was loaded from give the same frame."""
        sql = self._psycopg.sql
        with self._connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            header = self._header_in(conn)
            query = sql.SQL("COPY ({} ORDER BY row_position) TO STDOUT WITH (FORMAT csv, "
                            "HEADER true)").format(self._select(header))
            buffer = io.BytesIO()
            with conn.cursor().copy(query) as copy:
                for chunk in copy:
                    buffer.write(chunk)
        return parse_dataset(buffer.getvalue(), name=self.label)

    def _header_in(self, conn) -> list[str]:
        row = conn.execute("SELECT columns FROM incident_store WHERE id = 1").fetchone()
        if row is None:
            raise DatasetError(f"{self.label} holds no dataset yet: load one with "
                               "`incident-map store load FILE URL`")
        return list(row[0])

    # -- the editor -------------------------------------------------------------------------

    def open_snapshot(self) -> PostgresSnapshot:
        sql = self._psycopg.sql
        with self._connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            generation = conn.execute(
                "SELECT generation FROM incident_store WHERE id = 1").fetchone()
            header = self._header_in(conn)
            rows = conn.execute(self._select(header, extra=", row_version") + sql.SQL(
                "ORDER BY row_position")).fetchall()
        id_at = header.index("id")
        cells = {str(row[id_at]).strip(): list(row[:-1]) for row in rows}
        versions = {str(row[id_at]).strip(): row[-1] for row in rows}
        self._seen(generation[0])
        return PostgresSnapshot(header=header, rows=Rows(header, cells), versions=versions,
                                digest=f"pg:{generation[0]}")

    def save_row(self, snapshot: PostgresSnapshot, row_id: str | None,
                 new_row: dict[str, str] | None, *, who: str, action: str | None = None,
                 undoes: int | None = None) -> ChangeEntry:
        header = snapshot.header
        new_row = clean_row(new_row, header)
        if new_row is not None:
            others = [i for i in snapshot.rows if i != row_id]
            problems = row_problems(new_row, header=header, other_ids=others)
            if problems:
                column, message = next(iter(problems.items()))
                raise EditError(f"not saved: column {column}: {message}")
        if row_id is not None and row_id not in snapshot.rows:
            raise EditError(f"not saved: there is no incident with id {row_id!r}")
        before = clean_row(snapshot.rows.get(row_id), header) if row_id is not None else None
        default = "add" if row_id is None else ("delete" if new_row is None else "edit")
        entry_id = (new_row or before or {}).get("id", row_id or "")
        who = " ".join((who or "").split())[:MAX_WHO] or ANONYMOUS
        try:
            with self._connection() as conn, conn.transaction():
                generation = self._lock_dataset(conn, header)
                self._write_row(conn, snapshot, row_id, new_row)
                seq, at = conn.execute(
                    "INSERT INTO incident_changes (who, action, incident_id, before, after, "
                    "undoes) VALUES (%s, %s, %s, %s, %s, %s) RETURNING seq, at",
                    (who, action or default, entry_id, _json(before), _json(new_row), undoes),
                ).fetchone()
                conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(generation)))
        except _Stale as stale:
            fresh = self.open_snapshot()
            raise Conflict(
                f"not saved: {stale.key or 'this incident'} was changed in {self.label} since "
                "you opened it (someone else saved); compare both versions below and merge",
                theirs=fresh.rows.get(stale.key) if stale.key else None,
                snapshot=fresh) from None
        self._seen(generation)
        return ChangeEntry(seq=seq, at=at.astimezone(UTC).isoformat(timespec="seconds"),
                           who=who, action=action or default, id=entry_id, before=before,
                           after=new_row, undoes=undoes)

    def _lock_dataset(self, conn, header: list[str]) -> int:
        """Raise the generation (which also makes saves wait for each other, so the change
        log's order is the order of the saves); refuse if the dataset was replaced."""
        row = conn.execute("UPDATE incident_store SET generation = generation + 1 "
                           "WHERE id = 1 RETURNING generation, columns").fetchone()
        if row is None or list(row[1]) != header:
            raise EditError(f"not saved: the dataset in {self.label} was replaced since you "
                            "opened it; reload the editor")
        return row[0]

    def _write_row(self, conn, snapshot: PostgresSnapshot, row_id: str | None,
                   new_row: dict[str, str] | None) -> None:
        sql = self._psycopg.sql
        header = snapshot.header
        table = sql.Identifier(TABLE)
        new_id = (new_row or {}).get("id")
        cells = [neutralise(str((new_row or {}).get(c, "") or "")) for c in header]
        if row_id is not None:
            current = conn.execute(
                sql.SQL("SELECT row_version FROM {} WHERE id = %s FOR UPDATE").format(
                    table), (row_id,)).fetchone()
            if current is None or current[0] != snapshot.versions.get(row_id):
                raise _Stale(row_id)
        if new_id is not None and new_id != row_id:
            taken = conn.execute(sql.SQL("SELECT 1 FROM {} WHERE id = %s").format(
                table), (new_id,)).fetchone()
            if taken:
                raise _Stale(new_id)  # someone else added this id since
        if row_id is None:
            conn.execute(sql.SQL("INSERT INTO {} ({}, row_position) VALUES ({}, "
                                 "nextval('incident_rows_position'))").format(
                table, sql.SQL(", ").join(sql.Identifier(c) for c in header),
                sql.SQL(", ").join(sql.Placeholder() * len(header))), cells)
        elif new_row is None:
            conn.execute(sql.SQL("DELETE FROM {} WHERE id = %s").format(table),
                         (row_id,))
        else:
            conn.execute(sql.SQL("UPDATE {} SET {}, row_version = row_version + 1 "
                                 "WHERE id = %s").format(
                table, sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(c))
                                          for c in header)), [*cells, row_id])

    def read_log(self) -> list[ChangeEntry]:
        with self._connection() as conn:
            rows = conn.execute("SELECT seq, at, who, action, incident_id, before, after, "
                                "undoes FROM incident_changes ORDER BY seq").fetchall()
        return [ChangeEntry(seq=seq, at=at.astimezone(UTC).isoformat(timespec="seconds"),
                            who=who, action=action, id=incident_id, before=before,
                            after=after, undoes=undoes)
                for seq, at, who, action, incident_id, before, after, undoes in rows]

    # -- bulk -------------------------------------------------------------------------------

    def replace_all(self, header: list[str], rows: Iterable[list[str]]) -> int:
        _check_header(header)
        sql = self._psycopg.sql
        columns = sql.SQL(", ").join(
            sql.SQL("{} text NOT NULL DEFAULT ''").format(sql.Identifier(c)) for c in header)
        geometry = (sql.SQL(
            ", geom geometry(Point, 4326) GENERATED ALWAYS AS (CASE WHEN lat ~ "
            + NUMBER + " AND lon ~ " + NUMBER + " THEN ST_SetSRID(ST_MakePoint("
            "lon::float8, lat::float8), 4326) END) STORED")
            if "lat" in header and "lon" in header else sql.SQL(""))
        table = sql.Identifier(TABLE)
        count = 0
        with self._connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
            conn.execute(sql.SQL(
                "CREATE TABLE {} ({}, row_position bigint NOT NULL, "
                "row_version integer NOT NULL DEFAULT 1{})").format(table, columns, geometry))
            copy_sql = sql.SQL("COPY {} ({}, row_position) FROM STDIN").format(
                table, sql.SQL(", ").join(sql.Identifier(c) for c in header))
            width = len(header)
            with conn.cursor().copy(copy_sql) as copy:
                for row in rows:
                    cells = list(row)
                    if len(cells) != width:
                        raise DatasetError(f"row {count + 2} has {len(cells)} cells for "
                                           f"{width} columns")
                    count += 1
                    copy.write_row([*cells, count])
            conn.execute("SELECT setval('incident_rows_position', %s)", (count + 1,))
            id_column = sql.Identifier("id")
            try:
                with conn.transaction():
                    conn.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY ({})").format(
                        table, id_column))
            except self._psycopg.errors.UniqueViolation:
                raise DatasetError(f"{self.label}: an id appears twice; run "
                                   "`incident-map validate` on the file and fix it") from None
            conn.execute(sql.SQL("CREATE INDEX ON {} (row_position)").format(table))
            if "lat" in header and "lon" in header:
                conn.execute(sql.SQL("CREATE INDEX ON {} USING gist (geom)").format(table))
            generation = conn.execute(
                "INSERT INTO incident_store (id, columns, generation, loaded_at) "
                "VALUES (1, %s, 1, now()) ON CONFLICT (id) DO UPDATE SET "
                "columns = EXCLUDED.columns, generation = incident_store.generation + 1, "
                "loaded_at = now() RETURNING generation", (header,)).fetchone()[0]
            conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(generation)))
        self._seen(generation)
        return count

    # -- briefings --------------------------------------------------------------------------

    def briefing_names(self) -> list[str]:
        with self._connection() as conn:
            rows = conn.execute("SELECT name FROM incident_briefings ORDER BY name").fetchall()
        return [name for (name,) in rows if briefing_files.NAME_PATTERN.match(name)]

    def _briefing_body(self, conn, name: str) -> str | None:
        row = conn.execute("SELECT body FROM incident_briefings WHERE name = %s",
                           (name,)).fetchone()
        return row[0] if row else None

    def load_briefing(self, name: str, *, ids=None) -> briefing_files.Briefing:
        briefing_files.briefing_path(name)  # refuses a name that is not plain
        with self._connection() as conn:
            body = self._briefing_body(conn, name)
        if body is None:
            known = ", ".join(self.briefing_names()) or "none"
            raise briefing_files.BriefingError([f"no briefing named {name!r} (known: {known})"])
        return briefing_files.briefing_from_text(body, name=name, ids=ids,
                                                 label=f"briefing {name}")

    def briefing_stamp(self, name: str) -> str | None:
        with self._connection() as conn:
            body = self._briefing_body(conn, name)
        return None if body is None else _stamp(body)

    def save_briefing(self, briefing, *, expected, ids=None) -> str:
        import tomllib

        briefing_files.briefing_path(briefing.name)  # refuses a name that is not plain
        label = f"briefing {briefing.name}"
        text = briefing_files.dump_briefing(briefing)
        briefing_files.parse_briefing(tomllib.loads(text), name=briefing.name, ids=ids,
                                      label=label)
        with self._connection() as conn, conn.transaction():
            row = conn.execute("SELECT body FROM incident_briefings WHERE name = %s "
                               "FOR UPDATE", (briefing.name,)).fetchone()
            now = None if row is None else _stamp(row[0])
            if expected != briefing_files.ANY_VERSION and now != expected:
                what = "was created" if expected is None else (
                    "was deleted" if row is None else "was changed")
                raise briefing_files.BriefingConflict(
                    [f"{label} {what} by someone else since you opened it; reload it and "
                     "make your changes again"])
            kept = _leading_comments(row[0]) if row else ""
            conn.execute("INSERT INTO incident_briefings (name, body) VALUES (%s, %s) "
                         "ON CONFLICT (name) DO UPDATE SET body = EXCLUDED.body, "
                         "updated_at = now()", (briefing.name, kept + text))
        return label

    def put_briefing_text(self, name: str, text: str) -> None:
        """Store a briefing file's text as it is (``store load`` copies ``briefings/``)."""
        briefing_files.briefing_path(name)
        with self._connection() as conn:
            conn.execute("INSERT INTO incident_briefings (name, body) VALUES (%s, %s) "
                         "ON CONFLICT (name) DO UPDATE SET body = EXCLUDED.body, "
                         "updated_at = now()", (name, text))

    def briefing_text(self, name: str) -> str | None:
        with self._connection() as conn:
            return self._briefing_body(conn, name)

    # -- review state -----------------------------------------------------------------------

    def review_findings(self, version: str) -> dict[str, str] | None:
        with self._connection() as conn:
            row = conn.execute("SELECT findings FROM incident_review WHERE version = %s",
                               (version,)).fetchone()
        return None if row is None else {str(k): str(v) for k, v in row[0].items()}

    def save_review_findings(self, version: str, findings: dict[str, str]) -> None:
        with self._connection() as conn, conn.transaction():
            conn.execute("DELETE FROM incident_review WHERE version <> %s", (version,))
            conn.execute("INSERT INTO incident_review (version, findings) VALUES (%s, %s) "
                         "ON CONFLICT (version) DO UPDATE SET findings = EXCLUDED.findings, "
                         "at = now()", (version, _json(findings)))


def _check_header(header: list[str]) -> None:
    problems = []
    if "id" not in header:
        problems.append("the header has no id column")
    for column in header:
        if column in INTERNAL_COLUMNS:
            problems.append(f"the column name {column!r} is the store's own; rename it")
        elif not column or len(column.encode("utf-8")) > MAX_COLUMN_BYTES:
            problems.append(f"the column name {column[:40]!r} must be 1 to "
                            f"{MAX_COLUMN_BYTES} bytes long")
        elif "\x00" in column:
            problems.append("a column name holds a NUL character")
    if len(set(header)) != len(header):
        problems.append("a column name appears twice in the header")
    if problems:
        raise DatasetError("; ".join(problems))


def _json(value) -> object:
    if value is None:
        return None
    from psycopg.types.json import Jsonb

    return Jsonb(value)


def _stamp(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _leading_comments(text: str) -> str:
    kept = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        kept.append(line)
    return "\n".join(kept) + "\n" if kept else ""


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
