"""The one function that frames a view: at, focus by precision, a given extent, the extent
that holds most incidents (outliers counted, not fitted)."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.maps.framing import (
    DETAIL_MAX_FOCUS_ZOOM,
    FLY_SECONDS,
    FOCUS_ZOOM,
    OFFLINE_MAX_FOCUS_ZOOM,
    core_extent,
    frame_view,
)


def rows(points, precision="city"):
    return pd.DataFrame({
        "id": [f"i{n}" for n in range(len(points))],
        "lat": [p[0] for p in points], "lon": [p[1] for p in points],
        "geo_precision": [precision] * len(points), "has_coords": [True] * len(points),
    })


EUROPE = [(48 + (n % 7), 2 + (n * 3) % 20) for n in range(40)]


def test_at_wins_over_focus_and_extent():
    frame = frame_view(rows(EUROPE), focus_id="i0", at=(52.5, 13.4, 11),
                       extent=((0, 0), (1, 1)))
    assert (frame.reason, frame.center, frame.zoom) == ("at", (52.5, 13.4), 11)


@pytest.mark.parametrize("precision, offline, zoom", [
    ("site", False, FOCUS_ZOOM["site"]), ("district", False, FOCUS_ZOOM["district"]),
    ("city", False, FOCUS_ZOOM["city"]), ("country", False, FOCUS_ZOOM["country"]),
    ("site", True, DETAIL_MAX_FOCUS_ZOOM), ("city", True, FOCUS_ZOOM["city"]),
    ("region", True, FOCUS_ZOOM["region"])])
def test_a_focused_incident_opens_at_the_zoom_of_its_precision(precision, offline, zoom):
    frame = frame_view(rows([(52.5, 13.4)] + EUROPE, precision), focus_id="i0",
                       offline=offline)
    assert frame.reason == "focus" and frame.center == (52.5, 13.4) and frame.zoom == zoom


def test_precision_orders_the_zooms_and_offline_without_detail_stays_on_the_outline():
    assert FOCUS_ZOOM["site"] > FOCUS_ZOOM["district"] > FOCUS_ZOOM["city"] \
        > FOCUS_ZOOM["region"] > FOCUS_ZOOM["country"]
    bare = frame_view(rows([(52.5, 13.4)], "site"), focus_id="i0", offline=True, detail=False)
    assert bare.zoom == OFFLINE_MAX_FOCUS_ZOOM
    street = frame_view(rows([(52.5, 13.4)], "site"), focus_id="i0", offline=True, street=True)
    assert street.zoom == FOCUS_ZOOM["site"]
    assert FLY_SECONDS < 1


def test_a_focus_missing_from_the_rows_fits_the_rows():
    assert frame_view(rows(EUROPE), focus_id="elsewhere").reason == "fit"


def test_far_outliers_are_counted_and_left_out_of_the_fit():
    far = EUROPE + [(40.7, -74.0), (35.7, 139.7)]  # New York, Tokyo
    frame = frame_view(rows(far))
    assert frame.reason == "core" and frame.left_out == 2
    (south, west), (north, east) = frame.bounds
    assert west >= 2 and east <= 22 and south >= 48 and north <= 55
    assert frame.options()["leftOut"] == 2


def test_a_spread_out_set_is_fitted_whole():
    spread = [(lat, lon) for lat in (-40, 0, 40) for lon in (-120, -60, 0, 60, 120)]
    frame = frame_view(rows(spread))
    assert frame.reason == "fit" and frame.left_out == 0
    assert frame.bounds == ((-40.0, -120.0), (40.0, 120.0))


def test_few_incidents_are_always_fitted_whole():
    bounds, left_out = core_extent(rows([(50, 10), (51, 11), (40.7, -74.0)]))
    assert left_out == 0 and bounds == ((40.7, -74.0), (51.0, 11.0))


def test_a_given_extent_is_fixed_and_an_empty_view_has_no_frame():
    frame = frame_view(rows(EUROPE), extent=((10, 20), (30, 40)))
    assert frame.reason == "extent" and frame.fixed and frame.bounds == ((10, 20), (30, 40))
    assert frame_view(rows([])).reason == "empty"
