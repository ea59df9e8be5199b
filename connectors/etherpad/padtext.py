"""The programme as pad text: render it, read it back, edit it in place.

The pad is plain text a person edits in a browser, so the format is forgiving on input and
strict on output::

    == samedi 13 novembre 2021 : Initier les chantiers communs ==

    14:00-16:30 Culture juridique [#atelier-culture-juridique]
        Lieu : Les 8 Pillards
        Animation : Hôtel du Nord
        Une ligne de description, ou plusieurs.

    ANNULÉ 17:30-19:00 Clôture [#cloture-8-pillards]
        Lieu : Les 8 Pillards

A day heading gives the date; a session starts with its time range and ends at a blank line;
the ``[#id]`` marker ties it to the canonical session. Reading accepts both languages' labels,
"14h30", "9h-10h", dashes of any length and a status word before the time.

Reading is the exact inverse of rendering for what :func:`projection` produces, which is what
makes the connector echo-free: normalise here, in one place, everything a pad or a person may
change without meaning to (spaces, tabs, blank lines in descriptions, seconds in times).
Editing rewrites only the blocks of the sessions that changed and keeps every other line as
the people left it, including lines the hub could not read.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from connectors.etherpad.messages import say, variants
from sync.i18n import MONTHS, WEEKDAYS, say_date
from sync.model import Programme, Session, Venue, format_time

#: Canonical fields the pad carries (``venue_name`` is display-only on top of these).
PAD_FIELDS: tuple[str, ...] = ("title", "start", "end", "venue", "hosts", "description", "status")
HEAD_FIELDS = frozenset({"title", "start", "end", "status"})
INDENT = "    "

_ANCHOR = re.compile(r"\s*\[#(?P<key>[^\]\s]+)\]\s*$")
_HEADING = re.compile(r"^\s*(?:={2,}|#{1,6})\s*(?P<body>.*?)\s*=*\s*$")
_CANCELLED = r"annul[ée]e?s?|cancell?ed"
_TENTATIVE = r"[àa] confirmer|to be confirmed|tbc|tentative"
_CLOCK = r"(?P<{0}h>\d{{1,2}})(?:\s*[:hH.]\s*(?P<{0}m>\d{{2}})?)?"
_HEAD = re.compile(
    rf"^(?:(?P<status>{_CANCELLED}|{_TENTATIVE})\b\s*[:\-–—]?\s*)?"
    + _CLOCK.format("a")
    + r"\s*(?:-|–|—|à|to)\s*"
    + _CLOCK.format("b")
    + r"(?:\s*\(?\+(?P<plus>\d{1,3})\s*[jd]?\)?)?"
    + r"(?P<rest>(?:[\s:\-–—,|].*)?)$",
    re.IGNORECASE,
)
_STARTS_WITH_TIME = re.compile(rf"^(?:(?:{_CANCELLED}|{_TENTATIVE})\b\s*[:\-–—]?\s*)?\d{{1,2}}\s*[:hH.]", re.IGNORECASE)
_PLUS_LIKE = re.compile(r"^\(?\+\d")
_DAMAGED_MARKER = re.compile(r"(?:\s*\[#[^\]\s]*)+$")
_TITLE_LEAD = " \t:-–—,|"
_FIELD = re.compile(r"^\s*(?P<label>[^:]{1,40}?)\s*:\s*(?P<value>.*)$")
_VENUE_LABELS = {"lieu", "lieux", "salle", "venue", "place", "where", "ou"}
_HOSTS_LABELS = {
    "animation",
    "anime par",
    "avec",
    "intervenant es",
    "intervenants",
    "intervenantes",
    "hosts",
    "host",
    "hosted by",
    "with",
    "speakers",
}
_NO_VENUE = {"", "?", "a preciser", "to be announced", "tba", "aucun", "none"}


def fold(text: str) -> str:
    """Lowercase, accents and punctuation dropped, spaces collapsed: how names are compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


