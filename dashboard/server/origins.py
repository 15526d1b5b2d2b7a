"""Only the dashboard's own pages may drive it: the websocket and every write must come from
the origin the dashboard is served at, and no other site may frame it.

A page served by any other program (another port on the same machine included: origins
differ by scheme, host *and* port) could otherwise open the dashboard's websocket from the
visitor's browser and edit under the visitor's name. Streamlit's own check accepts any
origin whose *host name* is a local one; this one compares the whole origin:

- a websocket (``/_stcore/stream``) opens only when its ``Origin`` is exactly the served
  origin: ``http://`` (``https://`` for ``wss``, or when a reverse proxy says so in
  ``X-Forwarded-Proto``) followed by the request's own ``Host`` (already checked against the
  names the server answers to, :mod:`dashboard.server.hosts`); no ``Origin`` (browsers always
  send one) is refused too;
- a write over HTTP (any method but GET, HEAD and OPTIONS: uploads and their removal) is
  refused with 403 when a browser says it comes from elsewhere (``Origin``, or
  ``Sec-Fetch-Site`` other than ``same-origin``); Streamlit's XSRF token is checked as well;
- every HTTP answer carries ``X-Frame-Options: SAMEORIGIN`` and
  ``Content-Security-Policy: frame-ancestors 'self'``, so no other site can frame the page
  to make a visitor click in it.

>>> served_origin({"scheme": "ws"}, {"host": "127.0.0.1:8501"})
'http://127.0.0.1:8501'
>>> served_origin({"scheme": "ws"}, {"host": "maps.example.org", "x-forwarded-proto": "https"})
'https://maps.example.org'
"""

from __future__ import annotations

import logging

_LOGGER = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FRAME_HEADERS = [(b"x-frame-options", b"SAMEORIGIN"),
                 (b"content-security-policy", b"frame-ancestors 'self'")]
SECURE_SCHEMES = {"https": "https", "wss": "https"}


def _headers(scope) -> dict[str, str]:
    return {key.decode("latin-1").lower(): value.decode("latin-1")
            for key, value in scope.get("headers", [])}


def served_origin(scope, headers: dict[str, str]) -> str:
    """The origin this request's page was served at: scheme and the request's ``Host``."""
    forwarded = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    if forwarded in ("http", "https"):
        scheme = forwarded
    else:
        scheme = SECURE_SCHEMES.get(scope.get("scheme", "http"), "http")
    return f"{scheme}://{headers.get('host', '').strip().lower()}"


def same_origin(scope, headers: dict[str, str]) -> bool:
    """True when the request's ``Origin`` is exactly the served origin."""
    origin = headers.get("origin")
    return origin is not None and origin.strip().lower() == served_origin(scope, headers)


class SameOrigin:
    """ASGI middleware: the websocket and writes from the served origin only; frame headers
    on every HTTP answer."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind == "websocket":
            headers = _headers(scope)
            if not same_origin(scope, headers):
                _LOGGER.warning("websocket refused: Origin %r is not %r",
                                headers.get("origin"), served_origin(scope, headers))
                await send({"type": "websocket.close", "code": 1008})
                return
        elif kind == "http":
            headers = _headers(scope)
            if scope.get("method", "GET") not in SAFE_METHODS and not _may_write(scope, headers):
                await _refuse(send)
                return
            send = _with_frame_headers(send)
        await self.app(scope, receive, send)


def _may_write(scope, headers: dict[str, str]) -> bool:
    """A write is refused when the browser says where it comes from and that is elsewhere
    (a client that is not a browser sends neither header, and cannot borrow a visitor's
    session: it still needs Streamlit's XSRF cookie and token)."""
    if "origin" in headers:
        return same_origin(scope, headers)
    return headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")


async def _refuse(send) -> None:
    body = b"refused: this request does not come from the dashboard's own page\n"
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *FRAME_HEADERS]})
    await send({"type": "http.response.body", "body": body})


def _with_frame_headers(send):
    async def sending(message):
        if message["type"] == "http.response.start":
            present = {(key.lower(), value) for key, value in message.get("headers", [])}
            # Another policy of the same name would be enforced as well: add ours anyway.
            extra = [header for header in FRAME_HEADERS if header not in present]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return sending
