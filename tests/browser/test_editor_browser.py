"""The editor in headless Chromium: add an incident from a place name, place it, save, see it,
edit it, undo; two sessions saving the same row get a conflict and merge without loss.

The server is started with ``--edit`` on a copy of the curated dataset.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dashboard.data.editing import change_log_path, open_snapshot
from dashboard.data.review import review_queue
from dashboard.server.background import running_dashboard
from tests.browser.conftest import (
    ARTIFACTS,
    DATASET,
    MAP_IFRAME,
    ROOT,
    RecordedPage,
    count_runs,
    streamlit_run,
    wait_for_row,
    wait_settled,
)

NEW_ID = "2025-01-10-madrid-test-school"
KHANGOSHVILI = "2019-08-23-berlin-khangoshvili"
WAIT = 60_000


@pytest.fixture(scope="module")
def editable(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("editable")
    data = folder / "incidents.csv"
    shutil.copyfile(DATASET, data)
    (folder / "briefings").mkdir()  # briefings saved from the page go here
    with running_dashboard(data=data, log_path=ARTIFACTS / "server-editor.log", cwd=ROOT,
                           edit=True,
                           extra_env={"INCIDENT_MAP_BRIEFINGS": str(folder / "briefings")}
                           ) as url:
        yield url, data


def _open(browser, url: str) -> tuple[RecordedPage, object]:
    context = count_runs(browser.new_context(viewport={"width": 1440, "height": 1000}))
    page = RecordedPage(context.new_page(), url)
    page.page.goto(url + "/?view=edit")
    page.page.get_by_label("Title", exact=True).wait_for(timeout=WAIT)
    return page, context


def _fill(page, label: str, value: str) -> None:
    """Type a new value into a field and leave it; wait for the run that follows."""
    box = page.get_by_label(label, exact=True)
    with streamlit_run(page):
        box.fill(value)
        box.press("Tab")


def _choose(page, label: str, value: str) -> None:
    """Choose another option; wait for the run that follows."""
    with streamlit_run(page):
        page.get_by_label(label, exact=True).click()
        page.get_by_role("option", name=value).first.click()


def _type(page, label: str, value: str) -> None:
    """Type into a briefing editor's field and leave it; wait for the run that follows."""
    box = page.get_by_label(label, exact=True)
    with streamlit_run(page):
        box.fill(value)
        box.press("Tab")


def _pick_incident(page, row_id: str) -> None:
    page.get_by_label("Incident", exact=True).click()
    page.keyboard.type(row_id)  # the list is long: typing filters it
    page.get_by_role("option", name=row_id, exact=True).click()
    wait_for_row(page, row_id, timeout=WAIT)


