"""Filters, counts, timelines, map cells, table pages and exports, written once in Ibis.

:class:`EngineQuery` answers every question the page and the exports ask about a
:class:`~dashboard.data.filters.Filters` as an Ibis expression on the engine table
(:mod:`~dashboard.data.engine.table`); the engine that holds the table (DuckDB over Parquet,
PostgreSQL, Spark) runs it, and only answers travel: numbers, a few hundred grid cells, one
page of rows, or an export's rows in batches. Nothing here holds all rows.

The filters mean what :func:`~dashboard.data.filters.apply_filters` means (the suite checks
the three engines against it): years inclusive; a month span holds a row when its first
and last possible month (``month_first``/``month_last``) are inside; countries, types and
attributions are lists of allowed values; each search word (folded like the data) must
appear in ``search_text``.

:func:`compile_sql` gives the SQL of the same questions for any dialect Ibis compiles to
(``trino``, ``bigquery``, ``clickhouse``...), so a warehouse can be checked without a
server.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pandas as pd
import pyarrow as pa

from dashboard.data.engine.grid import Bounds, cell_expressions
from dashboard.data.engine.table import DATASET_COLUMNS
from dashboard.data.filters import Filters, month_number
from dashboard.data.loading import fold_text

EXPULSION = "diplomatic_expulsion"
TOTALS = ("incidents", "fatalities", "expelled", "countries")
#: A view holding at most this many incidents shows them one by one; more are cells.
POINT_LIMIT = 1_500
#: The most cells one view sends (the densest first).
MAX_CELLS = 4_000
#: Answers kept per engine (the last filters, views and pages: going back costs nothing).
MEMO_ENTRIES = 256
#: Columns a map point carries (its popup asks for the rest by id).
POINT_COLUMNS = ("pos", "id", "lat", "lon", "event_type", "attribution", "title",
                 "date_label", "place")
#: Rows a text search keeps in the embedded database (a search matching more asks the
#: table each time), and how many searches are kept.
SEARCH_ROWS = 2_000_000
SEARCH_TABLES = 3
#: The columns a search keeps: the filters' and the counts' (a map's points and a table's
#: page are then read from the table by ``pos``, the few row groups that hold them).
SEARCH_COLUMNS = ("pos", "year", "month_first", "month_last", "country", "event_type",
                  "attribution", "lat", "lon", "fatalities", "persons")
#: DuckDB's memory for one export stream (a database of its own, one thread).
EXPORT_MEMORY = "128MB"
#: Seconds between two looks for roll-ups that are being made.
ROLLUP_LOOK_S = 5.0
#: The table's columns on the page.
TABLE_COLUMNS = ("pos", "id", "date", "date_precision", "date_label", "title", "place",
                 "country", "country_name", "event_type", "attribution", "lat", "lon",
                 "fatalities", "persons")


@dataclass(frozen=True)
class MapView:
    """One view's answer: ``kind`` is ``"cells"`` (``rows``: x, y, n, lat, lon, south,
    west, north, east) or ``"points"`` (``rows``: POINT_COLUMNS); ``total`` incidents in view."""

    kind: str
    total: int
    rows: pd.DataFrame

    def to_json(self) -> dict:
        """The answer as ``/engine/view`` sends it: ``{"kind", "total", "rows"}``, cells as
        ``[lat, lon, n, south, west, north, east]``, points as ``[pos, id, lat, lon, type,
        attribution, title, date]``."""
        if self.kind == "cells":
            data = [[round(float(r.lat), 5), round(float(r.lon), 5), int(r.n),
                     round(float(r.south), 5), round(float(r.west), 5),
                     round(float(r.north), 5), round(float(r.east), 5)]
                    for r in self.rows.itertuples(index=False)]
        else:
            data = [[int(r.pos), str(r.id), round(float(r.lat), 5), round(float(r.lon), 5),
                     str(r.event_type), str(r.attribution), str(r.title), str(r.date_label)]
                    for r in self.rows.itertuples(index=False)]
        return {"kind": self.kind, "total": int(self.total), "rows": data}


def predicate(table, filters: Filters):
    """The Ibis predicates of ``filters`` on ``table`` (an empty list: every row)."""
    conditions = []
    if filters.years:
        conditions.append(table.year.between(int(filters.years[0]), int(filters.years[1])))
    if filters.months:
        conditions.append(table.month_first >= month_number(filters.months[0]))
        conditions.append(table.month_last <= month_number(filters.months[1]))
    for column, chosen in (("country", filters.countries),
                           ("event_type", filters.event_types),
                           ("attribution", filters.attributions)):
        if chosen:
            conditions.append(table[column].isin(list(chosen)))
    for word in fold_text(filters.query).split():
        conditions.append(table.search_text.contains(word))
    return conditions


def _filtered(table, filters: Filters):
    conditions = predicate(table, filters)
    return table.filter(*conditions) if conditions else table


def _rolled(table) -> bool:
    """Whether ``table`` is a roll-up (a row per group, counted in ``n``)."""
    return "n" in table.columns


def _count(t):
    """The incidents of ``t``: its rows, or the sum of a roll-up's counts."""
    return t.n.sum().coalesce(0) if _rolled(t) else t.count()


