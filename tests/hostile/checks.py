"""What "nothing ran" means in a browser page, checked in every frame.

:class:`Watch` records, for one Playwright page, every dialog (``alert``/``confirm``/
``prompt``, dismissed at once), every uncaught page error and every request that leaves
the allowed origins. :func:`assert_clean` then asserts, in the page and in each of its
frames (the map and its popups live in a same-origin iframe):

- no dialog opened and ``window.__xss`` is unset (see ``payloads.mark``);
- the template markers ("tplevaluated", "1337") are nowhere in the document;
- no element carries an inline event handler (``on*=`` attribute), a ``javascript:``,
  ``vbscript:`` or ``data:text/...`` URL where a browser loads or navigates, or is one of
  the elements only a payload would add (``<base>``, ``<object>``, ``<embed>``,
  ``<iframe srcdoc>``, ``<meta http-equiv>``, ids ``xss15``/``x17``);
- no request went to another origin (the payloads aim at ``xss.invalid``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field

from .payloads import TEMPLATE_MARKERS

FRAME_REPORT_JS = r"""
(markers) => {
  const urlAttributes = new Set(["href", "src", "action", "formaction", "data", "xlink:href",
    "background", "poster", "codebase", "srcset", "ping", "lowsrc", "dynsrc", "to", "from",
    "values", "by", "content"]);
  const dangerous = /^(javascript|vbscript|livescript):|^data:(text|application)|url=javascript/;
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of Array.from(el.attributes)) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) { found.push(`${el.tagName} has ${name}=`); }
      if (urlAttributes.has(name)) {
        const value = attr.value.replace(/[\u0000-\u0020\u007f-\u009f]/g, "").toLowerCase();
        if (dangerous.test(value)) {
          found.push(`${el.tagName} ${name}="${attr.value.slice(0, 80)}"`);
        }
      }
    }
  }
  const injected = "base, object, embed, iframe[srcdoc]:not([srcdoc*='incident-map-frame-script']), meta[http-equiv='refresh' i], #xss15, #x17, " +
    "math[href]";
  for (const el of document.querySelectorAll(injected)) {
    found.push(`injected <${el.tagName.toLowerCase()}>`);
  }
  // "tplevaluated" anywhere in the document; numbers such as "1337" only where text or a
  // value can land (not in layout: Leaflet's pixel offsets, CSS, generated class names).
  const html = document.documentElement ? document.documentElement.outerHTML : "";
  const layout = new Set(["style", "class", "d", "transform", "points", "viewbox", "width",
    "height", "x", "y", "cx", "cy", "r", "x1", "x2", "y1", "y2"]);
  const values = [];
  const walker = document.createTreeWalker(document, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const parent = walker.currentNode.parentElement;
    if (!parent || parent.tagName !== "STYLE") { values.push(walker.currentNode.data); }
  }
  for (const el of document.querySelectorAll("*")) {
    for (const attr of Array.from(el.attributes)) {
      if (!layout.has(attr.name.toLowerCase())) { values.push(attr.value); }
    }
  }
  // folium names every element <kind>_<32 hex digits> (random: may hold "1337").
  const content = values.join("\n").replace(/[A-Za-z]\w*_[0-9a-f]{32}/g, "");
  const where = (marker) => (/^\d+$/.test(marker) ? content : html);
  return {
    url: location.href,
    xss: window.__xss === undefined ? null : String(window.__xss),
    found: found,
    // A number counts only on its own: "1337" inside 13373 (a town's population in the
    // embedded basemap) is not a template's answer.
    markers: markers.map((marker) => {
      const pattern = /^\d+$/.test(marker) ? new RegExp(`(?<![\\d.])${marker}(?![\\d.])`)
        : new RegExp(marker);
      const text = where(marker), match = pattern.exec(text);
      if (!match) { return null; }
      const at = match.index;
      return `${marker} (…${text.slice(Math.max(0, at - 80), at + 40)}…)`;
    }).filter((report) => report !== null),
  };
}
"""


@dataclass
class Watch:
    """Dialogs, page errors and foreign requests of one page (see the module docstring)."""

    page: object
    allowed: tuple[str, ...]
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", self._request)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _request(self, request) -> None:
        if not request.url.startswith(self.allowed):
            self.foreign.append(request.url)


def refuse_foreign(page, allowed: tuple[str, ...]) -> None:
    """Abort every request outside ``allowed`` (a page opened from disk: no network)."""

    def route(request_route):
        if request_route.request.url.startswith(allowed):
            request_route.continue_()
        else:
            request_route.abort()

    page.route("**/*", route)


#: folium's generated element names, ``map_`` + 32 random hex digits (may hold "1337").
GENERATED_NAME = re.compile(r"[A-Za-z]\w*_[0-9a-f]{32}")


def template_markers_in(text: str) -> list[str]:
    """The template markers found in an exported text (generated names left out)."""
    text = GENERATED_NAME.sub("", text)
    # A marker counts as a token of its own: "1337" inside a number of the embedded
    # basemap (a town of 13,373 people) is not a template's answer.
    return [marker for marker in TEMPLATE_MARKERS
            if re.search(rf"(?<![\d.]){re.escape(marker)}(?![\d.])", text)]


def frame_reports(page) -> list[dict]:
    reports = []
    for frame in page.frames:
        if frame.is_detached():
            continue
        reports.append(frame.evaluate(FRAME_REPORT_JS, list(TEMPLATE_MARKERS)))
    return reports


def problems(watch: Watch) -> list[str]:
    """Everything that shows a payload ran or a template was evaluated, in words."""
    found = [f"dialog opened: {message}" for message in watch.dialogs]
    found += [f"request left the origin: {url}" for url in watch.foreign]
    for report in frame_reports(watch.page):
        where = report["url"][:100]
        if report["xss"] is not None:
            found.append(f"window.__xss = [{report['xss']}] in {where}")
        found += [f"template marker {marker} in {where}" for marker in report["markers"]]
        found += [f"{item} in {where}" for item in report["found"]]
    return found


def assert_clean(watch: Watch, surface: str) -> None:
    found = problems(watch)
    assert found == [], f"{surface}: a payload ran or was evaluated:\n" + "\n".join(found)
    # A payload that breaks out of a script leaves a syntax error behind.
    assert watch.errors == [], f"{surface}: uncaught errors in the page: {watch.errors}"


def norm(text: str) -> str:
    """Text as an HTML parser keeps it: CR LF and lone CR become LF; the invisible word
    joiner the page puts after a colon that could open a Streamlit directive is dropped."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2060", "")


