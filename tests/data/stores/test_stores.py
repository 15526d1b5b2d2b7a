"""The store interface, on both stores: the CSV file and a real PostgreSQL (a throw-away
cluster started by the tests). What differs is read from each store's ``features``."""

from __future__ import annotations

import shutil
import threading
import time

import pytest

from dashboard.data.briefings import Briefing, BriefingConflict, view_step
from dashboard.data.editing import Conflict, EditError
from dashboard.data.loading import prepare
from dashboard.data.stores import open_store
from tests.conftest import CURATED, base_row

STORES = ("csv", "postgresql")


@pytest.fixture(params=STORES)
def store(request, tmp_path):
    """A store holding the curated dataset (and the shipped briefings)."""
    path = tmp_path / "incidents.csv"
    shutil.copyfile(CURATED, path)
    folder = tmp_path / "briefings"
    shutil.copytree(CURATED.parents[1] / "briefings", folder)
    csv_store = open_store(path, briefings_dir=folder)
    if request.param == "csv":
        yield csv_store
        return
    store = open_store(request.getfixturevalue("postgres_database"))
    store.replace_all(*csv_store.raw_rows())
    for name in csv_store.briefing_names():
        store.put_briefing_text(name, (folder / f"{name}.toml").read_text(encoding="utf-8"))
    try:
        yield store
    finally:
        store.close()


def some_id(snapshot) -> str:
    return snapshot.ids[5]


def test_the_store_reads_the_curated_dataset_as_the_file_does(store):
    frame = store.read_frame()
    expected = open_store(CURATED).read_frame()
    assert frame.columns.tolist() == expected.columns.tolist()
    assert frame.equals(expected)
    assert len(prepare(frame)) == len(expected)


def test_a_save_writes_the_row_and_its_log_entry_and_changes_the_version(store):
    before = store.version()
    snap = store.open_snapshot()
    row_id = some_id(snap)
    row = dict(snap.rows[row_id], notes="Checked again.\u2028=1+1 \"quoted\", comma")
    entry = store.save_row(snap, row_id, row, who="  ana\nbob ")
    assert entry.who == "ana bob" and entry.action == "edit" and entry.id == row_id
    assert entry.changed_columns() == ["notes"]
    assert store.open_snapshot().rows[row_id]["notes"] == row["notes"]
    assert store.read_log()[-1] == entry
    assert store.version() != before
    frame = store.read_frame()
    assert frame.loc[frame["id"] == row_id, "notes"].item() == row["notes"]


def test_sequence_numbers_rise_and_undo_puts_the_row_back(store):
    snap = store.open_snapshot()
    row_id = some_id(snap)
    original = dict(snap.rows[row_id])
    first = store.save_row(snap, row_id, dict(original, title="First"), who="ana")
    second = store.save_row(store.open_snapshot(), row_id, dict(original, title="Second"),
                            who="ana")
    assert second.seq > first.seq
    with pytest.raises(EditError, match="undo the later change first"):
        store.undo(store.open_snapshot(), first, who="ana")
    undone = store.undo(store.open_snapshot(), second, who="ana")
    assert undone.action == "undo" and undone.undoes == second.seq and undone.seq > second.seq
    assert store.open_snapshot().rows[row_id]["title"] == "First"
    assert [e.seq for e in store.read_log()] == sorted({e.seq for e in store.read_log()})


def test_add_and_delete_and_undo_of_a_delete(store):
    snap = store.open_snapshot()
    new = base_row(id="2030-01-01-somewhere-test", title="A new incident")
    new = {c: new.get(c, "") for c in snap.header}
    added = store.save_row(snap, None, new, who="ana")
    assert added.action == "add" and added.before is None
    snap = store.open_snapshot()
    assert snap.ids[-1] == "2030-01-01-somewhere-test"
    deleted = store.delete_row(snap, "2030-01-01-somewhere-test", who="ana")
    assert deleted.after is None
    assert "2030-01-01-somewhere-test" not in store.open_snapshot().rows
    store.undo(store.open_snapshot(), deleted, who="ana")
    assert store.open_snapshot().rows["2030-01-01-somewhere-test"]["title"] == "A new incident"


