"""Editing the dataset file: only the changed record is rewritten, conflicts, log, undo."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from dashboard.data import editing
from dashboard.data.schema import validate_file
from tests.conftest import CURATED, ROOT, base_row

KHANGOSHVILI = "2019-08-23-berlin-khangoshvili"


@pytest.fixture
def dataset(tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_bytes(CURATED.read_bytes())
    return path


def test_an_edit_changes_one_line_and_nothing_else(dataset):
    before = dataset.read_bytes()
    snap = editing.open_snapshot(dataset)
    row = dict(snap.rows[KHANGOSHVILI], notes="Checked against the court ruling.")
    editing.save_row(snap, KHANGOSHVILI, row, who="ana")
    old_lines = before.decode().splitlines(keepends=True)
    new_lines = dataset.read_text(encoding="utf-8").splitlines(keepends=True)
    assert len(old_lines) == len(new_lines)
    changed = [i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b]
    assert len(changed) == 1 and KHANGOSHVILI in new_lines[changed[0]]
    assert "Checked against the court ruling." in new_lines[changed[0]]
    assert validate_file(dataset) == []


def test_an_unchanged_row_writes_the_same_bytes(dataset):
    before = dataset.read_bytes()
    snap = editing.open_snapshot(dataset)
    editing.save_row(snap, KHANGOSHVILI, snap.rows[KHANGOSHVILI], who="ana")
    assert dataset.read_bytes() == before


def test_crlf_files_keep_their_line_endings_and_a_new_row_is_appended(make_dataset):
    path = make_dataset([base_row()])
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    snap = editing.open_snapshot(path)
    new = base_row(id="2024-02-13-villajoyosa-kuzminov", place="Villajoyosa, Spain",
                   country="ES", title="Maksim Kuzminov shot dead", date="2024-02-13")
    editing.save_row(snap, None, new, who="ana")
    raw = path.read_bytes()
    assert raw.count(b"\r\n") == 3 and b"\n" not in raw.replace(b"\r\n", b"")
    assert validate_file(path) == []


def test_a_row_that_would_not_validate_is_refused_with_the_column(dataset):
    before = dataset.read_bytes()
    snap = editing.open_snapshot(dataset)
    bad = dict(snap.rows[KHANGOSHVILI], sources="javascript:alert(1)")
    with pytest.raises(editing.EditError, match="column sources"):
        editing.save_row(snap, KHANGOSHVILI, bad, who="ana")
    duplicate = dict(snap.rows[KHANGOSHVILI])
    with pytest.raises(editing.EditError, match="column id"):
        editing.save_row(snap, None, duplicate, who="ana")
    assert dataset.read_bytes() == before


def test_a_save_on_a_file_changed_since_it_was_opened_is_a_conflict(dataset):
    first, second = editing.open_snapshot(dataset), editing.open_snapshot(dataset)
    editing.save_row(first, KHANGOSHVILI, dict(first.rows[KHANGOSHVILI], notes="A"), who="a")
    saved = dataset.read_bytes()
    with pytest.raises(editing.Conflict) as caught:
        editing.save_row(second, KHANGOSHVILI,
                         dict(second.rows[KHANGOSHVILI], fatalities="1", target="B"), who="b")
    assert dataset.read_bytes() == saved
    assert caught.value.theirs["notes"] == "A"
    merged, clashes = editing.merge_rows(second.rows[KHANGOSHVILI],
                                         dict(second.rows[KHANGOSHVILI], target="B"),
                                         caught.value.theirs)
    assert clashes == [] and merged["notes"] == "A" and merged["target"] == "B"
    editing.save_row(caught.value.snapshot, KHANGOSHVILI, merged, who="b")
    row = editing.open_snapshot(dataset).rows[KHANGOSHVILI]
    assert (row["notes"], row["target"]) == ("A", "B")


def test_simultaneous_saves_one_wins_the_other_gets_a_conflict(dataset):
    snaps = [editing.open_snapshot(dataset) for _ in range(8)]

    def save(index):
        snap = snaps[index]
        try:
            editing.save_row(snap, KHANGOSHVILI, dict(snap.rows[KHANGOSHVILI],
                                                      notes=f"by {index}"), who=str(index))
            return "saved"
        except editing.Conflict:
            return "conflict"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(save, range(8)))
    assert outcomes.count("saved") == 1 and outcomes.count("conflict") == 7
    assert len(editing.read_log(editing.change_log_path(dataset))) == 1


def test_the_change_log_records_who_when_before_after_and_undo_restores(dataset):
    original = dataset.read_bytes()
    snap = editing.open_snapshot(dataset)
    entry = editing.save_row(snap, KHANGOSHVILI,
                             dict(snap.rows[KHANGOSHVILI], notes="changed"), who="  ana  b ")
    lines = editing.change_log_path(dataset).read_text(encoding="utf-8").splitlines()
    logged = json.loads(lines[0])
    assert logged["who"] == "ana b" and logged["action"] == "edit" and logged["id"] == KHANGOSHVILI
    assert logged["after"]["notes"] == "changed" and logged["before"]["notes"] != "changed"
    assert entry.changed_columns() == ["notes"]
    editing.undo(editing.open_snapshot(dataset), entry, who="ana")
    assert dataset.read_bytes() == original
    assert [e.action for e in editing.read_log(editing.change_log_path(dataset))] == ["edit",
                                                                                       "undo"]


def test_undo_of_an_add_removes_the_row_and_a_later_change_blocks_undo(dataset):
    original = dataset.read_bytes()
    snap = editing.open_snapshot(dataset)
    new = base_row(id="2024-02-14-test-added-row", place="Villajoyosa, Spain",
                   country="ES", date="2024-02-13")
    new = {column: new.get(column, "") for column in snap.header}
    added = editing.save_row(snap, None, new, who="ana")
    snap = editing.open_snapshot(dataset)
    edited = editing.save_row(snap, new["id"], dict(new, notes="later"), who="ana")
    with pytest.raises(editing.EditError, match="has changed since"):
        editing.undo(editing.open_snapshot(dataset), added, who="ana")
    editing.undo(editing.open_snapshot(dataset), edited, who="ana")
    editing.undo(editing.open_snapshot(dataset), added, who="ana")
    assert dataset.read_bytes() == original


def test_formula_text_is_stored_spreadsheet_safe_and_read_back_as_typed(dataset):
    snap = editing.open_snapshot(dataset)
    editing.save_row(snap, KHANGOSHVILI,
                     dict(snap.rows[KHANGOSHVILI], notes='=HYPERLINK("http://x")'), who="a")
    assert "'=HYPERLINK" in dataset.read_text(encoding="utf-8")
    assert editing.open_snapshot(dataset).rows[KHANGOSHVILI]["notes"] == '=HYPERLINK("http://x")'


def test_row_problems_name_the_column_like_validate():
    header = list(base_row())
    problems = editing.row_problems(base_row(date="2024-02-30", lat="91"), header=header)
    assert "not a real date" in problems["date"] and "out of range" in problems["lat"]
    assert editing.row_problems(base_row(), header=header) == {}


KILLER = """
import sys
from dashboard.data import editing
path, rounds = sys.argv[1], int(sys.argv[2])
for n in range(rounds):
    snap = editing.open_snapshot(path)
    row_id = "2019-08-23-berlin-khangoshvili"
    text = "A" if snap.rows[row_id]["notes"] != "A" * 200 else "B"
    editing.save_row(snap, row_id, dict(snap.rows[row_id], notes=text * 200), who="k")
    print("saved", flush=True)  # after each save
