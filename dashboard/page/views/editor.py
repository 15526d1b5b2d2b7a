"""The editor (``?view=edit``, only with ``incident-map serve --edit``): add or edit an
incident, place it with the gazetteer's candidates on a small map, work through the review
queue, read the change log and undo. Saving, merging and undo are plain functions in
``dashboard.data.editing``; candidates in ``dashboard.geocoding.candidates``.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard.base.settings import edit_token, token_matches
from dashboard.data import editing
from dashboard.data.review import freshness_queue, point_note_missing, review_queue
from dashboard.data.schema import (
    ATTRIBUTIONS,
    DATE_FORMATS,
    EVENT_TYPES,
    GEO_PRECISIONS,
    GEOCODERS,
    VOCABULARIES,
    DatasetError,
    is_http_url,
    split_sources,
)
from dashboard.data.sources import CatalogueError, catalogue_path, load_catalogue
from dashboard.data.stores import Store
from dashboard.geocoding.candidates import (
    MAX_AMBIGUITY_ROWS,
    ManualPoint,
    ambiguous_rows,
    apply_candidate,
    apply_manual_point,
    clear_point,
    find_candidates,
    has_manual_point,
)
from dashboard.geocoding.sites import SitesFileError, load_sites, sites_from_rows
from dashboard.maps.picker import build_picker_map
from dashboard.page.views.common import link_html, page_store, store_path

NEW = "(new incident)"
SECTIONS = ("Add or edit", "Review queue", "Change log")
LONG_TEXT = ("summary", "source_quote", "notes")
LABELS = {
    "id": "Id (slug)", "date": "Date", "date_precision": "Date precision",
    "event_type": "Event type", "title": "Title", "summary": "Summary", "place": "Place",
    "country": "Country (ISO code)", "lat": "Latitude", "lon": "Longitude",
    "geo_precision": "Location precision", "geocoder": "Coordinates from",
    "attribution": "Attribution", "sources": "Sources (one a line: seed file or http(s) link)",
    "source_quote": "Quote from the seed", "counterpart_country": "Counterpart country (ISO)",
    "checked": "Checked on (YYYY-MM-DD)",
}
CHOICES = {**VOCABULARIES, "geocoder": tuple(GEOCODERS)}
CHOICE_HELP = {"event_type": EVENT_TYPES, "geo_precision": GEO_PRECISIONS,
               "geocoder": GEOCODERS, "attribution": ATTRIBUTIONS}
POINT_COLUMNS = ("lat", "lon", "geo_precision", "geocoder")
#: One-line fields are checked while the person types, after this pause (Streamlit's
#: ``live`` text input); text areas are checked when the person leaves them.
LIVE = "300ms"


# --------------------------------------------------------------------------- state


def _key(column: str) -> str:
    """The field's widget key, new for every row loaded (see ``_load_row``)."""
    return f"ed_f{st.session_state.get('ed_generation', 0)}_{column}"


def _to_widget(column: str, value: str) -> str:
    return "\n".join(split_sources(value)) if column == "sources" else value


def _from_widget(column: str, value) -> str:
    value = "" if value is None else str(value)
    if column == "sources":
        return "; ".join(line.strip() for line in value.splitlines() if line.strip())
    return value.strip()


def _load_row(snapshot: editing.Snapshot, row_id: str | None) -> None:
    """Fill the fields with a row (or a blank one) and remember the file as opened."""
    row = snapshot.rows.get(row_id) if row_id else None
    row = dict(row) if row else editing.blank_row(snapshot.header)
    # New widget keys for the new row: a rerun the browser asks for before it has drawn
    # the new fields (someone typing while a large dataset reloads) carries the old fields'
    # values, which would otherwise overwrite the row just loaded.
    st.session_state["ed_generation"] = st.session_state.get("ed_generation", 0) + 1
    for column in snapshot.header:
        st.session_state[_key(column)] = _to_widget(column, row.get(column, ""))
    st.session_state["ed_snapshot"] = snapshot
    st.session_state["ed_row_id"] = row_id
    st.session_state["ed_base"] = dict(row) if row_id else None
    st.session_state.pop("ed_conflict", None)
    st.session_state.pop("ed_seen_click", None)


