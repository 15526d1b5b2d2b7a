"""``incident-map export --months``: the URL's month span on the command line."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from dashboard.data.filters import Filters, apply_filters
from dashboard.data.loading import load_incidents
from tests.paths import FIXTURES

BIN = Path(sys.executable).with_name("incident-map")
FIXTURE = FIXTURES / "export_fixture.csv"


def export(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), "export", "--data", str(FIXTURE), *args],
                          capture_output=True, text=True, timeout=120)


def test_csv_of_a_month_span(tmp_path):
    out = tmp_path / "wave.csv"
    result = export("-o", str(out), "--months", "2022-02..2022-04")
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8", newline="") as file:
        written = [row["id"] for row in csv.DictReader(file)]
    incidents = load_incidents(FIXTURE)
    expected = apply_filters(incidents, Filters(months=("2022-02", "2022-04")))["id"].tolist()
    whole_year = apply_filters(incidents, Filters(years=(2022, 2022)))
    assert written == expected
    assert 0 < len(written) < len(whole_year)
    # the fixture's incidents known only to 2022 are in the year but not in the span
    assert set(whole_year.loc[whole_year["date_precision"] == "year", "id"]).isdisjoint(written)


def test_a_bad_span_is_one_clear_line_and_no_file(tmp_path):
    out = tmp_path / "out.csv"
    result = export("-o", str(out), "--months", "2022-04..2022-02")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: invalid months=2022-04..2022-02"), lines
    assert list(tmp_path.iterdir()) == []
