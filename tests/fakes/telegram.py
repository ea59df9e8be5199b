"""A fake Telegram Bot API server, faithful to what python-telegram-bot 22.x sends and reads.

Served at ``<url>/bot<token>/<method>`` (point PTB at it with ``base_url=<url>/bot``). Requests
are read the way the real server reads them: form-encoded (PTB's default, with non-string values
JSON-encoded into the field), JSON, or query string; GET or POST. Answers use the Bot API
envelope: ``{"ok": true, "result": ...}`` or a non-2xx ``{"ok": false, "error_code",
"description", "parameters"?}``. ``parse_mode=HTML`` and ``MarkdownV2`` go through
:mod:`.telegram_html` and :mod:`.telegram_markdown`, which reject exactly what Telegram rejects
(checked against the server's recorded verdicts); ``SentMessage.html`` then holds the source.

Methods: getMe, getUpdates (long polling, offsets confirm updates), deleteWebhook, getChat,
sendMessage, editMessageText, pinChatMessage, unpinChatMessage, deleteMessage.

Test-side API (plain calls, thread-safe; the server runs in a background thread)::

    with FakeTelegram().running() as tg:          # tg.base_url -> give PTB this
        tg.add_chat(-1001, title="Assemblée")     # only known chats accept messages
        tg.inject_message(-1001, "/programme", user_id=42, first_name="Ann")  # -> getUpdates
        tg.fail("sendMessage", status=429, retry_after=2, chat_id=-1001, times=3)
        tg.messages(-1001)        # what the chat shows now: [SentMessage(text, html, ...)]
        tg.pinned(-1001)          # the pinned message or None
        tg.calls                  # every request: Call(method, params, status)
        done = tg.hold("sendMessage", chat_id=-1001)   # carried out, answer held back
        done.wait(30); ...; tg.release()
        tg.latency = 0.2          # each sendMessage takes that long; tg.in_flight_peak counts overlap

``SentMessage.text`` is the plain text as members read it, ``.html`` the source that was sent,
``.entities`` the Bot API entities, ``.versions`` every text it showed (edits), ``.deleted``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.loopback import serve
from tests.fakes.telegram_html import ParseError, parse_html
from tests.fakes.telegram_markdown import parse_markdown_v2

DEFAULT_TOKEN = "123456789:AAHubTestTokenForTheFakeBotApi0000"
MAX_TEXT = 4096
#: The user Telegram puts in ``from`` when a group admin posts anonymously (@GroupAnonymousBot).
ANONYMOUS_ADMIN = 1087968824
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None):
        self.status, self.description, self.parameters = status, description, parameters
        super().__init__(description)


@dataclass
class SentMessage:
    """A message the bot sent to a chat, as the chat shows it."""

    chat_id: int
    message_id: int
    text: str
    html: str | None
    entities: list[dict[str, Any]]
    date: int
    versions: list[str] = field(default_factory=list)
    pinned: bool = False
    deleted: bool = False
    disable_notification: bool = False

    def to_api(self, chat: dict[str, Any], bot: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": chat,
            "from": bot,
            "text": self.text,
        }
        if self.entities:
            out["entities"] = self.entities
        if len(self.versions) > 1:
            out["edit_date"] = int(time.time())
        return out


@dataclass
class Call:
    """One request the fake received (``params`` as the server decoded them)."""

    method: str
    params: dict[str, Any]
    status: int


@dataclass
class _Fault:
    method: str
    status: int
    description: str
    retry_after: int | None
    chat_id: int | None
    times: int


@dataclass
class _Chat:
    id: int
    type: str
    title: str
    member: bool = True
    can_pin: bool = True
    next_id: int = 1

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            out["first_name"] = self.title
        else:
            out["title"] = self.title
        return out


def _decode(value: str) -> Any:
    """PTB JSON-encodes every non-string value into its form field; strings are sent as is."""
    try:
        return json.loads(value)
    except ValueError:
        return value


class FakeTelegram:
    """State and HTTP face of the fake Bot API; see the module docstring for the test API."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_id: int = 123456789,
        username: str = "commons_hub_bot",
    ) -> None:
        self.token = token
        self.bot = {"id": bot_id, "is_bot": True, "first_name": "Commons Hub", "username": username}
        self.url = ""
        self.calls: list[Call] = []
        self._lock = threading.RLock()
        self._chats: dict[int, _Chat] = {}
        self._messages: dict[tuple[int, int], SentMessage] = {}
        self._updates: list[dict[str, Any]] = []
        self._next_update = 1
        self._faults: list[_Fault] = []
        self._pins: dict[int, SentMessage] = {}
        self._holds: list[tuple[str, int | None, threading.Event]] = []
        self._released = threading.Event()
        #: The webhook set by ``setWebhook`` (url, secret_token), or None: getUpdates answers 409 then.
        self.webhook: dict[str, str] | None = None
        #: Seconds each sendMessage spends on the wire (a far server), and the most sendMessage
        #: calls that were in the server at once: how a test sees that chats are written together.
        self.latency = 0.0
        self.in_flight = 0
        self.in_flight_peak = 0

    # test-side API ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """What to give PTB as ``base_url`` (the token is appended by PTB)."""
        return f"{self.url}/bot"

    @contextlib.contextmanager
    def running(self) -> Iterator[FakeTelegram]:
        with serve(self.app()) as url:
            self.url = url
            try:
                yield self
            finally:
                self._released.set()

    def add_chat(self, chat_id: int, *, title: str = "", type: str | None = None, can_pin: bool = True) -> None:
        """Make ``chat_id`` exist with the bot in it (negative ids are supergroups by default)."""
        kind = type or ("supergroup" if chat_id < 0 else "private")
        with self._lock:
            self._chats[chat_id] = _Chat(chat_id, kind, title or f"chat {chat_id}", can_pin=can_pin)

    def kick_bot(self, chat_id: int) -> None:
        """The bot is removed from the chat: sends answer 403 from now on."""
        with self._lock:
            self._chats[chat_id].member = False

    def inject_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int = 1000,
        first_name: str = "Ann",
        username: str | None = None,
        reply_to: int | None = None,
        anonymous: bool = False,
        forwarded_from: int | None = None,
    ) -> dict[str, Any]:
        """Queue an incoming text message (a getUpdates ``Update``) and return it.

        ``anonymous``: a group admin posting as the group, which Telegram shows as ``sender_chat``
        with its stand-in ``@GroupAnonymousBot`` in ``from``. ``forwarded_from``: the user who
        wrote the text first, in ``forward_origin`` (the sender is still ``user_id``).
        """
        with self._lock:
            chat = self._chats[chat_id]
            user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
            if username:
                user["username"] = username
            if anonymous:
                user = {"id": ANONYMOUS_ADMIN, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
            message: dict[str, Any] = {
                "message_id": chat.next_id,
                "date": int(time.time()),
                "chat": chat.to_api(),
                "from": user,
                "text": text,
            }
            if anonymous:
                message["sender_chat"] = chat.to_api()
            if forwarded_from is not None:
                message["forward_origin"] = {
                    "type": "user",
                    "date": int(time.time()) - 60,
                    "sender_user": {"id": forwarded_from, "is_bot": False, "first_name": "Someone"},
                }
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
            if reply_to is not None:
                replied = self._messages[(chat_id, reply_to)]
                message["reply_to_message"] = replied.to_api(chat.to_api(), self.bot)
            chat.next_id += 1
            update = {"update_id": self._next_update, "message": message}
            self._next_update += 1
            self._updates.append(update)
            return update

    def fail(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = None,
        chat_id: int | None = None,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (for ``chat_id``, or any) with an error."""
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {retry_after or 1}",
                401: "Unauthorized",
                403: "Forbidden: bot was kicked from the supergroup chat",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(status, "Bad Request: something went wrong")
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            self._faults.append(_Fault(method, status, description, retry_after, chat_id, times))

    def hold(self, method: str, *, chat_id: int | None = None) -> threading.Event:
        """Carry out the next ``method`` call (for ``chat_id``) but keep its answer back until
        :meth:`release`: the returned event is set once the call took effect. This is how a
        client dies between "the message went out" and "I know its id"."""
        done = threading.Event()
        with self._lock:
            self._holds.append((method, chat_id, done))
        return done

    def release(self) -> None:
        self._released.set()

    def rearm(self) -> None:
        """Forget an earlier :meth:`release`: the next :meth:`hold` keeps its answer back again."""
        self._released = threading.Event()

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[SentMessage]:
        """Messages the bot sent to ``chat_id``, oldest first."""
        with self._lock:
            return [
                m for (c, _), m in sorted(self._messages.items()) if c == chat_id and (include_deleted or not m.deleted)
            ]

    def pinned(self, chat_id: int) -> SentMessage | None:
        """The most recently pinned message still pinned, as Telegram shows it on top."""
        with self._lock:
            return self._pins.get(chat_id)

    def sends(self, chat_id: int | None = None) -> list[Call]:
        """Successful sendMessage calls (optionally to one chat)."""
        return [
            c
            for c in self.calls
            if c.method == "sendMessage" and c.status == 200 and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]

    # HTTP ------------------------------------------------------------------------------------
    def app(self) -> Starlette:
        route = Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])
        return Starlette(routes=[route])

    async def _endpoint(self, request: Request) -> JSONResponse:
        token, method = request.path_params["token"], request.path_params["method"]
        params: dict[str, Any] = {k: _decode(v) for k, v in request.query_params.items()}
        body = await request.body()
        ctype = request.headers.get("content-type", "")
        if body and ctype.startswith("application/json"):
            params.update(json.loads(body))
        elif body and ctype.startswith("application/x-www-form-urlencoded"):
            form = urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True)
            params.update({k: _decode(v) for k, v in form})
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            if method == "getUpdates":
                if self.webhook is not None:
                    raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                        "use deleteWebhook to delete the webhook first")
                result = await self._get_updates(params)
            else:
                if method == "sendMessage" and self.latency:
                    await self._on_the_wire()
                with self._lock:
                    self._fault(method, params)
                    handler = getattr(self, f"_m_{method}", None)
                    if handler is None:
                        raise ApiError(404, "Not Found")
                    result = handler(params)
        except ApiError as exc:
            self.calls.append(Call(method, params, exc.status))
            payload: dict[str, Any] = {
                "ok": False,
                "error_code": exc.status,
                "description": exc.description,
            }
            if exc.parameters:
                payload["parameters"] = exc.parameters
            return JSONResponse(payload, status_code=exc.status)
        self.calls.append(Call(method, params, 200))
        for hold in list(self._holds):
            if hold[0] == method and hold[1] in (None, params.get("chat_id")):
                self._holds.remove(hold)
                hold[2].set()
                await asyncio.to_thread(self._released.wait)
        return JSONResponse({"ok": True, "result": result})

    async def _on_the_wire(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.in_flight_peak = max(self.in_flight_peak, self.in_flight)
        try:
            await asyncio.sleep(self.latency)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _fault(self, method: str, params: dict[str, Any]) -> None:
        for fault in self._faults:
            if (
                fault.method == method
                and fault.times > 0
                and (fault.chat_id is None or fault.chat_id == params.get("chat_id"))
            ):
                fault.times -= 1
                extra = {"retry_after": fault.retry_after} if fault.retry_after else None
                raise ApiError(fault.status, fault.description, extra)

    def _chat(self, params: dict[str, Any]) -> _Chat:
        if "chat_id" not in params:
            raise ApiError(400, "Bad Request: chat_id is empty")
        chat = self._chats.get(_int(params["chat_id"]))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if not chat.member:
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        return chat

    def _text(self, params: dict[str, Any]) -> tuple[str, str | None, list[dict[str, Any]]]:
        source = params.get("text")
        if not isinstance(source, str):
            source = "" if source is None else json.dumps(source)
        mode = str(params.get("parse_mode") or "").lower()
        if mode in ("html", "markdownv2"):
            parse = parse_html if mode == "html" else parse_markdown_v2
            try:
                text, entities = parse(source)
            except ParseError as exc:
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from None
            html: str | None = source
        elif mode:  # legacy "Markdown" is not modelled: refuse rather than guess
            raise ApiError(400, f"Bad Request: unsupported parse_mode {params['parse_mode']}")
        else:
            text, html, entities = source, None, list(params.get("entities") or [])
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return text, html, entities

    def _message(self, chat: _Chat, params: dict[str, Any], what: str) -> SentMessage:
        key = (chat.id, _int(params.get("message_id", 0)))
        message = self._messages.get(key)
        if message is None or message.deleted:
            raise ApiError(400, f"Bad Request: message to {what} not found")
        return message

    # methods ---------------------------------------------------------------------------------
    def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return dict(self.bot)

    def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = None
        return True

    def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        """Bot API: ``url`` (https in production), ``secret_token`` of 1-256 ``A-Za-z0-9_-``."""
        secret = str(params.get("secret_token", ""))
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if not params.get("url"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {"url": str(params["url"]), "secret_token": secret}
        return True

    def _m_getChat(self, params: dict[str, Any]) -> dict[str, Any]:
        """A ChatFullInfo: the chat plus the fields Bot API 9.x/10.x always includes."""
        chat = self._chat(params)
        out = chat.to_api()
        out.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                    "gifts_from_channels": False,
                },
            }
        )
        pinned = self._pins.get(chat.id)
        if pinned:
            out["pinned_message"] = pinned.to_api(chat.to_api(), self.bot)
        return out

    def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        text, html, entities = self._text(params)
        message = SentMessage(
            chat.id,
            chat.next_id,
            text,
            html,
            entities,
            int(time.time()),
            [text],
            disable_notification=bool(params.get("disable_notification")),
        )
        chat.next_id += 1
        self._messages[(chat.id, message.message_id)] = message
        return message.to_api(chat.to_api(), self.bot)

    def _m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        if "inline_message_id" in params:
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat = self._chat(params)
        message = self._message(chat, params, "edit")
        text, html, entities = self._text(params)
        if text == message.text and entities == message.entities:
            raise ApiError(400, NOT_MODIFIED)
        message.text, message.html, message.entities = text, html, entities
        message.versions.append(text)
        return message.to_api(chat.to_api(), self.bot)

    def _m_pinChatMessage(self, params: dict[str, Any]) -> bool:
        chat = self._chat(params)
        message = self._message(chat, params, "pin")
        if not chat.can_pin:
            raise ApiError(400, "Bad Request: not enough rights to manage pinned messages in the chat")
        message.pinned = True
        self._pins[chat.id] = message
        return True

    def _m_unpinChatMessage(self, params: dict[str, Any]) -> bool:
        chat = self._chat(params)
        message = self._pins.get(chat.id)
        if "message_id" in params:
            message = self._message(chat, params, "unpin")
        if message is not None:
            message.pinned = False
            pinned = [m for m in self.messages(chat.id) if m.pinned]
            if pinned:
                self._pins[chat.id] = pinned[-1]
            else:
                self._pins.pop(chat.id, None)
        return True

    def _m_deleteMessage(self, params: dict[str, Any]) -> bool:
        chat = self._chat(params)
        message = self._message(chat, params, "delete")
        message.deleted = True
        if message.pinned:
            message.pinned = False
            if self._pins.get(chat.id) is message:
                self._pins.pop(chat.id)
        return True

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = _int(params.get("offset", 0))
        limit = min(max(_int(params.get("limit", 100)), 1), 100)
        timeout = max(_int(params.get("timeout", 0)), 0)
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                self._fault("getUpdates", params)
                if offset > 0:  # confirms every update below the offset
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                elif offset < 0:
                    self._updates = self._updates[offset:]
                pending = self._updates[:limit]
            if pending or time.monotonic() >= deadline:
                return pending
            await asyncio.sleep(0.05)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: invalid integer {value!r}") from None
