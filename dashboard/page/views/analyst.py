"""The analyst view: filters in the sidebar, headline numbers, map, timeline and table."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.base.settings import edit_enabled
from dashboard.data.filters import (
    MAX_QUERY_LENGTH,
    Filters,
    describe,
    months_words,
)
from dashboard.data.loading import data_as_of
from dashboard.data.schema import ATTRIBUTIONS, EVENT_TYPES
from dashboard.page import state as page_state
from dashboard.page.briefing import card_html
from dashboard.page.timeline import (
    build_timeline,
    compact_datasets,
    time_unit,
    timeline_spec,
    year_only,
)
from dashboard.page.views.common import (
    MAP_HEIGHT,
    current_filters,
    dataset_query,
    frame_script,
    link_html,
    map_view_params,
    show_map,
    show_notices,
    sync_url,
    widget_state,
)
from dashboard.page.views.downloads import render_deck_downloads, render_downloads

#: The table shows at most this many rows (all of them go to the map and the exports);
#: each row costs about 150 bytes per rerun in the browser update, so a filter change on a
#: large dataset stays small.
TABLE_ROWS = 100

ANALYST_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
.im-card { font-size: 1rem; line-height: 1.45; }
.im-card .im-card-title { font-size: 1.35rem; overflow-wrap: anywhere; }
.im-card li { overflow-wrap: anywhere; }
/* Streamlit's caption grey is below 4.5:1 on white in places; keep small text legible. */
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {
    color: #555 !important; opacity: 1 !important; }
/* On a phone the four headline numbers sit two by two, so the map starts on the screen. */
@media (max-width: 640px) {
  .st-key-im-headline [data-testid="stHorizontalBlock"] { flex-flow: row wrap; gap: .5rem; }
  .st-key-im-headline [data-testid="stColumn"] {
      flex: 1 1 calc(50% - .5rem) !important; min-width: calc(50% - .5rem) !important; }
  .st-key-im-headline [data-testid="stMetricValue"] { font-size: 1.75rem; }
}
</style>
"""



def _reset_filters(span: tuple[int, int]) -> None:
    for name, value in page_state.widget_values(Filters(), span=span).items():
        st.session_state[f"f_{name}"] = value
    st.session_state["im_incident"] = None


def _toggle_assessments() -> None:
    types = st.session_state.get("f_types") or []
    st.session_state["f_types"] = page_state.set_assessments(types, st.session_state["f_assess"])


def _select_span(span: tuple[int, int], monthly: bool) -> None:
    """A span dragged across the timeline becomes the years filter, or on the monthly chart
    the month span (and the years slider its years)."""
    choice = page_state.timeline_choice(st.session_state.get("timeline"), monthly=monthly,
                                        span=span)
    if choice is not None:
        st.session_state["f_years"], st.session_state["f_months"] = choice


def _clear_months() -> None:
    st.session_state["f_months"] = None


def _select_row(table_key: str, ids: list[str]) -> None:
    st.session_state["im_incident"] = page_state.incident_from_selection(
        st.session_state.get(table_key), ids
    )



@st.cache_resource(show_spinner=False, max_entries=4)
def _countries(rows: int, frame_id: int, _incidents: pd.DataFrame) -> tuple[str, ...]:
    """The dataset's country codes (once per loaded dataset, not on every rerun)."""
    return tuple(str(code) for code in _incidents["country"].unique())


