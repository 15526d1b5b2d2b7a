"""The server killed (SIGKILL) in the middle of a save leaves the dataset whole.

The real server (``incident-map serve --edit``) runs on a copy of the curated dataset whose
notes are padded to about 10 MB, so writing the new version takes a measurable time. The
save is started from the page; the test watches the dataset's folder and kills the
server's process group the moment the temporary file of the dataset's atomic write
appears. The dataset must then be the file before the save or the file after it (never a
mix), parse and pass validation, and the change log (read as the editor reads it, which
first finishes a save a kill interrupted, from its journal) must hold exactly the saves
that landed.

Every wait has a timeout and the server is killed in ``finally``. Should a save finish
before the test sees its temporary file (a very loaded machine), the test saves again,
up to three times.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from dashboard.data.editing import change_log_path, open_snapshot, parse_snapshot, read_log
from dashboard.data.schema import validate_file
from dashboard.server.background import free_port, wait_healthy
from tests.browser.conftest import ARTIFACTS, DATASET, ROOT, wait_for_row

TARGET = "2019-08-23-berlin-khangoshvili"
WAIT = 30_000  # ms, for each step of the page
#: Characters of padding added to the notes of every other row (the csv module reads
#: cells up to 128 KiB).
PADDING = 40_000
ATTEMPTS = 3


def _padded_copy(path: Path) -> None:
    with DATASET.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    id_at, notes_at = header.index("id"), header.index("notes")
    filler = "Padding for the save-kill test. " * (PADDING // 32)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in body:
            if row[id_at] != TARGET:
                row[notes_at] = (row[notes_at] + " " + filler).strip()
            writer.writerow(row)


def _log_entries(data: Path) -> list[dict]:
    log = change_log_path(data)
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").split("\n")
            if line.strip()]


def _temp_file_seen(folder: Path, data: Path) -> bool:
    """The dataset's own temporary file (not the journal's, written just before it)."""
    prefix, journal = f".{data.name}.", f".{data.name}.journal"
    with os.scandir(folder) as entries:
        return any(entry.name.endswith(".part") and entry.name.startswith(prefix)
                   and not entry.name.startswith(journal) for entry in entries)


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        try:
            os.killpg(server.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    server.wait(timeout=10)


def test_killing_the_server_during_a_save_leaves_the_old_or_the_new_file(browser, tmp_path):
    folder = tmp_path / "kill"
    folder.mkdir()
    data = folder / "incidents.csv"
    _padded_copy(data)
    assert data.stat().st_size > 8_000_000
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = ARTIFACTS / "server-editor-kill.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "INCIDENT_MAP_OFFLINE": "1"}
    env.pop("INCIDENT_MAP_EDIT_TOKEN", None)
    with log_path.open("w", encoding="utf-8") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "dashboard", "serve", "--port", str(port), "--address",
             "127.0.0.1", "--data", str(data), "--offline", "--edit"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True)  # its own process group, killed as a whole
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(WAIT)
    try:
        wait_healthy(url, server, log_path, timeout=60)
        page = context.new_page()
        page.goto(url + "/?view=edit")
        page.get_by_label("Title", exact=True).wait_for()
        page.get_by_label("Incident", exact=True).click()
        page.keyboard.type(TARGET)
        page.get_by_role("option", name=TARGET, exact=True).click()
        wait_for_row(page, TARGET)

        caught = False
        note = ""
        for attempt in range(1, ATTEMPTS + 1):
            before = data.read_bytes()
            saves_before = len(_log_entries(data))
            note = f"Saved while the server was killed, attempt {attempt}."
            box = page.get_by_label("Notes", exact=True)
            box.fill(note)
            box.press("Tab")
            page.wait_for_function(
                "() => [...document.querySelectorAll('button')].some("
                "b => b.innerText.includes('Save changes') && !b.disabled)")
            page.get_by_role("button", name="Save changes").click()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and server.poll() is None:
                if _temp_file_seen(folder, data):
                    os.killpg(server.pid, signal.SIGKILL)
                    caught = True
                    break
                if len(_log_entries(data)) > saves_before:
                    break  # the save finished before it was seen: save again
                time.sleep(0.001)  # deliberate delay: poll the folder for the temp file
            if caught:
                break
            assert server.poll() is None, f"the server stopped by itself; see {log_path}"
            page.get_by_text(f"Saved {TARGET}").wait_for()
        assert caught, f"no save was caught in the act in {ATTEMPTS} attempts"
        server.wait(timeout=10)

        after = data.read_bytes()
        print(f"caught on attempt {attempt}: the dataset is the "
              f"{'old' if after == before else 'new'} version")
        entries = [entry.as_json() for entry in read_log(change_log_path(data))]
        assert [entry["seq"] for entry in entries] == list(range(1, len(entries) + 1))
        old = parse_snapshot(data, before)
        now = open_snapshot(data)
        if after == before:  # killed before the rename: not a byte of the new version
            assert len(entries) == saves_before
            assert all(entry["after"]["notes"] != note for entry in entries)
        else:  # killed after the rename: the whole new version, and its log entry
            assert now.ids == old.ids
            assert now.rows[TARGET]["notes"] == note
            assert all(now.rows[i] == old.rows[i] for i in now.ids if i != TARGET)
            assert len(entries) == saves_before + 1
            assert entries[-1]["after"]["notes"] == note
        assert validate_file(data) == []
    except Exception:
        for open_page in context.pages:
            open_page.screenshot(path=str(ARTIFACTS / "editor-kill-failed.png"), full_page=True)
            print(open_page.inner_text("[data-testid=stMain]")[-3000:])
        raise
    finally:
        context.close()
        _stop(server)
