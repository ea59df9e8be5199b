"""The files sink passes the connector contract; its ICS is the independent view of the remote."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from icalendar import Calendar

from connectors.files import FilesConfig, FilesConnector
from sync.protocol import Connector, ConnectorConfig, ConnectorContext
from tests.contract.suite import ConnectorContract, RemoteKeys


class TestFilesContract(ConnectorContract):
    connector_type = "files"

    @pytest.fixture
    async def connector(
        self, tmp_path: Path, make_context: Callable[[str], ConnectorContext]
    ) -> AsyncIterator[FilesConnector]:
        config = FilesConfig(type="files", path=str(tmp_path / "public"))
        connector = FilesConnector("exports", config, make_context("exports"))
        await connector.open()
        yield connector
        await connector.close()

    @pytest.fixture
    def remote_keys(self) -> RemoteKeys:
        async def keys(connector: Connector[ConnectorConfig]) -> set[str]:
            assert isinstance(connector, FilesConnector)
            calendar = Calendar.from_ical((connector.folder / "programme.ics").read_bytes())
            return {str(e["X-HUB-ID"]) for e in calendar.walk("VEVENT")}

        return keys
