"""An in-memory remote: a reference connector for the contract suite, the engine's property
tests and demos, with switches to make it misbehave like real servers do.

Items live in a :class:`MemoryStore` (shared by name inside one process), optionally persisted
to a JSON file (``path``) so several ``hub`` processes see the same remote, which the crash test
needs. The store keeps versions like etags, a revision counter like a CalDAV sync-token, and the
messages sent to each target like a chat.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from sync.announce import Announcement
from sync.errors import AuthError, DeliveryUnknown, PermanentError, PreconditionFailed, TransientError
from sync.model import SESSION_FIELDS, Programme, Session
from sync.protocol import (
    Capability,
    Connector,
    ConnectorConfig,
    Link,
    Op,
    OpResult,
    PullResult,
    RemoteItem,
    RemoteRef,
)


class SimulatedCrash(BaseException):
    """Raised to stop a run mid-apply like a kill would: no handler in the engine catches it."""


@dataclass
class StoredItem:
    key: str | None
    fields: dict[str, Any]
    version: int


@dataclass
class MemoryStore:
    """The remote's data, and the faults to inject into the next calls."""

    items: dict[str, StoredItem] = field(default_factory=dict)
    revision: int = 0
    messages: dict[str, list[str]] = field(default_factory=dict)
    path: Path | None = None
    #: Faults: the next N pulls / writes raise, or every call raises an auth error.
    fail_pulls: int = 0
    fail_writes: int = 0
    auth_broken: bool = False
    #: The next N sends arrive but their answer is lost (the connection breaks after sending).
    lose_answers: int = 0
    #: Stop the whole process (as a kill would) after this many more writes; None = never.
    crash_after_writes: int | None = None
    requests: int = 0

    REGISTRY: ClassVar[dict[str, MemoryStore]] = {}

    @classmethod
    def named(cls, name: str, path: Path | None = None) -> MemoryStore:
        """The store called ``name`` (created on first use; loaded from ``path`` if given)."""
        if path is not None:
            store = cls(path=path)
            store.load()
            return store
        return cls.REGISTRY.setdefault(name, cls())

    # persistence ---------------------------------------------------------------------------
    def load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        data = json.loads(self.path.read_text(encoding="utf-8"))
        self.items = {rid: StoredItem(v["key"], v["fields"], v["version"]) for rid, v in data["items"].items()}
        self.revision = data["revision"]
        self.messages = data["messages"]

    def save(self) -> None:
        if self.path is None:
            return
        data = {
            "items": {rid: {"key": i.key, "fields": i.fields, "version": i.version} for rid, i in self.items.items()},
            "revision": self.revision,
            "messages": self.messages,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)

    # what a person does on the remote ------------------------------------------------------
    def edit(self, remote_id: str, **changes: Any) -> None:
        """Change an item as a person would (new version, new revision)."""
        item = self.items[remote_id]
        item.fields = {**item.fields, **changes}
        self._bump(item)

    def remove(self, remote_id: str) -> None:
        del self.items[remote_id]
        self.revision += 1
        self.save()

    def add(self, remote_id: str, key: str | None, fields: Mapping[str, Any]) -> None:
        self.items[remote_id] = StoredItem(key, dict(fields), 0)
        self._bump(self.items[remote_id])

    def _bump(self, item: StoredItem) -> None:
        self.revision += 1
        item.version = self.revision
        self.save()


class MemoryConfig(ConnectorConfig):
    type: str = "memory"
    store: str = "default"
    path: str | None = None
    targets: list[str] = Field(default_factory=list)
    write_delay: float = 0.0
    fields: list[str] | None = None
    #: Show the event's title with each item, like a page or a calendar name does.
    event_title: bool = False


