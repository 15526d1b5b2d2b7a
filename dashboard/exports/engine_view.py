"""PNG, HTML and decks of a view served by the query engine: what the engine map shows.

A source in a query engine (:mod:`dashboard.data.engine`) has too many rows to put into a
page, so its pictures show the engine's own answer for the view: the grid cells of the
view's zoom (cluster symbols with their counts) or, when the view holds at most
:data:`~dashboard.data.engine.query.POINT_LIMIT` incidents, the incidents themselves. The
view is the filters' extent fitted to the picture's map (as the page's map fits it, at
most zoom 7), or ``View.at``. The answer travels inside the page
(``static/incident_engine.js`` draws it without asking a server), with the world outline
inline offline, so the HTML file opens from disk and the PNG is that page in headless
Chromium. A deck is a title slide and one slide of the same picture with the view's
numbers (the busiest countries and types, the years).
"""

from __future__ import annotations

import base64
import html
import json
import math
from dataclasses import dataclass, replace

import pandas as pd

from dashboard.data.countries import country_name
from dashboard.data.engine.grid import MAX_LAT, Bounds
from dashboard.data.engine.query import MapView
from dashboard.data.filters import Filters, describe
from dashboard.data.schema import ATTRIBUTIONS, EVENT_TYPES
from dashboard.exports.sizes import ExportError, PngSize, context_options
from dashboard.exports.view import View

#: The map's fitted zoom at most (the page's engine map fits at most to 7 as well).
MAX_FIT_ZOOM = 7
MIN_ZOOM = 2
#: Room the header and footer take from a picture's height, in CSS pixels.
CHROME_PX = 170
#: The HTML file's table lists at most this many incidents (in date order).
TABLE_ROWS = 1_000


@dataclass(frozen=True)
class EngineView:
    """What a picture shows: the engine's answer, where the map stands, the totals."""

    answer: MapView
    at: tuple[float, float, int]
    bounds: Bounds
    totals: dict[str, int]
    as_of: str | None
    source: str


def _mercator_y(lat: float) -> float:
    rad = math.radians(max(-MAX_LAT, min(MAX_LAT, lat)))
    return (1.0 - math.log(math.tan(rad) + 1.0 / math.cos(rad)) / math.pi) / 2.0


def _latitude(y: float) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1.0 - 2.0 * y))))


def fit(extent: tuple[float, float, float, float] | None, width: int, height: int
        ) -> tuple[float, float, int]:
    """Centre and zoom that fit ``extent`` (south, west, north, east) in a map of
    ``width`` x ``height`` CSS pixels, as Leaflet's ``fitBounds`` does (whole zooms, at most
    MAX_FIT_ZOOM). No extent: the world.

    >>> lat, lon, zoom = fit((40.0, -10.0, 60.0, 30.0), 1200, 700)
    >>> round(lat, 2), lon, zoom
    (51.07, 10.0, 4)
    """
    if extent is None:
        return 30.0, 10.0, MIN_ZOOM
    south, west, north, east = extent
    x0, x1 = (west + 180.0) / 360.0, (east + 180.0) / 360.0
    y0, y1 = _mercator_y(north), _mercator_y(south)
    dx, dy = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    zoom = math.floor(math.log2(min(width / (256.0 * dx), height / (256.0 * dy))))
    zoom = max(MIN_ZOOM, min(MAX_FIT_ZOOM, zoom))
    return _latitude((y0 + y1) / 2.0), (west + east) / 2.0, zoom


def view_bounds(lat: float, lon: float, zoom: int, width: int, height: int) -> Bounds:
    """The box a map of ``width`` x ``height`` CSS pixels centred on ``lat, lon`` shows."""
    world = 256.0 * 2 ** zoom
    half_lon = width / 2.0 / world * 360.0
    y = _mercator_y(lat) * world
    north = _latitude(max(0.0, (y - height / 2.0) / world))
    south = _latitude(min(1.0, (y + height / 2.0) / world))
    if 2 * half_lon >= 360.0:
        return Bounds(south, -180.0, north, 180.0)
    return Bounds(south, lon - half_lon, north, lon + half_lon)


