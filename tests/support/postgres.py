"""A throw-away PostgreSQL cluster with PostGIS, for tests and benchmarks.

Debian's PostgreSQL is started by the tests themselves: ``initdb`` in a temporary folder,
listening on a free loopback port only (its socket folder is that temporary folder too),
password authentication (SCRAM) for a superuser with a random password, and the ``postgis``
extension created in a database ``incident_map``. Durability settings are relaxed (no
``fsync``): a test cluster is thrown away, never crashed and recovered.

As root (CI), the cluster runs as the ``postgres`` user, since PostgreSQL refuses to run
as root; its folder is then made outside pytest's private temporary folder.

Example::

    with throwaway_postgres(tmp_path) as dsn:
        psycopg.connect(dsn)
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dashboard.server.background import free_port

DATABASE = "incident_map"
SUPERUSER = "postgres"
START_TIMEOUT_S = 60


class PostgresUnavailable(RuntimeError):
    """Debian's PostgreSQL (and PostGIS) is not installed: the message says what to install."""


def postgres_bindir() -> Path:
    """The folder of ``initdb`` and ``pg_ctl`` (the newest PostgreSQL installed)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PostgresUnavailable("PostgreSQL is not installed: apt-get install postgresql "
                              "postgresql-15-postgis-3 (scripts/debian-packages.txt)")


def _as_owner(command: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *command] if owner else command


@contextmanager
def throwaway_postgres(tmp_path: Path) -> Iterator[str]:
    """Start a PostgreSQL cluster for the duration of the block; yield its DSN
    (``postgresql://postgres:PASSWORD@127.0.0.1:PORT/incident_map``).

    The server's log is copied to ``tmp_path / "postgres.log"`` when the block ends.
    """
    bindir = postgres_bindir()
    owner = SUPERUSER if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="incident-map-pg-"))
    if owner:
        entry = pwd.getpwnam(owner)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    data, log = folder / "data", folder / "postgres.log"
    password = secrets.token_urlsafe(18)
    pwfile = folder / "pw"
    pwfile.write_text(password + "\n")
    if owner:
        os.chown(pwfile, entry.pw_uid, entry.pw_gid)
    port = free_port()
    started = False
    try:
        try:
            started = _start(bindir, owner, folder, data, log, pwfile, port)
            admin = f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{port}"
            _create_database(admin)
        except subprocess.CalledProcessError as error:
            detail = (error.stderr or b"").decode("utf-8", "replace").strip()[-800:]
            raise PostgresUnavailable(f"{' '.join(error.cmd[:3])} failed: {detail}") from None
        yield f"{admin}/{DATABASE}"
    finally:
        if started:
            subprocess.run(_as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-m",
                                      "immediate", "-w", "stop"], owner),
                           capture_output=True, timeout=60)
        try:
            Path(tmp_path).mkdir(parents=True, exist_ok=True)
            if log.exists():
                shutil.copyfile(log, Path(tmp_path) / "postgres.log")
        except OSError:
            pass
        shutil.rmtree(folder, ignore_errors=True)


def _start(bindir: Path, owner: str | None, folder: Path, data: Path, log: Path,
           pwfile: Path, port: int) -> bool:
    subprocess.run(_as_owner([str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER,
                              "--pwfile", str(pwfile), "--auth-local", "scram-sha-256",
                              "--auth-host", "scram-sha-256", "-E", "UTF8",
                              "--locale", "C.UTF-8", "--no-sync"], owner),
                   check=True, capture_output=True, timeout=START_TIMEOUT_S)
    pwfile.unlink()
    options = (f"-c listen_addresses=127.0.0.1 -c port={port} "
               f"-c unix_socket_directories={folder} -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    subprocess.run(_as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log),
                              "-o", options, "-w", "-t", str(START_TIMEOUT_S), "start"],
                             owner), check=True, capture_output=True,
                   timeout=START_TIMEOUT_S + 10)
    return True


def _create_database(admin: str) -> None:
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    psql = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"]
    subprocess.run([*psql, f"{admin}/postgres", "-c", f"CREATE DATABASE {DATABASE}"],
                   check=True, capture_output=True, env=env, timeout=60)
    subprocess.run([*psql, f"{admin}/{DATABASE}", "-c", "CREATE EXTENSION postgis"],
                   check=True, capture_output=True, env=env, timeout=120)


def new_database(dsn: str, name: str) -> str:
    """A new, empty database ``name`` (with PostGIS) in the cluster of ``dsn``; its DSN.

    Made from the cluster's ``incident_map`` database as a template (a file copy: fast).
    """
    import psycopg
    from psycopg import sql

    admin = psycopg.conninfo.make_conninfo(dsn, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(DATABASE)))
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{name}"))
