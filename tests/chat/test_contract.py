"""The chat connectors pass the connector contract (write-only sinks: the remote is read through
the fake servers' own view of each chat)."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator, Callable

import pytest

from connectors.signal import SignalConfig, SignalConnector
from connectors.telegram import TelegramConfig, TelegramConnector
from sync.protocol import Connector, ConnectorConfig, ConnectorContext
from tests.contract.suite import ConnectorContract, RemoteKeys
from tests.fakes.signal import FakeSignal
from tests.fakes.telegram import FakeTelegram
from tests.helpers import reference_programme

CHAT = -1001


def keys_in(texts: list[str], marker: Callable[[str], str]) -> set[str]:
    """Session ids whose line shows in the chat's programme messages."""
    shown = "\n".join(texts)
    return {s.id for s in reference_programme().sessions.values() if marker(s.title) in shown}


class TestTelegramContract(ConnectorContract):
    connector_type = "telegram"

    @pytest.fixture
    async def connector(
        self, telegram: FakeTelegram, make_context: Callable[[str], ConnectorContext]
    ) -> AsyncIterator[TelegramConnector]:
        telegram.add_chat(CHAT)
        config = TelegramConfig(
            type="telegram",
            api_url=telegram.url,
            token=telegram.token,  # type: ignore[arg-type]
            chats=[CHAT],
            pace_seconds=0,
        )
        connector = TelegramConnector("telegram", config, make_context("telegram"))
        await connector.open()
        yield connector
        await connector.close()

    @pytest.fixture
    def remote_keys(self, telegram: FakeTelegram) -> RemoteKeys:
        async def keys(connector: Connector[ConnectorConfig]) -> set[str]:
            texts = [m.html or "" for m in telegram.messages(CHAT)]
            return keys_in(texts, lambda title: f"<b>{html.escape(title, quote=False)}</b>")

        return keys


class TestSignalContract(ConnectorContract):
    connector_type = "signal"

    @pytest.fixture
    async def connector(
        self, signal_fake: FakeSignal, make_context: Callable[[str], ConnectorContext]
    ) -> AsyncIterator[SignalConnector]:
        group = signal_fake.add_group("Assemblée", members=["+4917612345678"])
        config = SignalConfig(
            type="signal",
            url=signal_fake.url,
            number=signal_fake.number,
            groups=[group],
            pace_seconds=0,
        )
        connector = SignalConnector("signal", config, make_context("signal"))
        await connector.open()
        yield connector
        await connector.close()

    @pytest.fixture
    def remote_keys(self, signal_fake: FakeSignal) -> RemoteKeys:
        async def keys(connector: Connector[ConnectorConfig]) -> set[str]:
            assert isinstance(connector, SignalConnector)
            return keys_in(
                signal_fake.shown(connector.targets()[0]), lambda title: f" · {title} · "
            )

        return keys
