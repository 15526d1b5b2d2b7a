"""CSV and GeoJSON of any size, streamed from the query engine in bounded memory.

The engine hands the passing rows over in date order as Arrow batches
(:meth:`~dashboard.data.engine.query.EngineQuery.batches`); each batch becomes a piece of the
file (the same cells as :func:`~dashboard.exports.formats.csv_bytes` and
:func:`~dashboard.exports.formats.geojson_bytes`: formula-like cells neutralised, RFC 4180
line ends, RFC 7946 features with a null geometry where a row has no point) and is dropped
once written, so a file of 20 million rows needs the memory of one batch.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pandas as pd
import pyarrow as pa

from dashboard.data.engine.table import DATASET_COLUMNS
from dashboard.data.filters import Filters
from dashboard.data.spreadsheet import neutralise_frame
from dashboard.exports.formats import _features

#: Rows per piece: a GeoJSON piece of 5,000 features is a few MB of text.
BATCH_ROWS = 5_000
_TYPES = {pa.int64(): pd.Int64Dtype()}


def _frames(query, filters: Filters) -> Iterator[pd.DataFrame]:
    for batch in query.batches(filters, columns=DATASET_COLUMNS, batch_rows=BATCH_ROWS):
        frame = batch.to_pandas(types_mapper=_TYPES.get)
        for field in batch.schema:
            if field.type == pa.string():
                frame[field.name] = frame[field.name].fillna("").astype(object)
        yield frame


def csv_stream(query, filters: Filters, *, excel: bool = False) -> Iterator[bytes]:
    """The CSV of the rows passing ``filters``, piece by piece (header first)."""
    if excel:
        yield "\ufeff".encode()
    header = True
    for frame in _frames(query, filters):
        buffer = io.StringIO()
        neutralise_frame(frame).to_csv(buffer, index=False, header=header,
                                       lineterminator="\r\n")
        header = False
        yield buffer.getvalue().encode("utf-8")
    if header:  # no rows: the header alone
        yield (",".join(DATASET_COLUMNS) + "\r\n").encode("utf-8")


def geojson_stream(query, filters: Filters) -> Iterator[bytes]:
    """The RFC 7946 FeatureCollection of the rows passing ``filters``, piece by piece."""
    yield b'{"type": "FeatureCollection", "features": ['
    first = True
    for frame in _frames(query, filters):
        text = ", ".join(json.dumps(feature, ensure_ascii=False, allow_nan=False)
                         for feature in _features(frame))
        if text:
            yield ((", " if not first else "") + text).encode("utf-8")
            first = False
    yield b"]}\n"
