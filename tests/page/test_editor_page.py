"""Who sees the editor: nobody without ``--edit``; with a token, only after typing it."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from tests.page.apptest import run_page
from tests.paths import FIXTURES

TOKEN = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def dataset(monkeypatch, tmp_path):
    path = tmp_path / "incidents.csv"
    shutil.copyfile(FIXTURES / "page_fixture.csv", path)
    monkeypatch.setenv("INCIDENT_MAP_DATA", str(path))
    monkeypatch.setenv("INCIDENT_MAP_OFFLINE", "1")
    monkeypatch.delenv("INCIDENT_MAP_EDIT", raising=False)
    monkeypatch.delenv("INCIDENT_MAP_EDIT_TOKEN", raising=False)
    return path


def labels(at: AppTest) -> list[str]:
    return [w.label for w in at.text_input]


def test_without_edit_the_editor_does_not_exist():
    at = run_page(view="edit")
    assert "Place" not in labels(at)  # the editor's fields are absent
    assert any("editing is off" in w.value for w in at.warning)
    assert "Edit the dataset" not in [t.value for t in at.title]
    assert not any("Edit the dataset" in m.value for m in at.markdown)  # no link either


def test_with_edit_on_loopback_the_editor_opens(monkeypatch):
    monkeypatch.setenv("INCIDENT_MAP_EDIT", "1")
    at = run_page(view="edit")
    assert "Title" in labels(at) and "Place" in labels(at)
    assert [t.value for t in at.title] == ["Edit the dataset"]
    at = run_page()  # the map view links to it
    assert any("Edit the dataset" in m.value for m in at.markdown)


def test_with_a_token_the_editor_waits_for_it(monkeypatch):
    monkeypatch.setenv("INCIDENT_MAP_EDIT", "1")
    monkeypatch.setenv("INCIDENT_MAP_EDIT_TOKEN", TOKEN)
    at = run_page(view="edit")
    assert labels(at) == ["Edit token"]
    at.text_input[0].input("wrong-guess-wrong-guess")
    at.button[0].click().run()
    assert labels(at) == ["Edit token"] and any("not the edit token" in e.value for e in at.error)
    at.text_input[0].input(TOKEN)
    at.button[0].click().run()
    assert "Title" in labels(at)
