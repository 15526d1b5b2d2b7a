"""Start the dashboard in the background on a free local port, for scripts and tests.

Example::

    with running_dashboard(data=Path("data/incidents.csv"), log_path=Path("server.log")) as url:
        page.goto(url + "/?view=briefing")
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STARTUP_TIMEOUT = 60.0


class ServerDidNotStart(RuntimeError):
    """The server exited or did not answer its health check in time."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(base_url: str, process: subprocess.Popen, log_path: Path, *,
                 timeout: float = STARTUP_TIMEOUT) -> None:
    """Poll ``/_stcore/health`` until it answers 200; raise if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise ServerDidNotStart(
                f"the server exited with code {process.returncode}; see {log_path}:\n{tail}"
            )
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise ServerDidNotStart(f"the server did not answer /_stcore/health within {timeout:.0f} s")


@contextmanager
def running_dashboard(*, data: Path, log_path: Path, offline: bool = True,
                      cwd: Path | None = None, edit: bool = False,
                      extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``incident-map serve`` on a free port, its output in ``log_path``; yield its URL.

    ``edit`` adds ``--edit``; ``extra_env`` is added to the server's environment.

    The server is stopped when the block ends, whatever happens inside it.
    """
    with running_server(data=data, log_path=log_path, offline=offline, cwd=cwd, edit=edit,
                        extra_env=extra_env) as (base_url, _):
        yield base_url


def tree_memory(pid: int) -> int:
    """Bytes of memory of process ``pid`` and every process under it (a server's worker
    processes), each counted by its proportional set size (PSS: shared pages divided
    among the processes that share them), so nothing is counted twice."""
    return sum(_pss(process) for process in _tree(pid))


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, waiting = [], [pid]
    while waiting:
        current = waiting.pop()
        found.append(current)
        waiting.extend(children.get(current, []))
    return found


@contextmanager
def running_server(*, data: Path, log_path: Path, offline: bool = True,
                   cwd: Path | None = None, edit: bool = False,
                   extra_env: dict[str, str] | None = None,
                   extra_args: tuple[str, ...] = ()
                   ) -> Iterator[tuple[str, subprocess.Popen]]:
    """As :func:`running_dashboard`, yielding the URL and the server's process (its
    memory: :func:`tree_memory`); ``extra_args`` go to ``serve``."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "dashboard", "serve", "--port", str(port),
               "--address", "127.0.0.1", "--data", str(data)]
    env = {**os.environ, **(extra_env or {})}
    command += list(extra_args)
    if edit:
        command.append("--edit")
    if offline:
        command.append("--offline")
        env["INCIDENT_MAP_OFFLINE"] = "1"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
        try:
            wait_healthy(base_url, process, log_path)
            yield base_url, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
