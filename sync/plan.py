"""Planning: what each sink must be told, decided by comparing projection hashes.

A sink is written only when the hash of what it should hold differs from the hash of what the
hub last pushed (or last saw there). That one comparison gives idempotence (nothing changed,
nothing written) and echo-freedom (what the hub wrote, read back, hashes the same).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from connectors.base import Connector, ConnectorConfig, Link, OpAction
from sync.model import Programme, content_hash


@dataclass(frozen=True)
class PlannedOp:
    action: OpAction
    key: str
    projection: Mapping[str, Any] | None
    hash: str | None
    sequence: int


@dataclass
class ConnectorPlan:
    """The writes one sink needs, and the links that only need their bookkeeping updated."""

    ops: list[PlannedOp] = field(default_factory=list)
    adopted: list[Link] = field(default_factory=list)
    considered: set[str] = field(default_factory=set)
    unchanged: int = 0

    def count(self, action: str) -> int:
        return sum(1 for op in self.ops if op.action == action)


def plan_connector(
    connector: Connector[ConnectorConfig],
    links: Mapping[str, Link],
    programme: Programme,
    keys: Iterable[str],
    held: set[str],
) -> ConnectorPlan:
    """Plan the writes for ``keys`` (sessions changed since this sink was last planned).

    ``held`` keys have an open conflict on this sink: nothing is pushed there until a person
    resolves it, so their edit is not overwritten.
    """
    plan = ConnectorPlan()
    for key in sorted(set(keys)):
        plan.considered.add(key)
        if key in held:
            continue
        session = programme.sessions.get(key)
        link = links.get(key)
        if session is None:
            if link is not None and link.remote_id is not None:
                plan.ops.append(PlannedOp("delete", key, None, None, link.sequence + 1))
            continue
        projection = connector.project(session, programme)
        digest = content_hash(projection)
        if link is None or link.remote_id is None:
            plan.ops.append(PlannedOp("create", key, projection, digest, 0))
        elif digest == link.pushed_hash and link.seen_hash in (None, digest):
            plan.unchanged += 1
        elif digest == link.seen_hash:
            # The remote already holds it (an edit made there and merged): no write, just
            # remember that this is now what the hub holds there too.
            plan.adopted.append(replace(link, pushed_hash=digest, base=dict(projection)))
            plan.unchanged += 1
        else:
            plan.ops.append(PlannedOp("update", key, projection, digest, link.sequence + 1))
    return plan
