"""Many users at once: concurrent sessions changing filters, at the websocket level.

    .venv/bin/python benchmarks/bench_load.py [--sessions 20] [--seconds 60] [--seed 1]
    .venv/bin/python benchmarks/bench_load.py --data data/acled.csv --json
    .venv/bin/python benchmarks/bench_load.py --url http://127.0.0.1:8501

Starts the dashboard offline on a free port with the curated dataset (or ``--data``), or
uses the one at ``--url``, which must be on this machine. Each session speaks Streamlit's
own protocol as the browser does: a GET of ``/_stcore/health`` for the ``_streamlit_xsrf``
cookie, a websocket to ``/_stcore/stream`` offering the subprotocols ``streamlit`` and that
token, then ``BackMsg`` protobufs out and ``ForwardMsg`` protobufs in. A session runs the
page once (no filter, or one of a few links' query strings), finds the sidebar's filter
widgets in the deltas (their ids end in the keys ``f_years``, ``f_countries``, ``f_types``,
``f_attributions`` and ``f_query``), then every 2-5 s (seeded) changes one filter, as a
user does (and clears one when no incident is left), by sending a ``rerun_script`` with the
new widget states. No session starts a change after ``--seconds``; changes in flight then
finish or time out.

It measures:

- the rerun latency, from sending the ``BackMsg`` to the ``script_finished`` of that run,
  over the reruns that finished cleanly (p50, p95, max, in ms), and the same for each
  session's first page run;
- errors by kind: ``exception`` (an exception element or a script compilation error),
  ``error_alert`` (an ``st.error`` box), ``status`` (a run that did not finish
  successfully), ``closed`` (the websocket closed under the session), ``timeout`` (no end
  of run within 30 s), ``connect`` (no websocket), ``unfinished`` (a session still busy
  long after the deadline);
- the server's memory: the RSS of its process and of its children, sampled every second
  (with psutil when it is installed, else from ``/proc``), at the start, at its peak and
  at the end (a second after the last session closed), in MiB;
- the CPU time of the server's process and of this client while the sessions ran, to tell
  a saturated server from a saturated client.

``--replicas N`` compares one process with N behind nginx, side by side: both serve the
dataset from one PostgreSQL store (``--store URL``, or a throw-away cluster made for the
run), the N replicas behind Debian's nginx with ``deploy/nginx.conf`` (``deploy/cluster.py``,
as the tests and the README's deployment start them). For each setup the number of sessions
is raised (``--levels``, ``--seconds`` each) until the rerun p95 passes 2 s or an error
occurs; a setup holds the last level below that. The machine's cores and load are printed
with the figures, and the memory and CPU time of each process::

    .venv/bin/python benchmarks/bench_load.py --replicas 3 --levels 4,8,12,16,24,32 --seconds 30

The first session's first change selects one country; a line shows the ``Incidents``
number before and after, with the count of that country's incidents in the dataset (when
the dataset is known), so the reruns are known to apply the widget changes. Exits 1 if
there was an error or that check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import re
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from dashboard.data.filters import Filters, apply_filters
from dashboard.data.loading import load_incidents
from dashboard.server.background import free_port, running_dashboard

ROOT_FOR_DEPLOY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT_FOR_DEPLOY))  # deploy/cluster.py

try:
    import psutil
except ImportError:  # optional: the same figures are read from /proc
    psutil = None

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT / "data" / "incidents.csv"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

#: The sidebar's filter widgets, by user key.
FILTER_KEYS = ("f_years", "f_countries", "f_types", "f_attributions", "f_query")
#: The headline number that shows whether a filter change reached the page.
CHECK_METRIC = "Incidents"
#: A run that has not finished this long after its request counts as a timeout.
RUN_TIMEOUT = 30.0
#: A user's pause between two filter changes, in seconds (drawn uniformly).
THINK_SECONDS = (2.0, 5.0)
#: Links a session may open with (the first session always opens the plain page).
LINKS = (
    "",
    "years=2019-2025&country=DE,ES",
    "type=killing",
    "years=2022-2022",
    "country=RU&attribution=confirmed,suspected",
    "q=embassy",
    "type=diplomatic_expulsion&years=2018-2025",
)
#: Texts typed into the search box.
SEARCHES = ("", "berlin", "embassy", "poison", "madrid", "expelled", "intelligence")
#: What the browser sends as its token when the server sets no XSRF cookie.
NO_XSRF_TOKEN = "PLACEHOLDER_AUTH_TOKEN"
XSRF_COOKIE = "_streamlit_xsrf"
MIB = 1024 * 1024


class RunTimedOut(Exception):
    """The server did not finish a run within ``RUN_TIMEOUT``."""


# ---------------------------------------------------------------- the server's side


@dataclass(frozen=True)
class Endpoint:
    """Where the dashboard answers: its HTTP base URL and its websocket stream."""

    http_url: str
    stream_url: str
    origin: str
    port: int

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        """The endpoint of ``url``; only http(s) on this machine is accepted."""
        parts = urlsplit(url.rstrip("/"))
        if parts.scheme not in ("http", "https") or parts.hostname not in LOOPBACK_HOSTS:
            raise ValueError(f"{url}: expected http://127.0.0.1:PORT or http://localhost:PORT")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        ws_scheme = "wss" if parts.scheme == "https" else "ws"
        origin = f"{parts.scheme}://{parts.netloc}"
        return cls(http_url=f"{origin}{parts.path}",
                   stream_url=f"{ws_scheme}://{parts.netloc}{parts.path}/_stcore/stream",
                   origin=origin, port=port)


def session_cookies(endpoint: Endpoint) -> dict[str, str]:
    """The cookies the server sets on its health check: Streamlit's XSRF token and, behind
    the proxy, the route that keeps the session on one replica (as a browser keeps them)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    cookies = {}
    with opener.open(f"{endpoint.http_url}/_stcore/health", timeout=10) as response:
        for header in response.headers.get_all("Set-Cookie") or ():
            name, _, rest = header.partition("=")
            cookies[name.strip()] = rest.split(";", 1)[0]
    return cookies


