"""Briefing mode: one incident per step, the map flying to it, its card beside the map."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.data.briefings import Briefing, BriefingError
from dashboard.data.filters import (
    apply_filters,
    describe,
)
from dashboard.exports.deck import step_rows, step_text, step_view
from dashboard.page import state as page_state
from dashboard.page.briefing import (
    briefing_steps,
    card_html,
    neighbour,
    step_index,
    step_label,
    step_number,
)
from dashboard.page.views.common import (
    BRIEFING_MAP_HEIGHT,
    current_filters,
    frame_script,
    link_html,
    page_frame,
    page_store,
    show_map,
    show_notices,
    shows_in_place,
    sync_url,
)

BRIEFING_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapseButton"] {
  display: none !important;
}
[data-testid="stMainBlockContainer"] { padding: 0.9rem 1.6rem 0.6rem; max-width: none; }
[data-testid="stHeader"] { display: none; }
.st-key-im-step-frames { display: none !important; }
/* Type for the back of a room: nothing under 24 px at 1920x1080. */
.im-step-heading { font-size: 2.75rem; line-height: 1.12; margin: 0; font-weight: 700;
  overflow-wrap: anywhere; }
.im-step { font-size: 1.5rem; font-weight: 600; text-align: center; margin: 0;
  white-space: nowrap; }
.im-back, .im-back a { font-size: 1.5rem !important; text-align: right; margin: 0; }
.stButton button { min-height: 3rem; }
.stButton button p { font-size: 1.5rem; }
/* Home/End press these; a presenter does not need them on screen. */
.st-key-brief_first, .st-key-brief_last { display: none; }
.im-step-caption { font-size: 2rem; line-height: 1.35; margin: 0 0 1rem; }
.im-step-meta { font-size: 1.5rem; line-height: 1.4; color: #333; margin: 0 0 1rem; }
.im-details { font-size: 1.5rem; line-height: 1.4; }
.im-details > summary { cursor: pointer; color: #333; font-weight: 600; }
.im-details[open] > summary { margin-bottom: 0.6rem; }
.im-card { font-size: 1.5rem; line-height: 1.4; }
.im-card .im-card-title { font-size: 1.75rem; line-height: 1.2; margin: 0 0 0.4rem;
  overflow-wrap: anywhere; }
.im-card .im-card-meta { font-size: 1.5rem; color: #333; }
.im-card p, .im-step-facts p, .im-details p { font-size: 1.5rem; }
.im-card .im-card-title { font-size: 1.75rem; }
.im-card ul, .im-step-facts ul { padding-left: 1.4rem; margin: 0.3rem 0; }
.im-card li, .im-step-facts li { font-size: 1.5rem; overflow-wrap: anywhere; }
.im-step-facts { font-size: 1.5rem; line-height: 1.4; }
.im-title-step h1 { font-size: 3.2rem; line-height: 1.12; margin: 0 0 0.8rem; }
.im-title-step p { font-size: 2rem; color: #222; line-height: 1.35; }
.im-title-step .im-title-count { font-size: 1.5rem; color: #444; }
/* B: a black screen, as a presenter's clicker gives it. */
#im-black { position: fixed; inset: 0; background: #000; z-index: 1000002; cursor: none; }
/* A laptop's screen (1280 px and the like): the step buttons keep their whole words. */
@media (min-width: 701px) and (max-width: 1399px) {
  .stButton button { padding-left: 0.5rem; padding-right: 0.5rem; }
  .stButton button p, .im-step, .im-back, .im-back a { font-size: 1.2rem !important; }
}
@media (min-width: 701px) and (max-width: 1199px) {
  .stButton button { padding-left: 0.25rem; padding-right: 0.25rem; }
  .stButton button p, .im-step, .im-back, .im-back a { font-size: 1rem !important; }
}
/* A phone: everything wraps inside the screen, nothing runs off the edge. */
@media (max-width: 700px) {
  [data-testid="stMainBlockContainer"] { padding-left: 0.8rem; padding-right: 0.8rem; }
  .im-card, .im-card *, .im-step-caption, .im-title-step * { overflow-wrap: anywhere; }
  .im-step-heading { font-size: 1.9rem; }
  .im-title-step h1 { font-size: 1.8rem; }
  .im-step-caption { font-size: 1.3rem; }
  .im-step-meta, .im-details, .im-card, .im-card li, .im-step-facts, .im-card p,
  .im-step-facts p, .im-details p, .im-step-facts li, .im-card .im-card-meta {
    font-size: 1.05rem; }
  .im-card .im-card-title { font-size: 1.3rem; }
  .im-back { text-align: left; font-size: 1.1rem; }
  .stButton button p, .im-step { font-size: 1.1rem; }
}
</style>
"""


