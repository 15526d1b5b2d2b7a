"""Every script in a deck: the curated killings and a row written in six scripts, drawn once
in headless Chromium and written as PDF (DejaVu Sans embedded) and PPTX, read back with
pypdf and python-pptx."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from arabic_reshaper import reshape
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE, PP_PLACEHOLDER
from pypdf import PdfReader

from dashboard.data.briefings import filtered_briefing
from dashboard.data.filters import Filters
from dashboard.data.loading import load_incidents
from dashboard.exports.deck import build_deck, pdf_bytes, pptx_bytes
from dashboard.exports.fonts import display_lines, register_fonts
from dashboard.exports.snapshot import snapshot_page
from dashboard.exports.view import Provenance, View
from tests.conftest import CURATED, base_row, write_csv

# Decks rendered through headless Chromium: left out of `make test-fast`.
pytestmark = pytest.mark.slow

NAMES = "Александр Литвиненко, Esenboğa, Vrbětice, Łódź, Timișoara, Θεσσαλονίκη"
HEBREW = "תל אביב"
ARABIC = "بيروت"


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    """The curated killings plus a row naming the six places and people, and one whose
    place is Hebrew and Arabic: one deck, drawn once, with a title slide."""
    curated = load_incidents(CURATED)
    killings = curated[curated["event_type"] == "killing"]
    folder = tmp_path_factory.mktemp("scripts")
    extra = load_incidents(write_csv(folder / "extra.csv", [
        base_row(id="2024-03-01-names", date="2024-03-01", title=NAMES,
                 summary=f"Names in their own scripts: {NAMES}.", place=NAMES,
                 lat="40.6401", lon="22.9444", country="GR"),
        base_row(id="2024-03-02-rtl", date="2024-03-02", title=f"{HEBREW} — {ARABIC}",
                 summary=f"{ARABIC} {HEBREW}", place=f"{ARABIC}, {HEBREW}",
                 lat="33.8938", lon="35.5018", country="LB"),
    ]))
    rows = pd.concat([killings, extra], ignore_index=True).sort_values("date_start")
    briefing = filtered_briefing(rows, Filters(), title=f"Deck: {NAMES}", subtitle=NAMES)
    seen: list[tuple[int, int]] = []
    content = build_deck(rows, briefing, offline=True, provenance=Provenance.of(CURATED),
                         title_slide=True, progress=lambda n, total: seen.append((n, total)))
    return {"rows": rows, "killings": killings, "content": content, "progress": seen,
            "pdf": pdf_bytes(content), "pptx": pptx_bytes(content)}


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_pdf_prints_every_name_whole_and_copyable(deck):
    reader = PdfReader(io.BytesIO(deck["pdf"]))
    pages = [flat(page.extract_text()) for page in reader.pages]
    assert len(pages) == len(deck["rows"]) + 1
    everything = " ".join(pages)
    for name in NAMES.split(", "):
        assert name in everything, name
    assert NAMES in pages[0]  # the title slide's title, in one piece
    assert "■" not in everything and "\ufffd" not in everything
    for _, row in deck["killings"].iterrows():  # every killing's heading and place
        title = flat(row["title"])
        assert any(title in page for page in pages), title
        assert any(flat(row["place"]) in page for page in pages), row["place"]
    # Hebrew and Arabic are drawn shaped (Arabic letters joined: presentation forms), in
    # display order; pypdf reads them back in reading order.
    font = register_fonts()[0]
    for word in (HEBREW, ARABIC):
        shown = display_lines(word, font=font, size=14, width=500)[0]
        assert shown != word
        assert flat(shown) in everything or flat(reshape(word)) in everything, word
    assert ARABIC not in everything  # never the unjoined letters


def test_the_pdf_embeds_its_fonts_and_uses_no_base14_font(deck):
    reader = PdfReader(io.BytesIO(deck["pdf"]))
    fonts = {}
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            fonts[str(font["/BaseFont"])] = font
    assert fonts
    for name, font in fonts.items():
        assert "DejaVuSans" in name, name
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font \
            else font
        descriptor = descendant["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, name  # embedded (a subset), not just named


def test_the_pptx_has_title_placeholders_alt_text_and_every_name(deck):
    presentation = Presentation(io.BytesIO(deck["pptx"]))
    slides = list(presentation.slides)
    assert len(slides) == len(deck["rows"]) + 1
    headings = []
    for slide in slides:
        title = slide.shapes.title
        assert title is not None and title.is_placeholder
        assert title.placeholder_format.type in (PP_PLACEHOLDER.TITLE,
                                                 PP_PLACEHOLDER.CENTER_TITLE)
        assert title.text_frame.text.strip()
        headings.append(title.text_frame.text)
        pictures = [shape for shape in slide.shapes
                    if shape.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pictures) == 1
        alt = pictures[0]._element.nvPicPr.cNvPr.get("descr")
        assert alt and alt.startswith(("Map: ", "Overview map"))
    assert headings[0] == f"Deck: {NAMES}"
    assert NAMES in headings
    text = "\n".join(shape.text_frame.text for slide in slides for shape in slide.shapes
                     if shape.has_text_frame)
    for name in NAMES.split(", ") + [HEBREW, ARABIC]:
        assert name in text, name
    for _, row in deck["killings"].iterrows():
        assert row["title"] in headings or any(h.endswith("…") for h in headings)
    # A right-to-left heading runs right to left.
    rtl = next(slide.shapes.title for slide in slides
               if slide.shapes.title.text_frame.text.startswith(HEBREW))
    assert rtl.text_frame.paragraphs[0]._p.pPr.get("rtl") == "1"


def test_the_slide_maps_have_no_title_of_their_own_and_progress_counts_the_slides(deck):
    content = deck["content"]
    total = len(content.slides)
    assert deck["progress"] == [(n, total) for n in range(1, total + 1)]
    # The picture's own header (title and caption) is left out: the slide's heading says it.
    rows = deck["rows"]
    page, _ = snapshot_page(rows, View(offline=True, header=False, title="Heading"),
                            provenance=Provenance())
    assert 'class="export-header"' not in page and "<h1>" not in page
    with_header, _ = snapshot_page(rows, View(offline=True, title="Heading"),
                                   provenance=Provenance())
    assert 'class="export-header"' in with_header


def test_a_deck_cancelled_at_slide_2_stops_there_and_says_so():
    """The page's Cancel: the job's progress raises before the next slide is drawn."""
    from dashboard.exports.formats import export_bytes
    from dashboard.exports.jobs import ExportCancelled, ExportJob

    incidents = load_incidents(CURATED)
    drawn: list[int] = []
    holder: dict[str, ExportJob] = {}

    def work(progress):
        def counted(number: int, total: int) -> None:
            if number == 2:
                holder["job"].cancel()  # pressed while slide 1 was drawn
            progress(number, total)
            drawn.append(number)

        return export_bytes(incidents, View(offline=True, filters=Filters(
            event_types=("killing",))), "pptx", progress=counted)

    job = holder["job"] = ExportJob(work, noun="slide", start=False)
    job.start()
    assert job.wait(300)
    assert isinstance(job.error, ExportCancelled) and job.result is None
    assert drawn == [1]
    assert job.status().startswith("Cancelled: cancelled before slide 2 of ")
