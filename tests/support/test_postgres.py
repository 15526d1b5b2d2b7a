"""The throw-away PostgreSQL cluster: it starts, has PostGIS, listens on loopback only, and is
gone after the block."""

from __future__ import annotations

import socket

import pytest

from tests.support.postgres import fresh_database, psql, throwaway_postgres


def test_the_session_cluster_answers_with_postgis(postgres_dsn):
    assert postgres_dsn.startswith("postgresql://") and "@127.0.0.1:" in postgres_dsn
    assert psql(postgres_dsn, "SELECT PostGIS_Lib_Version()").strip().startswith("3.")
    point = psql(postgres_dsn, "SELECT ST_AsText(ST_SetSRID(ST_MakePoint(13.4, 52.5), 4326))")
    assert point.strip() == "POINT(13.4 52.5)"
    assert psql(postgres_dsn, "SHOW listen_addresses").strip() == "127.0.0.1"


def test_a_fresh_database_is_empty_and_separate(postgres_dsn):
    first = fresh_database(postgres_dsn, "support_check")
    psql(first, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
    again = fresh_database(postgres_dsn, "support_check")
    assert psql(again, "SELECT count(*) FROM pg_tables WHERE tablename = 't'").strip() == "0"
    with pytest.raises(ValueError):
        fresh_database(postgres_dsn, "x; DROP DATABASE postgres")


def test_a_cluster_stops_and_frees_its_port(tmp_path):
    with throwaway_postgres(tmp_path) as dsn:
        port = int(dsn.split(":")[2].split("/")[0])
        assert psql(dsn, "SELECT 1").strip() == "1"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), 1).close()
    assert (tmp_path / "postgres.log").exists()
