"""resolve() and geocode_file(): order of look-ups, provenance, never overwriting, no loss."""

from __future__ import annotations

import csv

import pytest

from dashboard.data.schema import GEO_PRECISIONS
from dashboard.geocoding.cache import GeocodeCache
from dashboard.geocoding.gazetteer import distance_km
from dashboard.geocoding.pipeline import (
    PRECISIONS,
    Resolver,
    coarser,
    geocode_file,
)
from tests.conftest import base_row, write_csv

PARK = "Kleiner Tiergarten park, Moabit, Berlin, Germany"


def read(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def offline_resolver(gazetteer, tmp_path):
    return Resolver(offline=True, gazetteer=gazetteer,
                    cache=GeocodeCache(tmp_path / "geocode_cache.json"))


@pytest.fixture
def online_resolver(gazetteer, tmp_path, make_online):
    return Resolver(offline=False, gazetteer=gazetteer, online=make_online(),
                    cache=GeocodeCache(tmp_path / "geocode_cache.json"))


def test_precision_words_match_the_schema():
    assert set(PRECISIONS) == set(GEO_PRECISIONS)


@pytest.mark.parametrize(("first", "second", "expected"), [
    ("site", "district", "district"),
    ("city", "district", "city"),
    ("district", "district", "district"),
    ("", "city", "city"),
    (None, "country", "country"),
    ("bogus", "city", "city"),
])
def test_coarser(first, second, expected):
    assert coarser(first, second) == expected


def test_plain_place_names_never_reach_the_network(online_resolver, nominatim_server):
    result = online_resolver.resolve("Zeytinburnu, Istanbul")
    assert result.source == "gazetteer" and result.precision == "district"
    assert distance_km(result.lat, result.lon, 40.9831, 28.8997) < 10  # Wikipedia
    assert nominatim_server.requests == []


def test_sites_go_to_nominatim_when_online(online_resolver, nominatim_server):
    result = online_resolver.resolve(PARK, "DE")
    assert (result.source, result.precision, result.country) == ("nominatim", "site", "DE")
    assert len(nominatim_server.requests) == 1


def test_sites_fall_back_to_the_gazetteer_offline(offline_resolver):
    result = offline_resolver.resolve(PARK, "DE")
    assert (result.source, result.precision) == ("gazetteer", "district")
    assert result.display_name == "Moabit, Berlin, Germany"


def test_a_far_away_nominatim_hit_is_not_trusted(online_resolver):
    result = online_resolver.resolve("A park in Moabit, Berlin, Germany", "DE")
    assert result.source == "gazetteer"
    assert result.ambiguous is True
    assert result.candidates[0]["source"] == "nominatim"


def test_json_fields(offline_resolver):
    data = offline_resolver.resolve("Pozuelo de Alarcon").as_json()
    assert list(data) == ["query", "lat", "lon", "display_name", "country", "precision",
                          "source", "ambiguous", "partial"]
    assert data["country"] == "ES" and data["precision"] == "city"


# --------------------------------------------------------------------------- files


def dataset(tmp_path, *rows):
    return write_csv(tmp_path / "incidents.csv", list(rows))


def test_geocode_file_fills_only_empty_coordinates(tmp_path, offline_resolver):
    path = dataset(
        tmp_path,
        base_row(id="manual", place="Moabit, Berlin, Germany", lat="52.5262", lon="13.34",
                 geocoder="manual", geo_precision="site"),
        base_row(id="present", place="Paris", lat="1.5", lon="2.5", geocoder="gazetteer",
                 geo_precision="city"),
        base_row(id="site", place=PARK, lat="", lon="", geocoder="", geo_precision="site"),
        base_row(id="city-claim", place="Zeytinburnu, Istanbul", country="TR", lat="",
                 lon="", geocoder="", geo_precision="city"),
        base_row(id="no-claim", place="Pozuelo de Alarcón, Madrid, Spain", country="ES",
                 lat="", lon="", geocoder="", geo_precision=""),
        base_row(id="unknown", place="Nowhere Village, Spain", country="ES", lat="", lon="",
                 geocoder="", geo_precision="city"),
        base_row(id="half", place="Berlin", lat="52.5", lon="", geocoder="",
                 geo_precision="city"),
    )
    before = read(path)
    summary = geocode_file(path, resolver=offline_resolver, progress=False)
    after = {row["id"]: row for row in read(path)}

    assert after["manual"] == before[0]                       # untouched
    assert after["present"] == before[1]                      # never overwritten
    assert after["half"] == before[6]
    assert after["site"]["geocoder"] == "gazetteer"
    assert after["site"]["geo_precision"] == "district"      # gazetteer fell back to district
    assert distance_km(float(after["site"]["lat"]), float(after["site"]["lon"]),
                       52.5300, 13.3420) < 8
    assert after["city-claim"]["geo_precision"] == "city"    # not more than the row claims
    assert after["no-claim"]["geo_precision"] == "city"
    assert after["unknown"]["lat"] == "" and after["unknown"]["geocoder"] == ""

    assert (summary.rows, summary.resolved, summary.already_located, summary.manual) == (
        7, 3, 2, 1)
    assert [issue.row for issue in summary.unresolved] == [7, 8]
    text = "\n".join(summary.lines())
    assert "row 7 (unknown)" in text and "no place of that name in ES" in text
    assert "row 8 (half)" in text and "column lon is empty" in text


def test_other_columns_survive_unchanged(tmp_path, offline_resolver):
    path = dataset(tmp_path, base_row(id="a", place="Kiev", country="UA", lat="", lon="",
                                      geocoder="", summary='Quotes "and", commas\nand lines'))
    geocode_file(path, resolver=offline_resolver, progress=False)
    [row] = read(path)
    assert row["summary"] == 'Quotes "and", commas\nand lines'
    assert row["sources"] == base_row()["sources"]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_carriage_return_in_a_cell_stays_quoted(tmp_path, offline_resolver, newline):
    """A quoted CR was written back unquoted, and the file no longer validated."""
    from dashboard.data.schema import validate_file

    path = dataset(tmp_path, base_row(id="a", place="Kiev", country="UA", lat="", lon="",
                                      geocoder="", notes="line one\rline two"))
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(
        b"\n", newline.encode()))
    geocode_file(path, resolver=offline_resolver, progress=False)
    [row] = read(path)
    assert row["notes"] == "line one\rline two" and row["lat"] != ""
    assert validate_file(path) == []


