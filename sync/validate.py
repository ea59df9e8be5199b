"""The rules every session obeys, wherever it comes from: the programme file, a calendar, a pad.

The programme reader applies them while it reads a file (a bad file is refused as a whole); the
pull stage applies them to every item a connector brings back (a bad item is reported and left
out, the rest goes on). One rule, one function here, one message in French and English:

- the session id is a slug (lowercase letters, digits, single dashes) of at most ``ID_MAX``;
- the title is not empty; start and end are times with their offset, and end is after start;
- every text stays within its bound (``TEXT_BOUNDS``, ``LIST_BOUNDS``);
- the venue is one the programme declares; the status is one of ``STATUSES``; the capacity is
  a whole number;
- a link (and the event's website) is a web address: ``http://`` or ``https://`` and a host
  (:func:`is_web_url`), never ``javascript:`` or ``data:``, since exports make them clickable.

:func:`check_item` takes an item in record form (what connectors pull), validates the fields it
carries and, for an item that would create a session, requires title, start and end.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from dataclasses import field as default
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sync.i18n import Catalogue
from sync.i18n import say as say_word
from sync.model import SESSION_FIELDS, STATUSES, Session

#: Bounds, in characters. A session id names files and URLs (``<id>.ics``): it stays well under
#: the 255 bytes of a file name, and above the longest title so an id made from one fits.
ID_MAX = 240
TITLE_MAX = 200
NAME_MAX = 200  # track, format, kind, a venue id, one host
DESCRIPTION_MAX = 10_000
LINK_MAX = 2_000
#: At most this many hosts or links on one session.
LIST_MAX = 100

TEXT_BOUNDS: Mapping[str, int] = {
    "title": TITLE_MAX,
    "track": NAME_MAX,
    "format": NAME_MAX,
    "kind": NAME_MAX,
    "description": DESCRIPTION_MAX,
}
#: List fields: the bound of each entry.
LIST_BOUNDS: Mapping[str, int] = {"hosts": NAME_MAX, "links": LINK_MAX}
#: What an item that creates a session must carry.
REQUIRED: tuple[str, ...] = ("title", "start", "end")

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

MESSAGES = Catalogue({
    "required": {"fr": "obligatoire", "en": "is required"},
    "id.slug": {
        "fr": "« {value} » ne doit contenir que des minuscules, des chiffres et des tirets",
        "en": "'{value}' must be lowercase letters, digits and dashes",
    },
    "too_long": {
        "fr": "trop long ({length} caractères, {bound} au plus)",
        "en": "too long ({length} characters, at most {bound})",
    },
    "too_many": {
        "fr": "trop d'entrées ({count}, {bound} au plus)",
        "en": "too many entries ({count}, at most {bound})",
    },
    "empty": {"fr": "vide", "en": "is empty"},
    "not_text": {"fr": "doit être du texte, pas {kind}", "en": "must be text, not {kind}"},
    "not_list": {"fr": "doit être une liste de noms", "en": "must be a list of names"},
    "moment": {
        "fr": "« {value} » n'est pas une date et une heure comme 2021-11-13T14:00",
        "en": "'{value}' is not a date and time like 2021-11-13T14:00",
    },
    "order": {
        "fr": "finit ({end}) avant de commencer ({start})",
        "en": "ends ({end}) before it starts ({start})",
    },
    "instant": {"fr": "finit à l'heure où elle commence ({start})", "en": "ends when it starts ({start})"},
    "venue": {
        "fr": "lieu « {value} » inconnu (à déclarer sous venues: dans le programme)",
        "en": "unknown venue '{value}' (declare it under venues:)",
    },
    "status": {"fr": "« {value} » n'est pas l'un de {known}", "en": "'{value}' is not one of {known}"},
    "capacity": {"fr": "doit être un nombre entier", "en": "must be a whole number"},
    "url": {
        "fr": "« {value} » n'est pas une adresse web (http:// ou https://)",
        "en": "'{value}' is not a web address (http:// or https://)",
    },
    "field.id": {"fr": "identifiant", "en": "id"},
    "issue": {"fr": "{field} : {what}", "en": "{field}: {what}"},
    "separator": {"fr": " ; ", "en": "; "},
    "ignored": {"fr": "{where} : {what} ; ignoré", "en": "{where}: {what}; ignored"},
})

say = MESSAGES.say


@dataclass(frozen=True, slots=True)
class Issue:
    """One broken rule: the field it concerns and what is wrong, to be said in either language."""

    field: str
    code: str
    values: Mapping[str, Any] = default(default_factory=dict)

    def say(self, lang: str) -> str:
        """What is wrong, without the field (the programme reader names it by its path)."""
        return MESSAGES.say(self.code, lang, **self.values)

    def describe(self, lang: str) -> str:
        """The field and what is wrong: ``end: ends (…) before it starts (…)``."""
        name = MESSAGES.say("field.id", lang) if self.field == "id" else say_word(f"field.{self.field}", lang)
        return MESSAGES.say("issue", lang, field=name, what=self.say(lang))


def ignored(where: str, issues: Collection[Issue], lang: str) -> str:
    """The problem reported for an item left out: ``<where>: <what is wrong>; ignored``."""
    what = say("separator", lang).join(issue.describe(lang) for issue in issues)
    return say("ignored", lang, where=where, what=what)


# --- one rule each ----------------------------------------------------------------------------

def slugify(text: str) -> str:
    """'Culture juridique !' -> 'culture-juridique' (ASCII, lowercase, dashes)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "session"


