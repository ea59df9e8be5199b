"""The CalDAV connector passes the shared connector contract on real Radicale and Xandikos."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from connectors.caldav import CalDAVConfig, CalDAVConnector
from sync.protocol import Connector, ConnectorConfig
from tests.caldav.conftest import CalDAVServer
from tests.caldav.harness import context
from tests.caldav.person import Person
from tests.contract.suite import ReadableConnectorContract, RemoteKeys


class TestCalDAVContract(ReadableConnectorContract):
    connector_type = "caldav"

    @pytest.fixture
    async def connector(
        self, caldav_server: CalDAVServer, calendar_url: str
    ) -> AsyncIterator[CalDAVConnector]:
        config = CalDAVConfig(
            url=calendar_url,
            username=caldav_server.username,
            password=caldav_server.password,
            verify=caldav_server.verify,
        )
        connector = CalDAVConnector("calendar", config, context("calendar"))
        await connector.open()
        yield connector
        await connector.close()
        await connector.ctx.close_http()

    @pytest.fixture
    def remote_keys(self, caldav_server: CalDAVServer) -> RemoteKeys:
        async def keys(connector: Connector[ConnectorConfig]) -> set[str]:
            """The X-HUB-IDs a person's calendar app sees on the server."""
            assert isinstance(connector, CalDAVConnector)
            with Person(caldav_server, connector.config.url).calendar() as cal:
                return {str(e.icalendar_component["x-hub-id"]) for e in cal.get_events()}

        return keys
