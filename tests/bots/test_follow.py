"""Reminders 15 minutes before a followed session, and messages when it changes.

Time is a :class:`ManualClock`: the tests move it, nothing sleeps.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bots.follow import (
    ChangeNotice,
    Reminders,
    change_notices,
    due_reminders,
)
from sync.announce import diff_versions
from sync.chat import Outgoing
from sync.model import Programme
from tests.bots.conftest import paris
from tests.doubles.bots import ManualClock, MemoryFollowStore

PERSON, CHAT = "7", "7"


def _edit(programme: Programme, session_id: str, **changes: object) -> Programme:
    edited = programme.sessions[session_id].with_fields(changes)
    return programme.with_sessions(edited if s.id == session_id else s for s in programme.sessions.values())


class Harness:
    """A follow store with one person following one session, and reminders on a manual clock."""

    def __init__(self, programme: Programme, session_id: str = "atelier-culture-juridique") -> None:
        self.programme = programme
        self.store = MemoryFollowStore()
        self.store.remember_contact("telegram", PERSON, CHAT)
        self.store.follow("telegram", PERSON, session_id, "fr")
        self.clock = ManualClock(paris("2021-11-13T11:00"))
        self.sent: list[Outgoing] = []
        self.failures = 0
        self.reminders = Reminders(self.store, lambda: self.programme, self.send, self.clock)

    async def send(self, message: Outgoing) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("chat unreachable")
        self.sent.append(message)

    async def at(self, when: str) -> list[Outgoing]:
        self.clock.current = paris(when)
        return await self.reminders.tick()


async def test_a_reminder_fires_fifteen_minutes_before_and_once(programme: Programme) -> None:
    h = Harness(programme)
    assert await h.at("2021-11-13T13:44") == []
    fired = await h.at("2021-11-13T13:45")
    assert [(m.channel, m.chat) for m in fired] == [("telegram", CHAT)]
    text = fired[0].message.render("text")
    assert text == ("Dans 15 minutes\n• Culture juridique · 14 h – 16 h 30 · Les 8 Pillards, 13014 Marseille")
    assert await h.at("2021-11-13T13:50") == []
    assert await h.at("2021-11-13T14:05") == []
    assert len(h.sent) == 1


async def test_a_late_tick_never_reminds_a_session_already_started(programme: Programme) -> None:
    h = Harness(programme)
    assert await h.at("2021-11-13T14:00") == []
    assert await h.at("2021-11-13T14:01") == []


async def test_a_moved_session_is_reminded_at_its_new_time(programme: Programme) -> None:
    h = Harness(programme)
    assert len(await h.at("2021-11-13T13:45")) == 1
    h.programme = _edit(
        programme,
        "atelier-culture-juridique",
        start="2021-11-13T15:00:00+01:00",
        end="2021-11-13T16:00:00+01:00",
    )
    assert await h.at("2021-11-13T14:30") == []
    again = await h.at("2021-11-13T14:46")
    assert "15 h – 16 h" in again[0].message.render("text")


async def test_a_cancelled_session_is_not_reminded(programme: Programme) -> None:
    h = Harness(programme)
    h.programme = _edit(programme, "atelier-culture-juridique", status="cancelled")
    assert await h.at("2021-11-13T13:50") == []


async def test_a_failed_send_is_retried_while_still_due(programme: Programme) -> None:
    h = Harness(programme)
    h.failures = 1
    assert await h.at("2021-11-13T13:46") == []
    retried = await h.at("2021-11-13T13:47")
    assert len(retried) == 1 and len(h.sent) == 1


async def test_english_followers_get_english_reminders(programme: Programme) -> None:
    h = Harness(programme)
    h.store.follow("telegram", PERSON, "atelier-culture-juridique", "en")
    fired = await h.at("2021-11-13T13:50")
    assert fired[0].message.render("html") == (
        "<b>In 15 minutes</b>\n• <b>Culture juridique</b> · 14:00 – 16:30 · Les 8 Pillards, 13014 Marseille"
    )


async def test_nobody_is_written_to_who_never_wrote_first(programme: Programme) -> None:
    h = Harness(programme)
    h.store.follow("signal", "+33600000001", "atelier-culture-juridique", "fr")  # no private contact
    fired = await h.at("2021-11-13T13:50")
    assert [(m.channel, m.chat) for m in fired] == [("telegram", CHAT)]


async def test_the_loop_wakes_up_exactly_when_a_reminder_is_due(programme: Programme) -> None:
    h = Harness(programme)
    stop = asyncio.Event()

    async def send_and_stop(message: Outgoing) -> None:
        h.sent.append(message)
        stop.set()

    h.reminders.send = send_and_stop
    assert h.reminders.next_due() == paris("2021-11-13T13:45")
    await asyncio.wait_for(h.reminders.run(stop, max_sleep=3600), timeout=5)
    assert h.clock.now() == paris("2021-11-13T13:45")
    assert len(h.sent) == 1


def test_due_reminders_look_only_at_the_next_minutes(programme: Programme) -> None:
    store = MemoryFollowStore()
    for session_id in programme.sessions:
        store.follow("telegram", PERSON, session_id, "fr")
    due = due_reminders(programme, store, paris("2021-11-12T09:50"), timedelta(minutes=15))
    assert sorted(s.id for _, s in due) == [
        "prendre-soin-air-bel",
        "prendre-soin-bonneveine",
        "prendre-soin-cho3",
        "prendre-soin-font-vert",
        "prendre-soin-malpasse",
        "prendre-soin-spinelly",
    ]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_followers_hear_of_changes_to_their_sessions(programme: Programme, lang: str) -> None:
    store = MemoryFollowStore()
    store.remember_contact("telegram", PERSON, CHAT)
    store.follow("telegram", PERSON, "atelier-culture-juridique", lang)
    store.follow("telegram", PERSON, "restitution", lang)
    moved = _edit(
        programme,
        "atelier-culture-juridique",
        start="2021-11-13T15:00:00+01:00",
        end="2021-11-13T17:30:00+01:00",
    )
    before = {k: s.to_record() for k, s in programme.sessions.items()}
    after = {k: s.to_record() for k, s in moved.sessions.items()}
    del after["restitution"]
    notices = change_notices(diff_versions(before, after), store, programme.venues)
    texts = sorted(n.message.render("text") for n in notices)
    assert all(isinstance(n.message, ChangeNotice) and n.chat == CHAT for n in notices)
    if lang == "fr":
        assert texts == [
            "Un rendez-vous que vous suivez change\nCulture juridique : déplacé de 14 h à 15 h",
            "Un rendez-vous que vous suivez change\nRetiré du programme : "
            "Prendre soin des communs : la restitution (vendredi 12 novembre, 15 h 30)",
        ]
    else:
        assert "A session you follow has changed\nCulture juridique: moved from 14:00 to 15:00" in texts
    assert store.following("telegram", PERSON) == ["atelier-culture-juridique"]