def check_id(value: str) -> Issue | None:
    """A session id is a slug, as :func:`slugify` makes them, of bounded length."""
    if not _SLUG.fullmatch(value):
        return Issue("id", "id.slug", {"value": _shown(value)})
    if len(value) > ID_MAX:
        return Issue("id", "too_long", {"length": len(value), "bound": ID_MAX})
    return None


def check_text(name: str, value: Any) -> Issue | None:
    """A text field (``TEXT_BOUNDS``): text, within its bound; a title is never empty."""
    if value is None:
        return Issue(name, "empty") if name == "title" else None
    if not isinstance(value, str):
        return Issue(name, "not_text", {"kind": type(value).__name__})
    if name == "title" and not value.strip():
        return Issue(name, "empty")
    bound = TEXT_BOUNDS[name]
    if len(value) > bound:
        return Issue(name, "too_long", {"length": len(value), "bound": bound})
    return None


def check_names(name: str, values: Any) -> Issue | None:
    """A list field (``LIST_BOUNDS``): texts, not too many, each within its bound."""
    if values is None:
        return None
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        return Issue(name, "not_list")
    if len(values) > LIST_MAX:
        return Issue(name, "too_many", {"count": len(values), "bound": LIST_MAX})
    bound = LIST_BOUNDS[name]
    longest = max((len(v) for v in values), default=0)
    if longest > bound:
        return Issue(name, "too_long", {"length": longest, "bound": bound})
    return check_links(values) if name == "links" else None


