"""How long a briefing step takes to fly to what it is about, in headless Chromium at 1920x1080.

    .venv/bin/python benchmarks/bench_fly.py [--rounds 2] [--data data/incidents.csv]

Starts the dashboard offline on a free port and steps through every shipped briefing with the
clicker's key (PageDown), as a presenter does, ``--rounds`` times. For each step about an
incident (a step of filters may keep the view it has, so it is stepped through untimed) it prints,
from the key press: when the map starts to fly (at the key, to the frame the page named for it;
else after the page's run sends the step's incidents into the map already on screen), how long
the flight itself lasts (Leaflet's ``flyTo`` to its
``moveend``; ``FLY_SECONDS`` in ``dashboard/maps/framing.py``) and when the map is at rest on
the step's frame. Then the median and the slowest of each, with the machine's load average
before and after.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.data.briefings import list_briefings, load_briefing  # noqa: E402
from dashboard.data.loading import load_incidents  # noqa: E402
from dashboard.exports.browser import launch_chromium  # noqa: E402
from dashboard.exports.deck import step_rows, step_view  # noqa: E402
from dashboard.maps.framing import FLY_SECONDS  # noqa: E402
from dashboard.page.views.common import BRIEFING_MAP_HEIGHT, page_map  # noqa: E402
from dashboard.server.background import running_dashboard  # noqa: E402

MAP = 'document.querySelector(\'iframe[title="streamlit_folium.st_folium"]\')?.contentWindow'
#: In the page: note the time of every clicker key, and in the map's frame the start of every
#: flight and the end of every move (wall-clock milliseconds: the two documents share no
#: other clock).
WATCH = """() => {
    if (!window.__benchKeys) {
        window.__benchKeys = [];
        window.addEventListener('keydown', () => window.__benchKeys.push(Date.now()), true);
    }
    const view = MAP_WINDOW;
    const map = view?.map;
    if (!map || map.__benchWatched) { return Boolean(map); }
    map.__benchWatched = true;
    view.__benchFlights = [];
    view.__benchEnds = [];
    for (const name of ['flyTo', 'flyToBounds']) {
        const original = map[name];
        map[name] = function (...args) {
            view.__benchFlights.push(Date.now());
            return original.apply(this, args);
        };
    }
    map.on('moveend', () => view.__benchEnds.push(Date.now()));
    return true;
}""".replace("MAP_WINDOW", MAP)
#: True once step ``label`` is shown and a flight that started after the last key has ended.
LANDED = """(label) => {
    const step = document.querySelector('.im-step');
    const view = MAP_WINDOW;
    const key = (window.__benchKeys ?? []).at(-1);
    const start = (view?.__benchFlights ?? []).at(-1);
    const end = (view?.__benchEnds ?? []).at(-1);
    return step?.textContent === label && key !== undefined && start !== undefined
        && end !== undefined && start >= key && end >= start
        && !view.map._incidentFlying && !view.map._animatingZoom;
}""".replace("MAP_WINDOW", MAP)
#: For a step of filters, which may keep the view it has: the step is shown, the page's run
#: is over and the map is not moving.
SHOWN = """(label) => {
    const step = document.querySelector('.im-step');
    const app = document.querySelector('[data-testid="stApp"]');
    const view = MAP_WINDOW;
    return step?.textContent === label && app?.dataset.testScriptState === 'notRunning'
        && Boolean(view?.map) && !view.map._incidentFlying && !view.map._animatingZoom;
}""".replace("MAP_WINDOW", MAP)
TIMES = """() => {
    const view = MAP_WINDOW;
    return [window.__benchKeys.at(-1), view.__benchFlights.at(-1), view.__benchEnds.at(-1)];
}""".replace("MAP_WINDOW", MAP)


def step_frame(incidents, step):
    """The frame the page gives a step (as the page and the exports decide it)."""
    rows = step_rows(incidents, step)
    view = step_view(step, offline=True)
    return page_map(rows, offline=True, focus_id=view.focus_id, height=BRIEFING_MAP_HEIGHT,
                    at=view.at).incident_frame


def summary(values: list[float]) -> str:
    return (f"median {statistics.median(values):.2f} s, slowest {max(values):.2f} s "
            f"(n={len(values)})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "incidents.csv")
    options = parser.parse_args(argv)
    print(f"load average before: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    log = Path(tempfile.gettempdir()) / "incident-map-bench-fly.log"
    incidents = load_incidents(options.data)
    to_flight, flights, to_rest = [], [], []
    with running_dashboard(data=options.data.resolve(), log_path=log, cwd=ROOT) as base_url, \
            launch_chromium() as browser:
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        for _ in range(options.rounds):
            for name in list_briefings():
                briefing = load_briefing(name, ids=incidents["id"])
                steps = len(briefing.steps)
                frames = [step_frame(incidents, step) for step in briefing.steps]
                page.goto(f"{base_url}/?briefing={name}&step=0")
                page.wait_for_function(WATCH, timeout=120_000)
                page.wait_for_function(
                    "() => typeof window.__incidentBriefingKeys === 'function'",
                    timeout=120_000)
                for number in range(1, steps + 1):
                    page.keyboard.press("PageDown")
                    if briefing.steps[number - 1].incident is None or (
                            number > 1 and frames[number - 1] == frames[number - 2]):
                        # a step of filters, or one whose frame is the step before's, keeps
                        # the view it has: stepped through, not timed
                        page.wait_for_function(SHOWN, arg=f"Step {number} of {steps}",
                                               timeout=120_000)
                        print(f"{name} step {number}: not timed (a step of filters, or the "
                              "frame of the step before)")
                        continue
                    page.wait_for_function(LANDED, arg=f"Step {number} of {steps}",
                                           timeout=120_000)
                    key, start, end = page.evaluate(TIMES)
                    to_flight.append((start - key) / 1000)
                    flights.append((end - start) / 1000)
                    to_rest.append((end - key) / 1000)
                    print(f"{name} step {number}: flight starts {to_flight[-1]:.2f} s after "
                          f"the key, lasts {flights[-1]:.2f} s; at rest {to_rest[-1]:.2f} s "
                          f"after the key")
        page.close()
    print(f"the flight itself (FLY_SECONDS = {FLY_SECONDS}): {summary(flights)}")
    print(f"key to the flight's start (the page's run): {summary(to_flight)}")
    print(f"key to the map at rest on the step: {summary(to_rest)}")
    print(f"load average after: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
