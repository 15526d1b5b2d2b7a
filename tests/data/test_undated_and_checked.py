"""Undated assessments, the ``checked`` column and the new event types."""

from __future__ import annotations

import datetime as dt

from dashboard.data.filters import Filters, apply_filters, year_span
from dashboard.data.loading import data_as_of, load_incidents
from dashboard.data.schema import validate_file
from dashboard.exports.view import Provenance, data_date_text
from dashboard.page.timeline import yearly_counts
from tests.conftest import base_row

UNDATED = dict(id="western-balkans-arms-assessment", date="", date_precision="undated",
               event_type="assessment", title="Assessment: arms reach Balkan groups",
               place="Western Balkans", country="AL", geo_precision="region")


def messages(path):
    return [str(p) for p in validate_file(path)]


def test_an_undated_assessment_is_valid_and_has_no_year(make_dataset):
    path = make_dataset([base_row(), base_row(**UNDATED)])
    assert messages(path) == []
    incidents = load_incidents(path)
    undated = incidents.set_index("id").loc["western-balkans-arms-assessment"]
    assert undated["date_label"] == "Undated"
    assert undated["year"] is None or str(undated["year"]) == "<NA>"
    assert incidents["id"].iloc[-1] == "western-balkans-arms-assessment"  # sorted last
    # an undated row leaves the other rows' labels as they are
    assert incidents.set_index("id").at["2019-08-23-berlin-khangoshvili",
                                        "date_label"] == "23 August 2019"
    assert year_span(incidents) == (2019, 2019)
    # a year filter leaves it out; no filter keeps it; the timeline never counts it
    assert len(apply_filters(incidents, Filters(years=(2019, 2019)))) == 1
    assert len(apply_filters(incidents, Filters())) == 2
    assert yearly_counts(incidents)["count"].sum() == 1


def test_only_assessments_may_be_undated_and_undated_means_no_date(make_dataset):
    path = make_dataset([
        base_row(id="a", date="", date_precision="undated"),
        base_row(**{**UNDATED, "id": "b", "date": "2022"}),
        base_row(id="c", date="", date_precision="year"),
    ])
    assert messages(path) == [
        'row 2, column date_precision: "undated" is only for assessment rows; give the date '
        "you know",
        'row 3, column date: "2022" is set but date_precision is "undated"; leave the date '
        "empty or give its precision (day, month or year)",
        "row 4, column date: is empty; a value is required",
    ]


def test_checked_must_be_a_real_past_date_not_before_the_incident(make_dataset):
    path = make_dataset([
        base_row(id="a", checked="2026-11-21"),
        base_row(id="b", checked="21/11/2026"),
        base_row(id="c", checked="2999-01-01"),
        base_row(id="d", checked="2019-08-22"),
        base_row(id="e", checked=""),
    ])
    assert messages(path) == [
        'row 3, column checked: "21/11/2026" is not a real date; expected YYYY-MM-DD (the day '
        "the row was checked)",
        'row 4, column checked: "2999-01-01" is after today; a row cannot have been checked in '
        "the future",
        'row 5, column checked: "2019-08-22" is before the incident\'s date; check the date or '
        "the row's checked date",
    ]


def test_data_as_of_is_the_latest_checked_date(make_dataset):
    path = make_dataset([base_row(id="a", checked="2026-11-21"),
                         base_row(id="b", checked="2026-11-28"), base_row(id="c")])
    incidents = load_incidents(path)
    assert data_as_of(incidents) == dt.date(2026, 11, 28)
    text = data_date_text(incidents, Provenance(file_date=dt.date(2020, 1, 1)))
    assert text == "Newest incident: 23 August 2019 · data as of 28 Nov 2026"
    # without the column, the file's date is named instead
    from tests.conftest import COLUMNS

    old = load_incidents(make_dataset([base_row()], name="old.csv",
                                      columns=[c for c in COLUMNS if c != "checked"]))
    assert data_as_of(old) is None
    assert "dataset file of 1 Jan 2020" in data_date_text(old, Provenance(
        file_date=dt.date(2020, 1, 1)))


def test_sabotage_and_plot_are_event_types(make_dataset):
    path = make_dataset([base_row(id="a", event_type="sabotage"),
                         base_row(id="b", event_type="plot")])
    assert messages(path) == []
