"""Chat webhooks: Telegram's secret token through the daemon's ``POST /webhooks/telegram``, and
the Talk bot's HMAC signature on the Talk front-end.

Telegram: the daemon, with ``webhook_url`` and ``webhook_secret``, sets the webhook on the Bot
API (the fake then refuses ``getUpdates`` with 409, as Telegram does) and answers only updates
carrying the secret in ``X-Telegram-Bot-Api-Secret-Token`` as JSON; 403 otherwise, as
python-telegram-bot's own webhook server. Talk: ``X-Nextcloud-Talk-Signature`` must be the hex
HMAC-SHA256, keyed with the bot's secret, of ``X-Nextcloud-Talk-Random`` and the raw body (Talk's
docs/bots.md); the payload is Talk's Activity Streams ``Create`` of a ``Note``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bots.inbox import SqlInbox
from bots.service import Bot
from connectors.nextcloud.talk import TalkClient
from connectors.nextcloud.talk_bot import TalkFrontend
from sync.state import StateStore
from tests.bots.conftest import paris
from tests.bots.test_service import RecordingOperations
from tests.daemon.conftest import CHAT, DaemonProcess, daemon_sections, telegram_fake
from tests.daemon.test_daemon import metric_values
from tests.doubles.bots import ManualClock, MemoryFollowStore
from tests.fakes.loopback import free_port
from tests.fakes.talk import FakeTalk
from tests.fakes.telegram import FakeTelegram
from tests.helpers import reference_programme, write_config

SECRET = "Telegram_webhook-" + secrets.token_hex(8)
TALK_SECRET = secrets.token_hex(24)  # Talk wants 40 to 128 characters
ROOM = "abcd1234"


@pytest.fixture(scope="module")
def telegram() -> Iterator[FakeTelegram]:
    """A fake of its own: this daemon sets a webhook on it, which stops polling there (409)."""
    with telegram_fake() as fake:
        yield fake


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory, telegram: FakeTelegram) -> Iterator[DaemonProcess]:
    folder = tmp_path_factory.mktemp("daemon-webhooks")
    (folder / "secrets").mkdir()
    (folder / "secrets" / "telegram").write_text(telegram.token + "\n")
    (folder / "secrets" / "webhook").write_text(SECRET + "\n")
    port = free_port()
    config = write_config(folder, daemon_sections(port) + f"""