def _form_row(header: list[str]) -> dict[str, str]:
    return {column: _from_widget(column, st.session_state.get(_key(column), ""))
            for column in header}


def _set_fields(row: dict[str, str], columns) -> None:
    """Queue values for the fields; they are applied at the start of the next run."""
    pending = st.session_state.setdefault("ed_pending", {})
    pending.update({column: row.get(column, "") for column in columns})


def _apply_pending(header: list[str]) -> None:
    pending = st.session_state.pop("ed_pending", None) or {}
    for column, value in pending.items():
        if column in header:
            st.session_state[_key(column)] = _to_widget(column, value)


def _pick_changed(store: Store) -> None:
    picked = st.session_state.get("ed_pick")
    try:
        snapshot = store.open_snapshot()
    except DatasetError as error:
        st.session_state["ed_error"] = str(error)
        return
    _load_row(snapshot, None if picked in (None, NEW) else picked)


def _open_from_queue(store: Store, table_key: str, ids: list[str]) -> None:
    rows = (st.session_state.get(table_key) or {}).get("selection", {}).get("rows", [])
    if rows and rows[0] < len(ids):
        st.session_state["ed_pick"] = ids[rows[0]]
        st.session_state["ed_section"] = SECTIONS[0]
        _pick_changed(store)


# --------------------------------------------------------------------------- view


def editor_view(store: Store, *, offline: bool) -> None:
    st.title("Edit the dataset")
    st.markdown(link_html("◂ Back to the map", {}), unsafe_allow_html=True)
    if not editing_allowed():
        return
    st.caption(_where_saves_go(store))
    st.text_input("Your name (recorded in the change log)", key="ed_who", max_chars=80)
    if "ed_snapshot" not in st.session_state:
        try:
            _load_row(store.open_snapshot(), None)
        except DatasetError as error:
            st.error(f"The dataset cannot be edited: {error}")
            return
    error = st.session_state.pop("ed_error", None)
    if error:
        st.error(error)
    section = st.segmented_control("Section", SECTIONS, key="ed_section",
                                   default=SECTIONS[0], label_visibility="collapsed")
    if section == SECTIONS[1]:
        _review_section(store, offline=offline)
    elif section == SECTIONS[2]:
        _log_section(store)
    else:
        _edit_section(store, offline=offline)


def _where_saves_go(store: Store) -> str:
    """Where saves go and what a conflict is, as the store's features say."""
    text = (f"Saves go to `{store.label}`; every save is in the change log "
            f"`{store.log_label}` and can be undone.")
    if store.features.shared:
        text += " Other curators may be editing at the same time: their saves show here "
        text += "within seconds."
    if store.features.conflicts == "row":
        text += " A save is refused only when someone saved the same incident since you opened it."
    return text


def editing_allowed() -> bool:
    """With an operator's token set, the editor opens only once it has been typed."""
    if edit_token() is None or st.session_state.get("ed_unlocked"):
        return True
    with st.form("ed_token_form"):
        given = st.text_input("Edit token", type="password",
                              help="Given by whoever runs this dashboard.")
        if st.form_submit_button("Unlock the editor"):
            if token_matches(given):
                st.session_state["ed_unlocked"] = True
                st.rerun()
            st.error("That is not the edit token.")
    return False


