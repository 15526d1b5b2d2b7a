"""The year player as an animated GIF: one frame per year of the view, as ▶ plays it.

Like the page's play control, the frames run through every year from the view's first to
its last dated incident. ``cumulative`` frames show everything up to that year; otherwise
each frame shows that year's incidents only (a moving window of one year). Each frame is the
PNG snapshot of the view (title, the year and its count in the caption, legend, sources),
drawn by one headless Chromium; Pillow assembles the GIF. Every frame fits the same extent
(all the view's incidents, or the view's own centre and zoom), so the map never jumps
between years.
"""

from __future__ import annotations

import dataclasses
import io

import pandas as pd

from dashboard.data.filters import describe
from dashboard.exports.view import ExportError, PngSize, Provenance, View

#: Frame size in CSS pixels and time per frame.
FRAME_SIZE = PngSize(960, 540)
FRAME_MS = 700
LAST_FRAME_MS = 2500
MAX_FRAMES = 400


def frame_years(rows: pd.DataFrame) -> list[int]:
    """Every year from the first to the last dated incident of ``rows`` (the player's steps)."""
    years = rows["year"].dropna() if "year" in rows.columns else pd.Series([], dtype=float)
    if years.empty:
        return []
    return list(range(int(years.min()), int(years.max()) + 1))


def frame_rows(rows: pd.DataFrame, year: int, *, cumulative: bool) -> pd.DataFrame:
    """The incidents a frame shows: up to ``year`` (cumulative) or in ``year`` only."""
    years = rows["year"]
    keep = (years <= year) if cumulative else (years == year)
    return rows[keep.fillna(False).astype(bool)]


def gif_bytes(rows: pd.DataFrame, view: View, *, provenance: Provenance,
              cumulative: bool = True, size: PngSize = FRAME_SIZE,
              allow_empty: bool = False) -> bytes:
    """The animated GIF of ``rows`` (the view's incidents), one frame per year."""
    from PIL import Image

    snapshots = render_frames(rows, view, provenance=provenance, cumulative=cumulative,
                              size=size, allow_empty=allow_empty)
    frames = [Image.open(io.BytesIO(snap.png)).convert("RGB") for snap in snapshots]
    out = io.BytesIO()
    durations = [FRAME_MS] * (len(frames) - 1) + [LAST_FRAME_MS]
    # Pillow's adaptive palette per frame keeps the map's colours; loop forever.
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:],
                   duration=durations, loop=0, optimize=False, disposal=1)
    return out.getvalue()


def render_frames(rows: pd.DataFrame, view: View, *, provenance: Provenance,
                  cumulative: bool = True, size: PngSize = FRAME_SIZE,
                  allow_empty: bool = False) -> list:
    """The animation's frames as :class:`~dashboard.exports.snapshot.Snapshot` s, one per
    year, all fitted to the extent of every incident of ``rows``."""
    from dashboard.exports.browser import find_chromium, launch_chromium
    from dashboard.exports.snapshot import render_snapshot
    from dashboard.maps.mapping import extent_of

    years = frame_years(rows)
    if not years:
        if allow_empty:
            years = []
        else:
            raise ExportError(f"the view has no dated incident to animate: "
                              f"{describe(view.filters)}")
    if len(years) > MAX_FRAMES:
        raise ExportError(f"{len(years)} years is too many frames (at most {MAX_FRAMES}); "
                          "narrow the years")
    find_chromium()
    if view.extent is None and view.at is None:
        whole = extent_of(rows)
        if whole is not None:
            view = dataclasses.replace(view, extent=(tuple(whole[0]), tuple(whole[1])))
    frames = []
    with launch_chromium() as browser:
        for year in years or [None]:
            frame_view = view
            shown = rows
            if year is not None:
                # The caption then says which years the frame shows and how many incidents.
                span = (years[0], year) if cumulative else (year, year)
                shown = frame_rows(rows, year, cumulative=cumulative)
                frame_view = dataclasses.replace(
                    view, title=f"{view.title} · {year}",
                    filters=dataclasses.replace(view.filters, years=span))
            frames.append(render_snapshot(shown, frame_view, provenance=provenance, size=size,
                                          browser=browser))
    return frames


