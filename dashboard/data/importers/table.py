"""Any table (CSV, a workbook, the properties of GeoJSON or GIS features) through a column
mapping.

A mapping names, for each of our fields, the source column that holds it::

    {"date": "Date", "place": "City", "country": "Country", "summary": "Description",
     "lat": "Latitude", "lon": "Longitude"}

Fields not given are guessed from common header names (``Latitude``/``lat``/``y``,
``Longitude``/``lng``/``long``/``x``, ``Date``/``event_date``, a ``WKT``/``geometry``
column holding ``POINT (lon lat)``, ...), the way kepler.gl finds its lat/lon columns, and
from the values: a column of dates is the date when no header says so, and a column whose
values are world regions or span several countries is not a province. Every guess is
listed with its reason (:attr:`Guess.reasons`) and can be overridden.

What the file lacks, the user supplies as a constant (:class:`Mapping` ``values``): every
row is in the United States (``country``), or was reported by one source. A constant fills
a mapped column's empty cells too. ``date`` and ``country`` are needed, from a column or a
constant; coordinates are optional (rows without them are kept, to be geocoded from
``place``).

A mapping is saved and read back as JSON (``--map``; "remember this mapping" in the page)::

    {"columns": {"date": "Date", "place": "City"}, "values": {"country": "US"},
     "date_order": "month-first"}

>>> mapping = guess_mapping(["Date", "City", "Country", "Description", "Latitude", "Longitude"])
>>> " ".join(f"{field}={column}" for field, column in mapping.items())
'date=Date summary=Description place=City country=Country lat=Latitude lon=Longitude'
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dashboard.data.importers.common import (
    Conversion,
    ImportResult,
    count_text,
    country_code,
    country_codes,
    split_list,
)
from dashboard.data.importers.dates import ORDERS, read_dates
from dashboard.data.importers.points import swapped_points
from dashboard.data.schema import ATTRIBUTIONS, VOCABULARIES, DatasetError, Problem

#: Our fields, in the order they are guessed, with the header names that suggest them
#: (compared in lower case, every run of other characters than letters and digits as "_").
GUESSES: dict[str, tuple[str, ...]] = {
    "id": ("id", "event_id", "eventid", "incident_id", "uid", "identifier", "incident_key",
           "case_number", "incident_number"),
    "date": ("date", "event_date", "eventdate", "incident_date", "date_start", "day",
             "datetime", "date_time", "timestamp", "time", "when", "occurred", "occurred_on",
             "occurred_date", "date_occurred", "occur_date", "date_occ", "begin"),
    "event_type": ("event_type", "eventtype", "incident_type", "type", "category",
                   "offense", "offense_type", "crime_type"),
    "title": ("title", "headline", "name", "event", "subject"),
    "summary": ("summary", "description", "details", "notes", "note", "comments", "text",
                "narrative", "desc"),
    "place": ("place", "location", "city", "town", "locality", "village", "city_or_county",
              "municipality", "address", "site", "place_name", "where"),
    "region": ("region", "province", "state", "admin1", "adm_1", "provstate", "governorate",
               "district", "state_name", "county"),
    "country": ("country", "country_name", "countryname", "country_txt", "nation",
                "country_code", "iso2", "iso3"),
    "lat": ("lat", "latitude", "y", "decimallatitude", "lat_dd", "point_y", "ycoord",
            "latitude_dd"),
    "lon": ("lon", "lng", "long", "longitude", "x", "decimallongitude", "lon_dd", "point_x",
            "xcoord", "longitude_dd"),
    "point": ("wkt", "geometry", "geom", "the_geom", "geom_wkt", "point", "coordinates"),
    "fatalities": ("fatalities", "deaths", "killed", "n_killed", "nkill", "num_killed",
                   "number_killed", "dead", "best", "death_toll", "total_deaths",
                   "fatalities_count", "casualties"),
    "perpetrator": ("perpetrator", "perpetrators", "actor", "actor1", "attacker", "gname"),
    "target": ("target", "victim", "victims", "actor2"),
    "attribution": ("attribution",),
    "sources": ("sources", "source", "url", "link", "links", "references", "reference",
                "citation", "source_url", "incident_url"),
}
FIELDS = tuple(GUESSES)
#: Fields an import cannot do without: from a column or a constant value.
NEEDED = ("date", "country")
_POINT = re.compile(
    r"^\s*POINT\s*Z?\s*\(\s*(-?\d+(?:\.\d+)?(?:[eE]-?\d+)?)\s+(-?\d+(?:\.\d+)?(?:[eE]-?\d+)?)"
    r"(?:\s+-?[\d.]+)?\s*\)\s*$", re.IGNORECASE)
#: World regions as data sets name them (GTD's region_txt, ACLED's and UCDP's region, the
#: UN's M49 groups): a column of these is not a province.
WORLD_REGIONS = frozenset(re.sub(r"[^a-z]+", " ", name.lower()).strip() for name in (
    "Australasia & Oceania", "Central America & Caribbean", "Central Asia", "East Asia",
    "Eastern Europe", "Middle East & North Africa", "North America", "South America",
    "South Asia", "Southeast Asia", "Sub-Saharan Africa", "Western Europe", "Western Africa",
    "Middle Africa", "Eastern Africa", "Southern Africa", "Northern Africa", "Middle East",
    "Europe", "Caucasus and Central Asia", "Central America", "Caribbean", "Oceania",
    "Antarctica", "Africa", "Americas", "Asia", "Latin America and the Caribbean",
    "Northern America", "Eastern Asia", "South-eastern Asia", "Southern Asia", "Western Asia",
    "Northern Europe", "Southern Europe", "Australia and New Zealand", "Melanesia",
    "Micronesia", "Polynesia", "Latin America", "MENA", "Sub Saharan Africa", "Asia-Pacific",
    "Asia Pacific", "East Asia & Pacific", "Europe & Central Asia", "South East Asia",
))
#: How many rows of a column are looked at to judge its values.
SAMPLE_ROWS = 2_000


@dataclass
class Mapping:
    """What the user says about a file: the column of each field, constant values for what
    the file lacks, and the order of numeric dates (``day-first``, ``month-first``)."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    date_order: str | None = None
    #: Keep coordinates as written, even those that look swapped (they are still reported).
    as_written: bool = False

    def __bool__(self) -> bool:
        return bool(self.columns or self.values or self.date_order or self.as_written)

    def updated(self, other: Mapping) -> Mapping:
        """This mapping with ``other``'s choices over it."""
        return Mapping({**self.columns, **other.columns}, {**self.values, **other.values},
                       other.date_order or self.date_order, other.as_written or self.as_written)

    def as_json(self) -> dict:
        data: dict = {"columns": dict(self.columns)}
        if self.values:
            data["values"] = dict(self.values)
        if self.date_order:
            data["date_order"] = self.date_order
        if self.as_written:
            data["coordinates"] = "as written"
        return data

    def key(self) -> tuple:
        """A hashable form (the page caches conversions by it)."""
        return (tuple(sorted(self.columns.items())), tuple(sorted(self.values.items())),
                self.date_order, self.as_written)

    @classmethod
    def of(cls, given: Mapping | dict | None) -> Mapping:
        """A mapping from a ``Mapping``, a plain ``{field: column}`` dict or None."""
        if isinstance(given, Mapping):
            return given
        return cls(dict(given or {}))


