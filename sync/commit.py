"""The commit stage: one transaction records a round's decisions before anything is sent.

The merged sessions and their change log, conflicts, links, cursors, the planned operations
(the outbox) and what was published are written together, so a crash leaves either the old
state or the new one. A cursor never moves without what it covers.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sync.announce import Announcement, Change
from sync.merge import MergeResult
from sync.model import Programme, content_hash
from sync.plan import ConnectorPlan, planned_meta_key
from sync.protocol import DATA_OPS, Capability, Link, PullResult
from sync.quiet import QuietPeriod, publish
from sync.report import Runtime
from sync.review import HeldSummary
from sync.state import StateStore


@dataclass
class Hold:
    """A source's pull held for review, as the round decided it."""

    connector: str
    reason: str
    digest: str
    summary: HeldSummary
    batch: int | None = None  # its number, once recorded
    new: bool = False


@dataclass
class RunNumber:
    """The number the change log files a run's changes under, taken on its first change."""

    kind: str
    note: str | None = None
    id: int | None = None

    def take(self, store: StateStore, conn: Any, at: datetime) -> int:
        if self.id is None:
            self.id = store.new_sync(conn, self.kind, at, self.note)
        return self.id


@dataclass
class RoundDecisions:
    """Everything a round decided, ready to be recorded."""

    seq: int
    meta: Mapping[str, Any] | None
    #: The event data the plans were made against (``meta`` is only set when it changed).
    programme_meta: Mapping[str, Any]
    merged: MergeResult
    programme: Programme
    pulls: Mapping[str, PullResult]
    known_links: Mapping[str, Mapping[str, Link]]
    plans: Mapping[str, ConnectorPlan]
    quiet: QuietPeriod
    run: RunNumber
    at: datetime
    holds: Sequence[Hold] = ()
    closed: Mapping[int, str] = field(default_factory=dict)
    #: (connector, chat) pairs that get a notice for each newly held batch.
    notify: Sequence[tuple[str, str]] = ()


def commit_round(store: StateStore, runtimes: Sequence[Runtime], d: RoundDecisions) -> None:
    """Record the round in one transaction."""
    by_name = {r.name: r for r in runtimes}
    with store.transaction() as conn:
        if d.meta is not None:
            store.set_meta(conn, "programme", d.meta)
        store.write_sessions(conn, [(key, new, content_hash(new) if new else None)
                                    for key, (_old, new) in d.merged.changed.items()], d.seq)
        if d.merged.field_changes:
            store.log_changes(conn, d.merged.field_changes, sync=d.run.take(store, conn, d.at), at=d.at)
        record_holds(store, conn, d)
        for conflict in d.merged.conflicts:
            store.add_conflict(conn, conflict)
        for name, result in d.pulls.items():
            collection = by_name[name].connector.collection
            known = d.known_links[name]
            store.save_links(conn, [link for key, link in d.merged.links.get(name, {}).items()
                                    if known.get(key) != link])
            for key in d.merged.dropped_links.get(name, set()):
                store.drop_link(conn, name, collection, key)
            store.save_cursor(conn, name, collection, token=result.cursor)
        # What the plans cover: every change up to the newest one written, this round's included.
        # (Not ``d.seq`` itself: a round that changed nothing writes nothing at that number, and
        # the next round's changes will, so a sink that sat this round out would miss them.)
        covered = store.max_seq(conn)
        for name, plan in d.plans.items():
            collection = by_name[name].connector.collection
            pending = {e.key: e.id for e in store.outbox_entries(name, ("pending",))
                       if e.op in DATA_OPS and e.target == collection}
            store.save_links(conn, plan.adopted)
            store.enqueue_many(conn, [
                # Data ops are deduplicated by superseding, not by key: each plan's op is new.
                {"idem_key": uuid.uuid4().hex, "connector": name, "target": collection,
                 "op": op.action, "key": op.key, "payload": op.to_payload()}
                for op in plan.ops
            ], supersede=True)
            stale = [pending[k] for k in plan.considered - {op.key for op in plan.ops} if k in pending]
            if stale:
                store.mark(conn, stale, "superseded")
            store.save_cursor(conn, name, collection, synced_seq=covered, keep_token=True)
            store.set_meta(conn, planned_meta_key(name, collection), content_hash(d.programme_meta))
        if d.quiet.announcement is not None:
            enqueue_announcement(store, conn, runtimes, d.quiet.announcement, d.seq)
        publish(store, conn, d.quiet, d.programme)


def record_holds(store: StateStore, conn: Any, d: RoundDecisions) -> None:
    """Held batches recorded (one per source), decided ones closed, organisers told once."""
    for batch_id, state in d.closed.items():
        store.set_held_state(conn, batch_id, state, d.at)
    for hold in d.holds:
        hold.batch, hold.new = store.hold(conn, hold.connector, hold.reason, hold.digest,
                                          hold.summary.to_json(), d.at)
        if not hold.new:
            continue
        payload = {"batch": hold.batch, "connector": hold.connector, "reason": hold.reason,
                   **hold.summary.to_json()}
        for connector, chat in d.notify:
            store.enqueue(conn, idem_key=_idem(connector, chat, "held", str(hold.batch)), connector=connector,
                          target=chat, op="notice", key=f"held-{hold.batch}", payload=payload, supersede=False)


def enqueue_announcement(
    store: StateStore, conn: Any, runtimes: Sequence[Runtime], announcement: Announcement, seq: int
) -> None:
    """One outbox message per announcing connector and target, keyed so it is never doubled."""
    payload = {"id": announcement.id, "changes": [change_payload(c) for c in announcement.changes],
               "correction": announcement.correction}
    entries: dict[str, dict[str, Any]] = {}  # one statement for every chat; a chat listed twice, once
    for runtime in runtimes:
        if Capability.ANNOUNCE not in runtime.caps:
            continue
        for target in runtime.connector.targets():
            idem = _idem(runtime.name, target, announcement.id, str(seq))
            entries[idem] = {"idem_key": idem, "connector": runtime.name, "target": target, "op": "announce",
                             "key": announcement.id, "payload": payload}
    store.enqueue_many(conn, list(entries.values()), supersede=False)


def change_payload(change: Change) -> dict[str, Any]:
    return {**change.to_json(), "before": change.before, "after": change.after}


def _idem(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()
