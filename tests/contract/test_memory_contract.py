"""The in-memory reference connector passes the connector contract."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from sync.protocol import Connector, ConnectorConfig, ConnectorContext
from tests.contract.suite import ReadableConnectorContract, RemoteKeys
from tests.doubles.memory import MemoryConfig, MemoryConnector


class TestMemoryContract(ReadableConnectorContract):
    connector_type = "memory"

    @pytest.fixture
    async def connector(self, make_context: Callable[[str], ConnectorContext]) -> AsyncIterator[MemoryConnector]:
        connector = MemoryConnector("mem", MemoryConfig(type="memory", store="contract"), make_context("mem"))
        await connector.open()
        yield connector

    @pytest.fixture
    def remote_keys(self) -> RemoteKeys:
        async def keys(connector: Connector[ConnectorConfig]) -> set[str]:
            assert isinstance(connector, MemoryConnector)
            return {item.key for item in connector.store.items.values() if item.key}

        return keys
