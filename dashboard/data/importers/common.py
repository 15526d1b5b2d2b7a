"""What every importer shares: the result and its counts, countries, dates, coordinates,
sources, and the last step that keeps only rows ``validate`` accepts.

>>> dates = parse_dates(pd.Series(["9-May-20", "31-12-19", "01-January-2015", "21 March 2020"]))
>>> dates.dt.strftime("%Y-%m-%d").tolist()
['2020-05-09', '2019-12-31', '2015-01-01', '2020-03-21']
>>> country_codes(pd.Series(["Democratic Republic of Congo", "Ivory Coast", "Swaziland"])).tolist()
['CD', 'CI', 'SZ']
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd
import pycountry

from dashboard.base.files import write_atomic
from dashboard.data.countries import normalise_country
from dashboard.data.importers.dates import read_dates
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

#: Country names the sources use (ACLED, GTD, UCDP, spreadsheets) that pycountry spells
#: otherwise, and states that no longer exist, coded as the territory's ISO code today.
#: Rows under a dissolved federation (Soviet Union, Yugoslavia, Czechoslovakia) go to its
#: largest successor: check them.
COUNTRY_NAMES = {
    "west germany (frg)": "DE", "east germany (gdr)": "DE", "soviet union": "RU",
    "yugoslavia": "RS", "serbia-montenegro": "RS", "serbia and montenegro": "RS",
    "czechoslovakia": "CZ", "zaire": "CD", "rhodesia": "ZW", "south vietnam": "VN",
    "south yemen": "YE", "north yemen": "YE", "west bank and gaza strip": "PS",
    "bosnia-herzegovina": "BA", "bosnia and herzegovina": "BA", "macedonia": "MK",
    "north macedonia": "MK", "ivory coast": "CI", "cote d'ivoire": "CI",
    "republic of the congo": "CG", "republic of congo": "CG", "congo": "CG",
    "congo, rep.": "CG", "people's republic of the congo": "CG",
    "democratic republic of the congo": "CD", "democratic republic of congo": "CD",
    "dr congo": "CD", "drc": "CD", "congo, dem. rep.": "CD", "slovak republic": "SK",
    "east timor": "TL", "timor-leste": "TL", "vatican city": "VA", "vatican": "VA",
    "falkland islands": "FK", "new hebrides": "VU", "brunei": "BN", "cape verde": "CV",
    "cabo verde": "CV", "swaziland": "SZ", "eswatini": "SZ", "kingdom of eswatini": "SZ",
    "st. kitts and nevis": "KN", "saint kitts and nevis": "KN", "st. lucia": "LC",
    "saint lucia": "LC", "st. vincent and the grenadines": "VC", "kosovo": "XK",
    "hong kong": "HK", "macau": "MO", "macao": "MO", "burma": "MM", "myanmar": "MM",
    "palestine": "PS", "gaza strip": "PS", "west bank": "PS", "gambia": "GM",
    "the gambia": "GM", "bahamas": "BS", "the bahamas": "BS", "micronesia": "FM",
    "laos": "LA", "russia": "RU", "syria": "SY", "iran": "IR", "turkey": "TR",
    "turkiye": "TR", "south korea": "KR", "north korea": "KP", "taiwan": "TW",
    "czech republic": "CZ", "czechia": "CZ", "kyrgyzstan": "KG", "moldova": "MD",
    "tanzania": "TZ", "vietnam": "VN", "bolivia": "BO", "venezuela": "VE",
    "united states": "US", "united states of america": "US", "usa": "US",
    "united kingdom": "GB", "uk": "GB", "great britain": "GB", "kampuchea": "KH",
    "malagasy": "MG", "upper volta": "BF", "dahomey": "BJ", "ceylon": "LK",
    "saint-barthelemy": "BL", "saint-martin": "MF", "curacao": "CW",
    "caribbean netherlands": "BQ", "reunion": "RE", "sao tome and principe": "ST",
    "guinea-bissau": "GW", "international": "",
}

@dataclass
class ImportResult:
    """The converted incidents, every problem found (row, column, why) and the counts."""

    source: str
    incidents: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    rows_in: int = 0
    merged: int = 0
    encoding: str = ""
    #: What was guessed or noticed on the way (the separator, the date order, a column
    #: taken for a field and why, rows flagged), one sentence each, for the summary.
    notices: list[str] = field(default_factory=list)
    #: Lines or sheet rows with no value at all: ignored, and not counted as rows.
    blank: int = 0
    #: The mapping a table was converted with, guesses included (to save and reuse it).
    mapping: object = None

    @property
    def rows_out(self) -> int:
        return len(self.incidents)

    @property
    def refused(self) -> int:
        return self.rows_in - self.merged - self.rows_out

    @property
    def kept_share(self) -> float:
        """The share of the file's rows that became incidents (merged rows count as kept)."""
        return (self.rows_out + self.merged) / self.rows_in if self.rows_in else 1.0

    def summary(self) -> str:
        """One line: ``"412 rows in, 398 incidents out, 10 refused, 4 merged"`` (and the
        blank lines ignored, when there were any)."""
        blank = f", {self.blank:,} blank line(s) ignored" if self.blank else ""
        return (f"{self.rows_in:,} rows in, {self.rows_out:,} incidents out, "
                f"{self.refused:,} refused, {self.merged:,} merged{blank}")

    def reasons(self, top: int = 3) -> list[tuple[str, int]]:
        """The commonest reasons rows were left out, with how many rows each: values are
        left out of the reason, so that 900 unreadable dates are one reason."""
        counts: Counter[str] = Counter()
        for problem in self.problems:
            if "left out" not in problem.message:
                continue
            reason = _QUOTED.sub("…", problem.message).replace("; row left out", "")
            if "(a truncated or broken line)" in reason:
                counts[reason] += 1  # the column named is where the line stops
            else:
                counts[f"column {problem.column}: {reason}"] += 1
        return counts.most_common(top)


