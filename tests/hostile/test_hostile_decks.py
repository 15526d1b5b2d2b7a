"""Hostile text on a deck's title slide: PPTX and PDF made for real and read back.

The title slide is written by the deck's own writers (python-pptx, ReportLab) from a title
slide without an overview map, so most cases need no browser; one case goes through
``incident-map export --briefing`` with a hostile briefing file and renders the maps.
Every title must come back as the text typed (or cut at a word and ending with "…" when it
cannot fit), no template may be evaluated, and every line must lie inside its box.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.util import Emu
from pypdf import PdfReader

from dashboard.data.briefings import Briefing, Step
from dashboard.data.filters import Filters
from dashboard.exports.deck import (
    SLIDE_SIZE_IN,
    TITLE_SIZES,
    Deck,
    TitleSlide,
    pdf_bytes,
    pptx_bytes,
    title_facts,
    title_layout,
)
from dashboard.exports.view import Provenance
from tests.paths import FIXTURES

from . import checks
from .payloads import ALL, TEMPLATE_MARKERS

# Through headless Chromium: left out of `make test-fast`.
pytestmark = pytest.mark.slow

P = {payload.number: payload.text for payload in ALL}
BIN = Path(sys.executable).with_name("incident-map")
RTL = "תדריך על גירוש דיפלומטים — إحاطة حول طرد الدبلوماسيين"
LONG = " ".join([P[1], P[201], P[301]] * 4)[:200]  # a briefing title is at most 200 characters
TITLES = {
    "script": P[1],
    "template": "{{7*7}} " + P[201],
    "formula": P[301],
    "long": LONG,
    "unbroken": "A" * 200,
    "overlong": (P[1] + " ") * 12,  # --title of the default briefing has no limit
    "rtl": RTL,
}


def flat(text: str) -> str:
    return " ".join(text.split())


def assert_is_the_text(shown: str, typed: str) -> None:
    """``shown`` is ``typed``, or its start cut at a word with "…" (whitespace aside)."""
    shown, typed = flat(shown), flat(typed)
    if shown != typed:
        assert shown.endswith("…") and typed.startswith(shown[:-1].rstrip()), (shown, typed)
        assert len(shown) > 20  # cut, not emptied


def deck_of(title: str, subtitle: str) -> Deck:
    briefing = Briefing(name="hostile", title=title, subtitle=subtitle,
                        steps=(Step(heading=P[2], filters=Filters(query=P[200])),))
    import pandas as pd

    rows = pd.DataFrame({"id": ["a"], "date_start": [pd.Timestamp("2022-04-04")],
                         "date_label": ["4 April 2022"]})
    provenance = Provenance(name=f"{P[1]}.csv")
    return Deck(title=TitleSlide(title=title, subtitle=subtitle,
                                 facts=title_facts(briefing, rows, provenance)), slides=[])


@pytest.mark.parametrize("kind", list(TITLES))
def test_a_hostile_title_slide_is_text_that_fits_in_pptx(kind):
    title, subtitle = TITLES[kind], " ".join([TITLES[kind]] * 5)[:1000]
    raw = pptx_bytes(deck_of(title, subtitle))
    deck = Presentation(io.BytesIO(raw))
    (slide,) = deck.slides
    boxes = [shape for shape in slide.shapes if shape.has_text_frame]
    assert [box.name for box in boxes][0] == "Title"
    assert_is_the_text(boxes[0].text_frame.text, title)
    assert_is_the_text(boxes[1].text_frame.text, subtitle)
    facts = boxes[2].text_frame.text
    assert "1 step\n4 April 2022" in facts and f"Dataset: {P[1]}.csv" in facts
    assert TITLE_SIZES[1] <= boxes[0].text_frame.paragraphs[0].runs[0].font.size.pt
    layout = title_layout(deck_of(title, subtitle).title)
    placed = (layout.title, layout.subtitle, layout.facts)
    for box, part in zip(boxes, placed, strict=True):
        assert box.text_frame.word_wrap is True
        inches = [Emu(value).inches for value in (box.left, box.top, box.width, box.height)]
        assert inches == pytest.approx(list(part.box), abs=0.01)
        left, top, width, height = inches
        assert left >= 0 and top >= 0 and left + width <= SLIDE_SIZE_IN[0]
        assert top + height <= SLIDE_SIZE_IN[1]
        # A rough measure of its own (half an em a character, 1.2 em a line): the text at
        # its size fills no more than its box.
        size = box.text_frame.paragraphs[0].runs[0].font.size.pt
        per_line = width * 72 / (size * 0.5)
        lines = sum(-(-max(len(line), 1) // per_line) for line in
                    box.text_frame.text.split("\n"))
        assert lines * size * 1.2 <= height * 72 * 1.3 + size, (kind, box.name, lines, size)
    tops = [box.top for box in boxes]
    assert tops[0] < tops[1] < tops[2]  # title, subtitle, facts: one under the other
    assert deck.core_properties.title == title[:255]
    text = "\n".join(box.text_frame.text for box in boxes)
    assert not any(marker in text for marker in TEMPLATE_MARKERS)
    if kind == "template":
        assert "{{7*7}}" in text and "49" not in text
    assert "&lt;script" not in text  # text, not escaped twice


def pdf_lines(page) -> list[tuple[str, float, float]]:
    """Each piece of text on ``page`` with its x and y (points from the bottom left)."""
    pieces: list[tuple[str, float, float]] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            pieces.append((text, tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]))

    page.extract_text(visitor_text=visit)
    return pieces


@pytest.mark.parametrize("kind", list(TITLES))
def test_a_hostile_title_page_is_text_that_fits_in_pdf(kind):
    title, subtitle = TITLES[kind], " ".join([TITLES[kind]] * 5)[:1000]
    reader = PdfReader(io.BytesIO(pdf_bytes(deck_of(title, subtitle))))
    (page,) = reader.pages
    text = page.extract_text()
    assert checks.template_markers_in(text) == []
    assert reader.metadata.title == title
    if kind != "rtl":  # ReportLab's Helvetica has no Hebrew or Arabic letters (see README)
        start = flat(title)[:15]
        assert flat(text).startswith(start), (start, text[:80])
    width, height = (float(value) for value in page.mediabox.upper_right)
    pieces = pdf_lines(page)
    assert pieces
    layout = title_layout(deck_of(title, subtitle).title)
    boxes = [part.box for part in (layout.title, layout.subtitle, layout.facts)]
    for text, x, y in pieces:  # every line starts inside one of the title slide's boxes
        inside = [box for box in boxes if box[0] * 72 - 1 <= x <= (box[0] + box[2]) * 72
                  and height - (box[1] + box[3]) * 72 - 1 <= y <= height - box[1] * 72]
        assert inside, (text, x, y)
        assert 0 < x < width and 0 < y < height


BRIEFING = f'''
title = {P[1]!r}
subtitle = "{{{{7*7}}}} =cmd|' /C calc'!A0 {RTL}"

[[steps]]
heading = "<b>bold?</b>"
years = "2022-2022"
'''


def test_a_hostile_briefing_file_makes_a_deck_with_its_title_as_text(tmp_path):
    (tmp_path / "hostile.toml").write_text(BRIEFING, encoding="utf-8")
    out = tmp_path / "hostile.pptx"
    result = subprocess.run(
        [str(BIN), "export", "-o", str(out), "--briefing", "hostile", "--briefings-dir",
         str(tmp_path), "--data", str(FIXTURES / "export_fixture.csv"), "--offline",
         "--title-slide"],
        capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    slides = list(Presentation(str(out)).slides)
    assert len(slides) == 2
    texts = [shape.text_frame.text for shape in slides[0].shapes if shape.has_text_frame]
    assert texts[0] == P[1]
    assert texts[1] == f"{{{{7*7}}}} =cmd|' /C calc'!A0 {RTL}"
    assert texts[2].startswith("1 step\n")
