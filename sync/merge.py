"""Three-way merge of pulled items into the canonical programme, with field ownership.

Pure functions over records: no I/O, so the rules can be read in one place and tested alone.

For each pulled item and each field the source *owns*: ``base`` is what the source and the hub
last agreed on (the link's base), ``theirs`` the pulled value, ``ours`` the canonical value.
Theirs unchanged -> nothing. Ours unchanged -> accept theirs. Both changed to the same value ->
nothing. Both changed differently -> conflict (canonical kept, the edit listed). Two sources
proposing different values for one field in the same run is a conflict too: never
last-writer-wins. A field the source does not own but changed is *drift*: the hub re-pushes.
Removal by a source that owns existence removes the session, unless another source modified it
in the same run (modification beats deletion). A mass disappearance stops that source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sync.lazy import Overlay
from sync.model import EXISTENCE, SESSION_FIELDS, Conflict
from sync.programme_reader import slugify
from sync.protocol import Link, PullResult

_MISSING = object()


@dataclass
class SourceOutcome:
    """What one source's pull means, before the sources are reconciled with each other."""

    connector: str
    proposals: dict[tuple[str, str], Any] = field(default_factory=dict)
    additions: dict[str, dict[str, Any]] = field(default_factory=dict)
    removals: set[str] = field(default_factory=set)
    conflicts: list[Conflict] = field(default_factory=list)
    new_links: dict[str, Link] = field(default_factory=dict)
    dropped_links: set[str] = field(default_factory=set)
    drift: set[str] = field(default_factory=set)
    vanished: int = 0
    known: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class MergeResult:
    """The new canonical sessions and everything to record with them."""

    sessions: Mapping[str, Mapping[str, Any]]
    changed: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]]
    field_changes: list[tuple[str, str, Any, Any, str]]
    conflicts: list[Conflict]
    links: dict[str, dict[str, Link]]
    dropped_links: dict[str, set[str]]
    drift: dict[str, set[str]]
    problems: list[str]


def vanished_keys(result: PullResult, links: Mapping[str, Link]) -> set[str]:
    """Linked keys the remote no longer has."""
    gone = {key for key in result.deleted if key in links}
    if result.complete:
        present = {item.key for item in result.items if item.key is not None}
        gone |= set(links) - present
    return gone


def is_mass_deletion(vanished: int, known: int, ratio: float, minimum: int) -> bool:
    """More than max(minimum, ratio x known) items gone at once."""
    return vanished > max(minimum, ratio * known)


def examine_source(
    connector: str,
    result: PullResult,
    links: Mapping[str, Link],
    canonical: Mapping[str, Mapping[str, Any]],
    owns: frozenset[str],
    collection: str,
) -> SourceOutcome:
    """Classify one source's pulled items against the canonical sessions and its links."""
    out = SourceOutcome(connector)
    owned = owns & set(SESSION_FIELDS)
    existence = EXISTENCE in owns
    for item in result.items:
        key = item.key
        if key is None:
            if existence:
                record = _new_record(item.fields, canonical, out.additions)
                if record is None:
                    out.problems.append(f"{connector}: an item without id lacks title, start or end; ignored")
                    continue
                key = record["id"]
                out.additions[key] = record
                out.new_links[key] = Link(connector, collection, key, item.remote_id, item.version,
                                          None, item.hash, dict(item.fields))
            continue
        link = links.get(key)
        ours = canonical.get(key)
        if ours is None:
            if existence and _complete(item.fields):
                out.additions[key] = {**dict.fromkeys(SESSION_FIELDS), **_session_fields(item.fields), "id": key}
                out.new_links[key] = Link(connector, collection, key, item.remote_id, item.version,
                                          None, item.hash, dict(item.fields))
            elif not existence and link is None:
                # First contact with the item of a session another source may bring this round
                # (a lost state store finds the hub's events again): a stale copy, linked so
                # the plan adopts it or overwrites it instead of creating it twice. Kept only
                # if the session exists once the sources are reconciled.
                out.new_links[key] = Link(connector, collection, key, item.remote_id, item.version,
                                          None, item.hash, dict(item.fields))
            continue
        if link is not None and link.base is not None:
            base: Mapping[str, Any] = link.base
        else:
            # No agreed base (first contact): an authoritative source's values are edits;
            # any other source is assumed to hold stale copies that the hub will overwrite.
            base = {} if existence else item.fields
        new_base = dict(base)
        for name, theirs in item.fields.items():
            if name not in SESSION_FIELDS:
                new_base[name] = theirs
                continue
            before = base.get(name, _MISSING)
            current = ours.get(name)
            if name not in owned:
                if theirs != current:
                    out.drift.add(key)
                new_base[name] = theirs
                continue
            if theirs in (before, current):
                new_base[name] = theirs
            elif before is _MISSING or before == current:
                out.proposals[(key, name)] = theirs
                new_base[name] = theirs
            else:
                out.conflicts.append(Conflict(key, name, connector, before, current, theirs))
        out.new_links[key] = Link(
            connector, collection, key, item.remote_id, item.version,
            link.pushed_hash if link else None, item.hash, new_base, link.sequence if link else 0,
        )
    gone = vanished_keys(result, links)
    # Links to sessions already gone from the programme are just forgotten, never counted.
    stale = {key for key in gone if key not in canonical}
    out.dropped_links |= stale
    gone -= stale
    # The guard against mass deletion compares with what was known; counting it reads every
    # key, so only when something vanished.
    out.known = sum(1 for key in links if key in canonical) if gone else len(links)
    out.vanished = len(gone)
    for key in gone:
        out.dropped_links.add(key)
        if existence:
            out.removals.add(key)
        else:
            out.drift.add(key)  # re-created there: this source may not remove sessions
    return out


