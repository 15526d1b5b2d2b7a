"""Resolve one place, or fill the empty coordinates of a dataset.

Order of look-ups for a place (see docs/geocoding.md):

1. the named sites located before (``dashboard.geocoding.sites``: the dataset's rows at
   site precision and the operator's sites file), when the place's first part is a
   site's name that is not also a populated place of exactly that name;
2. the offline gazetteer, when it matches the place's first part (a plain place
   name such as ``"Moabit, Berlin"``): no network, no cache needed;
3. the cache of earlier Nominatim answers (``data/geocode_cache.json``);
4. Nominatim, unless offline, for sites such as a school or a park;
5. the gazetteer's coarser answer (the next part that names a place), if any.

Example::

    resolve("Zeytinburnu, Istanbul", offline=True).precision
    # 'district'
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm import tqdm

from dashboard.base.files import UnreadableFile, read_regular_file, write_atomic
from dashboard.base.settings import offline_requested
from dashboard.data.loading import default_data_path
from dashboard.data.schema import GEO_PRECISIONS
from dashboard.data.spreadsheet import csv_record
from dashboard.geocoding.cache import GeocodeCache
from dashboard.geocoding.errors import GeocodingError
from dashboard.geocoding.gazetteer import GeoNamesGazetteer, distance_km, fold
from dashboard.geocoding.sites import SiteGazetteer, load_sites

#: Coarse to fine: the dataset's ``geo_precision`` words (listed there fine to coarse).
PRECISIONS = tuple(reversed(GEO_PRECISIONS))
#: A Nominatim answer this far from the gazetteer's coarser answer is not trusted.
MAX_DISAGREEMENT_KM = 50.0
CACHE_FILE_NAME = "geocode_cache.json"
#: ``GeocodeCache.get`` answers this for a query never asked (``None`` is "not found").
_NOT_CACHED = object()


def default_cache_path(dataset: str | Path | None = None) -> Path:
    """``$INCIDENT_MAP_GEOCODE_CACHE``, else ``geocode_cache.json`` beside the dataset."""
    if os.environ.get("INCIDENT_MAP_GEOCODE_CACHE"):
        return Path(os.environ["INCIDENT_MAP_GEOCODE_CACHE"])
    return Path(dataset or default_data_path()).parent / CACHE_FILE_NAME


def coarser(first: str | None, second: str | None) -> str | None:
    """The less precise of two precision words (unknown words are ignored)."""
    known = [p for p in (first, second) if p in PRECISIONS]
    if not known:
        return None
    return min(known, key=PRECISIONS.index)


@dataclass
class Result:
    """One resolved place. ``source`` is ``gazetteer``, ``nominatim``, ``dataset`` or
    ``sites`` (a named site; ``reference`` says which row or file line)."""

    query: str
    lat: float
    lon: float
    display_name: str
    country: str | None
    precision: str
    source: str
    from_cache: bool = False
    ambiguous: bool = False
    partial: bool = False
    candidates: list[dict] = field(default_factory=list)
    reference: str | None = None
    #: Why the answer is coarser than the query, or a guess ("no "Chatsworth" there: the one
    #: known lies in Western Cape, ..."); written into the row's notes by ``geocode``.
    reason: str | None = None

    def as_json(self) -> dict:
        """The fields ``incident-map locate --json`` prints."""
        keys = ("query", "lat", "lon", "display_name", "country", "precision", "source",
                "ambiguous", "partial")
        data = asdict(self)
        return {key: data[key] for key in keys}

    def note(self) -> str:
        """What a row's ``notes`` should say about this answer ("" when nothing)."""
        if self.reason:
            return f"geocoding: {self.reason}"
        if self.ambiguous:
            others = "; ".join(f"{c.get('name')} ({c.get('country')})"
                               for c in self.candidates[1:4]
                               if (c.get("lat"), c.get("lon")) != (self.lat, self.lon))
            return (f"geocoding: ambiguous, took {self.display_name}"
                    + (f"; other candidates: {others}" if others else ""))
        return ""


def _from_location(query: str, location, *, from_cache: bool = False) -> Result:
    raw = location.raw
    return Result(
        query=query,
        lat=float(location.latitude),
        lon=float(location.longitude),
        display_name=location.address,
        country=raw.get("country"),
        precision=raw.get("precision") or "site",
        source=raw.get("source") or "gazetteer",
        from_cache=from_cache,
        ambiguous=bool(raw.get("ambiguous")),
        partial=bool(raw.get("partial")),
        candidates=list(raw.get("candidates") or ()),
        reference=raw.get("reference"),
        reason=raw.get("reason"),
    )


