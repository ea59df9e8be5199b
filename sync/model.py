"""The canonical programme: plain frozen dataclasses, validated at the edges only.

Every connector maps its remote objects to and from these. Sessions also have a *record* form
(a flat dict of JSON values, times as ISO 8601 strings in the event's zone) which is what the
state store keeps, what merges compare field by field, and what ``content_hash`` is taken over.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

SessionStatus = Literal["scheduled", "tentative", "cancelled"]
STATUSES: tuple[str, ...] = ("scheduled", "tentative", "cancelled")

#: Fields of a session that sources may change, in a stable order.
SESSION_FIELDS: tuple[str, ...] = (
    "title",
    "start",
    "end",
    "venue",
    "track",
    "format",
    "kind",
    "hosts",
    "description",
    "status",
    "capacity",
    "links",
)

#: Pseudo-field naming the right to create and remove sessions (``owns = ["existence"]``).
EXISTENCE = "existence"


T = TypeVar("T")


def quick_pickle(cls: type[T]) -> type[T]:
    """Give a frozen, slotted dataclass a faster way back from a pickle.

    The dataclass's own ``__setstate__`` looks its fields up again for every object, which was
    two thirds of loading the bots' kept index of 10,000 sessions (``hub ask`` from the command
    line): the names are looked up once here instead. The state is the fields' values in order,
    as the dataclass's own; an index written by other code is rebuilt anyway (its code stamp).
    """
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    put = object.__setattr__

    def __getstate__(self: T) -> tuple[Any, ...]:
        return tuple([getattr(self, name) for name in names])

    def __setstate__(self: T, state: tuple[Any, ...]) -> None:
        for name, value in zip(names, state, strict=True):
            put(self, name, value)

    setattr(cls, "__getstate__", __getstate__)  # noqa: B010 (a method put on the class made by @dataclass)
    setattr(cls, "__setstate__", __setstate__)  # noqa: B010
    return cls


@quick_pickle
@dataclass(frozen=True, slots=True)
class Venue:
    """A place where sessions happen."""

    id: str
    name: str
    address: str = ""
    note: str = ""

    def to_record(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "address": self.address, "note": self.note}


@quick_pickle
@dataclass(frozen=True, slots=True)
class Day:
    """A day of the event, with its theme."""

    date: date
    theme: str = ""

    def to_record(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "theme": self.theme}


@quick_pickle
@dataclass(frozen=True, slots=True)
class Event:
    """The event the programme belongs to."""

    id: str
    title: str
    timezone: str
    subtitle: str = ""
    language: str = "fr"
    website: str = ""
    contact: str = ""
    rules: Mapping[str, Any] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "subtitle": self.subtitle,
            "timezone": self.timezone,
            "language": self.language,
            "website": self.website,
            "contact": self.contact,
            "rules": dict(self.rules),
        }


@quick_pickle
@dataclass(frozen=True, slots=True)
class Session:
    """One item of the programme. Cancelling is a status, never a delete."""

    id: str
    title: str
    start: datetime
    end: datetime
    venue: str | None = None
    track: str | None = None
    format: str | None = None
    kind: str | None = None
    hosts: tuple[str, ...] = ()
    description: str = ""
    status: SessionStatus = "scheduled"
    capacity: int | None = None
    links: tuple[str, ...] = ()

    def to_record(self) -> dict[str, Any]:
        """The flat JSON form: what is stored, merged and hashed."""
        return {
            "id": self.id,
            "title": self.title,
            "start": format_time(self.start),
            "end": format_time(self.end),
            "venue": self.venue,
            "track": self.track,
            "format": self.format,
            "kind": self.kind,
            "hosts": list(self.hosts),
            "description": self.description,
            "status": self.status,
            "capacity": self.capacity,
            "links": list(self.links),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any], tz: ZoneInfo | None = None) -> Session:
        """Inverse of :meth:`to_record` (the record was validated when it entered the hub).

        Records keep an offset, not a zone name: pass the event's ``tz`` to get times in it
        (what calendars need for TZID and daylight-saving changes).
        """
        start = datetime.fromisoformat(record["start"])
        end = datetime.fromisoformat(record["end"])
        if tz is not None:
            start, end = start.astimezone(tz), end.astimezone(tz)
        return cls(
            id=record["id"],
            title=record["title"],
            start=start,
            end=end,
            venue=record.get("venue"),
            track=record.get("track"),
            format=record.get("format"),
            kind=record.get("kind"),
            hosts=tuple(record.get("hosts") or ()),
            description=record.get("description") or "",
            status=record.get("status") or "scheduled",
            capacity=record.get("capacity"),
            links=tuple(record.get("links") or ()),
        )

    def with_fields(self, changes: Mapping[str, Any]) -> Session:
        """A copy with some record-form fields replaced."""
        record = self.to_record()
        record.update(changes)
        zone = self.start.tzinfo
        return Session.from_record(record, zone if isinstance(zone, ZoneInfo) else None)

    @property
    def content_hash(self) -> str:
        return content_hash(self.to_record())


@quick_pickle
@dataclass(frozen=True, slots=True)
class Programme:
    """One event's whole programme: the canonical state every connector is kept in step with."""

    event: Event
    days: tuple[Day, ...]
    venues: Mapping[str, Venue]
    sessions: Mapping[str, Session]

    @property
    def tz(self) -> ZoneInfo:
        return self.event.tz

    def venue_of(self, session: Session) -> Venue | None:
        return self.venues.get(session.venue) if session.venue else None

    def sorted_sessions(self) -> list[Session]:
        """Sessions in programme order: start time, then end, then id."""
        return sorted(self.sessions.values(), key=lambda s: (s.start, s.end, s.id))

    def with_sessions(self, sessions: Iterable[Session]) -> Programme:
        return replace(self, sessions={s.id: s for s in sessions})

    def meta_record(self) -> dict[str, Any]:
        """Everything but the sessions, as JSON: event, days and venues."""
        return {
            "event": self.event.to_record(),
            "days": [d.to_record() for d in self.days],
            "venues": [v.to_record() for v in self.venues.values()],
        }

    @staticmethod
    def meta_from_record(record: Mapping[str, Any]) -> tuple[Event, tuple[Day, ...], dict[str, Venue]]:
        ev = record["event"]
        event = Event(
            id=ev["id"],
            title=ev["title"],
            timezone=ev["timezone"],
            subtitle=ev.get("subtitle", ""),
            language=ev.get("language", "fr"),
            website=ev.get("website", ""),
            contact=ev.get("contact", ""),
            rules=ev.get("rules", {}),
        )
        days = tuple(Day(date.fromisoformat(d["date"]), d.get("theme", "")) for d in record["days"])
        venues = {v["id"]: Venue(v["id"], v["name"], v.get("address", ""), v.get("note", "")) for v in record["venues"]}
        return event, days, venues


@dataclass(frozen=True)
class Conflict:
    """An edit that could not be merged: ``theirs`` (from ``connector``) against ``ours``.

    ``id`` and ``created_at`` are set once the state store has recorded it.
    """

    session: str
    field: str
    connector: str
    base: Any
    ours: Any
    theirs: Any
    id: int | None = None
    created_at: datetime | None = None


def format_time(moment: datetime) -> str:
    """ISO 8601 with offset, to the second: the one spelling of a time in records."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: every time in the hub carries its zone")
    return moment.replace(microsecond=0).isoformat()


def canonical_json(value: Any) -> str:
    """Deterministic JSON: the text hashes are taken over."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(value: Any) -> str:
    """sha256 over the canonical JSON of a record or projection."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()
