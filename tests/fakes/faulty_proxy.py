"""A reverse proxy in front of a real server that answers chosen statuses on demand.

For the answers a real server will not give when asked (429 with ``Retry-After``, 500, 400):
every other request reaches the real server unchanged, so the client library under test talks
to the real thing around the injected fault.

Whole outages too (:meth:`FaultyProxy.break_down`, :meth:`FaultyProxy.repair`), each request
meeting them until repaired: ``status`` (a 500 page, or a 429 with the body and headers the
platform sends), ``hang`` (the request is never answered: the client's timeout decides),
``close`` (the request reaches the server, then the answer is cut half way and the connection
closed), ``garbage`` (a 200 whose body is neither JSON nor XML, as a maintenance page served
by mistake). Connection refused is the proxy not running: it listens on a port fixed at
construction, so :meth:`FaultyProxy.running` can stop and start it again at the same address.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from tests.fakes.loopback import free_port, serve

METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PROPFIND", "PROPPATCH", "REPORT", "MKCOL", "MKCALENDAR"]
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class Fault:
    status: int
    times: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Outage:
    """What every request meets until :meth:`FaultyProxy.repair`."""

    kind: str  # "status", "hang", "close", "garbage"
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"<html><body><h1>500 Internal Server Error</h1></body></html>"


#: What ``garbage`` answers: neither JSON nor XML nor iCalendar.
GARBAGE = b"<<maintenance>> {back soon"
#: How long ``hang`` holds a request at most (the client gives up long before).
HANG_LIMIT = 60.0


class FaultyProxy:
    """Forwards to ``upstream``; ``fail(method, status)`` makes the next such requests fail."""

    def __init__(self, upstream: str, verify: bool | str = True) -> None:
        self.upstream = upstream.rstrip("/")
        self.verify = verify
        self.seen: list[tuple[str, int]] = []
        self._faults: dict[str, Fault] = {}
        self._lock = threading.Lock()
        self.outage: Outage | None = None
        self.port = free_port()

    @property
    def url(self) -> str:
        """Where the proxy listens (whether or not it is running)."""
        return f"http://127.0.0.1:{self.port}"

    def break_down(self, kind: str, *, status: int = 500, headers: Mapping[str, str] | None = None,
                   body: bytes | None = None) -> None:
        """Every request from now on meets this outage (see the module's docstring)."""
        outage = Outage(kind, status, dict(headers or {}))
        if body is not None:
            outage.body = body
        self.outage = outage

    def repair(self) -> None:
        self.outage = None

    def fail(self, method: str, status: int, *, times: int = 1, headers: Mapping[str, str] | None = None) -> None:
        with self._lock:
            self._faults[method] = Fault(status, times, dict(headers or {}))

    def _take(self, method: str) -> Fault | None:
        with self._lock:
            fault = self._faults.get(method)
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self._faults[method]
            return fault

    async def _forward(self, request: Request) -> Response:
        fault = self._take(request.method)
        if fault is not None:
            self.seen.append((request.method, fault.status))
            return Response(f"injected {fault.status}", status_code=fault.status, headers=fault.headers)
        outage = self.outage
        if outage is not None and outage.kind != "close":
            return await self._outage(request, outage)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        url = self.upstream + request.url.path + (f"?{request.url.query}" if request.url.query else "")
        async with httpx.AsyncClient(verify=self.verify) as client:
            answer = await client.request(request.method, url, headers=headers, content=await request.body())
        self.seen.append((request.method, answer.status_code))
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP | {"content-encoding"}}
        if outage is not None:  # "close": the server did the work; its answer is cut half way
            return _CutResponse(answer.content, answer.status_code, kept)
        return Response(answer.content, status_code=answer.status_code, headers=kept)

    async def _outage(self, request: Request, outage: Outage) -> Response:
        self.seen.append((request.method, 0 if outage.kind == "hang" else outage.status))
        if outage.kind == "hang":
            waited = 0.0
            while self.outage is outage and waited < HANG_LIMIT:
                await asyncio.sleep(0.1)
                waited += 0.1
            return Response(b"", status_code=504)
        if outage.kind == "garbage":
            return Response(GARBAGE, status_code=200, media_type="application/json")
        return Response(outage.body, status_code=outage.status, headers=outage.headers)

    @contextmanager
    def running(self) -> Iterator[str]:
        """Serve the proxy on loopback at :attr:`url` until the block ends; yields that URL."""
        app = Starlette(routes=[Route("/{path:path}", self._forward, methods=METHODS)])
        with serve(app, port=self.port) as url:
            yield url


class _CutResponse(Response):
    """Announces the whole body, sends half of it, and ends the exchange: the server closes the
    connection under the client, as a crashed worker or a broken link does."""

    def __init__(self, content: bytes, status_code: int, headers: Mapping[str, str]) -> None:
        super().__init__(content, status_code=status_code, headers=headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Promise more than will come (an empty answer too), so the client knows it was cut.
        promised = str(len(self.body) + 16).encode()
        headers = [(k, promised if k == b"content-length" else v) for k, v in self.raw_headers]
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True})
        raise ConnectionAbortedError("answer cut on purpose")
