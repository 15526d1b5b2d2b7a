"""Hostile data and hostile links through every surface of the served dashboard, in Chromium.

One offline server on the hostile dataset (see ``corpus.py``) and one browser for the
module. After each surface, :func:`checks.assert_clean` looks in every frame for a dialog,
``window.__xss``, a template marker, an inline handler or a dangerous URL, and for any
request that left the origin; then the fields the surface shows are compared with the
dataset's text, which must appear literally.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
from PIL import Image

from dashboard.data.filters import Filters, apply_filters, parse_query_params
from dashboard.data.schema import is_http_url, split_sources
from dashboard.exports.formats import Provenance, View, export_bytes
from dashboard.exports.snapshot import snapshot_page
from dashboard.page.briefing import briefing_steps

from . import checks, corpus
from .checks import Watch, assert_clean, norm
from .corpus import FILE_NAME
from .payloads import ALL, one_line

# Through headless Chromium: left out of `make test-fast`.
pytestmark = pytest.mark.slow

browser = corpus.browser
hostile_dataset = corpus.hostile_dataset
hostile_incidents = corpus.hostile_incidents
hostile_server = corpus.hostile_server

LOAD_MS = 60_000
MAP_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
VIEWPORT = {"width": 1400, "height": 1000}
FILE_ORIGINS = ("file:", "data:", "blob:", "about:")
BIN = Path(sys.executable).with_name("incident-map")
P = {payload.number: payload.text for payload in ALL}
#: Attribute values DOMPurify (behind st.html) removes as possible mXSS.
DOMPURIFY_DROPS = re.compile(r"--!?>|\]>|</[a-z]", re.IGNORECASE)

#: Every incident marker in the document: hover it (tooltip), click it (popup), read both.
MAP_LOOP_JS = """
() => {
  const fire = (el, type) => el.dispatchEvent(
    new MouseEvent(type, {bubbles: true, cancelable: true, view: window}));
  const text = (root, selector) => {
    const el = root && root.querySelector(selector);
    return el ? el.textContent : null;
  };
  const results = [];
  for (const el of Array.from(document.querySelectorAll(".incident-marker"))) {
    const id = Array.from(el.classList)
      .find((c) => c.startsWith("incident-") && c !== "incident-marker").slice(9);
    fire(el, "mouseover");
    const tips = document.querySelectorAll(".leaflet-tooltip:not(.incident-focus-label)");
    const tooltip = tips.length ? tips[tips.length - 1].textContent : null;
    fire(el, "mouseout");
    fire(el, "click");
    // A closed popup fades out for a while: the one just opened is the last.
    const popups = document.querySelectorAll(".leaflet-popup-content .incident-popup");
    const popup = popups.length ? popups[popups.length - 1] : null;
    results.push({
      id: id,
      tooltip: tooltip,
      title: text(popup, ".ip-title"),
      summary: text(popup, ".ip-summary"),
      place: text(popup, ".ip-place"),
      popupId: text(popup, ".ip-id"),
      people: popup ? Array.from(popup.querySelectorAll("dl.ip-people dt"))
        .map((dt) => [dt.textContent, dt.nextElementSibling.textContent]) : [],
      sources: popup ? Array.from(popup.querySelectorAll(".ip-sources li")).map((li) => {
        const a = li.querySelector("a");
        return {text: li.textContent, href: a && a.getAttribute("href"),
                target: a && a.getAttribute("target"), rel: a && a.getAttribute("rel")};
      }) : [],
    });
  }
  return results;
}
"""

@pytest.fixture(scope="module")
def incidents(hostile_incidents):
    return hostile_incidents.set_index("id", drop=False)


@pytest.fixture
def visit(browser, hostile_server):
    """``visit(path) -> Watch`` on a fresh page of the served dashboard."""
    contexts = []

    def open_page(path: str = "/") -> Watch:
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        contexts.append(context)
        watch = Watch(context.new_page(), allowed=(hostile_server + "/", "data:", "blob:",
                                                    "about:"))
        watch.page.goto(hostile_server + path)
        return watch

    yield open_page
    for context in contexts:
        context.close()


def open_file(browser, path: Path) -> Watch:
    """An exported page from disk with every request but file/data/blob/about refused."""
    page = browser.new_context(viewport=VIEWPORT).new_page()
    checks.refuse_foreign(page, FILE_ORIGINS)
    watch = Watch(page, allowed=FILE_ORIGINS)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function("window.incidentExportReady === true", timeout=20_000)
    return watch


#: Runs in the page: the document to look in, the page's own or the map's (same origin).
DOCUMENT_JS = f"""
(inMap) => {{
  if (!inMap) {{ return document; }}
  const frames = document.querySelectorAll('{MAP_IFRAME}');
  // During a rerun the old map frame stays until the new one replaces it.
  return frames.length === 1 ? frames[0].contentDocument : null;
}}
"""


HAS_ALERT = "(doc) => doc.querySelector('[data-testid=\"stAlert\"]') !== null"


def page_wait(watch: Watch, condition: str, arg, *, in_map: bool = False) -> None:
    """Wait until ``condition(doc, arg)`` holds in the page or its map frame; fail at once
    (with its text) if the page shows a Streamlit exception instead."""
    watch.page.wait_for_function(
        f"""([inMap, arg]) => {{
              if (document.querySelector('[data-testid="stException"]')) {{ return true; }}
              const doc = ({DOCUMENT_JS})(inMap);
              return Boolean(doc && doc.body && ({condition})(doc, arg));
            }}""", arg=[in_map, arg], timeout=LOAD_MS)
    exception = watch.page.get_by_test_id("stException")
    if exception.count():  # pytest.fail: never taken for an expected (xfail) assertion
        pytest.fail(f"the page failed: {exception.first.text_content()}")


def map_document(watch: Watch):
    """The Playwright Frame of the map, once drawn (a rerun replaces the frame)."""
    page_wait(watch, "(doc) => doc.querySelector('.leaflet-container') !== null", None,
              in_map=True)
    return watch.page.locator(MAP_IFRAME).element_handle(timeout=LOAD_MS).content_frame()


def wait_for_map(watch: Watch, markers: int) -> None:
    page_wait(watch, "(doc, n) => doc.querySelectorAll('.incident-marker').length === n",
              markers, in_map=True)


def wait_text(watch: Watch, selector: str, expected: str, *, in_map: bool = False) -> None:
    """Wait until ``selector``'s textContent is exactly ``expected`` (as parsed)."""
    page_wait(watch, """(doc, [selector, expected]) => {
                          const el = doc.querySelector(selector);
                          return el !== null && el.textContent === expected;
                        }""", [selector, norm(expected)], in_map=in_map)


