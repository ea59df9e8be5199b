"""How the Telegram connector's bot reaches the Bot API: python-telegram-bot's request interface
(:class:`telegram.request.BaseRequest`) over aiohttp.

python-telegram-bot builds each call and reads each answer (its errors: ``RetryAfter``,
``Forbidden``, ``BadRequest``...); this class only carries the bytes. aiohttp's client costs a
fraction of httpx's per request (its HTTP parser is compiled), which is most of what an
announcement to many chats spends once the messages are written.

Like the hub's other HTTP clients (:mod:`connectors.http`): every request is counted under the
connector, waits for its turn at a hosting job's gate, and uses the process's shared TLS
context. Nothing is retried here (a Bot API call is a POST: sending it twice could post a
message twice). A failure before the request could leave (no connection, no free connection in
time) is raised with aiohttp's connection error as its cause, so the connector knows the message
surely did not go; any later failure leaves its fate unknown. The token, part of every URL, is
never in an error's text nor in the log line each request writes (INFO, as httpx's).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from connectors.gate import wait_turn
from connectors.http import ssl_context
from sync.i18n import log_texts
from sync.protocol import RequestCounter

log = logging.getLogger(__name__)
LOG_TEXTS = log_texts({"HTTP request: %s %s %d": "Requête HTTP : %s %s %d"})
#: A bot token as it shows in a Bot API URL.
TOKEN = re.compile(r"\d{5,}:[\w-]{30,}")
#: Seconds an idle connection is kept for the next call: under what servers commonly allow (uvicorn
#: closes after 5 s), so that a connection the server dropped while the process was busy (a long
#: programme being rendered) is never written to. aiohttp, unlike httpx, does not look at the
#: socket before reusing it, and a write that fails then could not say whether a message went.
KEEP_ALIVE = 2.0
#: Failures after which the request surely never reached Telegram (no connection was made, or
#: none was free in time).
NOT_SENT: tuple[type[BaseException], ...] = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)


class AiohttpRequest(BaseRequest):
    """python-telegram-bot's requests over one aiohttp session (``pool_size`` connections)."""

    __slots__ = ("_connect", "_counter", "_name", "_pool", "_pool_size", "_read", "_session", "_verify", "_write")

    def __init__(
        self,
        name: str,
        counter: RequestCounter,
        *,
        pool_size: int = 1,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        verify: Any = True,
    ) -> None:
        self._name = name
        self._counter = counter
        self._pool_size = max(1, pool_size)
        self._read, self._write, self._connect, self._pool = read_timeout, write_timeout, connect_timeout, pool_timeout
        self._verify = verify
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ssl=ssl_context(self._verify),
                                             keepalive_timeout=KEEP_ALIVE)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            await self.initialize()
        assert self._session is not None
        read = self._read if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool if isinstance(pool_timeout, DefaultValue) else pool_timeout
        # aiohttp's ``connect`` covers waiting for a free connection and making one; it has no
        # write timeout (a Bot API call's body is small: the read timeout covers a stalled server).
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        data: Any = None
        if request_data is not None:
            files = request_data.multipart_data
            if files:
                form = aiohttp.FormData()
                for key, value in request_data.json_parameters.items():
                    form.add_field(key, value)
                for key, (filename, content, mime) in files.items():
                    form.add_field(key, content, filename=filename, content_type=mime)
                data = form
            else:
                data = request_data.json_parameters  # form-encoded, as python-telegram-bot sends it
        await wait_turn(url, self._name)
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as response:
                payload = await response.read()
        except aiohttp.ClientError as exc:
            self._counter.add(self._name, 1, method, 0)
            reason = TOKEN.sub("<token>", f"aiohttp.{exc.__class__.__name__}: {exc}")
            if isinstance(exc, aiohttp.ServerTimeoutError):
                raise TimedOut(reason) from exc
            raise NetworkError(reason) from exc
        except TimeoutError as exc:
            self._counter.add(self._name, 1, method, 0)
            raise TimedOut from exc
        self._counter.add(self._name, 1, method, response.status)
        if log.isEnabledFor(logging.INFO):  # each request, as httpx logs its own (the token masked)
            log.info("HTTP request: %s %s %d", method, TOKEN.sub("<token>", url), response.status)
        return response.status, payload
