"""PNG snapshot and self-contained HTML export, checked in headless Chromium.

The PNG test projects every incident itself (Web Mercator, from the map's bounds and box as
measured in the page) and reads the pixels with Pillow; the HTML test opens the exported file
from disk with every request but file:// refused and counts the drawn incident markers.
"""

from __future__ import annotations

import io
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from dashboard.data.loading import load_incidents
from dashboard.exports.formats import PngSize, Provenance, View, export_file
from dashboard.exports.snapshot import render_snapshot
from dashboard.maps.mapping import EVENT_COLOURS, PEOPLE_RADIUS, PEOPLE_TYPES
from tests.paths import APP, FIXTURES, ROOT

FIXTURE = FIXTURES / "export_fixture.csv"
APP_DATA = ROOT / "data" / "incidents.csv"
BIN = Path(sys.executable).with_name("incident-map")


@pytest.fixture(scope="module")
def incidents() -> pd.DataFrame:
    return load_incidents(FIXTURE)


def mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def project(lat: float, lon: float, snap) -> tuple[float, float]:
    """CSS-pixel position of (lat, lon) in the page, from the map's box and bounds."""
    left, top, width, height = snap.map_box
    south, west, north, east = snap.bounds
    x = left + (lon - west) / (east - west) * width
    y = top + (mercator_y(north) - mercator_y(lat)) / (mercator_y(north) - mercator_y(south)) * height
    return x, y


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def open_from_disk(context, path: Path, *, timeout_ms: int):
    """Open the exported file ``path`` with every request but file:, data: and blob: refused;
    wait for the export's ready flag. Returns the page, its errors and the refused URLs."""
    refused: list[str] = []
    errors: list[str] = []

    def only_files(route):
        if route.request.url.startswith(("file://", "data:", "blob:", "about:")):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route("**/*", only_files)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function("window.incidentExportReady === true", timeout=timeout_ms)
    return page, errors, refused


def colour_hits(image: Image.Image, x: float, y: float, radius: float,
                colour: tuple[int, int, int], tolerance: float = 40.0) -> int:
    """Pixels within ``radius`` of (x, y) whose colour is within ``tolerance`` of ``colour``."""
    hits = 0
    for py in range(int(y - radius), int(y + radius) + 1):
        for px in range(int(x - radius), int(x + radius) + 1):
            if (px - x) ** 2 + (py - y) ** 2 > radius ** 2:
                continue
            if not (0 <= px < image.width and 0 <= py < image.height):
                continue
            if math.dist(image.getpixel((px, py)), colour) <= tolerance:
                hits += 1
    return hits


def test_png_has_the_size_and_symbols_where_the_incidents_are(incidents):
    rows = incidents[incidents["event_type"] != "diplomatic_expulsion"]  # no flow lines
    view = View(offline=True, cluster=False, heatmap=False, title="Fixture <test>")
    size = PngSize(1200, 800, 1)
    snap = render_snapshot(rows, view, provenance=Provenance.of(FIXTURE), size=size)
    image = Image.open(io.BytesIO(snap.png)).convert("RGB")
    assert image.size == (1200, 800)
    assert len(image.getcolors(maxcolors=1 << 20)) > 200, "the image looks blank"

    placed = rows[rows["has_coords"]]
    points = [(*project(r.lat, r.lon, snap), r.event_type, r.id) for r in placed.itertuples()]
    left, top, width, height = snap.map_box

    def covered(x, y):
        return any(cx - 8 <= x <= cx + cw + 8 and cy - 8 <= y <= cy + ch + 8
                   for cx, cy, cw, ch in snap.controls)

    checked = []
    for x, y, kind, identifier in points:
        others = [(ox, oy) for ox, oy, _, other in points if other != identifier]
        isolated = all(math.dist((x, y), other) > 24 for other in others)
        inside = left + 10 < x < left + width - 10 and top + 10 < y < top + height - 10
        if not (isolated and inside) or covered(x, y):
            continue
        expected = rgb(EVENT_COLOURS[kind])
        scale = snap.scale
        # the symbol's outline reaches its radius: attacks on people are drawn larger
        reach = (PEOPLE_RADIUS + 0.5 if kind in PEOPLE_TYPES else 7) * scale
        hits = colour_hits(image, x * scale, y * scale, reach, expected)
        assert hits >= 6, f"{identifier}: no {kind} symbol near ({x:.0f}, {y:.0f}), {hits} px"
        # The same colour is not all over the map: 60 px away it is absent.
        away = colour_hits(image, x * scale, (y + 60) * scale, reach, expected)
        assert away < hits, identifier
        checked.append(identifier)
    assert len(checked) >= 4, f"too few isolated incidents to check: {checked}"


