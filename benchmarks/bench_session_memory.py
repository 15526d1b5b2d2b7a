"""Memory a browser session holds on the server, and what is left once it has closed.

    .venv/bin/python benchmarks/bench_session_memory.py [--rows 220000] [--sessions 3]
        [--upload-rows 300000]

Writes a dataset of ROWS rows (``scripts/make_large_dataset.py``; 220,000 rows is about
64 MB), starts ``incident-map serve --edit`` on it, then opens SESSIONS editor sessions one
after another in headless Chromium (each chooses an incident, as an editor does), then one
session that uploads an analyst's spreadsheet of UPLOAD_ROWS rows (``bench_upload.py``'s,
about 24 MB at 300,000 rows) through "Load your data". It prints
the server's memory (the PSS of the server and its worker processes) after each step,
then closes every page and prints it again once Streamlit has dropped the closed sessions
(the server runs with a disconnected-session time of 10 s instead of 120 s, so the run is
short; Streamlit drops them when the next visitor comes, as a real server's visitors do),
with the machine's load. Each reading waits 25 s first: the server gives freed
memory back to the system every 20 s, so a reading is what is held, not a high-water mark.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

MB = 1024 * 1024
WAIT_MS = 300_000
#: Seconds Streamlit keeps a closed session here (the server's option, lowered for the run).
SESSION_TTL = 10
#: Seconds waited before each reading: the server returns freed memory every 20 s.
TRIM_WAIT = 25


def _load() -> str:
    with open("/proc/loadavg", encoding="ascii") as load:
        return load.read().split()[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=220_000)
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--upload-rows", type=int, default=300_000)
    options = parser.parse_args(argv)

    from bench_upload import analyst_sheet
    from make_large_dataset import make_rows, write_dataset

    from dashboard.exports.browser import launch_chromium
    from dashboard.server.background import running_server, tree_memory

    with tempfile.TemporaryDirectory(prefix="bench-session-memory-") as folder:
        folder = Path(folder)
        data = write_dataset(folder / "incidents.csv", options.rows)
        upload = folder / "upload.csv"
        upload.write_bytes(analyst_sheet(options.upload_rows))
        first_id = make_rows(1)[0][0]
        print(f"dataset {data.stat().st_size / MB:.0f} MB ({options.rows:,} rows); "
              f"upload {upload.stat().st_size / MB:.0f} MB")
        env = {"STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": str(SESSION_TTL)}
        with running_server(data=data, log_path=folder / "server.log", cwd=ROOT, edit=True,
                            extra_env=env) as (url, process), launch_chromium() as chromium:

            def report(label: str) -> int:
                time.sleep(TRIM_WAIT)  # the server gives freed memory back every 20 s
                memory = tree_memory(process.pid)
                print(f"  {label:<44} {memory / MB:7,.0f} MB   load {_load()}", flush=True)
                return memory

            idle = report("idle")
            pages = []
            for number in range(1, options.sessions + 1):
                page = chromium.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(WAIT_MS)
                page.goto(url + "/?view=edit")
                page.get_by_label("Incident", exact=True).click()
                page.keyboard.type(first_id)
                page.get_by_role("option", name=first_id, exact=True).click()
                page.get_by_label("Title", exact=True).wait_for()
                pages.append(page)
                report(f"{number} editor session(s) open")
            page = chromium.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(WAIT_MS)
            page.goto(url + "/")
            sidebar = page.get_by_test_id("stSidebar")
            sidebar.get_by_text("Load your data").click()
            sidebar.locator('input[type="file"]').set_input_files(str(upload))
            sidebar.get_by_text(f"{options.upload_rows:,} rows in, ").wait_for()
            pages.append(page)
            opened = report("and a session with the upload converted")
            for page in pages:
                page.close()
            report("all pages closed")
            # Streamlit drops a closed session once its time has passed, when another
            # session comes or goes: the next visitor.
            visitor = chromium.new_page()
            visitor.set_default_timeout(WAIT_MS)
            visitor.goto(url + "/?view=briefing")
            visitor.get_by_text("Next ▸").wait_for()
            visitor.close()
            closed = report("closed sessions dropped (a visitor came)")
            print(f"per editor session: {(opened - idle) / MB / (options.sessions + 1):,.0f} MB "
                  f"on average with the upload; held after closing: "
                  f"{(closed - idle) / MB:,.0f} MB over idle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
