"""Fuzzing what the chat bots and the HumHub connector read: Telegram updates, signal-cli
receive frames, Talk messages, HumHub calendar entries, and the questions people type.

A chat update is stored in the inbox before it is handled, and handled again at every start
until it is marked done: a reader that raises on one malformed update would stop the bot for
good on that update (and every one after it). So each reader gives a question or None, never
an exception; the bot answers any text without raising; and a HumHub entry is read or refused
with the ``ValueError``/``TypeError`` the connector reports as a problem.

``HUB_LONG_TESTS=1`` draws 10,000 examples per reader; the fixed sample runs in CI.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bots.answering import answer
from bots.service import Bot
from connectors.humhub.entries import marked_name, read_entry, read_title
from connectors.nextcloud.talk import TalkClient
from connectors.nextcloud.talk_bot import TalkFrontend
from connectors.signal import SignalConfig, SignalConnector
from connectors.signal_bot import SignalFrontend, frame_key
from connectors.telegram import TelegramConfig, TelegramConnector
from connectors.telegram_bot import TelegramFrontend
from sync.chat import ChannelPolicy, Incoming
from sync.programme_reader import load_programme
from tests.bots.test_service import RecordingOperations
from tests.chat.support import EXAMPLE, context
from tests.conftest import examples
from tests.doubles.bots import ManualClock, MemoryFollowStore, MemoryInbox
from tests.fakes.telegram import FakeTelegram
from tests.reliability.fuzzing import JSON, made_of, shaken

PROGRAMME = load_programme(EXAMPLE)
PARIS = ZoneInfo("Europe/Paris")
AT = datetime(2021, 11, 13, 11, 0, tzinfo=PARIS)


def fuzz(sample: int) -> settings:
    """``examples(sample)`` examples; a front-end fixture is built once per test and shared by
    its examples (reading keeps no state in it), which is what the health check warns of."""
    return settings(max_examples=examples(sample), suppress_health_check=[HealthCheck.function_scoped_fixture])

# Telegram ---------------------------------------------------------------------------------

GROUP, MEMBER = -1001, 7
TELEGRAM_UPDATE: dict[str, Any] = {
    "update_id": 5,
    "message": {
        "message_id": 1,
        "date": 1636800000,
        "chat": {"id": GROUP, "type": "supergroup", "title": "Assemblée"},
        "from": {"id": MEMBER, "is_bot": False, "first_name": "Ann", "language_code": "fr"},
        "text": "/ou@hub_bot atelier",
        "entities": [{"type": "bot_command", "offset": 0, "length": 11}],
        "reply_to_message": {
            "message_id": 0,
            "date": 1636799000,
            "chat": {"id": GROUP, "type": "supergroup"},
            "from": {"id": 1, "is_bot": True, "first_name": "Hub", "username": "hub_bot"},
            "text": "Bonjour",
        },
    },
}


@pytest.fixture(scope="module")
def telegram_server() -> Iterator[FakeTelegram]:
    with FakeTelegram().running() as tg:
        tg.add_chat(GROUP)
        yield tg


@pytest.fixture
async def telegram(telegram_server: FakeTelegram, tmp_path: Path) -> AsyncIterator[TelegramFrontend]:
    values = {"type": "telegram", "api_url": telegram_server.url, "token": telegram_server.token,
              "chats": [GROUP], "pace_seconds": 0, "board": False}
    connector = TelegramConnector("telegram", TelegramConfig.model_validate(values), context("telegram", tmp_path))
    await connector.open()
    await connector.bot.initialize()  # the bot's own id and @username, as the front-end's start does
    try:
        yield TelegramFrontend(connector, _bot({"telegram": connector.chat_policy()}), MemoryInbox())
    finally:
        await connector.close()
        await connector.ctx.close_http()


async def test_telegram_updates(telegram: TelegramFrontend) -> None:
    @fuzz(150)
    @given(shaken(TELEGRAM_UPDATE) | JSON)
    @example({"update_id": 1, "message": "text"})
    @example({"update_id": 1, "message": {"message_id": 1, "date": "x", "chat": {"id": 1, "type": "private"}}})
    @example({"update_id": 1, "message": {**TELEGRAM_UPDATE["message"], "from": []}})
    @example({"update_id": 1, "message": {**TELEGRAM_UPDATE["message"], "text": 5}})
    @example({"update_id": 1, "message": {**TELEGRAM_UPDATE["message"], "from": {
        "id": 7, "is_bot": False, "first_name": "Ann", "language_code": 33}}})
    def check(payload: Any) -> None:
        incoming = telegram.read(payload) if isinstance(payload, dict) else None
        assert incoming is None or isinstance(incoming, Incoming)

    check()


# Signal -----------------------------------------------------------------------------------

NUMBER = "+33600000000"
SIGNAL_FRAME: dict[str, Any] = {
    "envelope": {
        "source": "+33611111111",
        "sourceNumber": "+33611111111",
        "sourceUuid": "5d2a8f3e-7c41-4b6a-9e0d-1f2a3b4c5d6e",
        "sourceName": "Ann",
        "timestamp": 1636800000000,
        "serverReceivedTimestamp": 1636800000001,
        "dataMessage": {
            "timestamp": 1636800000000,
            "message": "où est l'atelier ?",
            "groupInfo": {"groupId": "YWJj", "type": "DELIVER"},
            "mentions": [{"number": NUMBER, "uuid": "x", "start": 0, "length": 1}],
            "quote": {"id": 1, "authorNumber": NUMBER, "text": "x"},
        },
    },
    "account": NUMBER,
}


@pytest.fixture
def signal(tmp_path: Path) -> SignalFrontend:
    values = {"type": "signal", "url": "http://127.0.0.1:9", "number": NUMBER, "groups": ["group.YWJj"],
              "admins": ["+33699999999"]}
    connector = SignalConnector("signal", SignalConfig.model_validate(values), context("signal", tmp_path))
    return SignalFrontend(connector, _bot({"signal": connector.chat_policy()}), MemoryInbox())


@fuzz(150)
@given(shaken(SIGNAL_FRAME) | JSON)
@example({"envelope": "x"})
@example({"envelope": {**SIGNAL_FRAME["envelope"], "serverReceivedTimestamp": "soon"}})
@example({"envelope": {**SIGNAL_FRAME["envelope"], "dataMessage": {"message": "hi", "mentions": ["+336"]}}})
@example({"envelope": {**SIGNAL_FRAME["envelope"], "dataMessage": {"message": "hi", "quote": "x"}}})
@example({"envelope": {**SIGNAL_FRAME["envelope"], "dataMessage": "hi"}})
def test_signal_frames(signal: SignalFrontend, frame: Any) -> None:
    """What the receive socket gives, parsed as ``accept`` does: the inbox key, then the
    question (the frame is stored, then read at every start until handled)."""
    if not isinstance(frame, dict):
        assert asyncio.run(signal.accept(json.dumps(frame))) == 0
        return
    key = frame_key(frame)
    assert key is None or isinstance(key, str)
    incoming = signal.read(frame)
    assert incoming is None or isinstance(incoming, Incoming)


# Nextcloud Talk ---------------------------------------------------------------------------

TALK_MESSAGE: dict[str, Any] = {
    "id": 12,
    "token": "abcd1234",
    "actorType": "users",
    "actorId": "ann",
    "actorDisplayName": "Ann",
    "timestamp": 1636800000,
    "messageType": "comment",
    "message": "{mention-user1} où est l'atelier ?",
    "messageParameters": {"mention-user1": {"type": "user", "id": "hub", "name": "Hub"}},
    "parent": {"id": 11, "actorType": "users", "actorId": "hub", "messageType": "comment", "message": "x"},
}


@pytest.fixture
def talk() -> TalkFrontend:
    client = TalkClient(httpx.AsyncClient(), "http://127.0.0.1:9", "hub", "secret-password", "nuage")
    policy = TalkFrontend.policy(["abcd1234"], admins=frozenset({"ann"}))
    return TalkFrontend(lambda: client, ["abcd1234"], _bot({"nuage": policy}), MemoryInbox(), channel="nuage")


@fuzz(150)
@given(shaken(TALK_MESSAGE).filter(lambda message: isinstance(message, dict)))  # the inbox keeps mappings
@example({**TALK_MESSAGE, "messageParameters": {"mention-user1": {"id": ["hub"]}}})
@example({**TALK_MESSAGE, "messageParameters": []})
def test_talk_messages(talk: TalkFrontend, message: dict[str, Any]) -> None:
    incoming = talk.read(message)
    assert incoming is None or isinstance(incoming, Incoming)


# questions --------------------------------------------------------------------------------

QUESTION_WORDS = [
    "/ou", "/quand", "/cherche", "/suivre", "/neplussuivre", "/programme", "/ensuite", "/aide", "/statut",
    "/annonce", "/sync", "/where@hub_bot", "/", "@hub_bot", "où", "quand", "demain", "aujourd'hui", "samedi",
    "13 novembre", "le 13", "le 31", "31/02", "2021-02-30", "9999-12-31", "0000-01-01", "11h30", "25h", "99:99",
    "2 pm", "13 pm", "midi", "minuit", "matin", "soir", "ensuite", "next", "tomorrow", "february 30", "the 0th",
    "atelier", "Massalia Vox", "culture juridique", "<b>", "*", "_", "[x](javascript:alert(1))", "\u202e", "\n",
]


def _bot(policies: dict[str, ChannelPolicy | None]) -> Bot:
    return Bot({name: policy for name, policy in policies.items() if policy is not None}, MemoryFollowStore(),
               lambda: PROGRAMME, ManualClock(AT), RecordingOperations())


@settings(max_examples=examples(200))
@given(made_of(QUESTION_WORDS, " "), st.sampled_from(["fr", "en", None]))
@example("le 31 février", None)
@example("/quand 31/02/2021", "fr")
@example("2021-02-30", None)
@example("/suivre " + "x" * 5000, "fr")
def test_questions(question: str, lang: str | None) -> None:
    """``hub ask`` and every bot: the answer in each channel format, whatever was typed."""
    reply = answer(PROGRAMME, question, at=AT, lang=lang)
    for fmt in ("text", "html", "markdown"):
        assert isinstance(reply.render(fmt), str)  # type: ignore[arg-type]


@settings(max_examples=examples(100))
@given(made_of(QUESTION_WORDS, " "), st.booleans(), st.booleans())
def test_bot_messages(text: str, private: bool, admin: bool) -> None:
    """The bot's whole handling of a message (commands, follows, admin refusals)."""
    policy = ChannelPolicy(chats=frozenset({"g"}), admins=frozenset({"boss"}))
    bot = _bot({"chat": policy})
    sender = "boss" if admin else "ann"
    replies = asyncio.run(bot.handle(Incoming("chat", "g", sender, text, private=private, addressed=True)))
    for reply in replies:
        for fmt in ("text", "html", "markdown"):
            assert isinstance(reply.message.render(fmt), str)  # type: ignore[arg-type]


