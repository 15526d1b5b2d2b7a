"""The Incident Map page (Streamlit): reads the URL and shows the analyst or the briefing view.

The views live in ``dashboard/page/views/``; data, filtering, the map, the timeline and
briefing steps are plain functions in the layers below. Run it with ``incident-map serve``
(or ``make run``).
"""

from __future__ import annotations

import streamlit as st

from dashboard.base.settings import edit_enabled, offline_requested
from dashboard.data.engine.shared import engine_source
from dashboard.data.engine.sources import SourceError
from dashboard.data.filters import year_span
from dashboard.maps.scale_map import SCALE_THRESHOLD
from dashboard.page.views.analyst import analyst_view
from dashboard.page.views.briefing import briefing_view
from dashboard.page.views.common import init_state, load_dataset, page_store, store_path
from dashboard.page.views.upload import upload_view


def main() -> None:
    briefing = st.query_params.get("view") == "briefing" or bool(st.query_params.get("briefing"))
    st.set_page_config(
        page_title="Incident Map",
        layout="wide",
        # "auto": open beside the map on a screen, folded away on a phone where it would
        # cover the map
        initial_sidebar_state="collapsed" if briefing else "auto",
    )
    store = page_store()
    data_path = store_path(store)
    editing = edit_enabled() and st.query_params.get("view") == "edit"
    # A source in a query engine (Parquet, PostgreSQL, Spark, or a large CSV file made into
    # Parquet): the page asks the engine and never loads the rows.
    try:
        source = engine_source(data_path)
    except SourceError as error:
        st.error(f"**The data source cannot be used.** {error}")
        st.stop()
    if source is not None and not editing:
        from dashboard.page.views.engine import engine_view

        if briefing:
            st.info("Briefing mode steps through the incidents of a dataset loaded into the "
                    "page; this one is served from a query engine. The analyst view follows.")
        engine_view(source, offline=offline_requested())
        return
    incidents = load_dataset(store)
    # A session's first view of a large dataset draws its map first and the page around it
    # (filters, timeline, table, exports) a moment later: the browser then loads and draws
    # the map alone, before the rest's scripts compete with it.
    # (init_state below marks the session's first run as done)
    map_first = (not briefing and not editing and len(incidents) > SCALE_THRESHOLD
                 and not st.session_state.get("im_initialised"))
    if not briefing and not map_first:  # "Load your data": a file may take the dataset's place
        incidents, data_path = upload_view(incidents, data_path)
    span = year_span(incidents)  # never None: a dataset that loads has incidents
    offline = offline_requested()
    init_state(incidents, span)
    if briefing:
        briefing_view(incidents, span, offline=offline, data_path=data_path)
    elif editing:
        from dashboard.page.views.editor import editor_view

        editor_view(store, offline=offline)
    else:
        analyst_view(incidents, span, offline=offline, data_path=data_path, map_first=map_first)


main()
