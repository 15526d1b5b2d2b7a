"""Exports of the current view: CSV, GeoJSON, a self-contained HTML page and a PNG snapshot.

The dashboard's download buttons and ``incident-map export`` both call :func:`export_bytes`
with the same :class:`View`, so one set of filters gives the same bytes from either.

Example::

    incidents = load_incidents("tests/fixtures/export_fixture.csv")
    view = View(filters=Filters(countries=("DE", "ES")))
    export_bytes(incidents, view, "geojson")[:40]
    # b'{"type": "FeatureCollection", "features"'
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from dashboard.base import files
from dashboard.data.filters import Filters, apply_filters, describe, file_stem
from dashboard.data.loading import dataset_columns
from dashboard.data.spreadsheet import neutralise_frame
from dashboard.exports import snapshot
from dashboard.exports.view import (
    DEFAULT_TITLE,
    SIZE_PRESETS,
    ExportError,
    PngSize,
    Provenance,
    View,
)

#: Export formats, their file extensions and media types.
FORMATS: dict[str, tuple[str, str]] = {
    "png": (".png", "image/png"),
    "html": (".html", "text/html"),
    "csv": (".csv", "text/csv"),
    "geojson": (".geojson", "application/geo+json"),
    # Decks and the animation: one slide per briefing step (a title slide first if asked),
    # one frame per year.
    "pptx": (".pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    "pdf": (".pdf", "application/pdf"),
    "gif": (".gif", "image/gif"),
    "mp4": (".mp4", "video/mp4"),
    "webm": (".webm", "video/webm"),
}
EXTENSIONS: dict[str, str] = {ext: fmt for fmt, (ext, _) in FORMATS.items()}
EXTENSIONS.update({".htm": "html", ".json": "geojson"})

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
            f"cannot tell the format from {shown}; name the file .png, .html, .csv, "
            ".geojson, .pptx, .pdf, .gif, .mp4 or .webm, or pass --format"
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


#: Rows per chunk when a CSV or GeoJSON export is written piece by piece.
CHUNK_ROWS = 20_000


def csv_chunks(rows: pd.DataFrame, *, excel: bool = False) -> Iterator[bytes]:
    """The CSV of :func:`csv_bytes` in pieces of CHUNK_ROWS rows (streamed to a file)."""
    columns = dataset_columns(rows)
    if excel:
        yield "\ufeff".encode()
    for start in range(0, max(len(rows), 1), CHUNK_ROWS):
        buffer = io.StringIO()
        # RFC 4180 line ends: the writer then quotes a cell holding a lone carriage return,
        # which would otherwise split the row for every reader.
        neutralise_frame(rows[columns].iloc[start:start + CHUNK_ROWS]).to_csv(
            buffer, index=False, header=start == 0, lineterminator="\r\n")
        yield buffer.getvalue().encode("utf-8")


def csv_bytes(rows: pd.DataFrame, *, excel: bool = False) -> bytes:
    """The rows in the dataset's own columns, as a UTF-8 CSV that passes ``validate``.

    Cells that a spreadsheet would run as a formula are neutralised (see
    ``dashboard.data.spreadsheet``; reading the file back restores them). ``excel`` starts the
    file with a UTF-8 byte-order mark, which Excel needs to read the text as UTF-8.
    """
    return _joined(csv_chunks(rows, excel=excel))


def _joined(chunks: Iterator[bytes]) -> bytes:
    """The chunks as one ``bytes``, each dropped once copied (one copy of the file at most,
    besides the result)."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
    return bytes(buffer)


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
    return {"type": "FeatureCollection", "features": _features(rows)}


def _features(rows: pd.DataFrame) -> list[dict]:
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
    return features


def geojson_chunks(rows: pd.DataFrame) -> Iterator[bytes]:
    """The bytes of :func:`geojson_bytes` in pieces of CHUNK_ROWS features."""
    yield b'{"type": "FeatureCollection", "features": ['
    for start in range(0, len(rows), CHUNK_ROWS):
        text = ", ".join(json.dumps(feature, ensure_ascii=False, allow_nan=False)
                         for feature in _features(rows.iloc[start:start + CHUNK_ROWS]))
        yield ((", " if start else "") + text).encode("utf-8")
    yield b"]}\n"


def geojson_bytes(rows: pd.DataFrame) -> bytes:
    """The FeatureCollection of :func:`geojson_dict` as UTF-8 JSON."""
    return _joined(geojson_chunks(rows))


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


