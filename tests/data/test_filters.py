"""Filters: URL round trips, notices for bad values, applying them to a dataset."""

from __future__ import annotations

import pytest

from dashboard.data.filters import (
    Filters,
    apply_filters,
    describe,
    file_stem,
    parse_query_params,
    to_query_params,
    year_span,
)
from dashboard.data.loading import load_incidents
from tests.conftest import base_row


@pytest.fixture
def incidents(make_dataset):
    rows = [
        base_row(),
        base_row(id="madrid", date="2025-05-21", country="ES", title="Andriy Portnov shot dead",
                 place="Pozuelo de Alarcón, Madrid, Spain", attribution="unknown"),
        base_row(id="alicante", date="2024-02", date_precision="month", country="ES",
                 title="Maxim Kuzminov shot dead", place="Villajoyosa, Alicante, Spain",
                 attribution="suspected", target="Maxim Kuzminov"),
        base_row(id="warsaw", date="2022-03-23", country="PL", event_type="diplomatic_expulsion",
                 title="Poland expels 45", persons="45", fatalities="", counterpart_country="RU"),
        base_row(id="balkans", date="2022", date_precision="year", country="AL",
                 event_type="assessment", title="Assessment: arms", lat="", lon="", geocoder="",
                 attribution="alleged", geo_precision="region"),
    ]
    return load_incidents(make_dataset(rows))


def test_spec_example_url_parses():
    filters, notices = parse_query_params({
        "years": "2019-2025", "country": "DE,ES", "type": "killing",
        "attribution": "confirmed,suspected", "q": "portnov",
    })
    assert notices == []
    assert filters == Filters(years=(2019, 2025), countries=("DE", "ES"), event_types=("killing",),
                              attributions=("confirmed", "suspected"), query="portnov")


def test_round_trip_through_the_url():
    filters = Filters(years=(2011, 2024), countries=("TR", "DE"), event_types=("killing", "arrest"),
                      attributions=("unknown",), query="Krasikov Berlin")
    assert parse_query_params(to_query_params(filters)) == (filters, [])


def test_full_span_is_left_out_of_the_url():
    assert to_query_params(Filters(years=(1940, 2025)), full_span=(1940, 2025)) == {}
    assert to_query_params(Filters(years=(1941, 2025)), full_span=(1940, 2025)) == {"years": "1941-2025"}


@pytest.mark.parametrize(
    ("params", "notice"),
    [
        ({"years": "2025-2019"}, "Ignored years=2025-2019"),
        ({"years": "soon"}, "Ignored years=soon"),
        ({"country": "Narnia"}, "Ignored country=Narnia"),
        ({"type": "murder"}, "Ignored type=murder"),
        ({"attribution": "maybe"}, "Ignored attribution=maybe"),
        ({"zoom": "3"}, "Ignored unknown parameter 'zoom'"),
    ],
)
def test_malformed_values_are_ignored_with_a_notice(params, notice):
    filters, notices = parse_query_params(params)
    assert filters == Filters()
    assert len(notices) == 1 and notices[0].startswith(notice)


def test_good_values_survive_next_to_bad_ones():
    filters, notices = parse_query_params({"country": "ES,Narnia,germany", "type": "killing,murder"})
    assert filters.countries == ("ES", "DE") and filters.event_types == ("killing",)
    assert len(notices) == 2


def test_page_parameters_are_not_notices():
    assert parse_query_params({"view": "briefing", "incident": "x"}) == (Filters(), [])


def test_single_year_and_list_values():
    assert parse_query_params({"years": "2022"})[0].years == (2022, 2022)
    assert parse_query_params({"country": ["DE", "ES"]})[0].countries == ("DE", "ES")


def ids(frame):
    return sorted(frame["id"])


def test_apply_each_filter(incidents):
    assert ids(apply_filters(incidents, Filters())) == ids(incidents)
    assert ids(apply_filters(incidents, Filters(years=(2024, 2025)))) == ["alicante", "madrid"]
    assert ids(apply_filters(incidents, Filters(countries=("ES",)))) == ["alicante", "madrid"]
    assert ids(apply_filters(incidents, Filters(event_types=("diplomatic_expulsion",)))) == ["warsaw"]
    assert ids(apply_filters(incidents, Filters(attributions=("suspected", "alleged")))) == [
        "alicante", "balkans"]


def test_search_is_case_and_accent_insensitive_over_people_and_places(incidents):
    assert ids(apply_filters(incidents, Filters(query="PORTNOV"))) == ["madrid"]
    assert ids(apply_filters(incidents, Filters(query="alarcon"))) == ["madrid"]
    assert ids(apply_filters(incidents, Filters(query="kuzminov villajoyosa"))) == ["alicante"]
    assert ids(apply_filters(incidents, Filters(query="kuzminov berlin"))) == []


def test_filters_combine(incidents):
    both = Filters(years=(2024, 2025), countries=("ES",), attributions=("unknown",))
    assert ids(apply_filters(incidents, both)) == ["madrid"]


def test_year_span(incidents):
    assert year_span(incidents) == (2019, 2025)
    assert year_span(incidents.iloc[0:0]) is None


def test_describe_and_file_stem():
    filters = Filters(years=(2019, 2025), countries=("DE", "ES"), event_types=("killing",))
    assert describe(filters) == "Killings, 2019–2025, Germany and Spain"
    assert file_stem(filters) == "incidents_2019-2025_DE-ES_killing"
    assert describe(Filters()) == "All incidents"
    assert file_stem(Filters(query="Pozuelo de Alarcón!")) == "incidents_pozuelo-de-alarcon"
