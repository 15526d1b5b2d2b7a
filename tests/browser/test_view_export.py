"""The view on screen: panning, zooming and the layer menu reach the URL, and the page's PNG
is that view (same centre, zoom and layers, no controls), not the default one."""

from __future__ import annotations

import io
import math
from urllib.parse import parse_qs, urlparse

import pytest
from PIL import Image, ImageChops
from playwright.sync_api import expect

from dashboard.data.loading import load_incidents
from dashboard.data.mapview import parse_at, parse_frame
from dashboard.exports.snapshot import render_snapshot
from dashboard.exports.view import PngSize, Provenance, View

from .conftest import DATASET, MAP_IFRAME, count_runs, streamlit_run

LOAD_TIMEOUT_MS = 60_000


#: The zoom of the map in the page's map frame.
MAP_ZOOM = "s => document.querySelector(s)?.contentWindow?.map?.getZoom()"
#: The map in the frame has zoomed to ``zoom`` and its animation has ended.
ZOOMED_TO = """([s, zoom]) => {
    const map = document.querySelector(s)?.contentWindow?.map;
    return !!map && !map._animatingZoom && map.getZoom() === zoom;
}"""


def query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def download_png(page) -> bytes:
    render = page.get_by_role("button", name="Render PNG")
    render.wait_for(timeout=LOAD_TIMEOUT_MS)
    render.click()
    button = page.get_by_role("button", name="Download PNG")
    button.wait_for(timeout=LOAD_TIMEOUT_MS)
    with page.expect_download(timeout=30_000) as info:
        button.click()
    return open(info.value.path(), "rb").read()


def mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def test_pan_zoom_and_layers_reach_the_url_and_the_png(browser, server):
    context = count_runs(browser.new_context(viewport={"width": 1400, "height": 1000}))
    page = context.new_page()
    try:
        page.goto(f"{server}/?type=diplomatic_expulsion&years=2022-2022")
        frame = page.frame_locator(MAP_IFRAME)
        expect(frame.locator(".im-symbol").first).to_be_visible(timeout=LOAD_TIMEOUT_MS)
        default_png = download_png(page)
        assert "at" not in query(page)  # the map's own first fit is not a user's view

        # Zoom in twice and pan: the user's view.
        container = frame.locator(".leaflet-container")
        for _ in range(2):
            zoom = page.evaluate(MAP_ZOOM, MAP_IFRAME)
            with streamlit_run(page):  # each zoom is reported into the URL too
                frame.locator(".leaflet-control-zoom-in").click()
                page.wait_for_function(ZOOMED_TO, arg=[MAP_IFRAME, zoom + 1], timeout=10_000)
        box = container.bounding_box()
        # The pan is reported into the URL, which runs the page again and replaces the
        # map's controls: the layer menu is opened once that run has ended.
        with streamlit_run(page):
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.mouse.down()
            page.mouse.move(box["x"] + box["width"] / 2 - 150,
                            box["y"] + box["height"] / 2 + 60, steps=8)
            page.mouse.up()
        # The flows off in the layer menu.
        frame.locator(".leaflet-control-layers").hover()
        frame.get_by_label("Expulsion flows").uncheck()
        page.wait_for_function(
            "() => { const p = new URLSearchParams(location.search);"
            " return p.has('at') && p.has('layers') && !p.get('layers').includes('flows'); }",
            timeout=10_000)
        params = query(page)
        at = parse_at(params["at"])
        assert at is not None
        live = page.evaluate(
            "s => { const m = document.querySelector(s).contentWindow.map;"
            " const c = m.getCenter(); return [c.lat, c.lng, m.getZoom()]; }", MAP_IFRAME)
        assert at.zoom == live[2] and at.lat == pytest.approx(live[0], abs=1e-3)
        assert "flows" not in params["layers"].split(",")
        assert frame.locator(".incident-flow").count() == 0

        png = download_png(page)
        with Image.open(io.BytesIO(png)) as shot, Image.open(io.BytesIO(default_png)) as base:
            assert shot.size == base.size == (1600, 900)
            # Not the default export any more (it was byte-identical before).
            assert ImageChops.difference(shot.convert("RGB"), base.convert("RGB")).getbbox()
        # The same view drawn by the exporter has the URL's centre and zoom.
        incidents = load_incidents(DATASET)
        rows = incidents[(incidents["event_type"] == "diplomatic_expulsion")
                         & (incidents["year"] == 2022)]
        snap = render_snapshot(rows, View(offline=True, at=(at.lat, at.lon, at.zoom),
                                          layers=tuple(params["layers"].split(","))),
                               provenance=Provenance.of(DATASET), size=PngSize(1600, 900),
                               browser=browser)
        south, west, north, east = snap.bounds
        pixel = 360 / (256 * 2 ** at.zoom)  # degrees of longitude per CSS pixel
        assert (west + east) / 2 == pytest.approx(at.lon, abs=4 * pixel)
        middle = math.degrees(2 * math.atan(math.exp(
            (mercator_y(south) + mercator_y(north)) / 2)) - math.pi / 2)
        assert middle == pytest.approx(at.lat, abs=4 * pixel)
        assert snap.map_box[2] / (east - west) * 360 == pytest.approx(256 * 2 ** at.zoom,
                                                                      rel=0.01)
        # The page's own PNG keeps the on-screen extent (frame= is the map's size on screen):
        # the picture is zoomed to show what the screen's map showed, not a wider area.
        frame = parse_frame(params["frame"])
        shown = page.evaluate(
            "s => { const m = document.querySelector(s).contentWindow.map;"
            " const b = m.getBounds(); return [b.getSouth(), b.getWest(), b.getNorth(),"
            " b.getEast()]; }", MAP_IFRAME)
        same = render_snapshot(rows, View(offline=True, at=(at.lat, at.lon, at.zoom),
                                          frame=frame), provenance=Provenance.of(DATASET),
                               size=PngSize(1600, 900), browser=browser)
        s2, w2, n2, e2 = same.bounds
        pixel = (shown[3] - shown[1]) / frame[0]
        assert s2 <= shown[0] + 2 * pixel and n2 >= shown[2] - 2 * pixel  # all of it shows
        assert w2 <= shown[1] + 2 * pixel and e2 >= shown[3] - 2 * pixel
        wider = max((e2 - w2) / (shown[3] - shown[1]),
                    (mercator_y(n2) - mercator_y(s2)) / (mercator_y(shown[2])
                                                         - mercator_y(shown[0])))
        narrow = min((e2 - w2) / (shown[3] - shown[1]),
                     (mercator_y(n2) - mercator_y(s2)) / (mercator_y(shown[2])
                                                          - mercator_y(shown[0])))
        assert narrow == pytest.approx(1, abs=0.02)  # one side exactly the screen's
        assert wider < 1.6  # the other only as much as the picture's shape adds
        page.screenshot(path="tests/artifacts/view-export.png")
    finally:
        context.close()
