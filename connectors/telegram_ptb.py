"""python-telegram-bot over the connector's own transport: the library's request interface
(:class:`telegram.request.BaseRequest`) carried by :class:`connectors.telegram_request.BotApiTransport`.

python-telegram-bot builds each call and reads each answer (its errors: ``RetryAfter``,
``Forbidden``, ``BadRequest``...); the transport carries the bytes, counted and gated as the
connector's own messages are. Imported when the library is first needed (the day messages,
the bots, ``hub check``): an announcement alone does without it.
"""

from __future__ import annotations

import urllib.parse
import uuid

from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from connectors.telegram_request import TOKEN, BotApiTransport, RequestFailed


class TransportRequest(BaseRequest):
    """python-telegram-bot's requests over a :class:`BotApiTransport`."""

    __slots__ = ("_transport",)

    def __init__(self, transport: BotApiTransport) -> None:
        self._transport = transport

    @property
    def read_timeout(self) -> float | None:
        return self._transport.timeout

    async def initialize(self) -> None:
        """Nothing to do: connections are made at the first request."""

    async def shutdown(self) -> None:
        await self._transport.close()

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
        transport = self._transport
        body, headers = _encode(request_data)
        headers.append(("User-Agent", self.USER_AGENT))
        try:
            return await transport.request(
                method, url, body, headers,
                read=transport.timeout if isinstance(read_timeout, DefaultValue) else read_timeout,
                write=transport.timeout if isinstance(write_timeout, DefaultValue) else write_timeout,
                connect=transport.timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout,
                pool=transport.pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout,
            )
        except RequestFailed as exc:
            reason = TOKEN.sub("<token>", str(exc))
            raise (TimedOut if exc.timed_out else NetworkError)(reason) from exc


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
