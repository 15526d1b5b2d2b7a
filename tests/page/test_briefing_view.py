"""Authored briefings on the page (AppTest): the title step, stepping, the URL, bad files."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.page import apptest
from tests.paths import FIXTURES

FIXTURE = FIXTURES / "page_fixture.csv"

BRIEFING = '''
title = "Test briefing"
subtitle = "Three steps on the page fixture"

[[steps]]
heading = "Expulsions of 2022"
caption = "Every expulsion of 2022."
years = "2022-2022"
type = "diplomatic_expulsion"

[[steps]]
heading = "Madrid"
caption = "Spain expels diplomats."
incident = "2022-04-05-madrid-test-expulsion"

[[steps]]
heading = "Berlin"
caption = "A killing in a park."
incident = "2019-08-23-berlin-test-killing"
at = "52.52,13.40,10"
'''


@pytest.fixture(autouse=True)
def environment(monkeypatch, tmp_path):
    monkeypatch.setenv("INCIDENT_MAP_DATA", str(FIXTURE))
    monkeypatch.setenv("INCIDENT_MAP_OFFLINE", "1")
    monkeypatch.setenv("INCIDENT_MAP_BRIEFINGS", str(tmp_path))
    (tmp_path / "test-brief.toml").write_text(BRIEFING, encoding="utf-8")
    (tmp_path / "broken.toml").write_text('title = "x"\n[[steps]]\nheading = "h"\n'
                                         'incident = "nope"\n', encoding="utf-8")


def run_page(params: dict[str, str]) -> AppTest:
    return apptest.run_page(**params)


def html_with(at: AppTest, marker: str) -> str:
    return "\n".join(h.value for h in at.html if marker in h.value)


def test_a_briefing_opens_on_its_title_step_and_steps_through(monkeypatch):
    at = run_page({"briefing": "test-brief"})
    assert "Test briefing" in html_with(at, "im-step-heading")
    assert "Three steps on the page fixture" in html_with(at, "im-title-step")
    assert "Title" in html_with(at, 'class="im-step"')
    assert at.button(key="brief_prev").disabled
    assert dict(at.query_params) == {"view": "briefing", "briefing": "test-brief", "step": "0"}
    assert len(at.sidebar) == 0

    at.button(key="brief_next").click().run()
    assert "Step 1 of 3" in html_with(at, 'class="im-step"')
    assert "Expulsions of 2022" in html_with(at, "im-step-heading")
    assert "Every expulsion of 2022." in html_with(at, "im-step-caption")
    assert "3 incidents" in html_with(at, "im-step-facts")
    assert at.query_params["step"] == "1"

    at.button(key="brief_next").click().run()
    card = html_with(at, "im-card")
    assert "Spain expels 25 test diplomats" in card
    assert "Spain expels diplomats." in html_with(at, "im-step-caption")

    at.button(key="brief_last").click().run()
    assert "Step 3 of 3" in html_with(at, 'class="im-step"')
    assert at.button(key="brief_next").disabled
    at.button(key="brief_first").click().run()
    assert "Title" in html_with(at, 'class="im-step"')


def test_the_step_in_the_url_is_opened():
    at = run_page({"view": "briefing", "briefing": "test-brief", "step": "2"})
    assert "Step 2 of 3" in html_with(at, 'class="im-step"')
    assert not at.warning


@pytest.mark.parametrize("step", ["99", "-1", "x"])
def test_a_step_out_of_range_is_kept_within_the_briefing(step):
    at = run_page({"briefing": "test-brief", "step": step})
    label = html_with(at, 'class="im-step"')
    assert "Step 3 of 3" in label or "Title" in label


def test_a_broken_or_unknown_briefing_says_what_is_wrong():
    for name, expected in (("broken", 'broken.toml, step 1: unknown incident "nope"'),
                           ("../../etc/passwd", "is not valid"),
                           ("missing", "no briefing named 'missing' (known: broken, test-brief)")):
        at = run_page({"briefing": name})
        assert at.error and "cannot be shown" in at.error[0].value
        assert any(expected in block.value for block in at.code), [c.value for c in at.code]


def test_a_large_dataset_is_briefed_on_the_large_data_map(monkeypatch, tmp_path):
    """Above SCALE_THRESHOLD rows the briefing's map is the one that sends the data once
    (not a marker per incident), in the default briefing as in the analyst view."""
    from dashboard.maps.scale_map import SCALE_THRESHOLD
    from scripts.make_large_dataset import write_dataset

    path = write_dataset(tmp_path / "large.csv", SCALE_THRESHOLD + 500)
    monkeypatch.setenv("INCIDENT_MAP_DATA", str(path))
    at = run_page({"view": "briefing"})
    (frame,) = at.get("component_instance")
    args = frame.proto.json_args
    assert "IncidentScale.create" in args
    assert "circleMarker" not in args and len(args) < 100_000
