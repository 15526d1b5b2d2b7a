"""Decks: a briefing as a PowerPoint file (python-pptx) or a PDF (ReportLab), one slide a step.

Each slide has the step's map (the same PNG snapshot as ``export --format png``: the view's
incidents, its focus and extent, the legend), the heading, the caption, the date, the place,
the attribution and the sources as people read them (:mod:`dashboard.data.sources`), and a
footer with the briefing's title, the step's number and the data's date. All maps are drawn
by one headless Chromium.

A step whose view shows no incident is refused with a message naming it, unless
``allow_empty`` is set.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from dashboard.data.briefings import Briefing, Step
from dashboard.data.filters import apply_filters, describe
from dashboard.data.schema import ATTRIBUTIONS
from dashboard.data.sources import readable_sources
from dashboard.exports.view import (
    ExportError,
    PngSize,
    Provenance,
    View,
    data_date_text,
)

DECK_FORMATS = ("pptx", "pdf")
#: The map image on a slide, in CSS pixels (about the slide's left two thirds at 16:9).
SLIDE_MAP_SIZE = PngSize(1200, 880)
MAX_SOURCES = 6


@dataclass(frozen=True)
class Slide:
    """What one slide shows; ``image`` is the map as PNG bytes."""

    heading: str
    caption: str
    date: str
    place: str
    attribution: str
    sources: tuple[str, ...]
    footer: str
    image: bytes


def step_rows(incidents: pd.DataFrame, step: Step) -> pd.DataFrame:
    """The incidents a step shows: its filters' rows, plus its focus incident if they hide it."""
    rows = apply_filters(incidents, step.filters)
    if step.incident and step.incident not in set(rows["id"]):
        rows = pd.concat([rows, incidents[incidents["id"] == step.incident]])
    return rows


def _date_range(rows: pd.DataFrame) -> str:
    dated = rows.dropna(subset=["date_start"]).sort_values("date_start")
    if dated.empty:
        return "undated"
    first, last = dated.iloc[0]["date_label"], dated.iloc[-1]["date_label"]
    return first if first == last else f"{first} – {last}"


def _places(rows: pd.DataFrame) -> str:
    from dashboard.data.countries import country_name

    codes = list(dict.fromkeys(rows["country"].dropna().astype(str)))
    names = [country_name(code) or code for code in codes[:6]]
    more = f" and {len(codes) - 6} more" if len(codes) > 6 else ""
    return ", ".join(names) + more


def _attribution_counts(rows: pd.DataFrame) -> str:
    counts = rows["attribution"].value_counts()
    return ", ".join(f"{int(counts[key])} {ATTRIBUTIONS.get(key, key).lower()}"
                     for key in ATTRIBUTIONS if key in counts.index)


def step_text(rows: pd.DataFrame, step: Step) -> dict[str, object]:
    """Date, place, attribution and sources of a step: its incident's, or a summary of its
    rows (date range, countries, attribution counts, the most cited sources)."""
    focus = rows[rows["id"] == step.incident] if step.incident else rows[:0]
    if not focus.empty:
        row = focus.iloc[0]
        attribution = ATTRIBUTIONS.get(row["attribution"], row["attribution"])
        sponsor = str(row.get("sponsor", "") or "").strip()
        return {
            "date": str(row["date_label"]),
            "place": str(row["place"]),
            "attribution": f"{attribution}" + (f" (reported sponsor: {sponsor})" if sponsor
                                                else ""),
            "sources": tuple(s.label for s in readable_sources(str(row["sources"]))),
        }
    labels: dict[str, int] = {}
    for cell in rows["sources"].astype(str):
        for source in readable_sources(cell):
            labels[source.label] = labels.get(source.label, 0) + 1
    cited = sorted(labels, key=lambda label: -labels[label])[:MAX_SOURCES]
    return {
        "date": _date_range(rows),
        "place": _places(rows),
        "attribution": _attribution_counts(rows),
        "sources": tuple(cited),
    }


