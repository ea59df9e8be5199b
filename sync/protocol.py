"""The connector protocol: what every platform module implements and the engine relies on.

A connector maps the canonical programme to one remote (a calendar, a pad, a site, a chat) and
back. The engine never talks to a remote itself; it asks connectors to:

- ``check()``: reach the server and prove credentials and rights (``hub check``);
- ``pull(cursor, links, programme)``: return the items that changed since ``cursor``, each as a
  *projection* (the canonical fields the connector carries, in record form), so the engine can
  merge them three-way. An unchanged remote must cost one cheap request;
- ``project(session, programme)``: the projection the remote *should* hold. Its hash decides
  whether anything needs pushing, so a projection must be deterministic and must equal what
  ``pull`` reads back after a push (that is what makes the hub echo-free);
- ``apply(ops, programme)``: carry out create/update/delete operations, one result per op.
  Item connectors (one remote object per session) implement ``upsert``/``remove`` and inherit
  ``apply``; document connectors (one file or page for the whole programme) override ``apply``
  and write once per batch;
- ``targets()`` and ``announce(target, announcement)`` for chats.

Errors follow :mod:`sync.errors`: the exception type tells the engine what to do next.
"""

from __future__ import annotations

import abc
import builtins
import enum
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar

from config.connector import ConnectorConfig
from sync.errors import CapabilityError, ConnectorError, PermanentError, PreconditionFailed
from sync.model import SESSION_FIELDS, Programme, Session, content_hash

if TYPE_CHECKING:
    import httpx

    from sync.announce import Announcement
    from sync.chat import ChannelPolicy, ChatFrontend, Inbox, Responder

__all__ = [
    "DATA_OPS",
    "C",
    "Capability",
    "Connector",
    "ConnectorConfig",
    "ConnectorContext",
    "ConnectorState",
    "Doubt",
    "Link",
    "Op",
    "OpAction",
    "OpResult",
    "PullResult",
    "RemoteItem",
    "RemoteRef",
    "RequestCounter",
]


class Capability(enum.Flag):
    """What a connector can do; the engine checks these before calling."""

    READ = enum.auto()
    WRITE = enum.auto()
    DELETE = enum.auto()
    ANNOUNCE = enum.auto()


C = TypeVar("C", bound=ConnectorConfig)


@dataclass(frozen=True, slots=True)
class Link:
    """What the state store knows of one canonical item on one remote (vdirsyncer's status row)."""

    connector: str
    collection: str
    key: str
    remote_id: str | None = None
    remote_version: str | None = None
    pushed_hash: str | None = None
    seen_hash: str | None = None
    base: Mapping[str, Any] | None = None
    sequence: int = 0


@dataclass(frozen=True, slots=True)
class RemoteItem:
    """One item as pulled: its canonical key (None if the remote has none), its projection."""

    key: str | None
    fields: Mapping[str, Any]
    remote_id: str
    version: str | None = None

    @property
    def hash(self) -> str:
        return content_hash(dict(self.fields))


@dataclass(slots=True)
class PullResult:
    """What changed on a remote since the cursor.

    ``complete`` means ``items`` is the whole collection, so a linked key that is absent has
    vanished; otherwise only ``deleted`` (keys) say what vanished.
    """

    items: list[RemoteItem] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    cursor: str | None = None
    complete: bool = False
    problems: list[str] = field(default_factory=list)
    #: Programme-level data (event, days, venues as in ``Programme.meta_record``), only from a
    #: source that carries the whole programme (the programme file).
    meta: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Doubt:
    """A message that may have gone out twice: an earlier run sent it and stopped before it
    could keep its id, so this run sent it again. The outbox flags it ``in_doubt`` for a person
    to check (``hub status``); ``reason`` says it in the connector's language."""

    target: str
    key: str
    reason: str


@dataclass(frozen=True, slots=True)
class RemoteRef:
    """Where the remote keeps what the hub wrote, and at which version.

    ``doubts``: messages this write may have doubled (a chat's day message after a crash);
    the op is done, and each doubt is recorded ``in_doubt``.
    """

    remote_id: str
    version: str | None = None
    doubts: tuple[Doubt, ...] = ()


OpAction = Literal["create", "update", "delete"]
#: The outbox operations that write data (as opposed to ``announce``, a message).
DATA_OPS: tuple[OpAction, ...] = ("create", "update", "delete")


