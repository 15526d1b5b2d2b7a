"""The timeline chart: counts per year and type, the map's colours, the filtered years."""

from __future__ import annotations

from collections import Counter

import altair as alt
import pytest

from dashboard.data.filters import Filters, apply_filters
from dashboard.data.loading import load_incidents
from dashboard.data.query import PandasQuery
from dashboard.data.schema import EVENT_TYPES
from dashboard.maps.mapping import EVENT_COLOURS
from dashboard.page.timeline import (
    _year_ticks,
    build_timeline,
    compact_datasets,
    period_counts,
    time_unit,
    timeline_spec,
    year_only,
    yearly_counts,
    years_from_selection,
)
from tests.paths import FIXTURES

FIXTURE = FIXTURES / "page_fixture.csv"


@pytest.fixture(scope="module")
def incidents():
    return load_incidents(FIXTURE)


def chart_values(spec: dict) -> list[dict]:
    """The chart's rows, with the event type looked up from the types' table and the
    period's first day (as the chart's ``start``, worked out in the browser)."""
    datasets = spec["datasets"]
    (name,) = [key for key, rows in datasets.items() if spec["data"]["name"] == key]
    (lookup,) = [step for step in spec["transform"] if "lookup" in step]
    types = {row["type_order"]: row for row in datasets[lookup["from"]["data"]["name"]]}
    return [{**row, **types[row["type_order"]],
             "start": f"{row['year']}-{row.get('month', 1):02d}-01"} for row in datasets[name]]


def test_counts_match_the_rows(incidents):
    counts = yearly_counts(incidents)
    expected = Counter(zip(incidents["year"], incidents["event_type"], strict=True))
    got = {(row.year, row.event_type): row.count for row in counts.itertuples()}
    assert got == dict(expected)
    assert counts["count"].sum() == len(incidents)


def test_chart_is_stacked_bars_in_the_map_colours(incidents):
    chart = build_timeline(incidents)
    assert isinstance(chart, alt.Chart)
    spec = chart.to_dict()
    assert spec["mark"]["type"] == "bar"
    colour = spec["encoding"]["color"]
    present = [t for t in EVENT_TYPES if t in set(incidents["event_type"])]
    assert colour["scale"]["domain"] == [EVENT_TYPES[t] for t in present]
    assert colour["scale"]["range"] == [EVENT_COLOURS[t] for t in present]
    assert spec["encoding"]["x"]["scale"]["domain"] == ["2006-01-01", "2026-01-01"]
    assert spec["encoding"]["x2"]["field"] == "end"
    assert spec["params"][0]["select"] == {"type": "interval", "encodings": ["x"]}
    values = chart_values(spec)
    assert sum(v["count"] for v in values) == len(incidents)


def test_chart_follows_the_filters(incidents):
    filters = Filters(years=(2019, 2024), event_types=("killing", "diplomatic_expulsion"))
    filtered = apply_filters(incidents, filters)
    spec = build_timeline(filtered, years=filters.years).to_dict()
    values = chart_values(spec)
    assert sum(v["count"] for v in values) == len(filtered)
    assert {v["event_type"] for v in values} == {"killing", "diplomatic_expulsion"}
    assert spec["encoding"]["x"]["scale"]["domain"] == ["2019-01-01", "2025-01-01"]
    assert spec["encoding"]["color"]["scale"]["domain"] == ["Killing", "Diplomatic expulsion"]


def test_empty_chart_does_not_fail(incidents):
    empty = apply_filters(incidents, Filters(query="nothing matches"))
    spec = build_timeline(empty, years=(2000, 2001)).to_dict()
    assert chart_values(spec) == []


def test_year_ticks_stay_readable():
    assert _year_ticks(2019, 2025) == list(range(2019, 2026))
    ticks = _year_ticks(1940, 2025)
    assert len(ticks) <= 16 and ticks[0] >= 1940 and ticks[-1] <= 2025
    assert all(t % 10 == 0 for t in ticks)


def test_short_spans_are_counted_per_month(incidents):
    assert [time_unit(span) for span in [(2022, 2022), (2020, 2022), (2019, 2022), None]] == [
        "month", "month", "year", "year"]
    rows = apply_filters(incidents, Filters(years=(2022, 2022)))
    counts = period_counts(rows, "month")
    by_month = rows[rows["date_precision"].isin(("day", "month"))]
    expected = Counter(zip(by_month["date_start"].dt.strftime("%Y-%m-01"),
                           by_month["event_type"], strict=True))
    got = {(row.start, row.event_type): row.count for row in counts.itertuples()}
    assert got == dict(expected) and len(got) > 1
    assert set(counts["end"]) <= {f"2022-{m:02d}-01" for m in range(2, 13)} | {"2023-01-01"}
    # Rows known only to the year are left out of the months, and counted for the caption.
    assert counts["count"].sum() + year_only(rows) == len(rows.dropna(subset=["year"]))
    spec = build_timeline(rows, years=(2022, 2022)).to_dict()
    assert spec["encoding"]["x"]["axis"]["format"] == "%b %Y"
    assert spec["encoding"]["x"]["scale"]["domain"] == ["2022-01-01", "2023-01-01"]


