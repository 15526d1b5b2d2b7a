"""A persistent JSON cache of online geocoding answers, written atomically.

Every answer from the network is kept, including "not found", so the same query
is never sent twice and a second run needs no network.

Example::

    cache = GeocodeCache("data/geocode_cache.json")
    cache.get("nominatim", "Kleiner Tiergarten, Berlin", country="DE")
    # {'lat': 52.5205, 'lon': 13.3407, 'display_name': '...', 'precision': 'site', ...}

File layout::

    {"format": 1, "entries": {"nominatim|DE|kleiner tiergarten, berlin": {...} or null}}
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from dashboard.base.files import UnreadableFile, read_regular_file, write_atomic
from dashboard.data.schema import GEO_PRECISIONS
from dashboard.geocoding.errors import GeocodingError

CACHE_FORMAT = 1
_MISSING = object()


#: Text fields an answer may carry, each a string or null.
TEXT_FIELDS = ("display_name", "country", "precision", "source")


def entry_problem(value: object) -> str | None:
    """What is wrong with a cached answer (``None``, "not found", is one), or None.

    >>> entry_problem({"lat": 52.5, "lon": 13.4, "precision": "city"}) is None
    True
    >>> entry_problem({"lat": "52.5", "lon": 13.4}), entry_problem([1, 2])
    ('lat is not a number', 'a list, not an object or null')
    """
    if value is None:
        return None
    if not isinstance(value, dict):
        return f"a {type(value).__name__}, not an object or null"
    for name, limit in (("lat", 90), ("lon", 180)):
        number = value.get(name)
        if isinstance(number, bool) or not isinstance(number, int | float):
            return f"{name} is not a number"
        if not -limit <= number <= limit:  # NaN fails this too
            return f"{name} {number} is outside -{limit}..{limit}"
    for name in TEXT_FIELDS:
        if value.get(name) is not None and not isinstance(value.get(name), str):
            return f"{name} is not text"
    precision = value.get("precision")
    if precision is not None and precision not in GEO_PRECISIONS:
        return f"precision {precision[:40]!r} is not one of {', '.join(GEO_PRECISIONS)}"
    return None


def cache_key(source: str, query: str, country: str | None = None) -> str:
    """``nominatim|DE|moabit, berlin``: whitespace and case do not make a new query."""
    normalised = " ".join(query.split()).casefold()
    return f"{source}|{(country or '').upper()}|{normalised}"


class GeocodeCache:
    """Answers keyed by source, country hint and query; saved after every change."""

    def __init__(self, path: str | Path, *, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        self._lock = threading.Lock()
        self.entries: dict[str, dict | None] = self._read()

    def _read(self) -> dict[str, dict | None]:
        if not self.path.exists() and not self.path.is_symlink():
            return {}
        try:
            document = json.loads(read_regular_file(self.path).decode("utf-8"))
        except UnreadableFile as error:
            raise GeocodingError(f"{error}; give a cache file with --cache") from None
        except (OSError, ValueError) as error:
            raise GeocodingError(
                f"{self.path}: cannot read the geocoding cache ({error}); "
                "fix or delete the file"
            ) from None
        entries = document.get("entries") if isinstance(document, dict) else None
        if not isinstance(entries, dict):
            raise GeocodingError(f'{self.path}: not a geocoding cache (no "entries" object)')
        for key, value in entries.items():
            wrong = entry_problem(value)
            if wrong:
                shown = key if len(key) <= 80 else key[:77] + "..."
                raise GeocodingError(
                    f"{self.path}: entry {shown!r} is not a geocoding answer ({wrong}); "
                    "fix or delete the file")
        return entries

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def lookup(self, source: str, query: str, country: str | None = None):
        """The cached answer (a dict; ``None`` = "not found"); ``KeyError`` if absent."""
        value = self.entries.get(cache_key(source, query, country), _MISSING)
        if value is _MISSING:
            raise KeyError(query)
        return value

    def get(self, source: str, query: str, country: str | None = None, default=None):
        try:
            return self.lookup(source, query, country)
        except KeyError:
            return default

    def put(self, source: str, query: str, country: str | None, answer: dict | None) -> None:
        """Remember ``answer`` (``None``: the service found nothing) and save the file."""
        with self._lock:
            self.entries[cache_key(source, query, country)] = answer
            self.save()

    def save(self) -> None:
        """Write the file atomically (a read-only cache keeps changes in memory)."""
        if self.read_only:
            return
        document = {"format": CACHE_FORMAT, "entries": dict(sorted(self.entries.items()))}
        text = json.dumps(document, ensure_ascii=False, indent=1) + "\n"
        write_atomic(self.path, text, parents=True)
