"""Any spreadsheet through a column mapping: guessed from headers, given as options or a
mapping file; WKT points; what cannot be mapped is said in one line."""

from __future__ import annotations

import csv
import json

import pytest

from dashboard.data.importers import import_file
from dashboard.data.loading import load_incidents
from dashboard.data.schema import DatasetError, validate_file
from tests.data.importers.samples import run_import, write_xlsx


def write_rows(path, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


PLAIN = [
    ["Date", "City", "Country", "Description", "Latitude", "Longitude"],
    ["2024-03-14", "Villajoyosa", "Spain", "A defector was found shot in a garage.", "38.5075", "-0.2333"],
    ["14/05/2025", "Kraków", "Poland", "A shopping centre burnt down.", "", ""],
    ["2024", "Vilnius", "Lithuania", "", "54.6872", "25.2797"],
]


def test_a_plain_spreadsheet_is_understood_from_its_headers(tmp_path):
    result = import_file(write_rows(tmp_path / "events.csv", PLAIN))
    assert result.source == "table" and result.problems == []
    rows = result.incidents.to_dict(orient="records")
    assert [(r["date"], r["date_precision"]) for r in rows] == [
        ("2024-03-14", "day"), ("2025-05-14", "day"), ("2024", "year")]
    assert [r["country"] for r in rows] == ["ES", "PL", "LT"]
    assert [r["lat"] for r in rows] == ["38.5075", "", "54.6872"]
    assert rows[0]["summary"] == "A defector was found shot in a garage."
    assert rows[1]["place"] == "Kraków, Poland" and rows[1]["geocoder"] == ""
    assert rows[0]["sources"] == "events.csv, row 2" and rows[0]["id"] == "row-2"


def test_the_same_sheet_as_xlsx(tmp_path):
    import datetime as dt

    values = [[dt.datetime(2024, 3, 14), "Villajoyosa", "Spain", "Shot in a garage.", 38.5075, -0.2333]]
    result = import_file(write_xlsx(tmp_path / "events.xlsx", PLAIN[0], values))
    row = result.incidents.iloc[0]
    assert (row["date"], row["lat"], row["lon"], row["country"]) == ("2024-03-14", "38.5075", "-0.2333", "ES")


def test_a_mapping_file_and_column_options_with_a_wkt_point(tmp_path):
    rows = [["Wann", "Ort", "Staat", "Geometrie", "Art", "Tote"],
            ["2019-08-23", "Berlin", "DE", "POINT (13.3432 52.5217)", "killing", "1"],
            ["2019-08-24", "Hamburg", "DE", "POINT (nonsense)", "Brand", ""]]
    path = write_rows(tmp_path / "ereignisse.csv", rows)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"date": "Wann", "place": "Ort", "point": "Geometrie"}))
    out = tmp_path / "out.csv"
    run = run_import(path, "-o", out, "--from", "csv", "--map", mapping,
                     "--column", "country=Staat", "--column", "event_type=Art",
                     "--column", "fatalities=Tote")
    assert run.returncode == 0, run.stderr
    assert ('row 3, column Geometrie: "POINT (nonsense)" is not a WKT POINT (lon lat); '
            "the row is kept without coordinates") in run.stderr
    assert validate_file(out) == []
    berlin, hamburg = load_incidents(out).to_dict(orient="records")
    assert (berlin["lat"], berlin["lon"], berlin["event_type"], berlin["fatalities"]) == (
        52.5217, 13.3432, "killing", 1)
    assert hamburg["event_type"] == "other" and "type in the file: Brand" in hamburg["notes"]


def test_what_cannot_be_mapped_is_said_in_one_line(tmp_path):
    path = write_rows(tmp_path / "events.csv", [["When", "Where"], ["2024-01-01", "Riga"]])
    with pytest.raises(DatasetError, match="no country column found among: When, Where"):
        import_file(path)
    run = run_import(path, "-o", tmp_path / "out.csv", "--column", "country=Nation")
    assert run.returncode == 1
    assert run.stderr.strip().count("\n") == 0
    assert 'the mapping names column "Nation" for country, but the file has no such column' in run.stderr
    run = run_import(path, "-o", tmp_path / "out.csv", "--column", "colour=When")
    assert run.returncode == 1 and "unknown field(s) colour" in run.stderr


def test_a_dataset_csv_is_not_converted_again():
    from tests.paths import FIXTURES

    with pytest.raises(DatasetError, match="already an Incident Map dataset"):
        import_file(FIXTURES / "export_fixture.csv")
