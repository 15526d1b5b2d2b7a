"""The page, run headless with Streamlit's AppTest: URL -> view, widgets -> URL, briefing mode."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.data.filters import Filters, apply_filters, parse_query_params
from dashboard.data.loading import load_incidents
from dashboard.data.schema import EVENT_TYPES
from dashboard.page.briefing import briefing_steps
from tests.paths import APP, FIXTURES, SCRIPTS

FIXTURE = FIXTURES / "page_fixture.csv"


@pytest.fixture(autouse=True)
def fixture_dataset(monkeypatch):
    monkeypatch.setenv("INCIDENT_MAP_DATA", str(FIXTURE))
    monkeypatch.setenv("INCIDENT_MAP_OFFLINE", "1")


@pytest.fixture(scope="module")
def incidents() -> pd.DataFrame:
    return load_incidents(FIXTURE)


def run_page(params: dict[str, str | list[str]] | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    matches = [m.value for m in at.metric if m.label == label]
    assert len(matches) == 1, f"expected one metric {label!r}, got {matches}"
    return matches[0]


def test_default_view_shows_every_incident(incidents):
    at = run_page()
    assert metric(at, "Incidents") == str(len(incidents))
    assert metric(at, "Countries") == str(incidents["country"].nunique())
    assert at.slider(key="f_years").value == (2006, 2025)
    assert not at.warning
    assert dict(at.query_params) == {}
    missing = int((~incidents["has_coords"]).sum())
    assert any(f"{missing} incident" in c.value and "not on the map" in c.value
               for c in at.caption)


def test_filters_are_read_from_the_url(incidents):
    url = {"years": "2019-2024", "country": "DE,ES", "type": "killing,diplomatic_expulsion"}
    at = run_page(url)
    expected = apply_filters(incidents, parse_query_params(url)[0])
    assert 0 < len(expected) < len(incidents)
    assert metric(at, "Incidents") == str(len(expected))
    expelled = expected.loc[expected["event_type"] == "diplomatic_expulsion", "persons"].sum()
    assert metric(at, "People expelled") == str(int(expelled))
    assert metric(at, "Fatalities") == str(int(expected["fatalities"].fillna(0).sum()))
    assert at.slider(key="f_years").value == (2019, 2024)
    assert at.multiselect(key="f_countries").value == ["DE", "ES"]
    assert at.multiselect(key="f_types").value == ["killing", "diplomatic_expulsion"]
    assert not at.warning


def test_repeated_url_keys_add_up(incidents):
    at = run_page({"country": ["DE", "ES"]})
    assert at.multiselect(key="f_countries").value == ["DE", "ES"]
    expected = apply_filters(incidents, Filters(countries=("DE", "ES")))
    assert metric(at, "Incidents") == str(len(expected))
    assert at.query_params["country"] == "DE,ES"


def timeline_years(at: AppTest) -> list[int]:
    """The years the timeline's axis spans (its domain runs from 1 January of the first year
    to 1 January after the last)."""
    (chart,) = [e for e in at.main if e.type == "vega_lite_chart"]
    first, end = json.loads(chart.proto.spec)["encoding"]["x"]["scale"]["domain"]
    return list(range(int(first[:4]), int(end[:4])))


def test_timeline_follows_the_filters(incidents):
    at = run_page({"country": "ES"})
    spain = apply_filters(incidents, Filters(countries=("ES",)))
    assert timeline_years(at) == list(range(spain["year"].min(), spain["year"].max() + 1))
    at.slider(key="f_years").set_value((2010, 2025)).run()
    assert timeline_years(at) == list(range(2010, 2026))


def test_changing_a_filter_updates_the_url(incidents):
    at = run_page()
    at.multiselect(key="f_countries").set_value(["ES"]).run()
    assert not at.exception
    assert at.query_params.get("country") == "ES"
    assert "years" not in at.query_params
    expected = apply_filters(incidents, Filters(countries=("ES",)))
    assert metric(at, "Incidents") == str(len(expected))

    at.slider(key="f_years").set_value((2024, 2025)).run()
    at.text_input(key="f_query").set_value("  Pozuelo ").run()
    assert dict(at.query_params) == {"years": "2024-2025", "country": "ES", "q": "Pozuelo"}
    assert metric(at, "Incidents") == "1"

    at.button(key="reset").click().run()
    assert not at.exception
    assert dict(at.query_params) == {}
    assert metric(at, "Incidents") == str(len(incidents))


def test_assessments_hide_with_one_click(incidents):
    at = run_page()
    assert at.toggle(key="f_assess").value is True
    at.toggle(key="f_assess").set_value(False).run()
    assert not at.exception
    shown = incidents[incidents["event_type"] != "assessment"]
    assert metric(at, "Incidents") == str(len(shown))
    assert "assessment" not in at.query_params["type"].split(",")
    at.toggle(key="f_assess").set_value(True).run()
    assert metric(at, "Incidents") == str(len(incidents))
    assert "type" not in at.query_params


def test_empty_result_is_friendly():
    at = run_page({"q": "no incident mentions this phrase"})
    assert metric(at, "Incidents") == "0"
    assert any("No incidents match" in info.value for info in at.info)
    assert not at.error


def test_malformed_parameters_are_ignored_with_a_notice(incidents):
    at = run_page({"years": "last-decade", "type": "killing,bogus", "colour": "red",
                   "incident": "no-such-incident"})
    # The notices are Markdown with every special character escaped; read them as shown.
    warnings = re.sub(r"\\(.)", r"\1", " ".join(w.value for w in at.warning))
    assert "years=last-decade" in warnings
    assert "type=bogus" in warnings
    assert "'colour'" in warnings
    assert "incident=no-such-incident" in warnings
    killings = incidents[incidents["event_type"] == "killing"]
    assert metric(at, "Incidents") == str(len(killings))
    assert dict(at.query_params) == {"type": "killing"}


def test_url_values_are_shown_as_typed_not_as_markdown():
    at = run_page({"country": "[click](https://phish.example)", "q": "$x$ **bold**"})
    warning = next(w.value for w in at.warning if "Ignored country" in w.value)
    assert r"\[click\]\(https\://phish\.example\)" in warning
    caption = at.caption[0].value
    assert r"\*\*bold\*\*" in caption and r"\$x\$" in caption


def test_years_beyond_the_data_are_clipped(incidents):
    at = run_page({"years": "1990-2022"})
    assert at.slider(key="f_years").value == (2006, 2022)
    expected = apply_filters(incidents, Filters(years=(2006, 2022)))
    assert metric(at, "Incidents") == str(len(expected))


def test_incident_in_url_focuses_the_card(incidents):
    focus = "2019-08-23-berlin-test-killing"
    at = run_page({"incident": focus})
    cards = [h.value for h in at.html if 'class="im-card"' in h.value]
    assert len(cards) == 1 and "Test killing in the Kleiner Tiergarten" in cards[0]
    assert at.query_params["incident"] == focus
    selection = json.loads(at.dataframe[0].proto.selection_default)["selection"]
    assert selection["rows"] == [incidents["id"].tolist().index(focus)]


def test_briefing_steps_through_filtered_incidents(incidents):
    at = run_page({"view": "briefing", "country": "ES"})
    steps = briefing_steps(apply_filters(incidents, Filters(countries=("ES",))))
    assert len(steps) == 3

    def shown() -> tuple[str, str]:
        step = next(h.value for h in at.html if 'class="im-step"' in h.value)
        card = next(h.value for h in at.html if 'class="im-card"' in h.value)
        return step, card

    # The title step first: what is shown and how many steps, no incident in focus.
    title = next(h.value for h in at.html if 'class="im-title-step"' in h.value)
    heading = next(h.value for h in at.html if "im-step-heading" in h.value)
    assert "All incidents, Spain" in heading and "3 steps" in title
    assert "incident" not in at.query_params
    assert at.button(key="brief_prev").disabled
    at.button(key="brief_next").click().run()
    step, card = shown()
    assert "Step 1 of 3" in step
    assert "Spain expels 25 test diplomats" in card
    assert at.query_params["incident"] == steps[0]
    assert at.query_params["view"] == "briefing"
    assert not at.button(key="brief_prev").disabled  # back to the title step

    at.button(key="brief_next").click().run()
    assert not at.exception
    step, card = shown()
    assert "Step 2 of 3" in step
    assert "&lt;b&gt;Villajoyosa&lt;/b&gt;" in card
    assert at.query_params["incident"] == steps[1]
    assert at.query_params["country"] == "ES"
    assert len(at.sidebar) == 0

    at.button(key="brief_prev").click().run()
    assert at.query_params["incident"] == steps[0]


def test_briefing_opens_the_incident_in_the_url(incidents):
    steps = briefing_steps(incidents)
    at = run_page({"view": "briefing", "incident": steps[-1]})
    step = next(h.value for h in at.html if 'class="im-step"' in h.value)
    assert f"Step {len(steps)} of {len(steps)}" in step
    assert at.button(key="brief_next").disabled
    links = [m.value for m in at.markdown if "Analyst view" in m.value]
    assert links and "view=briefing" not in links[0]


def test_briefing_with_no_incidents():
    at = run_page({"view": "briefing", "q": "nothing matches this"})
    assert any("No incidents match" in info.value for info in at.info)
    assert at.button(key="brief_next").disabled


def test_invalid_dataset_lists_problems(tmp_path, monkeypatch):
    text = FIXTURE.read_text(encoding="utf-8").splitlines()
    text[3] = text[3].replace(",assessment,", ",rumour,")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(text) + "\n", encoding="utf-8")
    monkeypatch.setenv("INCIDENT_MAP_DATA", str(bad))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "1 problem" in at.error[0].value
    assert "row 4, column event_type" in at.code[0].value
    assert not at.metric


def test_missing_dataset_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("INCIDENT_MAP_DATA", str(tmp_path / "nowhere.csv"))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "no such file" in at.error[0].value


def test_every_event_type_can_be_chosen():
    at = run_page()
    assert at.multiselect(key="f_types").options == [EVENT_TYPES[t] for t in EVENT_TYPES]


def test_missing_front_end_files_are_announced(monkeypatch, tmp_path):
    """Without the fetched Leaflet files the map falls back to a CDN, and the page says so."""
    from dashboard.maps import assets

    monkeypatch.setattr(assets, "VENDOR_DIR", tmp_path / "vendor-not-fetched")
    for offline in ("1", "0"):
        monkeypatch.setenv("INCIDENT_MAP_OFFLINE", offline)
        at = run_page()
        assert [w.value for w in at.warning] == [assets.missing_assets_message()]


def test_large_numbers_have_thousands_separators(monkeypatch, make_dataset):
    """A projector audience reads 1,200 at a glance, not 1200."""
    from tests.conftest import base_row

    rows = [base_row(id="2020-01-01-paris-expulsion", date="2020-01-01",
                     event_type="diplomatic_expulsion", persons="1200", fatalities="",
                     counterpart_country="RU", country="FR", lat="48.85", lon="2.35"),
            base_row()]
    monkeypatch.setenv("INCIDENT_MAP_DATA", str(make_dataset(rows)))
    at = run_page()
    assert metric(at, "People expelled") == "1,200"
    assert metric(at, "Incidents") == "2"


def test_several_bad_values_share_one_notice():
    at = run_page({"years": "2030-1990", "country": "XX", "type": "murder", "foo": "1"})
    assert len(at.warning) == 1
    text = at.warning[0].value
    assert text.count("\n- ") == 4 and "ignored" in text


def test_a_large_view_caps_the_table_but_not_the_metrics(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_large_dataset", SCRIPTS / "make_large_dataset.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = module.write_dataset(tmp_path / "large.csv", 5_300)
    monkeypatch.setenv("INCIDENT_MAP_DATA", str(path))
    at = run_page()
    # A session's first view of a large dataset: the headline and the map, nothing else yet
    assert metric(at, "Incidents") == "5,300"
    assert [c.value for c in at.sidebar.caption] == ["Loading the filters…"]
    assert not at.dataframe and not at.text_input and not at.slider
    assert not any("Load your data" in e.label for e in at.sidebar.expander)
    assert at.session_state["im_map_first_armed"]  # the fragment whose timer brings the rest
    at.run()  # what the timer's rerun shows: the whole page, from then on
    assert metric(at, "Incidents") == "5,300"
    assert at.text_input(key="f_query") and at.slider(key="f_years")
    assert len(at.dataframe[0].value) == 100
    assert any("Showing 100 of 5,300 incidents" in c.value for c in at.caption)
    first_page = at.dataframe[0].value["Title"].tolist()
    at.number_input(key="table_page").set_value(53).run()  # the last page: rows 5,201-5,300
    assert len(at.dataframe[0].value) == 100
    assert not set(at.dataframe[0].value["Title"]) & set(first_page)
    assert any("from number 5,201" in c.value for c in at.caption)


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_the_page_shows_the_same_view_with_either_engine(incidents, monkeypatch, engine):
    pytest.importorskip("duckdb", reason="the optional DuckDB engine is not installed")
    monkeypatch.setenv("INCIDENT_MAP_ENGINE", engine)
    url = {"years": "2019-2024", "type": "killing,diplomatic_expulsion", "q": "berlin"}
    expected = apply_filters(incidents, parse_query_params(url)[0])
    at = run_page(url)
    assert metric(at, "Incidents") == str(len(expected))
    assert metric(at, "Countries") == str(expected["country"].nunique())
    assert metric(at, "Fatalities") == str(int(expected["fatalities"].fillna(0).sum()))
    (table,) = at.dataframe
    assert table.value["Title"].tolist() == expected["title"].tolist()
