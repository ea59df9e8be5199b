"""Fixtures: one real WordPress site per test session, served by ``php -S`` on loopback.

The site is built from scratch (fresh database, docroot, users, application passwords) by
:mod:`tests.wordpress.site`; ``missing_peer`` skips the tests locally, or fails them in CI,
when WordPress, PHP or MariaDB is not there.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.peers.process import free_port, missing_peer, running
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
    admin, author = wp.new_accounts()
    wp.create_database(db_name, db_password)
    try:
        docroot = wp.build_docroot(root, url=url, db_name=db_name, db_password=db_password)
        wp.provision(docroot, host=f"127.0.0.1:{port}", admin=admin, author=author)
        argv = ["php", "-S", f"127.0.0.1:{port}", "-t", str(docroot), str(root / "router.php")]
        with running(
            "wordpress",
            argv,
            port,
            cwd=docroot,
            env={"PHP_CLI_SERVER_WORKERS": "4"},
            log=root / "php-server.log",
        ):
            yield wp.Site(url=url, docroot=docroot, database=db_name, admin=admin, author=author)
    finally:
        wp.drop_database(db_name)


@pytest.fixture
async def wp_admin(wordpress_site: wp.Site) -> AsyncIterator[httpx.AsyncClient]:
    """A plain REST client logged in as the administrator, to look at the site like a person."""
    auth = (wordpress_site.admin.username, wordpress_site.admin.app_password)
    async with httpx.AsyncClient(base_url=wordpress_site.rest, auth=auth, timeout=30) as client:
        yield client
