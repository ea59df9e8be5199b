"""A 10,000-session page, and a page saved through WordPress's HTML filter, on the real site."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from sync.model import Programme, Session
from sync.protocol import RemoteRef
from tests.wordpress.conftest import Harness
from tests.wordpress.site import Site


def large(programme: Programme, count: int) -> Programme:
    base = programme.sorted_sessions()
    sessions: dict[str, Session] = {}
    for i in range(count):
        model = base[i % len(base)]
        shift = timedelta(minutes=15 * (i // len(base)))
        key = f"{model.id}-{i:05d}"
        sessions[key] = replace(model, id=key, start=model.start + shift, end=model.end + shift)
    return replace(programme, sessions=sessions)


async def test_ten_thousand_sessions_fit_on_one_page(
    harness_factory: Callable[..., Harness], programme: Programme
) -> None:
    h = harness_factory()
    big = large(programme, 10_000)
    results = await h.push(big)
    assert len(results) == 10_000 and all(isinstance(r, RemoteRef) for r in results)
    assert len({r.remote_id for r in results if isinstance(r, RemoteRef)}) == 1
    pulled = await h.pull()
    assert pulled.problems == [] and pulled.complete
    assert len(pulled.items) == 10_000
    key = next(iter(big.sessions))
    assert dict(next(i for i in pulled.items if i.key == key).fields) == h.connector.project(
        big.sessions[key], big
    )


async def test_a_user_whose_html_is_filtered_keeps_the_page_exactly(
    harness_factory: Callable[..., Harness], wordpress_site: Site, programme: Programme
) -> None:
    """Without unfiltered_html WordPress filters the HTML on save: the page must survive it."""
    h = harness_factory(wordpress_site.publisher, language="en")
    await h.connector.check()
    tricky = programme.sorted_sessions()[0]
    changed = replace(
        programme,
        sessions={
            **programme.sessions,
            tricky.id: replace(
                tricky, description='Line one\nLine <two> & "three"', status="cancelled"
            ),
        },
    )
    results = await h.push(changed)
    assert all(isinstance(r, RemoteRef) for r in results), results[0]
    pulled = await h.pull()
    assert pulled.problems == [] and pulled.complete
    projections = {k: h.connector.project(s, changed) for k, s in changed.sessions.items()}
    assert {i.key: dict(i.fields) for i in pulled.items} == projections
