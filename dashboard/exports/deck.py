"""Decks: a briefing as a PowerPoint file (python-pptx) or a PDF (ReportLab): one slide a
step, opened by a title slide when asked for (``title_slide``, ``export --title-slide``).

The title slide opens the deck as the title step opens the presented briefing: the
briefing's title and subtitle, what is shown (the default briefing's filters in words, or an
authored briefing's number of steps and the dates of its incidents), the data's date, the
dataset's name and an overview map of every step's incidents. Titles too long for their box
are set smaller, then cut at a word (:func:`fit_text`); every text is plain text.

Each step's slide has the step's map (the same PNG snapshot as ``export --format png``: the
view's incidents, its focus and extent, the legend), the heading, the caption, the date, the
place, the attribution and the sources as people read them (:mod:`dashboard.data.sources`),
and a footer with the briefing's title, the step's number and the data's date. All maps are
drawn by one headless Chromium.

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


@dataclass(frozen=True)
class TitleSlide:
    """The deck's first slide; ``facts`` are its lines under the subtitle, ``image`` the
    overview map as PNG bytes (None: no map)."""

    title: str
    subtitle: str
    facts: tuple[str, ...]
    image: bytes | None = None


@dataclass(frozen=True)
class Deck:
    """A slide per step, opened by the title slide when ``opening`` (``title`` also names
    the file)."""

    title: TitleSlide
    slides: list[Slide]
    opening: bool = True


def step_rows(incidents: pd.DataFrame, step: Step) -> pd.DataFrame:
    """The incidents a step shows: its filters' rows, plus its focus incident if they hide it."""
    rows = apply_filters(incidents, step.filters)
    if step.incident and step.incident not in set(rows["id"]):
        rows = pd.concat([rows, incidents[incidents["id"] == step.incident]])
    return rows


def step_view(step: Step, *, offline: bool) -> View:
    """The view a briefing step shows, on the page and on its slide alike: its filters, its
    incident (named by a label, not a popup) and its ``at``; the map's camera is then
    :func:`dashboard.maps.framing.frame_view` of these."""
    return View(filters=step.filters, focus_id=step.incident, offline=offline,
                title=step.heading, focus_popup=False,
                at=(step.at.lat, step.at.lon, step.at.zoom) if step.at else None)


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


def featured_rows(incidents: pd.DataFrame, briefing: Briefing,
                  rows_by_step: list[pd.DataFrame]) -> pd.DataFrame:
    """The incidents the steps are about, once each: a step's focus incident, or every
    incident of a step without one."""
    parts = []
    for step, rows in zip(briefing.steps, rows_by_step, strict=True):
        focus = rows[rows["id"] == step.incident] if step.incident else rows[:0]
        parts.append(focus if not focus.empty else rows)
    if not parts:
        return incidents[:0]
    return pd.concat(parts).drop_duplicates(subset="id")


def title_facts(briefing: Briefing, rows: pd.DataFrame, provenance: Provenance
                ) -> tuple[str, ...]:
    """The title slide's lines: what is shown, the steps and their dates, the data's date and
    the dataset's name (``rows``: the incidents of the steps, see :func:`featured_rows`)."""
    total = len(briefing.steps)
    steps = f"{total} step{'' if total == 1 else 's'}"
    span = _date_range(rows)
    if briefing.authored:
        lines = [steps, span]
    else:
        filters = briefing.steps[0].filters if briefing.steps else None
        lines = [describe(filters) if filters else "All incidents",
                 f"{steps}, one incident each in date order", span]
    for part in data_date_text(rows, provenance).split(" · "):
        lines.append(part[:1].upper() + part[1:])
    lines.append(f"Dataset: {provenance.name}")
    return tuple(line for line in lines if line)


def build_deck(incidents: pd.DataFrame, briefing: Briefing, *, offline: bool,
               provenance: Provenance, size: PngSize = SLIDE_MAP_SIZE,
               allow_empty: bool = False, overview: bool = True, title_slide: bool = False,
               progress: Callable[[int, int], None] | None = None) -> Deck:
    """Render the overview and every step's map with one Chromium and collect the texts.

    ``title_slide``: the title slide opens the deck (else the steps alone; the title then
    only names the file);
    ``overview=False`` leaves the map off the title slide."""
    from dashboard.exports.browser import find_chromium, launch_chromium
    from dashboard.exports.snapshot import render_snapshot

    if not briefing.steps:
        raise ExportError("the briefing has no steps: nothing to export")
    problems = check_steps(incidents, briefing)
    if problems and not allow_empty:
        raise ExportError("; ".join(problems) + " (add --allow-empty to export it anyway)")
    find_chromium()
    rows_by_step = [step_rows(incidents, step) for step in briefing.steps]
    everything = featured_rows(incidents, briefing, rows_by_step)
    total = len(briefing.steps)
    slides = []
    with launch_chromium() as browser:
        overview_png = None
        if title_slide and overview and not everything.empty:
            # The default briefing's steps share its filters; an authored one's may differ.
            shown = (f"All {total} steps" if total > 1 else "The step") if briefing.authored \
                else ""
            view = View(filters=briefing.steps[0].filters, offline=offline,
                        title=briefing.title, shown=shown)
            overview_png = render_snapshot(everything, view, provenance=provenance, size=size,
                                           browser=browser).png
        title = TitleSlide(title=briefing.title, subtitle=briefing.subtitle,
                           facts=title_facts(briefing, everything, provenance),
                           image=overview_png)
        for number, (step, rows) in enumerate(zip(briefing.steps, rows_by_step, strict=True),
                                              start=1):
            view = step_view(step, offline=offline)
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
    return Deck(title=title, slides=slides, opening=title_slide)