[connectors.telegram]
type = "telegram"
api_url = "{telegram.url}"
token_file = "secrets/telegram"
chats = [{CHAT}]
pace_seconds = 0
webhook_url = "https://hub.example.org/webhooks/telegram"
webhook_secret_file = "secrets/webhook"
""")
    process = DaemonProcess(config, port).start()
    try:
        yield process
    finally:
        process.close()


def update(telegram: FakeTelegram, text: str) -> dict[str, Any]:
    """An update as Telegram pushes it (built by the fake, as getUpdates would give it)."""
    return telegram.inject_message(CHAT, text, user_id=77)


def test_the_daemon_sets_the_webhook_and_answers_only_updates_with_the_secret(
    daemon: DaemonProcess, telegram: FakeTelegram,
) -> None:
    daemon.wait_for(lambda: telegram.webhook is not None, 20, "setWebhook")
    assert telegram.webhook == {"url": "https://hub.example.org/webhooks/telegram", "secret_token": SECRET}
    http = daemon.http
    sent = len(telegram.messages(CHAT))
    body = json.dumps(update(telegram, "/programme")).encode()
    json_type = {"Content-Type": "application/json"}
    assert http.post("/webhooks/telegram", content=body, headers=json_type).status_code == 403
    wrong = {**json_type, "X-Telegram-Bot-Api-Secret-Token": SECRET[:-1] + "x"}
    assert http.post("/webhooks/telegram", content=body, headers=wrong).status_code == 403
    as_text = {"Content-Type": "text/plain", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    assert http.post("/webhooks/telegram", content=body, headers=as_text).status_code == 403
    assert len(telegram.messages(CHAT)) == sent, "nothing answered to a refused request"

    good = {**json_type, "X-Telegram-Bot-Api-Secret-Token": SECRET}
    assert http.post("/webhooks/telegram", content=b"{not json", headers=good).status_code == 400
    assert http.post("/webhooks/telegram", content=body, headers=good).status_code == 200
    answers = telegram.messages(CHAT)[sent:]
    assert len(answers) == 1 and answers[0].text.startswith("Assemblée des communs : le programme")
    # Telegram sends an update again when it did not get the 200: handled once only.
    assert http.post("/webhooks/telegram", content=body, headers=good).status_code == 200
    assert len(telegram.messages(CHAT)) == sent + 1
    assert http.post("/webhooks/signal", content=body, headers=good).status_code == 404

    values = metric_values(daemon)
    assert values[("hub_webhooks_total", (("kind", "telegram"), ("status", "403")))] == 3
    assert values[("hub_webhooks_total", (("kind", "telegram"), ("status", "200")))] == 2
    assert values[("hub_bot_questions_total", (("channel", "telegram"),))] == 1
    assert SECRET not in daemon.log_text()
    code, took = daemon.stop()
    assert code == 0 and took < 10


# --- Talk ---------------------------------------------------------------------------------------


@pytest.fixture
def talk() -> Iterator[FakeTalk]:
    with FakeTalk().running() as fake:
        fake.add_room(ROOM, "Assemblée")
        fake.add_room("zzzz9999", "Autre")
        yield fake


@pytest.fixture
async def frontend(talk: FakeTalk, tmp_path: Path) -> AsyncIterator[TalkFrontend]:
    http = httpx.AsyncClient()
    store = StateStore.open(f"sqlite:///{tmp_path}/hub.db")
    client = TalkClient(http, talk.url, talk.user, talk.password, "nuage")
    bot = Bot({"nuage": TalkFrontend.policy([ROOM])}, MemoryFollowStore(), reference_programme,
              ManualClock(paris("2021-11-13T11:00")), RecordingOperations())
    front = TalkFrontend(lambda: client, [ROOM], bot, SqlInbox(store.engine), channel="nuage", poll_timeout=0,
                         secret=lambda: TALK_SECRET)
    await front.start()
    yield front
    await http.aclose()
    store.close()


def signed(payload: dict[str, Any], secret: str = TALK_SECRET) -> tuple[dict[str, str], bytes]:
    """Headers and body as Talk sends them to a webhook bot."""
    body = json.dumps(payload).encode()
    random = secrets.token_urlsafe(48)[:64]
    signature = hmac.new(secret.encode(), random.encode() + body, hashlib.sha256).hexdigest()
    return ({"x-nextcloud-talk-random": random, "x-nextcloud-talk-signature": signature,
             "x-nextcloud-talk-backend": "https://nuage.example.org/", "content-type": "application/json"}, body)


def created(message_id: int, text: str, room: str = ROOM, actor: str = "users/bob") -> dict[str, Any]:
    return {
        "type": "Create",
        "actor": {"type": "Person", "id": actor, "name": "Bob"},
        "object": {"type": "Note", "id": str(message_id), "name": "message",
                   "content": json.dumps({"message": text, "parameters": []}), "mediaType": "text/markdown"},
        "target": {"type": "Collection", "id": room, "name": "Assemblée"},
    }


def answers(talk: FakeTalk) -> list[str]:
    return [m["message"] for m in talk.messages(ROOM) if m["actorId"] == talk.user]


async def test_talk_webhook_refuses_a_bad_signature_and_answers_a_signed_message(
    frontend: TalkFrontend, talk: FakeTalk,
) -> None:
    assert frontend.webhook == "talk"
    question = talk.inject_message(ROOM, "/ou culture juridique", actor="bob")
    headers, body = signed(created(int(question["id"]), "/ou culture juridique"))

    forged = {**headers, "x-nextcloud-talk-signature": signed(created(1, "x"), "another-secret-" * 3)[0][
        "x-nextcloud-talk-signature"]}
    assert await frontend.receive(forged, body) == 403
    tampered = body.replace(b"culture", b"cultura")
    assert await frontend.receive(headers, tampered) == 403
    no_random = {k: v for k, v in headers.items() if k != "x-nextcloud-talk-random"}
    assert await frontend.receive(no_random, body) == 403
    assert answers(talk) == []

    upper = {**headers, "x-nextcloud-talk-signature": headers["x-nextcloud-talk-signature"].upper()}
    assert await frontend.receive(upper, body) == 200
    assert len(answers(talk)) == 1 and "Les 8 Pillards" in answers(talk)[0]
    # The same message pushed again, then also read by a long poll: answered once.
    assert await frontend.receive(headers, body) == 200
    await frontend.poll_once(wait=0)
    assert len(answers(talk)) == 1

    other_room = signed(created(999, "/ensuite", room="zzzz9999"))
    assert await frontend.receive(*other_room) == 200
    joined = signed({"type": "Join", "actor": {"type": "Application", "id": "bots/bot-1", "name": "hub"},
                     "object": {"type": "Collection", "id": ROOM, "name": "Assemblée"}})
    assert await frontend.receive(*joined) == 200
    assert await frontend.receive(*signed({"no": "type"})) == 400
    assert len(answers(talk)) == 1


def talk_bot_section(folder: Path, talk: FakeTalk) -> str:
    """A Nextcloud section that only chats (``sync = false``) in the fake's room as a webhook bot,
    its password and bot secret written under ``folder/secrets``."""
    (folder / "secrets").mkdir()
    (folder / "secrets" / "nuage").write_text(talk.password + "\n")
    (folder / "secrets" / "talk-bot").write_text(TALK_SECRET + "\n")
    return f"""

