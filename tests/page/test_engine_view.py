"""The page on a source served by the query engine (a Parquet file, DuckDB): the same
numbers, filters from the URL, a table page and export links, without loading the rows; a
large CSV waits for its Parquet, and a bad one says what is wrong."""

from __future__ import annotations

import pytest

from dashboard.data.filters import Filters, apply_filters
from tests.page.apptest import run_page


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.fixture
def served(engine_parquet, engine_frame, monkeypatch):
    monkeypatch.setenv("INCIDENT_MAP_SOURCE", f"parquet:{engine_parquet}")
    return engine_frame


def test_the_numbers_and_the_table_come_from_the_engine(served):
    at = run_page(country="DE,TR", years="2016-2023")
    rows = apply_filters(served, Filters(countries=("DE", "TR"), years=(2016, 2023)))
    assert metric(at, "Incidents") == f"{len(rows):,}"
    assert metric(at, "Countries") == str(rows["country"].nunique())
    assert at.dataframe[0].value["Title"].tolist() == rows["title"].tolist()[:100]
    assert any("parquet" in c.value for c in at.caption)
    links = [m.value for m in at.markdown if "/engine/export.csv" in m.value]
    assert links and "country=DE%2CTR" in links[0] and "years=2016-2023" in links[0]


def test_a_filter_change_asks_the_engine_again(served):
    at = run_page()
    assert metric(at, "Incidents") == f"{len(served):,}"
    at.text_input(key="f_query").set_value("alarcon").run()
    assert metric(at, "Incidents") == f"{len(apply_filters(served, Filters(query='alarcon'))):,}"
    assert at.query_params["q"] == "alarcon"


def test_an_unknown_incident_in_the_link_is_a_notice(served):
    at = run_page(incident="no-such-incident")
    assert any("no incident with this id" in w.value for w in at.warning)


def test_a_large_csv_waits_for_its_parquet(tmp_path, monkeypatch):
    import dashboard.data.engine.shared as shared

    path = tmp_path / "big.csv"
    path.write_text("id,date\n", encoding="utf-8")
    monkeypatch.setattr(shared, "LARGE_FILE_BYTES", 1)
    monkeypatch.setenv("INCIDENT_MAP_DATA", str(path))
    monkeypatch.setenv("INCIDENT_MAP_CACHE_DIR", str(tmp_path / "cache"))
    at = run_page()
    assert any("being converted to Parquet" in i.value for i in at.info)
    assert not at.metric


def test_a_malformed_source_is_one_line(monkeypatch):
    monkeypatch.setenv("INCIDENT_MAP_SOURCE", "ftp://example.org/x")
    at = run_page()
    assert any("cannot be used" in e.value for e in at.error)
