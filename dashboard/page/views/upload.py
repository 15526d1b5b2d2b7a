"""'Load your data' in the sidebar: upload a file, check its format, mapping and problems,
geocode what has no coordinates, show it on the map and save it as a dataset.

What the file lacks, the page supplies: a country for every row (the country box), one
value for any field, the order of numeric dates, coordinates kept as written; the mapping
can be remembered for files of the same columns and downloaded for ``incident-map import
--map``. Every guess is listed under the summary; a file that keeps less than 90% of its
rows shows the commonest reasons and is shown or saved only once the user keeps the rows
that converted.

Reading and converting run in a worker process under the upload limits
(``dashboard.data.importers.isolated``): a file that passes one is stopped there and the
page shows the limit's one line. Geocoding is ``dashboard.geocoding.frames``. Each result
is kept in the session (and freed with it), by the uploaded file and the mapping, so moving
a filter after a large upload does not convert it again. The dataset shown on the map is
prepared once per version (file, format, mapping, geocoding) and the CSV files to download
are written only when their button is pressed, so a rerun after a large upload costs no
more than one with the curated dataset.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pycountry
import streamlit as st

from dashboard.base import notices
from dashboard.data.countries import EXTRA_COUNTRIES, country_name
from dashboard.data.filters import Filters, year_span
from dashboard.data.importers import FIELDS, MIN_KEPT_SHARE, NAMES, Mapping, check_values
from dashboard.data.importers.dates import ORDERS
from dashboard.data.importers.isolated import Reading, read_upload
from dashboard.data.importers.remembered import MappingStore
from dashboard.data.importers.table import guess_notes
from dashboard.data.loading import prepare
from dashboard.data.schema import DatasetError
from dashboard.data.spreadsheet import neutralise_frame
from dashboard.page import state as page_state

UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "xls", "ods", "geojson", "json", "kml", "kmz",
                "gpkg", "zip", "gpx", "fgb"]
FORMATS = {"auto": "Detect", "acled": "ACLED", "gtd": "GTD", "ucdp": "UCDP GED",
           "csv": "Any table (column mapping)"}
NOT_MAPPED = "(none)"
FROM_FILE = "(from the file)"
DECIDED = "decided from the values"
#: Fields the page offers one value for every row (the country has its own box).
VALUE_FIELDS = ("date", "sources", "event_type", "attribution", "perpetrator")
#: Problems listed on the page (all of them are in the downloadable report).
PROBLEMS_SHOWN = 1_000


#: Session key of the readings of the file now uploaded: {(source, mapping): Reading}.
READINGS = "up_readings"
#: Conversions of one file a session keeps (each mapping tried is one).
KEPT_READINGS = 3
#: Session key of the server's refusals of this session's uploads (shown until a file loads).
REFUSED = "up_refused"


def _refused_uploads() -> list[str]:
    """Why the server refused this session's latest uploads (their size passed a limit:
    ``dashboard.server.uploads`` posts the line and asks the page to run again); shown
    until another file is loaded."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    current = st.session_state.get("up_file")
    file_id = getattr(current, "file_id", None)
    context = get_script_run_ctx()
    if context is not None:
        fresh = notices.take(context.session_id)
        if fresh:  # each refused file posts its line: the same line is shown once
            st.session_state[REFUSED] = (file_id, list(dict.fromkeys(fresh)))
    stored = st.session_state.get(REFUSED)
    if stored is None or stored[0] != file_id:  # a file loaded since
        st.session_state.pop(REFUSED, None)
        return []
    return stored[1]


