"""``hub daemon``: one process that keeps every configured channel current by itself.

It runs, in one asyncio loop:

* the *probes*: a cheap "anything new?" per source, every ``probe_interval`` seconds (its
  section's, or ``[daemon] probe_interval``) plus some jitter. A probe is the engine's plan over
  the sources that are due: each costs the one cheap request its ``pull`` makes when nothing
  changed (CalDAV ctag, Etherpad revision count, WordPress ``modified_after``...) and writes
  nothing. The programme file is looked at by its modification time every ``file_interval``
  seconds. A change found starts a whole sync at once.
* the *syncs*: the engine's ``sync`` (pull, merge, plan, commit, apply the outbox), one at a time,
  after the writer lock is seen free (a ``hub sync`` run by hand waits for the daemon's, and the
  daemon for it: never two applies). The outbox's retry schedule and the announcements' quiet
  period start a sync when they fall due.
* the *bots* (:func:`bots.run.run_bots`): every chat's front-end, polling or fed by webhooks.
* the *polls*: every probe interval, a Framadate date poll past its ``--until`` is closed and
  carried to its meeting, announced once (:func:`hub.poll.close_due_polls`, as ``hub poll
  status`` does by hand).
* the *web server* (:mod:`hub.web`, Starlette on uvicorn): webhooks, ``/healthz``, ``/readyz``,
  ``/metrics`` and the exports under ``/public/``.

SIGTERM stops taking work, gives the sync in flight ``[daemon] stop_timeout`` seconds and
abandons it after that (what was sent but not recorded is settled by the outbox at the next
start: re-applied when harmless, flagged ``in_doubt`` for a chat message), and exits 0. SIGHUP
reads the configuration again: a valid one replaces the old (the bots restart on it), a bad one
is refused and the old one kept; a changed ``[daemon] listen`` is said in the log and waits for a
restart (the socket stays where it is).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import json
import logging
import os
import random
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from config.connector import SECRET_MIN_LENGTH
from config.redaction import Redactor, encodings, install
from config.secrets import secret_values
from config.settings import ConnectorSettings, Settings
from connectors.net import forget_ssl_contexts
from hub.logs import speak
from hub.runtime import announcing_connectors, build_connectors, load_settings, open_store, source_sections
from sync.engine import Engine, writer_lock_path
from sync.errors import ConfigError, HubError, LockBusy, Problem
from sync.i18n import Catalogue, log_texts
from sync.protocol import RequestCounter
from sync.quiet import WAITING
from sync.report import Report
from sync.state import StateStore, WriterLock

log = logging.getLogger(__name__)

LOG_TEXTS = log_texts({
    "daemon listening on http://%s": "démon à l'écoute sur http://%s",
    "sync %d started (%s)": "synchronisation %d commencée (%s)",
    "sync %d done in %.1f s: %d change(s), %d failed connector(s)":
        "synchronisation %d terminée en %.1f s : %d changement(s), %d connecteur(s) en échec",
    "sync %d failed: %s": "synchronisation %d en échec : %s",
    "[%s] sync failed: %s": "[%s] synchronisation en échec : %s",
    "[%s] probe failed: %s": "[%s] sondage en échec : %s",
    "[%s] change found by the probe": "[%s] changement trouvé par le sondage",
    "another hub process is writing; the sync waits for it": "un autre processus hub écrit ; la synchronisation "
                                                              "attend qu'il finisse",
    "stopping: the sync in flight gets %.0f s to finish": "arrêt : la synchronisation en cours a %.0f s pour finir",
    "the sync in flight was abandoned; the next start settles it from the outbox":
        "la synchronisation en cours est abandonnée ; le prochain démarrage la termine depuis la file d'envoi",
    "configuration read again": "configuration relue",
    "[daemon] listen changed to %s: the daemon keeps listening on %s until it restarts":
        "[daemon] listen changé en %s : le démon reste à l'écoute sur %s jusqu'à son redémarrage",
    "new configuration refused, the old one is kept: %s": "nouvelle configuration refusée, l'ancienne est gardée : %s",
    "daemon stopped": "démon arrêté",
    "the bots stopped on an error: %s": "les bots se sont arrêtés sur une erreur : %s",
    "daemon stopped: %s": "démon arrêté : %s",
    "%d poll(s) closed": "%d sondage(s) clos",
    "poll close failed: %s": "clôture de sondage en échec : %s",
})

MESSAGES = Catalogue({
    "trigger.short": {"fr": "le jeton de déclenchement ({path}) a moins de {length} caractères",
                      "en": "the trigger token ({path}) is shorter than {length} characters"},
    "trigger.unreadable": {"fr": "le fichier du jeton de déclenchement {path} ne peut pas être lu ({reason})",
                           "en": "the trigger token file {path} cannot be read ({reason})"},
    "listen.bad": {"fr": "adresse d'écoute invalide « {listen} » : HÔTE:PORT attendu",
                   "en": "invalid listen address {listen!r}: HOST:PORT expected"},
})

#: The number of the daemon's sync a log line belongs to (``sync`` in JSON logs).
SYNC_ID: contextvars.ContextVar[int | None] = contextvars.ContextVar("hub_sync_id", default=None)


# --- logs ------------------------------------------------------------------------------------


class LogContext(logging.Filter):
    """Gives each record the connector it speaks of and the daemon's sync it belongs to.

    Put first on a handler (before the translation and the secrets' redactor, which fill the
    template in): the product's lines name a connector as their first ``[%s]`` argument.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "connector"):
            connector = None
            if isinstance(record.msg, str) and record.msg.startswith("[%s]") and isinstance(record.args, tuple) \
                    and record.args:
                connector = str(record.args[0])
            record.connector = connector
        if not hasattr(record, "sync"):
            record.sync = SYNC_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line (for a log collector): time, level, logger, message, connector,
    sync; the traceback, already masked by the redactor, under ``error``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("connector", "sync"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        error = record.exc_text or (self.formatException(record.exc_info) if record.exc_info else None)
        if error:
            entry["error"] = error
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(redact: Redactor, lang: str, *, stream: Any = None, level: int = logging.INFO) -> None:
    """The daemon's logs: JSON lines when stderr is not a terminal, plain lines on one; every
    line in ``lang``, with its connector and sync, and no secret."""
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    tty = hasattr(stream, "isatty") and stream.isatty()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s") if tty
                         else JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    for noisy in ("httpx", "httpcore", "uvicorn.access", "telegram", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    install(redact)
    speak(lang)
    handler.filters.insert(0, LogContext())


# --- settings the daemon reads -----------------------------------------------------------------


def trigger_token(settings: Settings) -> str | None:
    """The token ``POST /webhooks/trigger`` requires, or None (the trigger is off)."""
    daemon, lang = settings.daemon, settings.hub.language
    if daemon.trigger_token is not None:
        value = daemon.trigger_token.get_secret_value()
        where = "[daemon] trigger_token"
    elif daemon.trigger_token_file:
        path = settings.resolve(daemon.trigger_token_file)
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(Problem(MESSAGES.say("trigger.unreadable", lang, path=path, reason=exc.strerror),
                                      field="daemon.trigger_token_file", lang=lang)) from None
        where = str(path)
    else:
        return None
    if len(value) < SECRET_MIN_LENGTH:
        raise ConfigError(Problem(MESSAGES.say("trigger.short", lang, path=where, length=SECRET_MIN_LENGTH),
                                  field="daemon", lang=lang))
    return value


def listen_address(settings: Settings, override: str | None = None) -> tuple[str, int]:
    """``HOST:PORT`` of ``--listen`` or ``[daemon] listen``."""
    text = override or settings.daemon.listen
    host, _, port = text.rpartition(":")
    if not port.isdecimal() or not 0 <= int(port) < 65536:
        lang = settings.hub.language
        raise ConfigError(Problem(MESSAGES.say("listen.bad", lang, listen=text), field="daemon.listen", lang=lang))
    return host or "0.0.0.0", int(port)


def daemon_redactor(settings: Settings) -> Redactor:
    """Masks every secret of the configuration, the trigger token too."""
    found = set(secret_values(settings))
    with contextlib.suppress(ConfigError):
        token = trigger_token(settings)
        if token:
            found |= encodings(token)
    return Redactor(found)


def open_current_store(settings: Settings) -> StateStore:
    """The state store, its schema first brought up to date by a forked child.

    An upgrade imports Alembic and Mako (about 8 MiB that stay resident once imported); a
    one-off command does not care, but the daemon runs for weeks and would carry them from its
    first start on a new database, or after an upgrade, until its next restart. The child pays
    for them and exits; here the schema is found current and Alembic is never imported. If the
    child could not migrate, opening here tries again and says why.
    """
    import multiprocessing

    child = multiprocessing.get_context("fork").Process(target=_migrate, args=(settings,), daemon=True)
    child.start()
    child.join()
    return open_store(settings)


def _migrate(settings: Settings) -> None:
    with contextlib.suppress(Exception):  # said by the parent, which opens the store again
        open_store(settings).close()


# --- metrics -----------------------------------------------------------------------------------


class Recorder(Protocol):
    """What the daemon tells its metrics (:class:`hub.web.Metrics`)."""

    def sync_done(self, report: Report | None, seconds: float, result: str) -> None: ...

    def probed(self, connector: str, requests: int) -> None: ...

    def question(self, channel: str) -> None: ...


class _NoMetrics:
    def sync_done(self, report: Report | None, seconds: float, result: str) -> None:
        pass

    def probed(self, connector: str, requests: int) -> None:
        pass

    def question(self, channel: str) -> None:
        pass


# --- the daemon --------------------------------------------------------------------------------


@dataclasses.dataclass
class SyncOutcome:
    """The last sync the daemon ran, for ``/readyz`` and ``/metrics``."""

    number: int
    at: float
    seconds: float
    result: str  # ok, failed (a connector failed), error (the run failed), abandoned


class Daemon:
    """The daemon's state and its loops; :meth:`run` runs them until :meth:`shutdown`."""

    def __init__(self, settings: Settings, config_path: str | None, *, listen: str | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.config_path = config_path
        self.listen = listen
        self.clock = clock
        self.store: StateStore = open_current_store(settings)
        self.token = trigger_token(settings)
        self.address = listen_address(settings, listen)
        self.metrics: Recorder = _NoMetrics()
        self.stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._reasons: list[str] = []
        self._waiters: list[asyncio.Future[Report]] = []
        self._reverts: list[int] = []  # runs to undo (the organisers' page), one per sync
        self._syncing = False
        self.syncs = 0
        self.last: SyncOutcome | None = None
        #: Last time (wall clock) each connector took part in a sync without failing.
        self.last_success: dict[str, float] = {}
        self._next_probe: dict[str, float] = {}
        self._probe_failing: set[str] = set()
        self._file_stamp: tuple[int, int] | None = self._programme_stamp()
        #: When the outbox's retry or the quiet period's announcements want a sync, and which.
        self._next_retry: tuple[float, str] | None = None
        self._bots_stop = asyncio.Event()
        self._bots: asyncio.Task[None] | None = None
        #: Chat front-ends that take webhooks, by their path under /webhooks/.
        self.receivers: dict[str, list[Any]] = {}
        self.started = time.time()

    # asking for a sync -------------------------------------------------------------------
    def request_sync(self, reason: str) -> None:
        """Start a sync as soon as the one in flight (if any) ends."""
        self._reasons.append(reason)
        self._wake.set()

    async def sync_now(self, reason: str = "asked", *, revert: int | None = None) -> Report:
        """Ask for a sync and wait for its report (an admin's ``/sync`` from a chat); with
        ``revert``, a sync that also undoes that numbered run (``hub revert``)."""
        future: asyncio.Future[Report] = asyncio.get_running_loop().create_future()
        if revert is not None:
            self._reverts.append(revert)
        self._waiters.append(future)
        self.request_sync(reason)
        return await future

    @property
    def busy(self) -> bool:
        return self._syncing

    # the loops ------------------------------------------------------------------------------
    async def run(self) -> None:
        """Run until :meth:`shutdown`: a first sync, then probes, syncs, bots and the web server."""
        from hub.web import Metrics, serve

        self.metrics = Metrics(self)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.shutdown)
        with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError):
            loop.add_signal_handler(signal.SIGHUP, self.reload)
        server, web = await serve(self)
        log.info("daemon listening on http://%s", f"{self.address[0]}:{self.address[1]}")
        self._start_bots()
        self.request_sync("start")
        syncs = asyncio.create_task(self._sync_loop())
        probes = asyncio.create_task(self._probe_loop())
        try:
            await self.stopping.wait()
        finally:
            probes.cancel()
            stop_timeout = self.settings.daemon.stop_timeout
            if self._syncing:
                log.info("stopping: the sync in flight gets %.0f s to finish", stop_timeout)
            try:
                await asyncio.wait_for(syncs, stop_timeout)
            except TimeoutError:
                log.warning("the sync in flight was abandoned; the next start settles it from the outbox")
            for waiter in self._waiters:
                waiter.cancel()
            await self._stop_bots(within=2.0)
            server.should_exit = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(web, 2.0)
            await asyncio.gather(probes, return_exceptions=True)
            self.store.close()
            log.info("daemon stopped")

    def shutdown(self) -> None:
        """SIGTERM: take no more work; :meth:`run` winds down."""
        self.stopping.set()
        self._wake.set()

    def reload(self) -> None:
        """SIGHUP: read the configuration again; keep the old one if the new one is refused."""
        try:
            settings = load_settings(self.config_path)
            token = trigger_token(settings)
            address = listen_address(settings, self.listen)
        except HubError as exc:
            log.warning("new configuration refused, the old one is kept: %s", exc)
            return
        if address != self.address:
            # The socket stays: rebinding would drop webhooks in flight and could fail (a port
            # in use) after the old one was let go; the container's healthcheck and port mapping
            # name the old address anyway. Said, and the rest of the configuration applies.
            log.warning("[daemon] listen changed to %s: the daemon keeps listening on %s until it restarts",
                        f"{address[0]}:{address[1]}", f"{self.address[0]}:{self.address[1]}")
        self.settings, self.token = settings, token
        forget_ssl_contexts()  # a CA bundle replaced on disk is read again
        install(daemon_redactor(settings))
        speak(settings.hub.language)
        self._next_probe.clear()
        self._file_stamp = self._programme_stamp()
        log.info("configuration read again")
        asyncio.get_running_loop().create_task(self._restart_bots())
        self.request_sync("reload")

    async def _sync_loop(self) -> None:
        while not self.stopping.is_set():
            timeout = self._due_in()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
            if self.stopping.is_set():
                break
            if not self._wake.is_set() and self._next_retry is not None:
                self._reasons.append(self._next_retry[1])
            self._wake.clear()
            reasons, self._reasons = sorted(set(self._reasons)), []
            waiters, self._waiters = self._waiters, []
            revert = self._reverts.pop(0) if self._reverts else None  # with the waiters that asked for it
            report = await self._sync(", ".join(reasons) or "retry", revert)
            for waiter in waiters:
                if waiter.done():
                    continue
                if report is None:
                    waiter.set_exception(RuntimeError("the sync failed; see the daemon's log"))
                else:
                    waiter.set_result(report)

    def _due_in(self) -> float | None:
        """Seconds until the outbox or the quiet period wants a sync (None: nothing waits)."""
        if self._next_retry is None:
            return None
        return max(0.0, self._next_retry[0] - self.clock())

    async def _sync(self, reason: str, revert: int | None = None) -> Report | None:
        """One whole sync, after the writer lock is seen free (waiting without blocking the loop)."""
        self._syncing = True
        self.syncs += 1
        number = self.syncs
        token = SYNC_ID.set(number)
        start = self.clock()
        report: Report | None = None
        result = "error"
        try:
            await self._writer_free()
            log.info("sync %d started (%s)", number, reason)
            settings = self.settings
            # The lock was just seen free: the engine takes it without the long wait, which
            # would block this loop (its wait polls with time.sleep).
            quick = dataclasses.replace(settings, hub=settings.hub.model_copy(update={"lock_wait": 1.0}))
            counter = RequestCounter()
            connectors = build_connectors(quick, counter, store=self.store, only=lambda s: s.config.sync)
            engine = Engine(quick, self.store, connectors, counter, redact=daemon_redactor(settings), revert=revert)
            report = await engine.sync()
            with self.store.transaction() as conn:
                stamp = datetime.now().astimezone().isoformat()
                self.store.set_meta(conn, "last_report", {**report.to_json(), "at": stamp, "by": "daemon"})
            failed = [name for name, r in report.connectors.items() if r.error or r.failed]
            for name, figures in report.connectors.items():
                if name not in failed:
                    self.last_success[name] = time.time()
                else:
                    log.warning("[%s] sync failed: %s", name, figures.error or f"{figures.failed} failed")
            result = "failed" if failed else "ok"
            log.info("sync %d done in %.1f s: %d change(s), %d failed connector(s)", number,
                     self.clock() - start, len(report.changes), len(failed))
        except asyncio.CancelledError:
            result = "abandoned"
            raise
        except LockBusy as exc:
            log.warning("sync %d failed: %s", number, exc)
            self._reasons.append("busy")
        except HubError as exc:
            log.warning("sync %d failed: %s", number, exc)
        except Exception as exc:  # a bug must not kill the daemon: said, and retried later
            log.error("sync %d failed: %s", number, f"{type(exc).__name__}: {exc}", exc_info=True)
        finally:
            seconds = self.clock() - start
            self.last = SyncOutcome(number, time.time(), seconds, result)
            self.metrics.sync_done(report, seconds, result)
            self._syncing = False
            SYNC_ID.reset(token)
            self._next_probe.clear()  # every source was just read
            self._schedule_retry(failed=result != "ok")
            if self._reverts:
                self._wake.set()
        return report

    async def _writer_free(self) -> None:
        """Wait, without blocking the loop, until no other process holds the writer lock."""
        lock = WriterLock(self.store, writer_lock_path(self.settings))
        said = False
        while True:
            try:
                lock.acquire(wait=0)
            except LockBusy:
                if not said:
                    log.info("another hub process is writing; the sync waits for it")
                    said = True
                await asyncio.sleep(0.2)
                continue
            lock.release()
            return

    def _schedule_retry(self, *, failed: bool) -> None:
        """When the outbox's next retry or the quiet period's next announcement falls due."""
        now_wall, now = time.time(), self.clock()
        moments: list[tuple[float, str]] = []
        pending = self.store.outbox_entries(states=("pending",))
        if pending:
            # next_at is wall-clock time; a retry comes no sooner than one probe interval, so a
            # server that keeps failing is not hammered when retry_delay is 0.
            due = min(e.next_at for e in pending)
            moments.append((now + max(due - now_wall, self.settings.daemon.probe_interval if failed else 0.0),
                            "outbox retry"))
        waiting = self.store.get_meta(WAITING) or {}
        if waiting:
            due = min(float(v) for v in waiting.values()) + self.settings.hub.announce_delay
            moments.append((now + max(0.0, due - now_wall) + 0.05, "announcements due"))
        self._next_retry = min(moments) if moments else None

    # probes ---------------------------------------------------------------------------------
    def _programme_stamp(self) -> tuple[int, int] | None:
        if not self.settings.hub.programme:
            return None
        try:
            info = os.stat(self.settings.resolve(self.settings.hub.programme))
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size

    def _interval(self, section: ConnectorSettings) -> float:
        return section.config.probe_interval or self.settings.daemon.probe_interval

    def _probed(self) -> list[ConnectorSettings]:
        """The sections a probe looks at: every source the engine syncs."""
        return source_sections(self.settings)

    async def _probe_loop(self) -> None:
        tick = min(0.25, self.settings.daemon.file_interval)
        next_file = next_polls = 0.0
        while not self.stopping.is_set():
            now = self.clock()
            daemon = self.settings.daemon
            if now >= next_polls and not self._syncing and not self._wake.is_set():
                next_polls = now + daemon.probe_interval
                await self._close_polls()
            if now >= next_file:
                next_file = now + daemon.file_interval
                stamp = self._programme_stamp()
                if stamp != self._file_stamp:
                    self._file_stamp = stamp
                    self.request_sync("programme file")
            if not self._syncing and not self._wake.is_set():
                due = []
                for section in self._probed():
                    at = self._next_probe.get(section.name)
                    if at is None:
                        at = self._next_probe[section.name] = now + self._jittered(self._interval(section))
                    if at <= now:
                        due.append(section)
                if due:
                    await self._probe(due)
                    later = self.clock()
                    for section in due:
                        self._next_probe[section.name] = later + self._jittered(self._interval(section))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), tick)

    async def _close_polls(self) -> None:
        """Close the Framadate polls whose close is due (read from the state: no request when
        none is); a failure is said and tried again at the next interval."""
        from hub.poll import close_due_polls, due_polls, framadate_sections

        if not framadate_sections(self.settings):
            return
        try:
            if not due_polls(self.settings, self.store):
                return
            done = await close_due_polls(self.settings, self.store)
        except HubError as exc:
            log.warning("poll close failed: %s", exc)
            return
        except Exception as exc:  # a bug must not stop the probes
            log.error("poll close failed: %s", f"{type(exc).__name__}: {exc}", exc_info=True)
            return
        if done:
            log.info("%d poll(s) closed", len(done))
            if self.store.outbox_entries(states=("pending",)):
                self.request_sync("outbox retry")  # a message the outbox could not send yet

    def _jittered(self, interval: float) -> float:
        return interval * (1 + random.uniform(0, self.settings.daemon.jitter))  # jitter, not a secret

    async def _probe(self, due: list[ConnectorSettings]) -> None:
        """The engine's plan over the due sources: one cheap request each when nothing changed."""
        names = {s.name for s in due}
        counter = RequestCounter()
        settings = self.settings
        try:
            connectors = build_connectors(settings, counter, store=self.store, with_programme=False,
                                          only=lambda s: s.name in names)
            report = await Engine(settings, self.store, connectors, counter,
                                  redact=daemon_redactor(settings)).plan()
        except HubError as exc:
            log.warning("[%s] probe failed: %s", ", ".join(sorted(names)), exc)
            return
        except Exception as exc:
            log.error("[%s] probe failed: %s", ", ".join(sorted(names)), f"{type(exc).__name__}: {exc}",
                      exc_info=True)
            return
        found = []
        unseen = self._unseen_holds(report)
        for name, figures in report.connectors.items():
            self.metrics.probed(name, figures.requests)
            if figures.error:
                if name not in self._probe_failing:
                    log.warning("[%s] probe failed: %s", name, figures.error)
                self._probe_failing.add(name)
                continue
            self._probe_failing.discard(name)
            if figures.merged or figures.conflicts or name in unseen:
                found.append(name)
        if report.changes or report.conflicts or unseen:
            found += [n for n in names if n not in found and not report.connectors[n].error]
        for name in sorted(set(found)):
            log.info("[%s] change found by the probe", name)
        if found:
            self.request_sync("probe: " + ", ".join(sorted(set(found))))

    def _unseen_holds(self, report: Report) -> set[str]:
        """The sources whose held changes are not the batch already waiting for review: a held
        source that nobody touched since is probed every interval, but its batch was recorded
        and told already, so it starts no sync (one would change nothing)."""
        waiting = {b.connector: _plain(b.summary) for b in self.store.held_batches(("open",))}
        unseen = set()
        for entry in report.held:
            name = str(entry["connector"])
            summary = waiting.get(name)
            if summary is None or {k: _plain(entry.get(k)) for k in summary} != summary:
                unseen.add(name)
        return unseen

    # bots -----------------------------------------------------------------------------------
    def _start_bots(self) -> None:
        from bots.run import run_bots

        settings = self.settings
        connectors = announcing_connectors(settings, RequestCounter())
        self._bots_stop = asyncio.Event()
        self.receivers = {}

        def register(name: str, frontend: Any) -> None:
            kind = getattr(frontend, "webhook", None)
            if isinstance(kind, str) and kind:
                self.receivers.setdefault(kind, []).append(frontend)

        async def run_sync() -> Report:
            return await self.sync_now("chat")

        self._bots = asyncio.create_task(run_bots(settings, self._bots_stop, connectors=connectors,
                                                  run_sync=run_sync, register=register,
                                                  on_question=self.metrics.question))

    async def _stop_bots(self, within: float) -> None:
        self._bots_stop.set()
        if self._bots is not None:
            try:
                await asyncio.wait_for(self._bots, within)
            except TimeoutError:
                pass
            except Exception as exc:
                log.error("the bots stopped on an error: %s", f"{type(exc).__name__}: {exc}")
            self._bots = None

    async def _restart_bots(self) -> None:
        await self._stop_bots(within=5.0)
        if not self.stopping.is_set():
            self._start_bots()

    # readiness ------------------------------------------------------------------------------
    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """For ``/readyz``: the state store answers, and each connector's breaker."""
        try:
            breakers = self.store.open_breakers()
            self.store.max_seq()
        except Exception as exc:
            return False, {"store": f"unreachable: {type(exc).__name__}"}
        names = [s.name for s in self.settings.connectors]
        body: dict[str, Any] = {
            "store": "ok",
            "connectors": {n: ({"breaker": "open", "reason": breakers[n]} if n in breakers else {"breaker": "closed"})
                           for n in names},
            "syncing": self._syncing,
        }
        if self.last is not None:
            body["last_sync"] = {"number": self.last.number, "result": self.last.result,
                                 "at": datetime.fromtimestamp(self.last.at, UTC).isoformat()}
        return True, body

    def public_dir(self) -> Path | None:
        public = self.settings.daemon.public
        return self.settings.resolve(public) if public else None

    def next_probes(self) -> dict[str, float]:
        """When (wall clock) each source is probed next."""
        now_wall, now = time.time(), self.clock()
        return {name: now_wall + max(0.0, at - now) for name, at in self._next_probe.items()}


def _plain(value: Any) -> Any:
    """``value`` as JSON gives it back (tuples as lists), to compare a plan's summary with a stored one."""
    return json.loads(json.dumps(value, default=str))


def daemon_command(config_path: str | None, listen: str | None) -> int:
    """``hub daemon``: run until SIGTERM; 0 on a clean stop, 2 on a bad configuration."""
    from hub.console import EXIT_BAD_INPUT, EXIT_OK, fail, language

    lang = language()
    try:
        settings = load_settings(config_path)
        lang = settings.hub.language
        redact = daemon_redactor(settings)
        setup_logging(redact, lang)

        async def go() -> None:
            await Daemon(settings, config_path, listen=listen).run()

        asyncio.run(go())
    except HubError as exc:
        return fail(exc, lang, False)
    except OSError as exc:  # the port is taken, the address is not this machine's
        log.error("daemon stopped: %s", f"{type(exc).__name__}: {exc}")
        return EXIT_BAD_INPUT
    return EXIT_OK
