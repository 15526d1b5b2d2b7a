"""A street-level tile archive named by ``serve --basemap``: built here, served, drawn.

The archives are small files this test writes, never a downloaded extract:

- a **vector PMTiles** archive (``pmtiles`` writer, tiles encoded by ``mapbox-vector-tile``)
  with an ``earth`` polygon and a grid of ``major_road`` streets in the Protomaps basemap
  layers, around the Kleiner Tiergarten in Berlin at zooms 12 to 14; protomaps-leaflet
  draws it at zoom 14;
- a **raster MBTiles** archive (SQLite, as the MBTiles 1.3 specification lays it out) of
  plain PNG tiles at zooms 0 to 3, served tile by tile by the dashboard.

:func:`build_archive` (raster PMTiles) is used by ``tests/server/test_archive.py``.
"""

from __future__ import annotations

import gzip
import io
import math
import sqlite3

import mapbox_vector_tile
import pytest
from PIL import Image
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import write

from dashboard.maps.tile_archive import ARCHIVE_ENV, ARCHIVE_URL
from dashboard.server.background import running_dashboard
from tests.browser.conftest import ARTIFACTS, DATASET, MAP_IFRAME, RecordedPage

TILE_COLOUR = (40, 160, 90)
MAX_ZOOM = 3
BERLIN = "2019-08-23-berlin-khangoshvili"
TIERGARTEN = (52.5205, 13.337)  # lat, lon
STREET_ZOOMS = range(12, 15)
#: protomaps-leaflet's "light" flavour: earth and major roads
EARTH = (0xe2, 0xdf, 0xda)
WORLD = {"min_lon_e7": -1800000000, "min_lat_e7": -850000000, "max_lon_e7": 1800000000,
         "max_lat_e7": 850000000, "center_zoom": 0, "center_lon_e7": 0, "center_lat_e7": 0}


def painted_png() -> bytes:
    png = io.BytesIO()
    Image.new("RGB", (256, 256), TILE_COLOUR).save(png, format="PNG")
    return png.getvalue()


def build_archive(path) -> None:
    """A raster PMTiles archive of the whole world at zooms 0-3."""
    png = painted_png()
    tiles = sorted((zxy_to_tileid(z, x, y), png)
                   for z in range(MAX_ZOOM + 1) for x in range(2 ** z) for y in range(2 ** z))
    with write(str(path)) as writer:
        for tile_id, data in tiles:
            writer.write_tile(tile_id, data)
        writer.finalize({"tile_type": TileType.PNG, "tile_compression": Compression.NONE,
                         "min_zoom": 0, "max_zoom": MAX_ZOOM, **WORLD},
                        {"attribution": "test tiles"})


def tile_of(lat: float, lon: float, zoom: int) -> tuple[int, int]:
    n = 2 ** zoom
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def street_tile() -> bytes:
    """One vector tile: land everywhere, streets every 512 units (of 4096) both ways."""
    streets = [{"geometry": f"LINESTRING({a} 0, {a} 4096)", "properties": {"kind": "major_road"}}
               for a in range(256, 4096, 512)]
    streets += [{"geometry": f"LINESTRING(0 {a}, 4096 {a})", "properties": {"kind": "major_road"}}
                for a in range(256, 4096, 512)]
    return mapbox_vector_tile.encode([
        {"name": "earth", "features": [{"geometry": "POLYGON((0 0, 4096 0, 4096 4096, "
                                                    "0 4096, 0 0))", "properties": {}}]},
        {"name": "roads", "features": streets},
    ], default_options={"y_coord_down": True})


def build_vector_archive(path) -> None:
    tile = gzip.compress(street_tile())
    tiles = []
    for z in STREET_ZOOMS:
        cx, cy = tile_of(*TIERGARTEN, z)
        tiles += [(zxy_to_tileid(z, x, y), tile)
                  for x in range(cx - 2, cx + 3) for y in range(cy - 2, cy + 3)]
    with write(str(path)) as writer:
        for tile_id, data in sorted(tiles):
            writer.write_tile(tile_id, data)
        writer.finalize({"tile_type": TileType.MVT, "tile_compression": Compression.GZIP,
                         "min_zoom": STREET_ZOOMS[0], "max_zoom": STREET_ZOOMS[-1], **WORLD},
                        {"attribution": "test streets",
                         "vector_layers": [{"id": "earth"}, {"id": "roads"}]})


