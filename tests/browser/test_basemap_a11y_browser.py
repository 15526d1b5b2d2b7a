"""The real dashboard, offline: the basemap's detail when zoomed in (finer borders, states,
place names), and axe-core's check.

axe-core (pinned in ``dashboard/maps/assets.py``, fetched by ``make assets``) runs in the
analyst view and in briefing mode, in every frame's document (the map's and the page's
script frames); no serious or critical violation may be found.
"""

from __future__ import annotations

import pytest

from dashboard.maps.assets import vendor_path
from tests.browser.conftest import ARTIFACTS, MAP_IFRAME, wait_settled

AXE = vendor_path("axe-core/axe.min.js")
BERLIN = "2019-08-23-berlin-khangoshvili"
RUN_AXE = """async () => {
    const result = await axe.run(document, {resultTypes: ["violations"]});
    return result.violations
        .filter((v) => v.impact === "serious" || v.impact === "critical")
        .map((v) => v.id + " (" + v.impact + "): " + v.nodes.length + " x " +
                    v.nodes.slice(0, 3).map((n) => n.html.slice(0, 100) + " " + n.failureSummary).join(" | "));
}"""


#: Pixels of the admin-1 borders' canvas that are drawn (0 while there is no canvas).
INKED = """() => {
    const container = document.querySelector('.leaflet-container');
    const canvas = document.querySelector('.leaflet-basemapAdmin-pane canvas');
    if (!canvas || !canvas.width || !(+container?.dataset.admin1 >= 1)) { return 0; }
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width,
                                                      canvas.height).data;
    let inked = 0;
    for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { inked++; } }
    return inked;
}"""


def map_frame(page):
    page.frame_locator('iframe[title="streamlit_folium.st_folium"]') \
        .locator(".incident-marker").first.wait_for(timeout=60_000)
    return next(f for f in page.frames if f.url and "streamlit_folium" in f.url)


def test_focused_map_shows_fine_borders_and_place_names_offline(page):
    page.page.goto(f"{page.server_url if hasattr(page, 'server_url') else page.base_url}"
                   f"/?incident={BERLIN}")
    frame = map_frame(page.page)
    frame.wait_for_function(
        "(document.querySelector('.leaflet-container')?.dataset.basemap ?? '')"
        ".includes('countries-10m')", timeout=30_000)
    frame.wait_for_function(
        "+document.querySelector('.leaflet-container')?.dataset.places > 5", timeout=30_000)
    names = frame.locator(".bm-place").all_inner_texts()
    assert "Berlin" in names, names
    assert len(names) == len(set(names)) or len(names) > 5
    # Germany's states (admin-1) are drawn under the names, on their own canvas: at the
    # focus's street-to-district zoom the view is inside Berlin, so zoom out to see its
    # border with Brandenburg whole.
    frame.evaluate("() => { map.setZoom(9, {animate: false}); }")
    frame.wait_for_function(f"({INKED})() > 200", timeout=30_000)
    page.screenshot("basemap-berlin-focus.png")


@pytest.mark.parametrize("query", ["", "?view=briefing"])
def test_axe_finds_no_serious_violation_in_the_page_and_the_map(page, query):
    page.page.goto(page.base_url + "/" + query)
    frame = map_frame(page.page)
    # Streamlit greys out the elements of a run in progress: check the settled page
    wait_settled(page.page, timeout=30_000)
    # Every frame's document: the page, the map's frame and the frames of the page's scripts
    # (each a document of its own, with its own title and language).
    found = {}
    frames = page.page.frames
    assert frame in frames and len(frames) >= 3, [f.url for f in frames]
    for number, target in enumerate(frames):
        name = "page" if target == page.page.main_frame else (
            "map frame" if target == frame else f"frame {number}")
        target.add_script_tag(path=str(AXE))
        found[name] = target.evaluate(RUN_AXE)
    assert all(violations == [] for violations in found.values()), found


LEGEND_STATE = """() => {
    const box = document.querySelector('.incident-legend');
    const map = document.querySelector('.leaflet-container').getBoundingClientRect();
    const rect = box.getBoundingClientRect();
    return {open: box.open, scroll: box.scrollHeight, client: box.clientHeight,
            inside: rect.top >= map.top - 1 && rect.bottom <= map.bottom + 1,
            items: Array.from(box.querySelectorAll('li')).map(li => li.className)};
}"""


def test_open_legend_explains_everything_without_scrolling_at_1440x900(browser, server):
    """Focused on an expulsion with flows: the legend names the line-end dot, the line
    width, the focus ring and the precision rings, and fits the map without a scroll bar."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        page.goto(server + "/?incident=2018-03-26-tirana-russian-diplomats-expelled")
        frame = map_frame(page)
        frame.locator(".incident-legend").wait_for(timeout=30_000)
        if not frame.evaluate("document.querySelector('.incident-legend').open"):
            frame.locator(".incident-legend summary").click()
        frame.wait_for_function("document.querySelector('.incident-legend')?.open === true",
                                timeout=30_000)
        state = frame.evaluate(LEGEND_STATE)
        page.locator(MAP_IFRAME).screenshot(path=str(ARTIFACTS / "legend-1440x900.png"))
        assert state["open"]
        for item in ("il-end", "il-flow", "il-focus", "il-precision"):
            assert any(item in names for names in state["items"]), (item, state["items"])
        assert state["scroll"] <= state["client"] + 1, state
        assert state["inside"], state
    finally:
        context.close()
