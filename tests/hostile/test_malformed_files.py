"""Every malformed file gets one clear answer from every command, and a clear box on the page.

``validate``: exit 1 and either one ``error:`` line or only ``row N, column C: ...`` lines.
``import`` and ``export``: exit 1 and one ``Error:`` line. ``geocode``: a file it can read
may be geocoded (it only needs ``place``, ``lat``, ``lon``); anything else is exit 1 with one
line. Never a traceback, never click's usage text, never a hang (each command runs in its
own process with a time limit). The page shows an error box and no exception.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.hostile.malformed import CONTENTS, SPECIAL, write_corpus
from tests.paths import APP

NAMES = sorted([*CONTENTS, *SPECIAL, "missing.csv"])
PROBLEM_LINE = re.compile(r"^row \d+, column [^:]+: .+")
#: Commands run in one child process for the whole corpus (a process per file spent most of
#: its time starting Python); each file's results are printed, as one JSON line, as soon as
#: its four commands have answered, so a file that hangs is named by the ones before it.
RUNNER = """
import json, sys
from pathlib import Path
from click.testing import CliRunner
from dashboard.cli import main
runner = CliRunner()
for path, out in zip(sys.argv[1::2], sys.argv[2::2]):
    Path(out).mkdir(parents=True, exist_ok=True)
    results = {}
    for name, args in (
        ("validate", ["validate", path]),
        ("import", ["import", path, "-o", out + "/imported.csv", "--force"]),
        ("export", ["export", "-o", out + "/exported.csv", "--data", path]),
        ("geocode", ["geocode", path, "--offline", "--dry-run", "--cache", out + "/cache.json"]),
    ):
        result = runner.invoke(main, args)
        crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
        results[name] = {"code": result.exit_code, "output": result.output, "crashed": crashed}
    print(json.dumps({"path": path, "results": results}), flush=True)
"""
#: The whole corpus's time limit (it answers in about 15 s).
CORPUS_SECONDS = 240


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    return write_corpus(tmp_path_factory.mktemp("malformed"))


@pytest.fixture(scope="module")
def answers(corpus, tmp_path_factory) -> dict[str, dict]:
    """Every command's answer to every file of the corpus, and the folder its commands
    wrote to, by file name."""
    import json

    outs = tmp_path_factory.mktemp("malformed-out")
    argv: list[str] = []
    for name in NAMES:
        argv += [str(corpus[name]), str(outs / name)]
    try:
        completed = subprocess.run([sys.executable, "-c", RUNNER, *argv], capture_output=True,
                                   text=True, timeout=CORPUS_SECONDS)
    except subprocess.TimeoutExpired as error:
        done = (error.stdout or b"").decode(errors="replace").count("\n")
        pytest.fail(f"the commands did not answer {NAMES[done]!r} within the corpus's "
                    f"{CORPUS_SECONDS} s")
    assert completed.returncode == 0, completed.stderr[-2000:]
    by_path = {}
    for line in completed.stdout.splitlines():
        if line.startswith('{"path": '):
            answer = json.loads(line)
            by_path[answer["path"]] = answer["results"]
    return {name: (by_path[str(corpus[name])], outs / name) for name in NAMES}


def test_the_corpus_is_large_enough():
    assert len(NAMES) >= 40



def _clear(output: str) -> bool:
    return "Traceback" not in output and "Usage:" not in output and "Try '" not in output


@pytest.mark.parametrize("name", NAMES)
def test_commands_answer_in_one_clear_way(name, answers):
    results, out = answers[name]
    for command, result in results.items():
        assert not result["crashed"], (command, result["output"][-1500:])
        assert _clear(result["output"]), (command, result["output"][-1500:])
    validate = results["validate"]
    assert validate["code"] == 1, validate["output"]
    lines = [line for line in validate["output"].splitlines() if line.strip()]
    problems = [line for line in lines if PROBLEM_LINE.match(line)]
    if problems:  # readable: one line per problem, plus the count
        assert len(problems) == len(lines) - 1 and lines[-1].endswith("problem(s)"), lines[:5]
        assert all(len(line) < 400 for line in problems), "a problem line quotes too much"
    else:  # unreadable: exactly one line
        assert len(lines) == 1 and lines[0].startswith("error: "), lines
    export = results["export"]
    lines = [line for line in export["output"].splitlines() if line.strip()]
    assert export["code"] == 1, lines[-5:]
    assert lines and lines[-1].startswith("Error: "), lines[-5:]
    # import reads other encodings and separators too: it may convert what it can (every
    # refused row named), and then what it writes validates; otherwise one Error: line.
    imported = results["import"]
    lines = [line for line in imported["output"].splitlines() if line.strip()]
    written = out / "imported.csv"
    if imported["code"] == 0:
        from dashboard.data.schema import validate_file

        assert validate_file(written) == [], lines
        assert all(PROBLEM_LINE.match(line) for line in lines[:-1]), lines
    else:
        assert imported["code"] == 1 and lines and lines[-1].startswith("Error: "), lines[-5:]
        assert not written.exists()
    geocode = results["geocode"]
    assert geocode["code"] in (0, 1)
    if geocode["code"] == 1:
        lines = [line for line in geocode["output"].splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error: "), lines


@pytest.mark.parametrize("name", NAMES)
def test_the_page_shows_a_clear_box(name, corpus, monkeypatch):
    if name in SPECIAL and name == "fifo.csv":
        # The page reads the file in the server's process: prove it does not block.
        pass
    monkeypatch.setenv("INCIDENT_MAP_DATA", str(corpus[name]))
    monkeypatch.setenv("INCIDENT_MAP_OFFLINE", "1")
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    assert "problem" in errors[0] or "cannot be opened" in errors[0]
    assert "Traceback" not in errors[0]


def test_an_unreadable_file_gets_one_line(tmp_path):
    """A file the user may not read: one line and exit 1 (run as an unprivileged user, since
    root reads everything)."""
    import os
    import shutil

    path = tmp_path / "secret.csv"
    path.write_bytes(CONTENTS["bad-date.csv"])
    path.chmod(0)
    tmp_path.chmod(0o755)
    command = [sys.executable, "-m", "dashboard", "validate", str(path)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "running as root needs setpriv (util-linux) to drop privileges"
        command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60,
                            cwd=APP.parents[1])
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode == 1, lines
    assert lines == [f"error: {path}: permission denied (cannot be read)"]
