"""build_map: what the rendered map HTML carries for a small fixture dataset."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from dashboard.data.countries import country_name
from dashboard.data.loading import load_incidents
from dashboard.data.schema import EVENT_TYPES
from dashboard.maps.mapping import (
    CLUSTER_THRESHOLD,
    EVENT_COLOURS,
    FOCUS_ZOOM,
    HALO_METRES,
    OFFLINE_MAX_FOCUS_ZOOM,
    build_map,
    capital_point,
    focus_zoom,
    persons_radius,
    play_interval_ms,
)
from scripts.make_large_dataset import write_dataset
from tests.maps.map_support import FIXTURE, incident_payload, legend_body, script_and_link_urls


@pytest.fixture(scope="module")
def incidents() -> pd.DataFrame:
    return load_incidents(FIXTURE)


def render(frame: pd.DataFrame, **options) -> tuple[str, object]:
    options.setdefault("offline", True)
    m = build_map(frame, **options)
    return m.get_root().render(), m


def rows_by_id(data: dict) -> dict[str, int]:
    return {identifier: index for index, identifier in enumerate(data["id"])}


def test_one_symbol_per_incident_with_coordinates(incidents):
    page, m = render(incidents)
    data, _ = incident_payload(page)
    with_coords = incidents.loc[incidents["has_coords"], "id"].tolist()
    assert sorted(data["id"]) == sorted(with_coords)
    assert len(data["lat"]) == len(data["lon"]) == len(data["type"]) == len(with_coords)
    assert m.incident_summary.shown == len(with_coords)
    assert m.incident_summary.missing_coords == len(incidents) - len(with_coords) == 1
    assert "2021-05-05-no-coordinates" not in page


def test_colour_per_event_type(incidents):
    page, _ = render(incidents)
    data, _ = incident_payload(page)
    types = list(EVENT_TYPES)
    for identifier, index in rows_by_id(data).items():
        row = incidents.loc[incidents["id"] == identifier].iloc[0]
        kind = types[data["type"][index]]
        assert kind == row["event_type"]
        assert data["colours"][data["type"][index]] == EVENT_COLOURS[kind]
    for kind, colour in EVENT_COLOURS.items():
        assert f".im-t-{kind.replace('_', '-')}{{--im-c:{colour};" in page
    assert len(set(EVENT_COLOURS.values())) == len(EVENT_COLOURS) == len(EVENT_TYPES)


def test_attribution_styles(incidents):
    page, _ = render(incidents)
    css = {name: rule for name, rule in re.findall(r"\.im-a-(\w+)\{([^}]*)\}", page)}
    assert "dashed" in css["alleged"] and "dashed" not in css["suspected"]
    assert "dotted" in css["unknown"]
    assert "background:var(--im-c)" in css["confirmed"]
    assert "background:var(--im-f)" in css["suspected"]
    data, _ = incident_payload(page)
    index = rows_by_id(data)["2004-09-24-region-poisoning"]
    assert data["attrs"][data["attr"][index]] == "alleged"


def test_halo_radius_per_precision(incidents):
    page, _ = render(incidents)
    data, _ = incident_payload(page)
    for identifier, index in rows_by_id(data).items():
        precision = incidents.loc[incidents["id"] == identifier, "geo_precision"].iloc[0]
        assert data["haloMetres"][data["prec"][index]] == HALO_METRES[precision]
    assert HALO_METRES["site"] == 0
    assert HALO_METRES["district"] < HALO_METRES["city"] < HALO_METRES["region"] \
        < HALO_METRES["country"]


def test_expulsion_symbols_grow_with_persons(incidents):
    radii = [persons_radius(n) for n in (2, 5, 10, 23, 47, 100, 200)]
    assert radii == sorted(radii) and len(set(radii)) == len(radii)
    assert persons_radius(40) / persons_radius(10) == pytest.approx(2.0)  # area ∝ persons
    page, _ = render(incidents)
    data, _ = incident_payload(page)
    ids = rows_by_id(data)
    london = data["r"][ids["2018-03-26-london-expulsion"]]
    berlin = data["r"][ids["2019-12-04-berlin-expulsion"]]
    assert london > berlin


def test_flows_go_to_counterpart_capital_and_links_join_parents(incidents):
    page, m = render(incidents)
    data, _ = incident_payload(page)
    ids = rows_by_id(data)
    flows = {data["id"][flow[0]]: flow for flow in data["flows"]}
    moscow = capital_point("RU")
    assert moscow is not None and moscow[2] == "Moscow"
    london = flows["2018-03-26-london-expulsion"]
    assert (london[1], london[2]) == pytest.approx((moscow[0], moscow[1]), abs=1e-3)
    assert london[3] == (f"{country_name('GB')} \u2192 Moscow, {country_name('RU')}: "
                         "23 people")
    consulate = flows["2018-03-30-moscow-consulate"]
    assert (consulate[1], consulate[2]) == pytest.approx(capital_point("GB")[:2], abs=1e-3)
    assert m.incident_summary.flows == 3
    links = {(data["id"][a], data["id"][b]) for a, b in data["links"]}
    assert links == {("2018-03-30-moscow-consulate", "2018-03-26-london-expulsion"),
                     ("2019-12-04-berlin-expulsion", "2019-08-23-berlin-park-killing")}
    child = ids["2018-03-30-moscow-consulate"]
    assert data["parent"][child] == ids["2018-03-26-london-expulsion"]
    assert data["r"][child] < data["r"][ids["2019-08-23-berlin-park-killing"]]


def test_hostile_text_is_escaped_and_only_http_links(incidents):
    frame = incidents.copy()
    hostile = frame.index[frame["id"] == "2020-01-01-country-assessment"][0]
    frame.loc[hostile, "sources"] = ("javascript:alert(1); seed_003.txt; "
                                     "https://example.org/a?x=1&y=<2>")
    frame.loc[hostile, "target"] = '"><img src=x onerror=alert(2)>'
    page, _ = render(frame)
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page
    data, _ = incident_payload(page)
    index = rows_by_id(data)["2020-01-01-country-assessment"]
    assert data["title"][index] == "&lt;script&gt;alert(1)&lt;/script&gt; assessment"
    assert data["summary"][index] == ("Summary with &lt;b&gt;bold&lt;/b&gt; &amp; "
                                      "&quot;quotes&quot;.")
    more = data["more"][index]
    hrefs = re.findall(r'href="([^"]*)"', more)
    assert hrefs == ["https://example.org/a?x=1&amp;y=&lt;2&gt;"]
    assert 'target="_blank" rel="noopener noreferrer"' in more
    assert "<li>javascript:alert(1)</li>" in more  # shown as text, never a link
    assert "<li>seed_003.txt</li>" in more
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in more
    for pieces in (data["title"], data["summary"], data["more"], data["places"], data["dates"]):
        for piece in pieces:
            assert "javascript:" not in re.findall(r'href="([^"]*)"', piece or "")


def test_template_syntax_in_data_is_not_evaluated(incidents):
    frame = incidents.copy()
    frame.loc[0, "title"] = "{{ 7*7 }} {% if 1 %}x{% endif %}"
    page, _ = render(frame)
    data, _ = incident_payload(page)
    assert "{{ 7*7 }} {% if 1 %}x{% endif %}" in data["title"]


def test_legend_lists_only_what_is_shown(incidents):
    page, _ = render(incidents)
    legend = legend_body(page)
    for label in ("Killing", "Attempted killing", "Arrest", "Diplomatic expulsion", "Assessment"):
        assert f"</span>{label}</li>" in legend
    assert "Court ruling" not in legend and "Prisoner exchange" not in legend
    assert "circle area" in legend
    assert 'data-precision="site"' in legend and 'data-precision="country"' in legend
    assert "il-flow" in legend and "il-link" in legend
    killings = incidents[incidents["event_type"] == "killing"]
    legend = legend_body(render(killings)[0])
    assert "Diplomatic expulsion" not in legend and "circle area" not in legend
    assert "Confirmed: solid fill" in legend and "Alleged" not in legend
    assert "il-flow" not in legend


def test_offline_map_has_no_tiles_and_only_same_origin_assets(incidents):
    page, _ = render(incidents, offline=True)
    assert "L.tileLayer" not in page
    urls = script_and_link_urls(page)
    assert urls and all(url.startswith("/app/static/vendor/") for url in urls), urls
    assert "world_outline" in page and '"outlinePane"' in page
    _, options = incident_payload(page)
    assert options["offline"] is True


def test_online_map_has_a_quiet_basemap_over_the_outline(incidents):
    page, _ = render(incidents, offline=False)
    assert "L.tileLayer" in page and "basemaps.cartocdn.com/light_all" in page
    assert "pane.style.zIndex = 150" in page  # outline pane below the tile pane (200)


def test_focus_id_zooms_to_that_incident(incidents):
    page, m = render(incidents, focus_id="2018-03-26-london-expulsion")
    data, options = incident_payload(page)
    assert data["id"][options["focus"]] == "2018-03-26-london-expulsion"
    assert m.incident_summary.focus_found is True
    assert options["focusPopup"] is True
    _, options = incident_payload(render(incidents, focus_id="2018-03-26-london-expulsion",
                                         focus_popup=False)[0])
    assert options["focusPopup"] is False and options["focus"] is not None
    page, m = render(incidents, focus_id="no-such-incident")
    _, options = incident_payload(page)
    assert options["focus"] is None and m.incident_summary.focus_found is False


def test_focus_zoom_follows_location_precision_and_stays_within_the_offline_outline(incidents):
    row = incidents[incidents["id"] == "2018-03-26-london-expulsion"].iloc[0]
    _, online = incident_payload(render(incidents, offline=False, focus_id=row["id"])[0])
    _, offline = incident_payload(render(incidents, offline=True, focus_id=row["id"])[0])
    assert online["frame"]["zoom"] == FOCUS_ZOOM[row["geo_precision"]]
    assert online["frame"]["center"] == [row["lat"], row["lon"]]
    assert offline["frame"]["zoom"] == min(FOCUS_ZOOM[row["geo_precision"]],
                                           OFFLINE_MAX_FOCUS_ZOOM)
    assert focus_zoom("site", offline=False) > focus_zoom("city", offline=False) > focus_zoom(
        "country", offline=False)
    assert focus_zoom("site", offline=True) == OFFLINE_MAX_FOCUS_ZOOM
    assert online["fly"] is False
    _, flying = incident_payload(render(incidents, focus_id=row["id"], fly=True)[0])
    assert flying["fly"] is True and flying["flySeconds"] > 0


def test_default_view_fits_the_points(incidents):
    page, _ = render(incidents)
    data, options = incident_payload(page)
    (south, west), (north, east) = options["frame"]["bounds"]
    assert south == min(data["lat"]) and north == max(data["lat"])
    assert west == min(data["lon"]) and east == max(data["lon"])


def test_empty_frame_gives_an_empty_map(incidents):
    page, m = render(incidents.iloc[0:0])
    data, options, layers = incident_payload(page, layers=True)
    assert data["lat"] == [] and options["frame"]["bounds"] is None
    assert "world_outline" in page and layers == []
    assert m.incident_summary.shown == 0 and m.incident_summary.missing_coords == 0


def test_layers_in_the_layer_control(incidents):
    page, _ = render(incidents)
    _, _, layers = incident_payload(page, layers=True)
    assert [layer["name"] for layer in layers] == [
        "Precision halos", "Expulsion flows", "Incidents", "Clusters", "Heat map"]
    # the world outline names itself for the same menu
    assert 'incidentOutline = {\n                name: "World outline"' in page


def test_many_points_switch_on_clusters_then_heat(tmp_path):
    frame = load_incidents(write_dataset(tmp_path / "many.csv", CLUSTER_THRESHOLD + 50))
    _, m = render(frame)
    assert m.incident_summary.clustered and not m.incident_summary.heatmap
    _, m = render(frame, cluster=False)
    assert not m.incident_summary.clustered
    _, m = render(frame.head(20), heatmap=True)
    assert m.incident_summary.heatmap and not m.incident_summary.clustered
    big = load_incidents(write_dataset(tmp_path / "big.csv", 6000))
    page, m = render(big)
    assert m.incident_summary.clustered and m.incident_summary.heatmap
    data, _ = incident_payload(page)
    assert data["summary"] is None and data["more"] is None  # compact popups
    assert len(page) < 6000 * 200  # bounded: well under 200 bytes per incident


def test_play_pace_follows_the_span_of_years(incidents):
    assert play_interval_ms(86) * 86 == pytest.approx(24_000, rel=0.02)  # 1940-2025 in ~24 s
    assert play_interval_ms(7) == 900  # a short span is not rushed
    assert play_interval_ms(1000) == 250  # nor a very long one a blur
    page, _ = render(incidents)
    years = incidents.loc[incidents["has_coords"], "year"]
    expected = play_interval_ms(int(years.max() - years.min() + 1))
    assert f"setInterval(step, {expected})" in page


def test_hidden_cluster_and_heat_layers_can_load_their_plugins_later(incidents):
    assert len(incidents) < CLUSTER_THRESHOLD  # both layers start hidden
    eager, _ = render(incidents)
    lazy, _ = render(incidents, lazy_plugins=True)
    assert any("markercluster" in url for url in script_and_link_urls(eager))
    assert any("leaflet-heat" in url for url in script_and_link_urls(eager))
    assert not any("markercluster" in url or "leaflet-heat" in url
                   for url in script_and_link_urls(lazy))
    # ... but the layers still know where their files are
    assert '"js":["/app/static/vendor/leaflet.markercluster/leaflet.markercluster.js"]' in lazy
    assert '"js":["/app/static/vendor/leaflet.heat/leaflet-heat.js"]' in lazy


def test_a_layer_shown_from_the_start_declares_its_plugin_even_when_lazy(incidents):
    page, _ = render(incidents, lazy_plugins=True, cluster=True)
    assert any("markercluster" in url for url in script_and_link_urls(page))


def test_the_player_carries_the_frame_of_the_incidents_it_animates(incidents):
    """Focused on one incident, the map still knows the extent the year player fits when
    it starts: the view the map opens on with no focus (framing.frame_view)."""
    from dashboard.maps.framing import frame_view

    located = incidents[incidents["has_coords"]].reset_index(drop=True)
    _, options = incident_payload(render(incidents, focus_id="2018-03-26-london-expulsion")[0])
    assert options["frame"]["reason"] == "focus"
    assert options["playFrame"] == frame_view(located, offline=True, detail=False).options()
    assert options["playFrame"]["bounds"] is not None
    _, still = incident_payload(render(incidents, animate=False)[0])
    assert "playFrame" not in still  # no player, nothing to fit


def test_the_legend_starts_closed_under_a_focused_incidents_popup(incidents):
    focused = render(incidents, focus_id="2018-03-26-london-expulsion")[0]
    assert "var startOpen = false;" in focused
    assert "var startOpen = null;" in render(incidents)[0]  # by the map's width
    labelled = render(incidents, focus_id="2018-03-26-london-expulsion", focus_popup=False)[0]
    assert "var startOpen = null;" in labelled


def test_the_same_incidents_send_the_same_update_on_every_run(incidents):
    """streamlit-folium runs the incidents' script again only when it changes: two runs
    with the same incidents (the legend and the year player included) send the same text,
    so a rerun that changes nothing leaves the map, its open layer menu and popup alone."""
    import streamlit_folium

    def update(frame) -> str:
        m = build_map(frame, offline=True, in_place=True)
        m.get_root().render()
        streamlit_folium._get_map_string(m)
        return streamlit_folium._get_feature_group_string(m.incident_update, m)

    first = update(incidents)
    assert "new Control().addTo(map" in first  # the legend and the player are in it
    assert update(incidents) == first
    assert update(incidents.iloc[:3]) != first
