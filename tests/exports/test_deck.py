"""Decks, the year animation and the view's extent, made for real in headless Chromium and
read back with python-pptx, pypdf and Pillow."""

from __future__ import annotations

import io
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image
from pptx import Presentation
from pypdf import PdfReader

from dashboard.data.loading import load_incidents
from dashboard.exports.snapshot import render_snapshot
from dashboard.exports.view import PngSize, Provenance, View
from tests.paths import FIXTURES

# Through headless Chromium: left out of `make test-fast`.
pytestmark = pytest.mark.slow

FIXTURE = FIXTURES / "export_fixture.csv"
BIN = Path(sys.executable).with_name("incident-map")

BRIEFING = '''
title = "Tiergarten test"
subtitle = "Two steps"

[[steps]]
heading = "The killing"
caption = "Shot in the Kleiner Tiergarten."
incident = "2019-08-23-berlin-khangoshvili"

[[steps]]
heading = "Expulsions in 2022"
caption = "The spring wave."
years = "2022-2022"
type = "diplomatic_expulsion"
at = "50.0,15.0,4"
'''


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def briefings_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("briefings")
    (folder / "test-brief.toml").write_text(BRIEFING, encoding="utf-8")
    return folder


def slide_texts(slide) -> str:
    return "\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)


def pictures_of(slide) -> list:
    return [shape for shape in slide.shapes if shape.shape_type == 13]


def test_a_briefing_becomes_a_pptx_with_a_title_slide_and_one_slide_per_step(tmp_path,
                                                                            briefings_dir):
    out = tmp_path / "brief.pptx"
    result = run("export", "-o", str(out), "--briefing", "test-brief", "--briefings-dir",
                 str(briefings_dir), "--data", str(FIXTURE), "--offline", "--title-slide")
    assert result.returncode == 0, result.stderr
    slides = list(Presentation(str(out)).slides)
    assert len(slides) == 2 + 1
    # The title slide, as the presented briefing's title step: title, subtitle, the number
    # of steps and the dates of their incidents (step 1's focus, the killing, and step 2's
    # expulsions of 2022), the data's date and the dataset's name, and an overview map.
    title = slide_texts(slides[0])
    lines = title.splitlines()
    assert lines[:2] == ["Tiergarten test", "Two steps"]
    incidents = load_incidents(FIXTURE)
    expelled = incidents[(incidents["year"] == 2022)
                         & (incidents["event_type"] == "diplomatic_expulsion")]
    last_date = expelled.sort_values("date_start").iloc[-1]["date_label"]
    assert lines[2:4] == ["2 steps", f"23 August 2019 – {last_date}"]
    assert f"Newest incident: {last_date}" in lines
    assert "Dataset: export_fixture.csv" in lines
    assert "Step 1 of" not in title
    title_box = next(s for s in slides[0].shapes if s.has_text_frame)
    assert title_box.text_frame.paragraphs[0].runs[0].font.size.pt >= 40  # the room reads it
    overview = pictures_of(slides[0])
    assert len(overview) == 1
    assert Image.open(io.BytesIO(overview[0].image.blob)).size == (1200, 880)

    first, second = slide_texts(slides[1]), slide_texts(slides[2])
    assert "The killing" in first and "Shot in the Kleiner Tiergarten." in first
    assert "Date: 23 August 2019" in first and "Kleiner Tiergarten" in first
    assert "Attribution: Confirmed" in first
    # Seeds by title, never by file name; links by site and page.
    assert "Seed document: How Russia Uses Organized Crime for Espionage" in first
    assert "000_15aa79ff9f371381.txt" not in first
    assert "Tiergarten test · Step 1 of 2" in first
    assert "Expulsions in 2022" in second and "Step 2 of 2" in second
    pictures = pictures_of(slides[1])
    assert len(pictures) == 1
    image = Image.open(io.BytesIO(pictures[0].image.blob))
    assert image.size == (1200, 880)


