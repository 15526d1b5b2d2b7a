"""The world outline drawn under the map: Natural Earth 1:110m countries from ``world-atlas``.

The npm package ``world-atlas`` (fetched by ``python -m dashboard.maps.assets fetch``) ships the
countries as TopoJSON; :func:`topology_to_geojson` turns that into GeoJSON. ``make assets``
(``python -m dashboard.maps.outline``) writes the result beside it, so a process (a command-line
export above all) reads it instead of converting it again.
:class:`WorldOutline` draws it as light grey land with thin borders in a pane *below* the
tile pane, not interactive, so the map still reads when no tiles load (offline mode has none).
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path

from folium.map import Layer
from folium.template import Template

from dashboard.base.files import write_atomic
from dashboard.maps.assets import VENDOR_DIR, AssetError, asset_bytes, vendor_path
from dashboard.maps.plugins import RawMacroElement, script_json

OUTLINE_FILE = "world-atlas/countries-110m.json"
#: The outline as the page's script takes it, made from OUTLINE_FILE by ``make assets``.
CONVERTED_FILE = "world-atlas/countries-110m.outline.json"
#: Leaflet's tile pane sits at z-index 200; the outline pane goes just below it.
OUTLINE_PANE = "outlinePane"
OUTLINE_Z_INDEX = 150
LAND_FILL = "#e4e4e0"
BORDER_COLOUR = "#b9b9b4"
#: The offline map's background (``mapping.marker_css`` styles it).
WATER_COLOUR = "#f4f7f9"


def _decode_arcs(topology: dict) -> list[list[list[float]]]:
    """Absolute coordinates of every arc (undoing quantisation and delta encoding)."""
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        if transform:
            (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
            x = y = 0
            points = []
            for dx, dy, *_ in arc:
                x += dx
                y += dy
                points.append([x * sx + tx, y * sy + ty])
        else:
            points = [list(point[:2]) for point in arc]
        arcs.append(points)
    return arcs


def _ring(indexes: list[int], arcs: list[list[list[float]]], digits: int) -> list[list[float]]:
    ring: list[list[float]] = []
    for index in indexes:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        for i, (x, y) in enumerate(points):
            if ring and i == 0:
                continue  # each arc starts where the previous one ended
            ring.append([round(x, digits), round(y, digits)])
    return unwrap_longitudes(ring)


def unwrap_longitudes(ring: list[list[float]]) -> list[list[float]]:
    """Shift longitudes by 360 where a ring jumps across the antimeridian.

    A flat map joins -179 and 179 by a line across the whole world; continuing past 180
    (181, 182, ...) keeps the shape in one piece, as Leaflet expects.
    """
    out: list[list[float]] = []
    shift = 0.0
    for x, y in ring:
        if out:
            previous = out[-1][0] - shift
            if x - previous > 180:
                shift -= 360
            elif previous - x > 180:
                shift += 360
        out.append([x + shift, y] if shift else [x, y])
    return out


def topology_to_geojson(topology: dict, object_name: str, *, digits: int = 2) -> dict:
    """A TopoJSON object (``Polygon``/``MultiPolygon`` geometries) as a GeoJSON FeatureCollection.

    Coordinates are rounded to ``digits`` decimals (2 decimals ~ 1 km, ample at 1:110m).
    """
    if topology.get("type") != "Topology" or object_name not in topology.get("objects", {}):
        raise ValueError(f"not a TopoJSON topology with an object named {object_name!r}")
    arcs = _decode_arcs(topology)
    collection = topology["objects"][object_name]
    geometries = collection["geometries"] if collection.get("type") == "GeometryCollection" \
        else [collection]
    features = []
    for geometry in geometries:
        kind = geometry.get("type")
        if kind == "Polygon":
            coordinates = [_ring(ring, arcs, digits) for ring in geometry["arcs"]]
        elif kind == "MultiPolygon":
            coordinates = [[_ring(ring, arcs, digits) for ring in polygon]
                           for polygon in geometry["arcs"]]
        else:
            continue  # null geometries and points are not land
        features.append({
            "type": "Feature",
            "id": geometry.get("id"),
            "properties": {"name": (geometry.get("properties") or {}).get("name", "")},
            "geometry": {"type": kind, "coordinates": coordinates},
        })
    return {"type": "FeatureCollection", "features": features}


def convert_outline() -> str:
    """The countries outline as compact GeoJSON text, converted from the TopoJSON file.

    Raises AssetError when the world-atlas files have not been fetched."""
    try:
        topology = json.loads(asset_bytes(OUTLINE_FILE))
    except ValueError:
        raise AssetError(f"{OUTLINE_FILE} is not valid JSON; run `make assets` again") from None
    return script_json(topology_to_geojson(topology, "countries"))


def converted_path(vendor_dir: Path | None = None) -> Path:
    return (vendor_dir or VENDOR_DIR) / CONVERTED_FILE


def _stored(source: Path, converted: Path) -> str | None:
    """The converted outline ``make assets`` wrote, if it is there, complete and not older
    than the TopoJSON it was made from."""
    try:
        if converted.stat().st_mtime_ns < source.stat().st_mtime_ns:
            return None
        text = converted.read_text(encoding="utf-8")
    except (OSError, UnicodeError):
        return None
    # written atomically by write_outline_file; a file cut short or edited is made again
    if text.startswith('{"type":"FeatureCollection"') and text.endswith("]}"):
        return text
    return None


@lru_cache(maxsize=1)
def world_outline_json() -> str:
    """The countries outline as compact GeoJSON text, once per process: read from the file
    ``make assets`` converted, or converted here when that file is missing or stale.

    Raises AssetError when the world-atlas files have not been fetched."""
    stored = _stored(vendor_path(OUTLINE_FILE), converted_path())
    return stored if stored is not None else convert_outline()


def write_outline_file(vendor_dir: Path | None = None) -> Path:
    """Convert the TopoJSON outline and write it for :func:`world_outline_json`."""
    path = converted_path(vendor_dir)
    write_atomic(path, convert_outline(), parents=True)
    return path


def outline_available() -> bool:
    try:
        world_outline_json()
    except AssetError:
        return False
    return True


class WorldOutline(Layer, RawMacroElement):
    """Light grey land with thin borders, in a non-interactive pane under the tiles."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            if (!{{ this._parent.get_name() }}.getPane({{ this.pane|tojson }})) {
                var pane = {{ this._parent.get_name() }}.createPane({{ this.pane|tojson }});
                pane.style.zIndex = {{ this.z_index }};
                pane.style.pointerEvents = "none";
            }
            var {{ this.get_name() }} = L.geoJSON({{ this.data }}, {
                pane: {{ this.pane|tojson }},
                interactive: false,
                attribution: "Natural Earth",
                style: function () {
                    return {
                        color: {{ this.border|tojson }}, weight: 0.6, opacity: 1,
                        fillColor: {{ this.fill|tojson }}, fillOpacity: 1,
                        className: "world-outline"
                    };
                }
            });
            // The layer menu (built with the incidents) lists the outline too.
            {{ this._parent.get_name() }}.incidentOutline = {
                name: {{ this.layer_name|tojson }}, layer: {{ this.get_name() }} };
        {% endmacro %}
    """)

    def __init__(self, name: str = "World outline", *, show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "WorldOutline"
        self.data = world_outline_json()
        self.pane = OUTLINE_PANE
        self.z_index = OUTLINE_Z_INDEX
        self.fill = LAND_FILL
        self.border = BORDER_COLOUR


def main(argv: list[str] | None = None) -> int:
    """``python -m dashboard.maps.outline``: write the converted world outline."""
    if list(sys.argv[1:] if argv is None else argv):
        print("usage: python -m dashboard.maps.outline", file=sys.stderr)
        return 2
    try:
        path = write_outline_file()
    except AssetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"world outline: {path.stat().st_size:,} bytes in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
