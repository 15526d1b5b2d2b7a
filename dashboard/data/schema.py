"""The dataset's columns and vocabularies, and the checks every dataset must pass.

Both the loader and ``incident-map validate`` use this module, so a file that
validates is a file the dashboard opens.

Example::

    problems = validate_frame(read_dataset("data/incidents.csv"))
    [str(p) for p in problems]
    # ['row 7, column date: "2024-02-30" is not a real date; expected YYYY-MM-DD ...']
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dashboard.base.files import UnreadableFile, read_regular_file
from dashboard.data.countries import is_country_code, normalise_country
from dashboard.data.spreadsheet import restore_frame

REQUIRED_COLUMNS: tuple[str, ...] = (
    "id",
    "date",
    "date_precision",
    "event_type",
    "title",
    "summary",
    "place",
    "country",
    "lat",
    "lon",
    "geo_precision",
    "geocoder",
    "attribution",
    "sources",
)

RECOMMENDED_COLUMNS: tuple[str, ...] = (
    "perpetrator",
    "sponsor",
    "target",
    "fatalities",
    "persons",
    "counterpart_country",
    "source_quote",
    "notes",
    "related_id",
    "checked",
)

DATE_PRECISIONS: tuple[str, ...] = ("day", "month", "year", "undated")
#: The one date precision whose ``date`` is empty: an assessment that describes a pattern
#: without a date of its own (never a guessed year).
UNDATED = "undated"
#: Event types that may be undated.
UNDATED_TYPES: tuple[str, ...] = ("assessment",)

EVENT_TYPES: dict[str, str] = {
    "killing": "Killing",
    "attempted_killing": "Attempted killing",
    "arrest": "Arrest",
    "prisoner_exchange": "Prisoner exchange",
    "court_ruling": "Court ruling",
    "diplomatic_expulsion": "Diplomatic expulsion",
    "intelligence_disclosure": "Intelligence disclosure",
    "sabotage": "Sabotage or arson",
    "plot": "Foiled plot",
    "assessment": "Assessment",
    "other": "Other",
}

GEO_PRECISIONS: dict[str, str] = {
    "site": "Exact site (building, street, park)",
    "district": "District or neighbourhood",
    "city": "City or town",
    "region": "Region or province",
    "country": "Country only",
}

GEOCODERS: dict[str, str] = {
    "manual": "Set by hand from a cited source",
    "gazetteer": "Offline GeoNames gazetteer",
    "nominatim": "OpenStreetMap Nominatim",
    "dataset": "A named site already located in the dataset (another row's point)",
    "sites": "The operator's sites file (INCIDENT_MAP_SITES)",
}

ATTRIBUTIONS: dict[str, str] = {
    "confirmed": "Confirmed (court finding or official attribution)",
    "suspected": "Suspected by investigators or officials",
    "alleged": "Alleged by sources, unproven",
    "unknown": "Sponsor unknown",
}

#: Who made the attribution (the optional ``attributed_by`` column), and the ``attribution``
#: each allows: a court, an official public inquiry, the government's official statement,
#: the sponsor's own acknowledgement or an overt act of a state (an expulsion, an arrest, a
#: published finding) confirm; prosecutors' charges, investigators' findings, a named
#: official's statement or an accusation by a party to the dispute make a state suspected;
#: anonymous officials, victims and relatives, or the press alone only allege; ``none`` is
#: for a row no one attributes.
ATTRIBUTED_BY: dict[str, tuple[str, ...]] = {
    "court": ("confirmed",),
    "inquiry": ("confirmed",),
    "government": ("confirmed",),
    "acknowledged": ("confirmed",),
    "state act": ("confirmed",),
    "prosecutor": ("suspected",),
    "investigators": ("suspected",),
    "official": ("suspected",),
    "party": ("suspected",),
    "anonymous": ("alleged",),
    "victim": ("alleged",),
    "media": ("alleged",),
    "none": ("unknown",),
}

VOCABULARIES: dict[str, tuple[str, ...]] = {
    "date_precision": DATE_PRECISIONS,
    "event_type": tuple(EVENT_TYPES),
    "geo_precision": tuple(GEO_PRECISIONS),
    "attribution": tuple(ATTRIBUTIONS),
}

#: Columns that must hold a value in every row.
NON_EMPTY_COLUMNS: tuple[str, ...] = (
    "id",
    "date",
    "date_precision",
    "event_type",
    "title",
    "place",
    "country",
    "geo_precision",
    "attribution",
    "sources",
)

INTEGER_COLUMNS: tuple[str, ...] = ("fatalities", "persons")
#: The largest count accepted in ``fatalities`` and ``persons`` (larger is a typing error,
#: and would not fit the dashboard's 64-bit integers).
MAX_COUNT = 10_000_000
#: The earliest year a date may have. Year 0000 (ISO 8601's 1 BC) and other early years
#: are typing errors in this domain, and dates before 1678 do not fit pandas' timestamps.
MIN_YEAR = 1800

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
DATE_PATTERNS = {
    "day": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "month": re.compile(r"^\d{4}-\d{2}$"),
    "year": re.compile(r"^\d{4}$"),
}
DATE_FORMATS = {"day": "YYYY-MM-DD", "month": "YYYY-MM", "year": "YYYY"}
URL_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
UNSAFE_SCHEMES = ("javascript", "data", "vbscript", "file", "blob")


class DatasetError(Exception):
    """A dataset that cannot be read at all (missing, empty, not UTF-8, not CSV)."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a dataset; ``row`` counts as a spreadsheet does (header = 1)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


