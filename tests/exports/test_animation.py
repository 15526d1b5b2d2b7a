"""The year animation: a frame where the view changes, one map extent, one dataset date, the
duration asked for, and the same frames as an MP4; drawn for real in one headless Chromium."""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import pytest
from PIL import Image, ImageChops

from dashboard.data.filters import Filters
from dashboard.data.loading import load_incidents
from dashboard.exports.animation import (
    frame_durations,
    frame_rows,
    gif_bytes,
    plan_frames,
    render_frames,
    video_bytes,
)
from dashboard.exports.formats import view_rows
from dashboard.exports.view import ExportError, PngSize, Provenance, View
from tests.conftest import base_row
from tests.paths import FIXTURES

# Through headless Chromium: left out of `make test-fast`.
pytestmark = pytest.mark.slow

FIXTURE = FIXTURES / "export_fixture.csv"
SIZE = PngSize(640, 360)


@pytest.fixture(scope="module")
def chromium():
    from dashboard.exports.browser import launch_chromium

    with launch_chromium() as browser:
        yield browser


@pytest.fixture
def sparse(make_dataset):
    """An incident in 1983, nothing until 2004, then 2004 twice and 2006, two places."""
    rows = [base_row(id="1983-05-01-paris", date="1983-05-01", lat="48.85", lon="2.35",
                     country="FR", place="Paris, France"),
            base_row(id="2004-02-01-doha", date="2004-02-01", lat="25.28", lon="51.52",
                     country="QA", place="Doha, Qatar"),
            base_row(id="2004-06-01-berlin", date="2004-06-01"),
            base_row(id="2006-11-01-london", date="2006-11-01", lat="51.51", lon="-0.13",
                     country="GB", place="London, United Kingdom")]
    return load_incidents(make_dataset(rows))


def test_frames_only_where_the_view_changes_starting_where_the_data_does(sparse):
    cumulative = plan_frames(sparse)
    assert [(f.years, f.count) for f in cumulative] == [
        ("1983–2003", 1), ("2004–2005", 3), ("2006", 4)]
    windowed = plan_frames(sparse, cumulative=False)
    assert [(f.years, f.count) for f in windowed] == [
        ("1983", 1), ("1984–2003", 0), ("2004", 2), ("2005", 0), ("2006", 1)]


def test_durations_share_the_time_asked_for_and_refuse_nonsense():
    assert sum(frame_durations(9, 11.0)) == pytest.approx(11_000, rel=0.05)
    assert frame_durations(3, 2.0)[0] >= 200  # never faster than a frame can be seen
    with pytest.raises(ExportError, match="out of range"):
        frame_durations(3, 0)


def test_every_frame_shares_one_extent_and_one_dataset_date(chromium):
    incidents = load_incidents(FIXTURE)
    view = View(offline=True, filters=Filters(years=(2018, 2022)))
    rows = view_rows(incidents, view)
    frames = plan_frames(rows, cumulative=False)
    assert [f.years for f in frames] == ["2018", "2019", "2020", "2021", "2022"]
    # The years hold incidents in different places, so fitting each frame would move the map.
    spots = {frozenset(zip(shown["lat"], shown["lon"], strict=True)) for shown in
             (frame_rows(rows, f.year, cumulative=False) for f in frames) if not shown.empty}
    assert len(spots) > 1
    seen = []
    snaps = render_frames(rows, view, provenance=Provenance.of(FIXTURE), cumulative=False,
                          size=SIZE, browser=chromium,
                          progress=lambda n, total: seen.append((n, total)))
    assert seen == [(n, 5) for n in range(1, 6)]
    assert [snap.in_frame for snap in snaps] == [f.count for f in frames]
    first = snaps[0]
    for snap in snaps[1:]:
        assert snap.bounds == pytest.approx(first.bounds, abs=1e-6)
        assert snap.map_box == pytest.approx(first.map_box)
    # One footer (the view's newest incident and data date) on every frame: its pixels match.
    images = [Image.open(io.BytesIO(snap.png)).convert("RGB") for snap in snaps]
    footer = (0, SIZE.height - 22, SIZE.width, SIZE.height)
    for image in images[1:]:
        assert ImageChops.difference(image.crop(footer), images[0].crop(footer)).getbbox() \
            is None
    # ... while the map itself changes from year to year.
    map_area = tuple(int(v) for v in (first.map_box[0], first.map_box[1],
                                      first.map_box[0] + first.map_box[2],
                                      first.map_box[1] + first.map_box[3]))
    assert ImageChops.difference(images[0].crop(map_area),
                                 images[1].crop(map_area)).getbbox() is not None
    # The legend panel is beside the map in every frame.
    for snap in snaps:
        assert snap.legend is None or snap.legend[0] >= first.map_box[0] + first.map_box[2]


def test_the_gif_and_the_mp4_last_the_duration_asked_for(chromium, sparse):
    view = View(offline=True)
    gif = Image.open(io.BytesIO(gif_bytes(sparse, view, provenance=Provenance(), size=SIZE,
                                          duration_s=5.0, browser=chromium)))
    assert gif.n_frames == 3 and gif.size == (640, 360)
    durations = []
    for index in range(gif.n_frames):
        gif.seek(index)
        durations.append(gif.info["duration"])
    assert sum(durations) == pytest.approx(5000, rel=0.05)
    assert durations[-1] > durations[0]  # the last frame is held

    if shutil.which("ffprobe") is None:
        pytest.fail("ffmpeg's ffprobe is needed to read the video back (Debian: ffmpeg)")
    data = video_bytes(sparse, view, provenance=Provenance(), fmt="mp4", size=SIZE,
                       duration_s=5.0, browser=chromium)
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                            "stream=codec_name,width,height:format=duration", "-of", "json",
                            "-"], input=data, capture_output=True, timeout=60)
    info = json.loads(probe.stdout)
    stream = info["streams"][0]
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", 640, 360)
    assert float(info["format"]["duration"]) == pytest.approx(5.0, abs=0.3)
