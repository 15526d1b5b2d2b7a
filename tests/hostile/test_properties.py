"""Property-based tests (Hypothesis): whatever a URL, an upload or a briefing file holds, the
dashboard answers with a value or with its one-line error, never with anything else.

- URL parameters: any keys and values (text of every script, controls, separators, numbers
  of thousands of digits) give filters and one-line notices; the filters written back to
  a URL and read again are the same filters; ``at=``, ``layers=`` and ``step=`` give a
  value in range or nothing; and the page itself runs on them without an exception.
- Uploads: any bytes, and CSV, JSON and zip files built from random parts, are read into a
  table or refused with DatasetError (a passed limit included), and a table read converts
  or is refused with DatasetError.
- Briefing files: any text, and TOML built from random values, loads as a briefing or is
  refused with BriefingError, one line per problem.
"""

from __future__ import annotations

import io
import json
import zipfile

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dashboard.data.briefings import BriefingError, load_briefing
from dashboard.data.filters import FILTER_PARAMS, PAGE_PARAMS, parse_query_params, to_query_params
from dashboard.data.importers import convert_source
from dashboard.data.importers.limits import Limits
from dashboard.data.importers.reading import read_table
from dashboard.data.mapview import parse_at, parse_layers
from dashboard.data.schema import DatasetError
from dashboard.page.briefing import step_number

#: Small limits, so that random files reach them too and each example stays quick.
SMALL = Limits(upload_mb=1, rows=200, columns=50, line_kb=16, workbook_mb=2,
               workbook_entries=20, shared_strings=200, cells=2_000, json_depth=20,
               coordinates=500)
QUICK = settings(max_examples=100, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: Text of every kind: any code point (surrogates included), line and paragraph separators,
#: controls, and numbers of many digits.
ANY_TEXT = st.text(st.characters(codec=None), max_size=40)
DIGITS = st.integers(min_value=1, max_value=6000).map(lambda n: "9" * n)
VALUES = st.one_of(ANY_TEXT, DIGITS, st.sampled_from([
    "2019-2025", "2022-02..2022-04", "DE,ES", "killing", "confirmed", "52.52,13.40,11",
    "flows,markers", "briefing", "edit", "-1", "1e309", "nan", "0x10", "²", "٣",
    "\u2028", "\x85", "\ufffe", "\ud800", "..", "-", ",,,"]))
KEYS = st.one_of(st.sampled_from(FILTER_PARAMS + PAGE_PARAMS), ANY_TEXT)
PARAMS = st.dictionaries(KEYS, st.lists(VALUES, min_size=1, max_size=3), max_size=6)


@QUICK
@given(PARAMS)
def test_any_url_gives_filters_and_one_line_notices(params):
    filters, notices = parse_query_params(params)
    assert all(isinstance(n, str) and "\n" not in n for n in notices)
    again, more = parse_query_params(
        {key: [value] for key, value in to_query_params(filters).items()})
    assert again == filters and more == []


@QUICK
@given(VALUES)
def test_any_at_layers_or_step_value_is_a_value_in_range_or_nothing(text):
    at = parse_at(text)
    if at is not None:
        assert -90 <= at.lat <= 90 and -180 <= at.lon <= 180 and 1 <= at.zoom <= 18
    layers = parse_layers(text)
    assert layers is None or all(isinstance(layer, str) for layer in layers)
    step = step_number(text)
    assert isinstance(step, int) and 0 <= step < 10**6


PAGE_PARAMS_VALUES = st.dictionaries(
    st.sampled_from(FILTER_PARAMS + PAGE_PARAMS),
    st.one_of(ANY_TEXT.filter(lambda t: "\x00" not in t and not any(
        0xD800 <= ord(c) <= 0xDFFF for c in t)), DIGITS), max_size=4)


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(PAGE_PARAMS_VALUES)
@example({"view": "briefing", "briefing": "expulsions-2022", "step": "9" * 5000})
@example({"view": "briefing", "step": "²", "at": "1e309,-1e309,99", "years": "9" * 5000})
def test_the_page_runs_on_any_url(params):
    """The page itself (Streamlit's AppTest) on random URL parameters: no exception."""
    from tests.page.apptest import run_page

    run_page(**params)


# --------------------------------------------------------------------------- uploads

CELLS = st.text(st.characters(codec=None, exclude_characters="\x00"), max_size=12)


@st.composite
def csv_files(draw) -> bytes:
    separator = draw(st.sampled_from([",", ";", "\t", "|"]))
    width = draw(st.integers(1, 8))
    header = draw(st.lists(st.sampled_from(
        ["date", "Date", "country", "Country", "City", "lat", "Latitude", "lon", "x", "y",
         "event_id_cnty", "event_date", "eventid", "iyear", "id", "title", "", "a"]),
        min_size=width, max_size=width, unique=draw(st.booleans())))
    rows = draw(st.lists(st.lists(CELLS, min_size=0, max_size=width + 2), max_size=30))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = [separator.join(header)] + [separator.join(json.dumps(c) if draw(st.booleans())
                                                          else c for c in row) for row in rows]
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    return newline.join(lines).encode(encoding, errors="replace")


@st.composite
def json_files(draw) -> bytes:
    leaf = st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False), st.integers(),
                     CELLS)
    value = st.recursive(leaf, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(CELLS, inner, max_size=4)),
        max_leaves=30)
    feature = st.fixed_dictionaries({
        "type": st.sampled_from(["Feature", "feature", "Point"]),
        "properties": st.one_of(st.dictionaries(CELLS, leaf, max_size=5), value),
        "geometry": st.one_of(st.none(), value, st.fixed_dictionaries({
            "type": st.sampled_from(["Point", "LineString", "Polygon"]),
            "coordinates": value})),
    })
    document = draw(st.one_of(value, st.fixed_dictionaries({
        "type": st.just("FeatureCollection"), "features": st.lists(feature, max_size=8)})))
    depth = draw(st.integers(0, 40))
    text = "[" * depth + json.dumps(document) + "]" * depth
    return text.encode("utf-8", errors="surrogatepass")


