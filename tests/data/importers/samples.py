"""Small files in the published layouts of ACLED, GTD and UCDP GED, written by the tests.

Column lists follow the sources' codebooks (ACLED codebook 2015-2017 and 2019-2024; GTD
codebook, START 2021; UCDP GED codebook 23.1); the rows are made up for the tests.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).with_name("incident-map")

#: ACLED since 2019 (dyadic; ``disorder_type`` since 2022).
ACLED_2024 = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2",
    "admin3", "location", "latitude", "longitude", "geo_precision", "source", "source_scale",
    "notes", "fatalities", "tags", "timestamp",
]
#: ACLED before 2019: upper-case names, ally actors, no sub-event type, no iso.
ACLED_2015 = [
    "GWNO", "EVENT_ID_CNTY", "EVENT_ID_NO_CNTY", "EVENT_DATE", "YEAR", "TIME_PRECISION",
    "EVENT_TYPE", "ACTOR1", "ALLY_ACTOR_1", "INTER1", "ACTOR2", "ALLY_ACTOR_2", "INTER2",
    "INTERACTION", "COUNTRY", "ADMIN1", "ADMIN2", "ADMIN3", "LOCATION", "LATITUDE",
    "LONGITUDE", "GEO_PRECISION", "SOURCE", "NOTES", "FATALITIES",
]
GTD = [
    "eventid", "iyear", "imonth", "iday", "approxdate", "extended", "country", "country_txt",
    "region_txt", "provstate", "city", "latitude", "longitude", "specificity", "summary",
    "attacktype1_txt", "targtype1_txt", "target1", "gname", "guncertain1", "nkill", "nwound",
    "scite1", "scite2", "scite3", "dbsource",
]
UCDP_GED = [
    "id", "relid", "year", "active_year", "code_status", "type_of_violence",
    "conflict_dset_id", "conflict_name", "dyad_name", "side_a", "side_b", "number_of_sources",
    "source_article", "source_headline", "where_prec", "where_coordinates",
    "where_description", "adm_1", "adm_2", "latitude", "longitude", "geom_wkt",
    "priogrid_gid", "country", "country_id", "region", "event_clarity", "date_prec",
    "date_start", "date_end", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown",
    "best", "high", "low", "gwnoa", "gwnob",
]


def csv_text(columns: list[str], rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows([{c: row.get(c, "") for c in columns} for row in rows])
    return buffer.getvalue()


def write_csv(path: Path, columns: list[str], rows: list[dict], encoding="utf-8") -> Path:
    path.write_bytes(csv_text(columns, rows).encode(encoding))
    return path


def write_xlsx(path: Path, columns: list[str], rows: list[list]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(columns)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def run_import(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), "import", *map(str, args)], capture_output=True,
                          text=True, timeout=120)


def acled_row(**cells: str) -> dict:
    row = {"event_id_cnty": "UKR1", "event_date": "2024-02-13", "time_precision": "1",
           "event_type": "Violence against civilians", "sub_event_type": "Attack",
           "actor1": "Unidentified Armed Group (Ukraine)", "inter1": "3",
           "actor2": "Civilians (Ukraine)", "iso": "804", "country": "Ukraine",
           "admin1": "Kyiv City", "location": "Kyiv", "latitude": "50.4547",
           "longitude": "30.5238", "geo_precision": "1", "source": "Ukrainska Pravda",
           "notes": "A man was shot dead.", "fatalities": "1"}
    row.update(cells)
    return row
