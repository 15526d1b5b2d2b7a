"""Browser tier: the real server (``incident-map serve --offline``) driven by headless Chromium.

One server and one browser per test session. The server's output goes to
``tests/artifacts/server.log``; screenshots of each view are saved next to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.exports.browser import BrowserNotFound, find_chromium, launch_chromium
from dashboard.server.background import running_dashboard

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
DATASET = ROOT / "data" / "incidents.csv"
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
VIEWPORT = {"width": 1400, "height": 1000}


def serve(*, data: Path = DATASET, log_name: str = "server.log") -> Iterator[str]:
    """Start ``incident-map serve --offline`` on a free port; yield its base URL; stop it."""
    with running_dashboard(data=data, log_path=ARTIFACTS / log_name, cwd=ROOT) as base_url:
        yield base_url


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


def wait_for_row(page, row_id: str, *, timeout: float = 60_000) -> None:
    """Wait until the editor shows ``row_id`` and its run has ended: one Id field (a run
    in progress also shows the previous row's greyed-out fields) and the save button."""
    page.wait_for_function(
        """id => {
            const boxes = [...document.querySelectorAll('input[aria-label="Id (slug)"]')];
            const saves = [...document.querySelectorAll('button')]
                .filter(b => b.innerText.includes('Save changes'));
            return boxes.length === 1 && boxes[0].value === id && saves.length === 1;
        }""", arg=row_id, timeout=timeout)
