"""Global Terrorism Database (START) exports into incidents: the CSV (START writes it in
Windows-1252; any encoding is detected) and the ``.xlsx`` START distributes.

An ``eventid`` Excel has turned into a number in scientific notation (``2.00E+11``) has
lost its last digits and no longer tells events apart: such rows are refused with a hint
to re-export the column as text, never merged as "duplicates".
"""

from __future__ import annotations

import pandas as pd

from dashboard.data.importers.common import Conversion, ImportResult, join_parts

REQUIRED = ("eventid", "iyear", "imonth", "iday", "country_txt", "latitude", "longitude")
#: GTD ``specificity``: 1 the town; 2 a town, coordinates of a region's centroid;
#: 3 not in a town, centroid of the smallest region; 4 first-order region; 5 unknown.
GEO_PRECISION = {"1": "city", "2": "region", "3": "region", "4": "region", "5": "country"}
#: How Excel writes a long number it has rounded: ``2.00E+11``, ``2.01109E+11``.
EXCEL_ROUNDED = r"\d(?:[.,]\d+)?[eE]\+?\d+"


def convert_gtd(frame: pd.DataFrame, rows_in: int | None = None) -> ImportResult:
    work = Conversion.start(frame, "gtd", "GTD", required=REQUIRED, rows_in=rows_in)
    out, text = work.out, work.text
    event_id = work.event_id("eventid")
    rounded = event_id.str.fullmatch(EXCEL_ROUNDED)
    work.refuse(rounded, "eventid", lambda index: (
        f'"{event_id[index]}" is an id Excel rounded to scientific notation, so events '
        "can no longer be told apart; row left out (open the CSV with eventid as text, "
        "or use START's .xlsx)"))

    year = pd.to_numeric(text("iyear"), errors="coerce")
    month = pd.to_numeric(text("imonth"), errors="coerce").fillna(0)
    day = pd.to_numeric(text("iday"), errors="coerce").fillna(0)
    precision = pd.Series("day", index=out.index)
    precision[day == 0] = "month"
    precision[month == 0] = "year"
    parts = pd.DataFrame(
        {"year": year, "month": month.where(month > 0, 1), "day": day.where(day > 0, 1)})
    dates = pd.to_datetime(parts, errors="coerce")
    out["date_precision"] = precision
    out["date"] = dates.dt.strftime("%Y-%m-%d")
    out.loc[precision == "month", "date"] = dates.dt.strftime("%Y-%m")
    out.loc[precision == "year", "date"] = dates.dt.strftime("%Y")

    attack = text("attacktype1_txt")
    killed = pd.to_numeric(text("nkill"), errors="coerce")
    out["event_type"] = "other"
    out.loc[killed.fillna(0) > 0, "event_type"] = "killing"
    out.loc[(attack == "Assassination") & (killed.fillna(0) == 0), "event_type"] = (
        "attempted_killing")

    country_txt = text("country_txt")
    city = text("city").replace("Unknown", "")
    out["title"] = (attack.where(attack != "", "Incident") + " in "
                    + city.where(city != "", country_txt))
    summary = text("summary")
    out["summary"] = summary.where(summary != "", out["title"])
    work.place(city, text("provstate").replace("Unknown", ""), country=country_txt)
    work.coordinates(text("latitude"), text("longitude"))
    out["geo_precision"] = text("specificity").map(GEO_PRECISION).fillna("city")
    group = text("gname")
    uncertain = text("guncertain1") == "1"
    out["attribution"] = "alleged"
    out.loc[uncertain, "attribution"] = "suspected"
    out.loc[group.isin(["", "Unknown"]), "attribution"] = "unknown"
    out["perpetrator"] = group.replace("Unknown", "")
    out["target"] = text("target1")
    out["fatalities"] = work.count("nkill")
    # A GTD citation is one source that may itself hold a semicolon: keep it one item.
    citations = [text(column).str.replace(";", ",", regex=False)
                 for column in ("scite1", "scite2", "scite3")]
    out["sources"] = work.cited("GTD event", event_id, join_parts(*citations, sep="; "))
    out["notes"] = "Imported from GTD (" + attack + "); coordinates as coded by GTD"

    written = (text("iyear") + "-" + text("imonth") + "-" + text("iday")
               + " (iyear-imonth-iday)")
    return work.finish(dates, {"date": written, "country": country_txt},
                       {"date": "iyear", "country": "country_txt", "id": "eventid"})
