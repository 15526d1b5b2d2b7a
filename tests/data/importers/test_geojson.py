"""GeoJSON points: our own export comes back exactly; other point files go through the
column mapping; lines and polygons are refused row by row."""

from __future__ import annotations

import json

from dashboard.data.importers import import_file
from dashboard.data.loading import dataset_columns, load_incidents
from dashboard.data.schema import read_dataset
from dashboard.exports.formats import geojson_bytes
from tests.paths import FIXTURES


def test_our_own_export_round_trips_exactly(tmp_path):
    source = FIXTURES / "export_fixture.csv"
    incidents = load_incidents(source)
    path = tmp_path / "export.geojson"
    path.write_bytes(geojson_bytes(incidents))
    result = import_file(path)
    assert result.source == "dataset" and result.problems == []
    original = read_dataset(source)
    imported = result.incidents[dataset_columns(original)]
    assert imported.to_dict(orient="records") == original.reset_index(drop=True).to_dict(
        orient="records")


def test_other_point_files_use_the_column_mapping(tmp_path):
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"date": "2024-06-01", "name": "Depot fire",
                                           "country": "Poland", "city": "Warsaw"},
         "geometry": {"type": "Point", "coordinates": [20.9511, 52.2297]}},
        {"type": "Feature", "properties": {"date": "2024-06-02", "name": "Line",
                                           "country": "Poland"},
         "geometry": {"type": "LineString", "coordinates": [[20, 52], [21, 52]]}},
        {"type": "Feature", "properties": {"date": "2024-06-03", "name": "Not yet located",
                                           "country": "Lithuania", "city": "Vilnius"},
         "geometry": None},
    ]}
    path = tmp_path / "points.geojson"
    path.write_text(json.dumps(collection))
    result = import_file(path)
    assert result.source == "table"
    assert result.problems == []
    warsaw, line, vilnius = result.incidents.to_dict(orient="records")
    assert (warsaw["title"], warsaw["lat"], warsaw["lon"], warsaw["place"]) == (
        "Depot fire", "52.2297", "20.9511", "Warsaw, Poland")
    # A line is placed at a point on it, and says so.
    assert (line["lat"], line["lon"]) == ("52", "20")
    assert "a representative point of its LineString" in line["notes"]
    assert any("LineString ×1" in notice for notice in result.notices)
    assert (vilnius["lat"], vilnius["geocoder"], vilnius["country"]) == ("", "", "LT")
    assert (result.rows_in, result.rows_out, result.refused) == (3, 3, 0)