def _reading(upload, source: str | None, mapping: Mapping | None) -> Reading:
    """The file read and converted (in the worker, under the limits), once per file, format
    and mapping in this session; DatasetError (a limit passed, a file not readable)."""
    file_key = (upload.file_id, upload.size, upload.name)
    stored = st.session_state.get(READINGS)
    if stored is None or stored[0] != file_key:  # another file: forget the last one's
        stored = (file_key, {})
        st.session_state[READINGS] = stored
    readings = stored[1]
    key = (source, (mapping or Mapping()).key())
    if key not in readings:
        with st.spinner("Reading the file..."):
            reading = read_upload(upload.getvalue(), upload.name, source, mapping)
        while len(readings) >= KEPT_READINGS:  # a session holds a few conversions at most
            readings.pop(next(iter(readings)))
        readings[key] = reading
        if mapping is None and reading.source == "table":  # converted through the guessed
            # mapping: also the answer when the select boxes send that mapping
            guessed = (source, Mapping(_as_chosen(reading)).key())
            readings.setdefault(guessed, reading)
    return readings[key]


def _as_chosen(reading: Reading) -> dict[str, str]:
    """The mapping the page's select boxes show before anyone changes them."""
    return {field: column for field, column in reading.guessed.items() if field in FIELDS}


def upload_view(incidents: pd.DataFrame, data_path: Path) -> tuple[pd.DataFrame, Path]:
    """The sidebar section; returns the dataset and file name the page shows."""
    shown = incidents, data_path
    refused = _refused_uploads()
    expanded = st.session_state.get("up_file") is not None or bool(refused)
    with st.sidebar.expander("Load your data", expanded=expanded):
        upload = st.file_uploader(
            "CSV, Excel or GeoJSON: ACLED, GTD, UCDP GED or any table", type=UPLOAD_TYPES,
            key="up_file", on_change=_dataset_changed)
        for line in refused:  # the server refused a file before the page saw it
            st.error(line)
        if upload is None:
            return _shown(shown)
        name = upload.name
        choice = st.session_state.get("up_format", "auto")
        source = None if choice == "auto" else choice
        try:
            first = _reading(upload, source, None)
        except DatasetError as error:  # a limit passed, or not a file we read
            st.error(str(error))
            return _shown(shown)
        detected = first.detected
        st.caption(f"Detected: **{NAMES[detected]}** · {first.kind.upper()} · "
                   f"{first.encoding} · {first.rows_read:,} rows")
        choice = st.selectbox("Format", list(FORMATS), format_func=FORMATS.get, key="up_format")
        mapping, guessed = Mapping(), []
        mapped = choice == "csv" or (choice == "auto" and detected == "table")
        if mapped:
            mapping, guessed = _mapping_editor(first)
        try:
            reading = _reading(upload, source, mapping) if mapping else first
        except DatasetError as error:
            st.error(str(error))
            return _shown(shown)
        if reading.incidents is None:
            if reading.missing:  # the page's own controls, not the command line's options
                st.error(f"No {' or '.join(reading.missing)} column was found: choose its "
                         "column above, or give one value for every row (the country box, "
                         "or the values below it).")
            else:
                st.error(reading.error)
            return _shown(shown)
        converted, problems = reading.incidents, reading.problems
        st.markdown(f"**{reading.summary}**")
        shown_notices = guessed + [n for n in reading.notices if n not in guessed]
        if shown_notices:
            st.caption("What was guessed or noticed (change it above):")
            st.code("\n".join(f"- {notice}" for notice in shown_notices), language=None,
                    wrap_lines=True)
        if mapped and reading.mapping is not None:
            _remember(first.columns, reading.mapping, name)
        if len(problems):
            st.caption(f"{len(problems):,} problem(s), by row and column:")
            lines = [f"row {row}, column {column}: {message}"
                     for row, column, message in problems.head(PROBLEMS_SHOWN).itertuples(
                         index=False)]
            if len(problems) > PROBLEMS_SHOWN:
                lines.append(f"... and {len(problems) - PROBLEMS_SHOWN:,} more in the report")
            st.code("\n".join(lines), language=None, wrap_lines=True,
                    height=240 if len(lines) > 3 else "content")
            st.download_button(
                "All problems (CSV)", key="up_problems",
                data=lambda: problems.to_csv(index=False).encode("utf-8"),
                file_name=f"{Path(name).stem}-problems.csv", mime="text/csv")
        if converted.empty:
            st.error("Nothing to show: every row was refused (see the problems above).")
            return _shown(shown)
        if reading.kept_share < MIN_KEPT_SHARE:
            reasons = "; ".join(f"{reason} ({count:,} row{'' if count == 1 else 's'})"
                                for reason, count in reading.reasons)
            st.warning(f"Only {reading.kept_share:.0%} of the file's rows converted. The "
                       f"commonest reasons: {reasons}. Correct the mapping or the values "
                       "above, or keep the rows that converted.")
            if not st.checkbox(f"Keep the {len(converted):,} incidents that converted",
                               key="up_partial"):
                return _shown(shown)
        converted = _geocode_section(converted, upload.file_id)
        st.download_button(
            "Save as dataset (CSV)", type="secondary", key="up_save",
            data=lambda: neutralise_frame(converted).to_csv(index=False).encode("utf-8"),
            file_name=f"{Path(name).stem}-dataset.csv", mime="text/csv")
        if st.toggle("Show on the map", key="up_show", on_change=_dataset_changed):
            version = _version(upload.file_id, source, mapping,
                               st.session_state.get("up_geocoded"))
            try:
                shown = _prepared(converted, name, version), Path(name)
            except DatasetError as error:  # pragma: no cover - converted rows validate
                st.error(str(error))
    return _shown(shown)


