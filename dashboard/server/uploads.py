"""Bytes a visitor may send: each upload, each session and the whole server, counted as the
bytes arrive (before Streamlit keeps them in memory).

Streamlit keeps every uploaded file in memory, per browser session, until the session's
page drops it or the session ends; and it accepts any number of files into one session.
This ASGI middleware stands before its upload route (``PUT
/_stcore/upload_file/<session>/<file>``) and refuses, with 413, an upload that would take
past:

- ``upload_mb``: the file itself;
- ``session_mb``: what the session already holds, plus its other uploads under way;
- ``uploads_mb``: what all sessions hold, plus every upload under way.

A declared ``Content-Length`` past the limit is refused before a byte is read; otherwise the
body is counted as it streams and cut off at the limit (whatever Streamlit kept of it is
removed). The session is then told why in one line: the notice is posted for its page
(:mod:`dashboard.base.notices`) and the session asked to run again, so the page shows it.
Held bytes are Streamlit's own count, so they are released when the page drops a file and
when the session ends.
"""

from __future__ import annotations

import logging
import re

from dashboard.base import notices
from dashboard.data.importers.limits import Limits, message

_LOGGER = logging.getLogger(__name__)

UPLOAD_PATH = re.compile(r"/_stcore/upload_file/(?P<session>[^/]+)/(?P<file>[^/]+)/?$")
#: A multipart body carries its file plus boundaries and part headers: this much more is
#: read before the exact size of the file is known.
FRAMING_BYTES = 64 * 1024


class UploadLimits:
    """ASGI middleware enforcing the upload byte limits (see the module's text)."""

    def __init__(self, app, limits: Limits, *, files, rerun):
        self.app = app
        self.limits = limits
        # Streamlit's file manager (``files()``: it exists once the server runs) and how to
        # ask a session to run its page again (``rerun(session_id)``), given by the app.
        self._files = files
        self._rerun_session = rerun
        #: Bytes received so far by uploads under way: {(session, file): bytes}.
        self.receiving: dict[tuple[str, str], int] = {}

    async def __call__(self, scope, receive, send):
        match = None
        if scope["type"] == "http" and scope.get("method") == "PUT":
            match = UPLOAD_PATH.search(scope.get("path", ""))
        if match is None:
            await self.app(scope, receive, send)
            return
        session, file_id = match.group("session"), match.group("file")
        key = (session, file_id)
        declared = _content_length(scope)
        passed = self._passed(session, file_id, max(declared - FRAMING_BYTES, 0))
        if passed:
            await self._refuse(send, session, passed)
            return
        refused: list[str] = []
        answered = False

        async def counting_receive():
            item = await receive()
            if item["type"] == "http.request" and not refused:
                self.receiving[key] = self.receiving.get(key, 0) + len(item.get("body", b""))
                over = self._passed(session, file_id, self.receiving[key] - FRAMING_BYTES)
                if over:
                    refused.append(over)  # cut the body off here: Streamlit stops reading
                    return {"type": "http.request", "body": b"", "more_body": False}
            return item

        async def guarded_send(item):
            nonlocal answered
            if refused:
                return  # our answer replaces Streamlit's
            answered = True
            await send(item)

        try:
            await self.app(scope, counting_receive, guarded_send)
        finally:
            self.receiving.pop(key, None)
        if not refused and not answered:  # pragma: no cover - Streamlit always answers
            refused.append("upload_mb")
        if refused:
            self._drop(session, file_id)
            await self._refuse(send, session, refused[0])

    # ------------------------------------------------------------------ counting

    def _passed(self, session: str, file_id: str, size: int) -> str | None:
        """The name of the limit an upload of ``size`` bytes passes, or None."""
        if size > self.limits.bytes("upload_mb"):
            return "upload_mb"
        others = sum(count for (s, f), count in self.receiving.items()
                     if s == session and f != file_id)
        if self._held_by(session, but=file_id) + others + size > \
                self.limits.bytes("session_mb"):
            return "session_mb"
        elsewhere = sum(count for k, count in self.receiving.items() if k != (session, file_id))
        if self._held_all(but=(session, file_id)) + elsewhere + size > \
                self.limits.bytes("uploads_mb"):
            return "uploads_mb"
        return None

    def _storage(self) -> dict:
        files = self._file_manager()
        storage = getattr(files, "file_storage", None)
        return storage if isinstance(storage, dict) else {}

    def _held_by(self, session: str, *, but: str) -> int:
        records = dict(self._storage().get(session, {}))
        return sum(len(getattr(record, "data", b"")) for file_id, record in records.items()
                   if file_id != but)

    def _held_all(self, *, but: tuple[str, str]) -> int:
        total = 0
        for session, records in list(self._storage().items()):
            for file_id, record in dict(records).items():
                if (session, file_id) != but:
                    total += len(getattr(record, "data", b""))
        return total

    def _file_manager(self):
        return self._files()

    def _drop(self, session: str, file_id: str) -> None:
        try:
            self._file_manager().remove_file(session_id=session, file_id=file_id)
        except Exception:  # noqa: BLE001 - nothing was kept
            pass

    # ------------------------------------------------------------------ answering

    async def _refuse(self, send, session: str, limit: str) -> None:
        line = message(limit, getattr(self.limits, limit))
        _LOGGER.warning("upload refused (session %s): %s", session[:8], line)
        notices.post(session, f"Upload not loaded: {line}")
        self._rerun(session)
        body = (line + "\n").encode("utf-8")
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    def _rerun(self, session: str) -> None:
        """Ask the session to run its page again, so the notice shows now."""
        try:
            self._rerun_session(session)
        except Exception:  # noqa: BLE001 - the notice shows at the next run instead
            _LOGGER.info("could not ask session %s to run again", session[:8])


def _content_length(scope) -> int:
    for key, value in scope.get("headers", []):
        if key.lower() == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() and len(text) < 19 else 0
    return 0
