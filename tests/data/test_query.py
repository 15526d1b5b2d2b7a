"""The query interface: pandas and DuckDB give the same rows, counts and yearly totals."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.data.filters import Filters, apply_filters
from dashboard.data.loading import load_incidents
from dashboard.data.query import (
    CachedQuery,
    DuckDBQuery,
    PandasQuery,
    QueryError,
    engine_requested,
    open_query,
    write_parquet,
)
from dashboard.page.state import headline_numbers
from dashboard.page.timeline import yearly_counts
from scripts.make_large_dataset import write_dataset

FILTERS = [
    Filters(),
    Filters(years=(2000, 2010)),
    Filters(countries=("DE", "ES"), event_types=("killing", "arrest")),
    Filters(attributions=("suspected",), query="berlin"),
    Filters(query="moscow killing"),
    Filters(years=(1800, 1801)),  # nothing
    # month spans: dates known to the day or month inside, to the year only with the whole year
    Filters(months=("2005-02", "2005-04")),
    Filters(months=("2004-07", "2006-03")),  # year-only rows of 2005 are in it
    Filters(months=("2009-07", "2012-03"), event_types=("killing", "arrest")),
    Filters(years=(2005, 2005), months=("2005-11", "2006-01"), query="berlin"),
]


@pytest.fixture(scope="module")
def incidents(tmp_path_factory):
    path = write_dataset(tmp_path_factory.mktemp("query") / "incidents.csv", 3_000)
    return load_incidents(path)


@pytest.mark.parametrize("filters", FILTERS)
def test_pandas_engine_matches_apply_filters(incidents, filters):
    query = PandasQuery(incidents)
    expected = apply_filters(incidents, filters)
    assert incidents["id"].iloc[query.positions(filters)].tolist() == expected["id"].tolist()
    assert query.count(filters) == len(expected)
    counts = yearly_counts(expected)[["year", "event_type", "count"]]
    counts = counts.sort_values(["year", "event_type"]).reset_index(drop=True)
    assert query.yearly_counts(filters).to_dict("list") == counts.to_dict("list")
    assert query.totals(filters) == headline_numbers(expected)


@pytest.mark.parametrize("filters", FILTERS)
def test_duckdb_engine_gives_the_same_answers(incidents, filters, tmp_path):
    pytest.importorskip("duckdb", reason="the optional DuckDB engine is not installed")
    pandas = PandasQuery(incidents)
    in_memory = DuckDBQuery(incidents)
    on_disk = DuckDBQuery(write_parquet(incidents, tmp_path / "incidents.parquet"))
    for engine in (in_memory, on_disk):
        assert np.array_equal(engine.positions(filters), pandas.positions(filters))
        assert engine.count(filters) == pandas.count(filters)
        assert engine.yearly_counts(filters).to_dict("list") == \
            pandas.yearly_counts(filters).to_dict("list")
        assert engine.totals(filters) == pandas.totals(filters)


def test_search_text_is_data_not_sql(incidents):
    pytest.importorskip("duckdb", reason="the optional DuckDB engine is not installed")
    hostile = Filters(query="x' OR 1=1 --")
    assert DuckDBQuery(incidents).count(hostile) == 0
    assert PandasQuery(incidents).count(hostile) == 0


def test_unknown_engine(incidents):
    with pytest.raises(QueryError, match="unknown query engine"):
        open_query(incidents, engine="spark")
    assert isinstance(open_query(incidents), PandasQuery)


def test_cached_answers_are_the_engines_and_cannot_be_changed(incidents):
    engine = PandasQuery(incidents)
    cached = CachedQuery(engine, entries=2)
    for filters in FILTERS * 2:  # more filters than entries: old answers are dropped
        assert np.array_equal(cached.positions(filters), engine.positions(filters))
        assert cached.totals(filters) == engine.totals(filters)
        assert cached.count(filters) == engine.count(filters)
    assert len(cached._answers) <= 2 * 4
    with pytest.raises(ValueError):
        cached.positions(FILTERS[1])[0] = 1
    first = cached.yearly_counts(FILTERS[1])
    first.loc[0, "count"] = -1  # a copy: the cached answer stays right
    assert cached.yearly_counts(FILTERS[1])["count"].min() > 0


def test_engine_setting(monkeypatch):
    monkeypatch.delenv("INCIDENT_MAP_ENGINE", raising=False)
    assert engine_requested() == "pandas"
    monkeypatch.setenv("INCIDENT_MAP_ENGINE", "DuckDB")
    assert engine_requested() == "duckdb"
    assert engine_requested("pandas") == "pandas"
    monkeypatch.setenv("INCIDENT_MAP_ENGINE", "spark")
    with pytest.raises(QueryError, match="unknown query engine 'spark'"):
        engine_requested()
