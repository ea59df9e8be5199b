"""Fixtures shared by every test folder."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

import tests.doubles  # noqa: F401  (registers the test connector types)
from connectors.http import build_client
from sync.inputs import running_code_digest
from sync.protocol import Connector, ConnectorConfig, ConnectorContext, RequestCounter
from tests.doubles.memory import MemoryStore

#: ``HUB_LONG_TESTS=1`` runs the long suites in full (10,000 examples per fuzzed parser, every
#: crash point); without it they run a fixed sample, the same on every run (CI's budget).
LONG = os.environ.get("HUB_LONG_TESTS") == "1"
settings.register_profile("sample", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("long", max_examples=10_000, deadline=None, print_blob=True)
settings.load_profile("long" if LONG else "sample")


def examples(sample: int) -> int:
    """How many examples a fuzz test draws: ``sample`` (fixed, CI), or 10,000 with HUB_LONG_TESTS=1."""
    return 10_000 if LONG else sample


@pytest.fixture(autouse=True, scope="session")
def _own_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """What ``hub sync`` keeps between runs (:mod:`hub.quickstart`) goes to the tests' own cache
    folder, never the user's; the commands the tests start inherit it."""
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture(autouse=True)
def _code_read_afresh() -> None:
    """Each test reads the hub's code digest anew, as each ``hub`` command it starts does (a
    process takes it once): a test comparing what it recorded in process with what a command
    checks then sees the same code even when a module was edited while the suite ran."""
    running_code_digest.cache_clear()


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
        await ctx.close_http()


async def opened(connector: Connector[ConnectorConfig]) -> Connector[ConnectorConfig]:
    await connector.open()
    return connector
