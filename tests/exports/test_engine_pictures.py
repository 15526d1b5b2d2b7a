"""PNG, HTML and decks of a view served by the query engine: the engine's own answer for the
view (grid cells or incidents) drawn in a page that carries it, in real headless Chromium."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from pptx import Presentation
from pypdf import PdfReader

from dashboard.data.filters import Filters
from dashboard.exports import engine_view
from dashboard.exports.sizes import PngSize
from dashboard.exports.view import View

SIZE = PngSize(1000, 640)


def test_the_html_file_carries_the_engines_answer_and_a_table(duckdb_query, engine_frame):
    filters = Filters(countries=("DE", "FR"))
    page, _, shown = engine_view.page_html(duckdb_query, filters, View(filters=filters),
                                           size=SIZE, source="cases", document=True)
    expected = duckdb_query.map_view(filters, shown.bounds, shown.at[2])
    assert shown.answer.to_json() == expected.to_json()
    assert '"inline":{"kind":"' + expected.kind in page
    assert "/app/static/incident_engine.js" not in page  # it opens from disk
    rows = engine_frame[engine_frame["country"].isin(["DE", "FR"])]
    assert len(re.findall(r"<tr data-incident=", page)) == len(rows)
    assert f"{len(rows):,} incidents" in page


@pytest.fixture(scope="module")
def chromium():
    from dashboard.exports.browser import launch_chromium

    with launch_chromium() as browser:
        yield browser


def test_the_png_draws_the_views_cells_or_incidents(duckdb_query, chromium):
    import dashboard.data.engine.query as query_module

    for limit, kind in ((0, "cells"), (query_module.POINT_LIMIT, "points")):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(query_module, "POINT_LIMIT", limit)
            duckdb_query._memo.clear()
            png, shown = engine_view.render_png(
                duckdb_query, Filters(), View(offline=True, title="Everything"), size=SIZE,
                source="cases", browser=chromium)
        assert shown.answer.kind == kind and shown.answer.total > 0
        image = Image.open(io.BytesIO(png)).convert("RGB")
        assert image.size == (SIZE.width, SIZE.height)
        # the symbols' colours are on the picture (clusters orange-ish, points by type)
        colours = image.getcolors(maxcolors=1 << 20)
        assert len(colours) > 50
    duckdb_query._memo.clear()


def test_an_empty_view_is_refused_unless_allowed(duckdb_query, chromium):
    from dashboard.exports.sizes import ExportError

    nothing = Filters(query="nowhere")
    with pytest.raises(ExportError, match="shows no incident"):
        engine_view.render_png(duckdb_query, nothing, View(offline=True), size=SIZE,
                               source="cases", allow_empty=False, browser=chromium)


@pytest.mark.parametrize("fmt", ["pptx", "pdf"])
def test_a_deck_of_the_view(duckdb_query, engine_frame, chromium, fmt):
    filters = Filters(event_types=("killing",))
    data = engine_view.deck_bytes(duckdb_query, filters, View(offline=True, title="Killings"),
                                  fmt=fmt, source="cases", browser=chromium)
    count = int((engine_frame["event_type"] == "killing").sum())
    if fmt == "pptx":
        deck = Presentation(io.BytesIO(data))
        assert len(deck.slides) == 2
        text = " ".join(shape.text_frame.text for slide in deck.slides
                        for shape in slide.shapes if shape.has_text_frame)
        assert any(shape.shape_type == 13 for shape in deck.slides[1].shapes)  # the map
    else:
        reader = PdfReader(io.BytesIO(data))
        assert len(reader.pages) == 2
        text = " ".join(page.extract_text() for page in reader.pages)
    assert f"{count:,} incidents" in text
