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
from dashboard.page.timeline import _year_ticks, build_timeline, timeline_spec, yearly_counts
from tests.paths import FIXTURES

FIXTURE = FIXTURES / "page_fixture.csv"


@pytest.fixture(scope="module")
def incidents():
    return load_incidents(FIXTURE)


def chart_values(spec: dict) -> list[dict]:
    """The chart's rows, with the event type looked up from the types' table."""
    datasets = spec["datasets"]
    (name,) = [key for key, rows in datasets.items() if spec["data"]["name"] == key]
    (lookup,) = spec["transform"]
    types = {row["type_order"]: row for row in datasets[lookup["from"]["data"]["name"]]}
    return [{**row, **types[row["type_order"]]} for row in datasets[name]]


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
    assert spec["encoding"]["x"]["scale"]["domain"] == list(range(2006, 2026))
    values = chart_values(spec)
    assert sum(v["count"] for v in values) == len(incidents)


def test_chart_follows_the_filters(incidents):
    filters = Filters(years=(2019, 2024), event_types=("killing", "diplomatic_expulsion"))
    filtered = apply_filters(incidents, filters)
    spec = build_timeline(filtered, years=filters.years).to_dict()
    values = chart_values(spec)
    assert sum(v["count"] for v in values) == len(filtered)
    assert {v["event_type"] for v in values} == {"killing", "diplomatic_expulsion"}
    assert spec["encoding"]["x"]["scale"]["domain"] == list(range(2019, 2025))
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