def test_cli_png_at_double_scale_has_twice_the_pixels(tmp_path):
    out = tmp_path / "print.png"
    result = subprocess.run(
        [str(BIN), "export", "-o", str(out), "--data", str(FIXTURE), "--offline",
         "--width", "640", "--height", "400", "--scale", "2", "--country", "ES"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert image.size == (1280, 800)
        assert image.convert("RGB").getextrema() != ((255, 255), (255, 255), (255, 255))
    assert [p.name for p in tmp_path.iterdir()] == ["print.png"]


@pytest.mark.parametrize("offline", [True, False])
def test_html_file_draws_every_incident_with_the_network_refused(browser, incidents, tmp_path,
                                                                 offline):
    path = export_file(incidents, View(offline=offline), tmp_path / "map.html",
                       provenance=Provenance.of(FIXTURE))
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        page, errors, refused = open_from_disk(context, path, timeout_ms=20_000)
        placed = incidents[incidents["has_coords"]]
        assert page.locator(".incident-marker").count() == len(placed)
        for identifier in placed["id"].head(5):
            assert page.locator(f".incident-{identifier}").count() == 1
        assert page.locator(".incident-table tbody tr").count() == len(incidents)
        assert page.locator(".incident-legend").count() == 1
        assert errors == []
        # Offline means offline: the file of an online view requests no tile either (unless
        # asked to keep the web tiles, see below).
        assert refused == []
    finally:
        context.close()


BASEMAP_STATE = """() => {
    const map = Object.keys(window).map(k => window[k]).find(v => v instanceof L.Map);
    const box = document.querySelector('.leaflet-container');
    return {zoom: map.getZoom(), level: box.dataset.basemap || '',
            admin1: +(box.dataset.admin1 || 0), tiles: box.classList.contains('basemap-tiles'),
            places: Array.from(document.querySelectorAll('.bm-place'))
                .filter(e => e.offsetParent !== null).map(e => e.textContent)};
}"""


@pytest.mark.parametrize(("offline", "web_tiles"), [(True, False), (False, False),
                                                    (False, True)])
def test_html_file_carries_the_offline_basemap_of_its_view(browser, tmp_path, offline,
                                                           web_tiles):
    """Zoomed to Berlin at 11 (beyond the 1:110m outline's limit), the file opened from disk
    with nothing reachable draws the 1:10m countries, Germany's states and the place names it
    carries. The file of an online view requests no tile server unless asked to keep the web
    tiles; then the tiles answer with errors and the same layers show instead."""
    incidents = load_incidents(APP_DATA)
    view = View(offline=offline, at=(52.52, 13.40, 11), web_tiles=web_tiles)
    path = export_file(incidents, view, tmp_path / "berlin.html", provenance=Provenance())
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    failed: list[str] = []

    def route(request_route):
        url = request_route.request.url
        if url.startswith(("file://", "data:", "blob:", "about:")):
            request_route.continue_()
        else:  # a tile server that answers with errors (and nothing else is reachable)
            failed.append(url)
            request_route.fulfill(status=503, body="unavailable")

    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.route("**/*", route)
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_function("window.incidentExportReady === true", timeout=20_000)
        page.wait_for_function(
            "+(document.querySelector('.leaflet-container')?.dataset.admin1 || 0) >= 1 && "
            "document.querySelectorAll('.bm-place').length > 5", timeout=20_000)
        state = page.evaluate(BASEMAP_STATE)
        assert state["zoom"] == 11
        assert "countries-10m" in state["level"] and state["admin1"] >= 1
        assert not state["tiles"] and "Berlin" in state["places"], state
        assert errors == []
        credits = page.locator(".leaflet-control-attribution").inner_text()
        if not web_tiles:
            assert failed == []  # offline means offline: not one request
            assert "CARTO" not in credits and "CARTO" not in path.read_text(encoding="utf-8")
            assert "Natural Earth" in page.locator(".export-footer").inner_text()
        else:
            assert failed and all("basemaps.cartocdn.com" in url for url in failed), failed
            assert "CARTO" not in credits  # no tile was drawn (they failed): not credited
        page.screenshot(path=str(tmp_path / "berlin.png"))
    finally:
        context.close()


def test_dashboard_renders_the_png_on_demand(monkeypatch, downloads):
    """No PNG until "Render PNG" is pressed; then a download of the requested size."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("INCIDENT_MAP_DATA", str(FIXTURE))
    monkeypatch.setenv("INCIDENT_MAP_OFFLINE", "1")
    app = APP
    at = AppTest.from_file(str(app), default_timeout=90)
    at.query_params["country"] = "ES"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Download PNG" not in [b.label for b in at.get("download_button")]
    at.selectbox(key="export_preset").set_value("a4")
    at.button(key="export_render_png").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Download PNG" in [b.label for b in at.get("download_button")]
    png = downloads["incidents_ES.png"]
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (1123, 794)


def test_served_dashboard_renders_and_downloads_the_png(page):
    """The real server: Render PNG, wait for the spinner to end, download a 1600×900 PNG."""
    page.page.goto(page.base_url + "/?years=2019-2025&country=DE,ES", wait_until="load")
    render = page.page.get_by_role("button", name="Render PNG")
    render.wait_for(timeout=60_000)
    render.click()
    download_button = page.page.get_by_role("button", name="Download PNG")
    download_button.wait_for(timeout=60_000)
    with page.page.expect_download(timeout=30_000) as info:
        download_button.click()
    download = info.value
    assert download.suggested_filename == "incidents_2019-2025_DE-ES.png"
    with Image.open(download.path()) as image:
        assert image.size == (1600, 900)
    page.screenshot("export_buttons.png")


def test_a_large_view_exports_as_clusters_with_its_data_inside(browser, tmp_path):
    """Above SCALE_THRESHOLD rows the HTML export is the page's large-data map: the rows in
    one compact block, clustered by the same code; it opens from disk with nothing fetched,
    and the PNG of the view is its clusters."""
    from dashboard.maps.scale_map import SCALE_THRESHOLD
    from scripts.make_large_dataset import write_dataset

    rows = load_incidents(write_dataset(tmp_path / "large.csv", SCALE_THRESHOLD + 1_000))
    path = export_file(rows, View(offline=True), tmp_path / "large.html",
                       provenance=Provenance.of(tmp_path / "large.csv"))
    text = path.read_text(encoding="utf-8")
    assert "data:application/octet-stream;base64," in text and "Supercluster" in text
    assert "L.circleMarker(" not in text.split("window.IncidentScale", 1)[0]
    # Scripts, outline and the 1,000-row table, then about 110 bytes a row (17 of data, the
    # rest popup texts); a marker per row was over 500.
    assert len(text.encode()) < 1_200_000 + 120 * len(rows)
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        page, errors, refused = open_from_disk(context, path, timeout_ms=30_000)
        box = page.locator('[data-im-scale="drawn"]')
        assert box.get_attribute("data-im-visible") == str(int(rows["has_coords"].sum()))
        assert int(box.get_attribute("data-im-clusters")) > 0
        zoom = box.get_attribute("data-im-zoom")
        page.locator(".im-scale-cluster").first.click()
        page.locator(f'[data-im-scale="drawn"]:not([data-im-zoom="{zoom}"])').wait_for(
            timeout=10_000)
        # A popup is made from its row's text, which the file carries.
        shown = page.evaluate("""() => {
            const map = Object.values(window).find((v) => v && v.incidentScale);
            const layer = map.incidentScale, c = layer.data.columns;
            let i = 0; while (c.lat[i] !== c.lat[i]) { i += 1; }
            return layer.openPopup([c.lat[i], c.lon[i]], i).then(() => i);
        }""")
        popup = page.locator(".incident-popup .ip-id")
        assert popup.inner_text() == rows["id"].iloc[shown]
        assert errors == [] and refused == []
    finally:
        context.close()
    snap = render_snapshot(rows, View(offline=True), provenance=Provenance(),
                           size=PngSize(width=800, height=600, scale=1), browser=browser)
    image = Image.open(io.BytesIO(snap.png))
    assert image.size == (800, 600)
    assert snap.seconds < 60
