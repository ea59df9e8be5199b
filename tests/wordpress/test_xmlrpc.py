"""The XML-RPC path (for sites that disabled REST) on a real WordPress."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from sync.errors import AuthError
from sync.model import Programme
from sync.protocol import RemoteRef
from tests.wordpress.conftest import Harness
from tests.wordpress.site import Site
from tests.wordpress.test_news_and_access import posts_with_slug, retime_announcement
from tests.wordpress.test_programme_page import pages_with_slug


async def test_xmlrpc_keeps_the_same_page_and_reads_it_back(
    harness_factory: Callable[..., Harness], wp_admin: httpx.AsyncClient, programme: Programme
) -> None:
    h = harness_factory(api="xmlrpc")
    proofs = await h.connector.check()
    assert any("XML-RPC" in p for p in proofs)

    results = await h.push(programme)
    page_ids = {r.remote_id for r in results if isinstance(r, RemoteRef)}
    assert len(page_ids) == 1 and len(results) == len(programme.sessions)
    (page_id,) = page_ids
    pulled = await h.pull()
    projections = {k: h.connector.project(s, programme) for k, s in programme.sessions.items()}
    assert pulled.problems == [] and pulled.complete
    assert {i.key: dict(i.fields) for i in pulled.items} == projections

    # Once the hub has seen the page, an unchanged page costs one request.
    page = (await pages_with_slug(wp_admin, h.connector.config.page))[0]
    h.cursor = f"{page_id}@{page['modified_gmt']}"
    before = h.requests
    probe = await h.pull()
    assert probe.items == [] and probe.problems == []
    assert h.requests - before == 1
    h.cursor = pulled.cursor  # back to what the connector itself said

    session = programme.sorted_sessions()[5]
    changed = replace(
        programme, sessions={**programme.sessions, session.id: replace(session, status="cancelled")}
    )
    results = await h.push(changed, programme)
    assert [r.remote_id for r in results if isinstance(r, RemoteRef)] == [page_id]
    pages = await pages_with_slug(wp_admin, h.connector.config.page)
    assert [str(p["id"]) for p in pages] == [page_id]
    assert 'data-status="cancelled"' in pages[0]["content"]["raw"]

    hand = pages[0]["content"]["raw"].replace("Annulé", "Supprimé")
    (await wp_admin.post(f"/pages/{page_id}", json={"content": hand})).raise_for_status()
    drift = await h.pull()
    assert len(drift.problems) == 1 and "à la main" in drift.problems[0]


async def test_xmlrpc_news_post_is_found_again_instead_of_duplicated(
    harness_factory: Callable[..., Harness], wp_admin: httpx.AsyncClient, programme: Programme
) -> None:
    h = harness_factory(api="xmlrpc")
    announcement = retime_announcement(programme, index=7)
    ref = await h.connector.announce("news", announcement)
    # A fresh connector (as after a crash) finds it through wp.getPosts, a list call that
    # python-wordpress-xmlrpc cannot make on Python >= 3.10 without the local fix.
    other = harness_factory(api="xmlrpc", news_slug_prefix=h.connector.config.news_slug_prefix)
    assert (await other.connector.announce("news", announcement)).remote_id == ref.remote_id
    posts = await posts_with_slug(wp_admin, h.connector.news_slug(announcement))
    assert [str(p["id"]) for p in posts] == [ref.remote_id]


async def test_xmlrpc_wrong_password_is_an_auth_error(
    harness_factory: Callable[..., Harness],
) -> None:
    h = harness_factory(api="xmlrpc", password="wrongwrongwrongwrongwron")
    with pytest.raises(AuthError) as caught:
        await h.connector.check()
    assert "wrongwrong" not in str(caught.value)
    with pytest.raises(AuthError):
        await h.pull()


async def test_xmlrpc_check_knows_an_author_cannot_edit_pages(
    harness_factory: Callable[..., Harness], wordpress_site: Site
) -> None:
    h = harness_factory(wordpress_site.author, api="xmlrpc", language="en")
    with pytest.raises(AuthError) as caught:
        await h.connector.check()
    assert "edit pages" in str(caught.value)