class MemoryConnector(Connector[MemoryConfig]):
    """A remote held in memory (or a JSON file): reads, writes, deletes, announces."""

    type = "memory"
    capabilities = (
        Capability.READ | Capability.WRITE | Capability.DELETE | Capability.ANNOUNCE
    )
    config_model = MemoryConfig
    fields = SESSION_FIELDS

    def __init__(self, name: str, config: MemoryConfig, ctx: Any) -> None:
        super().__init__(name, config, ctx)
        path = Path(config.path) if config.path else None
        if path is not None and not path.is_absolute():
            path = ctx.base_dir / path
        self.store = MemoryStore.named(config.store, path)
        self.carried = tuple(config.fields) if config.fields else SESSION_FIELDS

    def _request(self) -> None:
        self.ctx.count_request()
        self.store.requests += 1
        if self.store.auth_broken:
            raise AuthError("credentials refused", connector=self.name)

    async def check(self) -> list[str]:
        self._request()
        return [f"store '{self.config.store}' reachable ({len(self.store.items)} items)"]

    def project(self, session: Session, programme: Programme) -> dict[str, Any]:
        record = session.to_record()
        projection = {name: record[name] for name in self.carried}
        if self.config.event_title:
            projection["event_title"] = programme.event.title
        return projection

    async def pull(self, cursor: str | None, links: Mapping[str, Link], programme: Programme) -> PullResult:
        self._request()
        if self.store.fail_pulls:
            self.store.fail_pulls -= 1
            raise TransientError("server error on listing", connector=self.name)
        self.store.load()
        if cursor is not None and cursor == str(self.store.revision):
            return PullResult(cursor=cursor)
        items = [
            RemoteItem(key=item.key, fields=dict(item.fields), remote_id=rid, version=str(item.version))
            for rid, item in self.store.items.items()
        ]
        return PullResult(items=items, cursor=str(self.store.revision), complete=True)

    async def apply(self, ops: Sequence[Op], programme: Programme) -> list[OpResult]:
        results: list[OpResult] = []
        for op in ops:
            if self.config.write_delay:
                await asyncio.sleep(self.config.write_delay)
            try:
                self._request()
                if self.store.fail_writes:
                    self.store.fail_writes -= 1
                    raise TransientError("server error on write", connector=self.name)
                results.append(self._write(op))
                if self.store.crash_after_writes is not None:
                    self.store.crash_after_writes -= 1
                    if self.store.crash_after_writes <= 0:
                        self.store.crash_after_writes = None
                        raise SimulatedCrash(f"{self.name} crashed after a write")
            except (PermanentError, PreconditionFailed) as exc:
                results.append(exc)
        return results

    def _write(self, op: Op) -> RemoteRef:
        self.store.load()
        remote_id = op.link.remote_id if op.link and op.link.remote_id else op.key
        current = self.store.items.get(remote_id)
        expected = op.link.remote_version if op.link else None
        if op.action == "delete":
            if current is not None:
                self.store.remove(remote_id)
            return RemoteRef(remote_id)
        assert op.projection is not None
        if current is not None and expected is not None and str(current.version) != expected:
            raise PreconditionFailed(f"{remote_id} changed on the remote", connector=self.name)
        if current is None:
            self.store.items[remote_id] = StoredItem(op.key, dict(op.projection), 0)
            current = self.store.items[remote_id]
        else:
            current.fields = dict(op.projection)
            current.key = op.key
        self.store._bump(current)
        return RemoteRef(remote_id, str(current.version))

    def targets(self) -> list[str]:
        return list(self.config.targets)

    async def post_text(self, target: str, text: str) -> None:
        """A plain message (an organisers' notice), kept like a chat would."""
        self._request()
        if target not in self.config.targets:
            raise PermanentError(f"target {target} is not configured", connector=self.name)
        self.store.load()
        self.store.messages.setdefault(target, []).append(text)
        self.store.revision += 1
        self.store.save()

    async def announce(self, target: str, announcement: Announcement) -> RemoteRef:
        self._request()
        if target not in self.config.targets:
            raise PermanentError(f"target {target} is not configured", connector=self.name)
        if self.store.fail_writes:
            self.store.fail_writes -= 1
            raise TransientError("server error on send", connector=self.name)
        self.store.load()
        sent = self.store.messages.setdefault(target, [])
        sent.append(announcement.render(self.ctx.language, "text"))
        self.store.revision += 1
        self.store.save()
        if self.store.lose_answers:
            self.store.lose_answers -= 1
            raise DeliveryUnknown(f"{target}: the connection broke after sending", connector=self.name)
        return RemoteRef(f"{target}:{len(sent)}")