@dataclass(frozen=True, slots=True)
class Op:
    """One write the plan decided: the outbox keeps it and apply carries out exactly this.

    ``projection`` (with its ``hash``) is what the remote must hold; None for deletes. ``link``
    is where the remote keeps the item, filled in when the op is applied.
    """

    action: OpAction
    key: str
    projection: Mapping[str, Any] | None
    link: Link | None = None
    sequence: int = 0
    hash: str | None = None

    def to_payload(self) -> dict[str, Any]:
        """The op as the outbox stores it (JSON)."""
        return {"projection": self.projection, "hash": self.hash, "sequence": self.sequence}

    @classmethod
    def from_payload(cls, action: str, key: str, payload: Mapping[str, Any]) -> Op:
        if action not in DATA_OPS:
            raise ValueError(f"not a data operation: {action!r}")
        kind: OpAction = "create" if action == "create" else "update" if action == "update" else "delete"
        return cls(kind, key, payload.get("projection"), sequence=int(payload.get("sequence", 0)),
                   hash=payload.get("hash"))


OpResult = RemoteRef | ConnectorError


class ConnectorState(abc.ABC):
    """Small mappings a connector keeps between runs (chat message ids...), in the state store.

    ``save`` is durable when it returns, so a connector saves right after each remote effect
    (a message posted) and a crash never makes it forget what it did.
    """

    @abc.abstractmethod
    def load(self, key: str) -> dict[str, Any]:
        """The mapping saved under ``key`` (empty if none)."""

    @abc.abstractmethod
    def save(self, key: str, value: Mapping[str, Any]) -> None:
        """Replace the mapping saved under ``key``."""


class RequestCounter:
    """Requests sent, per connector and per (connector, method, status): what ``--json`` reports."""

    def __init__(self) -> None:
        self.total: Counter[str] = Counter()
        self.detail: Counter[tuple[str, str, int]] = Counter()

    def add(self, connector: str, n: int = 1, method: str = "?", status: int = 0) -> None:
        self.total[connector] += n
        self.detail[(connector, method, status)] += n

    def get(self, connector: str) -> int:
        return self.total[connector]


@dataclass
class ConnectorContext:
    """What the engine hands a connector: its HTTP client, counters and surroundings.

    ``client`` is the client itself or what makes it: the engine hands the maker, so a connector
    that never sends through httpx (the programme file, the exports, a chat or a calendar with
    a transport of its own) costs no httpx import, about 60 ms of a command's start. :attr:`http`
    makes it at first use; :meth:`close_http` closes it only if it was made.
    """

    name: str
    client: httpx.AsyncClient | Callable[[], httpx.AsyncClient]
    counter: RequestCounter
    language: str = "fr"
    base_dir: Path = field(default_factory=Path.cwd)
    #: Set by the engine; None when a connector runs outside it (``hub check``, tests).
    state: ConnectorState | None = None
    #: Seconds a server has to connect and answer: the section's ``timeout``, else ``[hub] timeout``.
    timeout: float = 30.0

    @property
    def http(self) -> httpx.AsyncClient:
        """The connector's httpx client (counted, retried), made at the first use."""
        if callable(self.client):  # an httpx.AsyncClient is not callable: this is its maker
            self.client = self.client()
        return self.client

    async def close_http(self) -> None:
        """Close the client if it was made (closing an unmade one would first make it)."""
        if not callable(self.client):
            await self.client.aclose()

    def count_request(self, n: int = 1) -> None:
        """For connectors whose library does not go through ``http`` (caldav, aiohttp...)."""
        self.counter.add(self.name, n)