@dataclass
class Guess:
    """The mapping guessed for a table, and the reason for each field guessed."""

    columns: dict[str, str]
    reasons: dict[str, str] = field(default_factory=dict)


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def _values(frame: pd.DataFrame | None, column: str) -> pd.Series:
    if frame is None or column not in frame.columns:
        return pd.Series(dtype=object)
    values = frame[column].head(SAMPLE_ROWS).astype(str).str.strip()
    return values[values != ""]


def guess(columns, frame: pd.DataFrame | None = None) -> Guess:
    """Our field -> source column, for every field a header name (or the values) suggest,
    each with its reason."""
    keys: dict[str, str] = {}
    for column in columns:
        keys.setdefault(_key(str(column)), str(column))
    found = Guess({})
    used: set[str] = set()
    skipped: dict[str, str] = {}
    for field_name, names in GUESSES.items():
        for name in names:
            column = keys.get(name)
            if column is None or column in used:
                continue
            if field_name == "region":
                why_not = _not_a_province(frame, column, found.columns.get("country"))
                if why_not:
                    skipped[column] = why_not
                    continue
            found.columns[field_name] = column
            found.reasons[field_name] = f'column "{column}" (its header)'
            used.add(column)
            break
    if "region" in found.columns:
        for column, why in skipped.items():
            found.reasons["region"] += f'; not "{column}": {why}'
    elif skipped:
        column, why = next(iter(skipped.items()))
        found.reasons["region"] = f'none: "{column}" {why}'
    if "date" not in found.columns and frame is not None:
        for column in columns:
            column = str(column)
            if column in used:
                continue
            share = _date_share(_values(frame, column))
            if share >= 0.8:
                found.columns["date"] = column
                found.reasons["date"] = (f'column "{column}" (no header says date; '
                                         f"{share:.0%} of its values read as dates)")
                used.add(column)
                break
    if "point" in found.columns and {"lat", "lon"} <= set(found.columns):
        del found.columns["point"]
        found.reasons.pop("point", None)
    return found


