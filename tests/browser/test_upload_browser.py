"""'Load your data' in headless Chromium: upload a spreadsheet, see the detected format, the
column mapping and every problem, geocode offline, show it on the map, save it."""

from __future__ import annotations

import csv

import pytest
from playwright.sync_api import expect

from dashboard.data.loading import load_incidents
from dashboard.data.schema import validate_file

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
        'row 5, column Date: "the day after" is not a usable date; row left out')).to_be_visible()
    page.screenshot("upload-mapping.png")

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
    browser_page.wait_for_timeout(500)
    page.screenshot("upload-on-map.png")