def _edit_section(store: Store, *, offline: bool) -> None:
    if "ed_reload" in st.session_state:
        wanted = st.session_state.pop("ed_reload")
        try:
            fresh = store.open_snapshot()
        except DatasetError as error:
            st.error(f"The dataset cannot be edited: {error}")
            return
        wanted = wanted if wanted in fresh.rows else None
        _load_row(fresh, wanted)
        st.session_state["ed_pick"] = wanted or NEW
    snapshot: editing.Snapshot = st.session_state["ed_snapshot"]
    header = snapshot.header
    _apply_pending(header)
    row_id = st.session_state.get("ed_row_id")
    options = [NEW, *snapshot.ids]
    if st.session_state.get("ed_pick") not in options:
        st.session_state["ed_pick"] = row_id if row_id in options else NEW
    st.selectbox("Incident", options, key="ed_pick", on_change=_pick_changed, args=(store,))
    row = _form_row(header)
    others = [i for i in snapshot.ids if i != row_id]
    problems = editing.row_problems(row, header=header, other_ids=others)

    left, right = st.columns([3, 2], gap="large")
    with left:
        for column in header:
            if column in POINT_COLUMNS:
                continue
            _field(column, row, problems)
        if row_id is None and not row.get("id") and editing.suggest_id(row):
            st.caption(f"Suggested id: `{editing.suggest_id(row)}`")
    with right:
        _point_panel(row, problems, offline=offline, snapshot=snapshot)
    _save_panel(snapshot, row_id, row, problems)


def _field(column: str, row: dict[str, str], problems: dict[str, str]) -> None:
    label = LABELS.get(column, column.replace("_", " ").capitalize())
    key = _key(column)
    if column in CHOICES:
        choices = ["", *CHOICES[column]]
        if st.session_state.get(key) not in choices:
            choices.append(st.session_state.get(key))  # an unknown value stays visible
        described = CHOICE_HELP.get(column, {})
        st.selectbox(label, choices, key=key,
                     format_func=lambda v, d=described: f"{v}: {d[v]}" if v in d else (v or "—"))
    elif column in LONG_TEXT or column == "sources":
        st.text_area(label, key=key, height=90 if column != "sources" else 80)
    elif column == "date":
        precision = row.get("date_precision") or "day"
        st.text_input(label, key=key, placeholder=DATE_FORMATS.get(precision, "empty if undated"),
                      help="At its precision: YYYY-MM-DD, YYYY-MM or YYYY (empty if undated).",
                      live=LIVE)
    else:
        st.text_input(label, key=key, live=LIVE)
    if column == "sources":
        _source_checks(row.get("sources", ""))
    message = problems.get(column)
    if message and not (message.startswith("is empty") and not row.get(column)
                        and st.session_state.get("ed_row_id") is None):
        st.markdown(f":red[{_md(message)}]")


def _source_checks(cell: str) -> None:
    lines = []
    for item in split_sources(cell):
        if is_http_url(item):
            lines.append(f"- :green[link] {_md(item)}")
        elif "://" in item or item.lower().startswith(("javascript:", "data:")):
            lines.append(f"- :red[not an http(s) link] {_md(item)}")
        else:
            lines.append(f"- :gray[document] {_md(item)}")
    if lines:
        st.markdown("\n".join(lines))


def _md(text: str) -> str:
    """Text shown as Markdown literally: every Markdown and HTML character escaped."""
    special = "\\`*_{}[]()#+-.!|<>~:$"
    return "".join(f"\\{ch}" if ch in special else ch for ch in str(text)).replace("\n", " ")


# --------------------------------------------------------------------------- the point


@st.cache_resource(show_spinner=False, max_entries=2)
def _store_sites(label: str, digest: str) -> tuple:
    """The named sites among a store's rows, once per version of the store."""
    return sites_from_rows(page_store().open_snapshot().rows.values())


@st.cache_data(show_spinner=False, max_entries=64)
def _candidates(place: str, country: str, offline: bool, data_path: str, digest: str):
    """The candidates for a place; ``digest`` (the dataset's) renews them after a save,
    which may have added a named site."""
    notices = []
    store = page_store()
    # a store that is not a file: the named sites among its rows
    rows_sites = None if hasattr(store, "path") else _store_sites(store.label, digest)
    try:
        sites = load_sites(dataset=data_path, dataset_sites=rows_sites)
    except SitesFileError as error:
        notices.append(f"{error}; the sites file is left out.")
        sites = load_sites(dataset=data_path, sites_file="", dataset_sites=rows_sites)
    candidates, notice = find_candidates(place, country or None, offline=offline, sites=sites)
    return candidates, " ".join([*notices, *([notice] if notice else [])]) or None


