"""The chat front-end of the Nextcloud connector's Talk rooms: the chat long-poll, answers in
Markdown.

Talk's ``GET /chat/{room}?lookIntoFuture=1&lastKnownMessageId=N`` waits up to ``timeout``
seconds for messages newer than ``N`` (304 when none came). Messages are kept in the inbox
(keyed by room and id, so the last id per room is the resume point), handled, marked done,
then answered with a ``referenceId`` derived from the question, so an answer whose fate was
unknown is never sent twice. On first start the room's history is skipped, not answered.

Who wrote a message is its actor, typed: ``<actorType>/<actorId>``. Only ``users/<id>`` is an
account of the Nextcloud server; guests (``guests``, for guests and e-mail guests), Matterbridge
relays (``bridged``), people of other servers (``federated_users``), bots and commands
(``bots``) and deleted accounts (``deleted_users``) can carry any id, an admin's included. So
admins are configured as, and matched against, ``users/<id>`` only.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from connectors.http import describe_transport_error, request_error, request_language
from connectors.nextcloud.config import USERS, talk_admin
from connectors.nextcloud.talk import CHAT, HEADERS, TalkClient, reference_id
from sync.chat import ChannelPolicy, Inbox, Incoming, Outgoing, Responder, drain_inbox
from sync.errors import AuthError, ConnectorError, TransientError

log = logging.getLogger(__name__)



def actor(message: dict[str, Any]) -> str:
    """Who wrote a Talk message, as ``<actorType>/<actorId>`` (``""`` when the API gives neither)."""
    kind, ident = str(message.get("actorType") or ""), str(message.get("actorId") or "")
    return f"{kind}/{ident}" if kind and ident else ""




def _key(room: str, message_id: int) -> str:
    return f"{room}:{message_id:015d}"


#: A chat's webhook as a web front checks it: its kind (the path under ``/webhooks/``) and the
#: check of one request (200 to take it, 403 refused, 400 not Activity Streams).
ChatWebhook = tuple[str, Callable[[Mapping[str, str], bytes], int]]


def verify_signature(secret: str | None, headers: Mapping[str, str], body: bytes) -> int:
    """200 when ``X-Nextcloud-Talk-Signature`` is the hex HMAC-SHA256, keyed with ``secret``, of
    ``X-Nextcloud-Talk-Random`` followed by the raw body (compared in constant time) and the body
    is a JSON object; 403 on a wrong or missing signature, 400 otherwise. ``headers`` are
    lower-cased."""
    random = headers.get("x-nextcloud-talk-random", "")
    signature = headers.get("x-nextcloud-talk-signature", "").lower()
    expected = hmac.new(secret.encode(), random.encode() + body, hashlib.sha256).hexdigest() if secret else ""
    if not secret or not random or not hmac.compare_digest(signature.encode(), expected.encode()):
        return 403
    try:
        payload = json.loads(body)
    except ValueError:
        return 400
    return 200 if isinstance(payload, dict) else 400


def talk_webhook(secret: str | None, rooms: list[str]) -> ChatWebhook | None:
    """The Talk bot's webhook of a Nextcloud section with rooms and ``talk_bot_secret``, or None."""
    if not secret or not rooms:
        return None
    return "talk", lambda headers, body: verify_signature(secret, headers, body)


