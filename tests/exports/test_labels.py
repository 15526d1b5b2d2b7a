"""Symbol labels and the legend of the PNG export, drawn for real in headless Chromium."""

from __future__ import annotations

from itertools import combinations

import pytest

from dashboard.data.loading import load_incidents
from dashboard.exports.labels import MAX_LABEL_CHARS, label_entries
from dashboard.exports.snapshot import render_snapshot, snapshot_page
from dashboard.exports.view import SIZE_PRESETS, PngSize, Provenance, View
from tests.conftest import CURATED, base_row

HOSTILE = "<img src=x onerror=alert(1)>{{7*7}}"


def overlap(a, b) -> bool:
    (ax, ay, aw, ah), (bx, by, bw, bh) = a, b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def inside(box, outer) -> bool:
    (x, y, w, h), (ox, oy, ow, oh) = box, outer
    return ox <= x and oy <= y and x + w <= ox + ow + 0.5 and y + h <= oy + oh + 0.5


@pytest.fixture
def crowded(make_dataset):
    """Fourteen incidents round Berlin, three of them at one spot, one with a hostile title."""
    rows = [base_row(id=f"2020-01-{i + 1:02d}-berlin-{i}", date=f"2020-01-{i + 1:02d}",
                     title=f"Incident number {i} near Berlin with a long title",
                     lat=f"{52.20 + 0.12 * (i % 4):.4f}", lon=f"{12.90 + 0.25 * (i // 4):.4f}")
            for i in range(11)]
    rows += [base_row(id=f"2021-05-0{i}-berlin-same", date=f"2021-05-0{i}", lat="52.60",
                      lon="13.60", place="Pankow, Berlin, Germany") for i in (1, 2, 3)]
    rows.append(base_row(id="2022-02-02-hamburg-hostile", date="2022-02-02", title=HOSTILE,
                         lat="53.55", lon="10.00"))
    return load_incidents(make_dataset(rows))


def test_entries_share_a_spot_name_it_and_shorten_long_titles(crowded):
    entries = label_entries(crowded)
    assert len(entries) == 13  # 12 single spots, one shared by three
    assert entries[0]["text"] == "3 incidents \u00b7 Pankow" and entries[0]["count"] == 3
    texts = [entry["text"] for entry in entries]
    assert HOSTILE in texts
    assert all(len(text) <= MAX_LABEL_CHARS for text in texts)
    assert any(text.endswith("\u2026") for text in texts)


@pytest.mark.slow
def test_labels_never_overlap_each_other_symbols_or_the_legend(crowded, chromium):
    view = View(offline=True, labels=True)
    snap = render_snapshot(crowded, view, provenance=Provenance(), size=PngSize(900, 560),
                           browser=chromium)
    boxes = [box for _, box in snap.labels]
    texts = [text for text, _ in snap.labels]
    assert len(boxes) >= 3
    assert len(boxes) < len(label_entries(crowded))  # crowded: the placer left some out
    assert "3 incidents \u00b7 Pankow" in texts  # the most important spot is labelled first
    assert HOSTILE in texts  # shown as written, not run as HTML
    for first, second in combinations(boxes, 2):
        assert not overlap(first, second), (first, second)
    for box in boxes:
        assert inside(box, snap.map_box)
        assert all(not overlap(box, control) for control in snap.controls)
    # Labels are legible: at least 12 CSS pixels of line.
    assert min(height for _, _, _, height in boxes) >= 12


def test_the_hostile_title_never_reaches_the_page_as_markup(crowded):
    page, _ = snapshot_page(crowded, View(offline=True, labels=True), provenance=Provenance())
    assert "<img src=x" not in page and "{{7*7}}" not in page
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in page  # the label's JSON text


@pytest.mark.slow
def test_without_the_option_there_are_no_labels(crowded, chromium):
    snap = render_snapshot(crowded, View(offline=True), provenance=Provenance(),
                           size=PngSize(600, 400), browser=chromium)
    assert snap.labels == ()


def clipped_area(box, outer) -> float:
    (x, y, w, h), (ox, oy, ow, oh) = box, outer
    return max(0, min(x + w, ox + ow) - max(x, ox)) * max(0, min(y + h, oy + oh) - max(y, oy))


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["a4", "hd"])
@pytest.mark.parametrize("focus", [None, "2006-11-01-london-litvinenko"])
def test_the_legend_is_whole_beside_the_map_and_covers_no_symbol_or_label(chromium, preset,
                                                                          focus):
    incidents = load_incidents(CURATED)
    width, height = SIZE_PRESETS[preset]
    view = View(offline=True, focus_id=focus, labels=True, focus_popup=False)
    snap = render_snapshot(incidents, view, provenance=Provenance.of(CURATED),
                           size=PngSize(width, height), browser=chromium)
    assert snap.legend is not None
    assert inside(snap.legend, (0, 0, width, height))
    assert snap.legend_hidden <= 1  # nothing to scroll: every entry shows
    # A panel beside the map (a print layout), not over it: nothing drawn lies under it.
    assert clipped_area(snap.legend, snap.map_box) == 0
    assert snap.legend[0] >= snap.map_box[0] + snap.map_box[2] - 0.5
    assert len(snap.symbols) >= (1 if focus else 10) and snap.in_frame >= 1  # to check
    for box in snap.symbols:
        assert not overlap(box, snap.legend), box
    for text, box in snap.labels:
        assert not overlap(box, snap.legend), text
    if focus:
        assert snap.focus_label is not None  # the briefing-style place label of the focus
        assert not overlap(snap.focus_label, snap.legend)
