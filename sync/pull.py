"""The pull stage: every readable connector asked what changed since its cursor, concurrently.

A connector that fails is marked failed with its error and left out of the round; the others go
on. A bad programme file (``InputError``) stops the whole run: nothing may be pushed from it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence

from sync.errors import ConnectorError, InputError
from sync.model import Programme
from sync.protocol import Link, PullResult
from sync.report import Runtime
from sync.state import StateStore

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
    """Each reader's changes since its stored cursor, by connector name (failed ones absent)."""
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
            log.warning("pull from %s failed", runtime.name, exc_info=is_bug(exc))
            fail(runtime, exc)
        finally:
            done += 1
            progress("pull", done, len(readers))

    await asyncio.gather(*(pull_one(r) for r in readers))
    return results


def is_bug(exc: BaseException) -> bool:
    """A programming error rather than a remote's answer: it deserves a traceback in the log."""
    return not isinstance(exc, ConnectorError)
