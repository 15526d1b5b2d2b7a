"""The page's deck export (AppTest, real headless Chromium): nothing until "Render deck" is
pressed, then the deck is drawn in the background ("Drawing slide 2 of 3…", with a Cancel
button) and offered as a PPTX or PDF with a title slide and one slide per step, read back
with python-pptx and pypdf."""

from __future__ import annotations

import io

import pytest
from pptx import Presentation
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from tests.paths import APP, FIXTURES

# Through headless Chromium: left out of `make test-fast`.
pytestmark = pytest.mark.slow

FIXTURE = FIXTURES / "page_fixture.csv"


def render(at: AppTest) -> None:
    """Press "Render deck", let the background drawing end, and run the page again."""
    at.button(key="deck_render").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    job = at.session_state["deck_job"]
    if job.running:  # the progress is on the page meanwhile, with a way out
        texts = [bar.proto.text for bar in at.get("progress")]
        assert texts and texts[0].startswith(("Starting", "Drawing slide")), texts
        assert "Cancel" in [button.label for button in at.button]
    assert job.wait(180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "deck_job" not in at.session_state


def test_the_page_makes_a_deck_of_the_filtered_incidents(monkeypatch, downloads):
    monkeypatch.setenv("INCIDENT_MAP_DATA", str(FIXTURE))
    monkeypatch.setenv("INCIDENT_MAP_OFFLINE", "1")
    at = AppTest.from_file(str(APP), default_timeout=180)
    at.query_params["country"] = "ES"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Download PPTX" not in [b.label for b in at.get("download_button")]
    render(at)
    deck = Presentation(io.BytesIO(downloads["incidents_ES.pptx"]))
    slides = list(deck.slides)
    assert len(slides) == 3  # one per Spanish incident of the fixture, in date order
    text = "\n".join(s.text_frame.text for s in slides[0].shapes if s.has_text_frame)
    assert "Step 1 of 3" in text and "Spain expels 25 test diplomats" in text

    # Asked for, a title slide opens the deck (here the PDF).
    at.checkbox(key="deck_title_slide").check()
    at.selectbox(key="deck_format").set_value("pdf")
    render(at)
    pages = PdfReader(io.BytesIO(downloads["incidents_ES.pdf"])).pages
    assert len(pages) == 1 + 3
    title = " ".join(pages[0].extract_text().split())
    assert "All incidents, Spain" in title and "3 steps" in title
    assert "Step 1 of 3" in pages[1].extract_text()
