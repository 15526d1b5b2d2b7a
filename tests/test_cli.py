"""The command line as a user runs it: the installed console script in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import CURATED, base_row
from tests.paths import FIXTURES

BIN = Path(sys.executable).with_name("incident-map")


def run(*args, cwd=None):
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_validate_curated_dataset_exits_zero():
    result = run("validate", str(CURATED))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid" in result.stdout


def test_validate_prints_one_line_per_problem(make_dataset):
    path = make_dataset([base_row(date="2019-02-30", event_type="murder"), base_row(country="ZZ")])
    result = run("validate", str(path))
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines == [
        'row 2, column date: "2019-02-30" is not a real date; expected YYYY-MM-DD for precision "day"',
        'row 2, column event_type: "murder" is not allowed; use one of: killing, attempted_killing, arrest, prisoner_exchange, court_ruling, diplomatic_expulsion, intelligence_disclosure, sabotage, plot, assessment, other',
        'row 3, column country: "ZZ" is not an ISO 3166-1 alpha-2 country code; use e.g. DE, ES, RU (XK for Kosovo)',
        'row 3, column id: "2019-08-23-berlin-khangoshvili" repeats the id of row 2; ids must be unique',
    ]
    assert "Traceback" not in result.stderr


def test_unreadable_file_is_one_line_and_exit_one(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    result = run("validate", str(path))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0 and "binary" in result.stderr
    missing = run("validate", str(tmp_path / "nope.csv"))
    assert missing.returncode == 1 and "no such file" in missing.stderr and "Traceback" not in missing.stderr


def test_python_dash_m_is_the_same_command():
    result = subprocess.run([sys.executable, "-m", "dashboard", "validate", str(CURATED)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0


def test_serve_refuses_an_invalid_dataset(make_dataset):
    path = make_dataset([base_row(lat="99")])
    result = run("serve", "--data", str(path), "--port", "8597")
    assert result.returncode == 1
    assert "problem" in result.stderr and "Traceback" not in result.stderr


def test_ten_different_faults_give_ten_lines():
    """tests/fixtures/ten_faults.csv breaks ten different rules, one per row."""
    result = run("validate", str(FIXTURES / "ten_faults.csv"))
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 10
    columns = [line.split(", column ")[1].split(":")[0] for line in lines]
    assert len(set(columns)) == 10, columns
    assert [int(line.split(",")[0].removeprefix("row ")) for line in lines] == list(range(3, 13))
    assert "10 problem(s)" in result.stderr


def test_serve_edit_beyond_loopback_needs_a_token(make_dataset, monkeypatch):
    monkeypatch.delenv("INCIDENT_MAP_EDIT_TOKEN", raising=False)
    path = make_dataset([base_row()])
    result = run("serve", "--data", str(path), "--edit", "--address", "0.0.0.0")
    assert result.returncode == 1 and "INCIDENT_MAP_EDIT_TOKEN" in result.stderr
    proxied = run("serve", "--data", str(path), "--edit", "--allowed-host", "maps.example.org")
    assert proxied.returncode == 1 and "needs a token" in proxied.stderr
    monkeypatch.setenv("INCIDENT_MAP_EDIT_TOKEN", "short")
    short = run("serve", "--data", str(path), "--edit", "--address", "0.0.0.0")
    assert short.returncode == 1 and "too short" in short.stderr
    assert "Traceback" not in result.stderr + proxied.stderr + short.stderr


def test_serve_names_the_engines_it_knows(make_dataset):
    path = make_dataset([base_row()])
    result = run("serve", "--data", str(path), "--engine", "spark")
    assert result.returncode == 2
    assert "pandas" in result.stderr and "duckdb" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_an_allowed_host_that_answers_to_any_name(make_dataset, monkeypatch):
    path = make_dataset([base_row(lat="99")])  # never started: refused before the dataset
    for name in ("*", "*.org", "maps.*"):
        result = run("serve", "--data", str(path), "--allowed-host", name)
        assert result.returncode == 1, name
        assert "would answer to any Host name" in result.stderr and "Traceback" not in result.stderr
    monkeypatch.setenv("INCIDENT_MAP_ALLOWED_HOSTS", "maps.example.org,*")
    from_env = run("serve", "--data", str(path))
    assert from_env.returncode == 1 and "INCIDENT_MAP_ALLOWED_HOSTS" in from_env.stderr
    monkeypatch.delenv("INCIDENT_MAP_ALLOWED_HOSTS")
    # the subdomains of one domain stay possible (this run stops at the invalid dataset)
    subdomains = run("serve", "--data", str(path), "--allowed-host", "*.example.org")
    assert subdomains.returncode == 1 and "problem" in subdomains.stderr


def test_serve_and_import_refuse_a_limit_that_is_not_a_number(make_dataset, monkeypatch):
    path = make_dataset([base_row()])
    for command, args in ((("serve", "--data", str(path)), ("--limit", "rows=many")),
                          (("serve", "--data", str(path)), ("--limit", "speed=3")),
                          (("import", str(path), "-o", "x.csv"), ("--limit", "rows"))):
        result = run(*command, *args)
        assert result.returncode == 1, (command, args)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    monkeypatch.setenv("INCIDENT_MAP_LIMIT_ROWS", "0")
    result = run("serve", "--data", str(path))
    assert result.returncode == 1 and "INCIDENT_MAP_LIMIT_ROWS" in result.stderr


def test_import_stops_at_a_limit_and_says_how_to_raise_it(tmp_path):
    source = tmp_path / "sheet.csv"
    source.write_text("Date,Country\n" + "2020-01-01,Germany\n" * 30, encoding="utf-8")
    out = tmp_path / "out.csv"
    result = run("import", str(source), "-o", str(out), "--limit", "rows=20")
    assert result.returncode == 1 and not out.exists()
    assert result.stderr.strip() == (
        "Error: sheet.csv: more than 20 rows (limit rows=20; raise it with --limit rows=N or "
        "INCIDENT_MAP_LIMIT_ROWS=N)")
    assert run("import", str(source), "-o", str(out), "--limit", "rows=30").returncode == 0
