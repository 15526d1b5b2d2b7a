"""Running the page under Streamlit's AppTest with URL parameters (shared by page tests)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.paths import APP


def run_page(**params: str) -> AppTest:
    """The page run once with ``params`` as its URL parameters; fails on any exception."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at