def totals_expr(table, filters: Filters):
    """The headline totals and the box around the passing points, of the engine table or of
    the ``time`` roll-up (:mod:`~dashboard.data.engine.rollup`)."""
    t = _filtered(table, filters)
    rolled = _rolled(t)
    return t.aggregate(
        incidents=_count(t),
        fatalities=t.fatalities.sum().coalesce(0),
        expelled=(t.event_type == EXPULSION).ifelse(t.persons, 0).sum().coalesce(0),
        countries=t.country.nunique(),
        # and the extent of those with a point (the map fits it): one scan for both
        s=(t.south if rolled else t.lat).min(), w=(t.west if rolled else t.lon).min(),
        n=(t.north if rolled else t.lat).max(), e=(t.east if rolled else t.lon).max(),
    )


def yearly_expr(table, filters: Filters):
    t = _filtered(table, filters)
    t = t.filter(t.year.notnull())
    return t.group_by(["year", "event_type"]).aggregate(count=_count(t))


def monthly_expr(table, filters: Filters):
    """Incidents per (year, month, event type) of the rows known to the month or day; rows
    known only to their year have ``month`` null."""
    t = _filtered(table, filters)
    t = t.filter(t.year.notnull())
    known = t.month_first == t.month_last
    month = known.ifelse(t.month_first - t.year * 12 + 1, None)
    t = t.mutate(month=month.cast("int32"))
    return t.group_by(["year", "month", "event_type"]).aggregate(count=_count(t))


def compile_sql(table, filters: Filters, *, dialect: str, bounds: Bounds | None = None,
                zoom: int = 4) -> dict[str, str]:
    """The SQL of the page's questions for ``dialect`` (``trino``, ``bigquery``,
    ``clickhouse``, ``postgres``, ``duckdb``, ``pyspark``...), by question."""
    import ibis

    bounds = bounds or Bounds(-90, -180, 90, 180)
    return {
        "totals": ibis.to_sql(totals_expr(table, filters), dialect=dialect),
        "yearly": ibis.to_sql(yearly_expr(table, filters), dialect=dialect),
        "monthly": ibis.to_sql(monthly_expr(table, filters), dialect=dialect),
        "cells": ibis.to_sql(_cells(table, filters, bounds, zoom), dialect=dialect),
        "rows": ibis.to_sql(_filtered(table, filters).order_by("pos").limit(100),
                            dialect=dialect),
    }