"""


@pytest.mark.slow  # kills a saving process at four moments
def test_a_process_killed_while_saving_leaves_the_file_before_or_after(dataset, tmp_path):
    """SIGKILL at random moments of a run of saves (a larger file, so writes take time)."""
    big = CURATED.read_text(encoding="utf-8")
    header, *rows = big.splitlines(keepends=True)
    filler = []
    for n in range(100):  # copies of the rows under new ids
        for row in rows:
            first, rest = row.split(",", 1)
            filler.append(f"{first}-copy{n}," + rest)
    dataset.write_text(header + "".join(rows) + "".join(filler), encoding="utf-8")
    saves = 0
    for delay in (0.01, 0.05, 0.13, 0.3):
        before = dataset.read_bytes()
        process = subprocess.Popen([sys.executable, "-c", KILLER, str(dataset), "50"],
                                   cwd=ROOT, stdout=subprocess.PIPE, env=dict(os.environ))
        saves += process.stdout.readline().count(b"saved")  # saving has begun
        time.sleep(delay)  # deliberate delay: kill the save at a different moment
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        saves += process.stdout.read().count(b"saved")
        after = dataset.read_bytes()
        # The file is the one before a save or the one after it: every other record keeps
        # its bytes and the edited row holds a whole value, never a part of one.
        old, new = editing.parse_snapshot("before", before), editing.parse_snapshot("after", after)
        assert list(new.rows) == list(old.rows)
        assert new.rows[KHANGOSHVILI]["notes"] in {"A" * 200, "B" * 200,
                                                   old.rows[KHANGOSHVILI]["notes"]}
        start, end = old.spans[KHANGOSHVILI]
        new_start, new_end = new.spans[KHANGOSHVILI]
        assert new.text[:new_start] == old.text[:start]
        assert new.text[new_end:] == old.text[end:]
    assert validate_file(dataset) == []
    assert saves > 0, "the writer was killed before any save: the test proved nothing"


def test_a_delete_removes_only_its_record_is_logged_and_undone(dataset):
    before = dataset.read_bytes()
    snap = editing.open_snapshot(dataset)
    entry = editing.delete_row(snap, KHANGOSHVILI, who="ana")
    assert (entry.action, entry.id, entry.after) == ("delete", KHANGOSHVILI, None)
    assert entry.before["title"] == snap.rows[KHANGOSHVILI]["title"]
    now = editing.open_snapshot(dataset)
    assert KHANGOSHVILI not in now.rows and len(now.rows) == len(snap.rows) - 1
    old_lines = before.decode("utf-8").splitlines(keepends=True)
    assert dataset.read_text(encoding="utf-8") == "".join(
        line for line in old_lines if not line.startswith(KHANGOSHVILI + ","))
    assert validate_file(dataset) == []
    logged = editing.read_log(editing.change_log_path(dataset))
    assert [(e.action, e.id) for e in logged] == [("delete", KHANGOSHVILI)]

    editing.undo(now, logged[-1], who="ana")
    back = editing.open_snapshot(dataset)
    assert back.rows[KHANGOSHVILI] == snap.rows[KHANGOSHVILI]
    assert validate_file(dataset) == []
    assert [e.action for e in editing.read_log(editing.change_log_path(dataset))] == [
        "delete", "undo"]


def test_a_delete_of_a_file_changed_since_is_refused(dataset):
    snap = editing.open_snapshot(dataset)
    other = dict(snap.rows[KHANGOSHVILI], notes="Saved by someone else.")
    editing.save_row(snap, KHANGOSHVILI, other, who="bo")
    saved = dataset.read_bytes()
    with pytest.raises(editing.Conflict):
        editing.delete_row(snap, KHANGOSHVILI, who="ana")
    assert dataset.read_bytes() == saved
