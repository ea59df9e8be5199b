"""The Nextcloud connector passes the shared connector contract (fake Nextcloud, real Radicale)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from connectors.nextcloud import NextcloudConfig, NextcloudConnector
from sync.protocol import Connector, ConnectorConfig
from tests.caldav.harness import context
from tests.caldav.person import Person
from tests.contract.suite import ReadableConnectorContract, RemoteKeys
from tests.nextcloud.conftest import APP_PASSWORD, NextcloudSetup


class TestNextcloudContract(ReadableConnectorContract):
    connector_type = "nextcloud"

    @pytest.fixture
    async def connector(
        self, nextcloud: NextcloudSetup, tmp_path: Path
    ) -> AsyncIterator[NextcloudConnector]:
        config = NextcloudConfig(
            url=nextcloud.url,
            username="hub",
            app_password=APP_PASSWORD,
            calendar=nextcloud.calendar,
            folder=f"Contrat/{tmp_path.name}",
            staging=str(tmp_path / "staging"),
        )
        connector = NextcloudConnector("nuage", config, context("nuage"))
        await connector.open()
        yield connector
        await connector.close()
        await connector.ctx.close_http()

    @pytest.fixture
    def remote_keys(self, nextcloud: NextcloudSetup) -> RemoteKeys:
        async def keys(connector: Connector[ConnectorConfig]) -> set[str]:
            """The X-HUB-IDs on the CalDAV server behind Nextcloud."""
            with Person(nextcloud.radicale, nextcloud.upstream_calendar_url()).calendar() as cal:
                return {str(e.icalendar_component["x-hub-id"]) for e in cal.get_events()}

        return keys