def _from_cached(query: str, entry: dict) -> Result:
    return Result(
        query=query,
        lat=float(entry["lat"]),
        lon=float(entry["lon"]),
        display_name=entry.get("display_name") or query,
        country=entry.get("country"),
        precision=entry.get("precision") or "site",
        source=entry.get("source") or "nominatim",
        from_cache=True,
    )


def _cache_entry(location) -> dict:
    raw = location.raw
    entry = {
        "lat": float(location.latitude),
        "lon": float(location.longitude),
        "display_name": location.address,
        "country": raw.get("country"),
        "precision": raw.get("precision"),
        "source": raw.get("source") or "nominatim",
    }
    for key in ("osm_type", "osm_id", "class", "type", "addresstype", "licence"):
        if raw.get(key) is not None:
            entry[key] = raw[key]
    return entry


class Resolver:
    """The pipeline for one place: gazetteer, cache, Nominatim (see the module doc)."""

    def __init__(
        self,
        *,
        offline: bool | None = None,
        gazetteer: GeoNamesGazetteer | None = None,
        online=None,
        cache: GeocodeCache | None = None,
        sites: SiteGazetteer | None = None,
    ):
        self.offline = offline_requested(offline)
        self.gazetteer = gazetteer or GeoNamesGazetteer()
        self._online = online
        self.cache = cache
        self.sites = sites

    @property
    def online(self):
        if self._online is None:
            from dashboard.geocoding.online import OnlineGeocoder

            self._online = OnlineGeocoder()
        return self._online

    def resolve(self, place: str, country: str | None = None) -> Result | None:
        place = " ".join((place or "").split())
        if not place:
            return None
        local = self.gazetteer.geocode(place, country_codes=country)
        site = self._site(place, country, local)
        if site is not None:
            return site
        if local is not None and not local.raw.get("partial"):
            return _from_location(place, local)
        coarse = _from_location(place, local) if local is not None else None

        source = "nominatim"
        entry = _NOT_CACHED
        if self.cache is not None:
            entry = self.cache.get(source, place, country, default=_NOT_CACHED)
        if entry is not _NOT_CACHED:
            found = _from_cached(place, entry) if entry else None
        elif self.offline:
            return coarse
        else:
            location = self.online.geocode(place, country_codes=country)
            if self.cache is not None:
                self.cache.put(source, place, country,
                               _cache_entry(location) if location is not None else None)
            found = _from_location(place, location) if location is not None else None
        return _prefer(found, coarse)

    def _site(self, place: str, country: str | None, local) -> Result | None:
        """A named site, unless the gazetteer knows a populated place of exactly that name."""
        if self.sites is None:
            return None
        found = self.sites.geocode(place, country_codes=country)
        if found is None:
            return None
        if local is not None and not local.raw.get("partial") and (
                fold(local.address.split(",")[0]) == fold(place.split(",")[0])):
            return None
        return _from_location(place, found)


def _prefer(found: Result | None, coarse: Result | None) -> Result | None:
    """Nominatim's answer, unless it lands far from the place the gazetteer recognised."""
    if found is None or coarse is None:
        return found or coarse
    if distance_km(found.lat, found.lon, coarse.lat, coarse.lon) > MAX_DISAGREEMENT_KM:
        coarse.ambiguous = True
        coarse.candidates = [
            {"name": found.display_name, "lat": found.lat, "lon": found.lon,
             "country": found.country, "source": found.source},
            *coarse.candidates,
        ]
        return coarse
    return found


def resolve(
    place: str,
    country: str | None = None,
    offline: bool | None = None,
    *,
    cache_path: str | Path | None = None,
) -> Result | None:
    """Resolve one place (named sites included, see ``load_sites``); ``None`` when nothing
    matches."""
    cache = GeocodeCache(cache_path or default_cache_path())
    return Resolver(offline=offline, cache=cache, sites=load_sites()).resolve(place, country)


# --------------------------------------------------------------------------- files


@dataclass
class Issue:
    """A row the run could not locate, or located among several candidates."""

    row: int  # as a spreadsheet counts (header = 1)
    id: str
    place: str
    message: str
    candidates: list[dict] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"row {self.row} ({self.id}): {self.place!r}: {self.message}"
        if self.candidates:
            names = "; ".join(
                f"{c.get('name')} ({c.get('country')}, {c.get('lat'):.4f}, {c.get('lon'):.4f})"
                for c in self.candidates
            )
            text += f" [candidates: {names}]"
        return text


