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


# --------------------------------------------------------------------------- attribution rules

def test_every_row_says_who_made_its_attribution_and_keeps_to_that_level(rows):
    from dashboard.data.schema import ATTRIBUTED_BY
    wrong = [(row["id"], row["attributed_by"], row["attribution"]) for row in rows
             if row["attribution"] not in ATTRIBUTED_BY.get(row["attributed_by"], ())]
    assert wrong == []


def test_overt_state_acts_are_confirmed_as_acts(rows):
    acts = ("diplomatic_expulsion", "arrest", "intelligence_disclosure")
    wrong = [row["id"] for row in rows if row["event_type"] in acts
             and (row["attribution"], row["attributed_by"]) != ("confirmed", "state act")]
    assert wrong == []


def test_a_state_is_named_exactly_when_someone_attributes_the_act(rows):
    unnamed = [row["id"] for row in rows if row["attribution"] in ("confirmed", "suspected")
               and row["event_type"] != "prisoner_exchange" and (not row["sponsor"].strip() or row["sponsor"].startswith("Unknown"))]
    named = [row["id"] for row in rows if row["attribution"] == "unknown"
             and row["event_type"] not in ("diplomatic_expulsion", "arrest")
             and row["sponsor"].strip() and not row["sponsor"].startswith(("Unknown", "None",
                                                                          "An unnamed"))]
    assert (unnamed, named) == ([], [])


def test_a_verdict_that_finds_the_state_link_is_the_courts_and_confirmed(rows):
    court = [row["id"] for row in rows if row["attributed_by"] == "court"
             and row["attribution"] != "confirmed"]
    assert court == []


@pytest.mark.parametrize(("row_id", "attribution", "who"), [
    ("2017-06-01-kyiv-osmayev", "suspected", "official"),
    ("2022-10-munich-kostyuchenko", "alleged", "victim"),
    ("2023-05-prague-arno", "alleged", "victim"),
    ("2020-01-30-lille-aliev", "alleged", "anonymous"),
])
def test_the_attributions_the_rules_corrected(by_id, row_id, attribution, who):
    assert (by_id[row_id]["attribution"], by_id[row_id]["attributed_by"]) == (attribution, who)


def test_dates_are_the_act_not_the_announcement(by_id):
    assert by_id["2022-02-24-washington-russian-deputy-chief-of-mission-expelled"]["date"] \
        == "2022-02-23"
    assert (by_id["2023-05-prague-arno"]["date"], by_id["2023-05-prague-arno"]["date_precision"]) \
        == ("2023-05-02", "day")


def test_the_record_of_2023_to_2025_is_kept_current(rows):
    recent = [row for row in rows if row["date"][:4] in ("2023", "2024", "2025")]
    assert len(recent) > 150
    themes = {row["event_type"] for row in recent}
    assert {"diplomatic_expulsion", "sabotage", "court_ruling", "arrest", "plot",
            "killing", "attempted_killing"} <= themes
    # every case row of the period links to its case or stands alone, never to itself
    assert all(row["related_id"] != row["id"] for row in recent)
