"""Every incident of the curated dataset can be opened by a click, and the map by keyboard.

The map is the real one (``build_map`` and its browser code, exported to a page opened from
disk); a click lands on whatever symbol is on top at an incident's centre, as a person's
would, and when that spot holds several incidents the list offered must contain it.
"""

from __future__ import annotations

import pytest

from dashboard.data.loading import load_incidents
from dashboard.maps.assets import inline_html
from dashboard.maps.mapping import build_map
from tests.browser.conftest import DATASET
from tests.browser.test_map_browser import open_page
from tests.maps.map_support import incident_payload


@pytest.fixture(scope="module")
def curated():
    return load_incidents(DATASET)


def _open_by_click(page, incident_id: str, index: int) -> str:
    """Click the centre of an incident's symbol; pick it from a list if one opens; return
    the id shown by the popup that opened."""
    box = page.locator(f".incident-{incident_id}").bounding_box()
    assert box is not None, f"{incident_id} has no symbol on the map"
    size = page.viewport_size
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    assert 0 <= x < size["width"] and 0 <= y < size["height"], f"{incident_id} is off screen"
    page.mouse.click(x, y)
    opened = page.locator(".incident-popup .ip-id, .incident-stack")
    opened.first.wait_for(timeout=3000)
    if page.locator(".incident-stack").count():
        _wait_still(page)
        choice = page.locator(f'.incident-stack button[data-index="{index}"]')
        assert choice.count() == 1, f"{incident_id} is not in the list opened at its spot"
        choice.click()
        _wait_one_popup(page)
    shown = page.locator(".incident-popup .ip-id").inner_text()
    page.evaluate("document.querySelectorAll('.leaflet-popup-close-button')"
                  ".forEach(function (b) { b.click(); })")
    _wait_no_popup(page)
    return shown


_LEAFLET_MAP = ("Object.keys(window).map(function (k) { return window[k]; })"
                ".find(function (v) { return v instanceof L.Map; })")


def _back_to_view(page, view: dict) -> None:
    """Put the map back where it was drawn: a popup near an edge pans the map to fit (Leaflet's
    autoPan), which can carry symbols on the far side of the world off screen."""
    page.evaluate("(view) => { var map = " + _LEAFLET_MAP + ";"
                  " map.setView(view.center, view.zoom, {animate: false}); }", view)


def _wait_still(page) -> None:
    """Wait for the pan that fits an opened list on screen to end, so a click lands where
    the list's entry is drawn, not where it was a frame ago."""
    page.wait_for_function("() => { var map = " + _LEAFLET_MAP + ";"
                           " return !!map && !(map._panAnim && map._panAnim._inProgress); }",
                           timeout=3000)
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => "
                  "requestAnimationFrame(done)))")


def _wait_one_popup(page) -> None:
    page.wait_for_function("document.querySelectorAll('.leaflet-popup').length === 1",
                           timeout=3000)


def _wait_no_popup(page) -> None:
    # a closed popup fades out for 200 ms before it leaves the page
    page.wait_for_function("!document.querySelector('.leaflet-popup')", timeout=3000)


def test_every_curated_incident_opens_by_click_at_the_default_view(browser, curated, tmp_path):
    page_html = inline_html(build_map(curated, offline=True, animate=False, legend_open=False))
    data, _ = incident_payload(page_html)
    path = tmp_path / "all.html"
    path.write_text(page_html, encoding="utf-8")
    blocked, errors = [], []
    page = open_page(browser, path, blocked, errors)
    try:
        page.wait_for_timeout(300)
        view = page.evaluate("() => { var map = " + _LEAFLET_MAP + ";"
                             " var c = map.getCenter();"
                             " return {center: [c.lat, c.lng], zoom: map.getZoom()}; }")
        opened = []
        for index, incident_id in enumerate(data["id"]):
            _back_to_view(page, view)
            opened.append(_open_by_click(page, incident_id, index))
        assert opened == data["id"]
        assert len(opened) == int(curated["has_coords"].sum()) > 25
        assert errors == [] and blocked == []
    finally:
        page.close()


def test_every_curated_incident_opens_when_focused(browser, curated, tmp_path):
    # Every incident with a point, one focused map each (a few seconds apiece), as a link
    # with ``?incident=`` or a briefing step would draw it.
    ids = curated.loc[curated["has_coords"], "id"].tolist()
    assert len(ids) > 200
    page = None
    blocked, errors = [], []
    try:
        for incident_id in ids:
            m = build_map(curated, offline=True, focus_id=incident_id, animate=False,
                          legend_open=False)
            page_html = inline_html(m)
            data, options = incident_payload(page_html)
            path = tmp_path / f"focus-{incident_id}.html"
            path.write_text(page_html, encoding="utf-8")
            if page is None:
                page = open_page(browser, path, blocked, errors)
            else:
                page.goto(path.as_uri())
                page.wait_for_selector(".incident-marker")
            # the focus opens the right popup by itself ...
            page.locator(".incident-popup .ip-id").wait_for(timeout=5000)
            assert page.locator(".incident-popup .ip-id").inner_text() == incident_id
            page.evaluate("document.querySelectorAll('.leaflet-popup-close-button')"
                          ".forEach(function (b) { b.click(); })")
            _wait_no_popup(page)
            # ... and a click on its symbol opens it again
            assert _open_by_click(page, data["id"][options["focus"]], options["focus"]) \
                == incident_id
        assert errors == [] and blocked == []
    finally:
        if page is not None:
            page.close()


def test_markers_are_named_and_the_map_is_one_tab_stop(browser, curated, tmp_path):
    path = tmp_path / "keys.html"
    path.write_text(inline_html(build_map(curated, offline=True, animate=False)),
                    encoding="utf-8")
    blocked, errors = [], []
    page = open_page(browser, path, blocked, errors)
    try:
        markers = page.locator(".incident-marker")
        names = markers.evaluate_all("(els) => els.map((e) => e.getAttribute('aria-label'))")
        assert len(names) > 25 and all(names)
        assert any("Roman Tsepov" in name and "2004" in name for name in names), names
        assert page.locator(".incident-marker[tabindex]").count() == 0
        page.locator(".leaflet-container").focus()
        page.keyboard.press("Enter")
        page.locator(".incident-stack").wait_for(timeout=3000)
        assert page.locator(".incident-stack button.is-item").count() > 5
        # the first entry has focus; Enter on it opens that incident
        page.keyboard.press("Enter")
        page.locator(".incident-popup .ip-id").wait_for(timeout=3000)
        assert errors == [] and blocked == []
    finally:
        page.close()
