"""The curated dataset's own invariants, checked on the real data/incidents.csv."""

from __future__ import annotations

import csv
import datetime as dt
import re

import pytest

from dashboard.data.schema import is_http_url, split_sources, validate_file
from tests.conftest import CURATED, ROOT

SEEDS_README = ROOT / "seeds" / "README.md"


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with CURATED.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def by_id(rows) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in rows}


def day_of(date: str) -> dt.date:
    """The first day a date of any precision can mean (``2007``, ``2007-08``, ``2007-08-22``)."""
    parts = [int(part) for part in date.split("-")] + [1, 1]
    return dt.date(parts[0], parts[1], parts[2])


def is_russian_retaliation(row: dict[str, str]) -> bool:
    return (row["event_type"] == "diplomatic_expulsion"
            and row["sponsor"].strip().startswith("Russia")
            and row["counterpart_country"] != "RU")


def test_the_validator_accepts_the_file():
    assert [str(problem) for problem in validate_file(CURATED)] == []


def test_ids_are_unique(rows):
    ids = [row["id"] for row in rows]
    assert len(rows) > 0
    assert sorted(i for i in set(ids) if ids.count(i) > 1) == []


def test_every_related_id_names_an_existing_row_other_than_itself(rows, by_id):
    dangling = [(row["id"], row["related_id"]) for row in rows
                if row["related_id"] and (row["related_id"] not in by_id
                                          or row["related_id"] == row["id"])]
    assert dangling == []


def test_every_russian_retaliation_answers_an_existing_expulsion_of_russians(rows, by_id):
    """Follow ``related_id`` from each Russian expulsion of foreign staff (consulate rows hang
    off their Moscow parent) to the first non-Russian row: it must be an expulsion of Russians."""
    retaliations = [row for row in rows if is_russian_retaliation(row)]
    assert retaliations, "the dataset records Russia's retaliations"
    wrong = []
    for row in retaliations:
        seen, current = {row["id"]}, row
        while is_russian_retaliation(current) and current["related_id"]:
            current = by_id.get(current["related_id"], {})
            if not current or current.get("id") in seen:
                break
            seen.add(current["id"])
        if not (current and current["event_type"] == "diplomatic_expulsion"
                and current["counterpart_country"] == "RU"
                and not current["sponsor"].startswith("Russia")):
            wrong.append(row["id"])
    assert wrong == []


def test_a_retaliation_is_not_older_than_the_decision_it_answers(rows, by_id):
    early = [row["id"] for row in rows
             if is_russian_retaliation(row) and row["related_id"] and row["date"]
             and by_id[row["related_id"]]["date"]
             and day_of(row["date"]) < day_of(by_id[row["related_id"]]["date"])]
    assert early == []


def test_counts_are_whole_non_negative_numbers(rows):
    bad = [(row["id"], column, row[column]) for row in rows
           for column in ("fatalities", "persons")
           if row[column] and not re.fullmatch(r"\d+", row[column])]
    assert bad == []


def test_a_child_row_of_a_counted_expulsion_leaves_persons_empty(rows, by_id):
    """Consulate rows belong to their parent's total, so people are never counted twice."""
    doubled = [row["id"] for row in rows
               if row["event_type"] == "diplomatic_expulsion" and row["related_id"]
               and by_id[row["related_id"]]["event_type"] == "diplomatic_expulsion"
               and by_id[row["related_id"]]["sponsor"] == row["sponsor"]
               and by_id[row["related_id"]]["persons"] and row["persons"]]
    assert doubled == []


def test_every_row_cites_an_http_source(rows):
    missing = [row["id"] for row in rows
               if not any(is_http_url(item) for item in split_sources(row["sources"]))]
    assert missing == []


def test_every_row_has_a_checked_date_not_before_its_own_date(rows):
    unchecked = [row["id"] for row in rows if not row.get("checked")]
    assert unchecked == []
    today = dt.date.today()
    later = [row["id"] for row in rows
             if row["date"] and day_of(row["date"]) > dt.date.fromisoformat(row["checked"])]
    assert later == []
    assert all(dt.date.fromisoformat(row["checked"]) <= today for row in rows)


def test_only_assessments_are_undated_and_they_come_last(rows):
    undated = [row for row in rows if row["date_precision"] == "undated"]
    assert all(row["event_type"] == "assessment" and row["date"] == "" for row in undated)
    dated = rows[: len(rows) - len(undated)]
    assert [row["date_precision"] for row in rows[len(dated):]] == ["undated"] * len(undated)
    keys = [(row["date"], row["id"]) for row in dated]
    assert keys == sorted(keys)


def test_seeds_readme_lists_exactly_the_rows_that_cite_each_seed(rows):
    text = SEEDS_README.read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.MULTILINE)[1:]
    listed = {}
    for section in sections:
        name = section.splitlines()[0].strip()
        if name.endswith(".txt"):
            listed[name] = set(re.findall(r"^- `([^`]+)`", section, flags=re.MULTILINE))
    cited = {name: {row["id"] for row in rows if name in split_sources(row["sources"])}
             for name in listed}
    assert set(listed) == {path.name for path in SEEDS_README.parent.glob("*.txt")}
    assert cited == listed
