"""The meetings workflow and the facilitation rules: what a poll's answers lead to.

**A date poll closes** (its ``--until`` has passed, or ``hub poll close``): the best slot (most
"yes", then most "yes" + "if need be", ties to the earliest) becomes a meeting:

1. a notes pad from the meeting template (:func:`connectors.etherpad.meeting.create_meeting_pad`,
   what ``hub pad new`` makes), its "place or video call" line filled with the visio link;
2. an event in the organisers' calendar (``meetings_calendar``) at that time, with the visio
   link as its location and both links in its description;
3. one announcement (date, visio, pad) queued for the chats of ``announce_to``.

Each step is recorded in the poll's record right after its remote effect, so running the command
(or the daemon) again does nothing twice; a run that stops half-way resumes at the next step. A
calendar event already there (a run stopped between writing and recording) is taken as written.

**Sign-ups over a limit**: the programme's ``rules`` (``split_workshop_above``,
``split_plenary_above``) are compared with the "yes" answers of a sign-up poll; a session over
its limit gets one proposal to split it (two sessions in the same slot, venues to fill in), told
to the admin chats once and listed by ``hub status``. Nothing is ever split automatically.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from connectors.etherpad.meeting import create_meeting_pad
from connectors.framadate.connector import FramadateConnector
from sync.errors import PreconditionFailed
from sync.i18n import LANGUAGES, Catalogue, say_date, say_span
from sync.model import Event, Programme, Session, content_hash
from sync.protocol import Connector, Op, RemoteRef

TEXTS = Catalogue({
    "meeting.title": {"fr": "{title} : {when}", "en": "{title}: {when}"},
    "meeting.visio": {"fr": "Visio : {url}", "en": "Video call: {url}"},
    "meeting.pad": {"fr": "Notes : {url}", "en": "Notes: {url}"},
    "meeting.chosen": {
        "fr": "Date choisie par le sondage {url} ({yes} oui, {maybe} si nécessaire).",
        "en": "Date chosen by the poll {url} ({yes} yes, {maybe} if need be).",
    },
    "meeting.place": {"fr": "Visio", "en": "Video call"},
    "poll.new": {
        "fr": "Nouveau sondage : {title}\nRépondez ici : {url}",
        "en": "New poll: {title}\nAnswer here: {url}",
    },
    "poll.until": {"fr": "Réponses jusqu'au {when}.", "en": "Answers until {when}."},
    "split.text": {
        "fr": "Séance trop nombreuse : « {title} » ({when}{venue}) compte {count} inscrit·es pour une limite "
        "de {limit} ({rule}).\nProposition : la dédoubler en deux séances au même horaire, {first} et {second}, "
        "lieux à préciser.\nRien n'est changé automatiquement : modifiez le programme si vous êtes d'accord.",
        "en": "Session over its limit: “{title}” ({when}{venue}) has {count} sign-ups for a limit of {limit} "
        "({rule}).\nProposal: split it into two sessions in the same slot, {first} and {second}, venues to "
        "fill in.\nNothing is changed automatically: edit the programme if you agree.",
    },
})
say = TEXTS.say

#: ``rules`` key per session kind.
RULES = {"workshop": "split_workshop_above", "plenary": "split_plenary_above"}
#: The meeting template's line for the place (see :mod:`connectors.etherpad.meeting`).
PLACE_LINES = {"fr": "Lieu ou visio :", "en": "Place or video call:"}

Announce = Callable[[Mapping[str, str], str], Awaitable[int]]


def best_slot(record: Mapping[str, Any]) -> int | None:
    """The option with the most "yes", then "yes" + "if need be", then the earliest; None
    when nobody answered yes or if need be."""
    candidates = [
        (t["yes"], t["yes"] + t["maybe"], -datetime.fromisoformat(o["start"]).timestamp(), i)
        for i, (o, t) in enumerate(zip(record["options"], record["tallies"], strict=False))
        if t["yes"] + t["maybe"] > 0
    ]
    return max(candidates)[3] if candidates else None


def meeting_key(record: Mapping[str, Any]) -> str:
    """The calendar event's id (``X-HUB-ID``): stable, so a second write finds the first."""
    return f"framadate-{record['id'].lower()}"


def meeting_texts(record: Mapping[str, Any], meeting: Mapping[str, Any], visio: str | None,
                  tz: ZoneInfo) -> dict[str, str]:
    """The announcement in each language (the chat's language picks one when it is sent)."""
    start = datetime.fromisoformat(meeting["start"]).astimezone(tz)
    end = datetime.fromisoformat(meeting["end"]).astimezone(tz)
    tally = record["tallies"][meeting["slot"]]
    texts: dict[str, str] = {}
    for lang in LANGUAGES:
        lines = [say("meeting.title", lang, title=record["title"], when=say_span(start, end, lang))]
        if visio:
            lines.append(say("meeting.visio", lang, url=visio))
        if meeting.get("pad"):
            lines.append(say("meeting.pad", lang, url=meeting["pad"]))
        lines.append(say("meeting.chosen", lang, url=record["public_url"], yes=tally["yes"], maybe=tally["maybe"]))
        texts[lang] = "\n".join(lines)
    return texts


def poll_texts(record: Mapping[str, Any], tz: ZoneInfo) -> dict[str, str]:
    """What the chats are told of a new poll: its title and public link."""
    texts: dict[str, str] = {}
    for lang in LANGUAGES:
        text = say("poll.new", lang, title=record["title"], url=record["public_url"])
        if record.get("until"):
            until = datetime.fromisoformat(record["until"]).astimezone(tz)
            text += "\n" + say("poll.until", lang, when=f"{say_date(until.date(), lang)} {until.year}")
        texts[lang] = text
    return texts