def test_the_default_deck_has_one_page_per_filtered_incident_and_a_title_page_if_asked(
        tmp_path):
    out = tmp_path / "de.pdf"
    filters = ("--country", "DE", "--years", "2019-2021")
    incidents = load_incidents(FIXTURE)
    years = incidents["year"]
    expected = incidents[(incidents["country"] == "DE") & (years >= 2019) & (years <= 2021)]
    result = run("export", "-o", str(out), "--data", str(FIXTURE), "--offline", *filters)
    assert result.returncode == 0, result.stderr
    reader = PdfReader(str(out))
    assert len(reader.pages) == len(expected) == 3  # one page per step, nothing else
    assert "Step 1 of 3" in reader.pages[0].extract_text()

    result = run("export", "-o", str(out), "--data", str(FIXTURE), "--offline", *filters,
                 "--title-slide")
    assert result.returncode == 0, result.stderr
    reader = PdfReader(str(out))
    assert len(reader.pages) == len(expected) + 1 == 3 + 1
    title = " ".join(reader.pages[0].extract_text().split())  # lines wrap in their boxes
    assert title.startswith("Incident Map")  # the export's default title
    assert "All incidents, 2019–2021, Germany" in title  # the filters in words
    assert "3 steps, one incident each in date order" in title
    assert "23 August 2019 – 15 December 2021" in title  # their dates
    assert "Dataset: export_fixture.csv" in title and "Step 1 of" not in title
    text = reader.pages[1].extract_text()
    assert "Zelimkhan Khangoshvili" in text and "Step 1 of 3" in text


def test_the_gif_has_a_frame_per_change_of_the_view(tmp_path):
    out = tmp_path / "years.gif"
    result = run("export", "-o", str(out), "--data", str(FIXTURE), "--offline",
                 "--country", "DE", "--years", "2019-2022", "--duration", "4")
    assert result.returncode == 0, result.stderr
    incidents = load_incidents(FIXTURE)
    shown = incidents[(incidents["country"] == "DE") & incidents["year"].between(2019, 2022)]
    changes = sorted(set(shown["year"].dropna().astype(int)))
    assert "frame 1 of" in result.stderr  # counted as they are drawn
    with Image.open(out) as gif:
        assert gif.n_frames == len(changes)  # a frame per year with something new
        durations = []
        for index in range(gif.n_frames):
            gif.seek(index)
            durations.append(gif.info["duration"])
        assert gif.size == (960, 540)
    assert sum(durations) == pytest.approx(4000, rel=0.05)


@pytest.mark.parametrize("fmt", ["csv", "png", "pdf"])
def test_an_empty_view_is_refused_unless_asked_for(tmp_path, fmt):
    out = tmp_path / f"empty.{fmt}"
    result = run("export", "-o", str(out), "--data", str(FIXTURE), "--offline",
                 "--country", "JP")
    assert result.returncode == 1
    assert "shows no incident" in result.stderr and "--allow-empty" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()
    if fmt == "csv":
        allowed = run("export", "-o", str(out), "--data", str(FIXTURE), "--country", "JP",
                      "--allow-empty")
        assert allowed.returncode == 0 and out.read_text(encoding="utf-8").startswith("id,")


def test_a_bad_briefing_names_the_step_and_exits_1(tmp_path):
    (tmp_path / "bad.toml").write_text('title = "x"\n[[steps]]\nheading = "h"\n'
                                       'incident = "no-such-id"\n', encoding="utf-8")
    result = run("export", "-o", str(tmp_path / "bad.pptx"), "--briefing", "bad",
                 "--briefings-dir", str(tmp_path), "--data", str(FIXTURE), "--offline")
    assert result.returncode == 1
    assert 'bad.toml, step 1: unknown incident "no-such-id"' in result.stderr
    assert "Traceback" not in result.stderr


def mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def test_the_png_shows_the_views_centre_and_zoom_without_controls(chromium):
    incidents: pd.DataFrame = load_incidents(FIXTURE)
    size = PngSize(800, 600)
    snap = render_snapshot(incidents, View(offline=True, at=(52.52, 13.40, 9)),
                           provenance=Provenance.of(FIXTURE), size=size, browser=chromium)
    south, west, north, east = snap.bounds
    assert (west + east) / 2 == pytest.approx(13.40, abs=0.01)
    middle = math.degrees(2 * math.atan(math.exp((mercator_y(south) + mercator_y(north)) / 2))
                          - math.pi / 2)
    assert middle == pytest.approx(52.52, abs=0.01)
    # Zoom 9: 256 * 2**9 pixels round the world.
    assert snap.map_box[2] / (east - west) * 360 == pytest.approx(256 * 2 ** 9, rel=0.01)
    # Only the legend, the scale and the attribution remain: nothing to click in a picture.
    left, top, width, height = snap.map_box
    corners = [box for box in snap.controls if box[0] < left + 60 and box[1] < top + 60]
    assert corners == []  # no zoom buttons in the top left corner