def sidebar_filters(incidents: pd.DataFrame | None, span: tuple[int, int], *,
                    countries: tuple[str, ...] | None = None) -> None:
    """The filters in the sidebar; ``countries`` (the dataset's codes) stands in for
    ``incidents`` when the rows are in an engine."""
    # select_all=False: typing "Killing" and Enter chooses Killing, never "Select 2 matches"
    # (Killing and Attempted killing).
    with st.sidebar:
        st.header("Filters")
        if span[0] < span[1]:
            # Moving the years drops a month span: the slider then says what is shown.
            st.slider("Years", min_value=span[0], max_value=span[1], step=1, key="f_years",
                      on_change=_clear_months)
        else:
            st.caption(f"All incidents are from {span[0]}.")
        months = st.session_state.get("f_months")
        if months:
            with st.container(border=True, key="im-months"):
                st.markdown(f"**Months:** {page_state.plain(months_words(tuple(months)))}")
                st.button("Clear months", key="clear_months", on_click=_clear_months,
                          icon=":material/close:", width="stretch",
                          help="Show the whole of the years again (moving the Years slider "
                               "clears the months too).")
        options = page_state.country_options(
            countries if countries is not None
            else _countries(len(incidents), id(incidents), incidents),
            st.session_state.get("f_countries") or ()
        )
        st.multiselect(
            "Countries", options, key="f_countries", format_func=page_state.country_label,
            placeholder="All countries", select_all=False,
        )
        st.multiselect(
            "Event types", list(EVENT_TYPES), key="f_types", format_func=EVENT_TYPES.get,
            placeholder="All event types", select_all=False,
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
            select_all=False,
            help="; ".join(f"{key}: {label}" for key, label in ATTRIBUTIONS.items()),
        )
        st.text_input(
            "Search", key="f_query", placeholder="Title, summary, place or people",
            max_chars=MAX_QUERY_LENGTH,
        )
        st.button("Reset filters", key="reset", on_click=_reset_filters, args=(span,),
                  width="stretch")


def headline_metrics(totals: dict[str, int]) -> None:
    """The four numbers above the map (from the query engine's totals)."""
    numbers = {key: f"{value:,}" for key, value in totals.items()}
    columns = st.container(key="im-headline").columns(4)
    columns[0].metric("Incidents", numbers["incidents"])
    columns[1].metric("Fatalities", numbers["fatalities"])
    columns[2].metric("People expelled", numbers["expelled"],
                      help="Persons in diplomatic expulsions, where the number was published.")
    columns[3].metric("Countries", numbers["countries"])



def table_page(count: int) -> int:
    """The table page chosen (1-based) for ``count`` rows: a page box when there is more
    than one page."""
    pages = page_state.table_pages(count, TABLE_ROWS)
    if pages <= 1:
        return 1
    # Narrower filters leave fewer pages: never keep a page number beyond the last one.
    if st.session_state.get("table_page", 1) > pages:
        st.session_state["table_page"] = pages
    return int(st.number_input(f"Table page (of {pages:,})", min_value=1, max_value=pages,
                               step=1, key="table_page"))


def incident_table(incidents: pd.DataFrame, positions, focus: int | None) -> None:
    """A page of the rows at ``positions`` (and the focused row ``focus``); only those rows
    are taken from the dataset."""
    count = len(positions)
    page = table_page(count)
    rows = incidents.iloc[page_state.table_positions(positions, focus, limit=TABLE_ROWS,
                                                     page=page - 1)]
    focus_id = None if focus is None else str(incidents["id"].iloc[focus])
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
    if len(rows) < count:
        first = (page - 1) * TABLE_ROWS + 1
        st.caption(f"Showing {len(rows):,} of {count:,} incidents in date order "
                   f"(from number {first:,}); choose another page, narrow the filters, or "
                   "export the CSV for all of them. "
                   "Select a row to show that incident on the map.")
    else:
        st.caption("Select a row to show that incident on the map.")



#: Seconds from a map-first view (see analyst_view) to the rest of the page.
MAP_FIRST_SECONDS = 1.5


@st.fragment(run_every=MAP_FIRST_SECONDS)
def _complete_page() -> None:
    """Runs once with the map-first view, then once more MAP_FIRST_SECONDS later (a timer in
    the browser), when it runs the whole page again, this time with everything."""
    if st.session_state.pop("im_map_first_armed", False):
        st.rerun()
    st.session_state["im_map_first_armed"] = True


