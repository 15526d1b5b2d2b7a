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
    assert chosen["geo_precision"] == "city" and chosen["geocoder"] == "gazetteer"
    assert abs(float(chosen["lat"]) - 40.4165) < 0.01


def test_a_hand_set_point_is_never_replaced_by_a_candidate():
    row = base_row()  # geocoder manual, coordinates set
    with pytest.raises(ManualPoint):
        apply_candidate(row, Candidate("Berlin, Germany", 52.52, 13.41, "city", "gazetteer"))


def test_a_point_placed_by_hand_is_manual_and_wraps_longitudes():
    row = apply_manual_point(base_row(geocoder="gazetteer"), 40.45, -3.75 + 360)
    assert (row["geocoder"], row["geo_precision"], row["lon"]) == ("manual", "site", "-3.75")
