"""Renderers for the exported programme: iCalendar, frab schedule JSON, a static HTML page.

Each format is rendered per session (a *fragment*) and then assembled, so a sink can keep the
fragments of unchanged sessions and re-render only what changed. Fragments take a session's
record fields plus ``venue_name``/``venue_address``, and the few settings named in their
arguments (event id, time zone, language, website), so they depend on nothing else. What the
event itself shows (its title and subtitle, each day's theme) is only in the assembled documents.
The page words come from :data:`MESSAGES`, in French and English.
Used by the ``files`` connector and by the Nextcloud connector's shared folder.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from markupsafe import Markup

if TYPE_CHECKING:
    from jinja2 import Template

from sync.i18n import Catalogue, say_date, say_time
from sync.model import Programme
from sync.validate import is_web_url

ICS_PRODID = "-//Commons Hub//commons-hub//FR"
STATUS_ICS = {"scheduled": "CONFIRMED", "tentative": "TENTATIVE", "cancelled": "CANCELLED"}


def session_uid(event_id: str, session_id: str) -> str:
    """The iCalendar UID of a session: stable across runs and systems."""
    return f"{session_id}@{event_id}.commons-hub"


def session_guid(event_id: str, session_id: str) -> str:
    """A stable UUID for frab (uuid5 of the event and session ids)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"commons-hub:{event_id}/{session_id}"))


def session_number(session_id: str) -> int:
    """A stable positive integer id, for formats that want numbers."""
    return int(hashlib.sha256(session_id.encode()).hexdigest()[:12], 16) % 2_000_000_000 + 1


def location_text(projection: Mapping[str, Any]) -> str:
    """'Les 8 Pillards, 13014 Marseille' (name and address, whichever exist)."""
    parts = [projection.get("venue_name"), projection.get("venue_address")]
    return ", ".join(p for p in parts if p)


# iCalendar -------------------------------------------------------------------------------------
def ics_fragment(
    projection: Mapping[str, Any], event_id: str, sequence: int, stamp: datetime, timezone: str
) -> str:
    """One VEVENT: stable UID, SEQUENCE, times with the event's TZID, STATUS, X-HUB-ID."""
    from icalendar import Event as IcsEvent
    from icalendar import vText

    zone = ZoneInfo(timezone)
    vevent = IcsEvent()
    vevent.add("uid", session_uid(event_id, projection["id"]))
    vevent.add("dtstamp", stamp)
    vevent.add("dtstart", datetime.fromisoformat(projection["start"]).astimezone(zone))
    vevent.add("dtend", datetime.fromisoformat(projection["end"]).astimezone(zone))
    vevent.add("summary", projection["title"])
    if projection.get("description"):
        vevent.add("description", projection["description"])
    location = location_text(projection)
    if location:
        vevent.add("location", location)
    if projection.get("track"):
        vevent.add("categories", [projection["track"]])
    vevent.add("status", STATUS_ICS.get(projection.get("status") or "scheduled", "CONFIRMED"))
    vevent.add("sequence", sequence)
    # X- properties given as text are not escaped by icalendar: say they are TEXT.
    vevent.add("x-hub-id", vText(projection["id"]))
    ical: bytes = vevent.to_ical()
    return ical.decode("utf-8")


_ICS_END = "END:VCALENDAR\r\n"


def ics_document(programme: Programme, fragments: Iterable[str]) -> str:
    """A VCALENDAR with the event's VTIMEZONE and the given VEVENT fragments (each the
    ``to_ical()`` text of one VEVENT). Every line, the event's own included, is written by
    icalendar: TEXT values escaped (a line break in a title stays inside its property), lines
    folded at 75 octets."""
    from icalendar import Calendar, Timezone, vText

    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", ICS_PRODID)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", vText(programme.event.title))
    calendar.add("x-wr-timezone", vText(programme.event.timezone))
    calendar.add_component(Timezone.from_tzid(programme.event.timezone))
    ical: bytes = calendar.to_ical()
    return ical.decode("utf-8").removesuffix(_ICS_END) + "".join(fragments) + _ICS_END


def web_url(value: Any) -> str | None:
    """``value`` when it is an http(s) address, else None: what an export may link to.

    Incoming links and websites are checked when they are read (:mod:`sync.validate`); the
    exports check again, so nothing else ever becomes a ``javascript:`` or ``data:`` link.
    """
    return value if is_web_url(value) else None


