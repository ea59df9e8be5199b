"""Fixtures for the Framadate tests: the fake instance, the real Radicale and Etherpad peers, a
fake Telegram, and a connector bound to the fake with a state store of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from connectors.framadate import FramadateConfig, FramadateConnector
from sync.protocol import ConnectorContext
from sync.state import StateStore, StoredConnectorState
from tests.caldav.conftest import CalDAVServer, radicale  # noqa: F401  (the real CalDAV peer)
from tests.etherpad.conftest import EtherpadServer, etherpad_server  # noqa: F401  (the real Etherpad peer)
from tests.fakes.framadate import FakeFramadate
from tests.fakes.telegram import FakeTelegram

__all__ = ["CalDAVServer", "EtherpadServer"]


@pytest.fixture
def framadate() -> Iterator[FakeFramadate]:
    with FakeFramadate().running() as fake:
        yield fake


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram().running() as fake:
        yield fake


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    opened = StateStore.open(f"sqlite:///{tmp_path / 'state' / 'hub.db'}")
    yield opened
    opened.close()


@pytest.fixture
async def make_framadate(
    framadate: FakeFramadate, store: StateStore, make_context: Callable[..., ConnectorContext]
) -> AsyncIterator[Callable[..., FramadateConnector]]:
    """Connectors on the fake, with their polls kept in ``store``."""

    def make(language: str = "fr", **options: object) -> FramadateConnector:
        ctx = make_context("sondages", language)
        ctx.state = StoredConnectorState(store, "sondages")
        config = FramadateConfig.model_validate({"type": "framadate", "url": framadate.url,
                                                 "admin_email": "orga@example.org", **options})
        return FramadateConnector("sondages", config, ctx)

    yield make