def clean_line(text: str) -> str:
    """One line as the pad keeps it: no line breaks, single spaces, trimmed."""
    return " ".join(text.split())


def clean_title(text: str) -> str:
    """A title as the pad gives it back: one line, nothing the time range would swallow, no
    remains of a damaged ``[#id`` marker at its end."""
    return _DAMAGED_MARKER.sub("", clean_line(text)).lstrip(_TITLE_LEAD)


def clean_text(text: str) -> str:
    """A multi-line text as the pad keeps it: each line cleaned, blank lines dropped."""
    return "\n".join(line for line in (clean_line(part) for part in text.splitlines()) if line)


def clean_hosts(hosts: Iterable[str]) -> list[str]:
    """Host names as the pad gives them back: written on one line, then read from it."""
    return hosts_from(hosts_text(hosts))


def hosts_text(hosts: Iterable[str]) -> str:
    """Names separated by commas, or by semicolons when a name has a comma (a ';' in a name
    would split it, so it becomes a ',')."""
    names = [name for name in (clean_line(h).replace(";", ",") for h in hosts) if name]
    return ("; " if any("," in name for name in names) else ", ").join(names)


def hosts_from(value: str) -> list[str]:
    parts = value.split(";") if ";" in value else value.split(",")
    return [name for name in (clean_line(part) for part in parts) if name]


def projection(
    *,
    title: str,
    start: datetime,
    end: datetime,
    venue: str | None,
    venues: Mapping[str, Venue],
    hosts: Iterable[str],
    description: str,
    status: str,
    tz: ZoneInfo,
    lang: str,
) -> dict[str, Any]:
    """The pad's projection of one session, normalised the way reading it back gives it."""
    start = start.astimezone(tz).replace(second=0, microsecond=0)
    end = max(end.astimezone(tz).replace(second=0, microsecond=0), start)
    place = venues.get(venue) if venue else None
    return {
        "title": clean_title(title) or say("untitled", lang),
        "start": format_time(start),
        "end": format_time(end),
        "venue": place.id if place else None,
        "venue_name": place.name if place else None,
        "hosts": clean_hosts(hosts),
        "description": clean_text(description),
        "status": status if status in ("scheduled", "tentative", "cancelled") else "scheduled",
    }


def session_projection(session: Session, programme: Programme, lang: str) -> dict[str, Any]:
    """:func:`projection` of a canonical session: what the pad shows of it, normalised."""
    return projection(
        title=session.title,
        start=session.start,
        end=session.end,
        venue=session.venue,
        venues=programme.venues,
        hosts=session.hosts,
        description=session.description,
        status=session.status,
        tz=programme.tz,
        lang=lang,
    )


# rendering ---------------------------------------------------------------------------------


def _span(start: datetime, end: datetime, title: str) -> str:
    text = f"{start:%H:%M}-{end:%H:%M}"
    days = (end.date() - start.date()).days
    # "(+0)" keeps a title that starts like "(+2)" from being read as the days count.
    return f"{text} (+{days})" if days > 0 or _PLUS_LIKE.match(title) else text


def _label(key: str, lang: str) -> str:
    # French typography puts a space before the colon.
    return f"{say(key, lang)} : " if lang == "fr" else f"{say(key, lang)}: "


def render_head(key: str | None, proj: Mapping[str, Any], lang: str, tz: ZoneInfo) -> str:
    start = datetime.fromisoformat(proj["start"]).astimezone(tz)
    end = datetime.fromisoformat(proj["end"]).astimezone(tz)
    marker = ""
    if proj["status"] == "cancelled":
        marker = say("status.cancelled", lang) + " "
    elif proj["status"] == "tentative":
        marker = say("status.tentative", lang) + " "
    anchor = f" [#{key}]" if key else ""
    return f"{marker}{_span(start, end, proj['title'])} {proj['title']}{anchor}"


