"""The analyst view of a source served through the query engine (Parquet, PostgreSQL, Spark,
or a large CSV file converted to Parquet): the page never holds the rows.

Each rerun asks the engine (:mod:`dashboard.data.engine.query`) for the headline numbers,
the timeline's counts and one page of the table; the map asks for each view itself
(:mod:`dashboard.maps.engine_map`); the exports are links to files streamed from the engine
(:mod:`dashboard.server.engine_routes`). The filters, the URL and the sidebar are the
analyst view's own.
"""

from __future__ import annotations

import functools
import html
from urllib.parse import urlencode

import streamlit as st
from streamlit_folium import st_folium

from dashboard.data.engine.shared import EngineError, NotReady, shared_query
from dashboard.data.engine.sources import Source
from dashboard.data.filters import describe
from dashboard.maps.engine_map import build_engine_map
from dashboard.maps.scale_map import write_outline
from dashboard.page import state as page_state
from dashboard.page.briefing import card_html
from dashboard.page.timeline import compact_datasets, time_unit, timeline_spec
from dashboard.page.views.analyst import (
    ANALYST_CSS,
    TABLE_ROWS,
    _select_row,
    _select_span,
    headline_metrics,
    sidebar_filters,
    table_page,
)
from dashboard.page.views.common import (
    MAP_HEIGHT,
    current_filters,
    frame_script,
    init_state,
    map_view_params,
    show_notices,
    sync_url,
    widget_state,
)

#: Seconds between two looks at a conversion that is not finished.
WAIT_SECONDS = 3


@st.fragment(run_every=WAIT_SECONDS)
def _wait_for(source: Source) -> None:
    """Reruns the page once the source's Parquet is ready."""
    try:
        shared_query(source)
    except NotReady as error:
        if error.failed:
            return
        return
    st.rerun()


def _engine(source: Source):
    try:
        return shared_query(source)
    except NotReady as error:
        if error.failed:
            st.error(f"**The dataset cannot be shown.** {error}")
        else:
            st.info(f"**Preparing the dataset.** {error}. This happens once per version of "
                    "the file, in the background.", icon=":material/hourglass_top:")
            _wait_for(source)
        st.stop()
    except (EngineError, ValueError) as error:
        st.error(f"**The query engine cannot run.** {error}")
        st.stop()


def _month_spec(query, filters, years):
    from dashboard.page.timeline import build_timeline

    counts = query.yearly_counts(filters)
    return build_timeline(None, counts=counts, month_counts=query.monthly_counts(filters),
                          years=years).to_dict()


def engine_view(source: Source, *, offline: bool) -> None:
    query = _engine(source)
    span = query.year_span() or (2000, 2000)
    init_state(None, span, known_incident=lambda value: query.incident(value) is not None)
    st.html(ANALYST_CSS)
    sidebar_filters(None, span, countries=query.countries())
    filters = current_filters(span)
    totals = query.totals(filters)
    count = totals["incidents"]
    filters_changed = widget_state() != st.session_state.get("im_initial_values")
    incident = st.session_state.get("im_incident")
    focus = query.incident(incident) if incident else None
    if focus is not None and query.rank(filters, incident) is None:
        focus = None
    params = page_state.page_params(filters, span=span, incident=incident)
    map_params, map_at, _, _ = map_view_params(filters)
    params.update(map_params)
    sync_url(params)

    st.title("Incident Map")
    as_of = query.latest_checked()
    st.caption(page_state.plain(
        f"{describe(filters)} · {source.describe()}"
        + (f" · data as of {as_of}" if as_of else "")))
    show_notices(filters_changed)
    headline_metrics(totals)
    if not count:
        st.info("No incidents match these filters. Widen the years, clear a filter, "
                "or press **Reset filters** in the sidebar.")
    elif incident and focus is None:
        st.info("The incident in the link is hidden by the current filters.")
    at = (map_at.lat, map_at.lon, map_at.zoom) if map_at else None
    if focus is not None and at is None and focus.get("lat") == focus.get("lat"):
        at = (float(focus["lat"]), float(focus["lon"]), 12)
    folium_map = build_engine_map(params, extent=query.extent(filters), offline=offline,
                                  height=MAP_HEIGHT, outline_url=write_outline(), at=at)
    st_folium(folium_map, key="engine_map", height=MAP_HEIGHT, use_container_width=True,
              returned_objects=[], feature_group_to_add=folium_map.engine_filter)
    frame_script("view_report.js")  # pan, zoom and layers into the URL
    if focus is not None:
        with st.container(border=True):
            st.html(card_html(focus, heading_level=3))
    if count:
        counts = query.yearly_counts(filters)
        chart_years = filters.years or (
            (int(counts["year"].min()), int(counts["year"].max())) if len(counts) else None)
        monthly = time_unit(chart_years) == "month"
        st.subheader("Incidents per month" if monthly else "Incidents per year")
        spec = (_month_spec(query, filters, chart_years) if monthly
                else timeline_spec(counts, years=chart_years))
        st.vega_lite_chart(compact_datasets(spec), width="stretch", key="timeline",
                           on_select=functools.partial(_select_span, span, monthly),
                           selection_mode="span")
        st.caption("Drag across the bars to show those months only." if monthly else
                   "Drag across the bars to show those years only.")
        st.subheader(f"{count:,} incidents" if count != 1 else "1 incident")
        _table(query, filters, count)
    _exports(params, count)


def _table(query, filters, count: int) -> None:
    page = table_page(count)
    rows = query.rows(filters, offset=(page - 1) * TABLE_ROWS, limit=TABLE_ROWS)
    rows = rows.assign(has_coords=rows["lat"].notna() & rows["lon"].notna())
    ids = rows["id"].tolist()
    table_key = f"table_{abs(hash(tuple(ids))):x}"
    st.dataframe(page_state.table_frame(rows), key=table_key,
                 on_select=functools.partial(_select_row, table_key, ids),
                 selection_mode="single-row", hide_index=True, width="stretch",
                 column_config={"Title": st.column_config.TextColumn(width="large"),
                                "On map": st.column_config.CheckboxColumn(width="small")})
    if len(rows) < count:
        first = (page - 1) * TABLE_ROWS + 1
        st.caption(f"Showing {len(rows):,} of {count:,} incidents in date order "
                   f"(from number {first:,}); choose another page, narrow the filters, or "
                   "export the CSV for all of them. "
                   "Select a row to show that incident on the map.")


def _exports(params: dict[str, str], count: int) -> None:
    """Links to the files streamed by the server (any size, bounded memory)."""
    if not count:
        return
    query = urlencode({k: v for k, v in params.items()
                       if k in ("years", "months", "country", "type", "attribution", "q")})
    suffix = html.escape(f"?{query}" if query else "", quote=True)
    st.subheader("Export this view")
    st.markdown(
        f'<a href="/engine/export.csv{suffix}" download>CSV</a> · '
        f'<a href="/engine/export.geojson{suffix}" download>GeoJSON</a> '
        f"({count:,} incidents, streamed from the engine) · the map as it shows them: "
        f'<a href="/engine/export.png{suffix}" download>PNG</a> · '
        f'<a href="/engine/export.html{suffix}" download>HTML</a> · '
        f'<a href="/engine/export.pptx{suffix}" download>PowerPoint</a> · '
        f'<a href="/engine/export.pdf{suffix}" download>PDF</a>', unsafe_allow_html=True)
