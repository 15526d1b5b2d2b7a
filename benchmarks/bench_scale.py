"""Large data, side by side: the dashboard at 250,000 incidents against naive folium.

    .venv/bin/python benchmarks/bench_scale.py [--rows 250000] [--data FILE]
                                               [--naive 10000,50000] [--runs 12]
                                               [--exports | --exports-only]

Builds a synthetic dataset of ``--rows`` rows with ``scripts/make_large_dataset.py`` (or
uses ``--data``, any dataset in our format, e.g. a converted ACLED or GTD export), then
prints, in one run:

- server time per rerun (the page script re-run after a filter change, Streamlit AppTest,
  in-process; median and slowest), and its parts: filtering and building the map;
- in the real dashboard (``incident-map serve --offline``) driven by headless Chromium:
  bytes to the browser for opening the view and for one filter change (HTTP bodies plus
  websocket frames), time from opening the link to the first clusters drawn, time from a
  click on a cluster to the zoomed-in view drawn, the browser's JS heap and the server's
  peak memory (VmHWM);
- the naive folium approach (one ``CircleMarker`` with a ``Popup`` per incident) at the
  ``--naive`` sizes against our map of the same rows, both as pages of their own served from
  a local web server: time to build the page, its bytes, the time Chromium takes to draw it
  and its heap (``--naive-only`` runs just this comparison).

Goals: rerun <= 0.5 s, <= 5 MB per view, <= 100 KB per filter change, first draw
<= 4 s, zoom <= 1 s, server memory <= 1 GB; >= 100x faster than naive folium at 50k.

Sources served through the query engine (millions of rows; ``dashboard/data/engine/``):

    .venv/bin/python benchmarks/bench_scale.py engine --source FILE.csv|parquet:PATH|...
                                                      [--exports]
    .venv/bin/python benchmarks/bench_scale.py engine --queries parquet:P,postgresql://...,spark:T
    .venv/bin/python benchmarks/bench_scale.py engine replicate IN.parquet 10 OUT.parquet

``--source``: the server started on the source (a large CSV is converted to Parquet once,
before: run it once first) and the time from its start to the first clusters in an empty
browser, three times; later views, bytes to open a view, a filter change, a cluster click,
the server's peak memory, and with ``--exports`` the streamed CSV and GeoJSON of every row
with the server's memory before and after. ``--queries``: the page's questions (counts,
timelines, map views, a table page) on each engine, side by side, first run and median.
Goals at 2,000,000 rows from a file: first clusters <= 10 s from the server's start, later
views <= 4 s, <= 10 MB to open a view, <= 100 KB per filter change, server <= 1.5 GB,
every export <= 500 MB of server memory; at 20,000,000 on DuckDB: first view <= 5 s,
<= 2 MB per view, <= 1 s per filter change.
"""

from __future__ import annotations

import argparse
import http.server
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
NAIVE_TIMEOUT_S = 600

from benchmarks.page_reruns import time_reruns  # noqa: E402


def make_dataset(rows: int, folder: Path) -> Path:
    path = folder / f"incidents-{rows}.csv"
    if not path.exists():
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_large_dataset.py"),
                        str(rows), str(path)], check=True, cwd=ROOT)
    return path


# --------------------------------------------------------------------------- server time

def server_rerun(data: Path, runs: int) -> dict[str, float]:
    """Median and slowest page rerun after a filter change, in seconds (AppTest)."""
    from dashboard.data.filters import Filters, year_span
    from dashboard.data.loading import load_incidents
    from dashboard.data.query import PandasQuery
    from dashboard.maps.payload import write_payload
    from dashboard.maps.scale_map import build_scale_map

    reruns = time_reruns(data, runs, types=("killing", "arrest"), timeout_s=600)
    first, samples, rest = reruns.first_s, reruns.samples_s, reruns.rest_s
    incidents = load_incidents(data)
    span = year_span(incidents)
    middle = (span[0] + span[1]) // 2
    # The parts, outside Streamlit.
    filters = Filters(years=(middle, span[1]), event_types=("killing", "arrest"))
    query = PandasQuery(incidents)
    started = time.perf_counter()
    positions = query.positions(filters)  # a new filter: the page's engine keeps answers
    filter_s = time.perf_counter() - started
    key = write_payload(incidents)
    started = time.perf_counter()
    html = build_scale_map(incidents, None, positions=positions, key=key,
                           offline=True).get_root().render()
    map_s = time.perf_counter() - started
    return {"first_run_s": first, "rest_run_s": rest, "rerun_median_s": statistics.median(samples),
            "rerun_max_s": max(samples), "filter_s": filter_s, "map_s": map_s,
            "map_html_bytes": len(html.encode())}


