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


#: Set by ``incident-map serve --edit``: the page offers the editor.
EDIT_VAR = "INCIDENT_MAP_EDIT"
#: The operator's secret that an editor must type before editing (never in the repository).
EDIT_TOKEN_VAR = "INCIDENT_MAP_EDIT_TOKEN"
#: The shortest token accepted: a guessable secret is no protection on a network.
MIN_TOKEN_LENGTH = 12


def edit_enabled() -> bool:
    """True when the server was started with ``--edit`` (``INCIDENT_MAP_EDIT=1``)."""
    return os.environ.get(EDIT_VAR, "").strip().lower() in TRUE_WORDS


def edit_token() -> str | None:
    """The edit token set by the operator, or None."""
    token = os.environ.get(EDIT_TOKEN_VAR, "").strip()
    return token or None


def token_matches(given: str | None) -> bool:
    """True when ``given`` is the operator's token (compared in constant time)."""
    import hmac

    token = edit_token()
    return bool(token and given) and hmac.compare_digest(
        token.encode("utf-8"), str(given).strip().encode("utf-8"))
