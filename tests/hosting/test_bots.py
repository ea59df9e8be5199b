"""Chat bots in hosting mode: each collective's Telegram webhook routed by collective to a
worker's bot, answered from that collective's programme in that collective's chat.

Two collectives with different programmes, bot tokens (two Telegram fakes) and webhook secrets;
one hosting daemon and one worker with one slot for syncs and one for answers (real child
processes, the machine's PostgreSQL). A question reaches the right bot and nowhere else; a
request with another collective's secret is refused and queues nothing; a paused collective does
not answer; an answer goes out while the same collective's sync is stuck sending.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hub.hosting.bots import bot_counts
from hub.hosting.registry import Registry
from tests.fakes.loopback import free_port
from tests.fakes.telegram import FakeTelegram
from tests.helpers import REPO, edit_programme, write_config
from tests.hosting.conftest import Process, new_database, wait_for


@dataclass
class Chat:
    """One collective of the test: its bot (a fake of its own), chat, secret and session title."""

    id: str
    folder: Path
    telegram: FakeTelegram
    chat: int
    secret: str
    title: str

    def answers(self, since: int = 0) -> list[str]:
        return [m.text for m in self.telegram.messages(self.chat)[since:]]


def make(root: Path, collective: str, telegram: FakeTelegram, chat: int, title: str) -> Chat:
    folder = root / collective
    (folder / "secrets").mkdir(parents=True)
    secret = f"hook_{secrets.token_hex(12)}"
    (folder / "secrets" / "telegram").write_text(telegram.token + "\n")
    (folder / "secrets" / "webhook").write_text(secret + "\n")
    telegram.add_chat(chat, title=collective)
    write_config(folder, f"""
[daemon]
probe_interval = 1

[connectors.exports]
type = "files"
path = "public"

[connectors.telegram]
type = "telegram"
api_url = "{telegram.url}"
token_file = "secrets/telegram"
chats = [{chat}]
pace_seconds = 0
webhook_secret_file = "secrets/webhook"
""", database="sqlite:///unused-when-hosted.db")
    edit_programme(folder, "accueil-meteo", title=title)
    return Chat(collective, folder, telegram, chat, secret, title)


@dataclass
class World:
    url: str
    base: str
    one: Chat
    two: Chat
    registry: Registry
    daemon: Process
    worker: Process

    def logs(self) -> str:
        return self.daemon.text()[-3000:] + "\n" + self.worker.text()[-5000:]

    def wait(self, condition: Any, timeout: float, what: str) -> None:
        wait_for(condition, timeout, what, self.logs)

    def post(self, collective: str, update: dict[str, Any], secret: str) -> httpx.Response:
        return httpx.post(f"{self.base}/webhooks/{collective}/telegram", content=json.dumps(update).encode(),
                          headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret},
                          timeout=10)

    def handled(self, collective: str) -> int:
        with self.registry.engine.connect() as conn:
            found = conn.execute(select(bot_counts.c.updates).where(bot_counts.c.collective == collective)).scalar()
        return int(found or 0)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("hosted-bots")
    first = FakeTelegram(token="111111:AAFirstCollectiveBotToken000000000", username="ateliers_bot")
    second = FakeTelegram(token="222222:AASecondCollectiveBotToken00000000", username="tiers_lieu_bot")
    with first.running(), second.running(), new_database() as url:
        one = make(root, "ateliers", first, -1001, "Atelier Aubépine")
        two = make(root, "tiers_lieu", second, -1002, "Atelier Bruyère")
        registry = Registry(url)
        for hosted in (one, two):
            registry.add(hosted.id, hosted.folder / "hub.toml")
        port = free_port()
        daemon = Process(["daemon", "--hosting", "--listen", f"127.0.0.1:{port}"], url, root / "daemon.log").start()
        worker = Process(["worker", "--concurrency", "1", "--bots", "1", "--stalled-after", "3"], url,
                         root / "worker.log").start()
        world = World(url, f"http://127.0.0.1:{port}", one, two, registry, daemon, worker)
        try:
            world.wait(lambda: all(r.last_result == "ok" for r in registry.all()), 60, "the first syncs")
            yield world
        finally:
            for process in (worker, daemon):
                if process.alive():
                    process.stop()
            registry.close()


def question(chat: Chat, text: str) -> dict[str, Any]:
    """A question to the collective's bot in its group (a mention), as Telegram pushes it (built by
    the collective's fake, as getUpdates would give it)."""
    return chat.telegram.inject_message(chat.chat, f"@{chat.telegram.bot['username']} {text}", user_id=77)