def engine_view(query, filters: Filters, view: View, *, width: int, height: int,
                source: str) -> EngineView:
    """The engine's answer for the picture of ``view`` in a map of about ``width`` x
    ``height`` CSS pixels."""
    totals = query.totals(filters)
    if view.at is not None:
        at = (float(view.at[0]), float(view.at[1]), int(view.at[2]))
    else:
        at = fit(query.extent(filters), width, height)
    bounds = view_bounds(at[0], at[1], at[2], width, height)
    answer = query.map_view(filters, bounds, at[2])
    return EngineView(answer=answer, at=at, bounds=bounds, totals=totals,
                      as_of=query.latest_checked(), source=source)


def _caption(filters: Filters, shown: EngineView) -> str:
    count = shown.totals["incidents"]
    text = f"{describe(filters)} · {count:,} incident{'' if count == 1 else 's'}"
    if shown.answer.kind == "cells":
        text += (f" · {shown.answer.total:,} in the frame, counted in "
                 f"{len(shown.answer.rows):,} grid cells")
    elif shown.answer.total < count:
        text += f" · {shown.answer.total:,} in the frame"
    return text


def _footer(shown: EngineView, *, offline: bool) -> str:
    from dashboard.exports.view import BASEMAP_CREDIT

    parts = [f"data as of {shown.as_of}"] if shown.as_of else []
    parts.append(f"Sources: {shown.source} (cited per incident) ; {BASEMAP_CREDIT[offline]}")
    return " · ".join(parts)


def _map(filters: Filters, shown: EngineView, view: View, *, height: int | None):
    from dashboard.maps.engine_map import build_engine_map
    from dashboard.maps.outline import outline_available, world_outline_json

    outline = None
    if view.offline and outline_available():
        outline = ("data:application/json;base64,"
                   + base64.b64encode(world_outline_json().encode("utf-8")).decode("ascii"))
    return build_engine_map({}, extent=None, offline=view.offline, height=height,
                            outline_url=outline, at=shown.at, standalone=True,
                            inline=shown.answer.to_json())


def page_html(query, filters: Filters, view: View, *, size: PngSize, source: str,
              document: bool) -> tuple[str, str, EngineView]:
    """The page of the picture (``document=False``: the PNG's, sized to ``size``) or of
    the HTML file (``document=True``: with a table of the first TABLE_ROWS incidents); its
    HTML, the map's JS name and what it shows."""
    from dashboard.exports.snapshot import (
        _DOCUMENT_CSS,
        _PAGE_CSS,
        _READY_JS,
        _SNAPSHOT_CSS,
        _self_contained,
        table_html,
    )
    from dashboard.maps.plugins import RawElement

    if document and not view.offline and not view.web_tiles:
        view = replace(view, offline=True)
    shown = engine_view(query, filters, view, width=size.width,
                        height=max(200, size.height - CHROME_PX), source=source)
    fmap = _map(filters, shown, view, height=None)
    root = fmap.get_root()
    title = html.escape(view.title)
    root.title = title
    root.header.add_child(RawElement(
        f"<style>{_PAGE_CSS}{_DOCUMENT_CSS if document else _SNAPSHOT_CSS}</style>"),
        name="export_style")
    if view.header:
        root.html.add_child(RawElement(
            f'<header class="export-header"><h1>{title}</h1>'
            + (f'<p class="export-subtitle">{html.escape(view.subtitle)}</p>'
               if view.subtitle else "")
            + f'<p class="export-caption">{html.escape(_caption(filters, shown))}</p>'
            "</header>"), name="export_header")
    root.html.add_child(RawElement(
        f'<footer class="export-footer"><span>{html.escape(_footer(shown, offline=view.offline))}'
        "</span></footer>"), name="export_footer")
    if document:
        from dashboard.data.engine.query import TABLE_COLUMNS

        rows = query.rows(filters, limit=TABLE_ROWS,
                          columns=(*TABLE_COLUMNS, "summary", "sources"))
        if len(rows):
            rows = rows.assign(has_coords=rows["lat"].notna() & rows["lon"].notna())
            note = ("" if len(rows) >= shown.totals["incidents"] else
                    f'<p class="export-table-note">The first {len(rows):,} of '
                    f"{shown.totals['incidents']:,} incidents in date order; the CSV export "
                    "lists every one.</p>")
            root.html.add_child(RawElement(
                f'<section class="export-table-wrap">{note}{table_html(rows)}</section>'),
                name="export_table")
    root.script.add_child(RawElement(_READY_JS % {"map_name": json.dumps(fmap.get_name())}),
                          name="export_ready")
    return _self_contained(fmap), fmap.get_name(), shown


