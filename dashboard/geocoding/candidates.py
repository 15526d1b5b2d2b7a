"""Candidates for a place typed in the editor, and what choosing one does to a row.

:func:`find_candidates` lists the named sites located before whose name the text gives
(``dashboard.geocoding.sites``: source ``dataset`` or ``sites``, at the precision
recorded), Nominatim's answers when online, then every place the offline gazetteer finds
for the text (best first). When the whole text names nothing the
gazetteer knows (a site such as "American School of Madrid": the gazetteer holds only
populated places), the shorter ends of the text are tried ("School of Madrid", "of
Madrid", "Madrid", and the later comma-separated parts) and the places found are marked
``partial``: their precision is that of the town, never the site's.

:func:`apply_candidate` and :func:`apply_manual_point` write a choice into a row. A
point set by hand (``geocoder`` = ``manual``) is never replaced by a candidate.

Example::

    found, _ = find_candidates("American School of Madrid", offline=True)
    found[0].name, found[0].precision, found[0].partial
    # ('Madrid, Spain', 'city', True)
    found, _ = find_candidates("American School of Madrid", offline=True,
                               sites=load_sites(dataset="data/incidents.csv"))
    found[0].precision, found[0].source, found[0].reference
    # ('site', 'dataset', 'row 2025-05-21-pozuelo-de-alarcon-portnov')
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.geocoding.errors import GeocodingError
from dashboard.geocoding.gazetteer import MAX_QUERY_CHARS, GeoNamesGazetteer
from dashboard.geocoding.sites import SiteGazetteer

MAX_CANDIDATES = 8
#: Rounding of coordinates written into the dataset (about 10 cm).
DECIMALS = 6
#: Words that cannot stand alone as the end of a place name.
_LINKING_WORDS = {"of", "de", "del", "la", "le", "the", "in", "at", "near", "von", "di"}


class ManualPoint(GeocodingError):
    """The row's point was set by hand; a geocoder's answer must not replace it."""


@dataclass(frozen=True)
class Candidate:
    name: str
    lat: float
    lon: float
    precision: str
    source: str  # gazetteer, nominatim, dataset or sites
    country: str | None = None
    #: Found for a part of the text only (the site itself was not found).
    partial: bool = False
    #: For a named site: the row of the dataset or the line of the sites file it comes from.
    reference: str | None = None

    def label(self) -> str:
        found = " (part of the text only)" if self.partial else ""
        origin = f"{self.source} ({self.reference})" if self.reference else self.source
        return (f"{self.name}: {self.precision} precision, {origin}{found}, "
                f"{self.lat:.4f}, {self.lon:.4f}")


def _from_location(location, *, source: str, partial: bool = False) -> Candidate:
    raw = location.raw or {}
    return Candidate(
        name=location.address, lat=float(location.latitude), lon=float(location.longitude),
        precision=raw.get("precision") or "site", source=raw.get("source") or source,
        country=raw.get("country"), partial=partial or bool(raw.get("partial")),
        reference=raw.get("reference"),
    )


def _shorter_ends(text: str) -> list[str]:
    """The ends of ``text`` to try when it names nothing as a whole, longest first."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    ends: list[str] = []
    if not parts:
        return ends
    words = parts[0].split()
    for start in range(1, len(words)):
        if words[start].casefold() in _LINKING_WORDS:
            continue
        ends.append(" ".join([*words[start:], *parts[1:]]) if len(parts) == 1
                    else ", ".join([" ".join(words[start:]), *parts[1:]]))
    for start in range(1, len(parts)):
        ends.append(", ".join(parts[start:]))
    return ends


def gazetteer_candidates(place: str, country: str | None = None, *,
                         gazetteer: GeoNamesGazetteer | None = None) -> list[Candidate]:
    place = " ".join((place or "").split())
    if not place or len(place) > MAX_QUERY_CHARS:
        return []
    gazetteer = gazetteer or GeoNamesGazetteer()
    found = gazetteer.geocode(place, exactly_one=False, country_codes=country) or []
    if found:
        return [_from_location(location, source="gazetteer") for location in found]
    for end in _shorter_ends(place):
        found = gazetteer.geocode(end, exactly_one=False, country_codes=country) or []
        if found:
            return [_from_location(location, source="gazetteer", partial=True)
                    for location in found]
    return []


