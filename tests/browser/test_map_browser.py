"""The map in a real browser, without the server: an exported page and st_folium's pipeline."""

from __future__ import annotations

import json

import pytest

from dashboard.data.loading import load_incidents
from dashboard.maps.assets import asset_bytes, configure_folium_assets, inline_html
from dashboard.maps.mapping import OFFLINE_MAX_FOCUS_ZOOM, build_map
from tests.maps.map_support import FIXTURE


@pytest.fixture(scope="module")
def incidents():
    return load_incidents(FIXTURE)


@pytest.fixture(scope="module")
def shown(incidents):
    """How many incidents the map draws: those with coordinates."""
    return int(incidents["has_coords"].sum())


#: The map is at rest: drawn, no zoom or pan under way (a popup pans the map into view).
MAP_STILL = """() => {
    const map = typeof L === 'undefined' ? null
        : Object.values(window).find((v) => v instanceof L.Map);
    return !!map && !map._animatingZoom && !(map._panAnim && map._panAnim._inProgress);
}"""


def wait_still(page, timeout: float = 10_000) -> None:
    """Wait until the map has stopped moving."""
    page.wait_for_function(MAP_STILL, timeout=timeout)


#: Before the page's scripts run: record the zoom a fly starts from (read once the page has
#: loaded it would be a race with the fly itself), as Leaflet sets ``window.L``.
RECORD_FLY_START = """(() => {
    let leaflet;
    Object.defineProperty(window, 'L', {configurable: true, get: () => leaflet, set: (value) => {
        leaflet = value;
        const proto = value && value.Map && value.Map.prototype;
        if (proto && !proto.imFlyRecorded) {
            const fly = proto.flyTo;
            proto.flyTo = function (...args) {
                window.imFlyFrom = this.getZoom();
                return fly.apply(this, args);
            };
            proto.imFlyRecorded = true;
        }
    }});
})();"""


def open_page(browser, path, blocked: list[str], errors: list[str], init_script: str = ""):
    page = browser.new_page(viewport={"width": 1100, "height": 700})
    if init_script:
        page.add_init_script(init_script)

    def route(request_route):
        url = request_route.request.url
        if url.startswith(("file:", "data:", "about:")):
            request_route.continue_()
        else:
            blocked.append(url)
            request_route.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    page.wait_for_selector(".incident-marker")
    return page


def test_offline_export_loads_with_no_requests_and_plays_years(browser, incidents, shown, tmp_path):
    path = tmp_path / "map.html"
    path.write_text(inline_html(build_map(incidents, offline=True)), encoding="utf-8")
    blocked, errors = [], []
    page = open_page(browser, path, blocked, errors)
    try:
        markers = page.locator(".incident-marker")
        assert markers.count() == shown
        assert page.locator(".incident-2018-03-26-london-expulsion").count() == 1
        assert page.locator(".world-outline").count() > 150
        assert page.locator(".incident-halo").count() == 6  # every point but the exact site
        assert page.locator(".incident-flow").count() == 3
        assert page.locator(".leaflet-tile").count() == 0

        play = page.locator(".incident-play")
        assert play.get_attribute("data-year") == "all"
        page.locator(".incident-play-slider").fill("2016")
        assert play.get_attribute("data-year") == "2016"
        expected = int((incidents["has_coords"] & (incidents["year"] <= 2016)).sum())
        assert markers.count() == expected == 2
        assert play.get_attribute("data-count") == str(expected)  # the label counts them
        assert f"Up to 2016 \u00b7 {expected} incidents" in play.inner_text()
        page.locator(".incident-play-mode").click()         # a moving window: 2016 only
        in_2016 = int((incidents["has_coords"] & (incidents["year"] == 2016)).sum())
        assert play.get_attribute("data-mode") == "window"
        assert markers.count() == in_2016 < expected
        assert play.get_attribute("data-count") == str(in_2016)
        assert "In 2016" in play.inner_text()
        page.locator(".incident-play-mode").click()         # back to cumulative
        assert markers.count() == expected
        page.locator(".incident-play-button").click()      # play from 2016 onwards
        page.wait_for_function(
            "document.querySelector('.incident-play')?.dataset.year !== '2016'", timeout=3000)
        page.locator(".incident-play-button").click()      # pause
        year = play.get_attribute("data-year")
        page.wait_for_timeout(1200)  # deliberate delay: a paused player takes no step
        assert play.get_attribute("data-year") == year
        page.locator(".incident-play-slider").fill(str(incidents["year"].max()))
        assert play.get_attribute("data-year") == "all" and markers.count() == shown
        assert errors == [] and blocked == []
    finally:
        page.close()


