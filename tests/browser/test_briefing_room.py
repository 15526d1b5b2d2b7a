"""In front of a room, at 1920x1080: every shipped briefing step flies to what it is about,
the clicker works whatever has focus, the type is large enough, and the map is never blank.

One server (the session's) and one browser page for the module; every wait is on a
condition (predicates guard every optional access and never throw)."""

from __future__ import annotations

import re

import pytest

from dashboard.data.briefings import list_briefings, load_briefing
from dashboard.data.loading import load_incidents
from dashboard.exports.deck import step_rows, step_view
from dashboard.page.views.common import BRIEFING_MAP_HEIGHT, page_map

from .conftest import DATASET, MAP_IFRAME

TIMEOUT_MS = 30_000
FHD = {"width": 1920, "height": 1080}

#: The map's state as the page sees it; null until the map and its incidents are there.
MAP_STATE = """
() => {
  const frame = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
  const view = frame && frame.contentWindow;
  const map = view && view.map;
  if (!map || !map.incidentMap || !map.getSize || !map.getSize().y) { return null; }
  const doc = frame.contentDocument;
  const b = map.getBounds();
  const step = document.querySelector('.im-step');
  return {
    step: step ? step.textContent : '',
    zoom: map.getZoom(), flying: Boolean(map._incidentFlying || map._animatingZoom),
    bounds: [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()],
    focus: map.incidentMap.options.focus,
    places: Array.from(doc.querySelectorAll('.bm-place')).map(e => e.textContent),
    incidentPlaces: Array.from(doc.querySelectorAll('.bm-place.bm-incident'))
      .map(e => e.textContent),
    // (a callout being removed fades out for a moment: only those shown count)
    callouts: Array.from(doc.querySelectorAll('.incident-focus-label'))
      .filter(e => view.getComputedStyle(e).opacity !== '0').map(e => e.textContent),
    // place names whose text runs under the ring around the step's incident
    underRing: (() => {
      const ring = doc.querySelector('.incident-focus');
      if (!ring) { return []; }
      const g = ring.getBoundingClientRect();
      return Array.from(doc.querySelectorAll('.bm-place span')).filter(e => {
        const b = e.getBoundingClientRect();
        return b.width > 0 && b.right > g.left + 2 && b.left < g.right - 2 &&
          b.bottom > g.top + 2 && b.top < g.bottom - 2;
      }).map(e => e.textContent);
    })(),
    frames: document.querySelectorAll('iframe[title="streamlit_folium.st_folium"]').length,
    frame: JSON.stringify(map.incidentMap.options.frame || null),
    // the frames the clicker's keys fly to ahead were written for the step shown
    ahead: (() => {
      const holder = document.querySelector('.im-step-frames');
      try { return JSON.stringify(JSON.parse(holder.getAttribute('data-frames')).here); }
      catch (error) { return null; }
    })(),
  };
}
"""


@pytest.fixture(scope="module")
def incidents():
    return load_incidents(DATASET)


@pytest.fixture(scope="module")
def room(browser):
    """One page at a projector's size for the module."""
    context = browser.new_context(viewport=FHD)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors
    yield page
    context.close()


def wait_step(page, label: str) -> None:
    page.wait_for_function(
        "label => { const s = document.querySelector('.im-step');"
        " return s !== null && s.textContent === label; }", arg=label, timeout=TIMEOUT_MS)


def settled(page, label: str, frame=None) -> dict:
    """The map's state once step ``label`` is shown, the map has its incidents (with
    ``frame``, a :class:`~dashboard.maps.framing.Frame`: the step's frame) and it has stopped
    moving."""
    wait_step(page, label)
    expected = None if frame is None else frame.options()
    page.wait_for_function(
        f"([label, expected]) => {{ const s = ({MAP_STATE})();"
        " return s !== null && s.step === label && !s.flying && s.places.length > 0 &&"
        " s.ahead === s.frame && (expected === null || s.frame === JSON.stringify(expected)); }",
        arg=[label, expected], timeout=TIMEOUT_MS)
    return page.evaluate(MAP_STATE)


def keys_ready(page) -> None:
    page.wait_for_function("() => typeof window.__incidentBriefingKeys === 'function'",
                           timeout=TIMEOUT_MS)


