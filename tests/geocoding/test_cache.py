"""The persistent cache: real files written and read back; a second run sends nothing."""

from __future__ import annotations

import json

import pytest

from dashboard.geocoding.cache import GeocodeCache, cache_key
from dashboard.geocoding.errors import GeocodingError
from dashboard.geocoding.pipeline import Resolver

PARK = "Kleiner Tiergarten park, Moabit, Berlin, Germany"


def test_round_trip_through_the_file(tmp_path):
    path = tmp_path / "data" / "geocode_cache.json"
    cache = GeocodeCache(path)
    cache.put("nominatim", PARK, "DE", {"lat": 52.5258, "lon": 13.3412, "precision": "site"})
    cache.put("nominatim", "Nowhere", None, None)

    again = GeocodeCache(path)
    assert again.get("nominatim", PARK, "de")["lat"] == 52.5258
    assert again.lookup("nominatim", "Nowhere") is None          # "not found" is remembered
    with pytest.raises(KeyError):
        again.lookup("nominatim", "Never asked")
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == 1
    assert cache_key("nominatim", PARK, "DE") in document["entries"]
    assert [p.name for p in path.parent.iterdir()] == ["geocode_cache.json"]  # no temp files


def test_keys_ignore_case_and_spacing():
    assert cache_key("nominatim", "  Moabit,   Berlin ", "de") == "nominatim|DE|moabit, berlin"


def test_a_read_only_cache_writes_nothing(tmp_path):
    path = tmp_path / "geocode_cache.json"
    cache = GeocodeCache(path, read_only=True)
    cache.put("nominatim", PARK, None, None)
    assert cache.lookup("nominatim", PARK) is None
    assert not path.exists()


@pytest.mark.parametrize("content", ["{not json", '["a list"]', '{"format": 1}'])
def test_a_broken_cache_file_is_a_clear_error(tmp_path, content):
    path = tmp_path / "geocode_cache.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(GeocodingError, match="geocode_cache.json"):
        GeocodeCache(path)


@pytest.mark.parametrize(("entry", "why"), [
    ('"Berlin"', "a str, not an object or null"),
    ("[52.5, 13.4]", "a list, not an object or null"),
    ('{"lat": "52.5", "lon": 13.4}', "lat is not a number"),
    ('{"lat": 52.5}', "lon is not a number"),
    ('{"lat": true, "lon": 13.4}', "lat is not a number"),
    ('{"lat": 52.5, "lon": 1e999}', "lon inf is outside -180..180"),
    ('{"lat": 91, "lon": 13.4}', "lat 91 is outside -90..90"),
    ('{"lat": 52.5, "lon": 13.4, "display_name": ["x"]}', "display_name is not text"),
    ('{"lat": 52.5, "lon": 13.4, "precision": "galaxy"}', "precision 'galaxy' is not one of"),
])
def test_a_wrong_typed_entry_is_one_clear_line(tmp_path, entry, why):
    path = tmp_path / "geocode_cache.json"
    path.write_text('{"format": 1, "entries": {"nominatim||moabit": ' + entry + "}}",
                    encoding="utf-8")
    with pytest.raises(GeocodingError) as caught:
        GeocodeCache(path)
    assert why in str(caught.value) and "'nominatim||moabit'" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_second_run_sends_no_request(tmp_path, gazetteer, make_online, nominatim_server):
    path = tmp_path / "geocode_cache.json"
    queries = [(PARK, "DE"), ("Unknown Street 1, Berlin, Germany", "DE")]

    first = Resolver(offline=False, gazetteer=gazetteer, online=make_online(),
                     cache=GeocodeCache(path))
    answers = [first.resolve(place, country) for place, country in queries]
    assert len(nominatim_server.requests) == 2
    assert answers[0].source == "nominatim" and not answers[0].from_cache

    second = Resolver(offline=False, gazetteer=gazetteer, online=make_online(),
                      cache=GeocodeCache(path))
    again = [second.resolve(place, country) for place, country in queries]
    assert len(nominatim_server.requests) == 2          # nothing new was sent
    assert again[0].from_cache and (again[0].lat, again[0].lon) == (52.5258, 13.3412)
    # Nominatim found nothing for the second: the gazetteer's coarser answer stands.
    assert again[1].source == "gazetteer" and again[1].precision == "city"
    assert again[1].display_name == "Berlin, Germany"


def test_offline_runs_use_cached_answers(tmp_path, gazetteer, make_online, nominatim_server):
    path = tmp_path / "geocode_cache.json"
    Resolver(offline=False, gazetteer=gazetteer, online=make_online(),
             cache=GeocodeCache(path)).resolve(PARK, "DE")
    offline = Resolver(offline=True, gazetteer=gazetteer, cache=GeocodeCache(path))
    result = offline.resolve(PARK, "DE")
    assert result.source == "nominatim" and result.from_cache and result.precision == "site"
    assert len(nominatim_server.requests) == 1