def test_an_invalid_row_is_refused_and_nothing_is_written(store):
    snap = store.open_snapshot()
    row_id = some_id(snap)
    log = store.read_log()
    with pytest.raises(EditError, match="column date"):
        store.save_row(snap, row_id, dict(snap.rows[row_id], date="2019-13-45"), who="ana")
    with pytest.raises(EditError, match="ids must be unique"):
        store.save_row(snap, None, dict(snap.rows[row_id]), who="ana")
    assert store.read_log() == log
    assert store.open_snapshot().rows[row_id] == snap.rows[row_id]


def test_a_stale_save_is_a_conflict_with_both_versions(store):
    mine, theirs = store.open_snapshot(), store.open_snapshot()
    row_id = some_id(mine)
    store.save_row(theirs, row_id, dict(theirs.rows[row_id], title="Theirs"), who="bob")
    with pytest.raises(Conflict) as raised:
        store.save_row(mine, row_id, dict(mine.rows[row_id], title="Mine"), who="ana")
    assert raised.value.theirs["title"] == "Theirs"
    assert raised.value.snapshot.rows[row_id]["title"] == "Theirs"
    assert store.open_snapshot().rows[row_id]["title"] == "Theirs"
    # saved against the snapshot the conflict brings, the merged row goes in
    store.save_row(raised.value.snapshot, row_id,
                   dict(raised.value.theirs, title="Merged"), who="ana")
    assert store.open_snapshot().rows[row_id]["title"] == "Merged"


def test_what_a_conflict_is_follows_the_features(store):
    """Another row saved since: a conflict for a file (its whole content is compared), not
    for a store whose rows carry versions."""
    mine, theirs = store.open_snapshot(), store.open_snapshot()
    one, other = mine.ids[5], mine.ids[6]
    store.save_row(theirs, other, dict(theirs.rows[other], title="Theirs"), who="bob")
    change = dict(mine.rows[one], title="Mine")
    if store.features.conflicts == "file":
        with pytest.raises(Conflict):
            store.save_row(mine, one, change, who="ana")
    else:
        assert store.features.conflicts == "row"
        store.save_row(mine, one, change, who="ana")
        rows = store.open_snapshot().rows
        assert (rows[one]["title"], rows[other]["title"]) == ("Mine", "Theirs")


def test_briefings_are_read_saved_and_guarded_against_lost_updates(store):
    assert store.briefing_names() == ["expulsions-2022", "tiergarten"]
    ids = store.open_snapshot().ids
    briefing = store.load_briefing("tiergarten", ids=ids)
    stamp = store.briefing_stamp("tiergarten")
    changed = Briefing(name=briefing.name, title="Retitled", subtitle=briefing.subtitle,
                       steps=briefing.steps + (view_step(heading="One more"),))
    store.save_briefing(changed, expected=stamp, ids=ids)
    again = store.load_briefing("tiergarten", ids=ids)
    assert again.title == "Retitled" and again.steps[-1].heading == "One more"
    with pytest.raises(BriefingConflict, match="changed by someone else"):
        store.save_briefing(changed, expected=stamp, ids=ids)
    new = Briefing(name="fresh", title="Fresh", steps=(view_step(heading="Start"),))
    store.save_briefing(new, expected=None, ids=ids)
    assert "fresh" in store.briefing_names()
    with pytest.raises(BriefingConflict, match="was created"):
        store.save_briefing(new, expected=None, ids=ids)


def test_review_findings_are_kept_by_dataset_version(store):
    version = store.open_snapshot().digest
    assert store.review_findings(version) is None
    store.save_review_findings(version, {"a": "ambiguous geocode: 2 places named X"})
    assert store.review_findings(version) == {"a": "ambiguous geocode: 2 places named X"}
    assert store.review_findings("another version") is None


# -------------------------------------------------------------- PostgreSQL only


