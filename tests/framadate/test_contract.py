"""The Framadate connector under the contract every type is held to.

Framadate is no source or sink of the programme (no READ, no WRITE: the engine neither pulls nor
pushes it), so it takes the base :class:`Contract`: its declared type, and a ``check`` that proves
the instance answers with Framadate's creation form.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connectors.framadate import FramadateConnector
from sync.protocol import Capability
from tests.contract.suite import Contract
from tests.fakes.framadate import FakeFramadate


class TestFramadateContract(Contract):
    connector_type = "framadate"

    @pytest.fixture
    def connector(self, make_framadate: Callable[..., FramadateConnector]) -> FramadateConnector:
        return make_framadate()

    async def test_the_engine_neither_pulls_nor_pushes_it(self, connector: FramadateConnector) -> None:
        assert not connector.capabilities & (Capability.READ | Capability.WRITE | Capability.ANNOUNCE)

    async def test_check_says_the_instance_wants_an_e_mail(
        self, connector: FramadateConnector, framadate: FakeFramadate
    ) -> None:
        proofs = await connector.check()
        assert any("orga@example.org" in p for p in proofs)
        framadate.use_smtp = False
        assert not any("orga@example.org" in p for p in await connector.check())
