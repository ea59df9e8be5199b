"""What one job does for one collective, with no job engine in sight (:mod:`hub.hosting.queue`
runs these as procrastinate tasks).

- :func:`sync_collective`: the engine's whole sync over the collective's configuration and its
  own state schema, as ``hub daemon`` runs it; then when the outbox's retries or the quiet
  period's announcements want the next one (the scheduler's tick enqueues it then).
- :func:`probe_collective`: the daemon's cheap "anything new?" over the collective's sources (one
  request each when nothing changed) and its programme file's stamp; the next probe is put a
  jittered interval later, so a thousand collectives' probes do not fire together.
- :func:`due_work`: the tick: which collectives' probes and syncs are due now.

A collective's configuration error, failing server or bad input is recorded on its own row and
logged under its own id: it never reaches another collective's state, which lives in another
schema, nor its messages. Every secret of every collective a worker met is masked in its logs.
"""

from __future__ import annotations

import contextvars
import dataclasses
import logging
import os
import random
import time
from datetime import datetime
from typing import Any

from sqlalchemy import update

from config.redaction import Redactor
from config.secrets import secret_values
from config.settings import Settings
from hub.daemon import daemon_redactor
from hub.hosting.registry import (
    Collective,
    Registry,
    collectives,
    failing_connectors,
    postgresql_url,
    sync_outcome,
    trouble,
)
from hub.runtime import build_connectors, load_settings, source_sections
from sync.database import Database
from sync.engine import Engine
from sync.errors import HubError, LockBusy
from sync.i18n import log_texts
from sync.protocol import RequestCounter
from sync.quiet import WAITING
from sync.state import StateStore

log = logging.getLogger(__name__)

LOG_TEXTS = log_texts({
    "[%s] sync started (%s)": "[%s] synchronisation commencée (%s)",
    "[%s] sync done in %.1f s: %d change(s), %d failed connector(s)":
        "[%s] synchronisation terminée en %.1f s : %d changement(s), %d connecteur(s) en échec",
    "[%s] sync failed: %s": "[%s] synchronisation en échec : %s",
    "[%s] probe failed: %s": "[%s] sondage en échec : %s",
    "[%s] configuration refused: %s": "[%s] configuration refusée : %s",
    "[%s] change found by the probe (%s)": "[%s] changement trouvé par le sondage (%s)",
    "[%s] paused: the job is skipped": "[%s] en pause : la tâche est sautée",
})

#: The collective a log line belongs to (``collective`` in the worker's JSON logs).
COLLECTIVE: contextvars.ContextVar[str | None] = contextvars.ContextVar("hub_collective", default=None)

#: Masks every secret of every collective this process has read (installed on the log handlers).
REDACT = Redactor()

#: The probe a collective gets before its own settings were read (its first probe sets its own).
FIRST_PROBE_DELAY = 60.0
#: How often a refused configuration is read again (a file read, no request): mended, it syncs.
REFUSED_RECHECK = 5.0


def remember_secrets(settings: Settings) -> Redactor:
    """The collective's own redactor; its secrets join the process-wide one too."""
    own = daemon_redactor(settings)
    known = set(REDACT.secrets) | set(own.secrets) | secret_values(settings)
    REDACT.secrets = sorted(known, key=len, reverse=True)
    return own


@dataclasses.dataclass
class Outcome:
    """What a sync job did, for the caller and the tests."""

    result: str  # ok, failed (a connector failed), error, refused (configuration), skipped (paused)
    changes: int = 0
    seconds: float = 0.0


def collective_settings(row: Collective) -> tuple[Settings, Redactor]:
    """The collective's configuration and its redactor, read again when its file changed (an
    edit takes effect at the next job)."""
    try:
        info = os.stat(row.config)
        stamp = (info.st_mtime_ns, info.st_size)
    except OSError:
        stamp = (0, 0)
    cached = _SETTINGS.get(row.config)
    if cached is not None and cached[0] == stamp:
        return cached[1], cached[2]
    settings = load_settings(row.config)
    # The procrastinate lock already keeps other jobs of this collective away: the writer lock
    # is only ever held by a `hub sync` run by hand, and the job is retried rather than waiting.
    settings = dataclasses.replace(settings, hub=settings.hub.model_copy(update={"lock_wait": 1.0}))
    redact = remember_secrets(settings)
    _SETTINGS[row.config] = (stamp, settings, redact)
    return settings, redact


