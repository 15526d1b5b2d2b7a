"""The Incident Map page (Streamlit): layout and widgets only.

Data, filtering, the map, the timeline and briefing steps are plain functions in
``dashboard/``; this script reads the URL, lays out widgets and calls them.
Run it with ``incident-map serve`` (or ``make run``).
"""

from __future__ import annotations

import functools
import html
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import page_state
from dashboard.assets import assets_available, missing_assets_message
from dashboard.briefing import briefing_steps, card_html, neighbour, step_index, step_label
from dashboard.browser import BrowserNotFound
from dashboard.export import (
    SIZE_PRESETS,
    ExportError,
    PngSize,
    Provenance,
    View,
    default_file_name,
    export_bytes,
    media_type,
)
from dashboard.filters import (
    MAX_QUERY_LENGTH,
    Filters,
    apply_filters,
    describe,
    parse_query_params,
    year_span,
)
from dashboard.loading import default_data_path, load_incidents
from dashboard.mapping import build_map
from dashboard.schema import ATTRIBUTIONS, EVENT_TYPES, DatasetError, InvalidDataset
from dashboard.settings import offline_requested
from dashboard.timeline import build_timeline

MAP_HEIGHT = 560
BRIEFING_MAP_HEIGHT = 640
MAX_PROBLEMS_SHOWN = 200
#: The table shows at most this many rows (all of them go to the map and the exports).
TABLE_ROWS = 5_000
#: Views with more rows than this make their CSV/GeoJSON only when a button is pressed.
EAGER_EXPORT_ROWS = 5_000

# Session-state keys: filter widgets ("f_*") and the page's own state ("im_*").
WIDGET_KEYS = ("years", "countries", "types", "attributions", "query")

