"""The basemap detail an export carries: only what its region and zoom need."""

from __future__ import annotations

from dashboard.maps.assets import URL_PREFIX, local_url
from dashboard.maps.basemap import COUNTRY_LEVELS, PLACES_NAME, places_rows
from dashboard.maps.basemap_inline import (
    countries_in,
    inline_files,
    region_around,
    region_of_bounds,
)
from dashboard.maps.outline import topology_to_geojson

TEN_M = "world-atlas/countries-10m.json"
PLACES_URL = URL_PREFIX + PLACES_NAME


def test_a_country_subset_keeps_whole_countries_with_their_own_arcs():
    berlin = region_around(52.52, 13.40, 11)
    subset = countries_in(TEN_M, berlin.bounds)
    ids = {g.get("id") for g in subset["objects"]["countries"]["geometries"]}
    assert "276" in ids and len(ids) < 5  # Germany, and not the world
    countries = topology_to_geojson(subset, "countries", digits=3)["features"]
    germany = next(f for f in countries if f["id"] == "276")
    points = [p for polygon in germany["geometry"]["coordinates"] for ring in polygon
              for p in ring]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    assert 5.5 < min(xs) < 6.5 and 14.5 < max(xs) < 15.5  # Germany's own extent, decoded
    assert 47 < min(ys) < 48 and 54.5 < max(ys) < 55.5


def test_files_follow_the_zoom_of_the_view():
    files, levels = inline_files(region_around(52.52, 13.40, 11), levels=COUNTRY_LEVELS,
                                 places_rows=places_rows(), places_url=PLACES_URL)
    assert levels == [[6, local_url(TEN_M)]] and local_url(TEN_M) in files
    names = {row[0] for row in files[PLACES_URL]}
    assert {"Berlin", "Potsdam"} <= names and "Hamburg" not in names
    admin = URL_PREFIX + "admin1/"
    assert "deu" in files[admin + "index.json"] and len(files[admin + "index.json"]) <= 3
    assert files[admin + "deu.json"]["coordinates"]  # Berlin's and Brandenburg's border
    # the world at zoom 2: the 1:110m outline, the large places only, no states
    files, levels = inline_files(region_around(30, 10, 2), levels=COUNTRY_LEVELS,
                                 places_rows=places_rows(), places_url=PLACES_URL)
    assert levels == [] and files[URL_PREFIX + "admin1/index.json"] == {}
    assert 100 < len(files[PLACES_URL]) < 2000


def test_a_fitted_extent_gives_the_zoom_leaflet_would_fit():
    assert region_of_bounds(36, -9, 43.8, 3.3, max_zoom=7).zoom in (5, 6)  # Spain
    assert region_of_bounds(-50, -170, 70, 170, max_zoom=7).zoom == 2
    assert region_of_bounds(52.5, 13.39, 52.51, 13.4, max_zoom=7).zoom == 7