# frab schedule JSON ---------------------------------------------------------------------------
#: Part of what cached frab fragments were rendered with: a fragment of another format version
#: is rendered again.
FRAB_VERSION = 2


def frab_links(links: Iterable[str]) -> list[dict[str, str]]:
    """A session's links as the frab schema has them (``title`` and ``url``); web addresses only."""
    return [{"title": link, "url": link} for link in links if web_url(link)]


def frab_fragment(projection: Mapping[str, Any], event_id: str, language: str, base_url: str = "") -> dict[str, Any]:
    """One frab event (c3voc schedule schema); its ``url`` is the session's anchor on the event's
    website (``base_url``) when that is a web address."""
    base_url = web_url(base_url) or ""
    start = datetime.fromisoformat(projection["start"])
    end = datetime.fromisoformat(projection["end"])
    minutes = int((end - start) / timedelta(minutes=1))
    return {
        "id": session_number(projection["id"]),
        "guid": session_guid(event_id, projection["id"]),
        "date": start.isoformat(),
        "start": start.strftime("%H:%M"),
        "duration": f"{minutes // 60:02d}:{minutes % 60:02d}",
        "room": projection.get("venue_name") or "",
        "slug": projection["id"],
        "url": f"{base_url}#{projection['id']}" if base_url else "",
        "title": projection["title"]
        + (f" ({MESSAGES.say('cancelled', language)})" if projection.get("status") == "cancelled" else ""),
        "subtitle": None,
        "track": projection.get("track"),
        "type": projection.get("kind") or projection.get("format") or "other",
        "language": language,
        "abstract": projection.get("description") or None,
        "description": None,
        "persons": [
            {"guid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"commons-hub:person/{name}")), "name": name}
            for name in projection.get("hosts") or []
        ],
        "links": frab_links(projection.get("links") or ()),
        "attachments": [],
    }


def frab_document(programme: Programme, fragments: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The whole schedule; ``fragments`` maps session id to its frab event."""
    tz = programme.tz
    days = sorted({d.date for d in programme.days} | {s.start.date() for s in programme.sessions.values()})
    rooms: dict[str, str] = {}
    by_day: dict[str, dict[str, list[Mapping[str, Any]]]] = {d.isoformat(): {} for d in days}
    for session in programme.sorted_sessions():
        fragment = fragments[session.id]
        room = str(fragment["room"])
        if room not in rooms:
            rooms[room] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"commons-hub:room/{room}"))
        by_day[session.start.date().isoformat()].setdefault(room, []).append(fragment)
    acronym = programme.event.id.replace("-", "_").lower() or "event"
    schedule_days = [
        {
            "index": index + 1,
            "date": day.isoformat(),
            "day_start": datetime.combine(day, datetime.min.time(), tz).replace(hour=6).isoformat(),
            "day_end": (datetime.combine(day, datetime.min.time(), tz) + timedelta(hours=29)).isoformat(),
            "rooms": by_day[day.isoformat()],
        }
        for index, day in enumerate(days)
    ]
    return {
        "$schema": "https://c3voc.de/schedule/schema.json",
        "generator": {"name": "commons-hub", "version": "0.1"},
        "schedule": {
            "version": frab_version(hashlib.sha256(
                json.dumps(schedule_days, ensure_ascii=False, separators=(",", ":")).encode())),
            "conference": {
                "acronym": acronym,
                "title": programme.event.title,
                "start": days[0].isoformat() if days else "1970-01-01",
                "end": days[-1].isoformat() if days else "1970-01-01",
                "daysCount": len(days),
                "timeslot_duration": "00:15",
                "time_zone_name": programme.event.timezone,
                **({"url": programme.event.website} if web_url(programme.event.website) else {}),
                "rooms": [{"name": name, "guid": guid} for name, guid in rooms.items()],
                "days": schedule_days,
            },
        },
    }


def frab_version(days: Any) -> str:
    """The schedule's ``version`` from the sha256 of its days as written (compact JSON): it
    changes with any event, and a writer that assembles the days as bytes hashes them as it goes."""
    digest: str = days.hexdigest()
    return digest[:12]


# HTML -----------------------------------------------------------------------------------------
MESSAGES = Catalogue({
    "programme": {"fr": "Programme", "en": "Programme"},
    "cancelled": {"fr": "annulé", "en": "cancelled"},
    "tentative": {"fr": "(à confirmer)", "en": "(to be confirmed)"},
    "hosts": {"fr": "Avec", "en": "With"},
    "colon": {"fr": " :", "en": ":"},
    "kept": {"fr": "Programme tenu à jour automatiquement.", "en": "This programme is kept up to date automatically."},
    "updated": {"fr": "Mis à jour le {date} à {time}", "en": "Updated {date} at {time}"},
    "calendar": {"fr": "Agenda", "en": "Calendar"},
    "subscribe": {"fr": "s’abonner dans son agenda", "en": "subscribe in your calendar app"},
    "data": {"fr": "Données (JSON frab)", "en": "Data (frab JSON)"},
})


@functools.lru_cache(maxsize=8)
def words(language: str) -> dict[str, str]:
    """Every word of the page in ``language`` (French when unknown); not to be changed."""
    return {key: MESSAGES.say(key, language) for key in MESSAGES}


@dataclass(frozen=True, slots=True)
class PageLinks:
    """Where the page sends people for the other exports, relative to the page's folder.

    ``base_url`` is the folder's public address, when known: it makes the ``webcal://`` link
    calendar apps subscribe with (they keep following the programme).
    """

    ics: str = "programme.ics"
    json: str = "programme.json"
    base_url: str | None = None

    @property
    def ics_href(self) -> str:
        return _relative_href(self.ics)

    @property
    def json_href(self) -> str:
        return _relative_href(self.json)

    @property
    def webcal(self) -> str | None:
        if not self.base_url:
            return None
        folder = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        parts = urlsplit(urljoin(folder, self.ics))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return None
        return urlunsplit(("webcal", *parts[1:]))


def _relative_href(name: str) -> str:
    """A file of the folder as a link: a name that reads as an address with a scheme other
    than http(s) (``javascript:x``) is made a path (``./javascript:x``), so it can only open
    the file."""
    scheme = urlsplit(name).scheme
    if scheme and not web_url(name):
        return "./" + name
    return name


#: The page's templates (Jinja2), compiled the first time a page is rendered: a command or a
#: connector that only needs this module's iCalendar words does not load Jinja2.
_SESSION_TEMPLATE = (
    """<li class="session{% if cancelled %} cancelled{% endif %}" id="{{ p.id }}">
  <p class="when"><time datetime="{{ p.start }}">{{ start }}</time> – <time datetime="{{ p.end }}">{{ end }}</time></p>
  <h3>{% if cancelled %}<del>{{ p.title }}</del> <strong class="status">{{ words.cancelled }}</strong>{% else %}{{ p.title }}{% if p.status == "tentative" %} <em class="status">{{ words.tentative }}</em>{% endif %}{% endif %}</h3>
  {% if p.venue_name %}<p class="where">{{ p.venue_name }}{% if p.venue_address %}, <span class="address">{{ p.venue_address }}</span>{% endif %}</p>{% endif %}
  {% if p.hosts %}<p class="hosts">{{ words.hosts }}{{ words.colon }} {{ p.hosts | join(", ") }}</p>{% endif %}
  {% if p.track or p.format %}<p class="meta">{{ [p.track, p.format] | select | join(" · ") }}</p>{% endif %}
  {% if p.description %}<p class="description">{{ p.description }}</p>{% endif %}
</li>
"""
)

_PAGE_TEMPLATE = (
    """<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ event.title }} – {{ words.programme }}</title>
