"""Editing briefings from the analyst view: add the view on screen as a step, reorder the
steps, edit their headings and captions, and save the briefing's TOML file.

Shown only when editing is on (``serve --edit``, and the operator's token where one is set,
as for the dataset editor). The briefing is edited as a working copy in the session; a save
validates it like a file read from disk and is refused if the file changed since it was
opened (the store's ``save_briefing``), so nobody's work is written over.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from dashboard.data.briefings import (
    MAX_CAPTION,
    MAX_HEADING,
    Briefing,
    BriefingConflict,
    BriefingError,
    edited_step,
    moved_step,
    view_step,
    with_step,
    without_step,
)
from dashboard.data.filters import Filters, describe
from dashboard.data.mapview import MapAt
from dashboard.page.state import plain
from dashboard.page.views.common import link_html, map_view_now, page_store
from dashboard.page.views.editor import editing_allowed

NEW = ""  # the selectbox's value for "a new briefing"


def _work() -> dict:
    return st.session_state["be_work"]


def _open(choice: str, ids) -> None:
    """Load briefing ``choice`` (or start a new one) as the session's working copy."""
    # A revision never used before: every box is new and shows this briefing's text.
    before = st.session_state.get("be_work")
    work = {"choice": choice, "stamp": None, "rev": before["rev"] + 1 if before else 0,
            "problems": [], "saved": ""}
    if choice == NEW:
        work["briefing"] = Briefing(name="", title="")
    else:
        try:
            store = page_store()
            work["briefing"] = store.load_briefing(choice, ids=ids)
            work["stamp"] = store.briefing_stamp(choice)
        except BriefingError as error:
            work["briefing"] = None
            work["problems"] = error.problems
    st.session_state["be_work"] = work


def _collect() -> Briefing:
    """The working copy with what is typed in the title, heading and caption boxes now."""
    work = _work()
    briefing, rev = work["briefing"], work["rev"]
    state = st.session_state
    briefing = dataclasses.replace(
        briefing,
        title=" ".join(str(state.get(f"be_title_{rev}", briefing.title)).split()),
        subtitle=" ".join(str(state.get(f"be_subtitle_{rev}", briefing.subtitle)).split()),
    )
    for index, step in enumerate(briefing.steps):
        briefing = edited_step(briefing, index,
                               heading=str(state.get(f"be_h_{rev}_{index}", step.heading)),
                               caption=str(state.get(f"be_c_{rev}_{index}", step.caption)))
    work["briefing"] = briefing
    return briefing


def _change(new: Briefing) -> None:
    work = _work()
    work["briefing"] = new
    work["rev"] += 1  # new widget keys: boxes show the steps in their new places
    work["saved"] = ""


def _move(index: int, offset: int) -> None:
    _change(moved_step(_collect(), index, offset))


def _remove(index: int) -> None:
    _change(without_step(_collect(), index))


def _add(filters: Filters, focus_id: str | None, focus_title: str | None,
         at: tuple[float, float, int] | None) -> None:
    briefing = _collect()
    at, _, _ = map_view_now(at, None)  # the map's latest pan and zoom, from the URL
    heading = st.session_state.get("be_add_heading", "").strip() or focus_title or describe(
        filters)
    step = view_step(heading=heading, caption=st.session_state.get("be_add_caption", ""),
                     filters=filters, incident=focus_id,
                     at=MapAt(*at) if at else None)
    _change(with_step(briefing, step))
    st.session_state["be_add_heading"] = ""
    st.session_state["be_add_caption"] = ""


def _save(ids) -> None:
    work = _work()
    briefing = _collect()
    if work["choice"] == NEW:
        briefing = dataclasses.replace(briefing,
                                       name=st.session_state.get("be_new_name", "").strip())
    work["problems"], work["saved"] = [], ""
    try:
        where = page_store().save_briefing(briefing, expected=work["stamp"], ids=ids)
    except BriefingConflict as error:
        work["problems"] = error.problems
        return
    except BriefingError as error:
        work["problems"] = error.problems
        return
    except OSError as error:
        work["problems"] = [f"{briefing.name}.toml could not be written: {error.strerror}"]
        return
    work["briefing"] = briefing
    work["stamp"] = page_store().briefing_stamp(briefing.name)
    work["saved"] = where
    if work["choice"] == NEW:  # from now on it is an existing briefing
        work["choice"] = briefing.name
        st.session_state["be_pending_choice"] = briefing.name


