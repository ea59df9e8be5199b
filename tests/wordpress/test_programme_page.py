"""The programme page on a real WordPress: created once, updated in place, hand edits detected."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx

from sync.errors import PermanentError
from sync.model import Programme
from sync.protocol import Op, RemoteRef
from tests.wordpress.conftest import Harness
from tests.wordpress.site import Site


async def pages_with_slug(admin: httpx.AsyncClient, slug: str) -> list[dict[str, Any]]:
    response = await admin.get(
        "/pages",
        params={
            "slug": slug,
            "status": "publish,draft,private,pending,future,trash",
            "context": "edit",
        },
    )
    response.raise_for_status()
    pages: list[dict[str, Any]] = response.json()
    return pages


def edited(programme: Programme, key: str, **changes: Any) -> Programme:
    sessions = dict(programme.sessions)
    sessions[key] = replace(sessions[key], **changes)
    return replace(programme, sessions=sessions)


async def test_first_sync_creates_the_page_and_an_unchanged_site_costs_one_request(
    harness_factory: Callable[..., Harness],
    wp_admin: httpx.AsyncClient,
    wordpress_site: Site,
    programme: Programme,
) -> None:
    h = harness_factory()
    slug = h.connector.config.page
    first = await h.pull()
    assert first.cursor is None and first.problems == []

    results = await h.push(programme)
    assert len(results) == len(programme.sessions)
    assert all(isinstance(r, RemoteRef) for r in results)
    page_ids = {r.remote_id for r in results if isinstance(r, RemoteRef)}
    assert len(page_ids) == 1

    pages = await pages_with_slug(wp_admin, slug)
    assert [str(p["id"]) for p in pages] == list(page_ids)
    assert pages[0]["status"] == "publish"

    # What a visitor sees: every day, times, venues with addresses, hosts.
    public = await httpx.AsyncClient().get(f"{wordpress_site.url}/{slug}/")
    assert public.status_code == 200
    text = public.text
    assert 'Vendredi 12 novembre – <span class="hub-theme">Un vocabulaire commun</span>' in text
    assert '<p class="hub-subtitle">Marseille, 12-14 novembre 2021</p>' in text
    assert "15 boulevard de la Liberté, 13001 Marseille" in text
    for session in programme.sessions.values():
        assert f'id="session-{session.id}"' in text
    some = programme.sorted_sessions()[0]
    assert some.title.replace("'", "&#8217;")[:10] in text or some.title[:10] in text

    # The hub's own write is not a hand edit, and an unchanged page costs one request a pull.
    projections = {k: h.connector.project(s, programme) for k, s in programme.sessions.items()}
    after_push = await h.pull()
    assert after_push.problems == [] and after_push.complete
    assert {i.key: dict(i.fields) for i in after_push.items} == projections
    for _ in range(2):
        before = h.requests
        again = await h.pull()
        assert again.problems == [] and again.cursor is not None
        assert all(dict(i.fields) == projections[i.key] for i in again.items if i.key)
        assert h.requests - before == 1


async def test_a_change_rewrites_the_same_page_and_a_rerun_writes_nothing(
    harness_factory: Callable[..., Harness], wp_admin: httpx.AsyncClient, programme: Programme
) -> None:
    h = harness_factory()
    await h.push(programme)
    await h.pull()
    page_id = next(iter(h.links.values())).remote_id

    first, second = programme.sorted_sessions()[:2]
    changed = edited(
        programme,
        first.id,
        start=first.start + timedelta(hours=1),
        end=first.end + timedelta(hours=1),
    )
    changed = edited(changed, second.id, status="cancelled")
    results = await h.push(changed, programme)
    assert {r.remote_id for r in results if isinstance(r, RemoteRef)} == {page_id}
    assert len(results) == 2

    pages = await pages_with_slug(wp_admin, h.connector.config.page)
    assert [str(p["id"]) for p in pages] == [page_id]
    content = pages[0]["content"]["raw"]
    moved = changed.sessions[first.id].start.astimezone(programme.tz)
    assert f'data-time="{moved.isoformat()}"' in content
    cancelled_item = content.split(f'id="session-{second.id}"', 1)[1].split("</li>", 1)[0]
    assert "<del>" in cancelled_item and "Annulé" in cancelled_item

    # Nothing changed on the hub's side: no write (one read to make sure), same version.
    modified = pages[0]["modified_gmt"]
    before = h.requests
    session = changed.sorted_sessions()[0]
    op = Op("update", session.id, h.connector.project(session, changed), h.links.get(session.id))
    again = await h.connector.apply([op], changed)
    assert all(isinstance(r, RemoteRef) for r in again)
    assert h.requests - before == 1
    pages = await pages_with_slug(wp_admin, h.connector.config.page)
    assert pages[0]["modified_gmt"] == modified
    probe = await h.pull()
    assert probe.problems == []


async def test_a_page_edited_by_hand_is_reported_then_overwritten(
    harness_factory: Callable[..., Harness], wp_admin: httpx.AsyncClient, programme: Programme
) -> None:
    h = harness_factory()
    await h.push(programme)
    await h.pull()
    page_id = next(iter(h.links.values())).remote_id
    page = (await wp_admin.get(f"/pages/{page_id}", params={"context": "edit"})).json()
    hand = page["content"]["raw"].replace("Un vocabulaire commun", "Un vocabulaire partagé")
    (await wp_admin.post(f"/pages/{page_id}", json={"content": hand})).raise_for_status()

    pulled = await h.pull()
    assert len(pulled.problems) == 1
    assert "modifiée à la main" in pulled.problems[0] and "réécrite" in pulled.problems[0]
    assert not pulled.complete

    # A session's title changed on the page reads back changed: the engine sees the drift.
    victim = programme.sorted_sessions()[0]
    hand = hand.replace(f">{victim.title}<", ">Titre changé à la main<")
    (await wp_admin.post(f"/pages/{page_id}", json={"content": hand})).raise_for_status()
    pulled = await h.pull()
    titles = {i.key: i.fields["title"] for i in pulled.items}
    assert titles[victim.id] == "Titre changé à la main"
    assert len(pulled.problems) == 1

    session = programme.sorted_sessions()[3]
    changed = edited(programme, session.id, title=session.title + " (suite)")
    results = await h.push(changed, programme)
    assert [r.remote_id for r in results if isinstance(r, RemoteRef)] == [page_id]
    content = (await wp_admin.get(f"/pages/{page_id}", params={"context": "edit"})).json()[
        "content"
    ]["raw"]
    assert "Un vocabulaire partagé" not in content and "Un vocabulaire commun" in content
    assert "Titre changé à la main" not in content
    after = await h.pull()
    assert after.problems == []
    assert {i.key: i.fields["title"] for i in after.items}[victim.id] == victim.title


async def test_a_page_edited_by_hand_is_kept_when_configured(
    harness_factory: Callable[..., Harness], wp_admin: httpx.AsyncClient, programme: Programme
) -> None:
    h = harness_factory(on_drift="keep", language="en")
    await h.push(programme)
    await h.pull()
    page_id = next(iter(h.links.values())).remote_id
    (await wp_admin.post(f"/pages/{page_id}", json={"title": "Our programme"})).raise_for_status()

    pulled = await h.pull()
    assert len(pulled.problems) == 1 and "edited by hand" in pulled.problems[0]
    assert "kept" in pulled.problems[0]

    session = programme.sorted_sessions()[0]
    changed = edited(programme, session.id, title="Something else")
    results = await h.push(changed, programme)
    assert len(results) == 1 and isinstance(results[0], PermanentError)
    page = (await wp_admin.get(f"/pages/{page_id}", params={"context": "edit"})).json()
    assert page["title"]["raw"] == "Our programme"
    assert "Something else" not in page["content"]["raw"]


async def test_a_title_with_markup_shows_as_text(
    harness_factory: Callable[..., Harness], wordpress_site: Site, programme: Programme
) -> None:
    h = harness_factory()
    session = programme.sorted_sessions()[0]
    hostile = edited(
        programme,
        session.id,
        title='<script>alert("x")</script> Atelier',
        hosts=('<img src=x onerror="alert(1)">',),
        links=("javascript:alert(1)", "https://example.org/?a=1&b=2"),
        description="Ligne 1\n<b>gras</b>",
    )
    results = await h.push(hostile)
    assert all(isinstance(r, RemoteRef) for r in results)
    public = await httpx.AsyncClient().get(f"{wordpress_site.url}/{h.connector.config.page}/")
    text = public.text
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert" in text
    assert "<img src=x" not in text and 'onerror="alert' not in text
    assert 'href="javascript:' not in text
    assert 'href="https://example.org/?a=1&amp;b=2"' in text
    assert "<b>gras</b>" not in text


async def test_a_page_moved_to_the_trash_is_restored_in_place(
    harness_factory: Callable[..., Harness], wp_admin: httpx.AsyncClient, programme: Programme
) -> None:
    h = harness_factory()
    await h.push(programme)
    await h.pull()
    page_id = next(iter(h.links.values())).remote_id
    (await wp_admin.delete(f"/pages/{page_id}")).raise_for_status()

    pulled = await h.pull()
    assert any("n'est plus publiée" in p for p in pulled.problems) and not pulled.complete
    projections = {k: h.connector.project(s, programme) for k, s in programme.sessions.items()}
    drifted = [i.key for i in pulled.items if i.key and dict(i.fields) != projections[i.key]]
    assert sorted(drifted) == sorted(programme.sessions)

    # What the engine plans from that drift: rewrite those sessions, i.e. the page.
    ops = [Op("update", key, projections[key], h.links[key]) for key in drifted]
    results = await h.connector.apply(ops, programme)
    assert {r.remote_id for r in results if isinstance(r, RemoteRef)} == {page_id}
    page = (await wp_admin.get(f"/pages/{page_id}", params={"context": "edit"})).json()
    assert page["status"] == "publish" and page["slug"] == h.connector.config.page
    assert len(await pages_with_slug(wp_admin, h.connector.config.page)) == 1
    assert (await h.pull()).problems == []


async def test_a_hub_that_lost_its_state_finds_the_same_page(
    harness_factory: Callable[..., Harness], wp_admin: httpx.AsyncClient, programme: Programme
) -> None:
    """After a crash between the write and the bookkeeping (or a new state database), the page
    is found again by its slug: never a second page."""
    h = harness_factory()
    await h.push(programme)
    page_id = next(iter(h.links.values())).remote_id
    amnesiac = harness_factory(page=h.connector.config.page)
    assert (await amnesiac.pull()).cursor.startswith(f"{page_id}@")  # type: ignore[union-attr]
    session = programme.sorted_sessions()[1]
    changed = edited(programme, session.id, title="Nouveau titre")
    results = await amnesiac.push(changed)
    assert {r.remote_id for r in results if isinstance(r, RemoteRef)} == {page_id}
    pages = await pages_with_slug(wp_admin, h.connector.config.page)
    assert [str(p["id"]) for p in pages] == [page_id]
    assert ">Nouveau titre<" in pages[0]["content"]["raw"]


def visible_text(markup: str) -> str:
    """The text a browser shows for a piece of HTML."""
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


async def test_a_shortcode_typed_in_a_title_shows_as_typed_and_reads_back_unchanged(
    harness_factory: Callable[..., Harness],
    wp_admin: httpx.AsyncClient,
    wordpress_site: Site,
    programme: Programme,
) -> None:
    """``[audio src=...]`` in a title (and anywhere else) is shown literally to a visitor, never
    expanded into a player; reading the page back finds no change, so nothing is rewritten."""
    code = '[audio src="https://x/y.mp3"]'
    h = harness_factory()
    session = programme.sorted_sessions()[0]
    typed = edited(programme, session.id, title=code, description=f"Écouter : {code}")
    typed = replace(typed, event=replace(typed.event, subtitle="[video src=\"https://x/z.mp4\"]"))
    results = await h.push(typed)
    assert all(isinstance(r, RemoteRef) for r in results)

    async with httpx.AsyncClient(timeout=30) as visitor:
        public = (await visitor.get(f"{wordpress_site.url}/{h.connector.config.page}/")).text
    assert "<audio" not in public and "<video" not in public and "wp-audio-shortcode" not in public
    item = public.split(f'id="session-{session.id}"', 1)[1].split("</li>", 1)[0]
    shown = re.search(r'<span class="hub-title">(.*?)</span>', item)
    assert shown is not None and visible_text(shown.group(1)) == code
    assert f"Écouter : {code}" in visible_text(item)
    assert '[video src="https://x/z.mp4"]' in visible_text(public)

    # The next sync: the page reads back as the hub wrote it, and nothing is written.
    pulled = await h.pull()
    assert pulled.complete and pulled.problems == []
    assert {i.key: i.fields for i in pulled.items} == {
        k: h.connector.project(s, typed) for k, s in typed.sessions.items()
    }
    page_id = next(iter(h.links.values())).remote_id
    modified = (await wp_admin.get(f"/pages/{page_id}", params={"context": "edit"})).json()[
        "modified_gmt"
    ]
    before = h.requests
    op = Op("update", session.id, h.connector.project(typed.sessions[session.id], typed),
            h.links.get(session.id))
    assert all(isinstance(r, RemoteRef) for r in await h.connector.apply([op], typed))
    assert h.requests - before == 1
    page = (await wp_admin.get(f"/pages/{page_id}", params={"context": "edit"})).json()
    assert page["modified_gmt"] == modified
    again = await h.pull()  # unchanged, or read once more when written in the same second
    assert again.problems == []
    assert all(i.fields == h.connector.project(typed.sessions[i.key], typed) for i in again.items)
