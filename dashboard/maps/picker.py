"""The editor's small map: the candidates for a place and the row's point, which can be
dragged (or the map clicked) to the exact site.

The page reads the chosen point from ``st_folium``'s ``last_clicked``: a click on the map
sets it, and :class:`DragReport` makes the end of a drag report the marker's new position
the same way (it fires the map's ``click`` event with the marker's position). A click on a
candidate's circle is reported as ``last_object_clicked``.
"""

from __future__ import annotations

import folium
from folium.template import Template

from dashboard.maps.assets import assets_available, configure_folium_assets
from dashboard.maps.mapping import DEFAULT_LOCATION, POSITRON_ATTRIBUTION, POSITRON_URL
from dashboard.maps.outline import WorldOutline, outline_available
from dashboard.maps.plugins import RawMacroElement

#: Zoom on the point, by precision.
ZOOM = {"site": 14, "district": 12, "city": 10, "region": 7, "country": 5}
CANDIDATE_COLOUR = "#2563eb"
POINT_COLOUR = "#b91c1c"


class DragReport(RawMacroElement):
    """When its parent marker is dropped, report its position as a click on the map."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.on("dragend", function (event) {
                var marker = event.target;
                if (marker._map) {
                    marker._map.fire("click", {latlng: marker.getLatLng()});
                }
            });
        {% endmacro %}
    """)

    def __init__(self):
        super().__init__()
        self._name = "DragReport"


def build_picker_map(candidates, point: tuple[float, float] | None, *, offline: bool,
                     precision: str = "city", height: int = 360) -> folium.Map:
    """A map of ``candidates`` (objects with ``lat``/``lon``) and the draggable ``point``."""
    centre = point or ((candidates[0].lat, candidates[0].lon) if candidates else None)
    zoom = ZOOM.get(precision, 10) if centre else 3
    if offline:
        zoom = min(zoom, 6)  # the outline has no streets: closer shows only grey land
    m = folium.Map(location=centre or DEFAULT_LOCATION, zoom_start=zoom, tiles=None,
                   control_scale=True, min_zoom=2, height=f"{int(height)}px")
    if not offline:
        folium.TileLayer(POSITRON_URL, attr=POSITRON_ATTRIBUTION, name="Basemap",
                         subdomains="abcd", max_zoom=20, control=False).add_to(m)
    if outline_available():
        WorldOutline().add_to(m)
    for candidate in candidates:
        folium.CircleMarker((candidate.lat, candidate.lon), radius=7, weight=2,
                            color=CANDIDATE_COLOUR, fill=True, fill_opacity=0.35).add_to(m)
    if point is not None:
        marker = folium.Marker(point, draggable=True,
                               icon=folium.DivIcon(html=_POINT_ICON, icon_size=(18, 18),
                                                   icon_anchor=(9, 9)))
        DragReport().add_to(marker)
        marker.add_to(m)
    configure_folium_assets(m, local=assets_available())
    return m


_POINT_ICON = (
    f'<div class="im-picker-point" style="width:14px;height:14px;border-radius:50%;'
    f'background:{POINT_COLOUR};border:2px solid #fff;box-shadow:0 0 0 1px {POINT_COLOUR};'
    'cursor:move"></div>'
)
