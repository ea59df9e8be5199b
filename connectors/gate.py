"""The gate a connector's request passes just before it is sent: where a host paces requests.

A hosting deployment serves many collectives from workers on several machines, and several
collectives may use one server (a shared Nextcloud, Telegram's API). The host's rate limits
(``hub.hosting.limits``) are kept in its database, a layer this one must not import; so the
limit comes down as a :class:`RequestGate` set in :data:`GATE` around a job, and the places
where a connector's request leaves the process call it: the HTTP client's transport
(:mod:`connectors.http`, every attempt of every request) and the CalDAV library's session
hook (:mod:`connectors.calstore`, from its worker thread: the context is copied by
``asyncio.to_thread``).

With no gate set (a lone collective's ``hub sync`` and daemon, ``hub check``, the tests of the
connectors), nothing happens. A gate may make the request wait its turn, or, when the wait
would be longer than it allows, raise a :class:`sync.errors.TransientError` with
``retry_after``: the engine then defers that connector's work as after a 429, nothing dropped.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Protocol
from urllib.parse import urlsplit


class RequestGate(Protocol):
    """Lets a request to ``host`` go when its turn comes."""

    async def wait_turn(self, host: str, connector: str | None) -> None:
        """Return when the request may be sent (from the event loop)."""

    def wait_turn_blocking(self, host: str, connector: str | None) -> None:
        """The same from a worker thread (libraries that block, such as caldav's)."""


#: The gate of the job running in this context; None: requests go at once.
GATE: ContextVar[RequestGate | None] = ContextVar("hub_request_gate", default=None)

_DEFAULT_PORTS = {"http": 80, "https": 443}


def host_of(url: object) -> str:
    """The server a URL names, as limits key it: its host name in lower case, with its port
    when that is not the scheme's own (``nuage.example.org``, ``127.0.0.1:8001``)."""
    parts = urlsplit(str(url))
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        return f"{host}:{port}"
    return host


async def wait_turn(url: object, connector: str | None = None) -> None:
    """Before a request to ``url``: the job's gate, if any, lets it go."""
    gate = GATE.get()
    if gate is not None:
        await gate.wait_turn(host_of(url), connector)


def wait_turn_blocking(url: object, connector: str | None = None) -> None:
    """:func:`wait_turn` for a request sent from a worker thread."""
    gate = GATE.get()
    if gate is not None:
        gate.wait_turn_blocking(host_of(url), connector)
