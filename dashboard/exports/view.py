"""What an export shows and how: the view on screen, the data's provenance, the PNG size.

These types and the captions built from them are shared by every export format (see
``formats``) and by the HTML/PNG page (``snapshot``), which therefore do not import each
other's internals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dashboard.data.filters import Filters, describe
from dashboard.data.loading import data_as_of
from dashboard.exports.sizes import (  # noqa: F401  (part of this module's interface)
    DEFAULT_PRESET,
    MAX_SIDE,
    MIN_SIDE,
    SCALES,
    SIZE_PRESETS,
    ExportError,
    PngSize,
)

DEFAULT_TITLE = "Incident Map"
BASEMAP_CREDIT = {
    False: "basemap © OpenStreetMap contributors © CARTO",
    True: "basemap: Natural Earth outline",
}


@dataclass(frozen=True)
class Provenance:
    """Where the data comes from, for captions: the dataset's name and its file date."""

    name: str = "dataset"
    file_date: dt.date | None = None

    @classmethod
    def of(cls, path: str | Path) -> Provenance:
        path = Path(path)
        try:
            stamp = dt.datetime.fromtimestamp(path.stat().st_mtime).date()
        except OSError:
            stamp = None
        return cls(name=path.name, file_date=stamp)


@dataclass(frozen=True)
class View:
    """What is on screen: filters, layers, the focused incident and the basemap mode."""

    filters: Filters = field(default_factory=Filters)
    focus_id: str | None = None
    cluster: bool | None = None
    heatmap: bool | None = None
    offline: bool = False
    title: str = DEFAULT_TITLE
    #: A line under the title, typed by the user (empty: none).
    subtitle: str = ""
    #: The map's centre and zoom as on screen, ``(lat, lon, zoom)``; None fits the incidents.
    at: tuple[float, float, int] | None = None
    #: The layers shown, as chosen in the layer menu (``LAYER_KINDS``); None = the defaults.
    layers: tuple[str, ...] | None = None
    #: The focused incident's popup (False: a label names its place instead, as in briefings).
    focus_popup: bool = True
    #: PNG only: name the symbols on the map (placed without overlap; some may be left out).
    labels: bool = False
    #: What the view shows, in words, instead of its filters (a deck's overview of every
    #: step's incidents); empty: the filters in words.
    shown: str = ""
    #: The extent to fit, ``((south, west), (north, east))``, instead of the incidents' own
    #: (the animation keeps one extent for every frame); ``at`` still wins.
    extent: tuple[tuple[float, float], tuple[float, float]] | None = None
    #: The on-screen map's size in CSS pixels ``(width, height)``: with ``at``, a picture
    #: shows that map's extent (zoomed to fill its own size) instead of ``at``'s zoom.
    frame: tuple[int, int] | None = None
    #: HTML only: keep the web map tiles of an online view in the file (it then requests
    #: them from the tile server when opened); by default the file draws the bundled
    #: offline basemap and requests nothing.
    web_tiles: bool = False
    #: The picture's own header (title and caption); False on a slide, whose heading and
    #: texts say what the map shows.
    header: bool = True


# -- captions shared by the HTML page and the PNG --------------------------------------------


def data_date_text(rows: pd.DataFrame, provenance: Provenance) -> str:
    """``Newest incident: 21 May 2025 · data as of 29 Nov 2026``.

    Two dates are named: the newest incident's date (what the data covers) and when the
    rows were last checked against their sources (the dataset's ``checked`` column, see
    :func:`dashboard.data.loading.data_as_of`); a dataset without that column names its
    file's modification date instead."""
    parts = []
    dated = rows.dropna(subset=["date_start"]) if "date_start" in rows.columns else rows[:0]
    if not dated.empty:
        newest = dated.sort_values("date_start").iloc[-1]
        parts.append(f"Newest incident: {newest['date_label']}")
    as_of = data_as_of(rows)
    if as_of:
        parts.append(f"data as of {as_of:%-d %b %Y}")
    elif provenance.file_date:
        parts.append(f"dataset file of {provenance.file_date:%-d %b %Y}")
    return " · ".join(parts)


def sources_text(provenance: Provenance, *, offline: bool) -> str:
    return f"Sources: {provenance.name} (cited per incident) ; {BASEMAP_CREDIT[offline]}"


def caption(view: View, rows: pd.DataFrame, *, in_frame: int | None = None) -> str:
    """``Killings, 2019–2025 · 4 incidents (1 without coordinates, not on the map)``;
    ``in_frame``: how many of them a picture's frame holds, when not all
    (``… · 5 of 242 incidents in the frame``)."""
    count = len(rows)
    noun = f"incident{'' if count == 1 else 's'}"
    located = int(rows["has_coords"].astype(bool).sum()) if "has_coords" in rows.columns \
        else count
    if in_frame is not None and in_frame < located:
        return f"{view.shown or describe(view.filters)} · {in_frame} of {count} {noun} in the frame"
    text = f"{view.shown or describe(view.filters)} · {count} {noun}"
    if "has_coords" in rows.columns:
        missing = int((~rows["has_coords"].astype(bool)).sum())
        if missing:
            text += f" ({missing} without coordinates, not on the map)"
    return text
