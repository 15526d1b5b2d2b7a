"""Headless Chromium for PNG export and browser tests: Playwright driving the system browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

#: Flags for a closed network: no background requests, no first-run chatter.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)

INSTALL_HINT = (
    "headless Chromium was not found; install it (Debian/Ubuntu: `apt-get install chromium`) "
    "or set INCIDENT_MAP_CHROMIUM to the path of a Chromium binary"
)


class BrowserNotFound(RuntimeError):
    """No Chromium binary could be found."""


def find_chromium() -> Path:
    """The Chromium binary to drive: ``$INCIDENT_MAP_CHROMIUM`` or a system install."""
    candidates = [os.environ.get("INCIDENT_MAP_CHROMIUM", "")]
    candidates += [shutil.which(name) or "" for name in ("chromium", "chromium-browser")]
    candidates += ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise BrowserNotFound(INSTALL_HINT)


@contextmanager
def launch_chromium(**options) -> Iterator[object]:
    """A Playwright ``Browser`` on the system Chromium; closed on exit."""
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=list(CHROMIUM_ARGS), **options
        )
        try:
            yield browser
        finally:
            browser.close()


class ChromiumThread:
    """Headless Chromium started in a thread of its own, so that it starts while the caller
    goes on (a command line export loads its libraries and data meanwhile: about a second of
    each). Playwright's synchronous API stays in the thread that started it, so the browser
    is used through :meth:`call` and :meth:`call_in_context`, which run there.

    ``context``: options of a browser context (viewport, device scale) to open, with a blank
    page in it, as soon as the browser is up; :meth:`call_in_context` with the same options
    then takes it.
    Use it as a context manager, or call :meth:`close`; an error while starting (no
    Chromium, a failed launch) is raised by the first call."""

    def __init__(self, context: dict | None = None, **options):
        from concurrent.futures import ThreadPoolExecutor

        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium")
        self._stack = ExitStack()
        self._prepared: list[tuple[dict, object]] = []
        self._closed = False
        self._browser = self._executor.submit(self._launch, options, context)

    def _launch(self, options, context):
        browser = self._stack.enter_context(launch_chromium(**options))
        if context is not None:
            prepared = browser.new_context(**context)
            prepared.new_page()  # a page is a few tenths of a second more: opened now too
            self._prepared.append((context, prepared))
        return browser

    def call(self, fn, *args, **kwargs):
        """``fn(browser, *args, **kwargs)`` in the browser's thread; its result or error."""
        if self._closed:
            raise RuntimeError("the browser is closed")
        browser = self._browser.result()
        return self._executor.submit(fn, browser, *args, **kwargs).result()

    def call_in_context(self, options: dict, fn, *args, **kwargs):
        """``fn(context, *args, **kwargs)`` in the browser's thread, with a new browser
        context of these options (the one opened in advance if it has them)."""
        def run(browser):
            for index, (prepared, context) in enumerate(self._prepared):
                if prepared == options:
                    del self._prepared[index]
                    return fn(context, *args, **kwargs)
            return fn(browser.new_context(**options), *args, **kwargs)

        return self.call(run)

    def close(self) -> None:
        """Close the browser (waiting for a start under way) and end the thread."""
        if self._closed:
            return
        self._closed = True
        try:
            self._executor.submit(self._stack.close).result()
        finally:
            self._executor.shutdown(wait=True)

    def __enter__(self) -> ChromiumThread:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