def render_png(query, filters: Filters, view: View, *, size: PngSize, source: str,
               browser=None, allow_empty: bool = True) -> tuple[bytes, EngineView]:
    """The PNG of the view (headless Chromium), and what it shows. A view that shows no
    incident is refused unless ``allow_empty``."""
    from playwright.sync_api import Error as PlaywrightError

    from dashboard.exports.browser import find_chromium, launch_chromium
    from dashboard.exports.snapshot import READY_TIMEOUT_S, _capture

    find_chromium()
    page, map_name, shown = page_html(query, filters, view, size=size, source=source,
                                      document=False)
    if not allow_empty and shown.answer.total == 0:
        raise ExportError(f"the view shows no incident ({describe(filters)}); export it "
                          "anyway with --allow-empty")
    try:
        if browser is not None:
            _, png = _capture(browser.new_context(**context_options(size)), page, map_name,
                              view=view, timeout_s=READY_TIMEOUT_S)
        else:
            with launch_chromium() as chromium:
                _, png = _capture(chromium.new_context(**context_options(size)), page,
                                  map_name, view=view, timeout_s=READY_TIMEOUT_S)
    except PlaywrightError as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else "unknown error"
        raise ExportError(f"headless Chromium failed: {message}") from None
    return png, shown


def _busiest(counts: pd.Series, name, limit: int = 3) -> str:
    counts = counts[counts > 0].sort_values(ascending=False, kind="stable").head(limit)
    return ", ".join(f"{name(key)} {int(n):,}" for key, n in counts.items())


def deck_bytes(query, filters: Filters, view: View, *, fmt: str, source: str,
               title_slide: bool = True, browser=None) -> bytes:
    """A PPTX or PDF deck of the view: a title slide (title, subtitle, what is shown, the
    totals) and one slide of the map with the view's numbers."""
    from dashboard.exports.deck import (
        SLIDE_MAP_SIZE,
        Deck,
        Slide,
        TitleSlide,
        pdf_bytes,
        pptx_bytes,
    )

    png, shown = render_png(query, filters, replace(view, header=False),
                            size=SLIDE_MAP_SIZE, source=source, browser=browser)
    totals = shown.totals
    yearly = query.yearly_counts(filters)
    years = (f"{int(yearly['year'].min())}–{int(yearly['year'].max())}" if len(yearly)
             else "undated")
    place = _busiest(query.breakdown(filters, "country"), country_name)
    attribution = _busiest(query.breakdown(filters, "attribution"),
                           lambda key: ATTRIBUTIONS.get(key, key), 4)
    types = _busiest(query.breakdown(filters, "event_type"),
                     lambda key: EVENT_TYPES.get(key, key))
    kind = (f"{len(shown.answer.rows):,} grid cells" if shown.answer.kind == "cells"
            else f"{shown.answer.total:,} incidents one by one")
    alt = (f"Map of {totals['incidents']:,} incidents ({describe(filters)}), drawn as {kind}; "
           f"busiest countries: {place or 'none'}.")
    slide = Slide(
        heading=view.title, caption=f"{_caption(filters, shown)}. Types: {types}.",
        date=years, place=place, attribution=attribution, sources=(source,),
        footer=_footer(shown, offline=view.offline), image=png, alt=alt)
    facts = (describe(filters), f"{totals['incidents']:,} incidents, {years}",
             f"{totals['countries']:,} countries; killed {totals['fatalities']:,}; "
             f"expelled {totals['expelled']:,}")
    opening = TitleSlide(title=view.title, subtitle=view.subtitle, facts=facts, image=png,
                         alt=alt)
    content = Deck(title=opening, slides=[slide], opening=title_slide)
    if fmt == "pptx":
        return pptx_bytes(content)
    if fmt == "pdf":
        return pdf_bytes(content)
    raise ExportError(f"a deck is pptx or pdf, not {fmt}")