#: In the map's frame: note the step the page shows when each flight starts.
WATCH_FLIGHTS = """() => {
  const frame = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
  const view = frame && frame.contentWindow;
  const map = view && view.map;
  if (!map) { return false; }
  if (!map.__flights) {
    map.__flights = [];
    for (const name of ['flyTo', 'flyToBounds']) {
      const original = map[name];
      map[name] = function (...args) {
        const step = document.querySelector('.im-step');
        map.__flights.push(step ? step.textContent : '');
        return original.apply(this, args);
      };
    }
  }
  return true;
}"""
FLIGHTS = """() => {
  const frame = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
  const map = frame && frame.contentWindow && frame.contentWindow.map;
  const flights = (map && map.__flights) || [];
  if (map) { map.__flights = []; }
  return flights;
}"""


def test_every_shipped_step_flies_to_what_it_is_about(room, server, incidents):
    """Each step is reached by the clicker from the title step, in the same map (no reload):
    a step about an incident opens at its frame's zoom with the incident in view and its
    city named; a step of filters or ``at`` shows its frame. The map starts to fly at the
    key press, while the page still shows the step before, and flies once."""
    checked = 0
    for name in list_briefings():
        briefing = load_briefing(name, ids=incidents["id"])
        room.goto(f"{server}/?briefing={name}")
        settled(room, "Title")
        keys_ready(room)
        room.evaluate("() => { const f = document.querySelector("
                      "'iframe[title=\"streamlit_folium.st_folium\"]');"
                      " f.contentWindow.__sameMap = true; }")
        room.wait_for_function(WATCH_FLIGHTS, timeout=TIMEOUT_MS)
        total = len(briefing.steps)
        before = room.evaluate(MAP_STATE)["frame"]
        shown = "Title"
        for number, step in enumerate(briefing.steps, start=1):
            rows = step_rows(incidents, step)
            view = step_view(step, offline=True)
            frame = page_map(rows, offline=True, focus_id=view.focus_id,
                             height=BRIEFING_MAP_HEIGHT, at=view.at).incident_frame
            room.keyboard.press("PageDown")
            state = settled(room, f"Step {number} of {total}", frame)
            where = (name, number, step.heading)
            if frame.zoom is not None:
                assert state["zoom"] == frame.zoom, (where, state["zoom"], frame.zoom)
            south, west, north, east = state["bounds"]
            if step.incident:
                focus = rows[rows["id"] == step.incident].iloc[0]
                assert south < focus["lat"] < north and west < focus["lon"] < east, where
                assert state["callouts"] == [focus["place"]], (where, state)
                # the incident's city is named on the map (beside the callout, never under it)
                words = set(re.findall(r"\w{4,}", focus["place"]))
                named = any(words & set(re.findall(r"\w{4,}", label))
                            for label in state["incidentPlaces"])
                # (a site outside any town, such as an airport, has no town in view)
                assert named or focus["geo_precision"] == "site", \
                    (where, focus["place"], state["incidentPlaces"])
                # and no name runs under the ring around the incident
                assert state["underRing"] == [], (where, state["underRing"])
            elif frame.bounds is not None:
                (s, w), (n, e) = frame.bounds
                assert south <= s + 0.5 and north >= n - 0.5, (where, state["bounds"])
                assert west <= w + 0.5 and east >= e - 0.5, (where, state["bounds"])
            assert state["frames"] == 1
            flights = room.evaluate(FLIGHTS)
            # one flight, begun before the page's run showed the step; none to a frame the
            # map already shows
            assert flights == ([] if state["frame"] == before else [shown]), (where, flights)
            before, shown = state["frame"], f"Step {number} of {total}"
            checked += 1
        # every step was a change of the incidents in the map already on screen
        assert room.evaluate("() => document.querySelector("
                             "'iframe[title=\"streamlit_folium.st_folium\"]')"
                             ".contentWindow.__sameMap === true")
    assert checked == 10
    assert room.errors == []


def test_type_reads_from_the_back_of_the_room(room, server):
    room.goto(f"{server}/?briefing=tiergarten&step=1")
    settled(room, "Step 1 of 5")
    sizes = room.evaluate("""() => {
      const px = (el) => parseFloat(getComputedStyle(el).fontSize);
      const all = (selector) => Array.from(document.querySelectorAll(selector));
      const body = ['.im-step-heading', '.im-step', '.im-step-caption', '.im-step-meta',
                    '.im-details > summary', '.im-card-summary', '.im-card-sources li',
                    '.im-back a', '.stButton button p']
        .flatMap(selector => all(selector).map(el => [selector, px(el)]));
      const frame = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
      const doc = frame.contentDocument;
      const map = Array.from(doc.querySelectorAll('.bm-place, .incident-focus-label'))
        .map(el => [el.className, px(el)]);
      return {body, map};
    }""")
    assert len(sizes["body"]) >= 9, sizes
    small = [item for item in sizes["body"] if item[1] < 24]
    assert small == [], small
    assert sizes["map"] and all(size >= 20 for _, size in sizes["map"]), sizes["map"]


