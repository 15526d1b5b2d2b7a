"""The page's questions compile to the SQL of Trino, BigQuery and ClickHouse (no server):
Ibis writes it from the same expressions the engines run, and SQLGlot reads it back in that
dialect; the filters, the Web Mercator grid and the date order are all in it."""

from __future__ import annotations

import ibis
import pytest
import sqlglot

from dashboard.data.engine.grid import Bounds
from dashboard.data.engine.query import compile_sql
from dashboard.data.engine.table import SCHEMA
from dashboard.data.filters import Filters

TABLE = ibis.table(ibis.schema(SCHEMA), name="incidents")
FILTERS = Filters(years=(2019, 2024), months=("2022-02", "2022-04"), countries=("DE", "ES"),
                  event_types=("killing",), attributions=("confirmed",),
                  query="Alarcón 100%")


@pytest.mark.parametrize("dialect", ["trino", "bigquery", "clickhouse"])
def test_every_question_compiles_and_parses_in_the_dialect(dialect):
    sql = compile_sql(TABLE, FILTERS, dialect=dialect, bounds=Bounds(30, -20, 60, 40), zoom=5)
    assert set(sql) == {"totals", "yearly", "monthly", "cells", "rows"}
    for question, text in sql.items():
        parsed = sqlglot.parse_one(text, read=dialect)
        assert parsed is not None, question
        # the filters are all there, with the search word folded like the data
        for piece in ("2019", "2024", "'DE'", "'killing'", "'confirmed'", "alarcon", "100%",
                      str(2022 * 12 + 1), str(2022 * 12 + 3)):
            assert piece in text, (dialect, question, piece)
    assert "'Alarcón" not in sql["totals"]
    for function in ("LN", "TAN", "COS", "FLOOR"):
        assert function in sql["cells"].upper(), (dialect, function)
    assert "ORDER BY" in sql["rows"] and "pos" in sql["rows"]


def test_the_dialects_differ_where_the_engines_do():
    """Not one SQL for all: each dialect's own quoting and functions."""
    texts = {d: compile_sql(TABLE, Filters(query="berlin"), dialect=d)["totals"]
             for d in ("trino", "bigquery", "clickhouse")}
    assert len(set(texts.values())) == 3
    assert "`" in texts["bigquery"]
    assert '"' in texts["trino"]


def test_a_search_word_is_a_literal_never_sql():
    sql = compile_sql(TABLE, Filters(query="x'); DROP TABLE incidents; --"),
                      dialect="trino")["totals"]
    statements = sqlglot.parse(sql, read="trino")
    assert len(statements) == 1
    assert "DROP" not in {type(node).__name__.upper() for node in statements[0].walk()}