<link rel="alternate" type="text/calendar" href="{{ links.ics_href }}">
<style>
body{font-family:system-ui,sans-serif;max-width:48rem;margin:auto;padding:1rem;line-height:1.45;color:#1b1b1b}
h2{border-bottom:2px solid #2a6f4e;padding-bottom:.2rem;margin-top:2rem}
ol{list-style:none;padding:0} li.session{margin:1rem 0;padding:.6rem .8rem;border-left:4px solid #2a6f4e;background:#f4f8f5}
li.cancelled{border-color:#a33;background:#fbf1f1} .status{color:#a33} .when{font-weight:bold;margin:0}
h3{margin:.2rem 0} p{margin:.2rem 0} .meta,.address,.updated{color:#555}
</style>
</head>
<body>
<header><h1>{{ event.title }}</h1>{% if event.subtitle %}<p>{{ event.subtitle }}</p>{% endif %}
{% if updated %}<p class="updated"><time datetime="{{ updated.iso }}">{{ updated.text }}</time></p>
{% endif %}<p class="exports">{{ words.calendar }}{{ words.colon }} <a href="{{ links.ics_href }}" type="text/calendar">{{ links.ics }}</a>{% if links.webcal %} (<a href="{{ links.webcal }}">{{ words.subscribe }}</a>){% endif %} · {{ words.data }}{{ words.colon }} <a href="{{ links.json_href }}" type="application/json">{{ links.json }}</a></p></header>
<main>
{% for day in days %}<section aria-labelledby="day-{{ day.iso }}">
<h2 id="day-{{ day.iso }}">{{ day.label }}{% if day.theme %}{{ words.colon }} {{ day.theme }}{% endif %}</h2>
<ol>
{{ day.body }}</ol>
</section>
{% endfor %}</main>
<footer><p>{{ words.kept }}</p></footer>
</body>
</html>
"""
)


@functools.cache
def _templates() -> tuple[Template, Template]:
    """The session's and the page's compiled templates."""
    from jinja2 import Environment, select_autoescape

    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    return env.from_string(_SESSION_TEMPLATE), env.from_string(_PAGE_TEMPLATE)

#: The line saying when the page was written: left out when comparing two versions of a page.
_UPDATED_LINE = re.compile(r'<p class="updated">.*?</p>\n')


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def html_fragment(projection: Mapping[str, Any], language: str) -> str:
    """One session as an accessible list item; every value is escaped."""
    return _templates()[0].render(
        p=projection,
        cancelled=projection.get("status") == "cancelled",
        start=say_time(datetime.fromisoformat(projection["start"]), language),
        end=say_time(datetime.fromisoformat(projection["end"]), language),
        words=words(language),
    )


def updated_text(moment: datetime, language: str) -> str:
    """'Mis à jour le samedi 13 novembre à 15 h 02' / 'Updated Saturday 13 November at 15:02'."""
    return MESSAGES.say("updated", language, date=say_date(moment.date(), language), time=say_time(moment, language))


def html_document(
    programme: Programme,
    fragments: Mapping[str, str],
    language: str,
    *,
    updated: datetime | None = None,
    links: PageLinks | None = None,
) -> str:
    """The page: when it was ``updated`` (said in the event's time zone), links to the other
    exports, then one section per day with its theme, sessions in time order."""
    themes = {d.date: d.theme for d in programme.days}
    grouped: dict[Any, list[str]] = {}
    for session in programme.sorted_sessions():
        grouped.setdefault(session.start.astimezone(programme.tz).date(), []).append(fragments[session.id])
    days: Sequence[dict[str, Any]] = [
        {
            "iso": day.isoformat(),
            "label": upper_first(say_date(day, language)),
            "theme": themes.get(day, ""),
            "body": Markup("".join(items)),
        }
        for day, items in sorted(grouped.items())
    ]
    return page_template(programme, days, language, updated, links)


def page_template(
    programme: Programme, days: Sequence[Mapping[str, Any]], language: str, updated: datetime | None,
    links: PageLinks | None,
) -> str:
    """The page around its day sections (``iso``, ``label``, ``theme`` and the list's ``body``)."""
    when = None
    if updated is not None:
        local = updated.astimezone(programme.tz).replace(second=0, microsecond=0)
        when = {"iso": local.isoformat(), "text": updated_text(local, language)}
    return _templates()[1].render(event=programme.event, days=days, lang=language, words=words(language),
                        updated=when, links=links or PageLinks())


def same_page(old: str, new: str) -> bool:
    """True when two versions of the page differ at most in when they were written."""
    return _UPDATED_LINE.sub("", old, count=1) == _UPDATED_LINE.sub("", new, count=1)


_UPDATED_BYTES = re.compile(_UPDATED_LINE.pattern.encode())


def same_page_bytes(old: bytes, new: bytes) -> bool:
    """:func:`same_page` for the page's UTF-8 bytes."""
    return _UPDATED_BYTES.sub(b"", old, count=1) == _UPDATED_BYTES.sub(b"", new, count=1)
