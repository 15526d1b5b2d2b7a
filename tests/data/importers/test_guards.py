"""Hostile files stop at the limit they pass, at once, with the limit's one line; honest
files at the limits' edges still read."""

from __future__ import annotations

import io
import json
import time
import zipfile

import pytest

from dashboard.data.importers.guards import (
    check_json,
    check_workbook,
    column_number,
    scan_lines,
)
from dashboard.data.importers.limits import LimitExceeded, Limits
from dashboard.data.importers.reading import read_table
from tests.hostile import uploads

#: CPU seconds a refusal may take (each takes well under one; CPU time, not the wall
#: clock, so a loaded machine does not fail the test).
QUICK = 5.0


@pytest.mark.parametrize("builder", list(uploads.LIMIT), ids=lambda b: b.__name__)
def test_each_hostile_upload_stops_at_its_limit_at_once(tmp_path, builder):
    path = builder(tmp_path)
    raw = path.read_bytes()
    started = time.process_time()
    with pytest.raises(LimitExceeded) as caught:
        read_table(raw, name=path.name)
    elapsed = time.process_time() - started
    limit = uploads.LIMIT[builder]
    assert caught.value.limit == limit
    line = str(caught.value)
    assert line.startswith(f"{path.name}: ") and "\n" not in line
    assert f"--limit {limit}=N" in line and f"INCIDENT_MAP_LIMIT_{limit.upper()}=N" in line
    assert elapsed < QUICK, f"{path.name}: refused after {elapsed:.1f} s"


def test_the_shared_string_bomb_renamed_csv_is_still_read_as_a_workbook(tmp_path):
    path = uploads.shared_string_bomb(tmp_path, megabytes=30)
    with pytest.raises(LimitExceeded, match="line_kb"):
        read_table(path.read_bytes(), name="innocent.csv")


@pytest.mark.parametrize(("rows", "passes"), [(20, True), (21, False)])
def test_rows_of_a_csv_are_counted_to_the_limit(tmp_path, rows, passes):
    raw = uploads.many_rows_csv(tmp_path, rows).read_bytes()
    if passes:
        assert len(read_table(raw, name="x.csv", limits=Limits(rows=20)).frame) == rows
    else:
        with pytest.raises(LimitExceeded, match="more than 20 rows"):
            read_table(raw, name="x.csv", limits=Limits(rows=20))


def test_quoted_line_breaks_are_not_counted_as_rows():
    body = "".join(f'2020-01-0{n},DE,"line one\nline two"\n' for n in range(1, 6))
    raw = ("date,country,notes\n" + body).encode()
    table = read_table(raw, name="x.csv", limits=Limits(rows=5))
    assert table.frame["notes"].tolist() == ["line one\nline two"] * 5


def test_a_line_at_the_limit_reads_and_one_byte_more_does_not():
    limits = Limits(line_kb=1)
    assert scan_lines(b"a,b\n" + b"x" * 1024 + b"\r\n", limits, "x.csv") == 2
    assert scan_lines(b"x" * 1024, limits, "x.csv") == 1
    assert scan_lines(b"a\rb\rc", limits, "x.csv") == 3
    for raw in (b"x" * 1025, b"a\n" + b"x" * 1025 + b"\nb", b"a\r" + b"x" * 1025):
        with pytest.raises(LimitExceeded, match="line_kb"):
            scan_lines(raw, limits, "x.csv")


def test_a_long_line_across_chunks_is_found(monkeypatch):
    from dashboard.data.importers import guards

    monkeypatch.setattr(guards, "CHUNK", 1000)
    limits = Limits(line_kb=2)
    assert scan_lines((b"y" * 2000 + b"\n") * 5, limits, "x.csv") == 5
    with pytest.raises(LimitExceeded):
        scan_lines(b"a\n" + b"y" * 2049 + b"\n", limits, "x.csv")


def test_columns_of_a_csv_header_are_counted_before_the_file_is_parsed(tmp_path):
    raw = b",".join(b"c%d" % n for n in range(30)) + b"\n" + b"1," * 29 + b"1\n"
    assert len(read_table(raw, name="x.csv", limits=Limits(columns=30)).frame.columns) == 30
    with pytest.raises(LimitExceeded, match="more than 29 columns"):
        read_table(raw, name="x.csv", limits=Limits(columns=29))