def _validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", "validate", str(path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_add_place_save_see_edit_and_undo(browser, editable):
    url, data = editable
    recorded, context = _open(browser, url)
    page = recorded.page
    try:
        _fill(page, "Your name (recorded in the change log)", "Ana Analyst")
        _fill(page, "Id (slug)", NEW_ID)
        _choose(page, "Date precision", "day")
        # Checked while typing: no Enter, no leaving the field, and the message is beside it.
        page.get_by_label("Date", exact=True).press_sequentially("2025-13-40", delay=40)
        page.get_by_text('"2025-13-40" is not a real date').wait_for(timeout=WAIT)
        assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "Date"
        _fill(page, "Date", "2025-01-10")
        expect(page.get_by_text('"2025-13-40" is not a real date')).to_have_count(0)
        _choose(page, "Event type", "plot")
        _fill(page, "Title", "Test plot at a school")
        _fill(page, "Summary", "A test incident placed from its place name.")
        _fill(page, "Place", "American School of Madrid")
        _fill(page, "Country (ISO code)", "ES")
        _choose(page, "Attribution", "alleged")
        _fill(page, "Sources (one a line: seed file or http(s) link)",
              "https://example.org/report")
        # The gazetteer does not know the school: its town is offered, marked partial, at
        # the coarser precision the gazetteer reports for a partial match. The dataset
        # placed the school itself before: that named site comes first, with its row.
        page.get_by_text(re.compile(r"Madrid, Spain: (city|region) precision, gazetteer "
                                    r"\(part of the text only\)")
                         ).wait_for(timeout=WAIT)
        page.get_by_text("American School of Madrid, Pozuelo de Alarcón, Madrid, Spain: site "
                         "precision, dataset (row 2025-05-21-pozuelo-de-alarcon-portnov)"
                         ).wait_for(timeout=WAIT)
        page.get_by_role("button", name="Use this candidate").click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('input')].some(i => i.value === '40.4428')",
            timeout=WAIT)
        # Drag the point to the site: the coordinates become hand-set.
        # While the page reruns, the old map's frame may linger beside the new one.
        page.wait_for_function(
            "sel => document.querySelectorAll(sel).length === 1", arg=MAP_IFRAME, timeout=WAIT)
        point = recorded.map_frame().locator(".im-picker-point")
        point.wait_for(timeout=WAIT)
        box = point.bounding_box()
        page.mouse.move(box["x"] + 9, box["y"] + 9)
        page.mouse.down()
        page.mouse.move(box["x"] + 40, box["y"] - 20, steps=8)
        page.mouse.up()
        page.get_by_role("button", name="Clear the hand-set point").wait_for(timeout=WAIT)
        page.get_by_text("Say in Notes where these hand-set coordinates come from"
                         ).wait_for(timeout=WAIT)
        _fill(page, "Notes", "Coordinates placed by hand on the school grounds (test).")
        recorded.screenshot("editor-add.png")
        page.get_by_role("button", name="Add this incident").click()
        page.get_by_text(f"Saved {NEW_ID}").wait_for(timeout=WAIT)

        row = open_snapshot(data).rows[NEW_ID]
        assert (row["geocoder"], row["geo_precision"]) == ("manual", "site")
        assert float(row["lat"]) != 40.4428 and abs(float(row["lat"]) - 40.44) < 1
        assert _validate(data).returncode == 0, _validate(data).stdout

        # On the map: the analyst view focuses it and shows its card.
        page.goto(f"{url}/?incident={NEW_ID}")
        page.get_by_text("Test plot at a school").first.wait_for(timeout=WAIT)
        page.frame_locator(MAP_IFRAME).locator(".incident-marker").first.wait_for(timeout=WAIT)

        # Edit it, then undo the edit from the change log.
        page.goto(url + "/?view=edit")
        page.get_by_label("Title", exact=True).wait_for(timeout=WAIT)
        _fill(page, "Your name (recorded in the change log)", "Ana Analyst")
        _pick_incident(page, NEW_ID)
        _fill(page, "Title", "Test plot at a school, edited")
        page.get_by_role("button", name="Save changes").click()
        page.get_by_text(f"Saved {NEW_ID}").wait_for(timeout=WAIT)
        assert open_snapshot(data).rows[NEW_ID]["title"] == "Test plot at a school, edited"

        page.get_by_text("Change log", exact=True).click()
        page.get_by_role("button", name="Undo change 2").click()
        page.get_by_text("Undone: change 2").wait_for(timeout=WAIT)
        recorded.screenshot("editor-log.png")
        assert open_snapshot(data).rows[NEW_ID]["title"] == "Test plot at a school"
        log = [json.loads(line) for line in change_log_path(data).read_text().splitlines()]
        assert [(e["action"], e["who"]) for e in log] == [
            ("add", "Ana Analyst"), ("edit", "Ana Analyst"), ("undo", "Ana Analyst")]
        assert _validate(data).returncode == 0
        assert recorded.outside_origin() == []
    finally:
        context.close()


def test_two_sessions_saving_one_row_get_a_conflict_and_merge(browser, editable):
    url, data = editable
    (first, first_context), (second, second_context) = _open(browser, url), _open(browser, url)
    try:
        for recorded in (first, second):
            _pick_incident(recorded.page, KHANGOSHVILI)
        _fill(first.page, "Notes", "Note saved first.")
        _fill(second.page, "Target", "Target saved second")
        first.page.get_by_role("button", name="Save changes").click()
        first.page.get_by_text(f"Saved {KHANGOSHVILI}").wait_for(timeout=WAIT)
        saved = data.read_bytes()

        second.page.get_by_role("button", name="Save changes").click()
        second.page.get_by_text("changed since you opened it").first.wait_for(timeout=WAIT)
        second.page.get_by_text("Both versions", exact=True).wait_for(timeout=WAIT)
        second.screenshot("editor-conflict.png")
        assert data.read_bytes() == saved  # the refused save wrote nothing
        second.page.get_by_role("button", name="Save the merged version").click()
        second.page.get_by_text(f"Saved {KHANGOSHVILI}").wait_for(timeout=WAIT)
        row = open_snapshot(data).rows[KHANGOSHVILI]
        assert (row["notes"], row["target"]) == ("Note saved first.", "Target saved second")
        assert _validate(data).returncode == 0
    finally:
        first_context.close()
        second_context.close()


KUMARIN = "2007-08-saint-petersburg-kumarin-arrest"  # region precision, place names a city
DELETED = "2016-01-london-litvinenko-inquiry"


def _queue_count(page) -> int:
    text = page.get_by_text(re.compile(r"\d+ incident\(s\) need a person")).inner_text(
        timeout=WAIT)
    return int(text.split()[0])


