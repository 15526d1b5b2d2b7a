"""Capture "Load your data": a small spreadsheet uploaded, geocoded and shown on the map.

    .venv/bin/python scripts/screenshots_upload.py [--out docs]

Starts ``incident-map serve --offline``, uploads a four-row spreadsheet in headless Chromium
at 1440x900, 1920x1080 and a 390x844 phone, and writes ``screenshot-upload.png`` (1440x900)
and ``upload-1920x1080.png`` / ``upload-390x844.png`` into the output folder.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path

from dashboard.exports.browser import launch_chromium
from dashboard.server.background import running_dashboard

ROOT = Path(__file__).resolve().parents[1]
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
ROWS = [
    ["Date", "City", "Country", "Description", "Latitude", "Longitude"],
    ["2024-03-14", "Villajoyosa", "Spain", "Found shot in a garage.", "38.5075", "-0.2333"],
    ["14/05/2024", "Kraków", "Poland", "A shopping centre burnt down.", "", ""],
    ["2024-05-20", "Vilnius", "Lithuania", "An arson attack on a warehouse.", "54.6872", "25.2797"],
    ["the day after", "Riga", "Latvia", "A date nobody can read.", "56.95", "24.11"],
]
SIZES = {"screenshot-upload.png": (1440, 900), "upload-1920x1080.png": (1920, 1080),
         "upload-390x844.png": (390, 844)}


def capture(browser, base_url: str, sheet: Path, size: tuple[int, int], path: Path) -> None:
    page = browser.new_page(viewport={"width": size[0], "height": size[1]},
                            device_scale_factor=1)
    page.goto(base_url)
    page.frame_locator(MAP_IFRAME).locator(".leaflet-container").wait_for(timeout=60_000)
    sidebar = page.get_by_test_id("stSidebar")
    if size[0] < 640:  # a phone starts with the sidebar closed
        page.get_by_test_id("stExpandSidebarButton").click()
    sidebar.get_by_text("Load your data").click()
    sidebar.locator('input[type="file"]').set_input_files(str(sheet))
    sidebar.get_by_text("rows in,").wait_for(timeout=60_000)
    # One row in four is refused: the page asks before it keeps the other three.
    sidebar.get_by_text("Keep the 3 incidents that converted").click(timeout=60_000)
    sidebar.get_by_role("button", name="Geocode").click(timeout=60_000)
    sidebar.get_by_text("rows located").wait_for(timeout=60_000)
    sidebar.get_by_text("Show on the map").click()
    page.frame_locator(MAP_IFRAME).locator(".incident-marker").nth(2).wait_for(timeout=60_000)
    sidebar.get_by_text("1 problem(s), by row and column").scroll_into_view_if_needed()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(path))
    page.close()
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    options = parser.parse_args(argv)
    options.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        sheet = Path(folder, "analyst-sheet.csv")
        with sheet.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(ROWS)
        log = Path(folder, "server.log")
        with running_dashboard(data=ROOT / "data" / "incidents.csv", log_path=log,
                               cwd=ROOT) as base_url, launch_chromium() as browser:
            for name, size in SIZES.items():
                capture(browser, base_url, sheet, size, options.out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