def listening_pid(port: int) -> int | None:
    """The process listening on TCP ``port`` on this machine, if it can be seen."""
    if psutil is not None:
        try:
            for conn in psutil.net_connections(kind="tcp"):
                if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
                    return conn.pid
        except psutil.AccessDenied:
            pass
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            # local_address is ADDR:PORT in hex; state 0A is LISTEN; field 9 is the inode.
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                inodes.add(f"socket:[{fields[9]}]")
    for pid in _proc_pids():
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return pid
            except OSError:
                continue
    return None


def _proc_pids() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []


def tree_rss(pid: int) -> int | None:
    """Resident memory of ``pid`` and all its descendants, in bytes (None once it is gone)."""
    if psutil is not None:
        try:
            process = psutil.Process(pid)
            total = process.memory_info().rss
            for child in process.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    continue
            return total
        except psutil.Error:
            return None
    children: dict[int, list[int]] = {}
    for other in _proc_pids():
        try:
            stat = Path(f"/proc/{other}/stat").read_text()
        except OSError:
            continue
        # The command name, in parentheses, may contain spaces: the fields follow its end.
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(other)
    total, found, pending = 0, False, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        found = True
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        total += int(match.group(1)) * 1024 if match else 0
        pending.extend(children.get(current, ()))
    return total if found else None


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU time used so far by the process ``pid`` (None once it is gone)."""
    if psutil is not None:
        try:
            times = psutil.Process(pid).cpu_times()
            return times.user + times.system
        except psutil.Error:
            return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime and stime are the 14th and 15th fields of stat, in clock ticks.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class MemorySampler:
    """The server's RSS (process and children), sampled every second while it runs."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.samples: list[int] = []

    def sample(self) -> int | None:
        rss = tree_rss(self.pid) if self.pid is not None else None
        if rss is not None:
            self.samples.append(rss)
        return rss

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.sample()
            try:
                await asyncio.wait_for(stop.wait(), timeout=1.0)
            except TimeoutError:
                pass


def country_counts(data: Path) -> dict[str, int]:
    """Incidents per country code in ``data``, counted by the page's own filter."""
    incidents = load_incidents(data)
    return {code: len(apply_filters(incidents, Filters(countries=(code,))))
            for code in incidents["country"].dropna().unique()}


# ---------------------------------------------------------------- one user


