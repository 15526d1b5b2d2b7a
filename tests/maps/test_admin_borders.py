"""First-level administrative borders: from the package's per-country TopoJSON to the small
line files the map fetches."""

from __future__ import annotations

import json

import pytest

from dashboard.maps import admin_borders
from dashboard.maps.assets import VENDOR_DIR

#: Two provinces side by side, written by hand in the TopoJSON format
#: (https://github.com/topojson/topojson-specification): arc 0 is their common border,
#: arcs 1 and 2 the coast around each; quantised and delta-encoded.
TWO_PROVINCES = {
    "type": "Topology",
    "transform": {"scale": [0.001, 0.001], "translate": [10.0, 50.0]},
    "objects": {"xyz": {"type": "GeometryCollection", "geometries": [
        {"type": "Polygon", "id": "XY.A", "arcs": [[0, 1]]},
        {"type": "Polygon", "id": "XY.B", "arcs": [[~0, 2]]},
    ]}},
    "arcs": [
        [[1000, 0], [0, 500], [0, 500]],              # (11, 50) -> (11, 51)
        [[1000, 1000], [-1000, 0], [0, -1000], [1000, 0]],
        [[1000, 0], [1000, 0], [0, 1000], [-1000, 0]],
    ],
}


def test_only_the_border_two_divisions_share_is_kept():
    assert admin_borders.internal_arcs(TWO_PROVINCES["objects"]["xyz"]) == [0]
    assert admin_borders.country_borders(TWO_PROVINCES) == [[[11.0, 50.0], [11.0, 50.5],
                                                             [11.0, 51.0]]]


def test_border_files_are_written_with_an_index_and_read_back(tmp_path):
    source = tmp_path / admin_borders.SOURCE_FOLDER
    source.mkdir(parents=True)
    (source / "xyz.topo.json").write_text(json.dumps(TWO_PROVINCES), encoding="utf-8")
    (source / "_nul.topo.json").write_text(json.dumps(TWO_PROVINCES), encoding="utf-8")
    (source / "bad.topo.json").write_text("{not json", encoding="utf-8")
    index_path = admin_borders.ensure_border_files(tmp_path)
    assert admin_borders.border_index(tmp_path) == {"xyz": [11.0, 50.0, 11.0, 51.0]}
    written = json.loads((index_path.parent / "xyz.json").read_text(encoding="utf-8"))
    assert written == {"type": "MultiLineString",
                       "coordinates": [[[11.0, 50.0], [11.0, 50.5], [11.0, 51.0]]]}
    assert set(admin_borders.borders_in((10.5, 50.2, 12, 52), vendor_dir=tmp_path)) == {"xyz"}
    assert admin_borders.borders_in((-5, 40, 0, 42), vendor_dir=tmp_path) == {}
    # written once: an existing index is kept
    index_path.write_text("{}\n", encoding="utf-8")
    admin_borders.ensure_border_files(tmp_path)
    assert admin_borders.border_index(tmp_path) == {}


def test_missing_package_files_name_the_fix(tmp_path):
    with pytest.raises(OSError, match="make assets"):
        admin_borders.ensure_border_files(tmp_path)


def test_the_fetched_package_gives_the_states_of_germany_spain_and_turkey():
    admin_borders.ensure_border_files()
    index = admin_borders.border_index()
    for code, (lon, lat) in (("deu", (13.4, 52.5)), ("esp", (-3.7, 40.4)),
                             ("tur", (29.0, 41.0))):
        west, south, east, north = index[code]
        assert west < lon < east and south < lat < north, (code, index[code])
    germany = json.loads((VENDOR_DIR / "admin1" / "deu.json").read_text(encoding="utf-8"))
    # Berlin is a state: a ring of border passes within 25 km of its centre
    near = [point for line in germany["coordinates"] for point in line
            if abs(point[0] - 13.4) < 0.35 and abs(point[1] - 52.5) < 0.25]
    assert len(near) > 20
