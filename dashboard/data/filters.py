"""Filters: what the user asked to see, how it is written in a URL, and applying it.

A link reproduces a view, so the URL is the source of truth:

>>> params = {"years": "2019-2025", "country": "DE,es", "q": "portnov"}
>>> filters, notices = parse_query_params(params)
>>> filters.years, filters.countries, filters.query, notices
((2019, 2025), ('DE', 'ES'), 'portnov', [])
>>> to_query_params(filters)
{'years': '2019-2025', 'country': 'DE,ES', 'q': 'portnov'}

A span of months narrows the view below a year (``YYYY-MM``, both ends included):

>>> parse_query_params({"months": "2022-02..2022-04"})[0].months
('2022-02', '2022-04')

An incident is in a month span when every date its precision allows lies in the span: a
date known to the day or the month when its month is in the span, a date known only to the
year when the span holds the whole of that year (so February–April 2022 leaves out an
incident known only to have happened in 2022: it may have been in any month of it). An
undated row is in no span. :func:`month_bounds` gives each row's first and last possible
month; the query engines (:mod:`dashboard.data.query`) use the same bounds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.data.countries import country_name, is_country_code, normalise_country
from dashboard.data.loading import fold_text
from dashboard.data.schema import ATTRIBUTIONS, EVENT_TYPES

#: URL parameters that are not filters but are understood by the page.
PAGE_PARAMS = ("view", "incident", "briefing", "step", "at", "frame", "layers")
FILTER_PARAMS = ("years", "months", "country", "type", "attribution", "q")
MAX_QUERY_LENGTH = 200
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")
#: Precisions whose date names a month.
MONTH_PRECISIONS = ("day", "month")


@dataclass(frozen=True)
class Filters:
    """A view of the data. Empty tuples mean "all"; ``years`` is inclusive, ``months`` a
    span of ``YYYY-MM`` months, both ends included (see the module's text for dates known
    only to the year)."""

    years: tuple[int, int] | None = None
    months: tuple[str, str] | None = None
    countries: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    attributions: tuple[str, ...] = ()
    query: str = ""



def _values(params: Mapping[str, object], key: str) -> list[str]:
    raw = params.get(key)
    if raw is None:
        return []
    items = raw if isinstance(raw, list | tuple) else [raw]
    values: list[str] = []
    for item in items:
        values.extend(part.strip() for part in str(item).split(",") if part.strip())
    return values


def parse_years(text: str) -> tuple[int, int] | None:
    """``"2019-2025"`` -> (2019, 2025); ``"2022"`` -> (2022, 2022); else None."""
    match = re.fullmatch(r"\s*(\d{4})\s*(?:[-–:]\s*(\d{4})\s*)?", text or "")
    if not match:
        return None
    start = int(match.group(1))
    end = int(match.group(2) or start)
    return (start, end) if start <= end else None


def parse_months(text: str) -> tuple[str, str] | None:
    """``"2022-02..2022-04"`` -> ('2022-02', '2022-04'); ``"2022-3"`` -> ('2022-03', '2022-03');
    None for anything else (a month outside 1-12, the first month after the last)."""
    match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*(?:\.\.\s*(\d{4})-(\d{1,2})\s*)?", text or "")
    if not match:
        return None
    start = (int(match.group(1)), int(match.group(2)))
    end = (int(match.group(3)), int(match.group(4))) if match.group(3) else start
    if not (1 <= start[1] <= 12 and 1 <= end[1] <= 12) or start > end:
        return None
    return f"{start[0]:04d}-{start[1]:02d}", f"{end[0]:04d}-{end[1]:02d}"


def month_number(month: str) -> int:
    """``"2022-02"`` -> 2022 * 12 + 1: months counted from year 0, so a span is a range."""
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


def months_years(months: tuple[str, str]) -> tuple[int, int]:
    """The years a month span touches: ('2021-11', '2022-02') -> (2021, 2022)."""
    return int(months[0][:4]), int(months[1][:4])


def whole_years(months: tuple[str, str]) -> tuple[int, int] | None:
    """The years of a span that starts in January and ends in December (then it is the same
    as a years filter), else None."""
    if months[0].endswith("-01") and months[1].endswith("-12"):
        return months_years(months)
    return None


def month_bounds(incidents: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each row's first and last possible month (:func:`month_number`; NaN when undated):
    its month when the date is known to the day or month, else January and December of
    its year. A row is in a month span when both bounds are inside it."""
    years = pd.to_numeric(incidents["year"], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan)
    months = incidents["date_start"].dt.month.to_numpy(dtype=np.float64, na_value=np.nan)
    known = incidents["date_precision"].isin(MONTH_PRECISIONS).to_numpy(dtype=bool)
    first = np.where(known, years * 12 + months - 1, years * 12)
    last = np.where(known, first, years * 12 + 11)
    return first, last


