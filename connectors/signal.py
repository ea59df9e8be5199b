"""Signal: announcements and a programme message per day in each configured group.

Built on signalbot's client for signal-cli-rest-api (``json-rpc`` mode, >= 0.101): the same
requests and the same strict answer parsing as a signalbot bot, without its event loop.

- ``announce(group, announcement)``: plain text, split at ``limit`` characters; returns the
  message timestamp(s), Signal's message ids.
- ``apply(ops, programme)``: the day messages (:mod:`connectors.chat_board`). Signal lets a
  sender edit a message for a limited time (``edit_window_hours``, 24 h); inside it the day
  message is edited, after it a new message is posted. Signal has no pinning for bots here.

Signal answers 429 when it rate-limits an account, usually with a CAPTCHA challenge. Sending
more only makes it worse, so the connector's breaker opens (:class:`BreakerOpen`) and stays open
until a person solves the challenge and runs ``hub connector reset <name>``. A group send that
reaches some members but not others succeeds (members who got it must not get it twice); the
failures are logged per reason, and a rate-limit reason among them opens the breaker too.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from urllib.parse import urlsplit

import aiohttp
from pydantic import ValidationError
from signalbot._client import ConnectionMode, SignalAPI, SignalAPIError
from signalbot._generated import RemoteDeleteRequest, SendMessageV2, TextMode
from signalbot.auth import Authentication, BasicAuthentication

from connectors.chat_base import ChatConnector
from connectors.chat_board import Pacer, Posted, digest
from connectors.chat_render import say
from connectors.http import error_for_status, retry_after_seconds
from connectors.signal_bot import SignalFrontend
from connectors.signal_config import SignalConfig
from sync.announce import Format
from sync.chat import ChannelPolicy, Inbox, Responder
from sync.errors import (
    BreakerOpen,
    ConfigError,
    ConnectorError,
    DeliveryUnknown,
    PermanentError,
    TransientError,
)
from sync.protocol import (
    ConnectorContext,
)

log = logging.getLogger(__name__)
MIN_VERSION = (0, 101)
_RATE_LIMIT_WORDS = ("rate", "proof", "captcha", "challenge")




class SignalConnector(ChatConnector[SignalConfig]):
    """Announcements and day messages on Signal groups."""

    type = "signal"
    config_model = SignalConfig
    fmt: Format = "text"

    def __init__(self, name: str, config: SignalConfig, ctx: ConnectorContext) -> None:
        self.limit = config.limit
        self.pacer = Pacer(config.pace_seconds, config.per_minute, config.max_wait)
        self.clock = time.time
        self._api: SignalAPI | None = None
        self._tripped: str | None = None
        super().__init__(name, config, ctx)

    # lifecycle -----------------------------------------------------------------------------
    async def open(self) -> None:
        if self._api is not None:
            return
        parts = urlsplit(self.config.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"connectors.{self.name}.url: expected http(s)://host:port")
        mode = ConnectionMode.HTTPS_ONLY if parts.scheme == "https" else ConnectionMode.HTTP_ONLY
        auth: Authentication | None = None
        if self.config.username:
            auth = BasicAuthentication(self.config.username, self.secret("password") or "")
        api = SignalAPI(parts.netloc, self.config.number, auth, connection_mode=mode, download_attachments=False)
        # signalbot's session is aiohttp's default (5 minutes in all, no connect limit): give it
        # the hub's timeout for connecting and for each read, made here since open() runs in the loop.
        api._sessions._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, connect=self.timeout, sock_read=self.timeout)
        )
        self._api = api

    async def close(self) -> None:
        if self._api is not None:
            api, self._api = self._api, None
            await api.close()

    @property
    def api(self) -> SignalAPI:
        if self._api is None:
            raise RuntimeError("open() first")
        return self._api

    async def check(self) -> list[str]:
        await self.open()
        try:
            self.ctx.count_request()
            about = await self.api.general.about()
            self.ctx.count_request()
            groups = {g.id: g.name for g in await self.api.groups.get_all()}
        except SignalAPIError as exc:
            raise self._error(exc, None, sending=False) from None
        if about.mode != "json-rpc":
            raise ConfigError(say("check.signal.mode", self.lang, name=self.name, mode=about.mode))
        if about.version != "unset" and _version(about.version) < MIN_VERSION:
            raise ConfigError(say("check.signal.old", self.lang, name=self.name, version=about.version))
        proved = [say("check.signal.api", self.lang, version=about.version, url=self.config.url)]
        for group in self.config.groups:
            if group not in groups:
                raise ConfigError(say("check.signal.group", self.lang, name=self.name, group=group))
            proved.append(say("check.chat", self.lang, target=group, title=groups[group]))
        return proved

    # announcements ---------------------------------------------------------------------------
    def targets(self) -> list[str]:
        return list(self.config.groups)

    async def send_part(self, target: str, text: str) -> str:
        return str(await self._send(target, text))

    # the bots ----------------------------------------------------------------------------------
    def chat_frontend(self, responder: Responder, inbox: Inbox) -> SignalFrontend:
        return SignalFrontend(self, responder, inbox)

    def chat_policy(self) -> ChannelPolicy:
        """The groups and admins (numbers or UUIDs) configured for this connector."""
        return ChannelPolicy(
            chats=frozenset(self.targets()), admins=frozenset(self.config.admins), language=self.config.language
        )

    # day messages: the board's platform -----------------------------------------------------
    async def post(self, target: str, text: str, *, silent: bool) -> Posted:
        stamp = await self._send(target, text)
        return Posted(str(stamp), stamp / 1000, digest(text))

    async def revise(self, target: str, old: Posted, text: str) -> Posted:
        if self.clock() - old.sent_at < self.config.edit_window_hours * 3600:
            await self._send(target, text, edit=int(old.id))
            return Posted(old.id, old.sent_at, digest(text))
        return await self.post(target, text, silent=True)  # too old to edit: a new message

    async def retire(self, target: str, old: Posted) -> None:
        if self.clock() - old.sent_at >= self.config.edit_window_hours * 3600:
            return  # too old to delete for everyone
        self._check_breaker()
        try:
            self.ctx.count_request()
            await self.api.messages.remote_delete(RemoteDeleteRequest(recipient=target, timestamp=int(old.id)))
        except SignalAPIError as exc:
            raise self._error(exc, target, sending=False) from None

    async def pin(self, target: str, posted: Posted) -> None:
        """signal-cli-rest-api's pinning is not in signalbot's client: the day message stays
        the latest one the hub posted instead."""

    # calls -----------------------------------------------------------------------------------
    def _check_breaker(self) -> None:
        if self._tripped:
            raise BreakerOpen(self._tripped, connector=self.name)

    async def _send(self, target: str, text: str, edit: int | None = None) -> int:
        """One ``/v2/send`` to one group; the message timestamp."""
        self._check_breaker()
        request = SendMessageV2(
            message=text,
            number=self.config.number,
            recipients=[target],
            text_mode=TextMode.NORMAL,
            edit_timestamp=edit,
        )
        async with self.pacer.lock(target):
            await self.pacer.wait(target, True, self.name)
            try:
                self.ctx.count_request()
                answers = await self.api.messages.send(request)
            except SignalAPIError as exc:
                raise self._error(exc, target, sending=True) from None
            except aiohttp.ClientPayloadError:
                # signalbot reads the answer's body outside its own error wrapping: a cut there
                # means the send went out and only its answer was lost.
                raise self._delivery_unknown(target) from None
            except ValidationError:
                raise PermanentError(
                    f"group {target}: unexpected answer from signal-cli-rest-api (is it 0.101 or newer?)",
                    connector=self.name,
                ) from None
        if len(answers) != 1:
            raise PermanentError(f"group {target}: {len(answers)} answers to one send", connector=self.name)
        answer = answers[0]
        failed = answer.errors.recipients if answer.errors and answer.errors.recipients else []
        if failed:
            reasons = Counter((f.reason or "unknown reason") for f in failed)
            summary = ", ".join(f"{n} × {reason}" for reason, n in sorted(reasons.items()))
            log.warning(
                "[%s] group %s: %d member(s) did not get the message (%s)",
                self.name,
                target,
                len(failed),
                summary,
            )
            if any(word in summary.lower() for word in _RATE_LIMIT_WORDS):
                self._tripped = say("signal.held", self.lang, detail=summary, name=self.name)
        return int(answer.timestamp)

    def _error(self, exc: SignalAPIError, target: str | None, sending: bool) -> ConnectorError:
        where = f"group {target}: " if target else ""
        cause = exc.__cause__
        if isinstance(cause, aiohttp.ClientResponseError):
            status = cause.status
            if status == 429:  # a rate limit with a CAPTCHA: sending more only makes it worse
                self._tripped = say("signal.held", self.lang, detail="429", name=self.name)
                return BreakerOpen(self._tripped, connector=self.name)
            after = retry_after_seconds(cause.headers) if cause.headers else None
            # No conditional writes here: a 404 is a refusal, not "changed since read".
            return error_for_status(status, f"{where}signal-cli-rest-api answered {status}",
                                    connector=self.name, retry_after=after, conditional=False)
        if not sending or isinstance(cause, aiohttp.ClientConnectorError):
            return TransientError(f"{where}cannot reach signal-cli-rest-api", connector=self.name)
        return self._delivery_unknown(target)

    def _delivery_unknown(self, target: str | None) -> DeliveryUnknown:
        where = f"group {target}: " if target else ""
        return DeliveryUnknown(
            f"{where}delivery unknown: the connection broke after sending (not resent, to avoid a duplicate)",
            connector=self.name,
        )

    @property
    def breaker(self) -> str | None:
        """Why the connector is held, if it is."""
        return self._tripped


def _version(text: str) -> tuple[int, ...]:
    numbers = []
    for piece in text.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        numbers.append(int(digits or 0))
    return tuple(numbers)
