"""Briefing mode: one incident per step, the map flying to it, its card beside the map."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.data.filters import (
    apply_filters,
    describe,
)
from dashboard.page import state as page_state
from dashboard.page.briefing import briefing_steps, card_html, neighbour, step_index, step_label
from dashboard.page.views.common import (
    BRIEFING_MAP_HEIGHT,
    current_filters,
    link_html,
    show_map,
    show_notices,
    sync_url,
)

BRIEFING_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapseButton"] {
  display: none !important;
}
[data-testid="stMainBlockContainer"] { padding-top: 1.5rem; padding-bottom: 1rem; }
[data-testid="stHeader"] { display: none; }
.im-card { font-size: 1.3rem; line-height: 1.5; }
.im-card .im-card-title { font-size: 2.1rem; line-height: 1.2; margin-bottom: 0.4rem;
  overflow-wrap: anywhere; }
.im-card .im-card-meta { font-size: 1.15rem; color: #444; }
.im-card ul { padding-left: 1.2rem; }
.im-card li { font-size: 1.05rem; overflow-wrap: anywhere; }
.im-step { font-size: 1.35rem; font-weight: 600; text-align: center; margin: 0; }
.im-back { font-size: 1.1rem; text-align: right; }
.stButton button p { font-size: 1.15rem; }
</style>
"""


def _step(steps: list[str], current: str | None, offset: int) -> None:
    st.session_state["im_incident"] = neighbour(steps, current, offset)



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
