"""The dashboard in headless Chromium, against the real offline server.

Expected marker counts come from the dataset through ``apply_filters``; every request
must stay on the dashboard's origin (checked by the ``page`` fixture).
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from dashboard.data.filters import apply_filters, parse_query_params
from dashboard.data.loading import load_incidents
from dashboard.data.schema import is_http_url, split_sources
from dashboard.data.sources import readable
from dashboard.maps.mapping import CLUSTER_THRESHOLD
from dashboard.page.briefing import briefing_steps

from .conftest import DATASET, wait_settled

LOAD_TIMEOUT_MS = 60_000  # the whole map on a busy 2-core machine
#: In the map's frame: how many incidents the clusters and the single symbols on screen
#: stand for (0 until the map has its incidents).
DRAWN = """() => {
    if (!window.map?.incidentMap) { return 0; }
    const counts = [...document.querySelectorAll('.marker-cluster')]
        .map((el) => parseInt(el.textContent, 10) || 0);
    return counts.reduce((a, b) => a + b, 0)
        + document.querySelectorAll('.incident-marker').length;
}"""


@pytest.fixture(scope="module")
def incidents():
    return load_incidents(DATASET)


def on_map(incidents, query: str):
    filters, notices = parse_query_params(parse_qs(query))
    assert notices == []
    shown = apply_filters(incidents, filters)
    return shown[shown["has_coords"]]


_views_opened: list[str] = []
#: Every marker on its own: the curated dataset has more points than CLUSTER_THRESHOLD,
#: which the default view gathers into clusters.
MARKERS = "layers=markers"


def open_and_count(page, query: str, expected: int) -> float:
    """Open ``/?query``; wait until the map shows ``expected`` markers (more than
    CLUSTER_THRESHOLD with the default layers: clusters, whose counts and single symbols,
    seen from the whole world, add up to ``expected``); seconds it took."""
    _views_opened.append(query)
    started = time.monotonic()
    page.page.goto(f"{page.base_url}/?{query}")
    frame = page.map_frame()
    expect(frame.locator(".leaflet-container")).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    if expected <= CLUSTER_THRESHOLD or "layers=" in query:
        expect(frame.locator(".incident-marker")).to_have_count(expected,
                                                                timeout=LOAD_TIMEOUT_MS)
        return time.monotonic() - started
    expect(frame.locator(".marker-cluster").first).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    seconds = time.monotonic() - started
    inner = next(f for f in page.page.frames if "streamlit_folium" in (f.url or ""))
    inner.evaluate("() => { map.setView([30, 10], 2, {animate: false}); }")
    inner.wait_for_function(f"expected => ({DRAWN})() === expected", arg=expected,
                            timeout=LOAD_TIMEOUT_MS)
    return seconds


@pytest.mark.parametrize(
    ("query", "shot"),
    [("", "dashboard.png"), (MARKERS, "dashboard-markers.png"),
     ("years=2024-2025&country=ES", "dashboard-2024-2025-ES.png")],
)
def test_map_draws_one_marker_per_incident(page, incidents, query, shot):
    expected = on_map(incidents, query)
    assert len(expected) > 0, "the dataset has no located incident for this view"
    seconds = open_and_count(page, query, len(expected))
    when = ("first view since the server started: includes its one-off imports"
            if len(_views_opened) == 1 else "server warm")
    print(f"\nmap drawn with {len(expected)} markers in {seconds:.2f} s for '/?{query}' ({when})")
    if expected["year"].nunique() > 1:
        expect(page.map_frame().locator(".incident-play-button")).to_be_visible()
    metric = page.page.get_by_test_id("stMetric").filter(has_text="Incidents").first
    expected_rows = apply_filters(incidents, parse_query_params(parse_qs(query))[0])
    expect(metric).to_contain_text(str(len(expected_rows)))
    wait_settled(page.page)
    page.screenshot(shot)


def test_marker_popup_shows_sources(page, incidents):
    located = on_map(incidents, "")
    with_links = located[located["sources"].map(
        lambda cell: any(is_http_url(item) for item in split_sources(cell))
    )]
    assert len(with_links) > 0, "no located incident has an http(s) source to check"
    chosen = with_links.iloc[-1]
    open_and_count(page, MARKERS, len(located))
    frame = page.map_frame()
    # A click event on that very marker (a pointer click could land on a neighbour on top).
    frame.locator(f".incident-{chosen['id']}").first.dispatch_event("click")
    popup = frame.locator(".leaflet-popup-content")
    expect(popup).to_be_visible(timeout=10_000)
    stack = frame.locator(".incident-stack")
    if stack.count():  # symbols share the spot: the list names them all; pick this one
        stack.locator("button", has_text=chosen["title"]).first.click()
        # the list's popup closes and the incident's opens: wait until the list is gone and
        # one popup is left
        expect(frame.locator(".incident-stack")).to_have_count(0, timeout=10_000)
        popup = frame.locator(".leaflet-popup .incident-popup").filter(
            has_text=chosen["title"]).last
        expect(popup).to_be_visible(timeout=10_000)
    expect(popup).to_contain_text(chosen["title"])
    for item in split_sources(chosen["sources"]):
        if is_http_url(item):
            link = popup.locator(f'a[href="{item}"]')
            expect(link).to_have_count(1)
            assert link.get_attribute("target") == "_blank"
        else:
            # Seeds by their document's title (cut to the popup's width), never a file name.
            expect(popup).to_contain_text(readable(item).label[:40])
    page.screenshot("dashboard-popup.png")


def test_cluster_and_heat_layers_load_their_plugins_when_switched_on(page, incidents):
    located = on_map(incidents, "")
    open_and_count(page, MARKERS, len(located))
    frame = page.map_frame()
    assert frame.locator(".marker-cluster").count() == 0
    frame.locator(".leaflet-control-layers").hover()
    frame.get_by_label("Clusters").check()
    expect(frame.locator(".marker-cluster").first).to_be_visible(timeout=10_000)
    frame.get_by_label("Heat map").check()
    expect(frame.locator("canvas.leaflet-heatmap-layer")).to_have_count(1, timeout=10_000)
    loaded = [url for url in page.requests if "markercluster" in url or "leaflet-heat" in url]
    assert loaded and all(url.startswith(page.base_url + "/app/static/vendor/")
                          for url in loaded), loaded
    page.screenshot("dashboard-clusters-heat.png")


def test_briefing_steps_forward(page, incidents):
    steps = briefing_steps(incidents)
    assert len(steps) >= 2
    first, second = (incidents.set_index("id").loc[step] for step in steps[:2])
    page.page.goto(f"{page.base_url}/?view=briefing&incident={steps[0]}")
    card = page.page.locator(".im-card")
    expect(card).to_contain_text(first["title"], timeout=LOAD_TIMEOUT_MS)
    expect(page.page.locator(".im-step")).to_have_text(f"Step 1 of {len(steps)}")
    expect(page.page.get_by_test_id("stSidebar")).to_have_count(0)
    wait_settled(page.page)
    page.screenshot("briefing.png")

    page.page.get_by_role("button", name="Next").click()
    expect(card).to_contain_text(second["title"], timeout=LOAD_TIMEOUT_MS)
    expect(page.page.locator(".im-step")).to_have_text(f"Step 2 of {len(steps)}")
    page.page.wait_for_function(
        "id => new URLSearchParams(location.search).get('incident') === id", arg=steps[1],
        timeout=10_000,
    )
    query = parse_qs(urlparse(page.page.url).query)
    assert query["view"] == ["briefing"] and query["incident"] == [steps[1]]
    page.screenshot("briefing-step-2.png")


def test_choosing_a_table_row_focuses_the_map(page, incidents):
    query = "country=ES"
    rows = apply_filters(incidents, parse_query_params(parse_qs(query))[0])
    assert len(rows) >= 2
    chosen = rows.iloc[1]
    open_and_count(page, query, int(rows["has_coords"].sum()))
    grid = page.page.get_by_test_id("stDataFrame")
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    # The grid is a canvas: header row, then 35-px rows; the selection boxes are on the left.
    page.page.mouse.click(box["x"] + 18, box["y"] + 35 + 35 * 1 + 17)
    page.page.wait_for_function(
        "id => new URLSearchParams(location.search).get('incident') === id",
        arg=chosen["id"], timeout=10_000,
    )
    expect(page.page.locator(".im-card")).to_contain_text(chosen["title"], timeout=10_000)
    expect(page.map_frame().locator(".incident-focus")).to_have_count(1, timeout=LOAD_TIMEOUT_MS)
    page.screenshot("dashboard-focus.png")
