"""How fast the bots answer: ``python -m bots.bench`` on a generated 10,000-session programme.

The target is an answer in under 50 ms for 99 questions in 100, in process, on the project's
2-core machines. This is a command, not a test: timings vary with the machine's load, and a
test that fails on a busy machine teaches nothing. It prints the percentiles and the slowest
questions, and exits 1 when the p99 is over the target (so a release check can call it).

The programme is made up (made-up code words as titles, so every question names something
real); the questions mix every kind the bots take: relations to a session, whole days and
parts of days, clock times, typos, status and change questions, follow-ups.
"""

from __future__ import annotations

import random
import statistics
import sys
import time as clock
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bots.answering import answer
from bots.index import index_for
from bots.memory import Context
from bots.messages import say
from sync.model import Day, Event, Programme, Session, Venue

TARGET_MS = 50.0
SYLLABLES = ("ba", "ko", "ri", "mu", "te", "lo", "vi", "sa", "du", "ne", "pa", "zo", "fi", "gu")
FORMATS = ("Atelier", "Table ronde", "Conférence", "Balade", "Projection", "Déjeuner")
TOPICS = ("des semences", "du logement", "de l'eau", "des archives", "du code", "des jardins", "de la santé")
ZONE = "Europe/Paris"


def _word(rng: random.Random, taken: set[str]) -> str:
    while True:
        word = "".join(rng.choice(SYLLABLES) for _ in range(4))
        if word not in taken:
            taken.add(word)
            return word


def synthetic_programme(n_sessions: int = 10_000, *, per_day: int = 250, seed: int = 7) -> Programme:
    """A programme of ``n_sessions`` spread over as many days as ``per_day`` asks."""
    rng = random.Random(seed)
    tz = ZoneInfo(ZONE)
    days = max(1, n_sessions // per_day)
    first = date(2032, 5, 3)
    taken: set[str] = set()
    venues = {
        f"v{v}": Venue(f"v{v}", f"Maison {_word(rng, taken).title()}", f"{v + 1} rue Haute, Paris") for v in range(80)
    }
    sessions = []
    for i in range(n_sessions):
        day = first + timedelta(days=i % days)
        start = datetime(day.year, day.month, day.day, 8 + rng.randrange(13), rng.choice((0, 30)), tzinfo=tz)
        sessions.append(
            Session(
                id=f"s{i:05d}",
                title=f"{rng.choice(FORMATS)} {rng.choice(TOPICS)} {_word(rng, taken).capitalize()}",
                start=start,
                end=start + timedelta(minutes=rng.choice((60, 90, 120))),
                venue=rng.choice(list(venues)),
                hosts=(f"Collectif {_word(rng, taken).capitalize()}",),
                status="cancelled" if i % 97 == 13 else "tentative" if i % 89 == 7 else "scheduled",
            )
        )
    event = Event("bench", "Banc d'essai", ZONE, language="fr")
    return Programme(
        event, tuple(Day(first + timedelta(days=d)) for d in range(days)), venues, {s.id: s for s in sessions}
    )


def questions(programme: Programme, count: int, *, seed: int = 3) -> list[tuple[str, tuple[str, ...]]]:
    """``count`` questions (with the questions asked before them, for follow-ups)."""
    rng = random.Random(seed)
    ordered = programme.sorted_sessions()
    out: list[tuple[str, tuple[str, ...]]] = []
    while len(out) < count:
        x = rng.choice(ordered)
        code = x.title.split()[-1]
        out += [
            (f"Qu'est-ce qu'il y a après {code} ?", ()),
            (f"what's on at the same time as {code}?", ()),
            (f"juste avant {code.lower()}", ()),
            (f"où est {code[:-1]} ?", ()),
            ("et après ?", (f"quand est {code} ?",)),
            ("who is it?", (f"where is {code}",)),
            ("aujourd'hui", ()),
            ("demain soir", ()),
            ("what's on after lunch tomorrow?", ()),
            ("is anything cancelled?", ()),
            ("qu'est-ce qui a changé depuis hier ?", ()),
            ("samedi à 15 h", ()),
            ("/maintenant", ()),
            ("ateliers des semences", ()),
            ("quelle est la recette de la ratatouille ?", ()),
        ]
    return out[:count]


def measure(programme: Programme, asked: Sequence[tuple[str, tuple[str, ...]]]) -> list[tuple[float, str]]:
    """Milliseconds per question (the last one of each conversation), slowest first."""
    at = programme.sorted_sessions()[len(programme.sessions) // 3].start
    timings: list[tuple[float, str]] = []
    for question, before in asked:
        context: Context | None = None
        for earlier in before:
            context = Context.of(answer(programme, earlier, at=at, changes=lambda since: ())) or context
        started = clock.perf_counter()
        answer(programme, question, at=at, context=context, changes=lambda since: ()).render("html")
        timings.append(((clock.perf_counter() - started) * 1000, question))
    return sorted(timings, reverse=True)


def main(argv: Sequence[str] = ()) -> int:
    sessions = int(argv[0]) if argv else 10_000
    lang = "fr"
    programme = synthetic_programme(sessions)
    started = clock.perf_counter()
    index_for(programme)
    built = (clock.perf_counter() - started) * 1000
    asked = questions(programme, 1_500)
    measure(programme, asked[:100])  # warm the word caches, as a running bot has them
    timings = measure(programme, asked)
    values = sorted(t for t, _ in timings)
    p50, p99 = statistics.median(values), values[int(len(values) * 0.99) - 1]
    print(say("bench.index", lang, sessions=str(sessions), ms=f"{built:.0f}"))
    print(
        say("bench.result", lang, count=str(len(values)), p50=f"{p50:.1f}", p99=f"{p99:.1f}", max=f"{values[-1]:.1f}")
    )
    for ms, question in timings[:5]:
        print(f"  {ms:6.1f} ms  {question}")
    ok = p99 < TARGET_MS
    print(say("bench.ok" if ok else "bench.slow", lang, target=f"{TARGET_MS:.0f}"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
