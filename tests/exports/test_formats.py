"""CSV and GeoJSON exports, names, sizes and atomic writes (no browser needed)."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from dashboard.data.filters import Filters, apply_filters, parse_query_params
from dashboard.data.loading import load_incidents
from dashboard.data.schema import read_dataset, validate_file
from dashboard.exports.formats import (
    ExportError,
    PngSize,
    Provenance,
    View,
    check_writable,
    default_file_name,
    export_bytes,
    export_file,
    format_for,
    write_atomic,
)
from dashboard.exports.snapshot import table_html
from tests.conftest import base_row
from tests.paths import FIXTURES

FIXTURE = FIXTURES / "export_fixture.csv"


@pytest.fixture(scope="module")
def incidents() -> pd.DataFrame:
    return load_incidents(FIXTURE)


@pytest.fixture(scope="module")
def source() -> pd.DataFrame:
    """The fixture's cells exactly as written in the file, by id."""
    return read_dataset(FIXTURE).set_index("id")


def test_csv_of_filtered_rows_validates_and_keeps_every_cell(incidents, source, tmp_path):
    filters, notices = parse_query_params({"years": "2019-2025", "country": "DE,ES"})
    assert notices == []
    path = export_file(incidents, View(filters=filters), tmp_path / "view.csv")
    assert validate_file(path) == []
    written = read_dataset(path)
    expected_ids = apply_filters(incidents, filters)["id"].tolist()
    assert written["id"].tolist() == expected_ids
    assert set(written["country"]) == {"DE", "ES"}
    assert list(written.columns) == list(source.columns.insert(0, "id"))
    for _, row in written.iterrows():
        original = source.loc[row["id"]]
        for column in source.columns:
            assert row[column] == original[column], (row["id"], column)


def test_csv_of_everything_round_trips_to_the_same_frame(incidents, tmp_path):
    path = export_file(incidents, View(), tmp_path / "all.csv")
    again = load_incidents(path)
    pd.testing.assert_frame_equal(again, incidents)


