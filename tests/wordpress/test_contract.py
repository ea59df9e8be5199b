"""The WordPress connector passes the connector contract, on the real site (REST and XML-RPC)."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from connectors.wordpress import WordPressConfig, WordPressConnector
from sync.protocol import Connector, ConnectorConfig, ConnectorContext
from tests.contract.suite import ReadableConnectorContract, RemoteKeys
from tests.wordpress.site import Site

SESSION_ITEM = re.compile(r'<li id="session-([^"]+)"')


class TestWordPressContract(ReadableConnectorContract):
    connector_type = "wordpress"

    api = "rest"

    @pytest.fixture
    async def connector(
        self, wordpress_site: Site, make_context: Callable[[str], ConnectorContext]
    ) -> AsyncIterator[WordPressConnector]:
        config = WordPressConfig(
            type="wordpress",
            url=wordpress_site.url,
            username=wordpress_site.admin.username,
            application_password=wordpress_site.admin.app_password,  # type: ignore[arg-type]
            page=f"contrat-{secrets.token_hex(4)}",
            api=self.api,  # type: ignore[arg-type]
        )
        connector = WordPressConnector("site", config, make_context("site"))
        await connector.open()
        yield connector
        await connector.close()

    @pytest.fixture
    def remote_keys(self, wordpress_site: Site) -> RemoteKeys:
        """The sessions a visitor sees on the public page (not the connector's own reading)."""

        async def keys(connector: Connector[ConnectorConfig]) -> set[str]:
            assert isinstance(connector, WordPressConnector)
            async with httpx.AsyncClient(follow_redirects=True) as client:
                page = await client.get(f"{wordpress_site.url}/{connector.config.page}/")
            assert page.status_code == 200
            return set(SESSION_ITEM.findall(page.text))

        return keys


class TestWordPressXmlRpcContract(TestWordPressContract):
    api = "xmlrpc"
