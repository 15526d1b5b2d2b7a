"""The export buttons of the analyst view: PNG rendered on demand, HTML, CSV and GeoJSON."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.data.filters import (
    Filters,
)
from dashboard.exports.browser import BrowserNotFound
from dashboard.exports.formats import (
    DEFAULT_TITLE,
    SIZE_PRESETS,
    ExportError,
    PngSize,
    Provenance,
    View,
    default_file_name,
    export_bytes,
    media_type,
)
from dashboard.exports.jobs import ExportCancelled, ExportJob
from dashboard.maps.assets import assets_available, missing_assets_message
from dashboard.page.views.common import map_view_now

#: The longest title or subtitle the page accepts for an export.
MAX_TITLE = 160
#: Views with more rows than this make their CSV/GeoJSON only when a button is pressed
#: (a file made at once is fetched by the browser with every rerun: 1,000 rows of CSV and
#: GeoJSON are about 150 KB a filter change).
EAGER_EXPORT_ROWS = 300

def _rows(filtered) -> pd.DataFrame:
    """The filtered rows: a frame, or a function that makes it (``page.state.RowsAt``)."""
    return filtered() if callable(filtered) else filtered


def _export(filtered, view: View, fmt: str, **options) -> bytes:
    return export_bytes(_rows(filtered), view, fmt, **options)


# A fragment: choosing a PNG size or pressing "Render PNG" reruns only this part, not the
# map, chart and table above it (which matters on large datasets).
@st.fragment
def render_downloads(filtered, filters: Filters, *, focus_id: str | None,
                     offline: bool, data_path: Path,
                     at: tuple[float, float, int] | None = None,
                     layers: tuple[str, ...] | None = None) -> None:
    """The export buttons for the current view (files made by ``dashboard.exports``) of
    ``filtered`` (a frame, or a function that makes it when a file is asked for);
    ``at`` and ``layers`` are the map's extent and layers as on screen. The map writes them
    into the URL without a rerun, and pressing "Render PNG" reruns only this fragment, so
    they are read from the URL again here."""
    at, layers, frame = map_view_now(at, layers)
    st.subheader("Export this view")
    title_col, subtitle_col = st.columns(2)
    title = title_col.text_input("Title", value=DEFAULT_TITLE, key="export_title",
                                 max_chars=MAX_TITLE) or DEFAULT_TITLE
    subtitle = subtitle_col.text_input("Subtitle", key="export_subtitle", max_chars=MAX_TITLE,
                                       placeholder="e.g. Briefing for the committee, May 2025")
    labels = st.checkbox("Label the symbols in the PNG", key="export_labels",
                         help="Names each symbol (or how many share a spot); a label that "
                              "would cover another label, a symbol or the legend is left out.")
    allow_empty = st.checkbox("Export the PNG even when its frame shows no incident",
                              key="export_allow_empty")
    web_tiles = False
    if not offline:
        web_tiles = st.checkbox(
            "HTML: keep the web map tiles", key="export_web_tiles",
            help="Off: the HTML file draws the bundled offline basemap and requests nothing "
                 "when opened. On: it also loads the web tiles from their server.")
    view = View(filters=filters, focus_id=focus_id, offline=offline, at=at, layers=layers,
                title=title, subtitle=subtitle, labels=labels, frame=frame,
                web_tiles=web_tiles)
    provenance = Provenance.of(data_path)
    size_col, scale_col, render_col, png_col = st.columns([2, 1, 2, 2],
                                                          vertical_alignment="bottom")
    preset = size_col.selectbox(
        "PNG size", list(SIZE_PRESETS), key="export_preset",
        format_func=lambda k: {"hd": "1600×900", "fhd": "1920×1080 (Full HD)",
                               "a4": "A4 landscape"}.get(k, k))
    scale = 2 if scale_col.checkbox("2× for print", key="export_scale2") else 1
    size = PngSize.from_options(preset=preset, scale=scale)
    token = repr((view, size, provenance))
    if render_col.button("Render PNG", key="export_render_png", width="stretch"):
        with st.spinner("Rendering the PNG in headless Chromium…"):
            try:
                png = _export(filtered, view, "png", provenance=provenance, size=size,
                              allow_empty=allow_empty)
                st.session_state["export_png"] = (token, png)
            except (ExportError, BrowserNotFound) as error:
                st.error(f"PNG export failed: {error}")
    stored = st.session_state.get("export_png")
    if stored and stored[0] == token:
        png_col.download_button("Download PNG", data=stored[1], key="download_png",
                                file_name=default_file_name(filters, "png"), mime="image/png",
                                on_click="ignore", type="primary", width="stretch")
    else:
        png_col.caption("Render the PNG, then download it here.")
    if stored and stored[0] == token:
        # A small preview: check the picture before it goes on a slide.
        st.image(stored[1], caption="Preview of the PNG", width=480)
    html_col, csv_col, geo_col = st.columns(3)
    html_col.download_button(
        "HTML (interactive)", key="download_html", on_click="ignore", width="stretch",
        data=functools.partial(_export, filtered, view, "html", provenance=provenance),
        file_name=default_file_name(filters, "html"), mime=media_type("html"),
        disabled=not assets_available(), help=None if assets_available() else
        missing_assets_message())
    for column, fmt, label in ((csv_col, "csv", "CSV"), (geo_col, "geojson", "GeoJSON")):
        # Large views: a callable, so the file is made when the button is pressed rather
        # than on every rerun; small views are made at once (cheap, and testable).
        # The CSV carries a byte-order mark so Excel reads it as UTF-8 (--excel).
        data = functools.partial(_export, filtered, view, fmt, excel=fmt == "csv")
        column.download_button(label, data=data if len(filtered) > EAGER_EXPORT_ROWS else data(),
                               key=f"download_{fmt}",
                               file_name=default_file_name(filters, fmt), mime=media_type(fmt),
                               on_click="ignore", width="stretch")


DEFAULT_DECK = ""  # the selectbox's value for "the filtered incidents in date order"
#: How often the deck's progress is shown again while it is drawn.
PROGRESS_EVERY_S = 0.5


def _deck_work(rows, view: View, fmt: str, progress, **options) -> bytes:
    return export_bytes(rows, view, fmt, progress=progress, **options)


@st.fragment(run_every=PROGRESS_EVERY_S)
def _deck_progress(job: ExportJob) -> None:
    """"Drawing slide 7 of 17…" with a bar and a Cancel button, shown again every half
    second while the deck is drawn; the whole page runs again once it has ended."""
    if not job.running:
        st.rerun()
    bar_col, cancel_col = st.columns([5, 1], vertical_alignment="bottom")
    bar_col.progress(job.fraction(), text=job.status())
    if cancel_col.button("Cancel", key="deck_cancel", disabled=job.cancelled,
                         width="stretch"):
        job.cancel()
        bar_col.caption("Cancelling: the slide being drawn is finished first.")


@st.fragment
def render_deck_downloads(incidents: pd.DataFrame, filtered, filters: Filters, *,
                          offline: bool, data_path: Path) -> None:
    """A deck (PPTX or PDF) of the filtered incidents or of a named briefing, made on demand."""
    from dashboard.data.briefings import BriefingError
    from dashboard.page.views.common import page_store

    st.caption("Slides: one per briefing step (map with legend, heading, caption, date, "
               "place, attribution and sources), after a title slide if you tick it (title, "
               "what is shown, the data's date, an overview map).")
    title_slide = st.checkbox("Open the deck with a title slide", key="deck_title_slide")
    choice_col, fmt_col, render_col, save_col = st.columns([3, 1.4, 2, 2],
                                                           vertical_alignment="bottom")
    names = page_store().briefing_names()
    choice = choice_col.selectbox(
        "Deck of", [DEFAULT_DECK, *names], key="deck_briefing",
        format_func=lambda n: n or f"these {len(filtered)} incidents, in date order")
    fmt = fmt_col.selectbox("Format", ["pptx", "pdf"], key="deck_format",
                            format_func=lambda f: {"pptx": "PowerPoint", "pdf": "PDF"}[f])
    token = repr((choice, fmt, filters, offline, title_slide))
    job = st.session_state.get("deck_job")
    if render_col.button("Render deck", key="deck_render", width="stretch",
                         disabled=bool(job and job.running)):
        try:
            briefing = (page_store().load_briefing(choice, ids=incidents["id"])
                        if choice else None)
            if briefing is None and not len(filtered):
                raise ExportError("no incidents match these filters: nothing to put on "
                                  "slides")
            # Drawn in the background: the page shows "slide 7 of 17" and can cancel it.
            work = functools.partial(
                _deck_work, incidents if briefing else _rows(filtered),
                View(filters=filters, offline=offline), fmt,
                provenance=Provenance.of(data_path), briefing=briefing,
                title_slide=title_slide)
            job = ExportJob(work, noun="slide", token=token)
            st.session_state["deck_job"] = job
        except BriefingError as error:
            st.error("The briefing cannot be used:\n\n" + "\n".join(
                f"- `{line}`" for line in error.problems[:20]))
        except (ExportError, BrowserNotFound) as error:
            st.error(f"Deck export failed: {error}")
    if job is not None and job.running:
        _deck_progress(job)
    elif job is not None:  # ended since the last run: keep the file or say why not
        del st.session_state["deck_job"]
        if isinstance(job.error, ExportCancelled):
            st.info(f"Deck {job.status().lower()}.")
        elif isinstance(job.error, ExportError | BrowserNotFound):
            st.error(f"Deck export failed: {job.error}")
        elif job.error is not None:
            raise job.error
        else:
            st.session_state["deck_file"] = (job.token, job.result)
    stored = st.session_state.get("deck_file")
    if stored and stored[0] == token:
        stem = choice or default_file_name(filters, fmt).rsplit(".", 1)[0]
        save_col.download_button(f"Download {fmt.upper()}", data=stored[1], key="download_deck",
                                 file_name=f"{stem}.{fmt}", mime=media_type(fmt),
                                 on_click="ignore", type="primary", width="stretch")
    else:
        save_col.caption("Render the deck, then download it here.")
