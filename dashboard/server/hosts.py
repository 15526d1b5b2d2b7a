"""Which ``Host`` names the server answers to: the defence against DNS rebinding.

A web page on another site can make the browser send requests to a name that its DNS
then points at ``127.0.0.1``; the browser believes it talks to that other site, but the
request reaches the local dashboard. The server refuses any request (HTTP or websocket)
whose ``Host`` header is not one of the names it is served under.

``incident-map serve`` works the list out from ``--address`` and passes it to the server
in ``INCIDENT_MAP_ALLOWED_HOSTS``; ``--allowed-host NAME`` (or that variable) adds the
public name a reverse proxy forwards (see the README's Security section).

>>> allowed_hosts("localhost")
['localhost', '127.0.0.1', '::1']
>>> allowed_hosts("127.0.0.1", extra=["maps.example.org"])
['localhost', '127.0.0.1', '::1', 'maps.example.org']
"""

from __future__ import annotations

import logging
import os
import socket

_LOGGER = logging.getLogger(__name__)

ENV_VAR = "INCIDENT_MAP_ALLOWED_HOSTS"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
#: Addresses that mean "every interface of this machine".
ANY_ADDRESS = ("0.0.0.0", "::", "")


def allowed_hosts(address: str, *, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Host names a server listening on ``address`` answers to, plus ``extra``."""
    names = list(LOOPBACK_NAMES)
    address = address.strip().strip("[]").lower()
    if address in ANY_ADDRESS:
        names += _machine_names()
    elif address not in names:
        names.append(address)
    for name in extra:
        name = name.strip().strip("[]").lower()
        if name and name not in names:
            names.append(name)
    return names


def _machine_names() -> list[str]:
    """This machine's host name, full name and addresses (for a server on every interface)."""
    names: list[str] = []
    try:
        hostname = socket.gethostname()
        names += [hostname, socket.getfqdn()]
        names += socket.gethostbyname_ex(hostname)[2]
    except OSError:
        pass
    return list(dict.fromkeys(n.lower() for n in names if n))


def hosts_from_env() -> list[str]:
    """The list ``serve`` put in ``INCIDENT_MAP_ALLOWED_HOSTS`` (loopback names if unset),
    with IPv6 addresses also in the bracketed form a ``Host`` header carries (``[::1]``).

    >>> import os; os.environ.pop(ENV_VAR, None) and None
    >>> hosts_from_env()
    ['localhost', '127.0.0.1', '::1', '[::1]']
    """
    value = os.environ.get(ENV_VAR, "")
    names = [name.strip().lower() for name in value.split(",") if name.strip()]
    if "*" in names:  # ``serve`` refuses it; set by hand, it would switch the check off
        _LOGGER.warning("%s: '*' ignored: it would answer to any Host (DNS rebinding)",
                        ENV_VAR)
        names = [name for name in names if name != "*"]
    names = names or list(LOOPBACK_NAMES)
    return names + [f"[{name}]" for name in names if ":" in name]
