"""Browser tier: the real server (``incident-map serve --offline``) driven by headless Chromium.

One server and one browser per test session. The server's output goes to
``tests/artifacts/server.log``; screenshots of each view are saved next to it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.browser import BrowserNotFound, find_chromium, launch_chromium

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
DATASET = ROOT / "data" / "incidents.csv"
STARTUP_TIMEOUT = 60.0
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
VIEWPORT = {"width": 1400, "height": 1000}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(base_url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the server exited with code {process.returncode}; see {log}:\n"
                + log.read_text(encoding="utf-8", errors="replace")[-2000:]
            )
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"the server did not answer /_stcore/health within {STARTUP_TIMEOUT}s")


def serve(*, data: Path = DATASET, log_name: str = "server.log") -> Iterator[str]:
    """Start ``incident-map serve --offline`` on a free port; yield its base URL; stop it."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = ARTIFACTS / log_name
    command = [sys.executable, "-m", "dashboard", "serve", "--port", str(port), "--offline",
               "--address", "127.0.0.1", "--data", str(data)]
    env = {**os.environ, "INCIDENT_MAP_OFFLINE": "1"}
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
        try:
            wait_healthy(base_url, process, log)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    yield from serve()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for one test module (closed after it, so other modules can start
    their own Playwright instance)."""
    try:
        find_chromium()
    except BrowserNotFound as error:
        pytest.fail(f"browser tests need Chromium: {error}", pytrace=False)
    with launch_chromium() as chromium:
        yield chromium


class RecordedPage:
    """A Playwright page that records every URL it requests."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.requests: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))

    def outside_origin(self) -> list[str]:
        allowed = (self.base_url + "/", "data:", "blob:", "about:")
        return [url for url in self.requests if not url.startswith(allowed)]

    def map_frame(self):
        return self.page.frame_locator(MAP_IFRAME)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def page(browser, server) -> Iterator[RecordedPage]:
    context = browser.new_context(viewport=VIEWPORT)
    try:
        recorded = RecordedPage(context.new_page(), server)
        yield recorded
        assert recorded.outside_origin() == [], "requests left the dashboard's origin"
    finally:
        context.close()