BRIEFING_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapseButton"] {
  display: none !important;
}
[data-testid="stMainBlockContainer"] { padding-top: 1.5rem; padding-bottom: 1rem; }
[data-testid="stHeader"] { display: none; }
.im-card { font-size: 1.3rem; line-height: 1.5; }
.im-card .im-card-title { font-size: 2.1rem; line-height: 1.2; margin-bottom: 0.4rem; }
.im-card .im-card-meta { font-size: 1.15rem; color: #444; }
.im-card ul { padding-left: 1.2rem; }
.im-card li { font-size: 1.05rem; overflow-wrap: anywhere; }
.im-step { font-size: 1.35rem; font-weight: 600; text-align: center; margin: 0; }
.im-back { font-size: 1.1rem; text-align: right; }
.stButton button p { font-size: 1.15rem; }
</style>
"""

ANALYST_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
.im-card { font-size: 1rem; line-height: 1.45; }
.im-card .im-card-title { font-size: 1.35rem; }
.im-card li { overflow-wrap: anywhere; }
</style>
"""


# ---------------------------------------------------------------- data


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


# ---------------------------------------------------------------- state


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


def _reset_filters(span: tuple[int, int]) -> None:
    for name, value in page_state.widget_values(Filters(), span=span).items():
        st.session_state[f"f_{name}"] = value
    st.session_state["im_incident"] = None


def _toggle_assessments() -> None:
    types = st.session_state.get("f_types") or []
    st.session_state["f_types"] = page_state.set_assessments(types, st.session_state["f_assess"])


def _select_row(table_key: str, ids: list[str]) -> None:
    st.session_state["im_incident"] = page_state.incident_from_selection(
        st.session_state.get(table_key), ids
    )


def _step(steps: list[str], current: str | None, offset: int) -> None:
    st.session_state["im_incident"] = neighbour(steps, current, offset)


# ---------------------------------------------------------------- widgets


def sidebar_filters(incidents: pd.DataFrame, span: tuple[int, int]) -> None:
    with st.sidebar:
        st.header("Filters")
        if span[0] < span[1]:
            st.slider("Years", min_value=span[0], max_value=span[1], step=1, key="f_years")
        else:
            st.caption(f"All incidents are from {span[0]}.")
        options = page_state.country_options(
            incidents["country"].unique(), st.session_state.get("f_countries") or ()
        )
        st.multiselect(
            "Countries", options, key="f_countries", format_func=page_state.country_label,
            placeholder="All countries",
        )
        st.multiselect(
            "Event types", list(EVENT_TYPES), key="f_types", format_func=EVENT_TYPES.get,
            placeholder="All event types",
        )
        st.session_state["f_assess"] = page_state.assessments_shown(
            st.session_state.get("f_types") or []
        )
        st.toggle(
            "Show assessments", key="f_assess", on_change=_toggle_assessments,
            help="Assessments are analysts' judgements rather than single events.",
        )
        st.multiselect(
            "Attribution", list(ATTRIBUTIONS), key="f_attributions",
            format_func=lambda value: value.capitalize(), placeholder="Any attribution",
            help="; ".join(f"{key}: {label}" for key, label in ATTRIBUTIONS.items()),
        )
        st.text_input(
            "Search", key="f_query", placeholder="Title, summary, place or people",
            max_chars=MAX_QUERY_LENGTH,
        )
        st.button("Reset filters", key="reset", on_click=_reset_filters, args=(span,),
                  width="stretch")


def headline_metrics(filtered: pd.DataFrame) -> None:
    numbers = {key: f"{value:,}" for key, value in page_state.headline_numbers(filtered).items()}
    columns = st.columns(4)
    columns[0].metric("Incidents", numbers["incidents"])
    columns[1].metric("Fatalities", numbers["fatalities"])
    columns[2].metric("People expelled", numbers["expelled"],
                      help="Persons in diplomatic expulsions, where the number was published.")
    columns[3].metric("Countries", numbers["countries"])


def show_map(filtered: pd.DataFrame, *, offline: bool, focus_id: str | None, height: int,
             key: str, **map_options) -> None:
    """The map of ``filtered``; ``map_options`` go to :func:`dashboard.mapping.build_map`."""
    if not assets_available():
        st.warning(missing_assets_message())
    # The dashboard serves the plugins' files itself, so they can wait until a layer
    # needs them: the map draws sooner.
    folium_map = build_map(filtered, offline=offline, focus_id=focus_id, height=height,
                           lazy_plugins=True, **map_options)
    st_folium(folium_map, key=key, height=height, use_container_width=True, returned_objects=[])
    missing = folium_map.incident_summary.missing_coords
    if missing == 1:
        st.caption("1 incident has no coordinates and is not on the map.")
    elif missing:
        st.caption(f"{missing} incidents have no coordinates and are not on the map.")


def incident_table(filtered: pd.DataFrame, focus_id: str | None) -> None:
    rows = page_state.table_rows(filtered, focus_id, limit=TABLE_ROWS)
    ids = rows["id"].tolist()
    # A new key when the rows change, so a selection never points at another incident.
    table_key = f"table_{abs(hash(tuple(ids))):x}"
    selected = [ids.index(focus_id)] if focus_id in ids else []
    st.dataframe(
        page_state.table_frame(rows),
        key=table_key,
        on_select=functools.partial(_select_row, table_key, ids),
        selection_mode="single-row",
        selection_default={"selection": {"rows": selected}} if selected else None,
        hide_index=True,
        width="stretch",
        column_config={
            "Title": st.column_config.TextColumn(width="large"),
            "On map": st.column_config.CheckboxColumn(width="small"),
        },
    )
    if len(rows) < len(filtered):
        st.caption(f"Showing {len(rows):,} of {len(filtered):,} incidents in date order; "
                   "narrow the filters to see others, or export the CSV for all of them. "
                   "Select a row to show that incident on the map.")
    else:
        st.caption("Select a row to show that incident on the map.")


# A fragment: choosing a PNG size or pressing "Render PNG" reruns only this part, not the
# map, chart and table above it (which matters on large datasets).
@st.fragment
def render_downloads(filtered: pd.DataFrame, filters: Filters, *, focus_id: str | None,
                     offline: bool, data_path: Path) -> None:
    """The export buttons for the current view (the files are made by dashboard/export.py)."""
    view = View(filters=filters, focus_id=focus_id, offline=offline)
    provenance = Provenance.of(data_path)
    st.subheader("Export this view")
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
                png = export_bytes(filtered, view, "png", provenance=provenance, size=size)
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
    html_col, csv_col, geo_col = st.columns(3)
    html_col.download_button(
        "HTML (interactive)", key="download_html", on_click="ignore", width="stretch",
        data=functools.partial(export_bytes, filtered, view, "html", provenance=provenance),
        file_name=default_file_name(filters, "html"), mime=media_type("html"),
        disabled=not assets_available(), help=None if assets_available() else
        missing_assets_message())
    for column, fmt, label in ((csv_col, "csv", "CSV"), (geo_col, "geojson", "GeoJSON")):
        # Large views: a callable, so the file is made when the button is pressed rather
        # than on every rerun; small views are made at once (cheap, and testable).
        # The CSV carries a byte-order mark so Excel reads it as UTF-8 (--excel).
        data = functools.partial(export_bytes, filtered, view, fmt, excel=fmt == "csv")
        column.download_button(label, data=data if len(filtered) > EAGER_EXPORT_ROWS else data(),
                               key=f"download_{fmt}",
                               file_name=default_file_name(filters, fmt), mime=media_type(fmt),
                               on_click="ignore", width="stretch")


def link_html(label: str, params: dict[str, str]) -> str:
    """An in-page link to another view (same tab); parameters are URL-encoded."""
    href = "?" + urlencode(params) if params else "?"
    return f'<a href="{html.escape(href, quote=True)}" target="_self">{html.escape(label)}</a>'


# ---------------------------------------------------------------- views


def analyst_view(incidents: pd.DataFrame, span, *, offline: bool, data_path: Path) -> None:
    st.html(ANALYST_CSS)
    sidebar_filters(incidents, span)
    filters = current_filters(span)
    filtered = apply_filters(incidents, filters)
    filters_changed = widget_state() != st.session_state.get("im_initial_values")
    incident = st.session_state.get("im_incident")
    focus_id = incident if incident in set(filtered["id"]) else None
    params = page_state.page_params(filters, span=span, incident=incident)
    sync_url(params)

    title, link = st.columns([4, 1], vertical_alignment="bottom")
    title.title("Incident Map")
    title.caption(page_state.plain(f"{describe(filters)} · {data_path.name}"))
    link.markdown(
        link_html("Present as briefing ▸", {**params, "view": "briefing"}),
        unsafe_allow_html=True,
    )
    show_notices(filters_changed)
    headline_metrics(filtered)
    if filtered.empty:
        st.info("No incidents match these filters. Widen the years, clear a filter, "
                "or press **Reset filters** in the sidebar.")
    elif incident and focus_id is None:
        st.info("The incident in the link is hidden by the current filters.")
    show_map(filtered, offline=offline, focus_id=focus_id, height=MAP_HEIGHT, key="map")
    if focus_id is not None:
        row = filtered[filtered["id"] == focus_id].iloc[0]
        with st.container(border=True):
            st.html(card_html(row.to_dict(), heading_level=3))
    if not filtered.empty:
        st.subheader("Incidents per year")
        # The chosen years, or (no year filter) the years the filtered incidents cover.
        st.altair_chart(build_timeline(filtered, years=filters.years), width="stretch")
        st.subheader(f"{len(filtered):,} incidents" if len(filtered) != 1 else "1 incident")
        incident_table(filtered, focus_id)
    render_downloads(filtered, filters, focus_id=focus_id, offline=offline, data_path=data_path)


def briefing_view(incidents: pd.DataFrame, span, *, offline: bool) -> None:
    st.html(BRIEFING_CSS)
    filters = current_filters(span)
    filtered = apply_filters(incidents, filters)
    steps = briefing_steps(filtered)
    wanted = st.session_state.get("im_incident")
    current = steps[step_index(steps, wanted)] if steps else None
    st.session_state["im_incident"] = current
    analyst_params = page_state.page_params(filters, span=span, incident=current)
    sync_url(page_state.page_params(filters, span=span, view="briefing", incident=current))

    show_notices(False)
    if wanted and current != wanted and steps:
        st.info("The incident in the link is hidden by the current filters; "
                "starting at the first step.")
    index = step_index(steps, current)
    top = st.columns([5, 1.3, 1.6, 1.3, 2.2], vertical_alignment="center")
    top[0].markdown(f"## {page_state.plain(describe(filters))}")
    top[1].button("◂ Previous", key="brief_prev", on_click=_step, args=(steps, current, -1),
                  disabled=not steps or index == 0, width="stretch")
    top[2].html(
        f'<p class="im-step">{step_label(index, len(steps)) if steps else "No incidents"}</p>'
    )
    top[3].button("Next ▸", key="brief_next", on_click=_step, args=(steps, current, 1),
                  disabled=not steps or index >= len(steps) - 1, width="stretch",
                  type="primary")
    # A markdown link keeps target="_self" (st.html would drop it).
    top[4].markdown(f'<p class="im-back">{link_html("◂ Back to analyst view", analyst_params)}</p>',
                    unsafe_allow_html=True)

    map_column, card_column = st.columns([3, 2], gap="large")
    with map_column:
        # The card beside the map says what the popup would, and the legend starts closed
        # (a presenter opens it when asked): keep the map clear, but name the place.
        show_map(filtered, offline=offline, focus_id=current, height=BRIEFING_MAP_HEIGHT,
                 key="briefing_map", focus_popup=False, fly=True, focus_label=True,
                 legend_open=False)
    with card_column:
        if current is None:
            st.info("No incidents match these filters. Go back to the analyst view to "
                    "change them.")
        else:
            row = filtered[filtered["id"] == current].iloc[0]
            st.html(card_html(row.to_dict()))
            if not row["has_coords"]:
                st.caption("This incident has no coordinates yet, so the map cannot show it.")


def main() -> None:
    briefing = st.query_params.get("view") == "briefing"
    st.set_page_config(
        page_title="Incident Map",
        layout="wide",
        initial_sidebar_state="collapsed" if briefing else "expanded",
    )
    data_path = default_data_path()
    incidents = load_dataset(data_path)
    span = year_span(incidents)  # never None: a dataset that loads has incidents
    offline = offline_requested()
    init_state(incidents, span)
    if briefing:
        briefing_view(incidents, span, offline=offline)
    else:
        analyst_view(incidents, span, offline=offline, data_path=data_path)


main()
