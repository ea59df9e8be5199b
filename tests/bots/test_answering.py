"""Behaviour around the table: live programme versions, cancellations, languages, parsing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bots import answer
from bots.query import parse
from bots.text import detect_language
from sync.model import Programme
from tests.bots.conftest import paris

AT = paris("2021-11-13T11:00")
EVENT_DAYS = [date(2021, 11, 12), date(2021, 11, 13), date(2021, 11, 14)]


def _edit(programme: Programme, session_id: str, **changes: object) -> Programme:
    edited = programme.sessions[session_id].with_fields(changes)
    return programme.with_sessions(edited if s.id == session_id else s for s in programme.sessions.values())


def test_answers_follow_the_programme_version_they_are_given(programme: Programme) -> None:
    question = "c'est où l'atelier culture juridique ?"
    assert "Les 8 Pillards" in answer(programme, question, at=AT).render()
    moved = _edit(
        programme,
        "atelier-culture-juridique",
        venue="friche-belle-de-mai",
        start="2021-11-14T15:00:00+01:00",
        end="2021-11-14T16:00:00+01:00",
    )
    text = answer(moved, question, at=AT).render()
    assert "dimanche 14 novembre, 15 h – 16 h · Friche la Belle de Mai, 41 rue Jobin" in text
    assert "Les 8 Pillards" not in text
    # and the old version still answers as it was (each version has its own index)
    assert "Les 8 Pillards" in answer(programme, question, at=AT).render()


def test_a_cancelled_session_is_said_cancelled_and_never_next(programme: Programme) -> None:
    cancelled = _edit(programme, "restitution", status="cancelled")
    fri_noon = paris("2021-11-12T12:00")
    assert answer(cancelled, "/ensuite", at=fri_noon).session_ids == ("fishbowl-anthropocene",)
    assert answer(cancelled, "/next", at=fri_noon, lang="en").session_ids == ("fishbowl-anthropocene",)
    when = answer(cancelled, "quand est la restitution ?", at=fri_noon)
    assert when.session_ids == ("restitution",)
    assert "(annulé)" in when.render()
    assert "(cancelled)" in answer(cancelled, "when is the restitution?", at=fri_noon).render()
    during = answer(cancelled, "/now", at=paris("2021-11-12T16:00"), lang="en")
    assert "restitution" not in during.session_ids


def test_a_naive_moment_is_taken_in_the_event_zone(programme: Programme) -> None:
    naive = datetime(2021, 11, 13, 11, 0)  # noqa: DTZ001 - a naive time is what is tested
    utc = datetime(2021, 11, 13, 10, 0, tzinfo=UTC)  # the same instant as AT
    expected = answer(programme, "/now", at=AT).session_ids
    assert answer(programme, "/now", at=naive).session_ids == expected
    assert answer(programme, "/now", at=utc).session_ids == expected


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("c'est où l'atelier ?", "fr"),
        ("qu'est-ce qui se passe demain ?", "fr"),
        ("what's next?", "en"),
        ("where is Hôtel du Nord's walk", "en"),
        ("sessions by Hôtel du Nord", "en"),
        ("quand est le fishbowl", "fr"),
        ("Clôture", None),
    ],
)
def test_language_is_read_from_the_question(question: str, lang: str | None) -> None:
    names = {"hotel", "nord", "cloture", "fishbowl"}
    assert detect_language(question, lambda word: word in names) == lang


def test_the_event_language_answers_what_cannot_be_told(programme: Programme) -> None:
    assert answer(programme, "Clôture", at=AT).lang == programme.event.language


@pytest.mark.parametrize(
    ("question", "day", "clock", "part"),
    [
        ("à 11h30 vendredi", date(2021, 11, 12), time(11, 30), None),
        ("vendredi à 11 h 30", date(2021, 11, 12), time(11, 30), None),
        ("saturday at 2pm", date(2021, 11, 13), time(14, 0), None),
        ("sunday 9:45", date(2021, 11, 14), time(9, 45), None),
        ("demain après-midi", date(2021, 11, 14), None, "afternoon"),
        ("ce soir", date(2021, 11, 13), None, "evening"),
        ("le 12 au matin", date(2021, 11, 12), None, "morning"),
        ("12 novembre à midi", date(2021, 11, 12), time(12, 0), None),
        ("November 14th", date(2021, 11, 14), None, None),
        ("14/11 à 10h", date(2021, 11, 14), time(10, 0), None),
        ("après-demain", date(2021, 11, 15), None, None),
        ("samdi matin", date(2021, 11, 13), None, "morning"),
    ],
)
def test_dates_and_times_are_read_the_way_people_say_them(
    question: str, day: date, clock: time | None, part: str | None
) -> None:
    query = parse(question, today=date(2021, 11, 13), event_days=EVENT_DAYS)
    assert (query.day, query.clock, query.part) == (day, clock, part)


def test_a_number_in_a_name_is_not_a_time() -> None:
    query = parse("où est la rencontre 14 ?", today=date(2021, 11, 13), event_days=EVENT_DAYS)
    assert query.day is None and query.clock is None
    assert query.terms == ["rencontre", "14"]
    pillards = parse("c'est où le 8 pillards ?", today=date(2021, 11, 13), event_days=EVENT_DAYS)
    assert pillards.day is None
    assert pillards.terms == ["8", "pillards"]


def test_a_programme_word_is_never_read_as_a_typo_of_a_keyword() -> None:
    """'soin' is one letter from 'soir': in a programme that says 'soin', it stays 'soin'."""
    query = parse(
        "prendre soin",
        today=date(2021, 11, 13),
        event_days=EVENT_DAYS,
        is_vocabulary={"soin"}.__contains__,
    )
    assert query.part is None
    assert "soin" in query.terms


def test_commands_addressed_to_the_bot_by_name(programme: Programme) -> None:
    assert answer(programme, "/ensuite@hub_bot", at=AT).session_ids == answer(programme, "/ensuite", at=AT).session_ids
    where = answer(programme, "/ou@hub_bot culture juridique", at=AT)
    assert where.session_ids == ("atelier-culture-juridique",)
