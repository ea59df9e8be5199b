"""Telegram: announcements and a pinned programme in each configured chat (python-telegram-bot).

The bot speaks to the Bot API at ``api_url`` (the public one by default; a self-hosted Bot API
server, or a test server, otherwise). It only ever writes to the chats listed in ``chats``.

- ``announce(chat, announcement)``: the announcement as Telegram HTML (user text escaped), split
  at 4096 characters; one call sends it once and returns the message id(s).
- ``apply(ops, programme)``: the pinned "programme du jour" (:mod:`connectors.chat_board`):
  each day's message is edited in place (``editMessageText``), the current day is pinned.

Rate limits are per chat: a 429 ``retry_after`` pauses that chat only (slept when short,
raised as :class:`TransientError` when longer than ``max_wait`` so the engine defers that
chat's work), and every chat is paced (``pace_seconds`` apart, ``group_per_minute`` in groups).
An announcement goes to up to ``parallel_chats`` chats at once (8; each chat's messages in their
order), never more than ``overall_per_second`` messages a second over all chats (30, Telegram's
bulk limit).
A send whose fate is unknown (the connection broke after the request left) is never retried
here: it is reported so that nobody gets the same announcement twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from connectors.chat_base import ChatConnector
from connectors.chat_board import Pacer, Posted, digest
from connectors.chat_render import say
from connectors.telegram_bot import ChatWebhook, TelegramFrontend, telegram_webhook
from connectors.telegram_config import TelegramConfig
from connectors.telegram_request import NOT_SENT, BotApiRequest
from sync.announce import Format
from sync.chat import ChannelPolicy, Inbox, Responder
from sync.errors import AuthError, ConfigError, ConnectorError, DeliveryUnknown, PermanentError, TransientError
from sync.protocol import (
    ConnectorContext,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class _HideToken(logging.Filter):
    """httpx (INFO) and python-telegram-bot (DEBUG) log Bot API URLs, which carry the token."""

    pattern = re.compile(r"\d{5,}:[\w-]{30,}")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.pattern.search(message):
            record.msg, record.args = self.pattern.sub("<token>", message), None
        return True


def _hide_token_in_logs() -> None:
    """Filters sit on loggers, not on their children: put one on each library logger."""
    names = [n for n in logging.Logger.manager.loggerDict if n.split(".")[0] in ("telegram", "httpx")]
    for name in ["httpx", "httpcore", "telegram", *names]:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _HideToken) for f in logger.filters):
            logger.addFilter(_HideToken())




class TelegramConnector(ChatConnector[TelegramConfig]):
    """Announcements and the pinned programme on Telegram."""

    type = "telegram"
    config_model = TelegramConfig
    fmt: Format = "html"
    limit = 4096

    def __init__(self, name: str, config: TelegramConfig, ctx: ConnectorContext) -> None:
        self.pacer = Pacer(config.pace_seconds, config.group_per_minute, config.max_wait,
                           per_second=config.overall_per_second)
        self.parallel_chats = config.parallel_chats
        self._bot: Bot | None = None
        self._ready = False
        self._refused: AuthError | None = None
        self._requests: tuple[BotApiRequest, ...] = ()
        self._proving = asyncio.Lock()
        super().__init__(name, config, ctx)

    # lifecycle -----------------------------------------------------------------------------
    async def open(self) -> None:
        if self._bot is not None:
            return
        token = self.secret("token")
        if not token:
            raise ConfigError(say("chat.token_missing", self.lang, name=self.name))

        def request() -> BotApiRequest:
            return BotApiRequest(
                self.name,
                self.ctx.counter,
                pool_size=self.parallel_chats,  # one connection per chat written at once
                read_timeout=self.timeout,
                write_timeout=self.timeout,
                connect_timeout=self.timeout,
            )

        _hide_token_in_logs()
        base = self.config.api_url.rstrip("/").removesuffix("/bot")
        self._requests = (request(), request())
        bot = Bot(
            token,
            base_url=f"{base}/bot",
            base_file_url=f"{base}/file/bot",
            request=self._requests[0],
            get_updates_request=self._requests[1],
        )
        self._bot = bot  # getMe waits for the first real call: a no-op run costs nothing

    async def close(self) -> None:
        if self._bot is not None:
            bot, self._bot = self._bot, None
            self._ready = False
            with contextlib.suppress(TelegramError):
                await bot.shutdown()
            # A bot never initialised (a run that only announced) leaves its requests open.
            requests, self._requests = self._requests, ()
            for request in requests:
                await request.shutdown()

    @property
    def bot(self) -> Bot:
        if self._bot is None:
            raise RuntimeError("open() first")
        return self._bot

    async def check(self) -> list[str]:
        await self.open()
        await self._call(None, self.bot.get_me, sending=False)
        proved = [say("check.telegram.bot", self.lang, bot=self.bot.username, url=self.config.api_url)]
        for target in self.targets():
            chat = await self._call(target, _bind(self.bot.get_chat, _chat_id(target)), sending=False)
            proved.append(say("check.chat", self.lang, target=target, title=chat.title or chat.type))
        return proved

    # announcements ---------------------------------------------------------------------------
    def targets(self) -> list[str]:
        return [str(chat) for chat in self.config.chats]

    async def send_part(self, target: str, text: str) -> str:
        message_id, _date = await self._send(target, text, silent=False)
        return message_id

    # the bots ----------------------------------------------------------------------------------
    @property
    def webhook_url(self) -> str | None:
        """Where Telegram pushes updates (the daemon's /webhooks/telegram), or None: polled."""
        return self.config.webhook_url

    def chat_frontend(self, responder: Responder, inbox: Inbox) -> TelegramFrontend:
        return TelegramFrontend(self, responder, inbox)

    @classmethod
    def chat_webhook(cls, config: TelegramConfig, base_dir: Path, lang: str) -> ChatWebhook | None:
        """The webhook, from the section's configuration alone (a hosting deployment's web front
        checks requests with it, then queues them for a worker's :meth:`chat_frontend`)."""
        return telegram_webhook(config, base_dir, lang)

    def chat_policy(self) -> ChannelPolicy:
        """The chats and admins configured for this connector."""
        return ChannelPolicy(
            chats=frozenset(self.targets()),
            admins=frozenset(str(admin) for admin in self.config.admins),
            language=self.config.language,
        )

    # the pinned programme: the board's platform ---------------------------------------------
    async def post(self, target: str, text: str, *, silent: bool) -> Posted:
        message_id, date = await self._send(target, text, silent=silent)
        return Posted(message_id, date, digest(text))

    async def revise(self, target: str, old: Posted, text: str) -> Posted:
        async def edit() -> object:
            return await self.bot.edit_message_text(
                text,
                chat_id=_chat_id(target),
                message_id=int(old.id),
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
            )

        try:
            await self._call(target, edit, sending=False)
        except PermanentError as exc:
            reason = str(exc).lower()
            if "not modified" in reason:
                return Posted(old.id, old.sent_at, digest(text))
            if "not found" in reason or "can't be edited" in reason:
                return await self.post(target, text, silent=True)  # deleted by a person: replace
            raise
        return Posted(old.id, old.sent_at, digest(text))

    async def retire(self, target: str, old: Posted) -> None:
        try:
            await self._call(
                target,
                lambda: self.bot.delete_message(_chat_id(target), int(old.id)),
                sending=False,
            )
        except PermanentError as exc:
            if "not found" not in str(exc).lower():
                raise

    async def pin(self, target: str, posted: Posted) -> None:
        try:
            await self._call(
                target,
                lambda: self.bot.pin_chat_message(_chat_id(target), int(posted.id), disable_notification=True),
                sending=False,
            )
        except PermanentError as exc:
            log.warning("[%s] cannot pin the programme in chat %s: %s", self.name, target, exc)

    # calls -----------------------------------------------------------------------------------
    async def _send(self, target: str, text: str, *, silent: bool) -> tuple[str, float]:
        """``sendMessage``: the new message's id and date (unix seconds).

        The request goes through the bot's request object as python-telegram-bot's own
        ``send_message`` would send it (same parameters, same errors), but its answer is read for
        these two fields only: building the library's ``Message`` cost about as much CPU as the
        request itself. Nor does it wait for ``getMe``: a refused token answers this call as it
        would that one.
        """
        parameters = RequestData([
            RequestParameter.from_input(name, value)
            for name, value in (("chat_id", _chat_id(target)), ("text", text), ("parse_mode", ParseMode.HTML),
                                ("disable_notification", silent), ("link_preview_options", NO_PREVIEW))
        ])
        bot = self.bot
        url = f"{bot.base_url}/sendMessage"
        result = await self._call(target, lambda: bot.request.post(url, parameters), sending=True, prove=False)
        if not isinstance(result, dict) or "message_id" not in result:  # an answer, but not about a message
            raise DeliveryUnknown(say("chat.unknown_fate", self.lang, target=target), connector=self.name)
        return str(result["message_id"]), float(result.get("date") or 0)

    async def _call(
        self, target: str | None, make: Callable[[], Awaitable[T]], *, sending: bool, prove: bool = True
    ) -> T:
        """One Bot API call in ``target``'s turn; 429 pauses that chat, then the call is retried
        (a 429 means Telegram did not carry it out). With ``prove``, the bot is initialised first
        (``getMe``, once per run: python-telegram-bot's methods need the bot's own user)."""
        if self._refused is not None:
            # The token was refused this run: no more requests with it.
            raise AuthError(self._refused.args[0], connector=self.name)
        if prove and not self._ready:
            async with self._proving:  # chats written at once wait for the one getMe
                if not self._ready:
                    try:
                        await self.bot.initialize()  # getMe: proves the token once per run
                    except TelegramError as exc:
                        raise self._refusing(self._error(exc, None, sending=False)) from None
                    self._ready = True
        key = target or ""
        group = target is None or not target.lstrip("-").isdigit() or int(target) < 0
        for _attempt in range(8):
            async with self.pacer.lock(key):
                await self.pacer.wait(key, group, self.name)
                try:
                    return await make()
                except RetryAfter as exc:
                    value = exc.retry_after
                    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
                    self.pacer.pause(key, seconds)
                    log.info("[%s] chat %s rate limited for %.0f s", self.name, key, seconds)
                except TelegramError as exc:
                    raise self._refusing(self._error(exc, target, sending)) from None
        raise TransientError(
            f"chat {key} keeps being rate limited",
            connector=self.name,
            retry_after=self.pacer.paused_for(key),
        )

    def _refusing(self, error: ConnectorError) -> ConnectorError:
        """Remember a refused token: the chats still to write this run fail at once, without
        each sending a request Telegram will refuse."""
        if isinstance(error, AuthError):
            self._refused = error
        return error

    def _error(self, exc: TelegramError, target: str | None, sending: bool) -> ConnectorError:
        where = f"chat {target}: " if target else ""
        if isinstance(exc, InvalidToken):
            return AuthError(say("chat.token_refused", self.lang), connector=self.name)
        if isinstance(exc, Forbidden):
            return PermanentError(
                say("chat.forbidden", self.lang, target=target, reason=exc.message),
                connector=self.name,
            )
        if isinstance(exc, ChatMigrated):
            return PermanentError(
                say("chat.migrated", self.lang, target=target, new=exc.new_chat_id),
                connector=self.name,
            )
        if isinstance(exc, BadRequest):
            return PermanentError(f"{where}{exc.message}", connector=self.name)
        if isinstance(exc, TimedOut | NetworkError):
            cause = exc.__cause__
            if not sending or cause is None or isinstance(cause, NOT_SENT) or "Pool timeout" in exc.message:
                return TransientError(
                    say("chat.unreachable", self.lang, target=target or "Telegram", reason=exc.message),
                    connector=self.name,
                )
            return DeliveryUnknown(say("chat.unknown_fate", self.lang, target=target), connector=self.name)
        return PermanentError(f"{where}{exc.message}", connector=self.name)


def _bind(call: Callable[[int | str], Awaitable[T]], chat: int | str) -> Callable[[], Awaitable[T]]:
    return lambda: call(chat)


def _chat_id(target: str) -> int | str:
    return int(target) if target.lstrip("-").isdigit() else target
