"""The change log never loses or hides an entry: every character survives, sequence numbers
never repeat, and a save and its entry are one step whatever moment a process dies at."""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import traceback
import unicodedata

import pytest

from dashboard.data import editing
from dashboard.data.schema import validate_file
from tests.conftest import CURATED

KHANGOSHVILI = "2019-08-23-berlin-khangoshvili"


def _characters(*categories: str) -> list[str]:
    return [chr(code) for code in range(sys.maxunicode + 1)
            if unicodedata.category(chr(code)) in categories]


#: Every line and paragraph separator and control character Unicode has (Zl, Zp, Cc), what
#: str.splitlines breaks at, and the format characters (Cf) that hide or reorder text.
SEPARATORS = _characters("Zl", "Zp")
CONTROLS = _characters("Cc")
FORMATS = _characters("Cf")
SPLITLINES = ["\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
#: Characters a cell cannot hold (validate refuses them) but a name typed on the page can.
OTHERS = ["\ufffe", "\uffff", "\ud800", "\udfff", "\U0010fffe", "\U0001f600", "é", "\u0000"]


@pytest.fixture
def dataset(tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_bytes(CURATED.read_bytes())
    return path


def _entry(text: str, seq: int = 1) -> editing.ChangeEntry:
    return editing.ChangeEntry(seq, "2025-01-01T00:00:00+00:00", f"who{text}", "edit",
                               KHANGOSHVILI, {"notes": ""}, {"notes": f"a{text}b"})


def test_there_are_characters_of_every_kind_to_test():
    assert SEPARATORS == ["\u2028", "\u2029"]
    assert len(CONTROLS) == 65 and len(FORMATS) > 150


@pytest.mark.parametrize("kind", ["separators", "controls", "formats", "splitlines", "others"])
def test_every_character_survives_the_log_on_a_line_of_its_own(tmp_path, kind):
    characters = {"separators": SEPARATORS, "controls": CONTROLS, "formats": FORMATS,
                  "splitlines": SPLITLINES, "others": OTHERS}[kind]
    log = tmp_path / "incidents.csv.changes.jsonl"
    lines = [editing.log_line(_entry(ch, seq)) for seq, ch in enumerate(characters, start=1)]
    log.write_text("".join(lines), encoding="utf-8", errors="surrogatepass")
    raw = log.read_bytes()
    # one entry a line, by any reader's idea of a line: nothing but \n breaks one
    assert raw.count(b"\n") == len(characters)
    assert len(raw.decode("utf-8").splitlines()) == len(characters)
    assert all(line.isascii() or "\u00e9" in line or "\U0001f600" in line
               for line in raw.decode("utf-8").split("\n"))
    entries = editing.read_log(log)
    assert [e.after["notes"] for e in entries] == [f"a{ch}b" for ch in characters]
    assert [e.who for e in entries] == [f"who{ch}" for ch in characters]
    assert [e.seq for e in entries] == list(range(1, len(characters) + 1))


def test_saves_of_separators_keep_their_entries_and_never_repeat_a_seq(dataset):
    """The issue's case: U+2028, U+2029 and U+0085 in a field made the entry unreadable and
    the next save reuse its seq (1,1,1,...)."""
    notes = [*SPLITLINES[2:], "every control: " + "".join(CONTROLS[1:]),
             "every format character: " + "".join(FORMATS)]
    for number, text in enumerate(notes, start=1):
        snap = editing.open_snapshot(dataset)
        entry = editing.save_row(snap, KHANGOSHVILI, dict(snap.rows[KHANGOSHVILI],
                                                          notes=f"x{text}y"), who="ana")
        assert entry.seq == number
    entries = editing.read_log(editing.change_log_path(dataset))
    assert [e.seq for e in entries] == list(range(1, len(notes) + 1))
    assert [e.after["notes"] for e in entries] == [f"x{text}y".strip() for text in notes]
    assert editing.open_snapshot(dataset).rows[KHANGOSHVILI]["notes"] == f"x{notes[-1]}y"
    undone = editing.undo(editing.open_snapshot(dataset), entries[-1], who="ana")
    assert undone.seq == len(notes) + 1
    assert validate_file(dataset) == []


def test_a_damaged_line_is_reported_and_its_seq_never_given_again(dataset):
    snap = editing.open_snapshot(dataset)
    editing.save_row(snap, KHANGOSHVILI, dict(snap.rows[KHANGOSHVILI], notes="one"), who="a")
    log = editing.change_log_path(dataset)
    with log.open("ab") as handle:  # a line damaged by hand, holding seq 2
        handle.write(b'{"seq": 2, "at": "2025-01-01", "who": "x", "action": "ed\n')
    with log.open("ab") as handle:  # and a last line left without its line break
        handle.write(b'{"seq": 3')
    assert editing.damaged_lines(log) == [2, 3]
    snap = editing.open_snapshot(dataset)
    entry = editing.save_row(snap, KHANGOSHVILI, dict(snap.rows[KHANGOSHVILI], notes="two"),
                             who="b")
    assert entry.seq == 4
    assert [e.seq for e in editing.read_log(log)] == [1, 4]
    assert editing.damaged_lines(log) == [2, 3]  # the new entry is on a line of its own


def test_opening_an_unchanged_file_again_shares_its_snapshot(dataset):
    first = editing.open_snapshot(dataset)
    assert editing.open_snapshot(dataset) is first
    editing.save_row(first, KHANGOSHVILI, dict(first.rows[KHANGOSHVILI], notes="new"), who="a")
    second = editing.open_snapshot(dataset)
    assert second is not first and second.rows[KHANGOSHVILI]["notes"] == "new"
    assert first.rows[KHANGOSHVILI]["notes"] != "new"  # a snapshot never changes
    assert list(second.rows.values()) == [second.rows[i] for i in second.ids]
    for number in range(4):  # however many versions were opened, a few are kept
        snap = editing.open_snapshot(dataset)
        editing.save_row(snap, KHANGOSHVILI, dict(snap.rows[KHANGOSHVILI], notes=f"v{number}"),
                         who="a")
        editing.open_snapshot(dataset)
    assert len(editing._shared) <= editing.SHARED_SNAPSHOTS


# --------------------------------------------------------------------------- kills

#: What a save does to files, in order; the helper dies at a random one of these calls.
FILE_CALLS = ("open", "write", "fsync", "replace", "unlink", "pread", "fdopen")
KILLS = 100


def _die_at(call_number: int) -> None:
    """In the helper: SIGKILL this process at its ``call_number``-th file call."""
    count = [0]

    def counted(name, real):
        def call(*args, **kwargs):
            count[0] += 1
            if count[0] == call_number:
                os.kill(os.getpid(), signal.SIGKILL)
            if name == "fsync":  # a kill loses nothing the kernel holds: skip the disk wait
                return None
            return real(*args, **kwargs)
        return call

    for name in FILE_CALLS:
        setattr(os, name, counted(name, getattr(os, name)))


def _helper(dataset, note: str, call_number: int) -> int:
    """Fork a helper that saves one note and is killed at its ``call_number``-th file call
    (or finishes); its exit status."""
    child = os.fork()
    if child == 0:  # the helper
        code = 1
        try:
            # The row is valid: its check (pandas, most of a save's time) is left out here,
            # where what is tested is the files a kill leaves.
            editing.row_problems = lambda *args, **kwargs: {}
            _die_at(call_number)
            snap = editing.open_snapshot(dataset)
            editing.save_row(snap, KHANGOSHVILI, dict(snap.rows[KHANGOSHVILI], notes=note),
                             who="helper")
            code = 0
        except BaseException:  # noqa: BLE001 - reported by the exit status
            traceback.print_exc()
        finally:
            os._exit(code)
    return os.waitpid(child, 0)[1]


def test_a_save_killed_at_any_moment_leaves_both_the_change_and_its_entry_or_neither(
        dataset):
    """A helper process saving one change is SIGKILLed at a random file call (each write,
    fsync, rename and removal of a save is a moment its files can be left at) 100 times;
    after each, the dataset and the log agree: the change is there with its entry, or
    neither is, and no seq repeats."""
    rng = random.Random(21)
    editing.open_snapshot(dataset)  # parsed once here: the helpers share nothing but files
    killed = landed = 0
    for attempt in range(KILLS):
        note = f"Saved by helper {attempt}."
        status = _helper(dataset, note, rng.randint(1, 24))
        assert os.WIFSIGNALED(status) or os.WEXITSTATUS(status) == 0, "the helper failed"
        killed += os.WIFSIGNALED(status)
        snap = editing.open_snapshot(dataset)  # finishes or drops the save first
        entries = editing.read_log(editing.change_log_path(dataset))
        in_file = snap.rows[KHANGOSHVILI]["notes"] == note
        logged = [e for e in entries if (e.after or {}).get("notes") == note]
        assert in_file == bool(logged), (attempt, in_file, len(logged))
        assert len(logged) <= 1
        assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
        landed += in_file
        assert not editing.journal_path(dataset).exists()
    assert killed > KILLS // 2 and 0 < landed < KILLS, (killed, landed)
    assert validate_file(dataset) == []
    assert not list(dataset.parent.glob("*.stale"))
    # every entry, replayed from the first version, gives the dataset as it is
    entries = editing.read_log(editing.change_log_path(dataset))
    assert entries[-1].after["notes"] == editing.open_snapshot(dataset).rows[KHANGOSHVILI][
        "notes"]
    print(f"{killed} helpers killed mid-save, {landed} saves landed with their entries")


def test_a_journal_left_by_a_kill_after_the_replace_is_finished(dataset):
    snap = editing.open_snapshot(dataset)
    editing.save_row(snap, KHANGOSHVILI, dict(snap.rows[KHANGOSHVILI], notes="kept"), who="a")
    log = editing.change_log_path(dataset)
    line = log.read_text(encoding="utf-8")
    log.write_text("", encoding="utf-8")  # as if killed before the append ...
    editing.journal_path(dataset).write_text(json.dumps(  # ... with the journal left
        {"before": snap.digest, "after": editing.file_digest(dataset.read_bytes()),
         "line": line}), encoding="utf-8")
    assert [e.after["notes"] for e in editing.read_log(log)] == ["kept"]
    assert not editing.journal_path(dataset).exists()
    assert log.read_text(encoding="utf-8") == line


def test_a_carriage_return_in_a_cell_is_saved_quoted(dataset):
    """The csv module quotes only its own line terminator's characters: a CR in a cell of
    a file with \\n line ends must still be quoted, or the file breaks at it."""
    assert b"\r\n" not in dataset.read_bytes()
    snap = editing.open_snapshot(dataset)
    editing.save_row(snap, KHANGOSHVILI, dict(snap.rows[KHANGOSHVILI], notes="one\rtwo"),
                     who="ana")
    assert editing.open_snapshot(dataset).rows[KHANGOSHVILI]["notes"] == "one\rtwo"
    assert validate_file(dataset) == []