# --------------------------------------------------------------------------- browser

def _peak_rss_mb(pid: int) -> float:
    total = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            total = int(line.split()[1]) / 1024
    return total


def dashboard_in_browser(data: Path, log: Path) -> dict[str, float]:
    """Open the dashboard on ``data`` in headless Chromium; bytes, times, heap, memory."""
    from dashboard.exports.browser import launch_chromium
    from dashboard.server.background import free_port, wait_healthy

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, INCIDENT_MAP_OFFLINE="1")
    command = [sys.executable, "-m", "dashboard", "serve", "--port", str(port), "--address",
               "127.0.0.1", "--data", str(data), "--offline"]
    with log.open("w") as output:
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output,
                                  stderr=subprocess.STDOUT)
        try:
            wait_healthy(url, server, log)
            # A first visit prepares the payload (once per dataset, as after a deployment);
            # the figures below are for a visitor opening the view afterwards.
            with launch_chromium() as chromium:
                warm = chromium.new_page(viewport={"width": 1440, "height": 900})
                warm.goto(url + "/", timeout=600_000)
                warm.frame_locator(MAP_IFRAME).locator('[data-im-scale="drawn"]').wait_for(
                    timeout=600_000)
                warm.close()
                draws = [_first_draw(chromium, url) for _ in range(FIRST_DRAWS)]
                return _measure_view(chromium, url) | {
                    "server_peak_mb": _peak_rss_mb(server.pid), "first_draws_s": draws}
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


class Traffic:
    """Bytes the page receives: HTTP bodies (as sent) and websocket frames."""

    def __init__(self, page):
        self.http = 0
        self.ws = 0
        self.streamlit = 0  # Streamlit's own scripts, styles and fonts (/static/)
        self.payload_requests = 0
        self.payload_bytes = 0
        self.frames: list[bytes] = []
        page.on("requestfinished", self._finished)
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _finished(self, request):
        try:
            sizes = request.sizes()
        except Exception:  # the page went away
            return
        size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        self.http += size
        if "/static/" in request.url and "/app/static/" not in request.url:
            self.streamlit += size
        if "/app/static/cache/" in request.url and request.url.endswith(".bin"):
            self.payload_requests += 1
            self.payload_bytes += size

    def _frame(self, payload):
        self.ws += len(payload)
        self.frames.append(payload if isinstance(payload, bytes) else payload.encode())

    def deflated_since(self, frame: int) -> int:
        """The frames from number ``frame`` on, deflated as one stream: about what the
        server's websocket compression (permessage-deflate) puts on the wire. Playwright
        sees the frames decompressed."""
        import zlib

        return len(zlib.compress(b"".join(self.frames[frame:]), 6))

    def total(self) -> int:
        return self.http + self.ws


#: First visits timed (each in a new browser context: empty cache) for the median.
FIRST_DRAWS = 5


def _first_draw(chromium, url: str) -> float:
    """Seconds from opening the link in an empty browser to the first clusters drawn."""
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        started = time.perf_counter()
        page.goto(url + "/")
        page.frame_locator(MAP_IFRAME).locator('[data-im-scale="drawn"]').wait_for(
            timeout=120_000)
        return time.perf_counter() - started
    finally:
        context.close()