def meeting_projection(record: Mapping[str, Any], meeting: Mapping[str, Any], visio: str | None,
                       lang: str) -> dict[str, Any]:
    """The calendar event as the calendar connectors write a session."""
    lines = []
    if visio:
        lines.append(say("meeting.visio", lang, url=visio))
    if meeting.get("pad"):
        lines.append(say("meeting.pad", lang, url=meeting["pad"]))
    return {
        "id": meeting_key(record), "title": record["title"], "start": meeting["start"], "end": meeting["end"],
        "venue": None, "track": None, "format": None, "kind": "meeting", "hosts": [],
        "description": "\n".join(lines), "status": "scheduled", "capacity": None,
        "links": [link for link in (visio, meeting.get("pad")) if link],
        "venue_name": say("meeting.place", lang) if visio else None, "venue_address": visio,
    }


async def fill_place(pad: Connector[Any], url: str, visio: str) -> None:
    """Write the visio link on the template's place line, if that line is still empty."""
    pad_id = url.rsplit("/", 1)[1]
    api = pad.api  # type: ignore[attr-defined]
    data = await api.call("getText", padID=pad_id)
    text = str(data.get("text", "")) if isinstance(data, Mapping) else ""
    for label in PLACE_LINES.values():
        lines = text.split("\n")
        if label in lines:
            lines[lines.index(label)] = f"{label} {visio}"
            await api.call("setText", padID=pad_id, text="\n".join(lines).rstrip("\n"))
            return


async def hold_meeting(
    framadate: FramadateConnector,
    record: dict[str, Any],
    *,
    tz: ZoneInfo,
    event_id: str,
    calendar: Connector[Any] | None,
    pad: Connector[Any] | None,
    announce: Announce,
) -> dict[str, Any] | None:
    """Carry a closed date poll to its meeting, each step once; the meeting, or None when
    nobody answered yes or if need be."""
    meeting: dict[str, Any] | None = record.get("meeting")
    if meeting is None:
        chosen = best_slot(record)
        if chosen is None:
            return None
        option = record["options"][chosen]
        meeting = {"slot": chosen, "start": option["start"], "end": option["end"], "pad": None, "event": None,
                   "announced": False, "visio_in_pad": False}
        record["meeting"] = meeting
        framadate.save(record)
    visio = framadate.config.visio_url
    lang = framadate.ctx.language
    start = datetime.fromisoformat(meeting["start"]).astimezone(tz)
    if pad is not None and not meeting.get("pad"):
        meeting["pad"] = await create_meeting_pad(pad, f"{record['title']} {start.date().isoformat()}", lang=lang,
                                                  when=start.date())
        framadate.save(record)
    if pad is not None and visio and meeting.get("pad") and not meeting.get("visio_in_pad"):
        await fill_place(pad, meeting["pad"], visio)
        meeting["visio_in_pad"] = True
        framadate.save(record)
    if calendar is not None and not meeting.get("event"):
        projection = meeting_projection(record, meeting, visio, lang)
        op = Op("create", projection["id"], projection, None, 0, content_hash(projection))
        programme = Programme(Event(id=event_id, title=record["title"], timezone=str(tz.key)), (), {}, {})
        result = (await calendar.apply([op], programme))[0]
        if isinstance(result, PreconditionFailed):
            meeting["event"] = projection["id"]  # written by a run that stopped before recording it
        elif isinstance(result, RemoteRef):
            meeting["event"] = result.remote_id
        else:
            raise result
        framadate.save(record)
    if not meeting.get("announced"):
        await announce(meeting_texts(record, meeting, visio, tz), f"meeting-{record['id']}")
        meeting["announced"] = True
        framadate.save(record)
    return meeting


@dataclass(frozen=True)
class Proposal:
    """A session whose sign-ups pass its limit: split it in two, same slot."""

    session: Session
    count: int
    limit: int
    rule: str

    def texts(self, programme: Programme) -> dict[str, str]:
        venue = programme.venue_of(self.session)
        start, end = self.session.start.astimezone(programme.tz), self.session.end.astimezone(programme.tz)
        return {
            lang: say("split.text", lang, title=self.session.title, when=say_span(start, end, lang),
                      venue=f", {venue.name}" if venue else "", count=self.count, limit=self.limit, rule=self.rule,
                      first=f"{self.session.id}-1", second=f"{self.session.id}-2")
            for lang in LANGUAGES
        }


def over_limits(record: Mapping[str, Any], programme: Programme) -> list[Proposal]:
    """The sessions of a sign-up poll whose "yes" answers pass the programme's rules."""
    rules = programme.event.rules
    found = []
    for option, tally in zip(record["options"], record["tallies"], strict=False):
        session = programme.sessions.get(option.get("session", ""))
        if session is None or session.kind not in RULES:
            continue
        limit = rules.get(RULES[session.kind])
        if isinstance(limit, int) and tally["yes"] > limit:
            found.append(Proposal(session, tally["yes"], limit, RULES[session.kind]))
    return found


def proposals_to_tell(record: dict[str, Any], proposals: Sequence[Proposal]) -> list[Proposal]:
    """The proposals not told yet; they are marked told in ``record`` (the caller saves it)."""
    flags = record.setdefault("flags", {})
    new = [p for p in proposals if p.session.id not in flags]
    for proposal in proposals:
        flags[proposal.session.id] = proposal.count
    return new
