"""Dates as people write them, read one column at a time.

A column of dates is read as a whole: whether ``04/05/2016`` is the 4th of May or the 5th
of April is decided from the column's other values (a value whose first number is above 12
can only be day-first, one whose second number is above 12 only month-first), and the
decision is reported with its evidence ("month-first: 31,650 values have a day above 12").
A time of day after the date (``6/15/2016 11:31:00 PM``, ``09-01-2018 00:01``,
``2016-06-15T23:31:00-05:00``: 12- or 24-hour, with or without seconds, AM/PM, a time
zone) is checked and dropped: the date is the local date as written. Excel's serial day
numbers (``43960`` is 2020-05-09) and compact ``20200509`` are read too.

>>> reading = read_dates(pd.Series(["6/15/2016 11:31:00 PM", "1/2/2017 9:05 AM", "x"]))
>>> reading.dates.dt.strftime("%Y-%m-%d").tolist()
['2016-06-15', '2017-01-02', nan]
>>> print(reading.explanation)
month-first: 1 value has a day above 12 in second place; times of day dropped from 2 values
>>> read_dates(pd.Series(["31.12.2019 23:59", "01.02.2020"])).order
'day-first'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

#: How a column of numeric dates may be ordered (``--date-order``, the page's choice).
ORDERS = ("day-first", "month-first")
#: Date styles with month names, as the sources write them: ACLED's "21 March 2020", what
#: Excel writes when it saves a date column ("9-May-20"), US prose ("March 21, 2020").
TEXT_FORMATS = (
    "%d %B %Y", "%d-%B-%Y", "%d %b %Y", "%d-%b-%Y", "%d-%b-%y", "%d %b %y", "%d/%b/%Y",
    "%d/%b/%y", "%d.%B %Y", "%d. %B %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y",
    "%b. %d, %Y", "%Y %B %d", "%Y-%b-%d", "%d %B, %Y", "%B %Y", "%b %Y", "%B, %Y",
)
#: A time of day after the date: 24- or 12-hour, seconds and fractions optional, AM/PM,
#: then a zone (``Z``, ``UTC``, ``+05:30``, ``-0500``, ``EST``).
_TIME = re.compile(
    r"^(?P<date>.*?\d)(?:\s*[T,]\s*|\s+)"
    r"(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<ampm>[AaPp]\.?\s?[Mm]\.?)?"
    r"\s*(?P<tz>Z|(?:UTC|GMT)?\s?[+-]\d{1,2}(?::?\d{2})?|[A-Z]{2,5})?$")
#: ``12/31/2019``, ``31.12.19``, ``2019-12-31``, ``2019/12/31``: three numbers.
_NUMERIC = re.compile(r"^(\d{1,4})([/.\-])(\d{1,2})\2(\d{1,4})\.?$")
_COMPACT = re.compile(r"^(1[89]\d{2}|20\d{2})(\d{2})(\d{2})$")
#: Excel's day numbers, from 1954 to 2064 ("43960" is 2020-05-09; a fraction is the time).
_SERIAL = re.compile(r"^[2-5]\d{4}(?:\.\d+)?$")
_WEEKDAY = re.compile(
    r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", re.IGNORECASE)
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


@dataclass
class DateReading:
    """A column of dates read: ``dates`` (NaT where nothing fits), the order decided for
    numeric dates and why, and why single values were not read (by index)."""

    dates: pd.Series
    order: str = ""
    explanation: str = ""
    why: dict = field(default_factory=dict)


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _two_digit_years(years: pd.Series) -> pd.Series:
    """``19`` -> 2019, ``75`` -> 1975: the century that puts the year not after this one."""
    pivot = pd.Timestamp.today().year % 100
    return years.where(years >= 100, years + 2000 - 100 * (years > pivot))


def _from_parts(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    parts = pd.DataFrame({"year": year, "month": month, "day": day}).astype("float")
    usable = parts.notna().all(axis=1) & parts["month"].between(1, 12) & parts["day"].between(
        1, 31) & parts["year"].between(1, 9999)
    result = pd.Series(pd.NaT, index=year.index, dtype="datetime64[s]")
    if usable.any():
        chosen = parts[usable].astype("int64")
        text = (chosen["year"].astype(str).str.zfill(4) + "-" + chosen["month"].astype(str)
                .str.zfill(2) + "-" + chosen["day"].astype(str).str.zfill(2))
        result[usable] = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    return result


def _split_times(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """The date part of each value, whether it had a time, and whether that time is bad."""
    found = text.str.extract(_TIME)
    has_time = found["date"].notna()
    date_part = found["date"].where(has_time, text).str.strip()
    hours = pd.to_numeric(found["h"], errors="coerce")
    minutes = pd.to_numeric(found["m"], errors="coerce")
    seconds = pd.to_numeric(found["s"], errors="coerce").fillna(0)
    twelve = found["ampm"].notna()
    bad = has_time & ((minutes > 59) | (seconds > 60) | (hours > 23)
                      | (twelve & ((hours > 12) | (hours < 1))))
    return date_part, has_time, bad


def read_dates(raw: pd.Series, order: str | None = None) -> DateReading:
    """Read a column of dates; ``order`` (``day-first`` or ``month-first``) overrides the
    order the values suggest."""
    text = raw.fillna("").astype(str).str.strip()
    dates = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[s]")
    why: dict = {}
    given = text != ""
    if not given.any():
        return DateReading(dates)
    # ISO dates, by far the commonest, are read at once; the rest go through the patterns.
    iso = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    if iso.any():
        dates[iso] = pd.to_datetime(text[iso], format="%Y-%m-%d", errors="coerce")
    rest = given & ~iso
    if not rest.any():
        return DateReading(dates, why=why)
    reading = _read_rest(text[rest], order)
    dates[rest] = reading.dates
    why.update(reading.why)
    return DateReading(dates, reading.order, reading.explanation, why)


def _read_rest(text: pd.Series, order: str | None) -> DateReading:
    """Dates in every other style (see the module's text)."""
    dates = pd.Series(pd.NaT, index=text.index, dtype="datetime64[s]")
    why: dict = {}
    given = text != ""
    date_part, has_time, bad_time = _split_times(text)
    date_part = date_part.str.replace(_WEEKDAY, "", regex=True)
    for index in bad_time[bad_time].index:
        why[index] = "has a time of day that does not exist"

    numeric = date_part.str.extract(_NUMERIC)
    is_numeric = numeric[0].notna() & ~bad_time
    first = pd.to_numeric(numeric[0], errors="coerce")
    second = pd.to_numeric(numeric[2], errors="coerce")
    third = pd.to_numeric(numeric[3], errors="coerce")
    year_first = is_numeric & (numeric[0].str.len() == 4)
    if year_first.any():
        dates[year_first] = _from_parts(first[year_first], second[year_first],
                                        third[year_first])
    pair = is_numeric & ~year_first & numeric[3].str.len().isin([2, 4])
    chosen, explanation = "", ""
    if pair.any():
        chosen, explanation = _decide_order(first[pair], second[pair],
                                            text[pair].str.contains(r"[AaPp]\.?\s?[Mm]\.?$"),
                                            numeric[1][pair], order)
        years = _two_digit_years(third[pair])
        day, month = (first, second) if chosen == "day-first" else (second, first)
        dates[pair] = _from_parts(years, month[pair], day[pair])
        opposite = ORDERS[1 - ORDERS.index(chosen)]
        contrary = pair & (month > 12) & (day <= 12)
        for index in contrary[contrary].index:
            why[index] = (f"can only be {opposite} ({int(month[index])} cannot be a month), "
                          f"but the column is read {chosen}")

    compact = date_part.str.extract(_COMPACT)
    is_compact = compact[0].notna() & dates.isna() & ~bad_time
    if is_compact.any():
        dates[is_compact] = _from_parts(*(pd.to_numeric(compact[i][is_compact])
                                          for i in range(3)))
    serial = dates.isna() & date_part.str.fullmatch(_SERIAL) & ~has_time
    if serial.any():
        days = pd.to_numeric(date_part[serial]).astype(int)
        dates[serial] = EXCEL_EPOCH + pd.to_timedelta(days, unit="D")

    for fmt in TEXT_FORMATS:
        missing = dates.isna() & given & ~is_numeric & ~bad_time
        if not missing.any():
            break
        dates[missing] = pd.to_datetime(date_part[missing], format=fmt, errors="coerce")

    notes = [explanation] if explanation else []
    timed = int((has_time & dates.notna()).sum())
    if timed:
        notes.append(f"times of day dropped from {_plural(timed, 'value')}")
    serials = int(serial.sum())
    if serials:
        notes.append(f"{_plural(serials, 'Excel day number')} read as dates")
    return DateReading(dates, chosen, "; ".join(notes), why)


def _decide_order(first: pd.Series, second: pd.Series, twelve_hour: pd.Series,
                  separators: pd.Series, order: str | None) -> tuple[str, str]:
    """``day-first`` or ``month-first`` for numeric dates, and the evidence."""
    day_evidence = int(((first > 12) & (second <= 12)).sum())
    month_evidence = int(((second > 12) & (first <= 12)).sum())
    if order in ORDERS:
        return order, f"{order}, as chosen"
    if month_evidence > day_evidence:
        chosen, count, place = "month-first", month_evidence, "second"
    elif day_evidence > month_evidence:
        chosen, count, place = "day-first", day_evidence, "first"
    else:
        # Nothing tells them apart: a 12-hour clock is the US style; dots are not.
        if twelve_hour.any() and not (separators == ".").any():
            return "month-first", ("month-first, assumed: no value has a number above 12 "
                                   "to tell, and the times are AM/PM (US style)")
        return "day-first", ("day-first, assumed: no value has a number above 12 to tell "
                             "(choose month-first if the file is in US style)")
    text = f"{chosen}: {_plural(count, 'value')} {'has' if count == 1 else 'have'} a day " \
           f"above 12 in {place} place"
    against = min(day_evidence, month_evidence)
    if against:
        text += f" ({_plural(against, 'value')} the other way round, not read)"
    return chosen, text