# HumHub -----------------------------------------------------------------------------------

HUMHUB_ENTRY: dict[str, Any] = {
    "id": 3,
    "title": "Annulé : Culture juridique",
    "description": "Un atelier \\*\n\n[commons-hub]: #atelier-culture-juridique",
    "location": "Les 8 Pillards, 13014 Marseille",
    "start_datetime": "2021-11-13 14:00:00",
    "end_datetime": "2021-11-13 16:30:00",
    "all_day": 0,
    "closed": 0,
}


@settings(max_examples=examples(150))
@given(shaken(HUMHUB_ENTRY).filter(lambda entry: isinstance(entry, dict)),  # the listing's objects
       st.sampled_from([None, "huit-pillards", "nulle-part"]))
@example({**HUMHUB_ENTRY, "start_datetime": "9999-12-31 23:59:59"}, None)
@example({**HUMHUB_ENTRY, "start_datetime": "0001-01-01 00:00:00"}, None)
@example({**HUMHUB_ENTRY, "all_day": 1, "end_datetime": "9999-12-31 00:00:00"}, None)
def test_humhub_entries(entry: dict[str, Any], hub_venue: str | None) -> None:
    """A calendar entry as the API lists it; ValueError and TypeError are what the connector
    reports as an unreadable entry (and leaves out)."""
    marked_name(str(entry.get("description") or ""))
    read_title(str(entry.get("title") or ""), bool(entry.get("closed")))
    try:
        read = read_entry(entry, "atelier-culture-juridique", PROGRAMME, ZoneInfo("UTC"), hub_venue)
    except (ValueError, TypeError):
        return
    datetime.fromisoformat(read.fields["start"])