class Stores:
    """Every collective's state store in one worker process, over one connection pool.

    A collective's schema is made and migrated the first time this process meets it (the state
    store's own ``open``); after that its store is on the shared pool, each connection's
    ``search_path`` set to the collective's schema when it is taken for another, so a job costs no
    new connection and no migration check, and a worker holds a few connections in all, not one
    per collective.
    """

    def __init__(self, url: str, pool_size: int = 4) -> None:
        self.url = url
        self.pool_size = pool_size
        self._db: Database | None = None
        self._ready: set[str] = set()

    def get(self, row: Collective, lang: str) -> StateStore:
        if row.schema not in self._ready:
            StateStore.open(self.url, lang=lang, schema=row.schema).close()
            self._ready.add(row.schema)
        if self._db is None:
            self._db = Database(postgresql_url(self.url), pool_size=self.pool_size)
        return StateStore(self._db, row.schema)

    def forget(self, row: Collective) -> None:
        """After an error: the next job opens (and checks) the schema afresh."""
        self._ready.discard(row.schema)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


#: The last settings read per configuration file, by its (mtime, size): a file read and
#: validated once per change, not once per job.
_SETTINGS: dict[str, tuple[tuple[int, int], Settings, Redactor]] = {}


async def sync_collective(registry: Registry, stores: Stores, collective_id: str, reason: str) -> Outcome:
    """One whole sync of one collective; the outcome recorded on its row."""
    token = COLLECTIVE.set(collective_id)
    try:
        row = registry.find(collective_id)
        if row is None:
            return Outcome("skipped")
        if row.paused:
            log.info("[%s] paused: the job is skipped", collective_id)
            return Outcome("skipped")
        return await _sync(registry, stores, row, reason)
    finally:
        COLLECTIVE.reset(token)


async def _sync(registry: Registry, stores: Stores, row: Collective, reason: str) -> Outcome:
    start = time.monotonic()
    try:
        settings, redact = collective_settings(row)
    except HubError as exc:
        log.warning("[%s] configuration refused: %s", row.id, exc)
        registry.update(row.id, last_result="refused", last_error=str(exc), last_at=time.time(),
                        next_sync_at=None, next_probe_at=time.time() + jittered(REFUSED_RECHECK, 0.5))
        return Outcome("refused")
    file_stamp = programme_stamp(settings)  # before the file is read: an edit made during the sync is probed
    log.info("[%s] sync started (%s)", row.id, reason)
    try:
        store = stores.get(row, settings.hub.language)
        counter = RequestCounter()
        connectors = build_connectors(settings, counter, store=store, only=lambda s: s.config.sync)
        report = await Engine(settings, store, connectors, counter, redact=redact).sync()
        with store.transaction() as conn:
            stamp = datetime.now().astimezone().isoformat()
            store.set_meta(conn, "last_report", {**report.to_json(), "at": stamp, "by": "worker"})
        lang = settings.hub.language
        failed = failing_connectors(report)
        for name, figures in failed.items():
            log.warning("[%s] sync failed: %s", row.id, f"{name}: {trouble(figures, lang)}")
        seconds = time.monotonic() - start
        result, message = sync_outcome(report, lang)
        registry.update(row.id, last_result=result, last_error=redact(message) if message else None,
            last_at=time.time(), last_seconds=seconds, last_changes=len(report.changes),
            syncs=row.syncs + 1, next_sync_at=next_due(store, settings, failed=bool(failed)),
            programme_stamp=file_stamp)
        log.info("[%s] sync done in %.1f s: %d change(s), %d failed connector(s)", row.id, seconds,
                 len(report.changes), len(failed))
        return Outcome(result, len(report.changes), seconds)
    except LockBusy:
        raise  # a `hub sync` by hand holds this collective's writer lock: the job is retried
    except HubError as exc:
        log.warning("[%s] sync failed: %s", row.id, exc)
        stores.forget(row)
        _record_error(registry, row, redact(str(exc)), settings, start)
        return Outcome("error", seconds=time.monotonic() - start)
    except Exception as exc:  # a bug or a server's nonsense: this collective's row says so, no other's
        log.error("[%s] sync failed: %s", row.id, f"{type(exc).__name__}: {exc}", exc_info=True)
        stores.forget(row)
        _record_error(registry, row, redact(f"{type(exc).__name__}: {exc}"), settings, start)
        return Outcome("error", seconds=time.monotonic() - start)


def _record_error(registry: Registry, row: Collective, error: str, settings: Settings, start: float) -> None:
    registry.update(row.id, last_result="error", last_error=error, last_at=time.time(),
                    last_seconds=time.monotonic() - start, syncs=row.syncs + 1,
                    next_sync_at=time.time() + settings.daemon.probe_interval)


