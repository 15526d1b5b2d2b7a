"""What every view shares: the dataset, the page's state and URL, the map, links."""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.base.settings import edit_enabled
from dashboard.data.filters import (
    Filters,
    parse_query_params,
    shown,
)
from dashboard.data.loading import prepare
from dashboard.data.mapview import MapAt, parse_at, parse_frame, parse_layers
from dashboard.data.query import CachedQuery, QueryError, engine_requested, open_query
from dashboard.data.schema import DatasetError, InvalidDataset
from dashboard.data.stores import Store, StoreError, open_store, store_location
from dashboard.maps.assets import assets_available, missing_assets_message
from dashboard.maps.mapping import build_map, map_frame
from dashboard.maps.payload import prune_cache, write_payload
from dashboard.maps.scale_map import SCALE_THRESHOLD, build_scale_map, write_outline
from dashboard.page import state as page_state

MAP_HEIGHT = 560
BRIEFING_MAP_HEIGHT = 640
MAX_PROBLEMS_SHOWN = 200

# Session-state keys: filter widgets ("f_*") and the page's own state ("im_*").
WIDGET_KEYS = ("years", "months", "countries", "types", "attributions", "query")


@st.cache_resource(show_spinner=False)
def _store(location: str) -> Store:
    """The process's store, opened once (its connections and watcher shared by sessions)."""
    return open_store(location)


def page_store() -> Store:
    """Where the dataset lives: ``serve --store`` (``INCIDENT_MAP_STORE``), else the dataset
    file (``INCIDENT_MAP_DATA``, default ``data/incidents.csv``); a clear error otherwise."""
    try:
        return _store(store_location())
    except StoreError as error:
        st.error(f"**The store cannot be opened.** {error}")
        st.stop()


def store_path(store: Store) -> Path:
    """The dataset file of a file store; else the store's name, for captions and exports."""
    return getattr(store, "path", None) or Path(store.label)


@st.cache_resource(show_spinner=False, max_entries=4)
def _load(location: str, version: str, _store: Store) -> pd.DataFrame:
    """The dataset in ``_store``; ``version`` (a file's modification time, a database's
    generation) is part of the cache key, so a save, here or in another process, is picked
    up by the next rerun.

    One frame shared by every session and rerun, never copied (a copy of 250,000 rows cost
    seconds per rerun and its size again in memory): the page only reads it.
    """
    frame = prepare(_store.read_frame(), name=str(store_path(_store)))
    frame.attrs["version"] = f"{location}#{version}"
    return frame


@st.cache_resource(show_spinner=False, max_entries=4)
def _query(path: str, mtime_ns: int, rows: int, identity: int | str, engine: str,
           _incidents: pd.DataFrame) -> CachedQuery:
    """The query engine over the loaded dataset, shared by every session and rerun, with
    the answers for its last filters (``identity``, an upload's version or else the frame's
    ``id``, tells an upload from the file)."""
    return CachedQuery(open_query(_incidents, engine=engine))


def dataset_query(incidents: pd.DataFrame, data_path: Path) -> CachedQuery:
    """The engine (``serve --engine``, default pandas) that filters and counts ``incidents``."""
    try:
        engine = engine_requested()
        mtime_ns = data_path.stat().st_mtime_ns if data_path.exists() else -1
        identity = incidents.attrs.get("version") or id(incidents)
        return _query(str(data_path), mtime_ns, len(incidents), identity, engine, incidents)
    except QueryError as error:
        st.error(f"**The query engine cannot run.** {error}")
        st.stop()


def load_dataset(store: Store) -> pd.DataFrame:
    """The dataset, or a clear error on the page (and the script stops)."""
    path = store_path(store)
    try:
        return _load(store_location(), store.version(), store)
    except InvalidDataset as error:
        st.error(
            f"**The dataset `{path}` has {len(error.problems)} problem(s)** and cannot be shown. "
            f"Fix them (or run `incident-map validate {path}`) and reload the page."
        )
        lines = [str(problem) for problem in error.problems[:MAX_PROBLEMS_SHOWN]]
        if len(error.problems) > MAX_PROBLEMS_SHOWN:
            lines.append(f"... and {len(error.problems) - MAX_PROBLEMS_SHOWN} more")
        st.code("\n".join(lines), language=None)
    except (DatasetError, StoreError) as error:
        st.error(f"**The dataset cannot be opened.** {error}")
    st.stop()