def _date_share(values: pd.Series) -> float:
    """The share of values that read as dates (plain numbers do not count)."""
    if values.empty:
        return 0.0
    wordy = values[~values.str.fullmatch(r"-?\d+(?:\.\d+)?")]
    if len(wordy) < len(values) / 2:
        return 0.0
    return float(read_dates(wordy).dates.notna().sum()) / len(values)


def _not_a_province(frame: pd.DataFrame | None, column: str, country: str | None) -> str:
    """Why a column named like a province holds something else, or ""."""
    values = _values(frame, column)
    if values.empty:
        return ""
    folded = values.str.lower().str.replace(r"[^a-z]+", " ", regex=True).str.strip()
    regions = folded.isin(WORLD_REGIONS)
    if regions.mean() >= 0.5:
        example = values[regions].iloc[0]
        return f'holds world regions ("{example[:40]}"), not provinces'
    if country and country in frame.columns:
        codes = country_codes(frame[country].head(SAMPLE_ROWS).astype(str))
        pairs = pd.DataFrame({"value": values, "country": codes.reindex(values.index)})
        pairs = pairs[pairs["country"] != ""]
        spread = pairs.groupby("value")["country"].nunique()
        wide = spread[spread >= 3]
        if len(pairs) and pairs["value"].isin(wide.index).mean() >= 0.5:
            example = wide.index[0]
            return (f'has values that span several countries ("{example[:40]}" is in '
                    f"{wide.iloc[0]}), so not provinces")
    return ""


def guess_mapping(columns, frame: pd.DataFrame | None = None) -> dict[str, str]:
    """Our field -> source column, for every field a header name (or the values) suggest."""
    return guess(columns, frame).columns


