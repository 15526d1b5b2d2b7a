"""Upload bytes are counted as they arrive: past a file's, a session's or the server's
limit the upload is cut off, nothing of it is kept, and the session is told why."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.base import notices
from dashboard.data.importers.limits import Limits
from dashboard.server.uploads import FRAMING_BYTES, UploadLimits
from tests.server.asgi import call, http, status

MB = 1024 * 1024


@dataclass
class Record:
    data: bytes


class Files:
    """Streamlit's in-memory file manager, as far as the middleware uses it."""

    def __init__(self):
        self.file_storage: dict[str, dict[str, Record]] = {}

    def remove_file(self, session_id, file_id):
        self.file_storage.get(session_id, {}).pop(file_id, None)


class Sessions:
    def __init__(self):
        self.reruns: list[str] = []

    def rerun(self, session_id: str) -> None:
        self.reruns.append(session_id)


def streamlit_like(files: Files):
    """Reads the whole body and keeps it as the file (as Streamlit's upload route does)."""
    async def app(scope, receive, send):
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        session, file_id = scope["path"].split("/")[-2:]
        files.file_storage.setdefault(session, {})[file_id] = Record(body)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
    return app


def setup(limits: Limits):
    files, sessions = Files(), Sessions()
    app = UploadLimits(streamlit_like(files), limits, files=lambda: files,
                       rerun=sessions.rerun)
    return app, files, sessions


def put(app, session: str, file_id: str, size: int, *, declared: bool = False,
        chunk: int = MB):
    headers = {"host": "127.0.0.1:8501"}
    if declared:
        headers["content-length"] = str(size)
    body = [b"x" * min(chunk, size - at) for at in range(0, size, chunk)]
    return status(call(app, http("PUT", f"/_stcore/upload_file/{session}/{file_id}", headers),
                       body))


def test_an_upload_within_the_limits_is_kept():
    app, files, _ = setup(Limits(upload_mb=2))
    assert put(app, "s", "f", 2 * MB) == 204
    assert len(files.file_storage["s"]["f"].data) == 2 * MB


def test_an_upload_past_its_limit_is_cut_off_kept_nowhere_and_explained():
    app, files, sessions = setup(Limits(upload_mb=2))
    assert put(app, "s", "f", 2 * MB + FRAMING_BYTES + 1) == 413
    assert files.file_storage.get("s", {}) == {}
    assert sessions.reruns == ["s"]
    (line,) = notices.take("s")
    assert line.startswith("Upload not loaded: larger than 2 MB (limit upload_mb=2; raise it ")
    assert "INCIDENT_MAP_LIMIT_UPLOAD_MB=N" in line


def test_a_declared_size_past_the_limit_is_refused_before_reading():
    app, files, _ = setup(Limits(upload_mb=2))
    sent = []

    async def never(scope, receive, send):
        sent.append("the app was called")

    app.app = never
    assert put(app, "s", "f", 3 * MB + FRAMING_BYTES, declared=True) == 413
    assert sent == []
    notices.take("s")


def test_a_body_that_lies_about_its_size_is_still_cut_off():
    app, files, _ = setup(Limits(upload_mb=1))
    headers = {"host": "127.0.0.1:8501", "content-length": "10"}
    body = [b"x" * MB] * 5
    sent = call(app, http("PUT", "/_stcore/upload_file/s/f", headers), body)
    assert status(sent) == 413 and files.file_storage.get("s", {}) == {}
    notices.take("s")


def test_a_session_holds_its_limit_in_all_and_gets_room_back_when_a_file_goes():
    app, files, _ = setup(Limits(upload_mb=3, session_mb=5, uploads_mb=100))
    assert put(app, "s", "a", 3 * MB) == 204
    assert put(app, "s", "b", 2 * MB) == 204
    assert put(app, "s", "c", 1 * MB) == 413  # eight files of 100 MB cannot pile up
    assert "limit session_mb=5" in notices.take("s")[0]
    assert put(app, "other", "a", 3 * MB) == 204  # another session has its own room
    files.remove_file("s", "a")  # the page dropped a file (or the session ended)
    assert put(app, "s", "c", 3 * MB) == 204
    assert put(app, "s", "b", 2 * MB) == 204  # the same file again replaces itself


def test_all_sessions_together_hold_at_most_the_servers_limit():
    app, files, _ = setup(Limits(upload_mb=3, session_mb=5, uploads_mb=7))
    assert put(app, "s1", "a", 3 * MB) == 204
    assert put(app, "s2", "a", 3 * MB) == 204
    assert put(app, "s3", "a", 2 * MB) == 413
    assert "limit uploads_mb=7" in notices.take("s3")[0]


def test_other_requests_pass_untouched():
    app, files, _ = setup(Limits(upload_mb=1))
    for method, path in (("GET", "/_stcore/upload_file/s/f"), ("PUT", "/elsewhere/s/f")):
        sent = call(app, http(method, path, {"host": "h"}), [b"x" * 3 * MB])
        assert status(sent) == 204
