"""The announcement quiet period: a change is announced once its session has been still a while.

A burst of edits (a time typed, corrected, corrected again) makes one message, and an edit
undone before the period ends makes none: what is announced is the difference between the
*published* version of a session (what people were last told) and the current one, for the
sessions untouched for ``announce_delay`` seconds. Sessions changed more recently wait, with
the time of their last change, in the ``announce_waiting`` meta entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sync.announce import Announcement, diff_versions
from sync.database import Tx
from sync.lazy import SessionView
from sync.model import Programme
from sync.state import StateStore

WAITING = "announce_waiting"
INITIALIZED = "published_initialized"


@dataclass
class QuietPeriod:
    """What this round may announce, and what keeps waiting."""

    initialized: bool
    waiting: dict[str, float] = field(default_factory=dict)
    due: set[str] = field(default_factory=set)
    announcement: Announcement | None = None


def settle(
    store: StateStore, changed: Iterable[str], programme: Programme, now: float, delay: float
) -> QuietPeriod:
    """Sessions whose last change is at least ``delay`` seconds old, and their announcement.

    Nothing is announced before the first publication: the first programme is the baseline.
    """
    initialized = store.get_meta(INITIALIZED) is not None
    waiting: dict[str, float] = dict(store.get_meta(WAITING) or {})
    for key in changed:
        waiting[key] = now
    due = {key for key, last in waiting.items() if now - last >= delay}
    quiet = QuietPeriod(initialized, waiting, due)
    if initialized and due:
        keys = sorted(due)
        if isinstance(programme.sessions, SessionView):
            programme.sessions.prefetch(keys)  # one read for them all, not one per session
        published = store.published_records(keys)
        current = {k: programme.sessions[k].to_record() for k in keys if k in programme.sessions}
        changes = diff_versions(published, current)
        quiet.announcement = Announcement(tuple(changes), programme.venues) if changes else None
    return quiet


def publish(store: StateStore, conn: Tx, quiet: QuietPeriod, programme: Programme) -> None:
    """Record what was announced as published, and what still waits (inside the commit)."""
    if not quiet.initialized:
        store.publish(conn, {k: s.to_record() for k, s in programme.sessions.items()})
        store.set_meta(conn, INITIALIZED, True)
        store.set_meta(conn, WAITING, {})
        return
    records: Mapping[str, Mapping[str, Any] | None] = {
        k: programme.sessions[k].to_record() if k in programme.sessions else None for k in quiet.due
    }
    store.publish(conn, records)
    store.set_meta(conn, WAITING, {k: t for k, t in quiet.waiting.items() if k not in quiet.due})
