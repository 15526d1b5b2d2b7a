"""Jobs in a worker process: results and errors come back, memory and time are capped, and
the worker is gone afterwards."""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from dashboard.base.worker import Usage, WorkerFailed, WorkerLimit, run_limited

MB = 1024 * 1024


class Refusal(Exception):
    pass


class Unpicklable(Exception):
    def __init__(self, a, b):
        super().__init__(f"{a} and {b}")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def refuse(data: bytes, why: str) -> None:
    raise Refusal(why)


def refuse_oddly(data: bytes) -> None:
    raise Unpicklable(1, 2)


def allocate(data: bytes, megabytes: int) -> int:
    held = [bytearray(MB) for _ in range(megabytes)]
    return len(held)


def spin(data: bytes) -> None:
    while True:
        pass


def abort(data: bytes) -> None:
    os.abort()


def pid(data: bytes) -> int:
    return os.getpid()


def test_the_input_arrives_whole_and_the_result_comes_back():
    data = os.urandom(3 * MB) * 10  # larger than a pipe's buffer many times over
    usage: list[Usage] = []
    assert run_limited(digest, data, memory_bytes=512 * MB, seconds=60,
                       usage=usage) == digest(data)
    assert usage[0].peak_bytes > len(data) and usage[0].seconds > 0


def test_the_jobs_own_error_is_raised_again_here():
    with pytest.raises(Refusal, match="not this file"):
        run_limited(refuse, b"", "not this file", memory_bytes=512 * MB, seconds=60)


def test_an_error_that_does_not_come_back_whole_is_one_line():
    with pytest.raises(WorkerFailed, match="Unpicklable: 1 and 2"):
        run_limited(refuse_oddly, b"", memory_bytes=512 * MB, seconds=60)


def test_more_memory_than_the_cap_stops_the_job():
    assert run_limited(allocate, b"", 50, memory_bytes=512 * MB, seconds=60) == 50
    with pytest.raises(WorkerLimit) as caught:
        run_limited(allocate, b"", 600, memory_bytes=512 * MB, seconds=60)
    assert caught.value.kind == "memory"


def test_a_job_that_dies_is_reported_as_its_memory():
    with pytest.raises(WorkerLimit) as caught:
        run_limited(abort, b"", memory_bytes=512 * MB, seconds=60)
    assert caught.value.kind == "memory"


def test_a_job_past_its_time_is_killed():
    started = time.monotonic()
    with pytest.raises(WorkerLimit) as caught:
        run_limited(spin, b"", memory_bytes=512 * MB, seconds=1)
    assert caught.value.kind == "seconds"
    assert time.monotonic() - started < 30


def test_each_job_runs_in_a_process_of_its_own_that_is_gone_afterwards():
    first = run_limited(pid, b"", memory_bytes=512 * MB, seconds=60)
    second = run_limited(pid, b"", memory_bytes=512 * MB, seconds=60)
    assert first != second != os.getpid()
    for child in (first, second):
        with pytest.raises(ProcessLookupError):
            os.kill(child, 0)
