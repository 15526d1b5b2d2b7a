"""Helpers for the map tests: read the incident data object back out of rendered map HTML."""

from __future__ import annotations

import json
import re

from tests.paths import FIXTURES

FIXTURE = FIXTURES / "map_fixture.csv"

_CREATE = re.compile(r"window\.IncidentMap\.create\(\s*[A-Za-z0-9_]+,\s*")


_LAYERS = re.compile(r"\.incidentMap\.addLayers\(")


def incident_payload(page: str, *, layers: bool = False):
    """(data, options) passed to IncidentMap.create in a rendered map page (and, with
    ``layers``, the layer list passed to addLayers)."""
    match = _CREATE.search(page)
    assert match, "no IncidentMap.create(...) call in the page"
    decoder = json.JSONDecoder()
    data, end = decoder.raw_decode(page, match.end())
    rest = page[end:].lstrip()
    assert rest.startswith(","), rest[:40]
    options, _ = decoder.raw_decode(rest[1:].lstrip())
    if not layers:
        return data, options
    found = _LAYERS.search(page)
    assert found, "no addLayers(...) call in the page"
    specs, _ = decoder.raw_decode(page, found.end())
    return data, options, specs


def script_and_link_urls(page: str) -> list[str]:
    """Every URL in a <script src> or <link href> of the page."""
    return re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', page)


def legend_body(page: str) -> str:
    """The legend's inner HTML as the browser will see it."""
    match = re.search(r"'<div class=\"il-body\">' \+ ", page)
    assert match, "no legend in the page"
    body, _ = json.JSONDecoder().raw_decode(page, match.end())
    return body
