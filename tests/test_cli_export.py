"""``incident-map export`` as a user runs it, and the page's download buttons giving the same bytes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.data.filters import apply_filters, parse_query_params
from dashboard.data.loading import load_incidents
from dashboard.exports.formats import View, export_bytes
from tests.paths import APP, FIXTURES

BIN = Path(sys.executable).with_name("incident-map")
FIXTURE = FIXTURES / "export_fixture.csv"
PARAMS = {"years": "2019-2025", "country": "DE,ES", "type": "killing,diplomatic_expulsion"}


def export(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), "export", "--data", str(FIXTURE), *args],
                          capture_output=True, text=True, cwd=cwd, timeout=120)


def test_csv_with_url_style_filters(tmp_path):
    out = tmp_path / "view.csv"
    result = export("-o", str(out), "--years", "2019-2025", "--country", "de,Spain",
                    "--type", "killing,diplomatic_expulsion")
    assert result.returncode == 0, result.stderr
    filters, _ = parse_query_params(PARAMS)
    expected = export_bytes(load_incidents(FIXTURE), View(filters=filters), "csv")
    assert out.read_bytes() == expected
    validated = subprocess.run([str(BIN), "validate", str(out)], capture_output=True, text=True)
    assert validated.returncode == 0, validated.stdout
    assert f"wrote {out}" in result.stderr


def test_format_option_overrides_the_extension(tmp_path):
    out = tmp_path / "features.json.txt"
    result = export("-o", str(out), "--format", "geojson", "--q", "berlin")
    assert result.returncode == 0, result.stderr
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    ids = apply_filters(load_incidents(FIXTURE), parse_query_params({"q": "berlin"})[0])["id"]
    assert [f["id"] for f in features] == ids.tolist()


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "docx"], 'unknown format "docx"'),
    (["--years", "2025-2019"], "invalid years=2025-2019"),
    (["--country", "Atlantis"], "invalid country=Atlantis"),
    (["--type", "murder"], "invalid type=murder"),
    (["--preset", "xl"], 'unknown size preset "xl"'),
    (["--scale", "7"], "scale 7 is not allowed"),
    (["--incident", "no-such-id"], 'no incident with id "no-such-id"'),
])
def test_bad_arguments_give_one_clear_line_and_no_file(tmp_path, args, message):
    out = tmp_path / "out.csv"
    result = export("-o", str(out), *args)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], lines
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["missing-folder", "folder", "extension"])
def test_unwritable_or_unnamed_outputs_are_refused(tmp_path, where):
    out = {"missing-folder": tmp_path / "nope" / "x.csv", "folder": tmp_path,
           "extension": tmp_path / "x.docx"}[where]
    result = export("-o", str(out))
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_replaced_and_nothing_else_touched(tmp_path):
    out = tmp_path / "view.geojson"
    out.write_text("old")
    other = tmp_path / "notes.txt"
    other.write_text("mine")
    assert export("-o", str(out)).returncode == 0
    assert json.loads(out.read_text())["type"] == "FeatureCollection"
    assert other.read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "view.geojson"]


def test_page_download_buttons_give_the_cli_bytes(tmp_path, monkeypatch, downloads):
    """The CSV and GeoJSON the dashboard offers for a URL equal the CLI's for the same values."""
    monkeypatch.setenv("INCIDENT_MAP_DATA", str(FIXTURE))
    monkeypatch.setenv("INCIDENT_MAP_OFFLINE", "1")
    at = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in PARAMS.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    labels = [button.label for button in at.get("download_button")]
    assert "CSV" in labels and "GeoJSON" in labels

    stem = "incidents_2019-2025_DE-ES_killing-diplomatic_expulsion"
    for ext in ("csv", "geojson"):
        out = tmp_path / f"cli.{ext}"
        excel = ["--excel"] if ext == "csv" else []  # the page's CSV is made for Excel
        result = export("-o", str(out), *excel,
                        *(a for k, v in PARAMS.items() for a in (f"--{k}", v)))
        assert result.returncode == 0, result.stderr
        assert downloads[f"{stem}.{ext}"] == out.read_bytes()


def test_png_without_a_browser_says_what_to_install(tmp_path, monkeypatch):
    """No Chromium anywhere: one line naming the package, exit 1, no file."""
    from click.testing import CliRunner

    from dashboard.cli import main
    from dashboard.exports import browser

    monkeypatch.setenv("INCIDENT_MAP_CHROMIUM", "")
    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    real_access = browser.os.access
    monkeypatch.setattr(browser.os, "access", lambda path, mode: (
        False if "chromium" in str(path) else real_access(path, mode)))
    out = tmp_path / "map.png"
    result = CliRunner().invoke(main, ["export", "-o", str(out), "--data", str(FIXTURE),
                                       "--offline"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "apt-get install chromium" in lines[0], result.output
    assert not out.exists()