KEYS_JS = Path(__file__).resolve().parents[2] / "static" / "briefing_keys.js"


def _step(steps: list[str], current: str | None, offset: int) -> None:
    """Move ``offset`` steps; the title step (no incident) comes before the first."""
    st.session_state["im_incident"] = neighbour([None, *steps], current, offset)


def keyboard_control() -> None:
    """Clicker and keyboard: a same-origin frame whose script presses the step buttons and
    sizes the map to the window (``static/briefing_keys.js``)."""
    frame_script(KEYS_JS.name)


def step_frames(frames: dict[str, dict | None]) -> None:
    """The camera of the step each key leads to (``brief_next``, ``brief_prev``,
    ``brief_first``, ``brief_last``) and of the step shown (``here``), as :func:`page_frame`
    decides them: the clicker's script starts the map's flight at the key press, while the
    page's run that shows the step is under way; the run then brings the frame the map
    already flies to, which is not flown again. Written before the map, so that a map
    showing a step has the keys' frames of that step (the script checks ``here``)."""
    with st.container(key="im-step-frames"):
        st.html(step_frames_html(frames))


def step_frames_html(frames: dict[str, dict | None]) -> str:
    """The frames, as JSON in an attribute of a hidden element (escaped)."""
    data = json.dumps({key: frame for key, frame in frames.items() if frame is not None},
                      separators=(",", ":"))
    return (f'<div class="im-step-frames" hidden '
            f'data-frames="{html.escape(data, quote=True)}"></div>')


def _jump_buttons(on_first, on_last, *, disabled: bool) -> None:
    # Hidden (CSS); Home and End press them.
    st.button("First", key="brief_first", on_click=on_first, disabled=disabled)
    st.button("Last", key="brief_last", on_click=on_last, disabled=disabled)


def briefing_view(incidents: pd.DataFrame, span, *, offline: bool,
                  data_path: Path | None = None) -> None:
    """A named briefing (``?briefing=NAME``) or the filtered incidents in date order."""
    name = st.query_params.get("briefing") or st.session_state.get("im_briefing")
    if name:
        try:
            briefing = page_store().load_briefing(name, ids=incidents["id"])
        except BriefingError as error:
            st.html(BRIEFING_CSS)
            st.error("**This briefing cannot be shown.** Fix what is listed below in its file "
                     "and reload the page.")
            st.code("\n".join(error.problems[:50]), language=None)
            st.markdown(link_html("◂ Back to analyst view", {}), unsafe_allow_html=True)
            return
        authored_view(incidents, briefing, offline=offline, data_path=data_path)
        return
    filtered_view(incidents, span, offline=offline, data_path=data_path)


def _authored_frames(incidents: pd.DataFrame, briefing: Briefing, index: int,
                     rows: pd.DataFrame, *, offline: bool) -> dict[str, dict | None]:
    """:func:`step_frames` of step ``index`` (0: the title) of ``briefing``, whose rows are
    ``rows``; each step's rows and frame are made once (the keys often lead to the same
    step: the title is the first, the step before it)."""
    total = len(briefing.steps)
    rows_of = {max(index - 1, 0): rows}
    frames: dict[int, dict] = {}

    def frame_of(number: int) -> dict:
        if number not in frames:
            position = max(number - 1, 0)
            step = briefing.steps[position]
            if position not in rows_of:
                rows_of[position] = step_rows(incidents, step)
            view = step_view(step, offline=offline) if number else None
            frames[number] = page_frame(rows_of[position], offline=offline,
                                        focus_id=view.focus_id if view else None,
                                        at=view.at if view else None)
        return frames[number]

    return {"here": frame_of(index),
            "brief_prev": frame_of(index - 1) if index > 0 else None,
            "brief_next": frame_of(index + 1) if index < total else None,
            "brief_first": frame_of(0), "brief_last": frame_of(total)}


def _set_step(value: int) -> None:
    st.session_state["im_step"] = value


def _initial_step(total: int) -> int:
    if "im_step" not in st.session_state:
        st.session_state["im_step"] = step_number(st.query_params.get("step", "0"))
    return max(0, min(total, int(st.session_state["im_step"])))


