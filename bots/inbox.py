"""Chat updates kept before they are acknowledged, so none is lost on a crash or handled twice.

A receiver stores each batch of updates (``store``, idempotent) *before* telling the platform
it has them (Telegram: the next ``getUpdates`` offset). Each update is then handled and marked
``done`` before the replies go out: after a crash, updates stored but not handled are handled
at restart; an update handled is never handled again (its reply may be lost, never doubled).

Keys sort in arrival order (Telegram update ids are zero-padded). The SQL inbox uses the state
store's ``inbox`` table: (connector, update_id, payload, processed). The :class:`~sync.chat.Inbox`
protocol itself is the chat side of the connector protocol.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine

from sync.chat import Inbox
from sync.schema import inbox

__all__ = ["Inbox", "SqlInbox"]


class SqlInbox:
    """The :class:`Inbox` on the state store's ``inbox`` table."""

    #: Handled updates kept per channel (the newest one always stays: it is the resume point).
    KEEP = 1000

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def store(self, channel: str, items: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        if not items:
            return
        with self.engine.begin() as conn:
            keys = [key for key, _ in items]
            known = {
                row[0]
                for row in conn.execute(
                    select(inbox.c.update_id).where(inbox.c.connector == channel, inbox.c.update_id.in_(keys))
                )
            }
            fresh = [
                {"connector": channel, "update_id": key, "payload": dict(payload), "processed": 0}
                for key, payload in items
                if key not in known
            ]
            if fresh:
                conn.execute(inbox.insert(), fresh)

    def pending(self, channel: str) -> list[tuple[str, dict[str, Any]]]:
        query = (
            select(inbox.c.update_id, inbox.c.payload)
            .where(inbox.c.connector == channel, inbox.c.processed == 0)
            .order_by(inbox.c.update_id)
        )
        with self.engine.connect() as conn:
            return [(row[0], dict(row[1])) for row in conn.execute(query)]

    def done(self, channel: str, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(inbox).where(inbox.c.connector == channel, inbox.c.update_id == key).values(processed=1)
            )
            count = conn.execute(select(func.count()).where(inbox.c.connector == channel)).scalar_one()
            if count > 2 * self.KEEP:
                cutoff = conn.execute(
                    select(inbox.c.update_id)
                    .where(inbox.c.connector == channel)
                    .order_by(inbox.c.update_id.desc())
                    .offset(self.KEEP)
                    .limit(1)
                ).scalar_one()
                conn.execute(
                    delete(inbox).where(
                        inbox.c.connector == channel,
                        inbox.c.processed == 1,
                        inbox.c.update_id <= cutoff,
                    )
                )

    def last_key(self, channel: str, prefix: str = "") -> str | None:
        where = [inbox.c.connector == channel]
        if prefix:
            where.append(inbox.c.update_id.startswith(prefix, autoescape=True))
        with self.engine.connect() as conn:
            value = conn.execute(select(func.max(inbox.c.update_id)).where(*where)).scalar()
        return None if value is None else str(value)
