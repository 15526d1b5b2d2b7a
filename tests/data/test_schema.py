"""Validation: one small bad file per rule, one file with many faults, the curated data."""

from __future__ import annotations

import pytest

from dashboard.data.schema import DatasetError, Problem, validate_file, validate_frame
from tests.conftest import COLUMNS, CURATED, base_row


def problems_for(make_dataset, *rows, columns=None):
    return [str(p) for p in validate_file(make_dataset(list(rows), columns))]


def test_a_valid_file_has_no_problems(make_dataset):
    assert problems_for(make_dataset, base_row(), base_row(id="second", lat="", lon="", geocoder="")) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"id": ""}, "row 2, column id: is empty"),
        ({"id": "Berlin 2019"}, 'row 2, column id: "Berlin 2019" is not a slug'),
        ({"date": "2019-02-30"}, 'row 2, column date: "2019-02-30" is not a real date'),
        ({"date": "2019-13"}, 'row 2, column date: "2019-13" does not match precision "day"'),
        ({"date": "2019-13", "date_precision": "month"}, "row 2, column date: \"2019-13\" is not a real date"),
        ({"date": "2019-08", "date_precision": "year"}, 'row 2, column date: "2019-08" does not match precision "year"; expected YYYY'),
        ({"date": "23/08/2019"}, 'row 2, column date: "23/08/2019" does not match precision "day"'),
        ({"date_precision": "week"}, 'row 2, column date_precision: "week" is not allowed; use one of: day, month, year'),
        ({"event_type": "murder"}, 'row 2, column event_type: "murder" is not allowed; use one of: killing,'),
        ({"geo_precision": "street"}, 'row 2, column geo_precision: "street" is not allowed'),
        ({"attribution": "likely"}, 'row 2, column attribution: "likely" is not allowed'),
        ({"country": "Germany"}, 'row 2, column country: "Germany" is not an ISO 3166-1 alpha-2'),
        ({"country": "ZZ"}, 'row 2, column country: "ZZ" is not an ISO 3166-1 alpha-2'),
        ({"counterpart_country": "SU"}, 'row 2, column counterpart_country: "SU" is not an ISO'),
        ({"lat": "95"}, "row 2, column lat: 95 is out of range; must be between -90 and 90"),
        ({"lon": "-181"}, "row 2, column lon: -181 is out of range; must be between -180 and 180"),
        ({"lat": "north"}, 'row 2, column lat: "north" is not a number'),
        ({"lon": ""}, "row 2, column lon: is empty but lat is set; give both or neither"),
        ({"lat": ""}, "row 2, column lat: is empty but lon is set; give both or neither"),
        ({"geocoder": ""}, "row 2, column geocoder: is empty but coordinates are set"),
        ({"geocoder": "google"}, 'row 2, column geocoder: "google" is not allowed'),
        ({"sources": ""}, "row 2, column sources: is empty; a value is required"),
        ({"sources": " ; "}, "row 2, column sources: is empty; a value is required"),
        ({"sources": "javascript:alert(1)"}, 'row 2, column sources: "javascript:alert(1)" is not an http(s) link'),
        ({"sources": "ftp://example.org/x"}, 'row 2, column sources: "ftp://example.org/x" is not an http(s) link'),
        ({"fatalities": "-1"}, 'row 2, column fatalities: "-1" is not a whole number'),
        ({"persons": "about 25"}, 'row 2, column persons: "about 25" is not a whole number'),
        ({"title": "  "}, "row 2, column title: is empty"),
    ],
)
def test_each_rule_names_row_and_column(make_dataset, changes, expected):
    bad = base_row(id="bad-row")
    bad.update(changes)
    problems = problems_for(make_dataset, base_row(), base_row(id="other-row"), bad)
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected.replace("row 2,", "row 4,")), problems


def test_kosovo_is_allowed(make_dataset):
    assert problems_for(make_dataset, base_row(country="XK")) == []