def test_dry_run_changes_nothing(tmp_path, offline_resolver):
    path = dataset(tmp_path, base_row(id="a", place="Kiev", country="UA", lat="", lon="",
                                      geocoder=""))
    before = path.read_bytes()
    summary = geocode_file(path, resolver=offline_resolver, dry_run=True, progress=False)
    assert summary.resolved == 1 and not summary.written
    assert path.read_bytes() == before
    assert "  dry run: nothing was written" in summary.lines()


def test_ambiguous_places_are_reported_with_candidates(tmp_path, offline_resolver):
    path = dataset(tmp_path, base_row(id="a", place="Valencia", country="", lat="", lon="",
                                      geocoder=""))
    summary = geocode_file(path, resolver=offline_resolver, progress=False)
    [issue] = summary.ambiguous
    assert "Valencia, Spain" in str(issue) or "(ES," in str(issue)


def test_a_failure_midway_keeps_what_was_resolved(tmp_path, gazetteer, make_online,
                                                  nominatim_server):
    places = [PARK, "American School of Madrid, Pozuelo de Alarcon, Spain",
              "Millennium Hotel, Mayfair, London, UK", "Kreittmayrstrasse 7, Munich, Germany"]
    path = dataset(tmp_path, *[
        base_row(id=f"row{i}", place=place, country="", lat="", lon="", geocoder="",
                 geo_precision="site")
        for i, place in enumerate(places)
    ])
    cache_path = tmp_path / "geocode_cache.json"
    nominatim_server.fail_after = 2            # the third request onwards gets 500s

    def resolver():
        return Resolver(offline=False, gazetteer=gazetteer, cache=GeocodeCache(cache_path),
                        online=make_online(retries=1, min_delay_seconds=0.0))

    summary = geocode_file(path, resolver=resolver(), progress=False, checkpoint_every=100)
    assert summary.error and "did not answer" in summary.error
    assert summary.written
    rows = read(path)
    assert [bool(row["lat"]) for row in rows] == [True, True, False, False]
    assert rows[0]["geocoder"] == "nominatim" and rows[0]["geo_precision"] == "site"

    # The service recovers: the next run asks only for what is still missing.
    nominatim_server.fail_after = None
    sent = len(nominatim_server.requests)
    summary = geocode_file(path, resolver=resolver(), progress=False)
    assert summary.error is None and summary.resolved == 2
    assert len(nominatim_server.requests) - sent == 2
    assert all(row["lat"] for row in read(path))


