"""One small dataset in each real engine, shared by the engine tests of a run: DuckDB over
its Parquet file, a table of the throw-away PostgreSQL cluster, and a table of one local
Spark session (Spark takes tens of seconds to start: its tests are marked ``spark``)."""

from __future__ import annotations

import contextlib

import pytest

from dashboard.data.loading import load_incidents
from tests.conftest import write_csv
from tests.data.engine.cases import engine_rows


@pytest.fixture(scope="session")
def engine_env(tmp_path_factory):
    """The engines' cache and warehouse folder in the run's temporary folder."""
    return tmp_path_factory.mktemp("engine-cache")


@contextlib.contextmanager
def _settings(folder):
    """The engines' settings while a fixture writes its table (not for the whole run: the
    other tests keep their own cache folder)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INCIDENT_MAP_CACHE_DIR", str(folder))
        patch.setenv("INCIDENT_MAP_SPARK_WAREHOUSE", str(folder / "warehouse"))
        patch.setenv("INCIDENT_MAP_SPARK_MASTER", "local[1]")
        yield


@pytest.fixture(scope="session")
def engine_csv(engine_env):
    return write_csv(engine_env / "cases.csv", engine_rows())


@pytest.fixture(scope="session")
def engine_frame(engine_csv):
    """The same dataset as the page loads it (pandas): the reference answers."""
    return load_incidents(engine_csv)


@pytest.fixture(scope="session")
def engine_parquet(engine_csv, engine_env):
    from dashboard.data.engine.convert import convert_csv

    with _settings(engine_env):
        return convert_csv(engine_csv)


def _query(spec: str, *, rollups: bool = True):
    """The engine of ``spec`` as the server makes it (with its roll-ups, if any), or with
    the table alone answering every question."""
    from dashboard.data.engine.connect import connect_with_rollups
    from dashboard.data.engine.query import EngineQuery
    from dashboard.data.engine.sources import parse_source

    source = parse_source(spec)
    backend, table, found = connect_with_rollups(source)
    return EngineQuery(backend, table, name=source.kind, rollups=found if rollups else None)


@pytest.fixture(scope="session")
def duckdb_query(engine_parquet, engine_env):
    with _settings(engine_env):  # where the conversion wrote the roll-ups
        query = _query(f"parquet:{engine_parquet}")
        assert query.rollups() is not None
    return query


@pytest.fixture(scope="session")
def duckdb_rows_query(engine_parquet):
    """DuckDB with no roll-ups: every answer from the rows."""
    return _query(f"parquet:{engine_parquet}", rollups=False)


@pytest.fixture(scope="session")
def postgres_query(engine_parquet, postgres_dsn):
    from dashboard.data.engine.convert import load_postgres
    from tests.support.postgres import fresh_database

    dsn = fresh_database(postgres_dsn, "engine_cases")
    load_postgres(engine_parquet, dsn, "incidents")
    return _query(dsn)


@pytest.fixture(scope="session")
def spark_query(engine_parquet, engine_env):
    from dashboard.data.engine.convert import load_spark

    with _settings(engine_env):
        load_spark(engine_parquet, "engine_cases")
        return _query("spark:engine_cases")
