"""What every view shares: the dataset, the page's state and URL, the map, links."""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.data.filters import (
    Filters,
    parse_query_params,
)
from dashboard.data.loading import load_incidents
from dashboard.data.schema import DatasetError, InvalidDataset
from dashboard.maps.assets import assets_available, missing_assets_message
from dashboard.maps.mapping import build_map
from dashboard.page import state as page_state

MAP_HEIGHT = 560
BRIEFING_MAP_HEIGHT = 640
MAX_PROBLEMS_SHOWN = 200

# Session-state keys: filter widgets ("f_*") and the page's own state ("im_*").
WIDGET_KEYS = ("years", "countries", "types", "attributions", "query")


@st.cache_data(show_spinner=False, max_entries=8)
def _load(path: str, mtime_ns: int) -> pd.DataFrame:
    """The dataset at ``path``; ``mtime_ns`` is part of the cache key so edits are picked up."""
    return load_incidents(path)


def load_dataset(path: Path) -> pd.DataFrame:
    """The dataset, or a clear error on the page (and the script stops)."""
    try:
        mtime_ns = path.stat().st_mtime_ns
    except OSError:
        mtime_ns = -1
    try:
        return _load(str(path), mtime_ns)
    except InvalidDataset as error:
        st.error(
            f"**The dataset `{path}` has {len(error.problems)} problem(s)** and cannot be shown. "
            f"Fix them (or run `incident-map validate {path}`) and reload the page."
        )
        lines = [str(problem) for problem in error.problems[:MAX_PROBLEMS_SHOWN]]
        if len(error.problems) > MAX_PROBLEMS_SHOWN:
            lines.append(f"... and {len(error.problems) - MAX_PROBLEMS_SHOWN} more")
        st.code("\n".join(lines), language=None)
    except DatasetError as error:
        st.error(f"**The dataset cannot be opened.** {error}")
    st.stop()


def init_state(incidents: pd.DataFrame, span: tuple[int, int]) -> None:
    """On a session's first run, set the widgets from the URL (the URL is the truth)."""
    if st.session_state.get("im_initialised"):
        return
    # get_all keeps repeated keys: ?country=DE&country=ES means DE and ES.
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    filters, notices = parse_query_params(params)
    _, years_notice = page_state.fit_years(filters.years, span)
    if years_notice:
        notices.append(years_notice)
    values = page_state.widget_values(filters, span=span)
    for name, value in values.items():
        st.session_state[f"f_{name}"] = value
    view = st.query_params.get("view")
    if view and view != "briefing":
        notices.append(f"Ignored view={view}: the only other view is view=briefing.")
    incident = st.query_params.get("incident") or None
    if incident and incident not in set(incidents["id"]):
        notices.append(f"Ignored incident={incident}: there is no incident with this id.")
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


def show_map(filtered: pd.DataFrame, *, offline: bool, focus_id: str | None, height: int,
             key: str, **map_options) -> None:
    """The map of ``filtered``; ``map_options`` go to :func:`dashboard.maps.mapping.build_map`."""
    if not assets_available():
        st.warning(missing_assets_message())
    # The dashboard serves the plugins' files itself, so they can wait until a layer
    # needs them: the map draws sooner.
    folium_map = build_map(filtered, offline=offline, focus_id=focus_id, height=height,
                           basemap_detail=True,
                           lazy_plugins=True, **map_options)
    st_folium(folium_map, key=key, height=height, use_container_width=True, returned_objects=[])
    missing = folium_map.incident_summary.missing_coords
    if missing == 1:
        st.caption("1 incident has no coordinates and is not on the map.")
    elif missing:
        st.caption(f"{missing} incidents have no coordinates and are not on the map.")


def link_html(label: str, params: dict[str, str]) -> str:
    """An in-page link to another view (same tab); parameters are URL-encoded."""
    href = "?" + urlencode(params) if params else "?"
    return f'<a href="{html.escape(href, quote=True)}" target="_self">{html.escape(label)}</a>'