def test_the_webhook_command_points_each_bot_at_its_collectives_path(world: World) -> None:
    for chat in (world.one, world.two):
        done = subprocess.run([sys.executable, "-m", "hub", "collective", "webhooks", chat.id, "--base-url",
                               world.base + "/"], cwd=REPO, capture_output=True, text=True, timeout=60,
                              env={**os.environ, "HUB_HOSTING_DATABASE": world.url, "HUB_LANGUAGE": "en"})
        assert done.returncode == 0, done.stderr
        assert chat.telegram.webhook == {"url": f"{world.base}/webhooks/{chat.id}/telegram",
                                         "secret_token": chat.secret}
        assert chat.secret not in done.stdout + done.stderr


def test_each_question_is_answered_from_its_own_programme_in_its_own_chat(world: World) -> None:
    one, two = world.one, world.two
    before = {c.id: len(c.answers()) for c in (one, two)}
    assert world.post(one.id, question(one, "c'est où Aubépine ?"), one.secret).status_code == 200
    assert world.post(two.id, question(two, "c'est où Bruyère ?"), two.secret).status_code == 200
    world.wait(lambda: len(one.answers(before[one.id])) == 1 and len(two.answers(before[two.id])) == 1, 30,
               "both answers")
    assert one.title in one.answers(before[one.id])[0]
    assert two.title in two.answers(before[two.id])[0]
    # each programme is its own: the other collective's session is unknown there
    assert world.post(one.id, question(one, "c'est où Bruyère ?"), one.secret).status_code == 200
    world.wait(lambda: len(one.answers(before[one.id])) == 2, 30, "the answer about another's session")
    assert two.title not in one.answers(before[one.id])[1]
    assert len(two.answers(before[two.id])) == 1, "nothing went to the other collective's chat"

    body = world.daemon.text() + world.worker.text()
    assert one.secret not in body and two.secret not in body


def test_another_collectives_secret_is_refused_and_queues_nothing(world: World) -> None:
    one, two = world.one, world.two
    before, handled = len(one.answers()), world.handled(one.id)
    refused = world.post(one.id, question(one, "c'est où Aubépine ?"), two.secret)
    assert refused.status_code == 403
    assert world.post(one.id, question(one, "c'est où Aubépine ?"), "").status_code == 403
    assert world.post("nobody", question(one, "c'est où Aubépine ?"), one.secret).status_code == 404
    huge = question(one, "c'est où Aubépine ? " + "x" * 70_000)  # past the size a job may carry
    assert world.post(one.id, huge, one.secret).status_code == 413
    # the next good question is answered alone: the refused ones were never queued before it
    assert world.post(one.id, question(one, "c'est quand Aubépine ?"), one.secret).status_code == 200
    world.wait(lambda: world.handled(one.id) == handled + 1, 30, "the good question handled")
    world.wait(lambda: len(one.answers(before)) == 1, 30, "its answer")
    metrics = httpx.get(f"{world.base}/metrics", timeout=10).text
    assert f'hub_collective_chat_webhooks_total{{collective="{one.id}",kind="telegram",status="403"}} 2' in metrics
    assert f'hub_collective_bot_updates_total{{collective="{one.id}"}} {handled + 1}' in metrics
    assert f'hub_collective_bot_replies_total{{collective="{one.id}"}}' in metrics


def test_a_paused_collective_does_not_answer(world: World) -> None:
    two = world.two
    before = len(two.answers())
    world.registry.set_paused(two.id, True)
    try:
        response = world.post(two.id, question(two, "c'est où Bruyère ?"), two.secret)
        assert response.status_code == 200 and response.json() == {"queued": False, "paused": True}
    finally:
        world.registry.set_paused(two.id, False)
    # answers keep their order: a question after the pause is answered, and it alone
    assert world.post(two.id, question(two, "c'est quand Bruyère ?"), two.secret).status_code == 200
    world.wait(lambda: len(two.answers(before)) >= 1, 30, "the answer after the pause")
    assert len(two.answers(before)) == 1


