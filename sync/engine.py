"""The sync engine: pull -> merge -> plan -> outbox -> apply, with the guarantees of design §5.

One run:

1. *Recover* (sync only, under the writer lock): outbox entries left ``sending`` by a crashed
   run are put back to ``pending`` when re-applying them is harmless (item writes are idempotent
   upserts at deterministic places), or flagged ``in_doubt`` when they are chat messages.
2. *Pull* every readable connector concurrently; each failure stays with its connector.
3. *Merge* three-way (:mod:`sync.merge`) and stop a source whose items vanish en masse.
4. *Plan* (:mod:`sync.plan`) each sink over the sessions changed since it was last planned, and
   compute the announcement between the published version and the new one.
5. *Commit* in one transaction: canonical sessions, change log, links, cursors, conflicts, the
   outbox entries, the published version. Cursors never move without what they cover.
6. *Apply* the outbox per connector; a 412 sends that connector round again (re-pull, re-plan).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from config.secrets import Redactor, secret_values
from config.settings import Settings
from connectors.base import (
    Capability,
    Connector,
    ConnectorContext,
    Link,
    PullResult,
)
from connectors.http import RequestCounter, build_client
from connectors.programme_file import ProgrammeFileConfig, ProgrammeFileConnector
from connectors.registry import connector_class
from sync.announce import Announcement, Change, classify, diff_versions
from sync.apply import DATA_OPS, OutboxWorker, held_sessions
from sync.errors import (
    ConnectorError,
    HubError,
    InputError,
    StorageEmpty,
)
from sync.merge import SourceOutcome, examine_source, is_mass_deletion, reconcile
from sync.model import Event, Programme, Session, content_hash
from sync.plan import ConnectorPlan, plan_connector
from sync.report import ConnectorReport, Report, Runtime
from sync.state import StateStore, StoredConnectorState, WriterLock

log = logging.getLogger(__name__)
PROGRAMME_SOURCE = "programme"
MAX_ROUNDS = 3
Progress = Callable[[str, int, int], None]


class Engine:
    """Runs plans and syncs for one configuration."""

    def __init__(
        self,
        settings: Settings,
        *,
        force_delete: bool = False,
        progress: Progress | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.force_delete = force_delete
        self.progress = progress or (lambda phase, done, total: None)
        self.clock = clock
        self.counter = RequestCounter()
        self.store: StateStore | None = None
        self.redact = Redactor(secret_values(settings))

    def _describe(self, exc: BaseException) -> str:
        """What is recorded and shown of an error: never a secret, even from a library's text."""
        return self.redact(_describe_error(exc))

    # public entry points ---------------------------------------------------------------------
    async def sync(self) -> Report:
        """Plan and apply."""
        return await self._run(apply=True)

    async def plan(self) -> Report:
        """Pull and plan; write nothing anywhere."""
        return await self._run(apply=False)

    def open_store(self) -> StateStore:
        if self.store is None:
            self.store = StateStore.open(self.settings.database_url)
        return self.store

    # the run ---------------------------------------------------------------------------------
    async def _run(self, apply: bool) -> Report:
        store = self.open_store()
        lock_path = self.settings.resolve(self.settings.hub.lock_file) if self.settings.hub.lock_file else None
        if lock_path is None and self.settings.database_url.startswith("sqlite:///"):
            lock_path = self.settings.resolve(self.settings.database_url[len("sqlite:///"):] + ".lock")
        report = Report()
        runtimes = self._build_runtimes(report, store)
        lock = WriterLock(store, lock_path) if apply else None
        if lock is not None:
            lock.acquire()
        try:
            if apply:
                self._recover(store)
            retry: set[str] | None = None
            for _round in range(MAX_ROUNDS):
                pending_report = await self._round(store, runtimes, report, apply, only=retry)
                if not apply or not pending_report:
                    break
                retry = pending_report
            if apply:
                await self._refresh(store, runtimes)
            for runtime in runtimes:
                runtime.report.requests = self.counter.get(runtime.name)
        finally:
            for runtime in runtimes:
                try:
                    await runtime.connector.close()
                finally:
                    await runtime.connector.ctx.http.aclose()
            if lock is not None:
                lock.release()
        return report

    async def _refresh(self, store: StateStore, runtimes: list[Runtime]) -> None:
        """Time-driven work of each healthy connector (it costs nothing when nothing is due)."""
        waiting = [r for r in runtimes if type(r.connector).refresh is not Connector.refresh]
        meta = store.get_meta("programme")
        if meta is None or not waiting:
            return
        programme = _programme(meta, store.load_sessions())
        for runtime in waiting:
            if runtime.failed or not runtime.caps & (Capability.WRITE | Capability.ANNOUNCE):
                continue
            try:
                await runtime.connector.refresh(programme)
            except Exception as exc:
                log.warning("refresh of %s failed", runtime.name, exc_info=not isinstance(exc, ConnectorError))
                self._fail(runtime, exc)

    def _build_runtimes(self, report: Report, store: StateStore) -> list[Runtime]:
        runtimes: list[Runtime] = []
        language = self.settings.hub.language
        if self.settings.hub.programme:
            owns = self.settings.hub.programme_owns
            options: dict[str, Any] = {"path": self.settings.hub.programme}
            if owns is not None:
                options["owns"] = owns
            config = ProgrammeFileConfig(**options)
            ctx = ConnectorContext(PROGRAMME_SOURCE, build_client(PROGRAMME_SOURCE, self.counter), self.counter,
                                   language, self.settings.base_dir)
            report.connectors[PROGRAMME_SOURCE] = ConnectorReport()
            runtimes.append(Runtime(PROGRAMME_SOURCE, ProgrammeFileConnector(PROGRAMME_SOURCE, config, ctx),
                                    report.connectors[PROGRAMME_SOURCE]))
        for section in self.settings.connectors:
            cls = connector_class(section.config.type, section=section.name)
            ctx = ConnectorContext(section.name, build_client(section.name, self.counter), self.counter,
                                   language, self.settings.base_dir, StoredConnectorState(store, section.name))
            report.connectors[section.name] = ConnectorReport()
            runtimes.append(Runtime(section.name, cls(section.name, section.config, ctx),
                                    report.connectors[section.name]))
        return runtimes

    def _recover(self, store: StateStore) -> None:
        """Settle what a crashed run left ``sending``."""
        stuck = store.outbox_entries(states=("sending",))
        if not stuck:
            return
        with store.transaction() as conn:
            data = [e.id for e in stuck if e.op in DATA_OPS]
            doubt = [e.id for e in stuck if e.op not in DATA_OPS]
            if data:
                store.mark(conn, data, "pending")
            if doubt:
                store.mark(conn, doubt, "in_doubt",
                           error="the run stopped between sending and recording: delivery unknown")

    async def _round(
        self, store: StateStore, runtimes: list[Runtime], report: Report, apply: bool, only: set[str] | None
    ) -> set[str]:
        """One pull-merge-plan-commit-apply round; returns connectors to run again (412)."""
        breakers = store.open_breakers()
        meta = store.get_meta("programme")
        canonical = store.load_sessions()

        # pull ----------------------------------------------------------------------------
        readers = [r for r in runtimes if Capability.READ in r.caps and not r.failed
                   and (only is None or r.name in only or r.name == PROGRAMME_SOURCE)]
        for runtime in runtimes:
            if runtime.name in breakers:
                runtime.failed = True
                runtime.report.error = f"held: {breakers[runtime.name]} (hub connector reset {runtime.name})"
        programme_now = _programme(meta, canonical) if meta else None
        # Links are read once per round: on a large programme they are the costliest read.
        known_links = {r.name: store.links(r.name, r.connector.collection) for r in runtimes}
        pulls = await self._pull_all([r for r in readers if not r.failed], store, programme_now, known_links)

        # merge ---------------------------------------------------------------------------
        outcomes: list[SourceOutcome] = []
        new_meta = meta
        for runtime in readers:
            result = pulls.get(runtime.name)
            if result is None:
                continue
            links = known_links[runtime.name]
            outcome = examine_source(runtime.name, result, links, canonical, runtime.connector.owns,
                                     runtime.connector.collection)
            if not self.force_delete and is_mass_deletion(
                outcome.vanished, outcome.known, self.settings.hub.mass_delete_ratio, self.settings.hub.mass_delete_min
            ):
                error = StorageEmpty(runtime.name, outcome.vanished, outcome.known)
                runtime.failed = True
                runtime.report.error = str(error)
                runtime.report.failed += outcome.vanished
                pulls.pop(runtime.name)
                continue
            if result.meta is not None:
                new_meta = dict(result.meta)
            report.problems += [f"{runtime.name}: {p}" for p in result.problems]
            outcomes.append(outcome)
        if new_meta is None:
            if not report.problems and not any(r.report.error for r in runtimes):
                raise InputError("no programme yet: set [hub] programme to a programme file and run again")
            return set()
        merged = reconcile(canonical, outcomes)
        report.problems += merged.problems
        programme = _programme(new_meta, merged.sessions)
        meta_changed = new_meta != meta

        # plan ----------------------------------------------------------------------------
        seq = store.max_seq() + 1
        changes = [c for key, (old, new) in merged.changed.items() if (c := classify(old, new))]
        report.changes += sorted(changes, key=lambda c: ((c.after or c.before or {}).get("start", ""), c.session))
        report.conflicts += merged.conflicts
        held = held_sessions(store, merged.conflicts)
        plans: dict[str, ConnectorPlan] = {}
        plan_seq: dict[str, int] = {}
        for runtime in runtimes:
            if Capability.WRITE not in runtime.caps or runtime.failed:
                continue
            if Capability.READ in runtime.caps and runtime.name not in pulls:
                continue  # never push blind over a remote we could not read
            collection = runtime.connector.collection
            _token, synced = store.cursor(runtime.name, collection)
            links = {**known_links[runtime.name], **merged.links.get(runtime.name, {})}
            for key in merged.dropped_links.get(runtime.name, set()):
                links.pop(key, None)
            if synced == 0 or meta_changed:
                keys = set(programme.sessions) | set(links)
            else:
                keys = set(store.changed_since(synced))
            keys |= set(merged.changed) | merged.drift.get(runtime.name, set())
            plans[runtime.name] = plan_connector(runtime.connector, links, programme, keys,
                                                 held.get(runtime.name, set()))
            plan_seq[runtime.name] = seq
            runtime.report.unchanged = len(programme.sessions) - sum(
                1 for op in plans[runtime.name].ops if op.action != "delete")
        report.planned = plans

        initialized = store.get_meta("published_initialized") is not None
        waiting = self._waiting_changes(store, merged.changed)
        due = {key for key, last in waiting.items() if self.clock() - last >= self.settings.hub.announce_delay}
        announcement = self._announcement(store, due, programme) if initialized else None
        report.announcement = announcement
        if not apply:
            for name, plan in plans.items():
                r = report.connectors[name]
                r.created, r.updated, r.deleted = plan.count("create"), plan.count("update"), plan.count("delete")
            return set()

        # commit --------------------------------------------------------------------------
        with store.transaction() as conn:
            if meta_changed:
                store.set_meta(conn, "programme", new_meta)
            store.write_sessions(conn, [(key, new, content_hash(new) if new else None)
                                        for key, (_old, new) in merged.changed.items()], seq)
            store.log_changes(conn, merged.field_changes)
            for conflict in merged.conflicts:
                store.add_conflict(conn, conflict.session, conflict.field, conflict.connector,
                                   conflict.base, conflict.ours, conflict.theirs)
            for runtime in readers:
                result = pulls.get(runtime.name)
                if result is None:
                    continue
                collection = runtime.connector.collection
                known = known_links[runtime.name]
                store.save_links(conn, [link for key, link in merged.links.get(runtime.name, {}).items()
                                        if known.get(key) != link])
                for key in merged.dropped_links.get(runtime.name, set()):
                    store.drop_link(conn, runtime.name, collection, key)
                store.save_cursor(conn, runtime.name, collection, token=result.cursor)
            for name, plan in plans.items():
                runtime = _by_name(runtimes, name)
                collection = runtime.connector.collection
                pending = {e.key: e.id for e in store.outbox_entries(name, ("pending",))
                           if e.op in DATA_OPS and e.target == collection}
                store.save_links(conn, plan.adopted)
                store.enqueue_many(conn, [
                    # Data ops are deduplicated by superseding, not by key: each plan's op is new.
                    {"idem_key": uuid.uuid4().hex, "connector": name,
                     "target": collection, "op": op.action, "key": op.key, "payload": {"sequence": op.sequence}}
                    for op in plan.ops
                ], supersede=True)
                stale = [pending[k] for k in plan.considered - {op.key for op in plan.ops} if k in pending]
                if stale:
                    store.mark(conn, stale, "superseded")
                store.save_cursor(conn, name, collection, synced_seq=plan_seq[name], keep_token=True)
            if announcement is not None:
                payload = {"id": announcement.id, "changes": [_change_json(c) for c in announcement.changes]}
                for runtime in runtimes:
                    if Capability.ANNOUNCE not in runtime.caps:
                        continue
                    for target in runtime.connector.targets():
                        store.enqueue(conn, idem_key=_idem(runtime.name, target, announcement.id, str(seq)),
                                      connector=runtime.name, target=target, op="announce",
                                      key=announcement.id, payload=payload, supersede=False)
            if not initialized:
                # The first publication is the baseline, not news: nothing is announced.
                store.publish(conn, {k: s.to_record() for k, s in programme.sessions.items()})
                store.set_meta(conn, "published_initialized", True)
                store.set_meta(conn, "announce_waiting", {})
            else:
                store.publish(conn, {k: programme.sessions[k].to_record() if k in programme.sessions else None
                                     for k in due})
                store.set_meta(conn, "announce_waiting", {k: t for k, t in waiting.items() if k not in due})

        # apply ---------------------------------------------------------------------------
        worker = OutboxWorker(store, self.clock, self._describe, self._fail, self.progress)
        return await worker.apply_all(runtimes, programme)

    async def _pull_all(
        self, readers: list[Runtime], store: StateStore, programme: Programme | None,
        known_links: Mapping[str, Mapping[str, Link]],
    ) -> dict[str, PullResult]:
        results: dict[str, PullResult] = {}
        done = 0

        async def pull_one(runtime: Runtime) -> None:
            nonlocal done
            token, _ = store.cursor(runtime.name, runtime.connector.collection)
            links = known_links[runtime.name]
            try:
                await runtime.connector.open()
                results[runtime.name] = await runtime.connector.pull(token, links, programme or _EMPTY)
            except InputError:
                raise
            except Exception as exc:
                log.warning("pull from %s failed", runtime.name, exc_info=not isinstance(exc, ConnectorError))
                self._fail(runtime, exc)
            finally:
                done += 1
                self.progress("pull", done, len(readers))

        await asyncio.gather(*(pull_one(r) for r in readers))
        return results

    def _fail(self, runtime: Runtime, exc: BaseException) -> None:
        runtime.failed = True
        runtime.report.failed = max(runtime.report.failed, 1)
        runtime.report.error = self._describe(exc)

    def _waiting_changes(self, store: StateStore, changed: Mapping[str, Any]) -> dict[str, float]:
        """Sessions changed since they were last announced, with the time of their last change.

        An announcement waits until a session has been quiet for ``announce_delay`` seconds, so a
        burst of edits (or an edit and its undoing) makes one message (or none).
        """
        waiting: dict[str, float] = dict(store.get_meta("announce_waiting") or {})
        now = self.clock()
        for key in changed:
            waiting[key] = now
        return waiting

    def _announcement(self, store: StateStore, due: set[str], programme: Programme) -> Announcement | None:
        """The changes between the published version of ``due`` sessions and the current one."""
        if not due:
            return None
        changed = sorted(due)
        published = store.published_records(changed)
        current = {k: programme.sessions[k].to_record() for k in changed if k in programme.sessions}
        changes = diff_versions(published, current)
        return Announcement(tuple(changes), programme.venues) if changes else None

    # apply -----------------------------------------------------------------------------------
_EMPTY = Programme(Event(id="", title="", timezone="UTC"), (), {}, {})


def _programme(meta: Mapping[str, Any], sessions: Mapping[str, Mapping[str, Any]]) -> Programme:
    event, days, venues = Programme.meta_from_record(meta)
    tz = event.tz
    return Programme(event, days, venues, {k: Session.from_record(r, tz) for k, r in sessions.items()})


def _by_name(runtimes: list[Runtime], name: str) -> Runtime:
    return next(r for r in runtimes if r.name == name)


def _idem(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _change_json(change: Change) -> dict[str, Any]:
    return {**change.to_json(), "before": change.before, "after": change.after}


def _describe_error(exc: BaseException) -> str:
    if isinstance(exc, HubError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
