"""Who the bot answers, and the commands only admins may use, on any channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from bots.service import Bot, ChannelPolicy, HubStatus, Incoming, SyncSummary
from sync.chat import Outgoing
from sync.model import Programme
from tests.bots.conftest import paris
from tests.doubles.bots import ManualClock, MemoryFollowStore

GROUP, OTHER_GROUP = "-100200", "-100999"
ADMIN, MEMBER = "42", "7"


@dataclass
class RecordingOperations:
    """The hub side of admin commands, recording what it was asked to do."""

    calls: list[tuple[str, str]] = field(default_factory=list)

    async def sync_now(self) -> SyncSummary:
        self.calls.append(("sync", ""))
        return SyncSummary(changes=3, failed=1, conflicts=0)

    async def announce(self, text: str, *, by: str) -> int:
        self.calls.append(("announce", text))
        return 2

    async def status(self) -> HubStatus:
        self.calls.append(("status", ""))
        return HubStatus(datetime(2021, 11, 13, 9, 58, tzinfo=UTC), pending=4, in_doubt=1, held=("signal",))


@pytest.fixture
def ops() -> RecordingOperations:
    return RecordingOperations()


@pytest.fixture
def bot(programme: Programme, ops: RecordingOperations) -> Bot:
    policy = ChannelPolicy(chats=frozenset({GROUP}), admins=frozenset({ADMIN}))
    return Bot(
        {"telegram": policy, "signal": ChannelPolicy(chats=frozenset({"group.abc"}))},
        MemoryFollowStore(),
        lambda: programme,
        ManualClock(paris("2021-11-13T11:00")),
        ops,
    )


def said(replies: list[Outgoing]) -> str:
    assert len(replies) == 1
    return str(replies[0].message.render("text"))


async def test_silent_in_chats_not_configured(bot: Bot, ops: RecordingOperations) -> None:
    for text in ("/ensuite", "c'est où la clôture ?", "/sync"):
        assert await bot.handle(Incoming("telegram", OTHER_GROUP, ADMIN, text, addressed=True)) == []
    assert await bot.handle(Incoming("matrix", GROUP, ADMIN, "/ensuite")) == []
    assert ops.calls == []


async def test_in_a_group_only_commands_and_messages_to_the_bot(bot: Bot) -> None:
    assert await bot.handle(Incoming("telegram", GROUP, MEMBER, "on se retrouve où ce soir ?")) == []
    addressed = await bot.handle(Incoming("telegram", GROUP, MEMBER, "c'est où la clôture ?", addressed=True))
    assert "Les 8 Pillards, 13014 Marseille" in said(addressed)
    assert addressed[0].chat == GROUP
    command = await bot.handle(Incoming("telegram", GROUP, MEMBER, "/ensuite@hub_bot"))
    assert said(command).startswith("Ensuite, 14 h")


async def test_in_private_everything_is_answered(bot: Bot) -> None:
    replies = await bot.handle(Incoming("signal", "+33611111111", "+33611111111", "what's next?", private=True))
    assert replies[0].chat == "+33611111111"
    assert said(replies).startswith("Next, 14:00")


async def test_admin_commands_refused_politely_to_others(bot: Bot, ops: RecordingOperations) -> None:
    for text in ("/sync", "/annonce Le déjeuner est servi", "/statut"):
        replies = await bot.handle(Incoming("telegram", GROUP, MEMBER, text))
        assert said(replies) == "Désolé, cette commande est réservée aux organisateurs."
    english = await bot.handle(Incoming("telegram", GROUP, MEMBER, "/status"))
    assert said(english) == "Sorry, this command is for the organisers only."
    assert ops.calls == []


async def test_admin_commands_for_admins(bot: Bot, ops: RecordingOperations) -> None:
    synced = await bot.handle(Incoming("telegram", GROUP, ADMIN, "/sync"))
    assert said(synced) == "Synchronisation faite : 3 changement(s), 1 échec(s), 0 conflit(s)."
    announced = await bot.handle(Incoming("telegram", GROUP, ADMIN, "/annonce Le déjeuner est <servi>"))
    assert said(announced) == "Annonce envoyée (2 discussion(s))."
    empty = await bot.handle(Incoming("telegram", GROUP, ADMIN, "/annonce"))
    assert "/annonce Le déjeuner est servi" in said(empty)
    status = said(await bot.handle(Incoming("telegram", ADMIN, ADMIN, "/statut", private=True)))
    assert "Dernière synchronisation : samedi 13 novembre, 10 h 58" in status
    assert "En attente d'envoi : 4 ; incertains : 1" in status and "En pause : signal" in status
    assert ops.calls == [("sync", ""), ("announce", "Le déjeuner est <servi>"), ("status", "")]


async def test_admins_are_per_channel(bot: Bot, ops: RecordingOperations) -> None:
    """An admin on Telegram is nobody on Signal, where no admin is configured."""
    replies = await bot.handle(Incoming("signal", "group.abc", ADMIN, "/sync"))
    assert said(replies).startswith("Désolé")
    assert ops.calls == []


async def test_follow_needs_a_private_chat_first(bot: Bot) -> None:
    in_group = await bot.handle(Incoming("telegram", GROUP, MEMBER, "/suivre culture juridique"))
    assert "écrivez-moi d'abord en privé" in said(in_group)
    assert bot.store.following("telegram", MEMBER) == []
    await bot.handle(Incoming("telegram", MEMBER, MEMBER, "bonjour", private=True))
    again = await bot.handle(Incoming("telegram", GROUP, MEMBER, "/suivre culture juridique"))
    assert "je vous écrirai en privé 15 minutes avant" in said(again)
    assert bot.store.following("telegram", MEMBER) == ["atelier-culture-juridique"]


async def test_follow_list_and_unfollow(bot: Bot) -> None:
    private = lambda text: Incoming("telegram", MEMBER, MEMBER, text, private=True)  # noqa: E731
    which = said(await bot.handle(private("/suivre atelier")))
    assert which.startswith("Lequel ?") and "Culture juridique" in which and "Communs et recherche" in which
    assert bot.store.following("telegram", MEMBER) == []
    await bot.handle(private("/suivre Culture juridique"))
    await bot.handle(private("/follow fishbowl"))
    listed = said(await bot.handle(private("/suivre")))
    assert listed.startswith("Vous suivez") and "Culture juridique" in listed and "anthropocène" in listed
    stopped = said(await bot.handle(private("/neplussuivre fishbowl")))
    assert stopped.startswith("Vous ne suivez plus") and "anthropocène" in stopped
    assert bot.store.following("telegram", MEMBER) == ["atelier-culture-juridique"]
    unknown = said(await bot.handle(private("/unfollow municipalisme")))
    assert unknown == "You follow nothing matching “municipalisme”."
    assert said(await bot.handle(private("/neplussuivre"))) == "Vous ne suivez plus aucun rendez-vous."
    assert bot.store.following("telegram", MEMBER) == []


async def test_what_people_type_is_escaped_in_command_replies(bot: Bot) -> None:
    replies = await bot.handle(Incoming("telegram", MEMBER, MEMBER, "/suivre <b>rien</b>", private=True))
    html = replies[0].message.render("html")
    assert "&lt;b&gt;rien&lt;/b&gt;" in html and "<b>rien</b>" not in html
