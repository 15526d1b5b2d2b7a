"""The running server refuses requests whose Host is not its own (DNS rebinding)."""

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
    assert _websocket(server, f"127.0.0.1:{port}") == "open"


def test_foreign_host_is_refused_for_http_and_websocket(server):
    port = urlsplit(server).port
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}",
                 f"localhost.evil.example:{port}", ""):
        for path in ("/", "/_stcore/health", "/app/static/vendor/leaflet/leaflet.js",
                     "/_stcore/host-config"):
            assert _status(server, path, host) == 400, (host, path)
    assert _websocket(server, f"evil.example:{port}") == "refused 400"
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