def check_markers(results: list[dict], incidents, *, expected_count: int) -> None:
    """Every tooltip and popup shows its incident's text literally; links are safe."""
    assert len(results) == expected_count
    for result in results:
        row = incidents.loc[result["id"]]
        where = f"incident {row['id']}"
        assert result["tooltip"] == norm(f"{row['title']} \u00b7 {row['date_label']}"), where
        assert result["title"] == norm(row["title"]), where
        assert result["popupId"] == row["id"], where
        assert result["summary"] == norm(row["summary"]), where
        assert result["place"].startswith(norm(row["place"]) + " ("), where
        people = dict(result["people"])
        for column, label in (("perpetrator", "Perpetrator"), ("sponsor", "Sponsor"),
                              ("target", "Target")):
            assert people[label] == norm(row[column]), (where, column)
        items = split_sources(row["sources"])
        assert len(result["sources"]) == len(items), where
        for item, shown in zip(items, result["sources"], strict=True):
            if is_http_url(item):
                assert shown["href"] == item, where
                assert shown["target"] == "_blank" and shown["rel"] == "noopener noreferrer"
                # named by its site and page as people read it (dashboard.data.sources)
                assert shown["text"].strip(), where
            else:
                assert shown["href"] is None, (where, item)
                # shown as written, cut to the popup's width
                assert " ".join(norm(item).split()).startswith(
                    " ".join(shown["text"].rstrip("\u2026").split())), where


def check_card(watch: Watch, incident, prefix: str = ".im-card") -> None:
    """The briefing/focus card shows title, place, summary, sponsor and sources as typed."""
    wait_text(watch, f"{prefix} .im-card-title", incident["title"])
    fields = watch.page.evaluate(
        """(prefix) => {
             const card = document.querySelector(prefix);
             const text = (s) => { const e = card.querySelector(s); return e && e.textContent; };
             return {place: text(".im-card-place"), summary: text(".im-card-summary"),
                     sponsor: text(".im-card-sponsor"),
                     sources: Array.from(card.querySelectorAll(".im-card-sources li"))
                       .map((li) => [li.textContent, li.querySelector("a") ?
                                     li.querySelector("a").getAttribute("href") : false])};
           }""", prefix)
    assert fields["place"] == norm(incident["place"])
    assert fields["summary"] == norm(incident["summary"])
    assert fields["sponsor"] == norm(f"Reported sponsor: {incident['sponsor']}")
    items = split_sources(incident["sources"])
    # links are named by site and page (dashboard.data.sources); other items as written
    assert len(fields["sources"]) == len(items)
    assert [text for text, _ in fields["sources"] if text] == [
        text for text, _ in fields["sources"] if text.strip()]
    for (_, href), item in zip(fields["sources"], items, strict=True):
        if not is_http_url(item):
            assert href is False, item  # plain text: no link at all
        else:
            # st.html runs DOMPurify, which drops an attribute holding a closing tag such
            # as "</style" or "</script", "-->" or "]]>" (its mXSS guard): such a link keeps
            # no href, which is safe.
            assert href == item or (href is None and DOMPURIFY_DROPS.search(item)), item


