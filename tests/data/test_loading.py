"""Loading: validated, typed, with the derived columns the page and map rely on."""

from __future__ import annotations

import csv

import pytest

from dashboard.data.loading import (
    dataset_columns,
    format_date,
    load_incidents,
    load_incidents_bytes,
)
from dashboard.data.schema import InvalidDataset
from tests.conftest import CURATED, base_row


def test_types_and_derived_columns(make_dataset):
    path = make_dataset([
        base_row(),
        base_row(id="y", date="2018", date_precision="year", lat="", lon="", geocoder="",
                 fatalities="", persons="45", place="Pozuelo de Alarcón, Spain", country="ES"),
    ])
    incidents = load_incidents(path)
    first, second = incidents.iloc[1], incidents.iloc[0]  # sorted by date: 2018 first
    assert second["id"] == "y" and second["year"] == 2018 and second["date_label"] == "2018"
    assert first["lat"] == pytest.approx(52.5262) and first["fatalities"] == 1
    assert second["persons"] == 45 and bool(second["has_coords"]) is False
    assert second["country_name"] == "Spain"
    assert "alarcon" in second["search_text"]
    assert dataset_columns(incidents)[:3] == ["id", "date", "date_precision"]
    assert "search_text" not in dataset_columns(incidents)


@pytest.mark.parametrize(
    ("date", "precision", "label"),
    [("2024-02-13", "day", "13 February 2024"), ("2024-02", "month", "February 2024"),
     ("2018", "year", "2018"), ("2007-08", "month", "August 2007")],
)
def test_dates_read_at_their_precision(date, precision, label):
    assert format_date(date, precision) == label


def test_invalid_data_lists_every_problem(make_dataset):
    path = make_dataset([base_row(country="Germany", lat="99")])
    with pytest.raises(InvalidDataset) as raised:
        load_incidents(path)
    assert [str(p) for p in raised.value.problems] == [
        'row 2, column country: "Germany" is not an ISO 3166-1 alpha-2 country code; did you mean DE?',
        "row 2, column lat: 99 is out of range; must be between -90 and 90",
    ]


def test_uploaded_bytes_load_like_a_file(make_dataset):
    path = make_dataset([base_row()])
    assert load_incidents_bytes(path.read_bytes())["id"].tolist() == load_incidents(path)["id"].tolist()


def test_curated_dataset_loads_with_every_incident():
    incidents = load_incidents(CURATED)
    with CURATED.open(encoding="utf-8", newline="") as handle:
        ids = [row["id"] for row in csv.DictReader(handle)]
    assert len(ids) >= 30 and sorted(incidents["id"]) == sorted(ids)
    assert incidents["id"].is_unique
    killings = set(incidents.loc[incidents["event_type"] == "killing", "country"])
    assert {"TR", "DE", "ES", "GB", "MX", "RU"} <= killings


def test_cells_are_read_without_the_spaces_around_them(make_dataset):
    """The validator accepts " PL" and "killing "; the page must see "PL" and "killing"."""
    path = make_dataset([base_row(event_type="killing ", counterpart_country=" PL",
                                  perpetrator="  Vadim Krasikov ", fatalities=" 1 ")])
    [row] = load_incidents(path).to_dict(orient="records")
    assert (row["event_type"], row["counterpart_country"], row["perpetrator"]) == (
        "killing", "PL", "Vadim Krasikov")
    assert row["fatalities"] == 1


def test_rows_after_a_blank_line_keep_their_spreadsheet_number(tmp_path, make_dataset):
    lines = make_dataset([base_row(id="a"), base_row(id="b", country="Germany")])
    header, first, second = lines.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "blank.csv"
    path.write_text("\n".join([header, first, "", second]) + "\n", encoding="utf-8")
    with pytest.raises(InvalidDataset) as raised:
        load_incidents(path)
    assert [(p.row, p.column) for p in raised.value.problems] == [(4, "country")]
