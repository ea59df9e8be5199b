# ruff: noqa: E501  (a table of questions reads best one row per line)
"""The question table on a generated programme of 1,000 sessions the engine has never seen.

Six days of a large gathering (Monday to Saturday), 25 venues, 160-odd sessions a day, each
session with a made-up code word in its title so a question can name exactly one; a few are
cancelled or to be confirmed. Every row's facts are computed by brute force over the
programme (not by the engine), then checked with the same rules as the reference table.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bots.answering import DAY_MAX, MAX_LINES
from sync.model import Day, Event, Programme, Session, Venue
from tests.bots.test_questions import TABLE, Row, verdict

TZ = ZoneInfo("Europe/Brussels")
FIRST = date(2031, 9, 8)  # a Monday
DAYS = 6
FR_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi")
EN_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
SYLLABLES = ("ba", "ko", "ri", "mu", "te", "lo", "vi", "sa", "du", "ne", "pa", "zo", "fi", "gu")
FORMATS = ("Atelier", "Table ronde", "Conférence", "Balade", "Projection")
TOPICS = ("des semences", "du logement", "de l'eau", "des archives", "du code", "des jardins", "de la santé")


def _code(rng: random.Random, taken: set[str]) -> str:
    """A made-up word of four syllables, unlike any other in the programme."""
    while True:
        word = "".join(rng.choice(SYLLABLES) for _ in range(4))
        if word not in taken:
            taken.add(word)
            return word


def build(n_sessions: int = 1_000) -> Programme:
    rng = random.Random(18)
    venues = {
        f"v{v}": Venue(f"v{v}", f"Maison {name.title()}", f"{10 + v} rue des Tanneurs, 1000 Bruxelles")
        for v, name in enumerate(_code(rng, set()) for _ in range(25))
    }
    taken: set[str] = set()
    sessions = []
    for i in range(n_sessions):
        day = FIRST + timedelta(days=i % DAYS)
        start = datetime(day.year, day.month, day.day, 8 + rng.randrange(13), rng.choice((0, 30)), tzinfo=TZ)
        status = "cancelled" if i % 97 == 13 else "tentative" if i % 89 == 7 else "scheduled"
        sessions.append(
            Session(
                id=f"g{i:04d}",
                title=f"{rng.choice(FORMATS)} {rng.choice(TOPICS)} {_code(rng, taken).capitalize()}",
                start=start,
                end=start + timedelta(minutes=rng.choice((60, 90, 120))),
                venue=rng.choice(list(venues)),
                hosts=(f"Collectif {_code(rng, taken).capitalize()}",),
                status=status,  # type: ignore[arg-type]
            )
        )
    event = Event("rencontres", "Rencontres des communs", "Europe/Brussels", language="fr")
    return Programme(event, tuple(Day(FIRST + timedelta(days=d)) for d in range(DAYS)), venues, {s.id: s for s in sessions})


PROGRAMME = build()
ORDERED = PROGRAMME.sorted_sessions()


def _local(moment: datetime) -> datetime:
    return moment.astimezone(TZ)


def _on_day(day: date) -> list[Session]:
    return [s for s in ORDERED if _local(s.start).date() == day]


def _after(x: Session) -> list[Session]:
    later = [s for s in _on_day(_local(x.start).date()) if s.start >= x.end and s.status != "cancelled" and s.id != x.id]
    return [s for s in later if s.start == later[0].start] if later else []


def _during(x: Session) -> list[Session]:
    return [s for s in ORDERED if s.start < x.end and s.end > x.start and s.id != x.id and s.status != "cancelled"]


def _before(x: Session) -> list[Session]:
    day = _on_day(_local(x.start).date())
    ended = [s for s in day if s.end <= x.start and s.status != "cancelled"]
    if not ended:
        return []
    last = max(s.end for s in ended)
    return [s for s in ended if s.end >= last - timedelta(hours=1)]


def _code_of(session: Session) -> str:
    return session.title.split()[-1]


def _ids(sessions: list[Session], limit: int = MAX_LINES) -> tuple[str, ...]:
    return tuple(s.id for s in sessions[:limit])


def _at(day: date, hour: int = 7) -> str:
    return f"{day.isoformat()}T{hour:02d}:00"  # read in the programme's zone, as ``hub ask --at``


def _rows() -> Iterator[Row]:
    rng = random.Random(4)
    scheduled = [s for s in ORDERED if s.status == "scheduled"]
    for x in rng.sample(scheduled, 12):
        code, day = _code_of(x), _local(x.start).date()
        at = _at(day)
        venue = PROGRAMME.venues[x.venue or ""]
        yield Row(f"Qu'est-ce qu'il y a après {code} ?", at, "fr", _ids(_after(x)), (x.id,), nothing=not _after(x))
        yield Row(f"what's on at the same time as {code}?", at, "en", _ids(_during(x)), (x.id,))
        yield Row(f"juste avant {code} ?", at, "fr", _ids(_before(x)), (x.id,), nothing=not _before(x))
        yield Row(f"où est {code} ?", at, "fr", (x.id,), (), (venue.address, "openstreetmap.org/search"))
        yield Row(f"where is {code[:-1]}", at, "en", (x.id,), ())  # a letter missing
        yield Row("et après ?", at, "fr", _ids(_after(x)), (x.id,), nothing=not _after(x), after=(f"quand est {code} ?",))
        yield Row("c'est qui ?", at, "fr", (x.id,), (), (x.hosts[0],), after=(f"/quand {code}",))
    for d in range(DAYS):
        day = FIRST + timedelta(days=d)
        everything = _on_day(day)
        six = datetime(day.year, day.month, day.day, 18, tzinfo=TZ)
        # the evening: what starts from 18:00, and what began before and goes on well into it
        evening = [s for s in everything if s.start >= six or s.end - six > min(timedelta(hours=1), (s.end - s.start) / 2)]
        yield Row(f"Quel est le programme de {FR_DAYS[d]} ?", _at(FIRST), "fr", _ids(everything, DAY_MAX), (), ("Matin", "de plus", f"/programme {FR_DAYS[d]} soir"))
        yield Row(f"/program {EN_DAYS[d]} evening", _at(FIRST), "en", _ids(evening, DAY_MAX), _ids([s for s in everything if _local(s.start).hour < 12]))
    cancelled = [s for s in ORDERED if s.status == "cancelled"]
    tentative = [s for s in ORDERED if s.status == "tentative"]
    yield Row("is anything cancelled?", _at(FIRST), "en", _ids(cancelled), _ids(tentative), ("(cancelled)",))
    yield Row("qu'est-ce qui est à confirmer ?", _at(FIRST), "fr", _ids(tentative), _ids(cancelled), ("(à confirmer)",))
    for x in cancelled[:4]:
        yield Row(f"is {_code_of(x)} cancelled?", _at(_local(x.start).date()), "en", (x.id,), (), ("Yes, it is cancelled",))
    for x in tentative[:3]:
        yield Row(f"{_code_of(x)} est-il confirmé ?", _at(_local(x.start).date()), "fr", (x.id,), (), ("Pas encore confirmé",))


GENERATED: list[Row] = list(_rows())


def test_the_generated_table_is_large_enough() -> None:
    assert len(GENERATED) >= 90
    assert len(ORDERED) == 1_000
    assert {len(_on_day(FIRST + timedelta(days=d))) > DAY_MAX for d in range(DAYS)} == {True}


@pytest.mark.parametrize("row", GENERATED, ids=[f"{i}:{row.question}" for i, row in enumerate(GENERATED)])
def test_generated_question(row: Row) -> None:
    wrong, text = verdict(PROGRAMME, row)
    assert wrong == [], text


def test_share_answered(programme: Programme) -> None:
    """The measure the README reports: the share of both tables answered right (at least 95 %)."""
    wrong = [row.question for row in TABLE if verdict(programme, row)[0]]
    wrong += [row.question for row in GENERATED if verdict(PROGRAMME, row)[0]]
    total = len(TABLE) + len(GENERATED)
    share = 1 - len(wrong) / total
    print(f"answered: {total - len(wrong)}/{total} = {share:.1%}; wrong: {wrong}")
    assert share >= 0.95, wrong