def test_geojson_is_rfc7946_lon_lat_with_columns_as_properties(incidents, source, tmp_path):
    path = export_file(incidents, View(), tmp_path / "all.geojson")
    collection = json.loads(path.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert len(features) == len(source)
    by_id = {feature["id"]: feature for feature in features}
    assert set(by_id) == set(source.index)
    without = 0
    for identifier, original in source.iterrows():
        feature = by_id[identifier]
        assert feature["type"] == "Feature"
        properties = feature["properties"]
        assert set(properties) == set(source.columns) | {"id"}
        assert properties["title"] == original["title"]
        assert properties["sources"] == original["sources"]
        if original["lat"]:
            lon, lat = feature["geometry"]["coordinates"]
            assert feature["geometry"]["type"] == "Point"
            assert math.isclose(lon, float(original["lon"]))
            assert math.isclose(lat, float(original["lat"]))
            assert properties["lat"] == float(original["lat"])
        else:
            without += 1
            assert feature["geometry"] is None
            assert properties["lat"] is None and properties["lon"] is None
        if original["fatalities"]:
            assert properties["fatalities"] == int(original["fatalities"])
        else:
            assert properties["fatalities"] is None
    assert without >= 1  # the fixture has rows without coordinates


def test_geojson_of_an_empty_view_is_an_empty_collection(incidents):
    data = export_bytes(incidents, View(filters=Filters(countries=("JP",))), "geojson")
    assert json.loads(data) == {"type": "FeatureCollection", "features": []}


def test_same_view_gives_the_same_bytes_from_full_and_filtered_frames(incidents):
    view = View(filters=Filters(event_types=("killing",), query="berlin"))
    filtered = apply_filters(incidents, view.filters)
    assert 0 < len(filtered) < len(incidents)
    for fmt in ("csv", "geojson"):
        assert export_bytes(incidents, view, fmt) == export_bytes(filtered, view, fmt)


@pytest.mark.parametrize(("name", "fmt"), [
    ("map.png", "png"), ("MAP.PNG", "png"), ("a/b/page.html", "html"), ("page.htm", "html"),
    ("rows.csv", "csv"), ("rows.geojson", "geojson"), ("rows.json", "geojson"),
])
def test_format_follows_the_extension(name, fmt):
    assert format_for(name) == fmt


def test_explicit_format_wins_and_unknown_ones_are_named():
    assert format_for("out.dat", "CSV") == "csv"
    assert format_for("out.dat", "pdf") == "pdf"
    with pytest.raises(ExportError, match='unknown format "docx"'):
        format_for("out.docx", "docx")
    with pytest.raises(ExportError, match='".txt"'):
        format_for("out.txt")
    with pytest.raises(ExportError, match="no extension"):
        format_for("out")


def test_default_file_names_describe_the_view():
    filters = Filters(years=(2019, 2025), countries=("DE", "ES"))
    assert default_file_name(filters, "png") == "incidents_2019-2025_DE-ES.png"
    assert default_file_name(Filters(), "geojson") == "incidents.geojson"


def test_png_sizes_presets_overrides_and_limits():
    assert PngSize() == PngSize(1600, 900, 1)
    assert PngSize.from_options(preset="fhd").pixels == (1920, 1080)
    assert PngSize.from_options(preset="a4", scale=2).pixels == (2246, 1588)
    assert PngSize.from_options(preset="hd", width=1000) == PngSize(1000, 900, 1)
    with pytest.raises(ExportError, match='unknown size preset "xl"'):
        PngSize.from_options(preset="xl")
    with pytest.raises(ExportError, match="width 50 is out of range"):
        PngSize(50, 900)
    with pytest.raises(ExportError, match="scale 4"):
        PngSize(scale=4)


def test_write_atomic_replaces_only_the_target(tmp_path):
    neighbour = tmp_path / "keep.csv"
    neighbour.write_text("untouched")
    target = tmp_path / "out.csv"
    target.write_text("old contents")
    write_atomic(target, b"new contents")
    assert target.read_bytes() == b"new contents"
    assert neighbour.read_text() == "untouched"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.csv", "out.csv"]


def test_unwritable_targets_fail_before_any_work(tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        check_writable(tmp_path / "missing" / "out.csv")
    with pytest.raises(ExportError, match="is a folder"):
        check_writable(tmp_path)


def test_provenance_reads_the_file_date(tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_text("x")
    provenance = Provenance.of(path)
    assert provenance.name == "incidents.csv"
    assert provenance.file_date is not None


def test_table_escapes_text_and_links_only_http(make_dataset):
    path = make_dataset([base_row(
        title='<img src=x onerror="alert(1)">',
        sources="seed_<b>.txt; https://example.org/a?b=1&c=2",
    )])
    rows = load_incidents(path)
    table = table_html(rows)
    assert "<img" not in table and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in table
    assert "seed_&lt;b&gt;.txt" in table
    assert '<a href="https://example.org/a?b=1&amp;c=2"' in table
    assert table.count("<a ") == 1


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_large_exports_are_written_in_pieces_with_the_same_bytes(incidents, tmp_path,
                                                                 monkeypatch, fmt):
    from dashboard.exports import formats

    whole = export_bytes(incidents, View(), fmt)
    monkeypatch.setattr(formats, "CHUNK_ROWS", 3)  # many pieces from a small file
    chunks = list(formats.csv_chunks(incidents) if fmt == "csv"
                  else formats.geojson_chunks(incidents))
    assert len(chunks) >= len(incidents) // 3
    assert b"".join(chunks) == whole
    path = export_file(incidents, View(), tmp_path / f"view.{fmt}")
    assert path.read_bytes() == whole
    empty = View(filters=Filters(query="nothing matches this"))
    assert export_file(incidents, empty, tmp_path / f"empty.{fmt}").read_bytes() == \
        export_bytes(incidents, empty, fmt)