def _row_candidates(row: dict[str, str], *, offline: bool,
                    snapshot: editing.Snapshot) -> list:
    """The candidates for a row's place (a notice about them shown as a warning)."""
    place, country = row.get("place", ""), row.get("country", "")
    if not place:
        return []
    candidates, notice = _candidates(place, country if len(country) == 2 else "", offline,
                                     str(store_path(page_store())), snapshot.digest)
    if notice:
        st.warning(notice)
    return candidates


def _point_panel(row: dict[str, str], problems: dict[str, str], *, offline: bool,
                 snapshot: editing.Snapshot) -> None:
    st.subheader("Location")
    place = row.get("place", "")
    candidates = _row_candidates(row, offline=offline, snapshot=snapshot)
    manual = has_manual_point(row)
    if place and not candidates:
        st.info("No candidate for this place in the offline gazetteer"
                + ("" if offline else " or Nominatim")
                + ". Click the map where it happened.")
    if candidates:
        labels = [_md(c.label()) for c in candidates]  # place names may come from a cell
        choice = st.radio("Candidates", range(len(candidates)), format_func=labels.__getitem__,
                          key="ed_candidate")
        if any(c.source in ("dataset", "sites") for c in candidates):
            st.caption("A named site located before (its row or sites-file line is given): "
                       "using it copies that point and its precision.")
        if any(c.partial for c in candidates):
            st.caption("The site itself is not in the gazetteer: these are the places around "
                       "it. Use one at its own precision, or drag the point to the site.")
        if st.button("Use this candidate", disabled=manual, key="ed_use_candidate"):
            try:
                _set_fields(apply_candidate(row, candidates[choice]), POINT_COLUMNS)
                st.rerun()
            except ManualPoint as error:
                st.error(str(error))
    if manual:
        st.caption("The point was set by hand; candidates never replace it.")
        if st.button("Clear the hand-set point", key="ed_clear_point"):
            _set_fields(clear_point(row), POINT_COLUMNS)
            st.rerun()
    point = _point(row)
    picker = build_picker_map(candidates, point, offline=offline,
                              precision=row.get("geo_precision") or "city", height=340)
    result = st_folium(picker, key="ed_picker", height=340, use_container_width=True,
                       returned_objects=["last_clicked", "last_object_clicked"]) or {}
    _handle_map(result, row, candidates)
    st.caption("Click the map or drag the red point to the exact site: the coordinates "
               "are then set by hand (geocoder manual).")
    for column in POINT_COLUMNS:
        _field(column, row, problems)
    if point_note_missing(row):
        st.warning("Say in Notes where these hand-set coordinates come from "
                   "(e.g. the address in a cited source).")


def _point(row: dict[str, str]) -> tuple[float, float] | None:
    try:
        return float(row["lat"]), float(row["lon"])
    except (KeyError, TypeError, ValueError):
        return None


def _handle_map(result: dict, row: dict[str, str], candidates) -> None:
    clicked = result.get("last_clicked")
    if not clicked:
        return
    seen = st.session_state.get("ed_seen_click")
    position = (round(float(clicked["lat"]), 7), round(float(clicked["lng"]), 7))
    if seen == position:
        return
    st.session_state["ed_seen_click"] = position
    if seen is None and _point(row) is not None and _near(position, _point(row)):
        return
    changed = apply_manual_point(row, *position, precision="site")
    _set_fields(changed, POINT_COLUMNS)
    st.rerun()


