"""One-line notices for a browser session, posted from outside its page run.

The server refuses an upload before the page sees it (its size passed a limit); it posts the
reason here under the session's id and asks the session to run again, and the page shows
what :func:`take` returns. Each session keeps its latest few notices, and only so many
sessions are kept (a notice nobody reads is dropped, oldest first).

>>> post("s1", "big.csv: larger than 100 MB")
>>> take("s1"), take("s1")
(['big.csv: larger than 100 MB'], [])
"""

from __future__ import annotations

import threading
from collections import OrderedDict

#: Sessions with notices waiting, and notices kept per session.
MAX_SESSIONS = 1_000
MAX_PER_SESSION = 3

_lock = threading.Lock()
_waiting: OrderedDict[str, list[str]] = OrderedDict()


def post(session_id: str, message: str) -> None:
    """Keep ``message`` for the session until its page takes it."""
    with _lock:
        notices = _waiting.pop(session_id, [])
        notices = [*notices, message][-MAX_PER_SESSION:]
        _waiting[session_id] = notices
        while len(_waiting) > MAX_SESSIONS:
            _waiting.popitem(last=False)


def take(session_id: str) -> list[str]:
    """The session's notices, oldest first; they are forgotten once taken."""
    with _lock:
        return _waiting.pop(session_id, [])
