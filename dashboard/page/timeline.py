"""The timeline under the map: incidents per year, or per month when the span is short,
stacked by event type (Altair); dragging across it selects a span of years, or of months
when it counts months.

Example::

    chart = build_timeline(incidents, years=(2019, 2025))
    chart.to_dict()["mark"]["type"]
    # 'bar'
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from functools import lru_cache

import altair as alt
import pandas as pd

from dashboard.data.filters import year_span
from dashboard.data.schema import EVENT_TYPES
from dashboard.maps.mapping import EVENT_COLOURS

#: Most labels the year axis shows before it labels every 5th, 10th, ... year.
MAX_YEAR_LABELS = 16
#: Spans of at most this many years are counted per month.
MONTHLY_UP_TO_YEARS = 3
#: The name of the chart's span selection (dragging across the bars).
SPAN = "span"

_EMPTY = {"start": [], "end": [], "year": [], "event_type": [], "type_label": [], "count": [],
          "type_order": []}


def time_unit(years: tuple[int, int] | None) -> str:
    """``"month"`` for a span of up to MONTHLY_UP_TO_YEARS years, else ``"year"``."""
    if years is None:
        return "year"
    return "month" if years[1] - years[0] + 1 <= MONTHLY_UP_TO_YEARS else "year"


def _type_columns(counts: pd.DataFrame) -> pd.DataFrame:
    order = {event_type: position for position, event_type in enumerate(EVENT_TYPES)}
    counts["count"] = counts["count"].astype(int)
    counts["type_label"] = counts["event_type"].map(EVENT_TYPES)
    counts["type_order"] = counts["event_type"].map(order)
    return counts


def yearly_counts(incidents: pd.DataFrame) -> pd.DataFrame:
    """One row per (year, event type) with the number of incidents, in type order."""
    return period_counts(incidents, "year")


def labelled_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """``counts`` (year, event_type, count: e.g. from :mod:`dashboard.data.query`) as yearly
    periods with the types' labels and order, sorted as the chart stacks them."""
    if counts.empty:
        return pd.DataFrame(_EMPTY)
    counts = counts[["year", "event_type", "count"]].copy()
    counts["year"] = counts["year"].astype(int)
    counts["start"] = counts["year"].map(lambda y: _iso(y))
    counts["end"] = counts["year"].map(lambda y: _iso(y + 1))
    counts = _type_columns(counts)
    return counts.sort_values(["start", "type_order"]).reset_index(drop=True)


