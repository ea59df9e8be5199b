"""Signal connector against the fake signal-cli-rest-api, through signalbot's client."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.signal import SignalConfig, SignalConnector
from sync.errors import AuthError, BreakerOpen, PermanentError, TransientError
from tests.chat.support import Driver, announcement_between, context, moved, reference_programme
from tests.fakes.signal import FakeSignal

MEMBERS = ["+4917612345678", "+4917612345679"]
Factory = Callable[..., SignalConnector]


@pytest.fixture
def groups(signal_fake: FakeSignal) -> dict[str, str]:
    return {name: signal_fake.add_group(name, members=MEMBERS) for name in ("a", "b", "stranger")}


@pytest.fixture
async def make(
    signal_fake: FakeSignal, groups: dict[str, str], tmp_path: Path
) -> AsyncIterator[Factory]:
    made: list[SignalConnector] = []

    def factory(names: tuple[str, ...] = ("a", "b"), **extra: Any) -> SignalConnector:
        values = {
            "type": "signal",
            "url": signal_fake.url,
            "number": signal_fake.number,
            "groups": [groups[n] for n in names],
            "pace_seconds": 0,
            **extra,
        }
        connector = SignalConnector(
            "signal", SignalConfig.model_validate(values), context("signal", tmp_path)
        )
        made.append(connector)
        return connector

    yield factory
    for connector in made:
        await connector.close()
        await connector.ctx.close_http()


async def test_check_proves_mode_version_and_groups(make: Factory) -> None:
    proved = await make().check()
    assert proved[0].startswith("signal-cli-rest-api 0.101 en mode json-rpc")
    assert len(proved) == 3


async def test_first_sync_then_a_change_edits_inside_the_window(
    signal_fake: FakeSignal, groups: dict[str, str], make: Factory
) -> None:
    programme = reference_programme()
    driver = Driver(make())
    await driver.sync(programme)
    for name in ("a", "b"):
        assert [t.split("\n")[0] for t in signal_fake.shown(groups[name])] == [
            "Programme du vendredi 12 novembre",
            "Programme du samedi 13 novembre",
            "Programme du dimanche 14 novembre",
        ]
    assert signal_fake.sends_to(groups["stranger"]) == []
    changed = moved(programme, "restitution", status="cancelled")
    driver.connector = make()  # restart: the board comes back from its file
    await driver.sync(changed)
    news = announcement_between(programme, changed)
    for group in driver.connector.targets():
        await driver.connector.announce(group, news)
    for name in ("a", "b"):
        shown = signal_fake.shown(groups[name])
        assert len(shown) == 4  # three days, edited in place, and one announcement
        assert (
            "Prendre soin des communs : la restitution · Ateliers Jeanne Barret (ANNULÉ)"
            in shown[0]
        )
        assert shown[3] == (
            "Changements au programme\n"
            "• Prendre soin des communs : la restitution "
            "(vendredi 12 novembre, 15 h 30) : annulé"
        )
        edits = [s for s in signal_fake.sends_to(groups[name]) if s.edit_timestamp is not None]
        assert len(edits) == 1
    calls = len(signal_fake.requests)
    assert await driver.sync(changed) == []
    assert len(signal_fake.requests) == calls


async def test_after_the_edit_window_a_new_message_is_posted(
    signal_fake: FakeSignal, groups: dict[str, str], make: Factory
) -> None:
    programme = reference_programme()
    driver = Driver(make(names=("a",)))
    await driver.sync(programme)
    signal_fake.advance(hours=25)
    connector = driver.connector
    assert isinstance(connector, SignalConnector)
    connector.clock = lambda: time.time() + 25 * 3600
    await driver.sync(moved(programme, "accueil-cafe", title="Accueil café"))
    shown = signal_fake.shown(groups["a"])
    assert len(shown) == 4
    assert "Accueil café : les grandes tables" in shown[2]  # the old one can no longer change
    assert "9 h 30 – 10 h · Accueil café ·" in shown[3]


async def test_rate_limit_opens_the_breaker_until_reset(
    signal_fake: FakeSignal, groups: dict[str, str], make: Factory
) -> None:
    programme = reference_programme()
    news = announcement_between(programme, moved(programme, "restitution", status="cancelled"))
    connector = make()
    signal_fake.rate_limit(times=1, captcha=True)
    with pytest.raises(BreakerOpen, match="hub connector reset signal"):
        await connector.announce(groups["a"], news)
    requests = len(signal_fake.requests)
    with pytest.raises(BreakerOpen):  # held: nothing more is sent
        await connector.announce(groups["b"], news)
    assert len(signal_fake.requests) == requests
    fresh = make()  # after `hub connector reset signal`, a new run sends again
    await fresh.announce(groups["a"], news)
    assert len(signal_fake.shown(groups["a"])) == 1


async def test_partial_group_send_is_not_resent(
    signal_fake: FakeSignal, groups: dict[str, str], make: Factory
) -> None:
    programme = reference_programme()
    news = announcement_between(programme, moved(programme, "restitution", status="cancelled"))
    connector = make()
    signal_fake.partial_failure([MEMBERS[1]], reason="Unregistered user")
    ref = await connector.announce(groups["a"], news)
    [sent] = signal_fake.sends_to(groups["a"])
    assert sent.delivered_to == [MEMBERS[0]] and ref.remote_id == str(sent.timestamp)
    signal_fake.partial_failure([MEMBERS[1]], reason="RATE_LIMIT_FAILURE")
    await connector.announce(groups["b"], news)
    with pytest.raises(BreakerOpen):  # a member rate-limited: stop before it gets worse
        await connector.announce(groups["b"], news)
    with pytest.raises(PermanentError):
        await connector.announce(groups["stranger"], news)
    assert signal_fake.sends_to(groups["stranger"]) == []


@pytest.mark.parametrize(
    ("status", "error"), [(401, AuthError), (403, AuthError), (404, PermanentError), (500, TransientError),
                          (503, TransientError), (400, PermanentError)]
)
async def test_http_errors_map_through_the_shared_table(
    signal_fake: FakeSignal, groups: dict[str, str], make: Factory, status: int, error: type[Exception]
) -> None:
    programme = reference_programme()
    news = announcement_between(programme, moved(programme, "restitution", status="cancelled"))
    connector = make()
    signal_fake.fail(status, headers={"Retry-After": "30"})
    with pytest.raises(error) as caught:
        await connector.announce(groups["a"], news)
    assert type(caught.value) is error and f"answered {status}" in str(caught.value)
    if error is TransientError:
        assert caught.value.retry_after == 30  # type: ignore[attr-defined]
    assert connector.breaker is None, "only a 429 holds the connector"
    assert signal_fake.sends_to(groups["a"]) == []
