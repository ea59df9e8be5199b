"""The Etherpad connector passes the connector contract, on the real Etherpad."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from connectors.etherpad import EtherpadConfig, EtherpadConnector
from sync.protocol import Connector, ConnectorConfig, ConnectorContext
from tests.contract.suite import ReadableConnectorContract, RemoteKeys
from tests.etherpad.conftest import EtherpadServer

pytestmark = pytest.mark.peer("etherpad")

MARKER = re.compile(r"^\S.*\[#([^\]\s]+)\]\s*$", re.MULTILINE)


class TestEtherpadContract(ReadableConnectorContract):
    connector_type = "etherpad"

    @pytest.fixture
    async def connector(
        self, etherpad_server: EtherpadServer, make_context: Callable[[str], ConnectorContext]
    ) -> AsyncIterator[EtherpadConnector]:
        config = EtherpadConfig.model_validate(
            {
                "type": "etherpad",
                "url": etherpad_server.url,
                "api_key": etherpad_server.api_key,
                "pad": f"contrat-{secrets.token_hex(4)}",
            }
        )
        connector = EtherpadConnector("pad", config, make_context("pad"))
        await connector.open()
        yield connector
        await connector.close()

    @pytest.fixture
    def remote_keys(self, etherpad_server: EtherpadServer) -> RemoteKeys:
        """The session markers in the pad's plain-text export (what a visitor downloads)."""

        async def keys(connector: Connector[ConnectorConfig]) -> set[str]:
            assert isinstance(connector, EtherpadConnector)
            async with httpx.AsyncClient() as client:
                export = await client.get(f"{etherpad_server.url}/p/{connector.config.pad}/export/txt")
            assert export.status_code == 200
            return set(MARKER.findall(export.text))

        return keys