def test_duplicate_id_points_at_first_occurrence(make_dataset):
    problems = problems_for(make_dataset, base_row(), base_row(title="again"))
    assert problems == [
        'row 3, column id: "2019-08-23-berlin-khangoshvili" repeats the id of row 2; ids must be unique'
    ]


def test_missing_required_columns_are_named_in_the_header_row(make_dataset):
    columns = [c for c in COLUMNS if c not in ("lat", "sources")]
    problems = problems_for(make_dataset, base_row(), columns=columns)
    assert problems == [
        "row 1, column lat: required column is missing from the header",
        "row 1, column sources: required column is missing from the header",
    ]


def test_header_only_file_is_reported(make_dataset):
    assert problems_for(make_dataset, columns=COLUMNS) == [
        "row 2, column id: the file has a header but no incidents"
    ]


def test_ten_different_faults_give_ten_lines(make_dataset):
    rows = [
        base_row(id="ok-row"),
        base_row(id="a", date="2019-02-30"),
        base_row(id="b", event_type="murder"),
        base_row(id="c", country="Germany"),
        base_row(id="d", lat="95"),
        base_row(id="e", lon=""),
        base_row(id="f", sources=""),
        base_row(id="g", attribution="likely"),
        base_row(id="h", geo_precision="street"),
        base_row(id="i", date_precision="week"),
        base_row(id="a", fatalities="two"),
    ]
    problems = validate_file(make_dataset(rows))
    assert len(problems) == 11  # ten rules broken, the last row breaks two (duplicate id, fatalities)
    assert [p.row for p in problems] == sorted(p.row for p in problems)
    assert {p.column for p in problems} == {
        "date", "event_type", "country", "lat", "lon", "sources", "attribution",
        "geo_precision", "date_precision", "id", "fatalities",
    }


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        (b"", "the file is empty"),
        (b"   \n\n", "the file is empty"),
        (b"id,date\n\xff\xfe\xfa,2019\n", "not UTF-8 text (bad byte at line 2)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks like a binary file"),
        (b'id,date\n"unclosed,2019\n', "not a well-formed CSV"),
    ],
)
def test_unreadable_files_raise_one_clear_error(tmp_path, content, expected):
    path = tmp_path / "data.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DatasetError) as raised:
        validate_file(path)
    assert expected in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_folder_is_not_a_dataset(tmp_path):
    with pytest.raises(DatasetError, match="is a folder"):
        validate_file(tmp_path)


def test_problem_reads_like_a_spreadsheet_reference():
    assert str(Problem(7, "date", "bad")) == "row 7, column date: bad"


def test_curated_dataset_validates():
    assert [str(p) for p in validate_file(CURATED)] == []


def test_a_column_repeated_in_the_header_is_reported(make_dataset):
    columns = COLUMNS + ["title"]
    problems = problems_for(make_dataset, base_row(), columns=columns)
    assert problems == ["row 1, column title: this column appears twice in the header"]


def test_quoted_line_breaks_and_byte_order_mark_are_read(tmp_path, make_dataset):
    path = make_dataset([base_row(summary="First line.\nSecond line.")])
    with_bom = tmp_path / "bom.csv"
    with_bom.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert validate_file(path) == [] and validate_file(with_bom) == []


def test_blank_lines_count_as_rows_like_in_a_spreadsheet(tmp_path, make_dataset):
    lines = make_dataset([base_row(id="a"), base_row(id="b"), base_row(id="c", date="2024-2-3")])
    header, first, second, third = lines.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "blank.csv"
    # A spreadsheet shows the blank line as row 3 and the bad row as row 6.
    path.write_text("\n".join([header, first, "", second, "   ", third, "", ""]) + "\n",
                    encoding="utf-8")
    assert [str(p) for p in validate_file(path)] == [
        'row 6, column date: "2024-2-3" does not match precision "day"; expected YYYY-MM-DD'
    ]


