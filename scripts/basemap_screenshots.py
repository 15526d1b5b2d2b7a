"""Capture the offline basemap at zoom 4, 8, 11 and 14 over Madrid, Berlin and Istanbul.

    .venv/bin/python scripts/basemap_screenshots.py [--out docs/basemap] [--zooms 4,8,11,14]

Starts ``incident-map serve --offline`` on a free port, opens the dashboard in headless
Chromium at 1440x900, moves the map in its frame to each place and zoom, waits for the
basemap's detail to draw and writes ``basemap-<place>-z<zoom>.png`` (the map frame only).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dashboard.exports.browser import launch_chromium

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshots import MAP_IFRAME, ROOT, VIEWPORT, running_server  # noqa: E402

PLACES = {"madrid": (40.4168, -3.7038), "berlin": (52.52, 13.405), "istanbul": (41.0082, 28.9784)}
#: The Leaflet map inside the frame (folium names it map_<hash>).
FIND_MAP = "Object.keys(window).map(k => window[k]).find(v => v instanceof L.Map)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "incidents.csv")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "basemap")
    parser.add_argument("--zooms", default="4,8,11,14")
    options = parser.parse_args(argv)
    options.out.mkdir(parents=True, exist_ok=True)
    zooms = [int(z) for z in options.zooms.split(",")]
    with running_server(options.data.resolve()) as base_url, launch_chromium() as browser:
        page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
        page.goto(base_url)
        page.frame_locator(MAP_IFRAME).locator(".incident-marker").first.wait_for(timeout=60_000)
        frame = page.frame(url=lambda url: "streamlit_folium" in url) or next(
            f for f in page.frames if f.url and "component" in f.url)
        for name, (lat, lon) in PLACES.items():
            for zoom in zooms:
                frame.evaluate(f"({FIND_MAP}).setView([{lat}, {lon}], {zoom}, "
                               "{animate: false}) && true")
                page.wait_for_timeout(2500)
                path = options.out / f"basemap-{name}-z{zoom}.png"
                temporary = path.with_suffix(".tmp.png")
                page.locator(MAP_IFRAME).screenshot(path=str(temporary))
                os.replace(temporary, path)
                print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
