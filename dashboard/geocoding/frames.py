"""Geocode the rows of a converted table that have no coordinates (the page's upload).

Like ``incident-map geocode``: coordinates already there are never touched, a row gets the
coarser of its own ``geo_precision`` and the answer's, and ``geocoder`` names the source.
Each distinct (place, country) is looked up once, so a file of 100,000 rows that names 800
places costs 800 look-ups.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from dashboard.geocoding.pipeline import Resolver, coarser


@dataclass
class FrameSummary:
    to_locate: int = 0
    resolved: int = 0
    ambiguous: int = 0
    partial: int = 0
    #: Rows given only their country's point: counted apart, never as located.
    country_only: int = 0
    unresolved: list[tuple[int, str]] = field(default_factory=list)  # (position, place)

    @property
    def located(self) -> int:
        return self.resolved - self.country_only

    def describe(self) -> str:
        return (f"{self.located:,} of {self.to_locate:,} rows located "
                f"({self.ambiguous:,} ambiguous, {self.partial:,} only to a region); "
                f"{self.country_only:,} only to their country; "
                f"{len(self.unresolved):,} not found")


def geocode_frame(frame: pd.DataFrame, resolver: Resolver,
                  on_progress: Callable[[int, int], None] | None = None,
                  ) -> tuple[pd.DataFrame, FrameSummary]:
    """A copy of ``frame`` (dataset text columns) with empty ``lat``/``lon`` filled."""
    frame = frame.copy()
    todo = (frame["lat"].astype(str).str.strip() == "") & (
        frame["lon"].astype(str).str.strip() == "")
    summary = FrameSummary(to_locate=int(todo.sum()))
    keys = list(dict.fromkeys(zip(frame.loc[todo, "place"], frame.loc[todo, "country"],
                                  strict=True)))
    answers = {}
    for done, (place, country) in enumerate(keys, start=1):
        answers[(place, country)] = resolver.resolve(place, country or None)
        if on_progress is not None:
            on_progress(done, len(keys))
    for position, index in enumerate(frame.index):
        if not todo[index]:
            continue
        result = answers.get((frame.at[index, "place"], frame.at[index, "country"]))
        if result is None:
            summary.unresolved.append((position, frame.at[index, "place"]))
            continue
        frame.at[index, "lat"] = f"{result.lat:.6f}".rstrip("0").rstrip(".")
        frame.at[index, "lon"] = f"{result.lon:.6f}".rstrip("0").rstrip(".")
        frame.at[index, "geocoder"] = result.source
        frame.at[index, "geo_precision"] = (
            coarser(frame.at[index, "geo_precision"], result.precision) or result.precision)
        note = result.note()
        if note and "notes" in frame.columns:
            notes = str(frame.at[index, "notes"] or "")
            frame.at[index, "notes"] = f"{notes}; {note}" if notes else note
        summary.resolved += 1
        if result.precision == "country":
            summary.country_only += 1
            continue
        summary.ambiguous += result.ambiguous
        summary.partial += result.partial
    return frame, summary
