"""Authored briefing files: the shipped examples load against the curated data, every
problem is one line naming the step, and saving then loading gives the same briefing."""

from __future__ import annotations

import pytest

from dashboard.data.briefings import (
    Briefing,
    BriefingConflict,
    BriefingError,
    MapAt,
    Step,
    briefing_path,
    dump_briefing,
    edited_step,
    file_stamp,
    filtered_briefing,
    list_briefings,
    load_briefing,
    moved_step,
    parse_at,
    save_briefing,
    view_step,
    with_step,
    without_step,
)
from dashboard.data.filters import Filters
from dashboard.data.loading import load_incidents
from tests.conftest import CURATED
from tests.paths import ROOT


@pytest.fixture(scope="module")
def curated():
    return load_incidents(CURATED)


def test_the_shipped_briefings_are_valid_on_the_curated_data(curated):
    names = list_briefings(ROOT / "briefings")
    assert {"expulsions-2022", "tiergarten"} <= set(names)
    for name in names:
        briefing = load_briefing(name, ids=curated["id"], directory=ROOT / "briefings")
        assert briefing.title and len(briefing.steps) >= 3
        assert all(step.heading and step.caption for step in briefing.steps)


def test_a_briefing_round_trips_through_its_file(tmp_path):
    briefing = Briefing(name="demo", title="Demo", subtitle="A test", steps=(
        Step(heading="First", caption="All of 2022", filters=Filters(years=(2022, 2022))),
        Step(heading="Second", incident="a", at=MapAt(52.52, 13.4, 11),
             filters=Filters(countries=("DE", "ES"), event_types=("killing",))),
    ))
    path = save_briefing(briefing, directory=tmp_path)
    assert path == tmp_path / "demo.toml"
    text = path.read_text(encoding="utf-8")
    assert text.count("[[steps]]") == 2 and 'country = "DE,ES"' in text
    loaded = load_briefing("demo", ids={"a"}, directory=tmp_path)
    assert loaded == briefing
    assert dump_briefing(loaded) == text


def write(tmp_path, text: str) -> None:
    (tmp_path / "b.toml").write_text(text, encoding="utf-8")


@pytest.mark.parametrize("text, expected", [
    ('title = "T"\n[[steps]]\ncaption = "x"\n', "briefings_b/b.toml, step 1: heading is missing"),
    ('title = "T"\n[[steps]]\nheading = "h"\nincident = "nope"\n', 'step 1: unknown incident "nope"'),
    ('title = "T"\n[[steps]]\nheading = "h"\n[[steps]]\nheading = "h"\nyears = "2025-2019"\n', "step 2: invalid years=2025-2019"),
    ('title = "T"\n[[steps]]\nheading = "h"\ntype = "picnic"\n', "step 1: invalid type=picnic"),
    ('title = "T"\n[[steps]]\nheading = "h"\nat = "95,0,3"\n', 'step 1: at must be "lat,lon,zoom"'),
    ('title = "T"\n[[steps]]\nheading = "h"\nzoom = 3\n', "step 1: unknown key 'zoom'"),
    ('title = "T"\n[[steps]]\nheading = 3\n', "step 1: heading must be text in quotes"),
    ('title = "T"\n', "no steps"),
    ('[[steps]]\nheading = "h"\n', "title is missing"),
    ('title = "T\n', "not valid TOML"),
])
def test_every_problem_is_one_line_naming_the_step(tmp_path, text, expected):
    folder = tmp_path / "briefings_b"
    folder.mkdir()
    (folder / "b.toml").write_text(text, encoding="utf-8")
    with pytest.raises(BriefingError) as caught:
        load_briefing("b", ids={"a"}, directory=folder)
    assert any(expected in line for line in caught.value.problems), caught.value.problems
    assert all("\n" not in line and "Traceback" not in line for line in caught.value.problems)


def test_template_text_in_a_briefing_stays_text(tmp_path):
    write(tmp_path, 'title = "{{ 7*7 }}"\n[[steps]]\nheading = "{% if 1 %}x{% endif %}"\n')
    briefing = load_briefing("b", directory=tmp_path)
    assert briefing.title == "{{ 7*7 }}" and briefing.steps[0].heading == "{% if 1 %}x{% endif %}"


@pytest.mark.parametrize("name", ["../etc/passwd", "a/b", "", ".hidden", "x" * 81, "a b"])
def test_names_that_are_not_plain_file_names_are_refused(tmp_path, name):
    with pytest.raises(BriefingError, match="is not valid"):
        briefing_path(name, tmp_path)


def test_an_unknown_briefing_names_the_known_ones(tmp_path):
    write(tmp_path, 'title = "T"\n[[steps]]\nheading = "h"\n')
    with pytest.raises(BriefingError, match=r"no briefing named 'x' \(known: b\)"):
        load_briefing("x", directory=tmp_path)


def test_parse_at_refuses_what_is_not_a_map_extent():
    assert parse_at("52.5,13.4,11") == MapAt(52.5, 13.4, 11)
    for bad in ("", "1,2", "a,b,c", "1,2,3,4", "0,200,3", "0,0,0", "0,0,19", "inf,0,3"):
        assert parse_at(bad) is None


