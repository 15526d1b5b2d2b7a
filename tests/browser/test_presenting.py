"""Presenting in headless Chromium: the clicker keys step a briefing, and at projector and
phone sizes the map fills the screen with no empty band and nothing runs off the edge.

Screenshots are kept in tests/artifacts/ (and the important ones in docs/)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from dashboard.data.briefings import load_briefing
from dashboard.data.loading import load_incidents
from dashboard.page.briefing import briefing_steps

from .conftest import DATASET, MAP_IFRAME

LOAD_TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def incidents():
    return load_incidents(DATASET)


def step_query(page) -> str:
    return parse_qs(urlparse(page.url).query).get("step", [""])[0]


def wait_step(page, label: str) -> None:
    expect(page.locator(".im-step")).to_have_text(label, timeout=LOAD_TIMEOUT_MS)


def keys_ready(page) -> None:
    """The key script loads in its own frame after the page; wait until it listens."""
    page.wait_for_function("() => typeof window.__incidentBriefingKeys === 'function'",
                           timeout=LOAD_TIMEOUT_MS)
    page.wait_for_load_state("networkidle")


def test_clicker_and_keyboard_step_an_authored_briefing(browser, server, incidents):
    briefing = load_briefing("expulsions-2022", ids=incidents["id"])
    total = len(briefing.steps)
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    try:
        page.goto(f"{server}/?briefing=expulsions-2022")
        wait_step(page, "Title")
        expect(page.locator(".im-step-heading")).to_have_text(briefing.title)
        keys_ready(page)
        for key, label in (("ArrowRight", "Step 1 of"), ("PageDown", "Step 2 of"),
                           ("Space", "Step 3 of"), ("ArrowLeft", "Step 2 of"),
                           ("PageUp", "Step 1 of"), ("End", f"Step {total} of"),
                           ("Home", "Title")):
            page.keyboard.press(key)
            wait_step(page, label if label == "Title" else f"{label} {total}")
        page.keyboard.press("PageDown")
        wait_step(page, f"Step 1 of {total}")
        page.wait_for_function("() => new URLSearchParams(location.search).get('step') === '1'",
                               timeout=10_000)
        assert step_query(page) == "1"
    finally:
        context.close()


def test_clicker_steps_the_default_briefing(browser, server, incidents):
    steps = briefing_steps(incidents)
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        page.goto(f"{server}/?view=briefing")
        wait_step(page, "Title")  # like an authored briefing, it opens on a title step
        expect(page.locator(".im-step-heading")).to_have_text("All incidents")
        expect(page.locator(".im-title-count")).to_contain_text(f"{len(steps)} steps")
        keys_ready(page)
        page.keyboard.press("PageDown")
        wait_step(page, f"Step 1 of {len(steps)}")
        page.keyboard.press("Space")
        wait_step(page, f"Step 2 of {len(steps)}")
        page.keyboard.press("End")
        wait_step(page, f"Step {len(steps)} of {len(steps)}")
        page.keyboard.press("PageUp")
        wait_step(page, f"Step {len(steps) - 1} of {len(steps)}")
        page.keyboard.press("Home")
        wait_step(page, "Title")
    finally:
        context.close()


LAYOUT_JS = """
(selector) => {
  const frame = document.querySelector(selector);
  const outer = frame.getBoundingClientRect();
  // The map itself inside its frame: the frame alone could be tall around a short map.
  const box = frame.contentDocument.querySelector('.leaflet-container').getBoundingClientRect();
  const label = frame.contentDocument.querySelector('.incident-focus-label')
    .getBoundingClientRect();
  return {labelInside: label.left >= box.left && label.right <= box.right + 0.5 &&
                       label.top >= box.top && label.bottom <= box.bottom + 0.5,bottom: outer.top + box.bottom + window.scrollY, height: box.height,
          width: box.width, frameBottom: outer.bottom + window.scrollY,
          viewportHeight: window.innerHeight, viewportWidth: window.innerWidth,
          scrollWidth: document.documentElement.scrollWidth};
}
"""


#: The focused place's label inside the map and the map not moving (a predicate that
#: never throws: a document still being laid out is "not yet").
AT_REST = """(selector) => {
    try {
        const layout = (LAYOUT)(selector);
        const map = document.querySelector(selector)?.contentWindow?.map;
        return Boolean(layout?.labelInside) && Boolean(map) && !map._incidentFlying
            && !map._animatingZoom;
    } catch (error) {
        return false;
    }
}""".replace("(LAYOUT)", "(" + LAYOUT_JS.strip() + ")")


@pytest.mark.parametrize("name, width, height", [
    ("fhd", 1920, 1080), ("hd", 1280, 720), ("phone", 390, 844)])
def test_the_briefing_fills_the_screen_and_nothing_overflows(browser, server, name, width,
                                                              height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        page.goto(f"{server}/?briefing=tiergarten&step=1")
        wait_step(page, "Step 1 of 5")
        expect(page.frame_locator(MAP_IFRAME).locator(".incident-focus-label")).to_be_visible(
            timeout=LOAD_TIMEOUT_MS)
        # the map framed again once its frame has its final size, and at rest
        page.wait_for_function(AT_REST, arg=MAP_IFRAME, timeout=LOAD_TIMEOUT_MS)
        layout = page.evaluate(LAYOUT_JS, MAP_IFRAME)
        assert layout["scrollWidth"] <= width, layout  # nothing runs off the edge
        assert layout["labelInside"], layout  # the place label stays on the map
        if name != "phone":
            # The map reaches the bottom of the screen: no empty band below it.
            assert height - 40 <= layout["bottom"] <= height, layout
        else:
            assert layout["height"] >= 0.5 * height - 2, layout
        # Analyst controls are not on a presenter's map.
        frame = page.frame_locator(MAP_IFRAME)
        expect(frame.locator(".leaflet-control-layers")).to_be_hidden()
        expect(frame.locator(".incident-play")).to_have_count(0)
        page.screenshot(path=f"tests/artifacts/briefing-{name}.png", full_page=True)
    finally:
        context.close()