def _book(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        for name, data in parts.items():
            book.writestr(name, data)
    return buffer.getvalue()


def test_a_workbook_is_checked_part_by_part():
    sheet = b'<worksheet><sheetData><row r="1">' + b'<c r="A1"><v>1</v></c>' * 10 + \
        b"</row></sheetData></worksheet>"
    shared = b"<sst>" + b"<si><t>x</t></si>" * 10 + b"</sst>"
    raw = _book({"xl/worksheets/sheet1.xml": sheet, "xl/sharedStrings.xml": shared})
    check_workbook(raw, Limits(cells=10, shared_strings=10, workbook_entries=2), "b.xlsx")
    for limits, name in [(Limits(cells=9), "cells"), (Limits(shared_strings=9), "shared_strings"),
                         (Limits(workbook_entries=1), "workbook_entries")]:
        with pytest.raises(LimitExceeded) as caught:
            check_workbook(raw, limits, "b.xlsx")
        assert caught.value.limit == name


def test_a_workbook_decompressing_past_its_limit_stops_on_the_way():
    raw = _book({"xl/media/blob.bin": bytes(3 * 1024 * 1024)})
    check_workbook(raw, Limits(workbook_mb=3), "b.xlsx")
    with pytest.raises(LimitExceeded, match="decompresses to more than 2 MB"):
        check_workbook(raw, Limits(workbook_mb=2), "b.xlsx")


def test_a_cell_beyond_the_column_limit_is_refused():
    assert column_number("XFD") == 16384 and column_number("AAA") == 703
    sheet = b'<worksheet><sheetData><row r="1"><c r="ALL1"><v>1</v></c>' \
        b'<c r="ALM1"><v>1</v></c></row></sheetData></worksheet>'
    raw = _book({"xl/worksheets/sheet1.xml": sheet})
    check_workbook(raw, Limits(columns=1001), "b.xlsx")
    with pytest.raises(LimitExceeded, match="more than 1,000 columns"):
        check_workbook(raw, Limits(columns=1000), "b.xlsx")


def test_a_zip_that_is_not_a_workbook_is_one_line():
    from dashboard.data.schema import DatasetError

    with pytest.raises(DatasetError, match="not an Excel .xlsx workbook"):
        check_workbook(b"PK\x03\x04" + bytes(100), Limits(), "b.xlsx")


@pytest.mark.parametrize(("text", "depth"), [
    ("{}", 1), ("[[], [[]], {}]", 3), ('["[[[[", {"a": "]]}}"}]', 2),
    ('["\\"[[["]', 1), ("1", 0),
])
def test_json_depth_ignores_brackets_in_strings(text, depth):
    """Depth counts arrays and objects, never brackets inside strings."""
    check_json(text, Limits(json_depth=max(depth, 1)), "x.json")
    if depth > 1:
        with pytest.raises(LimitExceeded):
            check_json(text, Limits(json_depth=depth - 1), "x.json")


def _points(count: int) -> bytes:
    features = [{"type": "Feature", "properties": {"date": "2020-01-01", "country": "DE"},
                 "geometry": {"type": "Point", "coordinates": [13.4, 52.5]}}] * count
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def test_geojson_positions_and_features_are_counted():
    raw = _points(10)
    assert len(read_table(raw, name="p.geojson", limits=Limits(coordinates=10, rows=10)).frame) == 10
    with pytest.raises(LimitExceeded, match="more than 9 coordinates"):
        read_table(raw, name="p.geojson", limits=Limits(coordinates=9))
    with pytest.raises(LimitExceeded, match="more than 9 rows"):
        read_table(raw, name="p.geojson", limits=Limits(rows=9))


def test_an_upload_larger_than_its_limit_is_refused_before_reading():
    with pytest.raises(LimitExceeded, match="larger than 1 MB"):
        read_table(b"a,b\n" + b"1,2\n" * 300_000, name="x.csv", limits=Limits(upload_mb=1))


def test_workbook_rows_stop_at_the_limit(tmp_path):
    path = uploads.million_rows(tmp_path, rows=50)
    with pytest.raises(LimitExceeded, match="more than 49 rows"):
        read_table(path.read_bytes(), name=path.name, limits=Limits(rows=49))
