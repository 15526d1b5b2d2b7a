"""Three dashboard replicas behind nginx on one PostgreSQL store, driven by headless Chromium.

Everything is real and started here: a throw-away PostgreSQL cluster (the session's), the
curated dataset loaded into a database of this module, three ``incident-map serve --store``
processes and Debian's nginx with ``deploy/nginx.conf`` (``deploy/cluster.py``). The browser
reaches the proxy under a public name, ``maps.test``, which Chromium resolves to loopback.

A browser's replica is chosen by its ``im_route`` cookie (sticky sessions); the tests find
a route for each replica by asking nginx and reading its access log. The test that kills a
replica is the module's last.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dashboard.data.filters import apply_filters, parse_query_params
from dashboard.data.loading import load_incidents
from dashboard.data.stores import open_store
from dashboard.exports.browser import CHROMIUM_ARGS, BrowserNotFound, find_chromium
from deploy.cluster import Deployment, running_deployment
from tests.browser.conftest import ARTIFACTS, DATASET, wait_for_row
from tests.support.logs import wait_for_line
from tests.support.postgres import fresh_database

pytestmark = pytest.mark.slow  # a real server, database or browser

PUBLIC_NAME = "maps.test"
TOKEN = secrets.token_urlsafe(16)
KHANGOSHVILI = "2019-08-23-berlin-khangoshvili"
WAIT = 90_000


@pytest.fixture(scope="module")
def store_url(postgres_dsn) -> str:
    url = fresh_database(postgres_dsn, "replicas")
    store = open_store(url, watch=False)
    try:
        csv_store = open_store(DATASET)
        store.replace_all(*csv_store.raw_rows())
    finally:
        store.close()
    return url


@pytest.fixture(scope="module")
def deployment(store_url) -> Iterator[Deployment]:
    run_dir = Path(tempfile.mkdtemp(prefix="incident-map-deploy-"))
    env = {"INCIDENT_MAP_EDIT_TOKEN": TOKEN,
           "INCIDENT_MAP_COOKIE_SECRET": secrets.token_urlsafe(32)}
    try:
        with running_deployment(store_url=store_url, run_dir=run_dir, replicas=3,
                                public_name=PUBLIC_NAME, env=env) as running:
            yield running
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for log in [*run_dir.glob("replica-*.log"), run_dir / "nginx" / "access.log",
                    run_dir / "nginx" / "error.log"]:
            if log.exists():
                shutil.copyfile(log, ARTIFACTS / f"deploy-{log.name}")
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def chromium():
    """Chromium that resolves the public name to loopback, as DNS would for a real one."""
    from playwright.sync_api import sync_playwright

    try:
        executable = find_chromium()
    except BrowserNotFound as error:
        pytest.fail(f"browser tests need Chromium: {error}", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), headless=True,
            args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {PUBLIC_NAME} 127.0.0.1"])
        try:
            yield browser
        finally:
            browser.close()


def get(deployment: Deployment, path: str, *, host: str | None = None,
        cookie: str | None = None) -> tuple[int, object, bytes]:
    """A request to nginx (never through a proxy of the environment)."""
    headers = {"Host": host or f"{PUBLIC_NAME}:{deployment.proxy.port}"}
    if cookie:
        headers["Cookie"] = f"im_route={cookie}"
    request = urllib.request.Request(f"http://127.0.0.1:{deployment.proxy.port}{path}",
                                     headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def logged(log: Path, text: str) -> str:
    """The access log's line holding ``text`` (nginx writes it just after answering)."""
    return wait_for_line(log, lambda line: text in line)


def routes(deployment: Deployment) -> dict[str, str]:
    """A route cookie for each live replica (by its address), found from nginx's log."""
    log = deployment.proxy.run_dir / "access.log"
    found: dict[str, str] = {}
    live = {r.address for r in deployment.replicas if r.alive()}
    for index in range(200):
        route = f"probe{index}"
        status, _, _ = get(deployment, f"/_stcore/health?{route}", cookie=route)
        assert status == 200
        line = logged(log, f"?{route} ")
        upstream = re.search(r"upstream=(.+?) route=", line).group(1).split(",")[-1].strip()
        found.setdefault(upstream, route)
        if live <= set(found):
            return found
    raise AssertionError(f"no route found for some replicas: {sorted(live - set(found))}")


def answered_by(deployment: Deployment, route: str) -> set[str]:
    """The replicas that answered a browser's requests, its websocket included (nginx logs
    a websocket when it closes)."""
    log = deployment.proxy.run_dir / "access.log"
    wait_for_line(log, lambda line: "/_stcore/stream" in line and line.endswith(f"route={route}"))
    lines = [line for line in log.read_text().splitlines() if line.endswith(f"route={route}")]
    found = {re.search(r"upstream=(.+?) route=", line).group(1).split(",")[-1].strip()
             for line in lines}
    return found - {"-"}


