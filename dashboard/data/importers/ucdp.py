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

from dashboard.data.importers.common import Conversion, ImportResult, parse_dates, split_list

REQUIRED = ("id", "date_start", "where_prec", "country", "latitude", "longitude", "best")
GEO_PRECISION = {"1": "city", "2": "region", "3": "region", "4": "region", "5": "region",
                 "6": "country"}
VIOLENCE = {"1": "state-based conflict", "2": "non-state conflict", "3": "one-sided violence"}


def convert_ucdp(frame: pd.DataFrame, rows_in: int | None = None) -> ImportResult:
    work = Conversion.start(frame, "ucdp", "UCDP GED", required=REQUIRED, rows_in=rows_in)
    out, text = work.out, work.text
    event_id = work.event_id("id")

    start_text, end_text = text("date_start"), text("date_end")
    start, end = parse_dates(start_text), parse_dates(end_text)
    end = end.fillna(start)
    date_prec = text("date_prec")
    same_month = start.dt.to_period("M") == end.dt.to_period("M")
    precision = pd.Series("year", index=out.index)
    precision[same_month] = "month"
    precision[(date_prec == "1") & (start == end)] = "day"
    out["date_precision"] = precision
    out["date"] = start.dt.strftime("%Y")
    out.loc[precision == "month", "date"] = start.dt.strftime("%Y-%m")
    out.loc[precision == "day", "date"] = start.dt.strftime("%Y-%m-%d")

    best = pd.to_numeric(text("best"), errors="coerce")
    violence = text("type_of_violence")
    out["event_type"] = "other"
    out.loc[best.fillna(0) > 0, "event_type"] = "killing"

    country = text("country")
    where = text("where_coordinates")
    work.place(where, text("adm_1"), country=country)
    side_a, side_b = text("side_a"), text("side_b")
    kind = violence.map(VIOLENCE).fillna("violence")
    out["title"] = kind.str.capitalize() + " in " + where.where(where != "", country)
    description = text("where_description")
    headline = text("source_headline")
    out["summary"] = (kind.str.capitalize() + ": " + side_a + " against " + side_b + ".").where(
        side_a != "", out["title"])
    out["summary"] = out["summary"].where(headline == "", out["summary"] + " " + headline)
    work.coordinates(text("latitude"), text("longitude"))
    where_prec = text("where_prec")
    out["geo_precision"] = where_prec.map(GEO_PRECISION).fillna("region")
    out["attribution"] = "unknown"
    out.loc[side_a.str.startswith("Government of"), "attribution"] = "alleged"
    out["perpetrator"] = side_a
    out["sponsor"] = side_a.where(side_a.str.startswith("Government of"), "")
    out["target"] = side_b
    out["fatalities"] = work.count("best")
    out["sources"] = work.cited("UCDP GED event", event_id, split_list(text("source_article")))
    low, high = text("low"), text("high")
    out["notes"] = ("Imported from UCDP GED (" + kind + "; deaths low " + low.where(low != "", "?")
                    + ", best " + text("best") + ", high "
                    + high.where(high != "", "?") + "; dates " + start_text + " to "
                    + end_text.where(end_text != "", start_text) + "; where_prec " + where_prec
                    + ")" + description.map(lambda d: f"; location: {d}" if d else ""))

    work.refuse(where_prec == "7", "where_prec",
                lambda _: "7: international waters or airspace, no country; row left out")
    return work.finish(start, {"date": start_text, "country": country},
                       {"date": "date_start", "country": "country", "id": "id"})