# -- fitting text in a box --------------------------------------------------------------------


def fit_text(text: str, *, width: float, height: float, largest: float, smallest: float,
             bold: bool = False, leading: float = 1.2) -> tuple[str, float]:
    """The font size (points) at which ``text`` fills at most ``width`` x ``height`` points,
    from ``largest`` down to ``smallest``; text that does not fit even then is cut at a word
    and ends with "…". Measured with ReportLab's Helvetica metrics, which are wider than the
    PowerPoint theme's Calibri, so a PPTX box is never too small."""
    size = largest
    while size > smallest and _text_height(text, size, width, bold, leading) > height:
        size -= 2
    size = max(size, smallest)
    if _text_height(text, size, width, bold, leading) <= height:
        return text, size
    low, high = 0, len(text)  # the longest prefix that fits with "…"
    while low < high:
        middle = (low + high + 1) // 2
        if _text_height(_cut(text, middle), size, width, bold, leading) <= height:
            low = middle
        else:
            high = middle - 1
    return _cut(text, low), size


def _cut(text: str, length: int) -> str:
    head = text[:length]
    if length < len(text) and " " in head[length // 2:]:
        head = head[:head.rindex(" ")]
    return head.rstrip() + "…"


def _text_height(text: str, size: float, width: float, bold: bool, leading: float) -> float:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    style = ParagraphStyle("fit", fontName="Helvetica-Bold" if bold else "Helvetica",
                           fontSize=size, leading=size * leading)
    return sum(Paragraph(_pdf_text(line), style).wrap(width, 10_000)[1]
               for line in text.split("\n"))


#: The title slide, in inches and points: margins, the largest and smallest font sizes.
SLIDE_SIZE_IN = (13.333, 7.5)
TITLE_LEFT, TITLE_TOP, TITLE_WIDTH, TITLE_BOTTOM = 0.6, 0.45, 12.1, 7.1
TITLE_SIZES, SUBTITLE_SIZES, FACTS_SIZES = (44, 24), (26, 16), (20, 14)
TITLE_MAX_HEIGHT, SUBTITLE_MAX_HEIGHT = 1.65, 1.25
FACTS_SPACING = 1.45
OVERVIEW_MAX_WIDTH = 6.6


@dataclass(frozen=True)
class Placed:
    """A text as set on the title slide: cut to fit, its size (points) and its box
    (left, top, width, height in inches)."""

    text: str
    size: float
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class TitleLayout:
    """The title slide's parts where :func:`title_layout` puts them."""

    title: Placed
    subtitle: Placed | None
    facts: Placed
    #: Where the overview map goes (inches), None without one.
    overview: tuple[float, float, float, float] | None


def title_layout(slide: TitleSlide) -> TitleLayout:
    """Where the title slide's parts go: the title and subtitle across the top, each as tall
    as its text; under them the overview map on the left, as large as fits, and the facts
    beside it. Both writers (PPTX, PDF) place what this returns."""

    def place(text: str, top: float, width: float, height: float, sizes, *,
              bold: bool = False, spacing: float = 1.2, left: float = TITLE_LEFT,
              shrink: bool = True) -> Placed:
        fitted, size = fit_text(text, width=width * 72, height=height * 72, largest=sizes[0],
                                smallest=sizes[1], bold=bold, leading=spacing)
        used = _text_height(fitted, size, width * 72, bold, spacing) / 72 + 0.1
        return Placed(fitted, size, (left, top, width, min(height, used) if shrink else height))

    title = place(slide.title, TITLE_TOP, TITLE_WIDTH, TITLE_MAX_HEIGHT, TITLE_SIZES,
                  bold=True)
    below = TITLE_TOP + title.box[3] + 0.15
    subtitle = None
    if slide.subtitle:
        subtitle = place(slide.subtitle, below, TITLE_WIDTH, SUBTITLE_MAX_HEIGHT,
                         SUBTITLE_SIZES)
        below = subtitle.box[1] + subtitle.box[3]
    top = below + 0.3
    height = TITLE_BOTTOM - top
    overview = None
    facts_left = TITLE_LEFT
    if slide.image is not None:
        ratio = SLIDE_MAP_SIZE.width / SLIDE_MAP_SIZE.height
        map_width = min(OVERVIEW_MAX_WIDTH, height * ratio)
        overview = (TITLE_LEFT, top, map_width, map_width / ratio)
        facts_left = TITLE_LEFT + map_width + 0.4
    facts = place("\n".join(slide.facts), top, TITLE_LEFT + TITLE_WIDTH - facts_left, height,
                  FACTS_SIZES, spacing=FACTS_SPACING, left=facts_left, shrink=False)
    return TitleLayout(title=title, subtitle=subtitle, facts=facts, overview=overview)


# -- PowerPoint ------------------------------------------------------------------------------


def pptx_bytes(content: Deck) -> bytes:
    """A 16:9 deck: the title slide, then one slide per step with the map on the left and the
    texts on the right."""
    from pptx import Presentation
    from pptx.util import Emu, Inches, Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    # The file's title property holds at most 255 characters (python-pptx refuses more).
    deck.core_properties.title = content.title.title[:255]
    blank = deck.slide_layouts[6]
    if content.opening:
        _pptx_title_slide(deck.slides.add_slide(blank), content.title)
    for slide in content.slides:
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


def _pptx_title_slide(page, slide: TitleSlide) -> None:
    from pptx.util import Inches, Pt

    layout = title_layout(slide)
    for placed, bold in ((layout.title, True), (layout.subtitle, False)):
        if placed is not None:
            box = _pptx_text(page, placed.text, *(Inches(v) for v in placed.box),
                             size=Pt(placed.size), bold=bold)
            box.name = "Title" if bold else "Subtitle"
    facts = layout.facts
    box = _pptx_text(page, "", *(Inches(v) for v in facts.box), size=Pt(facts.size))
    box.name = "Facts"
    frame = box.text_frame
    for number, line in enumerate(facts.text.split("\n")):
        paragraph = frame.paragraphs[0] if number == 0 else frame.add_paragraph()
        paragraph.line_spacing = FACTS_SPACING / 1.2  # PowerPoint's single spacing is ~1.2
        run = paragraph.runs[0] if paragraph.runs else paragraph.add_run()
        run.text = line
        run.font.size = Pt(facts.size)
    if layout.overview is not None and slide.image is not None:
        left, top, width, height = layout.overview
        page.shapes.add_picture(io.BytesIO(slide.image), Inches(left), Inches(top),
                                width=Inches(width), height=Inches(height))


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


def pdf_bytes(content: Deck) -> bytes:
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
    canvas.setTitle(content.title.title)
    heading_style = ParagraphStyle("heading", fontName="Helvetica-Bold", fontSize=24,
                                   leading=28)
    body = ParagraphStyle("body", fontName="Helvetica", fontSize=14, leading=18,
                          spaceAfter=8)
    small = ParagraphStyle("small", parent=body, fontSize=11, leading=14, spaceAfter=3)
    footer = ParagraphStyle("footer", parent=small, fontSize=9, leading=11)
    if content.opening:
        _pdf_title_slide(canvas, content.title, height)
        canvas.showPage()
    for slide in content.slides:
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


def _pdf_title_slide(canvas, slide: TitleSlide, page_height: float) -> None:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import inch
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Frame, Paragraph

    layout = title_layout(slide)
    for placed, bold, spacing in ((layout.title, True, 1.2), (layout.subtitle, False, 1.2),
                                  (layout.facts, False, FACTS_SPACING)):
        if placed is None:
            continue
        style = ParagraphStyle("title" if bold else "text", fontSize=placed.size,
                               fontName="Helvetica-Bold" if bold else "Helvetica",
                               leading=placed.size * spacing)
        left, top, width, height = (value * inch for value in placed.box)
        Frame(left, page_height - top - height, width, height, showBoundary=0,
              leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0).addFromList(
            [Paragraph(_pdf_text(line), style) for line in placed.text.split("\n")], canvas)
    if layout.overview is not None and slide.image is not None:
        left, top, width, height = layout.overview
        canvas.drawImage(ImageReader(io.BytesIO(slide.image)), left * inch,
                         page_height - (top + height) * inch, width=width * inch,
                         height=height * inch)


def _pdf_text(text: str) -> str:
    """Text for a ReportLab paragraph, whose markup is XML-like: escape it all."""
    import html

    return html.escape(text, quote=False)


def deck_bytes(incidents: pd.DataFrame, briefing: Briefing, *, fmt: str, offline: bool,
               provenance: Provenance, allow_empty: bool = False,
               title_slide: bool = False) -> bytes:
    """Render the briefing's slides and return them as a ``fmt`` (pptx or pdf) file's bytes:
    one slide per step, after a title slide when ``title_slide``."""
    if fmt not in DECK_FORMATS:
        raise ExportError(f'"{fmt}" is not a deck format; use pptx or pdf')
    deck = build_deck(incidents, briefing, offline=offline, provenance=provenance,
                      allow_empty=allow_empty, title_slide=title_slide)
    return (pptx_bytes if fmt == "pptx" else pdf_bytes)(deck)
