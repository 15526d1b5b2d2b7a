"""Named sites: the dataset's own located sites and the operator's sites file, searched by
``locate``, ``geocode`` and the editor's candidates."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from dashboard.cli import main
from dashboard.data.schema import validate_file
from dashboard.geocoding.cache import GeocodeCache
from dashboard.geocoding.candidates import apply_candidate, find_candidates
from dashboard.geocoding.pipeline import Resolver, geocode_file
from dashboard.geocoding.sites import SitesFileError, load_sites, sites_from_file
from tests.conftest import CURATED, base_row, write_csv

SCHOOL = "American School of Madrid, Pozuelo de Alarcón, Madrid, Spain"
SCHOOL_ID = "2025-05-21-pozuelo-de-alarcon-portnov"


def _dataset(tmp_path, *extra):
    return write_csv(tmp_path / "incidents.csv", [
        base_row(id=SCHOOL_ID, place=SCHOOL, country="ES", lat="40.4428", lon="-3.7821",
                 geo_precision="site", geocoder="manual",
                 sources="https://example.org/portnov"),
        # not sites: no coordinates, a town's precision, no source
        base_row(id="b-no-point", place="Hotel Nowhere, Madrid, Spain", country="ES",
                 lat="", lon="", geocoder="", geo_precision="site"),
        base_row(id="c-city", place="Villa Roja, Madrid, Spain", country="ES",
                 lat="40.41", lon="-3.70", geo_precision="city", geocoder="gazetteer"),
        base_row(id="d-unsourced", place="Casa Azul, Madrid, Spain", country="ES",
                 lat="40.42", lon="-3.71", geo_precision="site", sources=""),
        *extra,
    ])


def test_the_datasets_located_sites_are_found_by_name_at_their_recorded_precision(tmp_path):
    sites = load_sites(dataset=_dataset(tmp_path), sites_file="")
    assert len(sites) == 1
    for query in ("American School of Madrid", "american school of madrid",
                  "American School of Madrid, Spain", "American School of Madrid, ES",
                  "American School of Madrid, Pozuelo de Alarcon"):
        found = sites.geocode(query)
        assert found is not None, query
        assert (found.latitude, found.longitude) == (40.4428, -3.7821)
        assert found.address == SCHOOL
        assert (found.raw["precision"], found.raw["source"], found.raw["reference"]) == (
            "site", "dataset", f"row {SCHOOL_ID}")
    # a context the site is not in, or another country: not this school
    assert sites.geocode("American School of Madrid, France") is None
    assert sites.geocode("American School of Madrid", country_codes="FR") is None
    assert sites.geocode("Hotel Nowhere") is None and sites.geocode("Casa Azul") is None
    assert sites.geocode("Madrid") is None  # a site's name is its first part only


def test_a_new_site_saved_to_the_dataset_is_found_at_once(tmp_path):
    path = _dataset(tmp_path)
    assert load_sites(dataset=path, sites_file="").geocode("Esenboga Airport") is None
    _dataset(tmp_path, base_row(id="e-airport", place="Esenboğa Airport, Ankara, Turkey",
                                country="TR", lat="40.1281", lon="32.9951",
                                geo_precision="site"))
    found = load_sites(dataset=path, sites_file="").geocode("Esenboga Airport, Ankara")
    assert found is not None and found.raw["reference"] == "row e-airport"


def test_the_resolver_answers_a_named_site_offline(gazetteer, tmp_path):
    sites = load_sites(dataset=_dataset(tmp_path), sites_file="")
    resolver = Resolver(offline=True, gazetteer=gazetteer, sites=sites,
                        cache=GeocodeCache(tmp_path / "cache.json"))
    result = resolver.resolve("American School of Madrid")
    assert (result.source, result.precision, result.lat) == ("dataset", "site", 40.4428)
    assert not result.partial
    without = Resolver(offline=True, gazetteer=gazetteer,
                       cache=GeocodeCache(tmp_path / "cache.json"))
    assert without.resolve("American School of Madrid") is None


def test_a_site_never_hides_a_populated_place_of_exactly_that_name(gazetteer, tmp_path):
    path = _dataset(tmp_path, base_row(id="f-salisbury", place="Salisbury, United Kingdom",
                                       country="GB", lat="51.07", lon="-1.79",
                                       geo_precision="site"))
    resolver = Resolver(offline=True, gazetteer=gazetteer,
                        sites=load_sites(dataset=path, sites_file=""))
    result = resolver.resolve("Salisbury, United Kingdom")
    assert (result.source, result.precision) == ("gazetteer", "city")


def test_locate_finds_the_curated_datasets_school_offline(tmp_path, monkeypatch, gazetteer):
    monkeypatch.setenv("INCIDENT_MAP_GEOCODE_CACHE", str(tmp_path / "cache.json"))
    monkeypatch.setenv("INCIDENT_MAP_DATA", str(CURATED))
    monkeypatch.delenv("INCIDENT_MAP_SITES", raising=False)
    runner = CliRunner()
    result = runner.invoke(main, ["locate", "American School of Madrid", "--offline", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["source"], data["precision"], data["country"]) == ("dataset", "site", "ES")
    assert abs(data["lat"] - 40.4428) < 1e-4 and abs(data["lon"] + 3.7821) < 1e-4
    text = runner.invoke(main, ["locate", "American School of Madrid", "--offline"])
    assert f"site precision, dataset: row {SCHOOL_ID}" in text.stdout


def _sites_file(tmp_path, body: str):
    path = tmp_path / "sites.csv"
    path.write_text(body, encoding="utf-8")
    return path


def test_the_operators_sites_file_is_searched_with_its_aliases(tmp_path, monkeypatch,
                                                              gazetteer):
    path = _sites_file(tmp_path, (
        "name,lat,lon,country,precision,place,aliases,source\n"
        "Embassy of Nowhere,48.8566,2.3522,FR,,\"Embassy of Nowhere, Paris, France\","
        "Nowhere Embassy;Ambassade de Nulle Part,https://example.org/embassy\n"
        "Depot 7,50.0,20.0,Poland,district,,,survey notes 2024\n"
    ))
    sites = load_sites(dataset=tmp_path / "missing.csv", sites_file=path)
    found = sites.geocode("Ambassade de Nulle Part, Paris")
    assert (found.raw["source"], found.raw["reference"], found.raw["precision"]) == (
        "sites", "sites.csv row 2", "site")
    depot = sites.geocode("Depot 7")
    assert (depot.raw["precision"], depot.raw["country"]) == ("district", "PL")

    monkeypatch.setenv("INCIDENT_MAP_SITES", str(path))
    monkeypatch.setenv("INCIDENT_MAP_DATA", str(tmp_path / "missing.csv"))
    monkeypatch.setenv("INCIDENT_MAP_GEOCODE_CACHE", str(tmp_path / "cache.json"))
    result = CliRunner().invoke(main, ["locate", "Nowhere Embassy", "--offline", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["source"] == "sites"


@pytest.mark.parametrize(("body", "message"), [
    ("name,lat,lon\nX,1,2\n", "the header has no source column"),
    ("name,lat,lon,source\nX,91,2,doc\n", "row 2, column lat: '91' is not a latitude"),
    ("name,lat,lon,source\nX,1,2,doc\n,1,2,doc\n", "row 3, column name: is empty"),
    ("name,lat,lon,source\nX,1,abc,doc\n", "row 2, column lon: 'abc' is not a longitude"),
    ("name,lat,lon,source\nX,1,2,\n", "row 2, column source: is empty"),
    ("name,lat,lon,source,precision\nX,1,2,doc,street\n", "row 2, column precision"),
    ("name,lat,lon,source,country\nX,1,2,doc,Narnia\n", "row 2, column country"),
])
def test_a_bad_sites_file_is_one_line_naming_row_and_column(tmp_path, body, message):
    path = _sites_file(tmp_path, body)
    with pytest.raises(SitesFileError) as caught:
        sites_from_file(path)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert str(path) in str(caught.value)


def test_locate_with_a_bad_or_missing_sites_file_says_so_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("INCIDENT_MAP_GEOCODE_CACHE", str(tmp_path / "cache.json"))
    for named in (tmp_path / "absent.csv", _sites_file(tmp_path, "name,lat\nX,1\n")):
        monkeypatch.setenv("INCIDENT_MAP_SITES", str(named))
        result = CliRunner().invoke(main, ["locate", "Berlin", "--offline"])
        assert result.exit_code == 1
        assert "sites file" in result.output and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_geocode_fills_a_row_from_a_site_another_row_located(tmp_path, monkeypatch):
    monkeypatch.setenv("INCIDENT_MAP_DATA", str(tmp_path / "other.csv"))
    monkeypatch.delenv("INCIDENT_MAP_SITES", raising=False)
    path = _dataset(tmp_path, base_row(id="g-later", place="American School of Madrid",
                                       country="ES", lat="", lon="", geocoder="",
                                       geo_precision="site"))
    summary = geocode_file(path, offline=True, progress=False,
                           cache_path=tmp_path / "cache.json")
    assert summary.from_sites == 1
    assert any("named sites 1" in line for line in summary.lines())
    rows = {row["id"]: row for row in load_rows(path)}
    assert (rows["g-later"]["lat"], rows["g-later"]["lon"]) == ("40.4428", "-3.7821")
    assert (rows["g-later"]["geocoder"], rows["g-later"]["geo_precision"]) == ("dataset", "site")
    assert [p for p in validate_file(path) if p.row == 6] == []  # g-later passes validation


def load_rows(path):
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_editors_candidates_put_the_named_site_first(tmp_path):
    sites = load_sites(dataset=_dataset(tmp_path), sites_file="")
    found, notice = find_candidates("American School of Madrid", "ES", offline=True,
                                    sites=sites)
    assert notice is None
    first = found[0]
    assert (first.source, first.precision, first.partial) == ("dataset", "site", False)
    assert f"dataset (row {SCHOOL_ID})" in first.label()
    assert any(c.source == "gazetteer" and c.partial for c in found[1:])  # Madrid, as before
    row = apply_candidate(base_row(lat="", lon="", geocoder="", geo_precision="",
                                   place="American School of Madrid", country="ES"), first)
    assert (row["lat"], row["lon"], row["geocoder"], row["geo_precision"]) == (
        "40.4428", "-3.7821", "dataset", "site")


def test_a_hostile_site_name_is_printed_as_inert_text(tmp_path, monkeypatch):
    path = _dataset(tmp_path, base_row(id="h-evil", place="Evil\x1b[2J Site, Madrid, Spain",
                                       country="ES", lat="40.4", lon="-3.7",
                                       geo_precision="site"))
    monkeypatch.setenv("INCIDENT_MAP_DATA", str(path))
    monkeypatch.setenv("INCIDENT_MAP_GEOCODE_CACHE", str(tmp_path / "cache.json"))
    monkeypatch.delenv("INCIDENT_MAP_SITES", raising=False)
    result = CliRunner().invoke(main, ["locate", "Evil\x1b[2J Site", "--offline"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "Evil\\x1b[2J Site, Madrid, Spain" in result.stdout


def test_a_stores_rows_give_the_same_sites_as_its_file():
    """The editor on a database store finds the named sites among the store's rows."""
    from dashboard.data.stores import open_store
    from dashboard.geocoding.sites import sites_from_dataset, sites_from_rows
    from tests.conftest import CURATED

    rows = open_store(CURATED).open_snapshot().rows.values()
    from_rows = sites_from_rows(rows)
    assert from_rows and list(from_rows) == sites_from_dataset(CURATED)
