"""The chat side of the connector protocol: what a chat's front-end and the bots share.

A chat connector (:meth:`sync.protocol.Connector.chat_frontend`) hands the bots a
:class:`ChatFrontend`: it reads what people write in the connector's chats as :class:`Incoming`
messages, keeps them in an :class:`Inbox` until handled, asks a :class:`Responder` (the bot) for
the replies and sends each :class:`Outgoing` message rendered in the chat's own format. Where the
bot may speak there, and who may use its admin commands, is the connector's
:class:`ChannelPolicy` (:meth:`sync.protocol.Connector.chat_policy`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sync.announce import Format

__all__ = ["ChannelPolicy", "ChatFrontend", "Inbox", "Incoming", "Outgoing", "Renderable", "Responder"]


@dataclass(frozen=True, slots=True)
class Incoming:
    """A message a person sent, as the connector read it."""

    channel: str  # the connector's name
    chat: str  # where it was written (group id, or the private chat)
    sender: str  # who wrote it (platform user id, number...)
    text: str
    private: bool = False
    addressed: bool = False  # in a group: mentions the bot or replies to it
    lang: str | None = None  # the person's language, when the platform says


@dataclass(frozen=True, slots=True)
class ChannelPolicy:
    """Where a channel's bot may speak and who may use its admin commands."""

    chats: frozenset[str]
    admins: frozenset[str] = frozenset()
    language: str | None = None


class Renderable(Protocol):
    """Anything a channel can render in its format."""

    def render(self, fmt: Format = "text") -> str: ...


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message for one chat of one channel; the connector renders it in its format."""

    channel: str
    chat: str
    message: Renderable


class Inbox(Protocol):
    """Chat updates kept before they are acknowledged, so none is lost on a crash or handled twice.

    A front-end stores each batch of updates (``store``, idempotent) *before* telling the
    platform it has them; each update is then handled and marked ``done`` before the replies go
    out. Keys sort in arrival order.
    """

    def store(self, channel: str, items: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        """Keep these updates (already kept ones are left as they are)."""
        ...

    def pending(self, channel: str) -> list[tuple[str, dict[str, Any]]]:
        """Updates kept but not yet handled, oldest first."""
        ...

    def done(self, channel: str, key: str) -> None:
        """The update was handled: never hand it out again."""
        ...

    def last_key(self, channel: str, prefix: str = "") -> str | None:
        """The newest key ever kept, among those starting with ``prefix`` (where to resume)."""
        ...


class Responder(Protocol):
    """What the bot offers a front-end: the replies to one message (none to stay silent)."""

    async def handle(self, incoming: Incoming) -> list[Outgoing]: ...


class ChatFrontend(Protocol):
    """What every chat's front-end offers the bots' runner."""

    async def send(self, out: Outgoing) -> None:
        """One answer, reminder or notice, rendered in the chat's format."""
        ...

    async def run(self, stop: asyncio.Event) -> None:
        """Read the chats and answer until ``stop`` is set."""
        ...


async def drain_inbox(
    inbox: Inbox,
    channel: str,
    read: Callable[[dict[str, Any]], Incoming | None],
    responder: Responder,
    send: Callable[[str, int, Outgoing], Awaitable[None]],
) -> int:
    """Handle what ``inbox`` holds for ``channel`` and nobody handled yet (after a crash, too).

    Each message is marked done before its replies go out, so a crash while answering never
    answers it twice; ``send`` gets the message's key and the reply's index with each reply.
    Returns how many messages were handled.
    """
    handled = 0
    for key, payload in inbox.pending(channel):
        incoming = read(payload)
        replies = await responder.handle(incoming) if incoming is not None else []
        inbox.done(channel, key)
        handled += 1
        for index, reply in enumerate(replies):
            await send(key, index, reply)
    return handled
