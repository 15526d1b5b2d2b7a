"""Clusters computed by the engine: a quantised Web Mercator grid.

At zoom ``z`` the world is ``256 * 2**z`` pixels wide (Leaflet's Web Mercator); the grid
has a cell every :data:`CELL_PIXELS` pixels, so a cluster covers about the same area of the
screen at every zoom. A point's cell is

    x = floor((lon + 180) / 360 * n)
    y = floor((1 - ln(tan(lat) + sec(lat)) / pi) / 2 * n),   n = 256 * 2**z / CELL_PIXELS

with ``lat`` clipped to Web Mercator's limit. The expressions are Ibis expressions, so
DuckDB, PostgreSQL, Spark (and the SQL for Trino, BigQuery, ClickHouse) compute them.

>>> cells_per_axis(0), cells_per_axis(3)
(4, 32)
>>> cell_of(52.52, 13.405, 3)
(17, 10)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

CELL_PIXELS = 64
MAX_LAT = 85.05112878
MAX_ZOOM = 18


def cells_per_axis(zoom: int) -> int:
    return (256 << max(0, min(int(zoom), MAX_ZOOM))) // CELL_PIXELS


def cell_of(lat: float, lon: float, zoom: int) -> tuple[int, int]:
    """The cell of one point (the same formula as :func:`cell_expressions`, in Python)."""
    n = cells_per_axis(zoom)
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    rad = math.radians(lat)
    x = math.floor((lon + 180.0) / 360.0 * n)
    y = math.floor((1.0 - math.log(math.tan(rad) + 1.0 / math.cos(rad)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def cell_expressions(table, zoom: int):
    """Ibis expressions for the cell ``(x, y)`` of each row of ``table`` at ``zoom``."""
    n = float(cells_per_axis(zoom))
    lat = table.lat.clip(lower=-MAX_LAT, upper=MAX_LAT) * (math.pi / 180.0)
    x = ((table.lon + 180.0) / 360.0 * n).floor().clip(lower=0, upper=int(n) - 1)
    mercator = (lat.tan() + 1.0 / lat.cos()).ln()
    y = ((1.0 - mercator / math.pi) / 2.0 * n).floor().clip(lower=0, upper=int(n) - 1)
    return x.cast("int64"), y.cast("int64")


@dataclass(frozen=True)
class Bounds:
    """A viewport: south, west, north, east in degrees (west may exceed east across the
    antimeridian; a view wider than the world has no longitude bound)."""

    south: float
    west: float
    north: float
    east: float

    @classmethod
    def parse(cls, text: str) -> Bounds | None:
        """``"S,W,N,E"`` -> Bounds, or None when malformed or out of range.

        >>> Bounds.parse("40,-10,60,30")
        Bounds(south=40.0, west=-10.0, north=60.0, east=30.0)
        >>> Bounds.parse("nan,0,1,1") is None
        True
        """
        parts = str(text).split(",")
        if len(parts) != 4 or len(text) > 100:
            return None
        try:
            south, west, north, east = (float(part) for part in parts)
        except ValueError:
            return None
        if not all(math.isfinite(v) for v in (south, west, north, east)):
            return None
        if not (-90 <= south <= north <= 90) or abs(west) > 1e4 or abs(east) > 1e4:
            return None
        return cls(south, west, north, east)

    def predicate(self, table):
        """Rows of ``table`` inside the viewport."""
        inside = table.lat.between(self.south, self.north)
        if self.east - self.west >= 360:
            return inside
        west = (self.west + 180.0) % 360.0 - 180.0
        east = (self.east + 180.0) % 360.0 - 180.0
        if west <= east:
            return inside & table.lon.between(west, east)
        return inside & ((table.lon >= west) | (table.lon <= east))
