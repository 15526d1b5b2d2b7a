"""Sources as people read them: a seed document by its title, a link by its site and page.

A ``sources`` cell names seed files (``000_15aa79ff9f371381.txt``) and URLs. An audience
cannot read a file name, so a seed is shown by the title ``seeds/README.md`` gives it (the
table ``| `file` | title |``), and a link by its site and the page's name taken from the
address (``Wikipedia: Leon Trotsky``). Anything else (a printed source such as
``The Ukrainian Weekly: Oct. 15, 1959``) is shown as written.

>>> url_label("https://en.wikipedia.org/wiki/Leon_Trotsky")
'Wikipedia: Leon Trotsky'
>>> url_label("https://www.bbc.co.uk/news/world-europe-60986605")
'bbc.co.uk: world europe 60986605'
>>> url_label("https://www.rferl.org/a/30416291.html")
'rferl.org'
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from dashboard.data.schema import is_http_url, split_sources

SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"
SEED_NAME = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")
_TABLE_ROW = re.compile(r"^\|\s*`(?P<file>[^`]+)`\s*\|\s*(?P<title>.+?)\s*\|\s*$")
#: Sites better known by a name than by their address.
SITE_NAMES = {"wikipedia.org": "Wikipedia"}
MAX_LABEL = 90


@dataclass(frozen=True)
class Source:
    """One source: what to show (``label``), and a link when there is one."""

    text: str
    label: str
    url: str | None = None
    seed: bool = False


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


def url_label(url: str) -> str:
    """``site: page`` for an http(s) URL, from its host and the last part of its path."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    site = next((name for domain, name in SITE_NAMES.items()
                 if host == domain or host.endswith("." + domain)), host)
    segments = [s for s in unquote(parts.path).split("/") if s]
    page = ""
    if segments:
        page = re.sub(r"\.(html?|php|aspx?)$", "", segments[-1], flags=re.IGNORECASE)
        page = " ".join(re.split(r"[_\-+]+", page)).strip()
    # A page named by a number or a code (``/a/30416291.html``, ``?p=11754``) says nothing
    # to a reader: the publisher alone, never a numeric slug.
    if len(re.findall(r"[^\W\d_]", page)) < 3 or not re.search(r"[^\W\d_]{3}", page):
        page = ""
    return _shorten(f"{site}: {page}" if page else site)


def readable(item: str) -> Source:
    """One item of a ``sources`` cell as a :class:`Source`."""
    item = item.strip()
    if is_http_url(item):
        return Source(text=item, label=url_label(item), url=item)
    title = seed_titles().get(item)
    if title:
        return Source(text=item, label=f"Seed document: {title}", seed=True)
    return Source(text=item, label=_shorten(item))


def readable_sources(cell: str) -> list[Source]:
    """Every item of a ``sources`` cell as a :class:`Source`."""
    return [readable(item) for item in split_sources(cell)]
