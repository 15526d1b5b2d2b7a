"""The map as a page of its own: a self-contained HTML file and a PNG snapshot of it.

Both start from the same ``folium.Map`` the dashboard shows
(:func:`dashboard.maps.mapping.build_map` with the view's filters, layers and focus), add a
title, the filters in words, the data's date and the sources, and inline every script and
style sheet so nothing is fetched but map tiles (and not even those offline, where the
bundled world outline is the basemap).

The PNG is that page opened in headless Chromium at the requested size and device scale,
captured once the map has finished drawing: the tile layer's ``load`` event online, the
first painted frame after the outline offline.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import html
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import folium
import pandas as pd

from dashboard.data.filters import describe
from dashboard.data.schema import EVENT_TYPES
from dashboard.exports.sizes import ExportError, PngSize, context_options
from dashboard.exports.view import (
    Provenance,
    View,
    caption,
    data_date_text,
    sources_text,
)
from dashboard.maps.html_text import sources_html
from dashboard.maps.plugins import RawElement

#: Seconds to wait for the map to finish drawing before giving up.
READY_TIMEOUT_S = 20.0

_PAGE_CSS = """
html, body { margin: 0; padding: 0; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1f2328;
       background: #fff; }
.export-header { order: 0; padding: 14px 22px 10px; border-bottom: 1px solid #d0d7de; }
.export-header h1 { margin: 0; font-size: 24px; line-height: 1.2; }
.export-header p { margin: 4px 0 0; font-size: 15px; color: #4a525a; }
.export-header .export-subtitle { font-size: 17px; color: #1f2328; }
.export-footer { order: 2; display: flex; justify-content: space-between; gap: 16px;
                 padding: 6px 22px; font-size: 12px; color: #4a525a;
                 border-top: 1px solid #d0d7de; }
.folium-map { order: 1; }
.export-table-wrap { order: 3; padding: 8px 22px 24px; }
.incident-table { border-collapse: collapse; width: 100%; font-size: 13px; }
.incident-table th, .incident-table td { border-bottom: 1px solid #e1e4e8; padding: 6px 8px;
                                         text-align: left; vertical-align: top; }
.incident-table .summary { color: #4a525a; }
"""

#: PNG: header, map, footer fill the viewport exactly; the legend is a panel beside the map
#: (a print layout), never over it.
_SNAPSHOT_CSS = """
html, body { height: 100%; overflow: hidden; }
body { display: grid; grid-template-columns: minmax(0, 1fr) var(--legend-width, 0px);
       grid-template-rows: auto minmax(0, 1fr) auto; }
.export-header { grid-column: 1 / -1; grid-row: 1; }
.export-footer { grid-column: 1 / -1; grid-row: 3; }
.export-legend { grid-column: 2; grid-row: 2; overflow: hidden; background: #fff;
  border-left: 1px solid #d0d7de; padding: 10px 12px; box-sizing: border-box; }
.export-legend .incident-legend { box-shadow: none; max-width: none; overflow: visible;
  background: none; border-radius: 0; font-size: 13px; transform-origin: top left; }
.export-legend h2 { margin: 0 0 4px; font-size: 15px; }
.export-legend .il-body { padding: 0; font-size: 13px; }
.export-legend h5 { font-size: 11.5px; margin-top: 8px; }
/* One line each, so the map has the same size whatever the captions say (the frames of an
   animation must not jump); a caption too long for the width ends in an ellipsis. */
.export-header h1, .export-header p, .export-footer span { white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; min-width: 0; }
.folium-map { grid-column: 1; grid-row: 2; width: auto !important; height: auto !important;
              min-height: 0; }
/* A picture has nothing to click: no zoom buttons, layer menu, player or popup close. */
.leaflet-control-zoom, .leaflet-control-layers, .leaflet-popup-close-button,
.incident-play { display: none !important; }
"""

#: HTML file: the map takes most of the window, the table follows below.
_DOCUMENT_CSS = """
body { display: flex; flex-direction: column; min-height: 100vh; }
.folium-map { flex: none !important; height: 72vh !important; min-height: 360px; }
"""

#: Sets ``window.incidentExportReady`` once tiles (online) or the first frame (offline) are drawn.
#: Before that, the legend is opened whole (a picture cannot scroll it) and scaled down just
#: enough to fit within the map's height and half its width.
_READY_JS = """
window.incidentExportReady = false;
/* The legend panel beside the map: scaled down just enough to fit its height. */
function fitLegendPanel() {
  var panel = document.querySelector(".export-legend");
  var legend = panel && panel.querySelector(".incident-legend");
  if (!legend) { return; }
  legend.style.zoom = 1;
  var room = panel.clientHeight - 20;
  var need = legend.scrollHeight;
  if (need > room && need > 0) { legend.style.zoom = Math.max(0.5, room / need).toFixed(3); }
}
window.incidentFitLegendPanel = fitLegendPanel;
function fitLegend(map) {
  var legend = map.getContainer().querySelector(".incident-legend");
  if (!legend) { return; }
  legend.open = true;
  legend.style.maxHeight = "none";
  legend.style.overflow = "visible";
  legend.style.zoom = 1;
  var mapBox = map.getContainer().getBoundingClientRect();
  var box = legend.getBoundingClientRect();
  var room = box.bottom - mapBox.top - 10;  // from the legend's foot to the map's top edge
  var scale = Math.min(1, room / box.height, (mapBox.width * 0.5) / box.width);
  if (scale < 1) { legend.style.zoom = Math.max(0.4, scale).toFixed(3); }
}
window.addEventListener("load", function () {
  var map = window[%(map_name)s];
  var waits = [];
  if (map._animatingZoom) {  // never capture a zoom half-way
    waits.push(new Promise(function (resolve) { map.once("zoomend", resolve); }));
  }
  if (map.incidentScale) {  // a large view: its clusters are drawn once the data is read
    waits.push(new Promise(function (resolve) {
      (function drawn() {
        var state = map.getContainer().getAttribute("data-im-scale");
        if (state === "drawn" || state === "failed") { resolve(); }
        else { setTimeout(drawn, 50); }
      })();
    }));
  }
  map.eachLayer(function (layer) {
    if (layer instanceof L.TileLayer && layer.isLoading && layer.isLoading()) {
      waits.push(new Promise(function (resolve) { layer.once("load", resolve); }));
    }
  });
  Promise.all(waits).then(function () {
    fitLegend(map);
    fitLegendPanel();
    if (window.incidentPlaceLabels) { window.incidentPlaceLabels(map); }
    requestAnimationFrame(function () {
      requestAnimationFrame(function () { window.incidentExportReady = true; });
    });
  });
});
"""


#: Puts the map at the view's centre and zoom once the page (and the map's own fit) has loaded.
_AT_JS = """
window.addEventListener("load", function () {
  var map = window[%(map_name)s];
  function go() { map.setView([%(lat)r, %(lon)r], %(zoom)d, {animate: false}); }
  // Let a pending first fit (the map had no size yet) run now; a zoom still animating would
  // land after our view, so take the view's extent once it ends.
  map.invalidateSize({animate: false});
  if (map._animatingZoom) { map.once("zoomend", go); } else { go(); }
});
"""


#: Fits the map to the on-screen map's extent (fractional zoom: the whole extent, no more
#: than the picture's shape adds).
_EXTENT_JS = """
window.addEventListener("load", function () {
  var map = window[%(map_name)s];
  function go() {
    map.options.zoomSnap = 0;
    map.fitBounds(%(bounds)s, {padding: [0, 0], animate: false, maxZoom: 18});
  }
  map.invalidateSize({animate: false});
  if (map._animatingZoom) { map.once("zoomend", go); } else { go(); }
});
"""


@dataclass(frozen=True)
class Snapshot:
    """A rendered PNG and where the map sits in it, for checking marker positions.

    ``map_box`` is (left, top, width, height) of the map in CSS pixels; ``bounds`` is the
    map's (south, west, north, east) in degrees; ``controls`` are the boxes of the map's
    controls (legend, zoom, layers), which cover what lies under them. CSS pixels times
    ``scale`` are image pixels. ``labels`` are the symbol labels placed (text and box, in
    the same CSS pixels); ``legend`` is the legend's box, or None without one, and
    ``legend_hidden`` how much of its content is cut off (0 when it fits).
    """

    png: bytes
    map_box: tuple[float, float, float, float]
    bounds: tuple[float, float, float, float]
    controls: tuple[tuple[float, float, float, float], ...]
    scale: int
    seconds: float
    labels: tuple[tuple[str, tuple[float, float, float, float]], ...] = ()
    legend: tuple[float, float, float, float] | None = None
    #: CSS pixels of the legend's content that do not show (it would have to scroll).
    legend_hidden: float = 0.0
    #: The boxes of the symbols drawn (circles, markers, clusters), clipped to the map.
    symbols: tuple[tuple[float, float, float, float], ...] = ()
    #: The box of the focused incident's place label, None without one.
    focus_label: tuple[float, float, float, float] | None = None
    #: How many of the view's incidents lie in the frame.
    in_frame: int = 0


def build_view_map(rows: pd.DataFrame, view: View, *, height: int | None = None,
                   popups: bool = True, labels: bool = False) -> folium.Map:
    """The dashboard's map for ``view``: same builder, filters, layers and focus. A view of
    more than SCALE_THRESHOLD rows is the page's large-data map carrying its data inside
    (``popups``: with every popup's text; a PNG needs none).

    ``labels`` (the PNG): the legend starts open, so the map is fitted beside it, and the
    symbols are named when ``view.labels`` asks for it and single symbols are drawn (not
    clusters or a heat map alone)."""
    from dashboard.exports.labels import labels_element
    from dashboard.maps.framing import screen_extent
    from dashboard.maps.mapping import build_map
    from dashboard.maps.scale_map import SCALE_THRESHOLD, build_document_scale_map

    focus = view.focus_id if view.focus_id in set(rows["id"]) else None
    if len(rows) > SCALE_THRESHOLD:  # clustered in the browser, as the page does
        # A picture is seen at one zoom: the view's, the focus's, or at most the fitted 7.
        zoom = None
        if not popups:
            zoom = int(view.at[2]) if view.at is not None else 18 if focus else 7
        fmap = build_document_scale_map(rows, offline=view.offline, focus_id=focus,
                                        height=height, popups=popups, zoom=zoom,
                                        legend=not labels)
    else:
        fmap = build_map(rows, offline=view.offline, focus_id=focus, cluster=view.cluster,
                         heatmap=view.heatmap, animate=False, height=height,
                         focus_popup=view.focus_popup, focus_label=not view.focus_popup,
                         layers=view.layers, bounds=view.extent, at=view.at,
                         legend_open=True if labels else None,
                         basemap_region=view_region(rows, view, focus), popup_texts=popups,
                         legend=not labels, screen=view.frame if labels else None)
        summary = fmap.incident_summary
        markers_shown = (view.layers is None and not summary.clustered) or (
            view.layers is not None and "markers" in view.layers)
        if labels and view.labels and markers_shown:
            fmap.get_root().html.add_child(labels_element(rows), name="export_labels")
    if view.at is not None and len(rows) > SCALE_THRESHOLD:
        lat, lon, zoom = (float(view.at[0]), float(view.at[1]), int(view.at[2]))
        if view.frame is not None and labels:
            # The picture shows what the screen's map showed: its extent, whatever the size.
            (south, west), (north, east) = screen_extent(lat, lon, zoom, view.frame)
            fmap.get_root().script.add_child(RawElement(_EXTENT_JS % {
                "map_name": json.dumps(fmap.get_name()),
                "bounds": json.dumps([[south, west], [north, east]]),
            }), name="export_at")
        else:
            fmap.get_root().script.add_child(RawElement(_AT_JS % {
                "map_name": json.dumps(fmap.get_name()), "lat": lat, "lon": lon, "zoom": zoom,
            }), name="export_at")
    return fmap


def view_region(rows: pd.DataFrame, view: View, focus: str | None):
    """The region and zoom the export shows, for the basemap detail it carries: the frame
    the map opens on (:func:`dashboard.maps.framing.frame_view`, as on the page)."""
    from dashboard.maps.basemap_inline import region_around, region_of_bounds
    from dashboard.maps.framing import frame_view

    frame = frame_view(rows, focus_id=focus, at=view.at, extent=view.extent, screen=view.frame,
                       offline=view.offline, detail=True)
    if frame.center is not None:
        return region_around(frame.center[0], frame.center[1], int(frame.zoom))
    if frame.bounds is not None:
        (south, west), (north, east) = frame.bounds
        return region_of_bounds(south, west, north, east, max_zoom=frame.max_zoom)
    return region_around(30.0, 10.0, 2)


#: The HTML export's table lists at most this many incidents (a table of every row of a
#: large view was most of the file and of the time to make it; the map has them all).
EXPORT_TABLE_ROWS = 1_000


def legend_panel_html(content) -> str:
    """The legend as a panel beside a picture's map (empty when there is nothing to explain)."""
    from dashboard.maps.legend import legend_html

    if content is None or content.is_empty():
        return ""
    return (f'<div class="incident-legend"><h2>Legend</h2><div class="il-body">'
            f"{legend_html(content)}</div></div>")


#: The legend panel's width: a share of the picture's width, within bounds.
LEGEND_PANEL_CSS = "body {{ --legend-width: {width}px; }}"


def legend_panel_width(page_width: int) -> int:
    """The legend panel's width in CSS pixels for a picture ``page_width`` wide."""
    return int(min(340, max(240, page_width * 0.22)))


def _decorate(fmap: folium.Map, rows: pd.DataFrame, view: View, provenance: Provenance, *,
              layout_css: str, table: bool, legend_width: int | None = None) -> None:
    """Add the header, footer, optional table, page CSS and the ready flag to the figure;
    ``legend_width``: a picture's legend panel beside the map, that wide."""
    root = fmap.get_root()
    if legend_width is not None:
        from dashboard.maps.legend import legend_css
        from dashboard.maps.mapping import EVENT_COLOURS

        panel = legend_panel_html(getattr(fmap, "incident_legend", None))
        layout_css += LEGEND_PANEL_CSS.format(width=legend_width if panel else 0)
        layout_css += legend_css(EVENT_COLOURS["diplomatic_expulsion"])
        root.html.add_child(RawElement(f'<aside class="export-legend">{panel}</aside>'),
                            name="export_legend")
    title = html.escape(view.title)
    root.title = title  # branca renders it inside <title> unescaped, so escape it here
    root.header.add_child(RawElement(f"<style>{_PAGE_CSS}{layout_css}</style>"),
                          name="export_style")
    if view.header:
        root.html.add_child(RawElement(
            f'<header class="export-header"><h1>{title}</h1>'
            + (f'<p class="export-subtitle">{html.escape(view.subtitle)}</p>' if view.subtitle
               else "") +
            f'<p class="export-caption">{html.escape(caption(view, rows))}</p></header>'
        ), name="export_header")
    root.html.add_child(RawElement(
        f'<footer class="export-footer"><span>{html.escape(data_date_text(rows, provenance))}'
        f"</span><span>{html.escape(sources_text(provenance, offline=view.offline))}</span>"
        "</footer>"
    ), name="export_footer")
    if table:
        shown = rows.iloc[:EXPORT_TABLE_ROWS]
        note = "" if len(shown) == len(rows) else (
            f'<p class="export-table-note">The first {len(shown):,} of {len(rows):,} incidents '
            "in date order; all of them are on the map, and the CSV export lists every one.</p>")
        root.html.add_child(RawElement(
            f'<section class="export-table-wrap">{note}{table_html(shown)}</section>'
        ), name="export_table")
    name = fmap.get_name()
    root.script.add_child(RawElement(_READY_JS % {"map_name": f'"{name}"'}), name="export_ready")


def _self_contained(fmap: folium.Map) -> str:
    from dashboard.maps.assets import AssetError, inline_html

    try:
        return inline_html(fmap)
    except AssetError as error:
        raise ExportError(str(error)) from None


def html_page(rows: pd.DataFrame, view: View, *, provenance: Provenance) -> str:
    """One HTML file with the interactive map, legend and table; opens from disk offline.

    It requests no tile server unless the view used web tiles (online) and asked to keep
    them (``view.web_tiles``): else it draws the bundled basemap, and its credits say so."""
    if not view.offline and not view.web_tiles:
        view = dataclasses.replace(view, offline=True)
    fmap = build_view_map(rows, view)
    _decorate(fmap, rows, view, provenance, layout_css=_DOCUMENT_CSS, table=True)
    return _self_contained(fmap)


def snapshot_page(rows: pd.DataFrame, view: View, *, provenance: Provenance,
                  width: int = 1600) -> tuple[str, str]:
    """The page the PNG is taken of (header, map, the legend panel beside it, footer) and
    the map's JS name; ``width``: the picture's width in CSS pixels."""
    prepared = prepare_picture(rows, view, provenance=provenance, width=width)
    return prepared.html, prepared.map_name


@dataclass(frozen=True)
class Prepared:
    """A picture's page, made before a browser draws it (a deck makes the next slide's
    while the browser draws this one): the HTML, the map's JS name and the legend content
    of what it draws (a picture whose frame holds only some incidents lists only theirs)."""

    html: str
    map_name: str
    legend: object = None


def prepare_picture(rows: pd.DataFrame, view: View, *, provenance: Provenance,
                    width: int = 1600) -> Prepared:
    """The page of :func:`snapshot_page` with what drawing it needs."""
    fmap = build_view_map(rows, view, popups=False, labels=True)
    _decorate(fmap, rows, view, provenance, layout_css=_SNAPSHOT_CSS, table=False,
              legend_width=legend_panel_width(width))
    return Prepared(_self_contained(fmap), fmap.get_name(),
                    getattr(fmap, "incident_legend", None))


def frame_rows(rows: pd.DataFrame, bounds: tuple[float, float, float, float]) -> pd.DataFrame:
    """The rows with coordinates inside ``bounds`` (south, west, north, east; a west beyond
    -180 or an east beyond 180 wraps round the world)."""
    if rows.empty or not {"lat", "lon"} <= set(rows.columns):
        return rows[:0]
    south, west, north, east = bounds
    lat = pd.to_numeric(rows["lat"], errors="coerce")
    lon = pd.to_numeric(rows["lon"], errors="coerce")
    inside_lat = (lat >= south) & (lat <= north)
    if east - west >= 360:
        inside_lon = lon.notna()
    else:
        shifted = (lon - west) % 360  # degrees east of the frame's west edge
        inside_lon = shifted <= (east - west)
    return rows[(inside_lat & inside_lon).fillna(False).astype(bool)]


def render_snapshot(rows: pd.DataFrame, view: View, *, provenance: Provenance,
                    size: PngSize, timeout_s: float = READY_TIMEOUT_S,
                    browser=None, allow_empty: bool = True,
                    prepared: Prepared | None = None) -> Snapshot:
    """Open the snapshot page in headless Chromium and capture it once the map is drawn.

    The caption counts the incidents in the frame and the legend lists theirs when the
    frame holds only some of the view's; ``allow_empty=False`` refuses a frame that holds
    none of them (:class:`ExportError`).
    ``browser``: a Playwright browser, or a page of one (a deck renders its slides in one
    page), or a :class:`dashboard.exports.browser.ChromiumThread` started earlier.
    ``prepared``: the page made already by :func:`prepare_picture` for these rows and view."""
    from playwright.sync_api import Error as PlaywrightError

    from dashboard.exports.browser import ChromiumThread, find_chromium, launch_chromium

    started = time.perf_counter()
    find_chromium()  # no browser: say what to install before doing any work
    if prepared is None:
        prepared = prepare_picture(rows, view, provenance=provenance, width=size.width)
    page_html, map_name = prepared.html, prepared.map_name
    options = context_options(size)
    frame = functools.partial(_frame_update, rows=rows, view=view, legend=prepared.legend,
                              allow_empty=allow_empty)
    try:
        if isinstance(browser, ChromiumThread):
            geometry, png = browser.call_in_context(options, _capture, page_html, map_name,
                                                    view=view, timeout_s=timeout_s,
                                                    frame=frame)
        elif browser is not None and hasattr(browser, "goto"):  # a page, kept open
            geometry, png = _capture_in_page(browser, page_html, map_name, view=view,
                                             timeout_s=timeout_s, frame=frame)
        else:
            with contextlib.nullcontext(browser) if browser else launch_chromium() as chromium:
                geometry, png = _capture(chromium.new_context(**options), page_html, map_name,
                                         view=view, timeout_s=timeout_s, frame=frame)
    except PlaywrightError as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else "unknown error"
        raise ExportError(f"headless Chromium failed: {message}") from None
    box = geometry["box"]
    bounds = geometry["bounds"]
    return Snapshot(
        png=png,
        map_box=(box["x"], box["y"], box["width"], box["height"]),
        bounds=(bounds["south"], bounds["west"], bounds["north"], bounds["east"]),
        controls=tuple(tuple(rect) for rect in geometry["controls"]),
        labels=tuple((text, tuple(rect)) for text, rect in geometry["labels"]),
        legend=tuple(geometry["legend"]) if geometry["legend"] else None,
        legend_hidden=float(geometry["legendHidden"]),
        symbols=tuple(tuple(rect) for rect in geometry["symbols"]),
        focus_label=tuple(geometry["focusLabel"]) if geometry["focusLabel"] else None,
        in_frame=int(geometry.get("inFrame", 0)),
        scale=size.scale,
        seconds=time.perf_counter() - started,
    )


def _capture(context, page_html: str, map_name: str, *, view: View,
             timeout_s: float, frame=None) -> tuple[dict, bytes]:
    """The page's geometry and PNG, taken in a new browser ``context`` (closed after) once
    the map is drawn."""
    try:
        # a context opened in advance (ChromiumThread) holds its blank page already
        page = context.pages[0] if context.pages else context.new_page()
        return _capture_in_page(page, page_html, map_name, view=view, timeout_s=timeout_s,
                                frame=frame)
    finally:
        context.close()


def _capture_in_page(page, page_html: str, map_name: str, *, view: View, timeout_s: float,
                     frame=None) -> tuple[dict, bytes]:
    """Open the picture's page in ``page`` (a browser page, reused from one picture to the
    next), wait until the map is drawn, let ``frame`` fit the caption and legend to what
    the frame holds, then take the geometry and the PNG."""
    _load_picture(page, page_html, view=view, timeout_s=timeout_s)
    geometry = page.evaluate(_GEOMETRY_JS, map_name)
    if frame is not None:
        update = frame(geometry)
        geometry["inFrame"] = update.pop("inFrame")
        if update:
            page.evaluate(_FRAME_JS, update)
            geometry = {**page.evaluate(_GEOMETRY_JS, map_name),
                        "inFrame": geometry["inFrame"]}
    png = page.screenshot(type="png", full_page=False, animations="disabled")
    return geometry, png


def _load_picture(page, page_html: str, *, view: View, timeout_s: float) -> None:
    """Open a picture's page in ``page`` and wait until its map is drawn."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # Opened as a file, not written into a blank page: Chromium parses a file as it
    # reads it, about twice as fast for a large view (its data is inside the page).
    with tempfile.TemporaryDirectory(prefix="incident-map-") as folder:
        path = Path(folder) / "view.html"
        path.write_text(page_html, encoding="utf-8")
        url = path.as_uri()
        page.unroute("**/*")
        if view.offline:
            page.route("**/*", lambda route: _refuse_network(route, allowed=url))
        page.goto(url, wait_until="load", timeout=timeout_s * 1000)
        try:
            page.wait_for_function("window.incidentExportReady === true",
                                   timeout=timeout_s * 1000, polling=50)
        except PlaywrightTimeout:
            hint = "" if view.offline else "; the map tiles may be unreachable: try --offline"
            raise ExportError(
                f"the map did not finish drawing within {timeout_s:g} s{hint}"
            ) from None


def render_sequence(page, rows: pd.DataFrame, view: View, steps, *, provenance: Provenance,
                    size: PngSize, progress=None,
                    timeout_s: float = READY_TIMEOUT_S) -> list[Snapshot]:
    """Pictures of one page made once: each of ``steps`` (``(frame, shown, frame_view)``:
    the year the map shows up to, or in when ``frame.windowed``; the rows it then shows; the
    view whose title and filters name it) sets the map's year, the title, the caption and
    the legend, and is captured. The footer (the view's dataset date) stays the same."""
    import time

    prepared = prepare_picture(rows, view, provenance=provenance, width=size.width)
    legend, map_name = prepared.legend, prepared.map_name
    _load_picture(page, prepared.html, view=view, timeout_s=timeout_s)
    shots = []
    for number, (frame, shown, frame_view) in enumerate(steps, start=1):
        started = time.perf_counter()
        if progress:
            progress(number, len(steps))
        update = {"map": map_name, "year": frame.year, "windowed": frame.windowed,
                  "title": frame_view.title, "caption": caption(frame_view, shown)}
        if legend is not None and not legend.is_empty():
            update["legend"] = legend_panel_html(legend_of(shown, legend, frame_view))
        page.evaluate(_SEQUENCE_JS, update)
        geometry = page.evaluate(_GEOMETRY_JS, map_name)
        png = page.screenshot(type="png", full_page=False, animations="disabled")
        box, bounds = geometry["box"], geometry["bounds"]
        shots.append(Snapshot(
            png=png, map_box=(box["x"], box["y"], box["width"], box["height"]),
            bounds=(bounds["south"], bounds["west"], bounds["north"], bounds["east"]),
            controls=tuple(tuple(rect) for rect in geometry["controls"]),
            legend=tuple(geometry["legend"]) if geometry["legend"] else None,
            legend_hidden=float(geometry["legendHidden"]),
            symbols=tuple(tuple(rect) for rect in geometry["symbols"]),
            in_frame=len(shown), scale=size.scale, seconds=time.perf_counter() - started))
    return shots


#: One frame of a sequence: the map's year (its own year filter), the title, the caption
#: and the legend (text and Python-made, escaped markup).
_SEQUENCE_JS = """
(update) => {
  var map = window[update.map];
  if (map && map.incidentMap) { map.incidentMap.setYear(update.year, update.windowed); }
  var title = document.querySelector(".export-header h1");
  if (title) { title.textContent = update.title; }
  var caption = document.querySelector(".export-caption");
  if (caption) { caption.textContent = update.caption; }
  var panel = document.querySelector(".export-legend");
  if (panel && update.legend !== undefined) {
    panel.innerHTML = update.legend;
    if (window.incidentFitLegendPanel) { window.incidentFitLegendPanel(); }
  }
}
"""


def _linked(rows: pd.DataFrame) -> bool:
    """Whether a link line is drawn between two of ``rows`` (one names the other)."""
    if "related_id" not in rows.columns or rows.empty:
        return False
    return bool(rows["related_id"].isin(set(rows["id"])).any())


def legend_of(shown: pd.DataFrame, legend, view: View):
    """The legend of a picture's map (``legend``: what it draws of all its rows) for the
    rows ``shown`` (those in its frame, or of its year)."""
    from dashboard.maps.mapping import drawn_legend

    expelled = shown[shown["event_type"] == "diplomatic_expulsion"] \
        if "event_type" in shown.columns else shown[:0]
    content = drawn_legend(
        shown, flows=legend.flows and not expelled.empty,
        links=legend.links and _linked(shown), clustered=legend.clustered,
        heat=legend.heatmap, halos=bool(legend.precisions),
        focus=legend.focus and view.focus_id in set(shown["id"]))
    if not legend.types:  # no symbol layer drawn: none listed for a part of it either
        content.types, content.attributions, content.sizes = [], [], []
    return content


def _frame_update(geometry: dict, *, rows: pd.DataFrame, view: View, legend,
                  allow_empty: bool) -> dict:
    """What to change on a picture once its frame is known: the caption and the legend of
    the incidents in the frame when it holds only some ({} when it holds all); ``inFrame``
    counts them. A frame holding none is refused unless ``allow_empty``."""
    b = geometry["bounds"]
    inside = frame_rows(rows, (b["south"], b["west"], b["north"], b["east"]))
    located = frame_rows(rows, (-90, -180, 90, 180))
    update: dict = {"inFrame": len(inside)}
    if inside.empty and not located.empty and not allow_empty:
        raise ExportError(
            f"the frame shows none of the view's {len(rows)} incidents "
            f"({describe(view.filters)}): move or zoom the map to them, or export it anyway "
            "(--allow-empty)")
    if len(inside) >= len(located):
        return update
    if view.header:
        update["caption"] = caption(view, rows, in_frame=len(inside))
    if legend is not None and not legend.is_empty():
        update["legend"] = legend_panel_html(legend_of(inside, legend, view))
    return update


#: Sets the caption and the legend panel's content (made by Python, escaped there).
_FRAME_JS = """
(update) => {
  var caption = document.querySelector(".export-caption");
  if (caption && update.caption !== undefined) { caption.textContent = update.caption; }
  var panel = document.querySelector(".export-legend");
  if (panel && update.legend !== undefined) {
    panel.innerHTML = update.legend;
    if (window.incidentFitLegendPanel) { window.incidentFitLegendPanel(); }
  }
}
"""


def render_png(rows: pd.DataFrame, view: View, *, provenance: Provenance,
               size: PngSize, browser=None, allow_empty: bool = True) -> bytes:
    """The PNG bytes of :func:`render_snapshot`."""
    return render_snapshot(rows, view, provenance=provenance, size=size, browser=browser,
                           allow_empty=allow_empty).png


def _refuse_network(route, *, allowed: str = "") -> None:
    """Offline: only the page itself (``allowed``) and inline data; all else is refused."""
    url = route.request.url
    if url.startswith(("data:", "blob:", "about:")) or (allowed and url == allowed):
        route.continue_()
    else:
        route.abort()


_GEOMETRY_JS = """
(name) => {
  const map = window[name];
  const rect = map.getContainer().getBoundingClientRect();
  const b = map.getBounds();
  const controls = Array.from(map.getContainer().querySelectorAll(".leaflet-control"))
    .map((el) => el.getBoundingClientRect())
    .filter((r) => r.width > 0 && r.height > 0)
    .map((r) => [r.left, r.top, r.width, r.height]);
  const labels = Array.from(document.querySelectorAll(".export-label")).map((el) => {
    const r = el.getBoundingClientRect();
    return [el.textContent, [r.left, r.top, r.width, r.height]];
  });
  const panel = document.querySelector(".export-legend");
  const legendBox = panel ? panel.querySelector(".incident-legend")
                          : document.querySelector(".incident-legend");
  const l = legendBox ? legendBox.getBoundingClientRect() : null;
  // Every symbol drawn, clipped to the map (what lies outside it is not shown).
  const clip = (r) => {
    const left = Math.max(r.left, rect.left), top = Math.max(r.top, rect.top);
    const right = Math.min(r.right, rect.right), bottom = Math.min(r.bottom, rect.bottom);
    return right > left && bottom > top ? [left, top, right - left, bottom - top] : null;
  };
  const symbols = Array.from(map.getContainer().querySelectorAll(
      ".leaflet-overlay-pane path.leaflet-interactive, .leaflet-marker-pane .leaflet-marker-icon"))
    .map((el) => clip(el.getBoundingClientRect())).filter((r) => r !== null);
  const focusEl = document.querySelector(".incident-focus-label");
  const f = focusEl ? focusEl.getBoundingClientRect() : null;
  return {
    controls: controls,
    labels: labels,
    symbols: symbols,
    focusLabel: f && f.width > 0 ? [f.left, f.top, f.width, f.height] : null,
    legend: l ? [l.left, l.top, l.width, l.height] : null,
    legendHidden: !legendBox ? 0 : panel
      ? Math.max(0, l.bottom - panel.getBoundingClientRect().bottom)
      : legendBox.scrollHeight - legendBox.clientHeight,
    box: {x: rect.left, y: rect.top, width: rect.width, height: rect.height},
    bounds: {south: b.getSouth(), west: b.getWest(), north: b.getNorth(), east: b.getEast()},
  };
}
"""


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