def _measure_view(chromium, url: str) -> dict[str, float]:
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    traffic = Traffic(page)
    started = time.perf_counter()
    page.goto(url + "/")
    frame = page.frame_locator(MAP_IFRAME)
    box = frame.locator('[data-im-scale="drawn"]')
    box.wait_for(timeout=120_000)
    first_draw = time.perf_counter() - started
    fetch_ms = float(box.get_attribute("data-im-draw-ms") or "nan")
    index_ms = float(box.get_attribute("data-im-index-ms") or "nan")
    # A first view draws the map first; the page around it follows (map first). Count
    # and time the rest once it is all there.
    page.locator('input[aria-label="Search"]').wait_for(timeout=120_000)
    page.locator('[data-testid="stDataFrame"]').wait_for(timeout=120_000)
    page.wait_for_timeout(1500)  # let the rest of the page settle before counting
    view_bytes = traffic.total()
    streamlit_bytes = traffic.streamlit
    view_payloads = traffic.payload_requests
    payload_bytes = traffic.payload_bytes

    # Zoom: click the largest cluster, wait for the zoomed view to be drawn.
    zoom_before = box.get_attribute("data-im-zoom")
    cluster = frame.locator(".im-scale-cluster").first
    started = time.perf_counter()
    cluster.click()
    frame.locator(f'[data-im-scale="drawn"]:not([data-im-zoom="{zoom_before}"])').wait_for(
        timeout=60_000)
    zoom_s = time.perf_counter() - started

    cdp = page.context.new_cdp_session(page)
    cdp.send("HeapProfiler.collectGarbage")
    cdp.send("Performance.enable")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    heap_mb = metrics.get("JSHeapUsedSize", 0) / 1e6

    # A filter change: type a search, wait for the map to show fewer incidents.
    visible_before = box.get_attribute("data-im-visible")
    before = traffic.total()
    frames_before = len(traffic.frames)
    search = page.locator('input[aria-label="Search"]')
    started = time.perf_counter()
    search.fill("berlin")
    search.press("Enter")
    frame.locator(f'[data-im-scale="drawn"]:not([data-im-visible="{visible_before}"])').wait_for(
        timeout=120_000)
    filter_s = time.perf_counter() - started
    page.wait_for_timeout(1500)
    change_bytes = traffic.total() - before
    change_deflated = traffic.deflated_since(frames_before)

    # Another view in the same browser (a link with other filters opened later): Streamlit's
    # scripts and the dataset's payload are in the browser's cache.
    again = context.new_page()
    again_traffic = Traffic(again)
    started = time.perf_counter()
    again.goto(url + "/?type=killing")
    again.frame_locator(MAP_IFRAME).locator('[data-im-scale="drawn"]').wait_for(
        timeout=120_000)
    again_draw = time.perf_counter() - started
    again.wait_for_timeout(1500)
    again_bytes = again_traffic.total()
    context.close()
    return {"first_draw_s": first_draw, "zoom_s": zoom_s, "view_bytes": view_bytes,
            "streamlit_bytes": streamlit_bytes, "fetch_ms": fetch_ms, "index_ms": index_ms,
            "change_deflated": change_deflated, "again_bytes": again_bytes,
            "again_draw_s": again_draw,
            "view_payload_requests": view_payloads, "payload_bytes": payload_bytes,
            "filter_change_bytes": change_bytes,
            "filter_change_s": filter_s, "payload_requests": traffic.payload_requests,
            "heap_mb": heap_mb}


# --------------------------------------------------------------------------- naive folium

def naive_folium(data: Path, rows: int, folder: Path) -> dict[str, float]:
    """One CircleMarker with a Popup per incident: time to build and render the page."""
    import folium

    from dashboard.data.loading import load_incidents
    from dashboard.maps.assets import inline_html

    incidents = load_incidents(data).head(rows)
    started = time.perf_counter()
    m = folium.Map(location=[48, 15], zoom_start=4, tiles=None)
    for row in incidents.itertuples():
        folium.CircleMarker([row.lat, row.lon], radius=5, popup=folium.Popup(row.title)
                            ).add_to(m)
    html = inline_html(m)
    build_s = time.perf_counter() - started
    name = f"naive-{rows}.html"
    (folder / name).write_text(html, encoding="utf-8")
    return {"build_s": build_s, "html_bytes": len(html.encode()), "page": name}


def ours_alone(data: Path, rows: int, folder: Path) -> dict[str, float]:
    """Our map of the same rows as a page of its own (no Streamlit): time to build it (the
    payload once, then the map a rerun makes) and its bytes."""
    from dashboard.data.loading import load_incidents
    from dashboard.maps.assets import inline_html
    from dashboard.maps.payload import payload_files, write_payload
    from dashboard.maps.scale_map import build_scale_map

    incidents = load_incidents(data).head(rows)
    cache = folder / "app" / "static" / "cache"
    started = time.perf_counter()
    key = write_payload(incidents, cache)
    payload_s = time.perf_counter() - started
    started = time.perf_counter()
    html = inline_html(build_scale_map(incidents, incidents, key=key, offline=True,
                                       standalone=True))
    map_s = time.perf_counter() - started
    name = f"ours-{rows}.html"
    (folder / name).write_text(html, encoding="utf-8")
    return {"payload_s": payload_s, "map_s": map_s, "page": name,
            "bytes": len(html.encode()) + (cache / payload_files(key, rows)[0]).stat().st_size}


