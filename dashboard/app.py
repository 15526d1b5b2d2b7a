"""The Incident Map page (Streamlit): reads the URL and shows the analyst or the briefing view.

The views live in ``dashboard/page/views/``; data, filtering, the map, the timeline and
briefing steps are plain functions in the layers below. Run it with ``incident-map serve``
(or ``make run``).
"""

from __future__ import annotations

import streamlit as st

from dashboard.base.settings import edit_enabled, offline_requested
from dashboard.data.filters import year_span
from dashboard.data.loading import default_data_path
from dashboard.page.views.analyst import analyst_view
from dashboard.page.views.briefing import briefing_view
from dashboard.page.views.common import init_state, load_dataset
from dashboard.page.views.upload import upload_view


def main() -> None:
    briefing = st.query_params.get("view") == "briefing" or bool(st.query_params.get("briefing"))
    st.set_page_config(
        page_title="Incident Map",
        layout="wide",
        initial_sidebar_state="collapsed" if briefing else "expanded",
    )
    data_path = default_data_path()
    incidents = load_dataset(data_path)
    if not briefing:  # "Load your data": an uploaded file may take the dataset's place
        incidents, data_path = upload_view(incidents, data_path)
    span = year_span(incidents)  # never None: a dataset that loads has incidents
    offline = offline_requested()
    init_state(incidents, span)
    if briefing:
        briefing_view(incidents, span, offline=offline, data_path=data_path)
    elif edit_enabled() and st.query_params.get("view") == "edit":
        from dashboard.page.views.editor import editor_view

        editor_view(data_path, offline=offline)
    else:
        analyst_view(incidents, span, offline=offline, data_path=data_path)


main()