@dataclass
class Widget:
    """A filter widget as the page last drew it, and the value this client holds for it."""

    key: str
    kind: str  # "slider", "multiselect" or "text_input"
    element_id: str
    label: str
    value: list[float] | list[str] | str
    options: list[str] = field(default_factory=list)
    bounds: tuple[int, int] = (0, 0)

    def write(self, state: WidgetState) -> None:
        """Fill ``state`` as the frontend does for this kind of widget."""
        state.id = self.element_id
        if self.kind == "slider":
            state.double_array_value.data.extend(self.value)
        elif self.kind == "multiselect":
            state.string_array_value.data.extend(self.value)
        else:
            state.string_value = self.value

    def everything(self) -> list[float] | list[str] | str:
        """The value that filters nothing out."""
        if self.kind == "slider":
            return [float(self.bounds[0]), float(self.bounds[1])]
        return [] if self.kind == "multiselect" else ""

    def random_value(self, rng: random.Random) -> list[float] | list[str] | str:
        """Another value a user could choose."""
        if self.kind == "slider":
            low, high = self.bounds
            if rng.random() < 0.2:
                return [float(low), float(high)]
            start = rng.randint(low, high)
            return [float(start), float(rng.randint(start, high))]
        if self.kind == "multiselect":
            if not self.options or rng.random() < 0.25:
                return []
            return rng.sample(self.options, rng.randint(1, min(3, len(self.options))))
        return rng.choice(SEARCHES)


def widget_from_element(key: str, kind: str, proto, known: Widget | None) -> Widget:
    """The widget drawn by ``proto`` (a Slider, MultiSelect or TextInput element).

    As in the frontend, its value is the one the page set, if it set one (``set_value``);
    else the one this client already holds, or the widget's default the first time.
    """
    options = list(proto.options) if kind == "multiselect" else []
    bounds = (int(proto.min), int(proto.max)) if kind == "slider" else (0, 0)
    if known is not None and not proto.set_value:
        value = known.value
    elif kind == "slider":
        value = list(proto.value if proto.set_value else proto.default)
    elif kind == "multiselect":
        value = (list(proto.raw_values) if proto.set_value
                 else [options[index] for index in proto.default])
    else:
        value = proto.value if proto.set_value else proto.default
    return Widget(key, kind, proto.id, proto.label, value, options=options, bounds=bounds)


def user_key(element_id: str) -> str | None:
    """The user key at the end of a widget id (``$$ID-<hash>-<key>``), if there is one."""
    parts = element_id.split("-", 2)
    return parts[2] if len(parts) == 3 and parts[0] == "$$ID" else None


@dataclass
class PageRun:
    """What one run of the page sent back."""

    run_id: str = ""
    status: int | None = None
    incidents: str | None = None
    errors: Counter = field(default_factory=Counter)
    ms: float = 0.0

    @property
    def clean(self) -> bool:
        return self.status == ForwardMsg.FINISHED_SUCCESSFULLY and not self.errors


@dataclass
class Totals:
    """Figures shared by all sessions."""

    first_ms: list[float] = field(default_factory=list)
    rerun_ms: list[float] = field(default_factory=list)
    reruns: int = 0
    connected: int = 0
    received_bytes: int = 0
    errors: Counter = field(default_factory=Counter)
    first_error: dict[str, str] = field(default_factory=dict)
    check: dict | None = None

    def error(self, kind: str, detail: str, count: int = 1) -> None:
        self.errors[kind] += count
        self.first_error.setdefault(kind, detail)


