"""Fixtures for the geocoding tests: the real gazetteer index and a loopback Nominatim."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from dashboard.geocoding.gazetteer import GeoNamesGazetteer
from dashboard.geocoding.online import OnlineGeocoder, make_nominatim

#: What the loopback server knows, as Nominatim's /search?format=json answers it.
KLEINER_TIERGARTEN = {
    "place_id": 101,
    "licence": "Data (c) OpenStreetMap contributors, ODbL 1.0. https://osm.org/copyright",
    "osm_type": "way",
    "osm_id": 4471981,
    "lat": "52.5258",
    "lon": "13.3412",
    "class": "leisure",
    "type": "park",
    "addresstype": "leisure",
    "place_rank": 24,
    "importance": 0.2,
    "name": "Kleiner Tiergarten",
    "display_name": "Kleiner Tiergarten, Moabit, Mitte, Berlin, 10551, Deutschland",
    "address": {"leisure": "Kleiner Tiergarten", "suburb": "Moabit", "city": "Berlin",
                "country": "Deutschland", "country_code": "de"},
    "boundingbox": ["52.5251", "52.5265", "13.3371", "13.3453"],
}


def _site(name: str, lat: float, lon: float, country_code: str, osm_id: int) -> dict:
    return {
        **KLEINER_TIERGARTEN,
        "osm_id": osm_id, "lat": str(lat), "lon": str(lon), "name": name,
        "display_name": name, "class": "amenity", "type": "school", "addresstype": "amenity",
        "address": {"amenity": name, "country_code": country_code},
    }


class FakeNominatim:
    """A loopback server that answers ``/search`` as Nominatim does.

    ``behaviours`` is consumed one per request (``"ok"``, ``"429"``, ``"500"``,
    ``"403"``, ``"hang"``); when empty, ``default`` applies. After
    ``fail_after`` answered requests every request gets a 500.
    """

    def __init__(self):
        self.places: dict[str, list[dict]] = {
            "kleiner tiergarten park, moabit, berlin, germany": [KLEINER_TIERGARTEN],
            "american school of madrid, pozuelo de alarcon, spain": [
                _site("American School of Madrid", 40.4374, -3.8209, "es", 5001)],
            "millennium hotel, mayfair, london, uk": [
                _site("Millennium Hotel London Mayfair", 51.5115, -0.1522, "gb", 5002)],
            "esenboga airport terminal, turkey": [
                _site("Esenboga Airport", 40.1281, 32.9951, "tr", 5003)],
            "kreittmayrstrasse 7, munich, germany": [
                _site("Kreittmayrstrasse 7", 48.1509, 11.5562, "de", 5004)],
            "a park in moabit, berlin, germany": [  # a wrong hit, far from Berlin
                _site("Moabit Park", 40.0, -100.0, "us", 5005)],
        }
        self.behaviours: deque[str] = deque()
        self.default = "ok"
        self.fail_after: int | None = None
        self.hang_seconds = 1.5
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _next_behaviour(self) -> str:
        with self._lock:
            answered = len(self.requests)
            if self.fail_after is not None and answered > self.fail_after:
                return "500"
            return self.behaviours.popleft() if self.behaviours else self.default

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _send(self, status: int, body: bytes, headers: dict | None = None):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self):
                url = urlparse(self.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                with fake._lock:
                    fake.requests.append({
                        "path": url.path, "params": params,
                        "user_agent": self.headers.get("User-Agent", ""),
                    })
                behaviour = fake._next_behaviour()
                if behaviour == "hang":
                    time.sleep(fake.hang_seconds)  # deliberate delay: a server that hangs
                    return self._send(200, b"[]")
                if behaviour in ("429", "500", "403"):
                    headers = {"Retry-After": "0"} if behaviour == "429" else {}
                    return self._send(int(behaviour), b'{"error": "scripted"}', headers)
                if url.path != "/search" or params.get("format") != "json":
                    return self._send(400, b'{"error": "bad request"}')
                query = " ".join(params.get("q", "").split()).casefold()
                answer = fake.places.get(query, [])
                limit = int(params.get("limit", "10"))
                return self._send(200, json.dumps(answer[:limit]).encode("utf-8"))

        return Handler

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class FakeClock:
    """An injected clock and sleep: sleeping moves the clock on and returns at once."""

    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def nominatim_server():
    with FakeNominatim() as server:
        yield server


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def make_online(nominatim_server, clock):
    """``make_online(**options) -> OnlineGeocoder`` talking HTTP to the loopback server."""

    def make(timeout: float = 2.0, **options):
        geocoder = make_nominatim(domain=nominatim_server.domain, scheme="http", timeout=timeout)
        options.setdefault("sleep", clock.sleep)
        options.setdefault("clock", clock)
        options.setdefault("backoff_seconds", 0.5)
        return OnlineGeocoder(geocoder, **options)

    return make


@pytest.fixture(scope="session")
def gazetteer():
    """The real GeoNames index (built once into the user cache directory if missing)."""
    gazetteer = GeoNamesGazetteer()
    gazetteer.geocode("Berlin")  # opens, or builds, the index
    yield gazetteer
    gazetteer.close()
