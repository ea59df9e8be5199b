"""Answering: the question-answering every chat connector and ``hub ask`` share.

:func:`answer` takes the programme as it is, a question and the moment it is asked, and
returns an :class:`~bots.answer.Answer`. It never raises on a question and never lists the
whole programme: unknown questions get a short hint, long lists are cut with a count.

The work is split in three: :mod:`bots.query` says what is asked (intent, day, time, words),
the subject words are resolved here against :mod:`bots.index` (which session, venue, host or
track they name), and the two are combined into lines of sessions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from bots.answer import Answer, Line, Message, link_kind, map_link
from bots.index import Entity, ProgrammeIndex, index_for
from bots.memory import Context
from bots.query import ARGUMENT_COMMANDS, Query, parse
from bots.text import content_tokens, detect_language, synonyms
from bots.vocabulary import EN_WEEKDAYS, FR_WEEKDAYS, MEAL_END_HOURS, PARTS
from sync.i18n import say_date, say_moment, say_span, say_time
from sync.model import Programme, Session, Venue

#: At most this many sessions in one answer; the rest is counted, never dumped.
MAX_LINES = 8
#: A whole day (or part of one) is listed in full up to this many sessions, grouped by part
#: of the day: a real event's day has 5 to 15. Beyond, the rest is named by part of the day.
DAY_MAX = 30
#: "Just before": the sessions ending within this span of the last one to end before.
BEFORE_SPAN = timedelta(hours=1)
#: "What changed" with no "since": over this span back from the question.
CHANGES_SPAN = timedelta(hours=24)


class ChangeRecord(Protocol):
    """One logged field change of the merged programme (what ``hub history`` lists)."""

    @property
    def at(self) -> datetime: ...
    @property
    def session(self) -> str: ...
    @property
    def field(self) -> str: ...
    @property
    def old(self) -> Any: ...
    @property
    def new(self) -> Any: ...


#: Reads the change log from a moment on (the state store's history, or a test's list).
ChangeReader = Callable[[datetime], Sequence[ChangeRecord]]

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
    context: Context | None = None,
    changes: ChangeReader | None = None,
) -> Answer:
    """Answer ``question`` about ``programme`` as if asked at ``at``.

    ``lang`` forces the language; otherwise it is detected from the question, falling back
    to the language of the command used, then to ``default_lang`` (the configured one), then
    to the event's. ``context`` is what the previous answer of the conversation spoke of (for
    "et après ?", "where is it?"); ``changes`` reads the change log since a moment, for "what changed"
    (None when there is none to read); it is called only for such a question.
    """
    index = index_for(programme)
    moment = at.replace(tzinfo=index.tz) if at.tzinfo is None else at.astimezone(index.tz)
    query = parse(
        question,
        today=moment.date(),
        event_days=index.days,
        is_vocabulary=index.is_vocabulary,
        is_name_pair=index.is_name_pair,
    )
    if lang not in ("fr", "en"):
        default = next((c for c in (default_lang, programme.event.language) if c in ("fr", "en")), "fr")
        said = " ".join((question, *query.corrections))
        lang = detect_language(said, index.is_vocabulary) or query.command_lang or default
    return _Responder(index, query, moment, lang, context, changes).respond()


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


def section_of(moment: datetime) -> str:
    """The part of the day a session starting at ``moment`` is listed under."""
    if moment.hour < PARTS["afternoon"][0]:
        return "morning"
    if moment.hour < PARTS["evening"][0]:
        return "afternoon"
    return "evening"


@dataclass(frozen=True, slots=True)
class Subject:
    """What the words of a question name."""

    kind: str  # "sessions", "venue", "host" or "track"
    sessions: tuple[Session, ...]
    entity: Entity | None = None


class _Responder:
    """One question being answered (a small object so the steps share their context)."""

    def __init__(
        self,
        index: ProgrammeIndex,
        query: Query,
        at: datetime,
        lang: str,
        context: Context | None = None,
        changes: ChangeReader | None = None,
    ) -> None:
        self.index = index
        self.query = query
        self.at = at
        self.lang = lang
        self.context = context
        self.changes = changes
        self.extra: list[Message] = []  # what was understood, when part of the question was not

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
        if (q.command == "programme" and not q.has_time) or (
            "programme" in intents and not q.terms and not q.has_time and not intents & {"now", "next"}
        ):
            return self.overview()
        if q.statuses:
            return self.status()
        if q.relation is not None or q.same_venue:
            related = self.relate()
            if related is not None:
                return related
        follow_up = self.follow_up()
        if follow_up is not None:
            return follow_up

        subject: Subject | None = None
        if q.terms:
            subject = self.resolve(q.terms, place_first=bool(intents & {"where", "address"}))
            if subject is None and not q.has_time and not intents & {"now", "next"}:
                return self.not_found()
            if subject is None and q.day is not None:
                typed = " ".join(q.terms)
                self.extra.append(Message("understood.day", {"day": say_date(q.day, self.lang), "query": typed}))
        elif q.command in ARGUMENT_COMMANDS and q.subject.strip():
            return self.not_found()  # typed something, but no word that could name anything
        elif q.command == "search" or (intents & {"search"} and not q.has_time):
            return self.ask_for("search.empty")

        if subject is not None and subject.kind != "venue" and intents & {"where", "address"} and q.clock is None:
            # "where is lunch on sunday": the place, for that day's one
            on_day = [s for s in subject.sessions if q.day is None or s.start.astimezone(self.index.tz).date() == q.day]
            return self.about(Subject(subject.kind, tuple(on_day or subject.sessions), subject.entity))
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
        self, sessions: Sequence[Session], scores: dict[int, tuple[float, tuple[str, ...]]]
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
                if self.at > start and subject is None and self._under_way(day):
                    start = max(start, self.at)
                    heading = Message("today.rest", {"day": day_text})
        found = self._filter(self.index.overlapping(start, end), subject)
        if q.part is not None:
            # begun earlier, it belongs to this part of the day only if it goes on well into it
            found = [s for s in found if s.start >= start or s.end - start > min(PART_OVERLAP, (s.end - s.start) / 2)]
        found = [s for s in found if s.start >= start or not self._is_earlier_day(s, day)] if q.part is None else found
        notes = [] if found else self._event_bounds(day)
        if subject is not None and subject.kind == "venue" and subject.entity is not None and not found:
            empty = Message("venue.nothing", {"venue": subject.entity.label})
        if not found:
            return Answer(self.lang, "day", empty, notes=(*notes, *self.extra))
        return self.day_listing(heading, found, day, grouped=q.part is None)

    def _under_way(self, day: date) -> bool:
        """True once the day's first session has begun: "today" then means what is left of it."""
        start = self._moment(day, time(0))
        first = next(self.index.starting_from(start), None)
        return first is not None and first.start <= self.at

    def _is_earlier_day(self, session: Session, day: date) -> bool:
        return session.start.astimezone(self.index.tz).date() < day

    def day_listing(self, heading: Message, sessions: Sequence[Session], day: date, *, grouped: bool) -> Answer:
        """A day (or a part of it) in full, grouped by part of the day, up to :data:`DAY_MAX`.

        Past that, the rest is counted and named by the commands that show it
        ("/programme samedi soir"): never a silent cut.
        """
        tz = self.index.tz
        shown = list(sessions[:DAY_MAX])
        lines = tuple(
            Line(
                line.session,
                line.venue,
                with_date=line.with_date,
                with_hosts=line.with_hosts,
                section=section_of(line.session.start.astimezone(tz)) if grouped else None,
            )
            for line in self._lines(shown, with_address=False, day=day)
        )
        notes: list[Message] = list(self.extra)
        if len(sessions) > len(shown):
            parts = list(dict.fromkeys(section_of(s.start.astimezone(tz)) for s in sessions[len(shown) - 1 :]))
            commands = ", ".join(self._day_command(day, part) for part in parts)
            notes.append(Message("day.rest", {"count": str(len(sessions) - len(shown)), "commands": commands}))
        return Answer(self.lang, "day", heading, lines, notes=tuple(notes))

    def _day_command(self, day: date, part: str) -> str:
        """The command that lists one part of one day: "/programme samedi soir"."""
        same_weekday = [d for d in self.index.days if d.weekday() == day.weekday()]
        if self.lang == "fr":
            name = FR_WEEKDAYS[day.weekday()] if len(same_weekday) <= 1 else day.isoformat()
            part_word = {"morning": "matin", "afternoon": "apres-midi", "evening": "soir"}[part]
            return f"/programme {name} {part_word}"
        name = EN_WEEKDAYS[day.weekday()] if len(same_weekday) <= 1 else day.isoformat()
        return f"/program {name} {part}"

    # -- relations to a session ------------------------------------------------------------

    def _pick(self, sessions: Sequence[Session]) -> Session | None:
        """The one session meant among several of that name: on the day asked, else the next
        one not over yet, else the last one."""
        if not sessions:
            return None
        tz = self.index.tz
        if self.query.day is not None:
            on_day = [s for s in sessions if s.start.astimezone(tz).date() == self.query.day]
            if on_day:
                return on_day[0]
        ahead = [s for s in sessions if s.end > self.at]
        return ahead[0] if ahead else sessions[-1]

    def _context_sessions(self) -> tuple[Session, ...]:
        if self.context is None:
            return ()
        return self._sessions(self.context.sessions)

    def _reference(self) -> Session | None:
        """The session a relation is about: named in the question, or spoken of just before."""
        q = self.query
        if q.terms:
            subject = self.resolve(q.terms, place_first=False)
            if subject is None or not subject.sessions:
                return None
            return self._pick(subject.sessions)
        spoken = self._context_sessions()
        if not spoken:
            return None
        latest = max(s.start for s in spoken)
        return min((s for s in spoken if s.start == latest), key=lambda s: (s.end, s.id))

    def _meal(self) -> str | None:
        """The meal word of an "after lunch" whose meal the day asked has not on its programme."""
        for term in self.query.terms:
            for word in (term, *synonyms(term)):
                if word in MEAL_END_HOURS:
                    return word
        return None

    def relate(self) -> Answer | None:
        """After, before, at the same time as, next at the same venue: None to read the
        relation word as part of a name after all."""
        q = self.query
        relation = q.relation or "after"
        reference = self._reference()
        tz = self.index.tz
        asked_day = q.day or self.at.date()
        if (
            reference is not None
            and relation == "after"
            and self._meal() is not None
            and reference.start.astimezone(tz).date() != asked_day
            and (q.day is not None or asked_day in self.index.days)
        ):
            reference = None  # "after lunch tomorrow" on a day without a lunch: after the lunch hour
        if reference is None:
            meal = self._meal() if relation == "after" else None
            if meal is not None:
                day = q.day or self.at.date()
                moment = self._moment(day, time(MEAL_END_HOURS[meal]))
                later = [
                    s
                    for s in self.index.starting_from(moment)
                    if s.start.astimezone(tz).date() == day and s.status != "cancelled"
                ]
                heading = Message("rel.meal", {"meal": self._meal_label(meal), "day": say_date(day, self.lang)})
                empty = Message("day.none", {"day": say_date(day, self.lang)})
                return self.listing("after", heading, later, day=day, empty=empty)
            if q.terms:
                answer = self.not_found()
                note = Message(
                    "rel.unknown",
                    {"relation": Message(f"rel.word.{relation}").plain(self.lang), "query": " ".join(q.terms)},
                )
                return Answer(self.lang, answer.kind, notes=(note, *answer.notes[1:]))
            if q.same_venue and self.context is not None and self.context.venue is not None:
                return self._next_at_venue(self.context.venue, None)
            if relation == "during":
                return self.now(None)
            if relation == "before":
                return self._before(self.at, None)
            return self.next(None)
        if q.same_venue:
            if reference.venue is None:
                return self.next(None)
            return self._next_at_venue(reference.venue, reference)
        if relation == "before":
            return self._before(reference.start, reference)
        if relation == "during":
            others = [
                s
                for s in self.index.overlapping(reference.start, reference.end)
                if s.id != reference.id and s.status != "cancelled"
            ]
            return self._related("during", reference, others)
        day = reference.start.astimezone(tz).date()
        group: list[Session] = []
        for session in self.index.starting_from(reference.end):
            if session.start.astimezone(tz).date() != day:
                break
            if session.status == "cancelled" or session.id == reference.id:
                continue
            if group and session.start != group[0].start:
                break
            group.append(session)
        return self._related("after", reference, group)

    def _before(self, moment: datetime, reference: Session | None) -> Answer:
        tz = self.index.tz
        day = moment.astimezone(tz).date()
        start = self._moment(day, time(0))
        ended = [
            s
            for s in self.index.overlapping(start, moment)
            if s.end <= moment and s.start >= start and s.status != "cancelled"
        ]
        if ended:
            last = max(s.end for s in ended)
            ended = [s for s in ended if s.end >= last - BEFORE_SPAN]
        if reference is None:
            heading = Message("day", {"day": say_date(day, self.lang)})
            return self.listing(
                "before", heading, ended, day=day, empty=Message("day.none", {"day": say_date(day, self.lang)})
            )
        return self._related("before", reference, ended)

    def _related(self, relation: str, reference: Session, sessions: Sequence[Session]) -> Answer:
        tz = self.index.tz
        values = {
            "title": reference.title,
            "when": say_span(reference.start.astimezone(tz), reference.end.astimezone(tz), self.lang),
        }
        heading = Message(f"rel.{relation}", values)
        empty = Message(f"rel.{relation}.none", values)
        return self.listing(relation, heading, sessions, day=reference.start.astimezone(tz).date(), empty=empty)

    def _next_at_venue(self, venue_id: str, reference: Session | None) -> Answer:
        venue = self.index.programme.venues.get(venue_id)
        name = venue.name if venue is not None else venue_id
        after = reference.end if reference is not None else self.at
        later = [
            s
            for s in self.index.starting_from(after)
            if s.venue == venue_id and s.status != "cancelled" and (reference is None or s.id != reference.id)
        ]
        later = [s for s in later if s.start == later[0].start]  # the next one (or ones starting with it)
        values = {"venue": name, "title": reference.title if reference is not None else ""}
        if reference is None:
            heading = Message("venue.sessions", {"venue": name})
            return self.listing("venue", heading, later, empty=Message("venue.nothing", {"venue": name}))
        return self.listing("venue", Message("rel.venue", values), later, empty=Message("rel.venue.none", values))

    def _meal_label(self, meal: str) -> str:
        french = {"lunch": "dejeuner", "dinner": "diner"}.get(meal, meal)
        english = {"dejeuner": "lunch", "repas": "lunch", "midi": "lunch", "diner": "dinner"}.get(meal, meal)
        if self.lang == "fr":
            return {"dejeuner": "le déjeuner", "diner": "le dîner", "repas": "le repas", "midi": "midi"}[french]
        return english

    # -- follow-ups ----------------------------------------------------------------------

    def follow_up(self) -> Answer | None:
        """ "Where is it?", « c'est qui ? », « et ensuite ? » about what was just answered."""
        q = self.query
        if self.context is None or q.terms or q.has_time or q.command is not None:
            return None
        spoken = self._context_sessions()
        if q.intents & {"where", "address", "when", "host"}:
            if not spoken and self.context.venue is not None:
                venue = self.index.programme.venues.get(self.context.venue)
                if venue is not None:
                    return self._venue_card(venue, [s for s in self.index.ordered if s.venue == venue.id])
            if spoken:
                return self.about(Subject("sessions", spoken[:MAX_LINES]))
        if "next" in q.intents and spoken:
            q.relation = "after"
            return self.relate()
        return None

    # -- status -------------------------------------------------------------------------

    def status(self) -> Answer:
        """Cancelled, to be confirmed, moved, changed: from the programme and the change log."""
        q = self.query
        subject = self.resolve(q.terms, place_first=False) if q.terms else None
        if subject is None and q.intents & {"where", "when", "host"} == set() and not q.terms:
            spoken = (
                self._context_sessions()
                if q.relation is None and q.statuses & {"cancelled", "tentative"} and self._refers_back()
                else ()
            )
            if spoken:
                subject = Subject("sessions", spoken)
        if q.statuses & {"changed", "moved"}:
            return self.changed(subject)
        wanted = "cancelled" if "cancelled" in q.statuses else "tentative"
        if subject is not None and len(subject.sessions) > 1:
            # "des ateliers à confirmer ?": those of them that are
            matching = [s for s in subject.sessions if s.status == wanted]
            return self.listing(
                "status", Message(f"status.{wanted}"), matching, empty=Message(f"status.{wanted}.none")
            )
        if subject is not None:
            sessions = list(subject.sessions)
            statuses = {s.status for s in sessions}
            heading = Message(f"status.{statuses.pop()}.one") if len(statuses) == 1 else Message("found")
            return self.listing("status", heading, sessions, prefer_upcoming=True)
        pool: Iterable[Session] = self.index.ordered
        if q.day is not None:
            start = self._moment(q.day, time(0))
            pool = self.index.overlapping(start, start + timedelta(days=1))
        found = [s for s in pool if s.status == wanted]
        upcoming = [s for s in found if s.end > self.at] or found
        return self.listing(
            "status",
            Message(f"status.{wanted}"),
            upcoming,
            empty=Message(f"status.{wanted}.none"),
        )

    def _refers_back(self) -> bool:
        """« c'est annulé ? », "is it cancelled?": a question about what was just said."""
        words = set(self.query.text.lower().replace("'", " ").replace("?", " ").replace("-", " ").split())
        if words & {"qui", "quoi", "des", "les", "what", "anything", "something", "which", "any"}:
            return False  # "qu'est-ce qui est annulé ?", "is anything cancelled?": the whole programme
        return bool(words & {"c", "ce", "cest", "it", "il", "elle", "ça", "ca", "that", "this"})

    def changed(self, subject: Subject | None) -> Answer:
        q = self.query
        tz = self.index.tz
        if q.since_days is not None:
            since = self._moment(self.at.date() - timedelta(days=q.since_days), time(0))
        else:
            since = self.at - CHANGES_SPAN
        since_text = say_moment(since, self.lang)
        moved_only = "moved" in q.statuses and "changed" not in q.statuses
        kind = "moved" if moved_only else "changed"
        if self.changes is None:
            current = [s for s in self.index.ordered if s.status != "scheduled" and s.end > self.at]
            if subject is not None:
                current = list(subject.sessions)
            if not current:
                return Answer(self.lang, "changed", Message("status.no.log"), notes=(Message("status.cancelled.none"),))
            return self.listing("changed", Message("status.no.log"), current)
        wanted = {s.id for s in subject.sessions} if subject is not None else None
        fields: dict[str, dict[str, Any]] = {}
        for change in self.changes(since):
            moment = change.at if change.at.tzinfo is not None else change.at.replace(tzinfo=tz)
            if moment < since or (wanted is not None and change.session not in wanted):
                continue
            if moved_only and change.field not in {"start", "end", "venue"}:
                continue
            per = fields.setdefault(change.session, {})
            per.setdefault(change.field, change.old)
        sessions = self._sessions(fields)
        notes = [self._change_note(s, fields[s.id]) for s in sessions[:MAX_LINES]]
        return self.listing(
            "changed",
            Message(f"status.{kind}", {"since": since_text}),
            sessions,
            empty=Message(f"status.{kind}.none", {"since": since_text}),
            notes=notes,
        )

    def _change_note(self, session: Session, old: dict[str, Any]) -> Message:
        """« Clôture » : avant : 17 h, Les 8 Pillards: what it was, beside what it is."""
        tz = self.index.tz
        said: list[str] = []
        if "existence" in old or (not old.get("title") and "title" in old and old["title"] is None):
            said.append(Message("change.new").plain(self.lang))
        if old.get("start"):
            try:
                before = datetime.fromisoformat(str(old["start"])).astimezone(tz)
                said.append(Message("change.start", {"old": say_moment(before, self.lang)}).plain(self.lang))
            except ValueError:
                pass
        if old.get("venue"):
            venue = self.index.programme.venues.get(str(old["venue"]))
            said.append(Message("change.venue", {"old": venue.name if venue else str(old["venue"])}).plain(self.lang))
        if "status" in old:
            said.append(Message("change.status", {"new": Message(session.status).plain(self.lang)}).plain(self.lang))
        rest = [f for f in old if f not in {"start", "end", "venue", "status", "existence"}]
        if rest:
            labels = ", ".join(Message(f"field.{f}").plain(self.lang) for f in rest)
            said.append(Message("change.field", {"fields": labels}).plain(self.lang))
        return Message(
            "change.line", {"title": session.title, "what": " ; ".join(said) if self.lang == "fr" else "; ".join(said)}
        )

    # -- answers about a subject ------------------------------------------------------------

    def about(self, subject: Subject) -> Answer:
        intents = self.query.intents
        where = bool(intents & {"where", "address"})
        if subject.kind == "venue" and subject.entity is not None:
            venue = self.index.programme.venues.get(subject.entity.key)
            if where and venue is not None:
                return self._venue_card(venue, subject.sessions)
            heading = Message("venue.sessions", {"venue": subject.entity.label})
            return self.listing("venue", heading, list(subject.sessions), prefer_upcoming=True)
        if subject.kind in {"host", "track"} and subject.entity is not None:
            heading = Message(f"{subject.kind}.sessions", {subject.kind: subject.entity.label})
        else:
            heading = Message("where") if where else Message("when") if "when" in intents else Message("found")
        sessions = list(subject.sessions)
        notes: list[Message] = []
        if len(sessions) <= 3:
            for session in sessions:
                notes.extend(Message(f"link.{link_kind(url)}", {"url": url}) for url in session.links)
        if "host" in self.query.intents and sessions and not any(s.hosts for s in sessions):
            notes.append(Message("host.none"))
        if where and len(sessions) == 1:
            venue = self.index.venue(sessions[0])
            url = map_link(venue) if venue is not None else ""
            if url:
                notes.append(Message("map", {"url": url}))
        return self.listing("about", heading, sessions, with_address=where, prefer_upcoming=True, notes=notes)

    def _venue_card(self, venue: Venue, sessions: Sequence[Session]) -> Answer:
        """A venue's name, address, note and map link, and what comes next there."""
        upcoming = [s for s in sessions if s.end > self.at][:3]
        return Answer(self.lang, "venue", None, self._lines(upcoming, with_address=False, day=None), venue)

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
            return Answer(self.lang, kind, empty, notes=(*notes, *self.extra))
        chosen = list(sessions)
        if prefer_upcoming and len(chosen) > MAX_LINES:
            chosen = [s for s in chosen if s.end > self.at] or chosen
        lines = self._lines(chosen[:MAX_LINES], with_address=with_address, day=day)
        more = self._more(len(sessions), len(lines))
        return Answer(self.lang, kind, heading, lines, notes=(*notes, *self.extra, *more))

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
        notes.append(self.hint("help.relations"))
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
