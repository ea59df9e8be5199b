"""Fixtures for the chat connectors: fake Telegram, Signal and Talk servers on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.signal import FakeSignal
from tests.fakes.telegram import FakeTelegram


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram().running() as fake:
        yield fake


@pytest.fixture
def signal_fake() -> Iterator[FakeSignal]:
    with FakeSignal().running() as fake:
        yield fake
