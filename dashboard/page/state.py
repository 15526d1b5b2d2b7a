"""The page's state as plain data: URL parameters <-> widget values, and headline numbers.

The URL is the source of truth for a view; the page turns it into widget values once,
then writes the widgets back into the URL after every change.

>>> values = widget_values(Filters(years=(2019, 2025), countries=("ES",)), span=(1940, 2025))
>>> values["years"], values["countries"]
((2019, 2025), ['ES'])
>>> filters_from_widgets(values, span=(1940, 2025)).years
(2019, 2025)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from dashboard.data.countries import country_name
from dashboard.data.filters import (
    Filters,
    months_param,
    months_years,
    to_query_params,
    whole_years,
)
from dashboard.data.schema import EVENT_TYPES
from dashboard.page.timeline import months_from_selection, years_from_selection

ASSESSMENT = "assessment"
NON_ASSESSMENT_TYPES = tuple(t for t in EVENT_TYPES if t != ASSESSMENT)
MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~:&])")
#: A colon before a letter could open one of Streamlit's directives (``:material/icon:``,
#: ``:red[text]``, ``:smile:``), which backslashes do not stop: a word joiner (U+2060,
#: invisible) after it does.
DIRECTIVE_COLON = re.compile(r"\\:(?=[A-Za-z])")


def plain(text: str) -> str:
    r"""``text`` with every Markdown character escaped, so values from a URL show as typed.

    >>> print(plain("[x](https://e.example) $5 *b* &amp;"))
    \[x\]\(https\://e\.example\) \$5 \*b\* \&amp;
    >>> plain(":red[x]") == "\\:\u2060red\\[x\\]"
    True
    """
    return DIRECTIVE_COLON.sub("\\:\u2060", MARKDOWN_SPECIALS.sub(r"\\\1", text))


def fit_years(
    years: tuple[int, int] | None, span: tuple[int, int]
) -> tuple[tuple[int, int], str | None]:
    """``years`` clipped to the dataset's ``span``, and a notice when that changed them.

    >>> fit_years((1900, 2030), (1940, 2025))
    ((1940, 2025), 'Years 1900–2030 reach beyond the data; showing 1940–2025.')
    >>> fit_years((1800, 1850), (1940, 2025))[0]
    (1940, 2025)
    """
    if years is None:
        return span, None
    start, end = max(years[0], span[0]), min(years[1], span[1])
    if start > end:
        return span, (
            f"Ignored years={years[0]}-{years[1]}: the data covers {span[0]}–{span[1]}; "
            "showing every year."
        )
    if (start, end) != tuple(years):
        return (start, end), (
            f"Years {years[0]}–{years[1]} reach beyond the data; showing {start}–{end}."
        )
    return (start, end), None


def fit_months(
    months: tuple[str, str] | None, span: tuple[int, int]
) -> tuple[tuple[str, str] | None, str | None]:
    """``months``, or None and a notice when none of its years is in the dataset's ``span``.

    >>> fit_months(("2022-02", "2022-04"), (2014, 2025))
    (('2022-02', '2022-04'), None)
    >>> fit_months(("1990-02", "1990-04"), (2014, 2025))[1]
    'Ignored months=1990-02..1990-04: the data covers 2014–2025; showing every month.'
    """
    if months is None:
        return None, None
    first, last = months_years(months)
    if last < span[0] or first > span[1]:
        return None, (f"Ignored months={months_param(months)}: the data covers "
                      f"{span[0]}–{span[1]}; showing every month.")
    return months, None


def widget_values(filters: Filters, *, span: tuple[int, int]) -> dict[str, object]:
    """Initial values of the filter widgets for ``filters`` (years clipped to ``span``).

    A month span without years sets the years slider to the span's years.

    >>> widget_values(Filters(months=("2022-02", "2022-04")), span=(2014, 2025))["years"]
    (2022, 2022)
    """
    months, _ = fit_months(filters.months, span)
    years = filters.years
    if months and years is None:
        years = months_years(months)
    years, _ = fit_years(years, span)
    return {
        "years": years,
        "months": months,
        "countries": list(filters.countries),
        "types": list(filters.event_types),
        "attributions": list(filters.attributions),
        "query": filters.query,
    }


def filters_from_widgets(values: Mapping[str, object], *, span: tuple[int, int] | None) -> Filters:
    """The Filters the widgets show; the whole ``span`` counts as no year filter."""
    years = values.get("years")
    years = (int(years[0]), int(years[1])) if years else None
    if years == span:
        years = None
    query = " ".join(str(values.get("query") or "").split())
    months = values.get("months")
    return Filters(
        years=years,
        months=(str(months[0]), str(months[1])) if months else None,
        countries=tuple(values.get("countries") or ()),
        event_types=tuple(values.get("types") or ()),
        attributions=tuple(values.get("attributions") or ()),
        query=query,
    )


def timeline_choice(
    selection, *, monthly: bool, span: tuple[int, int]
) -> tuple[tuple[int, int], tuple[str, str] | None] | None:
    """The years slider's value and the month span a drag across the timeline chooses
    (``selection``: Streamlit's state of the chart), or None to leave the filters alone.

    On the monthly chart the months dragged across become the month span, and the years
    slider moves to their years; January to December is a years filter and no month span.
    On the yearly chart the years dragged across become the years filter (no month span).
    Years are kept within the dataset's ``span``.

    >>> state = {"selection": {"span": {"start": ["2022-02-03", "2022-04-20"]}}}
    >>> timeline_choice(state, monthly=True, span=(2014, 2025))
    ((2022, 2022), ('2022-02', '2022-04'))
    >>> timeline_choice(state, monthly=False, span=(2014, 2025))
    ((2022, 2022), None)
    """
    months = months_from_selection(selection) if monthly else None
    if monthly and months is None:
        return None
    if months and whole_years(months):
        years, months = whole_years(months), None
    elif months:
        years = months_years(months)
    else:
        years = years_from_selection(selection)
        if years is None or span[0] >= span[1]:
            return None
    first, last = max(years[0], span[0]), min(years[1], span[1])
    if first > last:
        return None
    return (first, last), months


def page_params(
    filters: Filters,
    *,
    span: tuple[int, int] | None,
    view: str | None = None,
    incident: str | None = None,
) -> dict[str, str]:
    """The URL parameters for a view: the filters, then ``view`` and ``incident``."""
    params = to_query_params(filters, full_span=span)
    if view == "briefing":
        params["view"] = "briefing"
    if incident:
        params["incident"] = incident
    return params


def assessments_shown(types: Sequence[str]) -> bool:
    """True when the event-type selection lets assessments through (none chosen = all)."""
    return not types or ASSESSMENT in types


def set_assessments(types: Sequence[str], show: bool) -> list[str]:
    """The event-type selection after showing or hiding assessments with one click.

    >>> set_assessments([], False) == list(NON_ASSESSMENT_TYPES)
    True
    >>> set_assessments(["killing"], True)
    ['killing', 'assessment']
    """
    types = list(types)
    if show:
        if ASSESSMENT not in types and types:
            types.append(ASSESSMENT)
        return [] if set(types) == set(EVENT_TYPES) else types
    remaining = [t for t in types if t != ASSESSMENT]
    return remaining or list(NON_ASSESSMENT_TYPES)


def country_options(codes: Iterable[str], chosen: Iterable[str] = ()) -> list[str]:
    """Country codes to offer, sorted by name: those in the data plus any already chosen."""
    unique = set(codes) | set(chosen)
    return sorted(unique, key=lambda code: (country_name(code), code))


def country_label(code: str) -> str:
    """``"Germany (DE)"``."""
    return f"{country_name(code)} ({code})"


def incident_from_selection(
    selection: Mapping[str, object] | None, ids: Sequence[str]
) -> str | None:
    """The incident id of the selected table row, or None (nothing selected, stale row)."""
    rows = ((selection or {}).get("selection") or {}).get("rows") or []
    if not rows:
        return None
    row = rows[0]
    return ids[row] if isinstance(row, int) and 0 <= row < len(ids) else None


def headline_numbers(incidents: pd.DataFrame) -> dict[str, int]:
    """Incidents, fatalities, people expelled (persons in expulsions) and countries."""
    expulsions = incidents[incidents["event_type"] == "diplomatic_expulsion"]
    return {
        "incidents": len(incidents),
        "fatalities": int(incidents["fatalities"].fillna(0).sum()) if len(incidents) else 0,
        "expelled": int(expulsions["persons"].fillna(0).sum()) if len(expulsions) else 0,
        "countries": int(incidents["country"].nunique()),
    }


def table_rows(incidents: pd.DataFrame, focus_id: str | None, *, limit: int,
               page: int = 0) -> pd.DataFrame:
    """Page ``page`` (from 0) of ``limit`` incidents in date order, and the focused one if it
    is on another page.

    A table of hundreds of thousands of rows would be sent to the browser on every rerun;
    the map and the exports still get every incident.
    """
    if len(incidents) <= limit:
        return incidents
    start = max(0, min(int(page), table_pages(len(incidents), limit) - 1)) * limit
    head = incidents.iloc[start:start + limit]
    if focus_id is None or focus_id in set(head["id"]):
        return head
    focused = incidents[incidents["id"] == focus_id]
    return pd.concat([head.iloc[: limit - len(focused)], focused]) if len(focused) else head


def table_pages(count: int, limit: int) -> int:
    """How many pages of ``limit`` rows ``count`` incidents fill (at least one)."""
    return max(1, -(-count // limit))


def table_frame(incidents: pd.DataFrame) -> pd.DataFrame:
    """The incidents as the table shows them, in date order."""
    table = pd.DataFrame(
        {
            "Date": incidents["date_label"],
            "Type": incidents["event_type"].map(EVENT_TYPES),
            "Title": incidents["title"],
            "Place": incidents["place"],
            "Country": incidents["country_name"],
            "Attribution": incidents["attribution"],
            "On map": incidents["has_coords"],
        }
    )
    return table.reset_index(drop=True)


def table_positions(positions: Sequence[int], focus: int | None, *, limit: int,
                    page: int = 0) -> np.ndarray:
    """The positions of page ``page`` (from 0) of ``limit`` rows, and ``focus`` if it is on
    another page (in the place of the page's last row).

    >>> table_positions(np.arange(10, 20), None, limit=4, page=1).tolist()
    [14, 15, 16, 17]
    >>> table_positions(np.arange(10, 20), 19, limit=4, page=0).tolist()
    [10, 11, 12, 19]
    >>> table_positions(np.arange(10, 20), 11, limit=4, page=9).tolist()
    [18, 19, 11]
    """
    positions = np.asarray(positions, dtype=np.int64)
    if len(positions) <= limit:
        return positions
    start = max(0, min(int(page), table_pages(len(positions), limit) - 1)) * limit
    head = positions[start:start + limit]
    if focus is None or focus in head or focus not in positions:
        return head
    return np.append(head[:limit - 1], focus)


def position_in(incidents: pd.DataFrame, positions: Sequence[int], incident: str) -> int | None:
    """The position of incident ``incident`` when it is among ``positions``, else None."""
    rows = np.flatnonzero((incidents["id"] == incident).to_numpy(dtype=bool, na_value=False))
    rows = rows[np.isin(rows, positions)]
    return int(rows[0]) if len(rows) else None


class RowsAt:
    """The rows of ``incidents`` at ``positions``, made into a frame only when called (the
    exports need them; a rerun does not), and then once."""

    def __init__(self, incidents: pd.DataFrame, positions: Sequence[int]):
        self.incidents = incidents
        self.positions = positions
        self._frame: pd.DataFrame | None = None

    def __len__(self) -> int:
        return len(self.positions)

    def __call__(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = self.incidents.iloc[np.asarray(self.positions)]
        return self._frame
