"""The bot on Telegram, end to end: python-telegram-bot, unmodified, against the fake Bot API.

A message goes into the fake (as a member would write it), the bot long-polls it, answers,
and the answer is read back as members see it (the fake parses the HTML as Telegram does).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from bots.follow import Reminders
from bots.inbox import SqlInbox
from bots.service import Bot
from connectors.telegram import TelegramConfig, TelegramConnector
from connectors.telegram_bot import TelegramFrontend
from sync.model import Programme
from sync.state import StateStore
from tests.bots.conftest import paris
from tests.bots.test_service import RecordingOperations
from tests.chat.support import context
from tests.doubles.bots import ManualClock, MemoryFollowStore
from tests.fakes.telegram import FakeTelegram

GROUP, STRANGER = -1001, -1003
ADMIN, MEMBER = 42, 7


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram().running() as tg:
        for chat in (GROUP, STRANGER, ADMIN, MEMBER):
            tg.add_chat(chat)
        yield tg


class Deployment:
    """One running bot process: connector, state store, inbox, follow store, front-end."""

    def __init__(self, fake: FakeTelegram, tmp_path: Path, programme: Programme, follows: MemoryFollowStore) -> None:
        values = {
            "type": "telegram",
            "api_url": fake.url,
            "token": fake.token,
            "chats": [GROUP],
            "admins": [ADMIN],
            "pace_seconds": 0,
            "board": False,
        }
        self.connector = TelegramConnector(
            "telegram", TelegramConfig.model_validate(values), context("telegram", tmp_path)
        )
        self.store = StateStore.open(f"sqlite:///{tmp_path}/hub.db")
        self.ops = RecordingOperations()
        service = Bot(
            {"telegram": self.connector.chat_policy()},
            follows,
            lambda: programme,
            ManualClock(paris("2021-11-13T11:00")),
            self.ops,
        )
        self.frontend = TelegramFrontend(self.connector, service, SqlInbox(self.store.engine), poll_timeout=0)

    async def close(self) -> None:
        await self.connector.close()
        await self.connector.ctx.close_http()
        self.store.close()


Start = Callable[[], Awaitable[Deployment]]


@pytest.fixture
async def deployer(fake: FakeTelegram, tmp_path: Path, programme: Programme) -> AsyncIterator[Start]:
    """Starts bot processes sharing one state store and follow store (a restart is a new one)."""
    follows = MemoryFollowStore()
    running: list[Deployment] = []

    async def start() -> Deployment:
        deployment = Deployment(fake, tmp_path, programme, follows)
        await deployment.frontend.start()
        running.append(deployment)
        return deployment

    yield start
    for deployment in running:
        await deployment.close()


@pytest.fixture
async def deploy(deployer: Start) -> Deployment:
    return await deployer()


def texts(fake: FakeTelegram, chat: int) -> list[str]:
    return [m.text for m in fake.messages(chat)]


async def test_a_question_in_the_group_is_answered_there(fake: FakeTelegram, deploy: Deployment) -> None:
    fake.inject_message(GROUP, "/ou culture juridique", user_id=MEMBER)
    fake.inject_message(GROUP, "@commons_hub_bot c'est où la clôture ?", user_id=MEMBER)
    fake.inject_message(GROUP, "on mange où ce soir les amis ?", user_id=MEMBER)  # chatter
    fake.inject_message(GROUP, "/ensuite@another_bot", user_id=MEMBER)  # not for this bot
    assert await deploy.frontend.poll_once() == 4
    answers = texts(fake, GROUP)
    assert len(answers) == 2, answers
    where = "Culture juridique · samedi 13 novembre, 14 h – 16 h 30 · Les 8 Pillards, 13014 Marseille"
    assert answers[0] == f"Où\n• {where}\nCarte : https://www.openstreetmap.org/search?query=13014%20Marseille"
    assert "Clôture : quel imaginaire portons-nous en commun ?" in answers[1]
    bold = fake.messages(GROUP)[0].entities
    assert {"type": "bold", "offset": 0, "length": 2} in bold


async def test_silent_in_chats_not_configured(fake: FakeTelegram, deploy: Deployment) -> None:
    fake.inject_message(STRANGER, "/ensuite", user_id=ADMIN)
    fake.inject_message(STRANGER, "/sync", user_id=ADMIN)
    assert await deploy.frontend.poll_once() == 2
    assert fake.messages(STRANGER) == []
    assert deploy.ops.calls == []


async def test_private_questions_and_user_text_escaped(fake: FakeTelegram, deploy: Deployment) -> None:
    fake.inject_message(MEMBER, "what's next?", user_id=MEMBER)
    fake.inject_message(MEMBER, "/where <b>nowhere</b> & co", user_id=MEMBER)
    await deploy.frontend.poll_once()
    next_answer, not_found = texts(fake, MEMBER)
    assert next_answer.startswith("Next, 14:00\n• Culture juridique · 14:00 – 16:30")
    assert "“<b>nowhere</b> & co”" in not_found  # shown as typed, never interpreted
    assert fake.messages(MEMBER)[1].entities == []


async def test_admin_commands_only_from_admins(fake: FakeTelegram, deploy: Deployment) -> None:
    fake.inject_message(GROUP, "/sync", user_id=MEMBER)
    fake.inject_message(GROUP, "/sync@commons_hub_bot", user_id=ADMIN)
    await deploy.frontend.poll_once()
    refusal, done = texts(fake, GROUP)
    assert refusal == "Désolé, cette commande est réservée aux organisateurs."
    assert done.startswith("Synchronisation faite : 3 changement(s)")
    assert deploy.ops.calls == [("sync", "")]


async def test_follow_then_reminder_in_private(fake: FakeTelegram, deploy: Deployment) -> None:
    fake.inject_message(MEMBER, "/suivre culture juridique", user_id=MEMBER)
    await deploy.frontend.poll_once()
    assert "je vous écrirai en privé 15 minutes avant" in texts(fake, MEMBER)[0]
    service = deploy.frontend.bot
    clock = ManualClock(paris("2021-11-13T13:46"))
    reminders = Reminders(service.store, service.programme, deploy.frontend.send, clock)
    await reminders.tick()
    assert texts(fake, MEMBER)[-1] == (
        "Dans 15 minutes\n• Culture juridique · 14 h – 16 h 30 · Les 8 Pillards, 13014 Marseille"
    )


async def test_no_update_lost_or_handled_twice_across_a_crash(
    fake: FakeTelegram, deploy: Deployment, deployer: Start
) -> None:
    fake.inject_message(GROUP, "/ensuite", user_id=MEMBER)
    fake.inject_message(GROUP, "/sync", user_id=ADMIN)
    # the process stores the batch, then dies before handling it
    frontend = deploy.frontend
    updates = await frontend.connector.bot.get_updates(timeout=0)
    frontend.inbox.store(frontend.channel, [(f"{u.update_id:015d}", u.to_dict()) for u in updates])
    assert texts(fake, GROUP) == []

    restarted = await deployer()
    assert await restarted.frontend.drain() == 2
    assert len(texts(fake, GROUP)) == 2
    assert restarted.ops.calls == [("sync", "")]
    # Telegram hands the batch out again until an offset confirms it: it is not handled again
    assert await restarted.frontend.poll_once() == 0
    again = await deployer()
    assert await again.frontend.poll_once() == 0
    assert len(texts(fake, GROUP)) == 2
    assert again.ops.calls == []
    # and a new message after all that is answered once
    fake.inject_message(GROUP, "/ensuite", user_id=MEMBER)
    assert await again.frontend.poll_once() == 1
    assert len(texts(fake, GROUP)) == 3


async def test_an_idle_poll_costs_one_request(fake: FakeTelegram, deploy: Deployment) -> None:
    await deploy.frontend.poll_once()
    before = len(fake.calls)
    assert await deploy.frontend.poll_once() == 0
    assert [c.method for c in fake.calls[before:]] == ["getUpdates"]


async def test_an_admin_is_recognised_by_user_id_only(fake: FakeTelegram, deploy: Deployment) -> None:
    """Names, usernames and forwarded messages can all point at the admin; only the user id
    Telegram gives as the sender (from.id) makes one."""
    fake.inject_message(GROUP, "/sync", user_id=MEMBER, first_name=str(ADMIN), username=f"admin{ADMIN}")
    fake.inject_message(GROUP, "/sync", user_id=MEMBER, forwarded_from=ADMIN)
    fake.inject_message(GROUP, "/statut", anonymous=True)  # an admin of the group posting as the group
    fake.inject_message(MEMBER, "/statut", user_id=MEMBER, first_name="42")
    await deploy.frontend.poll_once()
    refusal = "Désolé, cette commande est réservée aux organisateurs."
    assert texts(fake, GROUP) == [refusal] * 3
    assert texts(fake, MEMBER) == [refusal]
    assert deploy.ops.calls == []
    fake.inject_message(GROUP, "/statut", user_id=ADMIN, first_name="Ann", username="ann")
    await deploy.frontend.poll_once()
    assert texts(fake, GROUP)[-1].startswith("État du hub")
    assert deploy.ops.calls == [("status", "")]
