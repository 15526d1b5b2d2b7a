"""Briefing helpers: step order, step lookup and escaped cards."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.data.filters import Filters, apply_filters
from dashboard.data.loading import load_incidents
from dashboard.page.briefing import (
    briefing_steps,
    card_html,
    neighbour,
    step_index,
    step_label,
)
from tests.paths import FIXTURES

FIXTURE = FIXTURES / "page_fixture.csv"


@pytest.fixture(scope="module")
def incidents() -> pd.DataFrame:
    return load_incidents(FIXTURE)


def test_steps_follow_dates_not_file_order(incidents):
    shuffled = incidents.sample(frac=1, random_state=3)
    steps = briefing_steps(shuffled)
    starts = [incidents.loc[incidents["id"] == i, "date_start"].iloc[0] for i in steps]
    assert starts == sorted(starts)
    assert sorted(steps) == sorted(incidents["id"])


def test_steps_of_filtered_incidents(incidents):
    spain = apply_filters(incidents, Filters(countries=("ES",)))
    steps = briefing_steps(spain)
    assert steps == [
        "2022-04-05-madrid-test-expulsion",
        "2024-02-13-villajoyosa-test-killing",
        "2025-05-21-pozuelo-test-killing",
    ]
    assert briefing_steps(spain.iloc[0:0]) == []


def test_step_index_and_neighbours():
    steps = ["a", "b", "c"]
    assert step_index(steps, "c") == 2
    assert step_index(steps, "missing") == 0
    assert step_index(steps, None) == 0
    assert neighbour(steps, "a", 1) == "b"
    assert neighbour(steps, "c", 1) == "c"
    assert neighbour(steps, "a", -1) == "a"
    assert neighbour(steps, None, 1) == "b"
    assert neighbour([], None, 1) is None
    assert step_label(0, 3) == "Step 1 of 3"


def test_card_escapes_text_and_links_only_http(incidents):
    row = incidents[incidents["id"] == "2024-02-13-villajoyosa-test-killing"].iloc[0]
    card = card_html(row.to_dict())
    assert "<script>" not in card and "<b>Villajoyosa</b>" not in card
    assert "&lt;b&gt;Villajoyosa&lt;/b&gt; &amp; Co" in card
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in card
    assert "13 February 2024" in card
    assert "La Cala, Villajoyosa, Spain" in card
    assert "Suspected by investigators or officials" in card
    assert (
        '<a href="https://example.org/villajoyosa" title="https://example.org/villajoyosa" '
        'target="_blank" rel="noopener noreferrer">example.org: villajoyosa</a>' in card
    )
    assert "<li>javascript-free-seed.txt</li>" in card
