"""Settings from the environment."""

import pytest

from dashboard.base.settings import offline_requested


@pytest.mark.parametrize(("value", "expected"), [
    ("1", True), ("true", True), ("YES", True), (" on ", True),
    ("0", False), ("", False), ("no", False), ("offline", False),
])
def test_offline_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("INCIDENT_MAP_OFFLINE", value)
    assert offline_requested(None) is expected


def test_an_explicit_request_wins(monkeypatch):
    monkeypatch.delenv("INCIDENT_MAP_OFFLINE", raising=False)
    assert offline_requested(True) is True and offline_requested(None) is False
