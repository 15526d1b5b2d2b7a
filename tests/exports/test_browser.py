"""Chromium started in a thread of its own (``ChromiumThread``): the browser a command line
PNG export opens while it loads its libraries and data."""

from __future__ import annotations

import threading

import pytest

from dashboard.exports.browser import ChromiumThread
from dashboard.exports.sizes import PngSize, context_options


def _window(context) -> list:
    """The inner size and device scale of a page in ``context``; the context is closed."""
    try:
        return context.new_page().evaluate("[innerWidth, innerHeight, devicePixelRatio]")
    finally:
        context.close()


def test_the_context_opened_in_advance_is_the_one_asked_for():
    small = context_options(PngSize(800, 600, 2))
    with ChromiumThread(context=small) as chromium:
        assert chromium.call_in_context(small, _window) == [800, 600, 2]
        # Used once: a second picture of that size gets a context of its own.
        assert chromium.call_in_context(small, _window) == [800, 600, 2]
        other = context_options(PngSize(1000, 700))
        assert chromium.call_in_context(other, _window) == [1000, 700, 1]


def _pages(context) -> int:
    try:
        return len(context.pages)
    finally:
        context.close()


def test_the_context_opened_in_advance_holds_a_blank_page_and_others_none():
    small = context_options(PngSize(800, 600, 2))
    with ChromiumThread(context=small) as chromium:
        assert chromium.call_in_context(small, _pages) == 1
        assert chromium.call_in_context(small, _pages) == 0


def test_the_browser_is_driven_from_its_own_thread_only():
    with ChromiumThread() as chromium:
        name = chromium.call(lambda browser: threading.current_thread().name)
        assert name.startswith("chromium")
        assert name != threading.current_thread().name
        assert chromium.call(lambda browser: browser.is_connected())


def test_a_failed_start_is_raised_by_the_first_call_and_closing_still_works():
    chromium = ChromiumThread(args=["--no-sandbox"])  # args is set by launch_chromium itself
    with pytest.raises(TypeError):
        chromium.call(lambda browser: None)
    chromium.close()
    chromium.close()  # twice is harmless
    with pytest.raises(RuntimeError, match="closed"):
        chromium.call(lambda browser: None)
