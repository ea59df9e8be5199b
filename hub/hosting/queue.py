"""The collectives' jobs as procrastinate tasks, and ``hub worker``.

- ``hub.sync`` (collective, reason): lock ``collective:<id>`` (no two jobs of one collective
  run at once, on any worker of any machine: procrastinate hands a locked job to no one while
  another job with that lock is running) and queueing lock ``sync:<id>`` (a burst of webhooks is
  one queued sync; a trigger that comes while a sync runs queues the one after it).
- ``hub.probe`` (collective): the same lock, queueing lock ``probe:<id>``; when the collective
  has a Framadate poll whose close is due, it queues ``hub.poll_close`` (collective): the same
  lock, queueing lock ``poll:<id>`` (:mod:`hub.hosting.polls`).
- ``hub.bot_answer`` (collective, channel, update): a chat update the web front took, answered
  (:mod:`hub.hosting.bots`): queue ``bots``, lock ``bot:<id>``, served in each worker's own bot
  slots (``--bots``), so syncs never hold answers back.
- ``hub.tick``, periodic (every two seconds, one queued at most): enqueues the collectives'
  due probes (each at its own jittered time) and due syncs (outbox retries, announcements
  after the quiet period), and hands back to the queue the jobs of a worker whose heartbeat
  stopped (a SIGKILLed or cut-off machine): procrastinate's stalled-job recovery; the outbox
  settles what the dead job had sent.

A sync job is one whole sync, so announcing (the outbox's messages) is part of it, and an
announcement due after the quiet period is a sync the tick enqueues when it falls due.

Fairness: each collective has at most one running job and one queued sync and probe, and jobs
are taken in order of arrival: a collective with a huge programme holds one worker slot at a
time, never more, and cannot push the others back further than one of its jobs.

procrastinate's tables live in the ``hub_queue`` schema of the hosting database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import procrastinate
import psycopg
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.schema import SchemaManager

from hub.hosting import bots, jobs, polls
from hub.hosting.limits import Limiter
from hub.hosting.registry import Registry, libpq_url
from sync.errors import LockBusy
from sync.i18n import log_texts

log = logging.getLogger(__name__)

LOG_TEXTS = log_texts({
    "worker started: %d job(s) at once": "travailleur démarré : %d tâche(s) à la fois",
    "worker stopped": "travailleur arrêté",
    "%d stalled job(s) handed back to the queue": "%d tâche(s) bloquée(s) remise(s) dans la file",
})

QUEUE_SCHEMA = "hub_queue"
#: Advisory lock held while procrastinate's schema is applied (several processes may start at once).
SCHEMA_KEY = 0x68756271  # "hubq"
#: Seconds without a heartbeat after which a worker is dead and its jobs are handed back.
STALLED_AFTER = 30.0


@dataclass
class Hosting:
    """What a task needs: the database and the registry (one per worker process)."""

    url: str
    registry: Registry
    stores: jobs.Stores
    stalled_after: float = STALLED_AFTER
    answerers: bots.Answerers = field(default_factory=bots.Answerers)
    #: The rate limits toward shared servers (:mod:`hub.hosting.limits`); None: none.
    limiter: Limiter | None = None

    def limited(self, collective: str) -> contextlib.AbstractContextManager[None]:
        """Every request of a job of ``collective`` waits its turn under the host's limits."""
        return self.limiter.installed(collective) if self.limiter is not None else contextlib.nullcontext()


def queue_conninfo(url: str) -> str:
    """The hosting database for procrastinate: libpq URL with ``search_path`` on its own schema."""
    base = libpq_url(url)
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-c search_path={QUEUE_SCHEMA}')}"


def prepare(url: str) -> None:
    """procrastinate's tables, made once in ``hub_queue`` (under an advisory lock)."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_KEY,))
        try:
            found = conn.execute("SELECT to_regclass(%s)", (f"{QUEUE_SCHEMA}.procrastinate_jobs",)).fetchone()
            if found is None or found[0] is None:
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS {QUEUE_SCHEMA}")
                conn.execute(f"SET search_path = {QUEUE_SCHEMA}")
                schema = SchemaManager.get_schema()
                conn.execute(schema.encode())
                conn.execute("SET search_path = DEFAULT")
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_KEY,))


def make_app(url: str, *, pool_size: int = 4) -> procrastinate.App:
    """A procrastinate app over the hosting database, with the hub's tasks."""
    connector = procrastinate.PsycopgConnector(conninfo=queue_conninfo(url), min_size=1, max_size=pool_size)
    app = procrastinate.App(connector=connector)
    _register(app)
    return app


