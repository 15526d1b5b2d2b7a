"""'Load your data' in the sidebar: upload a file, check its format, mapping and problems,
geocode what has no coordinates, show it on the map and save it as a dataset.

Reading, converting and geocoding are the plain functions of ``dashboard.data.importers``
and ``dashboard.geocoding.frames``; each result is cached by the file's bytes, so moving a
filter after a large upload does not convert it again. The dataset shown on the map is
prepared once per version (file, format, mapping, geocoding) and the CSV files to download
are written only when their button is pressed, so a rerun after a large upload costs no
more than one with the curated dataset.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.data.filters import Filters, year_span
from dashboard.data.importers import (
    FIELDS,
    NAMES,
    SourceTable,
    convert_source,
    detect_source,
    guess_mapping,
)
from dashboard.data.importers.reading import read_table
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


@st.cache_data(show_spinner="Reading the file...", max_entries=2)
def _read(raw: bytes, name: str) -> SourceTable:
    return read_table(raw, name=name)


@st.cache_data(show_spinner="Converting...", max_entries=4)
def _convert(raw: bytes, name: str, source: str | None, mapping: tuple) -> tuple:
    result = convert_source(_read(raw, name), source, dict(mapping) or None, name=name)
    problems = pd.DataFrame(
        [(p.row, p.column, p.message) for p in result.problems],
        columns=["row", "column", "problem"])
    return result.incidents, problems, result.summary(), result.source


def upload_view(incidents: pd.DataFrame, data_path: Path) -> tuple[pd.DataFrame, Path]:
    """The sidebar section; returns the dataset and file name the page shows."""
    shown = incidents, data_path
    expanded = st.session_state.get("up_file") is not None
    with st.sidebar.expander("Load your data", expanded=expanded):
        upload = st.file_uploader(
            "CSV, Excel or GeoJSON: ACLED, GTD, UCDP GED or any table", type=UPLOAD_TYPES,
            key="up_file", on_change=_dataset_changed)
        if upload is None:
            return _shown(shown)
        raw, name = upload.getvalue(), upload.name
        try:
            table = _read(raw, name)
        except DatasetError as error:
            st.error(str(error))
            return _shown(shown)
        detected = detect_source(table.frame)
        st.caption(f"Detected: **{NAMES[detected]}** · {table.kind.upper()} · "
                   f"{table.encoding} · {table.rows_read:,} rows")
        choice = st.selectbox("Format", list(FORMATS), format_func=FORMATS.get, key="up_format")
        source = None if choice == "auto" else choice
        mapping: dict[str, str] = {}
        if choice == "csv" or (choice == "auto" and detected == "table"):
            mapping = _mapping_editor(list(table.frame.columns))
        try:
            converted, problems, summary, kind = _convert(raw, name, source,
                                                          tuple(sorted(mapping.items())))
        except DatasetError as error:
            st.error(str(error))
            return _shown(shown)
        st.markdown(f"**{summary}**")
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
        converted = _geocode_section(converted, raw)
        st.download_button(
            "Save as dataset (CSV)", type="secondary", key="up_save",
            data=lambda: neutralise_frame(converted).to_csv(index=False).encode("utf-8"),
            file_name=f"{Path(name).stem}-dataset.csv", mime="text/csv")
        if st.toggle("Show on the map", key="up_show", on_change=_dataset_changed):
            version = _version(raw, source, mapping, st.session_state.get("up_geocoded"))
            try:
                shown = _prepared(converted, name, version), Path(name)
            except DatasetError as error:  # pragma: no cover - converted rows validate
                st.error(str(error))
    return _shown(shown)


def _version(raw: bytes, source: str | None, mapping: dict, geocoded) -> str:
    """What the shown dataset is made of: the file's bytes, the format, the mapping and
    whether it was geocoded."""
    digest = hashlib.blake2b(raw, digest_size=16)
    digest.update(repr((source, sorted(mapping.items()), geocoded is not None)).encode())
    return digest.hexdigest()


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


def _mapping_editor(columns: list[str]) -> dict[str, str]:
    """A select box per field, set to the guess; returns the mapping as chosen."""
    guessed = guess_mapping(columns)
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


def _geocode_section(converted: pd.DataFrame, raw: bytes) -> pd.DataFrame:
    """A button that fills missing coordinates from the offline gazetteer, with progress."""
    token = (hash(raw), len(converted), tuple(converted["id"].head(3)))
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
