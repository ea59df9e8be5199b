"""French and English words, dates and times the way people say them.

Every message a person reads comes from a :class:`Catalogue` (defined in :mod:`config.words`,
the bottom layer, and re-exported here) in both languages (this module's
:data:`MESSAGES` for announcements; each layer and connector keeps its own), and ``say(key,
lang)`` picks one. Dates follow each language's habits: "samedi 13 novembre, 15 h" and
"Saturday 13 November, 15:00" (the Unicode CLDR's names; the hour the way each language writes
it on a programme).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from config.words import Catalogue as Catalogue  # re-exported: every layer says `from sync.i18n`
from config.words import log_texts as log_texts

Lang = Literal["fr", "en"]
LANGUAGES: tuple[Lang, ...] = ("fr", "en")

#: Day and month names, for reading dates people typed (the pad's day headings) and writing them
#: (:func:`say_date`).
WEEKDAYS = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS = {
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}

MESSAGES = Catalogue({
    "changes.title": {"fr": "Changements au programme", "en": "Programme changes"},
    "changes.correction": {"fr": "Correction du programme", "en": "Programme correction"},
    "change.retimed": {"fr": "{title} : déplacé de {old} à {new}", "en": "{title}: moved from {old} to {new}"},
    "change.moved": {"fr": "{title} : déplacé de {old} à {new}, {venue}", "en": "{title}: moved from {old} to {new}, {venue}"},
    "change.moved_venue": {"fr": "{title} : change de lieu, désormais à {venue}", "en": "{title}: now at {venue}"},
    "change.renamed": {"fr": "« {old} » s'appelle désormais « {new} »", "en": "“{old}” is now called “{new}”"},
    "change.cancelled": {"fr": "{title} ({when}) : annulé", "en": "{title} ({when}): cancelled"},
    "change.reinstated": {"fr": "{title} ({when}) : de nouveau au programme", "en": "{title} ({when}): back on the programme"},
    "change.added": {"fr": "Nouveau : {title}, {when}, {venue}", "en": "New: {title}, {when}, {venue}"},
    "change.removed": {"fr": "Retiré du programme : {title} ({when})", "en": "Removed from the programme: {title} ({when})"},
    "change.edited": {"fr": "{title} : {fields} mis à jour", "en": "{title}: {fields} updated"},
    "venue.unknown": {"fr": "lieu à préciser", "en": "venue to be announced"},
    "field.title": {"fr": "titre", "en": "title"},
    "field.start": {"fr": "début", "en": "start"},
    "field.end": {"fr": "fin", "en": "end"},
    "field.venue": {"fr": "lieu", "en": "venue"},
    "field.track": {"fr": "parcours", "en": "track"},
    "field.format": {"fr": "format", "en": "format"},
    "field.kind": {"fr": "type", "en": "kind"},
    "field.hosts": {"fr": "animation", "en": "hosts"},
    "field.description": {"fr": "description", "en": "description"},
    "field.status": {"fr": "statut", "en": "status"},
    "field.capacity": {"fr": "jauge", "en": "capacity"},
    "field.links": {"fr": "liens", "en": "links"},
    "and": {"fr": "et", "en": "and"},
})


say = MESSAGES.say



def say_time(moment: datetime, lang: str) -> str:
    """'15 h', '14 h 30' in French; '15:00' in English."""
    if lang == "fr":
        return f"{moment.hour} h" if moment.minute == 0 else f"{moment.hour} h {moment.minute:02d}"
    return f"{moment.hour:02d}:{moment.minute:02d}"


def say_date(day: date, lang: str) -> str:
    """'samedi 13 novembre' / 'Saturday 13 November' (an unknown language: French). The names
    are the Unicode CLDR's, as Babel's ``format_date(day, "EEEE d MMMM")`` says them
    (``tests/unit/test_dates.py`` holds the two side by side for every day of a year): kept in
    the tables above rather than read through Babel, whose locale data loads the machine's time
    zone and costs a command like ``hub status`` more than the rest of its dates."""
    lang = lang if lang in LANGUAGES else "fr"
    return f"{WEEKDAYS[lang][day.weekday()]} {day.day} {MONTHS[lang][day.month - 1]}"


def say_moment(moment: datetime, lang: str) -> str:
    """'samedi 13 novembre, 15 h' / 'Saturday 13 November, 15:00'."""
    return f"{say_date(moment.date(), lang)}, {say_time(moment, lang)}"


def say_span(start: datetime, end: datetime, lang: str) -> str:
    """'samedi 13 novembre, 14 h – 16 h 30' (the day said once when both ends share it)."""
    if start.date() == end.date():
        return f"{say_moment(start, lang)} – {say_time(end, lang)}"
    return f"{say_moment(start, lang)} – {say_moment(end, lang)}"


def join_words(words: list[str], lang: str) -> str:
    """'a, b et c' / 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {say('and', lang)} {words[-1]}"
