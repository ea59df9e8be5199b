"""The three exported documents assembled from per-session pieces, with where each piece lands.

The ``files`` sink publishes whole-programme documents (one .ics, one frab JSON, one HTML
page), so one changed session changes all three. Rendering them from every session's
fragments costs the whole programme; what a one-change sync must cost is that one session.
So the documents are assembled here from text pieces (the VEVENT, the frab event serialised
as it appears in the JSON, the HTML list item) in programme order, and the assembly says at
which character each piece starts in each document: the sink keeps these offsets (a
:class:`Layout`) and, next time, takes the pieces of unchanged sessions straight out of the
files it wrote (after checking they are still exactly what it wrote) and renders only the
changed ones. Both the full rendering and the incremental one go through :func:`assemble`,
so they cannot differ.

What a session contributes besides its pieces (its place in the order, its day, its room) is
in its :class:`Placed`; everything else comes from the programme's event, days and time zone
and the page's settings, which the layout's ``context`` covers: any change there renders all.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate
from typing import Any, NamedTuple

from markupsafe import Markup

from connectors.exports import PageLinks, frab_version, ics_document, page_template, upper_first, web_url
from sync.i18n import say_date
from sync.lazy import Lazy, Overlay, SessionView
from sync.model import Programme, Session, content_hash

#: Part of the layout's context: a layout of another format is not used (1 counted characters,
#: 2 counts bytes).
LAYOUT_FORMAT = 2
_ICS_END = "END:VCALENDAR\r\n"
_JSON_END = "[]}}}"


class Placed(NamedTuple):
    """One session's place in the documents: its order (start, end, id), its day in the event's
    time zone (the page), the day its start is given in (the frab schedule), its room, and the
    hash of its record (what says it changed)."""

    start: float
    end: float
    id: str
    day: str
    frab_day: str
    room: str
    digest: str


def place(session: Session, programme: Programme, room: str, digest: str) -> Placed:
    """Where ``session`` goes (``room``: the venue name its frab event shows)."""
    return Placed(session.start.timestamp(), session.end.timestamp(), session.id,
                  session.start.astimezone(programme.tz).date().isoformat(), session.start.date().isoformat(),
                  room, digest)


#: A piece of a document: rendered now (bytes), or a view into the file as last written (no copy).
Chunk = bytes | memoryview


class Pieces(NamedTuple):
    """A session's bytes in each document (UTF-8)."""

    ics: Chunk
    frab: Chunk
    html: Chunk


def frab_text(fragment: Any) -> str:
    """A value (a frab event, a room name) as the document's JSON writes it."""
    return json.dumps(fragment, ensure_ascii=False, separators=(",", ":"))


@dataclass
class Documents:
    """The three documents (UTF-8) and, per session, where its piece lies in each."""

    ics: bytes
    json: bytes
    html: bytes
    offsets: dict[str, Offsets]


#: Where a session's pieces are in the three documents: start and length in the .ics, in the
#: JSON, in the page (in bytes of the files).
Offsets = tuple[int, int, int, int, int, int]


@dataclass
class Page:
    """What the page shows besides the sessions."""

    language: str
    updated: datetime | None
    links: PageLinks


def assemble(programme: Programme, placed: Sequence[Placed], pieces: Mapping[str, Pieces], page: Page) -> Documents:
    """The documents of the sessions ``placed`` (in programme order) with their ``pieces``."""
    ics, ics_at = _ics(programme, placed, pieces)
    frab, frab_at = _frab(programme, placed, pieces)
    html, html_at = _html(programme, placed, pieces, page)
    offsets = {p.id: (ics_at[p.id], len(pieces[p.id].ics), frab_at[p.id], len(pieces[p.id].frab),
                      html_at[p.id], len(pieces[p.id].html)) for p in placed}
    return Documents(ics, frab, html, offsets)


def _ics(programme: Programme, placed: Sequence[Placed], pieces: Mapping[str, Pieces]) -> tuple[bytes, dict[str, int]]:
    head = ics_document(programme, ()).removesuffix(_ICS_END).encode()
    texts = [pieces[p.id].ics for p in placed]
    at = dict(zip((p.id for p in placed), _starts(len(head), texts), strict=True))
    return b"".join([head, *texts, _ICS_END.encode()]), at