# -- data exports ---------------------------------------------------------------------------

#: Columns whose text must survive an export unchanged.
TEXT_COLUMNS = ("id", "title", "summary", "place", "perpetrator", "sponsor", "target",
                "source_quote", "notes", "sources", "related_id", "analyst_note")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def formula_cells(raw: bytes) -> list[tuple[int, str, str]]:
    """(line, column, cell) of every cell a spreadsheet would run as a formula."""
    reader = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    header = next(reader)
    unsafe = []
    for number, record in enumerate(reader, start=2):
        for column, cell in zip(header, record, strict=True):
            if cell.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(cell):
                unsafe.append((number, column, cell))
    return unsafe


def neutralised_cells(raw: bytes) -> int:
    reader = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    next(reader)
    return sum(cell.startswith("'") and cell[1:2] in ("=", "+", "-", "@", "\t", "\r", "'")
               for record in reader for cell in record)


def assert_csv_round_trip(raw: bytes, incidents, *, bom: bool) -> None:
    """No cell runs as a formula, and reading the file back gives the original text."""
    from dashboard.data.schema import parse_dataset, validate_frame

    assert raw.startswith(b"\xef\xbb\xbf") == bom
    assert formula_cells(raw) == []
    assert neutralised_cells(raw) > 0, "the data has formula payloads: some cell must be quoted"
    frame = parse_dataset(raw, name="export.csv")
    assert validate_frame(frame) == []
    assert len(frame) == len(incidents)
    for column in TEXT_COLUMNS:
        assert frame[column].tolist() == incidents[column].tolist(), column


def assert_geojson_text(raw: bytes, incidents) -> None:
    """Valid JSON, one Feature per row, every text property exactly the dataset's text."""
    collection = json.loads(raw.decode("utf-8"))
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert [feature["id"] for feature in features] == incidents["id"].tolist()
    for feature, (_, row) in zip(features, incidents.iterrows(), strict=True):
        properties = feature["properties"]
        for column in TEXT_COLUMNS:
            assert (properties[column] or "") == row[column], (row["id"], column)
        assert feature["geometry"]["coordinates"] == [row["lon"], row["lat"]]
