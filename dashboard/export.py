"""Exports of the current view: CSV, GeoJSON, a self-contained HTML page and a PNG snapshot.

The dashboard's download buttons and ``incident-map export`` both call :func:`export_bytes`
with the same :class:`View`, so one set of filters gives the same bytes from either.

Example::

    incidents = load_incidents("tests/data/export_fixture.csv")
    view = View(filters=Filters(countries=("DE", "ES")))
    export_bytes(incidents, view, "geojson")[:40]
    # b'{"type": "FeatureCollection", "features"'
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dashboard import files
from dashboard.filters import Filters, apply_filters, describe, file_stem
from dashboard.html_text import sources_html
from dashboard.loading import dataset_columns
from dashboard.schema import EVENT_TYPES
from dashboard.spreadsheet import neutralise_frame

#: Export formats, their file extensions and media types.
FORMATS: dict[str, tuple[str, str]] = {
    "png": (".png", "image/png"),
    "html": (".html", "text/html"),
    "csv": (".csv", "text/csv"),
    "geojson": (".geojson", "application/geo+json"),
}
EXTENSIONS: dict[str, str] = {ext: fmt for fmt, (ext, _) in FORMATS.items()}
EXTENSIONS.update({".htm": "html", ".json": "geojson"})

#: PNG sizes in CSS pixels (width, height). ``a4`` is A4 landscape at 96 dpi;
#: with ``scale=2`` it gives about 192 dpi for print.
SIZE_PRESETS: dict[str, tuple[int, int]] = {
    "hd": (1600, 900),
    "fhd": (1920, 1080),
    "a4": (1123, 794),
}
DEFAULT_PRESET = "hd"
MIN_SIDE, MAX_SIDE = 200, 8000
SCALES = (1, 2, 3)

DEFAULT_TITLE = "Incident Map"
BASEMAP_CREDIT = {
    False: "basemap © OpenStreetMap contributors © CARTO",
    True: "basemap: Natural Earth outline",
}


class ExportError(Exception):
    """An export that cannot be made; the message says what to change."""


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


@dataclass(frozen=True)
class PngSize:
    """A PNG's size in CSS pixels and its device scale (2 doubles the pixels for print)."""

    width: int = SIZE_PRESETS[DEFAULT_PRESET][0]
    height: int = SIZE_PRESETS[DEFAULT_PRESET][1]
    scale: int = 1

    def __post_init__(self) -> None:
        for name in ("width", "height"):
            value = getattr(self, name)
            if not MIN_SIDE <= value <= MAX_SIDE:
                raise ExportError(f"{name} {value} is out of range; use {MIN_SIDE} to {MAX_SIDE}")
        if self.scale not in SCALES:
            raise ExportError(f"scale {self.scale} is not allowed; use one of 1, 2, 3")

    @classmethod
    def from_options(cls, *, preset: str | None = None, width: int | None = None,
                     height: int | None = None, scale: int = 1) -> PngSize:
        """A preset (``hd``, ``fhd``, ``a4``) with ``width``/``height`` overriding it."""
        key = (preset or DEFAULT_PRESET).lower()
        if key not in SIZE_PRESETS:
            choices = ", ".join(SIZE_PRESETS)
            raise ExportError(f'unknown size preset "{preset}"; use one of {choices}')
        base_width, base_height = SIZE_PRESETS[key]
        return cls(width or base_width, height or base_height, scale)

    @property
    def pixels(self) -> tuple[int, int]:
        return self.width * self.scale, self.height * self.scale


# -- names and formats --------------------------------------------------------------------


def format_for(path: str | Path, explicit: str | None = None) -> str:
    """The export format: ``explicit`` if given, else from the file extension."""
    if explicit:
        fmt = explicit.lower().lstrip(".")
        if fmt not in FORMATS:
            raise ExportError(f'unknown format "{explicit}"; use one of {", ".join(FORMATS)}')
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in EXTENSIONS:
        shown = f'"{suffix}"' if suffix else "no extension"
        raise ExportError(
            f"cannot tell the format from {shown}; name the file .png, .html, .csv or "
            ".geojson, or pass --format"
        )
    return EXTENSIONS[suffix]


def default_file_name(filters: Filters, fmt: str) -> str:
    """A descriptive file name: ``incidents_2019-2025_DE-ES.png``."""
    return file_stem(filters) + FORMATS[fmt][0]


def media_type(fmt: str) -> str:
    return FORMATS[fmt][1]


# -- data formats -------------------------------------------------------------------------


def view_rows(incidents: pd.DataFrame, view: View) -> pd.DataFrame:
    """The rows the view shows (filters applied; the focus only moves the map)."""
    return apply_filters(incidents, view.filters)


def csv_bytes(rows: pd.DataFrame, *, excel: bool = False) -> bytes:
    """The rows in the dataset's own columns, as a UTF-8 CSV that passes ``validate``.

    Cells that a spreadsheet would run as a formula are neutralised (see
    ``dashboard.spreadsheet``; reading the file back restores them). ``excel`` starts the
    file with a UTF-8 byte-order mark, which Excel needs to read the text as UTF-8.
    """
    columns = dataset_columns(rows)
    buffer = io.StringIO()
    # RFC 4180 line ends: the writer then quotes a cell holding a lone carriage return,
    # which would otherwise split the row for every reader.
    neutralise_frame(rows[columns]).to_csv(buffer, index=False, lineterminator="\r\n")
    return ("\ufeff" if excel else "").encode("utf-8") + buffer.getvalue().encode("utf-8")


def _json_value(value: object) -> object:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    return value


