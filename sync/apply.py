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
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from typing import Any

from sync.announce import Announcement, Change
from sync.errors import (
    AuthError,
    BreakerOpen,
    ConnectorError,
    DeliveryUnknown,
    PreconditionFailed,
    TransientError,
)
from sync.model import Programme, Venue
from sync.protocol import DATA_OPS, Capability, Link, Op, RemoteRef
from sync.report import Runtime
from sync.retry import RetryPolicy
from sync.review import notice_text
from sync.state import OutboxEntry, StateStore

log = logging.getLogger(__name__)
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
        retry: RetryPolicy | None = None,
    ) -> None:
        self.retry = retry or RetryPolicy()
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
                log.warning("apply to %s failed: %s", runtime.name, exc, exc_info=not isinstance(exc, ConnectorError))
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
        messages = [e for e in entries if e.op in ("announce", "notice")]
        again = False
        if data:
            again = await self._apply_data(store, runtime, programme, data)
        await self._send_messages(store, runtime, programme, messages)
        return again

    async def _send_messages(
        self, store: StateStore, runtime: Runtime, programme: Programme, entries: list[OutboxEntry]
    ) -> None:
        """Send the messages chat by chat, in their queued order within each chat, up to the
        connector's ``parallel_chats`` chats at once: an announcement to twenty groups takes one
        message's time, not twenty, while each chat's own pacing (and the platform's overall rate,
        the connector's pacer) still holds. Every chat's messages are tried even when another chat
        fails; then the first error that stops the connector (a refused token) is raised."""
        by_chat: dict[str, list[OutboxEntry]] = {}
        for entry in entries:
            by_chat.setdefault(entry.target, []).append(entry)
        width = max(1, int(getattr(runtime.connector, "parallel_chats", 1)))
        if width == 1 or len(by_chat) == 1:
            for entry in entries:
                await self._send_one(store, runtime, programme, entry)
            return
        slots = asyncio.Semaphore(width)

        async def one_chat(queued: list[OutboxEntry]) -> None:
            async with slots:
                for entry in queued:
                    await self._send_one(store, runtime, programme, entry)

        outcomes = await asyncio.gather(*(one_chat(q) for q in by_chat.values()), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    async def _apply_data(
        self, store: StateStore, runtime: Runtime, programme: Programme, entries: list[OutboxEntry]
    ) -> bool:
        """Carry out the planned ops the entries hold, exactly as planned."""
        collection = runtime.connector.collection
        links = store.links(runtime.name, collection, {entry.key for entry in entries})
        ops: list[Op] = []
        live: list[OutboxEntry] = []
        with store.transaction() as conn:
            for entry in entries:
                link = links.get(entry.key)
                op = replace(Op.from_payload(entry.op, entry.key, entry.payload or {}), link=link)
                if op.action == "delete" and (link is None or link.remote_id is None):
                    store.mark(conn, [entry.id], "done")  # nothing there to delete
                    continue
                if op.action != "delete" and link is not None and link.remote_id is not None \
                        and link.seen_hash == op.hash:
                    # Already there: a run that died after writing it, or the same edit made on
                    # the remote and merged. Only the bookkeeping is left to do.
                    store.save_link(conn, replace(link, pushed_hash=op.hash, base=dict(op.projection or {}),
                                                  sequence=max(op.sequence, link.sequence)))
                    store.mark(conn, [entry.id], "done", remote_ref=link.remote_id)
                    continue
                ops.append(op)
                live.append(entry)
            store.mark(conn, [e.id for e in live], "sending", attempt=True)
        if not ops:
            return False
        try:
            results = await runtime.connector.apply(ops, programme)
        except ConnectorError as exc:
            # The whole batch failed (credentials, a server down, a chat that refused): nothing
            # of it is done, it stays pending for the next run, and this run reports it failed.
            with store.transaction() as conn:
                retry_at = self.retry.next_at(self.clock(), exc, max(e.attempts for e in live) + 1)
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
                        done_links.append(Link(runtime.name, collection, op.key, result.remote_id, result.version,
                                               op.hash, op.hash, dict(op.projection or {}), op.sequence))
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
            for result in results:
                for doubt in result.doubts if isinstance(result, RemoteRef) else ():
                    # Written, but a message may now show twice: a person checks (hub status).
                    store.enqueue(conn, idem_key=uuid.uuid4().hex, connector=runtime.name, target=doubt.target,
                                  op="post", key=doubt.key, payload=None, supersede=False,
                                  state="in_doubt", error=doubt.reason)
                    runtime.report.in_doubt += 1
        if again:
            # The remote changed under us: the next round re-pulls and re-plans these sessions.
            with store.transaction() as conn:
                store.save_cursor(conn, runtime.name, collection, synced_seq=0, keep_token=True)
        return again

    async def send_messages(self, runtime: Runtime, programme: Programme, keys: Collection[str]) -> None:
        """Send now the due chat messages queued under ``keys`` (a notice queued outside a sync,
        by ``hub poll``), with the same bookkeeping as a sync's: sent once, or pending, or in doubt."""
        for entry in self.store.outbox_entries(runtime.name, ("pending",), due_before=self.clock()):
            if entry.op in ("announce", "notice") and entry.key in keys:
                await self._send_one(self.store, runtime, programme, entry)

    async def _send_one(self, store: StateStore, runtime: Runtime, programme: Programme, entry: OutboxEntry) -> None:
        """One chat message: an announcement, or an organisers' notice (held changes)."""
        with store.transaction() as conn:
            store.mark(conn, [entry.id], "sending", attempt=True)
        try:
            if entry.op == "notice":
                text = message_text(entry.payload or {}, runtime.connector.ctx.language)
                await runtime.connector.post_text(entry.target, text)
                ref = RemoteRef(entry.key)
            else:
                announcement = _announcement_from(entry.payload or {}, programme.venues,
                                                  occurrence=entry.idem_key)
                ref = await runtime.connector.announce(entry.target, announcement)
        except TransientError as exc:
            with store.transaction() as conn:
                store.mark(conn, [entry.id], "pending", error=self.describe(exc),
                           next_at=self.retry.next_at(self.clock(), exc, entry.attempts + 1))
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
            runtime.report.in_doubt += 1
            return
        except ConnectorError as exc:
            with store.transaction() as conn:
                store.mark(conn, [entry.id], "failed", error=self.describe(exc))
            runtime.report.failed += 1
            return
        with store.transaction() as conn:
            store.mark(conn, [entry.id], "done", remote_ref=ref.remote_id)
        runtime.report.sent += 1


def message_text(payload: Mapping[str, Any], lang: str) -> str:
    """A notice's text: written in each language when queued (``texts``), else a held batch's."""
    texts = payload.get("texts")
    if isinstance(texts, Mapping):
        return str(texts.get(lang) or next(iter(texts.values()), ""))
    return notice_text(payload, lang)


def _announcement_from(
    payload: Mapping[str, Any], venues: Mapping[str, Venue], occurrence: str = ""
) -> Announcement:
    changes = tuple(
        Change(c["session"], c["kind"], {k: (v[0], v[1]) for k, v in c["fields"].items()},
               c.get("before"), c.get("after"))
        for c in payload.get("changes", [])
    )
    return Announcement(changes, venues, correction=bool(payload.get("correction")), occurrence=occurrence)
