"""The contract every connector passes (vdirsyncer's StorageTests, Singer's tap tests).

Subclass :class:`ConnectorContract` (or :class:`ReadableConnectorContract` for a source) once
per connector and provide two fixtures:

- ``connector``: an async fixture yielding a ready connector (``open()`` done) bound to a fresh,
  empty remote (a real server or a faithful fake);
- ``remote_keys``: a function ``async (connector) -> set[str]`` that looks at the remote by other
  means than the connector's own ``pull`` (files on disk, the server's API...) and returns the
  session ids it holds. For readable connectors it may simply use ``pull``.

The tests drive the connector exactly as the engine does (ops with links built from the refs
it returned), on the reference programme.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import ClassVar

import pytest

from sync.model import Programme, content_hash
from sync.protocol import Capability, Connector, ConnectorConfig, Link, Op, RemoteRef
from tests.helpers import reference_programme

RemoteKeys = Callable[[Connector[ConnectorConfig]], Awaitable[set[str]]]


async def push(
    connector: Connector[ConnectorConfig], programme: Programme, links: dict[str, Link] | None = None,
    keys: list[str] | None = None,
) -> dict[str, Link]:
    """Create or update ``keys`` (default: all) the way the engine does; return the new links."""
    links = dict(links or {})
    ops = []
    for key in keys or sorted(programme.sessions):
        projection = connector.project(programme.sessions[key], programme)
        link = links.get(key)
        action = "update" if link is not None else "create"
        ops.append(Op(action, key, projection, link, (link.sequence + 1) if link else 0))
    results = await connector.apply(ops, programme)
    assert len(results) == len(ops), "apply must return one result per op"
    for op, result in zip(ops, results, strict=True):
        assert isinstance(result, RemoteRef), f"{op.action} {op.key} failed: {result!r}"
        digest = content_hash(dict(op.projection or {}))
        links[op.key] = Link(connector.name, connector.collection, op.key, result.remote_id, result.version,
                             digest, digest, dict(op.projection or {}), op.sequence)
    return links


def retimed(programme: Programme, key: str, hours: int = 1) -> Programme:
    session = programme.sessions[key]
    moved = dataclasses.replace(session, start=session.start + timedelta(hours=hours),
                                end=session.end + timedelta(hours=hours))
    return dataclasses.replace(programme, sessions={**programme.sessions, key: moved})


class Contract:
    """What every connector shows, sink or source. Subclasses provide a ``connector`` fixture and
    name the registry type they test in ``connector_type``."""

    connector_type: ClassVar[str]

    @pytest.fixture
    def programme(self) -> Programme:
        return reference_programme()

    async def test_connector_is_of_the_declared_type(self, connector: Connector[ConnectorConfig]) -> None:
        assert connector.type == self.connector_type

    async def test_check_proves_access(self, connector: Connector[ConnectorConfig]) -> None:
        proofs = await connector.check()
        assert proofs and all(isinstance(p, str) and p for p in proofs)


class ConnectorContract(Contract):
    """Behaviour every sink must show. Subclasses also provide ``remote_keys``."""

    @staticmethod
    def readable(connector: Connector[ConnectorConfig]) -> bool:
        return Capability.READ in connector.capabilities

    async def test_readable_connectors_take_the_readable_suite(self, connector: Connector[ConnectorConfig]) -> None:
        if self.readable(connector):
            assert isinstance(self, ReadableConnectorContract), "subclass ReadableConnectorContract"

    async def test_projection_is_deterministic(self, connector: Connector[ConnectorConfig],
                                               programme: Programme) -> None:
        for session in programme.sessions.values():
            first = connector.project(session, programme)
            assert first == connector.project(session, programme)
            assert first["id"] == session.id if "id" in first else True
            content_hash(first)  # JSON-serialisable

    async def test_push_creates_every_session(self, connector: Connector[ConnectorConfig], programme: Programme,
                                              remote_keys: RemoteKeys) -> None:
        await push(connector, programme)
        assert await remote_keys(connector) == set(programme.sessions)

    async def test_repeated_push_creates_no_duplicate(self, connector: Connector[ConnectorConfig],
                                                      programme: Programme, remote_keys: RemoteKeys) -> None:
        links = await push(connector, programme)
        await push(connector, programme, links)
        assert await remote_keys(connector) == set(programme.sessions)

    async def test_update_is_read_back(self, connector: Connector[ConnectorConfig], programme: Programme,
                                       remote_keys: RemoteKeys) -> None:
        links = await push(connector, programme)
        key = sorted(programme.sessions)[0]
        changed = retimed(programme, key)
        links = await push(connector, changed, links, [key])
        assert await remote_keys(connector) == set(programme.sessions)
        if self.readable(connector):
            result = await connector.pull(None, links, changed)
            item = next(i for i in result.items if i.key == key)
            assert item.fields["start"] == changed.sessions[key].to_record()["start"]

    async def test_delete_removes_the_item(self, connector: Connector[ConnectorConfig], programme: Programme,
                                           remote_keys: RemoteKeys) -> None:
        if Capability.DELETE not in connector.capabilities:
            pytest.skip("connector does not delete")
        links = await push(connector, programme)
        key = sorted(programme.sessions)[-1]
        rest = dataclasses.replace(programme, sessions={k: s for k, s in programme.sessions.items() if k != key})
        results = await connector.apply([Op("delete", key, None, links[key], links[key].sequence + 1)], rest)
        assert isinstance(results[0], RemoteRef)
        assert await remote_keys(connector) == set(rest.sessions)


class ReadableConnectorContract(ConnectorContract):
    """The contract plus what a readable connector (a source) must show: echo-free, cheap pulls."""

    async def test_pull_reads_back_exactly_what_was_pushed(self, connector: Connector[ConnectorConfig],
                                                           programme: Programme) -> None:
        links = await push(connector, programme)
        result = await connector.pull(None, links, programme)
        pulled = {item.key: item for item in result.items if item.key is not None}
        assert set(pulled) == set(programme.sessions)
        for key, item in pulled.items():
            assert dict(item.fields) == dict(links[key].base or {}), f"echo on {key}"

    async def test_unchanged_remote_costs_one_request(self, connector: Connector[ConnectorConfig],
                                                      programme: Programme) -> None:
        links = await push(connector, programme)
        first = await connector.pull(None, links, programme)
        before = connector.ctx.counter.get(connector.name)
        again = await connector.pull(first.cursor, links, programme)
        assert connector.ctx.counter.get(connector.name) - before == 1, "one cheap request, counted"
        assert [i for i in again.items if i.key is not None and dict(i.fields) != dict(links[i.key].base or {})] == []


class SourceContract(Contract):
    """Behaviour of a read-only source (the programme file): it reads, cheaply, and never echoes.

    Subclasses provide ``connector`` (opened, over a source holding the reference programme) and
    ``edit``: a function ``(key, field, value) -> None`` that changes one session at the source.
    """

    async def test_a_source_reads_and_never_writes(self, connector: Connector[ConnectorConfig]) -> None:
        assert Capability.READ in connector.capabilities and Capability.WRITE not in connector.capabilities

    async def test_first_pull_holds_every_session_as_projected(
        self, connector: Connector[ConnectorConfig], programme: Programme
    ) -> None:
        result = await connector.pull(None, {}, programme)
        pulled = {item.key: item for item in result.items}
        assert set(pulled) == set(programme.sessions)
        for key, item in pulled.items():
            assert dict(item.fields) == connector.project(programme.sessions[key], programme)

    async def test_unchanged_source_reports_nothing(
        self, connector: Connector[ConnectorConfig], programme: Programme
    ) -> None:
        first = await connector.pull(None, {}, programme)
        again = await connector.pull(first.cursor, {}, programme)
        assert again.items == [] and again.deleted == [] and again.cursor == first.cursor

    async def test_an_edit_is_pulled_with_a_new_cursor(
        self, connector: Connector[ConnectorConfig], programme: Programme, edit: Callable[[str, str, str], None]
    ) -> None:
        first = await connector.pull(None, {}, programme)
        key = sorted(programme.sessions)[0]
        edit(key, "title", "Titre corrigé")
        again = await connector.pull(first.cursor, {}, programme)
        assert again.cursor != first.cursor
        assert {i.key: i.fields["title"] for i in again.items}[key] == "Titre corrigé"
