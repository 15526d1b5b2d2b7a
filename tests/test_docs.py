"""The README documents every command, every option and every URL parameter."""

from __future__ import annotations

import pytest

from dashboard.cli import main
from dashboard.data.filters import FILTER_PARAMS, PAGE_PARAMS
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_is_in_the_readme(name):
    assert f"`incident-map {name}" in README


@pytest.mark.parametrize(
    ("command", "options"),
    [
        (name, tuple(param.opts + param.secondary_opts))
        for name, command in sorted(main.commands.items())
        for param in command.params
        if param.param_type_name == "option" and "--help" not in param.opts
    ],
)
def test_every_option_is_in_the_readme(command, options):
    line = next(line for line in README.splitlines() if f"`incident-map {command}" in line)
    assert any(f"{option} " in line or f"{option}]" in line or f"{option}/" in line
               for option in options), f"{options} of `incident-map {command}` not in the README"


@pytest.mark.parametrize("param", FILTER_PARAMS + PAGE_PARAMS)
def test_every_url_parameter_is_in_the_readme(param):
    assert f"{param}=" in README


def test_every_environment_variable_read_by_the_code_is_documented():
    import re

    used = set()
    for path in (ROOT / "dashboard").rglob("*.py"):
        used |= set(re.findall(r"INCIDENT_MAP_[A-Z_]+", path.read_text(encoding="utf-8")))
    assert used, "the code reads no INCIDENT_MAP_ variables?"
    assert sorted(v for v in used if f"`{v}" not in README) == []