@pytest.fixture
def pg_store(postgres_database):
    csv_store = open_store(CURATED)
    store = open_store(postgres_database)
    store.replace_all(*csv_store.raw_rows())
    try:
        yield store
    finally:
        store.close()


def test_rows_carry_a_postgis_point_made_from_lat_and_lon(pg_store, postgres_database):
    import psycopg

    assert pg_store.features.geometry
    with psycopg.connect(postgres_database) as conn:
        rows = conn.execute("SELECT id, lat, lon, ST_X(geom), ST_Y(geom), ST_SRID(geom) "
                            "FROM incident_rows").fetchall()
    assert len(rows) == len(open_store(CURATED).read_frame())
    placed = [r for r in rows if r[1].strip()]
    assert placed and all(abs(x - float(lon)) < 1e-9 and abs(y - float(lat)) < 1e-9
                          and srid == 4326 for _, lat, lon, x, y, srid in placed)
    assert all(r[3] is None for r in rows if not r[1].strip())


def test_another_process_sees_a_save_within_two_seconds(pg_store, postgres_database):
    other = open_store(postgres_database)  # another process's store: its own connections
    try:
        seen = other.version()
        snap = pg_store.open_snapshot()
        row_id = some_id(snap)
        pg_store.save_row(snap, row_id, dict(snap.rows[row_id], title="Seen?"), who="ana")
        saved = time.monotonic()
        deadline = saved + 2.0
        while other.version() == seen and time.monotonic() < deadline:
            threading.Event().wait(0.01)
        assert other.version() == pg_store.version(), "not seen within 2 s"
        frame = other.read_frame()
        assert frame.loc[frame["id"] == row_id, "title"].item() == "Seen?"
    finally:
        other.close()


def test_concurrent_saves_never_share_a_sequence_number(pg_store, postgres_database):
    stores = [open_store(postgres_database) for _ in range(4)]
    errors: list[BaseException] = []

    def work(store, index):
        try:
            for round_ in range(5):
                while True:
                    snap = store.open_snapshot()
                    row_id = snap.ids[index]
                    try:
                        store.save_row(snap, row_id, dict(snap.rows[row_id],
                                                          title=f"t{index}-{round_}"),
                                       who=f"w{index}")
                        break
                    except Conflict:
                        continue
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(s, i)) for i, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for store in stores:
        store.close()
    assert errors == []
    log = pg_store.read_log()
    assert len(log) == 20 and len({e.seq for e in log}) == 20
    assert [e.seq for e in log] == sorted(e.seq for e in log)
    titles = pg_store.open_snapshot().rows
    assert [titles[pg_store.open_snapshot().ids[i]]["title"] for i in range(4)] == [
        f"t{i}-4" for i in range(4)]


def test_a_dataset_replaced_under_an_editor_is_refused(pg_store):
    snap = pg_store.open_snapshot()
    header, rows = pg_store.raw_rows()
    pg_store.replace_all([*header, "extra"], [[*row, ""] for row in rows])
    row_id = some_id(snap)
    with pytest.raises(EditError, match="was replaced"):
        pg_store.save_row(snap, row_id, dict(snap.rows[row_id], title="x"), who="ana")


def test_an_unreachable_database_is_one_clear_line():
    from dashboard.data.stores import StoreError

    with pytest.raises(StoreError, match="cannot connect to PostgreSQL nowhere on 127.0.0.1:1"):
        open_store("postgresql://u:secret@127.0.0.1:1/nowhere?connect_timeout=2")


def test_every_line_separator_and_control_character_survives_the_change_log(pg_store):
    odd = "a\u2028b\u2029c\u0085d\x0be\x0cf\x1cg\x1dh\x1ei\r\nj\tk\x7fl"
    snap = pg_store.open_snapshot()
    row_id = some_id(snap)
    entry = pg_store.save_row(snap, row_id, dict(snap.rows[row_id], notes=odd), who="ana")
    assert pg_store.read_log()[-1].after["notes"] == odd == entry.after["notes"]
    assert pg_store.open_snapshot().rows[row_id]["notes"] == odd
