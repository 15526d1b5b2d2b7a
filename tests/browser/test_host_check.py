"""The running server refuses requests whose Host is not its own (DNS rebinding), and a
websocket or a write whose Origin is not exactly the page's own (another local program)."""

from __future__ import annotations

import asyncio
import http.client
from urllib.parse import urlsplit

import websockets


def _status(base_url: str, path: str, host: str) -> int:
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": host})
        return connection.getresponse().status
    finally:
        connection.close()


def _websocket(base_url: str, host: str, origin: str | None = None) -> str:
    parts = urlsplit(base_url)

    async def attempt() -> str:
        # Connect to the server's own address, but name ``host`` in the request.
        uri = f"ws://{host}/_stcore/stream"
        try:
            async with websockets.connect(uri, host=parts.hostname, port=parts.port,
                                          subprotocols=["streamlit"], origin=origin,
                                          open_timeout=10):
                return "open"
        except websockets.exceptions.InvalidStatus as error:
            return f"refused {error.response.status_code}"

    return asyncio.run(attempt())


def test_own_names_are_served(server):
    port = urlsplit(server).port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
        assert _status(server, "/_stcore/health", host) == 200, host
    assert _status(server, "/", f"localhost:{port}") == 200
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        assert _websocket(server, host, origin=f"http://{host}") == "open"


def test_a_page_of_another_local_origin_cannot_open_the_websocket(server):
    """A page served by another program on this machine (another port, another loopback
    name, https) must not drive the dashboard: the origin must match exactly."""
    port = urlsplit(server).port
    host = f"127.0.0.1:{port}"
    for origin in (f"http://127.0.0.1:{port + 1}", "http://127.0.0.1:8723",
                   "http://localhost:9999", f"http://localhost:{port}",
                   f"https://127.0.0.1:{port}", "null", None):
        assert _websocket(server, host, origin=origin) == "refused 403", origin


def test_every_answer_forbids_framing_by_other_sites(server):
    for path in ("/", "/_stcore/health", "/app/static/vendor/leaflet/leaflet.js"):
        status, headers, _ = _get(server, path, None)
        assert status == 200, path
        assert headers["x-frame-options"] == "SAMEORIGIN"
        assert headers["content-security-policy"] == "frame-ancestors 'self'"


def test_an_upload_from_another_origin_is_refused(server):
    parts = urlsplit(server)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("PUT", "/_stcore/upload_file/any-session/any-file", body=b"x",
                           headers={"Host": f"127.0.0.1:{parts.port}",
                                    "Origin": f"http://127.0.0.1:{parts.port + 1}"})
        assert connection.getresponse().status == 403
    finally:
        connection.close()


def test_foreign_host_is_refused_for_http_and_websocket(server):
    port = urlsplit(server).port
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}",
                 f"localhost.evil.example:{port}", ""):
        for path in ("/", "/_stcore/health", "/app/static/vendor/leaflet/leaflet.js",
                     "/_stcore/host-config"):
            assert _status(server, path, host) == 400, (host, path)
    assert _websocket(server, f"evil.example:{port}",
                      origin=f"http://evil.example:{port}") == "refused 400"
    # Our own Host, but a page on another site opening the socket: refused too.
    assert _websocket(server, f"127.0.0.1:{port}", origin="http://evil.example").startswith(
        "refused")


def _get(base_url: str, path: str, encoding: str | None) -> tuple[int, dict, bytes]:
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    headers = {"Host": f"127.0.0.1:{parts.port}"}
    if encoding:
        headers["Accept-Encoding"] = encoding
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, \
            response.read()
    finally:
        connection.close()


def test_scripts_are_compressed_for_browsers_that_accept_gzip(server):
    import gzip
    import re

    status, _, page = _get(server, "/", None)
    assert status == 200
    # Streamlit's own main script, named in the page (its largest download).
    script = re.search(rb'src="(\.?/?static/js/[^"]+\.js)"', page)
    assert script, page[:500]
    path = "/" + script.group(1).decode().lstrip("./")
    status, plain_headers, plain = _get(server, path, None)
    assert status == 200 and "content-encoding" not in plain_headers
    status, headers, packed = _get(server, path, "gzip")
    assert status == 200 and headers.get("content-encoding") == "gzip"
    assert gzip.decompress(packed) == plain
    assert len(packed) < len(plain) / 2
    # Our own static files too.
    status, headers, packed = _get(server, "/app/static/vendor/leaflet/leaflet.js", "gzip")
    assert status == 200 and headers.get("content-encoding") == "gzip"
