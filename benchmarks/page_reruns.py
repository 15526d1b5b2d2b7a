"""The page re-run after filter changes, timed in-process (Streamlit AppTest): the loop
``bench_page.py`` and ``bench_scale.py`` share.

Each sample changes one sidebar filter and re-runs the page script, the same work the
server does when a user moves a widget; the changes alternate so every run really changes
the view (years, event types, a search).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "app.py"


class PageRaised(RuntimeError):
    """The page script raised; the message lists the exceptions."""


@dataclass
class Reruns:
    first_s: float
    samples_s: list[float]
    #: A large dataset's first run draws the map alone (map first); the run that adds the
    #: page around it, or None when the first run showed everything.
    rest_s: float | None = None


def time_reruns(data: Path, runs: int, *, types: tuple[str, str], offline: bool = True,
                timeout_s: float = 120) -> Reruns:
    """Run the page on ``data`` once (cold caches), then ``runs`` times after a change."""
    os.environ["INCIDENT_MAP_DATA"] = str(data.resolve())
    if offline:
        os.environ["INCIDENT_MAP_OFFLINE"] = "1"
    from streamlit.testing.v1 import AppTest

    from dashboard.data.filters import year_span
    from dashboard.data.loading import load_incidents

    span = year_span(load_incidents(data))
    middle = (span[0] + span[1]) // 2
    at = AppTest.from_file(str(APP), default_timeout=timeout_s)
    started = time.perf_counter()
    at.run()
    first = time.perf_counter() - started
    _check(at)
    rest = None
    if not [slider for slider in at.slider if slider.key == "f_years"]:
        started = time.perf_counter()
        at.run()  # as the map-first view's timer does
        rest = time.perf_counter() - started
        _check(at)
    changes = [
        lambda: at.slider(key="f_years").set_value((middle, span[1])),
        lambda: at.slider(key="f_years").set_value(span),
        lambda: at.multiselect(key="f_types").set_value(list(types)),
        lambda: at.multiselect(key="f_types").set_value([]),
        lambda: at.text_input(key="f_query").set_value("berlin"),
        lambda: at.text_input(key="f_query").set_value(""),
    ]
    samples = []
    for index in range(runs):
        changes[index % len(changes)]()
        started = time.perf_counter()
        at.run()
        samples.append(time.perf_counter() - started)
        _check(at)
    return Reruns(first_s=first, samples_s=samples, rest_s=rest)


def _check(at) -> None:
    if at.exception:
        raise PageRaised(f"the page raised: {[e.value for e in at.exception]}")
