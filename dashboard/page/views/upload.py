"""'Load your data' in the sidebar: upload a file, check its format, mapping and problems,
geocode what has no coordinates, show it on the map and save it as a dataset.

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

from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.base import notices
from dashboard.data.filters import Filters, year_span
from dashboard.data.importers import FIELDS, NAMES
from dashboard.data.importers.isolated import Reading, read_upload
from dashboard.data.loading import prepare
from dashboard.data.schema import DatasetError
from dashboard.data.spreadsheet import neutralise_frame
from dashboard.page import state as page_state

UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "geojson", "json"]
FORMATS = {"auto": "Detect", "acled": "ACLED", "gtd": "GTD", "ucdp": "UCDP GED",
           "csv": "Any table (column mapping)"}
NOT_MAPPED = "(none)"
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
        if fresh:
            st.session_state[REFUSED] = (file_id, fresh)
    stored = st.session_state.get(REFUSED)
    if stored is None or stored[0] != file_id:  # a file loaded since
        st.session_state.pop(REFUSED, None)
        return []
    return stored[1]


def _reading(upload, source: str | None, mapping: dict[str, str] | None) -> Reading:
    """The file read and converted (in the worker, under the limits), once per file, format
    and mapping in this session; DatasetError (a limit passed, a file not readable)."""
    file_key = (upload.file_id, upload.size, upload.name)
    stored = st.session_state.get(READINGS)
    if stored is None or stored[0] != file_key:  # another file: forget the last one's
        stored = (file_key, {})
        st.session_state[READINGS] = stored
    readings = stored[1]
    key = (source, tuple(sorted((mapping or {}).items())))
    if key not in readings:
        with st.spinner("Reading the file..."):
            reading = read_upload(upload.getvalue(), upload.name, source, mapping)
        while len(readings) >= KEPT_READINGS:  # a session holds a few conversions at most
            readings.pop(next(iter(readings)))
        readings[key] = reading
        if mapping is None and reading.source == "table":  # converted through the guessed
            # mapping: also the answer when the select boxes send that mapping
            guessed = (source, tuple(sorted(_as_chosen(reading).items())))
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
        mapping: dict[str, str] = {}
        if choice == "csv" or (choice == "auto" and detected == "table"):
            mapping = _mapping_editor(first.columns, _as_chosen(first))
        try:
            reading = _reading(upload, source, mapping) if mapping else first
        except DatasetError as error:
            st.error(str(error))
            return _shown(shown)
        if reading.incidents is None:
            st.error(reading.error)
            return _shown(shown)
        converted, problems = reading.incidents, reading.problems
        st.markdown(f"**{reading.summary}**")
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


def _version(file_id: str, source: str | None, mapping: dict, geocoded) -> str:
    """What the shown dataset is made of: the uploaded file (each upload has its own id),
    the format, the mapping and whether it was geocoded."""
    import hashlib

    made_of = repr((file_id, source, sorted(mapping.items()), geocoded is not None))
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


def _mapping_editor(columns: list[str], guessed: dict[str, str]) -> dict[str, str]:
    """A select box per field, set to the guess; returns the mapping as chosen."""
    st.caption("Column mapping (date and country are needed):")
    options = [NOT_MAPPED, *columns]
    mapping = {}
    left, right = st.columns(2)
    for number, field in enumerate(FIELDS):
        default = guessed.get(field, NOT_MAPPED)
        with left if number % 2 == 0 else right:
            chosen = st.selectbox(field, options, index=options.index(default),
                                  key=f"up_map_{field}")
        if chosen != NOT_MAPPED:
            mapping[field] = chosen
    return mapping


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
