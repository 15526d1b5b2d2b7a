"""Files read by what they are: encodings detected, R's NA empty, broken lines refused,
formats not recognised named in one line, at once."""

from __future__ import annotations

import json
import time

import pytest

from dashboard.data.importers import import_file, read_file
from dashboard.data.importers.reading import read_table
from dashboard.data.schema import DatasetError


def test_a_cyrillic_windows_file_is_not_read_as_western(tmp_path):
    path = tmp_path / "events.csv"
    text = ("Date,City,Country,Description\r\n"
            "2022-03-01,Харків,Украина,Обстрел жилого района в северной части города\r\n"
            "2022-03-02,Київ,Украина,Взрыв возле здания телевизионной башни\r\n")
    path.write_bytes(text.encode("cp1251"))
    table = read_file(path)
    assert table.encoding == "cp1251"
    assert table.frame["City"].tolist() == ["Харків", "Київ"]


def test_utf8_with_a_byte_order_mark_and_semicolons(tmp_path):
    path = tmp_path / "events.csv"
    path.write_bytes("\ufeffDate;City;Country\r\n01.03.2022;Kharkiv;Ukraine\r\n".encode())
    table = read_file(path)
    assert list(table.frame.columns) == ["Date", "City", "Country"]
    assert table.encoding == "utf-8"


@pytest.mark.parametrize("missing", ["NA", "N/A", "NULL", "#N/A", "NaN", "null"])
def test_missing_value_markers_are_empty(missing):
    table = read_table(f"a,b\n1,{missing}\n".encode(), name="x.csv")
    assert table.frame["b"].tolist() == [""]


def test_a_line_with_too_many_cells_is_refused(tmp_path):
    table = read_table(b"a,b\n1,2\n3,4,5\n6,7\n", name="x.csv")
    assert [str(p) for p in table.problems] == [
        "row 3, column 3 (extra): has 3 of 2 cells (a truncated or broken line); row left out"]
    assert table.frame["a"].tolist() == ["1", "6"] and table.rows_read == 3


@pytest.mark.parametrize(("content", "message"), [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "an old Excel .xls workbook"),
    (b"PK\x03\x04" + bytes(600), "a zip file that is not"),
    (b"<html><body>not a map</body></html>", "an XML or HTML file, but not KML or GPX"),
    (b"\x00\x01\x02\xff\xfe" * 400, "a binary file"),
    (b'{"type": "Topology", "objects": {}}', "JSON but not GeoJSON"),
    (b"just one column\nof text\n", "one column only"),
    (b"", "the file is empty"),
    (b"\xef\xbb\xbf", "the file is empty"),  # a byte-order mark alone
])
def test_what_is_not_a_table_gets_one_line_at_once(tmp_path, content, message):
    path = tmp_path / "upload.bin"
    path.write_bytes(content)
    started = time.monotonic()
    with pytest.raises(DatasetError, match=message) as error:
        import_file(path)
    assert time.monotonic() - started < 5
    assert "\n" not in str(error.value)


def test_a_large_unrelated_geojson_is_refused_in_one_line(tmp_path):
    features = [{"type": "Feature", "properties": {"name": f"parcel {n}", "area": n},
                 "geometry": {"type": "Point", "coordinates": [10 + n / 1e5, 50]}}
                for n in range(12_000)]
    path = tmp_path / "parcels.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    started = time.monotonic()
    with pytest.raises(DatasetError, match="no date or country column found among: name, area") as error:
        import_file(path)
    assert time.monotonic() - started < 10
    assert "\n" not in str(error.value)