def in_months(first: np.ndarray, last: np.ndarray, months: tuple[str, str]) -> np.ndarray:
    """Which rows with these :func:`month_bounds` lie wholly in the span ``months``."""
    with np.errstate(invalid="ignore"):  # NaN (undated) compares False
        return (first >= month_number(months[0])) & (last <= month_number(months[1]))


#: Characters of a URL value a notice quotes (the rest is shown as "…").
SHOWN_CHARS = 60


def shown(value: object) -> str:
    r"""A value from a URL as a notice quotes it: on one line (line breaks, controls and
    other invisible characters written as escapes) and at most :data:`SHOWN_CHARS` long.

    >>> shown("a\nb"), shown("9" * 100)[-3:]
    ('a\\nb', '99…')
    """
    text = str(value)
    cut = text[:SHOWN_CHARS] + ("…" if len(text) > SHOWN_CHARS else "")
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in cut)


def parse_query_params(params: Mapping[str, object]) -> tuple[Filters, list[str]]:
    """Filters from URL query parameters, and a notice for each value ignored."""
    notices: list[str] = []
    years = None
    year_values = _values(params, "years")
    if year_values:
        years = parse_years("-".join(year_values[:2]) if len(year_values) == 2 else year_values[0])
        if years is None or len(year_values) > 2:
            years = None
            notices.append(
                f"Ignored years={shown(','.join(year_values))}: expected a range such as 2019-2025 "
                "(first year not after the last)."
            )

    months = None
    month_values = _values(params, "months")
    if month_values:
        months = parse_months(
            "..".join(month_values) if len(month_values) == 2 else month_values[0])
        if months is None or len(month_values) > 2:
            months = None
            notices.append(
                f"Ignored months={shown(','.join(month_values))}: expected a span of months such "
                "as 2022-02..2022-04 (first month not after the last).")
        elif whole_years(months) and years in (None, whole_years(months)):
            # January to December is a years filter: one way to write it.
            years, months = whole_years(months), None

    countries: list[str] = []
    for value in _values(params, "country"):
        code = value.upper() if is_country_code(value.upper()) else normalise_country(value)
        if code:
            countries.append(code)
        else:
            notices.append(
                f"Ignored country={shown(value)}: not an ISO 3166-1 country code or name.")

    event_types = _vocabulary(params, "type", tuple(EVENT_TYPES), notices)
    attributions = _vocabulary(params, "attribution", tuple(ATTRIBUTIONS), notices)

    query_values = params.get("q")
    query = ""
    if query_values:
        query = str(query_values[0] if isinstance(query_values, list | tuple) else query_values)
        query = " ".join(query.split())
        if len(query) > MAX_QUERY_LENGTH:
            notices.append(f"The search text was cut to {MAX_QUERY_LENGTH} characters.")
            query = query[:MAX_QUERY_LENGTH]

    for key in params:
        if key not in FILTER_PARAMS and key not in PAGE_PARAMS:
            notices.append(f"Ignored unknown parameter '{shown(key)}'.")

    filters = Filters(
        years=years,
        months=months,
        countries=tuple(dict.fromkeys(countries)),
        event_types=event_types,
        attributions=attributions,
        query=query,
    )
    return filters, notices


def _vocabulary(params, key: str, allowed: tuple[str, ...], notices: list[str]) -> tuple[str, ...]:
    chosen: list[str] = []
    for value in _values(params, key):
        normal = value.strip().lower().replace(" ", "_").replace("-", "_")
        if normal in allowed:
            chosen.append(normal)
        else:
            notices.append(f"Ignored {key}={shown(value)}: use one of {', '.join(allowed)}.")
    return tuple(dict.fromkeys(chosen))


def to_query_params(
    filters: Filters, *, full_span: tuple[int, int] | None = None
) -> dict[str, str]:
    """URL parameters for ``filters``; a year range equal to ``full_span`` is left out."""
    params: dict[str, str] = {}
    if filters.years and filters.years != full_span:
        params["years"] = f"{filters.years[0]}-{filters.years[1]}"
    if filters.months:
        params["months"] = months_param(filters.months)
    if filters.countries:
        params["country"] = ",".join(filters.countries)
    if filters.event_types:
        params["type"] = ",".join(filters.event_types)
    if filters.attributions:
        params["attribution"] = ",".join(filters.attributions)
    if filters.query:
        params["q"] = filters.query
    return params


def months_param(months: tuple[str, str]) -> str:
    """The URL's form of a month span: ``2022-02..2022-04`` (``2022-03`` for one month)."""
    return months[0] if months[0] == months[1] else f"{months[0]}..{months[1]}"


