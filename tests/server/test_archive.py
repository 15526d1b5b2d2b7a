"""``serve --basemap FILE``: a usable PMTiles archive is served by range requests, an MBTiles
archive tile by tile; anything else is refused with one line before the server starts."""

from __future__ import annotations

import asyncio
import gzip
import sqlite3

import pytest
from starlette.applications import Starlette

from dashboard.maps import tile_archive as basemap
from dashboard.server.archive import archive_routes
from tests.browser.test_street_archive_browser import (
    MAX_ZOOM,
    build_archive,
    build_mbtiles,
    build_vector_archive,
    painted_png,
    street_tile,
)
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
        await asyncio.sleep(30)  # deliberate delay: the client stays connected until the end
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    get.headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], b"".join(m.get("body", b"") for m in sent
                                     if m["type"] == "http.response.body")


def test_the_archive_is_served_by_range_requests(archive, monkeypatch):
    monkeypatch.setenv(basemap.ARCHIVE_ENV, str(archive))
    app = Starlette(routes=archive_routes())
    status, body = get(app, basemap.ARCHIVE_URL, {"Range": "bytes=0-15", "Host": "localhost"})
    assert status == 206
    assert body == archive.read_bytes()[:16] and body.startswith(b"PMTiles\x03")
    assert basemap.archive_url() == basemap.ARCHIVE_URL


def test_an_mbtiles_archive_is_served_tile_by_tile_in_xyz_order(tmp_path, monkeypatch):
    path = tmp_path / "region.mbtiles"
    build_mbtiles(path)
    with sqlite3.connect(path) as db:  # one tile told apart: x=1, XYZ y=0 is row 1 at z=1
        db.execute("update tiles set tile_data = ? where zoom_level = 1 and tile_column = 1 "
                   "and tile_row = 1", (b"north-east",))
    db.close()
    monkeypatch.setenv(basemap.ARCHIVE_ENV, str(path))
    assert basemap.archive_url() == basemap.TILES_URL
    app = Starlette(routes=archive_routes())
    assert get(app, "/basemap/tiles/1/1/0", {"Host": "localhost"}) == (200, b"north-east")
    status, body = get(app, "/basemap/tiles/0/0/0", {"Host": "localhost"})
    assert (status, body) == (200, painted_png()) and get.headers["content-type"] == "image/png"
    for missing in (f"/basemap/tiles/{MAX_ZOOM + 1}/0/0", "/basemap/tiles/1/2/0"):
        assert get(app, missing, {"Host": "localhost"})[0] == 404
    assert get(app, "/basemap/tiles/1/x/0", {"Host": "localhost"})[0] == 404


def test_gzipped_vector_tiles_are_sent_for_the_browser_to_inflate(tmp_path, monkeypatch):
    path = tmp_path / "streets.mbtiles"
    tile = gzip.compress(street_tile())
    build_mbtiles(path, tile=tile, tile_format="pbf")
    monkeypatch.setenv(basemap.ARCHIVE_ENV, str(path))
    archive = basemap.named_archive()
    assert archive.vector and archive.max_zoom == MAX_ZOOM
    status, body = get(Starlette(routes=archive_routes()), "/basemap/tiles/2/1/1",
                       {"Host": "localhost"})
    assert status == 200 and body == tile
    assert get.headers["content-encoding"] == "gzip"
    assert get.headers["content-type"] == "application/x-protobuf"


def test_a_vector_pmtiles_archive_is_recognised(tmp_path):
    path = tmp_path / "streets.pmtiles"
    build_vector_archive(path)
    archive = basemap.read_archive(path)
    assert (archive.container, archive.format, archive.vector, archive.max_zoom) == \
        ("pmtiles", "pbf", True, 14)
    assert archive.browser_options()["url"] == basemap.ARCHIVE_URL


def test_no_archive_no_route(monkeypatch, tmp_path):
    monkeypatch.delenv(basemap.ARCHIVE_ENV, raising=False)
    assert archive_routes() == [] and basemap.archive_url() is None
    monkeypatch.setenv(basemap.ARCHIVE_ENV, str(tmp_path / "missing.pmtiles"))
    assert archive_routes() == [] and basemap.archive_url() is None


@pytest.mark.slow  # starts the server once per bad archive
def test_serve_refuses_what_is_not_a_usable_archive(tmp_path):
    mbtiles = tmp_path / "region.mbtiles"
    sqlite3.connect(mbtiles).execute("create table tiles (z int)").connection.commit()
    avif = tmp_path / "region-avif.mbtiles"
    build_mbtiles(avif, tile_format="avif")
    text = tmp_path / "notes.pmtiles"
    text.write_text("not tiles", encoding="utf-8")
    for path, words in ((tmp_path / "missing.pmtiles", "no such file"),
                        (mbtiles, "not an MBTiles archive"), (avif, "cannot be drawn"),
                        (text, "neither a PMTiles")):
        result = run("serve", "--basemap", str(path), "--port", "8598")
        assert result.returncode == 1, result.stderr
        assert words in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize("name", ["region #1.mbtiles", "region?mode=rwc.mbtiles",
                                  "100%.mbtiles", "a b&c=d.mbtiles"])
def test_an_archive_name_with_uri_characters_is_opened_as_named(tmp_path, monkeypatch, name):
    """The path is given to SQLite as a URI: a "#" or "?" in a name once cut the name short
    and made SQLite create a stray file."""
    path = tmp_path / name
    build_mbtiles(path)
    before = sorted(p.name for p in tmp_path.iterdir())
    monkeypatch.setenv(basemap.ARCHIVE_ENV, str(path))
    assert basemap.named_archive() is not None
    status, body = get(Starlette(routes=archive_routes()), "/basemap/tiles/0/0/0",
                       {"Host": "localhost"})
    assert (status, body) == (200, painted_png())
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no stray file


def test_a_tile_number_of_thousands_of_digits_is_not_found(tmp_path, monkeypatch):
    path = tmp_path / "region.mbtiles"
    build_mbtiles(path)
    monkeypatch.setenv(basemap.ARCHIVE_ENV, str(path))
    app = Starlette(routes=archive_routes())
    huge = "9" * 5000
    for tile in (f"/basemap/tiles/{huge}/0/0", f"/basemap/tiles/1/{huge}/0",
                 f"/basemap/tiles/1/0/{huge}", "/basemap/tiles/1/99999999999/0",
                 "/basemap/tiles/40/0/0"):
        assert get(app, tile, {"Host": "localhost"})[0] == 404, tile[:40]
