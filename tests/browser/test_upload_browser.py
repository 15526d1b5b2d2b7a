"""'Load your data' in headless Chromium: upload a spreadsheet, see the detected format, the
column mapping and every problem, geocode offline, show it on the map, save it."""

from __future__ import annotations

import csv
import random
import time

import pytest
from playwright.sync_api import Error, expect

from dashboard.data.loading import load_incidents
from dashboard.data.schema import validate_file
from tests.browser.conftest import wait_settled

TIMEOUT_MS = 60_000

ROWS = [
    ["Date", "City", "Country", "Description", "Latitude", "Longitude"],
    ["2024-03-14", "Villajoyosa", "Spain", "Found shot in a garage.", "38.5075", "-0.2333"],
    ["14/05/2024", "Kraków", "Poland", "A shopping centre burnt down.", "", ""],
    ["2024-05-20", "Vilnius", "Lithuania", "<b>not bold</b>", "54.6872", "25.2797"],
    ["the day after", "Riga", "Latvia", "A date nobody can read.", "56.95", "24.11"],
]


@pytest.fixture
def spreadsheet(tmp_path):
    path = tmp_path / "analyst-sheet.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(ROWS)
    return path


def test_upload_geocode_show_and_save(page, spreadsheet, tmp_path):
    browser_page = page.page
    browser_page.goto(page.base_url)
    expect(page.map_frame().locator(".leaflet-container")).to_be_visible(timeout=TIMEOUT_MS)
    sidebar = browser_page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Load your data").click()
    sidebar.locator('input[type="file"]').set_input_files(str(spreadsheet))

    expect(sidebar.get_by_text("a table with a column mapping")).to_be_visible(timeout=TIMEOUT_MS)
    expect(sidebar.get_by_text("4 rows in, 3 incidents out, 1 refused, 0 merged")).to_be_visible(
        timeout=TIMEOUT_MS)
    expect(sidebar.get_by_text(
        'row 5, column Date: "the day after" is not a usable date; row left out')).to_be_visible(
        timeout=TIMEOUT_MS)
    page.screenshot("upload-mapping.png")
    # One row in four refused: the page asks before it keeps the rest.
    expect(sidebar.get_by_text("Only 75% of the file's rows converted")).to_be_visible(
        timeout=TIMEOUT_MS)
    sidebar.get_by_text("Keep the 3 incidents that converted").click()

    sidebar.get_by_role("button", name="Geocode 1 row(s) without coordinates").click()
    expect(sidebar.get_by_text("1 of 1 rows located")).to_be_visible(timeout=TIMEOUT_MS)

    with browser_page.expect_download() as download_info:
        sidebar.get_by_role("button", name="Save as dataset (CSV)").click()
    saved = tmp_path / "saved.csv"
    download_info.value.save_as(saved)
    assert validate_file(saved) == []
    dataset = load_incidents(saved)
    assert sorted(dataset["country"]) == ["ES", "LT", "PL"] and dataset["has_coords"].all()

    sidebar.get_by_text("Show on the map").click()
    frame = page.map_frame()
    expect(frame.locator(".incident-marker")).to_have_count(3, timeout=TIMEOUT_MS)
    metric = browser_page.get_by_test_id("stMetric").filter(has_text="Incidents").first
    expect(metric).to_contain_text("3")
    expect(browser_page.locator("b", has_text="not bold")).to_have_count(0)
    wait_settled(browser_page)
    page.screenshot("upload-on-map.png")


LARGE_ROWS = 50_000
#: Towns the large sheet's rows are spread around (lat, lon); coordinates are jittered.
TOWNS = [("Berlin", "Germany", 52.52, 13.40), ("Madrid", "Spain", 40.42, -3.70),
         ("Kyiv", "Ukraine", 50.45, 30.52), ("Istanbul", "Turkey", 41.01, 28.98),
         ("Vilnius", "Lithuania", 54.69, 25.28)]


@pytest.fixture
def large_sheet(tmp_path):
    """A 50,000-row analyst spreadsheet, written at test time."""
    rng = random.Random(12)
    path = tmp_path / "large-sheet.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ROWS[0])
        for number in range(LARGE_ROWS):
            town, country, lat, lon = TOWNS[number % len(TOWNS)]
            writer.writerow([f"{rng.randint(2015, 2024)}-{rng.randint(1, 12):02d}-"
                             f"{rng.randint(1, 28):02d}", town, country,
                             f"Incident {number} near {town}.",
                             f"{lat + rng.uniform(-0.5, 0.5):.5f}",
                             f"{lon + rng.uniform(-0.5, 0.5):.5f}"])
    return path


def _wait_in_a_frame(browser_page, selector: str, timeout_s: float):
    """The first element matching ``selector`` in any frame (while Streamlit swaps the map
    for the large-data map, the old map's frame is still there for a moment)."""
    browser_page.wait_for_function(
        "sel => [...document.querySelectorAll('iframe')]"
        ".some(f => !!f.contentDocument?.querySelector(sel))",
        arg=selector, timeout=timeout_s * 1000)
    for frame in browser_page.frames:
        try:
            found = frame.query_selector(selector)
        except Error:  # a frame that went away since
            continue
        if found is not None:
            return found
    raise AssertionError(f"{selector} was seen, then went away")


def test_a_large_upload_stays_responsive(page, large_sheet):
    """50,000 rows: the page reports progress, converts them, draws them on the map and
    still answers a filter change; each step is given a minute, never more."""
    browser_page = page.page
    browser_page.goto(page.base_url)
    expect(page.map_frame().locator(".leaflet-container")).to_be_visible(timeout=TIMEOUT_MS)
    sidebar = browser_page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Load your data").click()
    started = time.monotonic()
    sidebar.locator('input[type="file"]').set_input_files(str(large_sheet))
    # While the file is read and converted the page says so (Streamlit's spinner) ...
    expect(browser_page.get_by_test_id("stSpinner").or_(
        sidebar.get_by_text(f"{LARGE_ROWS:,} rows in"))).to_be_visible(timeout=TIMEOUT_MS)
    expect(sidebar.get_by_text(
        f"{LARGE_ROWS:,} rows in, {LARGE_ROWS:,} incidents out, 0 refused, 0 merged")
    ).to_be_visible(timeout=TIMEOUT_MS)
    converted = time.monotonic() - started

    sidebar.get_by_text("Show on the map").click()
    drawn = _wait_in_a_frame(
        browser_page, f'[data-im-scale="drawn"][data-im-visible="{LARGE_ROWS}"]', 60)
    assert int(drawn.get_attribute("data-im-clusters")) > 0
    shown = time.monotonic() - started
    metric = browser_page.get_by_test_id("stMetric").filter(has_text="Incidents").first
    expect(metric).to_contain_text(f"{LARGE_ROWS:,}")

    # ... and it is not frozen: a search narrows the map to one town's rows.
    search = browser_page.locator('input[aria-label="Search"]')
    search.fill("Vilnius")
    search.press("Enter")
    _wait_in_a_frame(
        browser_page, f'[data-im-scale="drawn"][data-im-visible="{LARGE_ROWS // len(TOWNS)}"]',
        60)
    print(f"\n50,000-row upload: converted after {converted:.1f} s, on the map after "
          f"{shown:.1f} s, a search answered after {time.monotonic() - started:.1f} s")
    page.screenshot("upload-large-on-map.png")
