"""Any table (CSV, ``.xlsx``, the properties of GeoJSON points) through a column mapping.

A mapping names, for each of our fields, the source column that holds it::

    {"date": "Date", "place": "City", "country": "Country", "summary": "Description",
     "lat": "Latitude", "lon": "Longitude"}

Fields not given are guessed from common header names (``Latitude``/``lat``/``y``,
``Longitude``/``lng``/``long``/``x``, ``Date``/``event_date``, a ``WKT``/``geometry``
column holding ``POINT (lon lat)``, ...), the way kepler.gl finds its lat/lon columns.
``date`` and ``country`` are needed; coordinates are optional (rows without them are kept,
to be geocoded from ``place``).

>>> mapping = guess_mapping(["Date", "City", "Country", "Description", "Latitude", "Longitude"])
>>> " ".join(f"{field}={column}" for field, column in mapping.items())
'date=Date summary=Description place=City country=Country lat=Latitude lon=Longitude'
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from dashboard.data.importers.common import (
    Conversion,
    ImportResult,
    parse_dates,
    split_list,
)
from dashboard.data.schema import VOCABULARIES, DatasetError, Problem

#: Our fields, in the order they are guessed, with the header names that suggest them
#: (compared in lower case with spaces, dashes and dots as underscores).
GUESSES: dict[str, tuple[str, ...]] = {
    "id": ("id", "event_id", "eventid", "incident_id", "uid", "identifier"),
    "date": ("date", "event_date", "eventdate", "incident_date", "date_start", "day",
             "datetime", "timestamp", "time", "when"),
    "event_type": ("event_type", "eventtype", "incident_type", "type", "category"),
    "title": ("title", "headline", "name", "event", "subject"),
    "summary": ("summary", "description", "details", "notes", "note", "comments", "text"),
    "place": ("place", "location", "city", "town", "locality", "village", "address", "site",
              "place_name", "where"),
    "region": ("region", "province", "state", "admin1", "adm_1", "provstate", "governorate",
               "district"),
    "country": ("country", "country_name", "countryname", "country_txt", "nation",
                "country_code", "iso2", "iso3"),
    "lat": ("lat", "latitude", "y", "decimallatitude", "lat_dd", "point_y", "ycoord"),
    "lon": ("lon", "lng", "long", "longitude", "x", "decimallongitude", "lon_dd", "point_x",
            "xcoord"),
    "point": ("wkt", "geometry", "geom", "the_geom", "geom_wkt", "point", "coordinates"),
    "fatalities": ("fatalities", "deaths", "killed", "dead", "nkill", "death_toll",
                   "casualties"),
    "perpetrator": ("perpetrator", "perpetrators", "actor", "actor1", "attacker"),
    "target": ("target", "victim", "victims", "actor2"),
    "sources": ("sources", "source", "url", "link", "links", "references", "reference",
                "citation"),
}
FIELDS = tuple(GUESSES)
_POINT = re.compile(
    r"^\s*POINT\s*Z?\s*\(\s*(-?\d+(?:\.\d+)?(?:[eE]-?\d+)?)\s+(-?\d+(?:\.\d+)?(?:[eE]-?\d+)?)"
    r"(?:\s+-?[\d.]+)?\s*\)\s*$", re.IGNORECASE)


def _key(header: str) -> str:
    return re.sub(r"[\s.\-]+", "_", header.strip().lower())


def guess_mapping(columns) -> dict[str, str]:
    """Our field -> source column, for every field a header name suggests."""
    keys = {}
    for column in columns:
        keys.setdefault(_key(str(column)), str(column))
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for field, names in GUESSES.items():
        for name in names:
            column = keys.get(name)
            if column is not None and column not in used:
                mapping[field] = column
                used.add(column)
                break
    if "point" in mapping and {"lat", "lon"} <= set(mapping):
        del mapping["point"]
    return mapping


def read_mapping(path: str | Path) -> dict[str, str]:
    """A mapping file: a JSON object ``{"field": "source column", ...}``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DatasetError(f"{path}: not a readable JSON mapping file ({error})") from None
    if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise DatasetError(f'{path}: a mapping file is one JSON object {{"field": "column"}}')
    return check_fields(data, str(path))