@dataclass
class Summary:
    """What ``geocode_file`` did."""

    path: Path
    rows: int = 0
    to_locate: int = 0
    resolved: int = 0
    from_gazetteer: int = 0
    from_nominatim: int = 0
    from_sites: int = 0
    from_cache: int = 0
    already_located: int = 0
    manual: int = 0
    unresolved: list[Issue] = field(default_factory=list)
    ambiguous: list[Issue] = field(default_factory=list)
    partial: list[Issue] = field(default_factory=list)
    #: Located only to their country (its representative point): counted apart, never as
    #: located places.
    country_only: list[Issue] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False
    error: str | None = None

    def lines(self) -> list[str]:
        verb = "would resolve" if self.dry_run else "resolved"
        lines = [
            f"{self.path}: {self.rows} rows, {self.to_locate} without coordinates",
            f"  {verb}: {self.resolved - len(self.country_only)}, and "
            f"{len(self.country_only)} only to their country (gazetteer {self.from_gazetteer}, "
            f"nominatim {self.from_nominatim}, named sites {self.from_sites}; "
            f"from cache {self.from_cache})",
            f"  kept as they were: {self.already_located} with coordinates "
            f"({self.manual} entered by hand)",
            f"  unresolved: {len(self.unresolved)}",
        ]
        lines += [f"    {issue}" for issue in self.unresolved]
        lines.append(f"  ambiguous: {len(self.ambiguous)}")
        lines += [f"    {issue}" for issue in self.ambiguous]
        lines.append(f"  partial (only part of the place matched; precision lowered): "
                     f"{len(self.partial)}")
        lines += [f"    {issue}" for issue in self.partial]
        lines.append(f"  only to their country (the country's point, not a place): "
                     f"{len(self.country_only)}")
        lines += [f"    {issue}" for issue in self.country_only]
        if self.error:
            lines.append(f"  stopped early: {self.error}")
        if self.dry_run:
            lines.append("  dry run: nothing was written")
        elif self.written:
            lines.append(f"  written: {self.path}")
        return lines


def _format_coordinate(value: float) -> str:
    return repr(round(float(value), 5))


@dataclass
class _Table:
    """A dataset as read for geocoding: rows keep their spreadsheet numbers."""

    fields: list[str]
    rows: list[dict]
    numbers: list[int]  # as a spreadsheet counts (header = 1, blank lines counted)
    newline: str
    bom: bool