#: The words of the step bar that run past their box (shown cut, with an ellipsis).
CUT_WORDS = """() => Array.from(document.querySelectorAll(
    '.st-key-brief_prev button *, .st-key-brief_next button *, .im-step, .im-back a'))
  .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.textContent)"""


@pytest.mark.parametrize("size", [(1920, 1080), (1440, 900), (1280, 720), (1024, 768)])
def test_the_step_bar_keeps_its_whole_words_on_every_screen(browser, server, size):
    """A projector's, a laptop's or an old projector's screen: "Previous", "Next", the step
    and the way back are never cut to an ellipsis."""
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    try:
        page.goto(f"{server}/?briefing=tiergarten&step=1")
        wait_step(page, "Step 1 of 5")
        page.locator(".st-key-brief_prev button").wait_for(timeout=TIMEOUT_MS)
        assert page.evaluate(CUT_WORDS) == []
    finally:
        page.close()


def test_the_clicker_works_after_a_click_in_the_map_and_a_popup(room, server):
    room.goto(f"{server}/?briefing=expulsions-2022&step=1")
    settled(room, "Step 1 of 5")
    keys_ready(room)
    frame = room.frame_locator(MAP_IFRAME)
    # A click on the map itself: focus is now inside the map's frame.
    frame.locator(".leaflet-container").click(position={"x": 200, "y": 200})
    room.keyboard.press("PageDown")
    settled(room, "Step 2 of 5")
    # A presenter opens a popup (the focused incident's symbol): focus stays in the frame.
    frame.locator(".incident-marker.im-focus").click()
    frame.locator(".leaflet-popup").wait_for(timeout=TIMEOUT_MS)
    room.keyboard.press("ArrowRight")
    settled(room, "Step 3 of 5")
    room.keyboard.press("Space")
    settled(room, "Step 4 of 5")
    room.keyboard.press("ArrowLeft")
    settled(room, "Step 3 of 5")
    # B: a black screen, and back.
    frame.locator(".leaflet-container").click(position={"x": 300, "y": 300})
    room.keyboard.press("b")
    room.wait_for_function("() => document.getElementById('im-black') !== null",
                           timeout=TIMEOUT_MS)
    room.keyboard.press("b")
    room.wait_for_function("() => document.getElementById('im-black') === null",
                           timeout=TIMEOUT_MS)
    room.keyboard.press("End")
    settled(room, "Step 5 of 5")
    room.keyboard.press("Home")
    wait_step(room, "Title")
    assert room.errors == []


#: Samples the map every 100 ms: blank when the frame, the map or its basemap is missing.
SAMPLER = """
() => {
  window.__mapSamples = [];
  const first = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
  window.__mapSampler = setInterval(() => {
    const frame = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
    const doc = frame && frame.contentDocument;
    const box = doc && doc.querySelector('.leaflet-container');
    const drawn = doc && doc.querySelectorAll('.world-outline, .leaflet-overlay-pane path').length;
    const height = box ? box.getBoundingClientRect().height : 0;
    // how many incidents the map holds (drawn one by one or in clusters)
    const incidents = frame?.contentWindow?.map?.incidentMap?.data?.id?.length ?? 0;
    window.__mapSamples.push({same: frame === first, height: height, drawn: drawn || 0,
                              incidents: incidents});
  }, 100);
}
"""


def test_a_filter_change_never_blanks_the_map(browser, server):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    try:
        page.goto(server)
        page.wait_for_function(f"() => {{ const s = ({MAP_STATE})();"
                               " return s !== null && s.places.length > 0; }",
                               timeout=TIMEOUT_MS)
        before = page.evaluate(
            "() => document.querySelector('iframe[title=\"streamlit_folium.st_folium\"]')"
            ".contentWindow.map.incidentMap.data.id.length")
        page.evaluate(SAMPLER)
        search = page.locator('input[aria-label="Search"]')
        search.fill("Berlin")
        search.press("Enter")
        page.wait_for_function(
            "before => { const s = window.__mapSamples || [];"
            " const last = s.length ? s[s.length - 1] : null;"
            " return last !== null && last.incidents > 0 && last.incidents < before; }",
            arg=before, timeout=TIMEOUT_MS)
        samples = page.evaluate("() => { clearInterval(window.__mapSampler);"
                                " return window.__mapSamples; }")
        assert len(samples) >= 3
        blank = [s for s in samples if not s["same"] or s["height"] < 100 or not s["drawn"]]
        assert blank == [], blank[:3]
    finally:
        context.close()
