"""World outline: TopoJSON decoding and the outline layer under the tiles."""

from __future__ import annotations

import json
import os

import folium
import pytest

from dashboard.maps import outline as outline_module
from dashboard.maps.assets import vendor_path
from dashboard.maps.outline import (
    CONVERTED_FILE,
    OUTLINE_FILE,
    OUTLINE_Z_INDEX,
    WorldOutline,
    convert_outline,
    converted_path,
    topology_to_geojson,
    unwrap_longitudes,
    world_outline_json,
    write_outline_file,
)

# Two arcs share the edge between two squares; quantised and delta-encoded.
TOPOLOGY = {
    "type": "Topology",
    "transform": {"scale": [0.5, 0.25], "translate": [10.0, 40.0]},
    "arcs": [
        [[0, 0], [0, 4], [2, 0]],           # (10,40) -> (10,41) -> (11,41)
        [[2, 4], [0, -4], [-2, 0]],         # (11,41) -> (11,40) -> (10,40)
        [[2, 4], [2, 0], [0, -4], [-2, 0]],  # (11,41) -> (12,41) -> (12,40) -> (11,40)
        [[2, 0], [0, 4]],                   # (11,40) -> (11,41)
    ],
    "objects": {"countries": {"type": "GeometryCollection", "geometries": [
        {"type": "Polygon", "id": "1", "properties": {"name": "West"}, "arcs": [[0, 1]]},
        {"type": "MultiPolygon", "id": "2", "properties": {"name": "East"},
         "arcs": [[[2, 3]]]},
        {"type": None, "id": "3"},
    ]}},
}


def test_topology_to_geojson_decodes_arcs():
    geojson = topology_to_geojson(TOPOLOGY, "countries")
    west, east = geojson["features"]
    assert west["properties"] == {"name": "West"} and west["id"] == "1"
    assert west["geometry"] == {"type": "Polygon", "coordinates": [
        [[10.0, 40.0], [10.0, 41.0], [11.0, 41.0], [11.0, 40.0], [10.0, 40.0]]]}
    assert east["geometry"]["type"] == "MultiPolygon"
    assert east["geometry"]["coordinates"] == [[[
        [11.0, 41.0], [12.0, 41.0], [12.0, 40.0], [11.0, 40.0], [11.0, 41.0]]]]
    assert len(geojson["features"]) == 2  # the null geometry is skipped


def test_reversed_arcs():
    topology = json.loads(json.dumps(TOPOLOGY))
    topology["objects"]["countries"]["geometries"] = [
        {"type": "Polygon", "arcs": [[~1, ~0]]}]
    ring = topology_to_geojson(topology, "countries")["features"][0]["geometry"]["coordinates"][0]
    assert ring == [[10.0, 40.0], [11.0, 40.0], [11.0, 41.0], [10.0, 41.0], [10.0, 40.0]]


def test_rings_across_the_antimeridian_stay_in_one_piece():
    ring = [[179.0, 65.0], [-179.0, 66.0], [-178.0, 64.0], [179.0, 65.0]]
    assert unwrap_longitudes(ring) == [[179.0, 65.0], [181.0, 66.0], [182.0, 64.0],
                                       [179.0, 65.0]]
    plain = [[10.0, 1.0], [20.0, 2.0], [10.0, 1.0]]
    assert unwrap_longitudes(plain) == plain
    geojson = json.loads(world_outline_json())
    for feature in geojson["features"]:
        coordinates = feature["geometry"]["coordinates"]
        polygons = coordinates if feature["geometry"]["type"] == "MultiPolygon" else [coordinates]
        for polygon in polygons:
            for ring in polygon:
                steps = [abs(b[0] - a[0]) for a, b in zip(ring, ring[1:], strict=False)]
                assert max(steps, default=0) <= 180, feature["properties"]["name"]


def test_not_a_topology():
    with pytest.raises(ValueError, match="TopoJSON"):
        topology_to_geojson({"type": "FeatureCollection"}, "countries")
    with pytest.raises(ValueError, match="land"):
        topology_to_geojson(TOPOLOGY, "land")


def test_world_outline_is_natural_earth_countries_cached():
    text = world_outline_json()
    assert world_outline_json() is text  # computed once
    geojson = json.loads(text)
    names = {f["properties"]["name"] for f in geojson["features"]}
    assert {"Germany", "Russia", "Mexico", "Spain"} <= names
    assert len(geojson["features"]) > 150
    assert len(text) < 400_000


def test_outline_layer_is_below_tiles_and_not_interactive():
    m = folium.Map(tiles=None)
    WorldOutline().add_to(m)
    page = m.get_root().render()
    assert OUTLINE_Z_INDEX < 200  # Leaflet's tilePane
    assert f"pane.style.zIndex = {OUTLINE_Z_INDEX}" in page
    assert 'pane.style.pointerEvents = "none"' in page
    assert "interactive: false" in page
    assert '"name":"Germany"' in page


def test_converted_outline_file_is_read_back_and_a_stale_or_cut_file_is_not(tmp_path):
    source = vendor_path(OUTLINE_FILE)
    converted = write_outline_file(tmp_path)
    assert converted == converted_path(tmp_path)
    assert converted.read_text(encoding="utf-8") == convert_outline()
    assert outline_module._stored(source, converted) == convert_outline()
    # cut short (a full disk, a hand edit): converted again, never half an outline in a page
    converted.write_text(convert_outline()[:5000], encoding="utf-8")
    assert outline_module._stored(source, converted) is None
    # older than the TopoJSON it came from (the package was fetched again): not used
    converted.write_text(convert_outline(), encoding="utf-8")
    os.utime(converted, ns=(source.stat().st_mtime_ns - 10**9,) * 2)
    assert outline_module._stored(source, converted) is None
    assert outline_module._stored(source, tmp_path / "missing.json") is None


def test_outline_command_writes_the_converted_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(outline_module, "VENDOR_DIR", tmp_path)
    assert outline_module.main([]) == 0
    assert json.loads((tmp_path / CONVERTED_FILE).read_text(encoding="utf-8"))["features"]
    assert "world outline:" in capsys.readouterr().out
    assert outline_module.main(["extra"]) == 2