def _version(file_id: str, source: str | None, mapping: Mapping, geocoded) -> str:
    """What the shown dataset is made of: the uploaded file (each upload has its own id),
    the format, the mapping and whether it was geocoded."""
    import hashlib

    made_of = repr((file_id, source, mapping.key(), geocoded is not None))
    return hashlib.blake2b(made_of.encode(), digest_size=16).hexdigest()


def _prepared(converted: pd.DataFrame, name: str, version: str) -> pd.DataFrame:
    """The converted rows prepared for the page, once per version and session.

    ``attrs["version"]`` tells the map which browser payload is this dataset's (an
    uploaded file has no path or modification time to tell versions apart).
    """
    stored = st.session_state.get("up_prepared")
    if stored is not None and stored[0] == version:
        return stored[1]
    # The importers keep only rows validate_frame accepts; geocoding fills coordinates.
    dataset = prepare(converted, name=name, validated=True)
    dataset.attrs["version"] = version
    st.session_state["up_prepared"] = (version, dataset)
    return dataset


def _country_options() -> list[str]:
    codes = {country.alpha_2 for country in pycountry.countries} | set(EXTRA_COUNTRIES)
    return [FROM_FILE, *sorted(codes, key=country_name)]


def _mapping_editor(first: Reading) -> tuple[Mapping, list[str]]:
    """A select box per field (set to the mapping remembered for these columns, else the
    guess), a country for every row, values for what the file lacks, the order of numeric
    dates; and the reasons of the guesses still chosen."""
    columns = first.columns
    try:
        remembered = MappingStore().get(columns)
    except OSError:
        remembered = None
    if remembered is not None:
        st.caption("The mapping remembered for files with these columns:")
        defaults, values = remembered.columns, remembered.values
    else:
        st.caption("Column mapping (a date and a country are needed):")
        defaults, values = _as_chosen(first), {}
    options = [NOT_MAPPED, *columns]
    chosen: dict[str, str] = {}
    left, right = st.columns(2)
    for number, field in enumerate(FIELDS):
        default = defaults.get(field, NOT_MAPPED)
        with left if number % 2 == 0 else right:
            column = st.selectbox(field, options, index=options.index(default),
                                  key=f"up_map_{field}")
        if column != NOT_MAPPED:
            chosen[field] = column
    countries = _country_options()
    wanted = values.get("country", FROM_FILE)
    country = st.selectbox(
        "Every row is in (for a file without a country column, or its empty cells)",
        countries, index=countries.index(wanted) if wanted in countries else 0,
        format_func=lambda c: c if c == FROM_FILE else f"{country_name(c)} ({c})",
        key="up_country")
    orders = [DECIDED, *ORDERS]
    order = remembered.date_order if remembered is not None else None
    date_order = st.selectbox("Dates such as 04/05/2016 are", orders,
                              index=orders.index(order) if order in orders else 0,
                              key="up_date_order")
    as_written = st.checkbox("Keep coordinates as written (latitude and longitude that look "
                             "swapped are not swapped back)", value=bool(
                                 remembered and remembered.as_written), key="up_as_written")
    given = {"country": country} if country != FROM_FILE else {}
    with st.expander("One value for every row (what the file lacks)",
                     expanded=any(values.get(f) for f in VALUE_FIELDS)):
        for field in VALUE_FIELDS:
            text = st.text_input(field, value=values.get(field, ""), max_chars=500,
                                 key=f"up_value_{field}").strip()
            if text:
                given[field] = text
    try:
        checked = check_values(given, "value")
    except DatasetError as error:
        st.error(str(error))
        checked = {k: v for k, v in given.items() if k == "country"}
    reasons = guess_notes({field: first.guess_reasons[field] for field in FIELDS
                           if field in first.guess_reasons
                           and chosen.get(field) == first.guessed.get(field)}, chosen)
    return Mapping(chosen, checked, None if date_order == DECIDED else date_order,
                   as_written), reasons


