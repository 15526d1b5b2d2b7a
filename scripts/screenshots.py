"""Capture the README screenshots of the dashboard and of briefing mode.

    .venv/bin/python scripts/screenshots.py [--data data/incidents.csv] [--out docs]

Starts ``incident-map serve --offline`` on a free port, opens both views in headless
Chromium, waits until the map has drawn its markers and writes
``docs/screenshot-dashboard.png`` and ``docs/screenshot-briefing.png``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from dashboard.data.loading import load_incidents
from dashboard.exports.browser import launch_chromium
from dashboard.maps.mapping import FLY_SECONDS
from dashboard.server.background import running_dashboard

ROOT = Path(__file__).resolve().parents[1]
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
VIEWPORT = {"width": 1440, "height": 900}
#: The briefing screenshot opens on this incident when the dataset has it.
BRIEFING_INCIDENT = "2019-08-23-berlin-khangoshvili"


def running_server(data: Path):
    """The dashboard on a free port (offline), its log in a temporary file."""
    log = Path(tempfile.gettempdir()) / "incident-map-screenshots.log"
    return running_dashboard(data=data, log_path=log, cwd=ROOT)


def capture(page, url: str, path: Path) -> None:
    page.goto(url)
    frame = page.frame_locator(MAP_IFRAME)
    frame.locator(".leaflet-container").wait_for(timeout=30_000)
    frame.locator(".incident-marker").first.wait_for(timeout=30_000)
    # let the briefing's fly-in animation and the chart settle
    page.wait_for_timeout(1500 + int(FLY_SECONDS * 1000))
    temporary = path.with_suffix(".tmp.png")
    page.screenshot(path=str(temporary))
    os.replace(temporary, path)
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "incidents.csv")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    options = parser.parse_args(argv)
    options.out.mkdir(parents=True, exist_ok=True)
    ids = set(load_incidents(options.data)["id"])
    briefing = "view=briefing" + (f"&incident={BRIEFING_INCIDENT}" if BRIEFING_INCIDENT in ids
                                  else "")
    views = {"screenshot-dashboard.png": "", "screenshot-briefing.png": briefing}
    with running_server(options.data.resolve()) as base_url, launch_chromium() as browser:
        page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
        for name, query in views.items():
            capture(page, f"{base_url}/?{query}", options.out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
