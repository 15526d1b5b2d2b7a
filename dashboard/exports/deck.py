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

import contextlib
import dataclasses
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
    caption,
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
    #: The map picture's alternative text (what it shows, for screen readers).
    alt: str = ""


@dataclass(frozen=True)
class TitleSlide:
    """The deck's first slide; ``facts`` are its lines under the subtitle, ``image`` the
    overview map as PNG bytes (None: no map)."""

    title: str
    subtitle: str
    facts: tuple[str, ...]
    image: bytes | None = None
    alt: str = ""


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
    :func:`dashboard.maps.framing.frame_view` of these. A step about an incident draws its
    neighbours as single symbols, never gathered into clusters (the page dims them; a
    cluster would hide them and the incident's own symbol)."""
    return View(filters=step.filters, focus_id=step.incident, offline=offline,
                title=step.heading, focus_popup=False,
                cluster=False if step.incident else None,
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


def map_alt_text(rows: pd.DataFrame, step: Step, view: View) -> str:
    """What a step's map shows, in words, for its picture's alternative text."""
    text = f"Map: {caption(view, rows)}"
    focus = rows[rows["id"] == step.incident] if step.incident else rows[:0]
    if not focus.empty:
        row = focus.iloc[0]
        text += f"; in focus, ringed: {row['title']} ({row['place']}, {row['date_label']})"
    return text


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
               progress: Callable[[int, int], None] | None = None, browser=None) -> Deck:
    """Render the overview and every step's map in one page of one Chromium and collect the
    texts.

    ``title_slide``: the title slide opens the deck (else the steps alone; the title then
    only names the file);
    ``overview=False`` leaves the map off the title slide. ``progress(n, total)`` is called
    before step ``n``'s map is drawn ("slide 7 of 17"); an exception it raises stops the
    deck (a page's Cancel). ``browser``: a Playwright browser to use
    (else one is started and closed)."""
    from dashboard.exports.browser import find_chromium, launch_chromium
    from dashboard.exports.sizes import context_options
    from dashboard.exports.snapshot import prepare_picture, render_snapshot

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
    # The default briefing's steps share its filters; an authored one's may differ.
    shown = (f"All {total} steps" if total > 1 else "The step") if briefing.authored else ""
    with contextlib.ExitStack() as stack:
        if browser is None:
            browser = stack.enter_context(launch_chromium())
        # One page for every map: a new page (or context) per slide costs more than the map.
        context = browser.new_context(**context_options(size))
        stack.callback(context.close)
        page = context.new_page()
        overview_png = None
        if title_slide and overview and not everything.empty:
            view = View(filters=briefing.steps[0].filters, offline=offline,
                        title=briefing.title, shown=shown, header=False)
            overview_png = render_snapshot(everything, view, provenance=provenance, size=size,
                                           browser=page).png
        title = TitleSlide(title=briefing.title, subtitle=briefing.subtitle,
                           facts=title_facts(briefing, everything, provenance),
                           image=overview_png,
                           alt="Overview map of the briefing's incidents: "
                               + caption(View(filters=briefing.steps[0].filters, shown=shown),
                                         everything))
        # The step's view as on the page (dashboard.maps.framing decides its camera), without
        # a header of its own: the slide's heading says what it shows.
        views = [dataclasses.replace(step_view(step, offline=offline), header=False)
                 for step in briefing.steps]
        # The next slide's page is made while the browser draws this one's.
        maker = stack.enter_context(ThreadPoolExecutor(max_workers=1,
                                                       thread_name_prefix="deck-page"))

        def prepare(index: int):
            return maker.submit(prepare_picture, rows_by_step[index], views[index],
                                provenance=provenance, width=size.width)

        upcoming = prepare(0)
        for number, (step, rows, view) in enumerate(
                zip(briefing.steps, rows_by_step, views, strict=True), start=1):
            if progress:
                progress(number, total)
            prepared = upcoming.result()
            upcoming = prepare(number) if number < total else None
            image = render_snapshot(rows, view, provenance=provenance, size=size,
                                    browser=page, prepared=prepared).png
            text = step_text(rows, step)
            footer = " · ".join(part for part in (
                briefing.title, f"Step {number} of {total}", data_date_text(rows, provenance),
            ) if part)
            slides.append(Slide(heading=step.heading, caption=step.caption,
                                date=str(text["date"]), place=str(text["place"]),
                                attribution=str(text["attribution"]),
                                sources=tuple(text["sources"]), footer=footer, image=image,
                                alt=map_alt_text(rows, step, view)))
    return Deck(title=title, slides=slides, opening=title_slide)


# -- fitting text in a box --------------------------------------------------------------------


def fit_text(text: str, *, width: float, height: float, largest: float, smallest: float,
             bold: bool = False, leading: float = 1.2) -> tuple[str, float]:
    """The font size (points) at which ``text`` fills at most ``width`` x ``height`` points,
    from ``largest`` down to ``smallest``; text that does not fit even then is cut at a word
    and ends with "…". Measured with the PDF's DejaVu Sans metrics (see ``fonts``), which
    are wider than the PowerPoint theme's Calibri, so a PPTX box is never too small."""
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

    regular, heavy = _measuring_fonts()
    style = ParagraphStyle("fit", fontName=heavy if bold else regular,
                           fontSize=size, leading=size * leading)
    return sum(Paragraph(_pdf_text(line, style, width), style).wrap(width, 10_000)[1]
               for line in text.split("\n"))


def _measuring_fonts() -> tuple[str, str]:
    """The deck's fonts (regular, bold); Helvetica's where they are missing (a PPTX needs no
    font of its own: only a PDF refuses to be made without them)."""
    from dashboard.exports.fonts import fonts_ready, register_fonts

    return register_fonts() if fonts_ready() else ("Helvetica", "Helvetica-Bold")


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


#: A step slide's heading: its box (points) and its largest and smallest sizes.
HEADING_BOX_PT = (12.5 * 72, 0.85 * 72)
HEADING_SIZES = (24, 14)


def heading_fit(text: str) -> tuple[str, float]:
    """A step's heading as set on its slide: as large as fits its box, else cut at a word."""
    width, height = HEADING_BOX_PT
    return fit_text(text, width=width, height=height, largest=HEADING_SIZES[0],
                    smallest=HEADING_SIZES[1], bold=True, leading=1.15)


# -- PowerPoint ------------------------------------------------------------------------------

#: The slide layouts of python-pptx's default template used here.
LAYOUT_TITLE, LAYOUT_TITLE_ONLY = 0, 5


def pptx_bytes(content: Deck) -> bytes:
    """A 16:9 deck: the title slide, then one slide per step with the heading in the slide's
    title placeholder (PowerPoint's outline and accessibility checker read it), the map on
    the left (with its alternative text) and the texts on the right."""
    from pptx import Presentation
    from pptx.util import Emu, Inches, Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(13.333), Inches(7.5)
    # The file's title property holds at most 255 characters (python-pptx refuses more).
    deck.core_properties.title = content.title.title[:255]
    if content.opening:
        _pptx_title_slide(deck.slides.add_slide(deck.slide_layouts[LAYOUT_TITLE]),
                          content.title)
    for slide in content.slides:
        page = deck.slides.add_slide(deck.slide_layouts[LAYOUT_TITLE_ONLY])
        heading, size = heading_fit(slide.heading)
        _pptx_placeholder(page.shapes.title, heading, Inches(0.4), Inches(0.2),
                          Inches(12.5), Inches(0.85), size=Pt(size), bold=True, name="Title")
        map_height = Inches(5.9)
        map_width = Emu(int(map_height * SLIDE_MAP_SIZE.width / SLIDE_MAP_SIZE.height))
        picture = page.shapes.add_picture(io.BytesIO(slide.image), Inches(0.4), Inches(1.1),
                                          width=map_width, height=map_height)
        _alt_text(picture, slide.alt or f"Map: {slide.heading}")
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
    _pptx_placeholder(page.shapes.title, layout.title.text,
                      *(Inches(v) for v in layout.title.box), size=Pt(layout.title.size),
                      bold=True, name="Title")
    subtitle = next((shape for shape in page.placeholders
                     if shape.placeholder_format.idx == 1), None)
    if layout.subtitle is not None and subtitle is not None:
        _pptx_placeholder(subtitle, layout.subtitle.text,
                          *(Inches(v) for v in layout.subtitle.box),
                          size=Pt(layout.subtitle.size), bold=False, name="Subtitle")
    elif subtitle is not None:  # no subtitle: no empty "Click to add subtitle" box
        subtitle.element.getparent().remove(subtitle.element)
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
        _rtl_paragraph(paragraph, line)
    if layout.overview is not None and slide.image is not None:
        left, top, width, height = layout.overview
        picture = page.shapes.add_picture(io.BytesIO(slide.image), Inches(left), Inches(top),
                                          width=Inches(width), height=Inches(height))
        _alt_text(picture, slide.alt or f"Overview map: {slide.title}")


def _pptx_placeholder(shape, text: str, left, top, width, height, *, size, bold: bool,
                      name: str) -> None:
    """Fill a layout's placeholder with ``text``, placed, sized and aligned as the deck's
    own boxes (left, top-anchored, word-wrapped)."""
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN

    shape.left, shape.top, shape.width, shape.height = left, top, width, height
    shape.name = name
    frame = shape.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.TOP
    frame.margin_left = frame.margin_right = 91440  # PowerPoint's default, 0.1 inch
    frame.text = ""
    paragraph = frame.paragraphs[0]
    paragraph.alignment = PP_ALIGN.LEFT
    run = paragraph.add_run()
    run.text = text
    run.font.size = size
    run.font.bold = bold
    _rtl_paragraph(paragraph, text)


def _alt_text(picture, text: str) -> None:
    """The picture's alternative text (``descr``, PowerPoint's "Alt Text"); python-pptx has
    no property for it, so it is set on the picture's non-visual properties."""
    picture._element.nvPicPr.cNvPr.set("descr", " ".join(text.split())[:1000])


def _rtl_paragraph(paragraph, text: str) -> None:
    """A paragraph whose text starts right-to-left (Hebrew, Arabic) runs right to left,
    aligned right; PowerPoint shapes and orders the letters itself."""
    from pptx.enum.text import PP_ALIGN

    from dashboard.exports.fonts import starts_rtl

    if starts_rtl(text):
        paragraph.alignment = PP_ALIGN.RIGHT
        paragraph._p.get_or_add_pPr().set("rtl", "1")


def _pptx_text(page, text: str, left, top, width, height, *, size, bold: bool = False):
    box = page.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    run = frame.paragraphs[0].add_run()
    run.text = text
    run.font.size = size
    run.font.bold = bold
    _rtl_paragraph(frame.paragraphs[0], text)
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
    if not label:
        _rtl_paragraph(paragraph, value)


# -- PDF -------------------------------------------------------------------------------------


def pdf_bytes(content: Deck) -> bytes:
    """The same slides as pages of a landscape PDF with real (selectable, copyable) text set
    in DejaVu Sans, embedded, so every script of the dataset prints (see ``fonts``)."""
    from reportlab.lib.pagesizes import landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import inch
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Frame

    from dashboard.exports.fonts import register_fonts

    regular, bold = register_fonts()
    width, height = landscape((7.5 * inch, 13.333 * inch))
    out = io.BytesIO()
    # The canvas's own starting font too: no Helvetica named in the file at all.
    canvas = Canvas(out, pagesize=(width, height), initialFontName=regular)
    canvas.setTitle(content.title.title)
    heading_style = ParagraphStyle("heading", fontName=bold, fontSize=24, leading=28)
    body = ParagraphStyle("body", fontName=regular, fontSize=14, leading=18, spaceAfter=8)
    small = ParagraphStyle("small", parent=body, fontSize=11, leading=14, spaceAfter=3)
    footer = ParagraphStyle("footer", parent=small, fontSize=9, leading=11)
    if content.opening:
        _pdf_title_slide(canvas, content.title, height)
        canvas.showPage()
    for slide in content.slides:
        margin = 0.4 * inch
        # A frame drops what does not fit in it: the heading is set to fit its box.
        heading, size = heading_fit(slide.heading)
        style = ParagraphStyle("heading-fit", parent=heading_style, fontSize=size,
                               leading=size * 1.15)
        Frame(margin, height - 1.05 * inch, width - 2 * margin, 0.85 * inch,
              showBoundary=0, leftPadding=0, rightPadding=0, topPadding=0,
              bottomPadding=0).addFromList(
            [_pdf_paragraph(heading, style, width - 2 * margin)], canvas)
        map_height = 5.9 * inch
        map_width = map_height * SLIDE_MAP_SIZE.width / SLIDE_MAP_SIZE.height
        canvas.drawImage(ImageReader(io.BytesIO(slide.image)), margin,
                         height - 1.1 * inch - map_height, width=map_width, height=map_height)
        left = margin + map_width + 0.3 * inch
        column = width - left - margin
        story = [_pdf_paragraph(slide.caption, body, column)] if slide.caption else []
        for label, value in (("Date", slide.date), ("Place", slide.place),
                             ("Attribution", slide.attribution)):
            story.append(_pdf_labelled(f"{label}:", value, body))
        if slide.sources:
            story.append(_pdf_labelled("Sources", "", body))
            story += [_pdf_labelled("•", s, small, bold=False) for s in slide.sources]
        Frame(left, height - 1.1 * inch - map_height, column, map_height,
              showBoundary=0, leftPadding=0, rightPadding=0, topPadding=0).addFromList(
            story, canvas)
        Frame(margin, 0.1 * inch, width - 2 * margin, 0.35 * inch, showBoundary=0,
              leftPadding=0, rightPadding=0).addFromList(
            [_pdf_paragraph(slide.footer, footer, width - 2 * margin)], canvas)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _pdf_title_slide(canvas, slide: TitleSlide, page_height: float) -> None:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import inch
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Frame

    from dashboard.exports.fonts import register_fonts

    regular, heavy = register_fonts()
    layout = title_layout(slide)
    for placed, bold, spacing in ((layout.title, True, 1.2), (layout.subtitle, False, 1.2),
                                  (layout.facts, False, FACTS_SPACING)):
        if placed is None:
            continue
        style = ParagraphStyle("title" if bold else "text", fontSize=placed.size,
                               fontName=heavy if bold else regular,
                               leading=placed.size * spacing)
        left, top, width, height = (value * inch for value in placed.box)
        Frame(left, page_height - top - height, width, height, showBoundary=0,
              leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0).addFromList(
            [_pdf_paragraph(line, style, width) for line in placed.text.split("\n")], canvas)
    if layout.overview is not None and slide.image is not None:
        left, top, width, height = layout.overview
        canvas.drawImage(ImageReader(io.BytesIO(slide.image)), left * inch,
                         page_height - (top + height) * inch, width=width * inch,
                         height=height * inch)


def _pdf_paragraph(text: str, style, width: float):
    """A paragraph of plain ``text`` (never markup) in ``style``, ``width`` points wide;
    right-to-left text is shaped, ordered and aligned right (see ``fonts``)."""
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    from dashboard.exports.fonts import starts_rtl

    if starts_rtl(text):
        style = ParagraphStyle(f"{style.name}-rtl", parent=style, alignment=TA_RIGHT)
    return Paragraph(_pdf_text(text, style, width), style)


def _pdf_labelled(label: str, value: str, style, *, bold: bool = True):
    """``label value`` as one paragraph: the label (bold unless ``bold`` is False) then the
    value as plain text; right-to-left runs in the value are shaped and ordered."""
    from reportlab.platypus import Paragraph

    from dashboard.exports.fonts import inline_markup

    head = f"<b>{_escape(label)}</b>" if bold else _escape(label)
    return Paragraph(f"{head} {inline_markup(value)}" if value else head, style)


def _escape(text: str) -> str:
    import html

    return html.escape(text, quote=False)


def _pdf_text(text: str, style=None, width: float = 10_000) -> str:
    """Text for a ReportLab paragraph, whose markup is XML-like: all escaped, and, when it
    holds right-to-left letters, shaped and put in display order line by line (``style``
    and ``width``: the font, size and width the lines are broken to)."""
    from dashboard.exports.fonts import has_rtl, pdf_markup

    if style is None or not has_rtl(text):
        return _escape(text)
    return pdf_markup(text, font=style.fontName, size=style.fontSize, width=width)


def deck_bytes(incidents: pd.DataFrame, briefing: Briefing, *, fmt: str, offline: bool,
               provenance: Provenance, allow_empty: bool = False,
               title_slide: bool = False, progress: Callable[[int, int], None] | None = None,
               browser=None) -> bytes:
    """Render the briefing's slides and return them as a ``fmt`` (pptx or pdf) file's bytes:
    one slide per step, after a title slide when ``title_slide`` (``progress`` and
    ``browser`` as for :func:`build_deck`)."""
    if fmt not in DECK_FORMATS:
        raise ExportError(f'"{fmt}" is not a deck format; use pptx or pdf')
    if fmt == "pdf":
        from dashboard.exports.fonts import find_fonts

        find_fonts()  # no fonts: say what to install before drawing any map
    deck = build_deck(incidents, briefing, offline=offline, provenance=provenance,
                      allow_empty=allow_empty, title_slide=title_slide, progress=progress,
                      browser=browser)
    return (pptx_bytes if fmt == "pptx" else pdf_bytes)(deck)