def _session_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if k in SESSION_FIELDS}


def _complete(fields: Mapping[str, Any]) -> bool:
    return all(fields.get(name) for name in ("title", "start", "end"))


def _new_record(
    fields: Mapping[str, Any], canonical: Mapping[str, Any], pending: Mapping[str, Any]
) -> dict[str, Any] | None:
    if not _complete(fields):
        return None
    base_id = slugify(str(fields["title"]))
    key, n = base_id, 2
    while key in canonical or key in pending:
        key, n = f"{base_id}-{n}", n + 1
    record: dict[str, Any] = dict.fromkeys(SESSION_FIELDS)
    record.update({"hosts": [], "links": [], "description": "", "status": "scheduled"})
    record.update(_session_fields(fields))
    record["id"] = key
    return record


def reconcile(
    canonical: Mapping[str, Mapping[str, Any]], outcomes: list[SourceOutcome]
) -> MergeResult:
    """Combine every source's outcome into the new canonical sessions.

    Only the sessions an outcome touches are copied and looked at: ``sessions`` is the
    canonical mapping with the changes laid over it.
    """
    touched: dict[str, dict[str, Any] | None] = {}

    def current(key: str) -> dict[str, Any] | None:
        if key not in touched:
            touched[key] = dict(canonical[key]) if key in canonical else None
        return touched[key]

    conflicts: list[Conflict] = [c for o in outcomes for c in o.conflicts]
    conflicted = {(c.session, c.field) for c in conflicts}

    proposals: dict[tuple[str, str], dict[str, Any]] = {}
    for outcome in outcomes:
        for slot, value in outcome.proposals.items():
            proposals.setdefault(slot, {})[outcome.connector] = value
    field_changes: list[tuple[str, str, Any, Any, str]] = []
    for (key, name), by_source in proposals.items():
        record = current(key)
        if record is None:
            raise KeyError(key)
        values = list(by_source.values())
        if any(v != values[0] for v in values) or (key, name) in conflicted:
            for source, value in by_source.items():
                now = record.get(name)
                conflicts.append(Conflict(key, name, source, now, now, value))
            continue
        old = record.get(name)
        record[name] = values[0]
        field_changes.append((key, name, old, values[0], next(iter(by_source))))

    modified = {key for key, _ in proposals}
    for outcome in outcomes:
        for key, record in outcome.additions.items():
            if current(key) is None:
                touched[key] = record
                field_changes.append((key, EXISTENCE, None, "added", outcome.connector))
        for key in outcome.removals:
            gone = current(key)
            if gone is not None and key not in modified:
                # The whole record is logged, so ``hub revert`` can bring the session back.
                touched[key] = None
                field_changes.append((key, EXISTENCE, gone, None, outcome.connector))

    changed: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]] = {}
    for key, after in touched.items():
        before = dict(canonical[key]) if key in canonical else None
        if before != after:
            changed[key] = (before, after)
    sessions = Overlay(canonical, {key: after for key, (_before, after) in changed.items()})
    return MergeResult(
        sessions=sessions,
        changed=changed,
        field_changes=field_changes,
        conflicts=conflicts,
        # A link is to a session: one whose item came before the session did is forgotten.
        links={o.connector: {k: link for k, link in o.new_links.items() if k in sessions or k in canonical}
               for o in outcomes},
        dropped_links={o.connector: o.dropped_links for o in outcomes},
        drift={o.connector: o.drift for o in outcomes},
        problems=[p for o in outcomes for p in o.problems],
    )
