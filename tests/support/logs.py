"""Waiting for a line to appear in a log file another program writes (nginx's access log):
woken by the kernel (inotify) each time the file is written, never by a timer."""

from __future__ import annotations

import ctypes
import os
import select
import time
from collections.abc import Callable
from pathlib import Path

IN_MODIFY = 0x00000002
_libc = ctypes.CDLL(None, use_errno=True)


def wait_for_line(path: Path, wanted: Callable[[str], bool], *, timeout: float = 30.0) -> str:
    """The last line of ``path`` for which ``wanted`` is true, once there is one; raises
    AssertionError after ``timeout`` seconds without it."""
    fd = _libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "inotify_init1 failed")
    try:
        if _libc.inotify_add_watch(fd, str(path).encode(), IN_MODIFY) < 0:
            raise OSError(ctypes.get_errno(), f"cannot watch {path}")
        deadline = time.monotonic() + timeout
        while True:
            lines = [line for line in path.read_text().splitlines() if wanted(line)]
            if lines:
                return lines[-1]
            left = deadline - time.monotonic()
            assert left > 0, f"no such line in {path} within {timeout:g} s"
            readable, _, _ = select.select([fd], [], [], left)  # until the file is written
            if readable:
                os.read(fd, 4096)  # the events themselves are not needed
    finally:
        os.close(fd)
