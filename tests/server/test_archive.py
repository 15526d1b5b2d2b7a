"""``serve --basemap FILE``: a usable PMTiles archive is served by range requests; anything
else is refused with one line before the server starts."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from starlette.applications import Starlette

from dashboard.maps import basemap
from dashboard.server.archive import archive_routes
from tests.browser.test_street_archive_browser import build_archive
from tests.test_cli import run


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "region.pmtiles"
    build_archive(path)
    return path


def get(app, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """(status, body) of one GET through the ASGI app, as a server would call it."""
    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "scheme": "http", "http_version": "1.1",
             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1234),
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    sent: list[dict] = []
    calls = []

    async def receive():
        calls.append(1)
        if len(calls) == 1:
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(30)  # the client stays connected until the response is sent
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def test_the_archive_is_served_by_range_requests(archive, monkeypatch):
    monkeypatch.setenv(basemap.ARCHIVE_ENV, str(archive))
    app = Starlette(routes=archive_routes())
    status, body = get(app, basemap.ARCHIVE_URL, {"Range": "bytes=0-15", "Host": "localhost"})
    assert status == 206
    assert body == archive.read_bytes()[:16] and body.startswith(b"PMTiles\x03")
    assert basemap.archive_url() == basemap.ARCHIVE_URL


def test_no_archive_no_route(monkeypatch, tmp_path):
    monkeypatch.delenv(basemap.ARCHIVE_ENV, raising=False)
    assert archive_routes() == [] and basemap.archive_url() is None
    monkeypatch.setenv(basemap.ARCHIVE_ENV, str(tmp_path / "missing.pmtiles"))
    assert archive_routes() == [] and basemap.archive_url() is None


def test_serve_refuses_what_is_not_a_pmtiles_archive(tmp_path):
    mbtiles = tmp_path / "region.mbtiles"
    sqlite3.connect(mbtiles).execute("create table tiles (z int)").connection.commit()
    text = tmp_path / "notes.pmtiles"
    text.write_text("not tiles", encoding="utf-8")
    for path, words in ((tmp_path / "missing.pmtiles", "no such file"),
                        (mbtiles, "pmtiles-convert"), (text, "not a PMTiles")):
        result = run("serve", "--basemap", str(path), "--port", "8598")
        assert result.returncode == 1, result.stderr
        assert words in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