def _hosting(context: procrastinate.JobContext) -> Hosting:
    found = context.additional_context.get("hosting")
    assert isinstance(found, Hosting), "the worker runs with its Hosting context"
    return found


def _register(app: procrastinate.App) -> None:
    retry = procrastinate.RetryStrategy(max_attempts=5, wait=2, retry_exceptions={LockBusy})

    @app.task(name="hub.sync", pass_context=True, retry=retry)
    async def sync_task(context: procrastinate.JobContext, collective: str, reason: str = "asked") -> str:
        hosting = _hosting(context)
        with hosting.limited(collective):
            outcome = await jobs.sync_collective(hosting.registry, hosting.stores, collective, reason)
        return outcome.result

    @app.task(name="hub.probe", pass_context=True)
    async def probe_task(context: procrastinate.JobContext, collective: str) -> str | None:
        hosting = _hosting(context)
        with hosting.limited(collective):
            reason = await jobs.probe_collective(hosting.registry, hosting.stores, collective)
        if reason:
            await defer_sync(app, collective, reason)
        if await asyncio.to_thread(polls.polls_due, hosting.registry, hosting.stores, collective):
            await defer_poll_close(app, collective)
        return reason

    @app.task(name="hub.poll_close", pass_context=True, retry=retry)
    async def poll_close_task(context: procrastinate.JobContext, collective: str) -> int:
        hosting = _hosting(context)
        with hosting.limited(collective):
            return await polls.close_polls(hosting.registry, hosting.stores, collective)

    @app.periodic(cron="* * * * * */2", periodic_id="tick")
    @app.task(name="hub.tick", pass_context=True, queueing_lock="hub.tick")
    async def tick_task(context: procrastinate.JobContext, timestamp: int) -> dict[str, int]:
        hosting = _hosting(context)
        return await tick(app, hosting)

    del sync_task, probe_task, tick_task, poll_close_task
    bots.register(app, _hosting, defer_sync)


async def tick(app: procrastinate.App, hosting: Hosting) -> dict[str, int]:
    """Hand back stalled jobs, then enqueue the due probes and syncs."""
    recovered = await recover_stalled(app, hosting.stalled_after)
    probes, syncs = jobs.due_work(hosting.registry, time.time())
    for collective in probes:
        await defer_probe(app, collective)
    for collective in syncs:
        await defer_sync(app, collective, "due")
    return {"recovered": recovered, "probes": len(probes), "syncs": len(syncs)}


async def recover_stalled(app: procrastinate.App, stalled_after: float) -> int:
    """procrastinate's stalled-job recovery: the jobs of workers whose heartbeat stopped more
    than ``stalled_after`` seconds ago go back to the queue (the same job, its lock kept)."""
    count = 0
    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        with contextlib.suppress(Exception):  # another worker's tick handed it back first
            await app.job_manager.retry_job(job)
            count += 1
    if count:
        log.warning("%d stalled job(s) handed back to the queue", count)
    return count


async def defer_sync(app: procrastinate.App, collective: str, reason: str) -> bool:
    """Queue a sync of ``collective``; False when one is already queued (it will do)."""
    task = app.tasks["hub.sync"].configure(lock=f"collective:{collective}", queueing_lock=f"sync:{collective}")
    try:
        await task.defer_async(collective=collective, reason=reason)
    except AlreadyEnqueued:
        return False
    return True


async def defer_poll_close(app: procrastinate.App, collective: str) -> bool:
    """Queue the close of the collective's due polls (the probe found one); one queued at most."""
    task = app.tasks["hub.poll_close"].configure(lock=f"collective:{collective}", queueing_lock=f"poll:{collective}")
    try:
        await task.defer_async(collective=collective)
    except AlreadyEnqueued:
        return False
    return True


async def defer_probe(app: procrastinate.App, collective: str) -> bool:
    task = app.tasks["hub.probe"].configure(lock=f"collective:{collective}", queueing_lock=f"probe:{collective}")
    try:
        await task.defer_async(collective=collective)
    except AlreadyEnqueued:
        return False
    return True


