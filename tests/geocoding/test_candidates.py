"""Candidates for the editor: the offline gazetteer, partial matches, manual points kept."""

from __future__ import annotations

import pytest

from dashboard.geocoding.candidates import (
    Candidate,
    ManualPoint,
    apply_candidate,
    apply_manual_point,
    find_candidates,
)
from tests.conftest import base_row


def test_a_site_the_gazetteer_does_not_know_gives_its_town_as_a_partial_candidate():
    found, notice = find_candidates("American School of Madrid", offline=True)
    assert notice is None
    assert found[0].name == "Madrid, Spain" and found[0].partial
    assert found[0].precision == "city"  # never "site": the school itself was not found


def test_a_town_gives_its_namesakes_best_first_and_a_country_narrows_them():
    found, _ = find_candidates("Berlin", offline=True)
    assert found[0].name == "Berlin, Germany" and len(found) > 1
    assert not found[0].partial
    only_us, _ = find_candidates("Berlin", "US", offline=True)
    assert only_us and all(c.country == "US" for c in only_us)


def test_nothing_found_is_an_empty_list():
    assert find_candidates("Qqqxzv Wwwkj", offline=True)[0] == []


def test_choosing_a_candidate_records_its_precision_and_source():
    row = base_row(lat="", lon="", geocoder="", geo_precision="site",
                   place="American School of Madrid", country="ES")
    found, _ = find_candidates(row["place"], "ES", offline=True)
    chosen = apply_candidate(row, found[0])
    # only part of the text matched (Madrid): never the site's precision, but what was found
    assert chosen["geo_precision"] == found[0].precision
    assert chosen["geo_precision"] in ("city", "region") and chosen["geocoder"] == "gazetteer"
    assert abs(float(chosen["lat"]) - 40.4165) < 0.01


def test_a_hand_set_point_is_never_replaced_by_a_candidate():
    row = base_row()  # geocoder manual, coordinates set
    with pytest.raises(ManualPoint):
        apply_candidate(row, Candidate("Berlin, Germany", 52.52, 13.41, "city", "gazetteer"))


def test_a_point_placed_by_hand_is_manual_and_wraps_longitudes():
    row = apply_manual_point(base_row(geocoder="gazetteer"), 40.45, -3.75 + 360)
    assert (row["geocoder"], row["geo_precision"], row["lon"]) == ("manual", "site", "-3.75")


def test_online_candidates_come_first_with_their_site_precision(make_online):
    """Nominatim (a loopback server answering as Nominatim does) finds the school itself."""
    place = "American School of Madrid, Pozuelo de Alarcon, Spain"
    found, notice = find_candidates(place, offline=False, online=make_online())
    assert notice is None
    assert (found[0].name, found[0].source, found[0].precision) == (
        "American School of Madrid", "nominatim", "site")
    assert any(c.source == "gazetteer" for c in found[1:])


def test_a_failing_nominatim_leaves_the_gazetteer_and_a_notice(make_online, nominatim_server):
    nominatim_server.default = "500"
    found, notice = find_candidates("Villajoyosa, Spain", offline=False,
                                    online=make_online(retries=0))
    assert notice and "Nominatim did not answer" in notice
    assert [c.source for c in found] == ["gazetteer"]


def test_ambiguous_gazetteer_rows_are_found_for_the_review_queue():
    from dashboard.data.review import review_queue
    from dashboard.geocoding.candidates import ambiguous_rows

    rows = [base_row(id="a-1", place="Springfield", country="", geocoder="gazetteer",
                     geo_precision="city"),
            base_row(id="b-2", place="Springfield", country="", geocoder="manual",
                     notes="site from the ruling"),
            base_row(id="c-3", place="Villajoyosa, Spain", country="ES", geocoder="gazetteer",
                     geo_precision="city")]
    found = ambiguous_rows(rows)
    assert list(found) == ["a-1"] and found["a-1"].startswith("ambiguous geocode: also ")
    import pandas as pd

    queue = review_queue(pd.DataFrame(rows).drop(columns=["checked"]), extra=found)
    assert queue["id"].tolist() == ["a-1"]
