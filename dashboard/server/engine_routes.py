"""The query engine's answers over HTTP, for the engine map and the streamed exports.

The routes exist only when the process serves a source through the engine
(:func:`~dashboard.data.engine.shared.engine_source`); they read the same filter parameters as
the page's URL (:func:`~dashboard.data.filters.parse_query_params`: unknown or malformed
values are ignored, never evaluated), and sit behind the same Host check as the page.

- ``GET /engine/view?<filters>&bbox=S,W,N,E&z=Z``: the map's view, JSON
  ``{"kind": "cells"|"points", "total": N, "rows": [...]}`` (cells: ``[lat, lon, n, south,
  west, north, east]``; points: ``[pos, id, lat, lon, type, attribution, title, date]``);
- ``GET /engine/incident?id=ID``: one incident's popup fields (text, never HTML: the
  browser inserts it as text);
- ``GET /engine/export.csv?<filters>`` and ``/engine/export.geojson?<filters>``: the passing
  rows as a file, streamed from the engine in batches (bounded memory at any size);
- ``GET /engine/export.png|html|pptx|pdf?<filters>``: what the engine map shows for the
  filters (:mod:`dashboard.exports.engine_view`), made on request.
"""

from __future__ import annotations

import json
import math

from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from dashboard.data.engine.grid import MAX_ZOOM, Bounds
from dashboard.data.engine.shared import EngineError, engine_source, shared_query
from dashboard.data.filters import file_stem, parse_query_params

PREFIX = "/engine"
#: Longest query string accepted (the page's filters are far shorter).
MAX_QUERY_BYTES = 4096
POPUP_FIELDS = ("id", "title", "date_label", "place", "country_name", "event_type",
                "attribution", "summary", "perpetrator", "sponsor", "target", "sources",
                "fatalities", "persons")


def _filters(request):
    params = {key: request.query_params.getlist(key) for key in request.query_params}
    filters, _ = parse_query_params(params)
    return filters


def _query_or_error():
    source = engine_source()
    if source is None:
        return None, Response("no engine source", status_code=404, media_type="text/plain")
    try:
        return shared_query(source), None
    except EngineError as error:
        return None, Response(str(error), status_code=503, media_type="text/plain",
                              headers={"Retry-After": "2"})


def _too_long(request) -> bool:
    return len(request.url.query.encode()) > MAX_QUERY_BYTES


def _filtered_query(request):
    """``(query, filters, None)`` for a file made of the filters in the request, or
    ``(None, None, response)`` when the request is too long or there is no engine."""
    if _too_long(request):
        return None, None, Response("query too long", status_code=414)
    query, error = _query_or_error()
    if error is not None:
        return None, None, error
    return query, _filters(request), None


def view(request) -> Response:  # sync: Starlette runs it in its thread pool
    if _too_long(request):
        return Response("query too long", status_code=414)
    bounds = Bounds.parse(request.query_params.get("bbox", ""))
    try:
        zoom = int(request.query_params.get("z", ""))
    except ValueError:
        zoom = -1
    if bounds is None or not 0 <= zoom <= MAX_ZOOM:
        return Response("bbox=S,W,N,E and z=0..18 are required", status_code=400,
                        media_type="text/plain")
    query, error = _query_or_error()
    if error is not None:
        return error
    answer = query.map_view(_filters(request), bounds, zoom)
    return JSONResponse(answer.to_json(), headers={"Cache-Control": "private, max-age=60"})


def _plain(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if hasattr(value, "item"):
        value = value.item()
    return value if isinstance(value, int | float) else str(value)


def incident(request) -> Response:
    incident_id = request.query_params.get("id", "")
    if not incident_id or len(incident_id) > 200:
        return Response("id= is required", status_code=400, media_type="text/plain")
    query, error = _query_or_error()
    if error is not None:
        return error
    row = query.incident(incident_id)
    if row is None:
        return Response("no such incident", status_code=404, media_type="text/plain")
    return Response(json.dumps({key: _plain(row.get(key)) for key in POPUP_FIELDS},
                               ensure_ascii=False), media_type="application/json")


def _export(kind: str):
    def export(request) -> Response:
        query, filters, refused = _filtered_query(request)
        if refused is not None:
            return refused
        from dashboard.exports.stream import csv_stream, geojson_stream

        name = f"{file_stem(filters)}.{kind}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        if kind == "csv":
            excel = request.query_params.get("excel") == "1"
            return StreamingResponse(csv_stream(query, filters, excel=excel),
                                     media_type="text/csv; charset=utf-8", headers=headers)
        return StreamingResponse(geojson_stream(query, filters),
                                 media_type="application/geo+json", headers=headers)

    return export


_PICTURE_TYPES = {"png": "image/png", "html": "text/html; charset=utf-8",
                  "pptx": "application/vnd.openxmlformats-officedocument.presentationml"
                          ".presentation",
                  "pdf": "application/pdf"}


def _picture(kind: str):
    """PNG, HTML, PPTX or PDF of what the engine map shows for the filters (fitted to
    their incidents), made in this request (headless Chromium draws the picture)."""

    def picture(request) -> Response:  # sync: Starlette runs it in its thread pool
        query, filters, refused = _filtered_query(request)
        if refused is not None:
            return refused
        from dashboard.base.settings import offline_requested
        from dashboard.exports import engine_view
        from dashboard.exports.browser import BrowserNotFound
        from dashboard.exports.sizes import ExportError, PngSize
        from dashboard.exports.view import View

        view = View(filters=filters, offline=offline_requested())
        source = engine_source().describe()
        try:
            if kind == "png":
                data, _ = engine_view.render_png(query, filters, view, size=PngSize(1600, 900),
                                                 source=source)
            elif kind == "html":
                data = engine_view.page_html(query, filters, view, size=PngSize(1600, 900),
                                             source=source, document=True)[0].encode("utf-8")
            else:
                data = engine_view.deck_bytes(query, filters, view, fmt=kind, source=source)
        except (ExportError, BrowserNotFound) as failure:
            return Response(str(failure), status_code=503, media_type="text/plain")
        name = f"{file_stem(filters)}.{kind}"
        return Response(data, media_type=_PICTURE_TYPES[kind],
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    return picture


def engine_routes() -> list[Route]:
    """The routes, or none when this process serves no engine source."""
    try:
        if engine_source() is None:
            return []
    except ValueError:  # a malformed source: `serve` said so before starting
        return []
    return [
        Route(f"{PREFIX}/view", view, methods=["GET"]),
        Route(f"{PREFIX}/incident", incident, methods=["GET"]),
        Route(f"{PREFIX}/export.csv", _export("csv"), methods=["GET"]),
        Route(f"{PREFIX}/export.geojson", _export("geojson"), methods=["GET"]),
        *(Route(f"{PREFIX}/export.{kind}", _picture(kind), methods=["GET"])
          for kind in _PICTURE_TYPES),
    ]