async def job_counts(app: procrastinate.App) -> dict[str, int]:
    """Jobs by status (todo, doing, failed...), for /metrics."""
    rows = await app.connector.execute_query_all_async(
        "SELECT status::text AS status, count(*) AS n FROM procrastinate_jobs GROUP BY status")
    return {str(r["status"]): int(r["n"]) for r in rows}


async def run_worker(url: str, *, concurrency: int = 1, stalled_after: float = STALLED_AFTER,
                     wait: bool = True, lang: str = "en", bot_slots: int = 1) -> None:
    """``hub worker``: run jobs until SIGTERM/SIGINT (or, without ``wait``, until the queue is
    empty): ``concurrency`` slots for syncs and probes, and ``bot_slots`` of its own for the
    ``bots`` queue (chat answers), so answers never wait for a slot a long sync holds."""
    prepare(url)
    registry = Registry(url, lang=lang)
    bots.create_counts(registry)
    app = make_app(url, pool_size=concurrency + bot_slots + 3)
    stores = jobs.Stores(url, pool_size=concurrency + bot_slots + 1)
    limiter = Limiter(url, lang=lang)
    hosting = Hosting(url, registry, stores, stalled_after, limiter=limiter)
    options: dict[str, Any] = {
        "wait": wait, "delete_jobs": "successful", "install_signal_handlers": False,
        "additional_context": {"hosting": hosting}, "update_heartbeat_interval": max(0.5, stalled_after / 4),
        "stalled_worker_timeout": stalled_after, "listen_notify": True, "fetch_job_polling_interval": 1.0,
        "shutdown_graceful_timeout": 30.0}
    try:
        async with app.open_async():
            await recover_stalled(app, stalled_after)
            log.info("worker started: %d job(s) at once", concurrency)
            workers = []
            if concurrency:
                workers.append(asyncio.create_task(app.run_worker_async(
                    concurrency=concurrency, queues=["default"], **options)))
            if bot_slots:
                workers.append(asyncio.create_task(app.run_worker_async(
                    concurrency=bot_slots, queues=[bots.BOT_QUEUE], name="bots", **options)))
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, lambda: [w.cancel() for w in workers])
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*workers)
    finally:
        await hosting.answerers.close()
        stores.close()
        limiter.close()
        registry.close()
        log.info("worker stopped")


def worker_command(url: str | None, concurrency: int, stalled_after: float, wait: bool, bot_slots: int = 1) -> int:
    """``hub worker``: 0 on a clean stop, 2 on a bad database."""
    from hub.console import EXIT_OK, fail, language
    from hub.daemon import setup_logging
    from hub.hosting.registry import postgresql_url
    from sync.errors import HubError

    lang = language()
    try:
        url = postgresql_url(url, lang)
        setup_logging(jobs.REDACT, lang)
        _label_collective()
        logging.getLogger("procrastinate").setLevel(logging.WARNING)  # a line per job is the metrics' job
        asyncio.run(run_worker(url, concurrency=concurrency, stalled_after=stalled_after, wait=wait, lang=lang,
                               bot_slots=bot_slots))
    except HubError as exc:
        return fail(exc, lang, False)
    return EXIT_OK


class CollectiveLabel(logging.Filter):
    """Gives each record the collective it belongs to (the JSON lines' ``collective``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "collective"):
            record.collective = jobs.COLLECTIVE.get()
        return True


class JsonLines(logging.Formatter):
    """The daemon's JSON lines, with the collective."""

    def __init__(self) -> None:
        super().__init__()
        from hub.daemon import JsonFormatter

        self.inner = JsonFormatter()

    def format(self, record: logging.LogRecord) -> str:
        import json

        line = self.inner.format(record)
        collective = getattr(record, "collective", None)
        if collective is None:
            return line
        entry: dict[str, Any] = json.loads(line)
        entry["collective"] = collective
        return json.dumps(entry, ensure_ascii=False)


def _label_collective() -> None:
    """Every line of the root handlers names its collective (JSON lines get a ``collective`` key)."""
    for handler in logging.getLogger().handlers:
        handler.filters.insert(0, CollectiveLabel())
        if not isinstance(handler.formatter, logging.Formatter) or type(handler.formatter).__name__ == "JsonFormatter":
            handler.setFormatter(JsonLines())
