"""The engine table: what a dataset looks like in Parquet, PostgreSQL or Spark.

One row per incident with the dataset's own columns (:data:`DATASET_COLUMNS`, as text except
``lat``/``lon`` (double) and ``fatalities``/``persons`` (64-bit integers, null when empty)),
and the columns the queries use, derived once when the table is made:

- ``pos``: the row's place in date order (0, 1, ...; undated rows last), the table's order;
- ``year``, ``month_first``, ``month_last``: the year and the first and last month the date
  allows (:func:`~dashboard.data.filters.month_number`; null when undated), so a month span
  is two comparisons;
- ``date_start`` (a date), ``date_label`` ("February 2024"), ``country_name``;
- ``search_text``: title, summary, place and people, case- and accent-folded
  (:func:`~dashboard.data.loading.fold_text`), searched with ``contains`` per word.

:func:`arrow_chunk` turns a prepared frame (:func:`~dashboard.data.loading.prepare`) into an
Arrow table of exactly :data:`SCHEMA`, so every engine gets the same types.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from dashboard.data.filters import month_bounds
from dashboard.data.schema import RECOMMENDED_COLUMNS, REQUIRED_COLUMNS

#: The dataset's own columns, in the order exports write them.
DATASET_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + RECOMMENDED_COLUMNS
FLOAT_COLUMNS = ("lat", "lon")
INTEGER_COLUMNS = ("fatalities", "persons")
DERIVED = (
    ("pos", pa.int64()),
    ("year", pa.int32()),
    ("month_first", pa.int32()),
    ("month_last", pa.int32()),
    ("date_start", pa.date32()),
    ("date_label", pa.string()),
    ("country_name", pa.string()),
    ("search_text", pa.string()),
)


def _type(column: str) -> pa.DataType:
    if column in FLOAT_COLUMNS:
        return pa.float64()
    if column in INTEGER_COLUMNS:
        return pa.int64()
    return pa.string()


SCHEMA = pa.schema([pa.field(name, _type(name)) for name in DATASET_COLUMNS]
                   + [pa.field(name, kind) for name, kind in DERIVED])
#: The table's name in a database (``INCIDENT_MAP_TABLE`` names another).
DEFAULT_TABLE = "incidents"


def arrow_chunk(incidents: pd.DataFrame, *, first_pos: int = 0) -> pa.Table:
    """The rows of a prepared frame as an Arrow table of :data:`SCHEMA`; ``pos`` counts from
    ``first_pos`` in the frame's order."""
    first, last = month_bounds(incidents)
    columns: dict[str, pa.Array] = {}
    for name in DATASET_COLUMNS:
        kind = _type(name)
        if name not in incidents.columns:
            values = pd.Series([None if kind != pa.string() else ""] * len(incidents))
        else:
            values = incidents[name]
        if kind == pa.string():
            columns[name] = pa.array(values.fillna("").astype(str).to_numpy(dtype=object),
                                     type=pa.string())
        elif kind == pa.float64():
            columns[name] = pa.array(pd.to_numeric(values, errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan), type=pa.float64(), from_pandas=True)
        else:
            columns[name] = pa.array(pd.to_numeric(values, errors="coerce").astype("Int64"),
                                     type=pa.int64(), from_pandas=True)
    columns["pos"] = pa.array(np.arange(first_pos, first_pos + len(incidents), dtype=np.int64))
    columns["year"] = pa.array(pd.to_numeric(incidents["year"], errors="coerce")
                               .astype("Int64"), type=pa.int32(), from_pandas=True)
    columns["month_first"] = pa.array(pd.array(first, dtype="Float64").astype("Int64"),
                                      type=pa.int32(), from_pandas=True)
    columns["month_last"] = pa.array(pd.array(last, dtype="Float64").astype("Int64"),
                                     type=pa.int32(), from_pandas=True)
    columns["date_start"] = pa.array(incidents["date_start"].dt.date, type=pa.date32(),
                                     from_pandas=True)
    for name in ("date_label", "country_name", "search_text"):
        columns[name] = pa.array(incidents[name].fillna("").astype(str).to_numpy(dtype=object),
                                 type=pa.string())
    return pa.table(columns, schema=SCHEMA)
