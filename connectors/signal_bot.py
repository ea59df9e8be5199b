"""The chat front-end of the Signal connector: signal-cli-rest-api's receive socket, read
through signalbot's client.

Each frame is stored in the inbox as soon as it arrives (the socket has no acknowledgement the
bot controls, so this is what makes a crash lose nothing once a frame was read), then handled,
marked done, and answered in plain text through the Signal connector (its pacing and rate-limit
breaker apply to answers too). Group frames carry the group's internal id; the configured
targets are the REST API's ``group.…`` ids, derived from it.

A sender is who signal-cli's envelope says sent the message: ``sourceNumber`` (absent when the
person hides their number) and ``sourceUuid`` (their account's ACI, always there). Profile
names never count. An admin configured by number or by UUID is recognised by either, and the
sender is then that configured value, so an admin is one person to the bot whichever way the
envelope names them.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from signalbot._client import SignalAPIError

from connectors.signal_config import UUID
from sync.chat import Inbox, Incoming, Outgoing, Responder, drain_inbox
from sync.errors import ConnectorError


class _Account(Protocol):
    """The settings the front-end reads: the bot's number and the admins."""

    @property
    def number(self) -> str: ...
    @property
    def admins(self) -> Sequence[str]: ...


class SignalLink(Protocol):
    """What the front-end needs of its connector (:class:`connectors.signal.SignalConnector`):
    described here so the two modules do not import each other."""

    @property
    def name(self) -> str: ...
    @property
    def config(self) -> _Account: ...
    @property
    def api(self) -> Any: ...
    async def open(self) -> None: ...
    async def post(self, target: str, text: str, *, silent: bool) -> Any: ...

log = logging.getLogger(__name__)



def identities(envelope: dict[str, Any]) -> list[str]:
    """Who sent a message, as the envelope names them: the number when known, then the UUID
    (in lower case); the older ``source`` field only when neither is there."""
    named = [envelope.get("sourceNumber"), envelope.get("sourceUuid")]
    if not any(named):
        named = [envelope.get("source")]  # the number, or the UUID when the number is hidden
    found: list[str] = []
    for value in named:
        if isinstance(value, str) and value:
            found.append(value.lower() if UUID.fullmatch(value) else value)
    return found


def public_group_id(internal_id: str) -> str:
    """signal-cli's internal group id -> the REST API's ``group.…`` id used in the config."""
    return "group." + base64.b64encode(internal_id.encode()).decode()


def _mapping(value: Any) -> dict[str, Any]:
    """A part of a frame that should be an object; anything else reads as an empty one."""
    return value if isinstance(value, dict) else {}


def frame_key(frame: dict[str, Any]) -> str | None:
    """A key that sorts in arrival order and names one message, or None if not a message.

    Frames come from the socket as signal-cli wrote them; one of another shape (a text where an
    object is, a timestamp that is not a number) is not a message, rather than an exception
    that would stop the receive loop."""
    envelope = _mapping(frame.get("envelope"))
    data = envelope.get("dataMessage")
    if not isinstance(data, dict) or not data.get("message"):
        return None
    try:
        stamp = int(envelope.get("serverReceivedTimestamp") or envelope.get("timestamp") or 0)
    except (TypeError, ValueError):
        return None
    source = envelope.get("sourceUuid") or envelope.get("sourceNumber") or envelope.get("source") or ""
    return f"{stamp:015d}:{source}:{data.get('timestamp', '')}"


class SignalFrontend:
    """Receives questions for one Signal connector and sends the bot's answers back."""

    def __init__(self, connector: SignalLink, bot: Responder, inbox: Inbox) -> None:
        self.connector = connector
        self.bot = bot
        self.inbox = inbox
        self.channel = connector.name

    async def start(self) -> None:
        await self.connector.open()

    def read(self, frame: dict[str, Any]) -> Incoming | None:
        """The question in a receive frame, or None (receipts, typing, other accounts...)."""
        envelope = _mapping(frame.get("envelope"))
        data = _mapping(envelope.get("dataMessage"))
        text = data.get("message")
        known = identities(envelope)
        if not isinstance(text, str) or not text or not known:
            return None
        admins = self.connector.config.admins  # checked and normalised by the configuration
        sender = next((admin for admin in admins if admin in known), known[0])
        group = data.get("groupInfo")
        number = self.connector.config.number
        mentions = data.get("mentions")
        mentioned = isinstance(mentions, list) and any(_mapping(m).get("number") == number for m in mentions)
        quoted = _mapping(data.get("quote")).get("authorNumber") == number
        if isinstance(group, dict) and group.get("groupId"):
            chat, private = public_group_id(str(group["groupId"])), False
        else:
            chat, private = known[0], True
        return Incoming(
            self.channel,
            chat,
            sender,
            str(text),
            private=private,
            addressed=mentioned or quoted,
        )

    async def accept(self, raw: str) -> int:
        """Keep one frame, then handle all that is pending; how many were handled."""
        try:
            frame = json.loads(raw)
        except ValueError:
            return 0
        key = frame_key(frame) if isinstance(frame, dict) else None
        if key is not None:
            self.inbox.store(self.channel, [(key, frame)])
        return await self.drain()

    async def drain(self) -> int:
        """Handle what the inbox holds and nobody handled yet (after a crash, too)."""
        return await drain_inbox(self.inbox, self.channel, self.read, self.bot,
                                 lambda _key, _index, reply: self.send(reply))

    async def send(self, out: Outgoing) -> None:
        """One answer, reminder or notice, in plain text (Signal shows no markup)."""
        await self.connector.post(out.chat, out.message.render("text"), silent=False)

    async def run(self, stop: asyncio.Event) -> None:
        await self.listen(stop)

    async def listen(self, stop: asyncio.Event, *, limit: int | None = None, backoff: float = 5.0) -> int:
        """Read the receive socket until ``stop`` (or ``limit`` messages); reconnects on failure."""
        await self.start()
        handled = await self.drain()
        while not stop.is_set() and (limit is None or handled < limit):
            try:
                # Closed on the way out, not left to the garbage collector: an open socket nobody
                # reads would take the next messages from the server and lose them.
                async with contextlib.aclosing(self.connector.api.messages.receive()) as messages:
                    async for raw in messages:
                        handled += await self.accept(raw)
                        if stop.is_set() or (limit is not None and handled >= limit):
                            return handled
            except (SignalAPIError, ConnectorError, OSError) as exc:  # dropped: reconnect
                log.warning("[%s] receive failed: %s", self.channel, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff)
        return handled