def _read_rows(path: Path) -> _Table:
    try:
        raw = read_regular_file(path)
    except UnreadableFile as error:
        raise GeocodingError(str(error)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise GeocodingError(f"{path}: not UTF-8 (byte {error.start})") from None
    newline = "\r\n" if "\r\n" in text else "\n"
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise GeocodingError(f"{path}: not a well-formed CSV ({error})") from None
    fields = [name.strip() for name in records[0]] if records else []
    if not any(fields):
        raise GeocodingError(f"{path}: the file is empty; expected a CSV with a header row")
    missing = [c for c in ("place", "lat", "lon") if c not in fields]
    if missing:
        raise GeocodingError(f"{path}: missing column(s) {', '.join(missing)}")
    repeated = sorted({name for name in fields if fields.count(name) > 1})
    if repeated:
        raise GeocodingError(f"{path}: column(s) {', '.join(repeated)} appear twice in the header")
    rows, numbers = [], []
    for position, cells in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line: nothing to geocode, nothing to keep
        if len(cells) > len(fields):
            # Rewriting such a row would drop its extra cells: refuse before touching it.
            raise GeocodingError(
                f"{path}: row {position} has {len(cells)} cells but the header has "
                f"{len(fields)} columns; fix it first (incident-map validate {path})"
            )
        rows.append(dict(zip(fields, cells + [""] * (len(fields) - len(cells)), strict=True)))
        numbers.append(position)
    for column in ("geo_precision", "geocoder"):
        if column not in fields:
            fields.append(column)
    return _Table(fields, rows, numbers, newline, raw.startswith(codecs.BOM_UTF8))


def _write_rows(path: Path, table: _Table) -> None:
    buffer = io.StringIO(newline="")
    if table.bom:
        buffer.write("\ufeff")  # keep the byte order mark that spreadsheets rely on
    # csv_record quotes a carriage return in a cell whatever the file's line ends
    buffer.write(csv_record(table.fields, table.newline))
    for row in table.rows:
        buffer.write(csv_record([("" if row.get(name) is None else row.get(name))
                                 for name in table.fields], table.newline))
    write_atomic(path, buffer.getvalue())


def _sites_for(path: Path) -> SiteGazetteer:
    """The named sites of the file being geocoded, of the curated dataset and of the sites
    file."""
    from dashboard.data.loading import default_data_path
    from dashboard.geocoding.sites import sites_from_dataset

    sites = load_sites()
    if path.resolve() != Path(default_data_path()).resolve():
        return SiteGazetteer([*sites.sites, *sites_from_dataset(path)])
    return sites


def geocode_file(
    path: str | Path,
    *,
    offline: bool | None = None,
    dry_run: bool = False,
    progress: bool = True,
    resolver: Resolver | None = None,
    cache_path: str | Path | None = None,
    checkpoint_every: int = 10,
    on_result: Callable[[int, Result | None], None] | None = None,
) -> Summary:
    """Fill empty ``lat``/``lon`` of a dataset in place; never touch coordinates already there.

    The file is rewritten atomically every ``checkpoint_every`` located rows and
    at the end, also when the run stops on an error, so nothing resolved is lost.
    """
    path = Path(path)
    table = _read_rows(path)
    rows = table.rows
    if resolver is None:
        cache = GeocodeCache(cache_path or default_cache_path(path), read_only=dry_run)
        resolver = Resolver(offline=offline, cache=cache,
                            sites=_sites_for(path))
    summary = Summary(path=path, rows=len(rows), dry_run=dry_run)

    todo = []
    for number, row in zip(table.numbers, rows, strict=True):
        lat, lon = (row.get("lat") or "").strip(), (row.get("lon") or "").strip()
        if (row.get("geocoder") or "").strip() == "manual" or (lat and lon):
            summary.already_located += 1
            summary.manual += (row.get("geocoder") or "").strip() == "manual"
            continue
        if lat or lon:
            column = "lon" if lat else "lat"
            summary.unresolved.append(Issue(
                number, row.get("id", ""), row.get("place", ""),
                f"column {column} is empty while the other coordinate is set; "
                "fill both by hand or clear both",
            ))
            continue
        todo.append((number, row))
    summary.to_locate = len(todo) + len(summary.unresolved)

    changed = 0
    unsaved = 0
    try:
        for number, row in tqdm(todo, desc="geocoding", unit="place", disable=not progress):
            place = (row.get("place") or "").strip()
            ident = row.get("id", "")
            if not place:
                summary.unresolved.append(Issue(number, ident, place, "column place is empty"))
                continue
            country = (row.get("country") or "").strip() or None
            result = resolver.resolve(place, country)
            if on_result is not None:
                on_result(number, result)
            if result is None:
                where = f" in {country}" if country else ""
                summary.unresolved.append(Issue(
                    number, ident, place,
                    f"no place of that name{where} in the gazetteer"
                    + ("" if resolver.offline else " or on Nominatim")
                    + "; set lat/lon by hand with geocoder=manual",
                ))
                continue
            row["lat"] = _format_coordinate(result.lat)
            row["lon"] = _format_coordinate(result.lon)
            row["geocoder"] = result.source
            row["geo_precision"] = coarser(row.get("geo_precision"), result.precision) \
                or result.precision
            note = result.note()
            if note and "notes" in row and note not in (row["notes"] or ""):
                row["notes"] = f"{row['notes']}; {note}" if row["notes"] else note
            summary.resolved += 1
            summary.from_gazetteer += result.source == "gazetteer"
            summary.from_nominatim += result.source == "nominatim"
            summary.from_sites += result.source in ("dataset", "sites")
            summary.from_cache += result.from_cache
            if result.ambiguous:
                summary.ambiguous.append(Issue(
                    number, ident, place,
                    f"took {result.display_name} ({result.lat:.4f}, {result.lon:.4f})",
                    [c for c in result.candidates
                     if (c.get("lat"), c.get("lon")) != (result.lat, result.lon)][:4],
                ))
            if result.precision == "country":
                summary.country_only.append(Issue(
                    number, ident, place, f"located only to its country, {result.display_name}"))
            elif result.partial:
                because = f" ({result.reason})" if result.reason else ""
                summary.partial.append(Issue(
                    number, ident, place,
                    f"matched only {result.display_name}; written as {row['geo_precision']}"
                    + because))
            changed += 1
            unsaved += 1
            if not dry_run and unsaved >= checkpoint_every:
                _write_rows(path, table)
                unsaved = 0
                summary.written = True
    except GeocodingError as error:
        summary.error = str(error)
    finally:
        if changed and not dry_run and unsaved:
            _write_rows(path, table)
            summary.written = True
    summary.unresolved.sort(key=lambda issue: issue.row)
    return summary
