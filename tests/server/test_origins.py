"""The websocket and writes only from the served origin, exactly; no framing by others."""

from __future__ import annotations

import pytest

from dashboard.server.origins import SameOrigin
from tests.server.asgi import call, headers_of, http, status, websocket

HOST = "127.0.0.1:8501"


async def echo(scope, receive, send):
    """A stand-in for Streamlit: accepts websockets, answers 200 with a header of its own."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.accept"})
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


APP = SameOrigin(echo)


@pytest.mark.parametrize(("origin", "opens"), [
    ("http://127.0.0.1:8501", True),
    ("HTTP://127.0.0.1:8501", True),
    ("http://127.0.0.1:8723", False),      # another local program's page
    ("http://localhost:9999", False),
    ("http://localhost:8501", False),      # another name for the same server: another origin
    ("https://127.0.0.1:8501", False),
    ("http://127.0.0.1", False),
    ("http://127.0.0.1:8501.evil.example", False),
    ("null", False),                       # a sandboxed frame or a file
    (None, False),
])
def test_the_websocket_opens_for_the_served_origin_only(origin, opens):
    headers = {"host": HOST} | ({"origin": origin} if origin is not None else {})
    assert status(call(APP, websocket(headers))) == ("accepted" if opens else "closed")


def test_behind_a_tls_proxy_the_origin_is_https():
    headers = {"host": "maps.example.org", "x-forwarded-proto": "https",
               "origin": "https://maps.example.org"}
    assert status(call(APP, websocket(headers))) == "accepted"
    assert status(call(APP, websocket(headers | {"origin": "http://maps.example.org"}))) == \
        "closed"
    assert status(call(APP, websocket({"host": "m.example.org", "origin": "https://m.example.org"},
                                      scheme="wss"))) == "accepted"


@pytest.mark.parametrize(("headers", "code"), [
    ({"origin": "http://127.0.0.1:8501"}, 200),
    ({"origin": "http://127.0.0.1:8723"}, 403),
    ({"origin": "null"}, 403),
    ({"sec-fetch-site": "same-origin"}, 200),
    ({"sec-fetch-site": "cross-site"}, 403),
    ({"sec-fetch-site": "same-site"}, 403),   # another port of the same machine
    ({}, 200),                                 # not a browser: Streamlit's XSRF token decides
])
def test_writes_from_elsewhere_are_refused(headers, code):
    for method in ("PUT", "POST", "DELETE"):
        sent = call(APP, http(method, "/_stcore/upload_file/s/f", {"host": HOST} | headers))
        assert status(sent) == code, method
    # reading is never refused here (the Host check decides)
    assert status(call(APP, http("GET", "/", {"host": HOST} | headers))) == 200


def test_every_answer_says_only_this_origin_may_frame_it():
    for method, path in (("GET", "/"), ("GET", "/_stcore/health"), ("PUT", "/x")):
        for headers in ({"host": HOST}, {"host": HOST, "origin": "http://evil.example"}):
            sent = call(APP, http(method, path, headers))
            got = headers_of(sent)
            assert got["x-frame-options"] == "SAMEORIGIN"
            assert got["content-security-policy"] == "frame-ancestors 'self'"
            assert got.get("content-type", "").startswith("text/plain")
