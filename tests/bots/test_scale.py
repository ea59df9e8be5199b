"""A programme the engine has never seen, 10,000 sessions long: answers stay right and short.

The programme is generated (venues, tracks, hosts and titles from word lists, one unique code
word per session), and every answer is checked against a brute-force reading of it.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bots import answer
from bots.answering import MAX_LINES
from bots.index import index_for
from sync.model import Day, Event, Programme, Session, Venue

TZ = ZoneInfo("America/Montreal")
FIRST_DAY = date(2030, 6, 3)  # a Monday
DAYS = 40
NOUNS = [
    "river",
    "archive",
    "kitchen",
    "seed",
    "bridge",
    "forest",
    "network",
    "harbour",
    "loom",
    "garden",
]
ADJECTIVES = ["open", "shared", "common", "public", "living", "small", "northern", "quiet"]


def build(n_sessions: int = 10_000) -> Programme:
    rng = random.Random(7)
    venues = {
        f"hall-{v}": Venue(f"hall-{v}", f"Hall {name.title()} {v}", f"{v} Rue Saint-Denis, Montréal")
        for v, name in enumerate(rng.choices(NOUNS, k=80))
    }
    sessions = []
    for i in range(n_sessions):
        day = FIRST_DAY + timedelta(days=i % DAYS)
        start = datetime(
            day.year,
            day.month,
            day.day,
            8 + rng.randrange(12),
            rng.choice((0, 15, 30, 45)),
            tzinfo=TZ,
        )
        sessions.append(
            Session(
                id=f"s{i:05d}",
                title=f"{rng.choice(ADJECTIVES).title()} {rng.choice(NOUNS)} project{i:05d}",
                start=start,
                end=start + timedelta(minutes=rng.choice((30, 60, 90, 120))),
                venue=rng.choice(list(venues)),
                track=f"Stream {rng.randrange(25)}",
                hosts=(f"Collective {rng.randrange(300)}",),
                format=rng.choice(("workshop", "talk", "walk", "meal")),
                description=" ".join(rng.choices(NOUNS + ADJECTIVES, k=12)),
            )
        )
    event = Event("big", "Big Gathering", "America/Montreal", language="en")
    days = tuple(Day(FIRST_DAY + timedelta(days=d)) for d in range(DAYS))
    return Programme(event, days, venues, {s.id: s for s in sessions})


@pytest.fixture(scope="module")
def big() -> Programme:
    return build()


def test_the_index_is_built_once_per_programme_version(big: Programme) -> None:
    assert index_for(big) is index_for(big)
    answer(big, "now", at=datetime(2030, 6, 5, 10, tzinfo=TZ))
    assert index_for(big) is index_for(big)


def test_a_unique_word_finds_its_one_session(big: Programme) -> None:
    reply = answer(big, "where is project04242?", at=datetime(2030, 6, 5, 10, tzinfo=TZ))
    assert reply.session_ids == ("s04242",)
    session = big.sessions["s04242"]
    assert big.venues[session.venue or ""].address in reply.render("text")


def test_now_is_what_is_running_cut_to_a_few(big: Programme) -> None:
    moment = datetime(2030, 6, 12, 11, 20, tzinfo=TZ)
    running = sorted(
        (s for s in big.sessions.values() if s.start <= moment < s.end),
        key=lambda s: (s.start, s.end, s.id),
    )
    assert len(running) > MAX_LINES
    reply = answer(big, "/now", at=moment)
    assert reply.session_ids == tuple(s.id for s in running[:MAX_LINES])
    assert f"and {len(running) - MAX_LINES} more" in reply.render("text")


def test_a_venue_on_a_day_lists_only_that(big: Programme) -> None:
    venue = big.venues["hall-17"]
    moment = datetime(2030, 6, 20, 7, tzinfo=TZ)
    reply = answer(big, f"what's on at {venue.name} tomorrow?", at=moment)
    expected = sorted(
        (s for s in big.sessions.values() if s.venue == venue.id and s.start.date() == date(2030, 6, 21)),
        key=lambda s: (s.start, s.end, s.id),
    )
    assert expected
    assert reply.session_ids == tuple(s.id for s in expected[:MAX_LINES])


def test_a_host_lists_its_sessions_and_never_the_whole_programme(big: Programme) -> None:
    reply = answer(big, "sessions by Collective 123", at=datetime(2030, 6, 1, 9, tzinfo=TZ))
    hosted = {s.id for s in big.sessions.values() if "Collective 123" in s.hosts}
    assert set(reply.session_ids) <= hosted
    assert len(reply.session_ids) == min(MAX_LINES, len(hosted))
    for question in ("workshop", "the", "a", "/programme", "/search river", "stream 3"):
        assert len(answer(big, question, at=datetime(2030, 6, 1, 9, tzinfo=TZ)).session_ids) <= MAX_LINES
