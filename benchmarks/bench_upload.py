"""A large spreadsheet through the page's upload path, step by step and in the browser.

    .venv/bin/python benchmarks/bench_upload.py [--rows 250000] [--file SHEET] [--no-browser]

Writes an analyst spreadsheet of ROWS rows (``Date, City, Country, Description, Latitude,
Longitude``; or takes ``--file``), then times what the page does with an upload, in
process: reading the bytes (encoding detection included), detecting the format and
guessing the mapping, converting (every row validated), preparing the dataset for the page
and writing the map's browser payload. Then, unless ``--no-browser``, the same file is
uploaded in headless Chromium to a dashboard started for the run: seconds from choosing the
file to the summary line, to the map drawn with every row, and for a search to narrow it;
and the server's peak memory.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOWNS = [("Berlin", "Germany", 52.52, 13.40), ("Madrid", "Spain", 40.42, -3.70),
         ("Kyiv", "Ukraine", 50.45, 30.52), ("Istanbul", "Turkey", 41.01, 28.98),
         ("Vilnius", "Lithuania", 54.69, 25.28)]
HEADER = ["Date", "City", "Country", "Description", "Latitude", "Longitude"]
TIMEOUT_MS = 600_000


def analyst_sheet(rows: int, seed: int = 12) -> bytes:
    rng = random.Random(seed)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for number in range(rows):
        town, country, lat, lon = TOWNS[number % len(TOWNS)]
        writer.writerow([f"{rng.randint(2015, 2024)}-{rng.randint(1, 12):02d}-"
                         f"{rng.randint(1, 28):02d}", town, country,
                         f"Incident {number} near {town}.", f"{lat + rng.uniform(-1, 1):.5f}",
                         f"{lon + rng.uniform(-1, 1):.5f}"])
    return buffer.getvalue().encode("utf-8")


def in_process(raw: bytes, name: str, cache_dir: Path) -> None:
    from dashboard.data.importers import convert_source, detect_source, guess_mapping
    from dashboard.data.importers.reading import read_table
    from dashboard.data.loading import prepare
    from dashboard.maps.payload import write_payload

    def step(label: str, work):
        started = time.perf_counter()
        value = work()
        print(f"  {label:<34} {time.perf_counter() - started:6.2f} s")
        return value

    print(f"in process ({len(raw) / 1e6:.1f} MB):")
    table = step("read (encoding, CSV)", lambda: read_table(raw, name=name))
    step("detect format, guess mapping",
         lambda: (detect_source(table.frame), guess_mapping(list(table.frame.columns))))
    result = step("convert and validate", lambda: convert_source(table, None, None, name=name))
    print(f"  -> {result.summary()}")
    dataset = step("prepare for the page",
                   lambda: prepare(result.incidents, name=name, validated=True))
    step("write the map's browser payload", lambda: write_payload(dataset, cache_dir))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory of this process: {peak:,.0f} MB")


def in_browser(path: Path, rows: int, log: Path) -> None:
    from dashboard.exports.browser import launch_chromium
    from dashboard.server.background import running_dashboard

    print("in the page (headless Chromium, offline):")
    with running_dashboard(data=ROOT / "data" / "incidents.csv", log_path=log,
                           cwd=ROOT) as url, launch_chromium() as chromium:
        page = chromium.new_page(viewport={"width": 1440, "height": 900})
        page.goto(url + "/", timeout=TIMEOUT_MS)
        page.locator('iframe[title="streamlit_folium.st_folium"]').first.wait_for(
            timeout=TIMEOUT_MS)
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_text("Load your data").click()
        started = time.perf_counter()
        sidebar.locator('input[type="file"]').set_input_files(str(path))
        sidebar.get_by_text(f"{rows:,} rows in,").wait_for(timeout=TIMEOUT_MS)
        converted = time.perf_counter() - started
        print(f"  file chosen -> summary line        {converted:6.1f} s")
        sidebar.get_by_text("Show on the map").click()
        started = time.perf_counter()
        _wait_in_frames(page, f'[data-im-scale="drawn"][data-im-visible="{rows}"]')
        print(f"  'Show on the map' -> map drawn     {time.perf_counter() - started:6.1f} s")
        search = page.locator('input[aria-label="Search"]')
        started = time.perf_counter()
        search.fill("Vilnius")
        search.press("Enter")
        _wait_in_frames(page, f'[data-im-scale="drawn"][data-im-visible="{rows // len(TOWNS)}"]')
        print(f"  search -> map narrowed             {time.perf_counter() - started:6.1f} s")
        server_log = log.read_text(encoding="utf-8", errors="replace")
        if "Traceback" in server_log:
            print(f"  the server logged an error: see {log}")


def _wait_in_frames(page, selector: str) -> None:
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        for frame in page.frames:
            try:
                if frame.query_selector(selector) is not None:
                    return
            except Exception:  # the frame went away while we looked
                continue
        page.wait_for_timeout(200)
    raise TimeoutError(f"nothing matched {selector}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=250_000)
    parser.add_argument("--file", type=Path, help="a spreadsheet of your own instead")
    parser.add_argument("--no-browser", action="store_true")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as folder:
        folder = Path(folder)
        if options.file:
            path, rows = options.file, None
        else:
            path, rows = folder / f"sheet-{options.rows}.csv", options.rows
            path.write_bytes(analyst_sheet(options.rows))
        in_process(path.read_bytes(), path.name, folder / "payload")
        if not options.no_browser and rows is not None:
            in_browser(path, rows, folder / "server.log")
    return 0


if __name__ == "__main__":
    sys.exit(main())