# ------------------------------------------------------------------------- the page


def check_downloads(watch: Watch, browser, hostile_incidents, tmp_path: Path) -> None:
    """The page's HTML, CSV and GeoJSON buttons: files safe, text unchanged; the HTML file
    opened from disk with the network refused, every tooltip and popup opened."""
    located = int(hostile_incidents["has_coords"].sum())
    files = {}
    for label in ("HTML (interactive)", "CSV", "GeoJSON"):
        button = watch.page.get_by_role("button", name=label, exact=True)
        button.scroll_into_view_if_needed()
        with watch.page.expect_download(timeout=LOAD_MS) as info:
            button.click()
        download = info.value
        files[label] = tmp_path / download.suggested_filename
        download.save_as(files[label])
    assert_clean(watch, "export buttons")

    checks.assert_csv_round_trip(files["CSV"].read_bytes(), hostile_incidents, bom=True)
    checks.assert_geojson_text(files["GeoJSON"].read_bytes(), hostile_incidents)

    exported = open_file(browser, files["HTML (interactive)"])
    try:
        page = exported.page
        rows = hostile_incidents.set_index("id", drop=False)
        assert page.locator(".export-footer").text_content().count(FILE_NAME) == 1
        results = page.evaluate(MAP_LOOP_JS)
        check_markers(results, rows, expected_count=located)
        table = page.evaluate("""() => Array.from(
            document.querySelectorAll(".incident-table tbody tr")).map((tr) => ({
              id: tr.dataset.incident,
              title: tr.querySelector("strong").textContent,
              summary: tr.querySelector(".summary").textContent,
              place: tr.children[3].textContent,
              links: Array.from(tr.children[5].querySelectorAll("a")).map(
                (a) => a.getAttribute("href")),
            }))""")
        assert [entry["id"] for entry in table] == hostile_incidents["id"].tolist()
        for entry in table:
            row = rows.loc[entry["id"]]
            assert entry["title"] == norm(row["title"])
            assert entry["summary"] == norm(row["summary"])
            assert entry["place"] == norm(row["place"])
            http = [s for s in split_sources(row["sources"]) if is_http_url(s)]
            assert len(entry["links"]) == len(http), (entry["id"], entry["links"])
            assert all(link.startswith(("https://", "http://")) for link in entry["links"])
        assert_clean(exported, "HTML export opened from disk")
    finally:
        exported.page.context.close()


def test_analyst_page_map_tooltips_popups_timeline_exports_and_table(visit, browser, incidents,
                                                                    tmp_path):
    watch = visit("/")
    located = int(incidents["has_coords"].sum())
    wait_for_map(watch, located)
    assert_clean(watch, "analyst page")
    caption = watch.page.get_by_test_id("stCaptionContainer").first.text_content()
    assert caption.startswith(f"All incidents \u00b7 {FILE_NAME}")  # the name as typed

    frame = map_document(watch)
    results = frame.evaluate(MAP_LOOP_JS)
    check_markers(results, incidents, expected_count=located)
    assert_clean(watch, "every marker's tooltip and popup")

    chart = watch.page.get_by_test_id("stVegaLiteChart").first
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    for step in range(1, 12):
        watch.page.mouse.move(box["x"] + box["width"] * step / 12, box["y"] + box["height"] / 2)
    assert_clean(watch, "timeline")

    check_downloads(watch, browser, incidents.reset_index(drop=True), tmp_path)

    # The table is a canvas; choosing its second row focuses that incident (card + popup).
    grid = watch.page.get_by_test_id("stDataFrame")
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    for row in range(1, 6):  # hover a few rows (the grid draws hover states)
        watch.page.mouse.move(box["x"] + box["width"] / 3, box["y"] + 35 * row + 17)
    watch.page.mouse.click(box["x"] + 18, box["y"] + 35 + 35 * 1 + 17)
    chosen = incidents.iloc[1]
    watch.page.wait_for_function(
        "id => new URLSearchParams(location.search).get('incident') === id",
        arg=chosen["id"], timeout=LOAD_MS)
    check_card(watch, chosen)
    wait_text(watch, ".incident-popup .ip-title", chosen["title"], in_map=True)
    assert_clean(watch, "table row chosen")


