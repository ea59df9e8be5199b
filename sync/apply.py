"""The outbox worker: carries out what the plan queued, recording each outcome durably.

For item writes the entry is marked ``sending`` before the call and ``done`` with the remote's
reference and the new link in the same transaction after it; a crash in between is harmless
(the next run re-applies an idempotent upsert, or finds the remote already holds it). For chat
messages there is no such safety: an entry whose answer was lost becomes ``in_doubt`` and is
never resent blindly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from connectors.base import Capability, Link, Op, OpAction, RemoteRef
from sync.announce import Announcement, Change
from sync.errors import (
    AuthError,
    BreakerOpen,
    ConnectorError,
    DeliveryUnknown,
    PreconditionFailed,
    TransientError,
)
from sync.merge import Conflict
from sync.model import Programme, Venue, content_hash
from sync.report import Runtime
from sync.state import OutboxEntry, StateStore

log = logging.getLogger(__name__)
DATA_OPS = ("create", "update", "delete")
Progress = Callable[[str, int, int], None]


class OutboxWorker:
    """Applies due outbox entries connector by connector, each isolated from the others."""

    def __init__(
        self,
        store: StateStore,
        clock: Callable[[], float],
        describe: Callable[[BaseException], str],
        fail: Callable[[Runtime, BaseException], None],
        progress: Progress,
    ) -> None:
        self.store = store
        self.clock = clock
        self.describe = describe
        self.fail = fail
        self.progress = progress

    async def apply_all(self, runtimes: list[Runtime], programme: Programme) -> set[str]:
        store = self.store
        retry: set[str] = set()
        writers = Capability.WRITE | Capability.ANNOUNCE
        targets = [r for r in runtimes if not r.failed and r.caps & writers]
        done = 0

        async def apply_one(runtime: Runtime) -> None:
            nonlocal done
            try:
                await runtime.connector.open()
                if await self._apply_connector(store, runtime, programme):
                    retry.add(runtime.name)
            except Exception as exc:
                log.warning("apply to %s failed", runtime.name, exc_info=not isinstance(exc, ConnectorError))
                self.fail(runtime, exc)
            finally:
                done += 1
                self.progress("apply", done, len(targets))

        await asyncio.gather(*(apply_one(r) for r in targets))
        return retry

    async def _apply_connector(self, store: StateStore, runtime: Runtime, programme: Programme) -> bool:
        """Apply a connector's due outbox entries; True if a 412 asks for another round."""
        entries = store.outbox_entries(runtime.name, ("pending",), due_before=self.clock())
        data = [e for e in entries if e.op in DATA_OPS]
        messages = [e for e in entries if e.op == "announce"]
        again = False
        if data:
            again = await self._apply_data(store, runtime, programme, data)
        for entry in messages:
            await self._send_one(store, runtime, programme, entry)
        return again

    async def _apply_data(
        self, store: StateStore, runtime: Runtime, programme: Programme, entries: list[OutboxEntry]
    ) -> bool:
        collection = runtime.connector.collection
        links = store.links(runtime.name, collection)
        held = held_sessions(store, [])
        ops: list[Op] = []
        hashes: dict[str, str | None] = {}
        live: list[OutboxEntry] = []
        with store.transaction() as conn:
            for entry in entries:
                if entry.key in held.get(runtime.name, set()):
                    continue
                session = programme.sessions.get(entry.key)
                link = links.get(entry.key)
                sequence = int((entry.payload or {}).get("sequence", 0))
                if session is None:
                    if link is None or link.remote_id is None:
                        store.mark(conn, [entry.id], "done")
                        continue
                    ops.append(Op("delete", entry.key, None, link, sequence))
                    hashes[entry.key] = None
                else:
                    projection = runtime.connector.project(session, programme)
                    digest = content_hash(projection)
                    if link is not None and link.remote_id is not None and link.seen_hash == digest:
                        # Reconciled by lookup: the remote already holds exactly this (a run
                        # that died after writing it, or an edit made there and merged).
                        store.save_link(conn, Link(runtime.name, collection, entry.key, link.remote_id,
                                                   link.remote_version, digest, digest, dict(projection),
                                                   max(sequence, link.sequence)))
                        store.mark(conn, [entry.id], "done", remote_ref=link.remote_id)
                        continue
                    action: OpAction = "update" if link is not None and link.remote_id is not None else "create"
                    ops.append(Op(action, entry.key, projection, link, sequence))
                    hashes[entry.key] = digest
                live.append(entry)
            store.mark(conn, [e.id for e in live], "sending", attempt=True)
        if not ops:
            return False
        try:
            results = await runtime.connector.apply(ops, programme)
        except (AuthError, TransientError, BreakerOpen) as exc:
            with store.transaction() as conn:
                retry_at = self.clock() + (exc.retry_after or 0) if isinstance(exc, TransientError) else 0.0
                store.mark(conn, [e.id for e in live], "pending", error=self.describe(exc), next_at=retry_at)
                if isinstance(exc, BreakerOpen):
                    store.open_breaker(conn, runtime.name, self.describe(exc))
            self.fail(runtime, exc)
            runtime.report.failed = len(live)
            return False
        again = False
        done_links: list[Link] = []
        with store.transaction() as conn:
            for entry, op, result in zip(live, ops, results, strict=True):
                if isinstance(result, RemoteRef):
                    if op.action == "delete":
                        store.drop_link(conn, runtime.name, collection, op.key)
                        runtime.report.deleted += 1
                    else:
                        pushed = hashes[op.key]
                        done_links.append(Link(runtime.name, collection, op.key, result.remote_id, result.version,
                                               pushed, pushed, dict(op.projection or {}), op.sequence))
                        if op.action == "create":
                            runtime.report.created += 1
                        else:
                            runtime.report.updated += 1
                elif isinstance(result, PreconditionFailed):
                    store.mark(conn, [entry.id], "superseded", error=self.describe(result))
                    again = True
                else:
                    store.mark(conn, [entry.id], "failed", error=self.describe(result))
                    runtime.report.failed += 1
            store.save_links(conn, done_links)
            store.mark(conn, [e.id for e, r in zip(live, results, strict=True) if isinstance(r, RemoteRef)], "done")
        if again:
            # The remote changed under us: the next round re-pulls and re-plans these sessions.
            with store.transaction() as conn:
                store.save_cursor(conn, runtime.name, collection, synced_seq=0, keep_token=True)
        return again

    async def _send_one(self, store: StateStore, runtime: Runtime, programme: Programme, entry: OutboxEntry) -> None:
        announcement = _announcement_from(entry.payload or {}, programme.venues)
        with store.transaction() as conn:
            store.mark(conn, [entry.id], "sending", attempt=True)
        try:
            ref = await runtime.connector.announce(entry.target, announcement)
        except TransientError as exc:
            with store.transaction() as conn:
                store.mark(conn, [entry.id], "pending", error=self.describe(exc),
                           next_at=self.clock() + (exc.retry_after or 30.0))
            runtime.report.failed += 1
            runtime.report.error = self.describe(exc)
            return
        except (AuthError, BreakerOpen) as exc:
            with store.transaction() as conn:
                store.mark(conn, [entry.id], "pending", error=self.describe(exc))
                if isinstance(exc, BreakerOpen):
                    store.open_breaker(conn, runtime.name, self.describe(exc))
            raise
        except DeliveryUnknown as exc:
            with store.transaction() as conn:
                store.mark(conn, [entry.id], "in_doubt", error=self.describe(exc))
            runtime.report.failed += 1
            return
        except ConnectorError as exc:
            with store.transaction() as conn:
                store.mark(conn, [entry.id], "failed", error=self.describe(exc))
            runtime.report.failed += 1
            return
        with store.transaction() as conn:
            store.mark(conn, [entry.id], "done", remote_ref=ref.remote_id)
        runtime.report.sent += 1


def held_sessions(store: StateStore, fresh: list[Conflict]) -> dict[str, set[str]]:
    """Per connector, the sessions with an open conflict there: nothing is pushed over them."""
    held: dict[str, set[str]] = {}
    for conflict in store.open_conflicts():
        held.setdefault(conflict.connector, set()).add(conflict.session)
    for c in fresh:
        held.setdefault(c.connector, set()).add(c.session)
    return held


def _announcement_from(payload: Mapping[str, Any], venues: Mapping[str, Venue]) -> Announcement:
    changes = tuple(
        Change(c["session"], c["kind"], {k: (v[0], v[1]) for k, v in c["fields"].items()},
               c.get("before"), c.get("after"))
        for c in payload.get("changes", [])
    )
    return Announcement(changes, venues)
