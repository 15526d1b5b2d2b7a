"""The review queue: rows that need a person, with the reason."""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard.data.review import review_queue, row_reasons
from tests.conftest import base_row


def test_each_reason_is_found():
    today = date(2026, 1, 1)
    cases = {
        "no coordinates": base_row(lat="", lon="", geocoder=""),
        "partial geocode": base_row(place="Kreittmayrstraße 7, Munich", geocoder="gazetteer",
                                    geo_precision="city"),
        "coarse precision": base_row(place="Garching, Bavaria", geocoder="gazetteer",
                                     geo_precision="region"),
        "hand-set point without a note": base_row(notes=""),
    }
    for reason, row in cases.items():
        assert any(r.startswith(reason) for r in row_reasons(row, today=today)), reason
    fine = base_row(notes="Coordinates from the court ruling's address.")
    assert row_reasons(fine, today=today) == []
    as_fine_as_named = base_row(place="Russia", geocoder="gazetteer", geo_precision="country")
    assert row_reasons(as_fine_as_named, today=today) == []


def test_checked_dates_long_ago_or_missing_are_due():
    today = date(2026, 1, 1)
    row = base_row(notes="site from the ruling", checked="2020-01-01")
    assert row_reasons(row, today=today, has_checked=True) == [
        "not checked for a long time (last 2020-01-01)"]
    assert row_reasons(dict(row, checked=""), today=today, has_checked=True) == ["never checked"]
    assert row_reasons(dict(row, checked="2025-06-01"), today=today, has_checked=True) == []


def test_the_queue_lists_ids_and_reasons_in_file_order():
    frame = pd.DataFrame([base_row(id="a-1", lat="", lon="", geocoder=""),
                          base_row(id="b-2", notes="site from the ruling"),
                          base_row(id="c-3", geocoder="gazetteer", geo_precision="country")]
                         ).drop(columns=["checked"])
    queue = review_queue(frame)
    assert queue["id"].tolist() == ["a-1", "c-3"]
    assert queue["reasons"].tolist() == ["no coordinates",
                                        "coarse precision: country for a place named more closely"]


def test_freshness_finds_stale_single_source_verdict_and_dead_link_rows():
    from dashboard.data.review import freshness_queue

    today = date(2026, 1, 1)
    rows = [
        base_row(id="a-1", checked="2024-12-01", sources="https://a.org/1; https://b.org/2"),
        base_row(id="b-2", checked="2025-12-01", sources="000_15aa79ff9f371381.txt; Book 1999"),
        base_row(id="c-3", date="2020-01-02", checked="2025-12-01", attribution="unknown",
                 sources="https://a.org/3; https://b.org/4"),
        base_row(id="d-4", date="2021-01-01", event_type="court_ruling", related_id="c-3",
                 checked="2025-12-01", sources="https://a.org/5; https://gone.org/6"),
        base_row(id="e-5", checked="2025-12-01", sources="https://a.org/7; https://b.org/8"),
    ]
    queue = freshness_queue(pd.DataFrame(rows), today=today,
                            link_status={"https://gone.org/6": "gone", "https://a.org/7": "ok"})
    assert dict(zip(queue["id"], queue["reasons"], strict=True)) == {
        "a-1": "checked over a year ago (last 2024-12-01)",
        "b-2": "one source",
        "c-3": "attribution unknown but a verdict followed (d-4, 2021-01-01)",
        "d-4": "source no longer answers (gone: https://gone.org/6)",
    }
    assert freshness_queue(pd.DataFrame(rows[4:]), today=today).empty
