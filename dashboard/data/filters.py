"""Filters: what the user asked to see, how it is written in a URL, and applying it.

A link reproduces a view, so the URL is the source of truth:

>>> params = {"years": "2019-2025", "country": "DE,es", "q": "portnov"}
>>> filters, notices = parse_query_params(params)
>>> filters.years, filters.countries, filters.query, notices
((2019, 2025), ('DE', 'ES'), 'portnov', [])
>>> to_query_params(filters)
{'years': '2019-2025', 'country': 'DE,ES', 'q': 'portnov'}
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from dashboard.data.countries import country_name, is_country_code, normalise_country
from dashboard.data.loading import fold_text
from dashboard.data.schema import ATTRIBUTIONS, EVENT_TYPES

#: URL parameters that are not filters but are understood by the page.
PAGE_PARAMS = ("view", "incident", "briefing", "step", "at", "layers")
FILTER_PARAMS = ("years", "country", "type", "attribution", "q")
MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class Filters:
    """A view of the data. Empty tuples mean "all"; ``years`` is inclusive."""

    years: tuple[int, int] | None = None
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
                f"Ignored years={','.join(year_values)!s}: expected a range such as 2019-2025 "
                "(first year not after the last)."
            )

    countries: list[str] = []
    for value in _values(params, "country"):
        code = value.upper() if is_country_code(value.upper()) else normalise_country(value)
        if code:
            countries.append(code)
        else:
            notices.append(f"Ignored country={value}: not an ISO 3166-1 country code or name.")

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
            notices.append(f"Ignored unknown parameter {key!r}.")

    filters = Filters(
        years=years,
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
            notices.append(f"Ignored {key}={value}: use one of {', '.join(allowed)}.")
    return tuple(dict.fromkeys(chosen))


def to_query_params(
    filters: Filters, *, full_span: tuple[int, int] | None = None
) -> dict[str, str]:
    """URL parameters for ``filters``; a year range equal to ``full_span`` is left out."""
    params: dict[str, str] = {}
    if filters.years and filters.years != full_span:
        params["years"] = f"{filters.years[0]}-{filters.years[1]}"
    if filters.countries:
        params["country"] = ",".join(filters.countries)
    if filters.event_types:
        params["type"] = ",".join(filters.event_types)
    if filters.attributions:
        params["attribution"] = ",".join(filters.attributions)
    if filters.query:
        params["q"] = filters.query
    return params


def apply_filters(incidents: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows of ``incidents`` (from :func:`dashboard.data.loading.load_incidents`) that pass."""
    mask = pd.Series(True, index=incidents.index)
    if filters.years:
        start, end = filters.years
        # an undated row has no year, so a year filter leaves it out
        mask &= incidents["year"].between(start, end).fillna(False).astype(bool)
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


def describe(filters: Filters) -> str:
    """The filters in words, for titles and file captions.

    >>> describe(Filters(years=(2019, 2025), countries=("DE", "ES"), event_types=("killing",)))
    'Killings, 2019–2025, Germany and Spain'
    """
    parts: list[str] = []
    if filters.event_types:
        labels = [EVENT_TYPES[t] for t in filters.event_types]
        labels = [label if label.endswith("s") else label + "s" for label in labels]
        parts.append(_join_words([labels[0]] + [label.lower() for label in labels[1:]]))
    else:
        parts.append("All incidents")
    if filters.years:
        start, end = filters.years
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
    if filters.years:
        start, end = filters.years
        parts.append(str(start) if start == end else f"{start}-{end}")
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
