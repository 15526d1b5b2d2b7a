"""The street-level tile archive an organisation provides once (``serve --basemap FILE``).

Two containers are read, each with raster (PNG, JPEG, WebP) or vector (Mapbox Vector Tile)
tiles:

- **PMTiles** (version 3): the browser reads the file itself by HTTP range requests to
  ``ARCHIVE_URL``; raster tiles are drawn by the ``pmtiles`` Leaflet layer, vector tiles by
  ``protomaps-leaflet`` (both pinned npm packages);
- **MBTiles** (SQLite): the dashboard answers ``/basemap/tiles/{z}/{x}/{y}`` from the file
  (``dashboard/server/archive.py``), drawn by Leaflet's tile layer or ``protomaps-leaflet``.

Vector tiles are styled with protomaps-leaflet's ``light`` flavour, which reads the
Protomaps basemap layers (``earth``, ``water``, ``roads`` with ``kind`` ``highway`` /
``major_road`` / ``minor_road``, ``buildings``, ``places``...): an OpenStreetMap extract
built with that schema (e.g. by Planetiler or ``pmtiles extract``) is drawn as streets.

>>> Archive(Path("/x/region.mbtiles"), "mbtiles", "png", 14).url
'/basemap/tiles/{z}/{x}/{y}'
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

#: Names the archive (``serve --basemap`` sets it for the page's process).
ARCHIVE_ENV = "INCIDENT_MAP_BASEMAP"
#: Where the dashboard serves a PMTiles archive (with ranges).
ARCHIVE_URL = "/basemap/archive.pmtiles"
#: Where the dashboard serves an MBTiles archive's tiles (``{z}/{x}/{y}`` in XYZ order).
TILES_URL = "/basemap/tiles/{z}/{x}/{y}"
PMTILES_MAGIC = b"PMTiles"
SQLITE_MAGIC = b"SQLite format 3\x00"
#: PMTiles header byte 99 (tile type) -> format; 1 is Mapbox Vector Tile.
PMTILES_TYPES = {1: "pbf", 2: "png", 3: "jpg", 4: "webp", 5: "avif", 6: "mlt"}
MBTILES_FORMATS = {"png", "jpg", "jpeg", "webp", "pbf"}
MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
               "webp": "image/webp", "pbf": "application/x-protobuf"}


class ArchiveError(ValueError):
    """The tile archive cannot be used; the message is one line for the reader."""


@dataclass(frozen=True)
class Archive:
    """A usable archive: where it is, its container, its tile format and deepest zoom."""

    path: Path
    container: str  # "pmtiles" | "mbtiles"
    format: str     # "png", "jpg", "webp", "pbf", ...
    max_zoom: int | None

    @property
    def vector(self) -> bool:
        return self.format in ("pbf", "mlt")

    @property
    def url(self) -> str:
        return ARCHIVE_URL if self.container == "pmtiles" else TILES_URL

    def browser_options(self) -> dict:
        """What the page's basemap script needs to draw it."""
        return {"url": self.url, "container": self.container, "vector": self.vector,
                "maxZoom": self.max_zoom}


def read_archive(path: Path) -> Archive:
    """The archive at ``path`` when it is a readable PMTiles v3 or MBTiles file with tiles
    the browser can draw, else ArchiveError (one line)."""
    path = Path(path).absolute()
    if not path.is_file():
        raise ArchiveError(f"{path}: no such file (the tile archive for --basemap)")
    try:
        with path.open("rb") as handle:
            head = handle.read(127)
    except OSError as error:
        raise ArchiveError(f"{path}: cannot be read ({error.strerror})") from None
    if head.startswith(SQLITE_MAGIC):
        return _read_mbtiles(path)
    if not head.startswith(PMTILES_MAGIC) or len(head) < 127 or head[7] != 3:
        raise ArchiveError(f"{path} is neither a PMTiles version 3 nor an MBTiles archive")
    tile_format = PMTILES_TYPES.get(head[99])
    if tile_format is None or tile_format in ("avif", "mlt"):
        raise ArchiveError(f"{path}: its tiles ({tile_format or 'unknown type'}) cannot be "
                           "drawn; give PNG, JPEG, WebP or vector (MVT) tiles")
    return Archive(path, "pmtiles", tile_format, head[101])


def _read_mbtiles(path: Path) -> Archive:
    try:
        with sqlite3.connect(read_only_uri(path), uri=True, timeout=5) as connection:
            metadata = dict(connection.execute("select name, value from metadata"))
            connection.execute("select zoom_level, tile_column, tile_row, tile_data "
                               "from tiles limit 1").fetchall()
    except sqlite3.Error as error:
        raise ArchiveError(f"{path} is not an MBTiles archive ({error})") from None
    tile_format = str(metadata.get("format") or "").strip().lower()
    if tile_format not in MBTILES_FORMATS:
        raise ArchiveError(f"{path}: MBTiles format {tile_format or '(none)'!r} cannot be "
                           "drawn; give png, jpg, webp or pbf tiles")
    try:
        max_zoom = int(str(metadata.get("maxzoom")))
    except ValueError:
        max_zoom = None
    return Archive(path, "mbtiles", tile_format, max_zoom)


def check_archive(path: Path) -> Path:
    """The archive's absolute path when it is usable, else ArchiveError."""
    return read_archive(path).path


def named_archive() -> Archive | None:
    """The archive ``INCIDENT_MAP_BASEMAP`` names (set by ``serve --basemap``), if usable."""
    named = os.environ.get(ARCHIVE_ENV, "").strip()
    if not named:
        return None
    try:
        return read_archive(Path(named))
    except ArchiveError:
        return None


def archive_url() -> str | None:
    """The URL the dashboard serves the named archive at, when one is named and usable."""
    archive = named_archive()
    return archive.url if archive else None


def read_only_uri(path: Path) -> str:
    """The SQLite URI that opens ``path`` read-only: ``file:`` with the path percent-encoded
    (pathlib's ``as_uri``), so a ``#``, ``?`` or ``%`` in a file name is part of the name,
    never the start of a fragment or of options (a file would be made elsewhere).

    >>> read_only_uri(Path("/maps/a #1?x=y%.mbtiles"))
    'file:///maps/a%20%231%3Fx%3Dy%25.mbtiles?mode=ro'
    """
    return Path(path).absolute().as_uri() + "?mode=ro"


def mbtiles_tile(path: Path, z: int, x: int, y: int) -> bytes | None:
    """One tile of an MBTiles file by XYZ address (MBTiles rows count from the south)."""
    if not (0 <= z <= 30 and 0 <= x < 2 ** z and 0 <= y < 2 ** z):
        return None
    with sqlite3.connect(read_only_uri(path), uri=True, timeout=5) as connection:
        row = connection.execute(
            "select tile_data from tiles where zoom_level = ? and tile_column = ? "
            "and tile_row = ?", (z, x, 2 ** z - 1 - y)).fetchone()
    return bytes(row[0]) if row else None
