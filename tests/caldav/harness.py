"""Drive one calendar connector the way the engine does: plan, apply, remember links, pull.

Planning is the engine's own (:func:`sync.plan.plan_connector`); this keeps only the links and
the cursor between calls, so a test can look at one connector's requests and writes without a
whole sync run around it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from connectors.http import build_client
from sync.model import Programme, Session, content_hash
from sync.programme_reader import load_programme
from sync.protocol import (
    Connector,
    ConnectorConfig,
    ConnectorContext,
    Link,
    Op,
    PullResult,
    RemoteRef,
    RequestCounter,
)

REPO = Path(__file__).resolve().parents[2]


def reference_programme() -> Programme:
    return load_programme(REPO / "config" / "examples" / "programme.yaml")


def context(name: str, counter: RequestCounter | None = None, lang: str = "fr") -> ConnectorContext:
    counter = counter or RequestCounter()
    return ConnectorContext(
        name=name, client=build_client(name, counter), counter=counter, language=lang
    )


@dataclass
class Harness:
    connector: Connector[Any]
    links: dict[str, Link] = field(default_factory=dict)
    cursor: str | None = None

    @property
    def requests(self) -> int:
        return self.connector.ctx.counter.get(self.connector.name)

    def requests_by_method(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for (name, method, _status), n in self.connector.ctx.counter.detail.items():
            if name == self.connector.name:
                out[method] = out.get(method, 0) + n
        return out

    async def push(self, programme: Programme, keys: Iterable[str] | None = None) -> list[Any]:
        """Plan and apply what the calendar lacks; return the results (RemoteRef or error)."""
        from sync.plan import plan_connector

        keys = list(keys) if keys is not None else list(programme.sessions) + list(self.links)
        plan = plan_connector(self.connector, self.links, programme, keys, set())
        ops = [
            Op(p.action, p.key, p.projection, self.links.get(p.key), p.sequence) for p in plan.ops
        ]
        results = await self.connector.apply(ops, programme)
        for op, planned, result in zip(ops, plan.ops, results, strict=True):
            if not isinstance(result, RemoteRef):
                continue
            if op.action == "delete":
                self.links.pop(op.key, None)
                continue
            self.links[op.key] = Link(
                self.connector.name,
                "sessions",
                op.key,
                result.remote_id,
                result.version,
                planned.hash,
                planned.hash,
                dict(op.projection or {}),
                planned.sequence,
            )
        return results

    async def pull(self, programme: Programme) -> PullResult:
        result = await self.connector.pull(self.cursor, self.links, programme)
        self.cursor = result.cursor
        for item in result.items:
            link = self.links.get(item.key or "")
            if link is not None:
                self.links[link.key] = replace(
                    link, remote_version=item.version, seen_hash=item.hash
                )
        for key in result.deleted:
            self.links.pop(key, None)
        return result


def moved(session: Session, hours: int) -> Session:
    from datetime import timedelta

    return Session.from_record(
        {
            **session.to_record(),
            "start": (session.start + timedelta(hours=hours)).isoformat(),
            "end": (session.end + timedelta(hours=hours)).isoformat(),
        }
    )


def projection_hash(connector: Connector[ConnectorConfig], programme: Programme, key: str) -> str:
    return content_hash(connector.project(programme.sessions[key], programme))