_QUOTED = re.compile(r'"[^"]*"|(?<=^has )\d+(?= of)')


def require(frame: pd.DataFrame, columns, source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DatasetError(
            f"not a complete {source} export: missing column(s) {', '.join(missing)}"
        )


def _fold(name: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", name.strip().casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("’", "'")


def country_code(name: str, numeric: str = "") -> str:
    """ISO alpha-2 for a numeric ISO code or a country name as the sources write it."""
    if numeric.isdigit() and int(numeric) > 0:
        country = pycountry.countries.get(numeric=f"{int(numeric):03d}")
        if country:
            return country.alpha_2
    folded = _fold(name)
    if folded in COUNTRY_NAMES:
        return COUNTRY_NAMES[folded]
    code = normalise_country(name)
    if code:
        return code
    # UCDP writes a former name in brackets: "Russia (Soviet Union)", "DR Congo (Zaire)".
    outer = re.sub(r"\s*\(.*?\)\s*", "", name).strip()
    if outer and outer != name.strip():
        return country_code(outer)
    return ""


def country_codes(names: pd.Series, numeric: pd.Series | None = None) -> pd.Series:
    """``country_code`` row by row, computed once per distinct value."""
    numeric = numeric if numeric is not None else pd.Series("", index=names.index)
    keys = numeric.astype(str) + "\0" + names.astype(str)
    lookup = {key: country_code(*reversed(key.split("\0", 1))) for key in keys.unique()}
    return keys.map(lookup).astype(object)


def parse_dates(raw: pd.Series) -> pd.Series:
    """Dates in any style the sources write (see :mod:`.dates`); NaT where none fits."""
    return read_dates(raw).dates


def join_parts(*parts: pd.Series, sep: str = ", ") -> pd.Series:
    """Join non-empty parts row by row, leaving out a part equal to the one before."""
    joined = parts[0].copy()
    previous = parts[0]
    for part in parts[1:]:
        use = (part != "") & (part.str.casefold() != previous.str.casefold())
        joined = joined.where(~use, part.where(joined == "", joined + sep + part))
        previous = part.where(part != "", previous)
    return joined


def split_list(text: pd.Series, sep: str = ";") -> pd.Series:
    """A ``;``-separated list cleaned up: one space after each separator, no empty items."""
    joined = text.str.replace(rf"\s*{re.escape(sep)}[\s{re.escape(sep)}]*", "; ", regex=True)
    return joined.str.strip().str.strip(";").str.strip()


def number_text(values: pd.Series) -> pd.Series:
    return values.map(lambda v: "" if pd.isna(v) else f"{v:.6f}".rstrip("0").rstrip("."))


def count_text(text: pd.Series, column: str, problems: list[Problem]) -> pd.Series:
    """A count (deaths) as dataset text: a whole number of zero or more, else empty.

    A cell that holds something else (``-5``, ``-99`` for "unknown", ``many``) is reported
    by row and column and left empty, never silently dropped.
    """
    numbers = pd.to_numeric(text, errors="coerce")
    usable = numbers.notna() & (numbers >= 0) & (numbers == numbers.round())
    unusable = (text.fillna("").astype(str).str.strip() != "") & ~usable
    for index in unusable[unusable].index:
        problems.append(Problem(int(index) + 2, column,
                                f'"{text[index]}" is not a count of zero or more; left empty'))
    return numbers.where(usable).map(lambda v: "" if pd.isna(v) else str(int(v)))


def coordinates(out, lat_text, lon_text, problems, names=("latitude", "longitude")) -> None:
    """Copy usable coordinates; report unusable ones (the row is kept, to geocode later)."""
    lat = pd.to_numeric(lat_text, errors="coerce")
    lon = pd.to_numeric(lon_text, errors="coerce")
    valid = lat.between(-90, 90) & lon.between(-180, 180) & ~((lat == 0) & (lon == 0))
    for column, text, numbers, limit in (
        (names[0], lat_text, lat, 90),
        (names[1], lon_text, lon, 180),
    ):
        unusable = (text != "") & ~numbers.between(-limit, limit)
        for index in unusable[unusable].index:
            problems.append(Problem(
                int(index) + 2, column,
                f'"{text[index]}" is not a coordinate in decimal degrees between -{limit} '
                f"and {limit}; the row is kept without coordinates"))
    # The source's own digits, where they are a usable coordinate.
    out["lat"] = lat_text.str.strip().where(valid, "")
    out["lon"] = lon_text.str.strip().where(valid, "")
    out["geocoder"] = valid.map({True: "manual", False: ""})


def refuse_missing(out, problems, dates, written, columns, date_why=None) -> pd.Series:
    """Report rows without a date, a country or an id; return the mask of rows left out.

    ``written`` is each row's date and ``countries`` its country as the source wrote them;
    ``columns`` names the source columns to report (``date``, ``country``, ``id``).
    """
    no_date = dates.isna() if dates is not None else pd.Series(False, index=out.index)
    no_country = out["country"] == ""
    no_id = out["id"].str.fullmatch(r"(acled|gtd|ucdp)?-?")
    for index in no_date[no_date].index:
        why = (date_why or {}).get(index, "is not a usable date")
        problems.append(Problem(int(index) + 2, columns["date"],
                                f'"{written["date"][index]}" {why}; row left out'))
    for index in no_country[no_country & ~no_date].index:
        problems.append(Problem(
            int(index) + 2, columns["country"],
            f'"{written["country"][index]}" is not a country we can code in ISO 3166-1; '
            "row left out"))
    for index in no_id[no_id & ~no_date & ~no_country].index:
        problems.append(Problem(int(index) + 2, columns["id"], "has no event id; row left out"))
    return no_date | no_country | no_id


def finish(out: pd.DataFrame, bad: pd.Series, problems: list[Problem], source: str,
           rows_in: int, merged: int = 0) -> ImportResult:
    """Keep only the rows ``validate`` accepts, reporting the others; sort the problems."""
    for column in OUTPUT_COLUMNS:
        if column not in out.columns:
            out[column] = ""
    out = out.loc[~bad, OUTPUT_COLUMNS]
    duplicated = out["id"].duplicated(keep="first")
    for index in duplicated[duplicated].index:
        problems.append(Problem(
            int(index) + 2, "id",
            f'"{out.at[index, "id"]}" appears twice with different contents; kept the first'))
    out = out[~duplicated]
    refused = validate_frame(out) if len(out) else []
    if refused and refused[0].row == 1:  # header problems: a bug in the conversion itself
        raise DatasetError("; ".join(str(p) for p in refused))
    rows = {problem.row for problem in refused}
    for problem in refused:
        problems.append(Problem(problem.row, problem.column,
                                f"{problem.message} (in the converted row); row left out"))
    out = out[~(out.index.to_series() + 2).isin(rows)]
    problems.sort(key=lambda p: (p.row, p.column or ""))
    return ImportResult(source, out.reset_index(drop=True), problems, rows_in, merged)


@dataclass
class Conversion:
    """One conversion under way: the source's columns, the incidents being built (one row
    per source row, same index) and every problem found. Each importer fills ``out`` with
    the fields only it knows how to read; the steps they share are here.

    >>> frame = pd.DataFrame({"ID": ["7"], "Country": ["Ivory Coast"]})
    >>> work = Conversion.start(frame, "demo", "demo", required=("id",))
    >>> work.text("country").tolist(), work.rows_in
    (['Ivory Coast'], 1)
    """

    frame: pd.DataFrame
    source: str
    rows_in: int
    out: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    #: Rows refused for a reason of their own, with the column that says so: their other
    #: problems are not reported (one line a row).
    refused: dict[int, str] = field(default_factory=dict)

    @classmethod
    def start(cls, frame: pd.DataFrame, source: str, label: str, *, required=(),
              rename=str.lower, rows_in: int | None = None) -> Conversion:
        """Columns renamed (lower case by default; ``None``: as they are) and checked
        against ``required``."""
        if rename is not None:
            frame = frame.rename(columns=rename)
        require(frame, required, label)
        return cls(frame, source, len(frame) if rows_in is None else rows_in,
                   pd.DataFrame(index=frame.index))

    def text(self, column: str) -> pd.Series:
        """A source column as stripped text (a missing column: empty strings)."""
        return text_column(self.frame, column)

    def event_id(self, column: str) -> pd.Series:
        """``<source>-<the id in lower case, runs of other characters as "-">``."""
        ident = self.text(column)
        self.out["id"] = f"{self.source}-" + ident.str.lower().str.replace(
            r"[^a-z0-9]+", "-", regex=True).str.strip("-")
        return ident

    def place(self, *parts: pd.Series, country: pd.Series,
              numeric: pd.Series | None = None) -> None:
        """``place`` from its parts (town, region, country as written) and ``country``."""
        self.out["place"] = join_parts(*parts, country)
        self.out["country"] = country_codes(country, numeric)

    def coordinates(self, lat: pd.Series, lon: pd.Series,
                    names=("latitude", "longitude")) -> None:
        coordinates(self.out, lat, lon, self.problems, names)

    def count(self, column: str, reported_as: str | None = None) -> pd.Series:
        return count_text(self.text(column), reported_as or column, self.problems)

    def cited(self, label: str, ident: pd.Series, more: pd.Series) -> pd.Series:
        """``"ACLED event X; source one; source two"``: the event first, then its sources."""
        return label + " " + ident + more.map(lambda s: f"; {s}" if s else "")

    def refuse(self, mask: pd.Series, column: str, why) -> None:
        """Leave out the rows of ``mask``: ``why(index)`` says why, under ``column``."""
        for index in mask[mask].index:
            self.problems.append(Problem(int(index) + 2, column, why(index)))
            self.refused.setdefault(int(index) + 2, column)

    def finish(self, dates: pd.Series, written: dict, columns: dict,
               merged: int = 0, date_why: dict | None = None) -> ImportResult:
        """Refuse rows without a date, country or id (``refuse_missing``), and keep only
        the rows ``validate`` accepts (``finish``)."""
        bad = refuse_missing(self.out, self.problems, dates, written, columns, date_why)
        if self.refused:
            bad = bad | (self.out.index.to_series() + 2).isin(self.refused)
            self.problems[:] = [p for p in self.problems
                                if self.refused.get(p.row, p.column) == p.column]
        result = finish(self.out, bad, self.problems, self.source, self.rows_in, merged)
        result.notices = list(self.notices)
        return result


def write_dataset(incidents: pd.DataFrame, path) -> None:
    """Write converted incidents as a UTF-8 CSV dataset, atomically."""
    write_atomic(path, neutralise_frame(incidents).to_csv(index=False, lineterminator="\r\n"))


__all__ = ["ImportResult", "OUTPUT_COLUMNS", "text_column", "write_dataset"]
