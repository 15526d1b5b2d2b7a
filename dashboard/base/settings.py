"""The offline setting (``--offline`` or ``INCIDENT_MAP_OFFLINE``), read in one place.

Other environment variables are read by the module they configure (the dataset by
``loading``, the browser by ``browser``, the geocoders and their caches by ``geocoding``).
"""

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
