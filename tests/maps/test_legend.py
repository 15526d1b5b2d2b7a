"""The legend control: entries, escaping, collapsing."""

from __future__ import annotations

import folium

from dashboard.maps.legend import Legend, LegendContent, legend_html


def test_entries_and_escaping():
    content = LegendContent(
        types=[("killing", "Killing <b>&</b>", "#D55E00")],
        attributions=[("alleged", "Alleged: dashed")],
        precisions=[("site", "Exact site", 0), ("city", "City", 15.0)],
        sizes=[(1, 4.0), (47, 20.6)],
        flows=True,
    )
    html = legend_html(content)
    assert "Killing &lt;b&gt;&amp;&lt;/b&gt;" in html and "<b>&</b>" not in html
    assert 'class="im-symbol il-symbol im-a-alleged"' in html
    assert "ring \u2248 15 km" in html and html.count("il-ring") == 1
    assert 'data-persons="47"' in html and "width:41px" in html
    assert "1 person<" in html and "47 people<" in html
    assert "il-flow" in html and "il-link" not in html
    assert "incident-marker" not in html  # legend symbols are never counted as incidents


def test_empty_content():
    assert LegendContent().is_empty()
    assert legend_html(LegendContent()) == ""


def test_renders_as_collapsible_control():
    m = folium.Map(tiles=None)
    Legend(LegendContent(types=[("arrest", "Arrest", "#0072B2")]), title="Key <x>").add_to(m)
    page = m.get_root().render()
    assert 'L.DomUtil.create("details", "incident-legend leaflet-control")' in page
    assert "width > 1000" in page and "var startOpen = null;" in page
    assert "size.y * 0.94" in page
    assert "Key &lt;x&gt;" in page.replace("\\u003c", "<").replace("\\u003e", ">") \
        .replace("\\u0026", "&")
    assert "<x>" not in page