def init_state(incidents: pd.DataFrame | None, span: tuple[int, int], *,
               known_incident=None) -> None:
    """On a session's first run, set the widgets from the URL (the URL is the truth).
    ``known_incident(id) -> bool`` stands in for ``incidents`` when the rows are in an
    engine, not in the page."""
    if st.session_state.get("im_initialised"):
        return
    # get_all keeps repeated keys: ?country=DE&country=ES means DE and ES.
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    filters, notices = parse_query_params(params)
    _, years_notice = page_state.fit_years(filters.years, span)
    if years_notice:
        notices.append(years_notice)
    _, months_notice = page_state.fit_months(filters.months, span)
    if months_notice:
        notices.append(months_notice)
    values = page_state.widget_values(filters, span=span)
    for name, value in values.items():
        st.session_state[f"f_{name}"] = value
    view = st.query_params.get("view")
    if view == "edit" and not edit_enabled():
        notices.append("Ignored view=edit: editing is off on this server.")
    elif view and view not in ("briefing", "edit"):
        notices.append(f"Ignored view={shown(view)}: the only other view is view=briefing.")
    incident = st.query_params.get("incident") or None
    known = known_incident or (lambda value: value in set(incidents["id"]))
    if incident and not known(incident):
        notices.append(
            f"Ignored incident={shown(incident)}: there is no incident with this id.")
        incident = None
    st.session_state["im_incident"] = incident
    st.session_state["im_notices"] = notices
    st.session_state["im_initial_values"] = dict(values)
    st.session_state["im_initialised"] = True


def widget_state() -> dict[str, object]:
    """The filter widgets' current values, by name."""
    return {name: st.session_state.get(f"f_{name}") for name in WIDGET_KEYS}


def current_filters(span: tuple[int, int]) -> Filters:
    return page_state.filters_from_widgets(widget_state(), span=span)


def sync_url(params: dict[str, str]) -> None:
    """Write the view into the URL when it changed (no rerun is triggered)."""
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


def show_notices(filters_changed: bool) -> None:
    """Warnings about ignored URL parameters, until the user changes a filter."""
    if filters_changed:
        st.session_state["im_notices"] = []
    notices = st.session_state.get("im_notices", [])
    if len(notices) == 1:
        st.warning(page_state.plain(notices[0]), icon=":material/link_off:")
    elif notices:
        # One box, so a link with several bad values does not push the map off the screen.
        items = "\n".join(f"- {page_state.plain(notice)}" for notice in notices)
        st.warning(f"Some settings in the link were ignored:\n\n{items}",
                   icon=":material/link_off:")


@st.cache_resource(show_spinner="Preparing the dataset for the map…", max_entries=4)
def _payload_key(path: str, version: int | str,
                 _incidents: pd.DataFrame) -> tuple[str, str | None]:
    """Write the dataset's browser payload once per dataset version (a file's modification
    time, or an uploaded dataset's ``attrs["version"]``); its key and the outline.
    Payloads of other dataset versions are pruned (bounded size and age)."""
    key = write_payload(_incidents)
    prune_cache(keep={key})
    return key, write_outline()


def page_map(filtered: pd.DataFrame, *, offline: bool, focus_id: str | None, height: int,
             at: tuple[float, float, int] | None = None, **map_options):
    """The page's map of ``filtered`` (up to SCALE_THRESHOLD rows): its camera is
    :func:`dashboard.maps.framing.frame_view` of the same values an export is given.

    The dashboard serves the plugins' files itself, so they can wait until a layer needs
    them: the map draws sooner. The incidents go separately from the map (``in_place``):
    streamlit-folium replaces them in the map already on screen, so a filter change, a table
    choice or a briefing's next step never reloads it."""
    return build_map(filtered, offline=offline, focus_id=focus_id, height=height,
                     basemap_detail=True, lazy_plugins=True, in_place=True, at=at,
                     **map_options)


def page_frame(filtered: pd.DataFrame, *, offline: bool, focus_id: str | None,
               at: tuple[float, float, int] | None = None) -> dict[str, object]:
    """The camera :func:`page_map` gives the same values, as the browser reads it, without
    building the map."""
    return map_frame(filtered, offline=offline, focus_id=focus_id, at=at,
                     basemap_detail=True).options()


def show_map(filtered, *, offline: bool, focus_id: str | None, height: int,
             key: str, center: tuple[float, float] | None = None, zoom: int | None = None,
             dataset: pd.DataFrame | None = None, data_path: Path | None = None,
             positions=None, **map_options) -> None:
    """The map of ``filtered`` (a frame, or a function that makes it);
    ``map_options`` go to :func:`dashboard.maps.mapping.build_map`; ``center`` and ``zoom``
    (both or neither) put the map at that extent.

    A large ``dataset`` (the whole file at ``data_path``, more than SCALE_THRESHOLD rows) is
    sent to the browser once and each rerun sends only which rows pass, ``positions`` in
    the dataset (:mod:`dashboard.maps.scale_map`): no frame of the rows is made.
    """
    if not assets_available():
        st.warning(missing_assets_message())
    if dataset is not None and not shows_in_place(dataset, data_path):
        version = dataset.attrs.get("version")
        if version is None:
            try:
                version = data_path.stat().st_mtime_ns
            except OSError:
                version = -1
        payload, outline_url = _payload_key(str(data_path), version, dataset)
        if positions is None:
            filtered = filtered() if callable(filtered) else filtered
        folium_map = build_scale_map(dataset, None if positions is not None else filtered,
                                     positions=positions, key=payload, offline=offline,
                                     focus_id=focus_id, height=height, outline_url=outline_url,
                                     inline_runtime=False)
        # The map is the same for every filter, so its frame stays and keeps the data;
        # only the filter (a bitset of the rows that pass) goes with each rerun.
        st_folium(folium_map, key=key, height=height, use_container_width=True,
                  returned_objects=[], feature_group_to_add=folium_map.scale_filter)
    else:
        filtered = filtered() if callable(filtered) else filtered
        at = None if center is None or zoom is None else (center[0], center[1], int(zoom))
        folium_map = page_map(filtered, offline=offline, focus_id=focus_id, height=height,
                              at=at, **map_options)
        st_folium(folium_map, key=key, height=height, use_container_width=True,
                  returned_objects=[], feature_group_to_add=[folium_map.incident_update])
    missing = folium_map.incident_summary.missing_coords
    if missing == 1:
        st.caption("1 incident has no coordinates and is not on the map.")
    elif missing:
        st.caption(f"{missing} incidents have no coordinates and are not on the map.")