def _starts(first: int, texts: Sequence[Chunk], gap: int = 0) -> list[int]:
    """Where each of ``texts`` starts, written one after the other from ``first`` with ``gap``
    bytes between two."""
    return list(accumulate((len(text) + gap for text in texts[:-1]), initial=first)) if texts else []


def _frab(programme: Programme, placed: Sequence[Placed], pieces: Mapping[str, Pieces]) -> tuple[bytes, dict[str, int]]:
    """The frab schedule (the layout :func:`connectors.exports.frab_document` gives it), written
    piece by piece; its version is the hash of its days (:func:`connectors.exports.frab_version`)."""
    tz = programme.tz
    days = sorted({d.date.isoformat() for d in programme.days} | {p.frab_day for p in placed})
    rooms: dict[str, str] = {}
    by_day: dict[str, dict[str, list[str]]] = {day: {} for day in days}
    for p in placed:
        if p.room not in rooms:
            rooms[p.room] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"commons-hub:room/{p.room}"))
        by_day[p.frab_day].setdefault(p.room, []).append(p.id)
    parts: list[Chunk] = [b"["]
    at: dict[str, int] = {}
    position = 1
    for index, day in enumerate(days):
        start = datetime.combine(date.fromisoformat(day), datetime.min.time(), tz)
        head = (("," if index else "") + frab_text({
            "index": index + 1, "date": day, "day_start": start.replace(hour=6).isoformat(),
            "day_end": (start + timedelta(hours=29)).isoformat(), "rooms": {}})[:-2]).encode()
        parts.append(head)
        position += len(head)
        for number, (room, keys) in enumerate(by_day[day].items()):
            opening = (("," if number else "") + frab_text(room) + ":[").encode()
            parts.append(opening)
            position += len(opening)
            texts = [pieces[key].frab for key in keys]
            starts = _starts(position, texts, 1)
            at.update(zip(keys, starts, strict=True))
            for count, text in enumerate(texts):
                if count:
                    parts.append(b",")
                parts.append(text)
            position = (starts[-1] + len(texts[-1]) if texts else position) + 1
            parts.append(b"]")
        parts.append(b"}}")
        position += 2
    parts.append(b"]")
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    first = days[0] if days else "1970-01-01"
    last = days[-1] if days else "1970-01-01"
    event = programme.event
    document = {
        "$schema": "https://c3voc.de/schedule/schema.json",
        "generator": {"name": "commons-hub", "version": "0.1"},
        "schedule": {
            "version": frab_version(digest),
            "conference": {
                "acronym": event.id.replace("-", "_").lower() or "event",
                "title": event.title,
                "start": first,
                "end": last,
                "daysCount": len(days),
                "timeslot_duration": "00:15",
                "time_zone_name": event.timezone,
                **({"url": event.website} if web_url(event.website) else {}),
                "rooms": [{"name": name, "guid": guid} for name, guid in rooms.items()],
                "days": [],
            },
        },
    }
    frame = frab_text(document)
    if not frame.endswith(_JSON_END):  # the days are the last key at every level
        raise AssertionError("the frab document's days are not last")
    prefix = frame[: -len(_JSON_END)].encode()
    shift = len(prefix)
    return b"".join([prefix, *parts, b"}}}"]), {key: value + shift for key, value in at.items()}


def _html(
    programme: Programme, placed: Sequence[Placed], pieces: Mapping[str, Pieces], page: Page
) -> tuple[bytes, dict[str, int]]:
    """The page (the layout :func:`connectors.exports.html_document` gives it): rendered with a
    marker for each day's list, the lists then put in their places."""
    language = page.language
    themes = {d.date: d.theme for d in programme.days}
    grouped: dict[str, list[str]] = {}
    for p in placed:
        grouped.setdefault(p.day, []).append(p.id)
    token = secrets.token_hex(16)
    days = sorted(grouped)
    sections = [
        {
            "iso": day,
            "label": upper_first(say_date(date.fromisoformat(day), language)),
            "theme": themes.get(date.fromisoformat(day), ""),
            "body": Markup(f"<!--{token}:{index}-->"),
        }
        for index, day in enumerate(days)
    ]
    rest = page_template(programme, sections, language, page.updated, page.links).encode()
    parts: list[Chunk] = []
    at: dict[str, int] = {}
    position = 0
    for index, day in enumerate(days):
        before, marker, rest = rest.partition(f"<!--{token}:{index}-->".encode())
        if not marker:
            raise AssertionError("a day's marker is missing from the page")
        position += len(before)
        keys = grouped[day]
        texts = [pieces[key].html for key in keys]
        starts = _starts(position, texts)
        at.update(zip(keys, starts, strict=True))
        parts += [before, *texts]
        position = starts[-1] + len(texts[-1]) if texts else position
    parts.append(rest)
    return b"".join(parts), at


