"""No text is ever compiled as a template: a guard over the source, and the exports themselves.

branca's ``Element(text)`` and Jinja's ``Template(text)`` compile their argument, so a
``{{ ... }}`` inside it runs. The guard fails when such a call is given anything but a
literal written in our source; data goes through ``map_plugins.RawElement`` or template
variables instead.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from dashboard.data.filters import Filters
from dashboard.data.loading import load_incidents
from dashboard.exports.formats import View, export_bytes

from .checks import template_markers_in

PACKAGE = Path(__file__).resolve().parents[2] / "dashboard"

#: Callables that compile their first argument as a template.
COMPILING_CALLS = {"Element", "Template", "from_string", "Environment", "Html", "Popup",
                   "Tooltip", "IFrame", "JavascriptLink", "CssLink"}


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _compiling_calls_with_data() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in COMPILING_CALLS:
                args = node.args[:1]
                if args and not (isinstance(args[0], ast.Constant)
                                 and isinstance(args[0].value, str)):
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: "
                                 f"{_name(node.func)}(...) is given a computed value")
    return found


def test_no_template_compiles_computed_text():
    assert _compiling_calls_with_data() == []


def test_guard_catches_a_computed_element(tmp_path, monkeypatch):
    bad = tmp_path / "dashboard"
    bad.mkdir()
    (bad / "bad.py").write_text('from branca.element import Element\n'
                                'def f(title):\n    return Element(f"<h1>{title}</h1>")\n')
    monkeypatch.setattr(f"{__name__}.PACKAGE", bad)
    assert len(_compiling_calls_with_data()) == 1


TEMPLATES = [
    "{{ 'tpl' ~ 'evaluated' }}",
    "{% if true %}{{ 'tpl' ~ 'evaluated' }}{% endif %}",
    "{{ 7*191 }}",
    "{# comment #}",
    "{{ lipsum.__globals__.os.popen('echo tpl' ~ 'evaluated').read() }}",
    "{{ broken",
    "{% endfor %}",
]


def _without_element_names(page: str) -> str:
    """folium names elements with 32 random hex digits, which may contain "1337"."""
    return re.sub(r"_[0-9a-f]{32}\b", "_name", page)


@pytest.mark.parametrize("payload", TEMPLATES)
def test_html_export_shows_template_text_literally(payload):
    incidents = load_incidents("tests/fixtures/export_fixture.csv")
    for column in ("title", "summary", "place", "perpetrator", "target", "notes"):
        incidents[column] = payload
    incidents["sources"] = "https://example.org/" + payload
    title = f"Title {payload}"
    page = _without_element_names(
        export_bytes(incidents, View(title=title, offline=True), "html").decode())
    assert template_markers_in(page) == []
    # the title and caption (filters in words) keep the text as typed, escaped for HTML
    assert payload.replace("'", "&#x27;") in page
    queried = _without_element_names(export_bytes(
        incidents, View(filters=Filters(query=payload), title=title, offline=True),
        "html").decode())
    assert template_markers_in(queried) == []
