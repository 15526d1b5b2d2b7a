"""Nominatim through geopy: a descriptive user agent, at most one request a second,
retries with exponential back-off, and one clear error when the service stays down.

Example::

    geocoder = OnlineGeocoder()
    geocoder.geocode("American School of Madrid").raw["precision"]
    # 'site'

Throttling wraps the callable (``geopy.extra.rate_limiter.RateLimiter``) and the
retries wrap the throttled call; both take ``sleep`` and ``clock`` callables so
tests run without waiting.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable

from geopy.adapters import RequestsAdapter, URLLibAdapter
from geopy.exc import (
    GeocoderRateLimited,
    GeocoderServiceError,
    GeocoderTimedOut,
    GeocoderUnavailable,
)
from geopy.extra.rate_limiter import RateLimiter as GeopyRateLimiter
from geopy.geocoders import Nominatim
from geopy.location import Location

from dashboard import __version__
from dashboard.geocoding.errors import ServiceUnavailable

DEFAULT_DOMAIN = "nominatim.openstreetmap.org"
#: Nominatim's usage policy asks for an agent that names the application.
USER_AGENT = f"incident-map/{__version__} (sourced incident map; geocoding of curated place names)"

#: Nominatim's ``addresstype`` (or ``type``) mapped to the dataset's precision words.
_PRECISIONS = {
    "country": "country",
    "state": "region", "region": "region", "province": "region", "county": "region",
    "state_district": "region", "municipality": "city",
    "city": "city", "town": "city", "village": "city", "hamlet": "city",
    "administrative": "city",
    "suburb": "district", "city_district": "district", "borough": "district",
    "quarter": "district", "neighbourhood": "district", "district": "district",
}


class RateLimiter(GeopyRateLimiter):
    """geopy's RateLimiter with its sleep and clock passed in rather than patched."""

    def __init__(
        self,
        func: Callable,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        **options,
    ):
        super().__init__(func, **options)
        self._sleep_function = sleep
        self._clock_function = clock

    def _sleep(self, seconds: float) -> None:
        self._sleep_function(seconds)

    def _clock(self) -> float:
        return self._clock_function()


def _adapter_without_retries(*, proxies, ssl_context):
    """geopy's HTTP adapter with the transport's own retries off: retries are ours,
    spaced by the rate limit and the back-off, and counted."""
    if RequestsAdapter.is_available:
        return RequestsAdapter(proxies=proxies, ssl_context=ssl_context, max_retries=0)
    return URLLibAdapter(proxies=proxies, ssl_context=ssl_context)


def make_nominatim(
    *,
    domain: str | None = None,
    scheme: str | None = None,
    timeout: float = 10.0,
    user_agent: str | None = None,
) -> Nominatim:
    """geopy's Nominatim; ``$INCIDENT_MAP_NOMINATIM_URL`` points it at another server."""
    url = os.environ.get("INCIDENT_MAP_NOMINATIM_URL", "")
    if domain is None and url:
        env_scheme, _, env_domain = url.partition("://")
        domain, scheme = env_domain.rstrip("/"), scheme or env_scheme
    return Nominatim(
        domain=domain or DEFAULT_DOMAIN,
        scheme=scheme or "https",
        timeout=timeout,
        user_agent=user_agent or os.environ.get("INCIDENT_MAP_USER_AGENT") or USER_AGENT,
        adapter_factory=_adapter_without_retries,
    )


def _status(error: BaseException) -> int | None:
    return getattr(error.__cause__, "status_code", None)


def is_retryable(error: BaseException) -> bool:
    """Time-outs, refused connections, 429 and 5xx are worth another try; 4xx are not."""
    if isinstance(error, GeocoderTimedOut | GeocoderUnavailable | GeocoderRateLimited):
        return True
    if isinstance(error, GeocoderServiceError):
        status = _status(error)
        return status is not None and status >= 500
    return False


def precision_of(raw: dict) -> str:
    """``site`` for a building, park or school; coarser for areas."""
    kind = raw.get("addresstype") or raw.get("type") or ""
    if raw.get("class") == "boundary" and kind == "administrative":
        return "region"
    return _PRECISIONS.get(kind, "site")


class OnlineGeocoder:
    """Nominatim, rate-limited and retried; ``geocode`` answers like geopy's.

    ``location.raw`` gains ``precision``, ``country`` (ISO alpha-2 when Nominatim
    gives one) and ``source`` (``"nominatim"``).
    """

    source = "nominatim"

    def __init__(
        self,
        geocoder: Nominatim | None = None,
        *,
        min_delay_seconds: float = 1.0,
        retries: int = 3,
        backoff_seconds: float = 2.0,
        max_backoff_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.geocoder = geocoder or make_nominatim()
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.sleep = sleep
        self.requests = 0
        self._throttled = RateLimiter(
            self.geocoder.geocode,
            min_delay_seconds=min_delay_seconds,
            error_wait_seconds=min_delay_seconds,
            max_retries=0,
            swallow_exceptions=False,
            sleep=sleep,
            clock=clock,
        )

    @property
    def endpoint(self) -> str:
        return f"{self.geocoder.scheme}://{self.geocoder.domain}"

    def geocode(
        self,
        query: str,
        exactly_one: bool = True,
        country_codes: str | Iterable[str] | None = None,
    ) -> Location | list[Location] | None:
        """Ask Nominatim; raise :class:`ServiceUnavailable` once every retry has failed."""
        if isinstance(country_codes, str):
            country_codes = [country_codes]
        codes = [c.lower() for c in country_codes or ()] or None
        last_error: Exception | None = None
        for attempt in range(self.retries + 1):
            try:
                self.requests += 1
                answer = self._throttled(
                    query, exactly_one=exactly_one, country_codes=codes, addressdetails=True
                )
            except GeocoderServiceError as error:
                if not is_retryable(error):
                    raise ServiceUnavailable(
                        f"{self.endpoint} refused the query {query!r}: {error}"
                    ) from error
                last_error = error
                if attempt < self.retries:
                    self.sleep(self._backoff(attempt, error))
                continue
            if answer is None:
                return None
            answers = [answer] if exactly_one else list(answer)
            for location in answers:
                _annotate(location)
            return answers[0] if exactly_one else answers
        raise ServiceUnavailable(
            f"{self.endpoint} did not answer {query!r} after {self.retries + 1} attempts "
            f"(last error: {last_error}); try again later or use --offline"
        ) from last_error

    def _backoff(self, attempt: int, error: Exception) -> float:
        wait = self.backoff_seconds * (2**attempt)
        retry_after = getattr(error, "retry_after", None)
        if retry_after:
            wait = max(wait, float(retry_after))
        return min(wait, self.max_backoff_seconds)


def _annotate(location: Location) -> None:
    raw = location.raw
    address = raw.get("address") or {}
    code = (address.get("country_code") or "").upper()
    raw["country"] = code or None
    raw["precision"] = precision_of(raw)
    raw["source"] = OnlineGeocoder.source
