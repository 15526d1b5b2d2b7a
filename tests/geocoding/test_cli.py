"""``incident-map locate`` and ``incident-map geocode`` through click's CliRunner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from dashboard.cli import main
from dashboard.geocoding.gazetteer import distance_km
from tests.conftest import base_row, write_csv


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch, gazetteer):
    monkeypatch.setenv("INCIDENT_MAP_GEOCODE_CACHE", str(tmp_path / "geocode_cache.json"))
    monkeypatch.delenv("INCIDENT_MAP_OFFLINE", raising=False)


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env)


def test_locate_json_offline():
    result = run("locate", "Zeytinburnu, Istanbul", "--offline", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"query", "lat", "lon", "display_name", "country", "precision",
                         "source", "ambiguous", "partial"}
    assert (data["ambiguous"], data["partial"]) == (False, False)
    assert distance_km(data["lat"], data["lon"], 40.9831, 28.8997) < 10  # Wikipedia
    assert (data["precision"], data["source"], data["country"]) == (
        "district", "gazetteer", "TR")


def test_locate_with_a_country_hint():
    result = run("locate", "Valencia", "--country", "Spain", "--offline", "--json")
    assert json.loads(result.stdout)["country"] == "ES"


def test_locate_text_output_names_precision():
    result = run("locate", "Moabit, Berlin", "--offline")
    assert result.exit_code == 0
    assert "Moabit, Berlin, Germany" in result.stdout and "district precision" in result.stdout


def test_locate_no_match_exits_1():
    result = run("locate", "Western Balkans", "--offline")
    assert result.exit_code == 1
    assert "no match for 'Western Balkans'" in result.stderr


def test_locate_bad_country():
    result = run("locate", "Berlin", "--country", "Narnia", "--offline")
    assert result.exit_code == 2 and "Narnia" in result.output


def test_offline_from_the_environment_sends_nothing(nominatim_server):
    env = {"INCIDENT_MAP_OFFLINE": "1",
           "INCIDENT_MAP_NOMINATIM_URL": f"http://{nominatim_server.domain}"}
    result = run("locate", "Kleiner Tiergarten park, Moabit, Berlin, Germany", "--json",
                 env=env)
    assert json.loads(result.stdout)["source"] == "gazetteer"
    assert nominatim_server.requests == []


def test_online_locate_asks_nominatim_once(nominatim_server):
    env = {"INCIDENT_MAP_NOMINATIM_URL": f"http://{nominatim_server.domain}"}
    for _ in range(2):
        result = run("locate", "Kleiner Tiergarten park, Moabit, Berlin, Germany", "--json",
                     env=env)
        assert json.loads(result.stdout)["source"] == "nominatim"
    assert len(nominatim_server.requests) == 1


def test_geocode_command(tmp_path):
    path = write_csv(tmp_path / "incidents.csv", [
        base_row(id="a", place="Warszawa", country="PL", lat="", lon="", geocoder="",
                 geo_precision="city"),
        base_row(id="b", place="Nowhere Village, Spain", country="ES", lat="", lon="",
                 geocoder=""),
    ])
    dry = run("geocode", str(path), "--offline", "--dry-run")
    assert dry.exit_code == 0 and "would resolve: 1" in dry.stdout
    result = run("geocode", str(path), "--offline")
    assert result.exit_code == 0, result.output
    assert "resolved: 1" in result.stdout and "unresolved: 1" in result.stdout
    assert "row 3 (b)" in result.stdout
    assert "52.2" in path.read_text(encoding="utf-8")


def test_geocode_missing_file(tmp_path):
    result = run("geocode", str(tmp_path / "nope.csv"), "--offline")
    assert result.exit_code == 1 and "no such file" in result.output
    assert "Traceback" not in result.output and "Usage" not in result.output
