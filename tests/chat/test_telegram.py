"""Telegram connector against the fake Bot API, driven the way the engine drives it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.chat_board import Pacer
from connectors.telegram import TelegramConfig, TelegramConnector
from sync.errors import AuthError, PermanentError, TransientError
from tests.chat.support import Driver, announcement_between, context, moved, reference_programme
from tests.fakes.telegram import FakeTelegram, SentMessage
from tests.fakes.telegram_html import parse_html

CHAT_A, CHAT_B, STRANGER = -1001, -1002, -1003
BEFORE_EVENT = datetime(2021, 11, 1, tzinfo=UTC).timestamp()
DURING_DAY_2 = datetime(2021, 11, 13, 12, tzinfo=UTC).timestamp()

Factory = Callable[..., TelegramConnector]


@pytest.fixture
async def make(telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[Factory]:
    for chat in (CHAT_A, CHAT_B, STRANGER):
        telegram.add_chat(chat)
    made: list[TelegramConnector] = []

    def factory(chats: list[int] | None = None, now: float = BEFORE_EVENT, **extra: Any) -> TelegramConnector:
        values = {
            "type": "telegram",
            "api_url": telegram.url,
            "token": telegram.token,
            "chats": chats if chats is not None else [CHAT_A, CHAT_B],
            "pace_seconds": 0,
            **extra,
        }
        connector = TelegramConnector("telegram", TelegramConfig.model_validate(values), context("telegram", tmp_path))
        connector.board.clock = lambda: now
        made.append(connector)
        return connector

    yield factory
    for connector in made:
        await connector.close()
        await connector.ctx.close_http()


def board(telegram: FakeTelegram, chat: int) -> list[SentMessage]:
    return [m for m in telegram.messages(chat) if m.text.startswith("Programme du")]


async def test_first_sync_posts_each_day_and_pins_the_next_one(telegram: FakeTelegram, make: Factory) -> None:
    programme = reference_programme()
    await Driver(make()).sync(programme)
    for chat in (CHAT_A, CHAT_B):
        days = board(telegram, chat)
        assert [m.text.split("\n")[0] for m in days] == [
            "Programme du vendredi 12 novembre",
            "Programme du samedi 13 novembre",
            "Programme du dimanche 14 novembre",
        ]
        assert "14 h – 16 h 30 · Culture juridique · Les 8 Pillards" in days[1].text
        assert all(m.disable_notification for m in days)  # the board never rings
        pinned = telegram.pinned(chat)
        assert pinned is not None and pinned.message_id == days[0].message_id
    assert telegram.messages(STRANGER) == []


async def test_a_change_edits_the_pin_in_place_and_is_announced_once(
    telegram: FakeTelegram, make: Factory, tmp_path: Path
) -> None:
    programme = reference_programme()
    driver = Driver(make(now=DURING_DAY_2))
    await driver.sync(programme)
    changed = moved(
        programme,
        "atelier-culture-juridique",
        start="2021-11-13T15:00:00+01:00",
        end="2021-11-13T18:00:00+01:00",
    )
    # a restart between the two runs: a new connector instance, same links and board file
    driver.connector = make(now=DURING_DAY_2)
    sends_before = len(telegram.sends())
    ops = await driver.sync(changed)
    assert [op.key for op in ops] == ["atelier-culture-juridique"]
    connector = driver.connector
    for chat in connector.targets():
        await connector.announce(chat, announcement_between(programme, changed))
    assert len(telegram.sends()) == sends_before + 2  # one announcement per chat, no new board post
    for chat in (CHAT_A, CHAT_B):
        day2 = board(telegram, chat)[1]
        assert len(day2.versions) == 2 and "15 h – 18 h · Culture juridique" in day2.text
        assert telegram.pinned(chat) is day2 or telegram.pinned(chat) == day2
        news = telegram.messages(chat)[-1]
        assert news.text == ("Changements au programme\n• Culture juridique : déplacé de 14 h à 15 h")
        assert news.entities == [{"type": "bold", "offset": 0, "length": 24}]


async def test_a_rerun_sends_nothing(telegram: FakeTelegram, make: Factory) -> None:
    programme = reference_programme()
    driver = Driver(make())
    await driver.sync(programme)
    calls = len(telegram.calls)
    assert await driver.sync(programme) == []
    driver.links.clear()  # even asked again for everything, nothing differs from what is shown
    await driver.sync(programme)
    assert [c.method for c in telegram.calls[calls:]] == []


async def test_a_429_storm_pauses_only_that_chat(telegram: FakeTelegram, make: Factory) -> None:
    programme = reference_programme()
    news = announcement_between(programme, moved(programme, "restitution", status="cancelled"))
    connector = make(max_wait=5)
    clock = [1000.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    connector.pacer.clock = lambda: clock[0]
    connector.pacer.sleep = sleep
    telegram.fail("sendMessage", status=429, retry_after=3, chat_id=CHAT_A, times=2)
    telegram.fail("sendMessage", status=429, retry_after=30, chat_id=CHAT_B, times=1)
    ref_a = await connector.announce(str(CHAT_A), news)  # two short pauses, slept
    assert slept == [3, 3]
    with pytest.raises(TransientError) as info:  # a long pause is handed back to the engine
        await connector.announce(str(CHAT_B), news)
    assert info.value.retry_after == pytest.approx(30)
    with pytest.raises(TransientError):  # still paused: no request at all
        await connector.announce(str(CHAT_B), news)
    clock[0] += 30
    ref_b = await connector.announce(str(CHAT_B), news)
    assert [len(telegram.messages(c)) for c in (CHAT_A, CHAT_B)] == [1, 1]
    assert ref_a.remote_id == str(telegram.messages(CHAT_A)[0].message_id)
    assert ref_b.remote_id == str(telegram.messages(CHAT_B)[0].message_id)
    refused = [c for c in telegram.calls if c.status == 429]
    assert len(refused) == 3


async def test_a_chat_removed_from_the_config_receives_nothing_more(telegram: FakeTelegram, make: Factory) -> None:
    programme = reference_programme()
    driver = Driver(make())
    await driver.sync(programme)
    seen_b = len(telegram.messages(CHAT_B, include_deleted=True))
    driver.connector = make(chats=[CHAT_A])
    changed = moved(programme, "accueil-cafe", title="Accueil café & <grandes> tables")
    await driver.sync(changed)
    news = announcement_between(programme, changed)
    for chat in driver.connector.targets():
        await driver.connector.announce(chat, news)
    with pytest.raises(PermanentError):
        await driver.connector.announce(str(CHAT_B), news)
    assert len(telegram.messages(CHAT_B, include_deleted=True)) == seen_b
    assert [len(m.versions) for m in board(telegram, CHAT_B)] == [1, 1, 1]
    assert "Accueil café & <grandes> tables" in board(telegram, CHAT_A)[2].text
    assert (
        "« Accueil café : les grandes tables » s'appelle désormais "
        "« Accueil café & <grandes> tables »" in telegram.messages(CHAT_A)[-1].text
    )


async def test_long_days_split_into_valid_parts(telegram: FakeTelegram, make: Factory) -> None:
    programme = reference_programme()
    base = programme.sessions["atelier-culture-juridique"]
    many = [
        base.with_fields({"id": f"s{i:04d}", "title": f"Atelier <{i}> & « rencontre » " + "x" * 60}) for i in range(400)
    ]
    big = programme.with_sessions([*programme.sessions.values(), *many])
    await Driver(make(chats=[CHAT_A], group_per_minute=0)).sync(big)
    parts = [m for m in telegram.messages(CHAT_A) if "Atelier <" in m.text]
    assert len(parts) > 1 and all(len(m.text) <= 4096 for m in parts)
    assert all(parse_html(m.html or "")[0] == m.text for m in parts)
    shown = "\n".join(m.text for m in parts)
    assert all(f"Atelier <{i}> & « rencontre »" in shown for i in range(400))


async def test_group_rate_stops_a_long_first_sync_and_the_next_run_goes_on(
    telegram: FakeTelegram, make: Factory
) -> None:
    programme = reference_programme()
    base = programme.sessions["atelier-culture-juridique"]
    many = [base.with_fields({"id": f"s{i:04d}", "title": f"Atelier {i} " + "y" * 80}) for i in range(600)]
    big = programme.with_sessions([*programme.sessions.values(), *many])
    driver = Driver(make(chats=[CHAT_A], group_per_minute=5))
    with pytest.raises(TransientError):  # the 6th message in a minute would break the group limit
        await driver.sync(big)
    first = len(telegram.messages(CHAT_A))
    assert first == 5
    driver.connector = make(chats=[CHAT_A], group_per_minute=0)  # a later run, a minute on
    await driver.sync(big)
    texts = [m.text for m in telegram.messages(CHAT_A)]
    assert len(texts) == len(set(texts))  # nothing posted twice
    assert all(f"Atelier {i} " in "\n".join(texts) for i in range(600))


async def test_the_token_never_shows_in_logs_or_errors(
    telegram: FakeTelegram, make: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    connector = make()
    programme = reference_programme()
    await Driver(connector).sync(programme)
    telegram.kick_bot(CHAT_B)
    with pytest.raises(PermanentError) as info:
        await connector.announce(
            str(CHAT_B), announcement_between(programme, moved(programme, "restitution", title="Restitution"))
        )
    secret = telegram.token.split(":", 1)[1]
    assert secret not in caplog.text and secret not in str(info.value)
    assert secret not in repr(connector.config)
    assert "/bot<token>/sendMessage" in caplog.text  # the requests are still logged


async def test_an_empty_apply_moves_the_pin_to_the_new_day_and_serves_new_chats(
    telegram: FakeTelegram, make: Factory
) -> None:
    """What a daemon calls once a day (``apply([])``): no op, yet the pin follows the date and a
    chat added to the configuration gets its programme messages."""
    programme = reference_programme()
    await Driver(make(now=BEFORE_EVENT)).sync(programme)
    assert telegram.pinned(CHAT_A) == board(telegram, CHAT_A)[0]
    later = make(chats=[CHAT_A, CHAT_B, STRANGER], now=DURING_DAY_2)
    assert await later.apply([], programme) == []
    for chat in (CHAT_A, CHAT_B, STRANGER):
        assert len(board(telegram, chat)) == 3
        assert telegram.pinned(chat) == board(telegram, chat)[1]
    assert [len(m.versions) for m in board(telegram, CHAT_A)] == [1, 1, 1]


async def test_refresh_costs_nothing_until_a_new_day_comes(telegram: FakeTelegram, make: Factory) -> None:
    """The engine calls ``refresh`` after every sync: free while nothing is due, then the pin
    moves to the day that has come."""
    programme = reference_programme()
    await Driver(make(now=BEFORE_EVENT)).sync(programme)
    same_day = make(now=BEFORE_EVENT)
    calls = len(telegram.calls)
    await same_day.refresh(programme)
    assert len(telegram.calls) == calls
    next_day = make(now=DURING_DAY_2)
    await next_day.refresh(programme)
    assert telegram.pinned(CHAT_A) == board(telegram, CHAT_A)[1]
    assert [len(m.versions) for m in board(telegram, CHAT_A)] == [1, 1, 1]


async def test_a_long_announcement_resumes_after_a_restart_without_resending(
    telegram: FakeTelegram, make: Factory, tmp_path: Path
) -> None:
    """Parts already sent are remembered in the state store: a new process sends only the rest."""
    from sync.errors import TransientError
    from sync.state import StateStore, StoredConnectorState

    store = StateStore.open(f"sqlite:///{tmp_path}/state.db")
    programme = reference_programme()
    renamed = programme
    for key in list(programme.sessions):
        renamed = moved(renamed, key, title=f"{programme.sessions[key].title} " + "(nouveau titre) " * 12)
    announcement = announcement_between(programme, renamed)

    first = make(chats=[CHAT_A])
    first.ctx.state = StoredConnectorState(store, "telegram")
    first.parts = type(first.parts)(first.ctx.state)
    real_send = first._send
    calls = 0

    async def send_then_fail(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise TransientError("connection lost", connector="telegram")
        return await real_send(*args, **kwargs)

    first._send = send_then_fail  # type: ignore[method-assign]
    with pytest.raises(TransientError):
        await first.announce(str(CHAT_A), announcement)
    assert len(telegram.messages(CHAT_A)) == 1

    second = make(chats=[CHAT_A])
    second.ctx.state = StoredConnectorState(store, "telegram")
    second.parts = type(second.parts)(second.ctx.state)
    ref = await second.announce(str(CHAT_A), announcement)
    texts = [m.text for m in telegram.messages(CHAT_A)]
    assert len(texts) == len(ref.remote_id.split(",")) >= 2
    assert len(set(texts)) == len(texts), "no part was sent twice"
    assert store.load_connector_state("telegram", "announcement-parts") == {}
    store.close()


async def test_the_overall_rate_holds_when_many_chats_are_written_at_once() -> None:
    """Telegram's bulk limit (messages a second over all chats) holds however many chats are
    written together, while a chat's own pace is untouched by the others."""
    clock = [0.0]

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(0)
        clock[0] += seconds

    pacer = Pacer(0.0, 0, 60.0, clock=lambda: clock[0], sleep=sleep, per_second=5)
    sent: list[float] = []

    async def write(chat: str) -> None:
        async with pacer.lock(chat):
            await pacer.wait(chat, True, "telegram")
            sent.append(clock[0])

    await asyncio.gather(*(write(f"-100{n}") for n in range(12)))
    assert len(sent) == 12
    for start in sent:
        assert sum(1 for t in sent if start <= t < start + 1.0) <= 5
    assert max(sent) >= 2.0  # twelve writes at five a second need at least two more seconds


async def test_a_refused_token_costs_one_request_however_many_chats_wait(
    telegram: FakeTelegram, make: Factory
) -> None:
    """A revoked token: the first chat's message is refused and said as a credentials problem;
    the chats after it in the same run fail the same way without asking Telegram again."""
    programme = reference_programme()
    announcement = announcement_between(programme, moved(programme, "restitution", title="Restitution"))
    connector = make(chats=[CHAT_A, CHAT_B, STRANGER], token="123456:" + "x" * 35)
    for chat in (CHAT_A, CHAT_B, STRANGER):
        with pytest.raises(AuthError) as info:
            await connector.announce(str(chat), announcement)
        assert "refus" in str(info.value)
    assert [c.status for c in telegram.calls] == [401]
    assert not any(telegram.messages(chat) for chat in (CHAT_A, CHAT_B, STRANGER))
