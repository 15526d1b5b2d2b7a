"""Geocoding the rows of an uploaded table: only empty coordinates are filled, each place
is looked up once, precision never rises."""

from __future__ import annotations

import pandas as pd

from dashboard.geocoding.frames import geocode_frame
from dashboard.geocoding.pipeline import Resolver


def test_empty_coordinates_are_filled_from_the_gazetteer(gazetteer):
    frame = pd.DataFrame({
        "id": ["a", "b", "c", "d"],
        "place": ["Kraków, Poland", "Kraków, Poland", "Nowhere-at-all-xyz, Poland", "Kyiv, Ukraine"],
        "country": ["PL", "PL", "PL", "UA"],
        "lat": ["", "", "", "50.45"],
        "lon": ["", "", "", "30.52"],
        "geocoder": ["", "", "", "manual"],
        "geo_precision": ["city", "region", "city", "site"],
    })
    progress = []
    located, summary = geocode_frame(frame, Resolver(offline=True, gazetteer=gazetteer),
                                     lambda done, total: progress.append((done, total)))
    assert progress == [(1, 2), (2, 2)]  # two distinct places, each looked up once
    krakow = located.iloc[0]
    assert abs(float(krakow["lat"]) - 50.06) < 0.1 and abs(float(krakow["lon"]) - 19.94) < 0.1
    assert (krakow["geocoder"], krakow["geo_precision"]) == ("gazetteer", "city")
    assert located.iloc[1]["geo_precision"] == "region"  # never more precise than the row
    assert located.iloc[2]["lat"] == "" and summary.unresolved == [(2, "Nowhere-at-all-xyz, Poland")]
    assert located.iloc[3][["lat", "lon", "geocoder"]].tolist() == ["50.45", "30.52", "manual"]
    assert (summary.to_locate, summary.resolved) == (3, 2)
    assert frame.iloc[0]["lat"] == ""  # the input is not changed
