"""Run one job in a child process with its own memory cap and time limit.

A visitor's file is parsed in a worker process so that it cannot stall or exhaust the
server: the child's data memory is capped (``RLIMIT_DATA``: its heap and private memory,
what it really allocates; ``RLIMIT_AS`` would also count the address space that glibc and
Arrow reserve without using, about half as much again), it runs at a lower CPU
priority than the server, it is killed when it takes longer than its time, and at most
:data:`MAX_WORKERS` run at once (others wait for a turn). The job's input travels as bytes
through a pipe (no copy is pickled), its result comes back pickled.

Children are forked from a small server process started once (multiprocessing's
``forkserver``), never from the dashboard's own many-threaded process; the modules a job
needs are imported there once (:func:`preload`), so a job starts in milliseconds. A child
does not import the parent's ``__main__`` again, as multiprocessing otherwise does: in the
dashboard that is the Streamlit page itself (Streamlit runs it as ``__main__``).

>>> run_limited(len, b"four", memory_bytes=2**30, seconds=60)
4
"""

from __future__ import annotations

import io
import multiprocessing
import multiprocessing.context
import os
import pickle
import resource
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.connection import Connection
from typing import Any

#: Jobs that run at once; more wait for a turn (the machine has few cores).
MAX_WORKERS = 2
#: Added to the child's nice value: the server's own threads come first.
NICENESS = 10
#: The worker server's environment: two malloc arenas instead of one per thread, and
#: Arrow allocating from malloc (its own pool keeps freed memory, counted against the cap).
WORKER_ENV = {"MALLOC_ARENA_MAX": "2", "ARROW_DEFAULT_MEMORY_POOL": "system"}

_turns = threading.BoundedSemaphore(MAX_WORKERS)
_context_lock = threading.Lock()
_context: multiprocessing.context.BaseContext | None = None
_preloaded: list[str] = []


class WorkerLimit(Exception):
    """A job stopped by its worker's limit: ``kind`` is ``memory`` or ``seconds``."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class WorkerFailed(Exception):
    """A job that failed in an unexpected way (its exception could not be sent back)."""


@dataclass(frozen=True)
class Usage:
    """What one job used: seconds of wall clock and the child's peak memory (bytes)."""

    seconds: float
    peak_bytes: int


def preload(modules: list[str]) -> None:
    """Modules the worker server imports once, before its first job (call early)."""
    for module in modules:
        if module not in _preloaded:
            _preloaded.append(module)


def _get_context() -> multiprocessing.context.BaseContext:
    """The forkserver context, its server started (with :data:`WORKER_ENV`) if need be."""
    global _context
    with _context_lock:
        if _context is None:
            _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(list(_preloaded))
        saved = {name: os.environ.get(name) for name in WORKER_ENV}
        os.environ.update(WORKER_ENV)
        try:
            forkserver.ensure_running()
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        return _context


def start() -> None:
    """Start the worker server now (a server calls this at start-up, so the first upload
    does not wait for it)."""
    _get_context()


class _Popen(popen_forkserver.Popen):
    """multiprocessing's forkserver launch (Python 3.11-3.13), less the parent's
    ``__main__``: the child imports only the modules its job names."""

    def _launch(self, process_obj):
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_name", None)
        prep_data.pop("init_main_from_path", None)
        buffer = io.BytesIO()
        multiprocessing.context.set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buffer)
            reduction.dump(process_obj, buffer)
        finally:
            multiprocessing.context.set_spawning_popen(None)
        self.sentinel, write = forkserver.connect_to_new_process(self._fds)
        parent_write = os.dup(write)
        self.finalizer = util.Finalize(self, util.close_fds, (parent_write, self.sentinel))
        with open(write, "wb", closefd=True) as handle:
            handle.write(buffer.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _Process(multiprocessing.context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj):
        return _Popen(process_obj)


def run_limited(function: Callable[..., Any], data: bytes, *args: Any, memory_bytes: int,
                seconds: float, usage: list[Usage] | None = None) -> Any:
    """``function(data, *args)`` in a child process, its result; the function's own
    exception is raised again here.

    :class:`WorkerLimit` when the child needs more than ``memory_bytes`` of address space
    (``kind`` ``memory``) or more than ``seconds`` (``kind`` ``seconds``, the child is
    killed). ``usage``, when given, receives the job's :class:`Usage`.
    """
    context = _get_context()
    with _turns:
        receiver, sender = context.Pipe(duplex=True)
        child = _Process(target=_child, args=(sender, function, args, memory_bytes),
                         daemon=True)
        started = time.monotonic()
        child.start()
        sender.close()
        # A large input fills the pipe: it is sent while the answer is awaited.
        sending = threading.Thread(target=_send, args=(receiver, data), daemon=True)
        sending.start()
        try:
            return _collect(child, receiver, seconds, started, usage)
        finally:
            if child.is_alive():
                child.kill()
            child.join(timeout=10)
            sending.join(timeout=10)  # the pipe broke with the child, if not before
            receiver.close()


def _collect(child, receiver: Connection, seconds: float, started: float,
             usage: list[Usage] | None) -> Any:
    deadline = started + seconds
    while not receiver.poll(0.05):
        if time.monotonic() > deadline:
            child.kill()
            raise WorkerLimit("seconds", f"took more than {seconds:g} s")
        if not child.is_alive() and not receiver.poll(0):
            child.join(timeout=1)
            raise WorkerLimit("memory", f"the worker stopped (exit code {child.exitcode})")
    try:
        status, payload, peak = receiver.recv()
    except EOFError:  # it died before answering: killed by the kernel, or aborted
        child.join(timeout=5)  # (a C++ library's failed allocation ends in abort())
        raise WorkerLimit("memory", f"the worker stopped (exit code {child.exitcode})") from None
    except Exception as error:  # noqa: BLE001 - a broken answer is one line, not a traceback
        raise WorkerFailed(f"the worker's answer could not be read ({error})") from None
    if usage is not None:
        usage.append(Usage(time.monotonic() - started, peak))
    if status == "ok":
        return payload
    if status == "memory":
        raise WorkerLimit("memory", "ran out of its memory")
    if status == "error":
        raise payload
    raise WorkerFailed(str(payload))


def _send(connection: Connection, data: bytes) -> None:
    try:
        connection.send_bytes(data)
    except (OSError, ValueError, TypeError):
        pass  # the child is gone; the caller reports why


def _round_trips(error: BaseException) -> bool:
    """True when the exception comes back whole through pickle (a custom ``__init__`` may
    not)."""
    try:
        again = pickle.loads(pickle.dumps(error))
    except Exception:  # noqa: BLE001
        return False
    return type(again) is type(error) and str(again) == str(error)


def _child(connection: Connection, function, args, memory_bytes: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_DATA, (memory_bytes, memory_bytes))
    try:
        os.nice(NICENESS)
    except OSError:
        pass
    try:
        data = connection.recv_bytes()
        result = ("ok", function(data, *args))
        del data
    except MemoryError:
        result = ("memory", None)
    except Exception as error:  # noqa: BLE001 - sent back and raised in the parent
        result = ("error", error) if _round_trips(error) else (
            "failed", f"{type(error).__name__}: {error}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    try:
        connection.send((*result, peak))
    except MemoryError:
        connection.send(("memory", None, peak))
    except Exception as error:  # noqa: BLE001 - e.g. an exception that does not pickle
        connection.send(("failed", f"{type(error).__name__}: {error}", peak))
    finally:
        connection.close()