def test_briefing_mode_steps_through_incidents(visit, hostile_incidents):
    steps = briefing_steps(hostile_incidents)
    watch = visit("/?view=briefing")
    rows = hostile_incidents.set_index("id", drop=False)
    wait_text(watch, ".im-step", "Title")  # the title step comes first
    assert_clean(watch, "briefing title step")
    for index in range(4):
        watch.page.get_by_role("button", name="Next").click()
        incident = rows.loc[steps[index]]
        check_card(watch, incident)
        wait_text(watch, ".im-step", f"Step {index + 1} of {len(steps)}")
        wait_text(watch, ".incident-focus-label", incident["place"], in_map=True)
        assert_clean(watch, f"briefing step {index + 1}")
    results = map_document(watch).evaluate(MAP_LOOP_JS)
    check_markers(results, rows, expected_count=int(rows["has_coords"].sum()))
    assert_clean(watch, "briefing map: every tooltip and popup")


def test_focused_incident_opens_its_popup_and_card(visit, incidents):
    chosen = incidents[incidents["title"].str.contains("<")].iloc[3]
    watch = visit(f"/?incident={chosen['id']}")
    wait_text(watch, ".incident-popup .ip-title", chosen["title"], in_map=True)
    check_card(watch, chosen)
    assert_clean(watch, f"?incident={chosen['id']}")


# ------------------------------------------------------------------------- the URL

#: Each set puts a payload in every URL parameter (and an unknown one). None of these
#: payloads has an "&" or ":material/" (see
#: test_notices_show_references_and_icon_codes_as_typed).
URL_SETS = {
    "html-markdown": [("q", P[76]), ("country", P[2]), ("country", P[84]), ("type", P[201]),
                      ("attribution", P[47]), ("years", P[40]), ("incident", P[30]),
                      ("view", P[85]), (P[82], P[3])],
    "templates-js": [("q", P[200]), ("country", P[53]), ("type", P[81]), ("type", P[46]),
                     ("attribution", P[44]), ("years", P[202]), ("incident", P[1]),
                     ("view", P[207]), (P[206], P[37])],
    "briefing": [("view", "briefing"), ("q", P[203]), ("country", P[79]), ("years", P[61]),
                 ("attribution", P[43]), ("type", P[64]), ("incident", P[80]), ("x", P[45])],
}