def _cells(table, filters: Filters, bounds: Bounds, zoom: int):
    t = _filtered(table, filters)
    t = t.filter(t.lat.notnull(), t.lon.notnull(), bounds.predicate(t))
    x, y = cell_expressions(t, zoom)
    t = t.mutate(cx=x, cy=y)
    cells = t.group_by(["cx", "cy"]).aggregate(
        n=t.count(), lat=t.lat.mean(), lon=t.lon.mean(), south=t.lat.min(),
        west=t.lon.min(), north=t.lat.max(), east=t.lon.max())
    return cells.order_by([cells.n.desc(), cells.cx, cells.cy]).limit(MAX_CELLS)


def _rollup_cells(rollup, filters: Filters, bounds: Bounds, zoom: int, band: int):
    """The grid cells of ``zoom`` from the ``map`` roll-up's ``band`` (``band >= zoom``): its
    cells whose points' box meets the view, ``2**(band - zoom)`` a side merged into one."""
    t = rollup.filter(rollup.band == band)
    t = _filtered(t, filters)
    t = t.filter(_box_meets(t, bounds))
    shift = 1 << (band - zoom)
    t = t.mutate(cx=t.gx // shift, cy=t.gy // shift)
    cells = t.group_by(["cx", "cy"]).aggregate(
        n=t.n.sum(), lat=t.slat.sum() / t.n.sum(), lon=t.slon.sum() / t.n.sum(),
        south=t.south.min(), west=t.west.min(), north=t.north.max(), east=t.east.max())
    cells = cells.mutate(cx=cells.cx.cast("int64"), cy=cells.cy.cast("int64"))
    return cells.order_by([cells.n.desc(), cells.cx, cells.cy]).limit(MAX_CELLS)


def _box_meets(t, bounds: Bounds):
    """Roll-up rows whose box (south, west, north, east) meets the viewport."""
    meets = (t.south <= bounds.north) & (t.north >= bounds.south)
    if bounds.east - bounds.west >= 360:
        return meets
    west = (bounds.west + 180.0) % 360.0 - 180.0
    east = (bounds.east + 180.0) % 360.0 - 180.0
    if west <= east:
        return meets & (t.west <= east) & (t.east >= west)
    return meets & ((t.east >= west) | (t.west <= east))


def _memoised(method):
    """The method's answers kept by :meth:`EngineQuery.memo` (arguments are the key)."""
    import functools

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        key = (method.__name__, args, tuple(sorted(kwargs.items())))
        return self.memo(key, lambda: method(self, *args, **kwargs))

    return wrapper


class EngineQuery:
    """The page's and the exports' questions, answered by the engine holding ``table``.

    ``rollups`` is ``(time, map)``, the roll-ups of :mod:`~dashboard.data.engine.rollup`
    as tables of the same backend, or a function giving them once they are made (asked at
    most every ROLLUP_LOOK_S seconds until it does); without them the table answers all.
    A text search on DuckDB keeps the rows it matches (their few columns the questions need,
    up to SEARCH_ROWS) in a table of the embedded database, so the totals, the timeline, the
    map's views and the table's pages of that search read those rows, not every row's text.

    One backend connection is used by one thread at a time (the page's sessions share this
    object)."""

    def __init__(self, backend, table, *, name: str = "engine", rollups=None):
        self.backend = backend
        self.table = table
        self.name = name
        self._lock = threading.RLock()
        self._memo: OrderedDict[tuple, object] = OrderedDict()
        self._searches: OrderedDict[tuple[str, ...], object] = OrderedDict()
        self._rollups = rollups if isinstance(rollups, tuple) else None
        self._find_rollups = rollups if callable(rollups) else None
        self._looked = 0.0

    def _run(self, expr) -> pd.DataFrame:
        with self._lock:
            return expr.to_pandas()

    def memo(self, key: tuple, make):
        """``make()``, remembered under ``key`` for the next MEMO_ENTRIES questions."""
        with self._lock:
            if key in self._memo:
                self._memo.move_to_end(key)
                return self._memo[key]
            answer = make()
            self._memo[key] = answer
            while len(self._memo) > MEMO_ENTRIES:
                self._memo.popitem(last=False)
            return answer

    def _scalar(self, expr):
        with self._lock:
            return expr.execute()

    # --- where a question is answered ---------------------------------------------------------
    def rollups(self):
        """``(time, map)`` roll-up tables, or None while there are none."""
        if self._rollups is None and self._find_rollups is not None:
            now = time.monotonic()
            if now - self._looked >= ROLLUP_LOOK_S:
                self._looked = now
                with self._lock:
                    found = self._find_rollups()
                if found is not None:
                    self._rollups = found
                    self._memo.clear()
        return self._rollups

    def _searched(self, filters: Filters):
        """The rows of ``filters``' search words (a table of the embedded database), or None
        (no search, not DuckDB, or more than SEARCH_ROWS rows match)."""
        words = tuple(fold_text(filters.query).split())
        if not words or self.backend.name != "duckdb":
            return None
        with self._lock:
            if words in self._searches:
                self._searches.move_to_end(words)
                return self._searches[words]
            import hashlib

            import ibis

            name = "search_" + hashlib.sha1("\x00".join(words).encode()).hexdigest()[:16]
            t = self.table
            expr = t.filter(*[t.search_text.contains(word) for word in words]).select(
                *SEARCH_COLUMNS).limit(SEARCH_ROWS + 1)
            con = self.backend.con
            # The rows are kept in any order (every question of them orders by ``pos``): the
            # two threads then both read and keep rows, and the limit does not make them
            # wait for each other (half the time of an ordered copy).
            con.execute("SET preserve_insertion_order = false")
            try:
                con.execute(f"CREATE OR REPLACE TABLE {name} AS "
                            + ibis.to_sql(expr, dialect="duckdb")).fetchall()
            finally:
                con.execute("SET preserve_insertion_order = true")
            found = None
            if con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0] <= SEARCH_ROWS:
                found = self.backend.table(name)
            else:
                con.execute(f"DROP TABLE {name}").fetchall()
            self._searches[words] = found
            while len(self._searches) > SEARCH_TABLES:
                old, table = self._searches.popitem(last=False)
                if table is not None:
                    con.execute(f"DROP TABLE IF EXISTS {table.get_name()}").fetchall()
            return found

    def _rows_of(self, filters: Filters):
        """``(table, filters)``: the rows a search kept and the other filters, or the engine
        table and all of them."""
        searched = self._searched(filters)
        if searched is not None:
            return searched, replace(filters, query="")
        return self.table, filters

    def _counts_of(self, filters: Filters):
        """``(table, filters)`` for counting: the ``time`` roll-up when there is no search,
        else as :meth:`_rows_of`."""
        rollups = self.rollups()
        if rollups is not None and not fold_text(filters.query).split():
            return rollups[0], filters
        return self._rows_of(filters)

    # --- counts -------------------------------------------------------------------------
    @_memoised
    def count(self, filters: Filters) -> int:
        return self.totals(filters)["incidents"]

    @_memoised
    def _summary(self, filters: Filters) -> pd.Series:
        """The headline totals and the extent of the passing incidents, in one scan."""
        return self._run(totals_expr(*self._counts_of(filters))).iloc[0]

    def totals(self, filters: Filters) -> dict[str, int]:
        row = self._summary(filters)
        return {key: int(0 if pd.isna(row[key]) else row[key]) for key in TOTALS}

    @_memoised
    def yearly_counts(self, filters: Filters) -> pd.DataFrame:
        counts = self._run(yearly_expr(*self._counts_of(filters)))
        counts = counts.astype({"year": int, "count": int})
        counts["event_type"] = counts["event_type"].astype(str)
        return counts.sort_values(["year", "event_type"]).reset_index(drop=True)

    @_memoised
    def monthly_counts(self, filters: Filters) -> pd.DataFrame:
        counts = self._run(monthly_expr(*self._counts_of(filters)))
        counts["month"] = counts["month"].astype("Int64")
        counts = counts.astype({"year": int, "count": int})
        return counts.sort_values(["year", "month", "event_type"],
                                  na_position="first").reset_index(drop=True)

    @_memoised
    def breakdown(self, filters: Filters, column: str) -> pd.Series:
        """Incidents per value of ``column`` (``country``, ``event_type``,
        ``attribution``), largest first."""
        if column not in ("country", "event_type", "attribution"):
            raise ValueError(f"no breakdown by {column}")
        t = _filtered(*self._counts_of(filters))
        counts = self._run(t.group_by(column).aggregate(count=_count(t)))
        return (counts.set_index(column)["count"].astype(int)
                .sort_values(ascending=False, kind="stable"))

    # --- the dataset's shape --------------------------------------------------------------
    def _whole(self):
        rollups = self.rollups()
        return rollups[0] if rollups is not None else self.table

    @_memoised
    def size(self) -> int:
        return int(self._scalar(_count(self._whole())))

    @_memoised
    def year_span(self) -> tuple[int, int] | None:
        t = self._whole()
        row = self._run(t.aggregate(low=t.year.min(), high=t.year.max())).iloc[0]
        if pd.isna(row["low"]):
            return None
        return int(row["low"]), int(row["high"])

    @_memoised
    def countries(self) -> tuple[str, ...]:
        found = self._run(self._whole().select("country").distinct().order_by("country"))
        return tuple(str(code) for code in found["country"])

    @_memoised
    def latest_checked(self) -> str | None:
        value = self._scalar(self._whole().checked.max())
        return str(value) if value else None

    # --- rows ------------------------------------------------------------------------------
    @_memoised
    def rows(self, filters: Filters, *, offset: int = 0, limit: int = 100,
             columns: tuple[str, ...] = TABLE_COLUMNS) -> pd.DataFrame:
        """One page of the passing rows in date order (``offset`` rows skipped)."""
        import ibis

        searched = self._searched(filters)
        if searched is not None:
            # The page's positions from the search's rows, then those rows of the table
            # (in date order, so DuckDB reads the few row groups that hold them).
            s = _filtered(searched, replace(filters, query=""))
            positions = self._run(s.order_by("pos").limit(int(limit), offset=int(offset))
                                  .select("pos"))["pos"].tolist()
            return self._run(self._at(positions).order_by("pos").select(*columns)
                             ).reset_index(drop=True)
        t = _filtered(self.table, filters)
        if offset and self.backend.name == "pyspark":
            # Ibis pages Spark with ROW_NUMBER() OVER (ORDER BY NULL), which is no order:
            # number the rows in date order here.
            t = t.mutate(_rank=ibis.row_number().over(order_by=t.pos))
            t = t.filter(t._rank >= int(offset), t._rank < int(offset) + int(limit))
            return self._run(t.order_by("pos").select(*columns)).reset_index(drop=True)
        if self.backend.name == "duckdb":
            # The file is in date order and DuckDB keeps it (see batches): reading up to the
            # page and stopping there, instead of sorting every passing row.
            expr = t.limit(int(limit), offset=int(offset)).select(*columns)
        else:
            expr = t.order_by("pos").limit(int(limit), offset=int(offset)).select(*columns)
        return self._run(expr).reset_index(drop=True)

    def _at(self, positions: list[int]):
        """The table's rows at ``positions`` (sorted): DuckDB reads only the row groups
        whose ``pos`` range holds them (the file is in ``pos`` order)."""
        t = self.table
        if not positions:
            return t.filter(t.pos < 0)
        return t.filter(t.pos.between(int(positions[0]), int(positions[-1])),
                        t.pos.isin([int(p) for p in positions]))

    @_memoised
    def incident(self, incident_id: str) -> dict | None:
        """Every column of one incident, or None."""
        found = self._run(self.table.filter(self.table.id == str(incident_id)).limit(1))
        return None if found.empty else found.iloc[0].to_dict()

    def rank(self, filters: Filters, incident_id: str) -> int | None:
        """How many passing rows come before ``incident_id`` in date order (its place in the
        table), or None when it does not pass."""
        row = self.incident(incident_id)
        if row is None:
            return None
        table, rest = self._rows_of(filters)
        t = _filtered(table, rest)
        passes = int(self._scalar(t.filter(t.pos == int(row["pos"])).count()))
        if not passes:
            return None
        return int(self._scalar(t.filter(t.pos < int(row["pos"])).count()))

    def extent(self, filters: Filters) -> tuple[float, float, float, float] | None:
        """South, west, north, east of the passing incidents with coordinates."""
        row = self._summary(filters)
        if pd.isna(row["s"]):
            return None
        return float(row["s"]), float(row["w"]), float(row["n"]), float(row["e"])

    # --- the map -----------------------------------------------------------------------------
    @_memoised
    def map_view(self, filters: Filters, bounds: Bounds, zoom: int) -> MapView:
        """The incidents in ``bounds`` one by one when there are at most POINT_LIMIT of
        them, else the grid cells of ``zoom`` (:mod:`~dashboard.data.engine.grid`): from
        the ``map`` roll-up when it can answer (no search, no month span, a zoom within
        its bands), else from the rows."""
        from dashboard.data.engine.rollup import band_for

        rollups = self.rollups()
        band = band_for(zoom)
        if (rollups is not None and band is not None and not filters.months
                and not fold_text(filters.query).split()):
            table, rest = self.table, filters
            cells = self._run(_rollup_cells(rollups[1], filters, bounds, zoom, band))
        else:
            table, rest = self._rows_of(filters)
            cells = self._run(_cells(table, rest, bounds, zoom))
        total = int(cells["n"].sum()) if len(cells) else 0
        if total <= POINT_LIMIT:
            t = _filtered(table, rest)
            t = t.filter(t.lat.notnull(), t.lon.notnull(), bounds.predicate(t))
            if table is not self.table:  # a search's rows: their points from the table
                positions = self._run(t.select("pos").order_by("pos").limit(POINT_LIMIT)
                                      )["pos"].tolist()
                t = self._at(positions)
            points = self._run(t.select(*POINT_COLUMNS).order_by("pos").limit(POINT_LIMIT))
            return MapView("points", len(points), points.reset_index(drop=True))
        return MapView("cells", total, cells.reset_index(drop=True))

    # --- exports -----------------------------------------------------------------------------
    def batches(self, filters: Filters, *, columns: tuple[str, ...] = DATASET_COLUMNS,
                batch_rows: int = 20_000) -> Iterator[pa.RecordBatch]:
        """The passing rows in date order as Arrow batches of ``batch_rows``: an export of
        any size in bounded memory. Holds the engine for the whole export, so a second
        connection is used where the engine allows one (DuckDB: a cursor)."""
        expr = _filtered(self.table, filters).order_by("pos").select(*columns)
        if self.backend.name == "duckdb":
            # A database of its own over the same files, with its own small memory limit
            # and one thread: an export holds a batch or two whatever its size, and the
            # page's questions go on meanwhile. The Parquet file is written in date order
            # and one thread reads it in that order, so no sort (an ORDER BY would hold every
            # passing row before the first is sent).
            import duckdb
            import ibis

            expr = _filtered(self.table, filters).select(*columns)
            with self._lock:
                views = self.backend.con.execute(
                    "SELECT sql FROM duckdb_views() WHERE NOT internal").fetchall()
            export = duckdb.connect(config={"memory_limit": EXPORT_MEMORY, "threads": 1,
                                            "preserve_insertion_order": True})
            try:
                for (statement,) in views:
                    export.execute(statement).fetchall()
                # A relation streams its result (execute() would hold all of it first).
                yield from export.sql(ibis.to_sql(expr, dialect="duckdb")).to_arrow_reader(
                    batch_rows)
            finally:
                export.close()
            return
        with self._lock:
            reader = expr.to_pyarrow_batches(chunk_size=batch_rows)
            yield from reader