STATIC = Path(__file__).resolve().parents[2] / "static"


FRAME_SCRIPT_CSS = """<style>
/* The script frames have nothing to show: they take no room on the page. */
[class*="st-key-im-script-"] { display: none !important; }
</style>"""


def shows_in_place(dataset: pd.DataFrame, data_path: Path | None) -> bool:
    """Whether :func:`show_map` draws ``dataset``'s rows with :func:`page_map` (the map the
    page updates in place), not as the large dataset's map (:mod:`dashboard.maps.scale_map`)."""
    return not (data_path is not None and len(dataset) > SCALE_THRESHOLD)


def frame_script(name: str) -> None:
    """Run ``static/NAME`` in a same-origin frame (``st.iframe`` of an HTML string): it acts
    on the page around it. The frame is a document of its own, with a title and a language."""
    # The comment names the frame as ours (the hostile-input tests tell it from an injected one).
    script = (STATIC / name).read_text(encoding="utf-8")
    label = Path(name).stem.replace("_", "-")
    with st.container(key=f"im-script-{label}"):
        st.html(FRAME_SCRIPT_CSS)
        st.iframe(f'<!doctype html><html lang="en"><head><title>Incident Map: {label}</title>'
                  f"</head><body><script>/* incident-map-frame-script */{script}</script>"
                  "</body></html>", height=1, alt=f"Incident Map {label} script")


def map_view_params(filters: Filters) -> tuple[dict[str, str], MapAt | None, tuple | None,
                                               tuple | None]:
    """The map's own part of the view from the URL (``at=``, ``layers=``), checked.

    Returns the parameters to keep in the URL, the extent, the layers for exports and the
    layers to build the map with. A new set of filters drops ``at`` (the map fits the new
    incidents). The map is built with the layers it had when it was last drawn afresh (the
    session's first run or a filter change): the browser already shows the user's choices,
    and an unchanged map is not drawn again, so the layer menu stays open while it is used."""
    keep: dict[str, str] = {}
    at = layers = None
    same_filters = st.session_state.get("im_map_filters") in (None, filters)
    raw_at = st.query_params.get("at")
    if raw_at and same_filters:
        at = parse_at(raw_at)
        if at is not None:
            keep["at"] = raw_at
            raw_frame = st.query_params.get("frame")
            if raw_frame and parse_frame(raw_frame) is not None:
                keep["frame"] = raw_frame
    raw_layers = st.query_params.get("layers")
    if raw_layers is not None:
        layers = parse_layers(raw_layers)
        if layers is not None:
            keep["layers"] = raw_layers
    if "im_map_filters" not in st.session_state or not same_filters:
        st.session_state["im_map_layers"] = layers
    st.session_state["im_map_filters"] = filters
    return keep, at, layers, st.session_state.get("im_map_layers")


def map_view_now(at: tuple[float, float, int] | None,
                 layers: tuple[str, ...] | None):
    """The map's extent, layers and on-screen size (``frame=``, with ``at=``) as the URL has
    them now (a fragment's rerun sees the map's latest moves), else the values given."""
    raw_at = st.query_params.get("at")
    parsed = parse_at(raw_at) if raw_at else None
    frame = None
    if parsed is not None:
        at = (parsed.lat, parsed.lon, parsed.zoom)
        raw_frame = st.query_params.get("frame")
        frame = parse_frame(raw_frame) if raw_frame else None
    raw_layers = st.query_params.get("layers")
    if raw_layers is not None and parse_layers(raw_layers) is not None:
        layers = parse_layers(raw_layers)
    return at, layers, frame


def link_html(label: str, params: dict[str, str]) -> str:
    """An in-page link to another view (same tab); parameters are URL-encoded."""
    href = "?" + urlencode(params) if params else "?"
    return f'<a href="{html.escape(href, quote=True)}" target="_self">{html.escape(label)}</a>'
