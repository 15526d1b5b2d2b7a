"""Capture the README screenshots of the dashboard and of briefing mode.

    .venv/bin/python scripts/screenshots.py [--data data/incidents.csv] [--out docs] [--all-sizes]

Starts ``incident-map serve --offline`` on a free port, opens both views in headless
Chromium, waits until the map has drawn its markers and writes
``docs/screenshot-dashboard.png`` and ``docs/screenshot-briefing.png``; then every step of
every shipped briefing at 1920x1080 (``docs/briefings/NAME-step-N.png``, step 0 is the title)
and one step at 1440x900 and on a phone (390x844); the first step of the Tiergarten briefing
at 1920x1080, 1280x720 and on a phone (``docs/screenshot-briefing-SIZE.png``);
``--all-sizes`` writes every step at all three sizes (to look at each step as a laptop's and
a phone's audience would).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from dashboard.data.loading import load_incidents
from dashboard.exports.browser import launch_chromium
from dashboard.server.background import running_dashboard

ROOT = Path(__file__).resolve().parents[1]
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
VIEWPORT = {"width": 1440, "height": 900}
#: The briefing screenshot opens on this incident when the dataset has it.
BRIEFING_INCIDENT = "2019-08-23-berlin-khangoshvili"
#: The shipped briefing whose first step is shown at three screen sizes.
SIZES_BRIEFING = "tiergarten"


def running_server(data: Path):
    """The dashboard on a free port (offline), its log in a temporary file."""
    log = Path(tempfile.gettempdir()) / "incident-map-screenshots.log"
    return running_dashboard(data=data, log_path=log, cwd=ROOT)


def capture(page, url: str, path: Path) -> None:
    page.goto(url)
    frame = page.frame_locator(MAP_IFRAME)
    frame.locator(".leaflet-container").wait_for(timeout=30_000)
    frame.locator(".incident-marker").first.wait_for(timeout=30_000)
    page.wait_for_function(MAP_SETTLED, timeout=60_000)  # the briefing's flight has ended
    temporary = path.with_suffix(".tmp.png")
    page.screenshot(path=str(temporary))
    os.replace(temporary, path)
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


#: True once the map has its incidents, has stopped moving and has laid out its names.
MAP_SETTLED = """() => {
  const frame = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
  const map = frame && frame.contentWindow && frame.contentWindow.map;
  const doc = frame && frame.contentDocument;
  return Boolean(map && map.incidentMap && !map._incidentFlying && !map._animatingZoom &&
                 doc && doc.querySelector('.leaflet-container[data-places]'));
}"""


def capture_briefings(browser, base_url: str, out: Path, *, all_sizes: bool = False) -> None:
    """Every step of every shipped briefing at a projector's size, and one step (every step,
    ``all_sizes``) at a laptop's and a phone's."""
    from dashboard.data.briefings import list_briefings, load_briefing

    folder = out / "briefings"
    folder.mkdir(parents=True, exist_ok=True)
    one = None if all_sizes else 1
    sizes = [("1920x1080", {"width": 1920, "height": 1080}, None),
             ("1440x900", {"width": 1440, "height": 900}, one),
             ("phone", {"width": 390, "height": 844}, one)]
    for label, viewport, only in sizes:
        page = browser.new_page(viewport=viewport, device_scale_factor=1)
        for name in list_briefings():
            steps = len(load_briefing(name).steps)
            for number in range(steps + 1) if only is None else [only]:
                page.goto(f"{base_url}/?briefing={name}&step={number}")
                page.wait_for_function(
                    "label => { const s = document.querySelector('.im-step');"
                    " return s !== null && s.textContent.indexOf(label) === 0; }",
                    arg="Title" if number == 0 else f"Step {number} of", timeout=60_000)
                page.wait_for_function(MAP_SETTLED, timeout=60_000)
                suffix = "" if label == "1920x1080" else f"-{label}"
                path = folder / f"{name}-step-{number}{suffix}.png"
                page.screenshot(path=str(path))
                print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        page.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "incidents.csv")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--all-sizes", action="store_true",
                        help="every briefing step at 1440x900 and on a phone too")
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
        page.close()
        # One briefing step at a projector's, a laptop's and a phone's size (the README's).
        for label, viewport in (("1920x1080", {"width": 1920, "height": 1080}),
                                ("1280x720", {"width": 1280, "height": 720}),
                                ("phone", {"width": 390, "height": 844})):
            page = browser.new_page(viewport=viewport, device_scale_factor=1)
            capture(page, f"{base_url}/?briefing={SIZES_BRIEFING}&step=1",
                    options.out / f"screenshot-briefing-{label}.png")
            page.close()
        capture_briefings(browser, base_url, options.out, all_sizes=options.all_sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