def check_steps(incidents: pd.DataFrame, briefing: Briefing) -> list[str]:
    """A line for each step whose view shows no incident."""
    problems = []
    for number, step in enumerate(briefing.steps, start=1):
        if step_rows(incidents, step).empty:
            problems.append(f'step {number} ("{step.heading}") shows no incident: '
                            f"{describe(step.filters)} matches nothing")
    return problems


def build_slides(incidents: pd.DataFrame, briefing: Briefing, *, offline: bool,
                 provenance: Provenance, size: PngSize = SLIDE_MAP_SIZE,
                 allow_empty: bool = False,
                 progress: Callable[[int, int], None] | None = None) -> list[Slide]:
    """Render every step's map with one Chromium and collect the slides' texts."""
    from dashboard.exports.browser import find_chromium, launch_chromium
    from dashboard.exports.snapshot import render_snapshot

    if not briefing.steps:
        raise ExportError("the briefing has no steps: nothing to export")
    problems = check_steps(incidents, briefing)
    if problems and not allow_empty:
        raise ExportError("; ".join(problems) + " (add --allow-empty to export it anyway)")
    find_chromium()
    slides = []
    total = len(briefing.steps)
    with launch_chromium() as browser:
        for number, step in enumerate(briefing.steps, start=1):
            rows = step_rows(incidents, step)
            view = View(filters=step.filters, focus_id=step.incident, offline=offline,
                        title=step.heading, focus_popup=False,
                        at=(step.at.lat, step.at.lon, step.at.zoom) if step.at else None)
            image = render_snapshot(rows, view, provenance=provenance, size=size,
                                    browser=browser).png
            text = step_text(rows, step)
            footer = " · ".join(part for part in (
                briefing.title, f"Step {number} of {total}", data_date_text(rows, provenance),
            ) if part)
            slides.append(Slide(heading=step.heading, caption=step.caption,
                                date=str(text["date"]), place=str(text["place"]),
                                attribution=str(text["attribution"]),
                                sources=tuple(text["sources"]), footer=footer, image=image))
            if progress:
                progress(number, total)
    return slides


# -- PowerPoint ------------------------------------------------------------------------------


def pptx_bytes(slides: list[Slide], *, title: str) -> bytes:
    """A 16:9 deck, one slide per entry: the map on the left, the texts on the right."""
    from pptx import Presentation
    from pptx.util import Emu, Inches, Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    deck.core_properties.title = title
    blank = deck.slide_layouts[6]
    for slide in slides:
        page = deck.slides.add_slide(blank)
        _pptx_text(page, slide.heading, Inches(0.4), Inches(0.25), Inches(12.5), Inches(0.8),
                   size=Pt(28), bold=True)
        map_height = Inches(5.9)
        map_width = Emu(int(map_height * SLIDE_MAP_SIZE.width / SLIDE_MAP_SIZE.height))
        page.shapes.add_picture(io.BytesIO(slide.image), Inches(0.4), Inches(1.1),
                                width=map_width, height=map_height)
        left = Inches(0.4) + map_width + Inches(0.3)
        width = Inches(13.333) - left - Inches(0.4)
        box = _pptx_text(page, slide.caption, left, Inches(1.1), width, Inches(5.9),
                         size=Pt(16))
        frame = box.text_frame
        for label, value in (("Date", slide.date), ("Place", slide.place),
                             ("Attribution", slide.attribution)):
            _pptx_paragraph(frame, f"{label}: ", value, Pt(14))
        if slide.sources:
            _pptx_paragraph(frame, "Sources", "", Pt(14))
            for source in slide.sources:
                _pptx_paragraph(frame, "", f"• {source}", Pt(12))
        _pptx_text(page, slide.footer, Inches(0.4), Inches(7.05), Inches(12.5), Inches(0.35),
                   size=Pt(11))
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _pptx_text(page, text: str, left, top, width, height, *, size, bold: bool = False):
    box = page.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    run = frame.paragraphs[0].add_run()
    run.text = text
    run.font.size = size
    run.font.bold = bold
    return box