def authored_view(incidents: pd.DataFrame, briefing: Briefing, *, offline: bool,
                  data_path: Path | None = None) -> None:
    """Step 0 is the title; steps 1 to N are the briefing's views with heading and caption."""
    st.html(BRIEFING_CSS)
    st.session_state["im_briefing"] = briefing.name
    total = len(briefing.steps)
    index = _initial_step(total)
    st.session_state["im_step"] = index
    sync_url({"view": "briefing", "briefing": briefing.name, "step": str(index)})
    show_notices(False)

    heading = briefing.title if index == 0 else briefing.steps[index - 1].heading
    top = _top_bar(heading)
    top[1].button("◂ Previous", key="brief_prev", on_click=_set_step, args=(index - 1,),
                  disabled=index == 0, width="stretch")
    label = "Title" if index == 0 else step_label(index - 1, total)
    top[2].html(f'<p class="im-step">{html.escape(label)}</p>')
    top[3].button("Next ▸", key="brief_next", on_click=_set_step, args=(index + 1,),
                  disabled=index >= total, width="stretch", type="primary")
    top[4].markdown(f'<p class="im-back">{link_html("◂ Analyst view", {})}</p>',
                    unsafe_allow_html=True)
    _jump_buttons(lambda: _set_step(0), lambda: _set_step(total), disabled=False)

    step = briefing.steps[max(index - 1, 0)]
    rows = step_rows(incidents, step)
    if shows_in_place(incidents, data_path):
        step_frames(_authored_frames(incidents, briefing, index, rows, offline=offline))
    # The same view (and so the same frame) as the step's slide in the PDF and PPTX.
    view = step_view(step, offline=offline) if index > 0 else None
    map_column, card_column = st.columns(BODY_COLUMNS, gap="medium")
    with map_column:
        at = view.at if view else None
        show_map(rows, offline=offline, focus_id=view.focus_id if view else None,
                 height=BRIEFING_MAP_HEIGHT, key="briefing_map", focus_popup=False,
                 fly=True, focus_label=True, legend_open=False, animate=False,
                 dim_others=True, presenting=True, center=(at[0], at[1]) if at else None,
                 zoom=at[2] if at else None, cluster=view.cluster if view else None,
                 dataset=incidents, data_path=data_path)
    with card_column:
        if index == 0:
            st.html(
                '<div class="im-title-step">'
                + (f"<p>{html.escape(briefing.subtitle)}</p>" if briefing.subtitle else "")
                + f'<p class="im-title-count">{total} steps · press → or Next to begin</p>'
                "</div>")
        else:
            if step.caption:
                st.html(f'<p class="im-step-caption">{html.escape(step.caption)}</p>')
            focus = rows[rows["id"] == step.incident] if step.incident else rows[:0]
            if not focus.empty:
                row = focus.iloc[0].to_dict()
                st.html(meta_html(row) + details_html(card_html(row, heading_level=3)))
            elif rows.empty:
                st.info("No incident in the dataset matches this step.")
            else:
                facts = step_text(rows, step)
                items = "".join(f"<li>{html.escape(s)}</li>" for s in facts["sources"])
                st.html(
                    f'<p class="im-step-meta">{len(rows)} incidents · '
                    f"{html.escape(facts['date'])}</p>"
                    + details_html(
                        '<div class="im-step-facts">'
                        f"<p><strong>{len(rows)} incidents</strong> · "
                        f"{html.escape(facts['date'])}</p>"
                        f"<p><strong>Where:</strong> {html.escape(facts['place'])}</p>"
                        f"<p><strong>Attribution:</strong> {html.escape(facts['attribution'])}"
                        f"</p><p><strong>Sources</strong></p><ul>{items}</ul></div>"))
    keyboard_control()


#: The map takes most of the screen, the step's text a narrower column beside it.
BODY_COLUMNS = [7, 3]


def _top_bar(heading: str):
    """The step's headline, the step buttons and counter, and the way back."""
    top = st.columns([6.2, 1.25, 1.25, 1.25, 1.4], vertical_alignment="center")
    top[0].html(f'<h1 class="im-step-heading">{html.escape(heading)}</h1>')
    return top


def meta_html(row: dict) -> str:
    """The one line under a step's caption: date and place."""
    date = row.get("date_label") or row.get("date") or ""
    place = row.get("place") or ""
    return (f'<p class="im-step-meta">{html.escape(str(date))} · '
            f"{html.escape(str(place))}</p>")


def details_html(inner: str) -> str:
    """Details on demand: what a presenter opens when asked (summary, attribution,
    sources as publisher and headline)."""
    return f'<details class="im-details"><summary>Details and sources</summary>{inner}</details>'


