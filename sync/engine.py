"""The sync engine: pull -> merge -> plan -> commit -> apply, with the guarantees of design §5.

One run:

1. *Recover* (sync only, under the writer lock): outbox entries left ``sending`` by a crashed
   run are put back to ``pending`` when re-applying them is harmless (item writes are idempotent
   upserts at deterministic places), or flagged ``in_doubt`` when they are chat messages.
2. Rounds of named stages, each in its own module:
   *pull* (:mod:`sync.pull`) every readable connector concurrently, each failure staying with
   its connector; *merge* three-way (:mod:`sync.merge`), stopping a source whose items vanish
   en masse; *plan* (:mod:`sync.plan`) each sink over the sessions changed since it was last
   planned, and let the quiet period (:mod:`sync.quiet`) say what is due for announcement;
   *commit* (:mod:`sync.commit`) all of it in one transaction; *apply* (:mod:`sync.apply`) the
   outbox per connector. A 412 sends that connector round again (re-pull, re-plan).
3. *Refresh*: time-driven work of each healthy connector.
4. A run that ends with nothing left to do (nothing failed, held or in conflict) records the
   digests of its settings and of the hub's code (:mod:`sync.inputs`); every run forgets it when it starts, so ``hub
   sync`` trusts it only while no run changed the state since (:mod:`sync.quick`).

The engine receives ready connectors (``hub.runtime`` builds them) and owns them for one run:
they are closed when it ends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from config.redaction import Redactor
from config.settings import Settings
from sync.announce import classify
from sync.apply import OutboxWorker
from sync.commit import Hold, RoundDecisions, RunNumber, commit_round
from sync.errors import HubError, InputError, StorageEmpty
from sync.i18n import Catalogue
from sync.inputs import CODE, SETTINGS, running_code_digest, settings_digest
from sync.lazy import Lazy, SessionView
from sync.merge import MergeResult, SourceOutcome, examine_source, is_mass_deletion, reconcile
from sync.model import EXISTENCE, Event, Programme, content_hash
from sync.plan import ConnectorPlan, held_sessions, plan_sinks
from sync.protocol import DATA_OPS, Capability, Connector, Link, PullResult, RequestCounter
from sync.pull import is_bug, pull_all
from sync.quiet import settle
from sync.report import ConnectorReport, Report, Runtime
from sync.retry import RetryPolicy
from sync.review import ReviewRule, as_rejected, digest, hold_reason, revert_outcome, summarize, touched
from sync.state import HeldBatch, StateStore, WriterLock

log = logging.getLogger(__name__)
MAX_ROUNDS = 3
MESSAGES = Catalogue({
    "rounds.refused": {"fr": "écritures encore refusées (412) après {rounds} tours : ces éléments changent pendant "
                             "la synchronisation ; la prochaine synchronisation réessaie",
                       "en": "writes still refused (412) after {rounds} rounds: these items change while the hub "
                             "syncs; the next sync tries again"},
    "revert.lost": {"fr": "cette séance ne peut pas être rétablie (son contenu n'a pas été gardé)",
                    "en": "this session cannot be brought back (its content was not kept)"},
})
say = MESSAGES.say
Progress = Callable[[str, int, int], None]


@dataclass
class Snapshot:
    """What the state store holds at the start of a round."""

    meta: Mapping[str, Any] | None
    canonical: Lazy[dict[str, Any]]
    links: dict[str, Lazy[Link]]

    @property
    def programme(self) -> Programme | None:
        return programme_from(self.meta, self.canonical) if self.meta else None


@dataclass
class Merged:
    """The merge stage's result: the new programme and the pulls that fed it."""

    result: MergeResult
    meta: Mapping[str, Any]
    programme: Programme
    pulls: dict[str, PullResult]
    holds: list[Hold] = field(default_factory=list)
    closed: dict[int, str] = field(default_factory=dict)

    def meta_changed(self, before: Mapping[str, Any] | None) -> bool:
        return self.meta != before


