"""Browser tier: the real server (``incident-map serve --offline``) driven by headless Chromium.

Conventions (every test under ``tests/browser`` is marked ``slow``; ``make test-fast`` skips
them):

- One server for the whole session (``server``, the curated dataset, read only) and one
  browser per module (``browser``). A module that needs another server (another dataset,
  ``--edit``, an archive) starts it once in a module-scoped fixture with :func:`serve`.
- A test gets a fresh browser context (``page``), never a fresh server, unless it changes
  the server's state.
- Wait for what the user sees, never for time: ``expect(...)``, ``locator.wait_for``,
  ``wait_for_function`` with a predicate that cannot throw (``?.``), and, after an action
  that makes Streamlit run the page again, :func:`streamlit_run`. ``tests/test_waits.py``
  checks this.

The server's output goes to ``tests/artifacts/server.log``; screenshots are saved next to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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


#: Counts, in ``window.__imRunsFinished``, the runs the server says have ended: every
#: ForwardMsg from the server's websocket whose ``script_finished`` (field 6, a varint) is
#: set. A run that starts and ends between two paints never shows as "running" in the
#: page's markup, so counting the markup's changes can miss it; this count cannot.
COUNT_RUNS = """(() => {
    if (window.__imRunsFinished !== undefined) { return; }
    window.__imRunsFinished = 0;
    const finished = (buffer) => {
        const bytes = new Uint8Array(buffer);
        let at = 0;
        const varint = () => {
            let value = 0, shift = 0, byte;
            do {
                if (at >= bytes.length) { return -1; }
                byte = bytes[at++];
                value += (byte & 0x7f) * 2 ** shift;
                shift += 7;
            } while (byte & 0x80);
            return value;
        };
        while (at < bytes.length) {
            const key = varint();
            if (key < 0) { return false; }
            const field = Math.floor(key / 8), wire = key % 8;
            if (field === 6 && wire === 0) { return true; }
            if (wire === 0) { if (varint() < 0) { return false; } }
            else if (wire === 2) { const size = varint(); if (size < 0) { return false; } at += size; }
            else if (wire === 1) { at += 8; }
            else if (wire === 5) { at += 4; }
            else { return false; }
        }
        return false;
    };
    const count = (data) => {
        if (data instanceof ArrayBuffer) {
            if (finished(data)) { window.__imRunsFinished += 1; }
        } else if (data instanceof Blob) {
            data.arrayBuffer().then((buffer) => {
                if (finished(buffer)) { window.__imRunsFinished += 1; }
            });
        }
    };
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
        constructor(...args) {
            super(...args);
            this.addEventListener("message", (event) => count(event.data));
        }
    };
})();"""


def count_runs(context):
    """A browser context whose pages count the runs the server ends (for
    :func:`streamlit_run`); returns the context."""
    context.add_init_script(COUNT_RUNS)
    return context


@pytest.fixture
def page(browser, server) -> Iterator[RecordedPage]:
    context = count_runs(browser.new_context(viewport=VIEWPORT))
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


#: Streamlit marks its root element with the state of the page's run
#: (``data-test-script-state``: running, rerunRequested, notRunning, ...) and of its
#: connection; the page has settled when it is connected, not running, and no element of
#: the last run is still greyed out.
SETTLED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app?.dataset.testConnectionState === 'CONNECTED'
        && app?.dataset.testScriptState === 'notRunning'
        && !document.querySelector('[data-stale="true"]');
}"""
#: Counts the runs that end from now on in ``window.__imRunsEnded`` (once per document);
#: returns the count so far.
_WATCH_RUNS = """() => {
    if (window.__imRunsEnded === undefined) {
        window.__imRunsEnded = 0;
        new MutationObserver((records) => {
            for (const record of records) {
                if (record.target.dataset.testScriptState === 'notRunning'
                        && record.oldValue !== 'notRunning') {
                    window.__imRunsEnded += 1;
                }
            }
        }).observe(document, {attributes: true, attributeOldValue: true, subtree: true,
                              attributeFilter: ['data-test-script-state']});
    }
    return window.__imRunsEnded;
}"""


def wait_settled(page, *, timeout: float = 60_000) -> None:
    """Wait until the Streamlit page (a Playwright ``Page``) has finished its run."""
    page.wait_for_function(SETTLED, timeout=timeout)


@contextmanager
def streamlit_run(page, *, timeout: float = 60_000) -> Iterator[None]:
    """Around an action that makes Streamlit run the page again (typing in a field and
    leaving it, choosing an option, clicking a button): waits, after the block, until a
    run that started after the action has ended. ::

        with streamlit_run(page):
            page.get_by_label("Title").fill("x")
            page.get_by_label("Title").press("Tab")

    (The block must not load a new document: after ``goto``, call :func:`wait_settled`.)
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    wait_settled(page, timeout=timeout)
    # the server's own count of ended runs where the page has it (count_runs), else the
    # page's markup
    counter = ("__imRunsFinished" if page.evaluate("() => window.__imRunsFinished !== undefined")
               else "__imRunsEnded")
    before = page.evaluate(f"() => window.{counter}") if counter == "__imRunsFinished" \
        else page.evaluate(_WATCH_RUNS)
    yield
    try:
        page.wait_for_function(
            f"before => (window.{counter} ?? 0) > before && (" + SETTLED + ")()",
            arg=before, timeout=timeout)
    except PlaywrightTimeout:
        state = page.evaluate(_STATE)
        raise AssertionError(f"no run of the page ended within {timeout / 1000:.0f} s of the "
                             f"action (runs ended before it: {before}; now: {state})") from None


_STATE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return {ended: window.__imRunsEnded, finished: window.__imRunsFinished,
            script: app?.dataset.testScriptState,
            connection: app?.dataset.testConnectionState,
            stale: document.querySelectorAll('[data-stale="true"]').length};
}"""
