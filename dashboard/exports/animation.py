"""The year player as an animated GIF or a video (MP4, WebM): a frame where the view changes.

Like the page's play control, the animation runs through the years of the view's dated
incidents, ``cumulative`` (everything up to the year) or one year at a time. A frame is made
only where the map changes: in a cumulative animation a run of years with no new incident
stays on the frame before it, which names the years it stands for ("1983–2003"); one year at
a time, a run of empty years is one frame that says so ("2019–2021 · no incidents"). So the
animation starts where the data starts changing and spends no time on frames that repeat.

Every frame is the PNG snapshot of the view (title with the years, the caption counting what
the frame shows, the legend panel listing what it draws, one footer with the view's dataset
date) on one map extent (all the view's incidents, or the view's own centre and zoom), so the
map never jumps. The page is loaded once in headless Chromium; each frame sets the map's
year (the page's own year filter), the texts and the legend, and is captured. Pillow writes
the GIF; ffmpeg (Debian's, or ``INCIDENT_MAP_FFMPEG``) encodes a video: H.264 MP4 or VP9
WebM, which slide software plays better than a GIF. ``duration_s`` is how long one pass of
the animation lasts, shared among the frames, the last one held longer.
"""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dashboard.data.filters import describe
from dashboard.exports.view import ExportError, PngSize, Provenance, View

#: Frame size in CSS pixels.
FRAME_SIZE = PngSize(960, 540)
#: How long one pass of the animation lasts by default, its bounds, and the bounds of one
#: frame's time.
DEFAULT_DURATION_S = 10.0
MIN_DURATION_S, MAX_DURATION_S = 1.0, 600.0
MIN_FRAME_MS, MAX_FRAME_MS = 200, 4000
#: The last frame is held this many times as long as the others (at most LAST_FRAME_MS).
LAST_FRAME_FACTOR = 3
LAST_FRAME_MS = 5000
MAX_FRAMES = 400
VIDEO_FORMATS = ("mp4", "webm")
#: Frames a second of a video (each animation frame is repeated for its time).
VIDEO_FPS = 10
FFMPEG_HINT = ("a video needs ffmpeg; install it (Debian/Ubuntu: `apt-get install ffmpeg`) or "
               "set INCIDENT_MAP_FFMPEG to an ffmpeg binary")


@dataclass(frozen=True)
class Frame:
    """One frame: the years it stands for, the year the map shows up to (or in), and
    whether it shows that year only."""

    first: int
    last: int
    year: int
    windowed: bool
    count: int

    @property
    def years(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}–{self.last}"


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


def plan_frames(rows: pd.DataFrame, *, cumulative: bool = True) -> list[Frame]:
    """The frames where the view changes (see the module's text).

    >>> rows = pd.DataFrame({"year": [1983, 2004, 2004, 2006]})
    >>> [(f.years, f.count) for f in plan_frames(rows)]
    [('1983–2003', 1), ('2004–2005', 3), ('2006', 4)]
    >>> [(f.years, f.count) for f in plan_frames(rows, cumulative=False)]
    [('1983', 1), ('1984–2003', 0), ('2004', 2), ('2005', 0), ('2006', 1)]
    """
    years = frame_years(rows)
    counts = rows["year"].dropna().astype(int).value_counts() if years else pd.Series()
    frames: list[Frame] = []
    total = 0
    for year in years:
        new = int(counts.get(year, 0))
        total += new
        if cumulative:
            if new == 0 and frames:  # nothing new: the frame before stands for this year
                frames[-1] = dataclasses.replace(frames[-1], last=year)
            else:
                frames.append(Frame(year, year, year, False, total))
        elif new == 0 and frames and frames[-1].count == 0:  # a run of empty years: one
            frames[-1] = dataclasses.replace(frames[-1], last=year)
        else:
            frames.append(Frame(year, year, year, True, new))
    return frames


def frame_durations(count: int, duration_s: float = DEFAULT_DURATION_S) -> list[int]:
    """Milliseconds per frame for ``count`` frames lasting about ``duration_s`` in all, the
    last held LAST_FRAME_FACTOR times as long.

    >>> frame_durations(4, 6.0)
    [1000, 1000, 1000, 3000]
    """
    if count <= 0:
        return []
    if not MIN_DURATION_S <= duration_s <= MAX_DURATION_S:
        raise ExportError(f"a duration of {duration_s:g} s is out of range; use "
                          f"{MIN_DURATION_S:g} to {MAX_DURATION_S:g} seconds")
    share = duration_s * 1000 / (count - 1 + LAST_FRAME_FACTOR)
    each = int(min(MAX_FRAME_MS, max(MIN_FRAME_MS, round(share / 10) * 10)))
    last = int(min(LAST_FRAME_MS, max(each, round(share * LAST_FRAME_FACTOR / 10) * 10)))
    return [each] * (count - 1) + [last] if count > 1 else [last]


