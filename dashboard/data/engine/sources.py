"""A data source as written on the command line, and the engines' settings.

``incident-map serve --source SPEC`` and ``import --to SPEC`` take one of:

- ``parquet:PATH``: a Parquet file (or folder of files) of the engine table, read by an
  embedded DuckDB;
- ``postgresql://USER@HOST:PORT/DB`` (or ``postgres://``): a PostgreSQL database with
  PostGIS; the table is ``incidents`` unless ``INCIDENT_MAP_TABLE`` names another; a password
  comes from ``PGPASSWORD`` or ``~/.pgpass`` (libpq's own settings), never from the command
  line;
- ``spark:TABLE``: a table of Apache Spark's catalog, or else the Parquet folder
  ``$INCIDENT_MAP_SPARK_WAREHOUSE/TABLE``; the master is ``INCIDENT_MAP_SPARK_MASTER``
  (default ``local[2]``, or a cluster's ``spark://HOST:7077``);
- ``trino://USER@HOST:PORT/CATALOG/SCHEMA``, ``bigquery://PROJECT/DATASET``,
  ``clickhouse://USER@HOST:PORT/DATABASE``: a warehouse, through Ibis' backend for it
  (``pip install 'ibis-framework[trino]==12.0.0'``, ``[bigquery]``, ``[clickhouse]``; the
  suite compiles their SQL but has no such server, see ``docs/engines.md``);
- a path to a CSV file of our format (converted once to Parquet in the background).

>>> parse_source("parquet:/data/acled.parquet")
Source(kind='parquet', location='/data/acled.parquet')
>>> parse_source("spark:incidents").kind
'spark'
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

SOURCE_VAR = "INCIDENT_MAP_SOURCE"
TABLE_VAR = "INCIDENT_MAP_TABLE"
SPARK_MASTER_VAR = "INCIDENT_MAP_SPARK_MASTER"
SPARK_WAREHOUSE_VAR = "INCIDENT_MAP_SPARK_WAREHOUSE"
SPARK_MEMORY_VAR = "INCIDENT_MAP_SPARK_MEMORY"
DUCKDB_MEMORY_VAR = "INCIDENT_MAP_DUCKDB_MEMORY"
KINDS = ("csv", "parquet", "postgres", "spark", "trino", "bigquery", "clickhouse")
#: Warehouses reached through Ibis' own URL (``ibis.connect``).
WAREHOUSES = ("trino", "bigquery", "clickhouse")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class SourceError(ValueError):
    """A source that cannot be used, with a one-line reason."""


@dataclass(frozen=True)
class Source:
    kind: str
    location: str

    def describe(self) -> str:
        """The source for a page's caption, without any password."""
        if self.kind == "postgres":
            return "PostgreSQL " + re.sub(r"//[^@/]*@", "//", self.location).split("?")[0]
        if self.kind == "spark":
            return f"Spark table {self.location}"
        if self.kind in WAREHOUSES:
            return self.kind.capitalize() + " " + re.sub(r"//[^@/]*@", "//",
                                                         self.location).split("?")[0]
        return Path(self.location).name


def parse_source(spec: str) -> Source:
    """The source named by ``spec`` (see the module's text); SourceError when malformed."""
    spec = (spec or "").strip()
    if not spec:
        raise SourceError("no source given")
    if spec.startswith(("postgresql://", "postgres://")):
        if re.search(r"//[^@/]*:[^@/]*@", spec):
            raise SourceError("put the database password in PGPASSWORD or ~/.pgpass, "
                              "not in the source")
        return Source("postgres", spec)
    if spec.startswith("parquet:"):
        path = spec.removeprefix("parquet:")
        if not path:
            raise SourceError("parquet: needs a path (parquet:PATH)")
        return Source("parquet", path)
    if spec.startswith("spark:"):
        table = spec.removeprefix("spark:")
        if not _NAME.match(table):
            raise SourceError(f"spark: needs a table name of letters, digits and _ "
                              f"(got {table!r})")
        return Source("spark", table)
    scheme = spec.split("://", 1)[0] if "://" in spec else ""
    if scheme in WAREHOUSES:
        if re.search(r"//[^@/]*:[^@/]*@", spec):
            raise SourceError(f"put the {scheme} password in its client's settings (the "
                              "environment), not in the source")
        return Source(scheme, spec)
    if re.match(r"^[a-z][a-z0-9+.-]*://", spec):
        raise SourceError(f"unknown source {spec.split('://')[0]}://; use parquet:PATH, "
                          "postgresql://..., spark:TABLE, trino://, bigquery://, "
                          "clickhouse:// or a CSV file")
    return Source("csv", spec)


def table_name() -> str:
    """The table a database source reads (``INCIDENT_MAP_TABLE``, default ``incidents``)."""
    name = os.environ.get(TABLE_VAR, "").strip() or "incidents"
    if not _NAME.match(name):
        raise SourceError(f"{TABLE_VAR} must be a plain table name (got {name!r})")
    return name


def source_from_env() -> Source | None:
    """The source ``serve --source`` set (``INCIDENT_MAP_SOURCE``), or None."""
    spec = os.environ.get(SOURCE_VAR, "").strip()
    return parse_source(spec) if spec else None


def spark_warehouse() -> Path:
    """Where ``spark:TABLE`` keeps tables that are not in a catalog."""
    base = os.environ.get(SPARK_WAREHOUSE_VAR)
    return Path(base) if base else cache_dir() / "spark-warehouse"


def cache_dir() -> Path:
    """``$INCIDENT_MAP_CACHE_DIR`` or ``~/.cache/incident-map``."""
    base = os.environ.get("INCIDENT_MAP_CACHE_DIR")
    return Path(base) if base else Path.home() / ".cache" / "incident-map"
