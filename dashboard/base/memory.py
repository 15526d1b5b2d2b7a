"""Giving freed memory back to the system, in a long-running server.

A Python process that built a large table and dropped it (a closed session's upload, an
editor's parsed rows) keeps most of that memory: glibc's malloc holds the freed small
blocks in its arenas for reuse, and the process's resident size stays at its high-water
mark. :func:`start_trimming` runs ``malloc_trim(0)`` now and then in a daemon thread, which
returns the free pages of every arena to the system, so what the server holds is what its
sessions hold. Elsewhere than glibc it does nothing.

>>> trim() in (True, False)
True
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading

#: Seconds between two trims (each takes a few milliseconds on a server of a gigabyte).
EVERY = 20.0

_started = threading.Event()


def _malloc_trim():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def trim() -> bool:
    """Return the free memory of malloc's arenas to the system; True if any was."""
    return bool(_TRIM(0)) if _TRIM is not None else False


def start_trimming(every: float = EVERY) -> None:
    """Trim every ``every`` seconds in a daemon thread (once per process)."""
    if _TRIM is None or _started.is_set():
        return
    _started.set()

    def run() -> None:
        while True:
            _stop.wait(every)
            trim()

    threading.Thread(target=run, name="malloc-trim", daemon=True).start()


_stop = threading.Event()  # never set: the thread ends with the process
