"""The map of a large dataset: the data is fetched once by hash, a rerun sends only a mask.

:func:`build_scale_map` makes a small folium map (a few tens of KB whatever the dataset's
size) that names the dataset's payload (:mod:`dashboard.maps.payload`) and carries the
rows that pass the filters as a bitset. In the browser (``static/incident_scale.js``) the
payload is fetched once per page and dataset, supercluster (pinned from npm) indexes the
points, clusters are drawn as small icons and single incidents on one canvas, and a popup
is made from its row when it opens. Small datasets keep the rich map of
:func:`dashboard.maps.mapping.build_map` (precision rings, attribution outlines, flows).

Example::

    key = write_payload(incidents)
    m = build_scale_map(incidents, filtered, key=key, offline=True)
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path

import folium
import numpy as np
import pandas as pd
from folium.elements import JSCSSMixin
from folium.template import Template

from dashboard.base.files import write_atomic
from dashboard.data.schema import ATTRIBUTIONS, EVENT_TYPES, GEO_PRECISIONS
from dashboard.maps.assets import asset_url, assets_available, configure_folium_assets
from dashboard.maps.html_text import escape
from dashboard.maps.legend import Legend, LegendContent
from dashboard.maps.mapping import (
    ATTRIBUTION_LABELS,
    DEFAULT_LOCATION,
    DEFAULT_ZOOM,
    EVENT_COLOURS,
    POPUP_WIDTH,
    POSITRON_ATTRIBUTION,
    POSITRON_URL,
    PRECISION_LABELS,
    MapSummary,
    focus_zoom,
    marker_css,
    play_interval_ms,
)
from dashboard.maps.outline import outline_available, world_outline_json
from dashboard.maps.payload import CACHE_DIR, URL_PREFIX, encode_mask, payload_url
from dashboard.maps.plugins import RawMacroElement, YearPlayControl, script_json

RUNTIME_FILE = Path(__file__).resolve().parents[1] / "static" / "incident_scale.js"
#: Where the dashboard serves RUNTIME_FILE (Streamlit's static serving of ``static/``).
RUNTIME_URL = "/app/static/incident_scale.js"
#: The worker that builds the full cluster index off the page's thread (served likewise).
WORKER_URL = "/app/static/incident_scale_worker.js"
SUPERCLUSTER_FILE = "supercluster/supercluster.min.js"

#: More rows than this in the dataset: the page uses this map instead of ``build_map`` (from
#: here on that map already leaves out precision rings, summaries and popup sources).
SCALE_THRESHOLD = 5_000
CLUSTER_RADIUS = 60
CLUSTER_MAX_ZOOM = 16
#: A view served by the dashboard is drawn first from an index up to this zoom (0.3 s at
#: 250,000 points, against 0.6 s up to zoom 12 and 2 s or more to CLUSTER_MAX_ZOOM); the
#: full one is built in a worker meanwhile and answers the closer zooms.
QUICK_MAX_ZOOM = 8
POINT_RADIUS = 5

SCALE_CSS = """
.im-scale-cluster { border-radius: 50%; display: flex; align-items: center;
  justify-content: center; font: 600 12px/1 system-ui, sans-serif; color: #1a1a1a;
  box-shadow: 0 0 0 4px rgba(255,255,255,.55); }
.im-scale-small { background: rgba(181, 226, 140, .9); }
.im-scale-medium { background: rgba(241, 211, 87, .9); }
.im-scale-large { background: rgba(253, 156, 115, .9); }
"""


@lru_cache(maxsize=1)
def runtime_js() -> str:
    return RUNTIME_FILE.read_text(encoding="utf-8")


class ScaleIncidents(JSCSSMixin, RawMacroElement):
    """The large-dataset layer: payload URL, filter mask and drawing options."""

    _template = Template("""
        {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            {{ this.runtime }}
            var {{ this.get_name() }} = window.IncidentScale.create(
                {{ this._parent.get_name() }}, {{ this.options }});
        {% endmacro %}
    """)

    def __init__(self, options: dict, css: str, *, inline_runtime: bool = True):
        """``inline_runtime=False``: the drawing code is loaded from the dashboard
        (RUNTIME_URL) instead of travelling inside the map on every rerun."""
        super().__init__()
        self._name = "ScaleIncidents"
        if not inline_runtime and assets_available():
            options = dict(options, quickMaxZoom=QUICK_MAX_ZOOM, workerUrl=WORKER_URL,
                           superclusterUrl=asset_url(SUPERCLUSTER_FILE))
        self.options = script_json(options)
        self.css = css.replace("</", "<\\/")
        self.runtime = runtime_js() if inline_runtime else ""
        self.default_js = [("supercluster", asset_url(SUPERCLUSTER_FILE))]
        if not inline_runtime:
            self.default_js.append(("incident_scale", RUNTIME_URL))


class ScaleOutline(RawMacroElement):
    """The world outline, fetched from the dashboard (cached by the browser), not inlined."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            (function (map) {
                var pane = map.getPane("imOutline") || map.createPane("imOutline");
                pane.style.zIndex = 150;
                pane.style.pointerEvents = "none";
                fetch({{ this.url|tojson }}).then(function (r) { return r.json(); })
                    .then(function (geo) {
                        L.geoJSON(geo, { pane: "imOutline", interactive: false,
                            style: function () { return { color: "#9a9a9a", weight: 0.6,
                                fillColor: "#e8e8e3", fillOpacity: 1 }; } }).addTo(map);
                    });
            })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, url: str):
        super().__init__()
        self._name = "ScaleOutline"
        self.url = url