@dataclass
class Layout:
    """What the sink keeps of the documents it wrote: the context they were made in, each
    file's sha256 as written, and every session's place and offsets, in programme order."""

    context: str
    files: dict[str, str]
    placed: list[Placed]
    offsets: dict[str, Offsets]

    def to_json(self) -> dict[str, Any]:
        return {"format": LAYOUT_FORMAT, "context": self.context, "files": self.files,
                "entries": [[*p, *self.offsets[p.id]] for p in self.placed]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Layout | None:
        """The layout saved, or None when it is of another format or not well formed."""
        entries = data.get("entries")
        files = data.get("files")
        context = data.get("context")
        if data.get("format") != LAYOUT_FORMAT or not isinstance(entries, list) or not isinstance(files, dict) \
                or not isinstance(context, str):
            return None
        placed: list[Placed] = []
        offsets: dict[str, Offsets] = {}
        try:
            for entry in entries:
                start, end, key, day, frab_day, room, digest, *where = entry
                if not (isinstance(start, (int, float)) and isinstance(end, (int, float))
                        and all(isinstance(v, str) for v in (key, day, frab_day, room, digest))
                        and len(where) == 6 and all(isinstance(v, int) and v >= 0 for v in where)):
                    return None
                placed.append(Placed(float(start), float(end), key, day, frab_day, room, digest))
                offsets[key] = (where[0], where[1], where[2], where[3], where[4], where[5])
        except (TypeError, ValueError):
            return None
        if len(offsets) != len(placed):
            return None
        return cls(context, {str(k): str(v) for k, v in files.items()}, placed, offsets)


def pieces_from(files: tuple[bytes, bytes, bytes], layout: Layout, keys: Iterable[str]) -> dict[str, Pieces] | None:
    """The pieces of ``keys`` in the documents as written (``files``: ics, json, html, checked by
    their hash beforehand), as views into them; None if any is not where the layout says (the
    documents are then rendered whole)."""
    ics_file, frab_file, html_file = (memoryview(data) for data in files)
    found: dict[str, Pieces] = {}
    for key in keys:
        ics_at, ics_len, frab_at, frab_len, html_at, html_len = layout.offsets[key]
        ics = ics_file[ics_at:ics_at + ics_len]
        frab = frab_file[frab_at:frab_at + frab_len]
        html = html_file[html_at:html_at + html_len]
        if not (ics[:12].tobytes() == b"BEGIN:VEVENT" and ics[-12:].tobytes() == b"END:VEVENT\r\n"
                and frab[:1].tobytes() == b"{" and frab[-1:].tobytes() == b"}"
                and html[:3].tobytes() == b"<li" and html[-5:].tobytes() == b"</li>"):
            return None
        found[key] = Pieces(ics, frab, html)
    return found


def record_hashes(sessions: Mapping[str, Session]) -> dict[str, str]:
    """Every session's record hash, cheaply when the sessions are the engine's view of the
    state store (the hashes it keeps, and those of the records the round changed)."""
    if isinstance(sessions, SessionView):
        return _hashes(sessions.records)
    return {key: content_hash(session.to_record()) for key, session in sessions.items()}


def _hashes(records: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    if isinstance(records, Lazy):
        light = records.light()
        if all(isinstance(value, str) for value in light.values()):
            return dict(light)
    elif isinstance(records, Overlay):
        hashes = _hashes(records.base)
        for key, record in records.changes.items():
            if record is None:
                hashes.pop(key, None)
            else:
                hashes[key] = content_hash(dict(record))
        return hashes
    return {key: content_hash(dict(record)) for key, record in records.items()}