def draw_pages(folder: Path, naive_page: str, ours_page: str, rows: int) -> dict[str, float]:
    """Open both pages from a local web server in Chromium: time to first draw, heap."""
    import functools
    import threading

    from dashboard.exports.browser import launch_chromium

    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    figures = {}
    try:
        with launch_chromium() as chromium:
            page = chromium.new_page(viewport={"width": 1440, "height": 900})
            started = time.perf_counter()
            page.goto(base + ours_page, timeout=NAIVE_TIMEOUT_S * 1000)
            page.locator('[data-im-scale="drawn"]').wait_for(timeout=NAIVE_TIMEOUT_S * 1000)
            figures["ours_draw_s"] = time.perf_counter() - started
            figures["ours_heap_mb"] = _heap_mb(page)
            page.close()
            page = chromium.new_page(viewport={"width": 1440, "height": 900})
            started = time.perf_counter()
            page.goto(base + naive_page, timeout=NAIVE_TIMEOUT_S * 1000, wait_until="load")
            page.wait_for_function("() => document.querySelectorAll('path.leaflet-interactive')"
                                   f".length >= {rows}", timeout=NAIVE_TIMEOUT_S * 1000)
            figures["naive_draw_s"] = time.perf_counter() - started
            figures["naive_heap_mb"] = _heap_mb(page)
    finally:
        httpd.shutdown()
    return figures


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _heap_mb(page) -> float:
    cdp = page.context.new_cdp_session(page)
    cdp.send("HeapProfiler.collectGarbage")
    cdp.send("Performance.enable")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return metrics.get("JSHeapUsedSize", 0) / 1e6


# --------------------------------------------------------------------------- exports

def export_figures(data: Path, folder: Path) -> None:
    """The view's exports of every row, from the loaded dataset (as the page's buttons make
    them): seconds and bytes per format; CSV/GeoJSON written piece by piece to a file."""
    import resource

    from dashboard.data.loading import load_incidents
    from dashboard.exports.formats import PngSize, Provenance, View, export_bytes, export_file

    incidents = load_incidents(data)
    view = View(offline=True)
    provenance = Provenance.of(data)
    for fmt in ("html", "png", "csv", "geojson"):
        started = time.perf_counter()
        if fmt in ("html", "png"):
            size = len(export_bytes(incidents, view, fmt, provenance=provenance,
                                    size=PngSize()))
        else:
            size = export_file(incidents, view, folder / f"all.{fmt}").stat().st_size
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"export {fmt:8} of {len(incidents):,} rows: {seconds:6.1f} s, "
              f"{size / 1e6:.1f} MB   (process peak memory so far {peak:.0f} MB)")


# --------------------------------------------------------------------------- report

def _mb(value: float) -> str:
    return f"{value / 1e6:.2f} MB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=250_000)
    parser.add_argument("--data", type=Path, help="a real dataset instead of a synthetic one")
    parser.add_argument("--naive", default="10000,50000",
                        help="sizes for the naive folium comparison ('' to skip)")
    parser.add_argument("--runs", type=int, default=12, help="reruns timed on the server")
    parser.add_argument("--naive-only", action="store_true",
                        help="only the comparison with naive folium")
    parser.add_argument("--exports", action="store_true",
                        help="also time the exports (HTML, PNG, CSV, GeoJSON) of every row")
    parser.add_argument("--exports-only", action="store_true", help="only the exports")
    options = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    data = options.data or make_dataset(options.rows, folder)

    from dashboard.data.loading import load_incidents

    rows = len(load_incidents(data))
    print(f"dataset: {data} ({rows:,} rows); machine: {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at the start")
    if options.exports_only:
        export_figures(data, folder)
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
        return 0
    if not options.naive_only:
        dashboard_figures(data, options.runs, folder)
    if options.exports:
        export_figures(data, folder)
    for size in [int(s) for s in options.naive.split(",") if s.strip()]:
        if size <= rows:
            compare_naive(data, size, folder)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0


