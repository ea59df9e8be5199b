"""From a question typed in a chat to a :class:`Query`: what is asked, for when, about what.

The parser peels the question in a fixed order, each step removing what it understood:
a leading command (``/ou``, ``/where@hub_bot``), clock times ("11h30", "2 pm", "midi"),
dates ("demain", "samedi", "13 novembre", "le 13"), parts of the day ("demain matin"),
then the question words ("où", "when", "ensuite"). What is left are the words that may name
a session, a venue, a host or a track; :mod:`bots.answering` resolves them against the index.

Keywords are matched on folded text (no accents, lower case), and with a little typo
tolerance for the longer ones ("aujourdui", "tommorow", "vendredy"), except when the typed
word is itself a word of the programme: "soin" stays "soin" and never becomes "soir".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from rapidfuzz import fuzz, process

from bots.text import STOPWORDS, content_tokens, fold, words
from bots.vocabulary import (
    COMMANDS,
    CORE_WORDS,
    EN_WEEKDAYS,
    FR_WEEKDAYS,
    INTENT_WORDS,
    MONTH_NUMBER,
    PART_WORDS,
    RELATION_WORDS,
    RELATIVE_DAYS,
    SAME_VENUE_WORDS,
    SINCE_WORDS,
    STATUS_WORDS,
)

MONTHS_RE = "|".join(sorted(MONTH_NUMBER, key=len, reverse=True))
_CLOCK_H = re.compile(r"\b(\d{1,2})\s*h\s*(\d{2})?\b")
_CLOCK_COLON = re.compile(r"\b(\d{1,2}):(\d{2})\b")
_CLOCK_AMPM = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm)\b")
_NOON = re.compile(r"(?<!apres )\b(a midi|midi|noon|at noon|a minuit|midnight|minuit)\b")
_AFTER = re.compile(r"\b(apres|after|from|a partir de|des)\s*$")
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:er|st|nd|rd|th)?\s+({MONTHS_RE})\b")
_MONTH_DAY = re.compile(rf"\b({MONTHS_RE})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b")
_THE_DAY = re.compile(r"\b(?:le|du|the|on the)\s+(\d{1,2})(?:er|st|nd|rd|th)?\b(?!\s*(?:h|:))")
_COMMAND = re.compile(r"^/([a-zA-Z_]+)(?:@\w+)?(?=\s|$)")
#: Commands whose argument is a name or a text, never parsed for dates and times.
ARGUMENT_COMMANDS = frozenset({"where", "when", "search", "follow", "unfollow", "announce"})
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


@dataclass(slots=True)
class Query:
    """What the parser understood; fields it could not fill stay empty."""

    text: str
    command: str | None = None
    command_lang: str | None = None
    intents: set[str] = field(default_factory=set)
    day: date | None = None
    day_offset: int | None = None
    part: str | None = None
    clock: time | None = None
    after: bool = False
    terms: list[str] = field(default_factory=list)
    subject: str = ""
    corrections: list[str] = field(default_factory=list)  # keywords read through a typo
    relation: str | None = None  # "after", "before" or "during" a session named or spoken of
    relation_word: str | None = None  # the word read as the relation, should it be a name after all
    same_venue: bool = False  # "au même endroit": the next session at the same venue
    statuses: set[str] = field(default_factory=set)  # "cancelled", "tentative", "moved", "changed"
    since_days: int | None = None  # "depuis hier": changes since the start of that many days back

    @property
    def has_time(self) -> bool:
        return self.day is not None or self.part is not None or self.clock is not None


def _cut(text: str, match: re.Match[str]) -> str:
    return f"{text[: match.start()]} {text[match.end() :]}"


def _phrase(text: str, phrase: str) -> re.Match[str] | None:
    """``phrase`` as whole words in ``text``. Looked for as a plain substring first: a question
    is tried against hundreds of phrases, and compiling each one's pattern (most of them absent)
    was most of answering a question in a new process."""
    if phrase not in text:
        return None
    return re.search(rf"(?<![\w']){re.escape(phrase)}(?![\w'])", text)


def _fuzzy_keyword(
    text: str, keywords: tuple[str, ...], is_vocabulary: Callable[[str], bool]
) -> tuple[str, str] | None:
    """A long keyword typed with a typo: (keyword, typed word), unless the programme uses it."""
    candidates = [k for k in keywords if " " not in k and len(k) >= 6]
    if not candidates:
        return None
    for word in text.split():
        if len(word) < 5 or word in STOPWORDS or word.isdigit() or is_vocabulary(word):
            continue
        best = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=80)
        if best is not None:
            return best[0], word
    return None


def _resolve_day_of_month(number: int, today: date, event_days: list[date]) -> date | None:
    matching = [d for d in event_days if d.day == number]
    if matching:
        return min(matching, key=lambda d: (abs((d - today).days), d))
    if event_days:
        return None  # "le 8" in a name like "Le 8 Café" is not a day the event has
    try:
        return today.replace(day=number)
    except ValueError:
        return None


def _resolve_month_day(month: int, number: int, today: date, event_days: list[date]) -> date | None:
    matching = [d for d in event_days if d.day == number and d.month == month]
    if matching:
        return min(matching, key=lambda d: abs((d - today).days))
    for year in (today.year, today.year + 1, today.year - 1):
        try:
            return date(year, month, number)
        except ValueError:
            continue
    return None


def _resolve_weekday(weekday: int, today: date, event_days: list[date]) -> date:
    """The event day with that weekday closest ahead of today (or behind, if none is ahead)."""
    matching = [d for d in event_days if d.weekday() == weekday]
    ahead = [d for d in matching if d >= today]
    if ahead:
        return min(ahead)
    if matching:
        return max(matching)
    return today + timedelta(days=(weekday - today.weekday()) % 7)


def split_command(text: str) -> tuple[str | None, str | None, str]:
    """'/ou@hub_bot la gare' -> ('where', 'fr', 'la gare'); (None, None, text) if no command."""
    raw = text.strip()
    match = _COMMAND.match(raw)
    if match is None:
        return None, None, raw
    name = fold(match.group(1)).replace("_", "")
    if name not in COMMANDS:
        return None, None, raw
    command, lang = COMMANDS[name]
    return command, lang, raw[match.end() :].strip()


def parse(
    question: str,
    *,
    today: date,
    event_days: list[date],
    is_vocabulary: Callable[[str], bool] = lambda word: False,
    is_name_pair: Callable[[str, str], bool] = lambda first, second: False,
) -> Query:
    """Understand ``question`` asked on ``today`` about a programme held on ``event_days``.

    ``is_name_pair`` says whether two words follow each other in a name of the programme: it is
    how "après" in "L'Après M" stays a name while "après la restitution" is a relation.
    """
    query = Query(text=question)
    raw = question.strip()
    text = words(raw)
    command, command_lang, argument = split_command(raw)
    if command is not None:
        query.command, query.command_lang = command, command_lang
        query.intents.add(command)
        text = words(argument)
        if query.command in ARGUMENT_COMMANDS:
            # the argument names something: take it as typed, dates and all
            query.subject = argument
            query.terms = content_tokens(argument)
            return query
    text = _take_status(query, text, is_vocabulary)
    text = _take_clock(query, text)
    text = _take_date(query, text, today, event_days, is_vocabulary)
    text = _take_part(query, text, is_vocabulary)
    text = _take_relation(query, text, is_name_pair)
    text = _take_intents(query, text, is_vocabulary)
    query.terms = [t for t in content_tokens(text) if t not in MONTH_NUMBER]
    query.subject = " ".join(text.split())
    return query


def _take_clock(query: Query, text: str) -> str:
    for pattern in (_CLOCK_AMPM, _CLOCK_H, _CLOCK_COLON):
        match = pattern.search(text)
        if match is None:
            continue
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if pattern is _CLOCK_AMPM:
            hour = hour % 12 + (12 if match.group(3) == "pm" else 0)
        if hour > 23 or minute > 59:
            continue
        query.clock = time(hour, minute)
        after = _AFTER.search(text[: match.start()])
        query.after = after is not None
        if after is not None:  # "après 17 h": the word belongs to the time, not to a relation
            return f"{text[: after.start()]} {text[match.end() :]}"
        return _cut(text, match)
    noon = _NOON.search(text)
    if noon is not None:
        query.clock = time(0, 0) if "minuit" in noon.group(1) or "midnight" in noon.group(1) else time(12, 0)
        return _cut(text, noon)
    return text


def _take_date(
    query: Query,
    text: str,
    today: date,
    event_days: list[date],
    is_vocabulary: Callable[[str], bool],
) -> str:
    found: date | None = None
    match = _ISO_DATE.search(text)
    if match is not None:
        try:
            found = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            found = None
    for pattern, order in ((_DAY_MONTH, "dm"), (_MONTH_DAY, "md")):
        if found is not None:
            break
        match = pattern.search(text)
        if match is not None:
            number, month_word = (match.group(1), match.group(2)) if order == "dm" else (match.group(2), match.group(1))
            found = _resolve_month_day(MONTH_NUMBER[month_word], int(number), today, event_days)
    if found is None:
        match = _NUMERIC_DATE.search(text)
        if match is not None and match.group(3) is None and 1 <= int(match.group(2)) <= 12:
            found = _resolve_month_day(int(match.group(2)), int(match.group(1)), today, event_days)
    if found is None:
        match = _THE_DAY.search(text)
        if match is not None and 1 <= int(match.group(1)) <= 31:
            found = _resolve_day_of_month(int(match.group(1)), today, event_days)
    if found is not None and match is not None:
        query.day = found
        text = _cut(text, match)
    for phrase in sorted(RELATIVE_DAYS, key=len, reverse=True):
        hit = _phrase(text, phrase)
        if hit is None:
            continue
        query.day_offset = RELATIVE_DAYS[phrase]
        query.day = today + timedelta(days=query.day_offset)
        for word in ("soir", "matin", "apres midi", "morning", "afternoon", "evening", "tonight"):
            if word in phrase:
                query.part = PART_WORDS[word]
        return _cut(text, hit)
    for names in (FR_WEEKDAYS, EN_WEEKDAYS):
        for weekday, name in enumerate(names):
            hit = _phrase(text, name)
            if hit is not None:
                query.day = _resolve_weekday(weekday, today, event_days)
                return _cut(text, hit)
    if query.day is None:
        typo = _fuzzy_keyword(text, (*RELATIVE_DAYS, *FR_WEEKDAYS, *EN_WEEKDAYS), is_vocabulary)
        if typo is not None:
            keyword, typed = typo
            query.corrections.append(keyword)
            if keyword in RELATIVE_DAYS:
                query.day_offset = RELATIVE_DAYS[keyword]
                query.day = today + timedelta(days=query.day_offset)
            else:
                weekday = FR_WEEKDAYS.index(keyword) if keyword in FR_WEEKDAYS else EN_WEEKDAYS.index(keyword)
                query.day = _resolve_weekday(weekday, today, event_days)
            hit = _phrase(text, typed)
            if hit is not None:
                text = _cut(text, hit)
    return text


def _take_part(query: Query, text: str, is_vocabulary: Callable[[str], bool]) -> str:
    for phrase in sorted(PART_WORDS, key=len, reverse=True):
        hit = _phrase(text, phrase)
        if hit is not None:
            query.part = PART_WORDS[phrase]
            return _cut(text, hit)
    return text


def _take_intents(query: Query, text: str, is_vocabulary: Callable[[str], bool]) -> str:
    # "qu'est-ce qui a lieu ..." asks what happens; "lieu" alone asks where
    happening = re.search(r"(?<![\w'])(?:qu est ce )?qui a lieu(?![\w'])", text)
    if happening is not None:
        query.intents.add("happening")
        text = _cut(text, happening)
    for intent, phrases in INTENT_WORDS.items():
        for phrase in sorted(phrases, key=len, reverse=True):
            while (hit := _phrase(text, phrase)) is not None:
                if " " not in phrase and phrase not in CORE_WORDS and is_vocabulary(phrase):
                    break  # a word of the programme ("Fin de partie"): leave it to the search
                query.intents.add(intent)
                text = _cut(text, hit)
    # "et après ?" alone asks for what comes next; "après" elsewhere may be a name
    if re.fullmatch(r"\s*(et\s+)?apres\s*", text):
        query.intents.add("next")
        text = ""
    typo = _fuzzy_keyword(
        text,
        ("maintenant", "ensuite", "prochain", "prochaine", "adresse", "address"),
        is_vocabulary,
    )
    if typo is not None:
        keyword, typed = typo
        query.corrections.append(keyword)
        intent = {"maintenant": "now", "adresse": "address", "address": "address"}.get(keyword, "next")
        query.intents.add(intent)
        hit = _phrase(text, typed)
        if hit is not None:
            text = _cut(text, hit)
    return text


_NOT_A_REFERENCE = re.compile(r"^\s*(?:\d|midi\b|demain\b|noon\b|tomorrow\b)")


def _take_relation(query: Query, text: str, is_name_pair: Callable[[str, str], bool]) -> str:
    """ "après la restitution", "juste avant la clôture", "en même temps que ...".

    A one-word relation next to a word it forms a name with ("L'Après M") is left to the
    search; one followed by a time ("après 17 h", "après midi") was the time's.
    """
    hits: list[tuple[int, int, int, str, str]] = []
    for relation, phrases in RELATION_WORDS.items():
        for phrase in phrases:
            for hit in re.finditer(rf"(?<![\w']){re.escape(phrase)}(?![\w'])", text):
                if _NOT_A_REFERENCE.match(text[hit.end() :]):
                    continue
                if " " not in phrase:
                    before = text[: hit.start()].split()[-1:]
                    after = text[hit.end() :].split()[:1]
                    if (before and is_name_pair(before[0], phrase)) or (after and is_name_pair(phrase, after[0])):
                        continue
                hits.append((hit.start(), -len(phrase), hit.end(), relation, phrase))
    if hits:
        start, _, end, relation, phrase = min(hits)
        query.relation, query.relation_word = relation, phrase
        text = f"{text[:start]} {text[end:]}"
    for phrase in SAME_VENUE_WORDS:
        same = _phrase(text, phrase)
        if same is not None:
            query.same_venue = True
            text = _cut(text, same)
            break
    return text


def _take_status(query: Query, text: str, is_vocabulary: Callable[[str], bool]) -> str:
    """Questions about the state of the programme: cancelled, to be confirmed, moved, changed."""
    for status, phrases in STATUS_WORDS.items():
        for phrase in sorted(phrases, key=len, reverse=True):
            while (hit := _phrase(text, phrase)) is not None:
                if " " not in phrase and is_vocabulary(phrase):
                    break  # a word of the programme ("Changements climatiques"): a name
                query.statuses.add(status)
                text = _cut(text, hit)
    if query.statuses & {"changed", "moved"}:
        for phrase in sorted(SINCE_WORDS, key=len, reverse=True):
            hit = _phrase(text, phrase)
            if hit is not None:
                query.since_days = SINCE_WORDS[phrase]
                text = _cut(text, hit)
                break
    return text
