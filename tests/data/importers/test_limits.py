"""The limits every upload is read under: defaults, how they are set, and their message."""

from __future__ import annotations

import pytest

from dashboard.data.importers.limits import (
    DESCRIPTIONS,
    LimitExceeded,
    Limits,
    env_var,
    message,
    names,
)
from dashboard.data.schema import DatasetError


def test_every_limit_has_a_description_and_an_environment_variable():
    assert set(DESCRIPTIONS) == set(names())
    assert env_var("upload_mb") == "INCIDENT_MAP_LIMIT_UPLOAD_MB"


@pytest.mark.parametrize("name", names())
def test_the_message_is_one_line_naming_the_limit_and_how_to_raise_it(name):
    line = message(name, 12, "data.csv")
    assert "\n" not in line
    assert line.startswith("data.csv: ")
    assert f"--limit {name}=N" in line and f"{env_var(name)}=N" in line


def test_a_limit_is_passed_only_above_its_value_and_is_a_dataset_error():
    limits = Limits(rows=3, line_kb=1)
    limits.check("rows", 3)
    limits.check("line_kb", 1024)
    with pytest.raises(DatasetError):
        limits.check("line_kb", 1025, "x.csv")
    with pytest.raises(LimitExceeded) as caught:
        limits.check("rows", 4, "x.csv")
    assert (caught.value.limit, caught.value.value, caught.value.file) == ("rows", 3, "x.csv")


def test_environment_and_options_override_the_defaults_in_that_order():
    limits = Limits.from_env({env_var("rows"): "1_000", env_var("upload_mb"): "5"})
    assert (limits.rows, limits.upload_mb, limits.columns) == (1000, 5, Limits().columns)
    assert limits.with_options(["rows=9"]).rows == 9
    assert Limits().as_env()[env_var("cells")] == str(Limits().cells)
    assert Limits.from_env(Limits(rows=42).as_env()) == Limits(rows=42)


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "ten", "²", "9" * 5000, ""])
def test_a_bad_value_is_refused_in_one_line(value):
    with pytest.raises(ValueError, match="not a whole number") as caught:
        Limits().with_options([f"rows={value}"])
    assert "\n" not in str(caught.value)
    if value:
        with pytest.raises(ValueError, match=env_var("rows")):
            Limits.from_env({env_var("rows"): value})


@pytest.mark.parametrize("option", ["rows", "nope=3", "=3"])
def test_an_unknown_or_malformed_option_names_the_limits(option):
    with pytest.raises(ValueError, match="expected NAME=N"):
        Limits().with_options([option])


def test_the_readme_lists_every_limit_with_its_default_and_variable():
    from tests.paths import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    defaults = Limits()
    for name in names():
        row = f"| `{name}` | {getattr(defaults, name)} |"
        assert row in readme, f"README's Limits table: {row}"
        line = next(line for line in readme.splitlines() if line.startswith(row))
        assert f"`{env_var(name)}`" in line
