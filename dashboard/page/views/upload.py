"""'Load your data' in the sidebar: upload a file, check its format, mapping and problems,
geocode what has no coordinates, show it on the map and save it as a dataset.

What the file lacks, the page supplies: a country for every row (the country box), one
value for any field, the order of numeric dates; the mapping can be remembered for files of
the same columns and downloaded for ``incident-map import --map``. Every guess is listed
under the summary; a file that keeps less than 90% of its rows shows the commonest reasons
and is shown or saved only once the user keeps the rows that converted.

Reading, converting and geocoding are the plain functions of ``dashboard.data.importers``
and ``dashboard.geocoding.frames``; each result is cached by the file's bytes, so moving a
filter after a large upload does not convert it again. The dataset shown on the map is
prepared once per version (file, format, mapping, geocoding) and the CSV files to download
are written only when their button is pressed, so a rerun after a large upload costs no
more than one with the curated dataset.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pycountry
import streamlit as st

from dashboard.data.countries import EXTRA_COUNTRIES, country_name
from dashboard.data.filters import Filters, year_span
from dashboard.data.importers import (
    FIELDS,
    MIN_KEPT_SHARE,
    NAMES,
    Mapping,
    SourceTable,
    check_values,
    convert_source,
    detect_source,
)
from dashboard.data.importers.dates import ORDERS
from dashboard.data.importers.reading import read_table
from dashboard.data.importers.remembered import MappingStore
from dashboard.data.importers.table import MissingFields, guess, guess_notes
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


@st.cache_data(show_spinner="Reading the file...", max_entries=2)
def _read(raw: bytes, name: str) -> SourceTable:
    return read_table(raw, name=name)


@st.cache_data(show_spinner="Converting...", max_entries=4)
def _convert(raw: bytes, name: str, source: str | None, mapping: tuple) -> dict:
    columns, values, order, as_written = mapping
    given = Mapping(dict(columns), dict(values), order, as_written)
    result = convert_source(_read(raw, name), source, given or None, name=name,
                            datasets=True)
    problems = pd.DataFrame(
        [(p.row, p.column, p.message) for p in result.problems],
        columns=["row", "column", "problem"])
    return {"incidents": result.incidents, "problems": problems, "summary": result.summary(),
            "source": result.source, "notices": result.notices, "reasons": result.reasons(),
            "kept": result.kept_share, "rows_out": result.rows_out,
            "mapping": result.mapping.as_json() if result.mapping is not None else None}


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
        mapping, guessed = Mapping(), []
        mapped = choice == "csv" or (choice == "auto" and detected == "table")
        if mapped:
            mapping, guessed = _mapping_editor(table)
        try:
            done = _convert(raw, name, source, mapping.key())
        except MissingFields as error:
            st.error(f"No {' or '.join(error.missing)} column was found: choose its column "
                     "above, or give one value for every row (the country box, or the "
                     "values below it).")
            return _shown(shown)
        except DatasetError as error:
            st.error(str(error))
            return _shown(shown)
        converted, problems = done["incidents"], done["problems"]
        st.markdown(f"**{done['summary']}**")
        notices = guessed + done["notices"]
        if notices:
            st.caption("What was guessed or noticed (change it above):")
            st.code("\n".join(f"- {notice}" for notice in notices), language=None,
                    wrap_lines=True)
        if mapped and done["mapping"] is not None:
            _remember(table, done["mapping"], name)
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
        if done["kept"] < MIN_KEPT_SHARE:
            reasons = "; ".join(f"{reason} ({count:,} row{'' if count == 1 else 's'})"
                                for reason, count in done["reasons"])
            st.warning(f"Only {done['kept']:.0%} of the file's rows converted. The commonest "
                       f"reasons: {reasons}. Correct the mapping or the values above, or keep "
                       "the rows that converted.")
            if not st.checkbox(f"Keep the {done['rows_out']:,} incidents that converted",
                               key="up_partial"):
                return _shown(shown)
        converted = _geocode_section(converted, raw)
        st.download_button(
            "Save as dataset (CSV)", type="secondary", key="up_save",
            data=lambda: neutralise_frame(converted).to_csv(index=False).encode("utf-8"),
            file_name=f"{Path(name).stem}-dataset.csv", mime="text/csv")
        if st.toggle("Show on the map", key="up_show", on_change=_dataset_changed):
            version = _version(raw, source, mapping.key(), st.session_state.get("up_geocoded"))
            try:
                shown = _prepared(converted, name, version), Path(name)
            except DatasetError as error:  # pragma: no cover - converted rows validate
                st.error(str(error))
    return _shown(shown)


def _version(raw: bytes, source: str | None, mapping: tuple, geocoded) -> str:
    """What the shown dataset is made of: the file's bytes, the format, the mapping and
    whether it was geocoded."""
    digest = hashlib.blake2b(raw, digest_size=16)
    digest.update(repr((source, mapping, geocoded is not None)).encode())
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


def _country_options() -> list[str]:
    codes = {country.alpha_2 for country in pycountry.countries} | set(EXTRA_COUNTRIES)
    return [FROM_FILE, *sorted(codes, key=country_name)]


def _mapping_editor(table: SourceTable) -> tuple[Mapping, list[str]]:
    """A select box per field (set to the remembered mapping, else the guess), a country
    for every row, values for what the file lacks and the order of numeric dates; and the
    reasons of the guesses still chosen."""
    columns = [str(column) for column in table.frame.columns]
    try:
        remembered = MappingStore().get(columns)
    except OSError:
        remembered = None
    if remembered is not None:
        st.caption("The mapping remembered for files with these columns:")
        defaults, values, order = remembered.columns, remembered.values, remembered.date_order
    else:
        st.caption("Column mapping (a date and a country are needed):")
        values, order = {}, None
    guessed = guess(columns, table.frame)
    if remembered is None:
        defaults = guessed.columns
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
    country = st.selectbox(
        "Every row is in (for a file without a country column, or its empty cells)",
        countries, index=countries.index(values.get("country", FROM_FILE))
        if values.get("country", FROM_FILE) in countries else 0,
        format_func=lambda c: c if c == FROM_FILE else f"{country_name(c)} ({c})",
        key="up_country")
    orders = [DECIDED, *ORDERS]
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
    reasons = guess_notes({field: guessed.reasons[field] for field in FIELDS
                           if field in guessed.reasons
                           and chosen.get(field) == guessed.columns.get(field)}, chosen)
    return Mapping(chosen, checked, None if date_order == DECIDED else date_order,
                   as_written), reasons


def _remember(table: SourceTable, mapping: dict, name: str) -> None:
    """"Remember this mapping" for files of the same columns, and the mapping as a file."""
    if st.checkbox("Remember this mapping", key="up_remember",
                   help="Used again for any file with the same columns"):
        chosen = Mapping(mapping.get("columns", {}), mapping.get("values", {}),
                         mapping.get("date_order"), mapping.get("coordinates") == "as written")
        store = MappingStore()
        try:
            if store.get(list(table.frame.columns)) != chosen:
                store.put(list(table.frame.columns), chosen)
        except OSError as error:
            st.error(f"The mapping could not be remembered: {error.strerror or error}")
    st.download_button(
        "Mapping (JSON)", key="up_mapping_file",
        data=json.dumps(mapping, indent=2, ensure_ascii=False).encode("utf-8"),
        file_name=f"{Path(name).stem}-mapping.json", mime="application/json")


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