def test_a_row_of_the_review_queue_is_fixed_in_place_and_leaves_it(browser, editable):
    url, data = editable
    assert KUMARIN in set(review_queue(_frame(data))["id"])
    recorded, context = _open(browser, url)
    page = recorded.page
    try:
        page.get_by_text("Review queue", exact=True).click()
        before = _queue_count(page)
        page.get_by_label("Fix in place", exact=True).click()
        page.keyboard.type(KUMARIN)
        page.get_by_role("option", name=re.compile(re.escape(KUMARIN))).click()
        page.get_by_text("coarse precision: region").first.wait_for(timeout=WAIT)
        page.get_by_text(re.compile(r"^Saint Petersburg, Russia[^:]*: city precision, gazetteer, ")
                         ).wait_for(timeout=WAIT)
        recorded.screenshot("editor-review-fix.png")
        page.get_by_role("button", name="Use this candidate and save").click()
        page.get_by_text(f"Saved {KUMARIN}").wait_for(timeout=WAIT)
        page.get_by_text("it has left the queue").wait_for(timeout=WAIT)
        page.get_by_text(f"{before - 1} incident(s) need a person").wait_for(timeout=WAIT)

        row = open_snapshot(data).rows[KUMARIN]
        assert (row["geo_precision"], row["geocoder"]) == ("city", "gazetteer")
        assert abs(float(row["lat"]) - 59.94) < 0.1
        assert KUMARIN not in set(review_queue(_frame(data))["id"])
        assert change_log_path(data).read_text().splitlines()[-1].count(KUMARIN)
        assert _validate(data).returncode == 0
    finally:
        context.close()


def test_deleting_an_incident_asks_first_is_logged_and_undone(browser, editable):
    url, data = editable
    recorded, context = _open(browser, url)
    page = recorded.page
    try:
        _fill(page, "Your name (recorded in the change log)", "Del Editor")
        _pick_incident(page, DELETED)
        page.get_by_role("button", name="Delete this incident…").click()
        page.get_by_text(f"Delete {DELETED} from the dataset?").wait_for(timeout=WAIT)
        assert DELETED in open_snapshot(data).rows  # nothing happens before the confirmation
        page.get_by_role("button", name="Cancel").click()
        page.get_by_role("button", name="Delete this incident…").wait_for(timeout=WAIT)
        assert DELETED in open_snapshot(data).rows

        page.get_by_role("button", name="Delete this incident…").click()
        page.get_by_role("button", name="Yes, delete it").click()
        page.get_by_text(f"Deleted {DELETED}").wait_for(timeout=WAIT)
        assert DELETED not in open_snapshot(data).rows
        assert _validate(data).returncode == 0
        entry = json.loads(change_log_path(data).read_text().splitlines()[-1])
        assert (entry["action"], entry["id"], entry["who"], entry["after"]) == (
            "delete", DELETED, "Del Editor", None)
        assert entry["before"]["title"].startswith("UK public inquiry")

        page.get_by_text("Change log", exact=True).click()
        page.get_by_role("button", name=f"Undo change {entry['seq']}").click()
        page.get_by_text(f"Undone: change {entry['seq']}").wait_for(timeout=WAIT)
        restored = open_snapshot(data).rows[DELETED]
        assert restored == {k: v for k, v in entry["before"].items()}
        assert _validate(data).returncode == 0
    finally:
        context.close()


def _frame(path: Path):
    import pandas as pd

    snapshot = open_snapshot(path)
    return pd.DataFrame(list(snapshot.rows.values()), columns=snapshot.header, dtype=str)


def test_a_briefing_is_made_from_views_on_the_page_and_presented(browser, editable):
    url, data = editable
    folder = data.parent / "briefings"
    context = count_runs(browser.new_context(viewport={"width": 1440, "height": 1000}))
    page = context.new_page()
    try:
        page.goto(url + "/?country=ES&at=40.4000,-3.7000,6")
        wait_settled(page)
        page.get_by_text("Briefings: add this view as a step").click()
        _type(page, "File name of the new briefing", "from-the-page")
        _type(page, "Briefing title", "Made on the page")
        _type(page, "Heading of the new step", "Spain")
        with streamlit_run(page):
            page.get_by_role("button", name="Add this view as step 1").click()
        expect(page.get_by_label("Step 1 heading", exact=True)).to_have_value("Spain",
                                                                            timeout=WAIT)
        _type(page, "Step 1 caption", "Typed on the page.")
        page.get_by_role("button", name="Save briefing").click()
        expect(page.get_by_text("Saved briefings/from-the-page.toml.")).to_be_visible(
            timeout=WAIT)
        page.screenshot(path=str(ARTIFACTS / "briefing-editor.png"), full_page=True)
        from dashboard.data.briefings import load_briefing

        saved = load_briefing("from-the-page", directory=folder)
        # (Reordering is driven under AppTest: tests/page/test_briefing_editor.py.)
        assert [(s.heading, s.caption) for s in saved.steps] == [("Spain", "Typed on the page.")]
        assert saved.steps[0].filters.countries == ("ES",)
        assert saved.steps[0].at is not None and saved.steps[0].at.zoom == 6
        # It is presented like any authored briefing.
        page.goto(url + "/?briefing=from-the-page")
        expect(page.locator(".im-step-heading")).to_have_text("Made on the page",
                                                               timeout=WAIT)
    finally:
        context.close()
