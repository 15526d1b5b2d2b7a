"""Tests wait for conditions, never for time, and a wait's condition never throws.

Two rules, checked in every test module (``tests/**/*.py``) by reading its source:

1. A ``wait_for_function`` predicate never dereferences what may not exist yet. The result
   of ``querySelector``, ``getElementById``, ``closest``, ``find``, ``getAttribute`` and
   ``match``, and an element's ``dataset.x``, is followed by ``?.`` (or kept in a variable
   that is checked before use: ``box && box.open``), never by a bare ``.`` or ``[``. A
   predicate that throws ends the wait at once with an error instead of polling again,
   so a page that is a moment late fails the test (issue 28).
2. ``wait_for_timeout``, ``time.sleep`` and ``asyncio.sleep`` are not used in tests. Wait
   for what the user sees (``expect(...)``, ``locator.wait_for``, ``wait_for_function``,
   ``tests.browser.conftest.streamlit_runs`` for a Streamlit rerun). A pause that is the
   thing under test (a fake server that hangs, "nothing changes for a second while
   paused") carries ``# deliberate delay: <why>`` on its line.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.paths import ROOT

TESTS = ROOT / "tests"
#: The comment that marks a pause which is itself the behaviour under test.
DELIBERATE = re.compile(r"#\s*deliberate delay:\s*\S")
#: Waits for time still to be replaced, by file: the count may only go down. New code adds
#: none; a file whose count dropped is lowered here in the same commit.
KNOWN_TIMED_WAITS: dict[str, int] = {
}

#: Calls whose result may be null or undefined until the page has caught up.
NULLABLE_CALLS = ("querySelector", "getElementById", "closest", "find", "getAttribute",
                  "match", "item")
_CALL = re.compile(r"\b(" + "|".join(NULLABLE_CALLS) + r")\s*\(")
_DATASET = re.compile(r"\.dataset\.[A-Za-z_$][\w$]*")
_ASSIGNED = re.compile(r"\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=(?!=)\s*")
_PLACEHOLDER = "__py__"


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text}"


def _blank_strings(js: str) -> str:
    """``js`` with the contents of its string literals removed (selectors hold dots)."""
    out, quote, i = [], None, 0
    while i < len(js):
        char = js[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if char == quote:
                quote = None
                out.append(char)
        else:
            if char in "'\"`":
                quote = char
            out.append(char)
        i += 1
    return "".join(out)


def _close(js: str, start: int) -> int:
    """Index just past the bracket that closes the one opened at ``js[start]``."""
    depth = 0
    for i in range(start, len(js)):
        if js[i] in "([{":
            depth += 1
        elif js[i] in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(js)


def _guarded(js: str, name: str) -> bool:
    """Whether the predicate checks ``name`` before it uses it."""
    name = re.escape(name)
    return bool(re.search(rf"(!\s*{name}\b|\b{name}\s*(&&|\?[^.]|[!=]==?\s*(null|undefined)))",
                          js))


def unsafe_accesses(js: str) -> list[str]:
    """The places in a predicate that throw when the thing they read is not there yet.

    >>> unsafe_accesses("document.querySelector('.a').dataset.b.indexOf('c') >= 0")
    ['querySelector(...).', '.dataset.b.']
    >>> unsafe_accesses("document.querySelector('.a')?.dataset.b?.indexOf('c') >= 0")
    []
    >>> unsafe_accesses("() => { const box = document.querySelector('x'); return box.open; }")
    ['box.']
    >>> unsafe_accesses("() => { const box = document.querySelector('x'); return !!box && box.open; }")
    []
    """
    code = _blank_strings(js)
    found = []
    for call in _CALL.finditer(code):
        end = _close(code, call.end() - 1)
        after = code[end:end + 2]
        if after[:1] in (".", "[") and not after.startswith(".."):
            found.append(f"{call.group(1)}(...){after[:1]}")
    for assigned in _ASSIGNED.finditer(code):
        name, start = assigned.group(1), assigned.end()
        end = start
        while end < len(code) and code[end] not in ";\n}":
            end = _close(code, end) if code[end] in "([{" else end + 1
        value = code[start:end].rstrip()
        last = list(_CALL.finditer(value))
        if not last or _close(value, last[-1].end() - 1) != len(value):
            continue  # not the value of a call that may find nothing
        rest = code[end:]
        if re.search(rf"(?<![\w$.]){re.escape(name)}\s*[.\[]", rest) and not _guarded(rest, name):
            found.append(name + ".")
    for access in _DATASET.finditer(code):
        if code[access.end():access.end() + 1] in (".", "["):
            found.append(access.group(0) + code[access.end()])
    return found


def _text(node: ast.AST, constants: dict[str, str]) -> str | None:
    """The JavaScript a Python expression builds: literals, f-strings, ``+`` and module
    constants (what is computed at run time reads as a placeholder)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text(part, constants) or _PLACEHOLDER for part in node.values)
    if isinstance(node, ast.FormattedValue):
        return _PLACEHOLDER
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left, constants), _text(node.right, constants)
        if left is None and right is None:
            return None
        return (left or _PLACEHOLDER) + (right or _PLACEHOLDER)
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


