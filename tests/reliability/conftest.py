"""Fixtures for the reliability suite: the real peers (one of each per test session) and the chat
fakes (one of each per module; every test works in chats, calendars, pads and pages of its own)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.caldav.conftest import CalDAVServer, radicale  # noqa: F401  (the real CalDAV peer)
from tests.etherpad.conftest import EtherpadServer, etherpad_server  # noqa: F401  (the real Etherpad peer)
from tests.fakes.signal import FakeSignal
from tests.fakes.telegram import FakeTelegram
from tests.wordpress.conftest import wordpress_site  # noqa: F401  (the real WordPress peer)

__all__ = ["CalDAVServer", "EtherpadServer"]


@pytest.fixture(scope="module")
def telegram_server() -> Iterator[FakeTelegram]:
    with FakeTelegram().running() as fake:
        yield fake


@pytest.fixture(scope="module")
def signal_server() -> Iterator[FakeSignal]:
    with FakeSignal().running() as fake:
        yield fake