def _where(step) -> str:
    parts = [describe(step.filters)]
    if step.incident:
        parts.append(f"incident {step.incident}")
    if step.at:
        parts.append(f"map at {step.at.text()}")
    return " · ".join(parts)


# A fragment: its buttons and boxes rerun only the editor, not the map and chart above it.
@st.fragment
def briefing_editor(incidents: pd.DataFrame, filters: Filters, *, focus_id: str | None,
                    at: tuple[float, float, int] | None) -> None:
    """The briefing editor under the analyst view's exports (only with editing on)."""
    with st.expander("Briefings: add this view as a step, reorder, caption, save"):
        if not editing_allowed():
            return
        ids = incidents["id"]
        if "be_pending_choice" in st.session_state:  # a new briefing was just saved
            st.session_state["be_choice"] = st.session_state.pop("be_pending_choice")
        choice = st.selectbox("Briefing", [NEW, *page_store().briefing_names()], key="be_choice",
                              format_func=lambda name: name or "A new briefing…")
        work = st.session_state.get("be_work")
        if work is None or work["choice"] != choice:
            _open(choice, ids)
            work = _work()
        if work["briefing"] is None:
            st.error("This briefing's file cannot be used; fix it by hand first:")
            st.code("\n".join(work["problems"][:50]), language=None)
            return
        briefing, rev = work["briefing"], work["rev"]
        if choice == NEW:
            st.text_input("File name of the new briefing", key="be_new_name", max_chars=80,
                          placeholder="e.g. sabotage-2024 (letters, digits, - and _)")
        st.text_input("Briefing title", value=briefing.title, key=f"be_title_{rev}",
                      max_chars=MAX_HEADING)
        st.text_input("Briefing subtitle", value=briefing.subtitle, key=f"be_subtitle_{rev}",
                      max_chars=MAX_CAPTION)
        total = len(briefing.steps)
        for index, step in enumerate(briefing.steps):
            with st.container(border=True, key=f"be_step_{index}"):
                head, up, down, drop = st.columns([8, 1, 1, 1], vertical_alignment="bottom")
                head.text_input(f"Step {index + 1} heading", value=step.heading,
                                key=f"be_h_{rev}_{index}", max_chars=MAX_HEADING)
                up.button("↑", key=f"be_up_{rev}_{index}", on_click=_move, args=(index, -1),
                          disabled=index == 0, help="Move this step up")
                down.button("↓", key=f"be_down_{rev}_{index}", on_click=_move,
                            args=(index, 1), disabled=index == total - 1,
                            help="Move this step down")
                drop.button("✕", key=f"be_drop_{rev}_{index}", on_click=_remove,
                            args=(index,), help="Remove this step")
                st.text_area(f"Step {index + 1} caption", value=step.caption, height=68,
                             key=f"be_c_{rev}_{index}", max_chars=MAX_CAPTION)
                st.caption(plain(_where(step)))
        focus_title = None
        if focus_id is not None and (incidents["id"] == focus_id).any():
            focus_title = str(incidents.loc[incidents["id"] == focus_id, "title"].iloc[0])
        st.markdown("**Add the view on screen** (filters, focused incident, map centre and "
                    "zoom)")
        st.text_input("Heading of the new step", key="be_add_heading", max_chars=MAX_HEADING,
                      placeholder=focus_title or describe(filters))
        st.text_area("Caption of the new step", key="be_add_caption", height=68,
                     max_chars=MAX_CAPTION)
        add_col, save_col, link_col = st.columns([2, 2, 2], vertical_alignment="center")
        add_col.button(f"Add this view as step {total + 1}", key="be_add", width="stretch",
                       on_click=_add, args=(filters, focus_id, focus_title, at))
        save_col.button("Save briefing", key="be_save", type="primary", width="stretch",
                        on_click=_save, args=(ids,), disabled=not briefing.steps)
        if work["saved"]:
            link_col.markdown(link_html("Present it ▸", {"briefing": work["choice"]}),
                              unsafe_allow_html=True)
            st.success(f"Saved {work['saved']}.")
        if work["problems"]:
            st.error("Not saved:\n\n" + "\n".join(f"- {plain(line)}"
                                                     for line in work["problems"][:20]))