def render_frames(rows: pd.DataFrame, view: View, *, provenance: Provenance,
                  cumulative: bool = True, size: PngSize = FRAME_SIZE,
                  allow_empty: bool = False, browser=None,
                  progress: Callable[[int, int], None] | None = None) -> list:
    """The animation's frames as :class:`~dashboard.exports.snapshot.Snapshot` s, one per
    change of the view (:func:`plan_frames`), all on the extent of every incident of
    ``rows``; drawn in one page. ``browser``: a Playwright browser to use (else one is
    started and closed); ``progress(n, total)`` before frame ``n`` is captured."""
    from dashboard.exports.browser import find_chromium, launch_chromium
    from dashboard.exports.sizes import context_options
    from dashboard.exports.snapshot import render_sequence
    from dashboard.maps.mapping import extent_of

    frames = plan_frames(rows, cumulative=cumulative)
    if not frames and not allow_empty:
        raise ExportError(f"the view has no dated incident to animate: "
                          f"{describe(view.filters)}")
    if len(frames) > MAX_FRAMES:
        raise ExportError(f"{len(frames)} frames is too many (at most {MAX_FRAMES}); "
                          "narrow the years")
    find_chromium()
    if view.extent is None and view.at is None:
        whole = extent_of(rows)
        if whole is not None:
            view = dataclasses.replace(view, extent=(tuple(whole[0]), tuple(whole[1])))
    first = frames[0].first if frames else None
    steps = []
    for frame in frames:
        shown = frame_rows(rows, frame.year, cumulative=cumulative)
        if not frame.windowed and first is not None:
            span = (first, frame.last)
        else:
            span = (frame.first, frame.last)
        frame_view = dataclasses.replace(
            view, title=f"{view.title} · {frame.years}",
            filters=dataclasses.replace(view.filters, years=span))
        steps.append((frame, shown, frame_view))
    with launch_chromium() if browser is None else _kept(browser) as chromium:
        context = chromium.new_context(**context_options(size))
        try:
            return render_sequence(context.new_page(), rows, view, steps,
                                   provenance=provenance, size=size, progress=progress)
        finally:
            context.close()


class _kept:
    """A browser used as it is (not closed after)."""

    def __init__(self, browser):
        self.browser = browser

    def __enter__(self):
        return self.browser

    def __exit__(self, *exc) -> None:
        return None


def gif_bytes(rows: pd.DataFrame, view: View, *, provenance: Provenance,
              cumulative: bool = True, size: PngSize = FRAME_SIZE,
              allow_empty: bool = False, duration_s: float = DEFAULT_DURATION_S,
              browser=None, progress: Callable[[int, int], None] | None = None) -> bytes:
    """The animated GIF of ``rows`` (the view's incidents), a frame per change."""
    from PIL import Image

    durations = frame_durations(1, duration_s)  # a bad duration: said before any work
    snapshots = render_frames(rows, view, provenance=provenance, cumulative=cumulative,
                              size=size, allow_empty=allow_empty, browser=browser,
                              progress=progress)
    if not snapshots:
        raise ExportError("nothing to animate")
    frames = [Image.open(io.BytesIO(snap.png)).convert("RGB") for snap in snapshots]
    durations = frame_durations(len(frames), duration_s)
    out = io.BytesIO()
    # Pillow's adaptive palette per frame keeps the map's colours; loop forever.
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:],
                   duration=durations, loop=0, optimize=False, disposal=1)
    return out.getvalue()


def find_ffmpeg() -> str:
    """The ffmpeg to encode videos with: ``$INCIDENT_MAP_FFMPEG`` or one on the PATH."""
    for candidate in (os.environ.get("INCIDENT_MAP_FFMPEG", ""), shutil.which("ffmpeg") or ""):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise ExportError(FFMPEG_HINT)


def video_bytes(rows: pd.DataFrame, view: View, *, provenance: Provenance, fmt: str = "mp4",
                cumulative: bool = True, size: PngSize = FRAME_SIZE,
                allow_empty: bool = False, duration_s: float = DEFAULT_DURATION_S,
                browser=None, progress: Callable[[int, int], None] | None = None) -> bytes:
    """The animation as a video: ``mp4`` (H.264, plays in PowerPoint, Keynote and browsers)
    or ``webm`` (VP9), each frame held for its time."""
    from PIL import Image

    if fmt not in VIDEO_FORMATS:
        raise ExportError(f'"{fmt}" is not a video format; use mp4 or webm')
    ffmpeg = find_ffmpeg()
    frame_durations(1, duration_s)
    snapshots = render_frames(rows, view, provenance=provenance, cumulative=cumulative,
                              size=size, allow_empty=allow_empty, browser=browser,
                              progress=progress)
    if not snapshots:
        raise ExportError("nothing to animate")
    images = [Image.open(io.BytesIO(snap.png)).convert("RGB") for snap in snapshots]
    width, height = images[0].size
    width, height = width - width % 2, height - height % 2  # 4:2:0 video wants even sides
    codec = (["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
              "-movflags", "+faststart"] if fmt == "mp4" else
             ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "32", "-deadline", "realtime",
              "-cpu-used", "8", "-pix_fmt", "yuv420p"])
    with tempfile.TemporaryDirectory(prefix="incident-map-video-") as folder:
        out = Path(folder) / f"animation.{fmt}"
        command = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo",
                   "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(VIDEO_FPS),
                   "-i", "-", "-an", *codec, str(out)]
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            for image, ms in zip(images, frame_durations(len(images), duration_s),
                                 strict=True):
                raw = image.crop((0, 0, width, height)).tobytes()
                for _ in range(max(1, round(ms * VIDEO_FPS / 1000))):
                    process.stdin.write(raw)
            process.stdin.close()
        except BrokenPipeError:
            pass
        error = process.stderr.read().decode("utf-8", "replace").strip()
        if process.wait() != 0 or not out.exists():
            first = error.splitlines()[0] if error else f"exit code {process.returncode}"
            raise ExportError(f"ffmpeg could not encode the {fmt}: {first}")
        return out.read_bytes()
