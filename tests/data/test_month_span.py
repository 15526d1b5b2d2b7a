"""The month span: its URL form, which incidents it keeps at each date precision, the same
answers from both query engines, and its words in titles and file names."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard.data.briefings import BriefingError, parse_briefing
from dashboard.data.filters import (
    Filters,
    apply_filters,
    describe,
    file_stem,
    month_bounds,
    parse_months,
    parse_query_params,
    to_query_params,
)
from dashboard.data.loading import load_incidents
from dashboard.data.query import DuckDBQuery, PandasQuery, write_parquet
from tests.conftest import base_row

FEB_APR = ("2022-02", "2022-04")


@pytest.fixture
def incidents(make_dataset):
    """One row per case the span must decide: each precision, both sides of its ends."""

    def row(id, date, precision="day", **changes):
        return base_row(id=id, date=date, date_precision=precision, title=id, **changes)

    rows = [
        row("dec-2021", "2021-12-30"),
        row("only-2021", "2021", "year"),
        row("jan-2022", "2022-01-31"),
        row("feb-first", "2022-02-01"),
        row("march-month", "2022-03", "month"),
        row("apr-last", "2022-04-30"),
        row("may-first", "2022-05-01"),
        row("april-month-2023", "2023-04", "month"),
        row("only-2022", "2022", "year"),
        row("only-2023", "2023", "year"),
        base_row(id="undated", date="", date_precision="undated", event_type="assessment",
                 title="undated", lat="", lon="", geocoder="", geo_precision="region"),
    ]
    return load_incidents(make_dataset(rows))


def ids(frame):
    return sorted(frame["id"])


@pytest.mark.parametrize(("text", "months"), [
    ("2022-02..2022-04", FEB_APR),
    (" 2022-2 .. 2022-4 ", FEB_APR),
    ("2022-03", ("2022-03", "2022-03")),
    ("2021-11..2022-02", ("2021-11", "2022-02")),
])
def test_parse_months(text, months):
    assert parse_months(text) == months


@pytest.mark.parametrize("text", ["2022-13", "2022-00..2022-02", "2022-04..2022-02", "feb",
                                  "2022-02..", "2022-02-01..2022-04-30", "2022", "",
                                  "2022-02..2022-03..2022-04", "=HYPERLINK(1)"])
def test_bad_month_spans_are_none(text):
    assert parse_months(text) is None


def test_url_round_trip_and_two_values():
    filters = Filters(years=(2022, 2022), months=FEB_APR, countries=("PL",))
    params = to_query_params(filters)
    assert params == {"years": "2022-2022", "months": "2022-02..2022-04", "country": "PL"}
    assert parse_query_params(params) == (filters, [])
    assert to_query_params(Filters(months=("2022-03", "2022-03"))) == {"months": "2022-03"}
    # ?months=2022-02&months=2022-04 (or comma-separated) is the same span
    assert parse_query_params({"months": ["2022-02", "2022-04"]})[0].months == FEB_APR
    assert parse_query_params({"months": "2022-02,2022-04"})[0].months == FEB_APR


@pytest.mark.parametrize("value", ["2022-13", "2022-04..2022-02", "1,2,3", "spring"])
def test_a_bad_span_is_ignored_with_one_notice_and_the_rest_kept(value):
    filters, notices = parse_query_params({"months": value, "country": "PL", "years": "2022"})
    assert filters == Filters(years=(2022, 2022), countries=("PL",))
    assert len(notices) == 1
    assert notices[0].startswith("Ignored months=") and "2022-02..2022-04" in notices[0]


def test_january_to_december_is_a_years_filter():
    filters, notices = parse_query_params({"months": "2021-01..2022-12"})
    assert (filters, notices) == (Filters(years=(2021, 2022)), [])
    # with other years next to it the span stays as written (both apply)
    assert parse_query_params({"months": "2021-01..2021-12", "years": "2020-2025"})[0] == \
        Filters(years=(2020, 2025), months=("2021-01", "2021-12"))


def test_span_keeps_day_and_month_dates_inside_it(incidents):
    kept = apply_filters(incidents, Filters(months=FEB_APR))
    assert ids(kept) == ["apr-last", "feb-first", "march-month"]
    across_new_year = apply_filters(incidents, Filters(months=("2021-12", "2022-01")))
    assert ids(across_new_year) == ["dec-2021", "jan-2022"]
    # the years filter and the span both apply
    assert ids(apply_filters(incidents, Filters(years=(2023, 2023), months=FEB_APR))) == []


def test_a_date_known_only_to_the_year_is_in_a_span_holding_its_whole_year(incidents):
    assert "only-2022" not in ids(apply_filters(incidents, Filters(months=("2022-01", "2022-11"))))
    wide = ids(apply_filters(incidents, Filters(months=("2021-06", "2023-04"))))
    assert "only-2022" in wide  # all of 2022 is in the span
    assert "only-2021" not in wide and "only-2023" not in wide  # only part of their years
    assert "april-month-2023" in wide and "undated" not in wide


def test_month_bounds(incidents):
    first, last = month_bounds(incidents)
    by_id = dict(zip(incidents["id"], zip(first, last, strict=True), strict=True))
    assert by_id["march-month"] == (2022 * 12 + 2, 2022 * 12 + 2)
    assert by_id["only-2022"] == (2022 * 12, 2022 * 12 + 11)
    assert np.isnan(by_id["undated"][0]) and np.isnan(by_id["undated"][1])


SPANS = [Filters(months=FEB_APR), Filters(months=("2021-12", "2022-01")),
         Filters(months=("2021-06", "2023-04")), Filters(months=("2021-01", "2021-12")),
         Filters(years=(2022, 2022), months=("2022-03", "2022-03"), query="march"),
         Filters(months=("1990-01", "1990-02"))]


@pytest.mark.parametrize("filters", SPANS)
def test_engines_keep_the_same_rows_as_apply_filters(incidents, filters, tmp_path):
    expected = ids(apply_filters(incidents, filters))
    engines = [PandasQuery(incidents)]
    try:
        import duckdb  # noqa: F401
    except ImportError:
        pass
    else:
        engines += [DuckDBQuery(incidents),
                    DuckDBQuery(write_parquet(incidents, tmp_path / "incidents.parquet"))]
    for engine in engines:
        assert ids(incidents.iloc[engine.positions(filters)]) == expected, type(engine)
        assert engine.count(filters) == len(expected)
        assert engine.totals(filters)["incidents"] == len(expected)


def test_describe_and_file_stem_say_the_span():
    filters = Filters(years=(2022, 2022), months=FEB_APR, event_types=("diplomatic_expulsion",))
    # the years are not said twice
    assert describe(filters) == ("Diplomatic expulsions, February–April 2022 (incidents known "
                                 "only to their year left out)")
    assert describe(Filters(years=(2019, 2025), months=FEB_APR)).startswith(
        "All incidents, February–April 2022 (")
    assert describe(Filters(years=(2023, 2024), months=FEB_APR)).endswith("left out), 2023–2024")
    assert describe(Filters(months=("2021-11", "2022-02"))) == (
        "All incidents, November 2021–February 2022 (incidents known only to their year "
        "left out)")
    assert describe(Filters(months=("2021-07", "2023-03"))).endswith(
        "(of incidents known only to their year, those of 2022)")
    assert file_stem(filters) == "incidents_2022-02-2022-04_diplomatic_expulsion"
    assert file_stem(Filters(months=("2022-03", "2022-03"))) == "incidents_2022-03"


def test_a_briefing_step_may_carry_a_span():
    table = {"title": "Expulsions", "steps": [
        {"heading": "The wave", "months": "2022-02..2022-04"},
        {"heading": "Bad", "months": "2022-14"},
    ]}
    with pytest.raises(BriefingError) as error:
        parse_briefing(table, name="wave")
    assert error.value.problems == [
        "briefing wave, step 2: invalid months=2022-14: expected a span of months such as "
        "2022-02..2022-04 (first month not after the last)."]
    table["steps"].pop()
    briefing = parse_briefing(table, name="wave")
    assert briefing.steps[0].filters == Filters(months=FEB_APR)
    assert briefing.steps[0].as_table() == {"heading": "The wave", "months": "2022-02..2022-04"}
