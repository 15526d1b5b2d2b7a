"""A throw-away PostgreSQL cluster for the tests: Debian's PostgreSQL 15 with PostGIS.

``throwaway_postgres(tmp_path)`` runs ``initdb`` in a new folder, starts the server on a free
loopback port (TCP on 127.0.0.1 only; its Unix socket inside the data folder), creates a
database with the ``postgis`` extension, yields that database's DSN and stops the server and
removes the folder on exit. The session-scoped ``postgres_dsn`` fixture (``tests/conftest.py``)
shares one cluster among all the tests of a run; a test that needs a clean database creates its
own (``fresh_database(dsn, name)``).

PostgreSQL refuses to run as root, and ``make test`` runs as root: the server then runs as the
``postgres`` system user of Debian's package (or ``INCIDENT_MAP_PG_USER``), in a folder it owns.
A missing PostgreSQL is a failure, never a silent skip.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

#: Debian's PostgreSQL 15 programs (initdb, pg_ctl, postgres); another folder with
#: ``INCIDENT_MAP_PG_BIN``.
PG_BIN = Path(os.environ.get("INCIDENT_MAP_PG_BIN", "/usr/lib/postgresql/15/bin"))
#: The superuser the cluster is created with (trust authentication, loopback only).
SUPERUSER = "incident_map"
DATABASE = "incident_map_test"
START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_as() -> pwd.struct_passwd | None:
    """The unprivileged account the server runs under when we are root (None otherwise)."""
    if os.geteuid() != 0:
        return None
    name = os.environ.get("INCIDENT_MAP_PG_USER", "postgres")
    try:
        return pwd.getpwnam(name)
    except KeyError as error:
        raise RuntimeError(
            f"running as root, PostgreSQL needs an unprivileged user ({name!r} is missing; "
            "install Debian's postgresql package or set INCIDENT_MAP_PG_USER)") from error


def _command(user: pwd.struct_passwd | None, *args: str) -> list[str]:
    if user is None:
        return list(args)
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups",
            "--", *args]


def _check_installed() -> None:
    for program in ("initdb", "pg_ctl", "postgres"):
        if not (PG_BIN / program).exists():
            raise RuntimeError(
                f"{PG_BIN / program} is missing: install Debian's postgresql-15 and "
                "postgresql-15-postgis-3 (scripts/debian-packages.txt, `make test` does)")


def _check_ready(port: int, process_log: Path) -> None:
    """``pg_ctl start -w`` has waited until the server accepts connections: check the port."""
    try:
        socket.create_connection(("127.0.0.1", port), 5).close()
    except OSError as error:
        raise RuntimeError(
            f"PostgreSQL does not answer on port {port} ({error}): "
            f"{process_log.read_text(errors='replace')}") from error


def psql(dsn: str, sql: str) -> str:
    """Run SQL with Debian's ``psql`` (no Python client needed); returns its unaligned output."""
    result = subprocess.run(
        [str(PG_BIN / "psql"), "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-At", "-d", dsn,
         "-c", sql], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"psql failed: {result.stderr.strip()}")
    return result.stdout


def fresh_database(dsn: str, name: str, *, postgis: bool = True) -> str:
    """A new, empty database ``name`` on the cluster of ``dsn`` (with PostGIS); its DSN."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain database name: {name!r}")
    psql(dsn, f'DROP DATABASE IF EXISTS "{name}"')
    psql(dsn, f'CREATE DATABASE "{name}"')
    new = dsn.rsplit("/", 1)[0] + "/" + name
    if postgis:
        psql(new, "CREATE EXTENSION IF NOT EXISTS postgis")
    return new


@contextlib.contextmanager
def throwaway_postgres(tmp_path: Path) -> Iterator[str]:
    """Start a new PostgreSQL cluster for the block; yields its DSN (``postgresql://...``).

    ``tmp_path`` holds the server's log; the data folder is a new folder of its own (it must
    belong to the server's user, which may not be ours). Stopped and removed on exit.
    """
    _check_installed()
    user = _run_as()
    base = Path(tempfile.mkdtemp(prefix="incident-map-pg-"))
    data = base / "data"
    log = Path(tmp_path) / "postgres.log"
    port = free_port()
    if user is not None:
        os.chown(base, user.pw_uid, user.pw_gid)
    try:
        subprocess.run(
            _command(user, str(PG_BIN / "initdb"), "-D", str(data), "-U", SUPERUSER,
                     "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"),
            check=True, capture_output=True, timeout=120, cwd=base)
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(port),
            "unix_socket_directories": f"'{data}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "shared_buffers": "'64MB'",
            "max_connections": "50",
        }
        with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        # The server writes its log into the data folder (the test's folder may not be
        # writable by its user); copied next to the test on exit.
        server_log = data / "server.log"
        subprocess.run(
            _command(user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(server_log),
                     "-w", "-t", str(START_TIMEOUT_S), "start"),
            check=True, capture_output=True, timeout=START_TIMEOUT_S + 10, cwd=base)
        _check_ready(port, server_log)
        root_dsn = f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres"
        yield fresh_database(root_dsn, DATABASE)
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                _command(user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate",
                         "-w", "stop"), capture_output=True, timeout=60, cwd=base)
        with contextlib.suppress(OSError):
            shutil.copyfile(data / "server.log", log)
        shutil.rmtree(base, ignore_errors=True)
