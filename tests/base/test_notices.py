"""Notices wait for their session's page, and what nobody reads does not pile up."""

from __future__ import annotations

from dashboard.base import notices


def test_a_sessions_notices_are_its_own_and_taken_once():
    notices.post("a", "one")
    notices.post("b", "two")
    notices.post("a", "three")
    assert notices.take("a") == ["one", "three"]
    assert notices.take("a") == [] and notices.take("b") == ["two"]


def test_unread_notices_are_bounded(monkeypatch):
    monkeypatch.setattr(notices, "MAX_SESSIONS", 5)
    for number in range(20):
        for repeat in range(10):
            notices.post(f"s{number}", f"notice {repeat}")
    assert len(notices._waiting) == 5
    assert notices.take("s19") == ["notice 7", "notice 8", "notice 9"]
    assert notices.take("s0") == []
    for number in range(15, 19):
        notices.take(f"s{number}")
