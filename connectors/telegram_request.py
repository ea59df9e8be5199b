"""How the Telegram connector reaches the Bot API: a small HTTP/1.1 client of its own.

Messages are sent by :meth:`BotApiTransport.call` (form fields in, the answer's ``result`` out,
:class:`ApiError` when the Bot API says no), without python-telegram-bot, whose import alone
costs about 0.1 s of every ``hub sync``; the library's other calls (the day messages' edits and
pins, the bots, ``hub check``) go through the same transport (:mod:`connectors.telegram_ptb`).

The HTTP protocol itself is h11's (the engine under httpx: request framing, content length or
chunked answers, keep-alive); around it, asyncio's streams and a pool of kept-alive
connections, nothing more. httpx's layers above h11 cost about 1.2 ms of CPU per request, which
was most of what an announcement to many chats spent; aiohttp costs as little per request as
this client (about a quarter of httpx's) but about 0.15 s to import in every ``hub sync``.

Like the hub's other HTTP clients (:mod:`connectors.http`): every request is counted under the
connector, waits for its turn at a hosting job's gate, and uses the process's shared TLS context
(no proxy: none was used before either). Nothing is retried here (a Bot API call is a POST:
sending it twice could post a message twice). A failure before any byte of the request left (no
connection, no free connection in time) is a :class:`RequestNotSent`, so the connector knows the
message surely did not go; any later failure (:class:`RequestUnanswered`) leaves its fate
unknown. The token, part of every URL, is never in an error's text nor in the log line of each
request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import ssl
import time
import urllib.parse
from typing import Any

import h11

from connectors.gate import wait_turn
from connectors.net import ssl_context
from sync.i18n import log_texts
from sync.protocol import RequestCounter

log = logging.getLogger(__name__)
LOG_TEXTS = log_texts({"HTTP request: %s %s %d": "Requête HTTP : %s %s %d"})
#: A bot token as it shows in a Bot API URL.
TOKEN = re.compile(r"\d{5,}:[\w-]{30,}")
#: What the hub's own requests say they are (python-telegram-bot's say the library's name).
USER_AGENT = "commons-hub"
#: Seconds an idle connection is kept for the next call: under what servers commonly allow
#: (uvicorn closes after 5 s), so that a connection the server may have dropped while the
#: process was busy (a long programme being rendered) is not written to.
KEEP_ALIVE = 2.0


class RequestFailed(ConnectionError):
    """A request that got no answer; ``timed_out`` when a timeout ended it."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class RequestNotSent(RequestFailed):
    """No byte of the request left: no connection could be made, or none was free in time."""


class RequestUnanswered(RequestFailed):
    """The request may have left, but no complete answer came back."""


#: Failures after which the request surely never reached Telegram.
NOT_SENT: tuple[type[BaseException], ...] = (RequestNotSent,)


class _Connection:
    __slots__ = ("idle_since", "protocol", "reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.protocol = h11.Connection(h11.CLIENT)
        self.idle_since = 0.0

    def reusable(self, now: float) -> bool:
        return (now - self.idle_since <= KEEP_ALIVE and not self.writer.is_closing()
                and not self.reader.at_eof() and self.protocol.our_state is h11.IDLE)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class HttpClient:
    """At most ``size`` requests at once, over kept-alive connections, one server or several."""

    def __init__(self, size: int, verify: Any = True) -> None:
        self.size = max(1, size)
        self.verify = verify
        self._slots: asyncio.Semaphore | None = None
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}

    async def request(
        self, method: str, url: str, body: bytes, headers: list[tuple[str, str]], *,
        connect: float | None, pool: float | None, read: float | None, write: float | None,
    ) -> tuple[int, bytes]:
        """Send one request; the answer's status and body."""
        parts = urllib.parse.urlsplit(url)
        https = parts.scheme == "https"
        host = parts.hostname or ""
        key = (parts.scheme, host, parts.port or (443 if https else 80))
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.size)
        try:
            async with asyncio.timeout(pool):
                await self._slots.acquire()
        except TimeoutError:
            raise RequestNotSent("pool timeout: every connection stayed busy", timed_out=True) from None
        try:
            conn = await self._connection(key, host, https, connect)
            done = False
            try:
                answer = await self._exchange(conn, method, target, parts.netloc, body, headers, read, write)
                done = True
            finally:
                protocol = conn.protocol
                if done and protocol.our_state is h11.DONE and protocol.their_state is h11.DONE:
                    protocol.start_next_cycle()
                    conn.idle_since = time.monotonic()
                    self._idle.setdefault(key, []).append(conn)
                else:
                    conn.close()
            return answer
        finally:
            self._slots.release()

    async def _connection(
        self, key: tuple[str, str, int], host: str, https: bool, connect: float | None
    ) -> _Connection:
        idle = self._idle.get(key, [])
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if conn.reusable(now):
                return conn
            conn.close()
        try:
            async with asyncio.timeout(connect):
                reader, writer = await asyncio.open_connection(
                    host, key[2], ssl=ssl_context(self.verify) if https else None,
                    server_hostname=host if https else None,
                )
        except TimeoutError:
            raise RequestNotSent(f"no connection to {host} within {connect} s", timed_out=True) from None
        except (OSError, ssl.SSLError) as exc:
            raise RequestNotSent(f"cannot connect to {host}: {exc}") from None
        return _Connection(reader, writer)

    async def _exchange(
        self, conn: _Connection, method: str, target: str, host: str, body: bytes,
        headers: list[tuple[str, str]], read: float | None, write: float | None,
    ) -> tuple[int, bytes]:
        protocol = conn.protocol
        head = [("Host", host), *headers, ("Content-Length", str(len(body)))]
        try:
            data = protocol.send(h11.Request(method=method, target=target, headers=head)) or b""
            data += (protocol.send(h11.Data(data=body)) or b"") if body else b""
            data += protocol.send(h11.EndOfMessage()) or b""
            conn.writer.write(data)
            async with asyncio.timeout(write):
                await conn.writer.drain()
            status, chunks = 0, []
            while True:
                event = protocol.next_event()
                if event is h11.NEED_DATA:
                    async with asyncio.timeout(read):
                        protocol.receive_data(await conn.reader.read(65536))
                elif isinstance(event, h11.Response):
                    status = event.status_code
                elif isinstance(event, h11.Data):
                    chunks.append(bytes(event.data))
                elif isinstance(event, h11.EndOfMessage):
                    return status, b"".join(chunks)
                elif isinstance(event, h11.ConnectionClosed):
                    raise RequestUnanswered("the server closed the connection before answering")
        except TimeoutError:
            raise RequestUnanswered(f"no answer within {read} s", timed_out=True) from None
        except (OSError, h11.ProtocolError) as exc:
            raise RequestUnanswered(f"{exc.__class__.__name__}: {exc}") from None

    async def close(self) -> None:
        idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()


