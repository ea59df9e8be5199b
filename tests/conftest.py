"""Fixtures shared by every test folder."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

import tests.doubles  # noqa: F401  (registers the test connector types)
from connectors.http import build_client
from sync.protocol import Connector, ConnectorConfig, ConnectorContext, RequestCounter
from tests.doubles.memory import MemoryStore


@pytest.fixture(autouse=True)
def _fresh_memory_stores() -> None:
    MemoryStore.REGISTRY.clear()


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """A command run in-process sets up logging for its process (handlers, the secrets'
    redactor, the language's translation); the next test starts from what was there before."""
    root = logging.getLogger()
    handlers = {handler: list(handler.filters) for handler in root.handlers}
    level = root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler, filters in handlers.items():
        handler.filters[:] = filters
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


@pytest.fixture
async def make_context(tmp_path: Path) -> AsyncIterator[Callable[[str], ConnectorContext]]:
    """Builds connector contexts whose HTTP clients are closed after the test."""
    contexts: list[ConnectorContext] = []
    counter = RequestCounter()

    def make(name: str, language: str = "fr") -> ConnectorContext:
        ctx = ConnectorContext(name, build_client(name, counter), counter, language, tmp_path)
        contexts.append(ctx)
        return ctx

    yield make
    for ctx in contexts:
        await ctx.http.aclose()


async def opened(connector: Connector[ConnectorConfig]) -> Connector[ConnectorConfig]:
    await connector.open()
    return connector
