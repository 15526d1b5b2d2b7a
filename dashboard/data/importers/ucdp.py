"""UCDP Georeferenced Event Dataset (GED) exports into incidents.

Codes as the GED codebook defines them:

- ``where_prec`` 1 the exact location, 2 within about 25 km of a known point, 3 a
  second-order administrative division, 4 a first-order division, 5 a linear feature or an
  area larger than a province, 6 only the country, 7 international waters or airspace.
  Only 1 is kept as ``city``; 2 to 5 become ``region`` and 6 ``country`` (never more precise
  than UCDP knew); 7 has no country and is refused.
- ``date_prec`` 1 the exact day; 2 two to six days; 3 a week; 4 a month; 5 more than a
  month. ``date_start`` is the date; it keeps ``day`` only at 1, ``month`` when start and
  end fall in one month, otherwise ``year`` (``date_end`` goes to ``notes``).
- Deaths: ``best`` is ``fatalities``; ``low`` and ``high`` are kept in ``notes``.
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
    parse_dates,
    refuse_missing,
    require,
    split_list,
    text_column,
)
from dashboard.data.schema import Problem

REQUIRED = ("id", "date_start", "where_prec", "country", "latitude", "longitude", "best")
GEO_PRECISION = {"1": "city", "2": "region", "3": "region", "4": "region", "5": "region",
                 "6": "country"}
VIOLENCE = {"1": "state-based conflict", "2": "non-state conflict", "3": "one-sided violence"}


def convert_ucdp(frame: pd.DataFrame, rows_in: int | None = None) -> ImportResult:
    frame = frame.rename(columns=str.lower)
    require(frame, REQUIRED, "UCDP GED")
    rows_in = len(frame) if rows_in is None else rows_in
    problems: list[Problem] = []
    out = pd.DataFrame(index=frame.index)
    event_id = text_column(frame, "id")
    out["id"] = "ucdp-" + event_id.str.lower().str.replace(r"[^a-z0-9]+", "-", regex=True)

    start_text, end_text = text_column(frame, "date_start"), text_column(frame, "date_end")
    start, end = parse_dates(start_text), parse_dates(end_text)
    end = end.fillna(start)
    date_prec = text_column(frame, "date_prec")
    same_month = start.dt.to_period("M") == end.dt.to_period("M")
    precision = pd.Series("year", index=frame.index)
    precision[same_month] = "month"
    precision[(date_prec == "1") & (start == end)] = "day"
    out["date_precision"] = precision
    out["date"] = start.dt.strftime("%Y")
    out.loc[precision == "month", "date"] = start.dt.strftime("%Y-%m")
    out.loc[precision == "day", "date"] = start.dt.strftime("%Y-%m-%d")

    best = pd.to_numeric(text_column(frame, "best"), errors="coerce")
    violence = text_column(frame, "type_of_violence")
    out["event_type"] = "other"
    out.loc[best.fillna(0) > 0, "event_type"] = "killing"

    country = text_column(frame, "country")
    where = text_column(frame, "where_coordinates")
    place = join_parts(where, text_column(frame, "adm_1"), country)
    out["place"] = place
    side_a, side_b = text_column(frame, "side_a"), text_column(frame, "side_b")
    kind = violence.map(VIOLENCE).fillna("violence")
    out["title"] = kind.str.capitalize() + " in " + where.where(where != "", country)
    description = text_column(frame, "where_description")
    headline = text_column(frame, "source_headline")
    out["summary"] = (kind.str.capitalize() + ": " + side_a + " against " + side_b + ".").where(
        side_a != "", out["title"])
    out["summary"] = out["summary"].where(headline == "", out["summary"] + " " + headline)
    out["country"] = country_codes(country)
    coordinates(out, text_column(frame, "latitude"), text_column(frame, "longitude"), problems)
    where_prec = text_column(frame, "where_prec")
    out["geo_precision"] = where_prec.map(GEO_PRECISION).fillna("region")
    out["attribution"] = "unknown"
    out.loc[side_a.str.startswith("Government of"), "attribution"] = "alleged"
    out["perpetrator"] = side_a
    out["sponsor"] = side_a.where(side_a.str.startswith("Government of"), "")
    out["target"] = side_b
    out["fatalities"] = count_text(text_column(frame, "best"), "best", problems)
    articles = split_list(text_column(frame, "source_article"))
    out["sources"] = "UCDP GED event " + event_id + articles.map(lambda s: f"; {s}" if s else "")
    low, high = text_column(frame, "low"), text_column(frame, "high")
    out["notes"] = ("Imported from UCDP GED (" + kind + "; deaths low " + low.where(low != "", "?")
                    + ", best " + text_column(frame, "best") + ", high "
                    + high.where(high != "", "?") + "; dates " + start_text + " to "
                    + end_text.where(end_text != "", start_text) + "; where_prec " + where_prec
                    + ")" + description.map(lambda d: f"; location: {d}" if d else ""))

    waters = where_prec == "7"
    for index in waters[waters].index:
        problems.append(Problem(int(index) + 2, "where_prec",
                                "7: international waters or airspace, no country; row left out"))
    bad = refuse_missing(out, problems, start, {"date": start_text, "country": country},
                         {"date": "date_start", "country": "country", "id": "id"})
    rows = set(waters[waters].index + 2)
    problems[:] = [p for p in problems if p.column == "where_prec" or p.row not in rows]
    return finish(out, bad | waters, problems, "ucdp", rows_in)