[connectors.nuage]
type = "nextcloud"
sync = false
url = "{talk.url}"
username = "{talk.user}"
app_password_file = "secrets/nuage"
calendar = "assemblee"
talk_room = "{ROOM}"
talk_bot_secret_file = "secrets/talk-bot"
"""


def test_the_daemons_talk_route_refuses_a_bad_signature_and_answers_a_signed_message(
    tmp_path: Path, talk: FakeTalk,
) -> None:
    """The same signature check, through the daemon's ``POST /webhooks/talk``: a Nextcloud section
    that only chats (``sync = false``) with ``talk_bot_secret_file``."""
    port = free_port()
    config = write_config(tmp_path, daemon_sections(port) + talk_bot_section(tmp_path, talk))
    daemon = DaemonProcess(config, port).start()
    try:
        http = daemon.http
        joined = signed({"type": "Join", "actor": {"type": "Application", "id": "bots/bot-1", "name": "hub"},
                         "object": {"type": "Collection", "id": ROOM, "name": "Assemblée"}})
        daemon.wait_for(lambda: http.post("/webhooks/talk", content=joined[1], headers=joined[0]).status_code == 200,
                        20, "the Talk front-end taking webhooks")
        question = talk.inject_message(ROOM, "/ou culture juridique", actor="bob")
        headers, body = signed(created(int(question["id"]), "/ou culture juridique"))
        forged = signed(created(int(question["id"]), "/ou culture juridique"), "another-secret-" * 3)[0]
        assert http.post("/webhooks/talk", content=body, headers=forged).status_code == 403
        assert http.post("/webhooks/talk", content=body.replace(b"culture", b"cultura"),
                         headers=headers).status_code == 403
        no_random = {k: v for k, v in headers.items() if k != "x-nextcloud-talk-random"}
        assert http.post("/webhooks/talk", content=body, headers=no_random).status_code == 403
        assert answers(talk) == []

        assert http.post("/webhooks/talk", content=body, headers=headers).status_code == 200
        daemon.wait_for(lambda: answers(talk), 10, "the bot's answer in the room")
        assert len(answers(talk)) == 1 and "Les 8 Pillards" in answers(talk)[0]
        assert http.post("/webhooks/talk", content=body, headers=headers).status_code == 200  # pushed again
        time.sleep(0.5)
        assert len(answers(talk)) == 1, "answered once"

        values = metric_values(daemon)
        assert values[("hub_webhooks_total", (("kind", "talk"), ("status", "403")))] == 3
        assert values[("hub_bot_questions_total", (("channel", "nuage"),))] == 1
        assert TALK_SECRET not in daemon.log_text()
        code, took = daemon.stop()
        assert code == 0 and took < 10
    finally:
        daemon.close()
