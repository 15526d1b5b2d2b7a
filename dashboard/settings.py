"""Settings read from the environment, in one place."""

from __future__ import annotations

import os

TRUE_WORDS = ("1", "true", "yes", "on")


def offline_requested(offline: bool | None = None) -> bool:
    """``offline`` when given as True, else ``INCIDENT_MAP_OFFLINE`` (1/true/yes/on).

    >>> offline_requested(True)
    True
    """
    if offline:
        return True
    return os.environ.get("INCIDENT_MAP_OFFLINE", "").strip().lower() in TRUE_WORDS
