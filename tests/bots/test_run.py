"""``hub bots`` as a whole: from a configuration file to answers in a (fake) Telegram group,
admin syncs from the chat, and answers that follow the programme as the latest sync left it."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bots.run import run_bots, watch_changes
from hub.runtime import announcing_connectors, load_settings, sync_once
from sync.chat import Outgoing
from sync.programme_reader import load_programme
from sync.protocol import RequestCounter
from sync.state import StateStore
from tests.bots.conftest import REFERENCE, paris
from tests.doubles.bots import ManualClock, MemoryFollowStore
from tests.fakes.telegram import FakeTelegram

GROUP, ADMIN, MEMBER = -1001, 42, 7


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram().running() as tg:
        for chat in (GROUP, ADMIN, MEMBER):
            tg.add_chat(chat)
        yield tg


def _config(tmp_path: Path, fake: FakeTelegram) -> Path:
    shutil.copy(REFERENCE, tmp_path / "programme.yaml")
    path = tmp_path / "hub.toml"
    path.write_text(
        f"""
[hub]
programme = "programme.yaml"
database = "sqlite:///state/hub.db"
language = "fr"

[connectors.telegram]
type = "telegram"
api_url = "{fake.url}"
token = "{fake.token}"
chats = [{GROUP}]
admins = [{ADMIN}]
pace_seconds = 0
board = false
""",
        encoding="utf-8",
    )
    return path


async def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        await asyncio.sleep(0.05)


async def test_bots_from_a_configuration(fake: FakeTelegram, tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path, fake), environ={})
    stop = asyncio.Event()
    chats = announcing_connectors(settings, RequestCounter())
    running = asyncio.create_task(run_bots(settings, stop, connectors=chats, run_sync=lambda: sync_once(settings)))
    texts = lambda chat: [m.text for m in fake.messages(chat)]  # noqa: E731
    try:
        fake.inject_message(GROUP, "/ou la clôture", user_id=MEMBER)
        await _until(lambda: len(texts(GROUP)) == 1, "the first answer")
        assert "Les 8 Pillards, 13014 Marseille" in texts(GROUP)[0]

        fake.inject_message(GROUP, "/sync", user_id=MEMBER)
        fake.inject_message(GROUP, "/sync", user_id=ADMIN)
        await _until(lambda: len(texts(GROUP)) == 3, "the sync replies")
        assert texts(GROUP)[1] == "Désolé, cette commande est réservée aux organisateurs."
        assert texts(GROUP)[2].startswith("Synchronisation faite : 22 changement(s), 0 échec(s)")

        programme = tmp_path / "programme.yaml"
        programme.write_text(
            programme.read_text(encoding="utf-8").replace(
                "    end: 2021-11-13T19:00\n    venue: huit-pillards", "    end: 2021-11-13T19:00\n    venue: apres-m"
            ),
            encoding="utf-8",
        )
        fake.inject_message(GROUP, "/ou la clôture", user_id=MEMBER)  # edited, not synced yet
        fake.inject_message(GROUP, "/sync", user_id=ADMIN)
        fake.inject_message(GROUP, "/ou la clôture", user_id=MEMBER)
        await _until(lambda: len(texts(GROUP)) == 7, "the answers around the second sync")
        before, announced, synced, after = texts(GROUP)[3:]
        assert "Les 8 Pillards" in before
        assert announced.startswith("Changements au programme\n• Clôture")  # the engine's news
        assert synced.startswith("Synchronisation faite : 1 changement(s)")
        assert "L'Après M, 214 chemin de Sainte-Marthe" in after
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=30)


async def test_followers_hear_of_changes_published_by_any_sync(tmp_path: Path) -> None:
    programme = load_programme(REFERENCE)
    store = StateStore.open(f"sqlite:///{tmp_path}/hub.db")
    records = {key: s.to_record() for key, s in programme.sessions.items()}
    with store.transaction() as conn:
        store.publish(conn, records)
    follows = MemoryFollowStore()
    follows.remember_contact("telegram", "7", "7")
    follows.follow("telegram", "7", "atelier-culture-juridique", "en")
    sent: list[Outgoing] = []

    async def send(message: Outgoing) -> None:
        sent.append(message)

    stop = asyncio.Event()
    watching = asyncio.create_task(
        watch_changes(store, lambda: programme, follows, send, stop, ManualClock(paris("2021-11-13T09:00")))
    )
    await asyncio.sleep(0.05)
    assert sent == []
    moved = dict(records["atelier-culture-juridique"], venue="apres-m")
    with store.transaction() as conn:  # what a sync in another process does when it publishes
        store.publish(conn, {"atelier-culture-juridique": moved, "restitution": None})
    await _until(lambda: len(sent) == 1, "the change notice")
    stop.set()
    await asyncio.wait_for(watching, timeout=10)
    store.close()
    assert sent[0].chat == "7"
    assert sent[0].message.render("text") == ("A session you follow has changed\nCulture juridique: now at L'Après M")