def _pptx_paragraph(frame, label: str, value: str, size) -> None:
    from pptx.util import Pt

    paragraph = frame.add_paragraph()
    paragraph.space_before = Pt(6)
    if label:
        run = paragraph.add_run()
        run.text = label
        run.font.bold = True
        run.font.size = size
    if value:
        run = paragraph.add_run()
        run.text = value
        run.font.size = size


# -- PDF -------------------------------------------------------------------------------------


def pdf_bytes(slides: list[Slide], *, title: str) -> bytes:
    """The same slides as pages of a landscape PDF with real (selectable) text."""
    from reportlab.lib.pagesizes import landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import inch
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Frame, Paragraph

    width, height = landscape((7.5 * inch, 13.333 * inch))
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(width, height))
    canvas.setTitle(title)
    heading_style = ParagraphStyle("heading", fontName="Helvetica-Bold", fontSize=24,
                                   leading=28)
    body = ParagraphStyle("body", fontName="Helvetica", fontSize=14, leading=18,
                          spaceAfter=8)
    small = ParagraphStyle("small", parent=body, fontSize=11, leading=14, spaceAfter=3)
    footer = ParagraphStyle("footer", parent=small, fontSize=9, leading=11)
    for slide in slides:
        margin = 0.4 * inch
        Frame(margin, height - 1.05 * inch, width - 2 * margin, 0.85 * inch,
              showBoundary=0, leftPadding=0, rightPadding=0).addFromList(
            [Paragraph(_pdf_text(slide.heading), heading_style)], canvas)
        map_height = 5.9 * inch
        map_width = map_height * SLIDE_MAP_SIZE.width / SLIDE_MAP_SIZE.height
        canvas.drawImage(ImageReader(io.BytesIO(slide.image)), margin,
                         height - 1.1 * inch - map_height, width=map_width, height=map_height)
        left = margin + map_width + 0.3 * inch
        story = [Paragraph(_pdf_text(slide.caption), body)] if slide.caption else []
        for label, value in (("Date", slide.date), ("Place", slide.place),
                             ("Attribution", slide.attribution)):
            story.append(Paragraph(f"<b>{label}:</b> {_pdf_text(value)}", body))
        if slide.sources:
            story.append(Paragraph("<b>Sources</b>", body))
            story += [Paragraph(f"• {_pdf_text(s)}", small) for s in slide.sources]
        Frame(left, height - 1.1 * inch - map_height, width - left - margin, map_height,
              showBoundary=0, leftPadding=0, rightPadding=0, topPadding=0).addFromList(
            story, canvas)
        Frame(margin, 0.1 * inch, width - 2 * margin, 0.35 * inch, showBoundary=0,
              leftPadding=0, rightPadding=0).addFromList(
            [Paragraph(_pdf_text(slide.footer), footer)], canvas)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _pdf_text(text: str) -> str:
    """Text for a ReportLab paragraph, whose markup is XML-like: escape it all."""
    import html

    return html.escape(text, quote=False)


def deck_bytes(incidents: pd.DataFrame, briefing: Briefing, *, fmt: str, offline: bool,
               provenance: Provenance, allow_empty: bool = False) -> bytes:
    """Render the briefing's slides and return them as a ``fmt`` (pptx or pdf) file's bytes."""
    if fmt not in DECK_FORMATS:
        raise ExportError(f'"{fmt}" is not a deck format; use pptx or pdf')
    slides = build_slides(incidents, briefing, offline=offline, provenance=provenance,
                          allow_empty=allow_empty)
    return (pptx_bytes if fmt == "pptx" else pdf_bytes)(slides, title=briefing.title)
