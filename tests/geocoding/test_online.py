"""Nominatim through the real geopy client, over HTTP, against a loopback server."""

from __future__ import annotations

import time

import pytest

from dashboard.geocoding.errors import ServiceUnavailable
from dashboard.geocoding.online import USER_AGENT, OnlineGeocoder, RateLimiter, precision_of

PARK = "Kleiner Tiergarten park, Moabit, Berlin, Germany"


def test_found(make_online, nominatim_server):
    location = make_online().geocode(PARK, country_codes="DE")
    assert (location.latitude, location.longitude) == (52.5258, 13.3412)
    assert location.raw["precision"] == "site"
    assert location.raw["country"] == "DE"
    assert location.raw["source"] == "nominatim"
    [request] = nominatim_server.requests
    assert request["path"] == "/search"
    assert request["params"]["format"] == "json"
    assert request["params"]["q"] == PARK
    assert request["params"]["countrycodes"] == "de"
    assert request["user_agent"] == USER_AGENT
    assert request["user_agent"].startswith("incident-map/")


def test_not_found(make_online, nominatim_server):
    assert make_online().geocode("Nowhere at all") is None
    assert len(nominatim_server.requests) == 1


def test_429_then_success(make_online, nominatim_server, clock):
    nominatim_server.behaviours.extend(["429"])
    location = make_online(backoff_seconds=0.5).geocode(PARK)
    assert location.raw["name"] == "Kleiner Tiergarten"
    assert len(nominatim_server.requests) == 2
    assert clock.sleeps[0] == 0.5        # back-off before the second try


def test_500_repeated_is_a_clear_error(make_online, nominatim_server, clock):
    nominatim_server.default = "500"
    with pytest.raises(ServiceUnavailable) as caught:
        make_online(retries=3, backoff_seconds=0.5, min_delay_seconds=0.0).geocode(PARK)
    message = str(caught.value)
    assert f"http://{nominatim_server.domain}" in message
    assert "after 4 attempts" in message and "--offline" in message
    assert len(nominatim_server.requests) == 4
    assert clock.sleeps == [0.5, 1.0, 2.0]   # exponential back-off between the 4 tries


def test_back_off_is_capped_and_honours_retry_after(make_online):
    online = make_online(backoff_seconds=2.0, max_backoff_seconds=5.0)

    class Limited(Exception):
        retry_after = 30

    assert online._backoff(0, Exception()) == 2.0
    assert online._backoff(5, Exception()) == 5.0
    assert online._backoff(0, Limited()) == 5.0


def test_a_hang_past_the_timeout_is_retried_then_reported(make_online, nominatim_server):
    nominatim_server.default = "hang"
    nominatim_server.hang_seconds = 1.5
    online = make_online(timeout=0.3, retries=1)
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable, match="after 2 attempts"):
        online.geocode(PARK)
    assert time.monotonic() - started < 1.5
    assert len(nominatim_server.requests) == 2


def test_a_hang_then_an_answer(make_online, nominatim_server):
    nominatim_server.behaviours.extend(["hang"])
    nominatim_server.hang_seconds = 1.0
    location = make_online(timeout=0.3, retries=2).geocode(PARK)
    assert location.raw["name"] == "Kleiner Tiergarten"


def test_refusal_is_not_retried(make_online, nominatim_server):
    nominatim_server.default = "403"
    with pytest.raises(ServiceUnavailable, match="refused"):
        make_online(retries=3).geocode(PARK)
    assert len(nominatim_server.requests) == 1


def test_at_most_one_request_a_second(make_online, nominatim_server, clock):
    online = make_online(min_delay_seconds=1.0)
    for _ in range(3):
        online.geocode(PARK)
    assert len(nominatim_server.requests) == 3
    assert clock.sleeps == pytest.approx([1.0, 1.0])   # waited before the 2nd and 3rd
    assert clock.now == pytest.approx(2.0)


def test_rate_limiter_takes_sleep_and_clock():
    now = [100.0]
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        now[0] += seconds

    limited = RateLimiter(lambda x: x * 2, min_delay_seconds=1.0, sleep=sleep,
                          clock=lambda: now[0])
    assert [limited(1), limited(2)] == [2, 4]
    assert waits == [1.0]


def test_nominatim_url_from_the_environment(monkeypatch, nominatim_server):
    monkeypatch.setenv("INCIDENT_MAP_NOMINATIM_URL", f"http://{nominatim_server.domain}")
    online = OnlineGeocoder(min_delay_seconds=0.0)
    assert online.endpoint == f"http://{nominatim_server.domain}"
    assert online.geocode(PARK).raw["country"] == "DE"


@pytest.mark.parametrize(("raw", "precision"), [
    ({"class": "leisure", "type": "park", "addresstype": "leisure"}, "site"),
    ({"class": "amenity", "type": "school", "addresstype": "amenity"}, "site"),
    ({"class": "place", "type": "suburb", "addresstype": "suburb"}, "district"),
    ({"class": "place", "type": "city", "addresstype": "city"}, "city"),
    ({"class": "boundary", "type": "administrative", "addresstype": "state"}, "region"),
    ({"class": "boundary", "type": "administrative", "addresstype": "country"}, "country"),
])
def test_precision_of_nominatim_answers(raw, precision):
    assert precision_of(raw) == precision
