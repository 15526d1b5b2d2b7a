"""Filtering and aggregation behind one interface: pandas today, DuckDB for larger data.

Both engines answer the same questions about a :class:`~dashboard.data.filters.Filters`
with the same semantics as :func:`~dashboard.data.filters.apply_filters` (a month span
compares each row's first and last possible month from
:func:`~dashboard.data.filters.month_bounds`, so a date known only to the year is in the span
only when the span holds its whole year):

- ``positions(filters)``: the positions (0-based, in the dataset's date order) of the rows
  that pass, the form the map's filter mask and the table's pages are made from;
- ``yearly_counts(filters)``: incidents per (year, event type), for the timeline;
- ``totals(filters)``: the headline numbers (incidents, fatalities, people expelled,
  countries);
- ``count(filters)``.

:class:`PandasQuery` works on the frame from :func:`~dashboard.data.loading.load_incidents`;
it turns the filter columns into NumPy arrays once (years, category codes) and filters with
boolean masks, so a filter change costs milliseconds, not a copy of the frame.
:class:`DuckDBQuery` (``pip install 'incident-map[scale]'``) runs the same filters as SQL in
an embedded DuckDB over that frame or over a Parquet file written by :func:`write_parquet`,
so tens of millions of rows are filtered without holding them in pandas.
:class:`CachedQuery` keeps the answers for the last few filters (a page rerun that changes
another widget, or goes back to a filter, costs nothing). The page chooses the engine with
``incident-map serve --engine duckdb`` (``INCIDENT_MAP_ENGINE``). See
``docs/performance.md`` for where a server database (PostGIS, a warehouse) plugs in.

Example::

    query = open_query(incidents, engine="duckdb")
    query.count(Filters(event_types=("killing",)))
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from dashboard.data.filters import Filters, in_months, month_bounds, month_number
from dashboard.data.loading import fold_text

ENGINES = ("pandas", "duckdb")
#: The environment variable ``serve --engine`` sets.
ENGINE_VAR = "INCIDENT_MAP_ENGINE"
#: The columns the engines filter and aggregate on (with each row's first and last
#: possible month, ``month_first``/``month_last``, from
#: :func:`~dashboard.data.filters.month_bounds`).
QUERY_COLUMNS = ("year", "country", "event_type", "attribution", "search_text",
                 "fatalities", "persons")
EXPULSION = "diplomatic_expulsion"
#: Filters whose answers :class:`CachedQuery` keeps, and search words whose matches
#: :class:`PandasQuery` keeps.
CACHE_ENTRIES = 16
WORD_CACHE_ENTRIES = 16
TOTALS = ("incidents", "fatalities", "expelled", "countries")


class QueryError(RuntimeError):
    """The engine asked for cannot run here (e.g. DuckDB is not installed)."""


class IncidentQuery(Protocol):
    def positions(self, filters: Filters) -> np.ndarray: ...

    def yearly_counts(self, filters: Filters) -> pd.DataFrame: ...

    def totals(self, filters: Filters) -> dict[str, int]: ...

    def count(self, filters: Filters) -> int: ...


def engine_requested(engine: str | None = None) -> str:
    """``engine`` when given, else ``INCIDENT_MAP_ENGINE``, else ``pandas``."""
    name = (engine or os.environ.get(ENGINE_VAR, "") or "pandas").strip().lower()
    if name not in ENGINES:
        raise QueryError(f"unknown query engine {name!r}; use one of {', '.join(ENGINES)}")
    return name


def _codes(values: pd.Series) -> tuple[np.ndarray, dict[str, int]]:
    """Category codes of ``values`` (as text) and the code of each category."""
    codes, uniques = pd.factorize(values.astype(str), sort=True)
    return codes.astype(np.int32), {str(value): index for index, value in enumerate(uniques)}


class PandasQuery:
    """The engine the dashboard uses: the loaded frame, filtered in memory."""

    def __init__(self, incidents: pd.DataFrame):
        self.incidents = incidents
        self.size = len(incidents)
        self._year = pd.to_numeric(incidents["year"], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan)
        self._months = month_bounds(incidents)
        self._categories = {column: _codes(incidents[column])
                            for column in ("country", "event_type", "attribution")}
        self._search = incidents["search_text"]
        self._fatalities = pd.to_numeric(incidents["fatalities"], errors="coerce").to_numpy(
            dtype=np.float64, na_value=0.0)
        persons = pd.to_numeric(incidents["persons"], errors="coerce").to_numpy(
            dtype=np.float64, na_value=0.0)
        self._expelled = np.where((incidents["event_type"] == EXPULSION).to_numpy(), persons, 0)
        self._words: OrderedDict[str, np.ndarray] = OrderedDict()

    def _in(self, column: str, chosen: tuple[str, ...]) -> np.ndarray:
        codes, lookup = self._categories[column]
        wanted = np.zeros(len(lookup) + 1, dtype=bool)
        for value in chosen:
            if value in lookup:
                wanted[lookup[value]] = True
        return wanted[codes]

    def _word(self, word: str) -> np.ndarray:
        found = self._words.get(word)
        if found is None:
            found = self._search.str.contains(word, regex=False).to_numpy(
                dtype=bool, na_value=False)
            self._words[word] = found
            while len(self._words) > WORD_CACHE_ENTRIES:
                self._words.popitem(last=False)
        self._words.move_to_end(word)
        return found

    def mask(self, filters: Filters) -> np.ndarray:
        """One boolean per row: does it pass ``filters``?"""
        mask = np.ones(self.size, dtype=bool)
        if filters.years:
            start, end = filters.years
            with np.errstate(invalid="ignore"):  # NaN (undated) compares False
                mask &= (self._year >= start) & (self._year <= end)
        if filters.months:
            mask &= in_months(*self._months, filters.months)
        for column, chosen in (("country", filters.countries),
                               ("event_type", filters.event_types),
                               ("attribution", filters.attributions)):
            if chosen:
                mask &= self._in(column, chosen)
        for word in fold_text(filters.query).split():
            mask &= self._word(word)
        return mask

    def positions(self, filters: Filters) -> np.ndarray:
        return np.flatnonzero(self.mask(filters))

    def yearly_counts(self, filters: Filters) -> pd.DataFrame:
        mask = self.mask(filters) & ~np.isnan(self._year)
        codes, lookup = self._categories["event_type"]
        names = np.array(list(lookup), dtype=object)
        years = self._year[mask].astype(np.int64)
        if not len(years):
            return _tidy(pd.DataFrame({"year": [], "event_type": [], "count": []}))
        first = int(years.min())
        width = len(names)
        cells = np.bincount((years - first) * width + codes[mask])
        present = np.flatnonzero(cells)
        counts = pd.DataFrame({"year": present // width + first,
                               "event_type": names[present % width],
                               "count": cells[present]})
        return _tidy(counts)

    def totals(self, filters: Filters) -> dict[str, int]:
        mask = self.mask(filters)
        countries = self._categories["country"][0][mask]
        return {
            "incidents": int(mask.sum()),
            "fatalities": int(self._fatalities[mask].sum()),
            "expelled": int(self._expelled[mask].sum()),
            "countries": int(np.count_nonzero(np.bincount(countries))) if len(countries)
            else 0,
        }

    def count(self, filters: Filters) -> int:
        return int(self.mask(filters).sum())


def _tidy(counts: pd.DataFrame) -> pd.DataFrame:
    counts = counts.astype({"year": int, "count": int})
    counts["event_type"] = counts["event_type"].astype(str)
    return counts.sort_values(["year", "event_type"]).reset_index(drop=True)


class CachedQuery:
    """Another engine's answers for the last CACHE_ENTRIES filters (thread-safe: the
    server's sessions share one). Filters are frozen, so they are the key."""

    def __init__(self, engine: IncidentQuery, entries: int = CACHE_ENTRIES):
        self.engine = engine
        self.entries = entries
        self._answers: OrderedDict[tuple[str, Filters], object] = OrderedDict()
        self._lock = threading.Lock()

    def _answer(self, name: str, filters: Filters):
        key = (name, filters)
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key]
            answer = getattr(self.engine, name)(filters)
            self._answers[key] = answer
            while len(self._answers) > self.entries * 4:
                self._answers.popitem(last=False)
            return answer

    def positions(self, filters: Filters) -> np.ndarray:
        positions = self._answer("positions", filters)
        positions.flags.writeable = False  # shared: nobody may change it
        return positions

    def yearly_counts(self, filters: Filters) -> pd.DataFrame:
        return self._answer("yearly_counts", filters).copy()

    def totals(self, filters: Filters) -> dict[str, int]:
        return dict(self._answer("totals", filters))

    def count(self, filters: Filters) -> int:
        return len(self.positions(filters))


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
    for column in ("year", "fatalities", "persons"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    for column, bound in zip(("month_first", "month_last"), month_bounds(incidents),
                             strict=True):
        frame[column] = pd.array(bound, dtype="Float64").astype("Int64")
    frame.insert(0, "pos", np.arange(len(frame), dtype=np.int64))
    return frame


class DuckDBQuery:
    """The same filters as SQL in an embedded DuckDB (a frame, or a Parquet file)."""

    def __init__(self, source: pd.DataFrame | Path):
        duckdb = _duckdb()
        self.connection = duckdb.connect()
        self._lock = threading.Lock()  # one connection, used by one thread at a time
        if isinstance(source, pd.DataFrame):
            self.connection.register("incidents", _query_frame(source))
        else:
            self.connection.read_parquet(str(source)).create_view("incidents")

    def _where(self, filters: Filters) -> tuple[str, list]:
        clauses, values = [], []
        if filters.years:
            clauses.append("year BETWEEN ? AND ?")
            values += [int(filters.years[0]), int(filters.years[1])]
        if filters.months:
            clauses.append("month_first >= ? AND month_last <= ?")
            values += [month_number(filters.months[0]), month_number(filters.months[1])]
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
        with self._lock:
            rows = self.connection.execute(
                f"SELECT pos FROM incidents{where} ORDER BY pos", values).fetchnumpy()
        return np.asarray(rows["pos"], dtype=np.int64)

    def yearly_counts(self, filters: Filters) -> pd.DataFrame:
        where, values = self._where(filters)
        where = (where + " AND" if where else " WHERE") + " year IS NOT NULL"
        with self._lock:
            counts = self.connection.execute(
                f"SELECT year, event_type, count(*) AS count FROM incidents{where} "
                "GROUP BY year, event_type", values).df()
        return _tidy(counts)

    def totals(self, filters: Filters) -> dict[str, int]:
        where, values = self._where(filters)
        with self._lock:
            row = self.connection.execute(
                "SELECT count(*), coalesce(sum(fatalities), 0), "
                f"coalesce(sum(CASE WHEN event_type = '{EXPULSION}' THEN persons END), 0), "
                f"count(DISTINCT country) FROM incidents{where}", values).fetchone()
        return dict(zip(TOTALS, (int(value) for value in row), strict=True))

    def count(self, filters: Filters) -> int:
        where, values = self._where(filters)
        with self._lock:
            return int(self.connection.execute(f"SELECT count(*) FROM incidents{where}",
                                               values).fetchone()[0])


def open_query(incidents: pd.DataFrame, *, engine: str = "pandas") -> IncidentQuery:
    """The engine named ``engine`` (one of ENGINES) over ``incidents``."""
    if engine == "pandas":
        return PandasQuery(incidents)
    if engine == "duckdb":
        return DuckDBQuery(incidents)
    raise QueryError(f"unknown query engine {engine!r}; use one of {', '.join(ENGINES)}")