class Session:
    """One user: a websocket session that opens the page and keeps changing filters."""

    def __init__(self, index: int, endpoint: Endpoint, *, seed: int, deadline: float,
                 totals: Totals, counts: dict[str, int] | None) -> None:
        self.index = index
        self.endpoint = endpoint
        self.rng = random.Random(f"{seed}:{index}")
        self.link = "" if index == 0 else self.rng.choice(LINKS)
        self.deadline = deadline
        self.totals = totals
        self.counts = counts
        self.reset()

    def reset(self) -> None:
        """A fresh page, as in a new browser tab."""
        self.query_string = self.link
        self.page_script_hash = ""
        self.widgets: dict[str, Widget] = {}
        self.cached_hashes: set[str] = set()

    def time_left(self) -> float:
        return self.deadline - time.monotonic()

    async def run(self) -> None:
        """Keep the session going until the deadline; a lost websocket is replaced."""
        while self.time_left() > 0:
            try:
                websocket = await self.open()
            except (OSError, InvalidHandshake, TimeoutError) as error:
                self.totals.error("connect", f"session {self.index + 1}: {error!r}")
                await asyncio.sleep(min(1.0, max(0.0, self.time_left())))
                continue
            self.totals.connected += 1
            try:
                async with websocket:
                    await self.drive(websocket)
                return
            except ConnectionClosed as error:
                self.totals.error("closed", f"session {self.index + 1}: {error}")
            except RunTimedOut:
                self.totals.error("timeout", f"session {self.index + 1}: no end of run "
                                             f"within {RUN_TIMEOUT:.0f} s")
            self.reset()

    async def open(self) -> ClientConnection:
        """The websocket, opened as the frontend opens it (token, cookie, origin)."""
        cookies = await asyncio.to_thread(session_cookies, self.endpoint)
        token = cookies.get(XSRF_COOKIE)
        headers = ({"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
                   if cookies else {})
        return await connect(
            self.endpoint.stream_url,
            subprotocols=["streamlit", token or NO_XSRF_TOKEN],
            origin=self.endpoint.origin,
            additional_headers=headers,
            max_size=None,
            proxy=None,
            open_timeout=RUN_TIMEOUT,
        )

    async def drive(self, websocket: ClientConnection) -> None:
        """Open the page, then change a filter every few seconds until the deadline."""
        first = await self.run_page(websocket)
        self.record(first, self.totals.first_ms)
        incidents = first.incidents
        while True:
            pause = self.rng.uniform(*THINK_SECONDS)
            if pause >= self.time_left():
                await asyncio.sleep(max(0.0, self.time_left()))
                return
            await asyncio.sleep(pause)
            checking = self.index == 0 and self.totals.check is None
            if checking:
                change = self.change_filter("f_countries", single=True)
            elif incidents == "0":
                change = self.widen()
            else:
                change = self.change_filter()
            run = await self.run_page(websocket)
            self.totals.reruns += 1
            self.record(run, self.totals.rerun_ms)
            if checking:
                self.totals.check = self.check(change, incidents, run.incidents)
            incidents = run.incidents

    def change_filter(self, key: str | None = None, *, single: bool = False) -> Widget | None:
        """Give one filter (``key``, else a random one) a new value; return that widget.

        ``single`` selects exactly one option of a multiselect (for the check).
        """
        if key not in self.widgets:
            keys = [name for name in FILTER_KEYS if name in self.widgets]
            if not keys:
                return None
            key = self.rng.choice(keys)
        widget = self.widgets[key]
        if single and widget.options:
            widget.value = [self.rng.choice(widget.options)]
            return widget
        for _ in range(10):
            value = widget.random_value(self.rng)
            if value != widget.value:
                break
        widget.value = value
        return widget

    def widen(self) -> Widget | None:
        """Clear one filter, as a user does when no incident matches."""
        narrowing = [widget for widget in self.widgets.values()
                     if widget.value != widget.everything()]
        if not narrowing:
            return self.change_filter()
        widget = self.rng.choice(narrowing)
        widget.value = widget.everything()
        return widget

    def client_state(self) -> ClientState:
        """The rerun request: the address's query string and every filter's value."""
        state = ClientState(query_string=self.query_string,
                            page_script_hash=self.page_script_hash)
        state.cached_message_hashes.extend(sorted(self.cached_hashes))
        for widget in self.widgets.values():
            widget.write(state.widget_states.widgets.add())
        return state

    async def run_page(self, websocket: ClientConnection) -> PageRun:
        """Request a run with the current widget states and read messages until it ends."""
        message = BackMsg()
        message.rerun_script.CopyFrom(self.client_state())
        run = PageRun()
        started = time.perf_counter()
        await websocket.send(message.SerializeToString())
        try:
            async with asyncio.timeout(RUN_TIMEOUT):
                while run.status is None:
                    data = await websocket.recv()
                    self.totals.received_bytes += len(data)
                    self.handle(ForwardMsg.FromString(data), run)
        except TimeoutError:
            raise RunTimedOut from None
        run.ms = (time.perf_counter() - started) * 1000
        return run

    def handle(self, msg: ForwardMsg, run: PageRun) -> None:
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            run.run_id = msg.metadata.run.script_run_id
            self.page_script_hash = msg.new_session.page_script_hash
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            if msg.metadata.cacheable:
                self.cached_hashes.add(msg.hash)
            self.read_element(msg.delta.new_element, run)
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "session_event":
            if msg.session_event.WhichOneof("type") == "script_compilation_exception":
                run.errors["exception"] += 1
                self.totals.first_error.setdefault(
                    "exception", msg.session_event.script_compilation_exception.message)
        elif kind == "script_finished":
            finished = msg.metadata.run.script_run_id
            if not (run.run_id and finished and finished != run.run_id):
                run.status = msg.script_finished

    def read_element(self, element, run: PageRun) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            run.errors["exception"] += 1
            self.totals.first_error.setdefault(
                "exception", f"{element.exception.type}: {element.exception.message}")
        elif kind == "alert" and element.alert.format == Alert.ERROR:
            run.errors["error_alert"] += 1
            self.totals.first_error.setdefault("error_alert", element.alert.body[:200])
        elif kind == "metric" and element.metric.label == CHECK_METRIC:
            run.incidents = element.metric.body
        elif kind in ("slider", "multiselect", "text_input"):
            proto = getattr(element, kind)
            key = user_key(proto.id)
            if key in FILTER_KEYS:
                self.widgets[key] = widget_from_element(key, kind, proto,
                                                        self.widgets.get(key))

    def record(self, run: PageRun, latencies: list[float]) -> None:
        for kind, count in run.errors.items():
            self.totals.error(kind, f"session {self.index + 1}", count)
        if run.status != ForwardMsg.FINISHED_SUCCESSFULLY:
            name = ForwardMsg.ScriptFinishedStatus.Name(run.status)
            self.totals.error("status", f"session {self.index + 1}: {name}")
        if run.clean:
            latencies.append(run.ms)

    def check(self, widget: Widget | None, before: str | None, after: str | None) -> dict:
        """Whether the country change reached the page's headline number."""
        chosen = widget.value if widget is not None else []
        code = re.search(r"\(([A-Z]{2})\)$", chosen[0]) if len(chosen) == 1 else None
        expected = None
        if code and self.counts is not None:
            expected = self.counts.get(code.group(1), 0)
        if expected is not None:
            ok = after is not None and after.replace(",", "") == str(expected)
        else:
            ok = after is not None and after != before
        return {"session": self.index + 1, "widget": widget.label if widget else None,
                "value": chosen, "before": before, "after": after, "expected": expected,
                "ok": ok}


# ---------------------------------------------------------------- the run


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` from 0 to 100) of ``values``."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share / 100 * len(ordered)) - 1)]


def latency_summary(values: list[float]) -> dict:
    def ms(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return {"n": len(values), "p50": ms(percentile(values, 50)),
            "p95": ms(percentile(values, 95)), "max": ms(max(values) if values else None)}


async def load(endpoint: Endpoint, *, sessions: int, seconds: float, seed: int,
               counts: dict[str, int] | None, processes: dict[str, int] | None = None) -> dict:
    """Run the sessions against ``endpoint`` and return the figures.

    ``processes`` (name: pid) are the servers' processes whose memory and CPU are measured
    each on its own (replicas behind a proxy); by default the one listening on the port."""
    others = {name: MemorySampler(pid) for name, pid in (processes or {}).items()}
    other_cpu = {name: cpu_seconds(pid) for name, pid in (processes or {}).items()}
    other_start = {name: sampler.sample() for name, sampler in others.items()}
    sampler = MemorySampler(listening_pid(endpoint.port))
    start_rss = sampler.sample()
    server_cpu = cpu_seconds(sampler.pid) if sampler.pid is not None else None
    client_cpu = time.process_time()
    totals = Totals()
    started = time.monotonic()
    deadline = started + seconds
    stop = asyncio.Event()
    sampling = asyncio.create_task(sampler.run(stop))
    other_sampling = [asyncio.create_task(each.run(stop)) for each in others.values()]
    tasks = [asyncio.create_task(Session(index, endpoint, seed=seed, deadline=deadline,
                                         totals=totals, counts=counts).run())
             for index in range(sessions)]
    # Runs in flight at the deadline may take RUN_TIMEOUT; closing may take a few seconds.
    done, pending = await asyncio.wait(tasks, timeout=seconds + RUN_TIMEOUT + 15)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    if pending:
        totals.error("unfinished", f"{len(pending)} session(s) still busy", len(pending))
    finished = time.monotonic()
    client_cpu = time.process_time() - client_cpu
    if server_cpu is not None:
        now = cpu_seconds(sampler.pid)
        server_cpu = None if now is None else now - server_cpu
    await asyncio.sleep(1.0)  # let the server drop the closed sessions
    stop.set()
    await sampling
    await asyncio.gather(*other_sampling)
    end_rss = sampler.sample()
    per_process = {}
    for name, each in others.items():
        start, end = other_start[name], each.sample()
        used = cpu_seconds(each.pid)
        per_process[name] = {
            "pid": each.pid, "rss_mib": {
                "start": None if start is None else round(start / MIB, 1),
                "peak": round(max(each.samples) / MIB, 1) if each.samples else None,
                "end": None if end is None else round(end / MIB, 1)},
            "cpu_s": None if used is None or other_cpu[name] is None
            else round(used - other_cpu[name], 1)}
    for task in done:
        task.result()  # a failure of the benchmark itself is not a figure: let it show

    def mib(value: int | None) -> float | None:
        return None if value is None else round(value / MIB, 1)

    return {
        "url": endpoint.http_url,
        "server_pid": sampler.pid,
        "sessions": sessions,
        "connections": totals.connected,
        "seconds": seconds,
        "elapsed_s": round(finished - started, 1),
        "seed": seed,
        "reruns": totals.reruns,
        "reruns_per_s": round(totals.reruns / seconds, 2) if seconds else None,
        "received_mib": mib(totals.received_bytes),
        "errors": dict(totals.errors),
        "first_error": totals.first_error,
        "first_run_ms": latency_summary(totals.first_ms),
        "rerun_ms": latency_summary(totals.rerun_ms),
        "server_rss_mib": {"start": mib(start_rss),
                           "peak": mib(max(sampler.samples) if sampler.samples else None),
                           "end": mib(end_rss)},
        "cpu_s": {"server": None if server_cpu is None else round(server_cpu, 1),
                  "client": round(client_cpu, 1)},
        "check": totals.check,
        "processes": per_process,
    }


def print_report(report: dict) -> None:
    def latency(figures: dict) -> str:
        if not figures["n"]:
            return "none finished cleanly"
        return (f"p50 {figures['p50']:.0f} ms, p95 {figures['p95']:.0f} ms, "
                f"max {figures['max']:.0f} ms (n={figures['n']})")

    check = report["check"]
    if check is None:
        print("check: the first session made no change before the deadline")
    else:
        expected = (f" (the dataset has {check['expected']})"
                    if check["expected"] is not None else "")
        print(f"check: session {check['session']} set {check['widget']} to "
              f"{', '.join(check['value']) or 'all'}: {CHECK_METRIC} {check['before']} -> "
              f"{check['after']}{expected}: {'ok' if check['ok'] else 'FAILED'}")
    print(f"server: {report['url']} (pid {report['server_pid'] or 'not found'})")
    print(f"sessions: {report['sessions']} ({report['connections']} websocket connections), "
          f"seed {report['seed']}")
    print(f"duration: {report['seconds']:.0f} s of changes, {report['elapsed_s']:.1f} s "
          f"until every session closed")
    print(f"reruns: {report['reruns']} ({report['reruns_per_s']}/s), "
          f"{report['received_mib']} MiB received")
    errors = report["errors"]
    if errors:
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(errors.items()))
        print(f"errors: {sum(errors.values())} ({kinds})")
        for kind, detail in sorted(report["first_error"].items()):
            print(f"  first {kind}: {detail}")
    else:
        print("errors: 0")
    print(f"first page run: {latency(report['first_run_ms'])}")
    print(f"rerun latency: {latency(report['rerun_ms'])}")
    cpu = report["cpu_s"]
    server = f"{cpu['server']} s" if cpu["server"] is not None else "n/a"
    print(f"CPU time: server process {server}, this client {cpu['client']} s "
          f"(over {report['elapsed_s']:.1f} s)")
    rss = report["server_rss_mib"]
    if rss["start"] is None:
        print("server RSS: not available (the server's process was not found)")
    else:
        end = f"{rss['end']} MiB" if rss["end"] is not None else "n/a (the server exited)"
        print(f"server RSS: start {rss['start']} MiB, peak {rss['peak']} MiB, end {end}")


# ---------------------------------------------------------------- one process against N

P95_LIMIT_MS = 2000.0


def machine_line() -> str:
    load = Path("/proc/loadavg").read_text().split()[:3]
    return f"machine: {os.cpu_count()} cores, load {' '.join(load)}"


def ramp(url: str, *, levels: list[int], seconds: float, seed: int,
         counts: dict[str, int] | None, processes: dict[str, int], name: str) -> dict:
    """Raise the sessions through ``levels`` until the rerun p95 passes 2 s (or an error)."""
    runs = []
    held = None
    for sessions in levels:
        print(f"[{name}] {sessions} sessions for {seconds:.0f} s ... ({machine_line()})",
              file=sys.stderr, flush=True)
        report = asyncio.run(load(Endpoint.parse(url), sessions=sessions, seconds=seconds,
                                  seed=seed, counts=counts, processes=processes))
        report["load"] = Path("/proc/loadavg").read_text().split()[:3]
        runs.append(report)
        p95 = report["rerun_ms"]["p95"]
        errors = sum(report["errors"].values())
        print(f"[{name}] {sessions} sessions: {report['reruns_per_s']} reruns/s, p95 "
              f"{p95} ms, errors {errors}, load {' '.join(report['load'])}",
              file=sys.stderr, flush=True)
        if p95 is None or p95 > P95_LIMIT_MS or errors:
            break
        held = report
    return {"name": name, "runs": runs, "held": held}


def compare(args, store_url: str, data: Path) -> dict:
    from deploy.cluster import Replica, running_deployment, start_replica, wait_replica

    levels = [int(level) for level in args.levels.split(",") if level.strip()]
    counts = country_counts(data)
    secret = {"INCIDENT_MAP_COOKIE_SECRET": "bench-" + os.urandom(12).hex()}
    results = {"machine": {"cores": os.cpu_count(),
                           "load_before": Path("/proc/loadavg").read_text().split()[:3]},
               "data": str(data), "seconds": args.seconds, "levels": levels}
    with tempfile.TemporaryDirectory(prefix="incident-map-bench-") as folder:
        single = Replica(port=free_port(), log=Path(folder) / "single.log")
        start_replica(single, store_url=store_url, public_name="localhost", env=secret,
                      edit=False)
        try:
            wait_replica(single)
            results["one"] = ramp(single.url, levels=levels, seconds=args.seconds,
                                  seed=args.seed, counts=counts,
                                  processes={"replica": single.process.pid}, name="1 process")
        finally:
            single.stop()
        with running_deployment(store_url=store_url, run_dir=Path(folder) / "deploy",
                                replicas=args.replicas, public_name="localhost",
                                edit=False, env=secret) as deployment:
            processes = {f"replica {i + 1}": r.process.pid
                         for i, r in enumerate(deployment.replicas)}
            processes["nginx"] = deployment.proxy.process.pid
            url = f"http://localhost:{deployment.proxy.port}"
            results["many"] = ramp(url, levels=levels, seconds=args.seconds, seed=args.seed,
                                   counts=counts, processes=processes,
                                   name=f"{args.replicas} processes + nginx")
    results["machine"]["load_after"] = Path("/proc/loadavg").read_text().split()[:3]
    return results


def print_comparison(results: dict) -> None:
    machine = results["machine"]
    print(f"machine: {machine['cores']} cores; load before {' '.join(machine['load_before'])}, "
          f"after {' '.join(machine['load_after'])}")
    print(f"each level {results['seconds']:.0f} s; levels {results['levels']}; a setup holds "
          f"the last level with rerun p95 <= {P95_LIMIT_MS:.0f} ms and no error")
    header = (f"{'setup':<24}{'sessions':>9}{'reruns/s':>10}{'p50 ms':>8}{'p95 ms':>8}"
              f"{'errors':>8}  load at the level")
    for key in ("one", "many"):
        setup = results[key]
        print()
        print(header)
        for run in setup["runs"]:
            mark = " <- held" if run is setup["held"] else ""
            print(f"{setup['name']:<24}{run['sessions']:>9}{run['reruns_per_s']:>10}"
                  f"{run['rerun_ms']['p50'] or '-':>8}{run['rerun_ms']['p95'] or '-':>8}"
                  f"{sum(run['errors'].values()):>8}  {' '.join(run['load'])}{mark}")
        held = setup["held"] or (setup["runs"][0] if setup["runs"] else None)
        if held:
            print(f"  per process at {held['sessions']} sessions (RSS start/peak/end MiB, "
                  f"CPU s); client CPU {held['cpu_s']['client']} s:")
            for name, figures in held["processes"].items():
                rss = figures["rss_mib"]
                print(f"    {name:<12} {rss['start']}/{rss['peak']}/{rss['end']} MiB, "
                      f"CPU {figures['cpu_s']} s")
    one, many = results["one"]["held"], results["many"]["held"]
    print()
    if one and many:
        ratio = many["reruns_per_s"] / one["reruns_per_s"] if one["reruns_per_s"] else None
        print(f"held: 1 process {one['sessions']} sessions at {one['reruns_per_s']} reruns/s; "
              f"{results['many']['name']} {many['sessions']} sessions at "
              f"{many['reruns_per_s']} reruns/s: "
              f"{ratio:.2f}x the reruns per second" if ratio else "")
    else:
        print("held: a setup did not hold even the first level (p95 over 2 s or errors)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent sessions")
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="how long the sessions keep changing filters")
    parser.add_argument("--data", type=Path,
                        help="dataset to serve (default: data/incidents.csv); with --url, "
                             "the dataset that server shows, for the check only")
    parser.add_argument("--url", help="a running dashboard on this machine, e.g. "
                                      "http://127.0.0.1:8501 (default: start one)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the users' choices")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--replicas", type=int, default=0,
                        help="compare one process with N behind nginx (both on a PostgreSQL "
                             "store), raising the sessions through --levels")
    parser.add_argument("--levels", default="1,2,4,8,12,16,20,24,32,40,48",
                        help="session counts tried, in order, with --replicas")
    parser.add_argument("--store", help="with --replicas: the postgresql:// store to serve "
                                        "from (default: a throw-away cluster for the run)")
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.seconds <= 0:
        parser.error("--sessions and --seconds must be positive")

    def measure(url: str, data: Path | None) -> dict:
        counts = country_counts(data) if data is not None else None
        if not args.json:
            print(f"{args.sessions} sessions for {args.seconds:.0f} s against {url} ...",
                  file=sys.stderr)
        return asyncio.run(load(Endpoint.parse(url), sessions=args.sessions,
                                seconds=args.seconds, seed=args.seed, counts=counts))

    if args.replicas:
        return compare_main(args)
    if args.url:
        try:
            Endpoint.parse(args.url)
        except ValueError as error:
            parser.error(str(error))
        report = measure(args.url, args.data)
        report["data"] = str(args.data) if args.data else None
    else:
        data = (args.data or DEFAULT_DATA).resolve()
        log = Path(tempfile.gettempdir()) / "incident-map-bench-load.log"
        with running_dashboard(data=data, log_path=log, cwd=ROOT) as url:
            report = measure(url, data)
        report["data"] = str(data)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    check = report["check"]
    return 0 if not report["errors"] and check is not None and check["ok"] else 1


def compare_main(args) -> int:
    from dashboard.data.stores import open_store
    from deploy.cluster import local_postgres

    data = (args.data or DEFAULT_DATA).resolve()

    def run(store_url: str) -> dict:
        store = open_store(store_url, watch=False)
        try:
            source = open_store(data)
            store.replace_all(*source.raw_rows())
        finally:
            store.close()
        return compare(args, store_url, data)

    if args.store:
        results = run(args.store)
    else:
        with tempfile.TemporaryDirectory(prefix="incident-map-bench-pg-") as folder:
            with local_postgres(Path(folder)) as store_url:
                results = run(store_url)
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    else:
        print_comparison(results)
    failed = [key for key in ("one", "many") if results[key]["held"] is None]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
