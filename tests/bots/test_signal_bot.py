"""The bot on Signal, end to end: signalbot's client, unmodified, against the fake
signal-cli-rest-api (receive websocket in, ``/v2/send`` out)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bots.inbox import SqlInbox
from bots.service import Bot
from connectors.signal import SignalConfig, SignalConnector
from connectors.signal_bot import SignalFrontend, public_group_id
from sync.model import Programme
from sync.state import StateStore
from tests.bots.conftest import paris
from tests.bots.test_service import RecordingOperations
from tests.chat.support import context
from tests.doubles.bots import ManualClock, MemoryFollowStore
from tests.fakes.signal import FakeSignal

ANN, BOB, ADMIN = "+33611111111", "+33622222222", "+33699999999"
#: An organiser configured by their account's UUID (written in capitals: the case does not matter).
ORGANISER, ORGANISER_UUID = "+33633333333", "5d2a8f3e-7c41-4b6a-9e0d-1f2a3b4c5d6e"


@pytest.fixture
def fake() -> Iterator[FakeSignal]:
    with FakeSignal().running() as signal:
        yield signal


@pytest.fixture
def groups(fake: FakeSignal) -> dict[str, str]:
    return {name: fake.add_group(name, members=[ANN, BOB, ADMIN]) for name in ("assembly", "stranger")}


@pytest.fixture
async def frontend(
    fake: FakeSignal, groups: dict[str, str], tmp_path: Path, programme: Programme
) -> AsyncIterator[SignalFrontend]:
    values = {
        "type": "signal",
        "url": fake.url,
        "number": fake.number,
        "groups": [groups["assembly"]],
        "admins": [ADMIN, ORGANISER_UUID.upper()],
        "pace_seconds": 0,
        "board": False,
    }
    connector = SignalConnector("signal", SignalConfig.model_validate(values), context("signal", tmp_path))
    store = StateStore.open(f"sqlite:///{tmp_path}/hub.db")
    service = Bot(
        {"signal": connector.chat_policy()},
        MemoryFollowStore(),
        lambda: programme,
        ManualClock(paris("2021-11-13T11:00")),
        RecordingOperations(),
    )
    yield SignalFrontend(connector, service, SqlInbox(store.engine))
    await connector.close()
    await connector.ctx.close_http()
    store.close()


async def listen(frontend: SignalFrontend, count: int) -> int:
    return await asyncio.wait_for(frontend.listen(asyncio.Event(), limit=count), timeout=20)


def test_group_ids_are_derived_as_the_rest_api_does(fake: FakeSignal, groups: dict[str, str]) -> None:
    assert public_group_id(fake.internal_id(groups["assembly"])) == groups["assembly"]


async def test_questions_in_the_group_and_in_private(
    fake: FakeSignal, groups: dict[str, str], frontend: SignalFrontend
) -> None:
    fake.inject_message(groups["assembly"], "/quand fishbowl", source=ANN)
    fake.inject_message(groups["assembly"], "quelqu'un a vu mes clés ?", source=BOB)  # chatter
    fake.inject_message(None, "what's next?", source=BOB)
    assert await listen(frontend, 3) == 3
    assert fake.shown(groups["assembly"]) == [
        "Quand\n• Le projet des communs dans le contexte de l'anthropocène · "
        "vendredi 12 novembre, 18 h – 20 h · Ateliers Jeanne Barret"
    ]
    (private,) = fake.shown(BOB)
    assert private.startswith("Next, 14:00\n• Culture juridique · 14:00 – 16:30 · Les 8 Pillards")


async def test_silent_in_other_groups_and_admins_only(
    fake: FakeSignal, groups: dict[str, str], frontend: SignalFrontend
) -> None:
    fake.inject_message(groups["stranger"], "/ensuite", source=ADMIN)
    fake.inject_message(groups["assembly"], "/statut", source=ANN)
    fake.inject_message(groups["assembly"], "/statut", source=ADMIN)
    assert await listen(frontend, 3) == 3
    assert fake.sends_to(groups["stranger"]) == []
    refusal, status = fake.shown(groups["assembly"])
    assert refusal == "Désolé, cette commande est réservée aux organisateurs."
    assert status.startswith("État du hub\nDernière synchronisation : samedi 13 novembre, 10 h 58")


async def test_a_frame_kept_before_a_crash_is_answered_at_restart_once(
    fake: FakeSignal, groups: dict[str, str], frontend: SignalFrontend
) -> None:
    frame = fake.inject_message(groups["assembly"], "/ensuite", source=ANN)
    key = "00000000000001:stored-before-the-crash"
    frontend.inbox.store(frontend.channel, [(key, frame)])  # read and kept, then the process died
    await frontend.start()
    assert await frontend.drain() == 1
    assert await frontend.drain() == 0
    assert len(fake.shown(groups["assembly"])) == 1


async def test_admins_by_number_or_by_account_uuid(
    fake: FakeSignal, groups: dict[str, str], frontend: SignalFrontend
) -> None:
    group = groups["assembly"]
    fake.inject_message(group, "/statut", source=ADMIN)  # configured by number
    fake.inject_message(group, "/statut", source=ORGANISER, uuid=ORGANISER_UUID)  # configured by UUID
    fake.inject_message(group, "/statut", source=None, uuid=ORGANISER_UUID)  # ... and hiding her number
    fake.inject_message(group, "/statut", source=BOB, name=ADMIN)  # a profile name is anyone's to pick
    # the admin configured by number hides it from the bot: Signal names her by UUID only, unknown here
    fake.inject_message(group, "/statut", source=None, uuid="9e8d7c6b-5a49-4382-a716-253443526170")
    assert await listen(frontend, 5) == 5
    shown = fake.shown(group)
    assert [text.split("\n")[0] for text in shown] == ["État du hub"] * 3 + [
        "Désolé, cette commande est réservée aux organisateurs."
    ] * 2
    ops = frontend.bot.operations  # type: ignore[attr-defined]
    assert ops.calls == [("status", "")] * 3
