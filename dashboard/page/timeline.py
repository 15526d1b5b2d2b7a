"""The timeline under the map: incidents per year, stacked by event type (Altair).

Example::

    chart = build_timeline(incidents, years=(2019, 2025))
    chart.to_dict()["mark"]["type"]
    # 'bar'
"""

from __future__ import annotations

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


def yearly_counts(incidents: pd.DataFrame) -> pd.DataFrame:
    """One row per (year, event type) with the number of incidents, in type order."""
    if incidents.empty:
        return pd.DataFrame({"year": [], "event_type": [], "type_label": [], "count": [],
                             "type_order": []})
    counts = (
        incidents.dropna(subset=["year"]).groupby(["year", "event_type"], observed=True)
        .size()
        .reset_index(name="count")
    )
    return labelled_counts(counts)


def labelled_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """``counts`` (year, event_type, count: e.g. from :mod:`dashboard.data.query`) with the
    types' labels and order, sorted as the chart stacks them."""
    counts = counts.copy()
    order = {event_type: position for position, event_type in enumerate(EVENT_TYPES)}
    counts["year"] = counts["year"].astype(int)
    counts["count"] = counts["count"].astype(int)
    counts["type_label"] = counts["event_type"].map(EVENT_TYPES)
    counts["type_order"] = counts["event_type"].map(order)
    return counts.sort_values(["year", "type_order"]).reset_index(drop=True)


def _year_ticks(start: int, end: int) -> list[int]:
    length = end - start + 1
    step = 1
    for candidate in (1, 2, 5, 10, 20, 25, 50):
        step = candidate
        if length / candidate <= MAX_YEAR_LABELS:
            break
    first = start + (-start) % step
    return list(range(first, end + 1, step)) or [start]


def build_timeline(
    incidents: pd.DataFrame | None,
    *,
    years: tuple[int, int] | None = None,
    colours: Mapping[str, str] | None = None,
    height: int = 220,
    counts: pd.DataFrame | None = None,
) -> alt.Chart:
    """A stacked bar chart of ``incidents`` per year; ``years`` sets the axis (default: the data).

    ``counts`` (year, event_type, count, as :mod:`dashboard.data.query` gives them) stand in
    for ``incidents`` when the rows themselves are not at hand. Colours are the map's
    (``mapping.EVENT_COLOURS``), so a type looks the same in both.
    """
    colours = EVENT_COLOURS if colours is None else colours
    if counts is None:
        counts = yearly_counts(incidents)
        span = year_span(incidents)
    else:
        counts = labelled_counts(counts) if len(counts) else yearly_counts(counts)
        span = (int(counts["year"].min()), int(counts["year"].max())) if len(counts) else None
    start, end = years or span or (0, 0)
    present = [t for t in EVENT_TYPES if t in set(counts["event_type"])]
    labels = [EVENT_TYPES[t] for t in present]
    palette = [colours.get(t, "#777777") for t in present]
    x = alt.X(
        "year:O",
        title=None,
        scale=alt.Scale(domain=list(range(start, end + 1)), paddingInner=0.15),
        axis=alt.Axis(values=_year_ticks(start, end), labelAngle=0, labelOverlap=True),
    )
    y = alt.Y("sum(count):Q", title="Incidents", axis=alt.Axis(tickMinStep=1, format="d"))
    colour = alt.Color(
        "type_label:N",
        title="Event type",
        scale=alt.Scale(domain=labels, range=palette),
        legend=alt.Legend(orient="bottom", direction="horizontal", columns=5, labelLimit=200),
    )
    # The rows carry numbers only (year, type's position, count); the type's name and label
    # come from a small lookup table, so the data sent with each rerun stays small.
    types = pd.DataFrame({"type_order": range(len(EVENT_TYPES)),
                          "event_type": list(EVENT_TYPES),
                          "type_label": list(EVENT_TYPES.values())})
    chart = (
        alt.Chart(counts[["year", "type_order", "count"]], height=height)
        .transform_lookup(lookup="type_order", from_=alt.LookupData(
            types, key="type_order", fields=["event_type", "type_label"]))
        .mark_bar()
        .encode(
            x=x,
            y=y,
            color=colour,
            order=alt.Order("type_order:Q", sort="ascending"),
            tooltip=[
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("type_label:N", title="Type"),
                alt.Tooltip("sum(count):Q", title="Incidents"),
            ],
        )
        .properties(width="container")
    )
    return chart


@lru_cache(maxsize=32)
def _cached_spec(rows: tuple, years: tuple[int, int] | None, height: int) -> str:
    counts = pd.DataFrame(list(rows), columns=["year", "event_type", "count"])
    return json.dumps(build_timeline(None, counts=counts, years=years, height=height).to_dict())


def timeline_spec(counts: pd.DataFrame, *, years: tuple[int, int] | None = None,
                  height: int = 220) -> dict:
    """The Vega-Lite spec of :func:`build_timeline` for ``counts``, made once per distinct
    counts and years: building and validating the chart is the costly part of a rerun."""
    rows = tuple(counts[["year", "event_type", "count"]].itertuples(index=False, name=None))
    return json.loads(_cached_spec(rows, years, height))  # a fresh copy for the caller
