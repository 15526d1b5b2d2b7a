"""The server killed (SIGKILL) in the middle of a save leaves the dataset as it was.

The save is caught in the act: the test watches the dataset's folder and kills the server
the moment the temporary file of the atomic write appears, i.e. while the new version is
being written. The dataset must then be exactly the file before the save, and still valid.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import expect

from dashboard.data.editing import open_snapshot
from dashboard.data.schema import validate_file
from dashboard.server.background import free_port, wait_healthy
from tests.browser.conftest import ARTIFACTS, DATASET, ROOT

KHANGOSHVILI = "2019-08-23-berlin-khangoshvili"
WAIT = 60_000
COPIES = 600  # about 15 MB: the write takes long enough to be seen


def _large_copy(path: Path) -> None:
    header, *rows = DATASET.read_text(encoding="utf-8").splitlines(keepends=True)
    extra = []
    for n in range(COPIES):
        for row in rows:
            first, rest = row.split(",", 1)
            extra.append(f"{first}-copy{n}," + rest)
    path.write_text(header + "".join(rows) + "".join(extra), encoding="utf-8")


def test_killing_the_server_during_a_save_leaves_the_file_whole(browser, tmp_path):
    data = tmp_path / "incidents.csv"
    _large_copy(data)
    before = data.read_bytes()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = ARTIFACTS / "server-editor-kill.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "INCIDENT_MAP_OFFLINE": "1"}
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "dashboard", "serve", "--port", str(port), "--address",
             "127.0.0.1", "--data", str(data), "--offline", "--edit"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    try:
        wait_healthy(url, server, log, timeout=120)
        page = context.new_page()
        page.goto(url + "/?view=edit")
        page.get_by_label("Title", exact=True).wait_for(timeout=WAIT)
        page.get_by_label("Incident", exact=True).click()
        page.keyboard.type(KHANGOSHVILI)
        page.get_by_role("option", name=KHANGOSHVILI, exact=True).click()
        expect(page.get_by_label("Id (slug)", exact=True)).to_have_value(KHANGOSHVILI,
                                                                        timeout=WAIT)
        box = page.get_by_label("Notes", exact=True)
        box.fill("A note that is never saved.")
        box.press("Tab")
        save = page.get_by_role("button", name="Save changes")
        try:
            save.wait_for(timeout=WAIT)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "editor-kill-failed.png"), full_page=True)
            raise
        page.wait_for_function(
            "() => [...document.querySelectorAll('button')].some("
            "b => b.innerText.includes('Save changes') && !b.disabled)", timeout=WAIT)
        save.click()
        caught = False
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            if any(name.endswith(".part") for name in os.listdir(tmp_path)):
                server.send_signal(signal.SIGKILL)
                caught = True
                break
        server.wait(timeout=10)
        assert caught, "the save finished before the test could see it: make the file larger"
        assert data.read_bytes() == before  # not a byte of the half-written version
        assert open_snapshot(data).rows[KHANGOSHVILI]["notes"] != "A note that is never saved."
        assert validate_file(data) == []
    finally:
        context.close()
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
