"""The map's own part of a view: its centre and zoom (``at=``) and its layers (``layers=``).

Both travel in the URL beside the filters, so PNG, HTML and the command line reproduce the
map as the user left it: panned, zoomed and with the layers chosen in the layer menu.

>>> parse_layers("flows,markers")
('flows', 'markers')
>>> parse_layers("markers,bogus") is None
True
"""

from __future__ import annotations

from dataclasses import dataclass

#: The map's layers, as named in ``layers=`` (see ``dashboard.maps.mapping.build_map``).
LAYER_KINDS = ("halos", "flows", "markers", "clusters", "heat")


@dataclass(frozen=True)
class MapAt:
    """A map extent given as centre and zoom."""

    lat: float
    lon: float
    zoom: int

    def text(self) -> str:
        return f"{self.lat:.4f},{self.lon:.4f},{self.zoom}"


def parse_at(text: str) -> MapAt | None:
    """``"52.52,13.40,11"`` as a :class:`MapAt`; ``None`` when malformed or out of range.

    >>> parse_at("52.52,13.4,11")
    MapAt(lat=52.52, lon=13.4, zoom=11)
    >>> parse_at("91,0,3") is None, parse_at("nan,0,3") is None, parse_at("1,2") is None
    (True, True, True)
    """
    parts = str(text).split(",")
    if len(parts) != 3:
        return None
    try:
        lat, lon = float(parts[0]), float(parts[1])
        zoom = int(parts[2])
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 1 <= zoom <= 18):
        return None  # NaN fails these comparisons too
    return MapAt(lat, lon, zoom)


#: The largest on-screen map size ``frame=`` accepts, in CSS pixels a side.
MAX_FRAME_SIDE = 10_000


def parse_frame(text: str) -> tuple[int, int] | None:
    """``"980x560"`` (the on-screen map's width and height in CSS pixels, written beside
    ``at=``) as ``(980, 560)``; ``None`` when malformed or out of range.

    >>> parse_frame("980x560"), parse_frame("0x5"), parse_frame("12x")
    ((980, 560), None, None)
    """
    parts = str(text).lower().split("x")
    if len(parts) != 2 or not all(part.isdigit() and len(part) <= 5 for part in parts):
        return None
    width, height = int(parts[0]), int(parts[1])
    if not (50 <= width <= MAX_FRAME_SIDE and 50 <= height <= MAX_FRAME_SIDE):
        return None
    return width, height


def parse_layers(text: str) -> tuple[str, ...] | None:
    """``"flows,markers"`` as a tuple of layer kinds; ``None`` when one is unknown.

    An empty text means no layer at all (``()``)."""
    kinds = [part.strip() for part in str(text).split(",") if part.strip()]
    if any(kind not in LAYER_KINDS for kind in kinds):
        return None
    return tuple(dict.fromkeys(kinds))