class FilterState(folium.FeatureGroup):
    """What a filter change sends to a map already drawn, handed to the ``filter`` function
    of the map's runtime (``window.<runtime>``).

    In the page it goes to ``st_folium(feature_group_to_add=...)``, which runs it in the map
    already drawn (the map itself, the same for every filter, is not sent again); a
    standalone page carries it as a child of the map.
    """

    #: The map's runtime (``window.<runtime>``), named by each kind of map.
    runtime: str
    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.layerGroup();
            window.{{ this.runtime }}.filter({{ this._parent.get_name() }}, {{ this.state }});
        {% endmacro %}
    """)

    def __init__(self, state: dict):
        super().__init__(name="Filter", control=False)
        self._name = "FeatureGroup"
        self.state = script_json(state)


class ScaleFilter(FilterState):
    """Which rows pass the filters, and the view to fit."""

    runtime = "IncidentScale"


def rows_passing(incidents: pd.DataFrame, filtered: pd.DataFrame):
    """Positions (in ``incidents``' order) of the rows of ``filtered``."""
    positions = incidents.index.get_indexer(filtered.index)
    return positions[positions >= 0]


def _bounds(incidents: pd.DataFrame, positions: np.ndarray) -> tuple[list | None, np.ndarray]:
    """The box around the rows at ``positions`` that have coordinates, and which have them."""
    lat = pd.to_numeric(incidents["lat"], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan)[positions]
    lon = pd.to_numeric(incidents["lon"], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan)[positions]
    has = ~(np.isnan(lat) | np.isnan(lon))
    if not has.any():
        return None, has
    return [[float(lat[has].min()), float(lon[has].min())],
            [float(lat[has].max()), float(lon[has].max())]], has


def build_scale_map(
    incidents: pd.DataFrame,
    filtered: pd.DataFrame | None,
    *,
    positions: np.ndarray | None = None,
    key: str,
    offline: bool,
    focus_id: str | None = None,
    height: int | None = None,
    outline_url: str | None = None,
    animate: bool = True,
    standalone: bool = False,
    inline_runtime: bool = True,
    legend: bool = True,
    url: str | None = None,
    texts: dict | None = None,
    cluster_max_zoom: int = CLUSTER_MAX_ZOOM,
) -> folium.Map:
    """A map of ``filtered`` (rows of the whole dataset ``incidents``, payload ``key``), or
    of the rows at ``positions`` (from :mod:`dashboard.data.query`) without a frame of them.

    The map depends only on the dataset, ``focus_id`` and the options; the filter is in
    ``m.scale_filter`` (:class:`ScaleFilter`), added to the map when ``standalone``.
    ``url`` replaces the payload's URL (e.g. a ``data:`` URL) and ``texts`` the popup texts'
    files (:func:`dashboard.maps.payload.text_chunks`), for a page that carries its data.
    ``cluster_max_zoom``: the last zoom level the index clusters (fewer levels, a faster
    index: a picture needs only the zoom it is taken at).
    """
    size = {} if height is None else {"height": f"{int(height)}px"}
    m = folium.Map(location=DEFAULT_LOCATION, zoom_start=DEFAULT_ZOOM, tiles=None,
                   control_scale=True, min_zoom=2, world_copy_jump=True, **size)
    if not offline:
        folium.TileLayer(POSITRON_URL, attr=POSITRON_ATTRIBUTION, name="Basemap",
                         subdomains="abcd", max_zoom=20, control=False).add_to(m)
    if outline_url:
        ScaleOutline(outline_url).add_to(m)
    if positions is None:
        positions = rows_passing(incidents, filtered)
    positions = np.asarray(positions, dtype=np.int64)
    bounds, has = _bounds(incidents, positions)
    focus = None
    precision = "city"
    if focus_id is not None:
        rows = np.flatnonzero((incidents["id"] == focus_id).to_numpy(dtype=bool,
                                                                     na_value=False))
        hits = rows[np.isin(rows, positions[has])]
        if len(hits):
            focus = int(hits[0])
            precision = str(incidents["geo_precision"].iloc[focus])
    types, attrs, precs = list(EVENT_TYPES), list(ATTRIBUTIONS), list(GEO_PRECISIONS)
    options = {
        "url": url or payload_url(key),
        "texts": texts,
        "textPrefix": f"{URL_PREFIX}{key}-t",
        "offline": bool(offline),
        "maxFitZoom": 7,
        "maxZoom": 18,
        "focus": focus,
        "focusZoom": focus_zoom(precision, offline=offline),
        "clusterRadius": CLUSTER_RADIUS,
        "clusterMaxZoom": int(cluster_max_zoom),
        "radius": POINT_RADIUS,
        "popupWidth": POPUP_WIDTH,
        "colours": [EVENT_COLOURS.get(t, EVENT_COLOURS["other"]) for t in types],
        "typeLabels": [escape(EVENT_TYPES[t]) for t in types],
        "attrs": attrs,
        "attrLabels": [escape(ATTRIBUTIONS[a]) for a in attrs],
        "precWords": [escape(PRECISION_LABELS[p].lower()) for p in precs],
    }
    ScaleIncidents(options, marker_css() + SCALE_CSS, inline_runtime=inline_runtime).add_to(m)
    # The legend and the year player describe the dataset, so the map stays the same
    # whatever the filters.
    present_types = set(incidents["event_type"].unique())
    present_attrs = set(incidents["attribution"].unique())
    content = LegendContent(
        types=[(t, EVENT_TYPES[t], EVENT_COLOURS[t]) for t in types if t in present_types],
        attributions=[(a, ATTRIBUTION_LABELS[a]) for a in attrs if a in present_attrs],
        clustered=True,
    )
    if legend and not content.is_empty():
        Legend(content, size_colour=EVENT_COLOURS["diplomatic_expulsion"]).add_to(m)
    m.incident_legend = content
    years = incidents["year"].dropna()
    if animate and len(years) and years.nunique() > 1:
        first, last = int(years.min()), int(years.max())
        YearPlayControl(first, last, interval_ms=play_interval_ms(last - first + 1)).add_to(m)
    configure_folium_assets(m, local=assets_available())
    m.scale_filter = ScaleFilter({
        "mask": encode_mask(positions, len(incidents)),
        "bounds": bounds,
    })
    if standalone:
        m.scale_filter.add_to(m)
    m.incident_summary = MapSummary(
        shown=int(has.sum()), missing_coords=int((~has).sum()), clustered=True, heatmap=False,
        flows=0, focus_found=None if focus_id is None else focus is not None,
    )
    return m


def build_document_scale_map(rows: pd.DataFrame, *, offline: bool,
                             focus_id: str | None = None, height: int | None = None,
                             popups: bool = True,
                             zoom: int | None = None, legend: bool = True) -> folium.Map:
    """A map of ``rows`` that carries its data inside (the HTML export and the PNG of a
    large view): the payload as a ``data:`` URL, the popup texts inline (``popups``; else
    only the focused incident's), clustering by the same supercluster code as the page.
    ``zoom``: the map is only seen at this zoom (a picture), so the index stops there."""
    from dashboard.maps.outline import world_outline_json
    from dashboard.maps.payload import TEXT_CHUNK, data_url, text_chunks

    rows = rows.reset_index(drop=True)
    chunks = None
    if not popups:
        hits = np.flatnonzero((rows["id"] == focus_id).to_numpy(dtype=bool, na_value=False))
        chunks = {int(hit) // TEXT_CHUNK for hit in hits}
    outline = None
    if outline_available():
        outline = ("data:application/json;base64,"
                   + base64.b64encode(world_outline_json().encode("utf-8")).decode("ascii"))
    return build_scale_map(rows, None, positions=np.arange(len(rows)), key="inline",
                           offline=offline, focus_id=focus_id, height=height,
                           outline_url=outline, animate=False, standalone=True,
                           url=data_url(rows), texts=text_chunks(rows, chunks), legend=legend,
                           cluster_max_zoom=CLUSTER_MAX_ZOOM if zoom is None
                           else max(0, min(CLUSTER_MAX_ZOOM, int(zoom))))


def write_outline(cache_dir: Path | None = None) -> str | None:
    """Write the world outline beside the payloads (once); its URL, or None without it."""
    if not outline_available():
        return None
    text = world_outline_json()
    name = f"outline-{hashlib.sha256(text.encode()).hexdigest()[:16]}.json"
    path = (cache_dir or CACHE_DIR) / name
    if not path.is_file():
        write_atomic(path, text, parents=True)
    return URL_PREFIX + name