def _near(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return abs(a[0] - b[0]) < 1e-6 and abs(a[1] - b[1]) < 1e-6


# --------------------------------------------------------------------------- saving


def _who() -> str:
    return st.session_state.get("ed_who") or editing.ANONYMOUS


def _save_panel(snapshot: editing.Snapshot, row_id: str | None, row: dict[str, str],
                problems: dict[str, str]) -> None:
    st.divider()
    conflict = st.session_state.get("ed_conflict")
    if conflict is not None:
        _merge_panel(conflict, row)
        return
    if problems:
        st.warning(f"{len(problems)} field(s) to fix before saving: "
                   + ", ".join(LABELS.get(c, c) for c in problems))
    label = "Add this incident" if row_id is None else "Save changes"
    unchanged = row_id is not None and editing._clean(snapshot.rows.get(row_id),
                                                      snapshot.header) == row
    if st.button(label, type="primary", disabled=bool(problems) or unchanged, key="ed_save"):
        _save(snapshot, row_id, row)
    message = st.session_state.pop("ed_saved", None)
    if message:
        st.success(message)
    if row_id is not None:
        _delete_panel(snapshot, row_id)


def _delete_panel(snapshot: editing.Snapshot, row_id: str) -> None:
    """Delete the row, after a confirmation; the change log keeps it for undo."""
    if st.session_state.get("ed_confirm_delete") != row_id:
        if st.button("Delete this incident…", key="ed_delete"):
            st.session_state["ed_confirm_delete"] = row_id
            st.rerun()
        return
    st.warning(f"Delete {_md(row_id)} from the dataset? Its row is kept in the change log, "
               "where **Undo** adds it back.")
    confirm, cancel = st.columns(2)
    if confirm.button("Yes, delete it", type="primary", key="ed_delete_confirm"):
        st.session_state.pop("ed_confirm_delete", None)
        try:
            entry = page_store().delete_row(snapshot, row_id, who=_who())
        except editing.Conflict:
            st.session_state["ed_error"] = (
                f"Not deleted: {page_store().label} changed since you opened {row_id} "
                "(someone else saved). It is reloaded: check it and delete again.")
            st.session_state["ed_reload"] = row_id
            st.rerun()
        except (editing.EditError, OSError) as error:
            st.error(str(error))
            return
        st.session_state["ed_reload"] = None
        st.session_state["ed_saved"] = (f"Deleted {row_id} (change {entry.seq} in the log; "
                                        "undo it there).")
        st.rerun()
    if cancel.button("Cancel", key="ed_delete_cancel"):
        st.session_state.pop("ed_confirm_delete", None)
        st.rerun()


def _save(snapshot: editing.Snapshot, row_id: str | None, row: dict[str, str]) -> None:
    try:
        entry = page_store().save_row(snapshot, row_id, row, who=_who())
    except editing.Conflict as conflict:
        st.session_state["ed_conflict"] = {
            "message": str(conflict), "theirs": conflict.theirs, "mine": row,
            "base": st.session_state.get("ed_base"), "snapshot": conflict.snapshot,
            "row_id": row_id,
        }
        st.rerun()
    except (editing.EditError, OSError) as error:
        st.error(str(error))
        return
    st.session_state["ed_reload"] = row["id"]
    st.session_state["ed_saved"] = (f"Saved {row['id']} (change {entry.seq} in the log). "
                                    "It is on the map now.")
    st.rerun()


def _merge_panel(conflict: dict, row: dict[str, str]) -> None:
    st.error(conflict["message"])
    theirs, mine, base = conflict["theirs"], conflict["mine"], conflict["base"]
    merged, clashes = editing.merge_rows(base, mine, theirs)
    columns = [c for c in mine if (theirs or {}).get(c, "") != mine.get(c, "")]
    table = pd.DataFrame({
        "column": columns,
        "as you opened it": [(base or {}).get(c, "") for c in columns],
        "yours": [mine.get(c, "") for c in columns],
        "saved by someone else": [(theirs or {}).get(c, "") for c in columns],
    })
    st.markdown("**Both versions** (only the columns that differ):")
    st.dataframe(table, hide_index=True, width="stretch")
    if theirs is None:
        st.caption("Their version has no incident with this id: yours is added as it is.")
    for column in clashes:
        keep = st.radio(f"Both changed {LABELS.get(column, column)}: keep", ("yours", "theirs"),
                        key=f"ed_merge_{column}", horizontal=True)
        if keep == "theirs":
            merged[column] = theirs.get(column, "")
    save, cancel = st.columns(2)
    if save.button("Save the merged version", type="primary", key="ed_save_merged"):
        snapshot = conflict["snapshot"]
        row_id = conflict["row_id"]
        target = row_id if row_id in snapshot.rows else None
        st.session_state.pop("ed_conflict", None)
        _save(snapshot, target, merged)
    if cancel.button("Discard mine, reload theirs", key="ed_discard"):
        st.session_state.pop("ed_conflict", None)
        st.session_state["ed_reload"] = conflict["row_id"]
        st.rerun()


# --------------------------------------------------------------------------- review and log


def _review_section(store: Store, *, offline: bool) -> None:
    fixed = st.session_state.pop("ed_fixed", None)
    if fixed:
        st.success(fixed)
    snapshot = store.open_snapshot()
    frame = pd.DataFrame(list(snapshot.rows.values()), columns=snapshot.header, dtype=str)
    ambiguous = store.review_findings(snapshot.digest)
    queue = review_queue(frame, extra=ambiguous)
    _freshness_table(store, frame)
    if ambiguous is None and st.button(
            "Also check the gazetteer's answers for ambiguous places", key="ed_check_ambiguous",
            help=f"Looks up the place of up to {MAX_AMBIGUITY_ROWS:,} rows placed by the "
                 "gazetteer and lists those with a namesake elsewhere."):
        with st.spinner("Asking the gazetteer..."):
            found = ambiguous_rows(snapshot.rows.values())
        store.save_review_findings(snapshot.digest, found)
        st.rerun()
    if ambiguous is not None:
        st.caption(f"Gazetteer answers checked: {len(ambiguous)} ambiguous.")
    if queue.empty:
        st.success("Nothing to review: every row has coordinates at the precision its "
                   "place allows.")
        return
    st.markdown(f"**{len(queue)} incident(s) need a person.** Select one to open it in the "
                "editor, or fix it in place below.")
    ids = queue["id"].tolist()
    table_key = f"ed_queue_{abs(hash(tuple(ids))):x}"
    st.dataframe(queue, key=table_key, on_select=lambda: _open_from_queue(
        store, table_key, ids), selection_mode="single-row", hide_index=True,
        width="stretch")
    _fix_in_place(store, snapshot, queue, offline=offline)


def _freshness_table(store: Store, frame: pd.DataFrame) -> None:
    """The rows whose sources are due for a fresh look (``incident-map review``): checked
    over a year ago, one source, attribution unknown though a verdict followed, a dead link
    (as the last ``sources check`` of a CSV store's catalogue found it)."""
    data_path = getattr(store, "path", None)
    try:
        catalogue = load_catalogue(catalogue_path(data_path)) if data_path else {}
    except CatalogueError:
        catalogue = {}
    status = {url: info.status for url, info in catalogue.items() if info.status}
    fresh = freshness_queue(frame, link_status=status)
    if fresh.empty:
        st.caption("Sources: every row was checked within a year, has more than one source "
                   "and no dead link.")
        return
    with st.expander(f"{len(fresh)} incident(s) due for a fresh look at their sources"):
        st.dataframe(fresh[["id", "reasons", "checked", "title"]], hide_index=True,
                     width="stretch", key="ed_freshness")


def _open_in_editor(store: Store, row_id: str) -> None:
    st.session_state["ed_pick"] = row_id
    st.session_state["ed_section"] = SECTIONS[0]
    _pick_changed(store)


def _fix_in_place(store: Store, snapshot: editing.Snapshot, queue: pd.DataFrame, *,
                  offline: bool) -> None:
    """One row of the queue fixed where it is: a candidate for its place, or marked
    checked, saved at once (the full editor is one click away)."""
    reasons = dict(zip(queue["id"], queue["reasons"], strict=True))
    ids = [row_id for row_id in queue["id"] if row_id in snapshot.rows]
    if st.session_state.get("ed_fix_pick") not in ids:
        st.session_state["ed_fix_pick"] = None  # fixed, or gone: nothing chosen
    chosen = st.selectbox("Fix in place", ids, index=None, key="ed_fix_pick",
                          placeholder="Choose an incident of the queue",
                          format_func=lambda i: f"{i}: {reasons.get(i, '')}")
    if not chosen:
        return
    row = snapshot.rows[chosen]
    point = (f"{row.get('lat')}, {row.get('lon')}" if row.get("lat") else "no coordinates")
    st.markdown(f"**{_md(row.get('title', ''))}** ({_md(row.get('place', ''))}): "
                f"{_md(point)}, {_md(row.get('geo_precision') or '?')} precision, "
                f"from {_md(row.get('geocoder') or 'nowhere')}.  \n"
                f":orange[{_md(reasons.get(chosen, ''))}]")
    candidates = _row_candidates(row, offline=offline, snapshot=snapshot)
    manual = has_manual_point(row)
    if candidates and not manual:
        labels = [_md(c.label()) for c in candidates]
        choice = st.radio("Candidates for its place", range(len(candidates)),
                          format_func=labels.__getitem__, key=f"ed_fix_candidate_{chosen}")
        if st.button("Use this candidate and save", key="ed_fix_use"):
            _save_fix(snapshot, chosen, apply_candidate(row, candidates[choice]))
    elif manual:
        st.caption("Its point was set by hand: change it in the editor (the map there).")
    if "checked" in snapshot.header and st.button("Mark as checked today and save",
                                                  key="ed_fix_checked"):
        _save_fix(snapshot, chosen, dict(row, checked=date.today().isoformat()))
    st.button("Open in the editor", key="ed_fix_open", on_click=_open_in_editor,
              args=(store, chosen))


def _save_fix(snapshot: editing.Snapshot, row_id: str, row: dict[str, str]) -> None:
    try:
        entry = page_store().save_row(snapshot, row_id, row, who=_who())
    except editing.Conflict:
        st.error(f"Not saved: {page_store().label} changed since this page read it "
                 "(someone else saved). The queue is read again: try once more.")
        return
    except (editing.EditError, OSError) as error:
        st.error(str(error))
        return
    left = not review_queue(pd.DataFrame([row], dtype=str)).shape[0]
    st.session_state["ed_fixed"] = (
        f"Saved {row_id} (change {entry.seq} in the log)"
        + (": it has left the queue." if left else "; it still needs a person."))
    st.rerun()


def _changed_summary(entry: editing.ChangeEntry) -> str:
    if entry.before is None:
        return "(a new row)"
    if entry.after is None:
        return "(row removed)"
    return ", ".join(entry.changed_columns())


def _log_section(store: Store) -> None:
    undone = st.session_state.pop("ed_undone", None)
    if undone:
        st.success(undone)
    entries = store.read_log()
    if not entries:
        st.info("No saves yet.")
        return
    newest = list(reversed(entries))
    undone_by = {e.undoes: e.seq for e in entries if e.undoes is not None}
    table = pd.DataFrame({
        "change": [e.seq for e in newest], "when (UTC)": [e.at for e in newest],
        "who": [e.who for e in newest], "action": [e.action for e in newest],
        "incident": [e.id for e in newest],
        "columns": [_changed_summary(e) for e in newest],
        "undone by": [str(undone_by.get(e.seq, "")) for e in newest],
    })
    st.dataframe(table, hide_index=True, width="stretch")
    by_seq = {e.seq: e for e in entries}  # numbers from a database may have gaps
    seq = st.selectbox("Change", [e.seq for e in newest], key="ed_log_pick",
                       format_func=lambda s: f"{s}: {by_seq[s].action} {by_seq[s].id}"
                       if s in by_seq else str(s))
    entry = by_seq.get(seq, newest[0])
    columns = entry.changed_columns()
    st.dataframe(pd.DataFrame({
        "column": columns,
        "before": [(entry.before or {}).get(c, "") for c in columns],
        "after": [(entry.after or {}).get(c, "") for c in columns],
    }), hide_index=True, width="stretch")
    if st.button(f"Undo change {seq}", key="ed_undo"):
        try:
            done = store.undo(store.open_snapshot(), entry, who=_who())
        except (editing.EditError, OSError) as error:
            st.error(str(error))
            return
        st.session_state["ed_reload"] = None
        st.session_state["ed_undone"] = f"Undone: change {seq} (recorded as change {done.seq})."
        st.rerun()
