"""The map of a source served through the query engine: each view asks the engine.

The browser never holds the dataset. On every pan or zoom (and filter change) the map asks
``/engine/view`` (:mod:`dashboard.server.engine_routes`) for the view's bounds and zoom; the
engine answers with the grid cells of that zoom (:mod:`dashboard.data.engine.grid`), drawn
as the same cluster symbols as the large-data map, or, when the view holds at most
:data:`~dashboard.data.engine.query.POINT_LIMIT` incidents, with the incidents themselves,
drawn as points whose popup is fetched when it opens (``static/incident_engine.js``). The
switch between the two follows the numbers alone, at any zoom.

The map itself depends only on the options; the filters travel in ``m.engine_filter``
(:class:`EngineFilter`), which the page sends with ``st_folium(feature_group_to_add=...)``,
so a filter change sends a few hundred bytes for the map and the map keeps its frame.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import folium
from folium.elements import JSCSSMixin
from folium.template import Template

from dashboard.data.engine.grid import CELL_PIXELS
from dashboard.data.schema import ATTRIBUTIONS, EVENT_TYPES
from dashboard.maps.assets import assets_available, configure_folium_assets
from dashboard.maps.legend import Legend, LegendContent
from dashboard.maps.mapping import (
    ATTRIBUTION_LABELS,
    DEFAULT_LOCATION,
    DEFAULT_ZOOM,
    EVENT_COLOURS,
    POPUP_WIDTH,
    POSITRON_ATTRIBUTION,
    POSITRON_URL,
    marker_css,
)
from dashboard.maps.plugins import RawMacroElement, script_json
from dashboard.maps.scale_map import SCALE_CSS, FilterState, ScaleOutline

#: Where the dashboard serves the drawing code (Streamlit's static serving of ``static/``).
RUNTIME_URL = "/app/static/incident_engine.js"
RUNTIME_FILE = Path(__file__).resolve().parents[1] / "static" / "incident_engine.js"
VIEW_URL = "/engine/view"
INCIDENT_URL = "/engine/incident"


class EngineIncidents(JSCSSMixin, RawMacroElement):
    _template = Template("""
        {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            {{ this.runtime }}
            window.IncidentEngine.create({{ this._parent.get_name() }}, {{ this.options }});
        {% endmacro %}
    """)

    def __init__(self, options: dict, css: str, *, inline_runtime: bool = False):
        """``inline_runtime``: the drawing code inside the page (a file opened from disk),
        not loaded from the dashboard."""
        super().__init__()
        self._name = "EngineIncidents"
        self.options = script_json(options)
        self.css = css.replace("</", "<\\/")
        self.runtime = ""
        self.default_js = [("incident_engine", RUNTIME_URL)]
        if inline_runtime:
            self.runtime = RUNTIME_FILE.read_text(encoding="utf-8").replace("</", "<\\/")
            self.default_js = []


class EngineFilter(FilterState):
    """The filters (as URL parameters), the box around the passing incidents and the view
    to open at: all that a filter change sends to a map already drawn."""

    runtime = "IncidentEngine"


def build_engine_map(params: dict[str, str], *, extent, offline: bool,
                     height: int | None = None, outline_url: str | None = None,
                     at: tuple[float, float, int] | None = None,
                     standalone: bool = False, inline: dict | None = None) -> folium.Map:
    """The engine map for the filters in ``params`` (the page's URL parameters), fitted to
    ``extent`` (south, west, north, east of the passing incidents) unless ``at`` (lat, lon,
    zoom) is given. The filter is ``m.engine_filter``, added to the map when ``standalone``.
    ``inline``: the engine's answer for the view at ``at`` (as ``/engine/view`` sends it),
    drawn without asking a server (a picture or an HTML file of the view)."""
    size = {} if height is None else {"height": f"{int(height)}px"}
    m = folium.Map(location=DEFAULT_LOCATION, zoom_start=DEFAULT_ZOOM, tiles=None,
                   control_scale=True, min_zoom=2, world_copy_jump=True, prefer_canvas=True,
                   **size)
    if not offline:
        folium.TileLayer(POSITRON_URL, attr=POSITRON_ATTRIBUTION, name="Basemap",
                         subdomains="abcd", max_zoom=20, control=False).add_to(m)
    if outline_url:
        ScaleOutline(outline_url).add_to(m)
    types, attrs = list(EVENT_TYPES), list(ATTRIBUTIONS)
    options = {
        "viewUrl": VIEW_URL,
        "incidentUrl": INCIDENT_URL,
        "cellPixels": CELL_PIXELS,
        "maxFitZoom": 7,
        "popupWidth": POPUP_WIDTH,
        "types": types,
        "colours": [EVENT_COLOURS.get(t, EVENT_COLOURS["other"]) for t in types],
        "typeLabels": [EVENT_TYPES[t] for t in types],
        "attrs": attrs,
        "attrLabels": [ATTRIBUTIONS[a] for a in attrs],
    }
    if inline is not None:
        options["inline"] = inline
    EngineIncidents(options, marker_css() + SCALE_CSS,
                    inline_runtime=inline is not None).add_to(m)
    content = LegendContent(
        types=[(t, EVENT_TYPES[t], EVENT_COLOURS[t]) for t in types],
        attributions=[(a, ATTRIBUTION_LABELS[a]) for a in attrs],
        clustered=True,
    )
    Legend(content, size_colour=EVENT_COLOURS["diplomatic_expulsion"]).add_to(m)
    configure_folium_assets(m, local=assets_available())
    query = {key: value for key, value in params.items()
             if key in ("years", "months", "country", "type", "attribution", "q")}
    bounds = None
    if extent is not None:
        south, west, north, east = extent
        bounds = [[south, west], [north, east]]
    m.engine_filter = EngineFilter({"query": urlencode(query), "bounds": bounds,
                                    "at": list(at) if at else None})
    if standalone:
        m.engine_filter.add_to(m)
    return m