def st_folium_page(m, updates=()) -> str:
    """What streamlit-folium builds in its frame: the map's script string, header and js/css
    links, then the incidents (``incident_update``) run as its feature group; ``updates``
    are later maps whose incidents replace them in the same map (``window.nextUpdate(i)``),
    as a rerun does."""
    import streamlit_folium

    m.get_root().render()
    header = streamlit_folium._get_header(m)
    script = streamlit_folium._get_map_string(m)
    groups = [streamlit_folium._get_feature_group_string(m.incident_update, m)]
    for later in updates:
        later.get_root().render()
        streamlit_folium._get_map_string(later)
        groups.append(streamlit_folium._get_feature_group_string(later.incident_update, later))
    js, css = [], []
    for element in _walk(m):
        js += [url for _, url in getattr(element, "default_js", [])]
        css += [url for _, url in getattr(element, "default_css", [])]
    assert js and all(url.startswith("/app/static/vendor/") for url in js + css)
    assert sorted(configure_folium_assets(m)) == sorted(set(js + css))

    def safe(text: str) -> str:
        return text.replace("</", "<\\/")

    page_html = ["<html><head>"]
    page_html += [f"<style>{asset_bytes(url).decode()}</style>" for url in dict.fromkeys(css)]
    page_html.append("</head><body><div id='map_div' style='height:600px'></div>")
    page_html += [f"<script>{safe(asset_bytes(url).decode())}</script>"
                  for url in dict.fromkeys(js)]
    page_html.append(
        f"<script>document.head.innerHTML += {safe(json.dumps(header))};"
        f"window.eval({safe(json.dumps(script))} + ';window.map = map_div;');"
        f"window.updates = {safe(json.dumps(groups))};"
        "window.nextUpdate = function (i) {"
        " (window.feature_group || []).forEach(function (g) { map_div.removeLayer(g); });"
        " window.feature_group = []; window.eval(window.updates[i]); };"
        "window.nextUpdate(0);</script></body></html>")
    return "".join(page_html)


def test_st_folium_pipeline_keeps_every_element(browser, incidents, shown, tmp_path):
    """Replay what streamlit-folium does: its script string, header, js/css links and the
    incidents as its feature group."""
    path = tmp_path / "component.html"
    path.write_text(st_folium_page(build_map(incidents, offline=True, in_place=True)),
                    encoding="utf-8")
    blocked, errors = [], []
    page = open_page(browser, path, blocked, errors)
    try:
        assert page.locator(".incident-marker").count() == shown
        assert page.locator(".incident-legend").count() == 1
        assert page.locator(".incident-play").count() == 1
        page.locator(".incident-play-slider").fill("2016")
        assert page.locator(".incident-marker").count() == 2
        page.locator(".incident-play-slider").fill("2020")
        page.locator(".incident-2020-01-01-country-assessment").click()
        popup = page.locator(".incident-popup")
        popup.wait_for()
        assert "<script>alert(1)</script> assessment" in popup.locator(".ip-title").inner_text()
        links = popup.locator("a")
        assert links.count() == 1
        assert links.get_attribute("href").startswith("https://")
        assert links.get_attribute("rel") == "noopener noreferrer"
        assert links.get_attribute("target") == "_blank"
        assert errors == [] and blocked == []
    finally:
        page.close()


