"""Planning: what each sink must be told, decided by comparing projection hashes.

A sink is written only when the hash of what it should hold differs from the hash of what the
hub last pushed (or last saw there). That one comparison gives idempotence (nothing changed,
nothing written) and echo-freedom (what the hub wrote, read back, hashes the same).

The plan is the decision: its operations, each with the projection it pushes, are what the
outbox stores and what apply carries out, and what ``hub plan --json`` shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sync.lazy import Overlay, SessionView
from sync.merge import MergeResult
from sync.model import Conflict, Programme, content_hash
from sync.protocol import Capability, Connector, Link, Op, OpAction
from sync.report import Runtime
from sync.state import StateStore


@dataclass
class ConnectorPlan:
    """The writes one sink needs, and the links that only need their bookkeeping updated."""

    ops: list[Op] = field(default_factory=list)
    adopted: list[Link] = field(default_factory=list)
    considered: set[str] = field(default_factory=set)

    def count(self, action: OpAction) -> int:
        return sum(1 for op in self.ops if op.action == action)


def plan_connector(
    connector: Connector[Any],
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
                plan.ops.append(Op("delete", key, None, sequence=link.sequence + 1))
            continue
        projection = connector.project(session, programme)
        digest = content_hash(projection)
        if link is None or link.remote_id is None:
            plan.ops.append(Op("create", key, projection, hash=digest))
        elif digest == link.pushed_hash and link.seen_hash in (None, digest):
            continue
        elif digest == link.seen_hash:
            # The remote already holds it (an edit made there and merged): no write, just
            # remember that this is now what the hub holds there too.
            plan.adopted.append(replace(link, pushed_hash=digest, base=dict(projection)))
        else:
            plan.ops.append(Op("update", key, projection, sequence=link.sequence + 1, hash=digest))
    return plan


def plan_sinks(
    store: StateStore,
    runtimes: Iterable[Runtime],
    programme: Programme,
    merged: MergeResult,
    known_links: Mapping[str, Mapping[str, Link]],
    pulled: Iterable[str],
    held: Mapping[str, set[str]],
    meta_changed: bool,
    programme_digest: str | None = None,
) -> dict[str, ConnectorPlan]:
    """A plan for every healthy sink, over the sessions changed since it was last planned.

    A sink that can be read but was not read this round gets no plan: the hub never pushes
    blind over a remote it could not see.
    """
    pulled = set(pulled)
    plans: dict[str, ConnectorPlan] = {}
    for runtime in runtimes:
        if Capability.WRITE not in runtime.caps or runtime.failed:
            continue
        if Capability.READ in runtime.caps and runtime.name not in pulled:
            continue
        # The stored links with this round's laid over: looked up per planned key only.
        links: Mapping[str, Link] = Overlay(known_links[runtime.name], {
            **merged.links.get(runtime.name, {}),
            **dict.fromkeys(merged.dropped_links.get(runtime.name, set())),
        })
        _token, synced = store.cursor(runtime.name, runtime.connector.collection)
        # Never planned, or the event itself changed since this sink was last planned (every
        # page shows it; a sink that sat out the run where it changed still gets it).
        seen = store.get_meta(planned_meta_key(runtime.name, runtime.connector.collection))
        everything = synced == 0 or meta_changed or (programme_digest is not None and seen != programme_digest)
        keys = set(programme.sessions) | set(links) if everything else set(store.changed_since(synced))
        keys |= set(merged.changed) | merged.drift.get(runtime.name, set())
        if isinstance(links, Overlay):
            links.prefetch(keys)
        sessions = programme.sessions
        if isinstance(sessions, SessionView):
            sessions.prefetch(keys)
        plans[runtime.name] = plan_connector(runtime.connector, links, programme, keys,
                                             held.get(runtime.name, set()))
    return plans


def planned_meta_key(connector: str, collection: str) -> str:
    """Where the digest of the event data a sink was last planned against is kept."""
    return f"planned_meta:{connector}:{collection}"


def held_sessions(store: StateStore, fresh: Iterable[Conflict] = ()) -> dict[str, set[str]]:
    """Per connector, the sessions with an open conflict there: nothing is pushed over them."""
    held: dict[str, set[str]] = {}
    for conflict in [*store.open_conflicts(), *fresh]:
        held.setdefault(conflict.connector, set()).add(conflict.session)
    return held