def is_web_url(value: object) -> bool:
    """An absolute ``http``/``https`` address with a host, in one piece (no space, no control
    character): the only kind of address the hub copies into what it publishes."""
    if not isinstance(value, str) or not value or any(c.isspace() or not c.isprintable() for c in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:  # a malformed IPv6 host, for one
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def check_links(values: Collection[str]) -> Issue | None:
    """Every link of a session is a web address (:func:`is_web_url`)."""
    bad = next((value for value in values if not is_web_url(value)), None)
    return None if bad is None else Issue("links", "url", {"value": _shown(bad)})


def check_website(value: Any) -> Issue | None:
    """The event's website: none, or a web address."""
    if value is None or value == "" or is_web_url(value):
        return None
    return Issue("website", "url", {"value": _shown(str(value))})


def parse_moment(name: str, value: Any) -> datetime | Issue:
    """A time in record form: ISO 8601 with its offset (every time in the hub carries its zone)."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            if moment.tzinfo is not None:
                return moment
    return Issue(name, "moment", {"value": _shown(str(value))})


def check_span(start: datetime, end: datetime) -> Issue | None:
    """A session ends after it starts."""
    if end < start:
        return Issue("end", "order", {"start": f"{start:%Y-%m-%d %H:%M}", "end": f"{end:%Y-%m-%d %H:%M}"})
    if end == start:
        return Issue("end", "instant", {"start": f"{start:%Y-%m-%d %H:%M}"})
    return None


def check_venue(venue: Any, venues: Collection[str]) -> Issue | None:
    """No venue, or one the programme declares."""
    if venue is None or venue == "":
        return None
    if not isinstance(venue, str):
        return Issue("venue", "not_text", {"kind": type(venue).__name__})
    if venue not in venues:
        return Issue("venue", "venue", {"value": _shown(venue)})
    return None


def check_status(status: Any) -> Issue | None:
    if status is None or status in STATUSES:
        return None
    return Issue("status", "status", {"value": _shown(str(status)), "known": ", ".join(STATUSES)})


def check_capacity(capacity: Any) -> Issue | None:
    if capacity is None or (isinstance(capacity, int) and not isinstance(capacity, bool) and capacity >= 0):
        return None
    return Issue("capacity", "capacity")


# --- one incoming item ------------------------------------------------------------------------

def check_item(
    key: str | None,
    fields: Mapping[str, Any],
    venues: Collection[str],
    *,
    creating: bool = False,
    current: Session | None = None,
) -> list[Issue]:
    """Every rule an incoming item breaks (empty when it may be merged).

    ``fields`` is the item in record form and may be partial: only what it carries is checked,
    except that an item ``creating`` a session must carry title, start and end. ``current`` is
    the session as the hub holds it: its start or end stands in for one the item lacks, and
    its venue is accepted even if the programme no longer declares it (the item did not change
    it). Fields that are not session fields (what a connector only displays) are not checked.
    """
    issues: list[Issue] = []
    if key is not None and (bad_id := check_id(key)) is not None:
        issues.append(bad_id)
    if creating:
        issues += [Issue(name, "required") for name in REQUIRED if fields.get(name) in (None, "")]
    flagged = {issue.field for issue in issues}
    moments: dict[str, datetime] = {}
    for name in SESSION_FIELDS:
        if name not in fields or name in flagged:
            continue
        value = fields[name]
        issue: Issue | None
        if name in TEXT_BOUNDS:
            issue = check_text(name, value)
        elif name in LIST_BOUNDS:
            issue = check_names(name, value)
        elif name == "start" or name == "end":
            parsed = parse_moment(name, value)
            if isinstance(parsed, datetime):
                moments[name], issue = parsed, None
            else:
                issue = parsed
        elif name == "venue":
            kept = current is not None and value is not None and value == current.venue
            issue = None if kept else check_venue(value, venues)
        elif name == "status":
            issue = check_status(value)
        elif name == "capacity":
            issue = check_capacity(value)
        else:
            issue = None
        if issue is not None:
            issues.append(issue)
            flagged.add(name)
    if moments and "start" not in flagged and "end" not in flagged:
        start = moments.get("start") or (current.start if current is not None else None)
        end = moments.get("end") or (current.end if current is not None else None)
        if start is not None and end is not None and (bad_span := check_span(start, end)) is not None:
            issues.append(bad_span)
    return issues


def _shown(value: str, limit: int = 80) -> str:
    """A bad value as a message quotes it: one line, cut when long."""
    line = " ".join(value.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


__all__ = [
    "DESCRIPTION_MAX", "ID_MAX", "LINK_MAX", "LIST_BOUNDS", "LIST_MAX", "MESSAGES", "NAME_MAX", "REQUIRED",
    "TEXT_BOUNDS", "TITLE_MAX", "Issue", "check_capacity", "check_id", "check_item", "check_links", "check_names",
    "check_span", "check_status", "check_text", "check_venue", "check_website", "ignored", "is_web_url",
    "parse_moment", "slugify",
]