def _constants(tree: ast.Module) -> dict[str, str]:
    constants: dict[str, str] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1 \
                and isinstance(statement.targets[0], ast.Name):
            value = _text(statement.value, constants)
            if value is not None:
                constants[statement.targets[0].id] = value
    return constants


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else ""
        return f"{owner}.{func.attr}" if owner in ("time", "asyncio") else func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


TIMED = {"wait_for_timeout", "time.sleep", "asyncio.sleep"}


@functools.cache
def scan(path: Path, root: Path = ROOT) -> tuple[list[Finding], list[Finding]]:
    """(unsafe predicates, waits for time) in one test module."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    constants = _constants(tree)
    name = path.relative_to(root).as_posix()
    sleeps_imported = any(isinstance(node, ast.ImportFrom) and node.module in ("time", "asyncio")
                          and any(alias.name == "sleep" for alias in node.names)
                          for node in ast.walk(tree))
    unsafe, timed = [], []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = _call_name(node)
        if called == "wait_for_function" and node.args:
            js = _text(node.args[0], constants)
            for access in unsafe_accesses(js or ""):
                unsafe.append(Finding(name, node.lineno, f"unguarded {access!r} in {js!r}"))
        elif called in TIMED or (called == "sleep" and sleeps_imported):
            statement_lines = lines[node.lineno - 1:(node.end_lineno or node.lineno)]
            if not any(DELIBERATE.search(line) for line in statement_lines):
                timed.append(Finding(name, node.lineno, lines[node.lineno - 1].strip()))
    return unsafe, timed


def test_modules() -> list[Path]:
    return sorted(path for path in TESTS.rglob("*.py") if path.name != "test_waits.py")


test_modules.__test__ = False  # a helper, not a test


def test_wait_predicates_never_throw():
    found = [finding for path in test_modules() for finding in scan(path)[0]]
    assert found == [], "guard these reads with ?. (a wait's predicate must not throw):\n" + \
        "\n".join(map(str, found))


def test_no_new_waits_for_time():
    by_file: dict[str, list[Finding]] = {}
    for path in test_modules():
        for finding in scan(path)[1]:
            by_file.setdefault(finding.path, []).append(finding)
    over = {name: found for name, found in by_file.items()
            if len(found) > KNOWN_TIMED_WAITS.get(name, 0)}
    assert over == {}, (
        "wait for a condition the user sees, not for time (or mark a pause that is itself "
        "under test with '# deliberate delay: <why>'):\n"
        + "\n".join(str(f) for found in over.values() for f in found))


def test_the_list_of_known_waits_only_shrinks():
    """A file whose timed waits were replaced is taken off the list (or its count lowered),
    so the waits cannot come back unnoticed."""
    counts = {name: 0 for name in KNOWN_TIMED_WAITS}
    for path in test_modules():
        for finding in scan(path)[1]:
            counts[finding.path] = counts.get(finding.path, 0) + 1
    stale = {name: (known, counts[name]) for name, known in KNOWN_TIMED_WAITS.items()
             if counts[name] < known}
    assert stale == {}, f"lower KNOWN_TIMED_WAITS to the counts found: {stale}"


@pytest.mark.parametrize(("js", "safe"), [
    ("document.querySelector('.leaflet-container').dataset.basemap.indexOf('x') >= 0", False),
    ("(document.querySelector('.leaflet-container')?.dataset.basemap ?? '').indexOf('x') >= 0",
     True),
    ("+document.querySelector('.leaflet-container')?.dataset.places > 5", True),
    ("+document.querySelector('.leaflet-container').dataset.places > 5", False),
    ("document.querySelectorAll('.leaflet-popup').length === 1", True),
    ("!document.querySelector('.leaflet-popup')", True),
    ("document.querySelector('.incident-play').dataset.year !== '2016'", False),
    ("() => { var map = Object.values(window).find(v => v instanceof L.Map);"
     " return !(map._panAnim); }", False),
    ("() => { var map = Object.values(window).find(v => v instanceof L.Map);"
     " return !!map && !(map._panAnim); }", True),
    ("() => [...document.querySelectorAll('input')].some(i => i.value === '1')", True),
    ("document.getElementById('x').textContent === 'y'", False),
    ("location.search.match(/a=(\\d)/)[1] === '2'", False),
])
def test_the_predicate_check_knows_safe_from_unsafe(js, safe):
    assert (unsafe_accesses(js) == []) is safe, unsafe_accesses(js)


def test_the_timed_wait_check_finds_sleeps_and_honours_the_mark(tmp_path):
    module = tmp_path / "test_probe.py"
    source = ("import time\n"
              "from asyncio import sleep\n"
              "def test_a(page):\n"
              "    page.wait_for_timeout(500)\n"
              "    time.sleep(1)\n"
              "    time.sleep(2)  # deliberate delay: the fake server hangs\n"
              "    page.wait_for_function(\"document.querySelector('a').href\")\n")
    module.write_text(source, encoding="utf-8")
    unsafe, timed = scan(module, root=tmp_path)
    assert [finding.line for finding in timed] == [4, 5]
    assert [finding.line for finding in unsafe] == [7]