def build_mbtiles(path, *, tile: bytes | None = None, tile_format: str = "png") -> None:
    """An MBTiles file (metadata and tiles tables; rows counted from the south)."""
    tile = painted_png() if tile is None else tile
    with sqlite3.connect(path) as db:
        db.execute("create table metadata (name text, value text)")
        db.execute("create table tiles (zoom_level integer, tile_column integer, "
                   "tile_row integer, tile_data blob)")
        db.executemany("insert into metadata values (?, ?)", [
            ("name", "test"), ("format", tile_format), ("minzoom", "0"),
            ("maxzoom", str(MAX_ZOOM)), ("bounds", "-180,-85,180,85")])
        db.executemany("insert into tiles values (?, ?, ?, ?)", [
            (z, x, y, tile) for z in range(MAX_ZOOM + 1)
            for x in range(2 ** z) for y in range(2 ** z)])
    # the connection's context commits; close it so the server reads a finished file


@pytest.fixture(scope="module", params=["vector.pmtiles", "raster.mbtiles"])
def street_server(request, tmp_path_factory):
    archive = tmp_path_factory.mktemp("archive") / request.param
    (build_vector_archive if request.param == "vector.pmtiles" else build_mbtiles)(archive)
    with running_dashboard(data=DATASET, log_path=ARTIFACTS / "server-streets.log",
                           cwd=ARTIFACTS.parent.parent,
                           extra_env={ARCHIVE_ENV: str(archive)}) as base_url:
        yield request.param, base_url


def map_zoom(frame) -> int:
    return frame.evaluate(
        "Object.keys(window).map(k => window[k]).find(v => v instanceof L.Map).getZoom()")


COUNT_COLOURS = """([earth]) => {
    let land = 0, white = 0, all = 0;
    for (const canvas of document.querySelectorAll('.leaflet-tile-pane canvas')) {
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width,
                                                          canvas.height).data;
        for (let i = 0; i < data.length; i += 4) {
            if (data[i + 3] < 250) { continue; }
            all++;
            if (Math.abs(data[i] - earth[0]) < 6 && Math.abs(data[i + 1] - earth[1]) < 6 &&
                Math.abs(data[i + 2] - earth[2]) < 6) { land++; }
            else if (data[i] > 248 && data[i + 1] > 248 && data[i + 2] > 248) { white++; }
        }
    }
    return {land, white, all};
}"""


def test_archive_tiles_are_drawn_from_the_dashboard_itself(browser, street_server):
    kind, base_url = street_server
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = RecordedPage(context.new_page(), base_url)
        page.page.goto(base_url + f"/?incident={BERLIN}")
        frame_locator = page.map_frame()
        frame_locator.locator(".incident-marker").first.wait_for(timeout=60_000)
        frame = next(f for f in page.page.frames if "streamlit_folium" in (f.url or ""))
        if kind == "vector.pmtiles":
            frame_locator.locator(".leaflet-container[data-archive='vector']").wait_for(
                timeout=30_000)
            frame.evaluate("""([lat, lon]) => {
                const map = Object.keys(window).map(k => window[k])
                    .find(v => v instanceof L.Map);
                map.closePopup();
                map.setView([lat, lon], 14, {animate: false});
            }""", list(TIERGARTEN))
            # the tiles are drawn: land from the archive's earth layer, streets across it
            frame.wait_for_function(
                "([earth]) => { const c = (" + COUNT_COLOURS + ")([earth]);"
                " return c.land > 0.3 * c.all && c.white > 0.02 * c.all; }",
                arg=[list(EARTH)], timeout=30_000)
            assert map_zoom(frame) == 14
            counts = frame.evaluate(COUNT_COLOURS, [list(EARTH)])
            # land from the archive's earth layer, and its streets across it
            assert counts["land"] > 0.3 * counts["all"], counts
            assert counts["white"] > 0.02 * counts["all"], counts
            requests = [url for url in page.requests if url.endswith(ARCHIVE_URL)]
        else:
            frame_locator.locator(".leaflet-container[data-archive='raster']").wait_for(
                timeout=30_000)
            frame_locator.locator("img.leaflet-tile-loaded").first.wait_for(timeout=30_000)
            # a focused site is shown at street zoom, beyond the archive's own (scaled)
            assert map_zoom(frame) > MAX_ZOOM
            requests = [url for url in page.requests if "/basemap/tiles/" in url]
        assert requests, "the archive was not read from the dashboard"
        assert page.outside_origin() == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.page.locator(MAP_IFRAME).screenshot(
            path=str(ARTIFACTS / f"street-archive-{kind.replace('.', '-')}.png"),
            timeout=60_000)
    finally:
        context.close()
