"""The large-data map as HTML (its drawing in the browser is tested in
tests/browser/test_scale_browser.py): what the page's map and an export's map ask for."""

from __future__ import annotations

import json
import re

import pytest

from dashboard.data.loading import load_incidents
from dashboard.maps.assets import assets_available
from dashboard.maps.scale_map import (
    CLUSTER_MAX_ZOOM,
    QUICK_MAX_ZOOM,
    RUNTIME_FILE,
    WORKER_URL,
    build_scale_map,
)
from tests.conftest import base_row


@pytest.fixture
def incidents(make_dataset):
    rows = [base_row(id=f"row-{n}", lat=str(40 + n / 10), lon=str(10 + n / 10))
            for n in range(12)]
    return load_incidents(make_dataset(rows))


def _options(html: str) -> dict:
    found = re.search(r"window\.IncidentScale\.create\(\s*\w+,\s*(\{.*?\})\);", html, re.S)
    assert found, "the map does not create its layer"
    return json.loads(found.group(1))


@pytest.mark.skipif(not assets_available(), reason="needs `make assets`")
def test_the_pages_map_indexes_in_two_steps_and_an_export_in_one(incidents):
    page = build_scale_map(incidents, incidents, key="k", offline=True,
                           inline_runtime=False).get_root().render()
    options = _options(page)
    assert options["quickMaxZoom"] == QUICK_MAX_ZOOM < options["clusterMaxZoom"]
    assert options["workerUrl"] == WORKER_URL
    assert options["superclusterUrl"].endswith("supercluster.min.js")
    assert options["superclusterUrl"].startswith("/")  # same origin: a worker needs it

    # A page opened from disk cannot start a worker from the dashboard: one whole index.
    export = build_scale_map(incidents, incidents, key="k", offline=True, standalone=True,
                             url="data:application/octet-stream;base64,").get_root().render()
    options = _options(export)
    assert "workerUrl" not in options and "quickMaxZoom" not in options
    assert options["clusterMaxZoom"] == CLUSTER_MAX_ZOOM


def test_the_worker_is_served_beside_the_runtime():
    worker = RUNTIME_FILE.with_name(WORKER_URL.rsplit("/", 1)[1])
    assert worker.is_file()
    assert WORKER_URL.rsplit("/", 1)[0] == "/app/static"
