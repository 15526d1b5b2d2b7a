"""``incident-map sources check`` and ``incident-map review`` as a user runs them: the console
script in a subprocess, against a real HTTP server on loopback."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.data.sources import load_catalogue
from tests.conftest import CURATED, base_row, write_csv
from tests.data.linkserver import SNAPSHOT, link_server

BIN = Path(sys.executable).with_name("incident-map")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with link_server() as url:
        yield url


def _dataset(folder: Path, cells: list[str]) -> Path:
    rows = [base_row(id=f"2020-01-0{n + 1}-berlin-case-{n}", date=f"2020-01-0{n + 1}",
                     sources=cell, notes="site from the ruling")
            for n, cell in enumerate(cells)]
    return write_csv(folder / "incidents.csv", rows)


def test_sources_check_reports_each_failing_link_records_it_and_exits_one(server, tmp_path):
    data = _dataset(tmp_path, [f"{server}/ok; {server}/moved", f"{server}/gone",
                               f"{server}/removed; {server}/slow; Printed citation 1999"])
    result = run("sources", "check", str(data), "--timeout", "0.5",
                 "--archive-api", f"{server}/wayback")
    assert result.returncode == 1, result.stderr
    lines = sorted(result.stdout.splitlines())
    assert lines == sorted([
        f"moved 301: {server}/moved -> {server}/somewhere-else",
        f"gone 404: {server}/gone (Not Found) [archived: {SNAPSHOT.format(url=server + '/gone')}]",
        f"gone 410: {server}/removed (Gone) [archived: "
        f"{SNAPSHOT.format(url=server + '/removed')}]",
        f"unreachable: {server}/slow (no answer within 0.5 s)",
    ])
    assert "5 link(s): 1 ok, 1 moved, 2 gone, 1 unreachable; 2 with an archived copy" \
        in result.stderr
    catalogue = load_catalogue(tmp_path / "sources.csv")
    assert {url: info.status for url, info in catalogue.items()} == {
        f"{server}/ok": "ok", f"{server}/moved": "moved", f"{server}/gone": "gone",
        f"{server}/removed": "gone", f"{server}/slow": "unreachable"}
    assert catalogue[f"{server}/gone"].archived == SNAPSHOT.format(url=server + "/gone")
    assert all(info.checked for info in catalogue.values())

    review = run("review", str(data), "--today", "2026-01-01")
    assert review.returncode == 0
    assert f"source no longer answers (gone: {server}/gone)" in review.stdout


def test_sources_check_runs_clean_when_every_link_answers(server, tmp_path):
    data = _dataset(tmp_path, [f"{server}/ok", f"{server}/same; {server}/no-head"])
    result = run("sources", "check", str(data), "--no-archive", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert "3 link(s): 3 ok; 0 with an archived copy" in result.stderr
    assert not (tmp_path / "sources.csv").exists()  # --dry-run writes nothing


def test_a_broken_catalogue_is_one_line_and_exit_one(tmp_path):
    data = _dataset(tmp_path, ["https://example.org/a"])
    (tmp_path / "sources.csv").write_bytes(b"address,publisher\nhttps://a.org,A\n")
    result = run("sources", "check", str(data), "--no-archive")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["Error: sources.csv: no 'url' column in the header"]


def test_review_lists_stale_single_source_and_verdict_rows(tmp_path):
    rows = [
        base_row(id="2020-01-01-berlin-old", date="2020-01-01", checked="2024-06-01",
                 notes="site from the ruling",
                 sources="000_15aa79ff9f371381.txt; https://a.org/1; https://b.org/2"),
        base_row(id="2020-01-02-berlin-attack", date="2020-01-02", attribution="unknown",
                 checked="2025-12-01", notes="site from the ruling", sources="https://a.org/3"),
        base_row(id="2021-05-01-berlin-verdict", date="2021-05-01", event_type="court_ruling",
                 related_id="2020-01-02-berlin-attack", checked="2025-12-01",
                 notes="site from the ruling", sources="https://a.org/4; Court file 2021"),
    ]
    data = write_csv(tmp_path / "incidents.csv", rows)
    result = run("review", str(data), "--today", "2026-01-01")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "2020-01-01-berlin-old: checked over a year ago (last 2024-06-01)",
        "2020-01-02-berlin-attack: one source; attribution unknown but a verdict followed "
        "(2021-05-01-berlin-verdict, 2021-05-01)",
    ]
    assert "2 of 3 row(s) due for a fresh look" in result.stderr
    shorter = run("review", str(data), "--today", "2026-01-01", "--days", "30")
    assert "checked over 30 days ago (last 2025-12-01)" in shorter.stdout


def test_review_of_the_curated_dataset_names_its_rows():
    result = run("review", str(CURATED))
    assert result.returncode == 0, result.stderr
    with CURATED.open(encoding="utf-8", newline="") as handle:
        ids = {row["id"] for row in csv.DictReader(handle)}
    listed = [line.split(":", 1)[0] for line in result.stdout.splitlines()]
    assert listed and set(listed) <= ids
