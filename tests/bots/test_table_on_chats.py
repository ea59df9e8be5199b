"""The whole question table asked on each chat, through the real client libraries and the fakes.

Each question goes in as a private message at its ``at`` time, after the questions the row
asks before it in the same conversation (the bot remembers them per chat and person); what
the person reads back must be the engine's answer (checked against the table in
``test_questions``) in that channel's format: Telegram after its HTML parsing, Signal as plain
text, Talk as Markdown.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from bots.memory import Conversations
from bots.service import Bot, ChannelPolicy
from connectors.nextcloud.talk import TalkClient
from connectors.nextcloud.talk_bot import TalkFrontend
from connectors.signal import SignalConfig, SignalConnector
from connectors.signal_bot import SignalFrontend
from connectors.telegram import TelegramConfig, TelegramConnector
from connectors.telegram_bot import TelegramFrontend
from sync.model import Programme
from tests.bots.conftest import paris
from tests.bots.test_questions import TABLE, Row, ask, programme_for, read_changelog
from tests.chat.support import context
from tests.doubles.bots import ManualClock, MemoryFollowStore, MemoryInbox
from tests.fakes.signal import FakeSignal
from tests.fakes.talk import FakeTalk
from tests.fakes.telegram import FakeTelegram

PERSON = 7


class Table:
    """The bot of one channel, set up for each row in turn (its programme, change log, memory)."""

    def __init__(self, channel: str, programme: Programme, chats: frozenset[str] = frozenset()) -> None:
        self.reference = programme
        self.used = programme
        self.clock = ManualClock(paris(TABLE[0].at))
        self.bot = Bot({channel: ChannelPolicy(chats=chats)}, MemoryFollowStore(), lambda: self.used, self.clock)

    def start(self, row: Row) -> list[str]:
        """Set the bot for ``row``: a new conversation. Returns every message the row sends."""
        self.clock.current = paris(row.at)
        self.used = programme_for(self.reference, row)
        self.bot.changes = read_changelog if row.changed else None
        self.bot.conversations = Conversations(self.clock.now)
        return [*row.after, row.question]

    def expected(self, row: Row, fmt: str) -> str:
        return ask(self.used, row).render("html" if fmt == "html" else "markdown" if fmt == "markdown" else "text")


SENT = sum(len(row.after) + 1 for row in TABLE)


async def test_the_table_on_telegram(programme: Programme, tmp_path: Path) -> None:
    with FakeTelegram().running() as fake:
        fake.add_chat(PERSON)
        values = {"type": "telegram", "api_url": fake.url, "token": fake.token, "chats": [], "pace_seconds": 0}
        connector = TelegramConnector("telegram", TelegramConfig.model_validate(values), context("telegram", tmp_path))
        table = Table("telegram", programme)
        frontend = TelegramFrontend(connector, table.bot, MemoryInbox(), poll_timeout=0)
        try:
            await frontend.start()
            for row in TABLE:
                for text in table.start(row):
                    fake.inject_message(PERSON, text, user_id=PERSON)
                    assert await frontend.poll_once() == 1
                assert fake.messages(PERSON)[-1].text == table.expected(row, "text"), row.question
            assert len(fake.messages(PERSON)) == SENT
        finally:
            await connector.close()
            await connector.ctx.close_http()


async def test_the_table_on_signal(programme: Programme, tmp_path: Path) -> None:
    number = "+33611111111"
    with FakeSignal().running() as fake:
        values = {
            "type": "signal",
            "url": fake.url,
            "number": fake.number,
            "groups": [],
            "pace_seconds": 0,
            "per_minute": 0,
        }
        connector = SignalConnector("signal", SignalConfig.model_validate(values), context("signal", tmp_path))
        table = Table("signal", programme)
        frontend = SignalFrontend(connector, table.bot, MemoryInbox())
        try:
            await frontend.start()
            for row in TABLE:
                for text in table.start(row):
                    fake.inject_message(None, text, source=number)
                    assert await asyncio.wait_for(frontend.listen(asyncio.Event(), limit=1), 20) == 1
                assert fake.shown(number)[-1] == table.expected(row, "text"), row.question
            assert len(fake.shown(number)) == SENT
        finally:
            await connector.close()
            await connector.ctx.close_http()


async def test_the_table_on_talk(programme: Programme) -> None:
    room = "abcd1234"
    with FakeTalk().running() as fake:
        fake.add_room(room, "Assemblée")
        async with httpx.AsyncClient() as http:
            client = TalkClient(http, fake.url, fake.user, fake.password, "nuage")
            table = Table("nuage", programme, chats=frozenset({room}))
            frontend = TalkFrontend(lambda: client, [room], table.bot, MemoryInbox(), channel="nuage", poll_timeout=0)
            await frontend.start()
            for row in TABLE:
                for text in table.start(row):
                    fake.inject_message(room, f"@{fake.user} {text}", actor="ann")
                    await frontend.poll_once()
                assert fake.shown(room)[-1] == table.expected(row, "markdown"), row.question
            assert len([m for m in fake.messages(room) if m["actorId"] == fake.user]) == SENT