def find_candidates(place: str, country: str | None = None, *, offline: bool,
                    gazetteer: GeoNamesGazetteer | None = None, online=None,
                    sites: SiteGazetteer | None = None,
                    limit: int = MAX_CANDIDATES) -> tuple[list[Candidate], str | None]:
    """The candidates for ``place`` (best first) and a notice when Nominatim failed.

    ``sites`` are the named sites to search first (none when not given).
    """
    candidates = gazetteer_candidates(place, country, gazetteer=gazetteer)
    named = []
    if sites is not None and place and len(place) <= MAX_QUERY_CHARS:
        named = [_from_location(location, source="dataset") for location in
                 sites.geocode(place, exactly_one=False, country_codes=country) or []]
    notice = None
    if not offline and place.strip():
        try:
            if online is None:
                from dashboard.geocoding.online import OnlineGeocoder

                online = OnlineGeocoder(retries=1)
            answers = online.geocode(" ".join(place.split()), exactly_one=False,
                                     country_codes=country) or []
            online_found = [_from_location(location, source="nominatim") for location in answers]
            candidates = online_found[:3] + candidates
        except GeocodingError as error:
            notice = f"Nominatim did not answer ({error}); showing the offline gazetteer only."
    unique: list[Candidate] = []
    seen = set()
    for candidate in [*named, *candidates]:
        key = (round(candidate.lat, 4), round(candidate.lon, 4), candidate.source)
        if key not in seen:
            seen.add(key)
            unique.append(candidate)
    return unique[:limit], notice


def has_manual_point(row: dict[str, str]) -> bool:
    return (row.get("geocoder") == "manual" and bool(str(row.get("lat", "")).strip())
            and bool(str(row.get("lon", "")).strip()))


def _coordinate(value: float) -> str:
    return f"{round(float(value), DECIMALS):.{DECIMALS}f}".rstrip("0").rstrip(".")


def apply_candidate(row: dict[str, str], candidate: Candidate) -> dict[str, str]:
    """The row with the candidate's point, precision (never finer than found) and source.

    Raises :class:`ManualPoint` when the row's point was set by hand.
    """
    if has_manual_point(row):
        raise ManualPoint("the point was set by hand (geocoder manual); clear it first to "
                          "use a geocoder's answer")
    changed = dict(row)
    changed.update(lat=_coordinate(candidate.lat), lon=_coordinate(candidate.lon),
                   geo_precision=candidate.precision, geocoder=candidate.source)
    if candidate.country and not (row.get("country") or "").strip():
        changed["country"] = candidate.country
    return changed


def apply_manual_point(row: dict[str, str], lat: float, lon: float, *,
                       precision: str = "site") -> dict[str, str]:
    """The row with a point placed by hand: ``geocoder`` becomes ``manual``."""
    if not (-90 <= float(lat) <= 90):
        raise ValueError(f"latitude {lat} is out of range")
    lon = ((float(lon) + 180) % 360) - 180  # a click on a copy of the world east or west
    changed = dict(row)
    changed.update(lat=_coordinate(lat), lon=_coordinate(lon), geocoder="manual",
                   geo_precision=precision)
    return changed


def clear_point(row: dict[str, str]) -> dict[str, str]:
    changed = dict(row)
    changed.update(lat="", lon="", geocoder="")
    return changed



#: The most rows :func:`ambiguous_rows` looks up at once (each is a few indexed queries).
MAX_AMBIGUITY_ROWS = 5_000


def ambiguous_rows(rows, *, gazetteer: GeoNamesGazetteer | None = None,
                   limit: int = MAX_AMBIGUITY_ROWS) -> dict[str, str]:
    """For rows placed by the gazetteer, a reason by id when their place is ambiguous.

    ``rows`` are dicts with ``id``, ``place``, ``country`` and ``geocoder``; only the
    first ``limit`` gazetteer rows are looked up.
    """
    gazetteer = gazetteer or GeoNamesGazetteer()
    found: dict[str, str] = {}
    looked = 0
    for row in rows:
        if (row.get("geocoder") or "").strip() != "gazetteer" or not row.get("place"):
            continue
        looked += 1
        if looked > limit:
            break
        country = (row.get("country") or "").strip() or None
        location = gazetteer.geocode(row["place"], country_codes=country)
        if location is None or not location.raw.get("ambiguous"):
            continue
        others = [f"{c.get('name')} ({c.get('country')})"
                  for c in (location.raw.get("candidates") or [])[1:3]]
        found[str(row["id"])] = "ambiguous geocode" + (
            f": also {'; '.join(others)}" if others else "")
    return found
