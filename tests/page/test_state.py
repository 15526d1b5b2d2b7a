"""URL <-> widget state helpers and the headline numbers."""

from __future__ import annotations

import pytest

from dashboard.data.filters import Filters, apply_filters, parse_query_params
from dashboard.data.loading import load_incidents
from dashboard.page.state import (
    NON_ASSESSMENT_TYPES,
    assessments_shown,
    country_label,
    country_options,
    filters_from_widgets,
    fit_years,
    headline_numbers,
    incident_from_selection,
    page_params,
    set_assessments,
    table_frame,
    widget_values,
)
from tests.paths import FIXTURES

FIXTURE = FIXTURES / "page_fixture.csv"
SPAN = (2006, 2025)


@pytest.fixture(scope="module")
def incidents():
    return load_incidents(FIXTURE)


def test_url_round_trip_through_widgets():
    url = {"years": "2019-2024", "country": "DE,ES", "type": "killing", "q": "berlin  park"}
    filters, notices = parse_query_params(url)
    assert notices == []
    values = widget_values(filters, span=SPAN)
    back = filters_from_widgets(values, span=SPAN)
    assert back == Filters(years=(2019, 2024), countries=("DE", "ES"), event_types=("killing",),
                           query="berlin park")
    assert page_params(back, span=SPAN, view="briefing", incident="x") == {
        "years": "2019-2024", "country": "DE,ES", "type": "killing", "q": "berlin park",
        "view": "briefing", "incident": "x",
    }


def test_whole_span_is_not_written():
    values = widget_values(Filters(), span=SPAN)
    assert values["years"] == SPAN
    assert filters_from_widgets(values, span=SPAN) == Filters()
    assert page_params(Filters(), span=SPAN) == {}


def test_fit_years():
    assert fit_years(None, SPAN) == (SPAN, None)
    assert fit_years((2019, 2024), SPAN) == ((2019, 2024), None)
    clipped, notice = fit_years((2000, 2030), SPAN)
    assert clipped == SPAN and "2000–2030" in notice
    outside, notice = fit_years((1800, 1900), SPAN)
    assert outside == SPAN and notice.startswith("Ignored years=1800-1900")


def test_assessment_toggle_is_one_click():
    assert assessments_shown([]) and assessments_shown(["assessment"])
    assert not assessments_shown(["killing"])
    hidden = set_assessments([], False)
    assert hidden == list(NON_ASSESSMENT_TYPES) and not assessments_shown(hidden)
    assert set_assessments(hidden, True) == []
    assert set_assessments(["killing", "assessment"], False) == ["killing"]
    assert set_assessments(["assessment"], False) == list(NON_ASSESSMENT_TYPES)


def test_country_options_and_labels():
    assert country_options(["ES", "DE"], ["FR"]) == ["FR", "DE", "ES"]
    assert country_label("DE") == "Germany (DE)"


def test_incident_from_selection():
    ids = ["a", "b"]
    assert incident_from_selection({"selection": {"rows": [1]}}, ids) == "b"
    assert incident_from_selection({"selection": {"rows": []}}, ids) is None
    assert incident_from_selection({"selection": {"rows": [5]}}, ids) is None
    assert incident_from_selection(None, ids) is None


def test_headline_numbers(incidents):
    numbers = headline_numbers(incidents)
    expulsions = incidents[incidents["event_type"] == "diplomatic_expulsion"]
    assert numbers == {
        "incidents": 12,
        "fatalities": 1 + 3 + 1 + 1 + 1,
        "expelled": 2 + 25 + 45 + 45,
        "countries": 7,  # GB TR RU DE ES AL PL
    }
    assert numbers["expelled"] == int(expulsions["persons"].sum())
    empty = headline_numbers(apply_filters(incidents, Filters(query="nothing-matches-this")))
    assert empty == {"incidents": 0, "fatalities": 0, "expelled": 0, "countries": 0}


def test_table_frame(incidents):
    table = table_frame(incidents)
    assert len(table) == len(incidents)
    assert list(table.columns[:3]) == ["Date", "Type", "Title"]
    assert table["On map"].sum() == incidents["has_coords"].sum()


def test_the_table_is_capped_but_keeps_the_focused_incident():
    import pandas as pd

    from dashboard.page.state import table_rows

    incidents = pd.DataFrame({"id": [f"i{n}" for n in range(10)]})
    assert table_rows(incidents, None, limit=20)["id"].tolist() == incidents["id"].tolist()
    assert table_rows(incidents, None, limit=4)["id"].tolist() == ["i0", "i1", "i2", "i3"]
    assert table_rows(incidents, "i2", limit=4)["id"].tolist() == ["i0", "i1", "i2", "i3"]
    assert table_rows(incidents, "i8", limit=4)["id"].tolist() == ["i0", "i1", "i2", "i8"]
    assert table_rows(incidents, "gone", limit=4)["id"].tolist() == ["i0", "i1", "i2", "i3"]
    assert table_rows(incidents, None, limit=4, page=1)["id"].tolist() == ["i4", "i5", "i6",
                                                                           "i7"]
    assert table_rows(incidents, "i0", limit=4, page=1)["id"].tolist() == ["i4", "i5", "i6",
                                                                           "i0"]
    assert table_rows(incidents, None, limit=4, page=99)["id"].tolist() == ["i8", "i9"]