def _remember(columns: list[str], mapping: dict, name: str) -> None:
    """"Remember this mapping" for files of the same columns, and the mapping as a file."""
    if st.checkbox("Remember this mapping", key="up_remember",
                   help="Used again for any file with the same columns"):
        chosen = Mapping(mapping.get("columns", {}), mapping.get("values", {}),
                         mapping.get("date_order"), mapping.get("coordinates") == "as written")
        store = MappingStore()
        try:
            if store.get(columns) != chosen:
                store.put(columns, chosen)
        except OSError as error:
            st.error(f"The mapping could not be remembered: {error.strerror or error}")
    st.download_button(
        "Mapping (JSON)", key="up_mapping_file",
        data=json.dumps(mapping, indent=2, ensure_ascii=False).encode("utf-8"),
        file_name=f"{Path(name).stem}-mapping.json", mime="application/json")


def _geocode_section(converted: pd.DataFrame, file_id: str) -> pd.DataFrame:
    """A button that fills missing coordinates from the offline gazetteer, with progress."""
    token = (file_id, len(converted), tuple(converted["id"].head(3)))
    stored = st.session_state.get("up_geocoded")
    if stored is not None and stored[0] == token:
        st.caption(stored[2])
        return stored[1]
    missing = int((converted["lat"] == "").sum())
    if not missing:
        return converted
    if st.button(f"Geocode {missing:,} row(s) without coordinates (offline gazetteer)",
                 key="up_geocode"):
        from dashboard.geocoding.frames import geocode_frame
        from dashboard.geocoding.pipeline import Resolver

        bar = st.progress(0.0, text="Geocoding...")

        def progress(done: int, total: int) -> None:
            if done == total or done % 25 == 0:
                bar.progress(done / total, text=f"Geocoding: {done:,} of {total:,} places")

        located, summary = geocode_frame(converted, Resolver(offline=True), progress)
        bar.empty()
        st.session_state["up_geocoded"] = (token, located, summary.describe())
        st.caption(summary.describe())
        return located
    return converted


def _dataset_changed() -> None:
    st.session_state["up_reset"] = True


def _shown(shown: tuple[pd.DataFrame, Path]) -> tuple[pd.DataFrame, Path]:
    """After the shown dataset changed, filters start again from 'everything'."""
    if st.session_state.pop("up_reset", False):
        span = year_span(shown[0])
        for name, value in page_state.widget_values(Filters(), span=span).items():
            st.session_state[f"f_{name}"] = value
        st.session_state["im_incident"] = None
    return shown
