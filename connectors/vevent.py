"""iCalendar form of a session: what the calendar connectors write and how they read it back.

One VCALENDAR per session with the VTIMEZONE of the event's zone and one VEVENT. Standard
properties carry what calendar apps show and let people edit (SUMMARY, DTSTART/DTEND, LOCATION
as "venue name, address", DESCRIPTION, STATUS, CANCELLED rather than a deletion); the other
projection fields ride in ``X-HUB-*`` properties, which apps keep untouched. ``X-HUB-ID`` names
the session, so an event without it is somebody else's.

:func:`read_event` is the inverse of :func:`render_event` over the projection: it ignores what
servers and apps rewrite (DTSTAMP, LAST-MODIFIED, SEQUENCE, CREATED, alarms, folding, property
order, UTC instead of local time), which is what keeps the hub's own writes from reading as edits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import icalendar

from connectors.exports import ICS_PRODID, STATUS_ICS, session_uid
from connectors.exports import location_text as export_location
from sync.model import Programme, Venue, content_hash, format_time

# One UID, PRODID and STATUS mapping for the calendar and the ICS export, so a person who
# subscribes to both never sees a session twice.
PRODID = ICS_PRODID
STATUS_TO_ICAL = STATUS_ICS
ICAL_TO_STATUS = {"CONFIRMED": "scheduled", "TENTATIVE": "tentative", "CANCELLED": "cancelled"}
#: Projection fields kept in X- properties: calendar apps carry them along untouched.
X_TEXT = {"track": "X-HUB-TRACK", "format": "X-HUB-FORMAT", "kind": "X-HUB-KIND"}
#: List fields: one property per value, so no separator can be split or merged by a server.
X_LISTS = {"hosts": "X-HUB-HOST", "links": "X-HUB-LINK"}


#: What :func:`read_event` gives back, hence what ``X-HUB-HASH`` is taken over.
CARRIED = (
    "id",
    "title",
    "start",
    "end",
    "venue",
    "description",
    "status",
    "track",
    "format",
    "kind",
    "hosts",
    "links",
    "capacity",
    "venue_name",
    "venue_address",
)


#: Hex digits of ``X-HUB-HASH``: 128 bits tell the hub's last write from an edit as surely as
#: 256 and keep the line 32 octets shorter in every event every client downloads.
HASH_DIGITS = 32


def carried_hash(projection: Mapping[str, Any]) -> str:
    """Digest of the projection fields an event carries (other keys are the caller's own)."""
    return content_hash({name: projection.get(name) for name in CARRIED})[:HASH_DIGITS]


def _hash_matches(carried: str, fields: Mapping[str, Any]) -> bool:
    """``X-HUB-HASH`` says these fields; events written before it was shortened carry all 64 digits."""
    full = content_hash({name: fields.get(name) for name in CARRIED})
    return len(carried) >= HASH_DIGITS and full.startswith(carried)


def event_name(key: str) -> str:
    """The object name of a session's event: ``<session-id>.ics``, percent-encoded."""
    return quote(key, safe="") + ".ics"


def event_uid(key: str, programme: Programme) -> str:
    return session_uid(programme.event.id, key)


def location_text(name: str | None, address: str | None) -> str:
    """What LOCATION shows: "venue name, address" (calendar apps map it)."""
    return export_location({"venue_name": name, "venue_address": address})


def render_event(
    projection: Mapping[str, Any], key: str, programme: Programme, sequence: int
) -> str:
    """The iCalendar object for one session (VCALENDAR with its VTIMEZONE and one VEVENT).

    The bytes are the ``icalendar`` library's (:func:`render_event_with_library`, the reference
    the tests hold this to), written directly: a first sync renders every event of the
    programme, and building the library's objects for each cost more than the rest of the
    client's work per event. What depends on the zone alone (its VTIMEZONE over the event's
    days, how a time in it is written) is taken from the library once and reused."""
    tz = programme.tz
    start = datetime.fromisoformat(projection["start"]).astimezone(tz)
    end = datetime.fromisoformat(projection["end"]).astimezone(tz)
    in_zone, in_utc = _time_form(tz), _time_form(UTC)
    # Properties in the library's order: its canonical ones first, then by name (stable).
    lines = [
        "BEGIN:VEVENT",
        "SUMMARY:" + _escape(projection.get("title") or ""),
        "DTSTART" + in_zone[0] + _stamp(start) + in_zone[1],
        "DTEND" + in_zone[0] + _stamp(end) + in_zone[1],
        "DTSTAMP" + in_utc[0] + _stamp(datetime.now(UTC)) + in_utc[1],
        "UID:" + _escape(event_uid(key, programme)),
        f"SEQUENCE:{max(0, int(sequence))}",
    ]
    # TEXT values are escaped; the X- properties the library does not know as TEXT (the ids,
    # the hash, the capacity) it writes as they are.
    rest: list[tuple[str, str]] = []
    location = location_text(projection.get("venue_name"), projection.get("venue_address"))
    if location:
        rest.append(("LOCATION", _escape(location)))
    if projection.get("description"):
        rest.append(("DESCRIPTION", _escape(projection["description"])))
    status = STATUS_TO_ICAL.get(projection.get("status") or "scheduled", "CONFIRMED")
    rest.append(("STATUS", _escape(status)))
    raw = [("X-HUB-ID", key), ("X-HUB-HASH", carried_hash(projection))]
    if projection.get("venue"):
        raw.append(("X-HUB-VENUE", projection["venue"]))
    if projection.get("capacity") is not None:
        raw.append(("X-HUB-CAPACITY", str(projection["capacity"])))
    if any("\n" in value or "\r" in value for _, value in raw):
        return render_event_with_library(projection, key, programme, sequence)  # which refuses it
    rest.extend(raw)
    for name, prop in X_TEXT.items():
        if projection.get(name):
            rest.append((prop, _escape(projection[name])))
    for name, prop in X_LISTS.items():
        for value in projection.get(name) or ():
            rest.append((prop, _escape(value)))
    rest.sort(key=lambda item: item[0])
    lines.extend(name + ":" + value for name, value in rest)
    lines.append("END:VEVENT")
    return "".join((
        _head(),
        _zone_text(tz, start.date(), max(end, start).date() + timedelta(days=1)),
        *(fold(line) + "\r\n" for line in lines),
        "END:VCALENDAR\r\n",
    ))


def render_event_with_library(
    projection: Mapping[str, Any], key: str, programme: Programme, sequence: int
) -> str:
    """:func:`render_event` through the ``icalendar`` library's objects: the reference."""
    tz = programme.tz
    start = datetime.fromisoformat(projection["start"]).astimezone(tz)
    end = datetime.fromisoformat(projection["end"]).astimezone(tz)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    ev = icalendar.Event()
    ev.add("uid", event_uid(key, programme))
    ev.add("dtstamp", datetime.now(UTC).replace(microsecond=0))
    ev.add("sequence", max(0, int(sequence)))
    ev.add("summary", projection.get("title") or "")
    ev.add("dtstart", start)
    ev.add("dtend", end)
    location = location_text(projection.get("venue_name"), projection.get("venue_address"))
    if location:
        ev.add("location", location)
    if projection.get("description"):
        ev.add("description", projection["description"])
    ev.add("status", STATUS_TO_ICAL.get(projection.get("status") or "scheduled", "CONFIRMED"))
    ev.add("x-hub-id", key)
    ev.add("x-hub-hash", carried_hash(projection))
    if projection.get("venue"):
        ev.add("x-hub-venue", projection["venue"])
    for name, prop in X_TEXT.items():
        if projection.get(name):
            ev.add(prop, icalendar.vText(projection[name]))
    for name, prop in X_LISTS.items():
        for value in projection.get(name) or ():
            ev.add(prop, icalendar.vText(value))
    if projection.get("capacity") is not None:
        ev.add("x-hub-capacity", str(projection["capacity"]))
    cal.add_component(ev)
    _add_zones(cal, start.date(), max(end, start).date() + timedelta(days=1))
    return "".join(fold(line) + "\r\n" for line in cal.content_lines() if line)


def _add_zones(cal: icalendar.Calendar, first: date, last: date) -> None:
    # The zone's rules over the event's own days, as RFC 5545 asks of a VTIMEZONE (the
    # observances its DATE-TIMEs fall in): 1970-2038 would make every event ~10 KiB, and even
    # three years would make the zone twice the event. A person who moves the event in an app
    # gets that app's own VTIMEZONE; the TZID is the IANA name every client knows.
    cal.add_missing_timezones(first_date=first, last_date=last)
    for zone in cal.walk("VTIMEZONE"):
        zone.pop("COMMENT", None)  # "This timezone only works from ...": for people, not clients


def _escape(text: str) -> str:
    """RFC 5545 TEXT escaping, exactly as the library escapes (line ends become ``\\n``)."""
    if not _NEEDS_ESCAPE.search(text):
        return text
    return (
        text.replace("\\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


_NEEDS_ESCAPE = re.compile(r"[\\;,\r\n]")


def _stamp(moment: datetime) -> str:
    return f"{moment.year:04}{moment.month:02}{moment.day:02}T{moment.hour:02}{moment.minute:02}{moment.second:02}"


@lru_cache(maxsize=64)
def _time_form(tz: tzinfo) -> tuple[str, str]:
    """How the library writes a time in ``tz``: what goes between the property's name and the
    digits (``;TZID=Europe/Paris:``, or ``:`` for UTC) and after them (``Z`` for UTC). The zone
    alone decides both."""
    value = icalendar.vDDDTypes(datetime(2000, 1, 1, tzinfo=tz))
    digits = value.to_ical().decode()
    line = str(icalendar.cal.Component().content_line("DTSTART", value))
    return line[len("DTSTART") : len(line) - len(digits)], digits[len("20000101T000000"):]


@lru_cache(maxsize=1)
def _head() -> str:
    """The calendar's opening lines, before its zones (the same for every event)."""
    return "".join(fold(line) + "\r\n" for line in ("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:" + _escape(PRODID)))


@lru_cache(maxsize=256)
def _zone_text(tz: tzinfo, first: date, last: date) -> str:
    """The VTIMEZONE blocks (folded) the library adds for an event in ``tz`` over these days."""
    cal = icalendar.Calendar()
    ev = icalendar.Event()
    ev.add("dtstart", datetime(first.year, first.month, first.day, 12, tzinfo=tz))
    cal.add_component(ev)
    _add_zones(cal, first, last)
    return "".join(
        fold(line) + "\r\n" for zone in cal.walk("VTIMEZONE") for line in zone.content_lines() if line
    )


#: RFC 5545 3.1: content lines SHOULD NOT be longer than 75 octets, line break excluded.
FOLD_OCTETS = 75


def fold(line: str) -> str:
    """One content line folded into lines of at most :data:`FOLD_OCTETS` octets.

    Each fold costs three octets (CRLF and a space), so lines are filled up to the limit:
    icalendar stops one octet short and folds a line of exactly 75 octets (``X-HUB-HASH`` with
    64 digits was one), which made every event larger than the same event as servers store it. A character is never
    split between two lines, and a backslash stays with the character it escapes (some clients
    do not unfold inside an escape).
    """
    data = line.encode()
    if len(data) <= FOLD_OCTETS:
        return line
    parts: list[str] = []
    current: list[str] = []
    room = FOLD_OCTETS
    used = 0
    for char in line:
        size = len(char.encode()) if char >= "\x80" else 1
        if used + size > room:
            carried = current.pop() if len(current) > 1 and current[-1] in "\\^" else None
            parts.append("".join(current))
            current = [carried] if carried else []
            used = len(current)
            room = FOLD_OCTETS - 1  # the space that starts a continuation line counts
        current.append(char)
        used += size
    parts.append("".join(current))
    return "\r\n ".join(parts)


def _values(ev: icalendar.cal.Component, name: str) -> list[str]:
    """Every value of a property, unescaped (X- properties come back raw as ``vUnknown``)."""
    value = ev.get(name)
    values = value if isinstance(value, list) else [] if value is None else [value]
    out = []
    for v in values:
        if isinstance(v, icalendar.vText):
            out.append(str(v))
        else:
            raw = v.to_ical().decode() if hasattr(v, "to_ical") else str(v)
            out.append(_unescape(raw))
    return [v.strip() for v in out]


_ESCAPED = re.compile(r"\\([\\,;nN])")


def _unescape(raw: str) -> str:
    """RFC 5545 TEXT unescaping (icalendar leaves X- properties raw)."""
    return _ESCAPED.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), raw)


def _text(ev: icalendar.cal.Component, name: str) -> str:
    """A single-valued property (the first when an app repeated it)."""
    values = _values(ev, name)
    return values[0] if values else ""


def _moment(value: Any, programme: Programme) -> datetime:
    moment = value.dt if hasattr(value, "dt") else value
    if isinstance(moment, datetime):
        if moment.tzinfo is None:  # floating time: read it in the event's zone
            moment = moment.replace(tzinfo=programme.tz)
        return moment.astimezone(programme.tz)
    if isinstance(moment, date):
        raise ValueError("all-day event")
    raise ValueError("no start time")


_SPACED_COMMA = re.compile(r"\s*,\s*")


def venue_fields(
    location: str, hub_venue: str | None, programme: Programme
) -> tuple[str | None, str | None, str | None, str | None]:
    """A location text read back from a calendar as the session's ``venue``, the venue's name and
    address as the remote shows them, and the location when it names no venue of the programme
    (else None): what a calendar entry says of its place, for every calendar-like connector."""
    venue = resolve_venue(location, hub_venue, programme)
    if isinstance(venue, Venue):
        # The venue's current name/address only when the location still says exactly that, so a
        # renamed venue or a changed address shows as a difference and gets rewritten.
        if _norm(location_text(venue.name, venue.address)) == _norm(location):
            return venue.id, venue.name, venue.address, None
        return venue.id, location, None, None
    if venue is None:
        return None, None, None, None
    return hub_venue, location, None, location


def _norm(text: str) -> str:
    """A place as compared: TEXT escapes an app left in undone (``Le Talus\\, grande halle``),
    case and spacing ignored, one spelling of a comma (``a,b`` is ``a, b``)."""
    text = _unescape(text) if "\\" in text else text
    return _SPACED_COMMA.sub(", ", " ".join(text.casefold().split()))


def resolve_venue(location: str, hub_venue: str | None, programme: Programme) -> Venue | str | None:
    """The venue LOCATION names: its whole text ("name, address"), else a venue's name alone,
    else a venue's name followed by another address; the hub's own venue first each time.

    A venue's name may hold commas ("Le Talus, grande halle"), so LOCATION is never split: it
    is compared whole, and a name followed by more text is matched longest name first (so
    "Le Talus, grande halle, ..." is not taken for a venue "Le Talus").

    Returns the venue, None for an empty location, or the location itself when it names no
    venue of the programme.
    """
    if not location:
        return None
    wanted = _norm(location)
    if not wanted:
        return None
    venues = programme.venues
    first = [venues[hub_venue]] if hub_venue and hub_venue in venues else []
    ordered = first + [v for v in venues.values() if not first or v.id != hub_venue]
    for venue in ordered:
        if wanted == _norm(location_text(venue.name, venue.address)):
            return venue
    for venue in ordered:
        if wanted == _norm(venue.name):
            return venue
    by_length = sorted(ordered, key=lambda v: -len(_norm(v.name)))  # stable: the hub's own first
    for venue in by_length:
        name = _norm(venue.name)
        if name and wanted.startswith(name + ","):
            return venue
    return location


@dataclass(frozen=True)
class ReadEvent:
    """One stored event read back: its session id (None if not the hub's) and projection."""

    key: str | None
    fields: dict[str, Any]
    #: LOCATION text that names no venue of the programme (the venue is then left unchanged).
    unknown_location: str | None = None
    #: The event still says exactly what the hub last wrote (its X-HUB-HASH matches): nobody
    #: edited it since, whatever the server or an app rewrote around it.
    as_written: bool = False


def read_event(data: str, programme: Programme) -> ReadEvent:
    """The projection an event carries, ignoring what servers and apps rewrite.

    Raises ``ValueError`` for an event the hub cannot read (no start, all-day).
    """
    try:
        cal = icalendar.Calendar.from_ical(data)
    # The library raises what its code meets on malformed text (a VTIMEZONE with two TZIDs
    # gives an AttributeError): all of it is "this event cannot be read", which callers report.
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise ValueError(f"not readable as iCalendar ({type(exc).__name__}: {exc})") from None
    events = [c for c in cal.walk("VEVENT") if c.get("recurrence-id") is None]
    if not events:
        return ReadEvent(None, {})
    ev = events[0]
    key = _text(ev, "x-hub-id")
    if not key:
        return ReadEvent(None, {})
    start = _moment(ev.get("dtstart"), programme)
    if ev.get("dtend") is not None:
        end = _moment(ev.get("dtend"), programme)
    else:
        duration = ev.get("duration")
        end = start + (duration.dt if duration is not None else timedelta(0))
    hub_venue = _text(ev, "x-hub-venue") or None
    location = _text(ev, "location")
    venue_id, venue_name, venue_address, unknown = venue_fields(location, hub_venue, programme)
    status = ICAL_TO_STATUS.get(_text(ev, "status").upper(), "scheduled")
    fields: dict[str, Any] = {
        "id": key,
        "title": _text(ev, "summary"),
        "start": format_time(start),
        "end": format_time(end),
        "venue": venue_id,
        "description": _text(ev, "description"),
        "status": status,
    }
    for name, prop in X_TEXT.items():
        fields[name] = _text(ev, prop) or None
    for name, prop in X_LISTS.items():
        fields[name] = [v for v in _values(ev, prop) if v]
    capacity = _text(ev, "x-hub-capacity")
    fields["capacity"] = int(capacity) if capacity.lstrip("-").isdigit() else None
    fields["venue_name"] = venue_name
    fields["venue_address"] = venue_address
    return ReadEvent(key, fields, unknown, _hash_matches(_text(ev, "x-hub-hash"), fields))
