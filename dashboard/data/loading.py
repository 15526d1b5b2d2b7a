"""Load a validated dataset into a typed DataFrame ready for filtering and mapping.

Example::

    incidents = load_incidents("data/incidents.csv")
    incidents.loc[0, ["id", "year", "date_label"]].tolist()
    # ['1940-08-20-mexico-city-trotsky', 1940, '20 August 1940']
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pandas as pd

from dashboard.data.countries import country_name
from dashboard.data.schema import (
    InvalidDataset,
    parse_dataset,
    read_dataset,
    validate_frame,
)

DEFAULT_DATA = Path("data/incidents.csv")

#: Columns the search box looks through ("people" are perpetrator, sponsor and target).
SEARCH_COLUMNS = ("title", "summary", "place", "perpetrator", "sponsor", "target")

#: Columns derived here; exports leave them out so a file round-trips.
DERIVED_COLUMNS = ("year", "date_start", "date_label", "country_name", "search_text", "has_coords")

#: Unicode combining marks (accents) left over after NFKD decomposition.
_COMBINING_MARKS = re.compile(
    r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def default_data_path() -> Path:
    """The dataset the dashboard opens: ``$INCIDENT_MAP_DATA`` or ``data/incidents.csv``."""
    return Path(os.environ.get("INCIDENT_MAP_DATA") or DEFAULT_DATA)


def load_incidents(path: str | Path) -> pd.DataFrame:
    """Read, validate and type a dataset; raises DatasetError / InvalidDataset."""
    frame = read_dataset(path)
    return prepare(frame, name=str(path))


def load_incidents_bytes(raw: bytes, *, name: str = "upload") -> pd.DataFrame:
    """Same as :func:`load_incidents` for the bytes of an uploaded file."""
    return prepare(parse_dataset(raw, name=name), name=name)


def prepare(frame: pd.DataFrame, *, name: str = "dataset",
            validated: bool = False) -> pd.DataFrame:
    """Validate ``frame`` (text columns) and add typed and derived columns.

    ``validated``: ``frame`` has just passed ``validate_frame`` (an importer's output), so
    it is not checked twice (half the time of preparing a large upload).
    """
    problems = [] if validated else validate_frame(frame)
    if problems:
        raise InvalidDataset(name, problems)
    incidents = frame.copy()
    # The validator reads every cell without its surrounding spaces; so does the page
    # (" PL" must filter and display as "PL", "killing " as "killing").
    for column in incidents.columns:
        if pd.api.types.is_object_dtype(incidents[column]) or pd.api.types.is_string_dtype(
            incidents[column]
        ):
            incidents[column] = incidents[column].str.strip()
    incidents["lat"] = pd.to_numeric(incidents["lat"], errors="coerce")
    incidents["lon"] = pd.to_numeric(incidents["lon"], errors="coerce")
    for column in ("fatalities", "persons"):
        if column in incidents.columns:
            incidents[column] = pd.to_numeric(incidents[column], errors="coerce").astype("Int64")
        else:
            incidents[column] = pd.array([pd.NA] * len(incidents), dtype="Int64")
    for column in ("perpetrator", "sponsor", "target", "counterpart_country", "source_quote",
                   "notes", "related_id"):
        if column not in incidents.columns:
            incidents[column] = ""
    # An undated assessment has no year and no start date (<NA>, NaT): it is never placed
    # in a year it does not have.
    incidents["year"] = pd.to_numeric(incidents["date"].str.slice(0, 4),
                                      errors="coerce").astype("Int64")
    lengths = incidents["date"].str.len()
    padded = incidents["date"].copy()
    padded[lengths == 7] = padded[lengths == 7] + "-01"
    padded[lengths == 4] = padded[lengths == 4] + "-01-01"
    incidents["date_start"] = pd.to_datetime(padded.where(padded != ""), format="%Y-%m-%d")
    incidents["date_label"] = _date_labels(incidents["date_start"], incidents["date_precision"])
    names = {code: country_name(code) for code in incidents["country"].unique()}
    incidents["country_name"] = incidents["country"].map(names)
    incidents["search_text"] = _search_text(incidents)
    incidents["has_coords"] = incidents["lat"].notna() & incidents["lon"].notna()
    incidents = incidents.sort_values(["date_start", "id"], kind="stable",
                                      na_position="last").reset_index(drop=True)
    return incidents


UNDATED_LABEL = "Undated"


def format_date(date: str, precision: str) -> str:
    """A date as a reader says it at its precision: ``"February 2024"``, ``"2018"``."""
    if not date:
        return UNDATED_LABEL
    parts = date.split("-")
    if precision == "year" or len(parts) == 1:
        return parts[0]
    month = MONTHS[int(parts[1]) - 1]
    if precision == "month" or len(parts) == 2:
        return f"{month} {parts[0]}"
    return f"{int(parts[2])} {month} {parts[0]}"


def _date_labels(starts: pd.Series, precisions: pd.Series) -> pd.Series:
    """Vectorised :func:`format_date` over parsed dates."""
    # Int64, so an undated row (NaT) does not turn every other year into a float ("2019.0")
    years = starts.dt.year.astype("Int64").astype(str)
    months = starts.dt.month.map(dict(enumerate(MONTHS, start=1)))
    labels = starts.dt.day.astype("Int64").astype(str) + " " + months + " " + years
    labels = labels.where(precisions == "day", months + " " + years)
    labels = labels.where(precisions != "year", years)
    return labels.where(starts.notna(), UNDATED_LABEL)


def fold_text(text: str) -> str:
    """Case- and accent-insensitive form used for searching: ``"Alarcón"`` -> ``"alarcon"``."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    return _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", folded))


def _search_text(incidents: pd.DataFrame) -> pd.Series:
    columns = [c for c in SEARCH_COLUMNS if c in incidents.columns] + ["country_name"]
    joined = incidents[columns[0]].astype(str)
    for column in columns[1:]:
        joined = joined + " \x1f " + incidents[column].astype(str)
    unique = joined.unique()
    folded = {value: fold_text(value) for value in unique}
    return joined.map(folded)


def text_column(frame: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` as stripped text (missing values and a missing column: ``""``)."""
    if name in frame.columns:
        return frame[name].fillna("").astype(str).str.strip()
    return pd.Series("", index=frame.index, dtype=object)


def data_as_of(incidents: pd.DataFrame):
    """The latest ``checked`` date of ``incidents`` (when its rows were last checked against
    their sources), or None when the dataset has no such column or no date in it."""
    if "checked" not in incidents.columns:
        return None
    checked = pd.to_datetime(incidents["checked"], format="%Y-%m-%d", errors="coerce").dropna()
    return None if checked.empty else checked.max().date()


def dataset_columns(incidents: pd.DataFrame) -> list[str]:
    """The dataset's own columns (no derived ones), in file order."""
    return [c for c in incidents.columns if c not in DERIVED_COLUMNS]
