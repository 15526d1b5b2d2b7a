"""Helpers for the map tests: read the incident data object back out of rendered map HTML."""

from __future__ import annotations

import json
import re

from tests.paths import FIXTURES

FIXTURE = FIXTURES / "map_fixture.csv"

_CREATE = re.compile(r"window\.IncidentMap\.create\(\s*[A-Za-z0-9_]+,\s*")


def incident_payload(page: str) -> tuple[dict, dict]:
    """(data, options) passed to IncidentMap.create in a rendered map page."""
    match = _CREATE.search(page)
    assert match, "no IncidentMap.create(...) call in the page"
    decoder = json.JSONDecoder()
    data, end = decoder.raw_decode(page, match.end())
    rest = page[end:].lstrip()
    assert rest.startswith(","), rest[:40]
    options, _ = decoder.raw_decode(rest[1:].lstrip())
    return data, options


def script_and_link_urls(page: str) -> list[str]:
    """Every URL in a <script src> or <link href> of the page."""
    return re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', page)


def legend_body(page: str) -> str:
    """The legend's inner HTML as the browser will see it."""
    match = re.search(r"'<div class=\"il-body\">' \+ ", page)
    assert match, "no legend in the page"
    body, _ = json.JSONDecoder().raw_decode(page, match.end())
    return body
