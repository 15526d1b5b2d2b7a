"""The package tree is the architecture: layers import only downwards, no circles, and only
the page and the server import Streamlit (see ``dashboard/__init__.py``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.paths import ROOT

PACKAGE = ROOT / "dashboard"
#: Rank of each layer; a module may import modules of its own rank or lower.
LAYERS = {"base": 1, "data": 2, "geocoding": 3, "maps": 4, "exports": 5, "page": 6,
          "server": 7}
ENTRY_RANK = 8  # app.py, web_app.py, cli.py, __main__.py
STREAMLIT_ALLOWED = {"dashboard.app", "dashboard.web_app", "dashboard.server.launch",
                     "dashboard.server.uploads"}
#: The page's views (``dashboard/page/views/``) are the page too.
STREAMLIT_VIEWS = "dashboard.page.views."


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def rank(module: str) -> int:
    parts = module.split(".")
    if module == "dashboard":
        return 0  # the package's docstring and version only
    return LAYERS.get(parts[1], ENTRY_RANK)


def imports(path: Path) -> list[tuple[str, int]]:
    """Every module ``path`` imports (at any depth of the file), with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
            # ``from dashboard.maps import mapping`` imports dashboard.maps.mapping
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                if (PACKAGE.parent / (candidate.replace(".", "/") + ".py")).exists():
                    found.append((candidate, node.lineno))
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))
           if "static" not in p.parts}


def test_every_module_belongs_to_a_layer_package_or_is_an_entry_point():
    loose = [m for m in MODULES if m.count(".") == 1 and m.split(".")[1] not in LAYERS
             and m.split(".")[1] not in ("app", "web_app", "cli", "__main__")]
    assert loose == [], "put these modules into a layer package"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_downwards_only(module):
    own = rank(module)
    upward = [f"line {line}: {target}" for target, line in imports(MODULES[module])
              if target.startswith("dashboard") and rank(target) > own]
    assert upward == [], f"{module} (layer {own}) imports a higher layer"


def test_only_the_page_and_the_server_import_streamlit():
    users = {module for module, path in MODULES.items()
             if any(t == "streamlit" or t.startswith(("streamlit.", "streamlit_folium"))
                    for t, _ in imports(path))}
    others = {m for m in users - STREAMLIT_ALLOWED if not m.startswith(STREAMLIT_VIEWS)}
    assert others == set(), sorted(others)


def test_no_import_cycles():
    graph = {module: {t for t, _ in imports(path) if t in MODULES and t != module}
             for module, path in MODULES.items()}
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_layer_checks_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from dashboard.page.state import widget_values\nimport streamlit\n")
    targets = [t for t, _ in imports(bad)]
    assert rank("dashboard.data.bad") < max(rank(t) for t in targets if t.startswith("dash"))
    assert "streamlit" in targets
