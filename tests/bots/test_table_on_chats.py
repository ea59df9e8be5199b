"""The whole question table asked on each chat, through the real client libraries and the fakes.

Each question goes in as a private message at its ``at`` time; what the person reads back must
be the engine's answer (checked against the table in ``test_questions``) in that channel's
format: Telegram after its HTML parsing, Signal as plain text, Talk as Markdown.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from bots.answering import answer
from bots.service import Bot, ChannelPolicy
from connectors.nextcloud.talk import TalkClient
from connectors.nextcloud.talk_bot import TalkFrontend
from connectors.signal import SignalConfig, SignalConnector
from connectors.signal_bot import SignalFrontend
from connectors.telegram import TelegramConfig, TelegramConnector
from connectors.telegram_bot import TelegramFrontend
from sync.model import Programme
from tests.bots.conftest import paris
from tests.bots.test_questions import TABLE
from tests.chat.support import context
from tests.doubles.bots import ManualClock, MemoryFollowStore, MemoryInbox
from tests.fakes.signal import FakeSignal
from tests.fakes.talk import FakeTalk
from tests.fakes.telegram import FakeTelegram

PERSON = 7


def _bot(channel: str, programme: Programme, clock: ManualClock, chats: frozenset[str] = frozenset()) -> Bot:
    return Bot({channel: ChannelPolicy(chats=chats)}, MemoryFollowStore(), lambda: programme, clock)


async def test_the_table_on_telegram(programme: Programme, tmp_path: Path) -> None:
    with FakeTelegram().running() as fake:
        fake.add_chat(PERSON)
        values = {"type": "telegram", "api_url": fake.url, "token": fake.token, "chats": [], "pace_seconds": 0}
        connector = TelegramConnector("telegram", TelegramConfig.model_validate(values), context("telegram", tmp_path))
        clock = ManualClock(paris(TABLE[0].at))
        frontend = TelegramFrontend(connector, _bot("telegram", programme, clock), MemoryInbox(), poll_timeout=0)
        try:
            await frontend.start()
            for row in TABLE:
                clock.current = paris(row.at)
                fake.inject_message(PERSON, row.question, user_id=PERSON)
                assert await frontend.poll_once() == 1
                expected = answer(programme, row.question, at=clock.current).render("text")
                assert fake.messages(PERSON)[-1].text == expected, row.question
            assert len(fake.messages(PERSON)) == len(TABLE)
        finally:
            await connector.close()
            await connector.ctx.http.aclose()


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
        clock = ManualClock(paris(TABLE[0].at))
        frontend = SignalFrontend(connector, _bot("signal", programme, clock), MemoryInbox())
        try:
            await frontend.start()
            for row in TABLE:
                clock.current = paris(row.at)
                fake.inject_message(None, row.question, source=number)
                assert await asyncio.wait_for(frontend.listen(asyncio.Event(), limit=1), 20) == 1
                expected = answer(programme, row.question, at=clock.current).render("text")
                assert fake.shown(number)[-1] == expected, row.question
            assert len(fake.shown(number)) == len(TABLE)
        finally:
            await connector.close()
            await connector.ctx.http.aclose()


async def test_the_table_on_talk(programme: Programme) -> None:
    room = "abcd1234"
    with FakeTalk().running() as fake:
        fake.add_room(room, "Assemblée")
        async with httpx.AsyncClient() as http:
            client = TalkClient(http, fake.url, fake.user, fake.password, "nuage")
            clock = ManualClock(paris(TABLE[0].at))
            bot = _bot("nuage", programme, clock, chats=frozenset({room}))
            frontend = TalkFrontend(lambda: client, [room], bot, MemoryInbox(), channel="nuage", poll_timeout=0)
            await frontend.start()
            for row in TABLE:
                clock.current = paris(row.at)
                fake.inject_message(room, f"@{fake.user} {row.question}", actor="ann")
                await frontend.poll_once()
                expected = answer(programme, row.question, at=clock.current).render("markdown")
                assert fake.shown(room)[-1] == expected, row.question
            assert len([m for m in fake.messages(room) if m["actorId"] == fake.user]) == len(TABLE)
