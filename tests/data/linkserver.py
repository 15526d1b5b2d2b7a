"""A real HTTP server on loopback for the link-check tests: 200, a redirect to the same page,
301 elsewhere, 404, 410, 500, a server that refuses HEAD, one that never answers in time,
and a Wayback-style availability API that has copies of the gone pages."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

#: Released when the module's tests are done: the "slow" page never answers before that.
RELEASE = threading.Event()
SNAPSHOT = "http://archive.test/web/2024/{url}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep the test output quiet
        pass

    def _answer(self, code: int, body: bytes = b"", headers: dict[str, str] | None = None):
        self.send_response(code)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/slow":
            RELEASE.wait(30)
            return self._answer(200)
        if parts.path == "/no-head":
            return self._answer(405)
        routes = {"/ok": (200, {}), "/ok/": (200, {}),
                  "/moved": (301, {"Location": "/somewhere-else"}),
                  "/same": (301, {"Location": "/same/"}), "/same/": (200, {}),
                  "/gone": (404, {}), "/removed": (410, {}), "/error": (500, {})}
        code, headers = routes.get(parts.path, (404, {}))
        return self._answer(code, headers=headers)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/wayback":
            url = parse_qs(parts.query).get("url", [""])[0]
            closest = ({"available": True, "url": SNAPSHOT.format(url=url), "status": "200"}
                       if url.endswith(("/gone", "/removed")) else None)
            snapshots = {"closest": closest} if closest else {}
            body = json.dumps({"url": url, "archived_snapshots": snapshots}).encode()
            return self._answer(200, body, {"Content-Type": "application/json"})
        if parts.path == "/no-head":
            return self._answer(200, b"hello")
        return self.do_HEAD()


@contextmanager
def link_server() -> Iterator[str]:
    """Serve on a free loopback port; yields the base address. The slow page is released
    when the block ends, so no handler thread outlives it."""
    RELEASE.clear()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        RELEASE.set()
        httpd.shutdown()
        httpd.server_close()
