"""A street-level tile archive named by ``serve --basemap``: built here, served, drawn.

The archive is a small raster PMTiles file written by the ``pmtiles`` package from PNG
tiles this test paints (zooms 0 to 3 of the whole world), never a downloaded extract.
"""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import write

from dashboard.maps.basemap import ARCHIVE_ENV, ARCHIVE_URL
from dashboard.server.background import running_dashboard
from tests.browser.conftest import ARTIFACTS, DATASET, MAP_IFRAME, RecordedPage

TILE_COLOUR = (40, 160, 90)
MAX_ZOOM = 3


def build_archive(path) -> None:
    png = io.BytesIO()
    Image.new("RGB", (256, 256), TILE_COLOUR).save(png, format="PNG")
    tiles = sorted((zxy_to_tileid(z, x, y), png.getvalue())
                   for z in range(MAX_ZOOM + 1) for x in range(2 ** z) for y in range(2 ** z))
    with write(str(path)) as writer:
        for tile_id, data in tiles:
            writer.write_tile(tile_id, data)
        writer.finalize({
            "tile_type": TileType.PNG, "tile_compression": Compression.NONE,
            "min_zoom": 0, "max_zoom": MAX_ZOOM, "min_lon_e7": -1800000000,
            "min_lat_e7": -850000000, "max_lon_e7": 1800000000, "max_lat_e7": 850000000,
            "center_zoom": 0, "center_lon_e7": 0, "center_lat_e7": 0,
        }, {"attribution": "test tiles"})


@pytest.fixture(scope="module")
def street_server(tmp_path_factory):
    archive = tmp_path_factory.mktemp("archive") / "region.pmtiles"
    build_archive(archive)
    before = os.environ.get(ARCHIVE_ENV)
    os.environ[ARCHIVE_ENV] = str(archive)
    try:
        with running_dashboard(data=DATASET, log_path=ARTIFACTS / "server-streets.log",
                               cwd=ARTIFACTS.parent.parent) as base_url:
            yield base_url
    finally:
        if before is None:
            os.environ.pop(ARCHIVE_ENV, None)
        else:
            os.environ[ARCHIVE_ENV] = before


def test_archive_tiles_are_drawn_from_the_dashboard_itself(browser, street_server):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = RecordedPage(context.new_page(), street_server)
        page.page.goto(street_server + "/?incident=2019-08-23-berlin-khangoshvili")
        frame_locator = page.map_frame()
        frame_locator.locator(".incident-marker").first.wait_for(timeout=60_000)
        frame_locator.locator(".leaflet-container[data-archive='raster']").wait_for(
            timeout=30_000)
        frame_locator.locator("img.leaflet-tile-loaded").first.wait_for(timeout=30_000)
        frame = next(f for f in page.page.frames if "streamlit_folium" in (f.url or ""))
        # a focused site is shown at street zoom, beyond the archive's own zooms (scaled)
        zoom = frame.evaluate(
            "Object.keys(window).map(k => window[k]).find(v => v instanceof L.Map).getZoom()")
        assert zoom > MAX_ZOOM
        archive_requests = [url for url in page.requests if url.endswith(ARCHIVE_URL)]
        assert archive_requests, "the archive was not read from the dashboard"
        assert page.outside_origin() == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.page.locator(MAP_IFRAME).screenshot(path=str(ARTIFACTS / "street-archive.png"),
                                                 timeout=60_000)
    finally:
        context.close()