def dashboard_figures(data: Path, runs: int, folder: Path) -> None:
    server = server_rerun(data, runs)
    print(f"server, first run of the page:     {server['first_run_s']:.2f} s"
          + ("" if server["rest_run_s"] is None else
             f" (the map first), then {server['rest_run_s']:.2f} s for the page around it"))
    print(f"server, rerun after a filter:      median {server['rerun_median_s']:.3f} s, "
          f"slowest {server['rerun_max_s']:.3f} s   (goal <= 0.5 s)")
    print(f"  of which filtering:              {server['filter_s']:.3f} s")
    print(f"  of which the map (build+render): {server['map_s']:.3f} s, "
          f"{server['map_html_bytes'] / 1e3:.0f} KB of HTML")
    browser = dashboard_in_browser(data, folder / "server.log")
    print(f"browser, bytes to open the view:   {_mb(browser['view_bytes'])}   (goal <= 5 MB), "
          f"of which the dataset's payload {_mb(browser['payload_bytes'])} and "
          f"Streamlit's own scripts and fonts {_mb(browser['streamlit_bytes'])}"
          " (empty browser cache)")
    print(f"browser, bytes to open another view: {_mb(browser['again_bytes'])} (browser cache "
          f"filled: Streamlit's scripts and the payload cached); drawn in "
          f"{browser['again_draw_s']:.2f} s")
    print(f"browser, bytes per filter change:  {browser['filter_change_bytes'] / 1e3:.1f} KB"
          f"   (goal <= 100 KB), about {browser['change_deflated'] / 1e3:.1f} KB compressed on"
          f" the wire; map updated in {browser['filter_change_s']:.2f} s")
    print(f"browser, payload fetches:          {browser['view_payload_requests']} on opening,"
          f" {browser['payload_requests'] - browser['view_payload_requests']} after the change")
    draws = browser["first_draws_s"] + [browser["first_draw_s"]]
    print(f"browser, time to first clusters:   median {statistics.median(draws):.2f} s"
          f" (min {min(draws):.2f}, max {max(draws):.2f}, {len(draws)} first visits, empty"
          f" cache)   (goal <= 4 s); in the last, fetching and parsing the payload"
          f" {browser['fetch_ms'] / 1e3:.2f} s and indexing it {browser['index_ms'] / 1e3:.2f} s")
    print(f"browser, cluster click to zoomed:  {browser['zoom_s']:.2f} s   (goal <= 1 s)")
    print(f"browser, JS heap after drawing:    {browser['heap_mb']:.0f} MB")
    print(f"server, peak memory (VmHWM):       {browser['server_peak_mb']:.0f} MB"
          "   (goal <= 1 GB)")
    reference = reference_draw(folder / "server-reference.log")
    print(f"for comparison, the same page on the curated dataset ({reference['rows']} rows), "
          f"first map drawn: {reference['empty_s']:.2f} s with an empty browser cache, "
          f"{reference['cached_s']:.2f} s with it filled (what the page and Streamlit take "
          "before any data is drawn)")
    print(f"load average at the end of the dashboard runs: {os.getloadavg()[0]:.1f}")


def reference_draw(log: Path, runs: int = 3) -> dict[str, float]:
    """Time to the first incident drawn by the dashboard on the small curated dataset, with an
    empty and a filled browser cache (medians of ``runs``): the floor under the large view's
    first draw, since the page, Streamlit and the map's frame load the same way."""
    from dashboard.data.loading import load_incidents
    from dashboard.exports.browser import launch_chromium
    from dashboard.server.background import running_dashboard

    data = ROOT / "data" / "incidents.csv"
    empty, cached = [], []
    with running_dashboard(data=data, log_path=log, cwd=ROOT) as url, \
            launch_chromium() as chromium:
        for run in range(runs + 1):  # the first run warms the server up
            context = chromium.new_context(viewport={"width": 1440, "height": 900})
            for times in (empty, cached):
                page = context.new_page()
                started = time.perf_counter()
                page.goto(url + "/", timeout=120_000)
                page.frame_locator(MAP_IFRAME).locator(".incident-marker").first.wait_for(
                    timeout=120_000)
                if run:
                    times.append(time.perf_counter() - started)
                page.close()
            context.close()
    return {"rows": len(load_incidents(data)), "empty_s": statistics.median(empty),
            "cached_s": statistics.median(cached)}


