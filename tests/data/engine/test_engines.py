"""The same questions give the same answers on DuckDB, PostgreSQL and Spark, and the same as
the page's pandas filters (:func:`dashboard.data.filters.apply_filters`): property-based
cases from Hypothesis, each batch of filter cases asked as one query per engine."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.data.engine.grid import Bounds, cell_of
from dashboard.data.engine.query import EXPULSION, POINT_LIMIT, predicate
from dashboard.data.engine.table import DATASET_COLUMNS
from dashboard.data.filters import Filters, apply_filters
from dashboard.data.schema import ATTRIBUTIONS, EVENT_TYPES
from tests.data.engine.cases import COUNTRIES, SEARCHES


def _month(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


years = st.none() | st.tuples(st.integers(2013, 2025), st.integers(0, 5)).map(
    lambda pair: (pair[0], pair[0] + pair[1]))
months = st.none() | st.tuples(st.integers(2014 * 12, 2025 * 12), st.integers(0, 30)).map(
    lambda pair: (_month(pair[0]), _month(pair[0] + pair[1])))


def _some(values) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(st.sampled_from(values), max_size=3, unique=True).map(tuple)


filters_cases = st.builds(
    Filters, years=years, months=months, countries=_some((*COUNTRIES, "US")),
    event_types=_some(tuple(EVENT_TYPES)), attributions=_some(tuple(ATTRIBUTIONS)),
    query=st.lists(st.sampled_from(SEARCHES), max_size=2).map(" ".join))


def reference(frame: pd.DataFrame, filters: Filters) -> tuple[int, int, int]:
    rows = apply_filters(frame, filters)
    expelled = rows.loc[rows["event_type"] == EXPULSION, "persons"].fillna(0).sum()
    return len(rows), int(rows["fatalities"].fillna(0).sum()), int(expelled)


def answers(query, cases: list[Filters]) -> list[tuple[int, int, int]]:
    """Count, fatalities and people expelled for every case, in one query."""
    t = query.table
    metrics = {}
    for i, case in enumerate(cases):
        conditions = predicate(t, case)
        hit = ibis.and_(*conditions) if conditions else t.pos.notnull()
        metrics[f"n{i}"] = hit.ifelse(1, 0).sum()
        metrics[f"k{i}"] = hit.ifelse(t.fatalities.fill_null(0), 0).sum()
        metrics[f"e{i}"] = (hit & (t.event_type == EXPULSION)).ifelse(
            t.persons.fill_null(0), 0).sum()
    row = query._run(t.aggregate(**metrics)).iloc[0]
    return [(int(row[f"n{i}"]), int(row[f"k{i}"]), int(row[f"e{i}"]))
            for i in range(len(cases))]


def PROPERTY(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


@PROPERTY(15)
@given(cases=st.lists(filters_cases, min_size=12, max_size=12))
def test_duckdb_answers_as_pandas(duckdb_query, engine_frame, cases):
    assert answers(duckdb_query, cases) == [reference(engine_frame, c) for c in cases]


@PROPERTY(10)
@given(cases=st.lists(filters_cases, min_size=12, max_size=12))
def test_postgres_answers_as_duckdb_and_pandas(postgres_query, duckdb_query, engine_frame,
                                               cases):
    expected = [reference(engine_frame, c) for c in cases]
    assert answers(postgres_query, cases) == expected
    assert answers(duckdb_query, cases) == expected


@pytest.mark.spark
@PROPERTY(1)  # Spark's start and each job are a fixed cost: one batch of 32 cases, one query
@given(cases=st.lists(filters_cases, min_size=32, max_size=32))
def test_spark_answers_as_duckdb_and_pandas(spark_query, duckdb_query, engine_frame, cases):
    expected = [reference(engine_frame, c) for c in cases]
    assert answers(spark_query, cases) == expected
    assert answers(duckdb_query, cases) == expected


def test_the_hard_cases_are_in_the_data(engine_frame):
    """The properties above see wildcards, accents, undated rows and rows with no point."""
    for case, minimum in ((Filters(query="100%"), 1), (Filters(query="a_b"), 1),
                          (Filters(query="alarcon"), 1), (Filters(query="%"), 1)):
        assert reference(engine_frame, case)[0] >= minimum
    assert reference(engine_frame, Filters(query="_"))[0] < len(engine_frame)
    assert (engine_frame["date_precision"] == "undated").any()
    assert engine_frame["lat"].isna().any()


FIXED = (Filters(), Filters(years=(2018, 2021), countries=("DE", "FJ")),
         Filters(months=("2019-03", "2020-02"), query="berlin"),
         Filters(event_types=("diplomatic_expulsion",), attributions=("confirmed",)))


def _engines(request, names):
    return {name: request.getfixturevalue(f"{name}_query") for name in names}


def _check_methods(query, frame, cases=FIXED):
    for case in cases:
        rows = apply_filters(frame, case)
        totals = query.totals(case)
        assert totals["incidents"] == len(rows) == query.count(case)
        assert totals["countries"] == rows["country"].nunique()
        yearly = query.yearly_counts(case)
        dated = rows[rows["year"].notna()]
        expected = dated.groupby(["year", "event_type"]).size()
        assert dict(zip(zip(yearly["year"], yearly["event_type"], strict=True),
                        yearly["count"], strict=True)) == {
            (int(y), t): int(n) for (y, t), n in expected.items()}
        monthly = query.monthly_counts(case)
        assert int(monthly["count"].sum()) == len(dated)
        assert int(monthly.loc[monthly["month"].isna(), "count"].sum()) == int(
            (dated["date_precision"] == "year").sum())
        page = query.rows(case, offset=1, limit=5)
        assert page["id"].tolist() == rows["id"].tolist()[1:6]
        exported = pd.concat([b.to_pandas() for b in query.batches(case, batch_rows=7)]
                             or [pd.DataFrame(columns=list(DATASET_COLUMNS))])
        assert exported["id"].tolist() == rows["id"].tolist()
        assert list(exported.columns) == list(DATASET_COLUMNS)


def test_duckdb_and_postgres_answer_the_page_and_the_exports(request, engine_frame):
    """With their roll-ups (as served), and DuckDB with the rows alone."""
    engines = _engines(request, ("duckdb", "duckdb_rows", "postgres"))
    assert engines["postgres"].rollups() is not None
    for query in engines.values():
        _check_methods(query, engine_frame)


def _page_answers(query, case: Filters, bounds: Bounds, zoom: int):
    view = query.map_view(case, bounds, zoom)
    cells = (sorted(zip(view.rows["cx"], view.rows["cy"], view.rows["n"], strict=True))
             if view.kind == "cells" else view.rows["id"].tolist())
    return (query.totals(case), query.extent(case),
            query.yearly_counts(case).to_dict("list"),
            query.monthly_counts(case).astype({"month": float}).fillna(-1).to_dict("list"),
            view.kind, view.total, cells)


@PROPERTY(8)
@given(case=filters_cases, zoom=st.sampled_from([0, 2, 4, 7]))
def test_the_rollups_answer_as_the_rows(duckdb_query, duckdb_rows_query, postgres_query,
                                        case, zoom):
    """Totals, extent, timelines and the world's cells from the roll-ups (DuckDB's Parquet
    files, PostgreSQL's tables) are the rows' answers, with or without a search."""
    import dashboard.data.engine.query as query_module

    world = Bounds(-90, -180, 90, 180)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(query_module, "POINT_LIMIT", 0)  # always cells
        expected = _page_answers(duckdb_rows_query, case, world, zoom)
        assert _page_answers(duckdb_query, case, world, zoom) == expected
        assert _page_answers(postgres_query, case, world, zoom) == expected


def test_a_search_keeps_its_rows_for_the_next_questions(duckdb_query, engine_frame):
    """DuckDB keeps a search's rows in a table of its own: the table's pages, ranks and
    points come from it, and a search matching too many rows reads the table each time."""
    import dashboard.data.engine.query as query_module

    case = Filters(query="berlin", years=(2016, 2024))
    rows = apply_filters(engine_frame, case)
    assert 5 < len(rows)
    assert duckdb_query.rows(case, offset=2, limit=3)["id"].tolist() == rows["id"].tolist()[2:5]
    assert duckdb_query.rank(case, rows["id"].iloc[4]) == 4
    assert duckdb_query._searched(case) is not None
    view = duckdb_query.map_view(case, Bounds(-90, -180, 90, 180), 3)
    assert view.kind == "points"
    assert view.rows["id"].tolist() == rows.dropna(subset=["lat"])["id"].tolist()
    broad = Filters(query="synthetic")
    original = query_module.SEARCH_ROWS
    query_module.SEARCH_ROWS = 10
    # the engine is the session's: an earlier test (the properties' random searches) may
    # have kept this search's rows already, under the real SEARCH_ROWS
    duckdb_query._searches.pop(("synthetic",), None)
    try:
        assert duckdb_query._searched(broad) is None
        assert duckdb_query.count(broad) == len(apply_filters(engine_frame, broad))
    finally:
        query_module.SEARCH_ROWS = original


@pytest.mark.spark
def test_spark_answers_the_page_and_the_exports(spark_query, engine_frame):
    """The page's questions and an export on Spark, for the case that meets every filter
    kind (the others are DuckDB's and PostgreSQL's above, and Spark's counts agree on 32
    cases in the property)."""
    _check_methods(spark_query, engine_frame, cases=FIXED[2:3])


def _reference_cells(frame, filters, bounds: Bounds, zoom: int) -> dict[tuple[int, int], int]:
    rows = apply_filters(frame, filters).dropna(subset=["lat", "lon"])
    cells: dict[tuple[int, int], int] = {}
    for lat, lon in zip(rows["lat"], rows["lon"], strict=True):
        inside_lon = (bounds.west <= lon <= bounds.east if bounds.west <= bounds.east
                      else lon >= bounds.west or lon <= bounds.east)
        if bounds.south <= lat <= bounds.north and inside_lon:
            cell = cell_of(lat, lon, zoom)
            cells[cell] = cells.get(cell, 0) + 1
    return cells


@pytest.mark.parametrize("zoom", [0, 3, 7])
@pytest.mark.parametrize("bounds", [Bounds(-90, -180, 90, 180), Bounds(-30, 170, 0, -170),
                                    Bounds(35, -10, 60, 40)])
def test_grid_cells_match_the_python_formula(duckdb_query, postgres_query, engine_frame,
                                             bounds, zoom, monkeypatch):
    import dashboard.data.engine.query as query_module

    monkeypatch.setattr(query_module, "POINT_LIMIT", 0)  # always cells
    expected = _reference_cells(engine_frame, Filters(), bounds, zoom)
    for query in (duckdb_query, postgres_query):
        view = query.map_view(Filters(), bounds, zoom)
        assert view.kind == "cells"
        got = {(int(x), int(y)): int(n)
               for x, y, n in zip(view.rows["cx"], view.rows["cy"], view.rows["n"],
                                  strict=True)}
        assert got == expected
        assert view.total == sum(expected.values())


def test_a_view_with_few_incidents_lists_them(duckdb_query, postgres_query, engine_frame):
    bounds = Bounds(50, 10, 55, 16)
    rows = apply_filters(engine_frame, Filters(countries=("DE",))).dropna(subset=["lat"])
    for query in (duckdb_query, postgres_query):
        view = query.map_view(Filters(countries=("DE",)), bounds, 5)
        assert view.kind == "points" and len(rows) <= POINT_LIMIT
        assert view.rows["id"].tolist() == rows["id"].tolist()
        assert view.total == len(rows)


def test_the_dataset_itself(duckdb_query, postgres_query, engine_frame):
    for query in (duckdb_query, postgres_query):
        assert query.size() == len(engine_frame)
        assert query.year_span() == (int(engine_frame["year"].min()),
                                     int(engine_frame["year"].max()))
        assert set(query.countries()) == set(engine_frame["country"])
        first = engine_frame.iloc[3]
        assert query.incident(first["id"])["title"] == first["title"]
        assert query.incident("no-such-id") is None
        assert query.rank(Filters(), first["id"]) == 3
