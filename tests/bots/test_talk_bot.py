"""The bot on Nextcloud Talk, end to end: the Talk chat client against the fake OCS server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from bots.inbox import SqlInbox
from bots.service import Bot
from connectors.nextcloud import NextcloudConfig, NextcloudConnector
from connectors.nextcloud.talk import TalkClient
from connectors.nextcloud.talk_bot import TalkFrontend
from sync.model import Programme
from sync.state import StateStore
from tests.bots.conftest import paris
from tests.bots.test_service import RecordingOperations
from tests.chat.support import context
from tests.doubles.bots import ManualClock, MemoryFollowStore
from tests.fakes.talk import FakeTalk

ROOM, OTHER = "abcd1234", "zzzz9999"
Make = Callable[[], TalkFrontend]


@pytest.fixture
def fake() -> Iterator[FakeTalk]:
    with FakeTalk().running() as talk:
        talk.add_room(ROOM, "Assemblée")
        talk.add_room(OTHER, "Autre")
        yield talk


@pytest.fixture
async def make(fake: FakeTalk, tmp_path: Path, programme: Programme) -> AsyncIterator[Make]:
    http = httpx.AsyncClient()
    store = StateStore.open(f"sqlite:///{tmp_path}/hub.db")
    ops = RecordingOperations()

    def build() -> TalkFrontend:
        client = TalkClient(http, fake.url, fake.user, fake.password, "nuage")
        service = Bot(
            {"nuage": TalkFrontend.policy([ROOM], admins=frozenset({"ann"}))},
            MemoryFollowStore(),
            lambda: programme,
            ManualClock(paris("2021-11-13T11:00")),
            ops,
        )
        return TalkFrontend(lambda: client, [ROOM], service, SqlInbox(store.engine), channel="nuage", poll_timeout=0)

    yield build
    await http.aclose()
    store.close()


async def test_history_is_skipped_then_questions_are_answered_in_markdown(fake: FakeTalk, make: Make) -> None:
    fake.inject_message(ROOM, "/ensuite", actor="bob")  # before the bot started: not answered
    frontend = make()
    await frontend.start()
    assert await frontend.drain() == 1  # the start marker
    fake.inject_message(ROOM, "/ou *culture* juridique", actor="bob")
    fake.inject_message(ROOM, "/ou _rien_ [x](y)", actor="bob")
    fake.inject_message(ROOM, "il fait beau", actor="bob")  # chatter
    fake.inject_message(OTHER, "/ensuite", actor="bob")  # a room not configured
    assert await frontend.poll_once() == 3
    shown = fake.shown(ROOM)
    assert shown[0] == "/ensuite" and shown[2] == "/ou _rien_ [x](y)"
    answers = [m for m in fake.messages(ROOM) if m["actorId"] == fake.user]
    where = "**Culture juridique** · samedi 13 novembre, 14 h – 16 h 30 · Les 8 Pillards, 13014 "
    assert [m["message"] for m in answers] == [
        f"**Où**\n- {where}Marseille\nCarte : https://www\\.openstreetmap\\.org/search?query=13014%20Marseille",
        "Je n'ai rien trouvé au programme pour « \\_rien\\_ \\[x\\]\\(y\\) ».\n"
        "Essayez « c'est où Culture juridique ? », « et ensuite ? », « demain matin », ou /aide.",
    ]
    assert all(m["referenceId"] for m in answers)
    assert [m for m in fake.messages(OTHER) if m["actorId"] == fake.user] == []


async def test_admin_mentions_and_restart(fake: FakeTalk, make: Make) -> None:
    frontend = make()
    await frontend.start()
    fake.inject_message(ROOM, f"@{fake.user} c'est où la clôture ?", actor="bob")
    fake.inject_message(ROOM, "/statut", actor="bob")
    fake.inject_message(ROOM, "/statut", actor="ann")
    assert await frontend.poll_once() == 4  # the start marker and three messages
    mine = [m["message"] for m in fake.messages(ROOM) if m["actorId"] == fake.user]
    assert "Les 8 Pillards" in mine[0]
    assert mine[1] == "Désolé, cette commande est réservée aux organisateurs."
    assert mine[2].startswith("**État du hub**")
    # a restarted process resumes after what it kept: nothing answered twice
    again = make()
    await again.start()
    await again.poll_once()  # reads (and ignores) its own three answers
    assert len([m for m in fake.messages(ROOM) if m["actorId"] == fake.user]) == 3
    fake.inject_message(ROOM, "/ensuite", actor="bob")
    assert await again.poll_once() == 1
    assert len([m for m in fake.messages(ROOM) if m["actorId"] == fake.user]) == 4


Deployed = tuple[TalkFrontend, RecordingOperations]


@pytest.fixture
async def nuage(fake: FakeTalk, tmp_path: Path, programme: Programme) -> AsyncIterator[Deployed]:
    """The bot as `hub bots` runs it: the Nextcloud connector's own policy and front-end, its
    admin configured the old way, by a bare user id."""
    config = NextcloudConfig.model_validate({
        "type": "nextcloud",
        "url": fake.url,
        "username": fake.user,
        "app_password": fake.password,
        "calendar": "assemblee",
        "talk_room": ROOM,
        "talk_admins": ["ann"],
    })
    connector = NextcloudConnector("nuage", config, context("nuage", tmp_path))
    store = StateStore.open(f"sqlite:///{tmp_path}/bots.db")
    ops = RecordingOperations()
    policy = connector.chat_policy()
    assert policy is not None
    clock = ManualClock(paris("2021-11-13T11:00"))
    service = Bot({"nuage": policy}, MemoryFollowStore(), lambda: programme, clock, ops)
    frontend = connector.chat_frontend(service, SqlInbox(store.engine))
    assert frontend is not None
    frontend.poll_timeout = 0
    await frontend.start()
    assert await frontend.drain() == 1  # the start marker
    yield frontend, ops
    await connector.close()
    await connector.ctx.close_http()
    store.close()


def bot_said(fake: FakeTalk) -> list[str]:
    return [m["message"] for m in fake.messages(ROOM) if (m["actorType"], m["actorId"]) == ("users", fake.user)]


@pytest.mark.parametrize("actor_type", ["guests", "bridged", "federated_users", "bots"])
async def test_only_the_servers_own_account_is_the_admin(
    fake: FakeTalk, nuage: Deployed, actor_type: str
) -> None:
    """A guest, a Matterbridge relay, a user of another server or a bot can take the id "ann"
    (and her name): Talk still says what they are, and none of them is the admin "ann"."""
    frontend, ops = nuage
    fake.inject_message(ROOM, "/sync", actor="ann", name="Ann", actor_type=actor_type)
    fake.inject_message(ROOM, "/annonce La plénière est annulée", actor="ann", name="Ann", actor_type=actor_type)
    fake.inject_message(ROOM, "/statut", actor="ann", name="Ann", actor_type=actor_type)
    assert await frontend.poll_once() == 3
    assert bot_said(fake) == ["Désolé, cette commande est réservée aux organisateurs."] * 3
    assert ops.calls == []
    # the same id as an account of the server is the admin
    fake.inject_message(ROOM, "/sync", actor="ann", name="Ann", actor_type="users")
    await frontend.poll_once()
    assert bot_said(fake)[-1] == "Synchronisation faite : 3 changement(s), 1 échec(s), 0 conflit(s)."
    assert ops.calls == [("sync", "")]


async def test_everyone_still_gets_answers(fake: FakeTalk, nuage: Deployed) -> None:
    """Typed senders change who is an admin, not who is answered: guests ask like anyone."""
    frontend, _ops = nuage
    fake.inject_message(ROOM, "/ou culture juridique", actor="f6a1c2", name="Invitée", actor_type="guests")
    fake.inject_message(ROOM, f"@{fake.user} c'est où la clôture ?", actor="zoe", actor_type="bridged")
    assert await frontend.poll_once() == 2
    where, closing = bot_said(fake)
    assert where.startswith("**Où**\n- **Culture juridique**") and "Les 8 Pillards" in closing
