"""Server time of a page re-run after a filter change (Streamlit AppTest, in-process).

    .venv/bin/python benchmarks/bench_page.py [--data data/incidents.csv] [--runs 30]

Each sample changes one sidebar filter and re-runs the page script, the same work the
server does when a user moves a widget (data loading is cached, as in the server).
Prints the median, the 90th percentile and the slowest run in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "app.py"
TARGET_MS = 150.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "incidents.csv")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--online", action="store_true", help="time the online map instead")
    options = parser.parse_args(argv)
    os.environ["INCIDENT_MAP_DATA"] = str(options.data.resolve())
    if not options.online:
        os.environ["INCIDENT_MAP_OFFLINE"] = "1"

    from streamlit.testing.v1 import AppTest

    from dashboard.data.filters import year_span
    from dashboard.data.loading import load_incidents

    span = year_span(load_incidents(options.data))
    middle = (span[0] + span[1]) // 2
    at = AppTest.from_file(str(APP), default_timeout=120)
    started = time.perf_counter()
    at.run()
    first_ms = (time.perf_counter() - started) * 1000
    if at.exception:
        print("the page raised:", [e.value for e in at.exception], file=sys.stderr)
        return 1

    # Alternate between filter values so every run really changes the view.
    changes = [
        lambda: at.slider(key="f_years").set_value((middle, span[1])),
        lambda: at.slider(key="f_years").set_value(span),
        lambda: at.multiselect(key="f_types").set_value(["killing", "diplomatic_expulsion"]),
        lambda: at.multiselect(key="f_types").set_value([]),
        lambda: at.text_input(key="f_query").set_value("berlin"),
        lambda: at.text_input(key="f_query").set_value(""),
    ]
    samples = []
    for index in range(options.runs):
        changes[index % len(changes)]()
        started = time.perf_counter()
        at.run()
        samples.append((time.perf_counter() - started) * 1000)
        if at.exception:
            print("the page raised:", [e.value for e in at.exception], file=sys.stderr)
            return 1

    samples.sort()
    median = statistics.median(samples)
    p90 = samples[min(len(samples) - 1, int(0.9 * len(samples)))]
    print(f"dataset: {options.data} ({'online' if options.online else 'offline'} map)")
    print(f"first run (cold cache): {first_ms:.1f} ms")
    print(f"re-run after a filter change, {len(samples)} runs: median {median:.1f} ms, "
          f"p90 {p90:.1f} ms, max {samples[-1]:.1f} ms (target: median < {TARGET_MS:.0f} ms)")
    return 0 if median < TARGET_MS else 2


if __name__ == "__main__":
    sys.exit(main())
