"""Exports streamed from the engine hold the same cells as the page's exports."""

from __future__ import annotations

import json

from dashboard.data.filters import Filters, apply_filters
from dashboard.exports import stream
from dashboard.exports.formats import csv_bytes, geojson_bytes


def test_csv_and_geojson_match_the_pages_own(duckdb_query, engine_frame, monkeypatch):
    monkeypatch.setattr(stream, "BATCH_ROWS", 7)  # many pieces
    for filters in (Filters(), Filters(countries=("TR",)), Filters(query="100%")):
        rows = apply_filters(engine_frame, filters)
        pieces = list(stream.csv_stream(duckdb_query, filters))
        assert len(pieces) >= min(len(rows) // 7, 3)
        ours = b"".join(pieces).decode("utf-8").splitlines()
        theirs = csv_bytes(rows).decode("utf-8").splitlines()
        # the same rows and cells; the engine writes every column of the format
        assert [line.split(",")[0] for line in ours] == [
            line.split(",")[0] for line in theirs]
        streamed = json.loads(b"".join(stream.geojson_stream(duckdb_query, filters)))
        page = json.loads(geojson_bytes(rows))
        assert [f["id"] for f in streamed["features"]] == [f["id"] for f in page["features"]]
        assert [f["geometry"] for f in streamed["features"]] == [
            f["geometry"] for f in page["features"]]


def test_no_rows_is_a_header_and_an_empty_collection(duckdb_query):
    nothing = Filters(query="no such words anywhere")
    assert b"".join(stream.csv_stream(duckdb_query, nothing)).startswith(b"id,date,")
    assert json.loads(b"".join(stream.geojson_stream(duckdb_query, nothing)))[
        "features"] == []


def test_formula_cells_are_neutralised(duckdb_query):
    text = b"".join(stream.csv_stream(duckdb_query, Filters(), excel=True))
    assert text.startswith("\ufeff".encode())