class Connector(abc.ABC, Generic[C]):
    """Base of every connector. Subclasses set the class attributes and implement what they declare."""

    type: ClassVar[str]
    capabilities: ClassVar[Capability]
    config_model: ClassVar[builtins.type[ConnectorConfig]]
    #: Canonical session fields this connector carries (what ``owns`` may name).
    fields: ClassVar[tuple[str, ...]] = SESSION_FIELDS
    #: Name of the collection in links and cursors (one per connector unless overridden).
    collection: ClassVar[str] = "sessions"
    #: A source of the whole programme (event, days, venues too): pulled in every round.
    whole_programme: ClassVar[bool] = False

    def __init__(self, name: str, config: C, ctx: ConnectorContext) -> None:
        self.name = name
        self.config = config
        self.ctx = ctx

    # lifecycle ---------------------------------------------------------------------------
    async def open(self) -> None:
        """Connect lazily; called once before the first pull or apply."""

    async def close(self) -> None:
        """Release what ``open`` took."""

    # protocol ----------------------------------------------------------------------------
    @abc.abstractmethod
    async def check(self) -> list[str]:
        """Prove reachability, credentials and rights; return what was proved, in plain words."""

    def project(self, session: Session, programme: Programme) -> dict[str, Any]:
        """The projection this remote should hold for ``session``.

        The default carries ``fields`` in record form plus the venue's name and address, which
        every human-facing sink shows. Keys not in ``SESSION_FIELDS`` are display-only: merges
        ignore them.
        """
        record = session.to_record()
        projection = {"id": session.id, **{name: record[name] for name in self.fields}}
        venue = programme.venue_of(session)
        projection["venue_name"] = venue.name if venue else None
        projection["venue_address"] = venue.address if venue else None
        return projection

    async def pull(
        self, cursor: str | None, links: Mapping[str, Link], programme: Programme
    ) -> PullResult:
        """Items changed since ``cursor``; only for ``READ`` connectors."""
        raise CapabilityError(f"{self.type} connectors cannot be read", connector=self.name)

    async def apply(self, ops: Sequence[Op], programme: Programme) -> list[OpResult]:
        """Carry out ``ops``; one result per op, in order. Errors are returned, not raised,
        unless they concern the whole connector (``AuthError``, ``TransientError``)."""
        results: list[OpResult] = []
        for op in ops:
            try:
                if op.action == "delete":
                    if op.link is not None and op.link.remote_id is not None:
                        await self.remove(op)
                    results.append(RemoteRef(op.link.remote_id if op.link and op.link.remote_id else op.key))
                else:
                    results.append(await self.upsert(op, programme))
            except (PermanentError, CapabilityError, PreconditionFailed) as exc:
                results.append(exc)
        return results

    async def upsert(self, op: Op, programme: Programme) -> RemoteRef:
        """Create or update one remote item (item connectors)."""
        raise CapabilityError(f"{self.type} connectors cannot write items", connector=self.name)

    async def remove(self, op: Op) -> None:
        """Remove one remote item (item connectors with ``DELETE``)."""
        raise CapabilityError(f"{self.type} connectors cannot delete", connector=self.name)

    async def refresh(self, programme: Programme) -> None:
        """Time-driven work, called after every sync (pinning the new day's programme at
        midnight, say). Must make no request when nothing is due."""

    def targets(self) -> list[str]:
        """Chats or channels announcements go to (``ANNOUNCE`` connectors)."""
        return []

    async def announce(self, target: str, announcement: Announcement) -> RemoteRef:
        """Send one announcement to one target; only for ``ANNOUNCE`` connectors."""
        raise CapabilityError(f"{self.type} connectors cannot announce", connector=self.name)

    # chat: what the bots need (a connector that is no chat keeps these defaults) ---------
    def chat_frontend(self, responder: Responder, inbox: Inbox) -> ChatFrontend | None:
        """The front-end reading people's messages in this connector's chats and sending
        ``responder``'s replies there (:mod:`sync.chat`); None when it is no chat for the bots.
        Builds objects only: the front-end connects when it runs."""
        return None

    def chat_policy(self) -> ChannelPolicy | None:
        """Where the bot may speak here and who may use its admin commands; None when no chat."""
        return None

    async def post_text(self, target: str, text: str) -> None:
        """Post an admin's plain ``text`` to one target, made inert for the chat's format
        (an ``/annonce`` from a chat). Only for connectors with a ``chat_frontend``."""
        raise CapabilityError(f"{self.type} connectors cannot post text", connector=self.name)

    # helpers -----------------------------------------------------------------------------
    @property
    def lang(self) -> str:
        """The language this connector's words are said in: its section's ``language`` where
        its type has one (a pad, a chat, a site in another language), else the hub's."""
        own = getattr(self.config, "language", None)
        return own if isinstance(own, str) and own else self.ctx.language

    @property
    def timeout(self) -> float:
        """Seconds a server has to connect and to answer: one setting for every library the
        connector uses (its section's ``timeout``, else ``[hub] timeout``)."""
        return self.config.timeout or self.ctx.timeout

    def secret(self, name: str) -> str | None:
        return self.config.secret(name, self.ctx.base_dir, lang=self.ctx.language)

    @property
    def owns(self) -> frozenset[str]:
        return frozenset(self.config.owns)
