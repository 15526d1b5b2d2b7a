"""The engine table in PostgreSQL: its DDL (with a PostGIS point) and its indexes.

The columns and types follow :data:`~dashboard.data.engine.table.SCHEMA`; ``geom`` is a
``geometry(Point, 4326)`` made from ``lon``/``lat`` for spatial queries of other tools
(QGIS, PostGIS functions), with a GiST index. A dataset kept in another table (e.g. the
shared store's) is read by the engine through a view with these column names.
"""

from __future__ import annotations

import pyarrow as pa

from dashboard.data.engine.table import SCHEMA

_TYPES = {pa.string(): "text", pa.float64(): "double precision", pa.int64(): "bigint",
          pa.int32(): "integer", pa.date32(): "date"}
#: Columns with a plain b-tree index (the filters' columns and the table's order).
INDEXED = ("pos", "year", "event_type", "country", "attribution", "id")


def create_table_sql(table: str) -> str:
    columns = [f'"{field.name}" {_TYPES[field.type]}' for field in SCHEMA]
    columns.append("geom geometry(Point, 4326)")
    return f'CREATE TABLE "{table}" ({", ".join(columns)})'


def index_sql(table: str) -> list[str]:
    statements = [f'CREATE INDEX "{table}_{column}_idx" ON "{table}" ("{column}")'
                  for column in INDEXED]
    statements.append(f'CREATE INDEX "{table}_geom_idx" ON "{table}" USING gist (geom)')
    return statements
