"""'Load your data' under AppTest: a file with no country gets one from the country box, the
guesses are listed, a file that loses most rows asks before it is kept, and a mapping
remembered for some columns is used again for the next file with the same columns."""

from __future__ import annotations

import pytest

from tests.page.apptest import run_page

POLICE = (b"Incident Number,Date Occurred,Offense,Latitude,Longitude\r\n"
          b"16-001,6/15/2016 11:31:00 PM,HOMICIDE,41.85,-87.65\r\n"
          b"16-002,6/16/2016 1:05 AM,ASSAULT,41.86,-87.64\r\n"
          b",,,,\r\n")
LOSSY = (b"Date,Country\r\n2020-01-01,Chile\r\nsoon,Chile\r\nlater,Chile\r\nnever,Chile\r\n")


@pytest.fixture
def remembered(tmp_path, monkeypatch):
    path = tmp_path / "mappings.json"
    monkeypatch.setenv("INCIDENT_MAP_MAPPINGS", str(path))
    return path


def upload(at, name: str, raw: bytes):
    at.file_uploader(key="up_file").set_value((name, raw, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at) -> str:
    return "\n".join([*(e.value for e in at.error), *(m.value for m in at.markdown),
                      *(c.value for c in at.code), *(w.value for w in at.warning),
                      *(c.value for c in at.caption)])


def test_a_file_without_a_country_gets_one_from_the_page(remembered):
    at = upload(run_page(), "police.csv", POLICE)
    shown = texts(at)
    assert "No country column was found" in shown and "--" not in shown.split("No country")[1]
    at.selectbox(key="up_country").set_value("US").run()
    shown = texts(at)
    assert "**2 rows in, 2 incidents out, 0 refused, 0 merged, 1 blank line(s) ignored**" in shown
    assert "month-first: 2 values have a day above 12" in shown
    assert 'columns taken by their headers: id ← "Incident Number", date ← "Date Occurred"' in shown
    # Remembered, the mapping (country included) comes back for a file of the same columns.
    at.checkbox(key="up_remember").check().run()
    assert remembered.exists()
    again = upload(run_page(), "police-2017.csv", POLICE)
    assert "The mapping remembered for files with these columns:" in texts(again)
    assert again.selectbox(key="up_country").value == "US"
    assert "2 incidents out" in texts(again)


def test_a_file_that_loses_most_rows_asks_before_it_is_kept(remembered):
    at = upload(run_page(), "lossy.csv", LOSSY)
    shown = texts(at)
    assert "Only 25% of the file's rows converted" in shown
    assert "column Date: … is not a usable date (3 rows)" in shown
    assert "--allow-partial" not in shown
    assert not [b for b in at.get("download_button") if "Save as dataset" in str(b.proto)]
    at.checkbox(key="up_partial").check().run()
    assert [b for b in at.get("download_button") if "Save as dataset" in str(b.proto)]
