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
import html
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import folium
import pandas as pd

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

#: PNG: header, map, footer fill the viewport exactly.
_SNAPSHOT_CSS = """
html, body { height: 100%; overflow: hidden; }
body { display: flex; flex-direction: column; }
.export-header, .export-footer { flex: none; }
/* One line each, so the map has the same size whatever the captions say (the frames of an
   animation must not jump); a caption too long for the width ends in an ellipsis. */
.export-header h1, .export-header p, .export-footer span { white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; min-width: 0; }
.folium-map { flex: 1 1 0 !important; height: auto !important; min-height: 0; }
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


def build_view_map(rows: pd.DataFrame, view: View, *, height: int | None = None,
                   popups: bool = True, labels: bool = False) -> folium.Map:
    """The dashboard's map for ``view``: same builder, filters, layers and focus. A view of
    more than SCALE_THRESHOLD rows is the page's large-data map carrying its data inside
    (``popups``: with every popup's text; a PNG needs none).

    ``labels`` (the PNG): the legend starts open, so the map is fitted beside it, and the
    symbols are named when ``view.labels`` asks for it and single symbols are drawn (not
    clusters or a heat map alone)."""
    from dashboard.exports.labels import labels_element
    from dashboard.maps.mapping import build_map
    from dashboard.maps.scale_map import SCALE_THRESHOLD, build_document_scale_map

    focus = view.focus_id if view.focus_id in set(rows["id"]) else None
    if len(rows) > SCALE_THRESHOLD:  # clustered in the browser, as the page does
        # A picture is seen at one zoom: the view's, the focus's, or at most the fitted 7.
        zoom = None
        if not popups:
            zoom = int(view.at[2]) if view.at is not None else 18 if focus else 7
        fmap = build_document_scale_map(rows, offline=view.offline, focus_id=focus,
                                        height=height, popups=popups, zoom=zoom)
    else:
        fmap = build_map(rows, offline=view.offline, focus_id=focus, cluster=view.cluster,
                         heatmap=view.heatmap, animate=False, height=height,
                         focus_popup=view.focus_popup, focus_label=not view.focus_popup,
                         layers=view.layers, bounds=view.extent, at=view.at,
                         legend_open=True if labels else None,
                         basemap_region=view_region(rows, view, focus), popup_texts=popups)
        summary = fmap.incident_summary
        markers_shown = (view.layers is None and not summary.clustered) or (
            view.layers is not None and "markers" in view.layers)
        if labels and view.labels and markers_shown:
            fmap.get_root().html.add_child(labels_element(rows), name="export_labels")
    if view.at is not None and len(rows) > SCALE_THRESHOLD:
        lat, lon, zoom = (float(view.at[0]), float(view.at[1]), int(view.at[2]))
        fmap.get_root().script.add_child(RawElement(_AT_JS % {
            "map_name": json.dumps(fmap.get_name()), "lat": lat, "lon": lon, "zoom": zoom,
        }), name="export_at")
    return fmap


def view_region(rows: pd.DataFrame, view: View, focus: str | None):
    """The region and zoom the export shows, for the basemap detail it carries: the frame
    the map opens on (:func:`dashboard.maps.framing.frame_view`, as on the page)."""
    from dashboard.maps.basemap_inline import region_around, region_of_bounds
    from dashboard.maps.framing import frame_view

    frame = frame_view(rows, focus_id=focus, at=view.at, extent=view.extent,
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


def _decorate(fmap: folium.Map, rows: pd.DataFrame, view: View, provenance: Provenance, *,
              layout_css: str, table: bool) -> None:
    """Add the header, footer, optional table, page CSS and the ready flag to the figure."""
    root = fmap.get_root()
    title = html.escape(view.title)
    root.title = title  # branca renders it inside <title> unescaped, so escape it here
    root.header.add_child(RawElement(f"<style>{_PAGE_CSS}{layout_css}</style>"),
                          name="export_style")
    root.html.add_child(RawElement(
        f'<header class="export-header"><h1>{title}</h1>'
        + (f'<p class="export-subtitle">{html.escape(view.subtitle)}</p>' if view.subtitle
           else "") +
        f"<p>{html.escape(caption(view, rows))}</p></header>"
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
    """One HTML file with the interactive map, legend and table; opens from disk offline."""
    fmap = build_view_map(rows, view)
    _decorate(fmap, rows, view, provenance, layout_css=_DOCUMENT_CSS, table=True)
    return _self_contained(fmap)


def snapshot_page(rows: pd.DataFrame, view: View, *, provenance: Provenance) -> tuple[str, str]:
    """The page the PNG is taken of (header, map with legend, footer) and the map's JS name."""
    fmap = build_view_map(rows, view, popups=False, labels=True)
    _decorate(fmap, rows, view, provenance, layout_css=_SNAPSHOT_CSS, table=False)
    return _self_contained(fmap), fmap.get_name()


def render_snapshot(rows: pd.DataFrame, view: View, *, provenance: Provenance,
                    size: PngSize, timeout_s: float = READY_TIMEOUT_S,
                    browser=None) -> Snapshot:
    """Open the snapshot page in headless Chromium and capture it once the map is drawn.

    ``browser``: a Playwright browser to reuse (a deck renders many slides with one), or a
    :class:`dashboard.exports.browser.ChromiumThread` started earlier."""
    from playwright.sync_api import Error as PlaywrightError

    from dashboard.exports.browser import ChromiumThread, find_chromium, launch_chromium

    started = time.perf_counter()
    find_chromium()  # no browser: say what to install before doing any work
    page_html, map_name = snapshot_page(rows, view, provenance=provenance)
    options = context_options(size)
    try:
        if isinstance(browser, ChromiumThread):
            geometry, png = browser.call_in_context(options, _capture, page_html, map_name,
                                                    view=view, timeout_s=timeout_s)
        else:
            with contextlib.nullcontext(browser) if browser else launch_chromium() as chromium:
                geometry, png = _capture(chromium.new_context(**options), page_html, map_name,
                                         view=view, timeout_s=timeout_s)
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
        scale=size.scale,
        seconds=time.perf_counter() - started,
    )


def _capture(context, page_html: str, map_name: str, *, view: View,
             timeout_s: float) -> tuple[dict, bytes]:
    """The page's geometry and PNG, taken in a new browser ``context`` (closed after) once
    the map is drawn."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        # a context opened in advance (ChromiumThread) holds its blank page already
        page = context.pages[0] if context.pages else context.new_page()
        # Opened as a file, not written into a blank page: Chromium parses a file as it
        # reads it, about twice as fast for a large view (its data is inside the page).
        with tempfile.TemporaryDirectory(prefix="incident-map-") as folder:
            path = Path(folder) / "view.html"
            path.write_text(page_html, encoding="utf-8")
            url = path.as_uri()
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
            geometry = page.evaluate(_GEOMETRY_JS, map_name)
            png = page.screenshot(type="png", full_page=False, animations="disabled")
    finally:
        context.close()
    return geometry, png


def render_png(rows: pd.DataFrame, view: View, *, provenance: Provenance,
               size: PngSize, browser=None) -> bytes:
    """The PNG bytes of :func:`render_snapshot`."""
    return render_snapshot(rows, view, provenance=provenance, size=size, browser=browser).png


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
  const legendBox = document.querySelector(".incident-legend");
  const l = legendBox ? legendBox.getBoundingClientRect() : null;
  return {
    controls: controls,
    labels: labels,
    legend: l ? [l.left, l.top, l.width, l.height] : null,
    legendHidden: legendBox ? legendBox.scrollHeight - legendBox.clientHeight : 0,
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
