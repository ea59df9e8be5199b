"""What a bot answers: a structured object first, text only when a channel asks for it.

An :class:`Answer` holds message keys with their values, session lines and an optional
venue card. :meth:`Answer.render` turns it into one channel's format (plain text for Signal,
HTML for Telegram, Markdown for Talk). Every value, whether it came from the programme (titles,
venue names, which pads and calendars may feed) or from the person asking, goes through
:func:`sync.announce.escape` for that format; only our own templates and markup are not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from bots.messages import say
from sync import i18n
from sync.announce import Format, escape
from sync.i18n import join_words, say_span, say_time
from sync.model import Session, Venue


@dataclass(frozen=True, slots=True)
class Message:
    """A catalog key and the values to fill it with (escaped at render time)."""

    key: str
    values: Mapping[str, str] = field(default_factory=dict)

    def render(self, lang: str, fmt: Format) -> str:
        return say(self.key, lang, **{name: escape(value, fmt) for name, value in self.values.items()})

    def plain(self, lang: str) -> str:
        return say(self.key, lang, **self.values)


@dataclass(frozen=True, slots=True)
class Line:
    """One session in an answer, and how much of its time and place to say."""

    session: Session
    venue: Venue | None
    with_date: bool = True
    with_address: bool = False
    with_hosts: bool = False
    section: str | None = None  # "morning", "afternoon", "evening": a day's list is grouped by them

    def render(self, lang: str, fmt: Format) -> str:
        session = self.session
        if self.with_date:
            when = say_span(session.start, session.end, lang)
        else:
            when = f"{say_time(session.start, lang)} – {say_time(session.end, lang)}"
        title = escape(session.title, fmt)
        if fmt == "html":
            title = f"<b>{title}</b>"
        elif fmt == "markdown":
            title = f"**{title}**"
        parts = [title, escape(when, fmt)]
        if self.venue is not None:
            place = self.venue.name
            if self.with_address and self.venue.address:
                place = f"{place}, {self.venue.address}"
            parts.append(escape(place, fmt))
        elif session.venue:
            parts.append(escape(session.venue, fmt))
        else:
            parts.append(escape(i18n.say("venue.unknown", lang), fmt))
        if self.with_hosts and session.hosts:
            parts.append(say("line.hosts", lang, hosts=escape(join_words(list(session.hosts), lang), fmt)))
        line = " · ".join(parts)
        if session.status != "scheduled":
            line += f" ({say(session.status, lang)})"
        return line


@dataclass(frozen=True, slots=True)
class Answer:
    """A bot's reply, independent of the channel it goes to."""

    lang: str
    kind: str
    heading: Message | None = None
    lines: tuple[Line, ...] = ()
    venue: Venue | None = None
    notes: tuple[Message, ...] = ()

    @property
    def session_ids(self) -> tuple[str, ...]:
        """The sessions this answer speaks of, in the order it says them."""
        return tuple(line.session.id for line in self.lines)

    def render(self, fmt: Format = "text") -> str:
        """The whole reply in one channel format."""
        lang = self.lang
        out: list[str] = []
        if self.heading is not None:
            heading = self.heading.render(lang, fmt)
            out.append(_strong(heading, fmt))
        if self.venue is not None:
            out.extend(_venue_card(self.venue, lang, fmt))
        bullet = "- " if fmt == "markdown" else "• "
        section: str | None = None
        for line in self.lines:
            if line.section is not None and line.section != section:
                section = line.section
                out.append(_strong(say(f"section.{section}", lang), fmt))
            out.append(bullet + line.render(lang, fmt))
        out.extend(note.render(lang, fmt) for note in self.notes)
        return "\n".join(out)

    def to_json(self) -> dict[str, Any]:
        """A machine-readable form (``hub ask --json``): what was understood and said."""
        return {
            "lang": self.lang,
            "kind": self.kind,
            "sessions": list(self.session_ids),
            "venue": self.venue.id if self.venue else None,
            "text": self.render("text"),
        }


def _strong(text: str, fmt: Format) -> str:
    if fmt == "html":
        return f"<b>{text}</b>"
    if fmt == "markdown":
        return f"**{text}**"
    return text


def _venue_card(venue: Venue, lang: str, fmt: Format) -> list[str]:
    lines = [_strong(escape(venue.name, fmt), fmt)]
    if venue.address:
        colon = " : " if lang == "fr" else ": "
        lines.append(f"{say('address', lang)}{colon}{escape(venue.address, fmt)}")
    if venue.note:
        lines.append(escape(venue.note, fmt))
    url = map_link(venue)
    if url:
        lines.append(say("map", lang, url=escape(url, fmt)))
    return lines


_GEO = re.compile(r"\bgeo:(-?\d{1,2}(?:\.\d+)?),(-?\d{1,3}(?:\.\d+)?)")


def map_link(venue: Venue) -> str:
    """An OpenStreetMap link to the venue: its point when the venue gives coordinates (a
    ``geo:43.30,5.37`` URI, RFC 5870, in its address or note), else a search for its name and
    address (the name would only confuse the search). Empty without an address."""
    for text in (venue.note, venue.address):
        match = _GEO.search(text or "")
        if match is not None:
            lat, lon = match.group(1), match.group(2)
            return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"
    if not venue.address:
        return ""
    return f"https://www.openstreetmap.org/search?query={quote(venue.address, safe='')}"


def link_kind(url: str) -> str:
    """'pad', 'visio' or 'other': how a session's link is introduced."""
    lowered = url.lower()
    if any(word in lowered for word in ("pad", "hedgedoc", "hackmd", "framapad", "cryptpad")):
        return "pad"
    if any(word in lowered for word in ("jitsi", "visio", "meet", "zoom", "bbb", "bigbluebutton", "webex", "teams")):
        return "visio"
    return "other"
