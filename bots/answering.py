"""Answering: the question-answering every chat connector and ``hub ask`` share.

:func:`answer` takes the programme as it is, a question and the moment it is asked, and
returns an :class:`~bots.answer.Answer`. It never raises on a question and never lists the
whole programme: unknown questions get a short hint, long lists are cut with a count.

The work is split in three: :mod:`bots.query` says what is asked (intent, day, time, words),
the subject words are resolved here against :mod:`bots.index` (which session, venue, host or
track they name), and the two are combined into lines of sessions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bots.answer import Answer, Line, Message
from bots.index import Entity, ProgrammeIndex, index_for
from bots.query import ARGUMENT_COMMANDS, Query, parse
from bots.text import content_tokens, detect_language
from bots.vocabulary import PARTS
from sync.i18n import say_date, say_moment, say_time
from sync.model import Programme, Session

#: At most this many sessions in one answer; the rest is counted, never dumped.
MAX_LINES = 8
#: Entities scoring within this share of the best one are taken as equally good.
TIE = 0.98
#: A session begun before a part of the day belongs to it if it runs more than this into it
#: (or more than half of it does): "l'après-midi" leaves out a plenary ending at 13 h.
PART_OVERLAP = timedelta(hours=1)
#: Sessions scoring at least this share of the best session are listed with it.
KEEP = 0.8
#: The same share for an explicit search, which also lists weaker hits (descriptions).
SEARCH_KEEP = 0.1


def answer(
    programme: Programme,
    question: str,
    *,
    at: datetime,
    lang: str | None = None,
    default_lang: str | None = None,
) -> Answer:
    """Answer ``question`` about ``programme`` as if asked at ``at``.

    ``lang`` forces the language; otherwise it is detected from the question, falling back
    to the language of the command used, then to ``default_lang`` (the configured one), then
    to the event's.
    """
    index = index_for(programme)
    moment = at.replace(tzinfo=index.tz) if at.tzinfo is None else at.astimezone(index.tz)
    query = parse(question, today=moment.date(), event_days=index.days, is_vocabulary=index.is_vocabulary)
    if lang not in ("fr", "en"):
        default = next((c for c in (default_lang, programme.event.language) if c in ("fr", "en")), "fr")
        said = " ".join((question, *query.corrections))
        lang = detect_language(said, index.is_vocabulary) or query.command_lang or default
    return _Responder(index, query, moment, lang).respond()


def find_sessions(programme: Programme, text: str, *, at: datetime) -> tuple[Session, ...]:
    """The sessions ``text`` names (a session id, a title, a venue, a host...), in order.

    What ``/suivre`` uses: the same resolution as questions, without any intent.
    """
    exact = programme.sessions.get(text.strip())
    if exact is not None:
        return (exact,)
    index = index_for(programme)
    moment = at.replace(tzinfo=index.tz) if at.tzinfo is None else at.astimezone(index.tz)
    query = Query(text=text, subject=text, terms=content_tokens(text))
    if not query.terms:
        return ()
    subject = _Responder(index, query, moment, "fr").resolve(query.terms, place_first=False)
    return subject.sessions if subject is not None else ()


@dataclass(frozen=True, slots=True)
class Subject:
    """What the words of a question name."""

    kind: str  # "sessions", "venue", "host" or "track"
    sessions: tuple[Session, ...]
    entity: Entity | None = None


class _Responder:
    """One question being answered (a small object so the steps share their context)."""

    def __init__(self, index: ProgrammeIndex, query: Query, at: datetime, lang: str) -> None:
        self.index = index
        self.query = query
        self.at = at
        self.lang = lang

    # -- entry ------------------------------------------------------------------------------

    def respond(self) -> Answer:
        q = self.query
        intents = q.intents
        if q.command in {"follow", "unfollow", "sync", "announce", "status"}:
            return Answer(self.lang, "chat-only", notes=(Message("chat.only"),))
        greeting_only = bool(intents & {"help", "greeting"}) and not intents - {"help", "greeting"}
        if q.command == "help" or (greeting_only and not q.terms and not q.has_time):
            return self.help()
        if q.command == "today":
            q.day = self.at.date()
        elif q.command == "tomorrow":
            q.day = self.at.date() + timedelta(days=1)
        if q.command == "programme" or (
            "programme" in intents and not q.terms and not q.has_time and not intents & {"now", "next"}
        ):
            return self.overview()

        subject: Subject | None = None
        if q.terms:
            subject = self.resolve(q.terms, place_first=bool(intents & {"where", "address"}))
            if subject is None and not q.has_time and not intents & {"now", "next"}:
                return self.not_found()
        elif q.command in ARGUMENT_COMMANDS and q.subject.strip():
            return self.not_found()  # typed something, but no word that could name anything
        elif q.command == "search" or (intents & {"search"} and not q.has_time):
            return self.ask_for("search.empty")

        if q.clock is not None:
            return self.at_clock(subject)
        if q.day is not None or q.part is not None:
            return self.on_day(subject)
        if "now" in intents:
            return self.now(subject)
        if "next" in intents:
            return self.next(subject)
        if subject is not None:
            return self.about(subject)
        if intents & {"where", "when", "address", "host", "track"}:
            return self.ask_for("need.subject")
        if "happening" in intents:
            return self.now(None)
        return Answer(self.lang, "unknown", notes=(Message("not.understood"), self.hint("try")))

    # -- resolving words --------------------------------------------------------------------

    def resolve(self, terms: Sequence[str], *, place_first: bool) -> Subject | None:
        """The session(s), venue, host or track the words name best, or None."""
        index = self.index
        matches = [m for term in dict.fromkeys(terms) for m in index.match_word(term)]
        scores = index.score(matches)
        if not scores:
            return None
        best = max(score for score, _ in scores.values())
        order = ("venue", "track", "host", "session") if place_first else ("track", "host", "session", "venue")
        top = [n for n, (score, _) in scores.items() if score >= best * TIE]
        chosen = min(top, key=lambda n: (order.index(index.entities[n].kind), n))
        entity = index.entities[chosen]
        if entity.kind == "session":
            # a search lists every session the words touch; a question wants the best ones
            keep = SEARCH_KEEP if "search" in self.query.intents else KEEP
            best_session = scores[chosen][0]
            ids = [
                index.entities[n].key
                for n, (score, _) in scores.items()
                if index.entities[n].kind == "session" and score >= best_session * keep
            ]
            return Subject("sessions", self._sessions(ids))
        sessions = self._sessions(entity.sessions)
        rest = [m for m in matches if m.query not in scores[chosen][1]]
        if rest and sessions:
            narrowed = self._narrow(sessions, index.score(rest))
            if narrowed:
                return Subject("sessions", narrowed)
        return Subject(entity.kind, sessions, entity)

    def _narrow(
        self, sessions: Sequence[Session], scores: dict[int, tuple[float, frozenset[str]]]
    ) -> tuple[Session, ...]:
        wanted = {s.id for s in sessions}
        hits = {
            self.index.entities[n].key: score
            for n, (score, _) in scores.items()
            if self.index.entities[n].kind == "session" and self.index.entities[n].key in wanted
        }
        if not hits:
            return ()
        best = max(hits.values())
        return tuple(s for s in sessions if hits.get(s.id, 0.0) >= best * KEEP)

    def _sessions(self, ids: Iterable[str]) -> tuple[Session, ...]:
        found = (self.index.session(i) for i in ids)
        return tuple(sorted((s for s in found if s is not None), key=lambda s: (s.start, s.end, s.id)))

    # -- answers about time -----------------------------------------------------------------

    def _moment(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.index.tz)

    def _filter(self, sessions: Iterable[Session], subject: Subject | None) -> list[Session]:
        if subject is None:
            return list(sessions)
        wanted = {s.id for s in subject.sessions}
        return [s for s in sessions if s.id in wanted]

    def _next_group(self, after: datetime, subject: Subject | None, *, same_day: bool = False) -> list[Session]:
        """The sessions starting first after ``after`` (every one sharing that start)."""
        pool = subject.sessions if subject is not None else None
        candidates: Iterable[Session]
        if pool is not None:
            candidates = (s for s in pool if s.start > after)
        else:
            candidates = self.index.starting_from(after, strictly=True)
        group: list[Session] = []
        for session in candidates:
            if session.status == "cancelled":
                continue
            if group and session.start != group[0].start:
                break
            if same_day and session.start.astimezone(self.index.tz).date() != after.date():
                break
            group.append(session)
        return group

    def now(self, subject: Subject | None) -> Answer:
        running = [s for s in self._filter(self.index.running_at(self.at), subject) if s.status != "cancelled"]
        if running:
            return self.listing("now", Message("now"), running, day=self.at.date())
        following = self._next_group(self.at, subject)
        if following:
            return self.listing("now", Message("now.none.next"), following, day=self.at.date())
        return Answer(self.lang, "now", Message("now.none"), notes=tuple(self._event_bounds(self.at.date())))

    def next(self, subject: Subject | None) -> Answer:
        group = self._next_group(self.at, subject)
        if not group:
            return Answer(self.lang, "next", Message("next.none"))
        start = group[0].start.astimezone(self.index.tz)
        when = say_time(start, self.lang) if start.date() == self.at.date() else say_moment(start, self.lang)
        return self.listing("next", Message("next", {"when": when}), group, day=start.date())

    def at_clock(self, subject: Subject | None) -> Answer:
        q = self.query
        assert q.clock is not None
        day = q.day or self.at.date()
        moment = self._moment(day, q.clock)
        when = say_moment(moment, self.lang)
        if q.after:
            later = [s for s in self.index.starting_from(moment) if s.start.astimezone(self.index.tz).date() == day]
            found = self._filter(later, subject)
            heading = Message("from", {"when": when})
            return self.listing("at", heading, found, day=day, empty=Message("at.none", {"when": when}))
        found = self._filter(self.index.running_at(moment), subject)
        if found:
            return self.listing("at", Message("at", {"when": when}), found, day=day)
        following = self._next_group(moment, subject, same_day=True)
        if following:
            return self.listing("at", Message("at.none.next", {"when": when}), following, day=day)
        return Answer(
            self.lang,
            "at",
            Message("at.none", {"when": when}),
            notes=tuple(self._event_bounds(day)),
        )

    def on_day(self, subject: Subject | None) -> Answer:
        q = self.query
        day = q.day or self.at.date()
        day_text = say_date(day, self.lang)
        if q.part is not None:
            first, last = PARTS[q.part]
            start = self._moment(day, time(first))
            end = self._moment(day, time(0)) + timedelta(hours=last)
            part = Message(f"part.{q.part}").plain(self.lang)
            heading = Message("day.part", {"day": day_text, "part": part})
            empty = Message("day.part.none", {"day": day_text, "part": part})
        else:
            start = self._moment(day, time(0))
            end = start + timedelta(days=1)
            heading = Message("day", {"day": day_text})
            empty = Message("day.none", {"day": day_text})
            if day == self.at.date():
                heading = Message("today", {"day": day_text})
                if self.at > start and subject is None:
                    start = max(start, self.at)
                    heading = Message("today.rest", {"day": day_text})
        found = self._filter(self.index.overlapping(start, end), subject)
        if q.part is not None:
            # begun earlier, it belongs to this part of the day only if it goes on well into it
            found = [s for s in found if s.start >= start or s.end - start > min(PART_OVERLAP, (s.end - s.start) / 2)]
        notes = [] if found else self._event_bounds(day)
        if subject is not None and subject.kind == "venue" and subject.entity is not None and not found:
            empty = Message("venue.nothing", {"venue": subject.entity.label})
        return self.listing("day", heading, found, day=day, empty=empty, notes=notes)

    # -- answers about a subject ------------------------------------------------------------

    def about(self, subject: Subject) -> Answer:
        intents = self.query.intents
        where = bool(intents & {"where", "address"})
        if subject.kind == "venue" and subject.entity is not None:
            venue = self.index.programme.venues.get(subject.entity.key)
            if where:
                upcoming = [s for s in subject.sessions if s.end > self.at][:3]
                return Answer(
                    self.lang,
                    "venue",
                    None,
                    self._lines(upcoming, with_address=False, day=None),
                    venue,
                )
            heading = Message("venue.sessions", {"venue": subject.entity.label})
            return self.listing("venue", heading, list(subject.sessions), prefer_upcoming=True)
        if subject.kind in {"host", "track"} and subject.entity is not None:
            heading = Message(f"{subject.kind}.sessions", {subject.kind: subject.entity.label})
        else:
            heading = Message("where") if where else Message("when") if "when" in intents else Message("found")
        return self.listing("about", heading, list(subject.sessions), with_address=where, prefer_upcoming=True)

    # -- building answers -------------------------------------------------------------------

    def listing(
        self,
        kind: str,
        heading: Message,
        sessions: Sequence[Session],
        *,
        day: date | None = None,
        empty: Message | None = None,
        notes: Sequence[Message] = (),
        with_address: bool = False,
        prefer_upcoming: bool = False,
    ) -> Answer:
        """Sessions under a heading, cut to :data:`MAX_LINES` with the rest counted."""
        if not sessions and empty is not None:
            return Answer(self.lang, kind, empty, notes=tuple(notes))
        chosen = list(sessions)
        if prefer_upcoming and len(chosen) > MAX_LINES:
            chosen = [s for s in chosen if s.end > self.at] or chosen
        lines = self._lines(chosen[:MAX_LINES], with_address=with_address, day=day)
        more = self._more(len(sessions), len(lines))
        return Answer(self.lang, kind, heading, lines, notes=(*notes, *more))

    def _lines(self, sessions: Sequence[Session], *, with_address: bool, day: date | None) -> tuple[Line, ...]:
        tz = self.index.tz
        same_day = day is not None and all(
            s.start.astimezone(tz).date() == day and s.end.astimezone(tz).date() == day for s in sessions
        )
        hosts = "host" in self.query.intents
        return tuple(
            Line(
                s,
                self.index.venue(s),
                with_date=not same_day,
                with_address=with_address,
                with_hosts=hosts,
            )
            for s in sessions
        )

    def _more(self, total: int, shown: int) -> list[Message]:
        return [Message("more", {"count": str(total - shown)})] if total > shown else []

    def _event_bounds(self, day: date) -> list[Message]:
        """'The programme starts on ...' when the day asked about is outside the event."""
        days = self.index.days
        if not days:
            return []
        if day < days[0]:
            return [Message("before.event", {"day": say_date(days[0], self.lang)})]
        if day > days[-1]:
            return [Message("after.event", {"day": say_date(days[-1], self.lang)})]
        return []

    def _example(self) -> str:
        upcoming = next(self.index.starting_from(self.at), None)
        first = upcoming or (self.index.ordered[0] if self.index.ordered else None)
        return first.title if first is not None else "…"

    def hint(self, key: str) -> Message:
        return Message(key, {"example": self._example()})

    def ask_for(self, key: str) -> Answer:
        return Answer(self.lang, "unknown", notes=(self.hint(key),))

    def not_found(self) -> Answer:
        typed = " ".join((self.query.subject if self.query.command else self.query.text).split())
        if len(typed) > 60:
            typed = typed[:59] + "…"
        notes = [Message("not.found", {"query": typed})]
        suggestions: list[str] = []
        for term in self.query.terms:
            for word in self.index.near_words(term):
                scores = self.index.score(self.index.match_word(word))
                for number, _ in sorted(scores.items(), key=lambda item: -item[1][0])[:2]:
                    label = self.index.entities[number].label
                    if label not in suggestions:
                        suggestions.append(label)
        if suggestions:
            notes.append(Message("did.you.mean", {"names": " ; ".join(suggestions[:3])}))
        else:
            notes.append(self.hint("try"))
        return Answer(self.lang, "not-found", notes=tuple(notes))

    def help(self) -> Answer:
        keys = (
            "help.programme",
            "help.now",
            "help.next",
            "help.today",
            "help.where",
            "help.when",
            "help.search",
            "help.follow",
        )
        notes = [Message(key) for key in keys]
        notes.append(self.hint("help.free"))
        return Answer(self.lang, "help", Message("help"), notes=tuple(notes))

    def overview(self) -> Answer:
        """The days, their themes and their spans: a map of the programme, not its contents."""
        programme = self.index.programme
        themes = {d.date: d.theme for d in programme.days}
        notes: list[Message] = []
        days = [d for d in self.index.days if d >= self.at.date()] or self.index.days
        for day in days[:MAX_LINES]:
            start = self._moment(day, time(0))
            sessions = [s for s in self.index.overlapping(start, start + timedelta(days=1)) if s.start >= start]
            if not sessions:
                continue
            values = {
                "day": say_date(day, self.lang),
                "theme": themes.get(day, ""),
                "count": str(len(sessions)),
                "first": say_time(sessions[0].start.astimezone(self.index.tz), self.lang),
                "last": say_time(max(s.end for s in sessions).astimezone(self.index.tz), self.lang),
            }
            notes.append(Message("programme.day" if values["theme"] else "programme.day.plain", values))
        notes.extend(self._more(len(days), min(len(days), MAX_LINES)))
        if programme.event.website:
            notes.append(Message("programme.website", {"url": programme.event.website}))
        notes.append(Message("programme.more"))
        return Answer(
            self.lang,
            "programme",
            Message("programme", {"title": programme.event.title}),
            notes=tuple(notes),
        )
