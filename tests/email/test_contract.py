"""The e-mail connector is held to the contract every connector passes (it announces only:
no session is ever written to a list, so the sink suite's writes do not apply)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from connectors.email import EmailConnector
from sync.protocol import Capability
from tests.contract.suite import Contract
from tests.email.conftest import MakeConnector


class TestEmailContract(Contract):
    connector_type = "email"

    @pytest.fixture
    async def connector(self, make_connector: MakeConnector) -> AsyncIterator[EmailConnector]:
        connector = make_connector()
        await connector.open()
        yield connector
        await connector.close()

    async def test_it_announces_and_writes_nothing(self, connector: EmailConnector) -> None:
        assert connector.capabilities == Capability.ANNOUNCE
        assert connector.targets() == ["assemblee@listes.example.org"]
