"""Link checks against a real HTTP server on loopback (``tests/data/linkserver.py``): 200,
a redirect to the same page, 301 elsewhere, 404, 410, 500, a timeout, an archive API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dashboard.data.linkcheck import archived_copy, check_link, check_links, same_page
from tests.data.linkserver import SNAPSHOT, link_server


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with link_server() as url:
        yield url


def test_each_answer_gets_its_status(server):
    expected = {"/ok": ("ok", 200), "/same": ("ok", 200), "/moved": ("moved", 301),
                "/gone": ("gone", 404), "/removed": ("gone", 410), "/error": ("broken", 500),
                "/no-head": ("ok", 200)}
    for path, (status, code) in expected.items():
        result = check_link(server + path, timeout=5)
        assert (result.status, result.code) == (status, code), path
    moved = check_link(server + "/moved", timeout=5)
    assert moved.location == server + "/somewhere-else" and moved.failed


def test_a_server_that_does_not_answer_in_time_is_unreachable(server):
    result = check_link(server + "/slow", timeout=0.3)
    assert result.status == "unreachable" and result.code is None
    assert "0.3 s" in result.reason and result.failed


def test_a_closed_port_is_unreachable():
    result = check_link("http://127.0.0.1:9/nothing", timeout=2)
    assert result.status == "unreachable" and result.reason


def test_archived_copies_are_found_only_where_the_archive_has_one(server):
    api = server + "/wayback"
    assert archived_copy(server + "/gone", api=api) == SNAPSHOT.format(url=server + "/gone")
    assert archived_copy(server + "/ok", api=api) == ""
    assert archived_copy(server + "/ok", api=server + "/error") == ""


def test_many_links_are_checked_at_once_in_input_order(server):
    urls = [server + p for p in ("/ok", "/removed", "/moved", "/ok", "/gone")]
    results = check_links(urls, timeout=5, workers=4, archive_api=server + "/wayback",
                          known_archives={server + "/gone": "https://kept.example/copy"})
    assert [r.url for r in results] == list(dict.fromkeys(urls))
    assert [r.status for r in results] == ["ok", "gone", "moved", "gone"]
    assert results[1].archived == SNAPSHOT.format(url=server + "/removed")
    assert results[3].archived == "https://kept.example/copy"  # known: not asked again
    assert results[0].archived == ""


def test_only_scheme_www_and_trailing_slash_changes_are_the_same_page():
    assert same_page("http://example.org/a", "https://www.example.org/a/")
    assert not same_page("https://example.org/a", "https://example.org/b")
    assert not same_page("https://example.org/a", "https://other.org/a")
