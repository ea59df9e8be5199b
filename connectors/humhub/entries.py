"""A session as a HumHub calendar entry, and an entry read back as the same projection.

What the calendar module stores and shows: the title, the description (rich text, i.e.
Markdown), the location, the start and end (``start_date``/``start_time`` in the entry's own
time zone on the way in, ``start_datetime`` in the *server's* zone on the way out; all-day
entries at midnight with the day after as end, in no zone) and ``closed`` (its own "cancelled",
which only the web interface sets: it is not a safe attribute of the REST body). So:

- the session's text goes into the description with every Markdown character escaped, so it
  shows as typed, followed by a link reference definition naming the session
  (``[commons-hub]: #<session-id>``): Markdown shows nothing for it, and it lets a lost state
  store find the hub's entries again;
- a cancelled or tentative session keeps its entry, its title marked ("Annulé : …"): the API
  cannot set ``closed``; an entry a person cancelled with the module's button reads as cancelled;
- a session from midnight to midnight is an all-day entry, as the module expects them.

:func:`read_entry` is the inverse of :func:`entry_body` over the projection, which is what keeps
the hub's own writes from reading as edits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from connectors.humhub.messages import MESSAGES, say
from connectors.vevent import location_text, venue_fields
from sync.model import Programme, format_time

MARKER = "commons-hub"
_MARKER_LINE = re.compile(r"^\s*\[" + MARKER + r"\]:\s*#(\S+)\s*$", re.MULTILINE)
#: Markdown's special characters: a backslash before each makes it show as typed (``&`` too:
#: ``&lt;script&gt;`` typed in a pad would otherwise show as ``<script>``).
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<&])")
#: CommonMark: a backslash before any ASCII punctuation is an escape.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
DB = "%Y-%m-%d %H:%M:%S"
LANGS = ("fr", "en")


def escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text)


def unescape(text: str) -> str:
    return _ESCAPED.sub(r"\1", text)


def marker(name: str) -> str:
    """The line that names what a description or a post belongs to; Markdown shows nothing of it."""
    return f"[{MARKER}]: #{name}"


def marked_name(text: str) -> str | None:
    found = _MARKER_LINE.findall(text or "")
    return str(found[-1]) if found else None


def strip_marker(text: str) -> str:
    return _MARKER_LINE.sub("", text or "").strip()


def description_text(projection: Mapping[str, Any], key: str) -> str:
    body = escape(str(projection.get("description") or "").strip())
    return f"{body}\n\n{marker(key)}" if body else marker(key)


def title_text(projection: Mapping[str, Any], lang: str) -> str:
    title = str(projection.get("title") or "").strip()
    status = projection.get("status")
    if status in ("cancelled", "tentative"):
        return say(f"mark.{status}", lang) + title
    return title


def read_title(title: str, closed: bool) -> tuple[str, str]:
    """(title, status) from a stored title: a mark in either language, or the cancel state."""
    text = (title or "").strip()
    status = "scheduled"
    for kind in ("cancelled", "tentative"):
        for lang in LANGS:
            mark = MESSAGES[f"mark.{kind}"][lang]
            if text.startswith((mark, mark.strip())):
                text = text[len(mark.strip()):].strip()
                status = kind
                break
        if status != "scheduled":
            break
    if closed:
        status = "cancelled"
    return text, status


def _local(moment: str, zone: ZoneInfo) -> datetime:
    return datetime.fromisoformat(moment).astimezone(zone)


def is_all_day(start: datetime, end: datetime) -> bool:
    """Midnight to midnight, whole days: what the module stores as an all-day entry."""
    return start.time() == time(0) and end.time() == time(0) and end > start


@dataclass(frozen=True)
class Stored:
    """What the module will store for the dates sent: to check the server's zone after a write."""

    start: str
    end: str


def entry_body(
    projection: Mapping[str, Any], key: str, programme: Programme, lang: str, server: ZoneInfo, public: bool
) -> tuple[dict[str, Any], Stored]:
    """The create/update body (the form's nested names) and the dates HumHub should store."""
    zone = programme.tz
    start, end = _local(projection["start"], zone), _local(projection["end"], zone)
    all_day = is_all_day(start, end)
    entry: dict[str, Any] = {
        "title": title_text(projection, lang),
        "description": description_text(projection, key),
        "location": location_text(projection.get("venue_name"), projection.get("venue_address")),
        "all_day": 1 if all_day else 0,
    }
    form: dict[str, Any] = {"is_public": 1 if public else 0, "timeZone": programme.event.timezone}
    if all_day:
        last = end - timedelta(days=1)
        form.update(start_date=start.strftime("%Y-%m-%d"), end_date=last.strftime("%Y-%m-%d"))
        stored = Stored(start.strftime("%Y-%m-%d 00:00:00"), end.strftime("%Y-%m-%d 00:00:00"))
    else:
        form.update(start_date=start.strftime("%Y-%m-%d"), start_time=start.strftime("%H:%M"),
                    end_date=end.strftime("%Y-%m-%d"), end_time=end.strftime("%H:%M"))
        stored = Stored(start.astimezone(server).strftime(DB), end.astimezone(server).strftime(DB))
    return {"CalendarEntry": entry, "CalendarEntryForm": form}, stored


@dataclass(frozen=True)
class ReadEntry:
    """One entry read back: the session it carries (None if not the hub's) and its projection."""

    key: str | None
    fields: dict[str, Any]
    unknown_location: str | None = None


def read_times(entry: Mapping[str, Any], programme: Programme, server: ZoneInfo) -> tuple[str, str]:
    """Start and end in the event's zone. Raises ``ValueError`` when they do not parse, or
    name a moment the event's zone cannot hold (9999-12-31 23:59 UTC is in year 10000 in Paris)."""
    start = datetime.strptime(str(entry.get("start_datetime")), DB).replace(tzinfo=server)
    end = datetime.strptime(str(entry.get("end_datetime")), DB).replace(tzinfo=server)
    if entry.get("all_day"):
        # All-day entries keep no zone: the same days, from midnight to midnight, in the event's.
        return (format_time(datetime.combine(start.date(), time(0), programme.tz)),
                format_time(datetime.combine(end.date(), time(0), programme.tz)))
    try:
        return format_time(start.astimezone(programme.tz)), format_time(end.astimezone(programme.tz))
    except OverflowError:
        raise ValueError("date out of range") from None


def read_entry(
    entry: Mapping[str, Any], key: str | None, programme: Programme, server: ZoneInfo, hub_venue: str | None
) -> ReadEntry:
    """The projection an entry carries (``key`` from its marker or the hub's links)."""
    start, end = read_times(entry, programme, server)
    title, status = read_title(str(entry.get("title") or ""), bool(entry.get("closed")))
    location = str(entry.get("location") or "").strip()
    venue_id, venue_name, venue_address, unknown = venue_fields(location, hub_venue, programme)
    fields: dict[str, Any] = {
        "id": key,
        "title": title,
        "start": start,
        "end": end,
        "venue": venue_id,
        "description": unescape(strip_marker(str(entry.get("description") or ""))),
        "status": status,
        "venue_name": venue_name,
        "venue_address": venue_address,
    }
    return ReadEntry(key, fields, unknown)
