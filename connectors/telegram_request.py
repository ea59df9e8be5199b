"""How the Telegram connector's bot reaches the Bot API: python-telegram-bot's request interface
(:class:`telegram.request.BaseRequest`) over a small HTTP/1.1 client of its own.

python-telegram-bot builds each call and reads each answer (its errors: ``RetryAfter``,
``Forbidden``, ``BadRequest``...); this module only carries the bytes. The HTTP protocol itself
is h11's (the engine httpx runs on: request framing, content length or chunked answers,
keep-alive); around it, asyncio's streams and a pool of kept-alive connections, nothing more.
httpx's layers above h11 cost about 1.2 ms of CPU per request, which was most of what an
announcement to many chats spent; aiohttp costs as little per request but about 0.15 s to
import in every ``hub sync``. This client costs about a quarter of httpx's per request.

Like the hub's other HTTP clients (:mod:`connectors.http`): every request is counted under the
connector, waits for its turn at a hosting job's gate, and uses the process's shared TLS context
(no proxy: none was used before either). Nothing is retried here (a Bot API call is a POST:
sending it twice could post a message twice). A failure before any byte of the request left (no
connection, no free connection in time) is raised with :class:`RequestNotSent` as its cause, so
the connector knows the message surely did not go; any later failure leaves its fate unknown.
The token, part of every URL, is never in an error's text nor in the log line of each request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
import time
import urllib.parse
import uuid
from typing import Any

import h11
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


class BotApiRequest(BaseRequest):
    """python-telegram-bot's requests over :class:`HttpClient` (``pool_size`` connections)."""

    __slots__ = ("_client", "_connect", "_counter", "_name", "_pool", "_read", "_write")

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
        self._read, self._write, self._connect, self._pool = read_timeout, write_timeout, connect_timeout, pool_timeout
        self._client = HttpClient(pool_size, verify)

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        """Nothing to do: connections are made at the first request."""

    async def shutdown(self) -> None:
        await self._client.close()

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
        body, headers = _encode(request_data)
        headers.append(("User-Agent", self.USER_AGENT))
        await wait_turn(url, self._name)
        try:
            status, payload = await self._client.request(
                method, url, body, headers,
                connect=self._connect if isinstance(connect_timeout, DefaultValue) else connect_timeout,
                pool=self._pool if isinstance(pool_timeout, DefaultValue) else pool_timeout,
                read=self._read if isinstance(read_timeout, DefaultValue) else read_timeout,
                write=self._write if isinstance(write_timeout, DefaultValue) else write_timeout,
            )
        except RequestFailed as exc:
            self._counter.add(self._name, 1, method, 0)
            reason = TOKEN.sub("<token>", str(exc))
            raise (TimedOut if exc.timed_out else NetworkError)(reason) from exc
        self._counter.add(self._name, 1, method, status)
        if log.isEnabledFor(logging.INFO):  # each request, as httpx logs its own (the token masked)
            log.info("HTTP request: %s %s %d", method, TOKEN.sub("<token>", url), status)
        return status, payload


def _encode(request_data: RequestData | None) -> tuple[bytes, list[tuple[str, str]]]:
    """The body as python-telegram-bot's httpx request sends it: form fields (each value JSON
    unless a string), as multipart when files go with them."""
    if request_data is None:
        return b"", []
    files = request_data.multipart_data
    fields = request_data.json_parameters
    if not files:
        return urllib.parse.urlencode(fields).encode(), [("Content-Type", "application/x-www-form-urlencoded")]
    boundary = uuid.uuid4().hex
    out = bytearray()
    for name, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    for name, (filename, content, mime) in files.items():
        data = content if isinstance(content, bytes) else content.read()
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {mime}\r\n\r\n").encode()
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), [("Content-Type", f"multipart/form-data; boundary={boundary}")]
