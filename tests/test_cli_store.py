"""``incident-map store load|dump`` and ``serve --store``: the installed command against a
real PostgreSQL (the session's throw-away cluster)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import COLUMNS, CURATED, base_row, write_csv

pytestmark = pytest.mark.slow  # a real server, database or browser

BIN = Path(sys.executable).with_name("incident-map")
#: Cells a file may hold, each in its own row: quotes, separators, line breaks of every
#: kind, formulas (kept neutralised, as in the file), spaces, other scripts, emoji.
ODD_NOTES = [
    'He said "no", then left; twice',
    "line one\nline two\r\nline three",
    "u2028\u2028u2029\u2029u0085\u0085 and a tab\there",
    "'=HYPERLINK(\"http://x.example\")",
    "''=1+1",
    "  spaces around  ",
    "Алексей Навальный · 中文 · عربى · 👁️‍🗨️",
    "",
    "back\\slash and a NUL-free \x0b vertical tab",
]


def run(*args, env=None, cwd=None):
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env={**os.environ, **(env or {})})


def cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture
def odd_dataset(tmp_path) -> Path:
    rows = [base_row(id=f"2019-08-{23 + i:02d}-berlin-case-{i}", notes=note,
                     custom_column=f"extra {i}")
            for i, note in enumerate(ODD_NOTES)]
    path = write_csv(tmp_path / "odd.csv", rows, [*COLUMNS, "custom_column"])
    assert run("validate", str(path)).returncode == 0
    return path


@pytest.mark.parametrize("dataset", ["curated", "odd"])
def test_load_then_dump_gives_back_every_cell(dataset, odd_dataset, postgres_database,
                                              tmp_path):
    source = CURATED if dataset == "curated" else odd_dataset
    env = {"INCIDENT_MAP_STORE": postgres_database}
    loaded = run("store", "load", str(source), "--briefings-dir",
                 str(CURATED.parents[1] / "briefings"), env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert "2 briefing(s)" in loaded.stderr
    assert postgres_database.split("@")[0] not in loaded.stderr  # no password shown
    out = tmp_path / "dumped.csv"
    briefings = tmp_path / "briefings-out"
    dumped = run("store", "dump", str(out), "--briefings-dir", str(briefings), env=env)
    assert dumped.returncode == 0, dumped.stderr
    original, back = cells(source), cells(out)
    assert len(back) == len(original) > 1
    for number, (want, got) in enumerate(zip(original, back, strict=True), start=1):
        assert got == want, f"line {number} differs"
    for name in ("expulsions-2022", "tiergarten"):
        assert (briefings / f"{name}.toml").read_bytes() == (
            CURATED.parents[1] / "briefings" / f"{name}.toml").read_bytes()
    assert run("validate", str(out)).returncode == 0


def test_a_store_that_holds_a_dataset_is_replaced_only_when_asked(postgres_database,
                                                                 make_dataset, tmp_path):
    env = {"INCIDENT_MAP_STORE": postgres_database}
    assert run("store", "load", str(CURATED), env=env).returncode == 0
    smaller = make_dataset([base_row()])
    again = run("store", "load", str(smaller), env=env)
    assert again.returncode == 1
    assert again.stderr.strip().splitlines()[-1].endswith("add --replace to replace it")
    assert run("store", "load", str(smaller), "--replace", env=env).returncode == 0
    out = tmp_path / "one.csv"
    assert run("store", "dump", str(out), env=env).returncode == 0
    assert cells(out) == cells(smaller)
    refused = run("store", "dump", str(out), env=env)
    assert refused.returncode == 1 and "exists" in refused.stderr


def test_an_invalid_file_is_not_loaded(postgres_database, make_dataset):
    bad = make_dataset([base_row(date="2019-02-30")])
    result = run("store", "load", str(bad), "--store", postgres_database)
    assert result.returncode == 1
    assert "1 problem(s)" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [
    ("store", "dump", "x.csv", "--store", "postgresql://u:hunter2@127.0.0.1:1/none?connect_timeout=3"),
    ("serve", "--store", "postgresql://u:hunter2@127.0.0.1:1/none?connect_timeout=3"),
    ("store", "load", str(CURATED), "--store", "not-a-url"),
])
def test_a_store_that_cannot_be_used_is_one_line_without_the_password(args, tmp_path):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "hunter2" not in result.stderr and "Traceback" not in result.stderr
