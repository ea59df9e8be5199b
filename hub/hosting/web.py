"""``hub daemon --hosting``: the web front of a hosting deployment; it runs no job, it enqueues.

* ``POST /webhooks/<collective>/trigger``: "sync now" for that collective, with the token of its
  own ``[daemon] trigger_token(_file)`` (``X-Hub-Token``, bearer ``Authorization`` or ``token``
  query parameter, as in single-collective mode); 202 queued (or already queued), 403 on a
  wrong token, 404 for an unknown collective or one without a token, 409 when it is paused.
* ``POST /webhooks/<collective>/<kind>``: a chat update of that collective (``telegram``,
  ``talk``), checked against its own chat sections' secrets and queued for a worker's bot
  (:mod:`hub.hosting.bots`): 200 queued (or acknowledged, unanswered, when paused), 403 on a
  wrong secret, 404 for an unknown collective or one whose chats take no such webhook, 413
  past the size limit.
* ``GET /healthz``: the process answers. ``GET /readyz``: the database answers (503 when not),
  with the queue's jobs by status and each collective's pause and last sync.
* ``GET /metrics``: Prometheus text, labelled by collective: syncs, last result, last sync time
  and duration, probes and their requests, paused; and the queue's jobs by status; requests
  that waited for their turn under the rate limits, by collective and host.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import time
from typing import Any

import procrastinate
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from hub.daemon import MESSAGES, trigger_token
from hub.hosting.bots import BotFront
from hub.hosting.limits import metric_lines as rate_metric_lines
from hub.hosting.queue import defer_sync, job_counts, make_app, prepare
from hub.hosting.registry import Registry
from hub.runtime import load_settings
from sync.errors import ConfigError, HubError, Problem
from sync.i18n import log_texts

log = logging.getLogger(__name__)

LOG_TEXTS = log_texts({
    "hosting daemon listening on http://%s": "démon d'hébergement à l'écoute sur http://%s",
    "[%s] trigger refused: %s": "[%s] déclenchement refusé : %s",
    "hosting daemon stopped: %s": "démon d'hébergement arrêté : %s",
    "[%s] sync queued by the trigger": "[%s] synchronisation mise en file par le déclenchement",
})

RESULTS = ("ok", "failed", "error", "refused")


class Tokens:
    """Each collective's trigger token, read again when its configuration file changes."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[tuple[int, int], str | None]] = {}

    def get(self, config: str) -> str | None:
        try:
            info = os.stat(config)
        except OSError:
            return None
        stamp = (info.st_mtime_ns, info.st_size)
        cached = self._cache.get(config)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            token = trigger_token(load_settings(config))
        except HubError:
            token = None
        self._cache[config] = (stamp, token)
        return token


def _token_of(request: Request) -> str:
    header = request.headers.get("x-hub-token")
    if header:
        return header
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value:
        return value.strip()
    return request.query_params.get("token", "")