def title_step_html(title: str, rows: pd.DataFrame, total: int) -> str:
    """The default briefing's title step: what is shown, its dates, how many steps."""
    dated = rows["date_start"].dropna()
    span = ""
    if not dated.empty:
        first, last = dated.min(), dated.max()
        span = (f"{first:%-d %B %Y}" if first == last
                else f"{first:%-d %B %Y} to {last:%-d %B %Y}")
    return ('<div class="im-title-step">'
            f"<p>One incident per step, in date order{' · ' + html.escape(span) if span else ''}"
            "</p>"
            f'<p class="im-title-count">{total} steps · press → or Next to begin</p></div>')


def filtered_view(incidents: pd.DataFrame, span, *, offline: bool,
                  data_path: Path | None = None) -> None:
    """The default briefing: one step per filtered incident, in date order."""
    st.html(BRIEFING_CSS)
    filters = current_filters(span)
    filtered = apply_filters(incidents, filters)
    steps = briefing_steps(filtered)
    wanted = st.session_state.get("im_incident")
    # No incident asked for: the title step (heading, what is shown, how many steps).
    current = (steps[step_index(steps, wanted)] if wanted else None) if steps else None
    st.session_state["im_incident"] = current
    analyst_params = page_state.page_params(filters, span=span, incident=current)
    sync_url(page_state.page_params(filters, span=span, view="briefing", incident=current))

    show_notices(False)
    if wanted and current != wanted and steps:
        st.info("The incident in the link is hidden by the current filters; "
                "starting at the first step.")
    index = step_index(steps, current) if current else -1
    title = describe(filters)  # placed as escaped HTML below, not as Markdown
    row = filtered[filtered["id"] == current].iloc[0] if current is not None else None
    top = _top_bar(title if row is None else str(row["title"]))
    top[1].button("◂ Previous", key="brief_prev", on_click=_step, args=(steps, current, -1),
                  disabled=not steps or current is None, width="stretch")
    label = "No incidents" if not steps else (
        "Title" if current is None else step_label(index, len(steps)))
    top[2].html(f'<p class="im-step">{html.escape(label)}</p>')
    top[3].button("Next ▸", key="brief_next", on_click=_step, args=(steps, current, 1),
                  disabled=not steps or index >= len(steps) - 1, width="stretch",
                  type="primary")
    # A markdown link keeps target="_self" (st.html would drop it).
    top[4].markdown(f'<p class="im-back">{link_html("◂ Analyst view", analyst_params)}</p>',
                    unsafe_allow_html=True)
    _jump_buttons(lambda: _step(steps, current, -len(steps) - 1),
                  lambda: _step(steps, current, len(steps) + 1), disabled=not steps)

    if steps and shows_in_place(incidents, data_path):
        made: dict[str | None, dict] = {}

        def frame_of(target: str | None) -> dict:
            if target not in made:
                made[target] = page_frame(filtered, offline=offline, focus_id=target)
            return made[target]
        step_frames({"here": frame_of(current),
                     "brief_prev": frame_of(neighbour([None, *steps], current, -1))
                     if current is not None else None,
                     "brief_next": frame_of(neighbour([None, *steps], current, 1))
                     if index < len(steps) - 1 else None,
                     "brief_first": frame_of(None), "brief_last": frame_of(steps[-1])})
    map_column, card_column = st.columns(BODY_COLUMNS, gap="medium")
    with map_column:
        # The card beside the map says what the popup would, and the legend starts closed
        # (a presenter opens it when asked): keep the map clear, but name the place.
        show_map(filtered, offline=offline, focus_id=current, height=BRIEFING_MAP_HEIGHT,
                 key="briefing_map", focus_popup=False, fly=True, focus_label=True,
                 legend_open=False, animate=False, dim_others=True, presenting=True,
                 cluster=False if current else None, dataset=incidents, data_path=data_path)
    with card_column:
        if not steps:
            st.info("No incidents match these filters. Go back to the analyst view to "
                    "change them.")
        elif current is None:
            st.html(title_step_html(title, filtered, len(steps)))
        else:
            data = row.to_dict()
            summary = str(data.get("summary") or "").strip()
            st.html((f'<p class="im-step-caption">{html.escape(summary)}</p>' if summary
                     else "") + meta_html(data) + details_html(card_html(data)))
            if not row["has_coords"]:
                st.caption("This incident has no coordinates yet, so the map cannot show it.")
    keyboard_control()
