"""The local deployment's database (``deploy/cluster.py`` ``local_postgres``, which
``deploy/local.py`` runs): a role of its own, a password checked on every connection,
loopback only, its secrets readable by their owner only, and the same data after a restart."""

from __future__ import annotations

import shutil
import stat
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from dashboard.data.stores import open_store
from deploy.cluster import local_postgres
from tests.conftest import CURATED

pytestmark = pytest.mark.slow  # a real server, database or browser


@pytest.fixture
def folder():
    made = Path(tempfile.mkdtemp(prefix="incident-map-local-pg-"))
    yield made
    shutil.rmtree(made, ignore_errors=True)


def test_the_local_database_is_guarded_and_keeps_its_data(folder):
    with local_postgres(folder) as url:
        parts = urlsplit(url)
        assert parts.hostname == "127.0.0.1" and parts.username == "incident_map"
        with psycopg.connect(url) as conn:
            superuser, = conn.execute("SELECT rolsuper FROM pg_roles "
                                      "WHERE rolname = current_user").fetchone()
            listen, = conn.execute("SHOW listen_addresses").fetchone()
            postgis, = conn.execute("SELECT count(*) FROM pg_extension "
                                    "WHERE extname = 'postgis'").fetchone()
        assert (superuser, listen, postgis) == (False, "127.0.0.1", 1)
        without = url.replace(f":{parts.password}@", "@")
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(without, connect_timeout=10).close()
        store = open_store(url, watch=False)
        store.replace_all(*open_store(CURATED).raw_rows())
        store.close()
    for secret in ("password", "superuser-password"):
        assert stat.S_IMODE((folder / secret).stat().st_mode) == 0o600
    with local_postgres(folder) as again:  # a restart: the same role, password and rows
        assert again.split("@")[0] == url.split("@")[0]
        store = open_store(again, watch=False)
        try:
            assert store.raw_rows() == open_store(CURATED).raw_rows()
        finally:
            store.close()
