"""The hostile dataset (a valid dataset whose every free-text cell carries payloads) and
the fixtures of the hostile browser and export tests.

60 rows; each free-text column (title, summary, place, perpetrator, sponsor, target,
source_quote, notes, an extra column, and ``sources`` as both an http(s) link and a
plain citation) holds two payloads per cell, rotated so that every payload of
``payloads.ALL`` appears in every one of those columns, and starts a cell in most of them.
The file name itself is hostile too: it is shown in the page's caption and the exports.

Test modules take the fixtures by assigning them (``browser = corpus.browser``), so each
module has its own server and browser.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.data.schema import EVENT_TYPES, GEO_PRECISIONS
from tests.conftest import COLUMNS, write_csv

from .payloads import ALL, TEMPLATE_MARKERS, mark

ROWS = 60
#: Free-text columns that carry payloads (``sources`` is built from two of them).
TEXT_COLUMNS = ("title", "summary", "place", "perpetrator", "sponsor", "target",
                "source_quote", "notes", "analyst_note")
EXTRA_COLUMN = "analyst_note"
SOURCE_SLOTS = ("sources_url", "sources_citation")
SLOTS = TEXT_COLUMNS + SOURCE_SLOTS
#: Payloads per cell, and how far the rotation moves from one column to the next.
PER_CELL = 2
COLUMN_STRIDE = 13

#: The dataset's file name: shown in the caption (Markdown) and in the exports' footers.
FILE_NAME = (f"hostile [x](javascript:{mark(901)}) <img src=x onerror=alert(902)> "
             "{{7*191}} ${7*191}.csv")
COUNTRIES = ("DE", "ES", "FR", "GB", "PL", "UA", "RU", "TR", "IT", "NL", "XK", "LT")
ATTRIBUTIONS = ("confirmed", "suspected", "alleged", "unknown")


def slot_payloads(row: int, slot: str) -> list[str]:
    """The payload texts placed in ``slot`` of ``row``, in order."""
    column = SLOTS.index(slot)
    start = row + column * COLUMN_STRIDE
    return [ALL[(start + k * ROWS) % len(ALL)].text for k in range(PER_CELL)]


def row_id(row: int) -> str:
    return f"{_date(row)}-hostile-{row:02d}"


def _date(row: int) -> str:
    year, month, day = 1995 + row % 30, 1 + row % 12, 1 + (row * 7) % 28
    precision = _date_precision(row)
    if precision == "year":
        return f"{year}"
    if precision == "month":
        return f"{year}-{month:02d}"
    return f"{year}-{month:02d}-{day:02d}"


def _date_precision(row: int) -> str:
    return ("day", "day", "day", "month", "day", "year")[row % 6]


def hostile_rows() -> list[dict[str, str]]:
    rows = []
    types = list(EVENT_TYPES)
    for r in range(ROWS):
        event_type = types[r % len(types)]
        country = COUNTRIES[r % len(COUNTRIES)]
        row = {column: "" for column in COLUMNS}
        row.update(
            id=row_id(r),
            date=_date(r),
            date_precision=_date_precision(r),
            event_type=event_type,
            country=country,
            lat=f"{35.5 + (r % 10) * 2.5 + (r // 10) * 0.4:.4f}",
            lon=f"{-8.5 + (r // 10) * 6.5 + (r % 10) * 0.8:.4f}",
            geo_precision=list(GEO_PRECISIONS)[r % len(GEO_PRECISIONS)],
            geocoder="manual",
            attribution=ATTRIBUTIONS[r % len(ATTRIBUTIONS)],
        )
        for column in TEXT_COLUMNS:
            row[column] = " ".join(slot_payloads(r, column))
        url, citation = (slot_payloads(r, slot) for slot in SOURCE_SLOTS)
        row["sources"] = "; ".join(
            [f"https://example.org/?q={text}" for text in url]
            + [f"Cited in {text}" for text in citation]
        )
        if event_type == "killing":
            row["fatalities"] = str(1 + r % 3)
        if event_type == "diplomatic_expulsion":
            row["persons"] = str(5 + r)
            row["counterpart_country"] = "GB" if country == "RU" else "RU"
        if r % 7 == 3:
            row["related_id"] = row_id(r - 1)
        rows.append(row)
    return rows


@pytest.fixture(scope="session")
def hostile_dataset(tmp_path_factory) -> Path:
    """The hostile dataset, written once per test session."""
    rows = hostile_rows()
    for row in rows:
        for column in ("lat", "lon", "fatalities", "persons", "id", "date"):
            assert not any(marker in row[column] for marker in TEMPLATE_MARKERS), row[column]
    folder = tmp_path_factory.mktemp("hostile")
    return write_csv(folder / FILE_NAME, rows, COLUMNS + [EXTRA_COLUMN])


@pytest.fixture(scope="session")
def hostile_incidents(hostile_dataset):
    from dashboard.data.loading import load_incidents

    return load_incidents(hostile_dataset)


@pytest.fixture(scope="module")
def hostile_server(hostile_dataset) -> Iterator[str]:
    from tests.browser.conftest import serve

    yield from serve(data=hostile_dataset, log_name="hostile-server.log")


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for one module (as tests/browser/conftest.py)."""
    from dashboard.exports.browser import BrowserNotFound, find_chromium, launch_chromium

    try:
        find_chromium()
    except BrowserNotFound as error:
        pytest.fail(f"hostile browser tests need Chromium: {error}", pytrace=False)
    with launch_chromium() as chromium:
        yield chromium
