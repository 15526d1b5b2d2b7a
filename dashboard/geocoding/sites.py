"""Named sites located before: an offline gazetteer of schools, parks, hotels, airports...

The GeoNames gazetteer knows populated places only, so "American School of Madrid" finds
nothing there. But the curated dataset has already placed such sites by hand from cited
sources: every row at ``site`` precision with coordinates and at least one source is a
named site (its name is the first comma-separated part of ``place``; the rest is where it
is). An operator can add more in a **sites file** named by ``INCIDENT_MAP_SITES``.

:class:`SiteGazetteer` answers ``geocode(query)`` as the other geocoders do (a
:class:`geopy.location.Location`, or ``None``): the query's first part must be a site's
name (case, accents and punctuation aside), and every further part of the query must
appear in the site's own place text or name its country. ``location.raw`` holds the
precision as recorded, ``source`` (``dataset`` or ``sites``) and ``reference`` (the row
it came from).

The sites file is a UTF-8 CSV with a header: ``name``, ``lat``, ``lon`` and ``source``
(where the coordinates come from: a link or a document) are required; ``place`` (the
whole place as written, for display and context), ``country`` (ISO alpha-2),
``precision`` (default ``site``) and ``aliases`` (other names, ``;``-separated) are
optional. A problem in it is one line naming its row and column (:class:`SitesFileError`).

Example::

    sites = load_sites(dataset="data/incidents.csv")
    location = sites.geocode("American School of Madrid")
    location.raw["source"], location.raw["precision"], location.raw["reference"]
    # ('dataset', 'site', 'row 2025-05-21-pozuelo-de-alarcon-portnov')
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from geopy.location import Location

from dashboard.base.files import UnreadableFile, read_regular_file
from dashboard.data.countries import normalise_country
from dashboard.data.schema import GEO_PRECISIONS
from dashboard.data.spreadsheet import restore
from dashboard.geocoding.errors import GeocodingError
from dashboard.geocoding.gazetteer import MAX_QUERY_CHARS, fold

#: Names the operator's sites file (a CSV; see the module doc).
SITES_VAR = "INCIDENT_MAP_SITES"
#: The precision a dataset row must record to count as a named site.
SITE_PRECISION = "site"
#: A sites file larger than this is not a list of sites.
MAX_SITES_FILE_BYTES = 64 * 1024 * 1024
#: Points closer than this (in degrees, about 10 m) are one site.
_SAME_POINT_DECIMALS = 4
REQUIRED_FILE_COLUMNS = ("name", "lat", "lon", "source")


class SitesFileError(GeocodingError):
    """The sites file cannot be used; the message names the file, row and column."""


@dataclass(frozen=True)
class Site:
    """One named site and where its coordinates come from."""

    name: str
    place: str
    lat: float
    lon: float
    precision: str
    country: str | None
    source: str  # "dataset" or "sites"
    reference: str  # "row <id>" or "<file> row N"
    cited: str  # the sources the row or file gives for the point
    aliases: tuple[str, ...] = ()


def _first_part(place: str) -> str:
    return next((part.strip() for part in place.split(",") if part.strip()), "")


def _coordinate(text: str, low: float, high: float) -> float | None:
    try:
        value = float(str(text).strip())
    except ValueError:
        return None
    return value if low <= value <= high else None


def _contains_words(haystack: str, needle: str) -> bool:
    return bool(needle) and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack) is not None


class SiteGazetteer:
    """The named sites, searched by name (see the module doc)."""

    def __init__(self, sites: Iterable[Site] = ()):
        self.sites = list(sites)
        self._by_name: dict[str, list[Site]] = {}
        for site in self.sites:
            for name in {fold(site.name), *(fold(alias) for alias in site.aliases)}:
                if name:
                    self._by_name.setdefault(name, []).append(site)

    def __len__(self) -> int:
        return len(self.sites)

    def names(self, query: str) -> bool:
        """True when the first part of ``query`` is the name of a known site."""
        return fold(_first_part(query or "")) in self._by_name

    def geocode(self, query: str, exactly_one: bool = True,
                country_codes: str | Iterable[str] | None = None,
                **_ignored) -> Location | list[Location] | None:
        """The sites named by ``query`` (best first), or ``None``."""
        query = " ".join(str(query or "").split())
        if not query or len(query) > MAX_QUERY_CHARS:
            return None
        parts = [part.strip() for part in query.split(",") if part.strip()]
        found = self._by_name.get(fold(parts[0]), [])
        codes = ({country_codes} if isinstance(country_codes, str)
                 else set(country_codes or ()))
        codes = {code.upper() for code in codes if code}
        if codes:
            found = [site for site in found if not site.country or site.country in codes]
        context = [fold(part) for part in parts[1:]]
        countries = [normalise_country(part) for part in parts[1:]]
        found = [site for site in found if all(
            _contains_words(fold(site.place), part) or (code and code == site.country)
            for part, code in zip(context, countries, strict=True))]
        if not found:
            return None
        points: dict[tuple[float, float], list[Site]] = {}
        for site in found:
            key = (round(site.lat, _SAME_POINT_DECIMALS), round(site.lon, _SAME_POINT_DECIMALS))
            points.setdefault(key, []).append(site)
        # The point most rows agree on first; then the order of the file.
        ranked = sorted(points.values(), key=len, reverse=True)
        ambiguous = len(ranked) > 1
        described = [_describe(group[0]) for group in ranked]
        locations = [
            Location(group[0].place, (group[0].lat, group[0].lon), {
                "precision": group[0].precision, "source": group[0].source,
                "country": group[0].country, "partial": False, "ambiguous": ambiguous,
                "reference": "; ".join(site.reference for site in group[:3]),
                "cited": group[0].cited, "candidates": described,
            })
            for group in ranked
        ]
        return locations[0] if exactly_one else locations


def _describe(site: Site) -> dict:
    return {"name": site.place, "country": site.country, "lat": site.lat, "lon": site.lon,
            "source": site.source, "reference": site.reference}


# --------------------------------------------------------------------------- reading


def _csv_rows(raw: bytes) -> list[dict[str, str]]:
    text = raw.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return [{(key or "").strip(): (value or "") for key, value in row.items()}
            for row in reader]


def sites_from_dataset(path: str | Path) -> list[Site]:
    """The dataset's rows at ``site`` precision with coordinates and a source.

    A dataset that cannot be read gives no sites (``incident-map validate`` is where its
    problems are reported).
    """
    path = Path(path)
    try:
        rows = _cached_dataset_rows(str(path.resolve()), *_stamp(path))
    except (UnreadableFile, UnicodeDecodeError, csv.Error, OSError):
        return []
    return list(rows)


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_mtime_ns, status.st_size


@lru_cache(maxsize=4)
def _cached_dataset_rows(path: str, _mtime_ns: int, _size: int) -> tuple[Site, ...]:
    return sites_from_rows(
        {key: restore(value) if value[:1] == "'" else value for key, value in row.items()}
        for row in _csv_rows(read_regular_file(path)))


def sites_from_rows(rows: Iterable[Mapping[str, str]]) -> tuple[Site, ...]:
    """The sites among dataset rows given as ``{column: text}`` (a store's rows, as a person
    reads them): rows at ``site`` precision with coordinates and a source."""
    sites = []
    for row in rows:
        if row.get("geo_precision", "").strip() != SITE_PRECISION:
            continue
        lat = _coordinate(row.get("lat", ""), -90, 90)
        lon = _coordinate(row.get("lon", ""), -180, 180)
        place = " ".join(row.get("place", "").split())
        cited = row.get("sources", "").strip()
        name = _first_part(place)
        if lat is None or lon is None or not name or not cited:
            continue
        country = (row.get("country") or "").strip().upper() or None
        sites.append(Site(name=name, place=place, lat=lat, lon=lon, precision=SITE_PRECISION,
                          country=country, source="dataset",
                          reference=f"row {row.get('id', '').strip()}", cited=cited))
    return tuple(sites)


def sites_from_file(path: str | Path) -> list[Site]:
    """The sites of an operator's sites file, or :class:`SitesFileError`."""
    path = Path(path)
    where = f"sites file {path}"
    try:
        if path.is_file() and path.stat().st_size > MAX_SITES_FILE_BYTES:
            raise SitesFileError(f"{where}: larger than {MAX_SITES_FILE_BYTES // 2**20} MB")
        raw = read_regular_file(path)
        rows = _csv_rows(raw)
    except UnreadableFile as error:
        raise SitesFileError(f"sites file {error}") from None
    except UnicodeDecodeError:
        raise SitesFileError(f"{where}: not UTF-8 text") from None
    except csv.Error as error:
        raise SitesFileError(f"{where}: not a well-formed CSV ({error})") from None
    header = set(rows[0]) if rows else set(_csv_header(raw))
    missing = [column for column in REQUIRED_FILE_COLUMNS if column not in header]
    if missing:
        raise SitesFileError(f"{where}: the header has no {', '.join(missing)} column "
                             f"(needed: {', '.join(REQUIRED_FILE_COLUMNS)})")
    sites = []
    for number, row in enumerate(rows, start=2):
        def problem(column: str, what: str, number: int = number) -> SitesFileError:
            return SitesFileError(f"{where}, row {number}, column {column}: {what}")

        row = {key: restore(value.strip()) for key, value in row.items()}
        if not any(row.values()):
            continue
        name = " ".join(row.get("name", "").split())
        if not name:
            raise problem("name", "is empty")
        lat = _coordinate(row.get("lat", ""), -90, 90)
        if lat is None:
            raise problem("lat", f"{row.get('lat', '')!r} is not a latitude (-90 to 90)")
        lon = _coordinate(row.get("lon", ""), -180, 180)
        if lon is None:
            raise problem("lon", f"{row.get('lon', '')!r} is not a longitude (-180 to 180)")
        if not row.get("source"):
            raise problem("source", "is empty; say where the coordinates come from")
        precision = row.get("precision") or SITE_PRECISION
        if precision not in GEO_PRECISIONS:
            raise problem("precision", f"{precision!r} is not one of {', '.join(GEO_PRECISIONS)}")
        country = None
        if row.get("country"):
            country = normalise_country(row["country"])
            if country is None:
                raise problem("country", f"{row['country']!r} is not a country code or name")
        aliases = tuple(a.strip() for a in row.get("aliases", "").split(";") if a.strip())
        sites.append(Site(name=name, place=" ".join(row.get("place", "").split()) or name,
                          lat=lat, lon=lon, precision=precision, country=country,
                          source="sites", reference=f"{path.name} row {number}",
                          cited=row["source"], aliases=aliases))
    return sites


