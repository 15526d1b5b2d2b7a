"""Sources as people read them: a seed document by its title, a link by its publisher and headline.

A ``sources`` cell names seed files (``000_15aa79ff9f371381.txt``) and URLs. An audience
cannot read a file name or an address, so:

- a seed is shown by the title ``seeds/README.md`` gives it (the table ``| `file` | title |``);
- a link is shown as ``Publisher: Headline`` from the *source catalogue*, ``sources.csv``
  beside the dataset (``data/sources.csv`` for the curated dataset), one row per URL with
  its publisher, the headline read on the page, the date, an archived copy and the result
  of the last ``incident-map sources check``;
- a link the catalogue lacks, or whose headline was not recorded, falls back to the
  publisher (or the site's name) and the words of the page's address
  (``Wikipedia: Leon Trotsky``), marked as such by :attr:`Source.headline_from`;
- anything else (a printed source such as ``The Ukrainian Weekly: Oct. 15, 1959``) is shown
  as written.

This module is the one place the page, the popups and the exports get source labels from.

>>> url_label("https://en.wikipedia.org/wiki/Leon_Trotsky")
'Wikipedia: Leon Trotsky'
>>> url_label("https://www.bbc.co.uk/news/world-europe-60986605")
'bbc.co.uk: world europe 60986605'
>>> url_label("https://www.rferl.org/a/30416291.html")
'rferl.org'
>>> entry = SourceInfo(url="https://example.org/a", publisher="Example News",
...                    headline="Something happened")
>>> readable("https://example.org/a", Catalogue({entry.url: entry})).label
'Example News: Something happened'
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from dashboard.base.files import UnreadableFile, read_regular_file, write_atomic
from dashboard.data.loading import default_data_path
from dashboard.data.schema import is_http_url, split_sources

SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"
#: The catalogue of the curated dataset, used when the open dataset has none beside it.
BUNDLED_CATALOGUE = Path(__file__).resolve().parents[2] / "data" / "sources.csv"
#: The catalogue's file name, looked for beside the dataset.
CATALOGUE_NAME = "sources.csv"
SEED_NAME = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")
_TABLE_ROW = re.compile(r"^\|\s*`(?P<file>[^`]+)`\s*\|\s*(?P<title>.+?)\s*\|\s*$")
#: Sites better known by a name than by their address.
SITE_NAMES = {"wikipedia.org": "Wikipedia"}
MAX_LABEL = 90
#: The catalogue's columns, in file order.
CATALOGUE_COLUMNS = ("url", "publisher", "headline", "published", "archived", "status",
                     "checked")
#: Limits enforced while reading a catalogue: its size, and each cell's length.
MAX_CATALOGUE_BYTES = 20_000_000
MAX_CELL = 2_000
#: ``status`` values written by ``incident-map sources check``.
STATUSES = ("ok", "moved", "gone", "broken", "unreachable")


class CatalogueError(ValueError):
    """A catalogue that cannot be read at all; the message is one line."""


@dataclass(frozen=True)
class SourceInfo:
    """What the catalogue knows about one URL (empty strings where nothing is known)."""

    url: str
    publisher: str = ""
    headline: str = ""
    published: str = ""
    archived: str = ""
    status: str = ""
    checked: str = ""

    def row(self) -> dict[str, str]:
        return {column: getattr(self, column) for column in CATALOGUE_COLUMNS}


@dataclass
class Catalogue(Mapping[str, SourceInfo]):
    """URL -> :class:`SourceInfo`, with the problems found while reading the file."""

    entries: dict[str, SourceInfo] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def __getitem__(self, url: str) -> SourceInfo:
        return self.entries[url]

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def updated(self, info: SourceInfo) -> None:
        """Add or replace the entry of ``info.url``."""
        self.entries[info.url] = info


@dataclass(frozen=True)
class Source:
    """One source: what to show (``label``), and a link when there is one.

    ``headline_from`` says where the headline part of a link's label comes from: ``page``
    (read on the page and recorded in the catalogue) or ``address`` (the words of the URL).
    """

    text: str
    label: str
    url: str | None = None
    seed: bool = False
    publisher: str = ""
    headline: str = ""
    headline_from: str = ""
    archived: str = ""


@functools.cache
def seed_titles(folder: Path = SEEDS_DIR) -> dict[str, str]:
    """Seed file name to title, from the table in ``seeds/README.md`` (empty if none)."""
    try:
        text = (folder / "README.md").read_text(encoding="utf-8")
    except OSError:
        return {}
    titles = {}
    for line in text.splitlines():
        match = _TABLE_ROW.match(line.strip())
        if match and SEED_NAME.match(match["file"]):
            titles[match["file"]] = _shorten(match["title"].replace("`", ""))
    return titles


def _shorten(text: str, limit: int = MAX_LABEL) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def site_name(url: str) -> str:
    """The site's name for an http(s) URL: a known name, else its host without ``www.``."""
    host = (urlsplit(url).hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    return next((name for domain, name in SITE_NAMES.items()
                 if host == domain or host.endswith("." + domain)), host)


def headline_from_address(url: str) -> str:
    """The words of the last part of a URL's path (``leon trotsky`` style), or ``""``."""
    segments = [s for s in unquote(urlsplit(url).path).split("/") if s]
    if not segments:
        return ""
    page = re.sub(r"\.(html?|php|aspx?|cms)$", "", segments[-1], flags=re.IGNORECASE)
    page = " ".join(re.split(r"[_\-+]+", page)).strip()
    # A page named by a number or a code (``/a/30416291.html``, ``?p=11754``) says nothing
    # to a reader: the publisher alone, never a numeric slug.
    if len(re.findall(r"[^\W\d_]", page)) < 3 or not re.search(r"[^\W\d_]{3}", page):
        return ""
    return page


def url_label(url: str) -> str:
    """``site: page`` for an http(s) URL, from its host and the last part of its path."""
    site, page = site_name(url), headline_from_address(url)
    return _shorten(f"{site}: {page}" if page else site)


def _clean(value: object) -> str:
    """A cell as one line of text: control characters become spaces."""
    text = "" if value is None else str(value)
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def parse_catalogue(raw: bytes, *, name: str = "sources.csv") -> Catalogue:
    """A catalogue from the bytes of a ``sources.csv``.

    Rows that cannot be used (no http(s) ``url``, a cell over :data:`MAX_CELL` characters,
    a second row for the same URL) are left out and each named in ``problems`` by row
    (the header is row 1) and column. A file without a ``url`` column, or not UTF-8, raises
    :class:`CatalogueError`.
    """
    if len(raw) > MAX_CATALOGUE_BYTES:
        raise CatalogueError(f"{name}: larger than {MAX_CATALOGUE_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CatalogueError(f"{name}: not UTF-8 text (byte {error.start})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or "url" not in reader.fieldnames:
        raise CatalogueError(f"{name}: no 'url' column in the header")
    catalogue = Catalogue()
    try:
        for number, record in enumerate(reader, start=2):
            url = _clean(record.get("url"))
            if not is_http_url(url):
                catalogue.problems.append(f"{name} row {number}, column url: not an http(s) "
                                          f"address: {url[:80]!r}")
                continue
            long = [c for c in CATALOGUE_COLUMNS if len(str(record.get(c) or "")) > MAX_CELL]
            if long:
                catalogue.problems.append(f"{name} row {number}, column {long[0]}: longer "
                                          f"than {MAX_CELL} characters")
                continue
            if url in catalogue.entries:
                catalogue.problems.append(f"{name} row {number}, column url: {url[:80]} is "
                                          "listed twice; the first row is kept")
                continue
            catalogue.entries[url] = SourceInfo(
                url=url, **{c: _clean(record.get(c)) for c in CATALOGUE_COLUMNS if c != "url"})
    except csv.Error as error:
        raise CatalogueError(f"{name} row {reader.line_num}: {error}") from None
    return catalogue


def load_catalogue(path: str | Path) -> Catalogue:
    """The catalogue in ``path``; an empty one when the file does not exist."""
    path = Path(path)
    if not path.exists():
        return Catalogue()
    try:
        raw = read_regular_file(path)
    except UnreadableFile as error:
        raise CatalogueError(str(error)) from None
    return parse_catalogue(raw, name=path.name)


def write_catalogue(path: str | Path, catalogue: Catalogue) -> Path:
    """Write the catalogue to ``path`` atomically, sorted by URL, ``\\n`` line endings."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CATALOGUE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for url in sorted(catalogue.entries):
        writer.writerow(catalogue.entries[url].row())
    return write_atomic(path, out.getvalue())


def catalogue_path(dataset: str | Path) -> Path:
    """Where the catalogue of ``dataset`` lives: ``sources.csv`` in the dataset's folder."""
    return Path(dataset).parent / CATALOGUE_NAME


@functools.lru_cache(maxsize=8)
def _cached_catalogue(path: str, stamp: float) -> Catalogue:
    try:
        return load_catalogue(path)
    except CatalogueError:
        return Catalogue()


def catalogue_for(dataset: str | Path | None = None) -> Catalogue:
    """The catalogue beside ``dataset`` (default: the dataset the dashboard opens), else the
    bundled one; re-read when the file changes, empty when none can be read."""
    dataset = Path(dataset) if dataset is not None else default_data_path()
    for candidate in (catalogue_path(dataset), BUNDLED_CATALOGUE):
        try:
            stamp = candidate.stat().st_mtime
        except OSError:
            continue
        return _cached_catalogue(str(candidate.resolve()), stamp)
    return Catalogue()


def link_source(url: str, info: SourceInfo | None) -> Source:
    """A :class:`Source` for an http(s) URL, labelled ``Publisher: Headline``."""
    publisher = (info.publisher if info else "") or site_name(url)
    if info and info.headline:
        headline, origin = info.headline, "page"
    else:
        headline, origin = headline_from_address(url), "address"
    label = _shorten(f"{publisher}: {headline}" if headline else publisher)
    return Source(text=url, label=label, url=url, publisher=publisher, headline=headline,
                  headline_from=origin if headline else "", archived=info.archived if info else "")


def readable(item: str, catalogue: Mapping[str, SourceInfo] | None = None) -> Source:
    """One item of a ``sources`` cell as a :class:`Source` (``catalogue``: default
    :func:`catalogue_for` the open dataset)."""
    item = item.strip()
    if is_http_url(item):
        entries = catalogue_for() if catalogue is None else catalogue
        return link_source(item, entries.get(item))
    title = seed_titles().get(item)
    if title:
        return Source(text=item, label=f"Seed document: {title}", seed=True)
    return Source(text=item, label=_shorten(item))


def readable_sources(cell: str, catalogue: Mapping[str, SourceInfo] | None = None
                     ) -> list[Source]:
    """Every item of a ``sources`` cell as a :class:`Source`."""
    entries = catalogue_for() if catalogue is None else catalogue
    return [readable(item, entries) for item in split_sources(cell)]


def dataset_urls(cells: Iterable[object]) -> list[str]:
    """The distinct http(s) URLs of some ``sources`` cells, in first-seen order."""
    seen: dict[str, None] = {}
    for cell in cells:
        for item in split_sources(str(cell or "")):
            if is_http_url(item):
                seen.setdefault(item.strip(), None)
    return list(seen)


def with_check(info: SourceInfo, *, status: str, checked: str, archived: str | None = None
               ) -> SourceInfo:
    """``info`` with the result of a link check recorded (an archived copy kept if none new)."""
    return replace(info, status=status, checked=checked,
                   archived=archived if archived else info.archived)
