"""Custom Leaflet elements: safe JSON, raw rendering, layers, the year play control."""

from __future__ import annotations

import json

import folium
import pytest

from dashboard.maps.plugins import (
    IncidentData,
    IncidentLayer,
    RawElement,
    YearPlayControl,
    runtime_js,
    script_json,
)


def test_script_json_is_safe_in_script_and_template():
    text = script_json({"t": "</script><!-- {{ 7*7 }} {% x %} {# c #} & \u2028"})
    for bad in ("</", "<!--", "{{", "{%", "{#", "&", "\u2028"):
        assert bad not in text
    assert json.loads(text) == {"t": "</script><!-- {{ 7*7 }} {% x %} {# c #} & \u2028"}


def test_raw_element_is_not_read_as_a_template():
    assert RawElement("{{ 7*7 }}").render() == "{{ 7*7 }}"


def test_incident_data_renders_runtime_and_styles():
    m = folium.Map(tiles=None)
    IncidentData({"lat": [1.0]}, {"offline": True}, ".x{color:red}").add_to(m)
    page = m.get_root().render()
    assert runtime_js().strip()[:40] in page
    assert '{"lat":[1.0]}' in page and ".x{color:red}" in page


def test_incident_layer_kinds_and_plugin_files():
    with pytest.raises(ValueError, match="unknown incident layer kind"):
        IncidentLayer("pins", "Pins")
    clusters = IncidentLayer("clusters", "Clusters")
    assert [name for name, _ in clusters.default_js] == ["markerclusterjs"]
    assert clusters.default_js[0][1].endswith("leaflet.markercluster/leaflet.markercluster.js")
    assert IncidentLayer("halos", "Halos").default_js == []


def test_year_play_control_renders_years():
    m = folium.Map(tiles=None)
    YearPlayControl(1959, 2024, interval_ms=500).add_to(m)
    page = m.get_root().render()
    assert "var first = 1959, last = 2024;" in page
    assert "setInterval(step, 500)" in page
    assert "map.incidentMap.setYear(value, windowed)" in page
    assert "incident-play-mode" in page  # cumulative or one year at a time
