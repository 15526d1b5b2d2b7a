"""An upload read and converted in the worker process: what the page needs comes back, and
every limit (the worker's own memory and time included) comes back as its one line."""

from __future__ import annotations

import pytest

from dashboard.data.importers.isolated import read_upload
from dashboard.data.importers.limits import LimitExceeded, Limits
from dashboard.data.schema import DatasetError
from tests.hostile import uploads

SHEET = (b"Date,City,Country,Latitude,Longitude\n"
         b"2024-03-14,Villajoyosa,Spain,38.5075,-0.2333\n"
         b"the day after,Riga,Latvia,56.95,24.11\n")


def test_a_table_comes_back_read_detected_guessed_and_converted():
    reading = read_upload(SHEET, "sheet.csv")
    assert reading.columns == ["Date", "City", "Country", "Latitude", "Longitude"]
    assert (reading.kind, reading.detected, reading.rows_read) == ("csv", "table", 2)
    assert reading.guessed["date"] == "Date" and reading.guessed["country"] == "Country"
    assert reading.summary == "2 rows in, 1 incidents out, 1 refused, 0 merged"
    assert reading.incidents["country"].tolist() == ["ES"]
    assert reading.problems["row"].tolist() == [3]


def test_a_conversion_that_fails_keeps_the_reading_and_says_why():
    reading = read_upload(SHEET, "sheet.csv", "acled")
    assert reading.incidents is None and "not a complete ACLED export" in reading.error
    assert reading.columns[0] == "Date"


def test_a_limit_passed_in_the_worker_comes_back_whole(tmp_path):
    raw = uploads.many_rows_csv(tmp_path, 30).read_bytes()
    with pytest.raises(LimitExceeded) as caught:
        read_upload(raw, "rows.csv", limits=Limits(rows=29))
    assert (caught.value.limit, caught.value.value, caught.value.file) == ("rows", 29, "rows.csv")


def test_a_file_that_is_not_a_table_is_one_line():
    with pytest.raises(DatasetError, match="one column only"):
        read_upload(b"just text\nmore text\n", "notes.txt")


def test_the_workers_memory_is_the_parse_memory_limit():
    raw = b"a,b\n" + b"1,2\n" * 3_000_000  # needs far more than 64 MB to read
    with pytest.raises(LimitExceeded, match="parse_memory_mb=64;") as caught:
        read_upload(raw, "big.csv", limits=Limits(parse_memory_mb=64, rows=10**7))
    assert "needs more than 64 MB of memory to read" in str(caught.value)


def test_the_workers_time_is_the_parse_seconds_limit():
    # two million rows of text to read and convert (dates with a time, country names):
    # many seconds of work on any machine, stopped after one
    row = b"6/15/2016 11:31:00 PM,United States,40.1,-75.2,Philadelphia,Street robbery\n"
    raw = b"date,country,latitude,longitude,place,description\n" + row * 2_000_000
    with pytest.raises(LimitExceeded, match="takes more than 1 seconds to read"):
        read_upload(raw, "slow.csv", limits=Limits(parse_seconds=1, rows=10**7,
                                                   upload_mb=1_024, parse_memory_mb=8_192))
