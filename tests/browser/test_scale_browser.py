"""50,000 incidents in the real dashboard: the data goes to the browser once, a filter
change sends only which rows pass, and a cluster expands when clicked."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import (
    ARTIFACTS,
    MAP_IFRAME,
    ROOT,
    RecordedPage,
    serve,
    wait_settled,
)

ROWS = 50_000
#: A filter change may send the page's own update and the map's mask, never the dataset.
MAX_CHANGE_BYTES = 150_000


@pytest.fixture(scope="module")
def large_data(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scale") / f"incidents-{ROWS}.csv"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_large_dataset.py"),
                    str(ROWS), str(path)], check=True, cwd=ROOT, capture_output=True)
    return path


@pytest.fixture(scope="module")
def large_server(large_data) -> Iterator[str]:
    yield from serve(data=large_data, log_name="server-scale.log")


@pytest.fixture
def large_page(browser, large_server) -> Iterator[RecordedPage]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        recorded = RecordedPage(context.new_page(), large_server)
        yield recorded
        assert recorded.outside_origin() == [], "requests left the dashboard's origin"
    finally:
        context.close()


def _payload_requests(page: RecordedPage) -> list[str]:
    return [url for url in page.requests if "/app/static/cache/" in url and url.endswith(".bin")]


def test_filter_change_sends_only_the_filter(large_page):
    page = large_page.page
    received: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda p: received.append(len(p))))
    page.goto(large_page.base_url + "/", timeout=300_000)
    frame = page.frame_locator(MAP_IFRAME)
    box = frame.locator('[data-im-scale="drawn"]')
    box.wait_for(timeout=300_000)
    assert int(box.get_attribute("data-im-visible")) == ROWS
    assert int(box.get_attribute("data-im-clusters")) > 0
    assert len(_payload_requests(large_page)) == 1
    search = page.locator('input[aria-label="Search"]')
    search.wait_for(timeout=60_000)  # the page around the map follows it (map first)
    wait_settled(page)

    before, requests_before = sum(received), len(large_page.requests)
    search.fill("berlin")
    search.press("Enter")
    changed = frame.locator(f'[data-im-scale="drawn"]:not([data-im-visible="{ROWS}"])')
    changed.wait_for(timeout=60_000)
    wait_settled(page)
    shown = int(changed.get_attribute("data-im-visible"))
    assert 0 < shown < ROWS
    assert page.get_by_text(f"{shown:,} incidents", exact=True).is_visible()
    # Nothing was fetched again and the page's update stayed small.
    assert len(_payload_requests(large_page)) == 1
    new_requests = large_page.requests[requests_before:]
    assert [url for url in new_requests if "/app/static/cache/" in url] == []
    assert sum(received) - before < MAX_CHANGE_BYTES
    large_page.screenshot("scale-filtered.png")


def test_the_map_comes_first_and_the_page_follows_without_drawing_it_again(large_page):
    page = large_page.page
    received: list[int] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda p: received.append(len(p))))
    page.goto(large_page.base_url + "/", timeout=300_000)
    box = page.frame_locator(MAP_IFRAME).locator('[data-im-scale="drawn"]')
    box.wait_for(timeout=300_000)
    box.evaluate("() => { window.imDrawnOnce = true; }")  # in the map's own document
    # The filters, the timeline and the table come by themselves ...
    page.locator('input[aria-label="Search"]').wait_for(timeout=60_000)
    page.get_by_text("Incidents per year").wait_for(timeout=60_000)
    page.locator('[data-testid="stDataFrame"]').wait_for(timeout=60_000)
    wait_settled(page)
    # ... beside the same map, not a new one drawn from the start ...
    assert box.evaluate("() => window.imDrawnOnce === true")
    assert int(box.get_attribute("data-im-visible")) == ROWS
    assert len(_payload_requests(large_page)) == 1
    # ... and once: nothing more arrives while nobody touches the page.
    frames = len(received)
    page.wait_for_timeout(4000)  # deliberate delay: nothing may arrive in this time
    assert len(received) == frames


def _reruns_asked(frames: list[bytes]) -> int:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    count = 0
    for payload in frames:
        message = BackMsg()
        try:
            message.ParseFromString(payload if isinstance(payload, bytes) else payload.encode())
        except Exception:  # not one of Streamlit's messages
            continue
        count += message.WhichOneof("type") == "rerun_script"
    return count


def test_a_filter_change_after_the_user_moved_the_map_runs_the_page_once(large_page):
    """The map's fit to the new filter's incidents is not reported as the user's move: the
    page runs once, and the link loses the old extent (the view is the new incidents)."""
    page = large_page.page
    sent: list[bytes] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    page.goto(large_page.base_url + "/", timeout=300_000)
    frame = page.frame_locator(MAP_IFRAME)
    box = frame.locator('[data-im-scale="drawn"]')
    box.wait_for(timeout=300_000)
    search = page.locator('input[aria-label="Search"]')
    search.wait_for(timeout=60_000)
    zoom = box.get_attribute("data-im-zoom")
    frame.locator(".im-scale-cluster").first.click()  # the user's move
    frame.locator(f'[data-im-scale="drawn"]:not([data-im-zoom="{zoom}"])').wait_for(
        timeout=60_000)
    page.wait_for_function("new URLSearchParams(location.search).has('at')", timeout=30_000)
    wait_settled(page)  # the rerun the move asked for
    before = len(sent)
    search.fill("berlin")
    search.press("Enter")
    frame.locator(f'[data-im-scale="drawn"]:not([data-im-visible="{ROWS}"])').wait_for(
        timeout=60_000)
    page.wait_for_timeout(2000)  # deliberate delay: a second run would be asked by now
    assert _reruns_asked(sent[before:]) == 1
    assert "q=berlin" in page.url and "at=" not in page.url


def test_cluster_expands_on_click(large_page):
    page = large_page.page
    page.goto(large_page.base_url + "/", timeout=300_000)
    frame = page.frame_locator(MAP_IFRAME)
    box = frame.locator('[data-im-scale="drawn"]')
    box.wait_for(timeout=300_000)
    zoom = int(box.get_attribute("data-im-zoom"))
    clusters = frame.locator(".im-scale-cluster")
    before = clusters.count()
    clusters.first.click()
    zoomed = frame.locator(f'[data-im-scale="drawn"]:not([data-im-zoom="{zoom}"])')
    zoomed.wait_for(timeout=30_000)
    assert int(zoomed.get_attribute("data-im-zoom")) > zoom
    # The cluster clicked split: the view now holds several clusters or single points.
    after = int(zoomed.get_attribute("data-im-clusters")) + int(
        zoomed.get_attribute("data-im-points"))
    assert after >= 2 and (after != before or int(zoomed.get_attribute("data-im-points")) > 0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    large_page.screenshot("scale-zoomed.png")


@pytest.mark.parametrize("worker", ["served", "refused"])
def test_close_zooms_are_clustered_by_the_full_index_built_in_a_worker(large_page, large_data,
                                                                       worker):
    """The first view is drawn from a quick index (up to QUICK_MAX_ZOOM); past it the clusters come
    from the full index, built off the page's thread, and still expand on click. A worker
    that cannot start (its script refused) leaves the page to build that index itself."""
    import pandas as pd

    rows = pd.read_csv(large_data, usecols=["lat", "lon"]).dropna()
    densest = rows.round(1).value_counts().index[0]  # the busiest tenth of a degree
    page = large_page.page
    if worker == "refused":
        page.context.route("**/incident_scale_worker.js", lambda route: route.abort())
    page.goto(large_page.base_url + "/", timeout=300_000)
    frame = page.frame_locator(MAP_IFRAME)
    box = frame.locator('[data-im-scale="drawn"]')
    box.wait_for(timeout=300_000)
    assert box.get_attribute("data-im-index") == "quick"
    map_frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    map_frame.evaluate("""([lat, lon]) => {
        const map = Object.keys(window).map(k => window[k]).find(v => v instanceof L.Map);
        map.setView([lat, lon], 14, {animate: false});
    }""", [float(densest[0]), float(densest[1])])
    deep = frame.locator('[data-im-scale="drawn"][data-im-zoom="14"][data-im-index="full"]')
    deep.wait_for(timeout=60_000)
    assert deep.get_attribute("data-im-deep") == ("worker" if worker == "served" else "page")
    clusters = int(deep.get_attribute("data-im-clusters"))
    points = int(deep.get_attribute("data-im-points"))
    assert clusters + points > 0
    if clusters:  # a close cluster expands through the worker's answer
        frame.locator(".im-scale-cluster").first.click()
        frame.locator('[data-im-scale="drawn"][data-im-index="full"]'
                      ':not([data-im-zoom="14"])').wait_for(timeout=30_000)
    large_page.screenshot("scale-street-zoom.png")


def test_a_popup_is_made_from_its_row(large_page, large_data):
    from dashboard.data.loading import load_incidents
    from dashboard.maps.payload import TITLE_LIMIT

    row = load_incidents(large_data).iloc[ROWS // 2]
    page = large_page.page
    page.goto(f"{large_page.base_url}/?incident={row['id']}", timeout=300_000)
    frame = page.frame_locator(MAP_IFRAME)
    title = frame.locator(".incident-popup .ip-title")
    title.wait_for(timeout=120_000)
    expected = row["title"] if len(row["title"]) <= TITLE_LIMIT else (
        row["title"][:TITLE_LIMIT - 1] + "\u2026")
    assert title.inner_text() == expected
    assert frame.locator(".incident-popup .ip-id").inner_text() == row["id"]
    assert row["place"] in frame.locator(".incident-popup .ip-place").inner_text()
    # The texts came from the one chunk file holding that row, fetched for the popup.
    chunks = [url for url in large_page.requests if "/app/static/cache/" in url
              and url.endswith(".json") and "-t" in url.rsplit("/", 1)[1]]
    assert len(chunks) == 1


def test_the_year_player_filters_in_the_browser(large_page):
    page = large_page.page
    sent: list[int] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda p: sent.append(len(p))))
    page.goto(large_page.base_url + "/", timeout=300_000)
    frame = page.frame_locator(MAP_IFRAME)
    box = frame.locator('[data-im-scale="drawn"]')
    box.wait_for(timeout=300_000)
    page.locator('[data-testid="stDataFrame"]').wait_for(timeout=60_000)  # the whole page
    wait_settled(page)
    messages, requests = len(sent), len(large_page.requests)
    slider = frame.locator(".incident-play-slider")
    first = int(slider.get_attribute("min"))
    last = int(slider.get_attribute("max"))
    middle = (first + last) // 2
    slider.evaluate("(el, year) => { el.value = year; el.dispatchEvent(new Event('input')); }",
                    middle)
    fewer = frame.locator(f'[data-im-scale="drawn"]:not([data-im-visible="{ROWS}"])')
    fewer.wait_for(timeout=60_000)
    assert 0 < int(fewer.get_attribute("data-im-visible")) < ROWS
    page.wait_for_timeout(500)  # deliberate delay: no run is asked, nothing fetched in it
    # No rerun was asked of the server and nothing was fetched.
    assert len(sent) == messages
    assert large_page.requests[requests:] == []