def _parts(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def expected_notices(params: list[tuple[str, str]]) -> list[str]:
    """The text of each notice the page must show, with the value as typed."""
    from dashboard.data.filters import shown

    expected = []
    for key, value in params:
        if key in ("country", "type", "attribution"):
            expected += [f"Ignored {key}={shown(part)}:" for part in _parts(value)]
        elif key == "years":
            expected.append(f"Ignored years={shown(','.join(_parts(value)))}:")
        elif key == "incident":
            expected.append(f"Ignored incident={shown(value)}:")
        elif key == "view" and value != "briefing":
            expected.append(f"Ignored view={shown(value)}:")
        elif key not in ("q", "view"):
            expected.append(f"Ignored unknown parameter '{shown(key)}'.")
    return expected


@pytest.mark.parametrize("name", list(URL_SETS))
def test_url_parameters_carry_payloads(visit, hostile_incidents, name):
    params = URL_SETS[name]
    assert not any(bad in key + value for key, value in params for bad in ("&", ":material/"))
    watch = visit("/?" + urlencode(params))
    page = watch.page
    page_wait(watch, HAS_ALERT, None)
    grouped: dict[str, list[str]] = {}
    for key, value in params:
        grouped.setdefault(key, []).append(value)
    filters, _ = parse_query_params(grouped)
    shown = apply_filters(hostile_incidents, filters)
    if len(shown):
        wait_for_map(watch, int(shown["has_coords"].sum()))
    alerts = " ".join(page.get_by_test_id("stAlert").all_text_contents())
    for notice in expected_notices(params):
        assert one_line(norm(notice)) in one_line(norm(alerts)), notice
    query = one_line(grouped.get("q", [""])[0])
    heading = "h1.im-step-heading" if ("view", "briefing") in params else '[data-testid="stCaptionContainer"]'
    assert f"matching \u201c{query}\u201d" in page.locator(heading).first.text_content()
    assert_clean(watch, f"URL parameters ({name})")
    if len(shown):
        results = map_document(watch).evaluate(MAP_LOOP_JS)
        check_markers(results, hostile_incidents.set_index("id", drop=False),
                      expected_count=int(shown["has_coords"].sum()))
        assert_clean(watch, f"URL parameters ({name}): popups")


#: Values Streamlit's Markdown would turn into something else (character references,
#: directives such as ``:material/warning:``) unless ``page_state.plain`` escapes them.
UNESCAPED = {"country": "&lt;b&gt;x&lt;/b&gt; &amp; &#106;avascript",
             "type": P[83]}  # :red[<img ...>] :material/warning:


def test_notices_show_references_and_icon_codes_as_typed(visit):
    watch = visit("/?" + urlencode([*UNESCAPED.items(), ("q", UNESCAPED["country"])]))
    page_wait(watch, HAS_ALERT, None)
    found = checks.problems(watch)
    if found or watch.errors:  # a payload ran: a real failure, never an expected one
        pytest.fail(f"a payload ran: {found} {watch.errors}")
    alert = norm(watch.page.get_by_test_id("stAlert").first.text_content())
    caption = norm(watch.page.get_by_test_id("stCaptionContainer").first.text_content())
    from dashboard.data.filters import shown

    for key, value in UNESCAPED.items():  # as typed (a long value cut at 60 characters)
        assert f"Ignored {key}={shown(value)}:" in alert
    assert f"matching \u201c{UNESCAPED['country']}\u201d" in caption


# ------------------------------------------------------------------------- exports


HOSTILE_TITLE = "\n".join([P[1], P[40], P[200], P[201], P[76], P[43], P[208]])


def test_html_export_with_a_hostile_title_and_query(browser, hostile_incidents,
                                                    hostile_dataset, tmp_path):
    view = View(title=HOSTILE_TITLE, filters=Filters(query=P[200]), offline=True)
    path = tmp_path / "titled.html"
    path.write_bytes(export_bytes(hostile_incidents, view, "html",
                                  provenance=Provenance.of(hostile_dataset)))
    watch = open_file(browser, path)
    try:
        page = watch.page
        assert page.locator(".export-header h1").text_content() == HOSTILE_TITLE
        # document.title collapses ASCII white space only (U+2028 stays)
        assert page.title() == re.sub(r"[\t\n\f\r ]+", " ", HOSTILE_TITLE).strip()
        assert f"matching \u201c{P[200]}\u201d" in page.locator(".export-header p").text_content()
        shown = apply_filters(hostile_incidents, Filters(query=P[200]))
        results = page.evaluate(MAP_LOOP_JS)
        check_markers(results, hostile_incidents.set_index("id", drop=False),
                      expected_count=int(shown["has_coords"].sum()))
        assert_clean(watch, "HTML export with a hostile title")
    finally:
        watch.page.context.close()


def test_png_snapshot_page_runs_nothing(browser, hostile_incidents, hostile_dataset,
                                       tmp_path):
    """The page the PNG is taken of, opened as render_snapshot opens it (a file)."""
    view = View(title=HOSTILE_TITLE, filters=Filters(query=P[46]), offline=True)
    rows = apply_filters(hostile_incidents, view.filters)
    assert len(rows) > 0
    page_html, _ = snapshot_page(rows, view, provenance=Provenance.of(hostile_dataset))
    path = tmp_path / "view.html"
    path.write_text(page_html, encoding="utf-8")
    page = browser.new_context(viewport={"width": 1200, "height": 800}).new_page()
    try:
        allowed = ("data:", "blob:", "about:", path.as_uri())
        checks.refuse_foreign(page, allowed)
        watch = Watch(page, allowed=allowed)
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_function("window.incidentExportReady === true", timeout=20_000)
        assert page.locator(".export-header h1").text_content() == HOSTILE_TITLE
        assert page.locator(".incident-marker").count() == int(rows["has_coords"].sum())
        assert page.locator(".export-footer").text_content().count(FILE_NAME) == 1
        assert_clean(watch, "PNG snapshot page")
    finally:
        page.context.close()


def test_cli_png_export_with_hostile_title_and_query(hostile_dataset, tmp_path):
    out = tmp_path / "hostile.png"
    result = subprocess.run(
        [str(BIN), "export", "-o", str(out), "--format", "png", "--data", str(hostile_dataset),
         "--offline", "--width", "800", "--height", "500", "--title", HOSTILE_TITLE,
         "--q", P[46]],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (800, 500)
