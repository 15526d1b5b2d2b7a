"""The engine's HTTP answers: map views, popups and streamed exports, for a Parquet source
(DuckDB, real): the same numbers as the page's filters; bad input gets a 4xx, never a
traceback."""

from __future__ import annotations

import asyncio
import csv
import io
import json

import pytest
from starlette.requests import Request

from dashboard.data.filters import Filters, apply_filters
from dashboard.server import engine_routes


def _request(path: str, query: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": path, "headers": [],
                    "query_string": query.encode()})


def _body(response) -> bytes:
    if hasattr(response, "body_iterator"):
        async def collect():
            return b"".join([chunk async for chunk in response.body_iterator])

        return asyncio.run(collect())
    return response.body


@pytest.fixture(scope="module")
def served(engine_parquet, engine_frame):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INCIDENT_MAP_SOURCE", f"parquet:{engine_parquet}")
        yield engine_frame


def test_the_routes_exist_only_for_an_engine_source(served, monkeypatch):
    paths = {route.path for route in engine_routes.engine_routes()}
    assert paths == {"/engine/view", "/engine/incident", "/engine/export.csv",
                     "/engine/export.geojson", "/engine/export.png", "/engine/export.html",
                     "/engine/export.pptx", "/engine/export.pdf"}
    monkeypatch.delenv("INCIDENT_MAP_SOURCE")
    assert engine_routes.engine_routes() == []


def test_a_view_counts_what_the_filters_pass(served):
    response = engine_routes.view(_request("/engine/view", "bbox=-90,-180,90,180&z=2&type=killing"))
    answer = json.loads(_body(response))
    expected = apply_filters(served, Filters(event_types=("killing",))).dropna(subset=["lat"])
    assert answer["total"] == len(expected)
    assert answer["kind"] == "points"  # few enough to list
    assert {row[1] for row in answer["rows"]} == set(expected["id"])


@pytest.mark.parametrize("query", ["z=3", "bbox=1,2,3&z=3", "bbox=0,0,1,1&z=40",
                                   "bbox=nan,0,1,1&z=2", "bbox=0,0,1,1&z=x",
                                   "bbox=0,0,1,1&z=2&q=" + "x" * 5000])
def test_bad_views_are_refused(served, query):
    assert engine_routes.view(_request("/engine/view", query)).status_code in (400, 414)


def test_an_unknown_filter_value_is_ignored_not_run(served):
    response = engine_routes.view(_request(
        "/engine/view", "bbox=-90,-180,90,180&z=2&type=x%27%3B%20DROP%20TABLE%20incidents"))
    assert json.loads(_body(response))["total"] == int(served["lat"].notna().sum())


def test_a_popup_is_text(served):
    row = served.iloc[4]
    answer = json.loads(_body(engine_routes.incident(_request("/engine/incident",
                                                              f"id={row['id']}"))))
    assert answer["title"] == row["title"] and answer["id"] == row["id"]
    assert engine_routes.incident(_request("/engine/incident", "id=nope")).status_code == 404
    assert engine_routes.incident(_request("/engine/incident", "")).status_code == 400


def test_exports_stream_the_passing_rows(served):
    response = engine_routes._export("csv")(_request("/engine/export.csv", "country=DE,FJ"))
    assert 'filename="incidents_DE-FJ.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(_body(response).decode("utf-8"))))
    expected = apply_filters(served, Filters(countries=("DE", "FJ")))
    assert [r["id"] for r in rows] == expected["id"].tolist()
    response = engine_routes._export("geojson")(_request("/engine/export.geojson", "q=berlin"))
    features = json.loads(_body(response))["features"]
    assert [f["id"] for f in features] == apply_filters(served, Filters(query="berlin"))[
        "id"].tolist()


def test_the_view_as_a_file_carries_the_engines_answer(served):
    """The HTML of what the map shows (the PNG and decks are the same page in Chromium,
    tests/exports/test_engine_pictures.py)."""
    response = engine_routes._picture("html")(_request("/engine/export.html", "country=DE"))
    assert response.status_code == 200
    assert 'filename="incidents_DE.html"' in response.headers["content-disposition"]
    page = _body(response).decode("utf-8")
    assert '"inline":{"kind":' in page
    rows = apply_filters(served, Filters(countries=("DE",)))
    assert page.count("<tr data-incident=") == len(rows)
