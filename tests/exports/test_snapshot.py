"""The export pages as HTML text: self-contained, escaped, captioned (the browser tier is in
tests/browser/test_snapshot.py)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from dashboard.data.filters import Filters, apply_filters, describe
from dashboard.data.loading import load_incidents
from dashboard.exports.snapshot import html_page, snapshot_page
from dashboard.exports.view import Provenance, View, data_date_text
from tests.paths import FIXTURES

FIXTURE = FIXTURES / "export_fixture.csv"


@pytest.fixture(scope="module")
def incidents() -> pd.DataFrame:
    return load_incidents(FIXTURE)


@pytest.mark.parametrize(("offline", "web_tiles"), [(True, False), (False, False),
                                                    (False, True)])
def test_html_page_loads_nothing_from_outside(incidents, offline, web_tiles):
    page = html_page(incidents, View(offline=offline, web_tiles=web_tiles),
                     provenance=Provenance.of(FIXTURE))
    assert re.search(r"<script[^>]+\bsrc=", page) is None
    assert re.search(r"<link[^>]+\bhref=", page) is None
    assert "L.map(" in page  # Leaflet and the map itself are inline
    # Tiles only from an online view that asked to keep them; the credits name what is drawn.
    assert ("basemaps.cartocdn.com" in page) is web_tiles
    assert ("© CARTO" in page or "&copy; <a href=\"https://carto.com" in page) is web_tiles
    assert ("Natural Earth outline" in page) is not web_tiles


def test_title_and_captions_are_escaped_and_say_what_is_shown(incidents):
    filters = Filters(years=(2019, 2025), countries=("DE", "ES"))
    view = View(filters=filters, offline=True, title='<img src=x onerror="alert(1)">')
    provenance = Provenance.of(FIXTURE)
    page, map_name = snapshot_page(apply_filters(incidents, filters), view, provenance=provenance)
    assert '<img src=x onerror="alert(1)">' not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "<title>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</title>" in page
    assert describe(filters) in page
    assert "Sources: export_fixture.csv" in page
    assert "Natural Earth" in page and "CARTO" not in page.split('class="export-footer"')[1]
    rows = apply_filters(incidents, filters)
    assert data_date_text(rows, provenance) in page
    assert f"var {map_name} = L.map(" in page


def test_html_page_has_one_table_row_per_incident(incidents):
    rows = apply_filters(incidents, Filters(event_types=("killing",)))
    page = html_page(rows, View(filters=Filters(event_types=("killing",)), offline=True),
                     provenance=Provenance())
    table = page.split('<table class="incident-table">', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr data-incident=") == len(rows)
    for identifier in rows["id"]:
        assert f'data-incident="{identifier}"' in table


def test_data_date_names_the_newest_incident_and_the_file_date(incidents):
    text = data_date_text(incidents, Provenance(name="x.csv"))
    newest = incidents.sort_values("date_start").iloc[-1]["date_label"]
    assert text == f"Newest incident: {newest}"


def test_the_typed_subtitle_is_under_the_title_and_escaped(incidents):
    view = View(offline=True, title="Expulsions", subtitle='For the <b>committee</b> {{ 7*7 }}')
    page, _ = snapshot_page(incidents, view, provenance=Provenance.of(FIXTURE))
    assert ('<h1>Expulsions</h1><p class="export-subtitle">For the &lt;b&gt;committee&lt;/b&gt; '
            "{{ 7*7 }}</p>") in page
    plain, _ = snapshot_page(incidents, View(offline=True), provenance=Provenance.of(FIXTURE))
    assert "export-subtitle\">" not in plain


def test_a_large_html_export_limits_its_table_and_says_so(tmp_path):
    from dashboard.data.loading import load_incidents
    from dashboard.exports.snapshot import EXPORT_TABLE_ROWS
    from scripts.make_large_dataset import write_dataset

    rows = load_incidents(write_dataset(tmp_path / "large.csv", EXPORT_TABLE_ROWS + 300))
    page = html_page(rows, View(filters=Filters(), offline=True), provenance=Provenance())
    table = page.split('<table class="incident-table">', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr data-incident=") == EXPORT_TABLE_ROWS
    assert f'data-incident="{rows["id"].iloc[0]}"' in table
    assert f"The first 1,000 of {len(rows):,} incidents" in page


def test_the_picture_page_leaves_out_popup_texts_but_keeps_the_focus_popup(incidents):
    """A PNG opens no popup, so its page carries no summaries or sources (half the page's
    weight for the curated dataset), unless a focused incident's popup is open."""
    provenance = Provenance.of(FIXTURE)
    row = incidents.loc[incidents["summary"].str.len() > 40].iloc[0]
    words = re.findall(r"[A-Za-z]{5,}", row["summary"])
    phrase = next(w for w in words if w not in row["title"] and w not in row["place"])
    html = html_page(incidents, View(offline=True), provenance=provenance)
    assert phrase in html  # the interactive page has its popups
    picture, _ = snapshot_page(incidents, View(offline=True), provenance=provenance)
    assert phrase not in picture
    focused, _ = snapshot_page(incidents, View(offline=True, focus_id=row["id"]),
                               provenance=provenance)
    assert phrase in focused
