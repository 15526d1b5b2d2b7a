"""Do a dataset's links still answer? One request per link, and an archived copy where one exists.

Each http(s) address is asked with ``HEAD`` (``GET`` when a server refuses ``HEAD``),
without following redirects, so a page that moved is reported as moved rather than
silently followed. Results:

- ``ok``: 2xx, or a redirect that only changes the scheme, ``www.`` or a trailing slash
  and then answers 2xx;
- ``moved``: a redirect elsewhere (``location`` says where);
- ``gone``: 404 or 410;
- ``broken``: any other status (403, 500, ...);
- ``unreachable``: no answer within the timeout, a refused connection, a DNS failure.

Archived copies are looked up in the Wayback Machine's availability API
(``https://archive.org/wayback/available?url=...``; another API of the same shape can be
given, e.g. a test server). Nothing from a response is evaluated; a response body is read
only for the archive API's JSON, at most :data:`MAX_ARCHIVE_BYTES`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

from dashboard import __version__

WAYBACK_API = "https://archive.org/wayback/available"
USER_AGENT = f"incident-map/{__version__} (sources check)"
#: Seconds to wait for a server to connect and answer.
TIMEOUT = 10.0
#: Links checked at once.
WORKERS = 8
MAX_ARCHIVE_BYTES = 1_000_000
FAILED = ("moved", "gone", "broken", "unreachable")


@dataclass(frozen=True)
class LinkResult:
    """The answer for one link: ``status`` (see the module), the HTTP ``code`` when there
    was one, where a redirect points, a short ``reason``, and an archived copy's address."""

    url: str
    status: str
    code: int | None = None
    location: str = ""
    reason: str = ""
    archived: str = ""

    @property
    def failed(self) -> bool:
        return self.status in FAILED

    def line(self) -> str:
        """One line for the terminal: status, code, the link and what happened."""
        code = f" {self.code}" if self.code is not None else ""
        detail = f" -> {self.location}" if self.location else (
            f" ({self.reason})" if self.reason else "")
        archived = f" [archived: {self.archived}]" if self.archived else ""
        return f"{self.status}{code}: {self.url}{detail}{archived}"


def _key(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    return host, parts.path.rstrip("/") or "/", parts.query


def same_page(url: str, location: str) -> bool:
    """True when a redirect only changes the scheme, ``www.`` or a trailing slash."""
    return _key(url) == _key(location)


def new_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


def _ask(session: requests.Session, url: str, timeout: float) -> requests.Response:
    response = session.head(url, allow_redirects=False, timeout=timeout)
    if response.status_code in (405, 501) or (response.status_code == 403
                                              and not response.is_redirect):
        # Some servers refuse HEAD: ask again with GET, reading none of the body.
        response.close()
        response = session.get(url, allow_redirects=False, timeout=timeout, stream=True)
        response.close()
    return response


def check_link(url: str, *, session: requests.Session | None = None,
               timeout: float = TIMEOUT, hops: int = 3) -> LinkResult:
    """Ask ``url`` once (and follow up to ``hops`` redirects to the same page)."""
    session = session or new_session()
    current = url
    for _ in range(hops + 1):
        try:
            response = _ask(session, current, timeout)
        except requests.Timeout:
            return LinkResult(url, "unreachable", reason=f"no answer within {timeout:g} s")
        except requests.RequestException as error:
            return LinkResult(url, "unreachable", reason=_short(error))
        code = response.status_code
        if 200 <= code < 300:
            return LinkResult(url, "ok", code)
        if response.is_redirect or 300 <= code < 400:
            location = urljoin(current, response.headers.get("Location", ""))
            if location and same_page(current, location) and location != current:
                current = location
                continue
            return LinkResult(url, "moved", code, location=location)
        if code in (404, 410):
            return LinkResult(url, "gone", code, reason=response.reason or "")
        return LinkResult(url, "broken", code, reason=response.reason or "")
    return LinkResult(url, "moved", None, location=current, reason="too many redirects")


def _short(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text if len(text) <= 120 else text[:119] + "\u2026"


def archived_copy(url: str, *, session: requests.Session | None = None,
                  api: str = WAYBACK_API, timeout: float = TIMEOUT) -> str:
    """The address of the closest archived copy of ``url``, or ``""`` when there is none
    (or the archive does not answer)."""
    session = session or new_session()
    try:
        with session.get(api, params={"url": url}, timeout=timeout, stream=True) as response:
            if response.status_code != 200:
                return ""
            body = response.raw.read(MAX_ARCHIVE_BYTES + 1, decode_content=True)
    except requests.RequestException:
        return ""
    if len(body) > MAX_ARCHIVE_BYTES:
        return ""
    try:
        closest = json.loads(body).get("archived_snapshots", {}).get("closest", {})
    except (ValueError, AttributeError):
        return ""
    address = closest.get("url", "") if isinstance(closest, dict) else ""
    available = isinstance(closest, dict) and closest.get("available") is True
    return address if available and isinstance(address, str) and address.startswith(
        ("http://", "https://")) else ""


def check_links(urls: Iterable[str], *, timeout: float = TIMEOUT, workers: int = WORKERS,
                archive: bool = True, archive_api: str = WAYBACK_API,
                known_archives: dict[str, str] | None = None,
                progress: Callable[[LinkResult], None] | None = None) -> list[LinkResult]:
    """Check every URL (``workers`` at a time); with ``archive``, look up an archived copy
    for each link that has none in ``known_archives``. Results keep the input order."""
    urls = list(dict.fromkeys(urls))
    known_archives = known_archives or {}
    session = new_session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=workers, pool_maxsize=workers)
    session.mount("http://", adapter)
    session.mount("https://", adapter)

    def one(url: str) -> LinkResult:
        result = check_link(url, session=session, timeout=timeout)
        copy = known_archives.get(url, "")
        if archive and not copy:
            copy = archived_copy(url, session=session, api=archive_api, timeout=timeout)
        if copy:
            result = LinkResult(result.url, result.status, result.code, result.location,
                                result.reason, copy)
        if progress:
            progress(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(one, urls))
