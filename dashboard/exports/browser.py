"""Headless Chromium for PNG export and browser tests: Playwright driving the system browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
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