def test_rows_of_empty_cells_are_skipped_but_counted(make_dataset):
    empty = {column: "" for column in COLUMNS}
    problems = problems_for(make_dataset, base_row(id="a"), empty, base_row(id="b", lat="95"))
    assert problems == ["row 4, column lat: 95 is out of range; must be between -90 and 90"]


@pytest.mark.parametrize(("separator", "word"), [(";", "semicolons"), ("\t", "tabs")])
def test_a_file_separated_by_something_else_is_one_clear_error(tmp_path, separator, word):
    row = base_row()
    path = tmp_path / "data.csv"
    path.write_text(separator.join(COLUMNS) + "\n" + separator.join(row[c] for c in COLUMNS)
                    + "\n", encoding="utf-8")
    with pytest.raises(DatasetError) as raised:
        validate_file(path)
    assert f"separated by {word}, not commas" in str(raised.value)


def test_excel_style_file_with_bom_crlf_and_extra_columns_is_valid(tmp_path, make_dataset):
    plain = make_dataset([base_row(), base_row(id="b", summary="Two\nlines")],
                         columns=COLUMNS + ["analyst_comment"])
    text = plain.read_text(encoding="utf-8").replace("\n", "\r\n")
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert validate_file(path) == []


@pytest.mark.parametrize(("changes", "expected"), [
    ({"lat": "40,5"}, 'row 2, column lat: "40,5" is not a number; use a point as the decimal mark: "40.5"'),
    ({"lon": "-3,7"}, 'row 2, column lon: "-3,7" is not a number; use a point as the decimal mark: "-3.7"'),
    ({"country": "de"}, 'row 2, column country: "de" is not an ISO 3166-1 alpha-2 country code; did you mean DE?'),
    ({"country": "UK"}, 'row 2, column country: "UK" is not an ISO 3166-1 alpha-2 country code; did you mean GB?'),
    ({"counterpart_country": "Russia"}, 'row 2, column counterpart_country: "Russia" is not an ISO 3166-1 alpha-2 country code; did you mean RU?'),
])
def test_common_slips_get_a_suggestion(make_dataset, changes, expected):
    assert problems_for(make_dataset, base_row(**changes)) == [expected]


def test_values_with_spaces_around_them_are_accepted(make_dataset):
    row = base_row(event_type="killing ", attribution=" confirmed", country=" DE ",
                   lat=" 52.5 ", fatalities=" 1 ", counterpart_country=" PL")
    assert problems_for(make_dataset, row) == []


def test_dates_in_the_future_are_refused(make_dataset):
    import datetime as dt

    next_year = dt.date.today().year + 1
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    rows = [
        base_row(id="tomorrow", date=tomorrow),
        base_row(id="next-year", date=str(next_year), date_precision="year"),
        base_row(id="this-year", date=str(dt.date.today().year), date_precision="year"),
        base_row(id="today", date=dt.date.today().isoformat()),
    ]
    assert problems_for(make_dataset, *rows) == [
        f'row 2, column date: "{tomorrow}" is after today; an incident\'s date cannot be in the future',
        f'row 3, column date: "{next_year}" is after today; an incident\'s date cannot be in the future',
    ]


@pytest.mark.parametrize("character", ["\ufffe", "\uffff", "\ud800", "\udbff\udc00"[:1],
                                       "\udfff"])
def test_a_character_no_export_can_write_is_refused_naming_it(character):
    import pandas as pd

    frame = pd.DataFrame([base_row(notes=f"before{character}after")], dtype=object)
    [problem] = [p for p in validate_frame(frame) if p.column == "notes"]
    assert problem.row == 2
    assert f"U+{ord(character):04X}" in problem.message and "no export" in problem.message


def test_validate_refuses_a_file_with_u_fffe_before_an_export_breaks_on_it(make_dataset):
    path = make_dataset([base_row(title="A title\ufffe")])
    [problem] = validate_file(path)
    assert (problem.row, problem.column) == (2, "title") and "U+FFFE" in problem.message
