"""The issue's hostile uploads, written at test time, sent to a real server through the page
(headless Chromium) and over HTTP: the server stays up, answers ``/_stcore/health`` within
2 s all along, stays within 1.5 GB of its idle memory, and the page names the limit.

One server (``incident-map serve --offline``, default limits), one browser and one page for
the module: each file replaces the last in the page's uploader. While an upload is read, one
thread asks for ``/_stcore/health`` every 0.2 s and another adds up the proportional memory
(PSS) of the server and every process under it (the worker server and the workers that
parse uploads) every 0.1 s. Each health answer must come within 2 s; on this shared
machine (load often above 20 on 2 cores) one slow answer is asked again at once, and two
in a row fail the test: a server busy with the upload would miss both.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from dashboard.data.importers.limits import Limits
from dashboard.exports.browser import launch_chromium
from dashboard.server.background import free_port, tree_memory, wait_healthy
from tests.browser.conftest import ARTIFACTS, DATASET, ROOT

from . import uploads

#: A real server and a real browser, as in tests/browser: the whole suite runs them, the
#: inner loop (``make test-fast``) does not.
pytestmark = pytest.mark.slow

MB = 1024 * 1024
#: The server may grow this much over its idle size (the issue's ceiling).
CEILING = 1536 * MB
HEALTH_WITHIN = 2.0
WAIT_MS = 120_000
LIMITS = Limits()


def server_memory(pid: int) -> int:
    return tree_memory(pid)


class Watch:
    """Health answers and memory of the server while a block runs."""

    def __init__(self, base_url: str, pid: int):
        self.base_url, self.pid = base_url, pid
        self.slowest = 0.0
        self.failures: list[str] = []
        self.peak = 0
        self.checks = 0
        self.retried = 0

    def __enter__(self):
        self.peak = server_memory(self.pid)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._health, daemon=True),
                         threading.Thread(target=self._memory, daemon=True)]
        for thread in self._threads:
            thread.start()
        return self

    def _ask(self) -> tuple[float, str | None]:
        parts = urlsplit(self.base_url)
        started = time.monotonic()
        try:
            connection = http.client.HTTPConnection(parts.hostname, parts.port,
                                                    timeout=HEALTH_WITHIN)
            connection.request("GET", "/_stcore/health")
            status = connection.getresponse().status
            connection.close()
        except OSError as error:
            return time.monotonic() - started, f"{type(error).__name__}: {error}"
        took = time.monotonic() - started
        if status != 200:
            return took, f"status {status}"
        return took, None if took < HEALTH_WITHIN else f"answered after {took:.1f} s"

    def _health(self):
        while not self._stop.wait(0.2):
            took, problem = self._ask()
            if problem is not None:
                self.retried += 1
                took, again = self._ask()
                if again is not None:
                    self.failures.append(f"{problem}, then {again}")
                    continue
            self.slowest = max(self.slowest, took)
            self.checks += 1

    def _memory(self):
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, server_memory(self.pid))

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self.peak = max(self.peak, server_memory(self.pid))


@pytest.fixture(scope="module")
def server():
    """The real dashboard with its default limits; (base URL, pid, idle memory)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = ARTIFACTS / "server-hostile-uploads.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "INCIDENT_MAP_OFFLINE": "1"}
    for name in list(env):
        if name.startswith("INCIDENT_MAP_LIMIT_"):
            env.pop(name)
    with log_path.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "dashboard", "serve", "--port", str(port), "--address",
             "127.0.0.1", "--data", str(DATASET), "--offline"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        wait_healthy(base_url, process, log_path, timeout=90)
        yield base_url, process, log_path
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with launch_chromium() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def idle(server, browser):
    """The server's memory once a visitor has seen the page (its caches filled)."""
    base_url, process, _ = server
    page = browser.new_page()
    page.goto(base_url + "/")
    page.get_by_test_id("stSidebar").get_by_text("Load your data").wait_for(timeout=WAIT_MS)
    page.close()
    return server_memory(process.pid)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Every hostile file, written once for the module."""
    folder = tmp_path_factory.mktemp("hostile-uploads")
    made = {builder.__name__: builder(folder) for builder in uploads.LIMIT}
    bomb = made["shared_string_bomb"]
    made["shared_string_bomb_as_csv"] = bomb.with_name("shared-string-bomb.csv")
    made["shared_string_bomb_as_csv"].write_bytes(bomb.read_bytes())
    # A header, then 1 GB in all: a sparse file (nothing written to the disk). The server
    # refuses it by its declared size before reading a byte; what a 1 GB CSV of real rows
    # costs to read is measured by benchmarks/bench_upload_limits.py.
    gigabyte = folder / "one-gigabyte.csv"
    gigabyte.write_bytes(b"Date,Country,City\n2020-05-09,Germany,Berlin\n")
    os.truncate(gigabyte, 1024 * MB)
    made["one_gigabyte"] = gigabyte
    return made


#: file -> the limit the page must name
CASES = {**{builder.__name__: limit for builder, limit in uploads.LIMIT.items()},
         "shared_string_bomb_as_csv": "line_kb", "one_gigabyte": "upload_mb"}


@pytest.fixture(scope="module")
def sidebar(server, browser, idle):
    """The page every file is chosen in, its "Load your data" section open."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(WAIT_MS)
    page.goto(server[0] + "/")
    side = page.get_by_test_id("stSidebar")
    side.get_by_text("Load your data").click()
    yield side
    page.close()


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_upload_is_stopped_at_its_limit_and_the_server_stays_well(
        server, idle, sidebar, files, case):
    base_url, process, log_path = server
    path, limit = files[case], CASES[case]
    # the file's own line names it; a refusal before reading names the upload
    named = "Upload not loaded:" if limit.endswith("_mb") and limit != "workbook_mb" \
        else f"{path.name}:"
    with Watch(base_url, process.pid) as watch:
        started = time.monotonic()
        sidebar.locator('input[type="file"]').set_input_files(str(path))
        try:
            message = sidebar.get_by_text(named).filter(has_text=(
                f"(limit {limit}={getattr(LIMITS, limit)}; raise it with --limit {limit}=N "
                f"or INCIDENT_MAP_LIMIT_{limit.upper()}=N)"))
            expect(message).to_be_visible(timeout=WAIT_MS)
            answered = time.monotonic() - started
            line = message.inner_text()
        except Exception:
            sidebar.page.screenshot(path=str(ARTIFACTS / f"hostile-upload-{case}.png"),
                                    full_page=True)
            raise
    print(f"\n{case} ({path.stat().st_size / MB:,.1f} MB): {line!r} after {answered:.1f} s; "
          f"health slowest {watch.slowest:.2f} s over {watch.checks} checks ({watch.retried} "
          f"asked again); server peak "
          f"+{(watch.peak - idle) / MB:,.0f} MB over idle {idle / MB:,.0f} MB")
    assert process.poll() is None, f"the server stopped; see {log_path}"
    assert watch.failures == [] and watch.checks > 0
    assert watch.slowest < HEALTH_WITHIN
    assert watch.peak - idle < CEILING
    assert "\n" not in line and "Traceback" not in log_path.read_text(errors="replace")