def test_new_incidents_replace_the_old_in_the_same_map(browser, incidents, tmp_path):
    """A rerun's incidents replace the previous ones in the map on screen: the map (and its
    basemap) is the same object, the markers, legend, player and layer menu are not doubled,
    and a popup the reader had open opens again when its incident is still shown."""
    first = build_map(incidents, offline=True, in_place=True)
    fewer = build_map(incidents[incidents["event_type"] == "diplomatic_expulsion"],
                      offline=True, in_place=True)
    path = tmp_path / "replace.html"
    path.write_text(st_folium_page(first, [fewer]), encoding="utf-8")
    blocked, errors = [], []
    page = open_page(browser, path, blocked, errors)
    try:
        page.evaluate("window.map.__marker = 'same map'")
        page.locator(".incident-2018-03-26-london-expulsion").click()
        page.locator(".incident-popup").wait_for()
        page.evaluate("window.nextUpdate(1)")
        expulsions = int((incidents["event_type"] == "diplomatic_expulsion").sum())
        page.wait_for_function(f"document.querySelectorAll('.incident-marker').length === "
                               f"{expulsions}")
        assert page.evaluate("window.map.__marker") == "same map"
        for selector in (".incident-legend", ".incident-play", ".leaflet-control-layers"):
            assert page.locator(selector).count() == 1, selector
        # the popup opened again (the one taken off fades out for 200 ms)
        page.wait_for_function("document.querySelectorAll('.incident-popup').length === 1")
        assert "Britain expels" in page.locator(".incident-popup .ip-title").inner_text()
        assert errors == [] and blocked == []
    finally:
        page.close()


def _walk(element):
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def test_focus_opens_the_incident_popup(browser, incidents, tmp_path):
    path = tmp_path / "focus.html"
    m = build_map(incidents, offline=True, focus_id="2018-03-26-london-expulsion", animate=False)
    path.write_text(inline_html(m), encoding="utf-8")
    blocked, errors = [], []
    page = open_page(browser, path, blocked, errors)
    try:
        page.locator(".incident-popup").wait_for()
        assert page.locator(".incident-popup .ip-title").inner_text() == \
            "Britain expels 23 diplomats"
        assert page.locator(".incident-focus").count() == 1
        assert page.locator(".incident-play").count() == 0
        assert errors == [] and blocked == []
    finally:
        page.close()


def test_a_new_focus_flies_to_its_frame(browser, incidents, tmp_path):
    """The first view opens on its frame at once; the next step's incident is flown to (the
    frame's zoom for its precision, centred on it) and named by its label."""
    london = "2018-03-26-london-expulsion"
    other = incidents[(incidents["id"] != london) & incidents["has_coords"]].iloc[0]
    first = build_map(incidents, offline=True, focus_id=london, fly=True, focus_popup=False,
                      focus_label=True, animate=False, in_place=True)
    second = build_map(incidents, offline=True, focus_id=other["id"], fly=True,
                       focus_popup=False, focus_label=True, animate=False, in_place=True)
    path = tmp_path / "fly.html"
    path.write_text(st_folium_page(first, [second]), encoding="utf-8")
    blocked, errors = [], []
    page = open_page(browser, path, blocked, errors, init_script=RECORD_FLY_START)
    try:
        frame = first.incident_frame
        assert page.evaluate("window.map.getZoom()") == frame.zoom == OFFLINE_MAX_FOCUS_ZOOM
        page.evaluate("window.nextUpdate(1)")
        assert page.evaluate("window.map._incidentFlying") is True  # a flight, not a jump
        target = second.incident_frame
        page.wait_for_function(
            "([lat, lon, zoom]) => !window.map._incidentFlying && "
            "window.map.getZoom() === zoom && "
            "Math.abs(window.map.getCenter().lat - lat) < 0.05 && "
            "Math.abs(window.map.getCenter().lng - lon) < 0.05",
            arg=[target.center[0], target.center[1], target.zoom], timeout=10_000)
        assert page.locator(".incident-focus-label").inner_text() == other["place"]
        assert page.locator(".incident-focus").count() == 1
        assert errors == [] and blocked == []
    finally:
        page.close()