def write_atomic(path: str | Path, data: bytes | Iterator[bytes]) -> Path:
    """Check ``path`` can be written, then write it atomically (see ``dashboard.base.files``)."""
    path = check_writable(path)
    try:
        return files.write_atomic(path, data)
    except OSError as error:
        raise ExportError(f"cannot write {path}: {error.strerror or error}") from None


# -- the one entry point --------------------------------------------------------------------


def export_bytes(incidents: pd.DataFrame, view: View, fmt: str, *,
                 provenance: Provenance | None = None, size: PngSize | None = None,
                 excel: bool = False, briefing=None, allow_empty: bool = False,
                 browser=None, title_slide: bool = False, progress=None,
                 duration_s: float | None = None) -> bytes:
    """The export of ``view`` in ``fmt`` (png, html, csv, geojson, pptx, pdf, gif) as bytes.

    ``excel``: a CSV starts with a UTF-8 byte-order mark (see :func:`csv_bytes`).
    ``briefing`` (a :class:`dashboard.data.briefings.Briefing`): the steps of a pptx/pdf
    deck; without it, one step per incident of the view in date order. ``allow_empty``: a
    deck step or an animation that shows nothing is made anyway instead of refused.
    ``browser``: for a PNG, a browser already started (see ``snapshot.render_snapshot``).
    ``title_slide``: a pptx/pdf deck opens with a title slide (else one slide per step).
    ``progress(n, total)``: a deck or an animation reports each slide or frame as it starts
    drawing it (an exception it raises stops the export). ``duration_s``: how long one
    pass of a GIF or video lasts (see ``animation``)."""
    fmt = format_for("", fmt)
    rows = view_rows(incidents, view)
    provenance = provenance or Provenance()
    if fmt in ("pptx", "pdf"):
        from dashboard.data.briefings import filtered_briefing
        from dashboard.exports.deck import deck_bytes

        if briefing is None:
            briefing = filtered_briefing(rows, view.filters, title=view.title,
                                         subtitle=view.subtitle)
        return deck_bytes(incidents, briefing, fmt=fmt, offline=view.offline,
                          provenance=provenance, allow_empty=allow_empty,
                          title_slide=title_slide, progress=progress)
    if fmt in ("gif", "mp4", "webm"):
        from dashboard.exports.animation import DEFAULT_DURATION_S, gif_bytes, video_bytes

        options = {"provenance": provenance, "allow_empty": allow_empty, "progress": progress,
                   "duration_s": duration_s or DEFAULT_DURATION_S}
        if fmt == "gif":
            return gif_bytes(rows, view, **options)
        return video_bytes(rows, view, fmt=fmt, **options)
    if fmt == "csv":
        return csv_bytes(rows, excel=excel)
    if fmt == "geojson":
        return geojson_bytes(rows)

    if fmt == "html":
        return snapshot.html_page(rows, view, provenance=provenance).encode("utf-8")
    return snapshot.render_png(rows, view, provenance=provenance, size=size or PngSize(),
                               browser=browser, allow_empty=allow_empty)


def export_file(incidents: pd.DataFrame, view: View, path: str | Path, *, fmt: str | None = None,
                provenance: Provenance | None = None, size: PngSize | None = None,
                excel: bool = False, briefing=None, allow_empty: bool = True,
                browser=None, title_slide: bool = False, progress=None,
                duration_s: float | None = None) -> Path:
    """Export ``view`` to ``path`` (format from the extension unless ``fmt``), atomically.

    ``allow_empty=False`` refuses a view that shows no incident (the command line's default)."""
    fmt = format_for(path, fmt)
    check_writable(path)
    if not allow_empty and briefing is None and view_rows(incidents, view).empty:
        raise ExportError(f"the view shows no incident: {describe(view.filters)} matches "
                          "nothing; change the filters, or add --allow-empty to export it anyway")
    if fmt in ("csv", "geojson"):  # written piece by piece, never whole in memory
        rows = view_rows(incidents, view)
        return write_atomic(path, csv_chunks(rows, excel=excel) if fmt == "csv"
                            else geojson_chunks(rows))
    data = export_bytes(incidents, view, fmt, provenance=provenance, size=size, excel=excel,
                        briefing=briefing, allow_empty=allow_empty, browser=browser,
                        title_slide=title_slide, progress=progress, duration_s=duration_s)
    return write_atomic(path, data)


__all__ = [
    "DEFAULT_TITLE", "ExportError", "FORMATS", "PngSize", "Provenance",
    "SIZE_PRESETS", "View", "check_writable", "csv_bytes", "csv_chunks", "default_file_name",
    "export_bytes", "geojson_chunks",
    "export_file", "format_for", "geojson_bytes", "geojson_dict", "media_type",
    "view_rows", "write_atomic",
]
