"""Time from opening a URL to the map's incident symbols, in headless Chromium.

    .venv/bin/python benchmarks/bench_draw.py [--runs 5] [--data data/incidents.csv]

Starts the dashboard offline on a free port, opens each URL ``--runs`` times in a fresh
browser context (empty cache, as a first visit) and as many times again in one context
(cached, as a colleague reopening a link), and prints min / median / max per URL. The
first view after start-up is printed apart: it pays for the server's first page run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from dashboard.data.filters import apply_filters, parse_query_params
from dashboard.data.loading import load_incidents
from dashboard.exports.browser import launch_chromium
from dashboard.server.background import running_dashboard

ROOT = Path(__file__).resolve().parents[1]
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
URLS = ("", "years=2024-2025&country=ES", "view=briefing")


def draw_seconds(page, base_url: str, query: str) -> float:
    started = time.monotonic()
    page.goto(f"{base_url}/?{query}")
    page.frame_locator(MAP_IFRAME).locator(".incident-marker").first.wait_for(timeout=60_000)
    return time.monotonic() - started


def summary(values: list[float]) -> str:
    return (f"min {min(values):.2f} s  median {statistics.median(values):.2f} s  "
            f"max {max(values):.2f} s  (n={len(values)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "incidents.csv")
    args = parser.parse_args()
    incidents = load_incidents(args.data)
    for query in URLS:
        params = {k: v for k, v in (p.split("=", 1) for p in query.split("&") if p)}
        params.pop("view", None)
        shown = apply_filters(incidents, parse_query_params(params)[0])
        assert shown["has_coords"].any(), f"no incident on the map for ?{query}"
    log = Path(tempfile.gettempdir()) / "incident-map-bench-draw.log"
    with running_dashboard(data=args.data, log_path=log, cwd=ROOT) as base_url, \
            launch_chromium() as browser:
        viewport = {"width": 1440, "height": 900}
        context = browser.new_context(viewport=viewport)
        first = draw_seconds(context.new_page(), base_url, "")
        context.close()
        print(f"first view after start-up: {first:.2f} s")
        for query in URLS:
            cold = []
            for _ in range(args.runs):
                context = browser.new_context(viewport=viewport)
                cold.append(draw_seconds(context.new_page(), base_url, query))
                context.close()
            context = browser.new_context(viewport=viewport)
            page = context.new_page()
            draw_seconds(page, base_url, query)
            cached = [draw_seconds(page, base_url, query) for _ in range(args.runs)]
            context.close()
            print(f"/?{query}")
            print(f"  empty browser cache: {summary(cold)}")
            print(f"  cached:              {summary(cached)}")


if __name__ == "__main__":
    main()
