"""Fixtures: one real WordPress site per test session, served by ``php -S`` on loopback.

The site is built from scratch (fresh database, docroot, users, application passwords) by
:mod:`tests.wordpress.site`; ``missing_peer`` skips the tests locally, or fails them in CI,
when WordPress, PHP or MariaDB is not there.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.http import build_client
from connectors.wordpress import WordPressConfig, WordPressConnector
from sync.model import Programme
from sync.programme_reader import load_programme
from sync.protocol import ConnectorContext, Link, Op, OpResult, PullResult, RemoteRef, RequestCounter
from tests.peers.process import REPO, free_port, missing_peer, running
from tests.wordpress import site as wp


@pytest.fixture(scope="session")
def wordpress_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[wp.Site]:
    why = wp.missing_requirements()
    if why:
        missing_peer("wordpress", why)
    root: Path = tmp_path_factory.mktemp("wordpress")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    db_name = f"hubwp_{secrets.token_hex(6)}"
    db_password = secrets.token_hex(16)
    admin, author, publisher = wp.new_accounts()
    wp.create_database(db_name, db_password)
    try:
        docroot = wp.build_docroot(root, url=url, db_name=db_name, db_password=db_password)
        wp.provision(docroot, host=f"127.0.0.1:{port}", accounts=(admin, author, publisher))
        argv = ["php", "-S", f"127.0.0.1:{port}", "-t", str(docroot), str(root / "router.php")]
        with running(
            "wordpress",
            argv,
            port,
            cwd=docroot,
            env={"PHP_CLI_SERVER_WORKERS": "4"},
            log=root / "php-server.log",
        ):
            yield wp.Site(url, docroot, db_name, admin, author, publisher)
    finally:
        wp.drop_database(db_name)


@pytest.fixture
async def wp_admin(wordpress_site: wp.Site) -> AsyncIterator[httpx.AsyncClient]:
    """A plain REST client logged in as the administrator, to look at the site like a person."""
    auth = (wordpress_site.admin.username, wordpress_site.admin.app_password)
    async with httpx.AsyncClient(base_url=wordpress_site.rest, auth=auth, timeout=30) as client:
        yield client


@dataclass
class Harness:
    """A connector on the test site, and what the engine would keep between runs."""

    connector: WordPressConnector
    counter: RequestCounter
    cursor: str | None = None
    links: dict[str, Link] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return self.counter.get(self.connector.name)

    async def pull(self) -> PullResult:
        result = await self.connector.pull(self.cursor, self.links, PROGRAMME)
        self.cursor = result.cursor
        return result

    async def push(self, programme: Programme, previous: Programme | None = None) -> list[OpResult]:
        """Send the ops an engine would plan from ``previous`` to ``programme``."""
        before = previous.sessions if previous else {}
        ops: list[Op] = []
        for key, session in programme.sessions.items():
            projection = self.connector.project(session, programme)
            old = before.get(key)
            if old is None:
                ops.append(Op("create", key, projection, None))
            elif old != session or self.connector.project(old, previous) != projection:  # type: ignore[arg-type]
                ops.append(Op("update", key, projection, self.links.get(key)))
        ops.extend(
            Op("delete", key, None, self.links.get(key))
            for key in before
            if key not in programme.sessions
        )
        results = await self.connector.apply(ops, programme)
        for op, result in zip(ops, results, strict=True):
            if isinstance(result, RemoteRef):
                self.links[op.key] = Link(
                    self.connector.name, "sessions", op.key, result.remote_id, result.version
                )
        return results


PROGRAMME = load_programme(REPO / "config" / "examples" / "programme.yaml")


@pytest.fixture
def programme() -> Programme:
    return PROGRAMME


@pytest.fixture
async def harness_factory(wordpress_site: wp.Site) -> AsyncIterator[Callable[..., Harness]]:
    """Builds connectors on the shared site, each with its own page slug and news prefix."""
    clients: list[httpx.AsyncClient] = []
    connectors: list[WordPressConnector] = []

    def make(
        account: wp.Account | None = None, *, password: str | None = None, **settings: Any
    ) -> Harness:
        account = account or wordpress_site.admin
        unique = secrets.token_hex(4)
        values: dict[str, Any] = {
            "url": wordpress_site.url,
            "username": account.username,
            "application_password": password if password is not None else account.app_password,
            "page": f"programme-{unique}",
            "news_slug_prefix": f"changements-{unique}",
        }
        values.update(settings)
        config = WordPressConfig(type="wordpress", **values)
        counter = RequestCounter()
        name = f"site-{unique}"
        http = build_client(name, counter)
        clients.append(http)
        connector = WordPressConnector(
            name, config, ConnectorContext(name, http, counter, language="fr")
        )
        connectors.append(connector)
        return Harness(connector, counter)

    yield make
    for connector in connectors:
        await connector.close()
    for client in clients:
        await client.aclose()
