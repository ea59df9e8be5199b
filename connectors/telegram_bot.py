"""The chat front-end of the Telegram connector: long polling through its bot, or a webhook,
with an inbox.

Each ``getUpdates`` batch is stored in the inbox before the next call's offset acknowledges
it to Telegram; then each update is handled, marked done, and answered (Telegram HTML, sent
through the connector so per-chat pacing and 429 pauses apply to replies too).

With ``webhook_url`` and ``webhook_secret``, Telegram pushes each update to the daemon's
``POST /webhooks/telegram`` instead (``setWebhook`` with ``secret_token``): :meth:`receive`
refuses (403) a request without the secret in ``X-Telegram-Bot-Api-Secret-Token`` or not sent
as ``application/json``, as python-telegram-bot's own webhook server does; the update is
stored in the inbox before the 200 that acknowledges it, so a crash loses none.

A hosting deployment splits the two halves of :meth:`~TelegramFrontend.receive`: its web front
checks the request with :func:`verify_update` (the collective's secret, read from its
configuration by :func:`telegram_webhook`) and queues the update; a worker hands it to
:meth:`~TelegramFrontend.accept`, the same inbox and answer as here.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from telegram import Bot, Update
from telegram.error import TelegramError

from sync.chat import Inbox, Incoming, Outgoing, Responder, drain_inbox
from sync.errors import ConnectorError
from sync.i18n import log_texts

if TYPE_CHECKING:
    from connectors.telegram_config import TelegramConfig


class TelegramLink(Protocol):
    """What the front-end needs of its connector (:class:`connectors.telegram.TelegramConnector`):
    described here so the two modules do not import each other."""

    @property
    def name(self) -> str: ...
    @property
    def bot(self) -> Bot: ...
    async def open(self) -> None: ...
    async def post(self, target: str, text: str, *, silent: bool) -> Any: ...
    @property
    def webhook_url(self) -> str | None: ...
    def secret(self, name: str) -> str | None: ...

log = logging.getLogger(__name__)
LOG_TEXTS = log_texts({
    "[%s] update %s skipped: not a readable Telegram update (%s)":
        "[%s] mise à jour %s ignorée : ce n'est pas une mise à jour Telegram lisible (%s)",
})


#: What Telegram accepts as a webhook's secret token.
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def _key(update_id: int) -> str:
    return f"{update_id:015d}"  # sorts like the number, in the inbox's text column


#: A chat's webhook as a web front checks it: its kind (the path under ``/webhooks/``) and the
#: check of one request (200 to take it, 403 refused, 400 not an update).
ChatWebhook = tuple[str, Callable[[Mapping[str, str], bytes], int]]


def verify_update(secret: str | None, headers: Mapping[str, str], body: bytes) -> int:
    """200 when the request carries ``secret`` in ``X-Telegram-Bot-Api-Secret-Token`` (compared in
    constant time), as JSON, and is an update; 403 without the secret or not JSON (as
    python-telegram-bot's own webhook server); 400 when the JSON is not an update. ``headers``
    are lower-cased."""
    given = headers.get("x-telegram-bot-api-secret-token", "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        return 403
    if headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return 403
    try:
        payload = json.loads(body)
        int(payload["update_id"])
    except (ValueError, TypeError, KeyError):
        return 400
    return 200


def telegram_webhook(config: TelegramConfig, base_dir: Path, lang: str) -> ChatWebhook | None:
    """The webhook of a Telegram section, read from its configuration alone (no connection, no
    client): None without ``webhook_secret``."""
    secret = config.secret("webhook_secret", base_dir, lang=lang)
    if not secret:
        return None
    return "telegram", lambda headers, body: verify_update(secret, headers, body)


class TelegramFrontend:
    """Receives questions for one Telegram connector and sends the bot's answers back."""

    def __init__(
        self, connector: TelegramLink, bot: Responder, inbox: Inbox, *, poll_timeout: int = 25
    ) -> None:
        self.connector = connector
        self.bot = bot
        self.inbox = inbox
        self.poll_timeout = poll_timeout
        self.channel = connector.name

    @property
    def webhook(self) -> str | None:
        """``telegram`` when Telegram pushes updates to the daemon (a secret is configured)."""
        return "telegram" if self._secret() else None

    def _secret(self) -> str | None:
        return self.connector.secret("webhook_secret")

    async def prepare(self) -> None:
        """Ready to read and answer: the bot's id and @username (getMe), for mentions."""
        await self.connector.open()
        await self.connector.bot.initialize()

    async def start(self) -> None:
        await self.prepare()
        url, secret = self.connector.webhook_url, self._secret()
        if url and secret:
            await self.register_webhook(url)
            return
        # long polling and a webhook exclude each other: polling here means no webhook
        await self.connector.bot.delete_webhook(drop_pending_updates=False)

    async def register_webhook(self, url: str) -> None:
        """``setWebhook``: Telegram pushes the chats' messages to ``url`` with the section's
        ``webhook_secret`` as its secret token (refused without one)."""
        secret = self._secret()
        if not secret or not SECRET_TOKEN.match(secret):
            raise ConnectorError("webhook_secret: Telegram accepts 1 to 256 letters, digits, _ and - only",
                                 connector=self.channel)
        await self.connector.open()
        await self.connector.bot.set_webhook(url, secret_token=secret, allowed_updates=["message"])

    async def receive(self, headers: Mapping[str, str], body: bytes) -> int:
        """One update pushed by Telegram: 403 without the right secret token, 400 when it is
        not an update; else kept in the inbox, handled, and 200."""
        status = verify_update(self._secret(), headers, body)
        if status != 200:
            return status
        return await self.accept(json.loads(body))

    async def accept(self, payload: dict[str, Any]) -> int:
        """An update already checked (:func:`verify_update`): kept in the inbox (an update
        Telegram sent again is kept once), handled, answered; 200, or 400 when it is not one."""
        try:
            update_id = int(payload["update_id"])
        except (ValueError, TypeError, KeyError):
            return 400
        self.inbox.store(self.channel, [(_key(update_id), payload)])
        await self.drain()
        return 200

    async def poll_once(self) -> int:
        """One long poll: store what came, then handle all that is pending; how many were."""
        last = self.inbox.last_key(self.channel)
        offset = int(last) + 1 if last is not None else None
        updates = await self.connector.bot.get_updates(
            offset=offset, timeout=self.poll_timeout, allowed_updates=["message"]
        )
        self.inbox.store(self.channel, [(_key(u.update_id), u.to_dict()) for u in updates])
        return await self.drain()

    async def drain(self) -> int:
        """Handle what the inbox holds and nobody handled yet (after a crash, too)."""
        return await drain_inbox(self.inbox, self.channel, self.read, self.bot,
                                 lambda _key, _index, reply: self.send(reply))

    def read(self, payload: dict[str, Any]) -> Incoming | None:
        """The question in an update, or None (not a text message).

        The sender is ``from.id``, the numeric user id Telegram vouches for: never a username, a
        name or the chat's id. Anonymous group admins and posts on behalf of a channel carry one
        of Telegram's stand-in accounts there (:data:`connectors.telegram_config.STAND_INS`), which no
        configuration may name as an admin.
        """
        try:
            update = Update.de_json(payload, self.connector.bot)
        # An update of another shape (a text where an object is): skipped, not raised, since
        # the inbox would hand the same update back at every start and the bot would stop there.
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            log.warning("[%s] update %s skipped: not a readable Telegram update (%s)",
                        self.channel, payload.get("update_id"), type(exc).__name__)
            return None
        message = update.message
        if message is None or not isinstance(message.text, str) or not message.text or message.from_user is None:
            return None
        me = self.connector.bot
        text = message.text
        command = text.split(maxsplit=1)[0] if text.startswith("/") else ""
        if "@" in command and me.username and command.split("@", 1)[1].lower() != me.username.lower():
            return None  # a command for another bot in the group
        mention = f"@{me.username}" if me.username else None
        addressed = bool(mention and mention.lower() in text.lower())
        if mention and addressed and not text.startswith("/"):
            start = text.lower().index(mention.lower())
            text = (text[:start] + text[start + len(mention) :]).strip()
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == me.id:
            addressed = True
        code = message.from_user.language_code
        language = code[:2] if isinstance(code, str) and code else None
        return Incoming(
            channel=self.channel,
            chat=str(message.chat.id),
            sender=str(message.from_user.id),
            text=text,
            private=message.chat.type == "private",
            addressed=addressed,
            lang=language if language in ("fr", "en") else None,
        )

    async def send(self, out: Outgoing) -> None:
        """One answer, reminder or notice, as Telegram HTML."""
        await self.connector.post(out.chat, out.message.render("html"), silent=False)

    async def run(self, stop: asyncio.Event, *, backoff: float = 5.0) -> None:
        """Poll until ``stop``; a failing Telegram is retried after ``backoff`` seconds. With a
        webhook, wait for ``stop``: the updates come through :meth:`receive`."""
        await self.start()
        await self.drain()
        if self.connector.webhook_url and self._secret():
            await stop.wait()
            return
        while not stop.is_set():
            try:
                await self.poll_once()
            except (TelegramError, ConnectorError) as exc:
                log.warning("[%s] polling failed: %s", self.channel, exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), backoff)