class InvalidDataset(DatasetError):
    """A readable dataset with problems; ``problems`` lists every one of them."""

    def __init__(self, path: str | Path, problems: list[Problem]):
        self.path = str(path)
        self.problems = problems
        first = "; ".join(str(p) for p in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        super().__init__(f"{self.path}: {len(problems)} problem(s): {first}{more}")


def read_dataset(path: str | Path) -> pd.DataFrame:
    """Read a dataset as text columns (empty cells are ``""``), or raise DatasetError."""
    try:
        raw = read_regular_file(path)
    except UnreadableFile as error:
        raise DatasetError(str(error)) from None
    return parse_dataset(raw, name=str(path))


def parse_dataset(raw: bytes, *, name: str = "dataset") -> pd.DataFrame:
    """Parse CSV bytes (e.g. an upload) as text columns, or raise DatasetError."""
    if not raw.strip():
        raise DatasetError(f"{name}: the file is empty; expected a CSV with a header row")
    if b"\x00" in raw[:8192]:
        raise DatasetError(f"{name}: looks like a binary file, not a UTF-8 CSV")
    # A blank line is a row to a spreadsheet user: only the careful parser keeps it,
    # so that every row after it is reported under the number the user sees.
    frame = None if _BLANK_LINE.search(raw) else _read_fast(raw)
    if frame is not None:
        return _checked_shape(frame, raw, name)
    try:
        frame = pd.read_csv(
            io.BytesIO(raw),
            encoding="utf-8-sig",
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skipinitialspace=False,
            skip_blank_lines=False,
        )
    except (pd.errors.ParserError, csv.Error) as error:
        raise DatasetError(f"{name}: not a well-formed CSV ({_short(error)})") from None
    except UnicodeDecodeError:
        try:
            raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = raw[: error.start].count(b"\n") + 1
        else:  # pragma: no cover - pandas and Python disagree on what is UTF-8
            line = "?"
        raise DatasetError(
            f"{name}: not UTF-8 text (bad byte at line {line}); save it as UTF-8 CSV"
        ) from None
    except pd.errors.EmptyDataError:
        raise DatasetError(f"{name}: the file is empty; expected a CSV with a header row") from None
    frame.columns = [str(column).strip() for column in frame.columns]
    return _checked_shape(frame, raw, name)


#: A line that holds nothing but white space (between two line breaks).
_BLANK_LINE = re.compile(rb"\n[ \t]*\r?\n")
#: Separators spreadsheets use instead of commas (semicolon where the comma is the
#: decimal mark, tab in "text" exports).
_OTHER_SEPARATORS = {";": "semicolons", "\t": "tabs"}


def _checked_shape(frame: pd.DataFrame, raw: bytes, name: str) -> pd.DataFrame:
    """Refuse a file separated by something other than commas; drop blank rows.

    Blank rows are dropped but the index keeps each record's position, so that
    ``index + 2`` stays the row number a spreadsheet shows.
    """
    if len(frame.columns) == 1:
        header = raw.decode("utf-8-sig", errors="replace").splitlines()[0]
        for separator, plural in _OTHER_SEPARATORS.items():
            named = {cell.strip().strip('"') for cell in header.split(separator)}
            if len(named & set(REQUIRED_COLUMNS + RECOMMENDED_COLUMNS)) >= 2 or (
                separator in header and len(header.split(separator)) >= 3
            ):
                raise DatasetError(
                    f"{name}: the columns are separated by {plural}, not commas; save it "
                    "as comma-separated CSV (in a spreadsheet: CSV UTF-8, comma-delimited)"
                )
    blank = frame.apply(lambda column: column.str.strip() == "").all(axis=1)
    return restore_frame(frame.loc[~blank].copy() if blank.any() else frame)


def _read_fast(raw: bytes) -> pd.DataFrame | None:
    """Parse with pyarrow's multi-threaded reader (several times faster on large files).

    Returns None for anything it does not read cleanly (quoted line breaks, bad UTF-8,
    ragged rows, repeated header names); the standard parser then reads the file or
    explains precisely what is wrong with it.
    """
    try:
        frame = pd.read_csv(
            io.BytesIO(raw), engine="pyarrow", encoding="utf-8", dtype=str, keep_default_na=False
        )
    except Exception:  # noqa: BLE001 - any failure means: use the careful parser
        return None
    columns = [str(column).strip() for column in frame.columns]
    if len(set(columns)) != len(columns) or frame.isna().any().any():
        return None
    if columns and columns[0].startswith("\ufeff"):
        columns[0] = columns[0][1:]
    frame.columns = columns
    return frame


def _short(error: Exception) -> str:
    return str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__


def validate_file(path: str | Path) -> list[Problem]:
    """Every problem in the file at ``path``; raises DatasetError if it cannot be read."""
    return validate_frame(read_dataset(path))


def validate_frame(frame: pd.DataFrame) -> list[Problem]:
    """Every problem in a dataset read by :func:`read_dataset`, sorted by row."""
    problems: list[Problem] = []
    header_problems = _check_header(frame)
    if header_problems:
        return header_problems
    if frame.empty:
        return [Problem(2, "id", "the file has a header but no incidents")]
    rows = _row_numbers(frame)
    text = frame.apply(lambda column: column.str.strip())

    def add(mask: pd.Series, column: str, message) -> None:
        for index in mask[mask].index:
            value = text.at[index, column] if column in text.columns else ""
            msg = message(value) if callable(message) else message
            problems.append(Problem(int(rows[index]), column, _shorten_quotes(msg)))

    undated = text["date_precision"] == UNDATED
    for column in NON_EMPTY_COLUMNS:
        empty = text[column] == ""
        if column == "date":
            empty &= ~undated
        add(empty, column, "is empty; a value is required")

    ids = text["id"]
    add((ids != "") & ~ids.str.match(ID_PATTERN), "id", lambda v: (
        f'"{v}" is not a slug; use lower-case letters, digits and hyphens, '
        "e.g. 2019-08-23-berlin-khangoshvili"
    ))
    duplicated = (ids != "") & ids.duplicated(keep="first")
    for index in duplicated[duplicated].index:
        first = int(rows[ids[ids == ids[index]].index[0]])
        message = f'"{ids[index]}" repeats the id of row {first}; ids must be unique'
        problems.append(Problem(int(rows[index]), "id", message))

    for column, allowed in VOCABULARIES.items():
        values = text[column]
        add((values != "") & ~values.isin(allowed), column, lambda v, a=allowed: (
            f'"{v}" is not allowed; use one of: {", ".join(a)}'
        ))

    _check_attributed_by(text, add)
    _check_dates(text, add, problems, rows)
    _check_undated(text, add)
    _check_checked(text, add)
    _check_countries(text, add)
    _check_coordinates(text, add)
    _check_integers(text, add)
    _check_sources(text, add)
    _check_unwritable(frame, rows, problems)
    return sorted(problems)


def _check_attributed_by(text, add) -> None:
    """``attributed_by`` (when the dataset has it) names who made the attribution, and the
    ``attribution`` must be the level that source allows (see :data:`ATTRIBUTED_BY`)."""
    if "attributed_by" not in text.columns:
        return
    who = text["attributed_by"]
    add((who != "") & ~who.isin(ATTRIBUTED_BY), "attributed_by", lambda v: (
        f'"{v}" is not allowed; use one of: {", ".join(ATTRIBUTED_BY)}'))
    for source, levels in ATTRIBUTED_BY.items():
        wrong = (who == source) & text["attribution"].isin(ATTRIBUTIONS) & \
            ~text["attribution"].isin(levels)
        add(wrong, "attribution", lambda v, s=source, lv=levels: (
            f'"{v}" does not match attributed_by "{s}", which allows only {", ".join(lv)}'))


#: Characters no export can write: XML 1.0 (PPTX, the HTML and SVG of the PNG) has no
#: U+FFFE, U+FFFF or surrogates, and a lone surrogate is not UTF-8 at all.
_UNWRITABLE = re.compile("[\ufffe\uffff\ud800-\udfff]")


def _check_unwritable(frame: pd.DataFrame, rows: pd.Series, problems: list[Problem]) -> None:
    """A cell holding a character no export can write, named by its code point."""
    for column in frame.columns:
        values = [str(value) for value in frame[column].tolist()]
        if not _UNWRITABLE.search("".join(values)):  # one search a column, in C
            continue
        for index, value in zip(frame.index, values, strict=True):
            found = _UNWRITABLE.search(value)
            if found is None:
                continue
            character = found.group(0)
            problems.append(Problem(
                int(rows[index]), str(column),
                f"holds U+{ord(character):04X}, which is not a character of text: no "
                "export (PPTX, PDF, HTML) can write it; remove it"))


_LONG_QUOTE = re.compile(r'"([^"]{60})[^"]{10,}"')


def _shorten_quotes(message: str) -> str:
    """A message that quotes a very long cell quotes its first 60 characters only."""
    return _LONG_QUOTE.sub(lambda m: f'"{m.group(1)}\u2026"', message)


def _row_numbers(frame: pd.DataFrame) -> pd.Series:
    """Each row's number as a spreadsheet shows it (header = 1, blank rows counted).

    :func:`parse_dataset` keeps each record's position in the index; any other
    frame is numbered in order.
    """
    index = frame.index
    if pd.api.types.is_integer_dtype(index) and index.is_monotonic_increasing and (
        len(index) == 0 or index[0] >= 0
    ):
        return pd.Series(index.to_numpy() + 2, index=index)
    return pd.Series(range(2, len(frame) + 2), index=index)


def _check_header(frame: pd.DataFrame) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for column in frame.columns:
        base = column.rsplit(".", 1)[0] if re.fullmatch(r".+\.\d+", column) else column
        if column in seen or base in seen:
            problems.append(Problem(1, base, "this column appears twice in the header"))
        seen.add(column)
    for column in REQUIRED_COLUMNS:
        if column not in frame.columns:
            problems.append(Problem(1, column, "required column is missing from the header"))
    return problems


def _check_dates(text, add, problems, rows) -> None:
    dates, precisions = text["date"], text["date_precision"]
    known = (dates != "") & precisions.isin(DATE_PRECISIONS)
    for precision, pattern in DATE_PATTERNS.items():
        selected = known & (precisions == precision)
        shaped = dates.str.match(pattern)
        add(selected & ~shaped, "date", lambda v, p=precision: (
            f'"{v}" does not match precision "{p}"; expected {DATE_FORMATS[p]}'
        ))
        candidates = selected & shaped
        if not candidates.any():
            continue
        padded = dates[candidates]
        if precision == "year":
            padded = padded + "-01-01"
        elif precision == "month":
            padded = padded + "-01"
        parsed = pd.to_datetime(padded, format="%Y-%m-%d", errors="coerce")
        bad = parsed.isna().reindex(text.index, fill_value=False)
        add(bad, "date", lambda v, p=precision: (
            f'"{v}" is not a real date; expected {DATE_FORMATS[p]} for precision "{p}"'
        ))
        # An incident cannot have happened after today (the start of its month or year,
        # at those precisions).
        early = (parsed.dt.year < MIN_YEAR).reindex(text.index, fill_value=False)
        add(early, "date", lambda v: (
            f'"{v}" is before {MIN_YEAR}, the earliest year accepted; check the year'
        ))
        future = (parsed > pd.Timestamp.today().normalize()).reindex(text.index, fill_value=False)
        add(future, "date", lambda v: (
            f'"{v}" is after today; an incident\'s date cannot be in the future'
        ))
    iso = dates.str.match(r"^\d{4}(-\d{2}){0,2}$")
    add((dates != "") & (precisions == "") & ~iso, "date", lambda v: (
        f'"{v}" is not an ISO 8601 date (YYYY, YYYY-MM or YYYY-MM-DD)'
    ))


def _check_undated(text, add) -> None:
    undated = text["date_precision"] == UNDATED
    add(undated & (text["date"] != ""), "date", lambda v: (
        f'"{v}" is set but date_precision is "undated"; leave the date empty or give its '
        "precision (day, month or year)"
    ))
    add(undated & ~text["event_type"].isin(UNDATED_TYPES), "date_precision", (
        f'"undated" is only for {", ".join(UNDATED_TYPES)} rows; give the date you know'
    ))


def _check_checked(text, add) -> None:
    """``checked``: when the row was last checked against its sources (YYYY-MM-DD)."""
    if "checked" not in text.columns:
        return
    checked = text["checked"]
    given = checked != ""
    shaped = checked.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    parsed = pd.to_datetime(checked.where(given & shaped), format="%Y-%m-%d", errors="coerce")
    add(given & parsed.isna(), "checked", lambda v: (
        f'"{v}" is not a real date; expected YYYY-MM-DD (the day the row was checked)'
    ))
    add(parsed > pd.Timestamp.today().normalize(), "checked", lambda v: (
        f'"{v}" is after today; a row cannot have been checked in the future'
    ))
    # The row cannot have been checked before its incident happened.
    start = text["date"].where(text["date"].str.match(r"^\d{4}(-\d{2}){0,2}$"), "")
    start = start.where(start.str.len() != 4, start + "-01-01")
    start = start.where(start.str.len() != 7, start + "-01")
    starts = pd.to_datetime(start.where(start != ""), format="%Y-%m-%d", errors="coerce")
    add(parsed.notna() & starts.notna() & (parsed < starts), "checked", lambda v: (
        f'"{v}" is before the incident\'s date; check the date or the row\'s checked date'
    ))


def _check_countries(text, add) -> None:
    for column in ("country", "counterpart_country"):
        if column not in text.columns:
            continue
        values = text[column]
        unique = {value: is_country_code(value) for value in values.unique() if value}
        bad = values.map(lambda v, u=unique: bool(v) and not u[v])
        add(bad, column, _country_message)


def _country_message(value: str) -> str:
    message = f'"{value}" is not an ISO 3166-1 alpha-2 country code'
    suggestion = normalise_country(value)
    if suggestion and suggestion != value:
        return f"{message}; did you mean {suggestion}?"
    return f"{message}; use e.g. DE, ES, RU (XK for Kosovo)"


def _check_coordinates(text, add) -> None:
    lat_text, lon_text = text["lat"], text["lon"]
    lat = pd.to_numeric(lat_text, errors="coerce")
    lon = pd.to_numeric(lon_text, errors="coerce")
    for column, values, numbers, limit in (("lat", lat_text, lat, 90), ("lon", lon_text, lon, 180)):
        add((values != "") & numbers.isna(), column, lambda v: (
            f'"{v}" is not a number; use a point as the decimal mark: "{v.replace(",", ".")}"'
            if _COMMA_DECIMAL.fullmatch(v) else f'"{v}" is not a number; use decimal degrees'
        ))
        add(numbers.notna() & (numbers.abs() > limit), column, lambda v, lim=limit: (
            f"{v} is out of range; must be between -{lim} and {lim}"
        ))
    add((lat_text != "") & (lon_text == ""), "lon", "is empty but lat is set; give both or neither")
    add((lat_text == "") & (lon_text != ""), "lat", "is empty but lon is set; give both or neither")
    geocoder = text["geocoder"]
    add((geocoder != "") & ~geocoder.isin(tuple(GEOCODERS)), "geocoder", lambda v: (
        f'"{v}" is not allowed; use one of: {", ".join(GEOCODERS)}'
    ))
    add((lat_text != "") & (lon_text != "") & (geocoder == ""), "geocoder", (
        f"is empty but coordinates are set; say where they came from: {', '.join(GEOCODERS)}"
    ))


_COMMA_DECIMAL = re.compile(r"[+-]?\d+,\d+")


def _check_integers(text, add) -> None:
    for column in INTEGER_COLUMNS:
        if column not in text.columns:
            continue
        values = text[column]
        whole = values.str.fullmatch(r"\d+")
        add((values != "") & ~whole, column, lambda v: (
            f'"{v}" is not a whole number of zero or more'
        ))
        too_large = values.where(whole, "0").map(_over_max_count).astype(bool)
        add(too_large, column, lambda v: (
            f'"{v if len(v) <= 20 else v[:17] + "..."}" is too large; at most {MAX_COUNT:,}'
        ))


def _over_max_count(digits: str) -> bool:
    digits = digits.lstrip("0")
    return len(digits) > len(str(MAX_COUNT)) or int(digits or "0") > MAX_COUNT


def _check_sources(text, add) -> None:
    def bad_link(cell: str) -> bool:
        return any(_is_unsafe_link(item) for item in split_sources(cell))

    sources = text["sources"]
    blank = (sources != "") & (sources.str.replace(";", "", regex=False).str.strip() == "")
    add(blank, "sources", "is empty; a value is required")
    # A cheap vectorised look for anything scheme-like first; only those cells are parsed.
    maybe_link = sources.str.contains(r"[A-Za-z][A-Za-z0-9+.-]*:", regex=True)
    unsafe = pd.Series(False, index=sources.index)
    unsafe[maybe_link] = sources[maybe_link].map(bad_link).astype(bool)
    add(unsafe, "sources", lambda v: (
        f'"{next(i for i in split_sources(v) if _is_unsafe_link(i))}" is not an http(s) link; '
        "links must start with http:// or https://"
    ))


def _is_unsafe_link(item: str) -> bool:
    """A link whose scheme is not http(s): ``ftp://...``, ``javascript:...``, ``data:...``."""
    match = URL_SCHEME.match(item)
    if not match:
        return False
    scheme = match.group(1).lower()
    if scheme in ("http", "https"):
        return False
    return item[match.end():].startswith("//") or scheme in UNSAFE_SCHEMES


def split_sources(cell: str) -> list[str]:
    """The ``;``-separated items of a ``sources`` cell, stripped, empties dropped."""
    return [item.strip() for item in (cell or "").split(";") if item.strip()]


def is_http_url(item: str) -> bool:
    """True for an absolute http(s) URL, the only links the dashboard renders."""
    return bool(re.match(r"^https?://[^\s/$.?#].[^\s]*$", item, flags=re.IGNORECASE))
