"""The Telegram connector's own HTTP client (``connectors/telegram_request.py``) when the network
or the server goes wrong: what surely did not go is said so and tried again later, what may have
gone is flagged, never resent silently. Through the connector, as the outbox drives it, against
the fake Bot API behind a faulty proxy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.telegram import TelegramConfig, TelegramConnector
from sync.errors import DeliveryUnknown, PermanentError, TransientError
from sync.protocol import RequestCounter
from tests.chat.support import announcement_between, context, moved, reference_programme
from tests.fakes.faulty_proxy import FaultyProxy
from tests.fakes.telegram import FakeTelegram

CHATS = [-1001, -1002, -1003]

Factory = Callable[..., TelegramConnector]


@pytest.fixture
async def make(telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[Factory]:
    for chat in CHATS:
        telegram.add_chat(chat)
    made: list[TelegramConnector] = []

    def factory(url: str, **extra: Any) -> TelegramConnector:
        values = {"type": "telegram", "api_url": url, "token": telegram.token, "chats": CHATS,
                  "pace_seconds": 0, "board": False, **extra}
        connector = TelegramConnector("telegram", TelegramConfig.model_validate(values),
                                      context("telegram", tmp_path, RequestCounter()))
        made.append(connector)
        return connector

    yield factory
    for connector in made:
        await connector.close()
        await connector.ctx.close_http()


def _announcement() -> Any:
    programme = reference_programme()
    return announcement_between(programme, moved(programme, "restitution", title="Restitution"))


async def test_messages_to_many_chats_share_few_connections_and_are_counted(
    telegram: FakeTelegram, make: Factory
) -> None:
    connector = make(telegram.url, parallel_chats=2)
    for _round in range(3):
        await asyncio.gather(*(connector.announce(str(chat), _announcement()) for chat in CHATS))
    assert all(len(telegram.messages(chat)) == 3 for chat in CHATS)
    assert connector.ctx.counter.detail[("telegram", "POST", 200)] == 9
    client = connector._transports[0].client
    assert sum(len(c) for c in client._idle.values()) <= 2, "kept-alive connections are reused"


async def test_a_server_that_cannot_be_reached_leaves_the_message_to_send_later(
    telegram: FakeTelegram, make: Factory
) -> None:
    proxy = FaultyProxy(telegram.url)  # not running: the connection is refused
    connector = make(proxy.url, timeout=2)
    with pytest.raises(TransientError) as info:
        await connector.announce(str(CHATS[0]), _announcement())
    assert not isinstance(info.value, DeliveryUnknown)
    assert connector.ctx.counter.detail[("telegram", "POST", 0)] == 1
    with proxy.running():  # back: the message goes, once
        await connector.announce(str(CHATS[0]), _announcement())
    assert len(telegram.messages(CHATS[0])) == 1


async def test_an_answer_cut_after_the_message_went_is_in_doubt_not_resent(
    telegram: FakeTelegram, make: Factory
) -> None:
    proxy = FaultyProxy(telegram.url)
    connector = make(proxy.url, timeout=2)
    with proxy.running():
        proxy.break_down("close")
        with pytest.raises(DeliveryUnknown):
            await connector.announce(str(CHATS[0]), _announcement())
    assert len(telegram.messages(CHATS[0])) == 1, "it did go out: only its answer was lost"


async def test_a_server_that_never_answers_is_given_up_on_after_the_timeout(
    telegram: FakeTelegram, make: Factory
) -> None:
    proxy = FaultyProxy(telegram.url)
    connector = make(proxy.url, timeout=1)
    with proxy.running():
        proxy.break_down("hang")
        started = asyncio.get_running_loop().time()
        with pytest.raises(DeliveryUnknown):
            await connector.announce(str(CHATS[0]), _announcement())
        assert asyncio.get_running_loop().time() - started < 5
        proxy.repair()


async def test_a_page_that_is_not_the_bot_api_is_refused_with_a_sentence(
    telegram: FakeTelegram, make: Factory
) -> None:
    proxy = FaultyProxy(telegram.url)
    connector = make(proxy.url, timeout=2)
    with proxy.running():
        proxy.break_down("garbage")
        with pytest.raises(PermanentError) as info:
            await connector.announce(str(CHATS[0]), _announcement())
    assert telegram.token.split(":")[1] not in str(info.value)


async def test_a_gateway_error_page_leaves_the_message_to_send_later(telegram: FakeTelegram, make: Factory) -> None:
    """A proxy's 502 page (not the Bot API's JSON) said the message was not taken: tried later."""
    proxy = FaultyProxy(telegram.url)
    connector = make(proxy.url, timeout=2)
    with proxy.running():
        proxy.fail("POST", 502)
        with pytest.raises(TransientError) as info:
            await connector.announce(str(CHATS[0]), _announcement())
        assert not isinstance(info.value, DeliveryUnknown)
        await connector.announce(str(CHATS[0]), _announcement())
    assert len(telegram.messages(CHATS[0])) == 1