def test_missing_columns_are_a_clear_error(tmp_path, offline_resolver):
    from dashboard.geocoding.errors import GeocodingError

    path = tmp_path / "x.csv"
    path.write_text("id,place\na,Berlin\n", encoding="utf-8")
    with pytest.raises(GeocodingError, match="missing column"):
        geocode_file(path, resolver=offline_resolver, progress=False)


def test_a_row_with_more_cells_than_the_header_is_refused_not_cut(tmp_path, offline_resolver):
    from dashboard.geocoding.errors import GeocodingError

    path = dataset(tmp_path, base_row(id="a", place="Kiev", lat="", lon="", geocoder=""),
                   base_row(id="b", place="Warszawa", lat="", lon="", geocoder=""))
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0], lines[1], lines[2] + ",kept by hand"]) + "\n",
                    encoding="utf-8")
    before = path.read_bytes()
    columns = len(lines[0].split(","))
    with pytest.raises(GeocodingError,
                       match=f"row 3 has {columns + 1} cells but the header has {columns}"):
        geocode_file(path, resolver=offline_resolver, progress=False)
    assert path.read_bytes() == before


def test_a_spreadsheet_file_keeps_its_bom_and_line_endings(tmp_path, offline_resolver):
    plain = dataset(tmp_path, base_row(id="a", place="Kiev", country="UA", lat="", lon="",
                                       geocoder=""))
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes().replace(b"\n", b"\r\n"))
    summary = geocode_file(path, resolver=offline_resolver, progress=False)
    assert summary.resolved == 1
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfid,") and data.count(b"\r\n") == 2
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_issues_name_the_row_a_spreadsheet_shows(tmp_path, offline_resolver):
    plain = dataset(tmp_path, base_row(id="a", place="Kiev", country="UA", lat="", lon="",
                                       geocoder=""),
                    base_row(id="b", place="Nowhere Village, Spain", country="ES", lat="",
                             lon="", geocoder=""))
    header, first, second = plain.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "blank.csv"
    path.write_text("\n".join([header, first, "", second]) + "\n", encoding="utf-8")
    summary = geocode_file(path, resolver=offline_resolver, progress=False)
    assert [(issue.row, issue.id) for issue in summary.unresolved] == [(4, "b")]
    assert [row["id"] for row in read(path)] == ["a", "b"]


def test_a_fallback_is_written_at_region_precision_and_listed_as_partial(tmp_path, offline_resolver):
    path = dataset(
        tmp_path,
        base_row(id="village", place="Zzyzxville, Kharkiv, Ukraine", country="UA", lat="",
                 lon="", geocoder="", geo_precision="city"),
        base_row(id="town", place="Santarém, Pará, Brazil", country="BR", lat="", lon="",
                 geocoder="", geo_precision="city"),
    )
    summary = geocode_file(path, resolver=offline_resolver, progress=False)
    after = {row["id"]: row for row in read(path)}
    assert after["village"]["geo_precision"] == "region"     # never "city" for a guess
    assert after["town"]["geo_precision"] == "city"
    assert distance_km(float(after["town"]["lat"]), float(after["town"]["lon"]), -2.43, -54.70) < 25
    assert [issue.id for issue in summary.partial] == ["village"]
    assert "partial (only part of the place matched; precision lowered): 1" in "\n".join(
        summary.lines())


def test_a_province_answer_and_a_place_outside_the_province_are_reported(tmp_path, offline_resolver):
    path = dataset(
        tmp_path,
        base_row(id="creek", place="Zzyzx Creek, Ontario, Canada", country="CA", lat="",
                 lon="", geocoder="", geo_precision="city"),
        base_row(id="elsewhere", place="Charlottetown, Newfoundland and Labrador, Canada",
                 country="CA", lat="", lon="", geocoder="", geo_precision="city"),
    )
    summary = geocode_file(path, resolver=offline_resolver, progress=False)
    after = {row["id"]: row for row in read(path)}
    assert after["creek"]["geo_precision"] == "region"       # the province, not a city
    # The only Charlottetown known is in another province: the answer is the province
    # named, at region precision, and the row's notes say why.
    assert after["elsewhere"]["geo_precision"] == "region"
    assert [issue.id for issue in summary.partial] == ["creek", "elsewhere"]
    assert 'no "Charlottetown" known in Newfoundland' in after["elsewhere"]["notes"]
    text = "\n".join(summary.lines())
    assert "Prince Edward Island" in text
