"""The PostgreSQL store's dataset as the engine's typed table: copied once per store
generation, answering as the store's own frame, and copied again after a save."""

from __future__ import annotations

import psycopg
import pytest

from dashboard.data.engine.connect import connect_with_rollups
from dashboard.data.engine.from_store import engine_generation, store_rows, sync, watch
from dashboard.data.engine.query import EngineQuery
from dashboard.data.engine.sources import parse_source
from dashboard.data.filters import Filters, apply_filters
from dashboard.data.loading import prepare
from dashboard.data.stores import open_store
from tests.conftest import write_csv
from tests.data.engine.cases import engine_rows


@pytest.fixture
def store_dsn(postgres_database, tmp_path, monkeypatch):
    monkeypatch.setenv("INCIDENT_MAP_CACHE_DIR", str(tmp_path / "cache"))
    path = write_csv(tmp_path / "cases.csv", engine_rows(60, seed=3))
    store = open_store(postgres_database, watch=False)
    store.replace_all(*open_store(path).raw_rows())
    yield postgres_database, store
    store.close()


def _engine(dsn):
    backend, table, rollups = connect_with_rollups(parse_source(dsn))
    return EngineQuery(backend, table, name="postgres", rollups=rollups)


def test_the_store_is_copied_once_per_generation_and_answers_as_its_frame(store_dsn):
    dsn, store = store_dsn
    assert store_rows(dsn) == 60
    assert sync(dsn) == 60
    assert sync(dsn) is None  # the same generation: nothing to do
    frame = prepare(store.read_frame())
    query = _engine(dsn)
    assert query.rollups() is not None
    for case in (Filters(), Filters(years=(2017, 2021), query="berlin")):
        assert query.totals(case)["incidents"] == len(apply_filters(frame, case))
    assert query.rows(Filters(), limit=60)["id"].tolist() == frame["id"].tolist()

    snapshot = store.open_snapshot()
    row_id = snapshot.ids[0]
    store.save_row(snapshot, row_id, dict(snapshot.rows[row_id], title="Renamed Zanzibar"),
                   who="ana")
    watch(dsn, rounds=1)  # what serve --store runs in the background, one round
    with psycopg.connect(dsn) as connection:
        assert engine_generation(connection, "incidents") == int(connection.execute(
            "SELECT generation FROM incident_store").fetchone()[0])
    assert _engine(dsn).totals(Filters(query="zanzibar"))["incidents"] == 1


def test_a_store_without_a_dataset_has_nothing_to_copy(postgres_database):
    assert store_rows(postgres_database) == 0
    assert sync(postgres_database) is None