def _csv_header(raw: bytes) -> list[str]:
    first = raw.decode("utf-8-sig").splitlines()[:1]
    return [cell.strip() for cell in next(csv.reader(first), [])] if first else []


def sites_file_path() -> Path | None:
    """The sites file named by ``INCIDENT_MAP_SITES``, or None."""
    named = os.environ.get(SITES_VAR, "").strip()
    return Path(named) if named else None


def load_sites(*, dataset: str | Path | None = None,
               sites_file: str | Path | None = None,
               dataset_sites: Iterable[Site] | None = None) -> SiteGazetteer:
    """The sites of ``dataset`` (default: the curated dataset) and of the sites file
    (default: ``INCIDENT_MAP_SITES``; ``""`` for none); the file's sites come first.
    ``dataset_sites`` (:func:`sites_from_rows` of a store that is not a file) replace the
    dataset file's.

    Raises :class:`SitesFileError` when the sites file is named but cannot be used.
    """
    from dashboard.data.loading import default_data_path

    if sites_file is None:
        named = sites_file_path()
    else:
        named = Path(sites_file) if str(sites_file) else None
    sites = sites_from_file(named) if named is not None else []
    if dataset_sites is None:
        dataset_sites = sites_from_dataset(dataset or default_data_path())
    return SiteGazetteer([*sites, *dataset_sites])