def compare_naive(data: Path, size: int, folder: Path) -> None:
    naive = naive_folium(data, size, folder)
    ours = ours_alone(data, size, folder)
    drawn = draw_pages(folder, naive["page"], ours["page"], size)
    print(f"naive folium at {size:,}: build+render {naive['build_s']:.1f} s, "
          f"{_mb(naive['html_bytes'])}, drawn in Chromium in {drawn['naive_draw_s']:.1f} s,"
          f" heap {drawn['naive_heap_mb']:.0f} MB")
    print(f"ours at {size:,} (map alone): payload once {ours['payload_s']:.2f} s, map "
          f"{ours['map_s']:.2f} s, {_mb(ours['bytes'])}, first clusters in "
          f"{drawn['ours_draw_s']:.2f} s, heap {drawn['ours_heap_mb']:.0f} MB")
    print(f"  -> per view on the server {naive['build_s'] / ours['map_s']:.0f}x faster "
          f"(the payload is written once per dataset), "
          f"{naive['build_s'] / (ours['map_s'] + ours['payload_s']):.0f}x counting it; "
          f"first draw {drawn['naive_draw_s'] / drawn['ours_draw_s']:.1f}x faster; "
          f"{naive['html_bytes'] / ours['bytes']:.1f}x fewer bytes")


# --------------------------------------------------------------------------- query engines

ENGINE_STARTS = 3


def _serve_command(spec: str, port: int) -> list[str]:
    source = ["--data", spec] if spec.endswith(".csv") else ["--source", spec]
    return [sys.executable, "-m", "dashboard", "serve", "--port", str(port), "--address",
            "127.0.0.1", "--offline", *source]


def _stop(server) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used: unlike wall time, this does not
    grow with the other work on a shared machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


STARTS_CPU: list[float] = []


def _start_to_clusters(chromium, spec: str, log: Path) -> float:
    """Seconds from starting the server to the first clusters drawn in an empty browser (and
    the server's CPU seconds until then, in STARTS_CPU)."""
    from dashboard.server.background import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    with log.open("w") as output:
        server = subprocess.Popen(_serve_command(spec, port), cwd=ROOT, stdout=output,
                                  stderr=subprocess.STDOUT)
        try:
            context = chromium.new_context(viewport={"width": 1440, "height": 900})
            page = context.new_page()
            while True:  # the page is there once the server listens
                try:
                    page.goto(url, timeout=5_000)
                    break
                except Exception:
                    if server.poll() is not None or time.perf_counter() - started > 600:
                        raise RuntimeError(f"the server did not start: see {log}") from None
                    time.sleep(0.05)  # polling the port until the server answers
            page.frame_locator(MAP_IFRAME).locator('[data-im-scale="drawn"]').wait_for(
                timeout=600_000)
            elapsed = time.perf_counter() - started
            STARTS_CPU.append(_cpu_s(server.pid))
            context.close()
            return elapsed
        finally:
            _stop(server)


def _download(url: str) -> tuple[int, float]:
    import urllib.request

    started = time.perf_counter()
    size = 0
    with urllib.request.urlopen(url, timeout=3600) as response:
        while block := response.read(1 << 20):
            size += len(block)
    return size, time.perf_counter() - started


