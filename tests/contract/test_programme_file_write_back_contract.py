"""The programme file with ``write_back`` passes the readable sink contract: what the hub writes
into it reads back exactly, creates no duplicate, and a removed session leaves the file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import yaml

from connectors.programme_file import ProgrammeFileConfig, ProgrammeFileConnector
from sync.model import Programme
from sync.programme_reader import load_programme
from sync.protocol import Capability, Connector, ConnectorConfig, ConnectorContext
from tests.contract.suite import ReadableConnectorContract, push
from tests.helpers import REFERENCE


class TestProgrammeFileWriteBackContract(ReadableConnectorContract):
    connector_type = "programme_file"

    @pytest.fixture
    async def connector(
        self, tmp_path: Path, make_context: Callable[[str], ConnectorContext]
    ) -> AsyncIterator[ProgrammeFileConnector]:
        # An empty remote: the reference programme's event, days and venues, and no session.
        text = REFERENCE.read_text(encoding="utf-8")
        (tmp_path / "programme.yaml").write_text(text[: text.index("sessions:")] + "sessions: []\n",
                                                 encoding="utf-8")
        connector = ProgrammeFileConnector(
            "programme", ProgrammeFileConfig(path="programme.yaml", write_back=True), make_context("programme"))
        await connector.open()
        yield connector
        await connector.close()

    @pytest.fixture
    def remote_keys(self, tmp_path: Path) -> Callable[[Connector[ConnectorConfig]], object]:
        async def keys(_connector: Connector[ConnectorConfig]) -> set[str]:
            data = yaml.safe_load((tmp_path / "programme.yaml").read_text(encoding="utf-8"))
            return {session["id"] for session in data["sessions"]}

        return keys

    async def test_write_back_makes_it_a_sink(self, connector: Connector[ConnectorConfig]) -> None:
        assert connector.capabilities == Capability.READ | Capability.WRITE | Capability.DELETE
        assert ProgrammeFileConnector.capabilities == Capability.READ, "a setting of one file, not of the type"

    async def test_unchanged_remote_costs_one_request(self, connector: Connector[ConnectorConfig],
                                                      programme: Programme) -> None:
        """A file is no server: an unchanged one costs no request and is not even parsed."""
        links = await push(connector, programme)
        first = await connector.pull(None, links, programme)
        again = await connector.pull(first.cursor, links, programme)
        assert again.items == [] and again.cursor == first.cursor

    async def test_what_was_written_is_the_programme(self, connector: Connector[ConnectorConfig],
                                                     programme: Programme, tmp_path: Path) -> None:
        await push(connector, programme)
        assert load_programme(tmp_path / "programme.yaml") == programme