def apply_filters(incidents: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows of ``incidents`` (from :func:`dashboard.data.loading.load_incidents`) that pass."""
    mask = pd.Series(True, index=incidents.index)
    if filters.years:
        start, end = filters.years
        # an undated row has no year, so a year filter leaves it out
        mask &= incidents["year"].between(start, end).fillna(False).astype(bool)
    if filters.months:
        mask &= in_months(*month_bounds(incidents), filters.months)
    if filters.countries:
        mask &= incidents["country"].isin(filters.countries)
    if filters.event_types:
        mask &= incidents["event_type"].isin(filters.event_types)
    if filters.attributions:
        mask &= incidents["attribution"].isin(filters.attributions)
    for word in fold_text(filters.query).split():
        mask &= incidents["search_text"].str.contains(word, regex=False)
    return incidents[mask]


def year_span(incidents: pd.DataFrame) -> tuple[int, int] | None:
    """The first and last year in ``incidents``; None when it is empty."""
    if incidents.empty:
        return None
    years = incidents["year"].dropna()
    if years.empty:  # only undated rows
        return None
    return int(years.min()), int(years.max())


def _join_words(items: Iterable[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def month_name(month: str) -> str:
    """``"2022-02"`` -> ``"February 2022"``."""
    return f"{MONTH_NAMES[int(month[5:7]) - 1]} {month[:4]}"


def months_words(months: tuple[str, str]) -> str:
    """A month span in words, with what it does with dates known only to the year.

    >>> months_words(("2022-03", "2022-03"))
    'March 2022 (incidents known only to their year left out)'
    >>> months_words(("2021-11", "2022-02"))
    'November 2021–February 2022 (incidents known only to their year left out)'
    >>> months_words(("2021-07", "2023-03"))
    'July 2021–March 2023 (of incidents known only to their year, those of 2022)'
    """
    first, last = months
    if first == last:
        span = month_name(first)
    elif first[:4] == last[:4]:
        span = f"{MONTH_NAMES[int(first[5:7]) - 1]}–{month_name(last)}"
    else:
        span = f"{month_name(first)}–{month_name(last)}"
    # the whole years inside the span: their year-only incidents are in it
    whole_first = -(-month_number(first) // 12)
    whole_last = (month_number(last) + 1) // 12 - 1
    if whole_first > whole_last:
        return f"{span} (incidents known only to their year left out)"
    whole = str(whole_first) if whole_first == whole_last else f"{whole_first}–{whole_last}"
    return f"{span} (of incidents known only to their year, those of {whole})"


def describe(filters: Filters) -> str:
    """The filters in words, for titles and file captions.

    >>> describe(Filters(years=(2019, 2025), countries=("DE", "ES"), event_types=("killing",)))
    'Killings, 2019–2025, Germany and Spain'
    >>> describe(Filters(months=("2022-02", "2022-04")))
    'All incidents, February–April 2022 (incidents known only to their year left out)'
    """
    parts: list[str] = []
    if filters.event_types:
        labels = [EVENT_TYPES[t] for t in filters.event_types]
        labels = [label if label.endswith("s") else label + "s" for label in labels]
        parts.append(_join_words([labels[0]] + [label.lower() for label in labels[1:]]))
    else:
        parts.append("All incidents")
    years = filters.years
    if filters.months:
        parts.append(months_words(filters.months))
        if years and years[0] <= months_years(filters.months)[0] \
                and months_years(filters.months)[1] <= years[1]:
            years = None  # the months say it
    if years:
        start, end = years
        parts.append(str(start) if start == end else f"{start}–{end}")
    if filters.countries:
        parts.append(_join_words(country_name(code) for code in filters.countries))
    if filters.attributions:
        parts.append("attribution " + _join_words(filters.attributions))
    if filters.query:
        parts.append(f"matching “{filters.query}”")
    return ", ".join(parts)


def file_stem(filters: Filters, *, prefix: str = "incidents") -> str:
    """A descriptive, filesystem-safe file name stem: ``incidents_2019-2025_DE-ES``."""
    parts = [prefix]
    if filters.years and not filters.months:
        start, end = filters.years
        parts.append(str(start) if start == end else f"{start}-{end}")
    if filters.months:
        first, last = filters.months
        parts.append(first if first == last else f"{first}-{last}")
    if filters.countries:
        parts.append("-".join(filters.countries))
    if filters.event_types:
        parts.append("-".join(filters.event_types))
    if filters.attributions:
        parts.append("-".join(filters.attributions))
    if filters.query:
        slug = re.sub(r"[^a-z0-9]+", "-", fold_text(filters.query)).strip("-")[:30]
        if slug:
            parts.append(slug)
    return "_".join(parts)
