"""The follow store contract, on memory, SQLite and the real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from bots.follow import FollowStore, Reminders
from bots.store import SqlFollowStore, create_tables
from sync.chat import Outgoing
from sync.model import Programme
from tests.bots.conftest import paris
from tests.doubles.bots import ManualClock, MemoryFollowStore
from tests.engine.conftest import postgres_url  # noqa: F401 - the fixture, used by name


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FollowStore]:
    if request.param == "memory":
        yield MemoryFollowStore()
        return
    url = f"sqlite:///{tmp_path}/hub.db" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    create_tables(engine)
    yield SqlFollowStore(engine)
    engine.dispose()


def test_follow_and_unfollow(store: FollowStore) -> None:
    assert store.follow("telegram", "7", "restitution", "fr") is True
    assert store.follow("telegram", "7", "restitution", "en") is False
    store.follow("telegram", "7", "fishbowl-anthropocene", "fr")
    store.follow("signal", "+336", "restitution", "fr")
    assert store.following("telegram", "7") == ["fishbowl-anthropocene", "restitution"]
    assert [(f.channel, f.person, f.lang) for f in store.followers(["restitution"])] == [
        ("signal", "+336", "fr"),
        ("telegram", "7", "en"),
    ]
    assert store.followed_ids() == {"restitution", "fishbowl-anthropocene"}
    assert store.unfollow("telegram", "7", "restitution") == ["restitution"]
    assert store.unfollow("telegram", "7") == ["fishbowl-anthropocene"]
    assert store.following("telegram", "7") == []
    assert store.followers([]) == []


def test_a_reminder_is_claimed_once_per_start(store: FollowStore) -> None:
    store.follow("telegram", "7", "restitution", "fr")
    (follow,) = store.followers(["restitution"])
    assert store.claim_reminder(follow, "2021-11-12T15:30:00+01:00") is True
    assert store.claim_reminder(follow, "2021-11-12T15:30:00+01:00") is False
    store.release_reminder(follow, "2021-11-12T15:30:00+01:00")
    assert store.claim_reminder(follow, "2021-11-12T15:30:00+01:00") is True
    assert store.claim_reminder(follow, "2021-11-12T16:00:00+01:00") is True  # moved: remind again
    (after,) = store.followers(["restitution"])
    assert after.reminded_start == "2021-11-12T16:00:00+01:00"


def test_contacts(store: FollowStore) -> None:
    assert store.private_chat("telegram", "7") is None
    store.remember_contact("telegram", "7", "7")
    store.remember_contact("talk", "ana", "room-1")
    store.remember_contact("talk", "ana", "room-2")
    assert store.private_chat("telegram", "7") == "7"
    assert store.private_chat("talk", "ana") == "room-2"
    assert store.private_chat("signal", "7") is None


async def test_two_bots_on_one_store_send_one_reminder(store: FollowStore, programme: Programme) -> None:
    store.remember_contact("telegram", "7", "7")
    store.follow("telegram", "7", "restitution", "fr")
    sent: list[Outgoing] = []

    async def send(message: Outgoing) -> None:
        sent.append(message)

    clock = ManualClock(paris("2021-11-12T15:20"))
    first = Reminders(store, lambda: programme, send, clock)
    second = Reminders(store, lambda: programme, send, clock)
    await first.tick()
    await second.tick()
    assert len(sent) == 1