def test_an_answer_does_not_wait_for_the_same_collectives_sync(world: World) -> None:
    one = world.one
    syncs = world.registry.get(one.id).syncs
    announcements = len(one.telegram.sends(one.chat))
    held = one.telegram.hold("sendMessage", chat_id=one.chat)
    edit_programme(one.folder, "accueil-meteo", start="2021-11-12T09:15")
    try:
        assert held.wait(30), f"the worker's sync is sending the announcement\n{world.logs()}"
        before = len(one.answers())
        assert world.post(one.id, question(one, "c'est où Aubépine ?"), one.secret).status_code == 200
        world.wait(lambda: any(one.title in text for text in one.answers(before)), 30,
                   "the answer, while the sync waits on Telegram")
        assert world.registry.get(one.id).syncs == syncs, "the sync was still running"
    finally:
        one.telegram.release()
    world.wait(lambda: world.registry.get(one.id).syncs > syncs, 30, "the sync done after the release")
    assert len(one.telegram.sends(one.chat)) > announcements


def test_a_talk_bots_signed_message_is_answered_in_its_room(world: World, tmp_path: Path) -> None:
    """A collective added while the daemon and worker run, whose Nextcloud section only chats, with
    a Talk webhook bot: its signed messages are answered in its room; a forged one is not."""
    from tests.daemon.test_webhooks import ROOM, TALK_SECRET, answers, created, signed, talk_bot_section
    from tests.fakes.talk import FakeTalk

    with FakeTalk().running() as talk:
        talk.add_room(ROOM, "Assemblée")
        config = write_config(tmp_path, talk_bot_section(tmp_path, talk), database="sqlite:///unused-when-hosted.db")
        world.registry.add("nuage", config)
        try:
            question = talk.inject_message(ROOM, "/ou culture juridique", actor="bob")
            headers, body = signed(created(int(question["id"]), "/ou culture juridique"))
            forged = signed(created(int(question["id"]), "/ou culture juridique"), "another-secret-" * 3)[0]
            url = f"{world.base}/webhooks/nuage/talk"
            assert httpx.post(url, content=body, headers=forged, timeout=10).status_code == 403
            assert httpx.post(url, content=body, headers=headers, timeout=10).status_code == 200
            world.wait(lambda: answers(talk), 30, "the bot's answer in the room")
            assert len(answers(talk)) == 1 and "Les 8 Pillards" in answers(talk)[0]
            told = subprocess.run([sys.executable, "-m", "hub", "collective", "webhooks", "nuage", "--base-url",
                                   world.base], cwd=REPO, capture_output=True, text=True, timeout=60,
                                  env={**os.environ, "HUB_HOSTING_DATABASE": world.url, "HUB_LANGUAGE": "en"})
            assert told.returncode == 0, told.stderr
            assert f"{world.base}/webhooks/nuage/talk" in told.stdout and TALK_SECRET not in told.stdout
        finally:
            world.registry.set_paused("nuage", True)  # no more jobs of it once its fake is gone


def test_a_broken_configuration_stops_only_its_own_collectives_answers(world: World) -> None:
    one, two = world.one, world.two
    config = two.folder / "hub.toml"
    good = config.read_text(encoding="utf-8")
    before = len(one.answers())
    config.write_text(good.replace('type = "telegram"', 'type = "telegrma"'), encoding="utf-8")
    try:
        assert world.post(two.id, question(two, "c'est où Bruyère ?"), two.secret).status_code == 404
        assert world.post(one.id, question(one, "c'est où Aubépine ?"), one.secret).status_code == 200
        world.wait(lambda: len(one.answers(before)) == 1, 30, "the other collective's answer")
        assert one.title in one.answers(before)[0]
    finally:
        config.write_text(good, encoding="utf-8")
    answered = len(two.answers())
    world.wait(lambda: world.post(two.id, question(two, "c'est quand Bruyère ?"), two.secret).status_code == 200,
               30, "the mended configuration's webhook")
    world.wait(lambda: len(two.answers(answered)) >= 1, 30, "the answer once mended")


def test_following_a_session_says_reminders_are_not_sent_here(world: World) -> None:
    """No reminder loop runs for a hosted collective yet: /suivre says so instead of recording a
    follow that would never be reminded of."""
    one = world.one
    before = len(one.answers())
    assert world.post(one.id, question(one, "/suivre Aubépine"), one.secret).status_code == 200
    world.wait(lambda: len(one.answers(before)) == 1, 30, "the answer to /suivre")
    assert "Les rappels ne sont pas encore envoyés sur ce service" in one.answers(before)[0]
