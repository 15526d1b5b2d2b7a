"""Convert analysts' event datasets (ACLED, GTD) into an Incident Map dataset.

The mapping of precision codes follows the tables in ``data/README.md``. A row that cannot
be converted is reported (row and column, as a spreadsheet counts them) and left out; the
input file is never changed.

Example::

    result = convert(read_dataset("acled_export.csv"))
    result.source, len(result.incidents), [str(p) for p in result.problems][:1]
    # ('acled', 41210, ['row 17, column event_date: "31/02/2021" is not a date'])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pycountry

from dashboard.base.files import write_atomic
from dashboard.data.countries import normalise_country
from dashboard.data.loading import text_column
from dashboard.data.schema import (
    RECOMMENDED_COLUMNS,
    REQUIRED_COLUMNS,
    DatasetError,
    Problem,
    validate_frame,
)
from dashboard.data.spreadsheet import neutralise_frame

OUTPUT_COLUMNS = list(REQUIRED_COLUMNS) + [c for c in RECOMMENDED_COLUMNS if c != "related_id"]

ACLED_REQUIRED = ("event_id_cnty", "event_date", "event_type", "country", "latitude", "longitude")
GTD_REQUIRED = ("eventid", "iyear", "imonth", "iday", "country_txt", "latitude", "longitude")

#: ACLED ``time_precision``: 1 actual date; 2 a week; 3 a month. We have no week level,
#: so a week is kept at month precision (coarser, never falsely precise).
ACLED_TIME_PRECISION = {"1": "day", "2": "month", "3": "month"}
#: ACLED ``geo_precision``: 1 the town; 2 part of a region near a town; 3 a larger region.
ACLED_GEO_PRECISION = {"1": "city", "2": "region", "3": "region"}
#: GTD ``specificity``: 1 the town; 2 a town, coordinates of a region's centroid;
#: 3 not in a town, centroid of the smallest region; 4 first-order region; 5 unknown.
GTD_GEO_PRECISION = {"1": "city", "2": "region", "3": "region", "4": "region", "5": "country"}

#: Names in GTD's ``country_txt`` for states that no longer exist or that pycountry spells
#: otherwise, coded as the territory's ISO code today. Rows under a dissolved federation
#: (Soviet Union, Yugoslavia, Czechoslovakia) go to its largest successor: check them.
GTD_COUNTRIES = {
    "West Germany (FRG)": "DE",
    "East Germany (GDR)": "DE",
    "Soviet Union": "RU",
    "Yugoslavia": "RS",
    "Serbia-Montenegro": "RS",
    "Czechoslovakia": "CZ",
    "Zaire": "CD",
    "Rhodesia": "ZW",
    "South Vietnam": "VN",
    "South Yemen": "YE",
    "North Yemen": "YE",
    "West Bank and Gaza Strip": "PS",
    "Bosnia-Herzegovina": "BA",
    "Macedonia": "MK",
    "Ivory Coast": "CI",
    "Republic of the Congo": "CG",
    "People's Republic of the Congo": "CG",
    "Democratic Republic of the Congo": "CD",
    "Slovak Republic": "SK",
    "East Timor": "TL",
    "Vatican City": "VA",
    "Falkland Islands": "FK",
    "New Hebrides": "VU",
    "Brunei": "BN",
    "St. Kitts and Nevis": "KN",
    "St. Lucia": "LC",
    "Kosovo": "XK",
    "Hong Kong": "HK",
    "Macau": "MO",
    "International": "",
}

ACLED_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d-%m-%Y", "%d/%m/%Y", "%d-%B-%Y")


@dataclass
class ImportResult:
    source: str
    incidents: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)


def detect_source(frame: pd.DataFrame) -> str:
    """``"acled"`` or ``"gtd"`` from the header; DatasetError for anything else."""
    columns = {c.lower() for c in frame.columns}
    if {"event_id_cnty", "event_date"} <= columns:
        return "acled"
    if {"eventid", "iyear"} <= columns:
        return "gtd"
    raise DatasetError(
        "not an ACLED or GTD export: expected ACLED's event_id_cnty and event_date columns "
        "or GTD's eventid and iyear columns"
    )


def convert(frame: pd.DataFrame, source: str | None = None) -> ImportResult:
    """Convert an ACLED or GTD table (text columns, as read by ``read_dataset``)."""
    frame = frame.rename(columns=str.lower)
    source = source or detect_source(frame)
    if source == "acled":
        return _convert_acled(frame)
    if source == "gtd":
        return _convert_gtd(frame)
    raise DatasetError(f'unknown source "{source}"; use acled or gtd')


def _require(frame: pd.DataFrame, columns: tuple[str, ...], source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DatasetError(
            f"not a complete {source} export: missing column(s) {', '.join(missing)}"
        )


def _countries(codes: pd.Series, names: pd.Series) -> pd.Series:
    """ISO alpha-2 from numeric ISO codes (ACLED's ``iso``) or names, cached per value."""
    lookup: dict[tuple[str, str], str] = {}
    for code, name in set(zip(codes, names, strict=True)):
        alpha2 = None
        if code.isdigit() and int(code) > 0:
            country = pycountry.countries.get(numeric=f"{int(code):03d}")
            alpha2 = country.alpha_2 if country else None
        lookup[(code, name)] = alpha2 or normalise_country(name) or ""
    return pd.Series([lookup[pair] for pair in zip(codes, names, strict=True)], index=codes.index)


def _join(*parts: pd.Series, sep: str = ", ") -> pd.Series:
    """Join non-empty parts row by row."""
    joined = parts[0].copy()
    for part in parts[1:]:
        joined = joined.where(part == "", part.where(joined == "", joined + sep + part))
    return joined


def _coordinates(out: pd.DataFrame, frame: pd.DataFrame, problems: list[Problem]) -> None:
    """Copy usable coordinates; report unusable ones (the row is kept, to geocode later)."""
    lat_text, lon_text = text_column(frame, "latitude"), text_column(frame, "longitude")
    lat = pd.to_numeric(lat_text, errors="coerce")
    lon = pd.to_numeric(lon_text, errors="coerce")
    valid = lat.between(-90, 90) & lon.between(-180, 180) & ~((lat == 0) & (lon == 0))
    for column, text, numbers, limit in (
        ("latitude", lat_text, lat, 90),
        ("longitude", lon_text, lon, 180),
    ):
        unusable = (text != "") & ~numbers.between(-limit, limit)
        for index in unusable[unusable].index:
            problems.append(
                Problem(
                    int(index) + 2,
                    column,
                    f'"{text[index]}" is not a coordinate in decimal degrees between -{limit} '
                    f"and {limit}; the row is kept without coordinates",
                )
            )
    out["lat"] = lat.where(valid).map(
        lambda v: "" if pd.isna(v) else f"{v:.6f}".rstrip("0").rstrip(".")
    )
    out["lon"] = lon.where(valid).map(
        lambda v: "" if pd.isna(v) else f"{v:.6f}".rstrip("0").rstrip(".")
    )
    out["geocoder"] = valid.map({True: "manual", False: ""})


def _finish(
    out: pd.DataFrame, bad: pd.Series, problems: list[Problem], source: str
) -> ImportResult:
    for column in OUTPUT_COLUMNS:
        if column not in out.columns:
            out[column] = ""
    out = out.loc[~bad, OUTPUT_COLUMNS]
    duplicated = out["id"].duplicated(keep="first")
    for index in duplicated[duplicated].index:
        problems.append(
            Problem(int(index) + 2, "id", f'"{out.at[index, "id"]}" appears twice; kept the first')
        )
    out = out[~duplicated]
    # Whatever the conversion made, the dataset must pass ``validate``: a row it refuses
    # (a future date, a link that is not http(s), ...) is reported and left out.
    refused = validate_frame(out) if len(out) else []
    if refused and refused[0].row == 1:  # header problems: a bug in the conversion itself
        raise DatasetError("; ".join(str(p) for p in refused))
    rows = {problem.row for problem in refused}
    for problem in refused:
        problems.append(Problem(problem.row, problem.column,
                                f"{problem.message} (in the converted row); row left out"))
    out = out[~(out.index.to_series() + 2).isin(rows)]
    return ImportResult(source, out.reset_index(drop=True), sorted(problems))


def _convert_acled(frame: pd.DataFrame) -> ImportResult:
    _require(frame, ACLED_REQUIRED, "ACLED")
    problems: list[Problem] = []
    out = pd.DataFrame(index=frame.index)
    event_id = text_column(frame, "event_id_cnty")
    out["id"] = "acled-" + event_id.str.lower().str.replace(
        r"[^a-z0-9]+", "-", regex=True
    ).str.strip("-")

    raw_dates = text_column(frame, "event_date")
    dates = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[s]")  # years 1-9999
    for fmt in ACLED_DATE_FORMATS:
        missing = dates.isna()
        if not missing.any():
            break
        dates[missing] = pd.to_datetime(raw_dates[missing], format=fmt, errors="coerce")
    precision = text_column(frame, "time_precision").map(ACLED_TIME_PRECISION).fillna("day")
    out["date_precision"] = precision
    out["date"] = dates.dt.strftime("%Y-%m-%d").where(
        precision == "day", dates.dt.strftime("%Y-%m")
    )

    event_type = text_column(frame, "event_type")
    sub_event = text_column(frame, "sub_event_type")
    fatalities = (
        pd.to_numeric(text_column(frame, "fatalities"), errors="coerce").fillna(0).astype(int)
    )
    violent = event_type.isin(
        ["Violence against civilians", "Battles", "Explosions/Remote violence"]
    )
    out["event_type"] = "other"
    out.loc[violent & (fatalities > 0), "event_type"] = "killing"
    out.loc[
        (event_type == "Violence against civilians") & (sub_event == "Attack") & (fatalities == 0),
        "event_type",
    ] = "attempted_killing"
    out.loc[sub_event == "Arrests", "event_type"] = "arrest"

    location = text_column(frame, "location")
    out["title"] = (
        sub_event.where(sub_event != "", event_type)
        + " in "
        + location.where(location != "", text_column(frame, "country"))
    )
    out["summary"] = text_column(frame, "notes").where(
        text_column(frame, "notes") != "", out["title"]
    )
    out["place"] = _join(location, text_column(frame, "admin1"), text_column(frame, "country"))
    out["country"] = _countries(text_column(frame, "iso"), text_column(frame, "country"))
    _coordinates(out, frame, problems)
    out["geo_precision"] = (
        text_column(frame, "geo_precision").map(ACLED_GEO_PRECISION).fillna("city")
    )
    # ACLED names actors; inter1 = 1 marks state forces as the reported actor.
    state_actor = text_column(frame, "inter1").isin(["1", "State forces"])
    out["attribution"] = state_actor.map({True: "alleged", False: "unknown"})
    out["perpetrator"] = text_column(frame, "actor1")
    out["target"] = text_column(frame, "actor2")
    out["sponsor"] = text_column(frame, "actor1").where(state_actor, "")
    out["fatalities"] = fatalities.astype(str)
    source_text = text_column(frame, "source").str.replace(";", ",", regex=False)
    out["sources"] = "ACLED event " + event_id + source_text.map(lambda s: f"; {s}" if s else "")
    out["notes"] = (
        "Imported from ACLED ("
        + event_type
        + " / "
        + sub_event
        + "); coordinates as coded by ACLED"
    )

    bad = _report(
        out, frame, problems, dates, {"event_date": "event_date", "country": "country"}, raw_dates
    )
    return _finish(out, bad, problems, "acled")


def _convert_gtd(frame: pd.DataFrame) -> ImportResult:
    _require(frame, GTD_REQUIRED, "GTD")
    problems: list[Problem] = []
    out = pd.DataFrame(index=frame.index)
    event_id = text_column(frame, "eventid")
    out["id"] = "gtd-" + event_id.str.replace(r"[^0-9A-Za-z]+", "-", regex=True).str.lower()

    year = pd.to_numeric(text_column(frame, "iyear"), errors="coerce")
    month = pd.to_numeric(text_column(frame, "imonth"), errors="coerce").fillna(0)
    day = pd.to_numeric(text_column(frame, "iday"), errors="coerce").fillna(0)
    precision = pd.Series("day", index=frame.index)
    precision[day == 0] = "month"
    precision[month == 0] = "year"
    parts = pd.DataFrame(
        {"year": year, "month": month.where(month > 0, 1), "day": day.where(day > 0, 1)}
    )
    dates = pd.to_datetime(parts, errors="coerce")
    out["date_precision"] = precision
    out["date"] = dates.dt.strftime("%Y-%m-%d")
    out.loc[precision == "month", "date"] = dates.dt.strftime("%Y-%m")
    out.loc[precision == "year", "date"] = dates.dt.strftime("%Y")

    attack = text_column(frame, "attacktype1_txt")
    killed = pd.to_numeric(text_column(frame, "nkill"), errors="coerce")
    out["event_type"] = "other"
    out.loc[killed.fillna(0) > 0, "event_type"] = "killing"
    out.loc[(attack == "Assassination") & (killed.fillna(0) == 0), "event_type"] = (
        "attempted_killing"
    )

    city = text_column(frame, "city").replace("Unknown", "")
    out["title"] = (
        attack.where(attack != "", "Incident")
        + " in "
        + city.where(city != "", text_column(frame, "country_txt"))
    )
    out["summary"] = text_column(frame, "summary").where(
        text_column(frame, "summary") != "", out["title"]
    )
    out["place"] = _join(
        city,
        text_column(frame, "provstate").replace("Unknown", ""),
        text_column(frame, "country_txt"),
    )
    country_txt = text_column(frame, "country_txt")
    out["country"] = country_txt.map(GTD_COUNTRIES).fillna(
        _countries(pd.Series("", index=frame.index), country_txt)
    )
    _coordinates(out, frame, problems)
    out["geo_precision"] = text_column(frame, "specificity").map(GTD_GEO_PRECISION).fillna("city")
    group = text_column(frame, "gname")
    uncertain = text_column(frame, "guncertain1") == "1"
    out["attribution"] = "alleged"
    out.loc[uncertain, "attribution"] = "suspected"
    out.loc[group.isin(["", "Unknown"]), "attribution"] = "unknown"
    out["perpetrator"] = group.replace("Unknown", "")
    out["target"] = text_column(frame, "target1")
    out["fatalities"] = killed.map(lambda v: "" if pd.isna(v) or v < 0 else str(int(v)))
    cites = [
        text_column(frame, c).str.replace(";", ",", regex=False)
        for c in ("scite1", "scite2", "scite3")
    ]
    out["sources"] = "GTD event " + event_id
    for cite in cites:
        out["sources"] = out["sources"] + cite.map(lambda s: f"; {s}" if s else "")
    out["notes"] = "Imported from GTD (" + attack + "); coordinates as coded by GTD"

    written = (
        text_column(frame, "iyear")
        + "-"
        + text_column(frame, "imonth")
        + "-"
        + text_column(frame, "iday")
        + " (iyear-imonth-iday)"
    )
    bad = _report(
        out, frame, problems, dates, {"event_date": "iyear", "country": "country_txt"}, written
    )
    return _finish(out, bad, problems, "gtd")


def _report(out, frame, problems, dates, names, written: pd.Series) -> pd.Series:
    """Record rows that cannot become incidents; return the mask of rows to leave out.

    ``written`` is each row's date as the source wrote it, quoted in the message.
    """
    no_date = dates.isna()
    no_country = out["country"] == ""
    no_id = out["id"].str.fullmatch(r"(acled|gtd)-?")
    for index in no_date[no_date].index:
        problems.append(
            Problem(
                int(index) + 2,
                names["event_date"],
                f'"{written[index]}" is not a usable date; row left out',
            )
        )
    for index in no_country[no_country & ~no_date].index:
        value = frame.at[index, names["country"]] if names["country"] in frame.columns else ""
        problems.append(
            Problem(
                int(index) + 2,
                names["country"],
                f'"{value}" is not a country we can code in ISO 3166-1; row left out',
            )
        )
    for index in no_id[no_id].index:
        problems.append(Problem(int(index) + 2, "id", "has no event id; row left out"))
    return no_date | no_country | no_id


def write_dataset(incidents: pd.DataFrame, path) -> None:
    """Write converted incidents as a UTF-8 CSV dataset, atomically."""
    write_atomic(path, neutralise_frame(incidents).to_csv(index=False, lineterminator="\r\n"))
