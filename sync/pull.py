"""The pull stage: every readable connector asked what changed since its cursor, concurrently.

A connector that fails is marked failed with its error and left out of the round; the others go
on. A bad programme file (``InputError``) stops the whole run: nothing may be pushed from it.

Every pulled item is then held to the rules the programme file obeys (:mod:`sync.validate`): an
item that breaks one is left out of the round and reported in the pull's ``problems`` (the engine
names the connector), the rest goes on. An item left out is still *present* on its remote: when
the pull was complete, the keys that truly vanished are kept as explicit deletions, so a session
whose item was refused is neither merged nor deleted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Mapping, Sequence

from sync.errors import ConnectorError, InputError
from sync.merge import vanished_keys
from sync.model import EXISTENCE, Programme
from sync.protocol import Link, PullResult, RemoteItem
from sync.report import Runtime
from sync.state import StateStore
from sync.validate import check_item, ignored

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]
Fail = Callable[[Runtime, BaseException], None]


async def pull_all(
    readers: Sequence[Runtime],
    store: StateStore,
    programme: Programme,
    links: Mapping[str, Mapping[str, Link]],
    fail: Fail,
    progress: Progress,
) -> dict[str, PullResult]:
    """Each reader's changes since its stored cursor, by connector name (failed ones absent),
    with the items that break a session rule left out and reported."""
    results: dict[str, PullResult] = {}
    done = 0

    async def pull_one(runtime: Runtime) -> None:
        nonlocal done
        token, _ = store.cursor(runtime.name, runtime.connector.collection)
        try:
            await runtime.connector.open()
            results[runtime.name] = await runtime.connector.pull(token, links[runtime.name], programme)
        except InputError:
            raise
        except Exception as exc:
            log.warning("pull from %s failed: %s", runtime.name, exc, exc_info=is_bug(exc))
            fail(runtime, exc)
        finally:
            done += 1
            progress("pull", done, len(readers))

    await asyncio.gather(*(pull_one(r) for r in readers))
    venues = round_venues(results.values(), programme)
    for runtime in readers:
        result = results.get(runtime.name)
        if result is not None:
            screen(result, links[runtime.name], programme, venues,
                   creates=EXISTENCE in runtime.connector.owns, lang=runtime.connector.ctx.language)
    return results


def round_venues(results: Collection[PullResult], programme: Programme) -> set[str]:
    """The venues sessions may name this round: those of the programme pulled now, if it was
    (a venue declared in the same edit as the sessions that use it), else the known ones."""
    for result in results:
        if result.meta is not None:
            return {str(venue["id"]) for venue in result.meta.get("venues") or ()}
    return set(programme.venues)


def screen(
    result: PullResult,
    links: Mapping[str, Link],
    programme: Programme,
    venues: Collection[str],
    *,
    creates: bool,
    lang: str,
) -> list[RemoteItem]:
    """Leave out of ``result`` the items that break a session rule; return them.

    Each is reported in ``result.problems`` as ``<remote id>: <what is wrong>; ignored``. An item
    creates a session when the source owns existence and the hub has no session by its key: it
    must then carry title, start and end.
    """
    kept: list[RemoteItem] = []
    refused: list[RemoteItem] = []
    for item in result.items:
        current = programme.sessions.get(item.key) if item.key is not None else None
        issues = check_item(item.key, item.fields, venues, creating=creates and current is None, current=current)
        if not issues:
            kept.append(item)
            continue
        refused.append(item)
        result.problems.append(ignored(item.remote_id or item.key or "?", issues, lang))
    if not refused:
        return refused
    if result.complete and any(item.key in links for item in refused):
        # The refused items are still there: only the keys that truly vanished are deletions.
        result.deleted = sorted(set(result.deleted) | vanished_keys(result, links))
        result.complete = False
    result.items = kept
    return refused


def is_bug(exc: BaseException) -> bool:
    """A programming error rather than a remote's answer: it deserves a traceback in the log."""
    return not isinstance(exc, ConnectorError)
