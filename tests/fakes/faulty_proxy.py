"""A reverse proxy in front of a real server that answers chosen statuses on demand.

For the answers a real server will not give when asked (429 with ``Retry-After``, 500, 400):
every other request reaches the real server unchanged, so the client library under test talks
to the real thing around the injected fault.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.loopback import serve

METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PROPFIND", "PROPPATCH", "REPORT", "MKCOL", "MKCALENDAR"]
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class Fault:
    status: int
    times: int
    headers: dict[str, str] = field(default_factory=dict)


class FaultyProxy:
    """Forwards to ``upstream``; ``fail(method, status)`` makes the next such requests fail."""

    def __init__(self, upstream: str, verify: bool | str = True) -> None:
        self.upstream = upstream.rstrip("/")
        self.verify = verify
        self.seen: list[tuple[str, int]] = []
        self._faults: dict[str, Fault] = {}
        self._lock = threading.Lock()

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
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        url = self.upstream + request.url.path + (f"?{request.url.query}" if request.url.query else "")
        async with httpx.AsyncClient(verify=self.verify) as client:
            answer = await client.request(request.method, url, headers=headers, content=await request.body())
        self.seen.append((request.method, answer.status_code))
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP | {"content-encoding"}}
        return Response(answer.content, status_code=answer.status_code, headers=kept)

    @contextmanager
    def running(self) -> Iterator[str]:
        """Serve the proxy on loopback; yields its base URL."""
        app = Starlette(routes=[Route("/{path:path}", self._forward, methods=METHODS)])
        with serve(app) as url:
            yield url
