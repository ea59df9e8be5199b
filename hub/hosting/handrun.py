"""A hosted collective's sync run by hand (``hub sync --collective ID``, a review decision, a
revert) leaves its outcome on the collective's registry row, as a worker's sync does: the last
result (``ok``, ``failed``), its error, time, duration and changes, and one more sync counted.
So ``hub collective list``, /readyz and /metrics tell what last happened to the collective,
whoever ran it.

Only an outcome is recorded: a sync refused because a worker held the collective's lock did
nothing and leaves the row as the worker will. Failing to write the row (the database went
away meanwhile) never changes the command's own outcome: the sync is done and its report is in
the collective's state.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from hub.hosting.registry import Registry, collectives, sync_outcome
from hub.runtime import HOSTED
from sync.errors import HubError

if TYPE_CHECKING:
    from config.redaction import Redactor
    from sync.report import Report


def record_hand_sync(report: Report | None, seconds: float, *, error: str | None = None,
                     redact: Redactor | None = None) -> bool:
    """Write a hand-run sync's outcome on the row of the collective the command runs for
    (:data:`hub.runtime.HOSTED`); a report gives ``ok`` or ``failed``, ``error`` alone
    ``error``. False when the command is no hosted collective's or the row could not be written."""
    hosted = HOSTED.get()
    if hosted is None:
        return False
    collective_id, database, lang = hosted
    mask = redact or (lambda text: text)
    if report is not None:
        result, message = sync_outcome(report, lang)
        changes = len(report.changes)
    else:
        result, message, changes = "error", error, 0
    try:
        registry = Registry(database or "", lang=lang, create=False)
    except HubError:
        return False
    try:
        with registry.transaction() as conn:
            done = conn.execute(update(collectives).where(collectives.c.id == collective_id).values(
                last_result=result, last_error=mask(message) if message else None, last_at=time.time(),
                last_seconds=seconds, last_changes=changes, syncs=collectives.c.syncs + 1))
        return bool(done.rowcount)
    except SQLAlchemyError:
        return False
    finally:
        registry.close()