def engine_figures(spec: str, folder: Path, *, exports: bool) -> None:
    """The dashboard serving ``spec`` (a large CSV, parquet:, postgresql://, spark:) through
    the query engine, in headless Chromium: server start to first clusters, later views,
    bytes, a filter change, a cluster click, memory, and the streamed exports."""
    from dashboard.exports.browser import launch_chromium
    from dashboard.server.background import free_port, wait_healthy

    print(f"engine source: {spec}; load average {os.getloadavg()[0]:.1f}")
    with launch_chromium() as chromium:
        starts = [_start_to_clusters(chromium, spec, folder / f"start-{i}.log")
                  for i in range(ENGINE_STARTS)]
        print(f"server start to first clusters:    median {statistics.median(starts):.2f} s "
              f"(min {min(starts):.2f}, max {max(starts):.2f}, {len(starts)} starts, empty "
              f"browser cache; load {os.getloadavg()[0]:.1f}); the server's CPU time until "
              f"then: median {statistics.median(STARTS_CPU):.1f} s")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = folder / "engine-server.log"
        with log.open("w") as output:
            server = subprocess.Popen(_serve_command(spec, port), cwd=ROOT, stdout=output,
                                      stderr=subprocess.STDOUT)
            try:
                wait_healthy(url, server, log, timeout=600)
                cpu = _cpu_s(server.pid)
                draws = [_first_draw(chromium, url) for _ in range(FIRST_DRAWS)]
                views_cpu = (_cpu_s(server.pid) - cpu) / FIRST_DRAWS
                view = _measure_view(chromium, url)
                print(f"later views, first clusters:       median {statistics.median(draws):.2f}"
                      f" s (min {min(draws):.2f}, max {max(draws):.2f}, {len(draws)} visits, "
                      f"empty browser cache; load {os.getloadavg()[0]:.1f}); server CPU "
                      f"{views_cpu:.2f} s a view")
                print(f"bytes to open a view:              {_mb(view['view_bytes'])} (of which "
                      f"Streamlit's own scripts and fonts {_mb(view['streamlit_bytes'])}); "
                      f"another view with the browser cache filled {_mb(view['again_bytes'])}"
                      f", drawn in {view['again_draw_s']:.2f} s")
                print(f"a filter change (search):          "
                      f"{view['filter_change_bytes'] / 1e3:.1f} KB (about "
                      f"{view['change_deflated'] / 1e3:.1f} KB compressed), map updated in "
                      f"{view['filter_change_s']:.2f} s")
                print(f"a cluster click to the zoomed view: {view['zoom_s']:.2f} s; JS heap "
                      f"{view['heap_mb']:.0f} MB")
                print(f"server peak memory (VmHWM):        {_peak_rss_mb(server.pid):.0f} MB "
                      f"(load {os.getloadavg()[0]:.1f})")
                if exports:
                    for name in ("export.csv", "export.geojson"):
                        before = _peak_rss_mb(server.pid)
                        size, seconds = _download(f"{url}/engine/{name}")
                        print(f"{name} of every row:  {_mb(size)} in {seconds:.1f} s; server "
                              f"peak {before:.0f} MB before, {_peak_rss_mb(server.pid):.0f} MB"
                              f" after (load {os.getloadavg()[0]:.1f})")
            finally:
                _stop(server)


