"""Helpers to drive chat connectors the way the engine does: ops in, refs out, links kept."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from connectors.http import build_client
from sync.announce import Announcement, diff_versions
from sync.model import Programme, content_hash
from sync.programme_reader import load_programme
from sync.protocol import Connector, ConnectorConfig, ConnectorContext, Link, Op, RemoteRef, RequestCounter

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config" / "examples" / "programme.yaml"


def reference_programme() -> Programme:
    return load_programme(EXAMPLE)


def context(name: str, base_dir: Path, counter: RequestCounter | None = None) -> ConnectorContext:
    counter = counter or RequestCounter()
    return ConnectorContext(name, build_client(name, counter), counter, "fr", base_dir)


class Driver:
    """Plays the engine's part for one connector: plans ops from what changed, keeps links."""

    def __init__(self, connector: Connector[Any]) -> None:
        self.connector = connector
        self.links: dict[str, Link] = {}

    def ops(self, programme: Programme, previous: Programme | None = None) -> list[Op]:
        ops: list[Op] = []
        for key, session in programme.sessions.items():
            projection = self.connector.project(session, programme)
            link = self.links.get(key)
            if link is None:
                ops.append(Op("create", key, projection, None))
            elif link.pushed_hash != content_hash(projection):
                ops.append(Op("update", key, projection, link, link.sequence + 1))
        for key, link in self.links.items():
            if key not in programme.sessions:
                ops.append(Op("delete", key, None, link))
        return ops

    async def sync(self, programme: Programme) -> list[Op]:
        ops = self.ops(programme)
        if not ops:
            return ops
        results = await self.connector.apply(ops, programme)
        for op, result in zip(ops, results, strict=True):
            assert isinstance(result, RemoteRef), result
            if op.action == "delete":
                self.links.pop(op.key, None)
            else:
                digest = content_hash(dict(op.projection or {}))
                self.links[op.key] = Link(
                    self.connector.name,
                    self.connector.collection,
                    op.key,
                    result.remote_id,
                    result.version,
                    digest,
                    digest,
                    dict(op.projection or {}),
                    op.sequence,
                )
        return ops


def announcement_between(before: Programme, after: Programme) -> Announcement:
    old = {k: s.to_record() for k, s in before.sessions.items()}
    new = {k: s.to_record() for k, s in after.sessions.items()}
    changes = diff_versions(old, new)
    assert changes
    return Announcement(tuple(changes), after.venues)


def moved(programme: Programme, key: str, **fields: Any) -> Programme:
    session = programme.sessions[key].with_fields(fields)
    return programme.with_sessions(
        [*(s for k, s in programme.sessions.items() if k != key), session]
    )


def config(cls: type[ConnectorConfig], values: Mapping[str, Any]) -> Any:
    return cls.model_validate(dict(values))
