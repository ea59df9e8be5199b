"""The poll-close job: a hosted collective's Framadate date polls closed when their ``--until``
has passed, and carried to their meeting (calendar event, notes pad, one announcement), as
``hub poll status`` does by hand (:func:`hub.poll.close_due_polls`).

Each probe of a collective looks in its state (no request) for a poll whose close is due and
queues ``hub.poll_close`` for it (:mod:`hub.hosting.queue`); the job runs under the collective's
procrastinate lock, so never beside its sync or probe, and its queueing lock keeps one queued
at most. Closing once and announcing once hold as by hand: the poll's record notes each step
done, the chat messages go through the outbox keyed by poll, under the collective's writer lock
(a hand-run command holding it makes the job retry).
"""

from __future__ import annotations

import logging
import time

from config.settings import Settings
from hub.hosting.jobs import COLLECTIVE, Stores, collective_settings, next_due
from hub.hosting.registry import Collective, Registry
from sync.errors import HubError, LockBusy
from sync.i18n import log_texts

log = logging.getLogger(__name__)

LOG_TEXTS = log_texts({
    "[%s] %d poll(s) closed": "[%s] %d sondage(s) clos",
    "[%s] poll close failed: %s": "[%s] clôture de sondage en échec : %s",
})


def _settings(row: Collective) -> Settings | None:
    try:
        settings, _ = collective_settings(row)
    except HubError:
        return None  # the sync and the probe record the refusal
    return settings


def polls_due(registry: Registry, stores: Stores, collective_id: str) -> bool:
    """Whether the collective has a poll to close now (its state only, no request)."""
    from hub.poll import due_polls, framadate_sections

    row = registry.find(collective_id)
    if row is None or row.paused:
        return False
    settings = _settings(row)
    if settings is None or not framadate_sections(settings):
        return False
    return bool(due_polls(settings, stores.get(row, settings.hub.language)))


async def close_polls(registry: Registry, stores: Stores, collective_id: str) -> int:
    """The job: close the collective's due polls; how many were dealt with."""
    from hub.poll import close_due_polls

    token = COLLECTIVE.set(collective_id)
    try:
        row = registry.find(collective_id)
        if row is None or row.paused:
            return 0
        settings = _settings(row)
        if settings is None:
            return 0
        store = stores.get(row, settings.hub.language)
        try:
            done = await close_due_polls(settings, store)
        except LockBusy:
            raise  # a hand-run command writes this collective: the job is retried
        except HubError as exc:  # the next probe finds the poll still due and tries again
            log.warning("[%s] poll close failed: %s", collective_id, exc)
            return 0
        if done:
            log.info("[%s] %d poll(s) closed", collective_id, len(done))
            # A message the outbox could not send yet is retried by the collective's syncs.
            due = next_due(store, settings, failed=False)
            current = registry.find(collective_id)
            if due is not None and current is not None and (current.next_sync_at is None or due < current.next_sync_at):
                registry.update(collective_id, next_sync_at=max(due, time.time()))
        return len(done)
    finally:
        COLLECTIVE.reset(token)
