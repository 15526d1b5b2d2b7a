"""Editing a briefing from the analyst view (under AppTest): only with editing on; add the
view as a step, reorder, caption, save a file that loads back; a file changed meanwhile is
not written over."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.data.briefings import load_briefing
from tests.page.apptest import run_page
from tests.paths import FIXTURES

EXPANDER = "Briefings: add this view as a step, reorder, caption, save"


@pytest.fixture(autouse=True)
def setting(monkeypatch, tmp_path):
    path = tmp_path / "incidents.csv"
    shutil.copyfile(FIXTURES / "page_fixture.csv", path)
    folder = tmp_path / "briefings"
    folder.mkdir()
    monkeypatch.setenv("INCIDENT_MAP_DATA", str(path))
    monkeypatch.setenv("INCIDENT_MAP_OFFLINE", "1")
    monkeypatch.setenv("INCIDENT_MAP_BRIEFINGS", str(folder))
    monkeypatch.setenv("INCIDENT_MAP_EDIT", "1")
    monkeypatch.delenv("INCIDENT_MAP_EDIT_TOKEN", raising=False)
    return folder


def step_headings(at: AppTest) -> list[str]:
    return [w.value for w in at.text_input if w.label.startswith("Step ")
            and w.label.endswith(" heading")]


def test_without_edit_there_is_no_briefing_editor(monkeypatch):
    monkeypatch.delenv("INCIDENT_MAP_EDIT")
    at = run_page()
    assert EXPANDER not in [e.label for e in at.expander]


def test_add_views_reorder_caption_and_save(setting):
    at = run_page(country="ES", years="2019-2025", at="40.4,-3.7,6")
    assert EXPANDER in [e.label for e in at.expander]
    at.text_input(key="be_new_name").set_value("spain-test")
    at.text_input(key="be_title_0").set_value("Spain, the test briefing")
    at.text_input(key="be_add_heading").set_value("First view")
    at.text_area(key="be_add_caption").set_value("Spain from 2019.")
    at.button(key="be_add").click().run()
    assert step_headings(at) == ["First view"]
    at.text_input(key="be_add_heading").set_value("Second view")
    at.button(key="be_add").click().run()
    assert step_headings(at) == ["First view", "Second view"]
    # Move the second up, then edit its caption.
    at.button(key="be_up_2_1").click().run()
    assert step_headings(at) == ["Second view", "First view"]
    at.text_area(key="be_c_3_0").set_value("A caption typed later.")
    at.button(key="be_save").click().run()
    assert not at.exception
    assert any("Saved briefings/spain-test.toml" in s.value for s in at.success)
    saved = load_briefing("spain-test", directory=setting)
    assert saved.title == "Spain, the test briefing"
    assert [(s.heading, s.caption) for s in saved.steps] == [
        ("Second view", "A caption typed later."), ("First view", "Spain from 2019.")]
    first = saved.steps[1]
    assert first.filters.countries == ("ES",) and first.filters.years == (2019, 2025)
    assert first.at is not None and (first.at.lat, first.at.lon, first.at.zoom) == (
        40.4, -3.7, 6)


def test_a_file_changed_meanwhile_is_not_written_over(setting):
    path = setting / "shared.toml"
    path.write_text('title = "Shared"\n[[steps]]\nheading = "One"\n', encoding="utf-8")
    at = run_page()
    at.selectbox(key="be_choice").set_value("shared").run()
    assert step_headings(at) == ["One"]
    path.write_text('title = "Shared"\n[[steps]]\nheading = "One"\n[[steps]]\n'
                    'heading = "Someone else\'s"\n', encoding="utf-8")
    theirs = path.read_bytes()
    at.text_input(key="be_h_1_0").set_value("Mine")
    at.button(key="be_save").click().run()
    assert any("changed by someone else" in e.value for e in at.error)
    assert path.read_bytes() == theirs


def test_an_empty_heading_is_refused_naming_the_step(setting):
    path = setting / "brief.toml"
    path.write_text('title = "Brief"\n[[steps]]\nheading = "One"\n[[steps]]\nheading = "Two"\n',
                    encoding="utf-8")
    before = path.read_bytes()
    at = run_page()
    at.selectbox(key="be_choice").set_value("brief").run()
    at.text_input(key="be_h_1_1").set_value("   ")
    at.button(key="be_save").click().run()
    # (the message is Markdown source, its punctuation escaped)
    assert any("step 2" in e.value and "heading is missing" in e.value for e in at.error)
    assert path.read_bytes() == before