def _timed(step) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def engine_queries(specs: list[str], runs: int = 3, *, no_rollups: bool = False) -> None:
    """The page's questions on each engine, side by side (seconds, median of ``runs`` after
    a first, uncached run; the answers' cache is cleared between runs)."""
    from dashboard.data.engine.connect import connect_with_rollups
    from dashboard.data.engine.grid import Bounds
    from dashboard.data.engine.query import EngineQuery
    from dashboard.data.engine.sources import parse_source
    from dashboard.data.filters import Filters

    cases = {
        "count, no filter": lambda q: q.totals(Filters()),
        "totals, years+type": lambda q: q.totals(Filters(years=(2000, 2010),
                                                         event_types=("killing",))),
        "totals, search word": lambda q: q.totals(Filters(query="berlin")),
        "yearly counts": lambda q: q.yearly_counts(Filters(countries=("DE", "FR"))),
        "monthly counts (3 years)": lambda q: q.monthly_counts(Filters(years=(2020, 2022))),
        "map, world at zoom 2": lambda q: q.map_view(Filters(), Bounds(-85, -180, 85, 180), 2),
        "map, Europe at zoom 5": lambda q: q.map_view(Filters(event_types=("killing",)),
                                                      Bounds(35, -10, 60, 40), 5),
        "map, a city at zoom 13": lambda q: q.map_view(Filters(years=(2019, 2024)),
                                                       Bounds(52.50, 13.35, 52.54, 13.45), 13),
        "table, page 1000": lambda q: q.rows(Filters(), offset=99_900, limit=100),
        "a search's next question (map, Europe)": lambda q: (
            q.totals(Filters(query="berlin")), _timed(lambda: q.map_view(
                Filters(query="berlin"), Bounds(35, -10, 60, 40), 5))),
    }
    results: dict[str, dict[str, str]] = {}
    for spec in specs:
        source = parse_source(spec)
        started = time.perf_counter()
        backend, table, rollups = connect_with_rollups(source)
        query = EngineQuery(backend, table, name=source.kind,
                            rollups=None if no_rollups else rollups)
        rows = query.size()
        column = (f"{source.kind} ({rows:,} rows, "
                  f"{'roll-ups' if query.rollups() is not None else 'no roll-ups'})")
        results[column] = {"connect + count": f"{time.perf_counter() - started:.2f}"}
        for name, case in cases.items():
            times = []
            for _ in range(runs + 1):
                query._memo.clear()
                query._searches.clear()
                started = time.perf_counter()
                answer = case(query)
                elapsed = time.perf_counter() - started
                # a case may time its last step alone (after the steps it needs)
                times.append(answer[-1] if isinstance(answer, tuple) and isinstance(
                    answer[-1], float) else elapsed)
            results[column][name] = f"{times[0]:.2f} / {statistics.median(times[1:]):.2f}"
        print(f"  {column}: done (load {os.getloadavg()[0]:.1f})", flush=True)
    columns = list(results)
    print("seconds, first run / median of the next " + str(runs)
          + f" (load {os.getloadavg()[0]:.1f}):")
    print("| question | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for name in ["connect + count", *cases]:
        print(f"| {name} | " + " | ".join(results[c].get(name, "") for c in columns) + " |")


def replicate(source: Path, times: int, target: Path) -> None:
    """The engine table of ``source`` (a converted Parquet file) ``times`` over, each copy of
    a row right after it (so the date order holds without a sort), with its own id
    (``ID-rK``), position and point (moved by up to 0.05 degrees): a file of tens of millions
    of rows made in minutes from one of millions, one row group at a time."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from dashboard.data.engine.convert import ROW_GROUP_ROWS
    from dashboard.data.engine.table import SCHEMA

    file = pq.ParquetFile(source)
    rng = np.random.default_rng(11)
    part = target.with_name(f".{target.name}.part")
    with pq.ParquetWriter(part, SCHEMA, compression="zstd") as writer:
        for group in range(file.num_row_groups):
            table = file.read_row_group(group)
            count = table.num_rows
            index = np.repeat(np.arange(count), times)
            copy = np.tile(np.arange(times), count)
            big = table.take(pa.array(index))
            suffix = pa.array(np.char.add("-r", copy.astype(str)).astype(object))
            columns = {name: big.column(name) for name in SCHEMA.names}
            columns["id"] = pc.binary_join_element_wise(big.column("id"), suffix, "")
            columns["pos"] = pa.array(big.column("pos").to_numpy() * times + copy)
            for name in ("lat", "lon"):
                values = big.column(name).to_numpy(zero_copy_only=False)
                columns[name] = pa.array(values + rng.uniform(-0.05, 0.05, len(values)))
            writer.write_table(pa.table(columns, schema=SCHEMA), row_group_size=ROW_GROUP_ROWS)
    os.replace(part, target)
    print(f"wrote {target}: {pq.ParquetFile(target).metadata.num_rows:,} rows")


def engine_main(argv: list[str]) -> int:
    if argv[:1] == ["replicate"]:
        replicate(Path(argv[1]), int(argv[2]), Path(argv[3]))
        return 0
    parser = argparse.ArgumentParser(description="bench_scale.py, query-engine sources")
    parser.add_argument("--source", help="a large CSV file, parquet:PATH, postgresql://..., "
                                         "spark:TABLE: the dashboard in Chromium")
    parser.add_argument("--exports", action="store_true", help="also the streamed exports")
    parser.add_argument("--queries", help="comma-separated sources: the page's questions on "
                                          "each engine, side by side")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-rollups", action="store_true",
                        help="--queries without the roll-ups: every answer from the rows")
    options = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-engine-"))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    if options.source:
        engine_figures(options.source, folder, exports=options.exports)
    if options.queries:
        engine_queries([s.strip() for s in options.queries.split(",") if s.strip()],
                       runs=options.runs, no_rollups=options.no_rollups)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "engine":
        sys.exit(engine_main(sys.argv[2:]))
    sys.exit(main())
