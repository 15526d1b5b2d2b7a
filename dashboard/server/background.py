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
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "dashboard", "serve", "--port", str(port),
               "--address", "127.0.0.1", "--data", str(data)]
    env = {**os.environ, **(extra_env or {})}
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
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