class TalkFrontend:
    """Receives questions in the Talk rooms of one Nextcloud connector and answers there.

    ``client`` gives the connector's Talk client when first needed (building the front-end
    connects to nothing).
    """

    def __init__(
        self,
        client: Callable[[], TalkClient],
        rooms: list[str],
        bot: Responder,
        inbox: Inbox,
        *,
        channel: str,
        poll_timeout: int = 30,
        secret: Callable[[], str | None] = lambda: None,
    ) -> None:
        self._client = client
        self._secret = secret
        self.rooms = rooms
        self.bot = bot
        self.inbox = inbox
        self.channel = channel
        self.poll_timeout = poll_timeout

    @property
    def client(self) -> TalkClient:
        return self._client()

    @property
    def webhook(self) -> str | None:
        """``talk`` when a Talk webhook bot pushes the room's messages (its secret is configured)."""
        return "talk" if self._secret() else None

    async def receive(self, headers: Mapping[str, str], body: bytes) -> int:
        """One message pushed by the Talk bot: 403 unless ``X-Nextcloud-Talk-Signature`` is the hex
        HMAC-SHA256, keyed with the bot's secret, of ``X-Nextcloud-Talk-Random`` followed by the raw
        body; 400 when it is not Activity Streams. A ``Create`` of a ``Note`` in one of our rooms is
        kept in the inbox as the chat API's message (same key, so a message also polled is handled
        once) and handled; anything else (the bot joined or left, reactions) is acknowledged."""
        status = verify_signature(self._secret(), headers, body)
        if status != 200:
            return status
        return await self.accept(json.loads(body))

    async def prepare(self) -> None:
        """Nothing to fetch before answering a pushed message (the client connects when it sends)."""

    async def accept(self, payload: dict[str, Any]) -> int:
        """A pushed message already checked (:func:`verify_signature`): kept, handled, answered
        as :meth:`receive` says; 200, or 400 when it is not Activity Streams."""
        try:
            kind = payload["type"]
            note, room, who = payload.get("object") or {}, payload.get("target") or {}, payload.get("actor") or {}
        except (ValueError, TypeError, KeyError, AttributeError):
            return 400
        if kind != "Create" or note.get("type") != "Note" or str(room.get("id")) not in self.rooms:
            return 200
        try:
            content = json.loads(note["content"])
            message_id = int(note["id"])
        except (ValueError, TypeError, KeyError):
            return 400
        actor_type, _, actor_id = str(who.get("id", "")).partition("/")
        message = {
            "id": message_id, "token": str(room["id"]), "actorType": actor_type, "actorId": actor_id,
            "actorDisplayName": str(who.get("name", "")), "messageType": "comment", "systemMessage": "",
            "message": str(content.get("message", "")), "messageParameters": content.get("parameters") or {},
        }
        self.inbox.store(self.channel, [(_key(str(room["id"]), message_id), message)])
        await self.drain()
        return 200

    @staticmethod
    def policy(rooms: list[str], admins: frozenset[str] = frozenset(), language: str | None = None) -> ChannelPolicy:
        """The rooms the bot speaks in, and its admins as the senders they match (``users/<id>``)."""
        return ChannelPolicy(chats=frozenset(rooms), admins=frozenset(map(talk_admin, admins)), language=language)

    def _is_me(self, message: object) -> bool:
        return isinstance(message, dict) and actor(message) == f"{USERS}/{self.client.username}"

    def _last_id(self, room: str) -> int | None:
        last = self.inbox.last_key(self.channel, prefix=f"{room}:")
        return None if last is None else int(last.rsplit(":", 1)[1])

    async def _fetch(self, room: str, last: int, wait: int) -> list[dict[str, Any]]:
        params: dict[str, Any] = {
            "format": "json",
            "lookIntoFuture": 1,
            "lastKnownMessageId": last,
            "timeout": wait,
            "limit": 100,
            "setReadMarker": 0,
            "markNotificationsAsRead": 0,
        }
        client = self.client
        try:
            response = await client.http.get(
                f"{client.url}{CHAT}/{room}",
                params=params,
                auth=client.auth,
                headers=HEADERS,
                timeout=wait + 10,
            )
        except httpx.TransportError as exc:
            raise describe_transport_error(exc, self.channel, lang=client.lang) from None
        if response.status_code == 304 or not response.content:
            return []
        if response.status_code >= 400:
            request = response.request
            error = request_error(response.status_code, request.method, request.url, connector=self.channel,
                                  lang=client.lang or request_language(request), auth=(401,), conditional=False)
            if isinstance(error, AuthError):
                raise error
            raise TransientError(str(error.args[0]), connector=self.channel)  # the room may come back
        data: list[dict[str, Any]] = response.json()["ocs"]["data"]
        return data

    async def start(self) -> None:
        """Resume after the last message kept; on a first start, after the newest one."""
        for room in self.rooms:
            if self._last_id(room) is None:
                newest = await self.client.recent(room, limit=1)
                marker = newest[0].id if newest else 0  # not a question: handled as nothing
                self.inbox.store(self.channel, [(_key(room, marker), {"marker": True})])

    async def poll_once(self, wait: int | None = None) -> int:
        """One long poll per room: keep what came, handle what is pending."""
        wait = self.poll_timeout if wait is None else wait
        for room in self.rooms:
            last = self._last_id(room) or 0
            messages = await self._fetch(room, last, wait)
            # A message without a numeric id cannot be kept in order: skipped, not a crash.
            items = [(_key(room, int(m["id"])), m) for m in messages
                     if isinstance(m, dict) and str(m.get("id", "")).isdecimal()]
            self.inbox.store(self.channel, items)
        return await self.drain()

    def read(self, message: dict[str, Any]) -> Incoming | None:
        """A member's question, or None (our own messages, system messages); its sender is the
        typed actor, ``users/ann`` or ``guests/ann``, never the bare id."""
        sender = actor(message)
        if message.get("messageType") != "comment" or not sender or self._is_me(message):
            return None
        text = str(message.get("message", ""))
        parameters = message.get("messageParameters") or {}
        items = parameters.items() if isinstance(parameters, dict) else []
        mentioned = False
        for placeholder, value in items:  # "{mention-user1}" standing for the bot
            if isinstance(value, dict) and value.get("id") == self.client.username:
                mentioned = True
                text = text.replace("{" + str(placeholder) + "}", "")
        typed = re.compile(rf"@{re.escape(self.client.username)}\b", re.IGNORECASE)
        mentioned = mentioned or typed.search(text) is not None
        text = typed.sub("", text).strip()
        replied = self._is_me(message.get("parent"))
        return Incoming(self.channel, str(message.get("token", "")), sender, text, addressed=mentioned or replied)

    async def drain(self) -> int:
        async def answer(key: str, index: int, reply: Outgoing) -> None:
            # a reference derived from the question: an answer whose fate was lost is not doubled
            await self.send(reply, reference=reference_id("bot", self.channel, key, str(index)))

        return await drain_inbox(self.inbox, self.channel, self.read, self.bot, answer)

    async def send(self, out: Outgoing, *, reference: str = "") -> None:
        """One answer in Markdown, Talk's rendering."""
        await self.client.send(out.chat, out.message.render("markdown"), reference=reference)

    async def run(self, stop: asyncio.Event, *, backoff: float = 5.0) -> None:
        await self.start()
        await self.drain()
        if self._secret():  # the webhook bot pushes the messages (receive)
            await stop.wait()
            return
        while not stop.is_set():
            try:
                await self.poll_once()
            except ConnectorError as exc:
                log.warning("[%s] Talk polling failed: %s", self.channel, exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), backoff)