def render_block(key: str | None, proj: Mapping[str, Any], lang: str, tz: ZoneInfo) -> list[str]:
    """One session: its head line, venue, hosts and description lines."""
    lines = [render_head(key, proj, lang, tz)]
    lines.append(INDENT + _label("label.venue", lang) + (proj["venue_name"] or say("venue.none", lang)))
    hosts: list[str] = list(proj["hosts"])
    description = [line for line in proj["description"].split("\n") if line]
    # An empty hosts line when a description line would otherwise be read as one.
    if hosts or any(_label_of(line) in _HOSTS_LABELS for line in description):
        lines.append((INDENT + _label("label.hosts", lang) + hosts_text(hosts)).rstrip())
    lines += [INDENT + line for line in description]
    return lines


def _label_of(line: str) -> str:
    labelled = _FIELD.match(line)
    return fold(labelled["label"]) if labelled else ""


def render_heading(day: date, theme: str, lang: str) -> str:
    title = f"{say_date(day, lang)} {day.year}"
    if theme:
        title += (" : " if lang == "fr" else ": ") + clean_line(theme)
    return f"== {title} =="


def render_document(
    *,
    title: str,
    subtitle: str,
    venues: Iterable[Venue],
    themes: Mapping[date, str],
    sessions: Mapping[str, Mapping[str, Any]],
    lang: str,
    tz: ZoneInfo,
    create_sessions: bool,
) -> str:
    """A whole pad: a short preamble for the people editing it, then one section per day."""
    lines = [say("pad.title", lang, event=clean_line(title))]
    if subtitle:
        lines.append(clean_line(subtitle))
    lines += ["", say("pad.help", lang)]
    if create_sessions:
        lines.append(say("pad.help_new", lang))
    names = [clean_line(v.name) for v in venues]
    if names:
        lines.append(say("pad.venues", lang, names=", ".join(names)))
    by_day: dict[date, list[tuple[datetime, datetime, str]]] = {}
    for key, proj in sessions.items():
        start = datetime.fromisoformat(proj["start"]).astimezone(tz)
        end = datetime.fromisoformat(proj["end"]).astimezone(tz)
        by_day.setdefault(start.date(), []).append((start, end, key))
    for day in sorted(by_day):
        lines += ["", render_heading(day, themes.get(day, ""), lang)]
        for _start, _end, key in sorted(by_day[day]):
            lines += ["", *render_block(key, sessions[key], lang, tz)]
    return "\n".join(lines) + "\n"


# reading -----------------------------------------------------------------------------------


@dataclass
class Block:
    """One session as found in the pad: where it is and what could be read of it."""

    line: int  # index of the head line
    end: int  # index after the block's last line
    key: str | None
    day: date | None
    fields: dict[str, Any]
    failed: set[str] = field(default_factory=set)
    ignored: bool = False  # a duplicate marker: kept as text, never read
    _description: list[str] = field(default_factory=list)
    _venue_seen: bool = False

    @property
    def remote_id(self) -> str:
        """The key when it has one; else a name derived from its day and title."""
        if self.key:
            return self.key
        seed = f"{self.day}|{fold(str(self.fields.get('title', '')))}"
        return "new:" + hashlib.sha256(seed.encode()).hexdigest()[:16]

    def sort_key(self) -> tuple[str, str, str]:
        return (str(self.fields.get("start", "")), str(self.fields.get("end", "")), self.key or "")


@dataclass
class Section:
    day: date
    line: int  # index of the heading
    blocks: list[Block] = field(default_factory=list)


@dataclass
class ParsedPad:
    lines: list[str]
    sections: list[Section]
    blocks: list[Block]
    problems: list[tuple[int, str]]  # (1-based line, message)

    def keyed(self) -> dict[str, Block]:
        return {b.key: b for b in self.blocks if b.key and not b.ignored}


