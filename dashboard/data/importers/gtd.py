"""Global Terrorism Database (START) exports into incidents: the CSV (START writes it in
Windows-1252; any encoding is detected) and the ``.xlsx`` START distributes.

An ``eventid`` Excel has turned into a number in scientific notation (``2.00E+11``) has
lost its last digits and no longer tells events apart: such rows are refused with a hint
to re-export the column as text, never merged as "duplicates".
"""

from __future__ import annotations

import pandas as pd

from dashboard.data.importers.common import (
    ImportResult,
    coordinates,
    count_text,
    country_codes,
    finish,
    join_parts,
    refuse_missing,
    require,
    text_column,
)
from dashboard.data.schema import Problem

REQUIRED = ("eventid", "iyear", "imonth", "iday", "country_txt", "latitude", "longitude")
#: GTD ``specificity``: 1 the town; 2 a town, coordinates of a region's centroid;
#: 3 not in a town, centroid of the smallest region; 4 first-order region; 5 unknown.
GEO_PRECISION = {"1": "city", "2": "region", "3": "region", "4": "region", "5": "country"}
#: How Excel writes a long number it has rounded: ``2.00E+11``, ``2.01109E+11``.
EXCEL_ROUNDED = r"\d(?:[.,]\d+)?[eE]\+?\d+"


def convert_gtd(frame: pd.DataFrame, rows_in: int | None = None) -> ImportResult:
    frame = frame.rename(columns=str.lower)
    require(frame, REQUIRED, "GTD")
    rows_in = len(frame) if rows_in is None else rows_in
    problems: list[Problem] = []
    out = pd.DataFrame(index=frame.index)
    event_id = text_column(frame, "eventid")
    rounded = event_id.str.fullmatch(EXCEL_ROUNDED)
    for index in rounded[rounded].index:
        problems.append(Problem(
            int(index) + 2, "eventid",
            f'"{event_id[index]}" is an id Excel rounded to scientific notation, so events '
            "can no longer be told apart; row left out (open the CSV with eventid as text, "
            "or use START's .xlsx)"))
    out["id"] = "gtd-" + event_id.str.replace(r"[^0-9A-Za-z]+", "-", regex=True).str.lower()

    year = pd.to_numeric(text_column(frame, "iyear"), errors="coerce")
    month = pd.to_numeric(text_column(frame, "imonth"), errors="coerce").fillna(0)
    day = pd.to_numeric(text_column(frame, "iday"), errors="coerce").fillna(0)
    precision = pd.Series("day", index=frame.index)
    precision[day == 0] = "month"
    precision[month == 0] = "year"
    parts = pd.DataFrame(
        {"year": year, "month": month.where(month > 0, 1), "day": day.where(day > 0, 1)})
    dates = pd.to_datetime(parts, errors="coerce")
    out["date_precision"] = precision
    out["date"] = dates.dt.strftime("%Y-%m-%d")
    out.loc[precision == "month", "date"] = dates.dt.strftime("%Y-%m")
    out.loc[precision == "year", "date"] = dates.dt.strftime("%Y")

    attack = text_column(frame, "attacktype1_txt")
    killed = pd.to_numeric(text_column(frame, "nkill"), errors="coerce")
    out["event_type"] = "other"
    out.loc[killed.fillna(0) > 0, "event_type"] = "killing"
    out.loc[(attack == "Assassination") & (killed.fillna(0) == 0), "event_type"] = (
        "attempted_killing")

    country_txt = text_column(frame, "country_txt")
    city = text_column(frame, "city").replace("Unknown", "")
    out["title"] = (attack.where(attack != "", "Incident") + " in "
                    + city.where(city != "", country_txt))
    summary = text_column(frame, "summary")
    out["summary"] = summary.where(summary != "", out["title"])
    out["place"] = join_parts(city, text_column(frame, "provstate").replace("Unknown", ""),
                              country_txt)
    out["country"] = country_codes(country_txt)
    coordinates(out, text_column(frame, "latitude"), text_column(frame, "longitude"), problems)
    out["geo_precision"] = text_column(frame, "specificity").map(GEO_PRECISION).fillna("city")
    group = text_column(frame, "gname")
    uncertain = text_column(frame, "guncertain1") == "1"
    out["attribution"] = "alleged"
    out.loc[uncertain, "attribution"] = "suspected"
    out.loc[group.isin(["", "Unknown"]), "attribution"] = "unknown"
    out["perpetrator"] = group.replace("Unknown", "")
    out["target"] = text_column(frame, "target1")
    out["fatalities"] = count_text(text_column(frame, "nkill"), "nkill", problems)
    # A GTD citation is one source that may itself hold a semicolon: keep it one item.
    out["sources"] = "GTD event " + event_id
    for column in ("scite1", "scite2", "scite3"):
        cite = text_column(frame, column).str.replace(";", ",", regex=False)
        out["sources"] = out["sources"] + cite.map(lambda s: f"; {s}" if s else "")
    out["notes"] = "Imported from GTD (" + attack + "); coordinates as coded by GTD"

    written = (text_column(frame, "iyear") + "-" + text_column(frame, "imonth") + "-"
               + text_column(frame, "iday") + " (iyear-imonth-iday)")
    bad = refuse_missing(out, problems, dates, {"date": written, "country": country_txt},
                         {"date": "iyear", "country": "country_txt", "id": "eventid"})
    # A row with a rounded id is reported once, for its id.
    rounded_rows = set(rounded[rounded].index + 2)
    problems[:] = [p for p in problems if p.column == "eventid" or p.row not in rounded_rows]
    return finish(out, bad | rounded, problems, "gtd", rows_in)