def next_due(store: StateStore, settings: Settings, *, failed: bool) -> float | None:
    """When the outbox's next retry or the quiet period's next announcement wants a sync (wall
    clock), as the daemon computes it; None when nothing waits."""
    now = time.time()
    moments: list[float] = []
    pending = store.outbox_entries(states=("pending",))
    if pending:
        due = min(e.next_at for e in pending)
        moments.append(max(due, now + settings.daemon.probe_interval if failed else now))
    waiting = store.get_meta(WAITING) or {}
    if waiting:
        moments.append(min(float(v) for v in waiting.values()) + settings.hub.announce_delay + 0.05)
    return min(moments) if moments else None


def programme_stamp(settings: Settings) -> str | None:
    if not settings.hub.programme:
        return None
    try:
        info = os.stat(settings.resolve(settings.hub.programme))
    except OSError:
        return None
    return f"{info.st_mtime_ns}:{info.st_size}"


def probe_interval(settings: Settings) -> float:
    """The shortest probe interval of the collective's sources (``[daemon] probe_interval`` by default)."""
    default = settings.daemon.probe_interval
    return min([s.config.probe_interval or default for s in source_sections(settings)] or [default])


def jittered(interval: float, jitter: float) -> float:
    return interval * (1 + random.uniform(0, jitter))  # spreading, not a secret


async def probe_collective(registry: Registry, stores: Stores, collective_id: str) -> str | None:
    """Look for a change without writing; the reason to sync, or None."""
    token = COLLECTIVE.set(collective_id)
    try:
        row = registry.find(collective_id)
        if row is None or row.paused:
            return None
        try:
            settings, redact = collective_settings(row)
        except HubError as exc:
            if row.last_result != "refused":
                log.warning("[%s] configuration refused: %s", row.id, exc)
            registry.update(row.id, last_result="refused", last_error=str(exc),
                            next_probe_at=time.time() + jittered(REFUSED_RECHECK, 0.5))
            return None
        stamp = programme_stamp(settings)
        reason = "programme file" if row.programme_stamp is not None and stamp != row.programme_stamp else None
        if row.last_result == "refused":
            reason = "configuration"  # the configuration was mended: sync it at once
        requests = 0
        if reason is None and row.last_result is not None:  # before the first sync, there is nothing to compare
            reason, requests = await _plan(stores, row, settings, redact)
        registry.add_probe(row.id, requests, time.time() + jittered(probe_interval(settings),
                                                                    settings.daemon.jitter), stamp)
        if reason:
            log.info("[%s] change found by the probe (%s)", row.id, reason)
        return reason
    finally:
        COLLECTIVE.reset(token)


async def _plan(stores: Stores, row: Collective, settings: Settings, redact: Redactor) -> tuple[str | None, int]:
    sections = source_sections(settings)
    if not sections:
        return None, 0
    names = {s.name for s in sections}
    counter = RequestCounter()
    try:
        store = stores.get(row, settings.hub.language)
        connectors = build_connectors(settings, counter, store=store, with_programme=False,
                                      only=lambda s: s.name in names)
        report = await Engine(settings, store, connectors, counter, redact=redact).plan()
    except Exception as exc:  # the probe says so and tries again at the next interval
        log.warning("[%s] probe failed: %s", row.id, redact(f"{type(exc).__name__}: {exc}"))
        stores.forget(row)
        return None, sum(counter.total.values())
    requests = sum(counter.total.values())
    found = sorted(n for n, f in report.connectors.items() if not f.error and (f.merged or f.conflicts or f.held))
    if found or report.changes or report.conflicts or report.held:
        return "probe: " + (", ".join(found) or "sources"), requests
    return None, requests


def due_work(registry: Registry, now: float) -> tuple[list[str], list[str]]:
    """The tick: (collectives to probe, collectives to sync) now. Each is pushed back at once
    (a probe by a provisional delay its job replaces; a due sync cleared until the sync sets the
    next), so the next tick does not enqueue the same work again."""
    probes, syncs = registry.due(now)
    with registry.transaction() as conn:
        for row in probes:
            conn.execute(update(collectives).where(collectives.c.id == row.id).values(
                next_probe_at=now + jittered(FIRST_PROBE_DELAY, 0.5)))
        for row in syncs:
            conn.execute(update(collectives).where(collectives.c.id == row.id).values(next_sync_at=None))
    return [r.id for r in probes], [r.id for r in syncs]


def describe(row: Collective) -> dict[str, Any]:
    """A row as ``hub collective list --json`` shows it."""
    return {"id": row.id, "config": row.config, "paused": row.paused, "last_result": row.last_result,
            "last_at": row.last_at, "last_error": row.last_error, "syncs": row.syncs, "probes": row.probes,
            "probe_requests": row.probe_requests, "schema": row.schema}
