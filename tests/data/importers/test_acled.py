"""ACLED in every layout since 2015: dates as Excel writes them, old event types, monadic
rows merged, countries without ``iso``, sources kept apart, nothing silently lost."""

from __future__ import annotations

import pytest

from dashboard.data.importers import import_file
from dashboard.data.loading import load_incidents
from dashboard.data.schema import validate_file
from tests.data.importers.samples import ACLED_2015, ACLED_2024, acled_row, run_import, write_csv


@pytest.mark.parametrize(("written", "expected"), [
    ("2020-05-09", "2020-05-09"),
    ("09 May 2020", "2020-05-09"),
    ("21 March 2020", "2020-03-21"),
    ("9-May-20", "2020-05-09"),
    ("5-Aug-24", "2024-08-05"),
    ("31-12-19", "2019-12-31"),
    ("01-January-2015", "2015-01-01"),
    ("31/12/2019", "2019-12-31"),
    ("43960", "2020-05-09"),  # a date cell Excel saved as its day number
])
def test_every_date_style_acled_files_carry(tmp_path, written, expected):
    path = write_csv(tmp_path / "acled.csv", ACLED_2024, [acled_row(event_date=written)])
    result = import_file(path)
    assert result.problems == []
    assert result.incidents["date"].tolist() == [expected]


def test_old_event_types_keep_their_fatal_events(tmp_path):
    rows = [
        acled_row(event_id_cnty="A1", event_type="Battle-No change of territory",
                  sub_event_type="", fatalities="4"),
        acled_row(event_id_cnty="A2", event_type="Remote violence", sub_event_type="",
                  fatalities="2"),
        acled_row(event_id_cnty="A3", event_type="Violence Against Civilians",
                  sub_event_type="", fatalities="1"),
        acled_row(event_id_cnty="A4", event_type="Riots/Protests", sub_event_type="",
                  fatalities="0"),
    ]
    result = import_file(write_csv(tmp_path / "acled.csv", ACLED_2024, rows))
    assert result.incidents["event_type"].tolist() == ["killing", "killing", "killing", "other"]


def test_the_2015_layout_without_iso_and_with_country_names_acled_uses(tmp_path):
    countries = ["Democratic Republic of Congo", "Ivory Coast", "Cape Verde", "East Timor",
                 "Swaziland", "Republic of Congo"]
    rows = [{"EVENT_ID_CNTY": f"X{n}", "EVENT_DATE": "21/03/2015", "TIME_PRECISION": "1",
             "EVENT_TYPE": "Violence against civilians", "ACTOR1": "Military Forces",
             "ALLY_ACTOR_1": "Police Forces", "INTER1": "1", "ACTOR2": "Civilians",
             "COUNTRY": country, "LOCATION": "Town", "LATITUDE": "1.5", "LONGITUDE": "20.1",
             "GEO_PRECISION": "1", "SOURCE": "Radio Okapi", "FATALITIES": "2"}
            for n, country in enumerate(countries)]
    result = import_file(write_csv(tmp_path / "acled.csv", ACLED_2015, rows))
    assert result.source == "acled" and result.problems == []
    assert result.incidents["country"].tolist() == ["CD", "CI", "CV", "TL", "SZ", "CG"]
    assert result.incidents["perpetrator"][0] == "Military Forces; Police Forces"
    assert result.incidents["sponsor"][0] == "Military Forces"


def test_monadic_rows_of_one_event_are_merged_not_dropped(tmp_path):
    rows = [
        acled_row(event_id_cnty="GEO5", event_type="Protests", sub_event_type="Protest with intervention",
                  actor1="Protesters (Georgia)", inter1="Protesters", actor2="", fatalities="0",
                  country="Georgia", iso="268", location="Tbilisi"),
        acled_row(event_id_cnty="GEO5", event_type="Protests", sub_event_type="Protest with intervention",
                  actor1="Police Forces of Georgia (2013-)", inter1="State forces", actor2="",
                  fatalities="0", country="Georgia", iso="268", location="Tbilisi"),
        acled_row(event_id_cnty="GEO6", country="Georgia", iso="268"),
    ]
    result = import_file(write_csv(tmp_path / "acled.csv", ACLED_2024, rows))
    assert result.problems == []
    assert (result.rows_in, result.rows_out, result.merged, result.refused) == (3, 2, 1, 0)
    event = result.incidents.set_index("id").loc["acled-geo5"]
    # The police intervened: they are the actor, not the protesters.
    assert event["perpetrator"] == "Police Forces of Georgia (2013-)"
    assert event["target"] == "Protesters (Georgia)"
    assert (event["sponsor"], event["attribution"]) == ("Police Forces of Georgia (2013-)", "alleged")
    assert result.summary() == "3 rows in, 2 incidents out, 0 refused, 1 merged"


def test_sources_stay_separate_and_r_na_is_empty(tmp_path):
    rows = [acled_row(source="Source A; Source B;Source C", admin1="NA", notes="NULL")]
    result = import_file(write_csv(tmp_path / "acled.csv", ACLED_2024, rows))
    incident = result.incidents.iloc[0]
    assert incident["sources"] == "ACLED event UKR1; Source A; Source B; Source C"
    assert incident["place"] == "Kyiv, Ukraine"
    assert "NA" not in incident["place"] and incident["summary"] == incident["title"]


def test_a_truncated_last_row_is_refused_not_invented(tmp_path):
    path = write_csv(tmp_path / "acled.csv", ACLED_2024, [acled_row(), acled_row(event_id_cnty="UKR2")])
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.rindex(",Kyiv,")] + "\r\n", encoding="utf-8")
    result = import_file(path)
    assert [str(p) for p in result.problems] == [
        "row 3, column location: has 21 of 31 cells (a truncated or broken line); row left out"]
    assert result.incidents["id"].tolist() == ["acled-ukr1"]
    assert (result.rows_in, result.refused) == (2, 1)


def test_a_file_that_converts_nothing_exits_1_and_writes_nothing(tmp_path):
    rows = [acled_row(event_date="sometime"), acled_row(event_id_cnty="UKR2", event_date="")]
    path = write_csv(tmp_path / "acled.csv", ACLED_2024, rows)
    out = tmp_path / "out.csv"
    result = run_import(path, "-o", out)
    assert result.returncode == 1 and not out.exists()
    assert 'row 2, column event_date: "sometime" is not a usable date' in result.stderr
    assert "2 rows in, 0 incidents out, 2 refused, 0 merged" in result.stderr


def test_import_command_reports_the_counts_and_writes_a_valid_dataset(tmp_path):
    rows = [acled_row(event_date="9-May-20"), acled_row(event_date="9-May-20", actor1="Police",
                                                       inter1="1", actor2="")]
    path = write_csv(tmp_path / "acled.csv", ACLED_2024, rows)
    out = tmp_path / "out.csv"
    result = run_import(path, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "1 incidents from ACLED (2 rows in, 1 incidents out, 0 refused, 1 merged" in result.stderr
    assert validate_file(out) == [] and len(load_incidents(out)) == 1


def test_a_dyadic_protest_row_names_the_intervening_police_as_the_actor(tmp_path):
    rows = [acled_row(event_type="Protests", sub_event_type="Excessive force against protesters",
                      actor1="Protesters (Belarus)", inter1="6", actor2="Police Forces of Belarus",
                      inter2="1", fatalities="0", country="Belarus", iso="112")]
    incident = import_file(write_csv(tmp_path / "acled.csv", ACLED_2024, rows)).incidents.iloc[0]
    assert (incident["perpetrator"], incident["target"]) == ("Police Forces of Belarus",
                                                             "Protesters (Belarus)")
