"""Server time of a page re-run after a filter change (Streamlit AppTest, in-process).

    .venv/bin/python benchmarks/bench_page.py [--data data/incidents.csv] [--runs 30]

Each sample changes one sidebar filter and re-runs the page script, the same work the
server does when a user moves a widget (data loading is cached, as in the server).
Prints the median, the 90th percentile and the slowest run in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET_MS = 150.0

from benchmarks.page_reruns import PageRaised, time_reruns  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "incidents.csv")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--online", action="store_true", help="time the online map instead")
    options = parser.parse_args(argv)
    try:
        reruns = time_reruns(options.data, options.runs, offline=not options.online,
                             types=("killing", "diplomatic_expulsion"))
    except PageRaised as error:
        print(error, file=sys.stderr)
        return 1
    first_ms = reruns.first_s * 1000
    samples = [sample * 1000 for sample in reruns.samples_s]
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
