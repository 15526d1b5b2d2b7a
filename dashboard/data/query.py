"""Filtering and aggregation behind one interface: pandas today, DuckDB for larger data.

Both engines answer the same three questions about a :class:`~dashboard.data.filters.Filters`
with the same semantics as :func:`~dashboard.data.filters.apply_filters`:

- ``positions(filters)``: the positions (0-based, in the dataset's date order) of the rows
  that pass, the form the map's filter mask is made from;
- ``yearly_counts(filters)``: incidents per (year, event type), for the timeline;
- ``count(filters)``.

:class:`PandasQuery` works on the frame from :func:`~dashboard.data.loading.load_incidents`.
:class:`DuckDBQuery` (``pip install 'incident-map[scale]'``) runs the same filters as SQL in
an embedded DuckDB over that frame or over a Parquet file written by :func:`write_parquet`,
so tens of millions of rows are filtered without holding them in pandas. See
``docs/performance.md`` for where a server database (PostGIS, a warehouse) plugs in.

Example::

    query = open_query(incidents, engine="duckdb")
    query.count(Filters(event_types=("killing",)))
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from dashboard.data.filters import Filters, apply_filters
from dashboard.data.loading import fold_text

ENGINES = ("pandas", "duckdb")
#: The columns the engines filter and aggregate on.
QUERY_COLUMNS = ("year", "country", "event_type", "attribution", "search_text")


class QueryError(RuntimeError):
    """The engine asked for cannot run here (e.g. DuckDB is not installed)."""


class IncidentQuery(Protocol):
    def positions(self, filters: Filters) -> np.ndarray: ...

    def yearly_counts(self, filters: Filters) -> pd.DataFrame: ...

    def count(self, filters: Filters) -> int: ...


class PandasQuery:
    """The engine the dashboard uses: the loaded frame, filtered in memory."""

    def __init__(self, incidents: pd.DataFrame):
        self.incidents = incidents

    def positions(self, filters: Filters) -> np.ndarray:
        passed = apply_filters(self.incidents, filters)
        return self.incidents.index.get_indexer(passed.index)

    def yearly_counts(self, filters: Filters) -> pd.DataFrame:
        passed = apply_filters(self.incidents, filters).dropna(subset=["year"])
        counts = (passed.groupby(["year", "event_type"], observed=True).size()
                  .reset_index(name="count"))
        return _tidy(counts)

    def count(self, filters: Filters) -> int:
        return len(apply_filters(self.incidents, filters))


def _tidy(counts: pd.DataFrame) -> pd.DataFrame:
    counts = counts.astype({"year": int, "count": int})
    counts["event_type"] = counts["event_type"].astype(str)
    return counts.sort_values(["year", "event_type"]).reset_index(drop=True)


def _duckdb():
    try:
        import duckdb
    except ImportError:
        raise QueryError("the DuckDB engine needs the duckdb package: "
                         "pip install 'incident-map[scale]'") from None
    return duckdb


def write_parquet(incidents: pd.DataFrame, path: Path) -> Path:
    """The query columns of ``incidents`` (and each row's position) as a Parquet file."""
    duckdb = _duckdb()
    frame = _query_frame(incidents)
    connection = duckdb.connect()
    try:
        connection.from_df(frame).to_parquet(str(path))
    finally:
        connection.close()
    return path


def _query_frame(incidents: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame({column: incidents[column] for column in QUERY_COLUMNS})
    for column in ("country", "event_type", "attribution", "search_text"):
        frame[column] = frame[column].astype(str)
    frame["year"] = pd.to_numeric(frame["year"], errors="coerce").astype("Int64")
    frame.insert(0, "pos", np.arange(len(frame), dtype=np.int64))
    return frame


class DuckDBQuery:
    """The same filters as SQL in an embedded DuckDB (a frame, or a Parquet file)."""

    def __init__(self, source: pd.DataFrame | Path):
        duckdb = _duckdb()
        self.connection = duckdb.connect()
        if isinstance(source, pd.DataFrame):
            self.connection.register("incidents", _query_frame(source))
        else:
            self.connection.read_parquet(str(source)).create_view("incidents")

    def _where(self, filters: Filters) -> tuple[str, list]:
        clauses, values = [], []
        if filters.years:
            clauses.append("year BETWEEN ? AND ?")
            values += [int(filters.years[0]), int(filters.years[1])]
        for column, chosen in (("country", filters.countries),
                               ("event_type", filters.event_types),
                               ("attribution", filters.attributions)):
            if chosen:
                clauses.append(f"{column} IN ({', '.join('?' for _ in chosen)})")
                values += list(chosen)
        for word in fold_text(filters.query).split():
            clauses.append("contains(search_text, ?)")
            values.append(word)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", values

    def positions(self, filters: Filters) -> np.ndarray:
        where, values = self._where(filters)
        rows = self.connection.execute(
            f"SELECT pos FROM incidents{where} ORDER BY pos", values).fetchnumpy()
        return np.asarray(rows["pos"], dtype=np.int64)

    def yearly_counts(self, filters: Filters) -> pd.DataFrame:
        where, values = self._where(filters)
        where = (where + " AND" if where else " WHERE") + " year IS NOT NULL"
        counts = self.connection.execute(
            f"SELECT year, event_type, count(*) AS count FROM incidents{where} "
            "GROUP BY year, event_type", values).df()
        return _tidy(counts)

    def count(self, filters: Filters) -> int:
        where, values = self._where(filters)
        return int(self.connection.execute(f"SELECT count(*) FROM incidents{where}",
                                           values).fetchone()[0])


def open_query(incidents: pd.DataFrame, *, engine: str = "pandas") -> IncidentQuery:
    """The engine named ``engine`` (one of ENGINES) over ``incidents``."""
    if engine == "pandas":
        return PandasQuery(incidents)
    if engine == "duckdb":
        return DuckDBQuery(incidents)
    raise QueryError(f"unknown query engine {engine!r}; use one of {', '.join(ENGINES)}")
