"""The command line with query engines: import --to (Parquet, PostgreSQL), export --source,
and what serve hands the page (a source, a large file's background conversion)."""

from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from dashboard.cli import CliError, _engine_source, main
from dashboard.data.engine.sources import SOURCE_VAR
from dashboard.data.filters import Filters, apply_filters
from tests.support.postgres import fresh_database, psql


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("INCIDENT_MAP_CACHE_DIR", str(tmp_path / "cache"))


def test_import_to_parquet_and_export_from_it(engine_csv, engine_frame, tmp_path, cache):
    target = tmp_path / "out.parquet"
    result = CliRunner().invoke(main, ["import", str(engine_csv), "--to", f"parquet:{target}"])
    assert result.exit_code == 0, result.output
    assert pq.ParquetFile(target).metadata.num_rows == len(engine_frame)
    assert "serve --source parquet:" in result.output
    out = tmp_path / "killings.csv"
    result = CliRunner().invoke(main, ["export", "-o", str(out), "--type", "killing",
                                       "--source", f"parquet:{target}"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["id"] for r in rows] == apply_filters(
        engine_frame, Filters(event_types=("killing",)))["id"].tolist()
    geo = tmp_path / "all.geojson"
    assert CliRunner().invoke(main, ["export", "-o", str(geo), "--source",
                                     f"parquet:{target}"]).exit_code == 0
    assert len(json.loads(geo.read_text())["features"]) == len(engine_frame)
    page = tmp_path / "killings.html"  # what the engine map shows, with its answer inside
    result = CliRunner().invoke(main, ["export", "-o", str(page), "--type", "killing",
                                       "--offline", "--source", f"parquet:{target}"])
    assert result.exit_code == 0, result.output
    assert '"inline":{"kind":' in page.read_text(encoding="utf-8")
    refused = CliRunner().invoke(main, ["export", "-o", str(tmp_path / "x.gif"), "--source",
                                        f"parquet:{target}"])
    assert refused.exit_code == 1 and "PNG, HTML, PPTX or PDF" in refused.output


def test_import_to_postgresql_replaces_the_table(engine_csv, engine_frame, postgres_dsn,
                                                 cache, monkeypatch):
    dsn = fresh_database(postgres_dsn, "cli_import")
    monkeypatch.setenv("INCIDENT_MAP_TABLE", "imported")
    for _ in range(2):  # a second import replaces the first
        result = CliRunner().invoke(main, ["import", str(engine_csv), "--to", dsn])
        assert result.exit_code == 0, result.output
    assert int(psql(dsn, "SELECT count(*) FROM imported")) == len(engine_frame)
    assert int(psql(dsn, "SELECT count(*) FROM imported WHERE geom IS NOT NULL")) == int(
        engine_frame["lat"].notna().sum())
    assert psql(dsn, "SELECT count(*) FROM pg_tables WHERE tablename LIKE '%loading%'"
                ).strip() == "0"


def test_import_refuses_bad_input_with_one_line(tmp_path, engine_csv, cache):
    runner = CliRunner()
    assert "-o FILE.csv, --to ENGINE" in runner.invoke(main, ["import", str(engine_csv)]).output
    result = runner.invoke(main, ["import", str(engine_csv), "--to",
                                  "postgresql://u:secret@localhost/db"])
    assert result.exit_code == 1 and "PGPASSWORD" in result.output
    assert "secret" not in result.output.replace("u:secret", "")
    bad = tmp_path / "bad.csv"
    bad.write_text(engine_csv.read_text().replace("killing", "murder", 1), encoding="utf-8")
    result = runner.invoke(main, ["import", str(bad), "--to", f"parquet:{tmp_path / 'b.pq'}"])
    assert result.exit_code == 1 and "row " in result.output and "event_type" in result.output
    assert not (tmp_path / "b.pq").exists()


def test_serve_hands_the_page_its_source(tmp_path, engine_parquet, cache, monkeypatch):
    env: dict[str, str] = {}
    small = tmp_path / "small.csv"
    small.write_text("id\n", encoding="utf-8")
    assert _engine_source(None, small, env, False) is None and SOURCE_VAR not in env
    source = _engine_source(f"parquet:{engine_parquet}", small, env, False)
    assert source.kind == "parquet" and env[SOURCE_VAR] == f"parquet:{engine_parquet}"
    with pytest.raises(CliError, match="query engine"):
        _engine_source(f"parquet:{engine_parquet}", small, {}, True)
    with pytest.raises(CliError, match="no such Parquet"):
        _engine_source(f"parquet:{tmp_path / 'nope.parquet'}", small, {}, False)
    with pytest.raises(CliError, match="unknown source"):
        _engine_source("ftp://x/y", small, {}, False)