def read_mapping(path: str | Path) -> Mapping:
    """A mapping file: ``{"columns": {...}, "values": {...}, "date_order": ...}``, or a
    plain JSON object ``{"field": "source column", ...}``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DatasetError(f"{path}: not a readable JSON mapping file ({error})") from None
    return mapping_from_json(data, str(path))


def mapping_from_json(data: object, where: str) -> Mapping:
    """A :class:`Mapping` from its JSON form, checked."""
    if isinstance(data, dict) and ("columns" in data or "values" in data):
        columns, values = data.get("columns") or {}, data.get("values") or {}
        order = data.get("date_order")
        as_written = data.get("coordinates") == "as written"
        extra = set(data) - {"columns", "values", "date_order", "coordinates"}
        if extra or data.get("coordinates") not in (None, "as written"):
            raise DatasetError(f"{where}: unknown key(s) or value; a mapping has \"columns\", "
                               '"values", "date_order" and "coordinates": "as written"')
    else:
        columns, values, order, as_written = data, {}, None, False
    for part in (columns, values):
        if not isinstance(part, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in part.items()):
            raise DatasetError(f'{where}: a mapping file is a JSON object {{"columns": '
                               '{"field": "column"}, "values": {"field": "value"}}')
    if order is not None and order not in ORDERS:
        raise DatasetError(f'{where}: date_order "{order}" is not one of {", ".join(ORDERS)}')
    return Mapping(check_fields(columns, where), check_values(values, where), order,
                   as_written)


def write_mapping(mapping: Mapping, path: str | Path) -> None:
    """Save a mapping to reuse it with ``--map``."""
    from dashboard.base.files import write_atomic

    write_atomic(path, json.dumps(mapping.as_json(), indent=2, ensure_ascii=False) + "\n")


def parse_options(pairs, where: str = "--column") -> dict[str, str]:
    """``["date=Date", "lat=Latitude"]`` -> a mapping."""
    mapping = {}
    for pair in pairs:
        field_name, sep, column = pair.partition("=")
        if not sep or not field_name.strip() or not column.strip():
            raise DatasetError(f'"{pair}" is not FIELD=COLUMN (e.g. date="Event date")'
                               if where == "--column" else
                               f'"{pair}" is not FIELD=VALUE (e.g. country=US)')
        mapping[field_name.strip()] = column.strip()
    return check_fields(mapping, where)


def check_fields(mapping: dict[str, str], where: str) -> dict[str, str]:
    unknown = [name for name in mapping if name not in FIELDS]
    if unknown:
        raise DatasetError(f"{where}: unknown field(s) {', '.join(unknown)}; "
                           f"use {', '.join(FIELDS)}")
    return mapping


def check_values(values: dict[str, str], where: str = "--value") -> dict[str, str]:
    """Constant values checked: a country must be one (its ISO code is kept), a date must
    read as one, an attribution must be one of ours."""
    check_fields(values, where)
    checked = {}
    for name, value in values.items():
        value = value.strip()
        if name in ("lat", "lon", "point"):
            raise DatasetError(f"{where}: {name} cannot be one value for every row")
        if name == "country":
            code = country_code(value)
            if not code:
                raise DatasetError(f'{where}: "{value}" is not a country name or ISO code')
            value = code
        if name == "date" and read_dates(pd.Series([value])).dates.isna().all() and not (
                re.fullmatch(r"\d{4}(-\d{2})?", value)):
            raise DatasetError(f'{where}: "{value}" is not a date')
        if name == "fatalities" and not value.isdigit():
            raise DatasetError(f'{where}: fatalities "{value}" is not a whole number')
        if name == "attribution" and value not in ATTRIBUTIONS:
            raise DatasetError(f'{where}: attribution "{value}" is not one of '
                               f"{', '.join(ATTRIBUTIONS)}")
        checked[name] = value
    return checked


def resolve_mapping(columns, given: Mapping | dict | None,
                    frame: pd.DataFrame | None = None) -> tuple[dict[str, str], list[str]]:
    """The given mapping over the guessed one, and a sentence for each field guessed; every
    named column must exist, and date and country must come from a column or a value."""
    given = Mapping.of(given)
    guessed = guess(columns, frame)
    mapping, reasons = dict(guessed.columns), dict(guessed.reasons)
    for name, column in given.columns.items():
        if column not in columns:
            raise DatasetError(f'the mapping names column "{column}" for {name}, but the file '
                               f"has no such column (it has: {_listed(columns)})")
        mapping = {f: c for f, c in mapping.items() if c != column}
        mapping[name] = column
        reasons.pop(name, None)
    if "point" in given.columns:
        mapping.pop("lat", None)
        mapping.pop("lon", None)
    missing = [name for name in NEEDED if name not in mapping and name not in given.values]
    if missing:
        example = "--country US" if missing[-1] == "country" else \
            f'--column {missing[0]}="Your column"'
        raise MissingFields(
            missing,
            f"no {' or '.join(missing)} column found among: {_listed(columns)}; "
            f"name it with --column FIELD=COLUMN, give one value for every row with --value "
            f"FIELD=VALUE, or use a --map file (e.g. {example})")
    return mapping, guess_notes({name: reasons[name] for name in FIELDS if name in reasons
                                 and (name in mapping or reasons[name].startswith("none"))},
                                mapping)


def guess_notes(reasons: dict[str, str], mapping: dict[str, str]) -> list[str]:
    """The guesses as notes: the fields taken by their headers on one line, every other
    guess (by the values, a column passed over) on a line of its own."""
    plain = [name for name, why in reasons.items() if why.endswith("(its header)")]
    notes = []
    if plain:
        notes.append("columns taken by their headers: " + ", ".join(
            f'{name} ← "{mapping[name]}"' for name in plain))
    notes += [f"{name} ← {why}" for name, why in reasons.items() if name not in plain]
    return notes


class MissingFields(DatasetError):
    """No column (and no value) for a field an import needs; ``missing`` names them."""

    def __init__(self, missing: list[str], message: str):
        self.missing = missing
        super().__init__(message)


def _listed(columns, limit: int = 40) -> str:
    names = [str(c) for c in columns]
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def convert_table(frame: pd.DataFrame, mapping: dict[str, str] | Mapping, *,
                  name: str = "file", rows_in: int | None = None,
                  values: dict[str, str] | None = None, date_order: str | None = None,
                  as_written: bool = False) -> ImportResult:
    """Convert a table through ``mapping`` (field -> column); ``values`` are constants for
    what the file lacks (filling a mapped column's empty cells too)."""
    if isinstance(mapping, Mapping):
        values, date_order, as_written = mapping.values, mapping.date_order, mapping.as_written
        mapping = mapping.columns
    values = values or {}
    # The source columns under our field names; a field not mapped reads as empty.
    fields = pd.DataFrame({f: frame[source] for f, source in mapping.items()},
                          index=frame.index)
    work = Conversion.start(fields, "table", name, rows_in=rows_in, rename=None)
    out, problems = work.out, work.problems

    def column(field_name: str) -> pd.Series:
        text = work.text(field_name)
        constant = values.get(field_name)
        return text if constant is None else text.where(text != "", constant)

    rows = pd.Series(frame.index + 2, index=frame.index).astype(str)
    given_id = column("id").str.lower().str.replace(r"[^a-z0-9]+", "-", regex=True).str.strip("-")
    out["id"] = given_id.where(given_id != "", "row-" + rows)

    raw_dates = column("date")
    reading = read_dates(raw_dates, date_order)
    dates = reading.dates
    year_only = raw_dates.str.fullmatch(r"\d{4}")
    month_only = raw_dates.str.fullmatch(r"\d{4}-\d{2}")
    dates[year_only] = pd.to_datetime(raw_dates[year_only], format="%Y", errors="coerce")
    dates[month_only] = pd.to_datetime(raw_dates[month_only], format="%Y-%m", errors="coerce")
    if reading.explanation:
        where = f'column "{mapping["date"]}"' if "date" in mapping else "the value given"
        work.notices.append(f"dates ({where}): {reading.explanation}")
    out["date_precision"] = "day"
    out.loc[month_only, "date_precision"] = "month"
    out.loc[year_only, "date_precision"] = "year"
    out["date"] = dates.dt.strftime("%Y-%m-%d")
    out.loc[month_only, "date"] = dates.dt.strftime("%Y-%m")
    out.loc[year_only, "date"] = dates.dt.strftime("%Y")

    raw_type = column("event_type")
    folded = raw_type.str.lower().str.replace(r"[\s\-]+", "_", regex=True)
    known = folded.isin(VOCABULARIES["event_type"])
    out["event_type"] = folded.where(known, "other")

    place, region, country = column("place"), column("region"), column("country")
    work.place(place, region, country=country)
    title = column("title")
    label = raw_type.where(raw_type != "", "Incident")
    out["title"] = title.where(title != "", label + " in " + place.where(place != "", country))
    out["summary"] = column("summary")

    lat, lon = column("lat"), column("lon")
    names = (mapping.get("lat", "latitude"), mapping.get("lon", "longitude"))
    if "point" in mapping:
        points = column("point").str.extract(_POINT)
        lon, lat = points[0].fillna(""), points[1].fillna("")
        unread = (column("point") != "") & (lat == "")
        for index in unread[unread].index:
            problems.append(Problem(
                int(index) + 2, mapping["point"],
                f'"{column("point")[index][:60]}" is not a WKT POINT (lon lat); the row is '
                "kept without coordinates"))
        names = (mapping["point"], mapping["point"])
    work.coordinates(lat, lon, names)
    swapped = swapped_points(out)
    if swapped.any():
        done = "kept as written" if as_written else "swapped back"
        if not as_written:
            out.loc[swapped, ["lat", "lon"]] = out.loc[swapped, ["lon", "lat"]].to_numpy()
        for index in swapped[swapped].index:
            problems.append(Problem(
                int(index) + 2, names[0],
                "latitude and longitude look swapped (the point lies outside "
                f"{out.at[index, 'country']}, the swapped one inside it); {done}"))
        work.notices.append(
            f"{int(swapped.sum()):,} row(s) have latitude and longitude swapped (the point lay "
            f"outside the row's country and the swapped point inside it): {done}, and their "
            "notes say so")
    has_point = out["lat"] != ""
    out["geo_precision"] = "city"
    out.loc[(place == "") & (region != ""), "geo_precision"] = "region"
    out.loc[(place == "") & (region == "") & ~has_point, "geo_precision"] = "country"

    attribution = column("attribution").str.lower()
    out["attribution"] = attribution.where(attribution.isin(tuple(ATTRIBUTIONS)), "unknown")
    out["perpetrator"], out["target"] = column("perpetrator"), column("target")
    out["fatalities"] = count_text(column("fatalities"), mapping.get("fatalities", "fatalities"),
                                   problems)
    sources = split_list(column("sources"))
    out["sources"] = sources.where(sources != "", f"{name}, row " + rows)
    kept_type = raw_type.map(lambda t: f"; type in the file: {t}" if t else "")
    shape_column = frame.attrs.get("shape_column")
    shape = (frame[shape_column].astype(str) if shape_column in frame.columns
             else pd.Series("", index=frame.index))
    out["notes"] = (f"Imported from {name}" + kept_type.where(~known, "")
                    + has_point.map({True: "; coordinates as given in the file", False: ""})
                    + shape.map(lambda k: f" (a representative point of its {k})" if k else "")
                    + swapped.map({True: "; latitude and longitude look swapped in the file"
                                         + (", kept as written" if as_written else
                                            ", swapped back"), False: ""}))
    for field_name, value in values.items():
        work.notices.append(f"{field_name} = {value} for every row"
                            + (" without one" if field_name in mapping else ""))

    return work.finish(dates, {"date": raw_dates, "country": country},
                       {"date": mapping.get("date", "date"),
                        "country": mapping.get("country", "country"),
                        "id": mapping.get("id", "id")}, date_why=reading.why)