def test_focus_waits_for_a_map_with_no_height_and_legend_fits(browser, incidents, tmp_path):
    """In a frame that is sized after the map is made, the popup still opens in view."""
    path = tmp_path / "late.html"
    m = build_map(incidents, offline=True, focus_id="2018-03-26-london-expulsion")
    page_html = inline_html(m).replace("<body>", "<body style='height:0'>", 1)
    path.write_text(page_html, encoding="utf-8")
    blocked, errors = [], []
    page = browser.new_page(viewport={"width": 900, "height": 600})
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(path.as_uri())  # the page's scripts have run when it has loaded
        assert page.locator(".incident-marker").count() > 0
        assert page.locator(".incident-popup").count() == 0  # no size yet: nothing opened
        page.evaluate("document.body.style.height = '600px';"
                      "window.dispatchEvent(new Event('resize'))")
        page.locator(".incident-popup").wait_for()
        wait_still(page)  # Leaflet pans the popup into view (animated)
        box = page.locator(".leaflet-popup").bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 600
        legend = page.locator(".incident-legend")
        assert legend.get_attribute("open") is None  # 900 px wide: starts collapsed
        assert legend.bounding_box()["height"] <= 600 * 0.6
        assert errors == [] and blocked == []
    finally:
        page.close()


def test_small_symbols_and_the_focused_incident_are_never_hidden(browser, make_dataset, tmp_path):
    """A killing at the same spot as a large expulsion circle stays visible and clickable."""
    from tests.conftest import base_row

    rows = [
        base_row(id="killing", lat="52.52", lon="13.40", geo_precision="city", geocoder="manual"),
        base_row(id="expulsion", event_type="diplomatic_expulsion", persons="40", fatalities="",
                 lat="52.52", lon="13.40", geo_precision="city", counterpart_country="RU"),
        base_row(id="verdict", event_type="court_ruling", date="2021-12-15", fatalities="",
                 lat="52.52", lon="13.40", geo_precision="city"),
    ]
    crowd = load_incidents(make_dataset(rows))
    for focus in (None, "killing", "verdict"):
        path = tmp_path / f"crowd-{focus}.html"
        path.write_text(inline_html(build_map(crowd, offline=True, focus_id=focus,
                                              focus_popup=False, animate=False)),
                        encoding="utf-8")
        blocked, errors = [], []
        page = open_page(browser, path, blocked, errors)
        try:
            wait_still(page)
            box = page.locator(".incident-killing").bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            on_top = page.evaluate(f"document.elementFromPoint({x}, {y}).className")
            assert "incident-expulsion" not in on_top, on_top
            if focus:
                assert f"incident-{focus}" in on_top, on_top
            assert errors == [] and blocked == []
        finally:
            page.close()