def test_the_default_briefing_is_the_filtered_incidents_in_date_order(curated):
    rows = curated[curated["country"] == "DE"]
    briefing = filtered_briefing(rows, Filters(countries=("DE",)), title="Germany")
    ids = [step.incident for step in briefing.steps]
    assert len(ids) == len(rows) and "2019-08-23-berlin-khangoshvili" in ids
    dates = rows.set_index("id").loc[ids, "date_start"].dropna().tolist()
    assert dates == sorted(dates)
    assert not briefing.authored and briefing.title == "Germany"


def test_steps_are_added_moved_edited_and_removed():
    briefing = Briefing(name="demo", title="Demo", steps=(Step(heading="A"), Step(heading="B")))
    added = with_step(briefing, view_step(heading="  C  view ", caption="the\nview",
                                          filters=Filters(years=(2022, 2022)),
                                          incident="x", at=MapAt(50.0, 15.0, 4)))
    assert [s.heading for s in added.steps] == ["A", "B", "C view"]
    assert added.steps[2].caption == "the view" and added.steps[2].at == MapAt(50.0, 15.0, 4)
    assert [s.heading for s in moved_step(added, 2, -1).steps] == ["A", "C view", "B"]
    assert [s.heading for s in moved_step(added, 0, -1).steps] == ["A", "B", "C view"]
    assert [s.heading for s in moved_step(added, 0, 5).steps] == ["B", "C view", "A"]
    changed = edited_step(added, 1, heading="Bee", caption="New caption")
    assert (changed.steps[1].heading, changed.steps[1].caption) == ("Bee", "New caption")
    assert [s.heading for s in without_step(changed, 0).steps] == ["Bee", "C view"]
    assert briefing.steps == (Step(heading="A"), Step(heading="B"))  # the original is kept


def test_a_save_is_refused_when_the_file_changed_since_it_was_opened(tmp_path):
    path = tmp_path / "demo.toml"
    path.write_text('# Written by hand: keep this note.\ntitle = "Demo"\n\n[[steps]]\n'
                    'heading = "A"\n', encoding="utf-8")
    opened = load_briefing("demo", directory=tmp_path)
    stamp = file_stamp(path)
    # Someone else saves in between.
    path.write_text(path.read_text(encoding="utf-8") + '\n[[steps]]\nheading = "Theirs"\n',
                    encoding="utf-8")
    theirs = path.read_bytes()
    mine = with_step(opened, Step(heading="Mine"))
    with pytest.raises(BriefingConflict, match="changed by someone else"):
        save_briefing(mine, directory=tmp_path, expected=stamp)
    assert path.read_bytes() == theirs  # nothing lost
    # Reopened, the change is made on their version and saved; the hand-written note stays.
    reopened = load_briefing("demo", directory=tmp_path)
    save_briefing(with_step(reopened, Step(heading="Mine")), directory=tmp_path,
                  expected=file_stamp(path))
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Written by hand: keep this note.\n")
    assert [s.heading for s in load_briefing("demo", directory=tmp_path).steps] == [
        "A", "Theirs", "Mine"]


def test_a_new_briefing_is_not_written_over_one_created_meanwhile(tmp_path):
    new = Briefing(name="fresh", title="Fresh", steps=(Step(heading="One"),))
    (tmp_path / "fresh.toml").write_text('title = "Other"\n[[steps]]\nheading = "X"\n',
                                         encoding="utf-8")
    with pytest.raises(BriefingConflict, match="was created"):
        save_briefing(new, directory=tmp_path, expected=None)
    assert "Other" in (tmp_path / "fresh.toml").read_text(encoding="utf-8")


def test_an_invalid_briefing_is_never_written(tmp_path):
    path = tmp_path / "demo.toml"
    path.write_text('title = "Demo"\n[[steps]]\nheading = "A"\n', encoding="utf-8")
    before = path.read_bytes()
    broken = Briefing(name="demo", title="Demo", steps=(Step(heading="A"), Step(heading=" "),
                                                        Step(heading="B", incident="nope")))
    with pytest.raises(BriefingError) as raised:
        save_briefing(broken, directory=tmp_path, expected=file_stamp(path), ids={"a"})
    label = f"{tmp_path.name}/demo.toml"
    assert raised.value.problems == [f"{label}, step 2: heading is missing",
                                     f'{label}, step 3: unknown incident "nope" '
                                     "(not in the dataset)"]
    assert path.read_bytes() == before


@pytest.mark.parametrize(("text", "says"), [
    ("title = 'x'\nx = " + "[" * 50_000 + "]" * 50_000 + "\n", "nested too deeply"),
    ("x = " + "{a = " * 5_000 + "1" + "}" * 5_000 + "\n", "nested too deeply"),
    ("title = '" + "x" * (1024 * 1024) + "'\n", "larger than 1,024 KB"),
])
def test_a_hostile_briefing_file_is_one_line(tmp_path, text, says):
    (tmp_path / "hostile.toml").write_text(text, encoding="utf-8")
    with pytest.raises(BriefingError) as caught:
        load_briefing("hostile", directory=tmp_path)
    assert len(caught.value.problems) == 1 and says in caught.value.problems[0]
    assert "\n" not in str(caught.value)
