"""News posts for announcements, ``hub check`` and credentials, on a real WordPress."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest

from sync.announce import Announcement, announcement_for, diff_versions
from sync.errors import AuthError
from sync.model import Programme
from sync.protocol import RemoteRef
from tests.wordpress.conftest import Harness
from tests.wordpress.site import Site


def retime_announcement(programme: Programme, hours: int = 1, index: int = 4) -> Announcement:
    session = programme.sorted_sessions()[index]
    moved = replace(
        session,
        start=session.start + timedelta(hours=hours),
        end=session.end + timedelta(hours=hours),
    )
    before = {k: s.to_record() for k, s in programme.sessions.items()}
    after = {**before, session.id: moved.to_record()}
    announcement = announcement_for(diff_versions(before, after), programme.venues)
    assert announcement is not None
    return announcement


async def posts_with_slug(admin: httpx.AsyncClient, slug: str) -> list[dict[str, Any]]:
    response = await admin.get(
        "/posts", params={"slug": slug, "status": "publish,draft,private", "context": "edit"}
    )
    response.raise_for_status()
    posts: list[dict[str, Any]] = response.json()
    return posts


async def test_one_news_post_per_announcement_never_twice(
    harness_factory: Callable[..., Harness],
    wp_admin: httpx.AsyncClient,
    wordpress_site: Site,
    programme: Programme,
) -> None:
    h = harness_factory()
    assert h.connector.targets() == ["news"]
    announcement = retime_announcement(programme)
    ref = await h.connector.announce("news", announcement)
    slug = h.connector.news_slug(announcement)
    posts = await posts_with_slug(wp_admin, slug)
    assert [str(p["id"]) for p in posts] == [ref.remote_id]
    assert posts[0]["status"] == "publish"
    assert posts[0]["title"]["raw"] == "Changements au programme"
    public = (await httpx.AsyncClient().get(posts[0]["link"])).text
    assert "déplacé de" in public

    # Sent again (a retry, or a run after a crash that lost the reply): the same post.
    again = await h.connector.announce("news", announcement)
    assert again.remote_id == ref.remote_id
    other = harness_factory(news_slug_prefix=h.connector.config.news_slug_prefix)
    assert (await other.connector.announce("news", announcement)).remote_id == ref.remote_id
    assert len(await posts_with_slug(wp_admin, slug)) == 1

    # A different batch is a different post.
    second = retime_announcement(programme, hours=2)
    ref2 = await h.connector.announce("news", second)
    assert ref2.remote_id != ref.remote_id


async def test_news_in_english_and_escaped(
    harness_factory: Callable[..., Harness], wp_admin: httpx.AsyncClient, programme: Programme
) -> None:
    h = harness_factory(language="en", news_status="draft")
    session = programme.sorted_sessions()[2]
    renamed = replace(session, title="<script>alert(1)</script> Workshop")
    before = {k: s.to_record() for k, s in programme.sessions.items()}
    announcement = announcement_for(
        diff_versions(before, {**before, session.id: renamed.to_record()}), programme.venues
    )
    assert announcement is not None
    ref = await h.connector.announce("news", announcement)
    post = (await wp_admin.get(f"/posts/{ref.remote_id}", params={"context": "edit"})).json()
    assert post["status"] == "draft" and post["title"]["raw"] == "Programme changes"
    assert "<script>" not in post["content"]["raw"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Workshop" in post["content"]["raw"]
    assert "is now called" in post["content"]["raw"]


async def test_news_can_be_switched_off(harness_factory: Callable[..., Harness]) -> None:
    assert harness_factory(news=False).connector.targets() == []


async def test_check_proves_credentials_and_rights(harness_factory: Callable[..., Harness]) -> None:
    h = harness_factory()
    proofs = await h.connector.check()
    assert any("hubadmin" in p for p in proofs)
    assert any("modifier les pages" in p and "publier des articles" in p for p in proofs)
    assert any("sera créée" in p for p in proofs)


async def test_wrong_application_password_is_a_clear_auth_error(
    harness_factory: Callable[..., Harness], programme: Programme
) -> None:
    h = harness_factory(password="abcd efgh ijkl mnop qrst uvwx")
    with pytest.raises(AuthError) as caught:
        await h.connector.check()
    assert "refusé" in str(caught.value)
    assert "abcd" not in str(caught.value)
    with pytest.raises(AuthError):
        await h.pull()
    with pytest.raises(AuthError):
        await h.push(programme)


async def test_an_author_cannot_keep_the_programme_page(
    harness_factory: Callable[..., Harness], wordpress_site: Site
) -> None:
    h = harness_factory(wordpress_site.author, language="en")
    with pytest.raises(AuthError) as caught:
        await h.connector.check()
    assert "lacks the right to: edit pages" in str(caught.value)
    assert "publish posts" not in str(caught.value)


async def test_a_site_without_pretty_permalinks_is_reached_through_rest_route(
    harness_factory: Callable[..., Harness], wp_admin: httpx.AsyncClient, programme: Programme
) -> None:
    h = harness_factory(pretty_permalinks=False)
    assert await h.connector.check()
    results = await h.push(programme)
    (page_id,) = {r.remote_id for r in results if isinstance(r, RemoteRef)}
    pulled = await h.pull()
    assert pulled.complete and len(pulled.items) == len(programme.sessions)
    page = (await wp_admin.get(f"/pages/{page_id}", params={"context": "edit"})).json()
    assert page["slug"] == h.connector.config.page


async def test_the_same_changes_published_again_are_a_new_post(
    harness_factory: Callable[..., Harness], wp_admin: httpx.AsyncClient, programme: Programme
) -> None:
    """A session moved to 15 h, back, then to 15 h again: the third sending has the same text as
    the first but is another occurrence (another outbox entry), so it gets its own post; a retry
    of one sending (same occurrence) still finds the post it made."""
    h = harness_factory()
    text = retime_announcement(programme)
    first = replace(text, occurrence="a1" * 32)
    again = replace(text, occurrence="b2" * 32)
    assert first.id == again.id
    ref = await h.connector.announce("news", first)
    ref_again = await h.connector.announce("news", again)
    assert ref_again.remote_id != ref.remote_id
    assert (await h.connector.announce("news", first)).remote_id == ref.remote_id
    assert (await h.connector.announce("news", again)).remote_id == ref_again.remote_id
    for announcement, post_id in ((first, ref.remote_id), (again, ref_again.remote_id)):
        posts = await posts_with_slug(wp_admin, h.connector.news_slug(announcement))
        assert [str(p["id"]) for p in posts] == [post_id]
    # An announcement queued before occurrences existed is still found by its bare id.
    legacy = await h.connector.announce("news", text)
    assert legacy.remote_id not in (ref.remote_id, ref_again.remote_id)
    assert (await h.connector.announce("news", text)).remote_id == legacy.remote_id


async def test_a_shortcode_in_a_renamed_title_is_not_expanded_in_the_news(
    harness_factory: Callable[..., Harness], wp_admin: httpx.AsyncClient, programme: Programme
) -> None:
    h = harness_factory()
    session = programme.sorted_sessions()[2]
    renamed = replace(session, title='[audio src="https://x/y.mp3"]')
    before = {k: s.to_record() for k, s in programme.sessions.items()}
    announcement = announcement_for(
        diff_versions(before, {**before, session.id: renamed.to_record()}), programme.venues
    )
    assert announcement is not None
    ref = await h.connector.announce("news", announcement)
    post = (await wp_admin.get(f"/posts/{ref.remote_id}", params={"context": "edit"})).json()
    assert "[" not in post["content"]["raw"] and "&#91;audio src=" in post["content"]["raw"]
    async with httpx.AsyncClient(timeout=30) as visitor:
        public = (await visitor.get(post["link"])).text
    assert "<audio" not in public and "wp-audio-shortcode" not in public
    text = html.unescape(re.sub(r"<[^>]*>", "", public))
    assert '[audio src="https://x/y.mp3"]' in text
