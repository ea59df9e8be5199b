"""The HumHub connector passes the connector contract against the fake HumHub (bearer and JWT)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import ClassVar

import pytest

from connectors.humhub import HumHubConnector
from sync.protocol import Connector, ConnectorConfig
from tests.contract.suite import ReadableConnectorContract, RemoteKeys
from tests.humhub.conftest import PASSWORD, HumHubSite


class TestHumHubContract(ReadableConnectorContract):
    connector_type = "humhub"

    settings: ClassVar[Mapping[str, object]] = {}

    @pytest.fixture
    async def connector(self, humhub: HumHubSite) -> AsyncIterator[HumHubConnector]:
        connector = humhub.connector(self.settings)
        await connector.open()
        yield connector
        await connector.close()
        await connector.ctx.close_http()

    @pytest.fixture
    def remote_keys(self, humhub: HumHubSite) -> RemoteKeys:
        async def keys(connector: Connector[ConnectorConfig]) -> set[str]:
            """The sessions the space's calendar holds, read from the server's own store."""
            return set(humhub.entries_by_key())

        return keys


class TestHumHubJwtContract(TestHumHubContract):
    settings: ClassVar[Mapping[str, object]] = {"auth": "jwt", "token": None, "username": "hub", "password": PASSWORD}
