"""The year animation's frames: one per year, all on one map extent (no jumps)."""

from __future__ import annotations

import pytest

from dashboard.data.filters import Filters
from dashboard.data.loading import load_incidents
from dashboard.exports.animation import frame_rows, frame_years, render_frames
from dashboard.exports.formats import view_rows
from dashboard.exports.view import PngSize, Provenance, View
from tests.paths import FIXTURES

# Through headless Chromium: left out of `make test-fast`.
pytestmark = pytest.mark.slow

FIXTURE = FIXTURES / "export_fixture.csv"


def test_every_frame_shares_the_extent_of_the_whole_view():
    incidents = load_incidents(FIXTURE)
    view = View(offline=True, filters=Filters(years=(2018, 2022)))
    rows = view_rows(incidents, view)
    years = frame_years(rows)
    assert years == [2018, 2019, 2020, 2021, 2022]
    # The years hold incidents in different places, so fitting each frame would move the map.
    spots = set()
    for year in years:
        shown = frame_rows(rows, year, cumulative=False)
        if not shown.empty:
            spots.add(frozenset(zip(shown["lat"], shown["lon"], strict=True)))
    assert len(spots) > 1
    # A moving window of one year: each frame holds other incidents and another legend,
    # and its captions differ in length, yet the map stays put.
    frames = render_frames(rows, view, provenance=Provenance(), cumulative=False,
                           size=PngSize(480, 320))
    assert len(frames) == len(years)
    first = frames[0].bounds
    for frame in frames[1:]:
        assert frame.bounds == pytest.approx(first, abs=1e-6)
        assert frame.map_box == pytest.approx(frames[0].map_box)