def geojson_dict(rows: pd.DataFrame) -> dict:
    """An RFC 7946 FeatureCollection: one Feature per row, ``[lon, lat]`` points.

    Rows without coordinates keep their Feature with ``"geometry": null`` (RFC 7946, 3.2),
    so the count always equals the number of rows. Properties are the dataset's columns.
    """
    columns = dataset_columns(rows)
    features = []
    for record in rows[columns].to_dict(orient="records"):
        properties = {column: _json_value(record[column]) for column in columns}
        lat, lon = properties.get("lat"), properties.get("lon")
        geometry = None
        if lat is not None and lon is not None:
            geometry = {"type": "Point", "coordinates": [float(lon), float(lat)]}
        features.append({
            "type": "Feature",
            "id": properties["id"],
            "geometry": geometry,
            "properties": properties,
        })
    return {"type": "FeatureCollection", "features": features}


def geojson_bytes(rows: pd.DataFrame) -> bytes:
    text = json.dumps(geojson_dict(rows), ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


# -- captions shared by the HTML page and the PNG --------------------------------------------


def data_date_text(rows: pd.DataFrame, provenance: Provenance) -> str:
    """``Newest incident: 21 May 2025 · dataset file of 21 Nov 2025``.

    Both dates are named: the newest incident's date (what the data covers) and the
    dataset file's modification date (when it was last edited)."""
    parts = []
    if not rows.empty and "date_start" in rows.columns:
        newest = rows.sort_values("date_start").iloc[-1]
        parts.append(f"Newest incident: {newest['date_label']}")
    if provenance.file_date:
        parts.append(f"dataset file of {provenance.file_date:%-d %b %Y}")
    return " · ".join(parts)


def sources_text(provenance: Provenance, *, offline: bool) -> str:
    return f"Sources: {provenance.name} (cited per incident) ; {BASEMAP_CREDIT[offline]}"


def caption(view: View, rows: pd.DataFrame) -> str:
    """``Killings, 2019–2025 · 4 incidents (1 without coordinates, not on the map)``."""
    count = len(rows)
    text = f"{describe(view.filters)} · {count} incident{'' if count == 1 else 's'}"
    if "has_coords" in rows.columns:
        missing = int((~rows["has_coords"].astype(bool)).sum())
        if missing:
            text += f" ({missing} without coordinates, not on the map)"
    return text


# -- files ----------------------------------------------------------------------------------


def check_writable(path: str | Path) -> Path:
    """Fail early, before any work, when ``path`` cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise ExportError(f"{path} is a folder; give a file name such as {path / 'map.png'}")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"cannot write {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(f"cannot write {path}: folder {folder} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise ExportError(f"cannot write {path}: the file is read-only")
    return path


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Check ``path`` can be written, then write it atomically (see ``dashboard.files``)."""
    path = check_writable(path)
    try:
        return files.write_atomic(path, data)
    except OSError as error:
        raise ExportError(f"cannot write {path}: {error.strerror or error}") from None


# -- the one entry point --------------------------------------------------------------------


def export_bytes(incidents: pd.DataFrame, view: View, fmt: str, *,
                 provenance: Provenance | None = None, size: PngSize | None = None,
                 excel: bool = False) -> bytes:
    """The export of ``view`` in ``fmt`` (png, html, csv, geojson) as bytes.

    ``excel``: a CSV starts with a UTF-8 byte-order mark (see :func:`csv_bytes`)."""
    fmt = format_for("", fmt)
    rows = view_rows(incidents, view)
    provenance = provenance or Provenance()
    if fmt == "csv":
        return csv_bytes(rows, excel=excel)
    if fmt == "geojson":
        return geojson_bytes(rows)
    from dashboard import snapshot

    if fmt == "html":
        return snapshot.html_page(rows, view, provenance=provenance).encode("utf-8")
    return snapshot.render_png(rows, view, provenance=provenance, size=size or PngSize())


def export_file(incidents: pd.DataFrame, view: View, path: str | Path, *, fmt: str | None = None,
                provenance: Provenance | None = None, size: PngSize | None = None,
                excel: bool = False) -> Path:
    """Export ``view`` to ``path`` (format from the extension unless ``fmt``), atomically."""
    fmt = format_for(path, fmt)
    check_writable(path)
    data = export_bytes(incidents, view, fmt, provenance=provenance, size=size, excel=excel)
    return write_atomic(path, data)


# -- the incident table of the HTML export --------------------------------------------------


def table_html(rows: pd.DataFrame) -> str:
    """An escaped HTML table of ``rows``: date, type, title, place, attribution, sources."""
    head = "".join(f"<th>{name}</th>" for name in
                   ("Date", "Type", "Incident", "Place", "Attribution", "Sources"))
    body = []
    for _, row in rows.iterrows():
        links = sources_html(row["sources"])
        body.append(
            f'<tr data-incident="{html.escape(row["id"])}">'
            f'<td>{html.escape(row["date_label"])}</td>'
            f'<td>{html.escape(EVENT_TYPES.get(row["event_type"], row["event_type"]))}</td>'
            f'<td><strong>{html.escape(row["title"])}</strong><br>'
            f'<span class="summary">{html.escape(row["summary"])}</span></td>'
            f'<td>{html.escape(row["place"])}</td>'
            f'<td>{html.escape(row["attribution"])}</td>'
            f'<td>{"<br>".join(links)}</td></tr>'
        )
    return (
        '<table class="incident-table"><thead><tr>' + head + "</tr></thead><tbody>"
        + "".join(body) + "</tbody></table>"
    )


__all__ = [
    "DEFAULT_TITLE", "ExportError", "FORMATS", "PngSize", "Provenance",
    "SIZE_PRESETS", "View", "check_writable", "csv_bytes", "default_file_name", "export_bytes",
    "export_file", "format_for", "geojson_bytes", "geojson_dict", "media_type", "table_html",
    "view_rows", "write_atomic",
]