def build_app(registry: Registry, queue: procrastinate.App) -> Starlette:
    tokens = Tokens()
    chats = BotFront(registry, queue)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(request: Request) -> Response:
        try:
            rows = await asyncio.to_thread(registry.all)
            jobs = await job_counts(queue)
        except Exception as exc:
            return JSONResponse({"store": f"unreachable: {type(exc).__name__}"}, status_code=503)
        return JSONResponse({
            "store": "ok", "jobs": jobs,
            "collectives": {r.id: {"paused": r.paused, "last_sync": {"result": r.last_result, "at": r.last_at}}
                            for r in rows},
        })

    async def metrics(request: Request) -> Response:
        rows = await asyncio.to_thread(registry.all)
        jobs = await job_counts(queue)
        lines = [
            "# HELP hub_collectives Collectives in the registry.", "# TYPE hub_collectives gauge",
            f"hub_collectives {len(rows)}",
            "# HELP hub_jobs Jobs in the queue by status.", "# TYPE hub_jobs gauge",
            *(f'hub_jobs{{status="{status}"}} {n}' for status, n in sorted(jobs.items())),
        ]
        series: list[tuple[str, str, str, Any]] = []
        for r in rows:
            label = f'collective="{r.id}"'
            series += [
                ("hub_collective_syncs_total", "counter", label, r.syncs),
                ("hub_collective_probes_total", "counter", label, r.probes),
                ("hub_collective_probe_requests_total", "counter", label, r.probe_requests),
                ("hub_collective_paused", "gauge", label, int(r.paused)),
                ("hub_collective_last_sync_timestamp_seconds", "gauge", label, r.last_at or 0),
                ("hub_collective_last_sync_seconds", "gauge", label, r.last_seconds or 0),
            ]
            series += [("hub_collective_last_result", "gauge", f'{label},result="{result}"',
                        int(r.last_result == result)) for result in RESULTS]
        series += await asyncio.to_thread(chats.series)
        seen: set[str] = set()
        for name, kind, label, value in series:
            if name not in seen:
                seen.add(name)
                lines += [f"# TYPE {name} {kind}"]
            lines.append(f"{name}{{{label}}} {value}")
        lines += await asyncio.to_thread(rate_metric_lines, registry.engine)  # waits for turns, by host
        return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")

    async def trigger(request: Request) -> Response:
        collective = request.path_params["collective"]
        row = await asyncio.to_thread(registry.find, collective)
        expected = None if row is None else await asyncio.to_thread(tokens.get, row.config)
        if row is None or expected is None:
            return PlainTextResponse("no such collective, or no trigger token", status_code=404)
        given = _token_of(request)
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            log.warning("[%s] trigger refused: %s", collective, "wrong or missing token")
            return PlainTextResponse("forbidden", status_code=403)
        if row.paused:
            return JSONResponse({"queued": False, "paused": True}, status_code=409)
        await asyncio.to_thread(registry.update, collective, requested_at=time.time())
        queued = await defer_sync(queue, collective, "trigger")
        log.info("[%s] sync queued by the trigger", collective)
        return JSONResponse({"queued": True, "new": queued}, status_code=202)

    return Starlette(routes=[
        Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics),
        Route("/webhooks/{collective}/trigger", trigger, methods=["POST"]),
        Route("/webhooks/{collective}/{kind}", chats.webhook, methods=["POST"]),
    ])


async def serve(url: str, host: str, port: int, lang: str) -> None:
    prepare(url)
    registry = Registry(url, lang=lang)
    queue = make_app(url, pool_size=4)
    try:
        async with queue.open_async():
            config = uvicorn.Config(build_app(registry, queue), host=host, port=port, log_config=None,
                                    access_log=False, server_header=False)
            server = uvicorn.Server(config)
            log.info("hosting daemon listening on http://%s", f"{host}:{port}")
            await server.serve()
    finally:
        registry.close()


def hosting_command(database: str | None, listen: str | None) -> int:
    """``hub daemon --hosting``: serve until SIGTERM; 2 on a bad database or address."""
    from hub.console import EXIT_BAD_INPUT, EXIT_OK, fail, language
    from hub.daemon import setup_logging
    from hub.hosting.jobs import REDACT
    from hub.hosting.queue import _label_collective
    from hub.hosting.registry import postgresql_url

    lang = language()
    try:
        url = postgresql_url(database, lang)
        host, _, port = (listen or "127.0.0.1:8765").rpartition(":")
        if not port.isdecimal() or not 0 <= int(port) < 65536:
            raise ConfigError(Problem(MESSAGES.say("listen.bad", lang, listen=listen), field="--listen", lang=lang))
        setup_logging(REDACT, lang)
        _label_collective()
        logging.getLogger("procrastinate").setLevel(logging.WARNING)
        asyncio.run(serve(url, host or "0.0.0.0", int(port), lang))
    except HubError as exc:
        return fail(exc, lang, False)
    except OSError as exc:
        log.error("hosting daemon stopped: %s", f"{type(exc).__name__}: {exc}")
        return EXIT_BAD_INPUT
    return EXIT_OK
