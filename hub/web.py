"""The daemon's web server (Starlette on uvicorn, in the daemon's own loop).

* ``POST /webhooks/trigger``: "sync now" for a pad's, WordPress's or Nextcloud's webhook plugin;
  the token of ``[daemon] trigger_token(_file)`` in an ``X-Hub-Token`` header, a bearer
  ``Authorization`` or a ``token`` query parameter (plugins that cannot set headers); 403 without.
* ``POST /webhooks/<kind>``: pushed chat updates, handed to the chat front-ends that take that
  kind (``telegram``: checks ``X-Telegram-Bot-Api-Secret-Token``; ``talk``: checks the Talk bot's
  HMAC signature). Each front-end checks its own secret; 403 when none accepts.
* ``GET /healthz``: the process answers. ``GET /readyz``: the state store answers (503 if not),
  with each connector's breaker. ``GET /metrics``: Prometheus text.
* ``/admin/``: the organisers' page (:mod:`hub.admin`).
* ``/public/``: the folder of ``[daemon] public`` (the exports), with ETag and Last-Modified, and
  304 to a conditional request.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import socket
from collections.abc import Iterator
from typing import Any

import uvicorn
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from hub.served import Daemon
from sync.i18n import log_texts
from sync.report import Report

log = logging.getLogger(__name__)

LOG_TEXTS = log_texts({
    "webhook %s refused: %s": "webhook %s refusé : %s",
    "[%s] webhook failed: %s": "[%s] webhook en échec : %s",
})

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """The daemon's Prometheus metrics: counted as things happen, or read from the state store
    when scraped (outbox depth, in_doubt, held batches, breakers)."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.registry = CollectorRegistry()
        r = self.registry
        self.syncs = Counter("hub_syncs", "Syncs run by the daemon, by result.", ["result"], registry=r)
        self.duration = Histogram("hub_sync_duration_seconds", "How long a sync took.", registry=r,
                                  buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300))
        self.requests = Counter("hub_requests", "HTTP requests made per connector, by syncs and probes.",
                                ["connector", "by"], registry=r)
        self.probes = Counter("hub_probes", "Probes made per connector.", ["connector"], registry=r)
        self.last_success = Gauge("hub_last_success_timestamp_seconds",
                                  "When each connector last took part in a sync without failing.", ["connector"],
                                  registry=r)
        self.questions = Counter("hub_bot_questions", "Messages handed to the bots, per channel.", ["channel"],
                                 registry=r)
        self.webhooks = Counter("hub_webhooks", "Webhook requests, by path and answer.", ["kind", "status"],
                                registry=r)
        r.register(_StoreCollector(daemon))

    def sync_done(self, report: Report | None, seconds: float, result: str) -> None:
        self.syncs.labels(result).inc()
        self.duration.observe(seconds)
        if report is not None:
            for name, figures in report.connectors.items():
                self.requests.labels(name, "sync").inc(figures.requests)
        for name, at in self.daemon.last_success.items():
            self.last_success.labels(name).set(at)

    def probed(self, connector: str, requests: int) -> None:
        self.probes.labels(connector).inc()
        self.requests.labels(connector, "probe").inc(requests)

    def question(self, channel: str) -> None:
        self.questions.labels(channel).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _StoreCollector(Collector):
    """Gauges read from the state store at each scrape."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon

    def collect(self) -> Iterator[Metric]:
        store = self.daemon.store
        depth = GaugeMetricFamily("hub_outbox_depth", "Outbox entries waiting to be sent, per connector.",
                                  labels=["connector"])
        doubt = GaugeMetricFamily("hub_outbox_in_doubt", "Messages whose delivery is unknown, per connector.",
                                  labels=["connector"])
        for name, states in store.outbox_counts().items():
            depth.add_metric([name], sum(n for state, n in states.items() if state in ("pending", "sending")))
            doubt.add_metric([name], states.get("in_doubt", 0))
        yield depth
        yield doubt
        yield GaugeMetricFamily("hub_held_batches", "Changes waiting for an organiser's review.",
                                value=len(store.held_batches(states=("open",))))
        open_breakers = store.open_breakers()
        breaker = GaugeMetricFamily("hub_breaker_open", "1 when a connector is held until reset.",
                                    labels=["connector"])
        for section in self.daemon.settings.connectors:
            breaker.add_metric([section.name], 1 if section.name in open_breakers else 0)
        yield breaker
        yield GaugeMetricFamily("hub_syncing", "1 while a sync runs.", value=1 if self.daemon.busy else 0)


def _token_of(request: Request) -> str:
    header = request.headers.get("x-hub-token")
    if header:
        return header
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value:
        return value.strip()
    return request.query_params.get("token", "")


def build_app(daemon: Daemon) -> Starlette:
    """The Starlette application over a running :class:`~hub.daemon.Daemon`."""

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def readyz(_request: Request) -> Response:
        ready, body = daemon.readiness()
        return JSONResponse(body, status_code=200 if ready else 503)

    async def metrics(_request: Request) -> Response:
        assert isinstance(daemon.metrics, Metrics)
        return Response(daemon.metrics.render(), media_type=CONTENT_TYPE)

    def counted(kind: str, status: int) -> None:
        if isinstance(daemon.metrics, Metrics):
            daemon.metrics.webhooks.labels(kind, str(status)).inc()

    async def trigger(request: Request) -> Response:
        expected = daemon.token
        if expected is None:
            counted("trigger", 404)
            return PlainTextResponse("trigger not configured ([daemon] trigger_token_file)", status_code=404)
        given = _token_of(request)
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            log.warning("webhook %s refused: %s", "trigger", "wrong or missing token")
            counted("trigger", 403)
            return PlainTextResponse("forbidden", status_code=403)
        daemon.request_sync("trigger")
        counted("trigger", 202)
        return JSONResponse({"queued": True}, status_code=202)

    async def webhook(request: Request) -> Response:
        kind = request.path_params["kind"]
        receivers = daemon.receivers.get(kind, [])
        if not receivers:
            counted(kind, 404)
            return PlainTextResponse("no chat takes this webhook", status_code=404)
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        for receiver in receivers:
            try:
                status: int = await receiver.receive(headers, body)
            except Exception as exc:
                log.warning("[%s] webhook failed: %s", receiver.channel, f"{type(exc).__name__}: {exc}")
                counted(kind, 500)
                return PlainTextResponse("not handled", status_code=500)
            if status != 403:
                counted(kind, status)
                return Response(status_code=status)
        log.warning("webhook %s refused: %s", kind, "wrong or missing secret or signature")
        counted(kind, 403)
        return PlainTextResponse("forbidden", status_code=403)

    routes: list[Any] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        Route("/webhooks/trigger", trigger, methods=["POST"]),
        Route("/webhooks/{kind}", webhook, methods=["POST"]),
    ]
    public = daemon.public_dir()
    if public is not None:
        routes.append(Mount("/public", app=StaticFiles(directory=public, html=True, check_dir=False)))
    from hub.admin import build_admin

    routes.append(Mount("/admin", app=build_admin(daemon)))
    return Starlette(routes=routes)


class _Server(uvicorn.Server):
    """uvicorn in the daemon's loop: the daemon handles the signals, not uvicorn."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(daemon: Daemon) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    """Start the web server on the daemon's address; the socket is bound before this returns,
    so a port in use is said at once."""
    host, port = daemon.address
    config = uvicorn.Config(build_app(daemon), host=host, port=port, log_config=None, access_log=False,
                            lifespan="off", server_header=False)
    server = _Server(config)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    return server, task
