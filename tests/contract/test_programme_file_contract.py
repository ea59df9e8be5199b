"""The programme file passes the source contract: every session read, nothing re-read unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from connectors.programme_file import ProgrammeFileConfig, ProgrammeFileConnector
from sync.protocol import ConnectorContext
from tests.contract.suite import SourceContract
from tests.helpers import edit_programme, write_config


class TestProgrammeFileContract(SourceContract):
    connector_type = "programme_file"

    @pytest.fixture
    async def connector(
        self, tmp_path: Path, make_context: Callable[[str], ConnectorContext]
    ) -> AsyncIterator[ProgrammeFileConnector]:
        write_config(tmp_path)  # copies the reference programme to programme.yaml
        connector = ProgrammeFileConnector("programme", ProgrammeFileConfig(path="programme.yaml"),
                                           make_context("programme"))
        await connector.open()
        yield connector
        await connector.close()

    @pytest.fixture
    def edit(self, tmp_path: Path) -> Callable[[str, str, str], None]:
        return lambda key, field, value: edit_programme(tmp_path, key, **{field: value})