class Engine:
    """Runs one plan or one sync over ready connectors."""

    def __init__(
        self,
        settings: Settings,
        store: StateStore,
        connectors: Sequence[Connector[Any]],
        counter: RequestCounter,
        *,
        redact: Redactor | None = None,
        force_delete: bool = False,
        progress: Progress | None = None,
        clock: Callable[[], float] = time.time,
        revert: int | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.connectors = list(connectors)
        self.counter = counter
        self.redact = redact or Redactor()
        self.force_delete = force_delete
        self.progress = progress or (lambda phase, done, total: None)
        self.clock = clock
        #: ``hub revert``: the numbered run whose changes this run undoes (first round only).
        self.revert = revert
        self.run = RunNumber("revert" if revert is not None else "sync",
                             f"revert of {revert}" if revert is not None else None)

    def describe(self, exc: BaseException) -> str:
        """What is recorded and shown of an error: never a secret, even from a library's text."""
        text = str(exc) if isinstance(exc, HubError) else f"{type(exc).__name__}: {exc}"
        return self.redact(text)

    # public entry points ---------------------------------------------------------------------
    async def sync(self) -> Report:
        """Plan and apply."""
        return await self._run(apply=True)

    async def plan(self) -> Report:
        """Pull and plan; write nothing anywhere."""
        return await self._run(apply=False)

    # the run ---------------------------------------------------------------------------------
    def lock_path(self) -> Path | None:
        """The file of the writer lock a sync takes (see :func:`writer_lock_path`)."""
        return writer_lock_path(self.settings)

    async def _run(self, apply: bool) -> Report:
        store = self.store
        report = Report()
        runtimes = []
        for connector in self.connectors:
            report.connectors[connector.name] = ConnectorReport()
            runtimes.append(Runtime(connector.name, connector, report.connectors[connector.name]))
        lock = WriterLock(store, self.lock_path()) if apply else None
        if lock is not None:
            lock.acquire(wait=self.settings.hub.lock_wait)
        try:
            if apply:
                self._recover()
                with store.transaction() as conn:
                    store.forget_inputs(conn)  # until this run ends with nothing left to do
            retry: set[str] | None = None
            again: set[str] = set()
            for _round in range(MAX_ROUNDS):
                again = await self._round(runtimes, report, apply, only=retry)
                if not apply or not again:
                    break
                retry = again
            for runtime in runtimes:
                if apply and runtime.name in again and not runtime.failed:
                    # Refused (412) in every round: what is left unwritten is a failure, not a success.
                    runtime.report.failed = max(runtime.report.failed, 1)
                    runtime.report.error = say("rounds.refused", self.settings.hub.language, rounds=MAX_ROUNDS)
            if apply:
                await self._refresh(runtimes)
            for runtime in runtimes:
                runtime.report.requests = self.counter.get(runtime.name)
            if apply and not again and report.up_to_date and not any(r.failed for r in runtimes):
                with store.transaction() as conn:
                    store.record_inputs(conn, {SETTINGS: settings_digest(self.settings), CODE: running_code_digest()})
        finally:
            for runtime in runtimes:
                try:
                    await runtime.connector.close()
                finally:
                    await runtime.connector.ctx.close_http()
            if lock is not None:
                lock.release()
        return report

    def _recover(self) -> None:
        """Settle what a crashed run left ``sending``, and re-plan ops from an older hub."""
        store = self.store
        stuck = store.outbox_entries(states=("sending",))
        legacy = [e for e in store.outbox_entries(states=("pending", "sending"))
                  if e.op in DATA_OPS and "hash" not in (e.payload or {})]
        if not stuck and not legacy:
            return
        with store.transaction() as conn:
            data = [e.id for e in stuck if e.op in DATA_OPS]
            doubt = [e.id for e in stuck if e.op not in DATA_OPS]
            if data:
                store.mark(conn, data, "pending")
            if doubt:
                store.mark(conn, doubt, "in_doubt",
                           error="the run stopped between sending and recording: delivery unknown")
            if legacy:
                # Queued before operations carried their projection: plan those sinks afresh.
                store.mark(conn, [e.id for e in legacy], "superseded")
                for connector, collection in {(e.connector, e.target) for e in legacy}:
                    store.save_cursor(conn, connector, collection, synced_seq=0, keep_token=True)

    async def _round(
        self, runtimes: list[Runtime], report: Report, apply: bool, only: set[str] | None
    ) -> set[str]:
        """One pull-merge-plan-commit-apply round; returns connectors to run again (412)."""
        store = self.store
        self._hold_broken(runtimes)
        snapshot = Snapshot(
            store.get_meta("programme"),
            # Read as far as the round looks: what the sources changed, what the sinks must
            # hear of. A round where nothing changed decodes no session and no link.
            store.stored_sessions(),
            {r.name: store.stored_links(r.name, r.connector.collection) for r in runtimes},
        )
        readers = [r for r in runtimes if Capability.READ in r.caps and not r.failed
                   and (only is None or r.name in only or r.connector.whole_programme)]
        programme = snapshot.programme
        if programme is None:
            # No programme yet (a first run, a lost state store): the sources of the whole
            # programme are read first, so the others read their items against it (a calendar
            # event's time zone and venue), and a lost store finds the hub's events again.
            first = [r for r in readers if r.connector.whole_programme]
            pulls = await pull_all(first, store, _EMPTY, snapshot.links, self._fail, self.progress)
            metas = [result.meta for result in pulls.values() if result.meta is not None]
            programme = programme_from(metas[0], {}) if metas else _EMPTY
            rest = [r for r in readers if not r.connector.whole_programme]
            pulls.update(await pull_all(rest, store, programme, snapshot.links, self._fail, self.progress))
        else:
            pulls = await pull_all(readers, store, programme, snapshot.links, self._fail, self.progress)
        for name, result in pulls.items():
            keys = [item.key for item in result.items if item.key is not None] + list(result.deleted)
            snapshot.links[name].prefetch(keys)
            snapshot.canonical.prefetch(keys)
        merged = self._merge(readers, pulls, snapshot, report)
        if merged is None:
            return set()

        self._report_merged(merged.result, report)
        changes = [c for old, new in merged.result.changed.values() if (c := classify(old, new))]
        report.changes += sorted(changes, key=lambda c: ((c.after or c.before or {}).get("start", ""), c.session))
        report.conflicts += merged.result.conflicts
        plans = plan_sinks(store, runtimes, merged.programme, merged.result, snapshot.links, merged.pulls,
                           held_sessions(store, merged.result.conflicts), merged.meta_changed(snapshot.meta),
                           content_hash(merged.meta))
        self._report_plans(plans, merged.programme, report, counted=not apply)
        quiet = settle(store, merged.result.changed, merged.programme, self.clock(),
                       self.settings.hub.announce_delay)
        if quiet.announcement is not None and self.run.kind == "revert":
            quiet.announcement = replace(quiet.announcement, correction=True)
        report.announcement = quiet.announcement
        if not apply:
            self._report_holds(merged.holds, report)
            return set()

        commit_round(store, runtimes, RoundDecisions(
            seq=store.max_seq() + 1,
            meta=merged.meta if merged.meta_changed(snapshot.meta) else None, programme_meta=merged.meta,
            merged=merged.result, programme=merged.programme, pulls=merged.pulls,
            known_links=snapshot.links, plans=plans, quiet=quiet,
            run=self.run, at=datetime.fromtimestamp(self.clock(), UTC), holds=merged.holds,
            closed=merged.closed, notify=self._notice_targets(runtimes),
        ))
        self._report_holds(merged.holds, report)
        self.revert = None
        retry = RetryPolicy(self.settings.hub.retry_delay, self.settings.hub.retry_max_delay)
        worker = OutboxWorker(store, self.clock, self.describe, self._fail, self.progress, retry)
        return await worker.apply_all(runtimes, merged.programme)

    def _hold_broken(self, runtimes: list[Runtime]) -> None:
        """Connectors whose breaker is open sit the run out until a person resets them."""
        breakers = self.store.open_breakers()
        for runtime in runtimes:
            if runtime.name in breakers:
                runtime.failed = True
                runtime.report.error = f"held: {breakers[runtime.name]} (hub connector reset {runtime.name})"

    def _merge(
        self, readers: list[Runtime], pulls: dict[str, PullResult], snapshot: Snapshot, report: Report
    ) -> Merged | None:
        """Examine each pull, hold what needs a person's review, reconcile the rest."""
        outcomes: list[SourceOutcome] = []
        holds: list[Hold] = []
        closed: dict[int, str] = {}
        batches = {b.connector: b for b in self.store.held_batches()}
        meta = snapshot.meta
        for runtime in readers:
            result = pulls.get(runtime.name)
            if result is None:
                continue
            outcome = examine_source(runtime.name, result, snapshot.links[runtime.name], snapshot.canonical,
                                     runtime.connector.owns, runtime.connector.collection)
            verdict = self._review(runtime, outcome, snapshot.canonical, batches.get(runtime.name), closed)
            report.problems += [f"{runtime.name}: {p}" for p in result.problems]
            if isinstance(verdict, Hold):
                holds.append(verdict)
                runtime.report.held = verdict.summary.sessions
                pulls.pop(runtime.name)
                continue
            if verdict is None:  # stopped by the mass-delete guard
                pulls.pop(runtime.name)
                continue
            if result.meta is not None:
                meta = dict(result.meta)
            outcomes.append(verdict)
        if self.revert is not None:
            undo, lost = revert_outcome(self.store.sync_changes(self.revert), snapshot.canonical)
            report.problems += [f"revert: {key}: {say('revert.lost', self.settings.hub.language)}" for key in lost]
            outcomes.append(undo)
        if meta is None:
            if not report.problems and not any(r.error for r in report.connectors.values()):
                raise InputError("no programme yet: set [hub] programme to a programme file and run again")
            return None
        merged = reconcile(snapshot.canonical, outcomes)
        report.problems += merged.problems
        if not snapshot.canonical and self.run.id is None:
            self.run.kind = "import"  # the first programme: the baseline, not edits to review
        return Merged(merged, meta, programme_from(meta, merged.sessions), pulls, holds, closed)

    def _review(
        self, runtime: Runtime, outcome: SourceOutcome, canonical: Mapping[str, Any],
        batch: HeldBatch | None, closed: dict[int, str],
    ) -> SourceOutcome | Hold | None:
        """What to merge of one source's pull: all of it, its edits refused, or nothing (held,
        or stopped by the mass-delete guard: None)."""
        hub = self.settings.hub
        rule = self._rule(runtime)
        if batch is not None and batch.state == "rejected":
            closed[batch.id] = "restored"
            return as_rejected(outcome)
        if self.force_delete:
            if batch is not None:
                closed[batch.id] = "merged"
            return outcome
        guarded = rule.policy == "never" or EXISTENCE not in runtime.connector.owns
        if guarded and is_mass_deletion(outcome.vanished, outcome.known, hub.mass_delete_ratio, hub.mass_delete_min):
            runtime.failed = True
            runtime.report.error = str(StorageEmpty(runtime.name, outcome.vanished, outcome.known))
            runtime.report.failed += outcome.vanished
            return None
        if not touched(outcome):
            if batch is not None:
                closed[batch.id] = "superseded"  # the source holds the programme's values again
            return outcome
        fingerprint = digest(outcome)
        if batch is not None and batch.state == "accepted" and batch.digest == fingerprint:
            closed[batch.id] = "merged"
            return outcome
        if rule.policy == "never":
            if batch is not None:
                closed[batch.id] = "superseded"  # the source is no longer reviewed
            return outcome
        if self.store.rejected_digest(runtime.name, fingerprint):
            return as_rejected(outcome)  # the same edits a person already refused: refused again
        since = datetime.fromtimestamp(self.clock(), UTC) - timedelta(hours=rule.window_hours)
        recent = self.store.touched_by(runtime.name, since) if rule.window_hours else set()
        reason = hold_reason(rule, outcome, len(canonical), recent)
        if reason is None:
            if batch is not None:
                closed[batch.id] = "superseded"  # what is left is small enough to merge
            return outcome
        return Hold(runtime.name, reason, fingerprint, summarize(outcome, canonical))

    def _rule(self, runtime: Runtime) -> ReviewRule:
        """The source's review settings, the ``[hub]`` defaults filling what it leaves out."""
        config, hub = runtime.connector.config, self.settings.hub
        return ReviewRule(
            policy=config.review,
            ratio=hub.mass_delete_ratio if config.review_ratio is None else config.review_ratio,
            minimum=hub.mass_delete_min if config.review_min is None else config.review_min,
            window_hours=hub.review_window_hours if config.review_window_hours is None else config.review_window_hours,
        )

    def _notice_targets(self, runtimes: list[Runtime]) -> list[tuple[str, str]]:
        """(connector, chat) pairs of ``[hub] admin_chats``: where organisers get notices."""
        by_name = {r.name: r for r in runtimes}
        pairs: list[tuple[str, str]] = []
        for entry in self.settings.hub.admin_chats:
            name, _, chat = entry.partition(":")
            runtime = by_name.get(name)
            if runtime is None:
                continue
            pairs += [(name, chat)] if chat else [(name, target) for target in runtime.connector.targets()]
        return pairs

    @staticmethod
    def _report_merged(result: MergeResult, report: Report) -> None:
        """Per source, the sessions it changed and the edits it could not get merged."""
        brought: dict[str, set[str]] = {}
        for key, _field, _old, _new, origin in result.field_changes:
            brought.setdefault(origin, set()).add(key)
        for origin, keys in brought.items():
            if origin in report.connectors:
                report.connectors[origin].merged += len(keys)
        for conflict in result.conflicts:
            if conflict.connector in report.connectors:
                report.connectors[conflict.connector].conflicts += 1

    @staticmethod
    def _report_holds(holds: Sequence[Hold], report: Report) -> None:
        for hold in holds:
            report.held.append({"batch": hold.batch, "connector": hold.connector, "reason": hold.reason,
                                "sessions": hold.summary.sessions, "new": hold.new, **hold.summary.to_json()})

    @staticmethod
    def _report_plans(
        plans: Mapping[str, ConnectorPlan], programme: Programme, report: Report, *, counted: bool
    ) -> None:
        """The planned operations in the report; with ``counted`` (a plan) their figures too."""
        for name, plan in plans.items():
            report.planned.setdefault(name, []).extend(plan.ops)
            figures = report.connectors[name]
            figures.unchanged = len(programme.sessions) - sum(1 for op in plan.ops if op.action != "delete")
            if counted:
                figures.created, figures.updated = plan.count("create"), plan.count("update")
                figures.deleted = plan.count("delete")

    async def _refresh(self, runtimes: list[Runtime]) -> None:
        """Time-driven work of each healthy connector (it costs nothing when nothing is due)."""
        waiting = [r for r in runtimes if type(r.connector).refresh is not Connector.refresh]
        meta = self.store.get_meta("programme")
        if meta is None or not waiting:
            return
        programme = programme_from(meta, self.store.stored_sessions())
        for runtime in waiting:
            if runtime.failed or not runtime.caps & (Capability.WRITE | Capability.ANNOUNCE):
                continue
            try:
                await runtime.connector.refresh(programme)
            except Exception as exc:
                log.warning("refresh of %s failed: %s", runtime.name, exc, exc_info=is_bug(exc))
                self._fail(runtime, exc)

    def _fail(self, runtime: Runtime, exc: BaseException) -> None:
        runtime.failed = True
        runtime.report.failed = max(runtime.report.failed, 1)
        runtime.report.error = self.describe(exc)


_EMPTY = Programme(Event(id="", title="", timezone="UTC"), (), {}, {})


def writer_lock_path(settings: Settings) -> Path | None:
    """The file every writer of this configuration's state locks (``[hub] lock_file``, else
    beside a SQLite database), or None: no file (PostgreSQL's lock is in the database, see
    :class:`sync.state.WriterLock`). Whoever waits for a sync to end locks the same."""
    hub = settings.hub
    if hub.lock_file:
        return settings.resolve(hub.lock_file)
    url = settings.database_url
    if url.startswith("sqlite:///"):
        return settings.resolve(url[len("sqlite:///"):] + ".lock")
    return None


def programme_from(meta: Mapping[str, Any], sessions: Mapping[str, Mapping[str, Any]]) -> Programme:
    """The typed programme from its stored records."""
    event, days, venues = Programme.meta_from_record(meta)
    return Programme(event, days, venues, SessionView(sessions, event.tz))
