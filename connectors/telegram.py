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

Messages go out through the connector's own transport (:mod:`connectors.telegram_request`);
python-telegram-bot is imported only for what needs it (the day messages' edits and pins, the
bots, ``hub check``), so a run that only announces never loads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from connectors.chat_base import ChatConnector
from connectors.chat_board import Pacer, Posted, digest
from connectors.chat_render import say
from connectors.telegram_config import TelegramConfig
from connectors.telegram_request import NOT_SENT, ApiError, BotApiTransport, RequestFailed
from sync.announce import Format
from sync.chat import ChannelPolicy, Inbox, Responder
from sync.errors import AuthError, ConfigError, ConnectorError, DeliveryUnknown, PermanentError, TransientError
from sync.protocol import (
    ConnectorContext,
)

if TYPE_CHECKING:
    from telegram import Bot

    from connectors.telegram_bot import ChatWebhook, TelegramFrontend

log = logging.getLogger(__name__)
T = TypeVar("T")
#: Link previews off (``link_preview_options``), as every message the hub sends.
NO_PREVIEW = {"is_disabled": True}


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
        self._token: str | None = None
        self._base = ""
        self._ready = False
        self._refused: AuthError | None = None
        self._transports: tuple[BotApiTransport, ...] = ()
        self._proving = asyncio.Lock()
        super().__init__(name, config, ctx)

    # lifecycle -----------------------------------------------------------------------------
    async def open(self) -> None:
        if self._token is not None:
            return
        token = self.secret("token")
        if not token:
            raise ConfigError(say("chat.token_missing", self.lang, name=self.name))
        _hide_token_in_logs()
        self._base = self.config.api_url.rstrip("/").removesuffix("/bot")
        self._transports = tuple(  # messages and the day messages' calls; getUpdates' long polls
            BotApiTransport(self.name, self.ctx.counter, pool_size=size, timeout=self.timeout)
            for size in (self.parallel_chats, 1)  # one connection per chat written at once
        )
        self._token = token  # getMe waits for the first call that needs it: a no-op run costs nothing

    async def close(self) -> None:
        if self._token is None:
            return
        bot, self._bot, self._token = self._bot, None, None
        self._ready = False
        if bot is not None:
            from telegram.error import TelegramError

            with contextlib.suppress(TelegramError):
                await bot.shutdown()
        # A bot never initialised (or never made: a run that only announced) leaves them open.
        transports, self._transports = self._transports, ()
        for transport in transports:
            await transport.close()

    @property
    def bot(self) -> Bot:
        """python-telegram-bot's bot over the connector's transport, made (and the library
        imported) at first use."""
        if self._token is None:
            raise RuntimeError("open() first")
        if self._bot is None:
            from telegram import Bot

            from connectors.telegram_ptb import TransportRequest

            _hide_token_in_logs()  # the library's loggers exist now
            self._bot = Bot(
                self._token,
                base_url=f"{self._base}/bot",
                base_file_url=f"{self._base}/file/bot",
                request=TransportRequest(self._transports[0]),
                get_updates_request=TransportRequest(self._transports[1]),
            )
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
        from connectors.telegram_bot import TelegramFrontend

        return TelegramFrontend(self, responder, inbox)

    @classmethod
    def chat_webhook(cls, config: TelegramConfig, base_dir: Path, lang: str) -> ChatWebhook | None:
        """The webhook, from the section's configuration alone (a hosting deployment's web front
        checks requests with it, then queues them for a worker's :meth:`chat_frontend`)."""
        from connectors.telegram_bot import telegram_webhook

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
            from telegram import LinkPreviewOptions

            return await self.bot.edit_message_text(
                text,
                chat_id=_chat_id(target),
                message_id=int(old.id),
                parse_mode="HTML",
                link_preview_options=LinkPreviewOptions(is_disabled=True),
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

        Sent as python-telegram-bot's ``send_message`` would send it (the same fields), on the
        connector's transport, its answer read for these two fields only: the library's import
        and its ``Message`` object cost more than the request. Nor does it wait for ``getMe``: a
        refused token answers this call as it would that one.
        """
        await self.open()
        fields = {"chat_id": _chat_id(target), "text": text, "parse_mode": "HTML",
                  "disable_notification": silent, "link_preview_options": NO_PREVIEW}
        url = f"{self._base}/bot{self._token}/sendMessage"
        transport = self._transports[0]
        result = await self._call(target, lambda: transport.call(url, fields), sending=True, prove=False)
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
                    except Exception as exc:
                        error = self._error(exc, None, sending=False)
                        if error is None:
                            raise
                        raise self._refusing(error) from None
                    self._ready = True
        key = target or ""
        group = target is None or not target.lstrip("-").isdigit() or int(target) < 0
        for _attempt in range(8):
            async with self.pacer.lock(key):
                await self.pacer.wait(key, group, self.name)
                try:
                    return await make()
                except Exception as exc:
                    seconds = _retry_after(exc)
                    if seconds is None:
                        error = self._error(exc, target, sending)
                        if error is None:
                            raise  # not the Bot API's nor the network's: a bug, said as such
                        raise self._refusing(error) from None
                    self.pacer.pause(key, seconds)
                    log.info("[%s] chat %s rate limited for %.0f s", self.name, key, seconds)
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

    def _error(self, exc: Exception, target: str | None, sending: bool) -> ConnectorError | None:
        """The hub's error for a failed call: the Bot API's refusal or a network failure, from the
        connector's transport or from python-telegram-bot; None for anything else."""
        if isinstance(exc, ApiError | RequestFailed):
            return self._refusal(_api_kind(exc), _message(exc), exc, target, sending)
        if type(exc).__module__.split(".")[0] != "telegram":
            return None
        from telegram.error import (
            BadRequest,
            ChatMigrated,
            Forbidden,
            InvalidToken,
            NetworkError,
            TelegramError,
            TimedOut,
        )

        if not isinstance(exc, TelegramError):
            return None
        kind = ("token" if isinstance(exc, InvalidToken) else "forbidden" if isinstance(exc, Forbidden)
                else "migrated" if isinstance(exc, ChatMigrated) else "bad" if isinstance(exc, BadRequest)
                else "network" if isinstance(exc, TimedOut | NetworkError) else "other")
        return self._refusal(kind, exc.message, exc, target, sending)

    def _refusal(
        self, kind: str, message: str, exc: BaseException, target: str | None, sending: bool
    ) -> ConnectorError:
        where = f"chat {target}: " if target else ""
        if kind == "token":
            return AuthError(say("chat.token_refused", self.lang), connector=self.name)
        if kind == "forbidden":
            return PermanentError(say("chat.forbidden", self.lang, target=target, reason=message), connector=self.name)
        if kind == "migrated":
            new = exc.migrate_to if isinstance(exc, ApiError) else getattr(exc, "new_chat_id", None)
            return PermanentError(say("chat.migrated", self.lang, target=target, new=new), connector=self.name)
        if kind == "network":
            cause = exc if isinstance(exc, RequestFailed) else exc.__cause__
            if not sending or cause is None or isinstance(cause, NOT_SENT) or "Pool timeout" in message:
                return TransientError(
                    say("chat.unreachable", self.lang, target=target or "Telegram", reason=message),
                    connector=self.name,
                )
            return DeliveryUnknown(say("chat.unknown_fate", self.lang, target=target), connector=self.name)
        return PermanentError(f"{where}{message}", connector=self.name)


def _api_kind(exc: ApiError | RequestFailed) -> str:
    """What python-telegram-bot would have raised (its ``_request_wrapper``), as a kind."""
    if isinstance(exc, RequestFailed):
        return "network"
    if exc.migrate_to:
        return "migrated"
    if exc.status in (401, 404):
        return "token"
    if 200 <= exc.status <= 299:
        return "other"  # a success that is not the Bot API's answer
    return {403: "forbidden", 400: "bad", 409: "other"}.get(exc.status, "network")


def _message(exc: ApiError | RequestFailed) -> str:
    return exc.description if isinstance(exc, ApiError) else str(exc)


def _retry_after(exc: Exception) -> float | None:
    """The pause a 429 asks for (seconds), from either way of calling the Bot API; else None."""
    if isinstance(exc, ApiError):
        return float(exc.retry_after) if exc.retry_after and not exc.migrate_to else None
    if type(exc).__module__.split(".")[0] != "telegram":
        return None
    from telegram.error import RetryAfter

    if not isinstance(exc, RetryAfter):
        return None
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _bind(call: Callable[[int | str], Awaitable[T]], chat: int | str) -> Callable[[], Awaitable[T]]:
    return lambda: call(chat)


def _chat_id(target: str) -> int | str:
    return int(target) if target.lstrip("-").isdigit() else target
