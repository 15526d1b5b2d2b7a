"""The offline basemap's detail: the place-name file and the element the map carries."""

from __future__ import annotations

import json

from dashboard.data.loading import load_incidents
from dashboard.maps import basemap
from dashboard.maps.assets import local_url
from dashboard.maps.framing import DETAIL_MAX_FOCUS_ZOOM
from dashboard.maps.mapping import OFFLINE_MAX_FOCUS_ZOOM, build_map
from tests.maps.map_support import FIXTURE, incident_payload


def test_place_file_is_written_from_geonames_and_read_back(tmp_path):
    path = basemap.ensure_places_file(tmp_path)
    rows = json.loads(path.read_text(encoding="utf-8"))
    assert len(rows) > 20_000
    by_name = {}
    for row in rows:  # the first of each name: a capital, else the most populous
        by_name.setdefault(row[0], row)
    for name, lat, lon in (("Madrid", 40.4, -3.7), ("Berlin", 52.5, 13.4),
                           ("Istanbul", 41.0, 29.0), ("Villajoyosa", 38.5, -0.2)):
        row = by_name[name]
        assert abs(row[1] - lat) < 0.3 and abs(row[2] - lon) < 0.3, row
    assert by_name["Madrid"][4] == 1 and by_name["Berlin"][4] == 1  # capitals
    assert by_name["Istanbul"][4] == 0
    capitals = [row for row in rows if row[4]]
    assert rows[:len(capitals)] == capitals  # capitals first, then by population
    rest = [row[3] for row in rows[len(capitals):]]
    assert rest == sorted(rest, reverse=True)


def test_an_existing_place_file_is_never_rewritten(tmp_path):
    path = basemap.places_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("[]\n", encoding="utf-8")
    basemap.ensure_places_file(tmp_path)
    assert path.read_text(encoding="utf-8") == "[]\n"


def test_served_map_carries_the_detail_and_may_zoom_closer():
    incidents = load_incidents(FIXTURE)
    focus = "2018-03-26-london-expulsion"
    page = build_map(incidents, offline=True, focus_id=focus, basemap_detail=True) \
        .get_root().render()
    assert "window.IncidentBasemap.add(" in page
    for dest in ("world-atlas/countries-50m.json", "world-atlas/countries-10m.json",
                 "topojson-client/topojson-client.min.js"):
        assert local_url(dest) in page
    assert "/app/static/vendor/" + basemap.PLACES_NAME in page
    _, options = incident_payload(page)
    assert OFFLINE_MAX_FOCUS_ZOOM < options["frame"]["zoom"] <= DETAIL_MAX_FOCUS_ZOOM
    # an exported page (opened from disk, nothing to fetch) keeps the outline's zoom limit
    exported = build_map(incidents, offline=True, focus_id=focus).get_root().render()
    assert "IncidentBasemap" not in exported
    assert incident_payload(exported)[1]["frame"]["zoom"] <= OFFLINE_MAX_FOCUS_ZOOM


def test_capitals_written_at_set_up_read_back_the_same(tmp_path):
    from dashboard.maps import basemap

    basemap.ensure_places_file(tmp_path)
    written = json.loads((tmp_path / basemap.CAPITALS_NAME).read_text(encoding="utf-8"))
    assert written == json.loads(json.dumps(basemap.capitals_rows()))
    lat, lon, name = written["DE"]
    assert name == "Berlin" and abs(lat - 52.52) < 0.1 and abs(lon - 13.41) < 0.1
    assert basemap.stored_capitals()["RU"][2] == "Moscow"