@st.composite
def zip_files(draw) -> bytes:
    buffer = io.BytesIO()
    names = st.sampled_from(["[Content_Types].xml", "xl/workbook.xml",
                             "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml",
                             "xl/_rels/workbook.xml.rels", "_rels/.rels", "other.bin"])
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        for name in draw(st.lists(names, max_size=7, unique=True)):
            body = draw(st.one_of(
                st.binary(max_size=200),
                st.text(max_size=200).map(lambda t: t.encode("utf-8", "replace")),
                st.builds(lambda n, cell: (b"<worksheet><sheetData>" + b"".join(
                    b'<row r="%d"><c r="%s%d"><v>1</v></c></row>' % (i + 1, cell, i + 1)
                    for i in range(n)) + b"</sheetData></worksheet>"),
                    st.integers(0, 300), st.sampled_from([b"A", b"ZZ", b"XFD", b"AAAA"]))))
            book.writestr(name, body)
    raw = buffer.getvalue()
    cut = draw(st.integers(0, len(raw)))
    return raw if draw(st.booleans()) else raw[:cut]


@st.composite
def workbooks(draw) -> bytes:
    """A workbook of random cells: numbers, shared strings (some pointing past the table),
    inline strings, dates, in random columns and rows."""
    from tests.hostile.uploads import _workbook

    xml_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")),
                       max_size=12)
    shared = draw(st.lists(xml_text.map(lambda t: t.replace("&", "&amp;").replace(
        "<", "&lt;").encode("utf-8")), min_size=1, max_size=10))
    cell = st.one_of(
        st.integers(-5, 15).map(lambda i: b't="s"><v>%d</v>' % i),
        st.floats(allow_nan=False, allow_infinity=False).map(lambda f: b"><v>%r</v>" % f),
        st.sampled_from([b't="inlineStr"><is><t>x</t></is>', b't="b"><v>1</v>',
                         b't="e"><v>#N/A</v>', b'><v>43960</v>', b"/>", b't="d"><v>x</v>']))
    rows = [b'<row r="1">' + b"".join(
        b'<c r="%s1" t="inlineStr"><is><t>%s</t></is></c>' % (column, name)
        for column, name in ((b"A", b"date"), (b"B", b"country"), (b"C", b"place")))
        + b"</row>"]
    for number in draw(st.lists(st.integers(2, 60), max_size=12, unique=True)):
        cells = b""
        for column in draw(st.lists(st.sampled_from(["A", "B", "C", "E", "Z", "AB"]),
                                    max_size=5, unique=True)):
            body = draw(cell)
            cells += (b'<c r="%s%d" ' % (column.encode(), number) + body
                      + (b"" if body.endswith(b"/>") else b"</c>"))
        rows.append(b'<row r="%d">' % number + cells + b"</row>")
    buffer = io.BytesIO()
    _workbook(buffer, rows, shared, dimension=draw(st.sampled_from(["A1:B2", "A1:XFD1048576"])))
    return buffer.getvalue()


UPLOADS = st.one_of(st.binary(max_size=3000), csv_files(), json_files(), zip_files(),
                    workbooks())


@QUICK
@given(UPLOADS)
@example(b"\xef\xbb\xbf")  # a byte-order mark alone (found by the properties)
def test_any_upload_is_read_or_refused_in_one_line(raw):
    try:
        table = read_table(raw, name="upload.csv", limits=SMALL)
    except DatasetError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert len(table.frame) <= SMALL.rows and len(table.frame.columns) <= SMALL.columns
    try:
        convert_source(table, None, None, name="upload.csv")
    except DatasetError as error:
        assert str(error)


# --------------------------------------------------------------------------- briefings

TOML_VALUES = st.recursive(
    st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), CELLS,
              st.sampled_from(["2019-2025", "52.52,13.40,11", "killing", "DE"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(["a", "b", "heading"]), inner,
                                            max_size=3)),
    max_leaves=12)
STEP = st.dictionaries(st.sampled_from(["heading", "caption", "incident", "at", "years",
                                        "months", "country", "type", "attribution", "q",
                                        "other"]), TOML_VALUES, max_size=6)


@st.composite
def briefing_texts(draw) -> str:
    import tomli_w

    if draw(st.booleans()):
        return draw(st.text(st.characters(codec="utf-8"), max_size=300))
    document = {"title": draw(TOML_VALUES), "steps": draw(st.lists(STEP, max_size=5))}
    if draw(st.booleans()):
        document["subtitle"] = draw(TOML_VALUES)
    try:
        return tomli_w.dumps(document)
    except (TypeError, ValueError):
        return "title = 1\n[[steps]]\n"


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(briefing_texts())
def test_any_briefing_file_loads_or_is_refused_line_by_line(tmp_path, text):
    # a lone surrogate (a cell may hold one) is written as the bytes a broken encoder
    # leaves, which are not UTF-8: the file must be refused like any other
    (tmp_path / "random.toml").write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        briefing = load_briefing("random", directory=tmp_path)
    except BriefingError as error:
        assert error.problems and all("\n" not in line for line in error.problems)
        return
    assert briefing.name == "random"
