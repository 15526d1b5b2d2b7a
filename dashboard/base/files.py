"""Files: writing so that nothing is ever half-written (a temporary file, then a rename),
and reading only regular files, with a one-line reason for anything else."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path


def write_atomic(path: str | Path, data: bytes | str | Iterable[bytes], *,
                 parents: bool = False) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``.

    ``data`` may be an iterable of byte chunks, written as they come (a large export is
    never whole in memory).

    A reader sees the old file or the new one, never a mix; an existing file keeps its
    permissions. ``str`` data is written as UTF-8. ``parents`` creates missing folders
    first. Raises ``OSError`` on failure, leaving ``path`` as it was.
    """
    path = Path(path)
    if parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    chunks = [payload] if isinstance(payload, bytes | bytearray | memoryview) else payload
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class UnreadableFile(OSError):
    """A path that is not a regular file we can read; the message says why, in one line."""


def read_regular_file(path: str | Path) -> bytes:
    """The bytes of the regular file at ``path``, or UnreadableFile with a one-line reason.

    Never blocks: the file is opened without waiting (a FIFO with no writer, a device) and
    checked to be a regular file before anything is read, so a named pipe, a socket, a
    device, a folder, a symlink loop or a missing file each get a clear message.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise UnreadableFile(f"{path}: {_reason(error)}") from None
    try:
        kind = os.fstat(fd).st_mode
        if stat.S_ISDIR(kind):
            raise UnreadableFile(f"{path}: is a folder, not a file")
        if not stat.S_ISREG(kind):
            raise UnreadableFile(f"{path}: is {_special_kind(kind)}, not a regular file")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    except UnreadableFile:
        raise
    except OSError as error:
        raise UnreadableFile(f"{path}: {_reason(error)}") from None
    finally:
        os.close(fd)


def _reason(error: OSError) -> str:
    reasons = {
        errno.ENOENT: "no such file",
        errno.EACCES: "permission denied (cannot be read)",
        errno.EPERM: "permission denied (cannot be read)",
        errno.ELOOP: "is a symbolic link loop",
        errno.ENOTDIR: "a folder in its path is a file",
        errno.EISDIR: "is a folder, not a file",
        errno.ENAMETOOLONG: "the name is too long",
    }
    return reasons.get(error.errno, f"cannot be read ({error.strerror or error})")


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"
