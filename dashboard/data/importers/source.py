"""A file read as text columns (:class:`SourceTable`), whatever its format, and what every
reader shares."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from dashboard.data.schema import Problem

#: The column of a table read from a GIS file that names a feature's shape when it is not
#: a point (``Polygon``): its point is a representative point inside the shape.
SHAPE_COLUMN = "\0shape"


@dataclass
class SourceTable:
    """A file read as text columns, with what was learnt on the way."""

    frame: pd.DataFrame
    kind: str  # "csv", "xlsx", "geojson", or a GIS format ("kml", "gpkg", ...)
    encoding: str = "utf-8"
    problems: list[Problem] = field(default_factory=list)
    rows_read: int = 0
    #: What reading noticed and did about it (separator, renamed headers), one sentence each.
    notices: list[str] = field(default_factory=list)
    #: Lines or sheet rows with no value at all, ignored (not counted in ``rows_read``).
    blank: int = 0


def unique_header(header: list[str], notices: list[str]) -> list[str]:
    """Header names made unique: a repeated ``age`` becomes ``age_2`` (and ``age_3``), an
    empty name ``column_4`` (its position); each change is a notice."""
    seen: set[str] = set()
    renamed, names = [], []
    for position, column in enumerate(header, start=1):
        name = column or f"column_{position}"
        if name.lower() in seen:
            number = 2
            while f"{name}_{number}".lower() in seen or f"{name}_{number}" in header:
                number += 1
            renamed.append(f'"{name}" (column {position}) as {name}_{number}')
            name = f"{name}_{number}"
        elif not column:
            renamed.append(f"column {position} has no name; called {name}")
        seen.add(name.lower())
        names.append(name)
    if renamed:
        notices.append("header names repeated or empty, kept apart: " + "; ".join(renamed))
    return names
