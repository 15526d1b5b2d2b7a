"""An export made in the background (a deck, an animation), counted and cancellable.

The page starts a :class:`ExportJob` and keeps answering while it runs: it shows
``job.status()`` ("Drawing slide 7 of 17…") and a Cancel button that calls
:meth:`ExportJob.cancel`. The work is a function that takes the job's ``progress(n, total)``
callback; the callback raises :class:`ExportCancelled` once the job is cancelled, so the
work stops before its next slide or frame (the one being drawn is finished first).

>>> job = ExportJob(lambda progress: [progress(n, 3) for n in (1, 2, 3)] and b"done",
...                 noun="slide")
>>> job.wait(10), job.result, job.status()
(True, b'done', 'Done: 3 slides')
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class ExportCancelled(Exception):
    """The user cancelled the export."""


class ExportJob:
    """``work(progress)`` run in a thread of its own; its result or error kept."""

    def __init__(self, work: Callable[[Callable[[int, int], None]], bytes], *,
                 noun: str = "slide", token: object = None, start: bool = True):
        self.noun = noun
        self.token = token
        self.number = 0
        self.total = 0
        self.result: bytes | None = None
        self.error: BaseException | None = None
        self._cancel = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(work,), daemon=True,
                                        name="incident-map-export")
        if start:
            self._thread.start()

    def start(self) -> None:
        """Start a job made with ``start=False``."""
        self._thread.start()

    def _progress(self, number: int, total: int) -> None:
        if self._cancel.is_set():
            raise ExportCancelled(f"cancelled before {self.noun} {number} of {total}")
        self.number, self.total = number, total

    def _run(self, work) -> None:
        try:
            self.result = work(self._progress)
        except BaseException as error:  # kept for the page to show, never lost in a thread
            self.error = error
        finally:
            self._done.set()

    def cancel(self) -> None:
        """Stop before the next slide or frame."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def running(self) -> bool:
        return not self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the job to end; whether it has."""
        return self._done.wait(timeout)

    def fraction(self) -> float:
        return self.number / self.total if self.total else 0.0

    def status(self) -> str:
        """``Drawing slide 7 of 17…``, ``Cancelling…``, ``Done: 17 slides``."""
        if self.running:
            if self.cancelled:
                return "Cancelling…"
            if not self.total:
                return "Starting headless Chromium…"
            return f"Drawing {self.noun} {self.number} of {self.total}…"
        if isinstance(self.error, ExportCancelled):
            return f"Cancelled: {self.error}"
        if self.error is not None:
            return f"Failed: {self.error}"
        return f"Done: {self.total} {self.noun}{'' if self.total == 1 else 's'}"