def open_page(chromium, deployment: Deployment, route: str, path: str):
    context = chromium.new_context(viewport={"width": 1440, "height": 1000})
    context.add_cookies([{"name": "im_route", "value": route, "domain": PUBLIC_NAME,
                          "path": "/"}])
    page = context.new_page()
    page.goto(f"{deployment.url}{path}")
    return context, page


def unlock_editor(page) -> None:
    page.get_by_label("Edit token", exact=True).and_(page.locator("input")).fill(TOKEN, timeout=WAIT)
    page.get_by_role("button", name="Unlock the editor").click()
    page.get_by_label("Title", exact=True).wait_for(timeout=WAIT)


def pick_incident(page, row_id: str) -> None:
    page.get_by_label("Incident", exact=True).click()
    page.keyboard.type(row_id)
    page.get_by_role("option", name=row_id, exact=True).click()
    wait_for_row(page, row_id, timeout=WAIT)


def fill(page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Tab")
    # the field's value reaches the server with the next run; wait for the run to show it
    page.wait_for_function(
        "([label, value]) => [...document.querySelectorAll('textarea, input')].some("
        "e => e.getAttribute('aria-label') === label && e.value === value)",
        arg=[label, value], timeout=WAIT)


def metric_value(page):
    metric = page.get_by_test_id("stMetric").filter(has_text="Incidents").first
    return metric.get_by_test_id("stMetricValue")


def incidents_shown(page) -> str:
    return metric_value(page).inner_text(timeout=WAIT)


# ---------------------------------------------------------------- the proxy


def test_the_proxy_passes_the_public_name_and_refuses_others(deployment):
    status, headers, _ = get(deployment, "/_stcore/health")
    assert status == 200
    assert any(c.startswith("im_route=") for c in headers.get_all("Set-Cookie"))
    with pytest.raises((ConnectionError, urllib.error.URLError, http_client_errors())):
        get(deployment, "/_stcore/health", host="evil.example")  # nginx closes (444)
    # a replica behind it refuses a foreign Host itself too (DNS rebinding)
    replica = deployment.replicas[0]
    request = urllib.request.Request(f"{replica.url}/_stcore/health",
                                     headers={"Host": "evil.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=30)
    assert refused.value.code == 400


def http_client_errors():
    import http.client

    return http.client.RemoteDisconnected


def test_static_files_are_served_by_nginx_from_the_shared_folder(deployment):
    status, headers, body = get(deployment, "/app/static/incident_map.js")
    assert status == 200 and headers.get("Server") == "nginx"
    assert body == (Path(__file__).resolve().parents[2] / "dashboard" / "static"
                    / "incident_map.js").read_bytes()
    log = (deployment.proxy.run_dir / "access.log").read_text().splitlines()
    line = next(line for line in reversed(log) if "/app/static/incident_map.js" in line)
    assert "upstream=-" in line  # no replica was asked


def test_a_page_runs_through_the_proxy_under_the_public_name(chromium, deployment):
    route = next(iter(routes(deployment).values()))
    context, page = open_page(chromium, deployment, route, "/?q=khangoshvili")
    try:
        filters, _ = parse_query_params({"q": "khangoshvili"})
        expected = len(apply_filters(load_incidents(DATASET), filters))
        assert incidents_shown(page) == str(expected)
        assert page.evaluate("() => location.host") == f"{PUBLIC_NAME}:{deployment.proxy.port}"
    finally:
        context.close()


# ---------------------------------------------------------------- editing on two replicas


def test_two_sessions_on_different_replicas_editing_one_row_get_the_conflict(
        chromium, deployment, store_url):
    by_replica = routes(deployment)
    (first_address, first_route), (second_address, second_route) = list(by_replica.items())[:2]
    (c1, first), (c2, second) = (open_page(chromium, deployment, r, "/?view=edit")
                                 for r in (first_route, second_route))
    try:
        for page in (first, second):
            unlock_editor(page)
            pick_incident(page, KHANGOSHVILI)
        fill(first, "Notes", "Note saved on the first replica.")
        fill(second, "Target", "Target saved on the second replica")
        first.get_by_role("button", name="Save changes").click()
        first.get_by_text(f"Saved {KHANGOSHVILI}").wait_for(timeout=WAIT)

        second.get_by_role("button", name="Save changes").click()
        second.get_by_text("since you opened it").first.wait_for(timeout=WAIT)
        second.get_by_text("Both versions", exact=True).wait_for(timeout=WAIT)
        second.screenshot(path=str(ARTIFACTS / "deploy-conflict.png"), full_page=True)
        store = open_store(store_url, watch=False)
        try:
            assert store.open_snapshot().rows[KHANGOSHVILI]["target"] != (
                "Target saved on the second replica")  # the refused save wrote nothing
            second.get_by_role("button", name="Save the merged version").click()
            second.get_by_text(f"Saved {KHANGOSHVILI}").wait_for(timeout=WAIT)
            row = store.open_snapshot().rows[KHANGOSHVILI]
            assert (row["notes"], row["target"]) == ("Note saved on the first replica.",
                                                     "Target saved on the second replica")
            actions = [(e.action, e.id) for e in store.read_log()[-2:]]
            assert actions == [("edit", KHANGOSHVILI)] * 2
        finally:
            store.close()
    finally:
        c1.close()
        c2.close()
    # sticky: every request of each browser, its websocket included, went to its replica
    assert answered_by(deployment, first_route) == {first_address}
    assert answered_by(deployment, second_route) == {second_address}


def test_an_edit_on_one_replica_shows_on_another_on_its_next_rerun(chromium, deployment):
    by_replica = routes(deployment)
    viewer_route, editor_route = list(by_replica.values())[1:3]
    title = f"Retitled on another replica {secrets.token_hex(3)}"
    (cv, viewer), (ce, editor) = (open_page(chromium, deployment, viewer_route, "/"),
                                  open_page(chromium, deployment, editor_route, "/?view=edit"))
    try:
        incidents_shown(viewer)  # the viewer's page is open before the save
        unlock_editor(editor)
        pick_incident(editor, KHANGOSHVILI)
        fill(editor, "Title", title)
        editor.get_by_role("button", name="Save changes").click()
        editor.get_by_text(f"Saved {KHANGOSHVILI}").wait_for(timeout=WAIT)
        saved = time.monotonic()
        search = viewer.locator('input[aria-label="Search"]')
        search.fill(title.split()[-1])
        search.press("Enter")
        expect(metric_value(viewer)).to_have_text("1", timeout=WAIT)
        shown_after = time.monotonic() - saved
        print(f"edit on one replica shown by another's next rerun after {shown_after:.2f} s")
        viewer.get_by_text(title).first.wait_for(state="attached", timeout=WAIT)  # in the table
    finally:
        cv.close()
        ce.close()


# ---------------------------------------------------------------- a replica dies


def test_killing_a_replica_loses_no_saved_edit_and_new_sessions_go_elsewhere(
        chromium, deployment, store_url):
    by_replica = routes(deployment)
    victim_address, victim_route = list(by_replica.items())[2]
    victim = next(r for r in deployment.replicas if r.address == victim_address)
    context, page = open_page(chromium, deployment, victim_route, "/?view=edit")
    try:
        unlock_editor(page)
        pick_incident(page, KHANGOSHVILI)
        word = f"killed{secrets.token_hex(3)}"
        fill(page, "Title", f"Saved just before its replica was {word}")
        page.get_by_role("button", name="Save changes").click()
        page.get_by_text(f"Saved {KHANGOSHVILI}").wait_for(timeout=WAIT)
        fill(page, "Notes", "Typed but never saved.")
        victim.kill()  # mid-session: the page is open, an unsaved change in it

        store = open_store(store_url, watch=False)
        try:
            row = store.open_snapshot().rows[KHANGOSHVILI]
            assert row["title"] == f"Saved just before its replica was {word}"
            assert store.read_log()[-1].after["title"] == row["title"]
            assert row["notes"] != "Typed but never saved."
        finally:
            store.close()
        # the same browser (its cookie names the dead replica) and a new one are both
        # answered by the others, with the saved edit
        for route in (victim_route, None):
            fresh = chromium.new_context(viewport={"width": 1440, "height": 1000})
            if route:
                fresh.add_cookies([{"name": "im_route", "value": route,
                                    "domain": PUBLIC_NAME, "path": "/"}])
            try:
                other = fresh.new_page()
                other.goto(f"{deployment.url}/?q={word}")
                expect(metric_value(other)).to_have_text("1", timeout=WAIT)
            finally:
                fresh.close()
        log = (deployment.proxy.run_dir / "access.log").read_text().splitlines()
        answered = [re.search(r"upstream=(.+?) route=", line).group(1).split(",")[-1].strip()
                    for line in log[-30:] if "upstream=" in line]
        answered = [address for address in answered if address != "-"]
        assert answered and victim_address not in answered[-5:]
    finally:
        context.close()  # the module's last test: the deployment stops with the replica down
