"""``hub review``, ``hub history`` and ``hub revert``: what a person decides about changes.

Held batches (:mod:`sync.review`) wait here: accepting one lets the next run merge exactly what
was reviewed; rejecting one makes the next run write the canonical values back over the
source. Both commands run that sync at once, so the outcome reaches every channel before the
command returns. The history shows each merged field change with the run that made it, in the
event's time zone; ``hub revert`` undoes one run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from hub.messages import say
from sync.errors import UsageError
from sync.i18n import say_moment
from sync.model import EXISTENCE, Programme
from sync.state_reader import HeldBatch, HistoryRow, ReadState

if TYPE_CHECKING:
    from sync.state import StateStore

_DURATION = re.compile(r"^\s*(\d+)\s*([mhdj])\s*$")


def event_zone(store: ReadState) -> tzinfo:
    """The event's time zone (where the sessions happen), else UTC before any programme."""
    meta = store.get_meta("programme")
    if not meta:
        return UTC
    event, _days, _venues = Programme.meta_from_record(meta)
    return ZoneInfo(event.timezone)


def say_when(stamp: str, zone: tzinfo, lang: str) -> str:
    """An ISO time stamp in the event's zone, in words (« jeudi 3 décembre, 14 h 50 »)."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return say_moment(moment.astimezone(zone), lang)


def batch_json(batch: HeldBatch) -> dict[str, Any]:
    return {"batch": batch.id, "connector": batch.connector, "state": batch.state, "reason": batch.reason,
            "at": batch.created_at.isoformat(), **batch.summary}


def describe_batch(batch: HeldBatch, lang: str, zone: tzinfo) -> list[str]:
    """A held batch as ``hub review`` prints it: header, then every field change."""
    head = say("review.row", lang, batch=batch.id, connector=batch.connector,
               at=say_moment(batch.created_at.astimezone(zone), lang),
               state=say(f"review.state.{batch.state}", lang))
    from sync.review import change_lines  # with the merge code: not for `hub status`

    return [head, *(f"    {line}" for line in change_lines(batch.summary, lang))]


def find_batch(
    store: StateStore, batch_id: int, lang: str, states: Sequence[str] = ("open", "accepted", "rejected")
) -> HeldBatch:
    batch = next((b for b in store.held_batches(states) if b.id == batch_id), None)
    if batch is None:
        raise UsageError(say("review.unknown", lang, batch=batch_id))
    return batch


def decide(store: StateStore, batch_id: int, state: str, lang: str) -> HeldBatch:
    """Mark a waiting batch accepted or rejected; the sync that follows carries it out."""
    batch = find_batch(store, batch_id, lang)
    with store.transaction() as conn:
        store.set_held_state(conn, batch.id, state)
    return batch


def parse_since(text: str, zone: tzinfo, lang: str, now: datetime | None = None) -> datetime:
    """``2h``, ``3d`` (or ``3j``), ``30m``, a date (``2026-12-01``) or a local date-time."""
    now = now or datetime.now(UTC)
    match = _DURATION.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        step = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1), "j": timedelta(days=1)}
        return now - amount * step[unit]
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(say("history.bad_since", lang, value=text)) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def history_json(row: HistoryRow) -> dict[str, Any]:
    return {"sync": row.sync, "at": row.at.isoformat(), "origin": row.origin, "session": row.session,
            "field": row.field, "old": _value(row.old), "new": _value(row.new)}


def history_line(row: HistoryRow, lang: str, zone: tzinfo) -> str:
    from sync.review import field_label, shown

    when = say_moment(row.at.astimezone(zone), lang)
    number = say("history.sync", lang, sync=row.sync) if row.sync is not None else "   "
    if row.field == EXISTENCE:
        what = say("history.added" if row.new == "added" else "history.removed", lang)
        return f"{number} {when} {row.origin}: {row.session} {what}"
    old, new = shown(row.old, lang, zone, 50), shown(row.new, lang, zone, 50)
    return f"{number} {when} {row.origin}: {row.session} · {field_label(row.field, lang)} « {old} » → « {new} »"


def _value(value: Any) -> Any:
    """A removed session's whole record is kept for revert; history says 'present'."""
    return "present" if isinstance(value, dict) else value

