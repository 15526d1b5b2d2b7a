"""A CSV file becomes the engine table in Parquet: in blocks, in date order, once per
content, with the dataset's problems numbered by the file's rows."""

from __future__ import annotations

import os

import pyarrow.parquet as pq
import pytest

import dashboard.data.engine.convert as convert
from dashboard.data.loading import load_incidents
from dashboard.data.schema import DatasetError, InvalidDataset
from tests.conftest import write_csv
from tests.data.engine.cases import engine_rows


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("INCIDENT_MAP_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_blocks_end_in_one_table_in_the_pages_date_order(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(convert, "BLOCK_BYTES", 4096)  # many blocks of a few rows
    path = write_csv(tmp_path / "d.csv", engine_rows())
    blocks = []
    parquet = convert.convert_csv(path, progress=blocks.append)
    assert len(blocks) > 3 and blocks[-1] == 90
    table = pq.read_table(parquet).to_pandas()
    frame = load_incidents(path)
    assert table.sort_values("pos")["id"].tolist() == frame["id"].tolist()
    assert table["pos"].tolist() == list(range(90))
    assert table["search_text"].tolist() == frame.set_index("id").loc[
        table["id"], "search_text"].tolist()
    assert pq.ParquetFile(parquet).schema_arrow.names[:2] == ["id", "date"]


def test_a_file_is_converted_once_and_again_when_it_changes(tmp_path, cache):
    path = write_csv(tmp_path / "d.csv", engine_rows(20))
    assert convert.converted(path) is None
    first = convert.convert_csv(path)
    assert convert.converted(path) == first
    made = first.stat().st_mtime_ns
    assert convert.convert_csv(path) == first and first.stat().st_mtime_ns == made
    write_csv(path, engine_rows(21))
    assert convert.converted(path) is None  # the pointer no longer matches the file
    second = convert.convert_csv(path)
    assert second != first and convert.converted(path) == second
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".")]


def test_problems_are_numbered_by_the_files_rows_across_blocks(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(convert, "BLOCK_BYTES", 4096)
    rows = engine_rows(60)
    rows[47]["date"] = "2019-13-40"
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(InvalidDataset) as caught:
        convert.convert_csv(path)
    assert [(p.row, p.column) for p in caught.value.problems] == [(49, "date")]
    assert "row 49" in convert.failure(path)
    assert convert.converted(path) is None
    assert not list(cache.glob("parquet/*.parquet"))


def test_a_repeated_id_in_another_block_is_refused(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(convert, "BLOCK_BYTES", 4096)
    rows = engine_rows(60)
    rows[55]["id"] = rows[2]["id"]
    with pytest.raises(DatasetError, match="ids must be unique"):
        convert.convert_csv(write_csv(tmp_path / "dup.csv", rows))


def test_not_a_csv(tmp_path, cache):
    path = tmp_path / "x.csv"
    path.write_bytes(b"id,date\n\xff\xfe,1\n")
    with pytest.raises(DatasetError):
        convert.convert_csv(path)


def test_the_background_command(tmp_path, cache, capsys):
    path = write_csv(tmp_path / "d.csv", engine_rows(10))
    assert convert.main([str(path)]) == 0
    assert convert.converted(path) is not None
    assert convert.main([str(tmp_path / "missing.csv")]) == 1
    assert "error:" in capsys.readouterr().err
    assert os.environ["INCIDENT_MAP_CACHE_DIR"] == str(cache)