def test_a_month_known_only_to_the_year_stays_out_of_the_monthly_bars(make_dataset):
    from tests.conftest import base_row

    rows = load_incidents(make_dataset([
        base_row(id="a", date="2022-02-24", event_type="killing"),
        base_row(id="b", date="2022-03", date_precision="month", event_type="arrest"),
        base_row(id="c", date="2022", date_precision="year", event_type="arrest"),
    ]))
    counts = period_counts(rows, "month")
    assert list(zip(counts["start"], counts["event_type"], counts["count"], strict=True)) == [
        ("2022-02-01", "killing", 1), ("2022-03-01", "arrest", 1)]
    assert year_only(rows) == 1
    assert period_counts(rows, "year")["count"].sum() == 3


def ms(day: str) -> float:
    from datetime import UTC, datetime

    return datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp() * 1000


def test_a_dragged_span_becomes_years():
    def state(first, last):
        return {"selection": {"span": {"start": [first, last]}}}

    assert years_from_selection(state(ms("2019-03-10"), ms("2021-06-01"))) == (2019, 2021)
    # Dragged right to left, and ending on the first day of a year (the previous bar's edge).
    assert years_from_selection(state(ms("2024-01-01"), ms("2021-07-01"))) == (2021, 2023)
    assert years_from_selection(state("2022-02-01", "2022-04-30")) == (2022, 2022)
    assert years_from_selection({"selection": {"span": {}}}) is None
    assert years_from_selection({"selection": {}}) is None
    assert years_from_selection(None) is None
    assert years_from_selection(state("not a date", 5)) is None


def test_chart_from_the_engines_counts_is_the_same_chart(incidents):
    filters = Filters(years=(2019, 2024), event_types=("killing", "diplomatic_expulsion"))
    filtered = apply_filters(incidents, filters)
    counts = PandasQuery(incidents).yearly_counts(filters)
    from_rows = build_timeline(filtered, years=filters.years).to_dict()
    from_counts = timeline_spec(counts, years=filters.years)
    assert from_counts == from_rows
    from_counts["encoding"]["x"]["scale"]["domain"].clear()  # the caller's copy only
    assert timeline_spec(counts, years=filters.years) == from_rows
    empty = PandasQuery(incidents).yearly_counts(Filters(query="nothing matches"))
    assert chart_values(timeline_spec(empty, years=(2000, 2001))) == []


def test_the_chart_sends_small_whole_numbers_and_works_out_the_dates(incidents):
    counts = PandasQuery(incidents).yearly_counts(Filters())
    spec = timeline_spec(counts, years=(2006, 2025))
    (rows,) = [rows for name, rows in spec["datasets"].items() if name == spec["data"]["name"]]
    assert set(rows[0]) == {"year", "type_order", "count"}
    calculate = {step["as"]: step["calculate"] for step in spec["transform"]
                 if "calculate" in step}
    assert calculate == {"start": "utc(datum.year, 0, 1)", "end": "utc(datum.year + 1, 0, 1)",
                         "period": "utcFormat(datum.start, '%Y')"}  # the tooltip's text
    assert spec["encoding"]["x"]["scale"]["type"] == "utc"
    monthly = build_timeline(apply_filters(incidents, Filters(years=(2022, 2022))),
                             years=(2022, 2022)).to_dict()
    (rows,) = [rows for name, rows in monthly["datasets"].items()
               if name == monthly["data"]["name"]]
    assert set(rows[0]) == {"year", "month", "type_order", "count"}
    assert {row["month"] for row in rows} <= set(range(1, 13))
    # Sent as Arrow tables of the smallest integer types, the types' labels as text.
    compact = compact_datasets(spec)
    table = compact["datasets"][spec["data"]["name"]]
    assert (str(table["year"].dtype), str(table["type_order"].dtype)) == ("int16", "int8")
    assert table.to_dict("records") == rows_of(spec)
    assert compact_datasets({"mark": "bar"}) == {"mark": "bar"}
    assert all(isinstance(rows, list) for rows in spec["datasets"].values())  # left as it was


def rows_of(spec: dict) -> list[dict]:
    return spec["datasets"][spec["data"]["name"]]
