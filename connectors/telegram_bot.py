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
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
from collections.abc import Mapping
from typing import Any, Protocol

from telegram import Bot, Update
from telegram.error import TelegramError

from sync.chat import Inbox, Incoming, Outgoing, Responder, drain_inbox
from sync.errors import ConnectorError
from sync.i18n import log_texts


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

    async def start(self) -> None:
        await self.connector.open()
        await self.connector.bot.initialize()  # getMe: the bot's id and @username, for mentions
        url, secret = self.connector.webhook_url, self._secret()
        if url and secret:
            if not SECRET_TOKEN.match(secret):
                raise ConnectorError("webhook_secret: Telegram accepts 1 to 256 letters, digits, _ and - only",
                                     connector=self.channel)
            await self.connector.bot.set_webhook(url, secret_token=secret, allowed_updates=["message"])
            return
        # long polling and a webhook exclude each other: polling here means no webhook
        await self.connector.bot.delete_webhook(drop_pending_updates=False)

    async def receive(self, headers: Mapping[str, str], body: bytes) -> int:
        """One update pushed by Telegram: 403 without the right secret token, 400 when it is
        not an update; else kept in the inbox, handled, and 200."""
        secret = self._secret()
        given = headers.get("x-telegram-bot-api-secret-token", "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            return 403
        if headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return 403
        try:
            payload = json.loads(body)
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
