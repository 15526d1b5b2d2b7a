"""The month span on the page: a drag across the monthly timeline becomes the span, the URL
opens it, the sidebar shows it and clears it (AppTest over the curated dataset)."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.data.filters import Filters, apply_filters
from dashboard.data.loading import load_incidents
from dashboard.page.state import filters_from_widgets, timeline_choice, widget_values
from dashboard.page.timeline import months_from_selection
from tests.page.apptest import run_page
from tests.paths import ROOT

CURATED = ROOT / "data" / "incidents.csv"
SPAN = (2014, 2025)


def dragged(start, end) -> dict:
    """Streamlit's state of the chart after a drag from ``start`` to ``end`` (Vega gives
    milliseconds since 1970 or ISO texts)."""
    return {"selection": {"span": {"start": [start, end]}}}


def ms(date: str) -> float:
    return pd.Timestamp(date).value / 1e6


@pytest.mark.parametrize(("state", "months"), [
    (dragged("2022-02-10", "2022-04-20"), ("2022-02", "2022-04")),
    (dragged(ms("2022-04-20"), ms("2022-02-10")), ("2022-02", "2022-04")),  # right to left
    (dragged("2022-02-01", "2022-05-01"), ("2022-02", "2022-04")),  # ends on May's edge
    (dragged("2022-03-05", "2022-03-06"), ("2022-03", "2022-03")),
    (dragged("2021-11-15", "2022-01-01"), ("2021-11", "2021-12")),
    (dragged("2021-11-15", "2022-01-02"), ("2021-11", "2022-01")),
    (None, None), ({}, None), (dragged("soon", "2022-01-01"), None),
    ({"selection": {"span": {"start": ["2022-01-01"]}}}, None),
])
def test_months_from_selection(state, months):
    assert months_from_selection(state) == months


def test_a_drag_on_the_monthly_chart_sets_the_span_and_its_years():
    assert timeline_choice(dragged("2022-02-10", "2022-04-20"), monthly=True, span=SPAN) == \
        ((2022, 2022), ("2022-02", "2022-04"))
    assert timeline_choice(dragged("2021-11-02", "2022-02-20"), monthly=True, span=SPAN) == \
        ((2021, 2022), ("2021-11", "2022-02"))
    # January to December is the years filter alone
    assert timeline_choice(dragged("2021-01-01", "2022-12-31"), monthly=True, span=SPAN) == \
        ((2021, 2022), None)
    assert timeline_choice(None, monthly=True, span=SPAN) is None
    # outside the data's years: nothing changes
    assert timeline_choice(dragged("2030-02-01", "2030-03-01"), monthly=True, span=SPAN) is None


def test_a_drag_on_the_yearly_chart_sets_years_only():
    assert timeline_choice(dragged("2016-06-01", "2019-01-01"), monthly=False, span=SPAN) == \
        ((2016, 2018), None)
    assert timeline_choice(dragged("2010-06-01", "2016-03-01"), monthly=False, span=SPAN) == \
        ((2014, 2016), None)
    assert timeline_choice(dragged("2016-06-01", "2019-01-01"), monthly=False,
                           span=(2020, 2020)) is None


def test_widgets_carry_the_span_both_ways():
    filters = Filters(months=("2022-02", "2022-04"), countries=("PL",))
    values = widget_values(filters, span=SPAN)
    assert values["years"] == (2022, 2022) and values["months"] == ("2022-02", "2022-04")
    assert filters_from_widgets(values, span=SPAN) == Filters(
        years=(2022, 2022), months=("2022-02", "2022-04"), countries=("PL",))
    assert widget_values(Filters(months=("1990-01", "1990-02")), span=SPAN)["months"] is None


@pytest.fixture(autouse=True)
def curated_dataset(monkeypatch):
    monkeypatch.setenv("INCIDENT_MAP_DATA", str(CURATED))
    monkeypatch.setenv("INCIDENT_MAP_OFFLINE", "1")


@pytest.fixture(scope="module")
def incidents() -> pd.DataFrame:
    return load_incidents(CURATED)


def incidents_shown(at: AppTest) -> int:
    (value,) = [m.value for m in at.metric if m.label == "Incidents"]
    return int(value.replace(",", ""))


def test_the_url_opens_a_span_the_sidebar_shows_and_clears(incidents):
    at = run_page(months="2022-02..2022-04")
    wave = apply_filters(incidents, Filters(months=("2022-02", "2022-04")))
    year = apply_filters(incidents, Filters(years=(2022, 2022)))
    assert 0 < len(wave) < len(year)
    assert incidents_shown(at) == len(wave)
    assert len(at.dataframe[0].value) == min(len(wave), 100)
    assert at.slider(key="f_years").value == (2022, 2022)
    assert dict(at.query_params) == {"years": "2022-2022", "months": "2022-02..2022-04"}
    assert any("February–April 2022" in m.value for m in at.sidebar.markdown)
    assert any("February–April 2022" in c.value for c in at.caption)  # the page's title line
    assert any(s.value == "Incidents per month" for s in at.subheader)
    assert not at.warning

    at.button(key="clear_months").click().run()
    assert incidents_shown(at) == len(year)
    assert dict(at.query_params) == {"years": "2022-2022"}
    assert not any("Months" in m.value for m in at.sidebar.markdown)


def test_moving_the_years_clears_the_span(incidents):
    at = run_page(months="2022-02..2022-04", country="PL")
    at.slider(key="f_years").set_value((2021, 2022)).run()
    assert dict(at.query_params) == {"years": "2021-2022", "country": "PL"}
    expected = apply_filters(incidents, Filters(years=(2021, 2022), countries=("PL",)))
    assert incidents_shown(at) == len(expected)


@pytest.mark.parametrize(("value", "notice"), [
    ("2022-13", "Ignored months=2022-13"),
    ("2090-02..2090-04", "the data covers"),
])
def test_a_bad_or_foreign_span_is_ignored_with_one_notice(incidents, value, notice):
    at = run_page(months=value)
    assert len(at.warning) == 1 and notice in at.warning[0].value.replace("\\", "")
    assert incidents_shown(at) == len(incidents)
    assert "months" not in at.query_params
