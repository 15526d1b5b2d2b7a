"""Serving the street-level tile archive named by ``serve --basemap`` (``maps/tile_archive.py``).

A PMTiles archive is read by the browser by HTTP range requests, which Starlette's
``FileResponse`` answers. An MBTiles archive is answered tile by tile from its SQLite file
(read-only). The routes exist only when ``INCIDENT_MAP_BASEMAP`` names a usable archive,
and sit behind the same Host check as the rest of the dashboard.
"""

from __future__ import annotations

import sqlite3

from starlette.convertors import Convertor, register_url_convertor
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from dashboard.maps.tile_archive import (
    ARCHIVE_URL,
    MEDIA_TYPES,
    TILES_URL,
    Archive,
    mbtiles_tile,
    named_archive,
)

GZIP_MAGIC = b"\x1f\x8b"


def archive_routes() -> list[Route]:
    """The archive's route, or none when no usable archive is named."""
    archive = named_archive()
    if archive is None:
        return []
    if archive.container == "pmtiles":
        async def whole_file(request):
            return FileResponse(archive.path, media_type="application/vnd.pmtiles")

        return [Route(ARCHIVE_URL, whole_file, methods=["GET", "HEAD"])]
    register_url_convertor("tile", TileNumber())
    return [Route(TILES_URL.replace("{z}", "{z:tile}").replace("{x}", "{x:tile}")
                  .replace("{y}", "{y:tile}"), _tile_endpoint(archive), methods=["GET"])]


class TileNumber(Convertor):
    """A tile address's number: at most 10 digits (zoom 30 has 2**30 columns). Starlette's
    ``int`` takes any number of digits and ends in a traceback past Python's 4,300; a longer
    number here matches no route (404)."""

    regex = "[0-9]{1,10}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


def _tile_endpoint(archive: Archive):
    media_type = MEDIA_TYPES[archive.format]

    def tile(request) -> Response:  # sync: Starlette runs it in its thread pool
        params = request.path_params
        try:
            data = mbtiles_tile(archive.path, params["z"], params["x"], params["y"])
        except sqlite3.Error:
            return Response("tile archive unreadable", status_code=503,
                            media_type="text/plain")
        if data is None:
            return Response(status_code=404)
        headers = {"Cache-Control": "max-age=3600"}
        if archive.vector and data.startswith(GZIP_MAGIC):
            headers["Content-Encoding"] = "gzip"  # the browser inflates it
        return Response(data, media_type=media_type, headers=headers)

    return tile
