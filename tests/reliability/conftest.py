"""Fixtures for the reliability suite: the real peers (one of each per test session) and the chat
fakes (one of each per module; every test works in chats, calendars, pads and pages of its own)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.caldav.conftest import CalDAVServer, radicale  # noqa: F401  (the real CalDAV peer)
from tests.doubles.zygote import Zygote
from tests.etherpad.conftest import EtherpadServer, etherpad_server  # noqa: F401  (the real Etherpad peer)
from tests.fakes.signal import FakeSignal
from tests.fakes.telegram import FakeTelegram
from tests.helpers import REPO
from tests.reliability.world import Peers, Runner
from tests.wordpress.conftest import wordpress_site  # noqa: F401  (the real WordPress peer)
from tests.wordpress.site import Site

__all__ = ["CalDAVServer", "EtherpadServer"]


@pytest.fixture(scope="module")
def telegram_server() -> Iterator[FakeTelegram]:
    with FakeTelegram().running() as fake:
        yield fake


@pytest.fixture(scope="module")
def signal_server() -> Iterator[FakeSignal]:
    with FakeSignal().running() as fake:
        yield fake


@pytest.fixture(scope="module")
def hub_peers(
    radicale: CalDAVServer, etherpad_server: EtherpadServer, wordpress_site: Site,  # noqa: F811
    telegram_server: FakeTelegram, signal_server: FakeSignal,
) -> Peers:
    """Every server a :class:`~tests.reliability.world.World` lives on."""
    return Peers(radicale, etherpad_server, wordpress_site, telegram_server, signal_server)


@pytest.fixture(scope="module")
def hub_runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    """``hub`` commands as processes of their own, forked from one that imported the hub once."""
    zygote = Zygote(tmp_path_factory.mktemp("hub-runs"))
    with zygote.running(REPO):
        def run(argv: list[str], env: Any) -> tuple[int, str, str]:
            return zygote.run(argv, {**os.environ, **env}, REPO)

        yield run