def parse_options(pairs) -> dict[str, str]:
    """``["date=Date", "lat=Latitude"]`` -> a mapping."""
    mapping = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise DatasetError(f'"{pair}" is not FIELD=COLUMN (e.g. date="Event date")')
        mapping[field.strip()] = column.strip()
    return check_fields(mapping, "--column")


def check_fields(mapping: dict[str, str], where: str) -> dict[str, str]:
    unknown = [field for field in mapping if field not in FIELDS]
    if unknown:
        raise DatasetError(f"{where}: unknown field(s) {', '.join(unknown)}; "
                           f"use {', '.join(FIELDS)}")
    return mapping


def resolve_mapping(columns, given: dict[str, str] | None) -> dict[str, str]:
    """The given mapping over the guessed one; every named column must exist."""
    mapping = guess_mapping(columns)
    for field, column in (given or {}).items():
        if column not in columns:
            raise DatasetError(f'the mapping names column "{column}" for {field}, but the file '
                               f"has no such column (it has: {', '.join(map(str, columns))})")
        mapping = {f: c for f, c in mapping.items() if c != column}
        mapping[field] = column
    if "point" in (given or {}):
        mapping.pop("lat", None)
        mapping.pop("lon", None)
    missing = [field for field in ("date", "country") if field not in mapping]
    if missing:
        raise DatasetError(
            f"no {' or '.join(missing)} column found among: {', '.join(map(str, columns))}; "
            "name it with --column FIELD=COLUMN or a --map file "
            f'(e.g. --column {missing[0]}="Your column")')
    return mapping


def convert_table(frame: pd.DataFrame, mapping: dict[str, str], *, name: str = "file",
                  rows_in: int | None = None) -> ImportResult:
    # The source columns under our field names; a field not mapped reads as empty.
    fields = pd.DataFrame({field: frame[source] for field, source in mapping.items()},
                          index=frame.index)
    work = Conversion.start(fields, "table", name, rows_in=rows_in, rename=None)
    out, column, problems = work.out, work.text, work.problems
    rows = pd.Series(frame.index + 2, index=frame.index).astype(str)
    given_id = column("id").str.lower().str.replace(r"[^a-z0-9]+", "-", regex=True).str.strip("-")
    out["id"] = given_id.where(given_id != "", "row-" + rows)

    raw_dates = column("date")
    dates = parse_dates(raw_dates)
    year_only = raw_dates.str.fullmatch(r"\d{4}")
    month_only = raw_dates.str.fullmatch(r"\d{4}-\d{2}")
    dates[year_only] = pd.to_datetime(raw_dates[year_only], format="%Y", errors="coerce")
    dates[month_only] = pd.to_datetime(raw_dates[month_only], format="%Y-%m", errors="coerce")
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
    has_point = out["lat"] != ""
    out["geo_precision"] = "city"
    out.loc[(place == "") & (region != ""), "geo_precision"] = "region"
    out.loc[(place == "") & (region == "") & ~has_point, "geo_precision"] = "country"

    out["attribution"] = "unknown"
    out["perpetrator"], out["target"] = column("perpetrator"), column("target")
    out["fatalities"] = work.count("fatalities", mapping.get("fatalities", "fatalities"))
    sources = split_list(column("sources"))
    out["sources"] = sources.where(sources != "", f"{name}, row " + rows)
    kept_type = raw_type.map(lambda t: f"; type in the file: {t}" if t else "")
    out["notes"] = (f"Imported from {name}" + kept_type.where(~known, "")
                    + has_point.map({True: "; coordinates as given in the file", False: ""}))

    return work.finish(dates, {"date": raw_dates, "country": country},
                       {"date": mapping["date"], "country": mapping["country"],
                        "id": mapping.get("id", "id")})