def analyst_view(incidents: pd.DataFrame, span, *, offline: bool, data_path: Path,
                 map_first: bool = False) -> None:
    """The analyst's page. ``map_first``: only the headline and the map (and a note in the
    sidebar), with the rest of the page following MAP_FIRST_SECONDS later."""
    st.html(ANALYST_CSS)
    if map_first:
        st.sidebar.caption("Loading the filters…")
    else:
        sidebar_filters(incidents, span)
    filters = current_filters(span)
    # The engine answers from arrays and keeps its last answers; the rows themselves are
    # taken from the dataset only where they are shown (a table page, the exports).
    query = dataset_query(incidents, data_path)
    positions = query.positions(filters)
    totals = query.totals(filters)
    filtered = page_state.RowsAt(incidents, positions)
    filters_changed = widget_state() != st.session_state.get("im_initial_values")
    incident = st.session_state.get("im_incident")
    focus = page_state.position_in(incidents, positions, incident) if incident else None
    focus_id = incident if focus is not None else None
    params = page_state.page_params(filters, span=span, incident=incident)
    map_params, map_at, map_layers, drawn_layers = map_view_params(filters)
    params.update(map_params)
    sync_url(params)

    title, link = st.columns([4, 1], vertical_alignment="bottom")
    title.title("Incident Map")
    as_of = data_as_of(incidents)
    as_of_text = f" · data as of {as_of:%-d %b %Y}" if as_of else ""
    title.caption(page_state.plain(f"{describe(filters)} · {data_path.name}{as_of_text}"))
    links = [link_html("Present as briefing ▸", {**params, "view": "briefing"})]
    if edit_enabled():
        links.append(link_html("Edit the dataset ▸", {"view": "edit"}))
    link.markdown(" · ".join(links), unsafe_allow_html=True)
    show_notices(filters_changed)
    headline_metrics(totals)
    if not len(positions):
        st.info("No incidents match these filters. Widen the years, clear a filter, "
                "or press **Reset filters** in the sidebar.")
    elif incident and focus_id is None:
        st.info("The incident in the link is hidden by the current filters.")
    show_map(filtered, positions=positions, offline=offline, focus_id=focus_id,
             height=MAP_HEIGHT, key="map",
             center=(map_at.lat, map_at.lon) if map_at else None,
             zoom=map_at.zoom if map_at else None, layers=drawn_layers,
             dataset=incidents, data_path=data_path)
    frame_script("view_report.js")  # pan, zoom and layers into the URL
    if map_first:
        _complete_page()
        return
    if focus is not None:
        row = incidents.iloc[focus]
        with st.container(border=True):
            st.html(card_html(row.to_dict(), heading_level=3))
    if len(positions):
        # The chosen years, or (no year filter) the years the filtered incidents cover.
        counts = query.yearly_counts(filters)
        chart_years = filters.years or (
            (int(counts["year"].min()), int(counts["year"].max())) if len(counts) else None)
        monthly = time_unit(chart_years) == "month"
        st.subheader("Incidents per month" if monthly else "Incidents per year")
        if monthly:  # a short span: counted per month from its rows
            rows = incidents.iloc[positions]
            spec = build_timeline(rows, years=chart_years).to_dict()
        else:  # the chart's spec is made once per distinct counts
            spec = timeline_spec(counts, years=chart_years)
        st.vega_lite_chart(compact_datasets(spec), width="stretch", key="timeline",
                           on_select=functools.partial(_select_span, span, monthly),
                           selection_mode="span")
        left_out = year_only(rows) if monthly else 0
        st.caption(("Drag across the bars to show those months only." if monthly else
                    "Drag across the bars to show those years only.")
                   + (f" {left_out:,} incident{'s' if left_out != 1 else ''} known only to "
                      "the year are not in the monthly bars." if left_out else ""))
        st.subheader(f"{len(positions):,} incidents" if len(positions) != 1 else "1 incident")
        incident_table(incidents, positions, focus)
    render_downloads(filtered, filters, focus_id=focus_id, offline=offline, data_path=data_path,
                     at=(map_at.lat, map_at.lon, map_at.zoom) if map_at else None,
                     layers=map_layers)
    render_deck_downloads(incidents, filtered, filters, offline=offline, data_path=data_path)
    if edit_enabled():
        from dashboard.page.views.briefing_editor import briefing_editor

        briefing_editor(incidents, filters, focus_id=focus_id,
                        at=(map_at.lat, map_at.lon, map_at.zoom) if map_at else None)
