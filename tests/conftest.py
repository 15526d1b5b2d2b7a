"""Shared fixtures: one factory for small datasets written to real files; the ``slow``
marker for the browser tier; the whole run's time at the end of its report."""

from __future__ import annotations

import csv
import itertools
import os
import time
from pathlib import Path

import pytest
from hypothesis import settings

from dashboard.data.schema import RECOMMENDED_COLUMNS, REQUIRED_COLUMNS

# The property tests draw the same examples on every run (a run that passes passes again,
# so a landing never fails on an example a previous run did not draw), and keep no example
# database in the checkout. `HYPOTHESIS_PROFILE=explore` draws new examples on every run, to
# look for inputs the suite has not met yet: what it finds becomes an example (`@example`)
# or a test of its own.
settings.register_profile("suite", derandomize=True, database=None)
settings.register_profile("explore", database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

ROOT = Path(__file__).resolve().parents[1]
#: Every test here drives a real browser and is marked ``slow`` (as are those marked ``spark``).
BROWSER_TIER = ROOT / "tests" / "browser"
#: ``make test`` on the project's 2-core machine at rest (issue 28).
BUDGET_MINUTES = 15
CURATED = ROOT / "data" / "incidents.csv"
COLUMNS = list(REQUIRED_COLUMNS) + list(RECOMMENDED_COLUMNS)


def base_row(**changes: str) -> dict[str, str]:
    """A valid incident row; keyword arguments replace cells."""
    row = {column: "" for column in COLUMNS}
    row.update(
        id="2019-08-23-berlin-khangoshvili",
        date="2019-08-23",
        date_precision="day",
        event_type="killing",
        title="Zelimkhan Khangoshvili shot dead",
        summary="Shot in a park in Moabit.",
        place="Moabit, Berlin, Germany",
        country="DE",
        lat="52.5262",
        lon="13.34",
        geo_precision="site",
        geocoder="manual",
        attribution="confirmed",
        sources="000_15aa79ff9f371381.txt;https://www.dw.com/en/",
        fatalities="1",
    )
    row.update(changes)
    return row


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    columns = columns or COLUMNS
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def make_dataset(tmp_path):
    """``make_dataset(rows, columns=None, name="incidents.csv") -> Path`` of a real CSV file."""

    def make(rows, columns=None, name="incidents.csv"):
        return write_csv(tmp_path / name, rows, columns)

    return make


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium shared by a module's pictures: pass it to ``render_snapshot(...,
    browser=chromium)`` instead of starting one per picture. (While it is open, the module
    must not start another Playwright in the tests' thread: in-process exports take it.)"""
    from dashboard.exports.browser import launch_chromium

    with launch_chromium() as browser:
        yield browser


@pytest.fixture
def downloads(monkeypatch) -> dict[str, bytes]:
    """The bytes of every file the page offers for download, by file name (under AppTest).

    Streamlit keeps a download button's data in its media file storage; this records what
    is stored there while the page runs, without changing it.
    """
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    served: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        if filename and isinstance(path_or_data, bytes):
            served[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return served


@pytest.fixture(scope="session")
def postgres_dsn(tmp_path_factory):
    """One throw-away PostgreSQL cluster (with PostGIS) for the whole run: its database's DSN.

    Started on first use only (tests/support/postgres.py); tests that need a clean database
    make their own with ``tests.support.postgres.fresh_database``.
    """
    from tests.support.postgres import throwaway_postgres

    with throwaway_postgres(tmp_path_factory.mktemp("postgres")) as dsn:
        yield dsn


_DATABASES = itertools.count(1)


@pytest.fixture
def postgres_database(postgres_dsn) -> str:
    """A new, empty database (with PostGIS) in the run's cluster: its DSN."""
    from tests.support.postgres import fresh_database

    return fresh_database(postgres_dsn, f"store_test_{next(_DATABASES)}")


def pytest_collection_modifyitems(config, items):
    for item in items:
        # the browser tier, and Spark (its start alone takes tens of seconds)
        if BROWSER_TIER in item.path.parents or item.get_closest_marker("spark"):
            item.add_marker("slow")


def pytest_sessionstart(session):
    session.config.stash[_STARTED] = time.monotonic()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    started = config.stash.get(_STARTED, None)
    if started is None:
        return
    minutes, seconds = divmod(round(time.monotonic() - started), 60)
    passed = len(terminalreporter.stats.get("passed", []))
    selected = config.option.markexpr or config.option.keyword \
        or terminalreporter.stats.get("deselected")
    whole = not selected and (not config.args or [Path(arg).resolve() for arg in config.args]
                              == [ROOT / path for path in config.getini("testpaths")])
    budget = (f"; budget for the whole suite: {BUDGET_MINUTES} min at rest"
              + (" (OVER)" if whole and minutes >= BUDGET_MINUTES else "")) if whole else ""
    terminalreporter.write_sep(
        "=", f"pytest took {minutes} min {seconds:02d} s for {passed} passed tests{budget}",
        bold=True)


_STARTED = pytest.StashKey[float]()


# One small dataset in each real engine (DuckDB over Parquet, PostgreSQL, Spark), shared by
# the engine, server and export tests of a run.
from tests.support.engines import (  # noqa: E402, F401
    duckdb_query,
    duckdb_rows_query,
    engine_csv,
    engine_env,
    engine_frame,
    engine_parquet,
    postgres_query,
    spark_query,
)