def labelled_month_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """``counts`` (year, month 1-12 or null for a date known only to the year, event_type,
    count: the query engine's monthly counts) as monthly periods with the types' labels and
    order; the rows without a month are left out, as :func:`period_counts` does."""
    counts = counts[counts["month"].notna()]
    if counts.empty:
        return pd.DataFrame(_EMPTY)
    counts = counts[["year", "month", "event_type", "count"]].copy()
    counts["year"] = counts["year"].astype(int)
    months = counts["month"].astype(int)
    counts["start"] = [_iso(y, m) for y, m in zip(counts["year"], months, strict=True)]
    counts["end"] = [_iso(y + m // 12, m % 12 + 1) for y, m in
                     zip(counts["year"], months, strict=True)]
    counts = _type_columns(counts[["year", "event_type", "count", "start", "end"]])
    return counts.sort_values(["start", "type_order"]).reset_index(drop=True)


def period_counts(incidents: pd.DataFrame, unit: str) -> pd.DataFrame:
    """One row per (period, event type): ``start``/``end`` of the period (dates), ``year``,
    the number of incidents and the type's label and order.

    Per month, only incidents dated to the month or day are counted; those known only to
    the year are left out (:func:`year_only` counts them, the page says so)."""
    if incidents.empty:
        return pd.DataFrame(_EMPTY)
    dated = incidents.dropna(subset=["year"])
    if unit == "month":
        dated = dated[dated["date_precision"].isin(("day", "month"))
                      & dated["date_start"].notna()]
        periods = dated["date_start"].dt.to_period("M")
    else:
        periods = dated["year"].astype(int).map(lambda y: pd.Period(year=y, freq="Y"))
    if dated.empty:
        return pd.DataFrame(_EMPTY)
    counts = (dated.assign(period=periods.to_numpy())
              .groupby(["period", "event_type"], observed=True).size()
              .reset_index(name="count"))
    counts["year"] = counts["period"].map(lambda p: p.year).astype(int)
    if unit == "year":  # the same table as the query engine's counts give
        return labelled_counts(counts)
    counts["start"] = counts["period"].map(lambda p: p.start_time.date().isoformat())
    counts["end"] = counts["period"].map(lambda p: (p + 1).start_time.date().isoformat())
    counts = _type_columns(counts[["year", "event_type", "count", "start", "end"]])
    return counts.sort_values(["start", "type_order"]).reset_index(drop=True)


def year_only(incidents: pd.DataFrame) -> int:
    """How many dated incidents are known only to the year (not in monthly bars)."""
    if incidents.empty:
        return 0
    dated = incidents.dropna(subset=["year"])
    return int((~dated["date_precision"].isin(("day", "month"))).sum())


def _year_ticks(start: int, end: int) -> list[int]:
    length = end - start + 1
    step = 1
    for candidate in (1, 2, 5, 10, 20, 25, 50):
        step = candidate
        if length / candidate <= MAX_YEAR_LABELS:
            break
    first = start + (-start) % step
    return list(range(first, end + 1, step)) or [start]


def _iso(year: int, month: int = 1) -> str:
    return dt.date(year, month, 1).isoformat()


def build_timeline(
    incidents: pd.DataFrame | None,
    *,
    years: tuple[int, int] | None = None,
    colours: Mapping[str, str] | None = None,
    height: int = 300,
    counts: pd.DataFrame | None = None,
    month_counts: pd.DataFrame | None = None,
) -> alt.Chart:
    """Stacked bars of ``incidents`` per year, or per month when ``years`` (default: the
    data's) spans at most MONTHLY_UP_TO_YEARS years; dragging across the bars selects a span
    (the selection named ``SPAN``, read back with :func:`years_from_selection`).

    ``counts`` (year, event_type, count, as :mod:`dashboard.data.query` gives them) stand in
    for ``incidents`` when the rows themselves are not at hand; they are yearly, so months
    need the rows, or ``month_counts`` (year, month, event_type, count: the query engine's
    monthly counts). Colours are the map's (``mapping.EVENT_COLOURS``), so a type looks the
    same in both.
    """
    colours = EVENT_COLOURS if colours is None else colours
    if counts is None:
        span = year_span(incidents)
    else:
        span = (int(counts["year"].min()), int(counts["year"].max())) if len(counts) else None
    start, end = years or span or (2000, 2000)
    unit = (time_unit((start, end)) if incidents is not None or month_counts is not None
            else "year")
    if month_counts is not None and unit == "month":
        counts = labelled_month_counts(month_counts)
    elif incidents is None or (counts is not None and unit == "year"):
        counts = labelled_counts(counts if counts is not None else pd.DataFrame(_EMPTY))
    else:
        counts = period_counts(incidents, unit)
    present = [t for t in EVENT_TYPES if t in set(counts["event_type"])]
    labels = [EVENT_TYPES[t] for t in present]
    palette = [colours.get(t, "#777777") for t in present]
    domain = [_iso(start), _iso(end + 1)]
    if unit == "month":
        axis = alt.Axis(format="%b %Y", labelAngle=0, labelOverlap=True, tickCount="month")
        period_title, period_format = "Month", "%B %Y"
    else:
        axis = alt.Axis(values=[_iso(y) for y in _year_ticks(start, end)], format="%Y",
                        labelAngle=0, labelOverlap=True)
        period_title, period_format = "Year", "%Y"
    # Periods start at midnight UTC and are shown in UTC (a UTC scale formats its axis in
    # UTC; the tooltip's text is made with utcFormat): a browser west of Greenwich would
    # otherwise label 1 January 2022's bar "2021".
    x = alt.X("start:T", title=None, scale=alt.Scale(type="utc", domain=domain), axis=axis)
    y = alt.Y("sum(count):Q", title="Incidents", axis=alt.Axis(tickMinStep=1, format="d"))
    colour = alt.Color(
        "type_label:N",
        title="Event type",
        scale=alt.Scale(domain=labels, range=palette),
        legend=alt.Legend(orient="bottom", direction="horizontal", columns=5, labelLimit=200),
    )
    span = alt.selection_interval(name=SPAN, encodings=["x"])
    # The rows carry small whole numbers only (year, month, type, count): the period's dates
    # are worked out in the browser, and the type's name and label come from a small lookup
    # table, so the data sent with each rerun stays small (see compact_datasets).
    types = pd.DataFrame({"type_order": range(len(EVENT_TYPES)),
                          "event_type": list(EVENT_TYPES),
                          "type_label": list(EVENT_TYPES.values())})
    if unit == "month":
        rows = counts[["year", "type_order", "count"]].assign(
            month=[int(start[5:7]) for start in counts["start"]])[
            ["year", "month", "type_order", "count"]]
        dates = {"start": "utc(datum.year, datum.month - 1, 1)",
                 "end": "utc(datum.year, datum.month, 1)"}
    else:
        rows = counts[["year", "type_order", "count"]]
        dates = {"start": "utc(datum.year, 0, 1)", "end": "utc(datum.year + 1, 0, 1)"}
    return (
        alt.Chart(rows, height=height)
        .transform_lookup(lookup="type_order", from_=alt.LookupData(
            types, key="type_order", fields=["event_type", "type_label"]))
        .transform_calculate(**dates, period=f"utcFormat(datum.start, '{period_format}')")
        .mark_bar(stroke="#fff", strokeWidth=1)
        .encode(
            x=x,
            x2="end:T",
            y=y,
            color=colour,
            order=alt.Order("type_order:Q", sort="ascending"),
            tooltip=[
                alt.Tooltip("period:N", title=period_title),
                alt.Tooltip("type_label:N", title="Type"),
                alt.Tooltip("sum(count):Q", title="Incidents"),
            ],
        )
        .add_params(span)
        .properties(width="container", description=(
            f"Bar chart: incidents per {unit} by type, {start} to {end}; drag across the "
            f"bars to choose those {unit}s. The same counts are in the table below the map."))
        # Drawn on a canvas described as a whole: in SVG the span's brush is an unnamed
        # graphic (axe: svg-img-alt), and Vega-Lite offers no way to name it.
        .properties(usermeta={"embedOptions": {"renderer": "canvas"}})
    )


@lru_cache(maxsize=32)
def _cached_spec(rows: tuple, years: tuple[int, int] | None, height: int) -> str:
    counts = pd.DataFrame(list(rows), columns=["year", "event_type", "count"])
    return json.dumps(build_timeline(None, counts=counts, years=years, height=height).to_dict())


def timeline_spec(counts: pd.DataFrame, *, years: tuple[int, int] | None = None,
                  height: int = 300) -> dict:
    """The Vega-Lite spec of :func:`build_timeline` for yearly ``counts``, made once per
    distinct counts and years: building and validating the chart is the costly part of a
    rerun."""
    rows = tuple(counts[["year", "event_type", "count"]].itertuples(index=False, name=None))
    return json.loads(_cached_spec(rows, years, height))  # a fresh copy for the caller


def compact_datasets(spec: dict) -> dict:
    """``spec`` with each dataset of whole numbers as a table of the smallest integer types
    (Streamlit sends a chart's datasets as Arrow tables: one byte for a type or a month, two
    for a year, instead of eight), so a filter change sends a few kilobytes, not tens."""
    datasets = spec.get("datasets")
    if not isinstance(datasets, dict):
        return spec
    compact = {}
    for name, rows in datasets.items():
        frame = pd.DataFrame(rows) if isinstance(rows, list) else None
        if frame is None or frame.empty:
            compact[name] = rows
            continue
        for column in frame.columns:
            if pd.api.types.is_integer_dtype(frame[column]):
                frame[column] = pd.to_numeric(frame[column], downcast="integer")
        compact[name] = frame
    return {**spec, "datasets": compact}


def _as_date(value) -> dt.date | None:
    """A selection bound: milliseconds since 1970 (Vega's dates) or an ISO date text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return (dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=float(value))).date()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _bounds(state: Mapping | None) -> tuple[dt.date, dt.date] | None:
    """The dates at the two ends of the span in Streamlit's selection state, in order."""
    if not state or not hasattr(state, "get"):
        return None
    selection = (state.get("selection") or {}).get(SPAN) or {}
    bounds = selection.get("start") if hasattr(selection, "get") else None
    if not bounds or not isinstance(bounds, list | tuple) or len(bounds) != 2:
        return None
    first, last = (_as_date(bound) for bound in bounds)
    if first is None or last is None:
        return None
    return min(first, last), max(first, last)


def years_from_selection(state: Mapping | None) -> tuple[int, int] | None:
    """The years a span dragged on the chart covers, from Streamlit's selection state
    (``{"selection": {"span": {"start": [t0, t1]}}}``); None when nothing is selected.

    A span that ends exactly at the start of a year (the edge of the previous bar) does not
    take in that year."""
    bounds = _bounds(state)
    if bounds is None:
        return None
    first, last = bounds
    end_year = last.year - 1 if (last.month, last.day) == (1, 1) and last.year > first.year \
        else last.year
    return first.year, end_year


def months_from_selection(state: Mapping | None) -> tuple[str, str] | None:
    """The months (``YYYY-MM``, both ends included) a span dragged on the monthly chart
    covers; None when nothing is selected.

    Every month the span touches is in it, except that a span ending exactly at the start
    of a month (the edge of the previous bar) does not take in that month.

    >>> months_from_selection({"selection": {"span": {"start": ["2022-02-10", "2022-05-01"]}}})
    ('2022-02', '2022-04')
    """
    bounds = _bounds(state)
    if bounds is None:
        return None
    first, last = bounds
    end = (last.year, last.month)
    if last.day == 1 and (last.year, last.month) > (first.year, first.month):
        end = (last.year - 1, 12) if last.month == 1 else (last.year, last.month - 1)
    return f"{first.year:04d}-{first.month:02d}", f"{end[0]:04d}-{end[1]:02d}"
