"""Every registered connector type is held to the contract suite by a subclass of its own."""

from __future__ import annotations

import importlib

from connectors.registry import CONNECTOR_TYPES
from tests.contract.suite import Contract
from tests.helpers import REPO


def subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= subclasses(sub)
    return found


def test_every_registered_type_has_a_contract_subclass() -> None:
    for path in REPO.joinpath("tests").rglob("test_*contract*.py"):
        importlib.import_module(".".join(path.relative_to(REPO).with_suffix("").parts))
    contracts = subclasses(Contract)
    covered = {cls.connector_type for cls in contracts if hasattr(cls, "connector_type")}
    assert set(CONNECTOR_TYPES) - covered == set()