def split_lines(text: str) -> list[str]:
    """Pad text to lines (the pad's final newline is not a line of its own)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def join_lines(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


_MONTHS = {fold(name): number for names in MONTHS.values() for number, name in enumerate(names, 1)}
_DAY_IN_TEXT = re.compile(r"\b(?P<d>\d{1,2})(?:er|st|nd|rd|th)?\s+(?P<m>[a-z]+)(?:\s+(?P<y>\d{4}))?\b")
_ISO_DAY = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b")


def parse_day(text: str, default_year: int) -> date | None:
    """'samedi 13 novembre 2021 : thème', 'Saturday 13 November', '2021-11-13' -> a date."""
    folded = fold(text.replace("-", " - ")) if not _ISO_DAY.search(text) else text
    try:
        iso = _ISO_DAY.search(text)
        if iso:
            return date(int(iso["y"]), int(iso["m"]), int(iso["d"]))
        for match in _DAY_IN_TEXT.finditer(folded):
            month = _MONTHS.get(match["m"])
            if month:
                return date(int(match["y"] or default_year), month, int(match["d"]))
    except ValueError:
        return None
    return None


_WEEKDAYS = {fold(name) for names in WEEKDAYS.values() for name in names}


def _meant_as_day(heading: str) -> bool:
    """A heading with a number or a weekday was meant to name a day."""
    words = fold(heading).split()
    return any(ch.isdigit() for ch in heading) or any(w in _WEEKDAYS for w in words)


class PadReader:
    """Reads pad text back into projections, collecting what it cannot read."""

    def __init__(self, *, tz: ZoneInfo, venues: Mapping[str, Venue], lang: str, default_year: int) -> None:
        self.tz = tz
        self.venues = venues
        self.lang = lang
        self.default_year = default_year
        self._by_name: dict[str, str] = {}
        for venue in venues.values():
            self._by_name.setdefault(fold(venue.id), venue.id)
        for venue in venues.values():
            self._by_name[fold(venue.name)] = venue.id

    def parse(self, text: str) -> ParsedPad:
        lines = split_lines(text)
        pad = ParsedPad(lines, [], [], [])
        day: date | None = None
        undated: tuple[int, str] | None = None
        day_typo = False
        block: Block | None = None
        first_seen: dict[str, int] = {}

        def close(at: int) -> None:
            nonlocal block
            if block is not None:
                block.end = at
                self._finish(block, pad)
            block = None

        for index, raw in enumerate(lines):
            line = raw.rstrip()
            heading = _HEADING.match(line) if not raw[:1].isspace() else None
            if heading and (line.lstrip().startswith("==") or parse_day(heading["body"], self.default_year)):
                close(index)
                day = parse_day(heading["body"], self.default_year)
                # A heading without a date is a free section ("== Notes =="): its text is
                # not read; its date is reported only if sessions are written under it.
                undated = None if day is not None else (index, line.strip())
                if day is not None:
                    pad.sections.append(Section(day, index))
                elif _meant_as_day(heading["body"]):  # "== samedi 13 novembr ==": a typo
                    pad.problems.append((index + 1, say("problem.day", self.lang, text=line.strip())))
                    undated = None
                    day_typo = True
                    continue
                day_typo = False
                continue
            if not line.strip():
                close(index)
                continue
            anchor = _ANCHOR.search(line)
            is_head = not raw[:1].isspace() and (
                anchor is not None or (day is not None and _STARTS_WITH_TIME.match(line) is not None)
            )
            if is_head:
                close(index)
                key = anchor["key"] if anchor else None
                block = Block(index, index + 1, key, day, {})
                if key is not None and key in first_seen:
                    block.ignored = True
                    pad.problems.append(
                        (
                            index + 1,
                            say("problem.duplicate", self.lang, key=key, first=first_seen[key] + 1),
                        )
                    )
                    continue
                if key is not None:
                    first_seen[key] = index
                if day is None:
                    if undated is not None:
                        where, heading_text = undated
                        pad.problems.append((where + 1, say("problem.day", self.lang, text=heading_text)))
                        undated = None
                    pad.problems.append((index + 1, say("problem.no_day", self.lang)))
                    block.failed |= {"start", "end"}
                self._read_head(block, line[: anchor.start()] if anchor else line, pad)
                continue
            if block is not None:
                if not block.ignored:
                    self._read_detail(block, line.strip(), index, pad)
                continue
            if day is not None or day_typo:
                pad.problems.append((index + 1, say("problem.stray", self.lang, text=line.strip())))
        close(len(lines))
        return pad

    def _read_head(self, block: Block, text: str, pad: ParsedPad) -> None:
        match = _HEAD.match(text.strip())
        if match is None:
            block.failed |= HEAD_FIELDS
            pad.problems.append((block.line + 1, say("problem.time", self.lang, text=text.strip())))
            return
        status = match["status"]
        if status is None:
            block.fields["status"] = "scheduled"
        elif re.fullmatch(_CANCELLED, status, re.IGNORECASE):
            block.fields["status"] = "cancelled"
        else:
            block.fields["status"] = "tentative"
        title = clean_title(match["rest"])
        if title:
            block.fields["title"] = title
        else:
            block.failed.add("title")
            pad.problems.append((block.line + 1, say("problem.title", self.lang)))
        if block.day is None:
            return
        try:
            start_clock = time(int(match["ah"]), int(match["am"] or 0))
            end_clock = time(int(match["bh"]), int(match["bm"] or 0))
        except ValueError:
            block.failed |= {"start", "end"}
            pad.problems.append((block.line + 1, say("problem.time", self.lang, text=text.strip())))
            return
        start = datetime.combine(block.day, start_clock, tzinfo=self.tz)
        try:
            end_day = block.day + timedelta(days=int(match["plus"] or 0))
        except OverflowError:  # "(+999)" under "== 9999-12-31 ==": no such day, a bad time range
            block.failed |= {"start", "end"}
            pad.problems.append((block.line + 1, say("problem.time", self.lang, text=text.strip())))
            return
        end = datetime.combine(end_day, end_clock, tzinfo=self.tz)
        if end < start:
            block.failed |= {"start", "end"}
            pad.problems.append(
                (
                    block.line + 1,
                    say("problem.order", self.lang, start=f"{start:%H:%M}", end=f"{end:%H:%M}"),
                )
            )
            return
        block.fields["start"] = format_time(start)
        block.fields["end"] = format_time(end)

    def _read_detail(self, block: Block, text: str, index: int, pad: ParsedPad) -> None:
        labelled = _FIELD.match(text)
        label = fold(labelled["label"]) if labelled else ""
        # Each label counts once (the hub writes them first): a later one is description.
        if labelled and label in _VENUE_LABELS and not block._venue_seen:
            block._venue_seen = True
            name = clean_line(labelled["value"])
            if fold(name) in _NO_VENUE or fold(name) in {fold(v) for v in variants("venue.none")}:
                block.fields["venue"] = None
                return
            venue_id = self._by_name.get(fold(name))
            if venue_id is None:
                block.failed.add("venue")
                known = ", ".join(v.name for v in self.venues.values())
                pad.problems.append((index + 1, say("problem.venue", self.lang, name=name, known=known)))
                return
            block.fields["venue"] = venue_id
        elif labelled and label in _HOSTS_LABELS and "hosts" not in block.fields:
            block.fields["hosts"] = hosts_from(labelled["value"])
        else:
            block._description.append(clean_line(text))

    def _finish(self, block: Block, pad: ParsedPad) -> None:
        if block.ignored:
            return
        block.fields.setdefault("hosts", [])
        if not block._venue_seen:
            block.fields["venue"] = None
        block.fields["description"] = "\n".join(block._description)
        venue = block.fields.get("venue")
        if "venue" not in block.failed:
            place = self.venues.get(venue) if isinstance(venue, str) else None
            block.fields["venue_name"] = place.name if place else None
        pad.blocks.append(block)
        if pad.sections and block.day is not None and pad.sections[-1].day == block.day:
            pad.sections[-1].blocks.append(block)