def _session_of_a_page(browser, base_url: str, tmp_path: Path):
    """A live session's id and its XSRF token, taken from the page's own small upload."""
    small = tmp_path / "small.csv"
    small.write_bytes(b"Date,Country\n2020-01-01,Germany\n")
    seen: list = []
    page = browser.new_page()
    page.set_default_timeout(WAIT_MS)
    page.on("request", lambda request: seen.append(request)
            if "/_stcore/upload_file/" in request.url and request.method == "PUT" else None)
    page.goto(base_url + "/")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Load your data").click()
    sidebar.locator('input[type="file"]').set_input_files(str(small))
    expect(sidebar.get_by_text("1 rows in")).to_be_visible(timeout=WAIT_MS)
    request = seen[0]
    session = urlsplit(request.url).path.split("/")[-2]
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())
    return page, session, request.headers["x-xsrftoken"], cookies


def _put(base_url: str, session: str, file_id: str, body: bytes, token: str,
         cookies: str) -> int | str:
    parts = urlsplit(base_url)
    boundary = "hostileboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{file_id}.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.putrequest("PUT", f"/_stcore/upload_file/{session}/{file_id}",
                              skip_host=True, skip_accept_encoding=True)
        for name, value in (("Host", parts.netloc), ("Origin", base_url),
                            ("X-Xsrftoken", token), ("Cookie", cookies),
                            ("Content-Type", f"multipart/form-data; boundary={boundary}"),
                            ("Content-Length", str(len(head) + len(body) + len(tail)))):
            connection.putheader(name, value)
        connection.endheaders()
        connection.send(head)
        view = memoryview(body)
        for start in range(0, len(body), MB):
            connection.send(view[start:start + MB])
        connection.send(tail)
        return connection.getresponse().status
    except (BrokenPipeError, ConnectionResetError):
        return "cut off"  # refused while sending: the server stopped reading
    finally:
        connection.close()


def test_eight_large_files_sent_into_one_session_are_refused_past_its_limit(
        server, browser, idle, tmp_path):
    """The issue's attack: eight 100 MB files PUT straight into one live session (with its
    own cookie and token) held 770 MB. Past session_mb the rest are refused as they
    arrive, and the session's page says why."""
    base_url, process, log_path = server
    page, session, token, cookies = _session_of_a_page(browser, base_url, tmp_path)
    body = b"2020-01-01,Germany\n" * (99 * MB // 19)
    try:
        with Watch(base_url, process.pid) as watch:
            answers = [_put(base_url, session, f"hostile-{n}", body, token, cookies)
                       for n in range(8)]
        accepted = answers.count(204)
        print(f"\n8 x {len(body) / MB:.0f} MB into one session: {answers}; health slowest "
              f"{watch.slowest:.2f} s; server peak +{(watch.peak - idle) / MB:,.0f} MB")
        assert accepted * len(body) <= LIMITS.session_mb * MB and accepted < 8
        assert all(answer in (204, 413, "cut off") for answer in answers)
        expect(page.get_by_test_id("stSidebar").get_by_text(
            "(limit session_mb=")).to_be_visible(timeout=WAIT_MS)
        # the session's own cookie and token, from a page of another origin: refused
        assert _cross_origin_put(base_url, session, token, cookies) == 403
    finally:
        page.close()
    assert process.poll() is None
    assert watch.failures == [] and watch.slowest < HEALTH_WITHIN
    assert watch.peak - idle < CEILING


def _cross_origin_put(base_url: str, session: str, token: str, cookies: str) -> int:
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("PUT", f"/_stcore/upload_file/{session}/x", body=b"x",
                           headers={"Host": parts.netloc, "X-Xsrftoken": token,
                                    "Cookie": cookies,
                                    "Origin": f"http://127.0.0.1:{parts.port + 1}"})
        return connection.getresponse().status
    finally:
        connection.close()