def _crowd(count: int = 400):
    """``count`` incidents over Europe, 2015 to 2022, several sharing each city's point."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(11)
    cities = rng.uniform([36, -9], [60, 30], size=(count // 4, 2))
    spots = cities[rng.integers(0, len(cities), count)]
    return pd.DataFrame({
        "id": [f"i{n}" for n in range(count)], "lat": spots[:, 0], "lon": spots[:, 1],
        "event_type": "arrest", "attribution": "confirmed", "geo_precision": "city",
        "date_precision": "year", "year": rng.integers(2015, 2023, count),
        "title": [f"Incident {n}" for n in range(count)], "date_label": "2020",
        "place": "p", "has_coords": True,
    })


def test_a_focused_incident_among_clusters_stays_on_its_own(browser, tmp_path):
    """Clustered (many incidents), the focused incident is not gathered into a cluster with
    its neighbours at the same point: its own symbol is drawn, on top, and a click on it
    opens its popup."""
    crowd = _crowd()
    focus = "i7"
    spot = crowd.loc[crowd["id"] == focus, ["lat", "lon"]].iloc[0]
    neighbours = (crowd["lat"] == spot["lat"]) & (crowd["lon"] == spot["lon"])
    assert neighbours.sum() > 1  # others at its very point: a cluster would take it in
    path = tmp_path / "focus-among-clusters.html"
    path.write_text(inline_html(build_map(crowd, offline=True, focus_id=focus, cluster=True,
                                          focus_popup=False, animate=False)),
                    encoding="utf-8")
    blocked, errors = [], []
    page = open_page(browser, path, blocked, errors)
    try:
        page.wait_for_selector(".marker-cluster")
        wait_still(page)
        # its neighbours are counted in a cluster, it is drawn on its own
        assert page.locator(".incident-marker").count() < len(crowd) / 4
        symbol = page.locator(f".incident-{focus}.im-focus")
        assert symbol.count() == 1
        box = symbol.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        on_top = page.evaluate(f"document.elementFromPoint({x}, {y}).className")
        assert f"incident-{focus}" in on_top, on_top
        symbol.click()
        page.locator(".incident-popup .ip-id").wait_for(timeout=10_000)
        assert page.locator(".incident-popup .ip-id").inner_text() == focus
        assert errors == [] and blocked == []
    finally:
        page.close()


#: The map's view holds the year player's frame (its bounds) and is at rest.
HOLDS_PLAY_FRAME = """() => {
    const map = window.map, frame = map?.incidentMap?.options?.playFrame;
    if (!frame?.bounds || map._incidentFlying || map._animatingZoom) { return false; }
    return map.getBounds().pad(0.01).contains(L.latLngBounds(frame.bounds));
}"""


def test_the_year_player_fits_the_incidents_it_animates(browser, tmp_path):
    """Played from a focused incident's close view, the map flies out to the extent that
    holds the incidents the player animates; played from a view that already shows them,
    it stays where it is."""
    crowd = _crowd(120)
    focused = build_map(crowd, offline=True, focus_id="i3", focus_popup=False, in_place=True)
    fitted = build_map(crowd, offline=True, in_place=True)
    path = tmp_path / "player.html"
    path.write_text(st_folium_page(focused, [fitted]), encoding="utf-8")
    blocked, errors = [], []
    page = open_page(browser, path, blocked, errors)
    try:
        wait_still(page)
        assert page.evaluate(f"({HOLDS_PLAY_FRAME})()") is False  # zoomed in on i3
        page.locator(".incident-play-button").click()
        page.wait_for_function(HOLDS_PLAY_FRAME, timeout=15_000)
        page.locator(".incident-play-button").click()  # pause
        # the same incidents at their own fitted view: playing moves nothing
        page.evaluate("window.nextUpdate(1)")
        page.wait_for_function(HOLDS_PLAY_FRAME, timeout=15_000)
        before = page.evaluate("[map.getCenter().lat, map.getCenter().lng, map.getZoom()]")
        page.locator(".incident-play-button").click()
        assert page.evaluate("window.map._incidentFlying") is False
        page.wait_for_function("document.querySelector('.incident-play')?.dataset.year"
                               " !== 'all'", timeout=10_000)
        assert page.evaluate("[map.getCenter().lat, map.getCenter().lng, map.getZoom()]") \
            == before
        assert errors == [] and blocked == []
    finally:
        page.close()


def test_focus_popup_stays_in_view_when_the_frame_is_resized_again(browser, incidents, tmp_path):
    """Streamlit resizes the map's frame more than once; the open popup's top stays visible."""
    path = tmp_path / "resized.html"
    m = build_map(incidents, offline=True, focus_id="2018-03-26-london-expulsion", animate=False)
    page_html = inline_html(m).replace("<body>", "<body style='height:0'>", 1)
    path.write_text(page_html, encoding="utf-8")
    errors = []
    page = browser.new_page(viewport={"width": 900, "height": 700})
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(path.as_uri())
        page.evaluate("document.body.style.height = '700px';"
                      "window.dispatchEvent(new Event('resize'))")
        page.locator(".incident-popup").wait_for()
        wait_still(page)
        page.evaluate("document.body.style.height = '420px';"
                      "window.dispatchEvent(new Event('resize'))")
        # Leaflet takes the new size on the next animation frame (the element has it at
        # once); the page then re-centres and the popup pans back into view: wait for the
        # map itself to have the new size, then for it to be at rest
        page.wait_for_function(
            "() => { const map = typeof L === 'undefined' ? null"
            " : Object.values(window).find((v) => v instanceof L.Map);"
            " return map?.getSize().y === 420; }", timeout=10_000)
        wait_still(page)
        box = page.locator(".leaflet-popup").bounding_box()
        assert box["height"] > 210  # taller than half the map: re-centring alone would cut it
        assert box["y"] >= 0 and box["y"] + box["height"] <= 420, box
        assert errors == []
    finally:
        page.close()


def test_clusters_of_many_incidents_are_built_without_quadratic_work(browser, tmp_path):
    """markercluster's addLayers scans its pending list per marker when the group is not on
    the map yet (n² work: a minute for 200,000 incidents); the layer adds the group first."""
    import numpy as np
    import pandas as pd

    count = 3000
    rng = np.random.default_rng(7)
    crowd = pd.DataFrame({
        "id": [f"i{n}" for n in range(count)], "lat": rng.uniform(35, 60, count),
        "lon": rng.uniform(-10, 30, count), "event_type": "arrest", "attribution": "confirmed",
        "geo_precision": "city", "date_precision": "day", "year": 2020, "title": "t",
        "date_label": "1 May 2020", "place": "p", "has_coords": True,
    })
    path = tmp_path / "clusters.html"
    page_html = inline_html(build_map(crowd, offline=True, cluster=True, animate=False))
    # Count how many pending markers hasLayer scans, before the map's own script runs.
    probe = ("<script>(function(){var p=L.MarkerClusterGroup.prototype,h=p.hasLayer;"
             "window.scanned=0;p.hasLayer=function(l){"
             "window.scanned+=(this._needsClustering||[]).length;return h.call(this,l);};})();"
             "</script>")
    marker = "window.IncidentMap.create("
    start = page_html.index(marker)
    script_start = page_html.rindex("<script>", 0, start)
    path.write_text(page_html[:script_start] + probe + page_html[script_start:],
                    encoding="utf-8")
    errors = []
    page = browser.new_page(viewport={"width": 1100, "height": 700})
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(path.as_uri())
        page.wait_for_selector(".marker-cluster")
        assert page.evaluate("window.scanned") < count
        assert errors == []
    finally:
        page.close()


def test_fitted_view_keeps_every_incident_clear_of_the_controls(browser, make_dataset, tmp_path):
    """No symbol starts under the play control, the scale or the open legend (incidents in
    the south-west, south-east and north-east corners of the data), and the map's credit
    is plain text (Leaflet's default carries a flag)."""
    from tests.conftest import base_row

    # 40-57.8 N spans about 630 px at zoom 5: the extent just fits a 700 px map with a
    # plain 30 px margin, so the southern incidents would sit under the bottom controls.
    corners = {"south-west": ("2019", "40.0", "-8.0"), "south-east": ("2020", "40.0", "23.0"),
               "north-east": ("2021", "57.8", "24.0")}
    rows = [base_row(id=f"{year}-01-01-{name}", date=f"{year}-01-01", lat=lat, lon=lon)
            for name, (year, lat, lon) in corners.items()]
    path = tmp_path / "controls.html"
    spread = load_incidents(make_dataset(rows))
    path.write_text(inline_html(build_map(spread, offline=True)), encoding="utf-8")
    blocked, errors = [], []
    page = open_page(browser, path, blocked, errors)
    try:
        wait_still(page)
        assert page.locator(".incident-legend").get_attribute("open") is not None
        controls = [page.locator(".leaflet-control").nth(i).bounding_box()
                    for i in range(page.locator(".leaflet-control").count())]
        markers = page.locator(".incident-marker")
        for i in range(markers.count()):
            box = markers.nth(i).bounding_box()
            for control in controls:
                overlaps = (box["x"] < control["x"] + control["width"]
                            and control["x"] < box["x"] + box["width"]
                            and box["y"] < control["y"] + control["height"]
                            and control["y"] < box["y"] + box["height"])
                assert not overlaps, (markers.nth(i).get_attribute("class"), box, control)
        credit = page.locator(".leaflet-control-attribution")
        assert credit.locator("svg").count() == 0 and "Leaflet" in credit.inner_text()
        assert errors == [] and blocked == []
    finally:
        page.close()
    # Briefing mode asks for a closed legend, however wide the map.
    path.write_text(inline_html(build_map(spread, offline=True, legend_open=False)),
                    encoding="utf-8")
    page = open_page(browser, path, blocked, errors)
    try:
        assert page.locator(".incident-legend").get_attribute("open") is None
        page.locator(".incident-legend summary").click()
        assert page.locator(".incident-legend").get_attribute("open") is not None
        assert errors == [] and blocked == []
    finally:
        page.close()


def test_focus_popup_opens_in_view_on_a_map_sized_from_the_start(browser, incidents, tmp_path):
    """The popup's pan into view is measured after the jump to the incident, not during a
    zoom animation (which left the popup's title above the map in the dashboard)."""
    path = tmp_path / "sized.html"
    m = build_map(incidents, offline=True, focus_id="2018-03-26-london-expulsion", animate=False)
    path.write_text(inline_html(m), encoding="utf-8")
    errors = []
    page = browser.new_page(viewport={"width": 900, "height": 420})
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(path.as_uri())
        page.locator(".incident-popup").wait_for()
        wait_still(page)
        box = page.locator(".leaflet-popup").bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 420, box
        # a long popup scrolls, leaving room for the controls at the bottom of the map
        assert box["y"] + box["height"] <= 420 - 100, box
        assert page.locator(".leaflet-popup-scrolled").count() == 1
        assert errors == []
    finally:
        page.close()


def test_focus_popup_sits_on_its_marker_when_the_style_sheet_arrives_late(browser, incidents,
                                                                          tmp_path):
    """In the dashboard Leaflet's CSS is added after the map script runs; the focus popup
    still ends up centred over its incident."""
    path = tmp_path / "late-css.html"
    m = build_map(incidents, offline=True, focus_id="2018-03-26-london-expulsion", animate=False)
    page_html = inline_html(m)
    css_start = page_html.index(".leaflet-pane")
    style_start = page_html.rindex("<style>", 0, css_start)
    style_end = page_html.index("</style>", css_start) + len("</style>")
    css = page_html[style_start + len("<style>"):style_end - len("</style>")]
    assert ".leaflet-popup" in css
    late = ("<script>setTimeout(function () { var s = document.createElement('style');"
            f"s.textContent = {json.dumps(css)}; document.head.appendChild(s); }}, 400);"
            "</script>").replace("</style", "<\\/style")
    page_html = page_html[:style_start] + page_html[style_end:]
    page_html = page_html.replace("</body>", late + "</body>", 1)
    path.write_text(page_html, encoding="utf-8")
    errors = []
    page = browser.new_page(viewport={"width": 900, "height": 600})
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(path.as_uri())
        # the style sheet comes 400 ms after the map is made; the popup opens once it applies
        page.wait_for_function(
            "() => getComputedStyle(document.querySelector('.leaflet-map-pane') ?? document.body)"
            ".position === 'absolute'", timeout=10_000)
        page.locator(".incident-popup").wait_for()
        wait_still(page)
        popup = page.locator(".leaflet-popup").bounding_box()
        focus = page.locator(".incident-focus").bounding_box()
        assert abs((popup["x"] + popup["width"] / 2) - (focus["x"] + focus["width"] / 2)) < 20
        assert errors == []
    finally:
        page.close()
