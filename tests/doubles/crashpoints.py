"""Deterministic crash points for a real ``hub`` process: SIGKILL at the Nth point where a crash
matters. Test-only; installed by :mod:`tests.doubles.hub` when ``HUB_TEST_KILL_AT``, ``HUB_TEST_KILL_ON`` or
``HUB_TEST_POINTS`` is set.

A *point* is a moment after which the world outside the process may differ from what the state
store says:

- every HTTP answer received by a connector, whatever its library (httpx for Etherpad and
  WordPress, the hub's own clients for Telegram and for CalDAV syncs, niquests under the caldav
  library, aiohttp under signalbot): the server has carried the request out, the hub has not recorded it yet;
- every state-store commit, just before the database driver commits it (the store's own
  connections, and SQLAlchemy's for schema upgrades and the bots' tables): what the
  transaction holds is lost, what was sent before it is not recorded.

``HUB_TEST_KILL_AT=N`` kills the process with SIGKILL at point N (1-based): no ``finally``, no
``atexit``, no flush, as a power cut or the OOM killer would. ``HUB_TEST_KILL_ON=text`` kills it
at the first point whose request contains ``text`` (``sendMessage``): the same moment whatever
order concurrent connectors happen to run in. ``HUB_TEST_POINTS=<file>`` appends
one JSON line per point (its number, kind, the engine stage it happened in, and the request), so
a first run without a kill tells how many points a scenario has and where they fall.
"""

from __future__ import annotations

import contextvars
import inspect
import json
import os
import signal
import threading
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

#: The engine stage running now: set around each stage, copied into worker threads (the caldav
#: library runs in ``asyncio.to_thread``) with the rest of the context.
STAGE: contextvars.ContextVar[str] = contextvars.ContextVar("crash_stage", default="start")


class CrashPoints:
    """Counts points; kills the process at the chosen one."""

    def __init__(self, kill_at: int | None, log_path: str | None, kill_on: str | None = None) -> None:
        self.kill_at = kill_at
        self.kill_on = kill_on
        self.log_path = log_path
        self.count = 0
        self._lock = threading.Lock()

    def hit(self, kind: str, detail: str) -> None:
        with self._lock:
            self.count += 1
            number = self.count
            if self.log_path:
                line = json.dumps({"n": number, "kind": kind, "stage": STAGE.get(), "detail": detail})
                with open(self.log_path, "a", encoding="utf-8") as out:
                    out.write(line + "\n")
            if (self.kill_at is not None and number >= self.kill_at) or (self.kill_on and self.kill_on in detail):
                os.kill(os.getpid(), signal.SIGKILL)


def _staged(stage: str, call: Callable[..., Any]) -> Callable[..., Any]:
    """``call`` (sync or async) with :data:`STAGE` set to ``stage`` while it runs."""
    if inspect.iscoroutinefunction(call):
        @wraps(call)
        async def running(*args: Any, **kwargs: Any) -> Any:
            token = STAGE.set(stage)
            try:
                return await call(*args, **kwargs)
            finally:
                STAGE.reset(token)

        return running

    @wraps(call)
    def calling(*args: Any, **kwargs: Any) -> Any:
        token = STAGE.set(stage)
        try:
            return call(*args, **kwargs)
        finally:
            STAGE.reset(token)

    return calling


Wrapper = Callable[[Callable[..., Any]], Callable[..., Any]]


def _after(points: CrashPoints, describe: Callable[..., str]) -> Wrapper:
    """Wrap a synchronous send: the point is hit once the answer is in."""

    def wrap(send: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(send)
        def sent(*args: Any, **kwargs: Any) -> Any:
            answer = send(*args, **kwargs)
            points.hit("http", describe(*args, **kwargs))
            return answer

        return sent

    return wrap


def _after_async(points: CrashPoints, describe: Callable[..., str]) -> Wrapper:
    """Wrap an asynchronous send: the point is hit once the answer is in."""

    def wrap(send: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(send)
        async def sent(*args: Any, **kwargs: Any) -> Any:
            answer = await send(*args, **kwargs)
            points.hit("http", describe(*args, **kwargs))
            return answer

        return sent

    return wrap


def install(environ: dict[str, str] | None = None) -> CrashPoints | None:
    """Hook the HTTP libraries and the state store when the environment asks for it."""
    env = os.environ if environ is None else environ
    kill_at = env.get("HUB_TEST_KILL_AT")
    kill_on = env.get("HUB_TEST_KILL_ON")
    log_path = env.get("HUB_TEST_POINTS")
    if not kill_at and not log_path and not kill_on:
        return None
    points = CrashPoints(int(kill_at) if kill_at else None, log_path or None, kill_on or None)

    import aiohttp
    import httpx
    import niquests
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def httpx_request(_self: Any, request: httpx.Request) -> str:
        return f"{request.method} {request.url.path}"

    httpx.AsyncHTTPTransport.handle_async_request = _after_async(points, httpx_request)(  # type: ignore[method-assign]
        httpx.AsyncHTTPTransport.handle_async_request)
    httpx.HTTPTransport.handle_request = _after(points, httpx_request)(  # type: ignore[method-assign]
        httpx.HTTPTransport.handle_request)

    def niquests_request(_self: Any, request: Any, **_kwargs: Any) -> str:
        return f"{request.method} {urlsplit(str(request.url)).path}"

    niquests.Session.send = _after(points, niquests_request)(niquests.Session.send)  # type: ignore[method-assign]

    def aiohttp_request(_self: Any, method: str, url: Any, *_args: Any, **_kwargs: Any) -> str:
        return f"{method} {urlsplit(str(url)).path}"

    aiohttp.ClientSession._request = _after_async(points, aiohttp_request)(  # type: ignore[method-assign]
        aiohttp.ClientSession._request)

    from connectors.telegram_request import HttpClient

    def own_request(_self: Any, method: str, url: str, *_args: Any, **_kwargs: Any) -> str:
        return f"{method} {urlsplit(url).path}"

    HttpClient.request = _after_async(points, own_request)(HttpClient.request)  # type: ignore[method-assign]

    from connectors.davhttp import DavHttp

    DavHttp.request = _after(points, own_request)(DavHttp.request)  # type: ignore[method-assign]

    def before_commit(_connection: Any) -> None:
        points.hit("commit", "")

    event.listen(Engine, "commit", before_commit)

    from sync.database import Tx

    store_commit = Tx.commit

    def commit(self: Tx) -> None:
        points.hit("commit", "")
        store_commit(self)

    Tx.commit = commit  # type: ignore[method-assign]

    import sync.engine
    from sync.apply import OutboxWorker

    for name, stage in (("pull_all", "pull"), ("commit_round", "commit")):
        setattr(sync.engine, name, _staged(stage, getattr(sync.engine, name)))
    OutboxWorker.apply_all = _staged("apply", OutboxWorker.apply_all)  # type: ignore[method-assign]
    sync.engine.Engine._recover = _staged("recover", sync.engine.Engine._recover)  # type: ignore[method-assign]
    sync.engine.Engine._refresh = _staged("refresh", sync.engine.Engine._refresh)  # type: ignore[method-assign]
    sync.engine.Engine._merge = _staged("merge", sync.engine.Engine._merge)  # type: ignore[method-assign]
    return points