class ApiError(Exception):
    """The Bot API's refusal: the HTTP status, its description and what it asks (``retry_after``
    seconds of pause, ``migrate_to`` the chat's new id)."""

    def __init__(self, status: int, description: str, *, retry_after: float | None = None,
                 migrate_to: int | None = None) -> None:
        super().__init__(description)
        self.status, self.description = status, description
        self.retry_after, self.migrate_to = retry_after, migrate_to


class BotApiTransport:
    """One connector's way to the Bot API: each request counted under ``name``, let through by
    a hosting job's gate, logged (INFO, the token masked), over :class:`HttpClient`."""

    def __init__(
        self, name: str, counter: RequestCounter, *, pool_size: int = 1, timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0, verify: Any = True,
    ) -> None:
        self.name = name
        self.counter = counter
        self.timeout = timeout
        self.pool_timeout = pool_timeout
        self.client = HttpClient(pool_size, verify)

    async def request(
        self, method: str, url: str, body: bytes, headers: list[tuple[str, str]], *,
        read: float | None, write: float | None, connect: float | None, pool: float | None,
    ) -> tuple[int, bytes]:
        await wait_turn(url, self.name)
        try:
            status, payload = await self.client.request(method, url, body, headers, connect=connect, pool=pool,
                                                        read=read, write=write)
        except RequestFailed:
            self.counter.add(self.name, 1, method, 0)
            raise
        self.counter.add(self.name, 1, method, status)
        if log.isEnabledFor(logging.INFO):  # each request, as httpx logs its own (the token masked)
            log.info("HTTP request: %s %s %d", method, TOKEN.sub("<token>", url), status)
        return status, payload

    async def call(self, url: str, fields: dict[str, Any]) -> Any:
        """POST a Bot API method (``url``) with ``fields`` as python-telegram-bot sends them (form
        fields, each value JSON unless a string); its ``result``, or :class:`ApiError`."""
        body = urllib.parse.urlencode(
            {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items() if v is not None}
        ).encode()
        status, payload = await self.request(
            "POST", url, body, [("Content-Type", "application/x-www-form-urlencoded"), ("User-Agent", USER_AGENT)],
            read=self.timeout, write=self.timeout, connect=self.timeout, pool=self.pool_timeout,
        )
        try:
            answer = json.loads(payload.decode("utf-8", "replace"))
        except ValueError:
            raise ApiError(status, "Invalid server response") from None
        if not isinstance(answer, dict):
            raise ApiError(status, "Invalid server response")
        if 200 <= status <= 299 and answer.get("ok", True):
            return answer.get("result")
        parameters = answer.get("parameters") or {}
        raise ApiError(status, str(answer.get("description") or f"HTTP {status}"),
                       retry_after=parameters.get("retry_after"), migrate_to=parameters.get("migrate_to_chat_id"))

    async def close(self) -> None:
        await self.client.close()

